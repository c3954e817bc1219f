"""Fixes that make the OpenMMLab 2.x stack run on current PyTorch, NumPy and setuptools.

`install()` runs from `import eva_mm`, before anything imports `mmcv.ops`; it is idempotent. Each fix is in its
own module: `mmcv_ext` (compiled-op stand-in), `checkpoint` (safe `weights_only` loading of mmengine
checkpoints), `lvis` (NumPy 2).
"""
from . import checkpoint, lvis, mmcv_ext, msda

_installed = False


def install() -> None:
    """Apply every compat fix once."""
    global _installed
    if _installed:
        return
    mmcv_ext.install_stand_in()
    msda.install()  # deformable attention on the stand-in, CPU and CUDA (Mask2Former)
    checkpoint.install()
    lvis.install()
    _installed = True


__all__ = ['checkpoint', 'install', 'lvis', 'mmcv_ext', 'msda']
