"""Reductions over axes, arg-reductions and cumulative (scan-like) reductions."""
import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor
from .checks import check_dtype_in, dtypes_of_kinds

_NUMERIC = dtypes_of_kinds("iufc")
_ORDERED = dtypes_of_kinds("biuf")
_BOOL_INT = dtypes_of_kinds("biu")


def _check_axes(name, x, axes):
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ShapeError(f"{name}: axes {tuple(axes)} invalid for an operand of shape "
                         f"{x.shape}")
    return tuple(s for i, s in enumerate(x.shape) if i not in axes)


def _reduction(name, np_fn, allowed, what):
    prim = Primitive(name)

    def abstract_eval(x, *, axes):
        check_dtype_in(name, x.dtype, allowed, what)
        return ShapedArray(_check_axes(name, x, axes), x.dtype, x.weak_type)

    def impl(x, *, axes):
        check_dtype_in(name, x.dtype, allowed, what)
        _check_axes(name, x, axes)
        return np.asarray(np_fn(x, axis=axes)).astype(x.dtype, copy=False)

    prim.def_abstract_eval(abstract_eval)
    prim.def_impl(impl)
    prim.weak_type_rule = lambda args, params: args[0].weak_type
    return prim


reduce_sum_p = _reduction("reduce_sum", lambda x, axis: np.sum(x, axis=axis, dtype=x.dtype),
                          _NUMERIC, "a numeric dtype")
reduce_prod_p = _reduction("reduce_prod",
                           lambda x, axis: np.prod(x, axis=axis, dtype=x.dtype),
                           _NUMERIC, "a numeric dtype")
def _lowest(dtype: np.dtype):
    """The identity of max: -inf, the smallest integer, or False."""
    if dtype == np.bool_:
        return False
    return -np.inf if dtypes.is_inexact(dtype) else np.iinfo(dtype).min


def _highest(dtype: np.dtype):
    """The identity of min: inf, the largest integer, or True."""
    if dtype == np.bool_:
        return True
    return np.inf if dtypes.is_inexact(dtype) else np.iinfo(dtype).max


# Over an empty axis, lax's max and min give their identity (NumPy would raise).
reduce_max_p = _reduction("reduce_max", lambda x, axis: np.max(
    x, axis=axis, initial=_lowest(x.dtype)) if x.size == 0 else np.max(x, axis=axis),
    _ORDERED, "a real dtype")
reduce_min_p = _reduction("reduce_min", lambda x, axis: np.min(
    x, axis=axis, initial=_highest(x.dtype)) if x.size == 0 else np.min(x, axis=axis),
    _ORDERED, "a real dtype")
reduce_and_p = _reduction("reduce_and", np.bitwise_and.reduce, _BOOL_INT,
                          "a boolean or integer dtype")
reduce_or_p = _reduction("reduce_or", np.bitwise_or.reduce, _BOOL_INT,
                         "a boolean or integer dtype")


def _arg_reduction(name, np_fn):
    prim = Primitive(name)

    def check(x, axis, index_dtype):
        check_dtype_in(name, x.dtype, _ORDERED, "a real dtype")
        if not 0 <= axis < x.ndim:
            raise ShapeError(f"{name}: axis {axis} out of range for shape {x.shape}")
        if x.shape[axis] == 0:
            raise ValueError(f"{name} of an empty axis (shape {x.shape}, axis {axis})")
        if not dtypes.is_integer(index_dtype):
            raise TypeError(f"{name}: index_dtype must be an integer dtype, got {index_dtype}")
        return x.shape[:axis] + x.shape[axis + 1:]

    prim.def_abstract_eval(lambda x, *, axis, index_dtype: ShapedArray(
        check(x, axis, index_dtype), index_dtype))
    prim.def_impl(lambda x, *, axis, index_dtype: (
        check(x, axis, index_dtype), np.asarray(np_fn(x, axis=axis)).astype(index_dtype))[1])
    prim.weak_type_rule = lambda args, params: False
    return prim


argmax_p = _arg_reduction("argmax", np.argmax)
argmin_p = _arg_reduction("argmin", np.argmin)


def _cumulative(name, np_fn, allowed, what):
    prim = Primitive(name)

    def check(x, axis):
        check_dtype_in(name, x.dtype, allowed, what)
        if not 0 <= axis < x.ndim:
            raise ShapeError(f"{name}: axis {axis} out of range for shape {x.shape}")
        return x

    def impl(x, *, axis, reverse):
        check(x, axis)
        if reverse:
            return np.flip(np_fn(np.flip(x, axis), axis), axis)
        return np_fn(x, axis)

    prim.def_abstract_eval(lambda x, *, axis, reverse: check(x, axis))
    prim.def_impl(impl)
    prim.weak_type_rule = lambda args, params: args[0].weak_type
    return prim


cumsum_p = _cumulative("cumsum", lambda x, a: np.cumsum(x, a, dtype=x.dtype), _NUMERIC,
                       "a numeric dtype")
cumprod_p = _cumulative("cumprod", lambda x, a: np.cumprod(x, a, dtype=x.dtype), _NUMERIC,
                        "a numeric dtype")
cummax_p = _cumulative("cummax", lambda x, a: np.maximum.accumulate(x, a), _ORDERED,
                       "a real dtype")
cummin_p = _cumulative("cummin", lambda x, a: np.minimum.accumulate(x, a), _ORDERED,
                       "a real dtype")


# ---- binding functions (irax.lax) -------------------------------------------------

def _reducer(prim):
    def reduce(operand, axes):
        x = to_tensor(operand)
        axes = tuple(sorted(int(a) % x.ndim if x.ndim else int(a) for a in axes))
        if not axes:
            return x
        return prim.bind(x, axes=axes)
    reduce.__name__ = prim.name
    reduce.__doc__ = f"`lax.{prim.name}(operand, axes)`: reduces the given axes."
    return reduce


reduce_sum = _reducer(reduce_sum_p)
reduce_prod = _reducer(reduce_prod_p)
reduce_max = _reducer(reduce_max_p)
reduce_min = _reducer(reduce_min_p)
reduce_and = _reducer(reduce_and_p)
reduce_or = _reducer(reduce_or_p)


def argmax(operand, axis: int, index_dtype):
    """`lax.argmax`: index of the first maximum along `axis` (NaN counts as maximal)."""
    x = to_tensor(operand)
    return argmax_p.bind(x, axis=int(axis) % max(x.ndim, 1),
                         index_dtype=dtypes.canonicalize_dtype(index_dtype))


def argmin(operand, axis: int, index_dtype):
    """`lax.argmin`: index of the first minimum along `axis`."""
    x = to_tensor(operand)
    return argmin_p.bind(x, axis=int(axis) % max(x.ndim, 1),
                         index_dtype=dtypes.canonicalize_dtype(index_dtype))


def _cumulator(prim):
    def cumulative(operand, axis: int = 0, reverse: bool = False):
        x = to_tensor(operand)
        return prim.bind(x, axis=int(axis) % max(x.ndim, 1), reverse=bool(reverse))
    cumulative.__name__ = prim.name
    cumulative.__doc__ = (f"`lax.{prim.name}(operand, axis=0, reverse=False)`: inclusive "
                          "cumulative reduction along `axis`.")
    return cumulative


cumsum = _cumulator(cumsum_p)
cumprod = _cumulator(cumprod_p)
cummax = _cumulator(cummax_p)
cummin = _cumulator(cummin_p)
