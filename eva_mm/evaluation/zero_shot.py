"""Zero-shot classification with a CLIP model (arXiv 2103.00020 §3.1.4): one text classifier, built once.

Class names x prompt templates are encoded, normalised, averaged over templates and renormalised (OpenAI's
prompt ensembling); images are then scored by cosine similarity. The 80 OpenAI ImageNet templates come from
mmseg (``mmseg.utils.get_templates``, set ``'imagenet'``), a runtime dependency. (mmpretrain's copy sits in a
package that fails to import without ``transformers``.)
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmseg.utils.get_templates import get_predefined_templates

from eva_mm.models.clip import tokenize
from eva_mm.registry import METRICS

__all__ = ['OPENAI_IMAGENET_TEMPLATES', 'build_zero_shot_classifier', 'ZeroShotAccuracy', 'classname_set']

Template = Union[str, Callable[[str], str]]
#: The OpenAI ImageNet prompt templates (80), ``'{}'``-format strings.
OPENAI_IMAGENET_TEMPLATES: List[str] = list(get_predefined_templates('imagenet'))


def classname_set(name: str) -> List[str]:
    """A named list of class names: ``'imagenet'``, OpenAI's cleaned ImageNet-1K names (mmpretrain's
    ``IMAGENET_SIMPLE_CATEGORIES``, equal to the list in github:baaivision/EVA
    ``EVA-CLIP/rei/training/imagenet_zeroshot_data.py``)."""
    if name == 'imagenet':
        from mmpretrain.datasets.categories import IMAGENET_SIMPLE_CATEGORIES
        return list(IMAGENET_SIMPLE_CATEGORIES)
    raise KeyError(f"unknown class-name set {name!r}; known: 'imagenet' (or give a list of names)")


def _fill(template: Template, name: str) -> str:
    return template.format(name) if isinstance(template, str) else template(name)


@torch.no_grad()
def build_zero_shot_classifier(model: Any, classnames: Sequence[str],
                               templates: Sequence[Template] = OPENAI_IMAGENET_TEMPLATES,
                               batch_size: int = 256) -> torch.Tensor:
    """``[embed_dim, num_classes]`` classifier: per class, the renormalised mean of its normalised prompt embeddings.

    Args:
        model: Anything with ``encode_text(token_ids [N, L]) -> [N, D]`` (an :class:`~eva_mm.models.clip.EVACLIP`).
        classnames: Class names, in label order.
        templates: ``'{}'``-format strings or callables ``name -> prompt``.
        batch_size: Prompts encoded per forward.
    """
    if not classnames or not templates:
        raise ValueError('build_zero_shot_classifier needs at least one class name and one template')
    device = next(model.parameters()).device
    context = getattr(getattr(model, 'text', None), 'context_length', 77)
    prompts = [_fill(t, c) for c in classnames for t in templates]
    was_training = getattr(model, 'training', False)
    if was_training:
        model.eval()  # the text tower has no dropout, but a caller's model may (and must not be left changed)
    try:
        feats = torch.cat([model.encode_text(tokenize(prompts[i:i + batch_size], context).to(device))
                           for i in range(0, len(prompts), batch_size)])
    finally:
        if was_training:
            model.train()
    feats = F.normalize(feats, dim=-1).view(len(classnames), len(templates), -1).mean(dim=1)
    return F.normalize(feats, dim=-1).t()


@METRICS.register_module()
class ZeroShotAccuracy(BaseMetric):
    """Top-k accuracy of normalised image features ``[D]`` (the model's ``predict`` output) against a classifier.

    The classifier is given directly, or built from the model passed to :meth:`bind_model`; under
    ``tools/test.py`` the :class:`~eva_mm.evaluation.CLIPEvalHook` binds the model and builds it once before the
    test loop (again before each validation, as the weights change), then it is cached.

    Args:
        classnames: Class names in label order, or the name of a set (``'imagenet'``, see :func:`classname_set`).
        templates: Prompt templates (default: the 80 OpenAI ImageNet templates).
        topk: The ks reported as ``top{k}``.
        classifier: A prebuilt ``[D, C]`` classifier (skips text encoding).
    """
    default_prefix = 'zero_shot'

    def __init__(self, classnames: Union[str, Sequence[str]] = (),
                 templates: Sequence[Template] = OPENAI_IMAGENET_TEMPLATES, topk: Sequence[int] = (1, 5),
                 classifier: Optional[torch.Tensor] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(classnames, str):
            classnames = classname_set(classnames)
        self.classnames, self.templates, self.topk = list(classnames), list(templates), tuple(topk)
        self.classifier = classifier
        self._given = classifier is not None
        self._model = None

    def bind_model(self, model: Any) -> None:
        """Build the classifier now from ``model``'s text tower (unless one was given) and cache it."""
        self._model = model
        if not self._given:
            self.classifier = None
            self._get_classifier()

    def _get_classifier(self) -> torch.Tensor:
        if self.classifier is None:
            if self._model is None:
                raise RuntimeError('ZeroShotAccuracy: give classifier= or call bind_model(model) first')
            self.classifier = build_zero_shot_classifier(self._model, self.classnames, self.templates).cpu()
        return self.classifier

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """``data_samples``: normalised image features ``[B, D]`` (or a list of ``[D]``); labels from the batch's
        data samples (``gt_label`` / ``label``)."""
        feats = torch.stack([torch.as_tensor(f) for f in data_samples]).float().cpu()
        scores = feats @ self._get_classifier()
        for s, ds in zip(scores, data_batch['data_samples']):
            label = ds.get('gt_label', ds.get('label')) if isinstance(ds, dict) else ds.gt_label
            self.results.append((s, int(torch.as_tensor(label).reshape(-1)[0])))

    def compute_metrics(self, results: List[Any]) -> dict:
        """``{'top1': %, 'top5': %}``."""
        scores = torch.stack([r[0] for r in results])
        labels = torch.tensor([r[1] for r in results])
        k_max = min(max(self.topk), scores.shape[1])
        hit = scores.topk(k_max, dim=1).indices == labels[:, None]
        return {f'top{k}': hit[:, :min(k, k_max)].any(1).float().mean().item() * 100 for k in self.topk}
