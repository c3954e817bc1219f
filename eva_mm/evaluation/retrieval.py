"""Image <-> text retrieval recall (R@1/5/10), the COCO / Flickr30k protocol (each image has several captions)."""
from __future__ import annotations

from typing import Dict, Sequence

import torch

__all__ = ['retrieval_recall']


def retrieval_recall(image_feats: torch.Tensor, text_feats: torch.Tensor, text_to_image: Sequence[int],
                     ks: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
    """Recall@k in percent for both directions.

    Args:
        image_feats: Normalised ``[N_img, D]``.
        text_feats: Normalised ``[N_txt, D]``.
        text_to_image: For each caption, the index of its image.
        ks: The ks reported.

    Returns:
        ``{'i2t_r1': ..., 't2i_r1': ..., ..., 'mean_recall': ...}``. Image -> text hits when any of the image's
        captions is in the top k; text -> image when the caption's image is.
    """
    owner = torch.as_tensor(list(text_to_image))
    if owner.numel() != text_feats.shape[0] or owner.min() < 0 or owner.max() >= image_feats.shape[0]:
        raise ValueError(f'text_to_image must give an image index in [0, {image_feats.shape[0]}) for each of the '
                         f'{text_feats.shape[0]} captions')
    sim = image_feats @ text_feats.t()  # [N_img, N_txt]
    out: Dict[str, float] = {}
    i2t_rank = sim.argsort(dim=1, descending=True)
    t2i_rank = sim.t().argsort(dim=1, descending=True)
    for k in ks:
        i2t = (owner[i2t_rank[:, :k]] == torch.arange(sim.shape[0])[:, None]).any(1).float().mean().item()
        t2i = (t2i_rank[:, :k] == owner[:, None]).any(1).float().mean().item()
        out[f'i2t_r{k}'], out[f't2i_r{k}'] = i2t * 100, t2i * 100
    out['mean_recall'] = sum(out.values()) / len(out)
    return out
