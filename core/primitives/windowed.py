"""Windowed reductions: `reduce_window_sum` / `_max` / `_min`; the selections that
differentiate max/min pooling, `select_and_gather_add` (the tangent at each window's
chosen element) and `select_and_scatter_add` (its transpose: each window's source
value added at its chosen element); and `optimization_barrier` (abstract eval, NumPy
impl, binding functions).

A window reduction sees its operand dilated by `base_dilation` (holes and padding
hold the reduction's identity), reads windows of `window_dimensions` whose elements
are `window_dilation` apart, `window_strides` apart from each other, and reduces each
(StableHLO's `reduce_window`).  Window parameters are tuples with one entry per
operand dimension; `padding` is a tuple of non-negative (low, high) pairs.  A
selection chooses, in each window, the first maximal (`select="max"`) or minimal
(`"min"`) element, holes and padding included: their tangent is 0 and a source value
chosen at one of them is dropped.
"""
import numpy as np

from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor
from .checks import check_dtype_in, check_same_dtypes, dtypes_of_kinds
from .conv import dilate_dim
from .reductions import _highest, _lowest

_NUMERIC = dtypes_of_kinds("iufc")
_ORDERED = dtypes_of_kinds("biuf")
_FLOAT = dtypes_of_kinds("f")

IDENTITIES = {"sum": lambda dtype: 0, "max": _lowest, "min": _highest}
"""Window kind -> its identity as a function of the dtype (the value of holes and
padding)."""


# ---- window geometry ------------------------------------------------------------------

def window_output_shape(shape, window_dimensions, window_strides, padding,
                        base_dilation, window_dilation) -> tuple:
    """The number of windows along each dimension."""
    out = []
    for n, w, s, (lo, hi), bd, wd in zip(shape, window_dimensions, window_strides, padding,
                                         base_dilation, window_dilation):
        padded, span = dilate_dim(n, bd) + lo + hi, dilate_dim(w, wd)
        out.append(0 if padded < span else (padded - span) // s + 1)
    return tuple(out)


def check_window(name: str, shape, window_dimensions, window_strides, padding,
                 base_dilation, window_dilation) -> tuple:
    """Checks window parameters against an operand `shape`; returns the output shape."""
    params = {"window_dimensions": window_dimensions, "window_strides": window_strides,
              "padding": padding, "base_dilation": base_dilation,
              "window_dilation": window_dilation}
    for key, value in params.items():
        if len(value) != len(shape):
            raise ShapeError(f"{name}: {key} {tuple(value)} needs one entry per dimension "
                             f"of the operand of shape {tuple(shape)}")
    for key in ("window_dimensions", "window_strides", "base_dilation", "window_dilation"):
        if any(int(v) < 1 for v in params[key]):
            raise ValueError(f"{name}: {key} must be positive, got {tuple(params[key])}")
    if any(len(p) != 2 or min(p) < 0 for p in padding):
        raise ValueError(f"{name}: padding must be non-negative (low, high) pairs, got "
                         f"{tuple(map(tuple, padding))}")
    return window_output_shape(shape, window_dimensions, window_strides, padding,
                               base_dilation, window_dilation)


def padded_operand(x: np.ndarray, fill, padding, base_dilation) -> np.ndarray:
    """`x` dilated by `base_dilation` and padded, holes and padding set to `fill`."""
    shape = [lo + hi + dilate_dim(n, bd)
             for n, (lo, hi), bd in zip(x.shape, padding, base_dilation)]
    out = np.full(shape, fill, x.dtype)
    out[_real_positions(x.shape, padding, base_dilation)] = x
    return out


def _real_positions(shape, padding, base_dilation) -> tuple:
    """The index of the operand's elements inside the dilated, padded array."""
    return tuple(slice(lo, lo + dilate_dim(n, bd), bd)
                 for n, (lo, hi), bd in zip(shape, padding, base_dilation))


def window_views(padded: np.ndarray, window_dimensions, window_strides, window_dilation,
                 out_shape) -> list:
    """For each offset inside a window (row-major), the index of the elements at that
    offset of every window: `padded[view]` has the output's shape."""
    views = []
    for offset in np.ndindex(*window_dimensions):
        views.append(tuple(
            slice(k * wd, k * wd + (o - 1) * s + 1 if o else k * wd, s)
            for k, wd, s, o in zip(offset, window_dilation, window_strides, out_shape)))
    return views


def _windows(x, fill, window) -> np.ndarray:
    """The windows of `x` stacked: shape (elements per window, *output shape)."""
    out_shape = window_output_shape(x.shape, **window)
    padded = padded_operand(x, fill, window["padding"], window["base_dilation"])
    views = window_views(padded, window["window_dimensions"], window["window_strides"],
                         window["window_dilation"], out_shape)
    return np.stack([padded[v] for v in views])


def _chosen(x, select, window) -> np.ndarray:
    """The offset (row-major, in the window) of each window's first chosen element."""
    stacked = _windows(x, IDENTITIES[select](x.dtype), window)
    return (np.argmax if select == "max" else np.argmin)(stacked, axis=0)


# ---- reduce_window_sum / _max / _min ----------------------------------------------------

def _reduce_window_primitive(kind: str, np_reduce, allowed, what) -> Primitive:
    name = f"reduce_window_{kind}"
    prim = Primitive(name)

    def abstract_eval(x, **window):
        check_dtype_in(name, x.dtype, allowed, what)
        return ShapedArray(check_window(name, x.shape, **window), x.dtype, x.weak_type)

    def impl(x, **window):
        check_dtype_in(name, x.dtype, allowed, what)
        check_window(name, x.shape, **window)
        stacked = _windows(x, IDENTITIES[kind](x.dtype), window)
        return np.asarray(np_reduce(stacked, axis=0)).astype(x.dtype, copy=False)

    prim.def_abstract_eval(abstract_eval)
    prim.def_impl(impl)
    prim.weak_type_rule = lambda args, params: args[0].weak_type
    return prim


reduce_window_sum_p = _reduce_window_primitive(
    "sum", lambda s, axis: np.sum(s, axis=axis, dtype=s.dtype), _NUMERIC, "a numeric dtype")
reduce_window_max_p = _reduce_window_primitive("max", np.max, _ORDERED, "a real dtype")
reduce_window_min_p = _reduce_window_primitive("min", np.min, _ORDERED, "a real dtype")
REDUCE_WINDOW = {"sum": reduce_window_sum_p, "max": reduce_window_max_p,
                 "min": reduce_window_min_p}


# ---- select_and_gather_add / select_and_scatter_add -----------------------------------

def _check_selection(name: str, values, x, select, window) -> tuple:
    """Checks a selection's operands; returns the window output shape."""
    check_dtype_in(name, x.dtype, _FLOAT, "a floating dtype")
    check_same_dtypes(name, values, x)
    if select not in ("max", "min"):
        raise ValueError(f"{name}: select must be 'max' or 'min', got {select!r}")
    return check_window(name, x.shape, **window)


def _gather_abstract_eval(t, x, *, select, **window):
    out = _check_selection("select_and_gather_add", t, x, select, window)
    if t.shape != x.shape:
        raise ShapeError(f"select_and_gather_add: tangents of shape {t.shape} and operand "
                         f"of shape {x.shape} differ")
    return ShapedArray(out, x.dtype)


def _gather_impl(t, x, *, select, **window):
    _gather_abstract_eval(t, x, select=select, **window)
    chosen = _chosen(x, select, window)
    return np.take_along_axis(_windows(t, 0, window), chosen[None], 0)[0]


def _scatter_abstract_eval(source, x, *, select, **window):
    out = _check_selection("select_and_scatter_add", source, x, select, window)
    if tuple(source.shape) != out:
        raise ShapeError(f"select_and_scatter_add: source of shape {source.shape} does not "
                         f"match the {out} windows of the operand of shape {x.shape}")
    return ShapedArray(x.shape, x.dtype)


def _scatter_impl(source, x, *, select, **window):
    _scatter_abstract_eval(source, x, select=select, **window)
    chosen = _chosen(x, select, window)
    padded = padded_operand(np.zeros_like(x), 0, window["padding"], window["base_dilation"])
    views = window_views(padded, window["window_dimensions"], window["window_strides"],
                         window["window_dilation"], source.shape)
    for offset, view in enumerate(views):
        padded[view] += np.where(chosen == offset, source, 0).astype(x.dtype)
    return padded[_real_positions(x.shape, window["padding"], window["base_dilation"])]


select_and_gather_add_p = Primitive("select_and_gather_add")
select_and_gather_add_p.def_abstract_eval(_gather_abstract_eval)
select_and_gather_add_p.def_impl(_gather_impl)
select_and_scatter_add_p = Primitive("select_and_scatter_add")
select_and_scatter_add_p.def_abstract_eval(_scatter_abstract_eval)
select_and_scatter_add_p.def_impl(_scatter_impl)


# ---- optimization_barrier ---------------------------------------------------------------

optimization_barrier_p = Primitive("optimization_barrier", multiple_results=True)
optimization_barrier_p.def_abstract_eval(lambda *avals: list(avals))
optimization_barrier_p.def_impl(lambda *values: list(values))
optimization_barrier_p.weak_type_rule = lambda args, params: [a.weak_type for a in args]


# ---- binding functions ------------------------------------------------------------------

def window_params(ndim: int, window_dimensions, window_strides, padding,
                  base_dilation=None, window_dilation=None) -> dict:
    """Window parameters as the primitives take them: tuples of ints, padding as a
    tuple of (low, high) pairs, unit dilations by default."""
    ones = (1,) * ndim
    return {"window_dimensions": tuple(int(w) for w in window_dimensions),
            "window_strides": tuple(int(s) for s in window_strides),
            "padding": tuple((int(lo), int(hi)) for lo, hi in padding),
            "base_dilation": ones if base_dilation is None else tuple(map(int, base_dilation)),
            "window_dilation": ones if window_dilation is None
            else tuple(map(int, window_dilation))}


def reduce_window_sum(operand, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    """`reduce_window_sum(operand, window_dimensions, window_strides, padding,
    base_dilation=None, window_dilation=None)`: the sum of each window (holes and
    padding are 0).  `lax.reduce_window(x, 0., lax.add, ...)` binds it.

    Example:
      >>> reduce_window_sum(np.arange(4.), (2,), (1,), ((0, 0),))
      Array([1., 3., 5.], dtype=float32)
    """
    x = to_tensor(operand)
    return reduce_window_sum_p.bind(x, **window_params(
        x.ndim, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def reduce_window_max(operand, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    """`reduce_window_max(operand, ...)`: the maximum of each window (holes and padding
    are -inf, or the dtype's least value).  Max pooling.

    Example:
      >>> reduce_window_max(np.array([1., 3., 2.]), (2,), (1,), ((0, 0),))
      Array([3., 3.], dtype=float32)
    """
    x = to_tensor(operand)
    return reduce_window_max_p.bind(x, **window_params(
        x.ndim, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def reduce_window_min(operand, window_dimensions, window_strides, padding,
                      base_dilation=None, window_dilation=None):
    """`reduce_window_min(operand, ...)`: the minimum of each window (holes and padding
    are inf, or the dtype's greatest value).

    Example:
      >>> reduce_window_min(np.array([1., 3., 2.]), (2,), (1,), ((0, 0),))
      Array([1., 2.], dtype=float32)
    """
    x = to_tensor(operand)
    return reduce_window_min_p.bind(x, **window_params(
        x.ndim, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def select_and_gather_add(tangents, operand, select: str, window_dimensions, window_strides,
                          padding, base_dilation=None, window_dilation=None):
    """`select_and_gather_add(tangents, operand, select, window_dimensions,
    window_strides, padding, base_dilation=None, window_dilation=None)`: for each
    window of `operand`, the element of `tangents` (same shape) at its first maximum
    (`select="max"`) or minimum (`"min"`); 0 where that is padding or a hole.  The
    JVP of max/min pooling.

    Example:
      >>> select_and_gather_add(np.array([10., 20., 30.]), np.array([1., 3., 2.]),
      ...                       "max", (2,), (1,), ((0, 0),))
      Array([20., 20.], dtype=float32)
    """
    t, x = to_tensor(tangents), to_tensor(operand)
    return select_and_gather_add_p.bind(t, x, select=select, **window_params(
        x.ndim, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def select_and_scatter_add(source, operand, select: str, window_dimensions, window_strides,
                           padding, base_dilation=None, window_dilation=None):
    """`select_and_scatter_add(source, operand, select, window_dimensions,
    window_strides, padding, base_dilation=None, window_dilation=None)`: an array of
    `operand`'s shape where each window's `source` value (one per window) is added at
    the window's first maximum (`select="max"`) or minimum (`"min"`) of `operand`.
    The transpose of `select_and_gather_add`: the gradient of max/min pooling.

    Example:
      >>> select_and_scatter_add(np.array([5., 7.]), np.array([1., 3., 2.]),
      ...                        "max", (2,), (1,), ((0, 0),))
      Array([ 0., 12.,  0.], dtype=float32)
    """
    s, x = to_tensor(source), to_tensor(operand)
    return select_and_scatter_add_p.bind(s, x, select=select, **window_params(
        x.ndim, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def optimization_barrier(*operands) -> list:
    """`optimization_barrier(*operands)`: the operands unchanged, as a list; under
    `jit` no computation moves across it (`stablehlo.optimization_barrier`).

    Example:
      >>> optimization_barrier(np.ones(2), np.zeros(()))
      [Array([1., 1.], dtype=float32), Array(0., dtype=float32)]
    """
    if not operands:
        return []
    return optimization_barrier_p.bind(*[to_tensor(x) for x in operands])
