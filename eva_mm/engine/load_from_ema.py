"""``load_from`` of released EVA files under mmengine's Runner: choose ``model`` or ``model_ema``.

Official EVA fine-tuned files hold both ``model`` and ``model_ema`` and no mmengine ``state_dict``. The runner
hands the loaded dict to hooks (``after_load_checkpoint``) before loading it, and mmengine's ``EMAHook`` copies
``checkpoint['state_dict']`` into its EMA model, so that key must exist. This hook sets it to the weights the
config chose: ``load_from_ema = True`` (a top-level config key) reads ``model_ema`` (or mmengine's
``ema_state_dict``), the default reads ``model``, as the official evaluation does unless told to use EMA.
``eva_mm.engine.cli.build_runner`` adds it to every config with ``load_from``.
"""
from __future__ import annotations

from typing import Any, Dict

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from eva_mm.checkpoint.whole_model import select_state_dict

__all__ = ['CheckpointSelectHook', 'add_checkpoint_select_hook']


@HOOKS.register_module()
class CheckpointSelectHook(Hook):
    """Put the chosen weights of a ``load_from`` file under ``state_dict`` (no effect on ``--resume``)."""

    priority = 'VERY_HIGH'  # before EMAHook reads checkpoint['state_dict']

    def __init__(self, use_ema: bool = False) -> None:
        if not isinstance(use_ema, bool):
            raise TypeError(f'load_from_ema must be True or False, got {use_ema!r}')
        self.use_ema = use_ema

    def after_load_checkpoint(self, runner: Any, checkpoint: Dict[str, Any]) -> None:
        """Select ``model`` / ``model_ema`` for a load; a resume restores the run as saved."""
        if getattr(runner, '_resume', False):
            return
        checkpoint['state_dict'] = select_state_dict(checkpoint, self.use_ema)


def add_checkpoint_select_hook(cfg: Any) -> None:
    """Append :class:`CheckpointSelectHook` (``use_ema=cfg.load_from_ema``) to ``cfg.custom_hooks`` when the config
    loads weights (``load_from``) and does not list the hook itself."""
    use_ema = cfg.get('load_from_ema', False)
    if not cfg.get('load_from'):
        if use_ema:
            raise ValueError('load_from_ema=True needs load_from (the checkpoint whose model_ema to load)')
        return
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(isinstance(h, dict) and h.get('type') == 'CheckpointSelectHook' for h in hooks):
        hooks.append(dict(type='CheckpointSelectHook', use_ema=use_ema))
    cfg.custom_hooks = hooks
