"""eva_mm: EVA and EVA-02 (arXiv 2211.07636, 2303.11331) for mmengine, mmdet, mmseg and mmpretrain.

Importing the package first makes the OpenMMLab 2.x stack work on current PyTorch (`eva_mm.compat`), then
registers every eva_mm component in mmengine's root registries. Configs load it with
`custom_imports = dict(imports=['eva_mm'], allow_failed_imports=False)`.
"""
from . import compat

compat.install()

from . import checkpoint  # noqa: E402  (after the stack is fixed)

checkpoint.install()  # mmengine's checkpoint schemes read through eva_mm's safe reader

from . import (  # noqa: E402  (register after the stack is fixed)
           apis,  # noqa: E402  (the user entry points, over everything above)
           datasets,
           engine,
           evaluation,
           models,
)
from .apis import get_model, list_models  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'apis', 'checkpoint', 'compat', 'datasets', 'engine', 'evaluation', 'get_model',
           'list_models', 'models']
