"""Normalizing functions of irax.nn: softmax, log_softmax, logsumexp, one_hot and
standardize, with JAX's definitions.

Softmax-type functions subtract the maximum (under `stop_gradient`, as in JAX) before
exponentiating, so they neither overflow nor lose the large terms.  An optional
boolean `where` mask excludes entries from the reductions.
"""
import math
import operator

import numpy as np

import irax.numpy as jnp
from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor
from irax.numpy.util import (
    asarray_arg,
    broadcast_to_shape,
    canonical_axes,
    canonical_axis,
    promote_args_inexact,
)

__all__ = ["softmax", "log_softmax", "logsumexp", "logmeanexp", "one_hot", "standardize",
           "normalize"]



def _full_shape(x: Tensor, axes: tuple, ndim: int) -> list:
    sizes = iter(x.shape)
    return [1 if i in axes else next(sizes) for i in range(ndim)]


def _mask(name: str, where, shape: tuple) -> Tensor | None:
    if where is None:
        return None
    mask = asarray_arg(name, where)
    if mask.dtype != dtypes.bool_:
        mask = ew.ne(mask, np.zeros((), mask.dtype))
    return broadcast_to_shape(mask, shape)


def _masked(x: Tensor, mask: Tensor | None, fill) -> Tensor:
    return x if mask is None else jnp.where(mask, x, fill)


def _max(x: Tensor, axes: tuple, mask) -> Tensor:
    """max over `axes` (kept as size 1) of the unmasked entries; -inf where none."""
    out = red.reduce_max(_masked(x, mask, -np.inf), axes)
    return st.reshape(out, _full_shape(out, axes, x.ndim))


def _sum(x: Tensor, axes: tuple, mask) -> Tensor:
    """sum over `axes` (kept as size 1) of the unmasked entries."""
    out = red.reduce_sum(_masked(x, mask, 0), axes)
    return st.reshape(out, _full_shape(out, axes, x.ndim))


def _drop(x: Tensor, axes: tuple) -> Tensor:
    return st.reshape(x, [d for i, d in enumerate(x.shape) if i not in axes])


def softmax(x, axis=-1, where=None) -> Tensor:
    """Softmax, `exp(x - max) / sum(exp(x - max))` along `axis`.

    Args:
      x: input array.
      axis: an axis or a tuple of axes to normalize over (None: all).
      where: optional boolean mask; masked-out entries get 0 and do not count.

    Returns:
      An array of `x`'s shape (floating) that sums to 1 along `axis`.

    Example:
      >>> irax.nn.softmax(jnp.array([1000., 1000.]))
      Array([0.5, 0.5], dtype=float32)
    """
    (x,) = promote_args_inexact("softmax", x)
    axes = canonical_axes("softmax", axis, x.ndim)
    mask = _mask("softmax", where, x.shape)
    x_max = ew.stop_gradient(_max(x, axes, mask))
    unnormalized = jnp.exp(_masked(x, mask, -np.inf) - x_max)
    result = unnormalized / _sum(unnormalized, axes, mask)
    return _masked(result, mask, 0)


def log_softmax(x, axis=-1, where=None) -> Tensor:
    """Log of the softmax, `x - max - log(sum(exp(x - max)))` along `axis`.

    Args:
      x: input array.
      axis: an axis or a tuple of axes to normalize over (None: all).
      where: optional boolean mask; masked-out entries get -inf and do not count.

    Example:
      >>> irax.nn.log_softmax(jnp.array([0., 1000.]))
      Array([-1000.,     0.], dtype=float32)
    """
    (x,) = promote_args_inexact("log_softmax", x)
    axes = canonical_axes("log_softmax", axis, x.ndim)
    mask = _mask("log_softmax", where, x.shape)
    shifted = _masked(x, mask, -np.inf) - ew.stop_gradient(_max(x, axes, mask))
    result = shifted - jnp.log(_sum(jnp.exp(shifted), axes, mask))
    return _masked(result, mask, -np.inf)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """`log(sum(b * exp(a)))` over `axis`, computed without overflow.

    The maximum of `a` is subtracted before exponentiating (under `stop_gradient`;
    infinite maxima are replaced by 0), as `jax.nn.logsumexp` does.

    Args:
      a: input array.
      axis: an axis or a tuple of axes to reduce (None: all).
      b: optional scaling factors, broadcast with `a`; may be negative.
      keepdims: keep the reduced axes with size 1.
      return_sign: also return the sign of the sum; without it a negative sum
        gives NaN.
      where: optional boolean mask of the entries to include.

    Returns:
      The log of the absolute sum, or `(log_abs_sum, sign)` with `return_sign`.

    Example:
      >>> irax.nn.logsumexp(jnp.array([1000., 1000.]))
      Array(1000.6932, dtype=float32)
    """
    if b is None:
        (a,) = promote_args_inexact("logsumexp", a)
    else:
        a, b = promote_args_inexact("logsumexp", a, b)
        a = jnp.where(b != 0, a, -np.inf)
    axes = canonical_axes("logsumexp", axis, a.ndim)
    mask = _mask("logsumexp", where, a.shape)
    is_complex = dtypes.is_complex(a.dtype)
    amax = _max(jnp.real(a) if is_complex else a, axes, mask)
    amax = ew.stop_gradient(jnp.where(jnp.isfinite(amax), amax, 0))
    exp_a = jnp.exp(a - amax)
    if b is not None:
        exp_a = exp_a * b
    sumexp = _sum(exp_a, axes, mask)
    sign = jnp.sign(sumexp)
    if return_sign or not is_complex:
        sumexp = jnp.abs(sumexp)
    out = jnp.log(sumexp) + amax
    if not keepdims:
        out, sign = _drop(out, axes), _drop(sign, axes)
    if return_sign:
        return out, sign
    if b is not None and not is_complex:
        out = jnp.where(sign < 0, np.nan, out)
    return out


def logmeanexp(x, axis=None, where=None, keepdims: bool = False) -> Tensor:
    """`log(mean(exp(x)))` over `axis`, computed without overflow (`jax.nn.logmeanexp`):
    `logsumexp` minus the log of the number of entries reduced (those `where` selects).

    Example:
      >>> irax.nn.logmeanexp(jnp.array([1000., 1000.]))
      Array(1000., dtype=float32)
    """
    (x,) = promote_args_inexact("logmeanexp", x)
    axes = canonical_axes("logmeanexp", axis, x.ndim)
    mask = _mask("logmeanexp", where, x.shape)
    if mask is None:
        count = math.prod(x.shape[a] for a in axes)
    else:
        count = jnp.sum(jnp.broadcast_to(mask, x.shape), axis=axes, keepdims=keepdims,
                        dtype=x.dtype)
    return logsumexp(x, axis=axis, keepdims=keepdims, where=where) - jnp.log(count)


def one_hot(x, num_classes: int, *, dtype=None, axis: int = -1) -> Tensor:
    """One-hot encoding of integer indices: `x[..., None] == arange(num_classes)`.

    Indices outside [0, num_classes) give all-zero rows.

    Args:
      x: an array of indices.
      num_classes: the number of classes (a concrete int).
      dtype: the result dtype; default float32 (float64 with x64), as JAX.
      axis: where the new class axis goes in the output.

    Returns:
      An array of shape `x.shape` with `num_classes` inserted at `axis`.

    Example:
      >>> irax.nn.one_hot(jnp.array([0, 2]), 3)
      Array([[1., 0., 0.],
             [0., 0., 1.]], dtype=float32)
    """
    try:
        num_classes = operator.index(num_classes)
    except TypeError:
        raise TypeError(f"one_hot: num_classes must be a concrete int, got "
                        f"{type(num_classes).__name__}") from None
    x = asarray_arg("one_hot", x)
    dtype = dtypes.default_float_dtype() if dtype is None else dtypes.canonicalize_dtype(
        dtypes.to_dtype(dtype))
    out_axis = canonical_axis("one_hot", axis, x.ndim + 1)
    shape = list(x.shape)
    shape.insert(out_axis, num_classes)
    lhs = broadcast_to_shape(st.expand_dims(x, (out_axis,)), tuple(shape))
    rhs = st.broadcasted_iota(x.dtype, shape, out_axis)
    return ew.convert_element_type(ew.eq(lhs, rhs), dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None) -> Tensor:
    """`(x - mean) / sqrt(variance + epsilon)` with statistics over `axis`.

    As in JAX, a missing `variance` is `mean(x**2) - mean**2`.

    Args:
      x: input array.
      axis: an axis or a tuple of axes for the statistics (None: all).
      mean, variance: precomputed statistics (broadcastable to `x`).
      epsilon: added to the variance.
      where: optional boolean mask of the entries the statistics use.

    Example:
      >>> irax.nn.standardize(jnp.array([1., 3.]))
      Array([-0.999995,  0.999995], dtype=float32)
    """
    (x,) = promote_args_inexact("standardize", x)
    axes = canonical_axes("standardize", axis, x.ndim)
    mask = _mask("standardize", where, x.shape)
    count = (_sum(jnp.ones_like(x), axes, mask) if mask is not None
             else float(np.prod([x.shape[i] for i in axes])))
    if mean is None:
        mean = _sum(x, axes, mask) / count
    if variance is None:
        variance = _sum(jnp.square(x), axes, mask) / count - jnp.square(mean)
    return (x - mean) * ew.rsqrt(asarray_arg("standardize", variance) + epsilon)


normalize = standardize
