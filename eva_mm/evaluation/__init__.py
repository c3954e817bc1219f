"""Evaluation: mmdet's LVIS / COCO metrics with the recipes' LVIS `max_dets` and a faster exact evaluator."""
from .clip_eval_hook import CLIPEvalHook
from .fast_eval import coco_eval_fields, limit_dets_per_image, lvis_eval_fields
from .metrics import EVACocoMetric, EVALVISMetric
from .retrieval import CLIPRetrievalRecall, retrieval_recall
from .zero_shot import OPENAI_IMAGENET_TEMPLATES, ZeroShotAccuracy, build_zero_shot_classifier

__all__ = ['EVACocoMetric', 'EVALVISMetric', 'coco_eval_fields', 'limit_dets_per_image', 'lvis_eval_fields',
           'OPENAI_IMAGENET_TEMPLATES', 'ZeroShotAccuracy', 'build_zero_shot_classifier', 'retrieval_recall',
           'CLIPEvalHook', 'CLIPRetrievalRecall']
