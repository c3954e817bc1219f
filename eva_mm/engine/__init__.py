"""Training machinery: optimizer constructors and hooks. Importing registers them."""
from . import fsdp, optimizers  # noqa: F401
