"""Losses. Importing registers them in mmengine's root ``MODELS``."""
from .federated_loss import FederatedLoss, fed_loss_classes, load_class_image_counts

__all__ = ['FederatedLoss', 'fed_loss_classes', 'load_class_image_counts']
