"""Indexing of irax.numpy: `x[idx]`, `x.at[idx]`, take, select and index arithmetic.

`getitem` follows NumPy's basic and advanced indexing.  Static ints and slices become
one `slice` (+ `rev` for negative steps) and a `reshape`; traced scalar indices a
`dynamic_slice`; integer arrays one `gather`.  As in JAX, negative array indices wrap
and out-of-bounds ones are clamped (a static int out of bounds is an IndexError);
boolean masks must be concrete.  `x.at[idx].set(v)` and friends scatter into the flat
array at the positions `getitem` selects, dropping out-of-bounds updates.
"""
import operator
from typing import NamedTuple

import numpy as np

from irax.core import dtypes
from irax.core.errors import ConcretizationTypeError
from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as gs
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor, numpy_tensor

from . import util
from .ufuncs import clip, divide, power, remainder, where

__all__ = [
    "IndexUpdateHelper", "IndexUpdateRef", "getitem", "ix_", "ravel_multi_index", "select",
    "take", "take_along_axis", "unravel_index",
]


class _Entry(NamedTuple):
    """One normalized index entry: kind is 'slice', 'int', 'dyn' (traced scalar),
    'array' (integer array), 'none' (new axis) or 'gap' (where an Ellipsis was: as in
    NumPy, it separates advanced indices even when it stands for no axis)."""

    kind: str
    value: object = None


_ADVANCED = ("int", "dyn", "array")


def _classify(name: str, item) -> _Entry:
    """The entry for one element of an index tuple ('bool', 'mask' and 'ellipsis'
    are resolved by `_normalize`)."""
    if item is None:
        return _Entry("none")
    if item is Ellipsis:
        return _Entry("ellipsis")
    if isinstance(item, slice):
        try:
            return _Entry("slice", slice(*(None if v is None else operator.index(v)
                                           for v in (item.start, item.stop, item.step))))
        except TypeError as err:
            if isinstance(err, ConcretizationTypeError):
                raise
            raise TypeError(f"{name}: slice indices must be integers or None, got "
                            f"{item}") from err
    if isinstance(item, (bool, np.bool_)):
        return _Entry("bool", bool(item))
    if isinstance(item, (int, np.integer)):
        return _Entry("int", operator.index(item))
    if isinstance(item, (list, tuple)) and not item:
        return _Entry("array", numpy_tensor(np.zeros(0, np.int32)))
    if isinstance(item, (list, tuple, np.ndarray, np.generic)):
        item = util.asarray_arg(name, item)
    if not isinstance(item, Tensor):
        raise TypeError(f"{name}: invalid index {item!r} of type {type(item).__name__}; "
                        "use ints, slices, None, Ellipsis or integer/boolean arrays")
    if item.dtype == dtypes.bool_:
        mask = util.concrete(name, item, "boolean mask index (its shape depends on its "
                         "values; use jnp.where, or nonzero with size=)")
        return _Entry("bool", bool(mask)) if not mask.ndim else _Entry("mask", mask)
    if not dtypes.is_integer(item.dtype):
        raise TypeError(f"{name}: indices must have integer or boolean type, got {item.dtype}")
    # A 0-d array, concrete or traced, indexes dynamically (clamped), as in JAX; only
    # Python and NumPy integer scalars are static.
    return _Entry("array", item) if item.ndim else _Entry("dyn", item)


def _normalize(name: str, x: Tensor, index, static_ints: bool):
    """`x` (with new axes for boolean scalars) and its index as entries that each
    consume one axis (or none for 'none'); static ints become arrays unless
    `static_ints`."""
    raw = [_classify(name, item) for item in (index if isinstance(index, tuple) else (index,))]
    if sum(e.kind == "ellipsis" for e in raw) > 1:
        raise IndexError(f"{name}: an index can only have a single ellipsis ('...')")
    used = sum(e.value.ndim if e.kind == "mask" else e.kind not in ("none", "ellipsis")
               for e in raw)
    n_bool = sum(e.kind == "bool" for e in raw)
    if used > x.ndim + n_bool:
        raise IndexError(f"{name}: too many indices for array: array is {x.ndim}-"
                         f"dimensional, but {used - n_bool} were indexed")
    fill = [_Entry("slice", slice(None))] * (x.ndim + n_bool - used)
    where_ellipsis = next((i for i, e in enumerate(raw) if e.kind == "ellipsis"), len(raw))
    raw = raw[:where_ellipsis] + [_Entry("gap")] + fill + raw[where_ellipsis + 1:]
    entries, shape, dim = [], [], 0
    for e in raw:
        if e.kind == "bool":
            shape.append(1)
            e = _Entry("array", numpy_tensor(np.arange(int(e.value)), np.int32))
        elif e.kind == "mask":
            sizes = x.shape[dim:dim + e.value.ndim]
            if sizes != e.value.shape:
                raise IndexError(f"{name}: boolean index of shape {e.value.shape} does not "
                                 f"match the indexed axes {sizes} of an array of shape "
                                 f"{x.shape}")
            shape += sizes
            dim += e.value.ndim
            entries += [_Entry("array", numpy_tensor(i)) for i in np.nonzero(e.value)]
            continue
        elif e.kind not in ("none", "gap"):
            shape.append(x.shape[dim])
            dim += 1
        if not static_ints and e.kind in ("int", "dyn"):
            e = _Entry("array", numpy_tensor(np.int32(e.value)) if e.kind == "int" else e.value)
        entries.append(e)
    return (st.reshape(x, shape) if n_bool else x), entries


def _index_int(x: Tensor) -> Tensor:
    """Integer indices as int32 (int64 ones stay int64)."""
    return util.convert(x, np.dtype(np.int64) if x.dtype.itemsize == 8 and x.dtype.kind == "i"
                        else np.dtype(np.int32))


def _wrap(idx: Tensor, n: int) -> Tensor:
    """Negative indices counted from the end (a no-op for unsigned ones)."""
    if idx.dtype.kind == "u":
        return idx
    return ew.select(ew.lt(idx, 0), ew.add(idx, n), idx)


def _basic(name: str, x: Tensor, entries: list) -> Tensor:
    """Applies the slices, static ints and traced scalars of `entries` (static ints
    and traced scalars remove their axes); array and 'none' entries are left alone."""
    starts, limits, strides, flips, dyn, keep = [], [], [], [], {}, []
    dim = 0
    for e in entries:
        if e.kind in ("none", "gap"):
            continue
        n = x.shape[dim]
        lo, hi, step = 0, n, 1
        if e.kind == "slice":
            start, stop, step = e.value.indices(n)
            count = len(range(start, stop, step))
            if not count:
                hi, step = 0, 1
            elif step > 0:
                lo, hi = start, start + (count - 1) * step + 1
            else:
                lo, hi, step = start + (count - 1) * step, start + 1, -step
                if count > 1:
                    flips.append(dim)
        elif e.kind == "int" and not -n <= e.value < n or e.kind == "dyn" and not n:
            raise IndexError(f"{name}: index {e.value} is out of bounds for axis {dim} with "
                             f"size {n}")
        elif e.kind == "int":
            lo, hi = e.value % n, e.value % n + 1
        elif e.kind == "dyn":
            dyn[dim] = _wrap(_index_int(e.value), n)
        if e.kind in ("slice", "array"):
            keep.append(dim)
        starts.append(lo)
        limits.append(hi)
        strides.append(step)
        dim += 1
    if (starts, limits, strides) != ([0] * x.ndim, list(x.shape), [1] * x.ndim):
        x = st.slice(x, starts, limits, strides)
    if flips:
        x = st.rev(x, flips)
    if dyn:
        zero = numpy_tensor(np.int32(0))
        x = st.dynamic_slice(x, [util.convert(dyn[d], np.dtype(np.int32)) if d in dyn else
                                 zero for d in range(x.ndim)],
                             [1 if d in dyn else s for d, s in enumerate(x.shape)])
    if len(keep) != x.ndim:
        x = st.reshape(x, [x.shape[d] for d in keep])
    return x


def _gather(x: Tensor, arrays: dict, position: int, mode, fill_value) -> Tensor:
    """`x` indexed by the integer `arrays` {axis: indices} (broadcast together; negative
    ones wrapped), their broadcast shape placed at `position` among the other axes."""
    idx = [_wrap(_index_int(a), x.shape[d]) for d, a in arrays.items()]
    try:
        batch = util.broadcast_shapes("getitem", *[i.shape for i in idx])
    except ValueError as err:
        raise IndexError(f"{err}: integer index arrays must broadcast together") from None
    rest = [d for d in range(x.ndim) if d not in arrays]
    out_shape = tuple(x.shape[d] for d in rest[:position]) + batch + tuple(
        x.shape[d] for d in rest[position:])
    if any(x.shape[d] == 0 for d in arrays) or not np.prod(out_shape, dtype=np.int64):
        if np.prod(batch, dtype=np.int64) and mode != "fill" and any(
                x.shape[d] == 0 for d in arrays):
            raise IndexError(f"getitem: index out of bounds for an axis of size 0 of an "
                             f"array of shape {x.shape}")
        value = gs.default_fill(x.dtype) if fill_value is None else fill_value
        return st.broadcast_in_dim(ew.convert_element_type(value, x.dtype, x.weak_type),
                                   out_shape, ())
    index_dtype = util.result_type(*idx)
    stacked = st.concatenate([st.reshape(util.broadcast_to_shape(util.convert(i, index_dtype),
                                                                 batch), batch + (1,))
                              for i in idx], len(batch))
    dnums = gs.GatherDimensionNumbers(
        offset_dims=tuple(k for k in range(len(out_shape))
                          if not position <= k < position + len(batch)),
        collapsed_slice_dims=tuple(sorted(arrays)), start_index_map=tuple(arrays))
    sizes = [1 if d in arrays else s for d, s in enumerate(x.shape)]
    return gs.gather(x, stacked, dnums, sizes, mode=mode, fill_value=fill_value)


def _rewriting_take(name: str, x, index, mode=None, fill_value=None) -> Tensor:
    """`x[index]`.  mode None: getitem semantics (static ints checked, arrays clamped);
    else 'clip'/'fill'/'promise_in_bounds' for every integer index."""
    x = util.asarray_arg(name, x)
    x, entries = _normalize(name, x, index, static_ints=mode is None)
    x = _basic(name, x, entries)
    advanced = [k for k, e in enumerate(entries) if e.kind in _ADVANCED]
    arrays = [e.value for e in entries if e.kind == "array"]
    if not arrays:
        return st.reshape(x, _final_shape(entries, x.shape, (), None))
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    position = sum(e.kind == "slice" for e in entries[:advanced[0]]) if adjacent else 0
    kept = [e.kind for e in entries if e.kind in ("slice", "array")]
    array_axes = [d for d, kind in enumerate(kept) if kind == "array"]
    out = _gather(x, dict(zip(array_axes, arrays)), position,
                  "promise_in_bounds" if mode is None else mode, fill_value)
    batch_ndim = out.ndim - (len(kept) - len(arrays))
    batch = out.shape[position:position + batch_ndim]
    sizes = out.shape[:position] + out.shape[position + batch_ndim:]
    return st.reshape(out, _final_shape(entries, sizes, batch,
                                        advanced[0] if adjacent else -1))


def _final_shape(entries: list, slice_sizes: tuple, batch: tuple, at) -> tuple:
    """The result shape: slice axes, new axes and the advanced `batch` (at entry `at`,
    or first when `at` is -1)."""
    sizes, shape = iter(slice_sizes), list(batch) if at == -1 else []
    for k, e in enumerate(entries):
        if e.kind == "none":
            shape.append(1)
        elif e.kind == "slice":
            shape.append(next(sizes))
        elif k == at:
            shape += batch
    return tuple(shape)


def getitem(arr, index) -> Tensor:
    """`arr[index]` with NumPy's basic and advanced indexing (`Tensor.__getitem__`).

    Args:
      arr: the array.
      index: an int, slice, None, Ellipsis, integer array (or list) or boolean mask,
        or a tuple of them.  Traced scalars and integer arrays are allowed; boolean
        masks must be concrete (their shape depends on their values).

    Returns:
      The indexed array.  Negative indices count from the end.  As in JAX,
      out-of-bounds integer array and traced indices are clamped; a static int out of
      bounds raises IndexError.

    Example:
      >>> x = jnp.arange(12).reshape(3, 4)
      >>> x[1:, ::-2]
      Array([[ 7,  5],
             [11,  9]], dtype=int32)
    """
    return _rewriting_take("getitem", arr, index)


class IndexUpdateHelper:
    """The `x.at` property: `x.at[idx]` names the elements a functional update acts on.

    `x.at[idx].set(v)` is NumPy's `x[idx] = v` without mutation: it returns a new
    array.  Other methods: `get`, `add`, `subtract`, `multiply`, `divide`, `power`,
    `min`, `max`.  Out-of-bounds updates are dropped (mode='drop', the default) or
    clamped (mode='clip').

    Example:
      >>> jnp.zeros(3).at[1].add(5.0)
      Array([0., 5., 0.], dtype=float32)
    """

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index) -> "IndexUpdateRef":
        return IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


class IndexUpdateRef:
    """`x.at[idx]`: the functional update methods of one index (see IndexUpdateHelper).

    Each takes `values` (broadcast to the shape of `x[idx]` and cast to x's dtype) and
    the keyword-only `indices_are_sorted`, `unique_indices` (promises) and `mode`.
    """

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None) -> Tensor:
        """`x[idx]` with an explicit out-of-bounds `mode` ('clip' by default, 'fill'
        with `fill_value`, or 'promise_in_bounds')."""
        mode = gs.GatherScatterMode.from_any("promise_in_bounds" if mode is None else mode)
        return _rewriting_take("at.get", self.array, self.index, mode.value, fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False,
            mode=None) -> Tensor:
        """A copy of x with `x[idx] = values` (NumPy semantics; for repeated indices
        one of the values wins)."""
        return _scatter_update("at.set", self.array, self.index, values, gs.scatter, mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False,
            mode=None) -> Tensor:
        """A copy of x with `x[idx] += values` (repeated indices accumulate)."""
        return _scatter_update("at.add", self.array, self.index, values, gs.scatter_add,
                               mode)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False,
                 mode=None) -> Tensor:
        """A copy of x with `x[idx] -= values` (repeated indices accumulate)."""
        dtype = util.asarray_arg("at.subtract", self.array).dtype
        values = ew.convert_element_type(util.asarray_arg("at.subtract", values), dtype)
        return _scatter_update("at.subtract", self.array, self.index, ew.neg(values),
                               gs.scatter_add, mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False,
                 mode=None) -> Tensor:
        """A copy of x with `x[idx] *= values` (repeated indices accumulate)."""
        return _scatter_update("at.multiply", self.array, self.index, values,
                               gs.scatter_mul, mode)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False,
               mode=None) -> Tensor:
        """`x / ones.at[idx].multiply(values)`, as in JAX (integers give floats)."""
        return divide(self.array, self._ones_times("at.divide", values, mode))

    def power(self, values, *, indices_are_sorted=False, unique_indices=False,
              mode=None) -> Tensor:
        """`x ** ones.at[idx].multiply(values)`, as in JAX."""
        return power(self.array, self._ones_times("at.power", values, mode))

    def min(self, values, *, indices_are_sorted=False, unique_indices=False,
            mode=None) -> Tensor:
        """A copy of x with `x[idx] = minimum(x[idx], values)`."""
        return _scatter_update("at.min", self.array, self.index, values, gs.scatter_min,
                               mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False,
            mode=None) -> Tensor:
        """A copy of x with `x[idx] = maximum(x[idx], values)`."""
        return _scatter_update("at.max", self.array, self.index, values, gs.scatter_max,
                               mode)

    def _ones_times(self, name, values, mode):
        x = util.asarray_arg(name, self.array)
        ones = st.broadcast_in_dim(ew.convert_element_type(1, x.dtype), x.shape, ())
        return _scatter_update(name, ones, self.index, values, gs.scatter_mul, mode)


def _scatter_update(name: str, x, index, values, scatter, mode) -> Tensor:
    """`scatter` of `values` into x at the flat positions of `x[index]`; positions out
    of bounds become `x.size` and are dropped (or are clamped in mode 'clip')."""
    x = util.asarray_arg(name, x)
    clamp = gs.GatherScatterMode.from_any(mode) is not gs.GatherScatterMode.FILL_OR_DROP
    flat_iota = st.reshape(st.iota(np.int32, x.size), x.shape)
    positions = _rewriting_take(name, flat_iota, index, "clip" if clamp else "fill", x.size)
    v = util.asarray_arg(name, values)
    while v.ndim > positions.ndim and v.shape[0] == 1:
        v = st.reshape(v, v.shape[1:])
    target = util.broadcast_shapes(name, v.shape, positions.shape)
    if target != positions.shape:
        raise ValueError(f"{name}: cannot broadcast values of shape {v.shape} to the "
                         f"indexed shape {positions.shape}")
    v = util.broadcast_to_shape(ew.convert_element_type(v, x.dtype), target)
    out = scatter(st.reshape(x, (x.size,)), st.reshape(positions, (positions.size, 1)),
                  st.reshape(v, (positions.size,)), gs.ScatterDimensionNumbers((), (0,), (0,)),
                  mode="clip" if clamp else "drop")
    return st.reshape(out, x.shape)


def _integer_arg(name: str, x) -> Tensor:
    x = util.asarray_arg(name, x)
    if not dtypes.is_integer(x.dtype):
        raise TypeError(f"{name}: indices must be integers, got {x.dtype}")
    return x


def take(a, indices, axis: int | None = None, mode: str | None = None,
         unique_indices: bool = False, indices_are_sorted: bool = False,
         fill_value=None) -> Tensor:
    """Elements of `a` at `indices` along `axis` (`numpy.take`).

    Args:
      a: the array; flattened when `axis` is None.
      indices: integer indices (any shape), which replace axis `axis` in the result.
      axis: the axis to take along.
      mode: out-of-bounds handling: 'fill' (default, as JAX: negative indices wrap,
        others out of bounds give `fill_value`), 'clip' (clamped, no wrapping) or
        'wrap' (modulo the axis size).
      fill_value: the 'fill' value (default NaN, the minimum signed int, the maximum
        unsigned int or True).

    Returns:
      `a[:, ..., indices, ...]` with the indices' shape at `axis`.

    Example:
      >>> jnp.take(jnp.array([4., 5., 6.]), jnp.array([0, 2, 3]))
      Array([ 4.,  6., nan], dtype=float32)
    """
    x = util.asarray_arg("take", a)
    if axis is None:
        x, axis = st.reshape(x, (x.size,)), 0
    ax = util.canonical_axis("take", axis, x.ndim)
    idx = _integer_arg("take", indices)
    n = x.shape[ax]
    if mode in (None, "fill"):
        return _gather(x, {ax: idx}, ax, "fill", fill_value)
    if mode == "clip":
        idx = clip(idx, 0, max(n - 1, 0)) if idx.dtype.kind == "i" else idx
        return _gather(x, {ax: idx}, ax, "clip", None)
    if mode == "wrap":
        return _gather(x, {ax: remainder(idx, n) if n else idx}, ax, "clip", None)
    raise ValueError(f"take: mode must be 'fill', 'clip' or 'wrap', got {mode!r}")


def take_along_axis(arr, indices, axis: int | None, mode: str | None = None,
                    fill_value=None) -> Tensor:
    """Picks `arr[..., indices[..., i, ...], ...]` along `axis`, matching the other axes
    (`numpy.take_along_axis`); they broadcast.

    Args:
      arr: the array; flattened when `axis` is None.
      indices: integer array of arr's rank (1-D when `axis` is None).
      axis: the axis to index.
      mode: 'fill' (default: out-of-bounds give `fill_value`) or 'clip'.

    Example:
      >>> x = jnp.array([[3, 1], [2, 4]])
      >>> jnp.take_along_axis(x, jnp.argsort(x, axis=1), axis=1)
      Array([[1, 3],
             [2, 4]], dtype=int32)
    """
    x = util.asarray_arg("take_along_axis", arr)
    idx = _integer_arg("take_along_axis", indices)
    if axis is None:
        x, axis = st.reshape(x, (x.size,)), 0
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} must have the "
                         f"rank of the array of shape {x.shape}")
    ax = util.canonical_axis("take_along_axis", axis, x.ndim)
    shape = [util.broadcast_shapes("take_along_axis", (a,), (b,))[0] if d != ax else b
             for d, (a, b) in enumerate(zip(x.shape, idx.shape))]
    if mode not in (None, "fill", "clip"):
        raise ValueError(f"take_along_axis: mode must be 'fill' or 'clip', got {mode!r}")
    idx = util.broadcast_to_shape(idx, tuple(shape))
    arrays = {d: idx if d == ax else st.broadcasted_iota(np.int32, shape, d)
              if x.shape[d] != 1 else numpy_tensor(np.int32(0)) for d in range(x.ndim)}
    return _gather(x, arrays, 0, "clip" if mode == "clip" else "fill", fill_value)


def select(condlist, choicelist, default=0) -> Tensor:
    """Elementwise, the choice of the first true condition, else `default`
    (`numpy.select`).

    Example:
      >>> x = jnp.arange(4)
      >>> jnp.select([x < 1, x > 2], [x, x * 10], -1)
      Array([ 0, -1, -1, 30], dtype=int32)
    """
    conds = [util.asarray_arg("select", c) for c in condlist]
    choices = [util.asarray_arg("select", c) for c in choicelist]
    if len(conds) != len(choices):
        raise ValueError(f"select: {len(conds)} conditions but {len(choices)} choices; "
                         "they must have the same length")
    if not conds:
        raise ValueError("select: condlist must not be empty")
    for i, c in enumerate(conds):
        if c.dtype != dtypes.bool_:
            raise TypeError(f"select: condition {i} has dtype {c.dtype}; conditions must be "
                            "boolean")
    default = util.asarray_arg("select", default)
    dtype, weak = dtypes.promote_dtypes_weak(*[(c.dtype, c.weak_type)
                                               for c in choices + [default]])
    out = util.convert(default, dtype, weak)
    for cond, choice in zip(conds[::-1], choices[::-1]):
        out = where(cond, util.convert(choice, dtype, weak), out)
    return out


def ix_(*args) -> tuple:
    """Open-mesh index arrays: the i-th 1-D input reshaped to lie along axis i
    (`numpy.ix_`), so that `x[ix_(rows, cols)]` picks a sub-grid.

    Example:
      >>> [i.shape for i in jnp.ix_(jnp.array([0, 1]), jnp.array([2, 0, 1]))]
      [(2, 1), (1, 3)]
    """
    out = []
    for i, arg in enumerate(args):
        x = util.asarray_arg("ix_", arg)
        if x.ndim != 1:
            raise ValueError(f"ix_: cross index {i} must be 1-D, got shape {x.shape}")
        if x.dtype == dtypes.bool_:
            x = numpy_tensor(np.nonzero(util.concrete("ix_", x, "boolean index"))[0])
        out.append(st.reshape(x, (1,) * i + (x.shape[0],) + (1,) * (len(args) - i - 1)))
    return tuple(out)


def unravel_index(indices, shape) -> tuple:
    """Converts flat indices into a tuple of coordinate arrays for `shape`
    (`numpy.unravel_index`).  As in JAX, negative indices count from the end and
    out-of-bounds ones are clamped.

    Example:
      >>> jnp.unravel_index(jnp.array([5, 1]), (2, 3))
      (Array([1, 0], dtype=int32), Array([2, 1], dtype=int32))
    """
    idx = _integer_arg("unravel_index", indices)
    shape = tuple(operator.index(s) for s in np.atleast_1d(shape))
    if any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: invalid shape {shape}")
    size = int(np.prod(shape, dtype=np.int64))
    if not size:
        raise ValueError(f"unravel_index: cannot unravel into the empty shape {shape}")
    idx = clip(_wrap(idx, size), 0, size - 1)
    out = []
    for s in shape[::-1]:
        out.append(ew.rem(idx, s))
        idx = ew.div(idx, s)
    return tuple(out[::-1])


def ravel_multi_index(multi_index, dims, mode: str = "raise", order: str = "C") -> Tensor:
    """Flat indices of coordinate arrays for an array of shape `dims`
    (`numpy.ravel_multi_index`).

    Args:
      multi_index: one integer array per dimension (broadcast together).
      dims: the shape.
      mode: 'raise' (concrete indices only; ValueError out of bounds), 'wrap' or 'clip'.
      order: 'C' (row-major) or 'F' (column-major).

    Example:
      >>> jnp.ravel_multi_index((jnp.array([1, 0]), jnp.array([2, 1])), (2, 3))
      Array([5, 1], dtype=int32)
    """
    dims = tuple(operator.index(d) for d in dims)
    idx = [_integer_arg("ravel_multi_index", i) for i in multi_index]
    if len(idx) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(idx)} index arrays for {len(dims)} "
                         "dimensions")
    if order not in ("C", "F"):
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    if mode == "raise":
        for i, d in zip(idx, dims):
            values = util.concrete("ravel_multi_index", i, "mode='raise' checks the values")
            if ((values < 0) | (values >= d)).any():
                raise ValueError("ravel_multi_index: invalid entry in coordinates array")
    elif mode == "wrap":
        idx = [remainder(i, d) for i, d in zip(idx, dims)]
    elif mode == "clip":
        idx = [clip(i, 0, d - 1) for i, d in zip(idx, dims)]
    else:
        raise ValueError(f"ravel_multi_index: mode must be 'raise', 'wrap' or 'clip', got "
                         f"{mode!r}")
    strides = np.cumprod((1,) + (dims if order == "F" else dims[::-1])[:-1])
    strides = strides if order == "F" else strides[::-1]
    idx = util.promote_args("ravel_multi_index", *idx)
    out = ew.mul(idx[0], int(strides[0]))
    for i, s in zip(idx[1:], strides[1:]):
        out = ew.add(out, ew.mul(i, int(s)))
    return out
