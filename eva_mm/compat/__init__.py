"""Fixes that make the OpenMMLab 2.x stack run on current PyTorch, NumPy and setuptools.

`install()` is idempotent and runs from `import eva_mm`, before anything imports `mmcv.ops`.
"""


def install() -> None:
    """Apply every compat fix once (work in progress)."""
