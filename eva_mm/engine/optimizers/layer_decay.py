"""Layer-wise learning-rate decay for EVA backbones, one constructor for mmdet, mmseg and mmpretrain configs.

Block i of an L-block backbone trains with lr ``base_lr * rate ** (L + 1 - (i + 1))``; the embeddings (depth 0)
get ``rate ** (L + 1)`` and everything outside the backbone (necks, heads) the full lr (BEiT, ViTDet, EVA). Depths
come from ``backbone.get_layer_depth(name, prefix)``. Registered in mmengine's root registry, so
``optim_wrapper=dict(constructor='EVALayerDecayOptimWrapperConstructor', paramwise_cfg=dict(layer_decay_rate=0.9))``
works under every default scope.

Weight decay: by default none for 1-D parameters (biases, norms, q/v bias) and for ``pos_embed``, ``cls_token``,
``mask_token``, as the official EVA/EVA-02 classification and MIM recipes. The EVA detection recipes decay
everything: ``no_decay_1d=False, no_decay_names=()``.
"""
from typing import Any, Dict, List, Optional, Tuple

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from eva_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['EVALayerDecayOptimWrapperConstructor', 'find_backbone']


def find_backbone(model: nn.Module) -> Tuple[nn.Module, str]:
    """The module that owns ``get_layer_depth`` and its parameter-name prefix (``'backbone.'`` or ``''``)."""
    backbone = getattr(model, 'backbone', None)
    if backbone is not None and hasattr(backbone, 'get_layer_depth'):
        return backbone, 'backbone.'
    if hasattr(model, 'get_layer_depth') and hasattr(model, 'num_layers'):
        return model, ''
    raise TypeError(f'{type(model).__name__} has neither a backbone with get_layer_depth() nor one itself; '
                    'EVALayerDecayOptimWrapperConstructor needs an EVA-style backbone')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class EVALayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer-wrapper constructor with layer-wise lr decay driven by ``get_layer_depth``.

    ``paramwise_cfg`` keys:

    - ``layer_decay_rate`` (float, required): the decay rate.
    - ``num_layers`` (int, optional): L; defaults to the backbone's ``num_layers``.
    - ``no_decay_1d`` (bool, default True): no weight decay for parameters with ``ndim <= 1``.
    - ``no_decay_names`` (sequence of str, default ``('pos_embed', 'cls_token', 'mask_token')``): no weight decay
      for parameters whose name contains one of these.
    - ``embed_names`` (sequence of str, default ``()``): parameters whose name starts with one of these sit at
      depth 0 with the embeddings (EVA-01's Mask2Former recipe puts the head's query, level, class and mask
      embeddings there: official ``EVA-01/seg/mmcv_custom/layer_decay_optimizer_constructor.py``).
    - ``custom_keys`` (dict, optional): ``{substring: dict(lr_mult=..., decay_mult=...)}`` applied on top; the
      longest matching key wins, as in mmengine.

    Parameters sharing lr and weight decay are grouped; each group records ``param_names`` and ``lr_scale``.
    """

    def add_params(self, params: List[Dict[str, Any]], module: nn.Module, prefix: str = '', **kwargs: Any) -> None:
        """Append parameter groups of ``module`` to ``params`` (signature of mmengine's hook)."""
        cfg = self.paramwise_cfg
        if 'layer_decay_rate' not in cfg:
            raise KeyError('EVALayerDecayOptimWrapperConstructor needs paramwise_cfg.layer_decay_rate')
        rate = float(cfg['layer_decay_rate'])
        backbone, bb_prefix = find_backbone(module)
        num_layers = int(cfg.get('num_layers') or backbone.num_layers)
        no_decay_1d = cfg.get('no_decay_1d', True)
        no_decay_names = tuple(cfg.get('no_decay_names', ('pos_embed', 'cls_token', 'mask_token')))
        embed_names = tuple(cfg.get('embed_names', ()))
        custom_keys = cfg.get('custom_keys', {})
        sorted_keys = sorted(custom_keys, key=len, reverse=True)
        base_wd = self.base_wd or 0.

        groups: Dict[Tuple, Dict[str, Any]] = {}
        for name, param in module.named_parameters(prefix=prefix.rstrip('.')):
            if not param.requires_grad:
                continue
            depth = 0 if name.startswith(embed_names) else backbone.get_layer_depth(name, bb_prefix)[0]
            if depth > backbone.num_layers:  # final norm, necks, heads: full lr whatever num_layers says
                depth = num_layers + 1
            lr_scale = rate ** (num_layers + 1 - depth)
            no_decay = (no_decay_1d and param.ndim <= 1) or any(n in name for n in no_decay_names)
            lr_mult, decay_mult = 1., 1.
            key: Optional[str] = next((k for k in sorted_keys if k in name), None)
            if key is not None:
                lr_mult = custom_keys[key].get('lr_mult', 1.)
                decay_mult = custom_keys[key].get('decay_mult', 1.)
            wd = 0. if no_decay else base_wd * decay_mult
            group = groups.setdefault((depth, wd, lr_mult), dict(
                params=[], param_names=[], lr=self.base_lr * lr_scale * lr_mult, weight_decay=wd,
                lr_scale=lr_scale * lr_mult))
            group['params'].append(param)
            group['param_names'].append(name)
        params.extend(groups.values())
        print_log(f'Layer-wise lr decay {rate} over {num_layers} layers: {len(groups)} parameter groups',
                  logger='current')
