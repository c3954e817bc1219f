"""Make ``dict(type='EVA')`` mean eva_mm's backbone under ``default_scope='mmpretrain'`` too.

eva_mm registers in mmengine's root ``MODELS`` (docs/design.md), and a scope's child registry is searched
before the root. mmpretrain 1.2.0 registers its own ``EVA`` (the MAE-style self-supervised *algorithm* in
``mmpretrain.models.selfsup``), so under its scope ``type='EVA'`` would build that instead. We keep mmpretrain's
class reachable as ``MMPretrainEVA`` and let the name ``EVA`` fall through to the root. mmpretrain fills its registry
lazily (``import_from_location`` on first lookup), so the rename runs right after that import, and at once if it
already happened. mmdet and mmseg have no ``EVA``.
"""
from typing import Type

__all__ = ['claim_eva_name']

RENAMED = 'MMPretrainEVA'


def claim_eva_name(ours: Type) -> None:
    """Move mmpretrain's ``EVA`` registry entry to ``MMPretrainEVA`` (no-op when mmpretrain is absent)."""
    try:
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    except ImportError:
        return

    def rename() -> None:
        theirs = PRETRAIN_MODELS._module_dict.get('EVA')
        if theirs is not None and theirs is not ours:
            PRETRAIN_MODELS._module_dict.pop('EVA')
            PRETRAIN_MODELS._module_dict.setdefault(RENAMED, theirs)

    original = PRETRAIN_MODELS.import_from_location

    def import_then_rename() -> None:
        original()
        rename()

    PRETRAIN_MODELS.import_from_location = import_then_rename
    rename()
