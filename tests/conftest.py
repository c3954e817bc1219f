"""Test setup: import eva_mm before anything else, so the compat layer (the mmcv._ext stand-in, safe checkpoint
loading, the lvis NumPy fix) is in place before any test module imports mmcv.ops, mmdet or mmseg."""
import eva_mm  # noqa: F401
