"""Image <-> text retrieval recall (R@1/5/10), the COCO / Flickr30k protocol (each image has several captions)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from eva_mm.models.clip import tokenize
from eva_mm.registry import METRICS

__all__ = ['retrieval_recall', 'CLIPRetrievalRecall']


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


@METRICS.register_module()
class CLIPRetrievalRecall(BaseMetric):
    """Image <-> text R@k of a CLIP model over a caption data set (COCO / Flickr30k, test mode: one sample per
    image with all its captions, as mmpretrain's ``COCORetrieval`` / ``Flickr30kRetrieval``).

    ``process`` keeps each image's normalised feature (the model's ``predict`` output) and its captions (the data
    sample's ``text`` list); ``compute_metrics`` encodes every caption once with the model bound by
    :meth:`bind_model` (:class:`~eva_mm.evaluation.CLIPEvalHook` does it) and ranks both ways.

    Args:
        ks: The ks reported (``i2t_r{k}``, ``t2i_r{k}``, and their ``mean_recall``).
        batch_size: Captions encoded per forward.
    """
    default_prefix = 'retrieval'

    def __init__(self, ks: Sequence[int] = (1, 5, 10), batch_size: int = 256, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ks, self.batch_size = tuple(ks), batch_size
        self._model = None

    def bind_model(self, model: Any) -> None:
        """The CLIP model whose text tower encodes the captions."""
        self._model = model

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep ``(image feature [D], captions)`` per image."""
        for feat, ds in zip(data_samples, data_batch['data_samples']):
            texts = ds.get('text') if isinstance(ds, dict) else ds.text
            if isinstance(texts, str):
                texts = [texts]
            if not texts:
                raise ValueError(f'CLIPRetrievalRecall: image {getattr(ds, "img_path", "?")} has no captions')
            self.results.append((torch.as_tensor(feat).float().cpu(), list(texts)))

    @torch.no_grad()
    def compute_metrics(self, results: List[Any]) -> Dict[str, float]:
        """R@k in percent: ``{'i2t_r1', 't2i_r1', ..., 'mean_recall'}``."""
        if self._model is None:
            raise RuntimeError('CLIPRetrievalRecall: call bind_model(model) first (add CLIPEvalHook to custom_hooks)')
        image_feats = torch.stack([r[0] for r in results])
        captions = [c for _, caps in results for c in caps]
        owner = [i for i, (_, caps) in enumerate(results) for _ in caps]
        model = self._model
        device = next(model.parameters()).device
        context = getattr(getattr(model, 'text', None), 'context_length', 77)
        text_feats = torch.cat([
            model.encode_text(tokenize(captions[i:i + self.batch_size], context).to(device), normalize=True).cpu()
            for i in range(0, len(captions), self.batch_size)]).float()
        return retrieval_recall(image_feats, text_feats, owner, self.ks)
