"""Per-tower learning rate, weight decay and layer-wise lr decay for CLIP models, as EVA-CLIP trains them.

EVA-CLIP (github:baaivision/EVA ``EVA-CLIP/rei/training/optim.py``, ``get_all_parameters``) splits the
parameters into the image tower (``visual.*``), the text tower (``text.*``) and the rest (``logit_scale``); each
tower has its own lr (``--visual-lr``, ``--text-lr``), weight decay and layer decay (``--visual-ld``,
``--text-ld``), and the rest takes the base lr and decay. Within a tower, depth ``d`` of ``L`` blocks scales the lr
by ``rate ** (L + 1 - d)`` (embeddings 0, block i ``i + 1``, final norms and projections ``L + 1``), from each
tower's own ``get_layer_depth``. No weight decay for 1-D parameters, biases and the named parameters
(official: the towers' ``no_weight_decay()``: ``pos_embed``, ``cls_token``, ``positional_embedding``).

``optim_wrapper=dict(constructor='CLIPTowersOptimWrapperConstructor', paramwise_cfg=dict(towers=dict(
visual=dict(lr=2e-4, weight_decay=0.05, layer_decay_rate=0.75, extra_prefixes=('visual_head.',)), text=...)))``.
mmengine's schedulers scale every group from its own initial lr, as the official scheduler does.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from eva_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['CLIPTowersOptimWrapperConstructor']

_TOWER_KEYS = {'lr', 'weight_decay', 'layer_decay_rate', 'extra_prefixes'}


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class CLIPTowersOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer-wrapper constructor with separate lr / weight decay / layer decay per tower.

    ``paramwise_cfg`` keys:

    - ``towers`` (dict, required): ``{attribute: dict(lr, weight_decay, layer_decay_rate, extra_prefixes)}``; the
      attribute (``'visual'``, ``'text'``) names a submodule with ``get_layer_depth(name, prefix)``; parameters
      under ``extra_prefixes`` (e.g. ``'visual_head.'``) belong to the tower at its top depth. Missing values
      default to the optimizer's lr / weight decay and rate 1.
    - ``no_decay_names`` (sequence of str): full parameter names without weight decay (besides 1-D ones).

    Each group records ``tower``, ``param_names`` and ``lr_scale``.
    """

    def _tower_of(self, name: str, towers: Dict[str, Dict[str, Any]]) -> Tuple[str, bool]:
        for tower, tcfg in towers.items():
            if name.startswith(tower + '.'):
                return tower, True
            if name.startswith(tuple(tcfg.get('extra_prefixes', ()))):
                return tower, False
        return '', False

    def add_params(self, params: List[Dict[str, Any]], module: nn.Module, prefix: str = '', **kwargs: Any) -> None:
        """Append the parameter groups of ``module`` to ``params`` (signature of mmengine's hook)."""
        towers = dict(self.paramwise_cfg.get('towers') or {})
        if not towers:
            raise KeyError('CLIPTowersOptimWrapperConstructor needs paramwise_cfg.towers')
        for tower, tcfg in towers.items():
            unknown = set(tcfg) - _TOWER_KEYS
            if unknown:
                raise KeyError(f'paramwise_cfg.towers.{tower}: unknown keys {sorted(unknown)}; '
                               f'known {sorted(_TOWER_KEYS)}')
            if not hasattr(getattr(module, tower, None), 'get_layer_depth'):
                raise TypeError(f'paramwise_cfg.towers.{tower}: {type(module).__name__}.{tower} is missing or has '
                                'no get_layer_depth()')
        no_decay_names = set(self.paramwise_cfg.get('no_decay_names', ()))
        base_wd = self.base_wd or 0.
        groups: Dict[Tuple, Dict[str, Any]] = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            tower, inside = self._tower_of(name, towers)
            tcfg = towers.get(tower, {})
            lr, wd, rate = tcfg.get('lr', self.base_lr), tcfg.get('weight_decay', base_wd), 1.
            depth = 0
            if tower:
                rate = float(tcfg.get('layer_decay_rate', 1.))
                depth, max_depth = getattr(module, tower).get_layer_depth(name, tower + '.')
                if not inside:
                    depth = max_depth - 1
                scale = rate ** (max_depth - 1 - depth)
            else:
                scale = 1.
            if param.ndim <= 1 or name.endswith('.bias') or name in no_decay_names:
                wd = 0.
            group = groups.setdefault((tower, depth, wd), dict(
                params=[], param_names=[], tower=tower or 'other', lr=lr * scale, weight_decay=wd, lr_scale=scale))
            group['params'].append(param)
            group['param_names'].append(name)
        params.extend(groups.values())
        print_log(f'CLIP towers {sorted(towers)}: {len(groups)} parameter groups', logger='current')
