"""Array creation in irax.numpy: conversion (`array`, `asarray`), constants (`zeros`,
`full`, ...), ranges (`arange`, `linspace`, ...), triangles and grids.

Constants are built directly as concrete arrays when no transform is active (they sit
on hot paths); under a transform they are a `broadcast_in_dim` of a scalar, so a
compiled program holds one literal rather than a large constant.
"""
import operator

import numpy as np

from irax.core import dtypes
from irax.core import trace as trace_mod
from irax.core.errors import ConcretizationTypeError
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor, numpy_tensor, to_tensor

from . import ufuncs
from .util import (
    array_from_sequence,
    asarray_arg,
    broadcast_shapes,
    broadcast_to_shape,
    canonical_axis,
    canonical_dtype,
    inexact_dtype,
    result_type,
)

__all__ = [
    "arange", "array", "asarray", "astype", "copy", "empty", "empty_like", "eye", "full",
    "full_like", "geomspace", "identity", "linspace", "logspace", "meshgrid", "ones",
    "ones_like", "tri", "tril", "triu", "zeros", "zeros_like",
]

_SCALARS = (bool, int, float, complex)


def _float_dtype(name: str, dtype) -> np.dtype:
    """`dtype` as irax stores it, or the default float when None."""
    return dtypes.default_float_dtype() if dtype is None else canonical_dtype(name, dtype)


def _canonical_shape(name: str, shape) -> tuple:
    """An int or a sequence of non-negative ints as a shape tuple."""
    if isinstance(shape, (tuple, list)) or (isinstance(shape, np.ndarray) and shape.ndim == 1):
        seq = shape
    else:
        seq = (shape,)
    try:
        dims = tuple(operator.index(d) for d in seq)
    except ConcretizationTypeError:
        raise
    except TypeError:
        raise TypeError(f"{name}: shape must be an int or a sequence of ints, got "
                        f"{shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{name}: negative dimensions are not allowed, got shape {dims}")
    return dims


def _is_weak(x) -> bool:
    """Whether `x` is weakly typed: a Python number (not bool) or a weak irax array."""
    if isinstance(x, Tensor):
        return x.weak_type
    return isinstance(x, _SCALARS) and not isinstance(x, (bool, np.generic))


def _filled(shape: tuple, fill_value, dtype: np.dtype, weak_type: bool = False):
    """`shape` filled with the scalar `fill_value` cast to the canonical `dtype`."""
    if isinstance(fill_value, trace_mod.Tracer):
        fill = ew.convert_element_type(fill_value, dtype, weak_type)
        return st.broadcast_in_dim(fill, shape, ())
    value = fill_value._value if isinstance(fill_value, ArrayImpl) else fill_value
    if trace_mod.no_transform_active():
        return ArrayImpl(np.full(shape, value, dtype), weak_type)
    return st.broadcast_in_dim(ArrayImpl(np.full((), value, dtype), weak_type), shape, ())


def _broadcast_fill(name: str, fill: Tensor, shape: tuple) -> Tensor:
    """An array fill value broadcast to `shape` (NumPy rules, checked)."""
    if broadcast_shapes(name, fill.shape, shape) != shape:
        raise ValueError(f"{name}: fill value of shape {fill.shape} cannot be broadcast to "
                         f"shape {shape}")
    return broadcast_to_shape(fill, shape)


def _leaves(seq) -> list:
    """The non-sequence items of a nested list/tuple."""
    out = []
    for item in seq:
        if isinstance(item, (list, tuple)):
            out.extend(_leaves(item))
        else:
            out.append(item)
    return out


def _host_nested(seq):
    """`seq` with concrete irax arrays replaced by their NumPy values."""
    if isinstance(seq, (list, tuple)):
        return [_host_nested(s) for s in seq]
    return seq._value if isinstance(seq, ArrayImpl) else seq


def _from_sequence(name: str, seq, dtype):
    """An array from a nested list/tuple: the leaves' promoted dtype (weak types
    respected, so `[x_f16, 1.0]` is float16), or `dtype`; the result is strongly typed."""
    leaves = _leaves(seq)
    for leaf in leaves:
        if not isinstance(leaf, _SCALARS + (np.ndarray, np.generic, Tensor)):
            raise TypeError(f"{name}: cannot convert a sequence holding "
                            f"{type(leaf).__name__} to an array")
    if dtype is None:
        dtype = result_type(*leaves) if leaves else dtypes.default_float_dtype()
    if any(isinstance(leaf, trace_mod.Tracer) for leaf in leaves):
        return ew.convert_element_type(array_from_sequence(name, seq), dtype)
    try:
        return ArrayImpl(np.array(_host_nested(seq), dtype=dtype))
    except ValueError as err:
        raise ValueError(f"{name}: cannot convert a ragged sequence to an array ({err})") \
            from None


def array(object, dtype=None, copy: bool = True, order: str | None = "K",
          ndmin: int = 0) -> Tensor:
    """Creates an array, as `numpy.array`.

    Python scalars give weakly typed 0-d arrays (`array(1.0)` is a weak float32) unless
    `dtype` is given; lists take the promoted dtype of their elements (Python floats
    give the default float) and may hold irax arrays, traced ones included.

    Args:
      object: an array, a scalar, a NumPy array or a (nested) list/tuple of them.
      dtype: the result dtype (canonicalized: float64 is float32 without x64).
      copy: accepted for NumPy compatibility; irax arrays are immutable and NumPy
        inputs are always copied.
      order: only "K", "C", "A" or None (irax arrays are row-major).
      ndmin: the minimum rank; leading dimensions of size 1 are added.

    Returns:
      An irax array.

    Example:
      >>> jnp.array([[1, 2], [3, 4]], dtype=jnp.float32).shape
      (2, 2)
    """
    del copy
    if order not in (None, "K", "C", "A"):
        raise NotImplementedError(f"array: order={order!r} is not supported (only row-major)")
    target = None if dtype is None else canonical_dtype("array", dtype)
    if isinstance(object, Tensor):
        out = object if target is None else ew.convert_element_type(object, target)
    elif isinstance(object, _SCALARS) and not isinstance(object, np.generic):
        out = to_tensor(object) if target is None else ArrayImpl(np.array(object, target))
    elif isinstance(object, (list, tuple)):
        out = _from_sequence("array", object, target)
    elif isinstance(object, (np.ndarray, np.generic)) or hasattr(object, "__array__"):
        host = np.array(object, copy=True)
        if host.dtype.kind in "OUSV" and host.dtype != dtypes.bfloat16:
            raise TypeError(f"array: NumPy arrays of dtype {host.dtype} are not valid irax "
                            "values")
        out = to_tensor(host) if target is None else numpy_tensor(host, target)
    else:
        raise TypeError(f"array: cannot convert an object of type {type(object).__name__} "
                        "to an array")
    ndmin = operator.index(ndmin)
    if out.ndim < ndmin:
        out = st.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
    return out


def asarray(a, dtype=None, order: str | None = None, *, copy: bool | None = None) -> Tensor:
    """Converts `a` to an array, as `numpy.asarray`; irax arrays pass through.

    Args:
      a: an array, a scalar, a NumPy array or a (nested) list/tuple of them.
      dtype: the result dtype; when given the result is strongly typed.
      order: only "K", "C", "A" or None.
      copy: accepted for NumPy compatibility (see `array`).

    Returns:
      An irax array (`a` itself when it already is one and no dtype is given).

    Example:
      >>> jnp.asarray(1.0)
      Array(1., dtype=float32, weak_type=True)
    """
    if isinstance(a, Tensor) and dtype is None:
        return a
    return array(a, dtype=dtype, copy=copy, order=order)


def astype(x, dtype, /, *, copy: bool = False) -> Tensor:
    """`x` cast to `dtype` elementwise (also the `.astype` method).

    Float to int truncates toward zero, nonzero becomes True for bool, and complex to
    real keeps the real part. The result is strongly typed.

    Example:
      >>> jnp.astype(jnp.array([1.7, -1.7]), jnp.int32)
      Array([ 1, -1], dtype=int32)
    """
    del copy
    return ew.convert_element_type(asarray_arg("astype", x), canonical_dtype("astype", dtype))


def copy(a, order: str | None = None) -> Tensor:
    """A copy of `a` (`numpy.copy`); irax arrays are immutable, so values are shared."""
    return array(a, copy=True, order=order)


def zeros(shape, dtype=None) -> Tensor:
    """An array of zeros of `shape` and `dtype` (default float).

    Example:
      >>> jnp.zeros((2, 3), jnp.int32).shape
      (2, 3)
    """
    dtype = _float_dtype("zeros", dtype)
    return _filled(_canonical_shape("zeros", shape), 0, dtype)


def ones(shape, dtype=None) -> Tensor:
    """An array of ones of `shape` and `dtype` (default float).

    Example:
      >>> jnp.ones(3)
      Array([1., 1., 1.], dtype=float32)
    """
    dtype = _float_dtype("ones", dtype)
    return _filled(_canonical_shape("ones", shape), 1, dtype)


def empty(shape, dtype=None) -> Tensor:
    """`numpy.empty`: irax has no uninitialized memory, so this is `zeros`."""
    dtype = _float_dtype("empty", dtype)
    return _filled(_canonical_shape("empty", shape), 0, dtype)


def full(shape, fill_value, dtype=None) -> Tensor:
    """An array of `shape` filled with `fill_value`.

    Without `dtype` the result has the fill value's dtype, weakly typed for a Python
    number (as in JAX). An array fill value is broadcast to `shape`.

    Example:
      >>> jnp.full((2,), 7, jnp.float32)
      Array([7., 7.], dtype=float32)
    """
    shape = _canonical_shape("full", shape)
    if isinstance(fill_value, (list, tuple)) or np.ndim(fill_value):
        return _broadcast_fill("full", asarray(fill_value, dtype), shape)
    if dtype is None:
        return _filled(shape, fill_value, result_type(fill_value), _is_weak(fill_value))
    return _filled(shape, fill_value, canonical_dtype("full", dtype))


def _filled_like(name: str, a, fill_value, dtype, shape) -> Tensor:
    a = asarray_arg(name, a)
    shape = a.shape if shape is None else _canonical_shape(name, shape)
    if dtype is None:
        return _filled(shape, fill_value, a.dtype, a.weak_type)
    return _filled(shape, fill_value, canonical_dtype(name, dtype))


def zeros_like(a, dtype=None, shape=None) -> Tensor:
    """Zeros with the shape and dtype of `a` (either overridable); weak if `a` is.

    Example:
      >>> jnp.zeros_like(jnp.ones((2,), jnp.int32))
      Array([0, 0], dtype=int32)
    """
    return _filled_like("zeros_like", a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None) -> Tensor:
    """Ones with the shape and dtype of `a` (either overridable); weak if `a` is."""
    return _filled_like("ones_like", a, 1, dtype, shape)


def empty_like(a, dtype=None, shape=None) -> Tensor:
    """`numpy.empty_like`: zeros with the shape and dtype of `a`."""
    return _filled_like("empty_like", a, 0, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None) -> Tensor:
    """`fill_value` with the shape and dtype of `a` (either overridable).

    Example:
      >>> jnp.full_like(jnp.zeros(2, jnp.int32), 2.7)
      Array([2, 2], dtype=int32)
    """
    if isinstance(fill_value, (list, tuple)) or np.ndim(fill_value):
        a = asarray_arg("full_like", a)
        shape = a.shape if shape is None else _canonical_shape("full_like", shape)
        return _broadcast_fill("full_like", asarray(fill_value, a.dtype if dtype is None
                                                    else dtype), shape)
    return _filled_like("full_like", a, fill_value, dtype, shape)


def _concrete_scalar(name: str, what: str, x):
    """A range bound as a NumPy scalar (raises under a transform for traced values)."""
    if isinstance(x, Tensor):
        if x.ndim:
            raise TypeError(f"{name}: {what} must be a scalar, got an array of shape {x.shape}")
        try:
            return np.asarray(x)[()]
        except ConcretizationTypeError:
            raise ConcretizationTypeError(x, f"{name}: {what} must be concrete (the result "
                                          "shape depends on it)") from None
    if np.ndim(x):
        raise TypeError(f"{name}: {what} must be a scalar, got shape {np.shape(x)}")
    return x


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in `[start, stop)` with spacing `step` (`numpy.arange`).

    The bounds must be concrete. Without `dtype` the result takes the promoted dtype of
    the bounds: the default int for Python ints, the default float if any is a float.

    Example:
      >>> jnp.arange(3)
      Array([0, 1, 2], dtype=int32)
    """
    bounds = [x for x in (start, stop, step) if x is not None]
    dtype = result_type(*bounds) if dtype is None else canonical_dtype("arange", dtype)
    start, stop, step = (None if x is None else _concrete_scalar("arange", what, x) for x, what
                         in ((start, "start"), (stop, "stop"), (step, "step")))
    if step is not None and step == 0:
        raise ValueError("arange: step must not be zero")
    if stop is None and step is None and not trace_mod.no_transform_active():
        return st.iota(dtype, max(int(np.ceil(start)), 0))
    return ArrayImpl(np.arange(start, stop, step, dtype=dtype))


def _bounds(name: str, start: Tensor, stop: Tensor, dtype):
    """`start` and `stop` converted to `dtype` and broadcast to their common shape."""
    start, stop = ew.convert_element_type(start, dtype), ew.convert_element_type(stop, dtype)
    shape = broadcast_shapes(name, start.shape, stop.shape)
    return broadcast_to_shape(start, shape), broadcast_to_shape(stop, shape)


def _num(name: str, num) -> int:
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"{name}: number of samples, {num}, must be non-negative")
    return num


def _sample_dtypes(name: str, start: Tensor, stop: Tensor, dtype):
    """(computation, result) dtypes of linspace, logspace and geomspace: the bounds'
    promoted inexact dtype, or `dtype` computed in its inexact counterpart."""
    if dtype is None:
        comp = inexact_dtype(result_type(start, stop))
        return comp, comp
    result = canonical_dtype(name, dtype)
    return inexact_dtype(result), result


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):
    """`num` evenly spaced samples from `start` to `stop` (`numpy.linspace`).

    `start` and `stop` may be arrays (broadcast together; the samples run along `axis`
    of the result) and may be traced; `num` must be static. Integer dtypes floor.

    Returns:
      The samples, and the spacing too when `retstep` is true.

    Example:
      >>> jnp.linspace(0, 1, 5)
      Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    num = _num("linspace", num)
    start, stop = asarray_arg("linspace", start), asarray_arg("linspace", stop)
    comp, dtype = _sample_dtypes("linspace", start, stop, dtype)
    start, stop = _bounds("linspace", start, stop, comp)
    axis = canonical_axis("linspace", axis, start.ndim + 1)
    lo, hi = st.expand_dims(start, (axis,)), st.expand_dims(stop, (axis,))
    div = num - 1 if endpoint else num
    if num > 1:
        delta = ufuncs.true_divide(ufuncs.subtract(stop, start), div)
        t_shape = [1] * lo.ndim
        t_shape[axis] = div
        t = st.reshape(ufuncs.true_divide(st.iota(comp, div), div), t_shape)
        out = ufuncs.add(ufuncs.multiply(lo, ufuncs.subtract(1, t)), ufuncs.multiply(hi, t))
        if endpoint:
            out = st.concatenate([out, hi], axis)
    elif num == 1:
        out = lo
        delta = full(start.shape, np.nan, comp) if endpoint else ufuncs.subtract(stop, start)
    else:
        out = zeros(lo.shape[:axis] + (0,) + lo.shape[axis + 1:], comp)
        delta = full(start.shape, np.nan, comp)
    if dtypes.is_integer(dtype):
        out = ufuncs.floor(out)
    out = ew.convert_element_type(out, dtype)
    return (out, delta) if retstep else out


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10.0, dtype=None,
             axis: int = 0) -> Tensor:
    """`base ** linspace(start, stop, num)` (`numpy.logspace`).

    Example:
      >>> jnp.logspace(0, 2, 3)
      Array([  1.,  10., 100.], dtype=float32)
    """
    start, stop = asarray_arg("logspace", start), asarray_arg("logspace", stop)
    comp, result = _sample_dtypes("logspace", start, stop, dtype)
    exponents = linspace(start, stop, _num("logspace", num), endpoint, dtype=comp, axis=axis)
    out = ufuncs.power(base, exponents)
    return ew.convert_element_type(out, result)


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None,
              axis: int = 0) -> Tensor:
    """Samples evenly spaced on a log scale from `start` to `stop` (`numpy.geomspace`).

    `start` and `stop` must have the same sign (zero gives NaN rather than an error);
    the end points are exact, as in NumPy.

    Example:
      >>> jnp.geomspace(1, 1000, 4)
      Array([   1.,   10.,  100., 1000.], dtype=float32)
    """
    start, stop = asarray_arg("geomspace", start), asarray_arg("geomspace", stop)
    comp, result = _sample_dtypes("geomspace", start, stop, dtype)
    start, stop = _bounds("geomspace", start, stop, comp)
    axis = canonical_axis("geomspace", axis, start.ndim + 1)
    sign = st.expand_dims(ufuncs.sign(start), (axis,))
    num = _num("geomspace", num)
    exponents = linspace(ufuncs.log10(ufuncs.absolute(start)),
                         ufuncs.log10(ufuncs.absolute(stop)), num, endpoint, dtype=comp,
                         axis=axis)
    out = ufuncs.multiply(sign, ufuncs.power(10.0, exponents))
    position = st.broadcasted_iota(dtypes.default_int_dtype(), out.shape, axis)
    out = ufuncs.where(ufuncs.equal(position, 0), st.expand_dims(start, (axis,)), out)
    if endpoint and num > 1:
        out = ufuncs.where(ufuncs.equal(position, num - 1), st.expand_dims(stop, (axis,)), out)
    return ew.convert_element_type(out, result)


def _triangle_mask(name: str, N, M, k, compare) -> Tensor:
    """The (N, M) bool mask `compare(row + k, col)`."""
    N = operator.index(N)
    M = N if M is None else operator.index(M)
    if N < 0 or M < 0:
        raise ValueError(f"{name}: negative dimensions are not allowed, got ({N}, {M})")
    index = dtypes.default_int_dtype()
    rows = st.broadcasted_iota(index, (N, M), 0)
    cols = st.broadcasted_iota(index, (N, M), 1)
    return compare(ew.add(rows, operator.index(k)), cols)


def _mask_array(name: str, N, M, k, compare, dtype) -> Tensor:
    """`_triangle_mask` as an array of `dtype` (default float)."""
    dtype = _float_dtype(name, dtype)
    return ew.convert_element_type(_triangle_mask(name, N, M, k, compare), dtype)


def eye(N: int, M: int | None = None, k: int = 0, dtype=None) -> Tensor:
    """An (N, M) array with ones on the k-th diagonal and zeros elsewhere.

    Example:
      >>> jnp.eye(2, dtype=jnp.int32)
      Array([[1, 0],
             [0, 1]], dtype=int32)
    """
    return _mask_array("eye", N, M, k, ew.eq, dtype)


def identity(n: int, dtype=None) -> Tensor:
    """The (n, n) identity matrix (default float)."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype=None) -> Tensor:
    """An (N, M) array with ones at and below the k-th diagonal (`numpy.tri`).

    Example:
      >>> jnp.tri(2, dtype=jnp.int32)
      Array([[1, 0],
             [1, 1]], dtype=int32)
    """
    return _mask_array("tri", N, M, k, ew.ge, dtype)


def _triangle(name: str, m, k, lower: bool) -> Tensor:
    m = asarray_arg(name, m)
    if m.ndim == 0:
        raise ValueError(f"{name}: the argument must be at least 1-d, got a scalar")
    if m.ndim == 1:
        m = broadcast_to_shape(m, (m.shape[0],) * 2)
    k = operator.index(k)
    mask = _triangle_mask(name, m.shape[-2], m.shape[-1], k if lower else k - 1, ew.ge)
    mask = broadcast_to_shape(mask, m.shape)
    zero = _filled((), 0, m.dtype, m.weak_type)
    return ew.select(mask, m, zero) if lower else ew.select(mask, zero, m)


def tril(m, k: int = 0) -> Tensor:
    """`m` with the elements above the k-th diagonal zeroed (last two axes).

    A 1-d `m` is first broadcast to a square matrix, as in NumPy.

    Example:
      >>> jnp.tril(jnp.ones((2, 2), jnp.int32))
      Array([[1, 0],
             [1, 1]], dtype=int32)
    """
    return _triangle("tril", m, k, lower=True)


def triu(m, k: int = 0) -> Tensor:
    """`m` with the elements below the k-th diagonal zeroed (last two axes)."""
    return _triangle("triu", m, k, lower=False)


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list:
    """Coordinate arrays from coordinate vectors (`numpy.meshgrid`).

    Args:
      *xi: the coordinate vectors (flattened if not 1-d); each keeps its dtype.
      copy: accepted for NumPy compatibility (irax arrays are immutable).
      sparse: return arrays of size 1 along every axis but their own.
      indexing: "xy" (Cartesian: the first two axes swapped) or "ij" (matrix).

    Returns:
      A list of arrays, one per input.

    Example:
      >>> [g.shape for g in jnp.meshgrid(jnp.arange(3), jnp.arange(2))]
      [(2, 3), (2, 3)]
    """
    del copy
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [asarray_arg("meshgrid", x) for x in xi]
    xs = [st.reshape(x, (x.size,)) for x in xs]
    dims = list(range(len(xs)))
    if indexing == "xy" and len(xs) > 1:
        dims[0], dims[1] = 1, 0
    shape = [0] * len(xs)
    for x, d in zip(xs, dims):
        shape[d] = x.size
    out = []
    for x, d in zip(xs, dims):
        if sparse:
            out.append(st.reshape(x, [x.size if i == d else 1 for i in range(len(xs))]))
        else:
            out.append(st.broadcast_in_dim(x, shape, (d,)))
    return out
