"""Training machinery: optimizer constructors and hooks. Importing registers them."""
from . import optimizers  # noqa: F401
