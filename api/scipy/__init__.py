"""irax.scipy: SciPy's linear algebra and special functions, as `jax.scipy`."""
from . import linalg, special  # noqa: F401
