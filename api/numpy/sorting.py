"""Sorting, searching and counting in irax.numpy: sort, argsort, lexsort,
searchsorted, digitize, nonzero and its relatives, extract, compress, unique and
bincount.

Sorts are stable (NaNs last) and work on traced values; searches are binary searches
of static depth.  Functions whose result shape depends on the values (nonzero without
`size=`, unique, compress, bincount without `length=`) need concrete arguments.
"""
import operator

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as gs
from irax.core.primitives import reductions as red
from irax.core.primitives import sorting as lax_sorting
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor, numpy_tensor

from . import util
from .indexing import _gather, _integer_arg, _scatter_update, getitem, take
from .ufuncs import clip, isnan

__all__ = [
    "argsort", "argwhere", "bincount", "compress", "digitize", "extract", "flatnonzero",
    "lexsort", "nonzero", "searchsorted", "sort", "unique",
]


def sort(a, axis: int | None = -1, *, kind=None, order=None, stable: bool = True,
         descending: bool = False) -> Tensor:
    """A sorted copy of `a` along `axis` (flattened when None) (`numpy.sort`).

    NaNs sort last; `descending=True` reverses the order.  `kind` is ignored (the
    sort is always stable); `order` (structured arrays) is not supported.

    Example:
      >>> jnp.sort(jnp.array([3., 1., 2.]))
      Array([1., 2., 3.], dtype=float32)
    """
    x, ax = _sort_operand("sort", a, axis, order)
    out = lax_sorting.sort(x, ax)
    return st.rev(out, (ax,)) if descending else out


def _sort_operand(name: str, a, axis, order):
    if order is not None:
        raise TypeError(f"{name}: the 'order' argument (structured arrays) is not supported")
    x = util.asarray_arg(name, a)
    if axis is None:
        return st.reshape(x, (x.size,)), 0
    return x, util.canonical_axis(name, axis, x.ndim)


def argsort(a, axis: int | None = -1, *, kind=None, order=None, stable: bool = True,
            descending: bool = False) -> Tensor:
    """The indices that sort `a` along `axis` (flattened when None) (`numpy.argsort`).

    The sort is stable: equal elements keep their order, also with `descending=True`.

    Returns:
      Indices of the default int dtype, of a's shape.

    Example:
      >>> jnp.argsort(jnp.array([3, 1, 2]))
      Array([1, 2, 0], dtype=int32)
    """
    x, ax = _sort_operand("argsort", a, axis, order)
    int_dtype = dtypes.default_int_dtype()
    iota = st.broadcasted_iota(int_dtype, x.shape, ax)
    if not descending:
        return lax_sorting.sort_key_val(x, iota, ax)[1]
    _, idx = lax_sorting.sort_key_val(st.rev(x, (ax,)), iota, ax)
    return ew.sub(x.shape[ax] - 1, st.rev(idx, (ax,)))


def lexsort(keys, axis: int = -1) -> Tensor:
    """The indices that sort by several keys, the last key primary (`numpy.lexsort`).

    Example:
      >>> jnp.lexsort((jnp.array([2, 1, 1]), jnp.array([0, 1, 0])))
      Array([2, 0, 1], dtype=int32)
    """
    ks = [util.asarray_arg("lexsort", k) for k in keys]
    if not ks:
        raise TypeError("lexsort: need a sequence of keys with len > 0")
    if len({k.shape for k in ks}) != 1:
        raise ValueError(f"lexsort: all keys must have one shape, got "
                         f"{', '.join(str(k.shape) for k in ks)}")
    ax = util.canonical_axis("lexsort", axis, ks[0].ndim)
    iota = st.broadcasted_iota(dtypes.default_int_dtype(), ks[0].shape, ax)
    return lax_sorting.sort(ks[::-1] + [iota], ax, num_keys=len(ks))[-1]


def _search(a: Tensor, v: Tensor, side: str) -> Tensor:
    """Binary search of static depth: for each v, the count of a-elements before it
    (`a < v` for side 'left', `a <= v` for 'right'; NaNs sort last)."""
    n = a.shape[0]
    lo = st.broadcast_in_dim(numpy_tensor(np.int32(0)), v.shape, ())
    hi = st.broadcast_in_dim(numpy_tensor(np.int32(n)), v.shape, ())
    nan_aware = dtypes.is_float(a.dtype)
    for _ in range(n.bit_length()):
        mid = ew.div(ew.add(lo, hi), 2)
        am = _gather(a, {0: mid}, 0, "clip", None)
        if side == "left":
            go = ew.lt(am, v)
            if nan_aware:
                go = ew.bitwise_or(go, ew.bitwise_and(isnan(v), ew.bitwise_not(isnan(am))))
        else:
            go = ew.le(am, v)
            if nan_aware:
                go = ew.bitwise_or(go, isnan(v))
        active = ew.lt(lo, hi)
        lo = ew.select(ew.bitwise_and(active, go), ew.add(mid, 1), lo)
        hi = ew.select(ew.bitwise_and(active, ew.bitwise_not(go)), mid, hi)
    return lo


def searchsorted(a, v, side: str = "left", sorter=None, *, method: str = "scan") -> Tensor:
    """Indices where `v` would be inserted into the sorted 1-D `a` to keep it sorted
    (`numpy.searchsorted`).  Works on traced values (a binary search of static depth).

    Args:
      a: a sorted 1-D array (or any 1-D array with `sorter` its argsort).
      v: the values to insert (any shape).
      side: 'left' (first suitable index) or 'right' (last).
      sorter: optional integer indices that sort `a`.
      method: accepted for JAX compatibility; irax always binary-searches.

    Returns:
      int32 indices of v's shape.

    Example:
      >>> jnp.searchsorted(jnp.array([1, 2, 3]), jnp.array([2, 5]))
      Array([1, 3], dtype=int32)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    a = util.asarray_arg("searchsorted", a)
    if a.ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-D, got shape {a.shape}")
    if sorter is not None:
        a = take(a, sorter, mode="clip")
    v = util.asarray_arg("searchsorted", v)
    dtype = util.result_type(a, v)
    return _search(util.convert(a, dtype), util.convert(v, dtype), side)


def digitize(x, bins, right: bool = False) -> Tensor:
    """The index of the bin each value of `x` falls in (`numpy.digitize`); `bins` must
    be monotonic (increasing or decreasing).

    Example:
      >>> jnp.digitize(jnp.array([0.5, 1.5, 3.0]), jnp.array([1.0, 2.0]))
      Array([0, 1, 2], dtype=int32)
    """
    x = util.asarray_arg("digitize", x)
    b = util.asarray_arg("digitize", bins)
    if b.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {b.shape}")
    side = "left" if right else "right"
    if not b.shape[0]:
        return st.broadcast_in_dim(numpy_tensor(np.int32(0)), x.shape, ())
    increasing = ew.ge(*util.promote_args("digitize", getitem(b, -1), getitem(b, 0)))
    up = searchsorted(b, x, side)
    down = ew.sub(b.shape[0], searchsorted(st.rev(b, (0,)), x, side))
    return ew.select(increasing, up, down)


def nonzero(a, *, size: int | None = None, fill_value=None) -> tuple:
    """The indices of the non-zero elements, one array per axis (`numpy.nonzero`).

    Args:
      a: an array of at least one dimension.
      size: the number of results to return (truncated or padded with `fill_value`).
        Without it `a` must be concrete; with it `nonzero` works on traced values.
      fill_value: the padding index, a scalar or one per axis (default 0).

    Returns:
      A tuple of a.ndim integer arrays (the default int dtype).

    Example:
      >>> jnp.nonzero(jnp.array([0, 3, 0, 4]))
      (Array([1, 3], dtype=int32),)
    """
    if size is None:
        return util.nonzero_indices(a)
    x = util.asarray_arg("nonzero", a)
    if x.ndim == 0:
        raise ValueError("nonzero: calling nonzero on 0-d arrays is not allowed; use "
                         "jnp.atleast_1d(x).nonzero()")
    int_dtype = dtypes.default_int_dtype()
    size = operator.index(size)
    fills = [st.broadcast_in_dim(ew.convert_element_type(f.item(), int_dtype), (size,), ())
             for f in np.broadcast_to(np.asarray(0 if fill_value is None else fill_value),
                                      (x.ndim,))]
    if not x.size:
        return tuple(fills)
    flat = util.convert(ew.ne(st.reshape(x, (x.size,)), ew.convert_element_type(
        0, x.dtype)), int_dtype)
    ranks = st.iota(int_dtype, size)
    positions = util.convert(_search(red.cumsum(flat, 0), ew.add(ranks, 1), "left"),
                             int_dtype)
    found = ew.lt(ranks, red.reduce_sum(flat, (0,)))
    out, stride = [], x.size
    for n, fill in zip(x.shape, fills):
        stride //= n
        out.append(ew.select(found, ew.rem(ew.div(positions, stride), n), fill))
    return tuple(out)


def flatnonzero(a, *, size: int | None = None, fill_value=None) -> Tensor:
    """Indices of the non-zero elements of the flattened array (`numpy.flatnonzero`).

    Example:
      >>> jnp.flatnonzero(jnp.array([[0, 1], [1, 0]]))
      Array([1, 2], dtype=int32)
    """
    x = util.asarray_arg("flatnonzero", a)
    return nonzero(st.reshape(x, (x.size,)), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size: int | None = None, fill_value=None) -> Tensor:
    """The indices of the non-zero elements as rows of an (N, a.ndim) array
    (`numpy.argwhere`).

    Example:
      >>> jnp.argwhere(jnp.array([[0, 1], [1, 0]]))
      Array([[0, 1],
             [1, 0]], dtype=int32)
    """
    x = util.asarray_arg("argwhere", a)
    cols = nonzero(st.reshape(x, (1,)) if x.ndim == 0 else x, size=size,
                   fill_value=fill_value)
    out = st.concatenate([st.reshape(c, (c.shape[0], 1)) for c in cols], 1)
    return st.slice(out, (0, 0), (out.shape[0], 0)) if x.ndim == 0 else out


def extract(condition, arr, *, size: int | None = None, fill_value=0) -> Tensor:
    """The elements of the flattened `arr` where the flattened `condition` is non-zero
    (`numpy.extract`).  Concrete `condition` only, unless `size` is given (then
    padded with `fill_value`).

    Example:
      >>> jnp.extract(jnp.array([True, False, True]), jnp.array([1, 2, 3]))
      Array([1, 3], dtype=int32)
    """
    x = util.asarray_arg("extract", arr)
    flat = st.reshape(x, (x.size,))
    idx = flatnonzero(condition, size=size, fill_value=x.size)
    return take(flat, idx, mode="fill", fill_value=fill_value)


def compress(condition, a, axis: int | None = None) -> Tensor:
    """The slices of `a` along `axis` where the concrete 1-D `condition` is true
    (`numpy.compress`); `a` is flattened when `axis` is None.

    Example:
      >>> jnp.compress(jnp.array([False, True]), jnp.array([[1, 2], [3, 4]]), axis=0)
      Array([[3, 4]], dtype=int32)
    """
    cond = util.concrete("compress", util.asarray_arg("compress", condition),
                     "the result shape depends on the condition's values")
    x = util.asarray_arg("compress", a)
    if axis is None:
        x, axis = st.reshape(x, (x.size,)), 0
    ax = util.canonical_axis("compress", axis, x.ndim)
    if cond.ndim != 1:
        raise ValueError(f"compress: condition must be 1-D, got shape {cond.shape}")
    idx = np.nonzero(cond)[0]
    if idx.size and idx[-1] >= x.shape[ax]:
        raise IndexError(f"compress: condition of length {cond.shape[0]} selects beyond "
                         f"axis {ax} of size {x.shape[ax]}")
    return _gather(x, {ax: numpy_tensor(idx, np.int32)}, ax, "clip", None)


def unique(ar, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True):
    """The sorted unique elements of a concrete array (`numpy.unique`).

    Args:
      ar: the array (flattened when `axis` is None).
      return_index, return_inverse, return_counts: also return the first indices of
        the unique values, the indices reconstructing `ar`, and the counts.
      axis: unique sub-arrays along this axis instead of elements.
      equal_nan: collapse NaNs into one.

    Returns:
      The unique values, or a tuple with the requested index arrays (default int).

    Example:
      >>> jnp.unique(jnp.array([3, 1, 3]))
      Array([1, 3], dtype=int32)
    """
    x = util.asarray_arg("unique", ar)
    concrete = util.concrete("unique", x, "the number of results depends on the values")
    if axis is not None:
        axis = util.canonical_axis("unique", axis, x.ndim)
    out = np.unique(concrete, return_index, return_inverse, return_counts, axis,
                    equal_nan=equal_nan)
    if not isinstance(out, tuple):
        return numpy_tensor(out, x.dtype)
    int_dtype = dtypes.default_int_dtype()
    return (numpy_tensor(out[0], x.dtype),) + tuple(numpy_tensor(o, int_dtype)
                                                   for o in out[1:])


def bincount(x, weights=None, minlength: int = 0, *, length: int | None = None) -> Tensor:
    """Counts (or sums `weights` of) each value of a non-negative 1-D integer array
    (`numpy.bincount`).

    Args:
      x: 1-D integer array; as in JAX, negative values count as 0.
      weights: optional array of x's shape to sum instead of counting.
      minlength: the minimum length of the result.
      length: the exact length of the result (values beyond are dropped); needed
        when `x` is traced.

    Returns:
      An array of the default int dtype (or of the weights' dtype).

    Example:
      >>> jnp.bincount(jnp.array([0, 2, 2]))
      Array([1, 0, 2], dtype=int32)
    """
    x = _integer_arg("bincount", x)
    if x.ndim != 1:
        raise ValueError(f"bincount: x must be 1-D, got shape {x.shape}")
    if length is None:
        values = util.concrete("bincount", x, "the result length depends on the values; "
                           "pass length=")
        length = max(operator.index(minlength), int(values.max()) + 1 if values.size else 0)
    w = numpy_tensor(np.ones((), dtypes.default_int_dtype())) if weights is None else (
        util.asarray_arg("bincount", weights))
    if weights is not None and w.shape != x.shape:
        raise ValueError(f"bincount: weights of shape {w.shape} must have the shape of x "
                         f"{x.shape}")
    zeros = st.broadcast_in_dim(ew.convert_element_type(0, w.dtype), (length,), ())
    return _scatter_update("bincount", zeros, clip(x, 0), w, gs.scatter_add, "drop")
