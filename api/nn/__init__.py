"""irax.nn: neural-network activation and normalization functions (`jax.nn`).

Activations (relu, gelu, softplus, ...) are elementwise; softmax, log_softmax and
logsumexp subtract the maximum first so that they are stable for large inputs.

    irax.nn.softmax(jnp.array([1000., 1000.]))   # [0.5, 0.5], no overflow
"""
from . import initializers  # noqa: F401  (irax.nn.initializers)
from .attention import *
from .attention import __all__ as _attention
from .activations import *
from .activations import __all__ as _activations
from .functions import *
from .functions import __all__ as _functions

__all__ = [*_activations, *_attention, *_functions]
