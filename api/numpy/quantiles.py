"""Quantiles of irax.numpy: quantile, percentile and median.

The reduced axes are moved last and flattened, each row sorted once (NaNs sort last,
so a row holding one gives NaN, as in NumPy), and the order statistics around each
quantile's position combined by `method`.  `q` may be traced; its range is checked
when it is concrete.
"""
import math

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import structural as st
from irax.core.primitives.sorting import sort
from irax.core.tensor import Tensor
from irax.core.trace import Tracer

from . import ufuncs
from .reductions import _check_ordered, _check_out, _const, _reduced_shape
from .util import asarray_arg, canonical_axes, inexact_dtype, result_type

__all__ = ["median", "percentile", "quantile"]

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _take_columns(x: Tensor, index: Tensor) -> Tensor:
    """`x[:, index]` transposed: for x (B, N) and int index (Q,), an array (Q, B).

    Indices out of [0, N) are clamped.
    """
    numbers = ix.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(1,),
                                        start_index_map=(1,))
    return ix.gather(x, st.reshape(index, (index.shape[0], 1)), numbers, (x.shape[0], 1),
                     mode="clip")


def _quantile(name: str, a, q, axis, method: str, keepdims: bool, scale: float) -> Tensor:
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a, q = asarray_arg(name, a), asarray_arg(name, q)
    _check_ordered(name, a)
    _check_ordered(name, q)
    if not isinstance(q, Tracer) and not np.all((np.asarray(q) >= 0) &
                                                (np.asarray(q) <= scale)):
        raise ValueError(f"{name}: q must lie in [0, {scale:g}]")
    dtype = inexact_dtype(result_type(a, q))
    a, q = ew.convert_element_type(a, dtype), ew.convert_element_type(q, dtype)
    axes = canonical_axes(name, axis, a.ndim)
    n = math.prod(a.shape[i] for i in axes)
    if n == 0:
        raise ValueError(f"{name}: cannot take a quantile over an empty axis (shape "
                         f"{a.shape}, axis {axis})")
    kept = [i for i in range(a.ndim) if i not in axes]
    x = st.reshape(st.transpose(a, kept + list(axes)),
                   (math.prod(a.shape[i] for i in kept), n))
    x = sort(x, dimension=1)
    if scale != 1:
        q = ew.div(q, _const(scale, dtype))
    position = ew.mul(st.reshape(q, (q.size,)), _const(n - 1, dtype))
    index = dtypes.default_int_dtype()

    def at(pos):
        return _take_columns(x, ew.convert_element_type(pos, index))

    low, high = ew.floor(position), ew.ceil(position)
    if method == "lower":
        out = at(low)
    elif method == "higher":
        out = at(high)
    elif method == "nearest":
        out = at(ew.round(position, rounding_method=1))
    elif method == "midpoint":
        out = ew.mul(ew.add(at(low), at(high)), _const(0.5, dtype))
    else:
        out = _lerp(at(low), at(high), st.broadcast_in_dim(
            ew.sub(position, low), (q.size, x.shape[0]), (0,)))
    # NaNs sort last: a row holding one has NaN quantiles, as in NumPy.
    last = st.reshape(st.slice(x, (0, n - 1), (x.shape[0], n)), (x.shape[0],))
    has_nan = st.broadcast_in_dim(ufuncs.isnan(last), out.shape, (1,))
    out = ew.select(has_nan, _const(np.nan, dtype), out)
    out_shape = q.shape + _reduced_shape(a.shape, axes, keepdims)
    return st.reshape(out, out_shape)


def _lerp(lo: Tensor, hi: Tensor, t: Tensor) -> Tensor:
    """NumPy's interpolation: from `lo` for t < 0.5 and from `hi` otherwise (exact ends)."""
    diff = ew.sub(hi, lo)
    one = _const(1, t.dtype)
    from_lo = ew.add(lo, ew.mul(diff, t))
    from_hi = ew.sub(hi, ew.mul(diff, ew.sub(one, t)))
    return ew.select(ew.ge(t, _const(0.5, t.dtype)), from_hi, from_lo)


def quantile(a, q, axis=None, out=None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False) -> Tensor:
    """The `q`-th quantiles of `a` over `axis` (`numpy.quantile`).

    Args:
      a: the array (real); any NaN in a slice makes its quantiles NaN.
      q: quantile(s) in [0, 1], a scalar or an array (checked when concrete).
      axis: None (the flattened array), an int or a tuple of ints.
      out, overwrite_input: NumPy's; `out` must be None.
      method: "linear" (default), "lower", "higher", "nearest" (ties to the even
        index, as NumPy) or "midpoint".
      keepdims: keep the reduced axes with size 1.

    Returns:
      An inexact array of shape `q.shape + reduced shape` (integers give the default
      float).

    Example:
      >>> jnp.quantile(jnp.array([1., 2., 3., 4.]), 0.5)
      Array(2.5, dtype=float32)
    """
    del overwrite_input
    _check_out("quantile", out)
    return _quantile("quantile", a, q, axis, method, keepdims, 1.0)


def percentile(a, q, axis=None, out=None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False) -> Tensor:
    """The `q`-th percentiles (q in [0, 100]) of `a`; otherwise as `quantile`.

    Example:
      >>> jnp.percentile(jnp.array([0., 10.]), 25)
      Array(2.5, dtype=float32)
    """
    del overwrite_input
    _check_out("percentile", out)
    return _quantile("percentile", a, q, axis, method, keepdims, 100.0)


def median(a, axis=None, out=None, overwrite_input: bool = False,
           keepdims: bool = False) -> Tensor:
    """Median over `axis`: the middle value, or the mean of the two middle values.

    Example:
      >>> jnp.median(jnp.array([3, 1, 4, 2]))
      Array(2.5, dtype=float32)
    """
    del overwrite_input
    _check_out("median", out)
    return _quantile("median", a, 0.5, axis, "midpoint", keepdims, 1.0)
