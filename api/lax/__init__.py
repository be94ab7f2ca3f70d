"""irax.lax: the primitive operations under JAX's `jax.lax` names.

lax is the layer irax.numpy is built on: each function binds one primitive (close to
a StableHLO op) with strict semantics — operands of one dtype (Python scalars are
weakly typed and adapt), equal shapes or scalars (no implicit broadcasting), static
shape parameters.  Use it for exact control; use irax.numpy for NumPy's conveniences.

    lax.add(x, 1.0); lax.dot_general(a, b, (((1,), (0,)), ((), ())))
    lax.dynamic_slice(x, (i, 0), (2, 3)); lax.sort_key_val(keys, values)
"""
import enum

from irax.core import dtypes as _dtypes
from irax.core.primitives.elementwise import (
    abs, acos, acosh, add, asin, asinh, atan, atan2, atanh, bitcast_convert_type, bitwise_and,
    bitwise_not, bitwise_or, bitwise_xor, cbrt, ceil, clamp, complex, conj, convert_element_type,
    cos, cosh, div, eq, erf, erf_inv, exp, exp2, expm1, floor, ge, gt, imag, integer_pow,
    is_finite, le, log, log1p, logistic, lt, max, min, mul, ne, neg, pow, real, rem, round, rsqrt,
    select, select_n, shift_left, shift_right_arithmetic, shift_right_logical, sign, sin, sinh,
    sqrt, stop_gradient, sub, tan, tanh,
)
from irax.core.primitives.fft import FftType, fft
from irax.core.primitives.indexing import (
    GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers, gather, scatter,
    scatter_add, scatter_max, scatter_min, scatter_mul)
from irax.core.primitives.linalg import dot, dot_general
from irax.core.primitives.reductions import (
    argmax, argmin, cummax, cummin, cumprod, cumsum, reduce_and, reduce_max, reduce_min,
    reduce_or, reduce_prod, reduce_sum)
from irax.core.primitives.scan_ops import associative_scan
from irax.core.primitives.sorting import sort, sort_key_val
from irax.core.primitives.structural import (
    broadcast, broadcast_in_dim, broadcasted_iota, concatenate, dynamic_slice,
    dynamic_update_slice, expand_dims, iota, pad, reshape, rev, slice, squeeze, transpose)
from irax.core.tensor import to_tensor as _to_tensor
from irax.core.primitives.collectives import (
    all_gather, axis_index, pmax, pmean, pmin, psum)

from .control_flow import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from .convolution import __all__ as _convolution
from .control_flow import __all__ as _control_flow
from . import linalg  # noqa: F401  (irax.lax.linalg)
from .slicing import *  # noqa: F401,F403
from .slicing import __all__ as _slicing
from .windowed import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .special import __all__ as _special
from .windowed import __all__ as _windowed

class RoundingMethod(enum.IntEnum):
    """`lax.round`'s rounding_method: halves away from zero, or to the nearest even."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def square(x):
    """`lax.square`: `x * x` elementwise (`integer_pow(x, 2)`)."""
    return integer_pow(x, 2)


def full(shape, fill_value, dtype=None):
    """`lax.full`: an array of `shape` filled with the scalar `fill_value`.

    Example:
      >>> lax.full((2,), 7, jnp.int8)
      Array([7, 7], dtype=int8)
    """
    fill = _to_tensor(fill_value)
    if fill.shape:
        raise TypeError(f"full: fill_value must be a scalar, got shape {fill.shape}")
    weak = dtype is None and fill.weak_type
    dtype = fill.dtype if dtype is None else _dtypes.canonicalize_dtype(_dtypes.to_dtype(dtype))
    return broadcast(convert_element_type(fill, dtype, weak), tuple(shape))


def full_like(x, fill_value, dtype=None, shape=None):
    """`lax.full_like`: `full` with the shape and dtype of `x` unless given.

    Example:
      >>> lax.full_like(jnp.zeros((2,)), 3)
      Array([3., 3.], dtype=float32)
    """
    x = _to_tensor(x)
    out = full(x.shape if shape is None else shape, fill_value,
               x.dtype if dtype is None else dtype)
    return convert_element_type(out, out.dtype, dtype is None and x.weak_type)


__all__ = [
    *_slicing, *_control_flow, *_convolution, *_special, *_windowed,
    # elementwise
    "abs", "acos", "acosh", "add", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_and",
    "bitwise_not", "bitwise_or", "bitwise_xor", "cbrt", "ceil", "complex", "conj", "cos", "cosh",
    "div", "eq", "erf", "erf_inv", "exp", "exp2", "expm1", "floor", "ge", "gt", "imag",
    "is_finite", "le", "log", "log1p", "logistic", "lt", "max", "min", "mul", "ne", "neg", "pow",
    "real", "rem", "rsqrt", "shift_left", "shift_right_arithmetic", "shift_right_logical", "sign",
    "sin", "sinh", "sqrt", "sub", "tan", "tanh",
    # the others
    "FftType", "RoundingMethod", "all_gather", "fft", "associative_scan", "argmax", "argmin", "axis_index",
    "bitcast_convert_type",
    "broadcast", "broadcast_in_dim", "broadcasted_iota", "clamp", "concatenate",
    "convert_element_type", "cummax", "cummin", "cumprod", "cumsum", "dot", "dot_general",
    "dynamic_slice", "dynamic_update_slice", "expand_dims", "full", "full_like", "gather",
    "GatherDimensionNumbers", "GatherScatterMode", "integer_pow", "iota", "pad", "pmax",
    "pmean", "pmin", "psum",
    "reduce_and", "reduce_max", "reduce_min", "reduce_or", "reduce_prod", "reduce_sum",
    "reshape", "rev", "round", "scatter", "scatter_add", "scatter_max", "scatter_min",
    "scatter_mul", "ScatterDimensionNumbers", "select", "select_n", "slice", "sort",
    "sort_key_val", "square", "squeeze", "stop_gradient", "transpose",
]
