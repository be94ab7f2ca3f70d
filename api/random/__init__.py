"""irax.random: JAX's functional pseudo-random numbers (`jax.random`).

Randomness is explicit: a key (a uint32 array of shape (2,), from `PRNGKey(seed)`)
goes into every sampler, the same key always gives the same numbers, and `split` /
`fold_in` make new independent keys.  The generator is Threefry-2x32, written with
lax primitives so that draws trace, differentiate through and compile like any
other computation, and agree with current JAX's for the same key (its partitionable
scheme, `jax_threefry_partitionable=True`, the default since JAX 0.5).

    key = irax.random.PRNGKey(0)
    key, subkey = irax.random.split(key)
    x = irax.random.normal(subkey, (3, 2))
"""
from .continuous import *
from .continuous import __all__ as _continuous
from .counts import *
from .counts import __all__ as _counts
from .discrete import *
from .discrete import __all__ as _discrete
from .distributions import *
from .distributions import __all__ as _distributions
from .keys import *
from .keys import __all__ as _keys

__all__ = [*_keys, *_continuous, *_counts, *_discrete, *_distributions]
