"""``CLIPEvalHook``: hand the model to the CLIP metrics before each test / validation loop.

mmengine metrics never see the model, but zero-shot classification needs its text tower to build the classifier
(once, before the loop, then cached) and retrieval needs it to encode the captions. Any metric with a
``bind_model`` method (:class:`ZeroShotAccuracy`, :class:`CLIPRetrievalRecall`) is bound.
"""
from __future__ import annotations

from typing import Any

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from eva_mm.registry import HOOKS

__all__ = ['CLIPEvalHook']


@HOOKS.register_module()
class CLIPEvalHook(Hook):
    """Bind the (unwrapped) model to every metric of the evaluator with ``bind_model``."""

    priority = 'LOW'

    @staticmethod
    def _bind(runner: Any, evaluator: Any) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for metric in getattr(evaluator, 'metrics', ()):
            if hasattr(metric, 'bind_model'):
                metric.bind_model(model)

    def before_test_epoch(self, runner: Any) -> None:
        """Bind before testing (the zero-shot classifier is built here)."""
        self._bind(runner, runner.test_evaluator)

    def before_val_epoch(self, runner: Any) -> None:
        """Bind before each validation (the classifier is rebuilt from the current weights)."""
        self._bind(runner, runner.val_evaluator)
