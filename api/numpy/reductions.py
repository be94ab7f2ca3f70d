"""Reductions of irax.numpy: sums, extrema, statistics, cumulative sums, their
NaN-ignoring variants and whole-array comparisons (quantiles are in `quantiles`).

NumPy's signatures (axis as None, an int or a tuple, negative allowed; keepdims;
dtype; where=; initial=) with JAX's dtypes: sums and products of bools and small
integers give the default integer, means and variances of integers the default
float, arg-reductions the default integer; float16 and bfloat16 accumulate in float32.
"""
import builtins
import math

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor

from . import ufuncs
from .util import (
    asarray_arg,
    broadcast_shapes,
    broadcast_to_shape,
    canonical_axes,
    canonical_axis,
    canonical_dtype,
    inexact_dtype,
    result_type,
)

__all__ = [
    "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "array_equal", "array_equiv",
    "average", "count_nonzero", "cumprod", "cumsum", "cumulative_prod", "cumulative_sum", "max",
    "mean", "min", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean",
    "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "prod", "ptp", "std", "sum", "var",
]


# ---- helpers ----------------------------------------------------------------------

def _check_out(name: str, out) -> None:
    if out is not None:
        raise NotImplementedError(f"{name}: the `out` argument is not supported (irax arrays "
                                  "are immutable); use the returned array")


def _const(value, dtype) -> ArrayImpl:
    """A 0-d constant of `dtype` (lifted into any transform that meets it)."""
    return ArrayImpl(np.array(value, dtype))


def _accumulation(dtype: np.dtype) -> np.dtype:
    """The dtype a reduction computes in: float16 and bfloat16 accumulate in float32."""
    return dtypes.float32 if dtype in (dtypes.float16, dtypes.bfloat16) else dtype


def _promoted_int(dtype: np.dtype) -> np.dtype:
    """JAX's sum/prod result for `dtype`: bools and narrow ints widen to the default."""
    default = dtypes.default_int_dtype()
    if dtype == dtypes.bool_ or (dtype.kind == "i" and dtype.itemsize < default.itemsize):
        return default
    if dtype.kind == "u" and dtype.itemsize < default.itemsize:
        return dtypes.canonicalize_dtype(dtypes.uint64)
    return dtype


def _reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    return tuple(1 if i in axes else d for i, d in enumerate(shape)
                 if keepdims or i not in axes)


def _keep(x: Tensor, shape: tuple, axes: tuple, keepdims: bool) -> Tensor:
    """A reduction's result with the reduced axes put back as size 1 if `keepdims`."""
    return st.reshape(x, _reduced_shape(shape, axes, True)) if keepdims else x


def _mask(name: str, where, shape: tuple) -> Tensor:
    """The `where=` argument as a bool array broadcast to `shape`."""
    w = asarray_arg(name, where)
    if broadcast_shapes(name, w.shape, shape) != shape:
        raise ValueError(f"{name}: where of shape {w.shape} cannot be broadcast to the "
                         f"array's shape {shape}")
    if w.dtype != dtypes.bool_:
        w = ufuncs.not_equal(w, 0)
    return broadcast_to_shape(w, shape)


def _initial(name: str, initial, dtype) -> Tensor:
    init = ew.convert_element_type(asarray_arg(name, initial), dtype)
    if init.ndim:
        raise ValueError(f"{name}: initial must be a scalar, got shape {init.shape}")
    return init


def _count(name: str, shape: tuple, axes: tuple, where, keepdims: bool, dtype) -> Tensor:
    """How many elements each output of a reduction sees (static unless `where`)."""
    if where is None:
        return _const(math.prod(shape[i] for i in axes), dtype)
    return sum(_mask(name, where, shape), axes, dtype=dtype, keepdims=keepdims)


def _replace_nan(x: Tensor, value) -> Tensor:
    return ufuncs.where(ufuncs.isnan(x), _const(value, x.dtype), x)


def _check_ordered(name: str, x: Tensor) -> None:
    if dtypes.is_complex(x.dtype):
        raise TypeError(f"{name}: complex values are not ordered (got dtype {x.dtype})")


def _ddof(name: str, ddof, correction):
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError(f"{name}: pass either ddof or correction, not both")
    return correction


# ---- sums and products ------------------------------------------------------------

# kind: ((reduce, combine, identity) for numbers, (reduce, combine, identity) for bools)
_ADDITIVE = {
    "sum": ((red.reduce_sum, ew.add, 0), (red.reduce_or, ew.bitwise_or, False)),
    "prod": ((red.reduce_prod, ew.mul, 1), (red.reduce_and, ew.bitwise_and, True)),
}


def _sum_like(kind, name, a, axis, dtype, out, keepdims, initial, where, promote_integers):
    _check_out(name, out)
    a = asarray_arg(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    if dtype is not None:
        result = canonical_dtype(name, dtype)
    else:
        result = _promoted_int(a.dtype) if promote_integers else a.dtype
    comp = _accumulation(result)
    reduce, combine, identity = _ADDITIVE[kind][comp == dtypes.bool_]
    x = ew.convert_element_type(a, comp)
    if where is not None:
        x = ew.select(_mask(name, where, x.shape), x, _const(identity, comp))
    total = reduce(x, axes)
    if initial is not None:
        total = combine(total, _initial(name, initial, comp))
    return ew.convert_element_type(_keep(total, a.shape, axes, keepdims), result)


def sum(a, axis=None, dtype=None, out=None, keepdims: bool = False,
        initial=None, where=None, promote_integers: bool = True) -> Tensor:
    """Sum of elements over `axis` (`numpy.sum`).

    Args:
      a: the array.
      axis: None (all axes), an int or a tuple of ints; negative counts from the end.
      dtype: the result (and accumulation) dtype.
      out: unsupported; must be None.
      keepdims: keep the reduced axes with size 1.
      initial: a scalar added to the sum.
      where: a bool array broadcast to `a`; only its True elements are summed.
      promote_integers: sum bools and narrow ints as the default int (JAX's rule).

    Returns:
      The sums: int32 for bool/int8/int16 inputs (uint32 for narrow unsigned ones),
      otherwise the input dtype.

    Example:
      >>> jnp.sum(jnp.array([[1, 2], [3, 4]]), axis=0)
      Array([4, 6], dtype=int32)
    """
    return _sum_like("sum", "sum", a, axis, dtype, out, keepdims, initial, where,
                     promote_integers)


def prod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
         where=None, promote_integers: bool = True) -> Tensor:
    """Product of elements over `axis` (`numpy.prod`); arguments and dtypes as `sum`.

    Example:
      >>> jnp.prod(jnp.array([1., 2., 3.]))
      Array(6., dtype=float32)
    """
    return _sum_like("prod", "prod", a, axis, dtype, out, keepdims, initial, where,
                     promote_integers)


def nansum(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
           where=None) -> Tensor:
    """`sum` treating NaNs as zero.

    Example:
      >>> jnp.nansum(jnp.array([1., jnp.nan, 2.]))
      Array(3., dtype=float32)
    """
    a = asarray_arg("nansum", a)
    if dtypes.is_inexact(a.dtype):
        a = _replace_nan(a, 0)
    return _sum_like("sum", "nansum", a, axis, dtype, out, keepdims, initial, where, True)


def nanprod(a, axis=None, dtype=None, out=None, keepdims: bool = False, initial=None,
            where=None) -> Tensor:
    """`prod` treating NaNs as one."""
    a = asarray_arg("nanprod", a)
    if dtypes.is_inexact(a.dtype):
        a = _replace_nan(a, 1)
    return _sum_like("prod", "nanprod", a, axis, dtype, out, keepdims, initial, where, True)


def count_nonzero(a, axis=None, *, keepdims: bool = False) -> Tensor:
    """Number of nonzero (True) elements over `axis`, as the default int.

    Example:
      >>> jnp.count_nonzero(jnp.array([0, 3, 0, 1]))
      Array(2, dtype=int32)
    """
    a = asarray_arg("count_nonzero", a)
    axes = canonical_axes("count_nonzero", axis, a.ndim)
    nonzero = a if a.dtype == dtypes.bool_ else ufuncs.not_equal(a, 0)
    return sum(nonzero, axes, dtype=dtypes.default_int_dtype(), keepdims=keepdims)


# ---- extrema ----------------------------------------------------------------------

def _lowest(dtype):
    if dtype == dtypes.bool_:
        return False
    return -np.inf if dtypes.is_float(dtype) else np.iinfo(dtype).min


def _highest(dtype):
    if dtype == dtypes.bool_:
        return True
    return np.inf if dtypes.is_float(dtype) else np.iinfo(dtype).max


def _extremum(name, a, axis, out, keepdims, initial, where, is_max: bool) -> Tensor:
    _check_out(name, out)
    a = asarray_arg(name, a)
    _check_ordered(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    if initial is None and where is not None:
        raise ValueError(f"{name}: the reduction has no identity, so where= needs initial=")
    empty = builtins.any(a.shape[i] == 0 for i in axes)
    if initial is None and empty:
        raise ValueError(f"{name}: zero-size array to reduction operation {name} which has "
                         f"no identity (shape {a.shape}, axis {axis})")
    x = ew.convert_element_type(a, a.dtype)
    if empty:
        init = _initial(name, initial, x.dtype)
        return st.broadcast_in_dim(init, _reduced_shape(a.shape, axes, keepdims), ())
    if where is not None:
        fill = _lowest(x.dtype) if is_max else _highest(x.dtype)
        x = ew.select(_mask(name, where, x.shape), x, _const(fill, x.dtype))
    result = (red.reduce_max if is_max else red.reduce_min)(x, axes)
    if initial is not None:
        result = (ew.max if is_max else ew.min)(result, _initial(name, initial, x.dtype))
    return _keep(result, a.shape, axes, keepdims)


def max(a, axis=None, out=None, keepdims: bool = False, initial=None,
        where=None) -> Tensor:
    """Maximum over `axis` (`numpy.max`); NaN propagates.

    An empty reduction, or `where=` without `initial=`, raises ValueError (there is no
    identity). The result has the input dtype.

    Example:
      >>> jnp.max(jnp.array([[1, 5], [3, 2]]), axis=1)
      Array([5, 3], dtype=int32)
    """
    return _extremum("max", a, axis, out, keepdims, initial, where, is_max=True)


def min(a, axis=None, out=None, keepdims: bool = False, initial=None,
        where=None) -> Tensor:
    """Minimum over `axis` (`numpy.min`); NaN propagates. See `max`."""
    return _extremum("min", a, axis, out, keepdims, initial, where, is_max=False)


amax, amin = max, min


def _nan_extremum(name, a, axis, out, keepdims, initial, where, is_max: bool) -> Tensor:
    a = asarray_arg(name, a)
    if not dtypes.is_inexact(a.dtype):
        return _extremum(name, a, axis, out, keepdims, initial, where, is_max)
    nan = ufuncs.isnan(a)
    fill = -np.inf if is_max else np.inf
    result = _extremum(name, ufuncs.where(nan, _const(fill, a.dtype), a), axis, out,
                       keepdims, initial, where, is_max)
    if initial is not None:
        return result
    return ufuncs.where(all(nan, axis, keepdims=keepdims), _const(np.nan, a.dtype), result)


def nanmax(a, axis=None, out=None, keepdims: bool = False, initial=None,
           where=None) -> Tensor:
    """`max` ignoring NaNs (NaN where a slice is all NaN and no `initial` is given).

    Example:
      >>> jnp.nanmax(jnp.array([1., jnp.nan, 3.]))
      Array(3., dtype=float32)
    """
    return _nan_extremum("nanmax", a, axis, out, keepdims, initial, where, is_max=True)


def nanmin(a, axis=None, out=None, keepdims: bool = False, initial=None,
           where=None) -> Tensor:
    """`min` ignoring NaNs (NaN where a slice is all NaN and no `initial` is given)."""
    return _nan_extremum("nanmin", a, axis, out, keepdims, initial, where, is_max=False)


def ptp(a, axis=None, out=None, keepdims: bool = False) -> Tensor:
    """Range (maximum minus minimum) over `axis` (`numpy.ptp`).

    Example:
      >>> jnp.ptp(jnp.array([4, 9, 2]))
      Array(7, dtype=int32)
    """
    a = asarray_arg("ptp", a)
    if a.dtype == dtypes.bool_:
        raise TypeError("ptp: boolean arrays have no subtraction; convert to int first")
    return ew.sub(_extremum("ptp", a, axis, out, keepdims, None, None, True),
                      _extremum("ptp", a, axis, out, keepdims, None, None, False))


def _arg_extremum(name, a, axis, out, keepdims, is_max: bool) -> Tensor:
    _check_out(name, out)
    a = asarray_arg(name, a)
    _check_ordered(name, a)
    if axis is None:
        x, ax = st.reshape(a, (a.size,)), 0
    else:
        x, ax = a, canonical_axis(name, axis, a.ndim)
    if x.shape[ax] == 0:
        raise ValueError(f"{name}: attempt to get {name} of an empty sequence (shape "
                         f"{a.shape}, axis {axis})")
    result = (red.argmax if is_max else red.argmin)(x, ax, dtypes.default_int_dtype())
    if not keepdims:
        return result
    return st.reshape(result, (1,) * a.ndim if axis is None else
                      _reduced_shape(a.shape, (ax,), True))


def argmax(a, axis=None, out=None, keepdims: bool = False) -> Tensor:
    """Index of the (first) maximum along `axis`, or of the flattened array (`None`).

    NaN counts as the maximum. Returns the default int dtype.

    Example:
      >>> jnp.argmax(jnp.array([1, 7, 7, 2]))
      Array(1, dtype=int32)
    """
    return _arg_extremum("argmax", a, axis, out, keepdims, is_max=True)


def argmin(a, axis=None, out=None, keepdims: bool = False) -> Tensor:
    """Index of the (first) minimum along `axis`, or of the flattened array (`None`)."""
    return _arg_extremum("argmin", a, axis, out, keepdims, is_max=False)


def _nan_arg_extremum(name, a, axis, out, keepdims, is_max: bool) -> Tensor:
    a = asarray_arg(name, a)
    if not dtypes.is_inexact(a.dtype):
        return _arg_extremum(name, a, axis, out, keepdims, is_max)
    nan = ufuncs.isnan(a)
    x = ufuncs.where(nan, _const(-np.inf if is_max else np.inf, a.dtype), a)
    index = _arg_extremum(name, x, axis, out, keepdims, is_max)
    return ufuncs.where(all(nan, axis, keepdims=keepdims), _const(-1, index.dtype), index)


def nanargmax(a, axis=None, out=None, keepdims: bool = False) -> Tensor:
    """`argmax` ignoring NaNs; -1 where a slice is all NaN (JAX's rule: NumPy raises).

    Example:
      >>> jnp.nanargmax(jnp.array([jnp.nan, 2., 1.]))
      Array(1, dtype=int32)
    """
    return _nan_arg_extremum("nanargmax", a, axis, out, keepdims, is_max=True)


def nanargmin(a, axis=None, out=None, keepdims: bool = False) -> Tensor:
    """`argmin` ignoring NaNs; -1 where a slice is all NaN (JAX's rule: NumPy raises)."""
    return _nan_arg_extremum("nanargmin", a, axis, out, keepdims, is_max=False)


# ---- logical reductions and comparisons -------------------------------------------

def _logical(name, a, axis, out, keepdims, where, is_all: bool) -> Tensor:
    _check_out(name, out)
    a = asarray_arg(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    x = a if a.dtype == dtypes.bool_ else ufuncs.not_equal(a, 0)
    if where is not None:
        x = ew.select(_mask(name, where, x.shape), x, _const(is_all, dtypes.bool_))
    result = (red.reduce_and if is_all else red.reduce_or)(x, axes)
    return _keep(result, a.shape, axes, keepdims)


def all(a, axis=None, out=None, keepdims: bool = False, *, where=None) -> Tensor:
    """Whether every element over `axis` is nonzero (True for an empty reduction).

    Example:
      >>> jnp.all(jnp.array([[True, False], [True, True]]), axis=1)
      Array([False,  True], dtype=bool)
    """
    return _logical("all", a, axis, out, keepdims, where, is_all=True)


def any(a, axis=None, out=None, keepdims: bool = False, *, where=None) -> Tensor:
    """Whether any element over `axis` is nonzero (False for an empty reduction)."""
    return _logical("any", a, axis, out, keepdims, where, is_all=False)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False) -> Tensor:
    """Whether `isclose(a, b)` holds everywhere, as a 0-d bool array.

    Example:
      >>> jnp.allclose(jnp.array([1., 2.]), jnp.array([1., 2.000001]))
      Array(True, dtype=bool)
    """
    a, b = asarray_arg("allclose", a), asarray_arg("allclose", b)
    broadcast_shapes("allclose", a.shape, b.shape)
    return all(ufuncs.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1, a2, equal_nan: bool = False) -> Tensor:
    """Whether two arrays have the same shape and elements (0-d bool array).

    Example:
      >>> jnp.array_equal(jnp.array([1, 2]), jnp.array([1., 2.]))
      Array(True, dtype=bool)
    """
    a1, a2 = asarray_arg("array_equal", a1), asarray_arg("array_equal", a2)
    if a1.shape != a2.shape:
        return _const(False, dtypes.bool_)
    equal = ufuncs.equal(a1, a2)
    if equal_nan:
        equal = ufuncs.logical_or(equal, ufuncs.logical_and(ufuncs.isnan(a1), ufuncs.isnan(a2)))
    return all(equal)


def array_equiv(a1, a2) -> Tensor:
    """Whether two arrays are equal after broadcasting (False if they do not broadcast).

    Example:
      >>> jnp.array_equiv(jnp.array([1, 2]), jnp.array([[1, 2], [1, 2]]))
      Array(True, dtype=bool)
    """
    a1, a2 = asarray_arg("array_equiv", a1), asarray_arg("array_equiv", a2)
    try:
        broadcast_shapes("array_equiv", a1.shape, a2.shape)
    except ValueError:
        return _const(False, dtypes.bool_)
    return all(ufuncs.equal(a1, a2))


# ---- statistics -------------------------------------------------------------------

def _mean(name: str, a, axis, dtype, keepdims: bool, where) -> Tensor:
    a = asarray_arg(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    where = None if where is None else _mask(name, where, a.shape)
    result = inexact_dtype(a.dtype) if dtype is None else canonical_dtype(name, dtype)
    comp = _accumulation(result)
    total = sum(a, axes, dtype=comp, keepdims=keepdims, where=where)
    count = _count(name, a.shape, axes, where, keepdims, comp)
    return ew.convert_element_type(ew.div(total, count), result)


def mean(a, axis=None, dtype=None, out=None, keepdims: bool = False, *,
         where=None) -> Tensor:
    """Arithmetic mean over `axis` (`numpy.mean`).

    Bools and integers give the default float; float16/bfloat16 accumulate in float32
    and return their own dtype. With `where=`, only True elements are averaged.

    Example:
      >>> jnp.mean(jnp.array([1, 2, 3, 4]))
      Array(2.5, dtype=float32)
    """
    _check_out("mean", out)
    return _mean("mean", a, axis, dtype, keepdims, where)


def _var_dtypes(name: str, in_dtype, dtype):
    """(result dtype, computation dtype) of var/std: real results, float32 accumulation."""
    if dtype is not None:
        result = canonical_dtype(name, dtype)
        return result, _accumulation(result)
    if not dtypes.is_inexact(in_dtype):
        return dtypes.default_float_dtype(), dtypes.default_float_dtype()
    return dtypes.real_dtype(in_dtype), _accumulation(in_dtype)


def _squared_magnitude(x: Tensor) -> Tensor:
    if dtypes.is_complex(x.dtype):
        return ew.real(ew.mul(x, ew.conj(x)))
    return ew.mul(x, x)


def _var(name: str, a, axis, dtype, out, ddof, keepdims: bool, where, correction,
         ignore_nan: bool) -> Tensor:
    """Variance (NaNs left out if `ignore_nan`), as var, std, nanvar and nanstd share."""
    _check_out(name, out)
    ddof = _ddof(name, ddof, correction)
    a = asarray_arg(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    where = None if where is None else _mask(name, where, a.shape)
    result, comp = _var_dtypes(name, a.dtype, dtype)
    real = dtypes.real_dtype(comp)
    x = ew.convert_element_type(a, comp)
    if ignore_nan:
        nan = ufuncs.isnan(x)
        present = ufuncs.logical_not(nan)
        if where is not None:
            present = ufuncs.logical_and(present, where)
        centered = ufuncs.subtract(x, nanmean(x, axes, keepdims=True, where=where))
        centered = ufuncs.where(nan, _const(0, comp), centered)
        count = sum(present, axes, dtype=real, keepdims=keepdims)
    else:
        centered = ufuncs.subtract(x, _mean(name, x, axes, comp, True, where))
        count = _count(name, a.shape, axes, where, keepdims, real)
    total = sum(_squared_magnitude(centered), axes, keepdims=keepdims, where=where)
    count = ufuncs.subtract(count, _const(ddof, real))
    if ignore_nan:
        too_few = ufuncs.less_equal(count, 0)
        out = ew.div(total, ufuncs.where(too_few, _const(1, real), count))
        out = ufuncs.where(too_few, _const(np.nan, real), out)
    else:
        out = ew.div(total, ufuncs.maximum(count, _const(0, real)))
    return ew.convert_element_type(out, result)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims: bool = False, *,
        where=None, correction=None) -> Tensor:
    """Variance over `axis`: `sum(|a - mean|**2) / (N - ddof)` (`numpy.var`).

    Args:
      ddof: "delta degrees of freedom" (`correction` is the array-API name); a
        non-positive `N - ddof` divides by zero (inf or NaN), as in NumPy.

    Returns:
      A real array: the default float for integer inputs, float32 for complex64.

    Example:
      >>> jnp.var(jnp.array([1., 2., 3., 4.]))
      Array(1.25, dtype=float32)
    """
    return _var("var", a, axis, dtype, out, ddof, keepdims, where, correction, False)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims: bool = False, *,
        where=None, correction=None) -> Tensor:
    """Standard deviation over `axis`: `sqrt(var(...))` (`numpy.std`).

    Example:
      >>> jnp.std(jnp.array([1., 3.]))
      Array(1., dtype=float32)
    """
    return ufuncs.sqrt(_var("std", a, axis, dtype, out, ddof, keepdims, where, correction,
                            False))


def nanmean(a, axis=None, dtype=None, out=None, keepdims: bool = False, *,
            where=None) -> Tensor:
    """`mean` ignoring NaNs (NaN for an all-NaN slice).

    Example:
      >>> jnp.nanmean(jnp.array([1., jnp.nan, 3.]))
      Array(2., dtype=float32)
    """
    _check_out("nanmean", out)
    a = asarray_arg("nanmean", a)
    if not dtypes.is_inexact(a.dtype):
        return _mean("nanmean", a, axis, dtype, keepdims, where)
    axes = canonical_axes("nanmean", axis, a.ndim)
    result = a.dtype if dtype is None else canonical_dtype("nanmean", dtype)
    comp = _accumulation(result)
    present = ufuncs.logical_not(ufuncs.isnan(a))
    if where is not None:
        where = _mask("nanmean", where, a.shape)
        present = ufuncs.logical_and(present, where)
    total = nansum(a, axes, dtype=comp, keepdims=keepdims, where=where)
    count = sum(present, axes, dtype=comp, keepdims=keepdims)
    return ew.convert_element_type(ew.div(total, count), result)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims: bool = False, *,
           where=None, correction=None) -> Tensor:
    """`var` ignoring NaNs; NaN where fewer than `ddof + 1` values remain.

    Example:
      >>> jnp.nanvar(jnp.array([1., jnp.nan, 3.]))
      Array(1., dtype=float32)
    """
    return _var("nanvar", a, axis, dtype, out, ddof, keepdims, where, correction, True)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims: bool = False, *,
           where=None, correction=None) -> Tensor:
    """`std` ignoring NaNs: `sqrt(nanvar(...))`."""
    return ufuncs.sqrt(_var("nanstd", a, axis, dtype, out, ddof, keepdims, where, correction,
                            True))


def average(a, axis=None, weights=None, returned: bool = False, keepdims: bool = False):
    """Weighted average over `axis` (`numpy.average`).

    Args:
      a: the array.
      axis: None, an int or a tuple of ints.
      weights: None (plain mean), an array of `a`'s shape, or a 1-d array whose length
        is `a.shape[axis]` (then `axis` must be a single int).
      returned: also return the sum of the weights (broadcast to the result's shape).
      keepdims: keep the reduced axes with size 1.

    Returns:
      The average (an inexact dtype), or `(average, sum_of_weights)` if `returned`.
      A zero weight sum gives NaN or inf rather than NumPy's ZeroDivisionError.

    Example:
      >>> jnp.average(jnp.array([1., 2., 4.]), weights=jnp.array([1., 1., 2.]))
      Array(2.75, dtype=float32)
    """
    a = asarray_arg("average", a)
    axes = canonical_axes("average", axis, a.ndim)
    if weights is None:
        avg = mean(a, axes, keepdims=keepdims)
        weight_sum = _const(math.prod(a.shape[i] for i in axes), avg.dtype)
    else:
        weights = asarray_arg("average", weights)
        dtype = inexact_dtype(result_type(a, weights))
        a = ew.convert_element_type(a, dtype)
        weights = ew.convert_element_type(weights, dtype)
        if weights.shape != a.shape:
            if weights.ndim != 1 or axis is None or len(axes) != 1 or not isinstance(
                    axis, (int, np.integer)) or weights.shape[0] != a.shape[axes[0]]:
                raise ValueError(
                    f"average: weights of shape {weights.shape} do not fit an array of "
                    f"shape {a.shape} with axis {axis}; weights that differ in shape from "
                    "the array must be 1-d, with the length of the single axis given")
            weights = st.broadcast_in_dim(weights, a.shape, axes)
        weight_sum = sum(weights, axes, keepdims=keepdims)
        avg = ew.div(sum(ew.mul(a, weights), axes, keepdims=keepdims), weight_sum)
    if not returned:
        return avg
    return avg, broadcast_to_shape(weight_sum, avg.shape)


# ---- cumulative reductions --------------------------------------------------------

# (kind, bool?) -> the lax scan; on bools a running sum is `or`, a product `and`.
_SCANS = {("sum", False): red.cumsum, ("sum", True): red.cummax,
          ("prod", False): red.cumprod, ("prod", True): red.cummin}


def _cumulative(kind: str, name: str, a, axis, dtype, nan_to=None) -> Tensor:
    a = asarray_arg(name, a)
    if axis is None:
        a, axis = st.reshape(a, (a.size,)), 0
    else:
        axis = canonical_axis(name, axis, a.ndim)
    if nan_to is not None and dtypes.is_inexact(a.dtype):
        a = _replace_nan(a, nan_to)
    result = _promoted_int(a.dtype) if dtype is None else canonical_dtype(name, dtype)
    x = ew.convert_element_type(a, result)
    return _SCANS[kind, result == dtypes.bool_](x, axis)


def cumsum(a, axis=None, dtype=None, out=None) -> Tensor:
    """Cumulative sum along `axis` (of the flattened array for `None`).

    Bools and narrow integers accumulate as the default int (JAX's rule).

    Example:
      >>> jnp.cumsum(jnp.array([[1, 2], [3, 4]]), axis=1)
      Array([[1, 3],
             [3, 7]], dtype=int32)
    """
    _check_out("cumsum", out)
    return _cumulative("sum", "cumsum", a, axis, dtype)


def cumprod(a, axis=None, dtype=None, out=None) -> Tensor:
    """Cumulative product along `axis` (of the flattened array for `None`)."""
    _check_out("cumprod", out)
    return _cumulative("prod", "cumprod", a, axis, dtype)


def nancumsum(a, axis=None, dtype=None, out=None) -> Tensor:
    """`cumsum` treating NaNs as zero."""
    _check_out("nancumsum", out)
    return _cumulative("sum", "nancumsum", a, axis, dtype, nan_to=0)


def nancumprod(a, axis=None, dtype=None, out=None) -> Tensor:
    """`cumprod` treating NaNs as one."""
    _check_out("nancumprod", out)
    return _cumulative("prod", "nancumprod", a, axis, dtype, nan_to=1)


def _array_api_cumulative(kind: str, name: str, x, axis, dtype, include_initial) -> Tensor:
    x = asarray_arg(name, x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis is required for arrays of more than one "
                             f"dimension (shape {x.shape})")
        x, axis = st.reshape(x, (x.size,)), 0
    out = _cumulative(kind, name, x, axis, dtype)
    if not include_initial:
        return out
    axis = canonical_axis(name, axis, out.ndim)
    shape = out.shape[:axis] + (1,) + out.shape[axis + 1:]
    identity = st.broadcast_in_dim(_const(kind == "prod", out.dtype), shape, ())
    return st.concatenate([identity, out], axis)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial: bool = False) -> Tensor:
    """The array-API cumulative sum: like `cumsum`, but `axis` is required for arrays
    of more than one dimension, and `include_initial` prepends a zero.

    Example:
      >>> jnp.cumulative_sum(jnp.array([1, 2, 3]), include_initial=True)
      Array([0, 1, 3, 6], dtype=int32)
    """
    return _array_api_cumulative("sum", "cumulative_sum", x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial: bool = False) -> Tensor:
    """The array-API cumulative product (see `cumulative_sum`; the initial value is 1)."""
    return _array_api_cumulative("prod", "cumulative_prod", x, axis, dtype, include_initial)
