"""Data samplers. Importing registers them in mmengine's root ``DATA_SAMPLERS``."""
from .repeat_factor import RepeatFactorSampler, repeat_factors, stochastic_repeat

__all__ = ['RepeatFactorSampler', 'repeat_factors', 'stochastic_repeat']
