"""Losses. Importing registers them in mmengine's root ``MODELS``."""
from .cosine_similarity import NegativeCosineSimilarityLoss, negative_cosine_similarity
from .federated_loss import FederatedLoss, fed_loss_classes, load_class_image_counts

__all__ = ['FederatedLoss', 'fed_loss_classes', 'load_class_image_counts', 'NegativeCosineSimilarityLoss',
           'negative_cosine_similarity']
