"""EVA-CLIP (arXiv 2303.15389): EVA image tower + CLIP text tower, contrastive loss, converters, variants."""
from .convert import load_eva_clip, split_clip_state_dict
from .eva_clip import EVACLIP, LOGIT_SCALE_MAX
from .loss import ClipLoss, gather_with_grad
from .text_tower import CLIPTextTransformer
from .tokenizer import tokenize
from .variants import CLIP_VARIANTS

__all__ = ['EVACLIP', 'LOGIT_SCALE_MAX', 'ClipLoss', 'gather_with_grad', 'CLIPTextTransformer', 'CLIP_VARIANTS',
           'load_eva_clip', 'split_clip_state_dict', 'tokenize']
