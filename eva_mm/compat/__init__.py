"""Fixes that make the OpenMMLab 2.x stack run on current PyTorch, NumPy and setuptools.

`install()` runs from `import eva_mm`, before anything imports `mmcv.ops`; it is idempotent. Each fix is in its
own module: `mmcv_ext` (compiled-op stand-in; the ops themselves are in `ext_ops/`), `weights_only` (the
mmengine checkpoint types allowed under torch's `weights_only=True`; the reader that uses it is
`eva_mm.checkpoint.reader`), `atomic_save` (crash-safe checkpoints), `lvis` (NumPy 2), `annotations` (clear
errors for a wrong annotation schema), `mmdet_soft_nms` (all classes' soft-NMS at once, with the stand-in),
`mmaction` (a stand-in for the module the mmaction2 wheel lacks). This package is the floor of eva_mm: it
imports nothing else of eva_mm.
"""
import warnings

from . import annotations, atomic_save, lvis, mmaction, mmcv_ext, mmdet_soft_nms, weights_only

_installed = False


def install() -> None:
    """Apply every compat fix once."""
    global _installed
    if _installed:
        return
    mmcv_ext.install_stand_in()
    if not mmcv_ext.compiled_mmcv_available():
        mmdet_soft_nms.install()  # a compiled mmcv keeps its own soft-NMS
    # mmengine's `mmdet::` base configs and mim need pkg_resources, which is why setuptools is pinned below 82;
    # setuptools >= 67 warns on every import of it. That warning is about the pin we chose, not a user action.
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API', category=UserWarning)
    atomic_save.install()  # a killed save never leaves a corrupt checkpoint
    lvis.install()
    annotations.install()  # a wrong annotation schema is one clear error
    mmaction.install()  # the mmaction2 1.2.0 wheel lacks models/localizers/drn
    _installed = True


__all__ = ['annotations', 'atomic_save', 'install', 'lvis', 'mmaction', 'mmcv_ext', 'mmdet_soft_nms',
           'weights_only']
