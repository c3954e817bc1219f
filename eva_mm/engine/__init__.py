"""Training machinery: optimizer constructors and hooks. Importing registers them."""
from . import fsdp, load_from_ema, optimizers, rng_state  # noqa: F401
