"""Samplers of discrete distributions and random orderings: bernoulli, randint,
categorical, choice, permutation (and the deprecated shuffle).

The algorithms are JAX's, so the same key gives the same draws: randint reduces two
words of random bits modulo the span, categorical is the Gumbel-max trick, and
permutations sort by random 32-bit keys (stable sort, enough rounds that ties are
negligible).
"""
import math
import warnings

import numpy as np

import irax.numpy as jnp
from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import sorting
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor
from irax.numpy.util import asarray_arg, broadcast_to_shape, canonical_axis, promote_args_inexact

from .continuous import check_broadcast, constant, gumbel, uniform_floats
from .keys import canonical_shape, check_key, random_bits, split_keys
from .portable_math import in_float32, log, opaque_zero, product, runtime_value

__all__ = ["bernoulli", "categorical", "choice", "permutation", "randint", "shuffle"]

_HALF = np.float32(0.5)   # JAX's default p: float32 even with x64
_UINT_DTYPES = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}


def bernoulli(key, p=_HALF, shape=None) -> Tensor:
    """Bernoulli samples: True with probability `p` (`jax.random.bernoulli`).

    Args:
      key: a PRNG key.
      p: the probability of True, a float scalar or array (default float32 0.5).
      shape: the output shape; default `p`'s shape. Must be broadcast-compatible.

    Returns:
      A bool array of `shape`.

    Example:
      >>> irax.random.bernoulli(irax.random.PRNGKey(0), 0.5, (4,))
      Array([False, False,  True,  True], dtype=bool)
    """
    key = check_key("bernoulli", key)
    p = asarray_arg("bernoulli", p)
    if not dtypes.is_float(p.dtype):
        raise TypeError(f"bernoulli: probability p must have a floating dtype, got {p.dtype}")
    if shape is None:
        shape = p.shape
    else:
        shape = canonical_shape("bernoulli", shape)
        check_broadcast("bernoulli", shape, p.shape)
    u = uniform_floats(key, shape, p.dtype, 0.0, 1.0)
    return ew.lt(u, broadcast_to_shape(p, shape) if p.shape else p)


def _integer_bound(x: Tensor) -> Tensor:
    return x if dtypes.is_integer(x.dtype) else ew.convert_element_type(
        x, dtypes.default_int_dtype())


def _clip_to_dtype(x: Tensor, dtype) -> Tensor:
    """Integer `x` converted to the integer `dtype`, saturating instead of wrapping."""
    if x.dtype == dtype:
        return x
    lo = max(dtypes.iinfo(dtype).min, dtypes.iinfo(x.dtype).min)
    hi = min(dtypes.iinfo(dtype).max, dtypes.iinfo(x.dtype).max)
    return ew.convert_element_type(
        ew.clamp(constant(lo, x.dtype), x, constant(hi, x.dtype)), dtype)


def _rem(x: Tensor, span: Tensor) -> Tensor:
    """`x % span` for unsigned ints, with `x % 0 = x` (a span of 2**nbits wrapped to 0)."""
    zero = ew.eq(span, constant(0, span.dtype))
    safe = ew.select(zero, constant(1, span.dtype), span)
    return ew.select(zero, x, ew.rem(x, safe))


def randint(key, shape, minval, maxval, dtype=int) -> Tensor:
    """Uniform integers in [minval, maxval) (`jax.random.randint`).

    Bounds outside `dtype`'s range are clipped to it (so `randint(k, s, 0, 256,
    'uint8')` covers every uint8); where `maxval <= minval` the result is `minval`.
    The offset is two words of random bits modulo the span; as in JAX, 8- and
    16-bit integers are drawn as int32 (less modulo bias) and then cast.

    Args:
      key: a PRNG key.
      shape: the output shape.
      minval, maxval: integer bounds, scalars or arrays broadcastable to `shape`.
      dtype: an integer dtype; default int32 (int64 with x64).

    Returns:
      An array of `shape` and `dtype`.

    Example:
      >>> irax.random.randint(irax.random.PRNGKey(0), (3,), 0, 10)
      Array([9, 0, 2], dtype=int32)
    """
    key = check_key("randint", key)
    shape = canonical_shape("randint", shape)
    dtype = dtypes.canonicalize_dtype(dtypes.to_dtype(dtype))
    if not dtypes.is_integer(dtype):
        raise TypeError(f"randint: dtype must be an integer dtype, got {dtype}")
    minval = _integer_bound(asarray_arg("randint", minval))
    maxval = _integer_bound(asarray_arg("randint", maxval))
    check_broadcast("randint", shape, minval.shape, maxval.shape)
    if dtype.itemsize >= 4:
        return _randint(key, shape, minval, maxval, dtype)
    info, int32 = dtypes.iinfo(dtype), np.dtype(np.int32)
    lo, hi = (ew.clamp(constant(info.min, int32), _clip_to_dtype(bound, int32),
                       constant(top, int32))
              for bound, top in ((minval, info.max), (maxval, info.max + 1)))
    return ew.convert_element_type(_randint(key, shape, lo, hi, int32), dtype)


def _randint(key: Tensor, shape: tuple, minval: Tensor, maxval: Tensor, dtype) -> Tensor:
    """`randint` for a 32- or 64-bit `dtype`, after argument checks."""
    top = _clip_to_dtype(constant(dtypes.iinfo(dtype).max, dtype), maxval.dtype)
    maxval_out_of_range = ew.gt(maxval, top)
    lo, hi = _clip_to_dtype(minval, dtype), _clip_to_dtype(maxval, dtype)
    out_of_range, lo, hi = (broadcast_to_shape(x, shape) if x.shape else x
                            for x in (maxval_out_of_range, lo, hi))

    nbits = dtype.itemsize * 8
    unsigned = _UINT_DTYPES[nbits]
    higher_bits, lower_bits = (random_bits(k, nbits, shape) for k in split_keys(key, 2))
    span = ew.convert_element_type(ew.sub(hi, lo), unsigned)
    span = ew.select(ew.le(hi, lo), constant(1, unsigned), span)
    span = ew.select(ew.bitwise_and(out_of_range, ew.gt(hi, lo)),
                     ew.add(span, constant(1, unsigned)), span)
    # (higher * 2**nbits + lower) % span, with 2**nbits % span computed without overflow.
    multiplier = _rem(constant(2 ** (nbits // 2), unsigned), span)
    multiplier = _rem(ew.mul(multiplier, multiplier), span)
    offset = ew.add(ew.mul(_rem(higher_bits, span), multiplier),
                         _rem(lower_bits, span))
    offset = _rem(offset, span)
    return ew.add(lo, ew.convert_element_type(offset, dtype))


def categorical(key, logits, axis: int = -1, shape=None) -> Tensor:
    """Samples category indices with probabilities `softmax(logits)` along `axis`.

    Gumbel-max trick: the argmax of `logits + gumbel noise` (`jax.random.categorical`).

    Args:
      key: a PRNG key.
      logits: unnormalized log-probabilities; `axis` indexes the categories.
      axis: the category axis.
      shape: the output shape, which must end with the batch shape (`logits.shape`
        without `axis`); default the batch shape.

    Returns:
      An int array (int32, or int64 with x64) of `shape`.

    Example:
      >>> logits = jnp.log(jnp.array([0.2, 0.8]))
      >>> irax.random.categorical(irax.random.PRNGKey(0), logits, shape=(4,))
      Array([1, 1, 1, 1], dtype=int32)
    """
    key = check_key("categorical", key)
    (logits,) = promote_args_inexact("categorical", logits)
    if logits.ndim == 0:
        raise ValueError("categorical: logits must have at least one dimension")
    axis = canonical_axis("categorical", axis, logits.ndim) - logits.ndim
    batch_shape = tuple(np.delete(logits.shape, axis))
    shape = batch_shape if shape is None else canonical_shape("categorical", shape)
    check_broadcast("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    noise_shape = list(shape[len(prefix):])
    noise_shape.insert(axis % logits.ndim, logits.shape[axis])
    noise_shape = (*prefix, *noise_shape)
    noise = gumbel(key, noise_shape, logits.dtype)
    expanded = st.reshape(logits, (1,) * len(prefix) + logits.shape)
    scores = ew.add(noise, broadcast_to_shape(expanded, noise_shape))
    return red.argmax(scores, axis % len(noise_shape), dtypes.default_int_dtype())


def _shuffle(key: Tensor, x: Tensor, axis: int, independent: bool) -> Tensor:
    """Sorts `x` along `axis` by random keys: one key per element when `independent`,
    else one per position along `axis` (every slice gets the same permutation)."""
    key_shape = x.shape if independent else (x.shape[axis],)
    size = math.prod(key_shape)
    rounds = math.ceil(3 * math.log(max(1, size)) / math.log(2**32 - 1))
    for _ in range(rounds):
        key, subkey = split_keys(key, 2)
        sort_keys = random_bits(subkey, 32, key_shape)
        if not independent:
            sort_keys = st.broadcast_in_dim(sort_keys, x.shape, (axis,))
        _, x = sorting.sort_key_val(sort_keys, x, axis)
    return x


def _concrete_count(name: str, x: Tensor) -> int:
    if not dtypes.is_integer(x.dtype):
        raise TypeError(f"{name}: a scalar x must be an integer, got {x.dtype}")
    return int(np.asarray(x))


def permutation(key, x, axis: int = 0, independent: bool = False) -> Tensor:
    """A random permutation of `arange(x)` or of `x` along `axis`.

    Args:
      key: a PRNG key.
      x: an int n (permutes `arange(n)`; must be concrete) or an array.
      axis: the axis to permute along.
      independent: permute each 1-D slice along `axis` independently (default:
        one permutation for all slices, i.e. a shuffle of the index along `axis`).

    Returns:
      The permuted array.

    Example:
      >>> irax.random.permutation(irax.random.PRNGKey(0), 5)
      Array([0, 1, 4, 3, 2], dtype=int32)
    """
    key = check_key("permutation", key)
    x = asarray_arg("permutation", x)
    if x.ndim == 0:
        n = _concrete_count("permutation", x)
        return _shuffle(key, st.iota(dtypes.default_int_dtype(), n), 0, True)
    axis = canonical_axis("permutation", axis, x.ndim)
    return _shuffle(key, x, axis, independent or x.ndim == 1)


def shuffle(key, x, axis: int = 0) -> Tensor:
    """Deprecated: use `permutation(key, x, axis, independent=True)`, which it calls.

    Example:
      >>> irax.random.shuffle(irax.random.PRNGKey(0), jnp.arange(3)).shape  # doctest: +SKIP
      (3,)
    """
    warnings.warn("irax.random.shuffle is deprecated; use irax.random.permutation with "
                  "independent=True", DeprecationWarning, stacklevel=2)
    key = check_key("shuffle", key)
    x = asarray_arg("shuffle", x)
    return _shuffle(key, x, canonical_axis("shuffle", axis, x.ndim), True)


def _searchsorted_left(sorted_1d: Tensor, values: Tensor) -> Tensor:
    """For each value, the number of `sorted_1d` entries below it (NumPy's 'left')."""
    n = sorted_1d.shape[0]
    grid = values.shape + (n,)
    table = st.broadcast_in_dim(sorted_1d, grid, (len(grid) - 1,))
    column = st.broadcast_in_dim(values, grid, tuple(range(values.ndim)))
    below = ew.convert_element_type(ew.lt(table, column), dtypes.default_int_dtype())
    return red.reduce_sum(below, (len(grid) - 1,))


def choice(key, a, shape=(), replace: bool = True, p=None, axis: int = 0) -> Tensor:
    """Random samples from `a` (or from `arange(a)` for an int `a`) (`jax.random.choice`).

    Args:
      key: a PRNG key.
      a: an int n (samples from `arange(n)`; must be concrete) or an array, sampled
        along `axis`.
      shape: the shape of the draw.
      replace: sample with replacement.
      p: probabilities of the entries of `a` along `axis` (default uniform).
      axis: the axis of `a` to sample along.

    Returns:
      For an int `a`, indices of `shape`; otherwise `a` with the `axis` dimension
      replaced by `shape`.

    Example:
      >>> irax.random.choice(irax.random.PRNGKey(0), 5, (3,), replace=False).shape
      (3,)
    """
    key = check_key("choice", key)
    shape = canonical_shape("choice", shape)
    arr = asarray_arg("choice", a)
    if arr.ndim == 0:
        n = _concrete_count("choice", arr)
        out_shape = shape
    else:
        axis = canonical_axis("choice", axis, arr.ndim)
        n = arr.shape[axis]
        out_shape = arr.shape[:axis] + shape + arr.shape[axis + 1:]
    draws = math.prod(shape)
    if draws == 0:
        dtype = dtypes.default_int_dtype() if arr.ndim == 0 else arr.dtype
        return ArrayImpl(np.zeros(out_shape, dtype))
    if n <= 0:
        raise ValueError("choice: a must be greater than 0 unless no samples are taken")
    if not replace and draws > n:
        raise ValueError(f"choice: cannot take a larger sample (size {draws}) than the "
                         f"population (size {n}) when replace=False")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n)
        else:
            ind = st.slice(permutation(key, n), (0,), (draws,))
    else:
        (p,) = promote_args_inexact("choice", p)
        if p.shape != (n,):
            raise ValueError(f"choice: p must be None or a 1-D vector of the size of "
                             f"a.shape[axis] ({n}), got shape {p.shape}")
        if replace:
            cumulative = red.cumsum(p, 0)
            total = st.reshape(st.slice(cumulative, (n - 1,), (n,)), ())
            u = uniform_floats(key, shape, p.dtype, 0.0, 1.0)
            r = product(total, ew.sub(constant(1, p.dtype), u), opaque_zero(u))
            ind = _searchsorted_left(cumulative, r)
        else:
            log_p = in_float32(log, runtime_value(p, key))
            scores = ew.add(gumbel(key, (n,), p.dtype), log_p)
            order = sorting.sort_key_val(ew.neg(scores),
                                         st.iota(dtypes.default_int_dtype(), n))[1]
            ind = st.slice(order, (0,), (draws,))
    ind = st.reshape(ind, shape)
    return ind if arr.ndim == 0 else jnp.take(arr, ind, axis=axis)
