"""Gather and scatter: StableHLO's indexed reads and writes of windows of an array.

As in JAX, `index_vector_dim` is always the last dimension of the indices: indices of
shape `batch + (k,)` hold one k-vector of start indices per batch element.  A window
(slice) starts there; `GatherScatterMode` says what happens when it does not fit:

- CLIP: start indices are clamped so the whole window lies inside the operand.
- FILL_OR_DROP: a gather window that does not fit is replaced by `fill_value`
  entirely; a scatter window that does not fit is dropped entirely.
- PROMISE_IN_BOUNDS: the caller promises indices in bounds; out of bounds, the result
  is what XLA gives (gather clamps, scatter drops), which the NumPy impls reproduce.

Negative indices are out of bounds (callers such as NumPy-style indexing wrap them).
"""
import enum
from typing import NamedTuple

import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor


class GatherScatterMode(enum.Enum):
    """How gather and scatter treat windows that do not fit in the operand."""

    CLIP = "clip"
    FILL_OR_DROP = "fill"
    PROMISE_IN_BOUNDS = "promise_in_bounds"

    @staticmethod
    def from_any(mode) -> "GatherScatterMode":
        """A mode from a GatherScatterMode or a string: 'clip', 'fill', 'drop',
        'promise_in_bounds' (None means FILL_OR_DROP, JAX's default for scatter)."""
        if isinstance(mode, GatherScatterMode):
            return mode
        if mode is None or mode in ("fill", "drop"):
            return GatherScatterMode.FILL_OR_DROP
        if mode in ("clip", "promise_in_bounds"):
            return GatherScatterMode(mode)
        raise ValueError(f"Unknown gather/scatter mode {mode!r}; use 'clip', 'fill', "
                         "'drop' or 'promise_in_bounds'")

    def __repr__(self):
        return f"GatherScatterMode.{self.name}"


class GatherDimensionNumbers(NamedTuple):
    """How the dimensions of operand, start indices and output of `gather` relate.

    offset_dims: output dims (sorted) that hold the window dims of the operand that
      are neither collapsed nor batching, in operand order.
    collapsed_slice_dims: operand dims (sorted) of window size 1 left out of the output.
    start_index_map: for each entry of an index vector, the operand dim it starts.
    operand_batching_dims: operand dims (sorted) indexed by the batch position in the
      indices dims `start_indices_batching_dims` (same order), window size 1.
    """

    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    """How the dimensions of operand, indices and updates of a scatter relate.

    The mirror image of GatherDimensionNumbers: update_window_dims ↔ offset_dims,
    inserted_window_dims ↔ collapsed_slice_dims, scatter_dims_to_operand_dims ↔
    start_index_map, scatter_indices_batching_dims ↔ start_indices_batching_dims.
    """

    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


# ---- shape rules ------------------------------------------------------------------

def _check_dims(op: str, field: str, dims, rank: int, must_sort: bool = True) -> None:
    """Raises ShapeError unless `dims` are distinct dims in [0, rank) (sorted if asked)."""
    if any(not 0 <= d < rank for d in dims) or len(set(dims)) != len(dims):
        raise ShapeError(f"{op}: {field}={tuple(dims)} must be distinct dimensions in "
                         f"[0, {rank})")
    if must_sort and list(dims) != sorted(dims):
        raise ShapeError(f"{op}: {field}={tuple(dims)} must be sorted")


def _check_indices(op: str, operand, indices, dn) -> None:
    """Checks what gather and scatter share.  Both dimension-number tuples are laid out
    (window dims, dropped dims, index map, operand batching dims, indices batching dims)."""
    _, dropped, index_map, operand_batching, indices_batching = dn
    _, dropped_field, map_field, _, batching_field = dn._fields
    if not dtypes.is_integer(indices.dtype):
        raise TypeError(f"{op}: indices must have an integer dtype, got {indices.dtype}")
    if indices.ndim == 0:
        raise ShapeError(f"{op}: indices must have rank >= 1 (the last dim is the index "
                         "vector); for scalar indices add a trailing dimension of size 1")
    if len(index_map) != indices.shape[-1]:
        raise ShapeError(f"{op}: indices of shape {indices.shape} hold index vectors of "
                         f"length {indices.shape[-1]}, but {map_field} has "
                         f"{len(index_map)} entries {tuple(index_map)}")
    _check_dims(op, map_field, index_map, operand.ndim, must_sort=False)
    _check_dims(op, dropped_field, dropped, operand.ndim)
    _check_dims(op, "operand_batching_dims", operand_batching, operand.ndim)
    _check_dims(op, batching_field, indices_batching, indices.ndim - 1, must_sort=False)
    for field, dims in ((map_field, index_map), (dropped_field, dropped)):
        if set(dims) & set(operand_batching):
            raise ShapeError(f"{op}: {field}={tuple(dims)} and operand_batching_dims="
                             f"{tuple(operand_batching)} must be disjoint")
    operand_batch = tuple(operand.shape[d] for d in operand_batching)
    indices_batch = tuple(indices.shape[d] for d in indices_batching)
    if operand_batch != indices_batch:
        raise ShapeError(f"{op}: operand batching dims have sizes {operand_batch} but "
                         f"indices batching dims have sizes {indices_batch}")


def _gather_shape(operand, indices, dn: GatherDimensionNumbers, slice_sizes) -> tuple:
    """Checks a gather and returns its output shape."""
    _check_indices("gather", operand, indices, dn)
    if len(slice_sizes) != operand.ndim or any(
            not 0 <= s <= d for s, d in zip(slice_sizes, operand.shape)):
        raise ShapeError(f"gather: slice_sizes {tuple(slice_sizes)} do not fit an operand "
                         f"of shape {operand.shape}")
    for d in (*dn.collapsed_slice_dims, *dn.operand_batching_dims):
        if slice_sizes[d] != (1 if d in dn.collapsed_slice_dims else min(1, operand.shape[d])):
            raise ShapeError(f"gather: collapsed_slice_dims and operand_batching_dims need "
                             f"slice size 1, but dim {d} has slice size {slice_sizes[d]}")
    kept = _window_dims(operand.ndim, dn.collapsed_slice_dims, dn.operand_batching_dims)
    out_rank = indices.ndim - 1 + len(kept)
    _check_dims("gather", "offset_dims", dn.offset_dims, out_rank)
    if len(dn.offset_dims) != len(kept):
        raise ShapeError(f"gather: offset_dims={tuple(dn.offset_dims)} must name one output "
                         f"dim for each of the {len(kept)} operand dims {tuple(kept)} that "
                         "are neither collapsed nor batching")
    batch, offsets = iter(indices.shape[:-1]), iter(slice_sizes[d] for d in kept)
    return tuple(next(offsets) if i in dn.offset_dims else next(batch)
                 for i in range(out_rank))


def _scatter_window(op, operand, indices, updates, dn: ScatterDimensionNumbers) -> tuple:
    """Checks a scatter (named `op`) and returns its window size along every operand dim."""
    _check_indices(op, operand, indices, dn)
    if updates.dtype != operand.dtype:
        raise TypeError(f"{op}: updates dtype {updates.dtype} differs from operand dtype "
                        f"{operand.dtype}")
    kept = _window_dims(operand.ndim, dn.inserted_window_dims, dn.operand_batching_dims)
    if updates.ndim != indices.ndim - 1 + len(kept):
        raise ShapeError(f"{op}: updates of shape {updates.shape} must have rank "
                         f"{indices.ndim - 1 + len(kept)}: the {indices.ndim - 1} batch dims "
                         f"of indices {indices.shape} plus {len(kept)} window dims")
    _check_dims(op, "update_window_dims", dn.update_window_dims, updates.ndim)
    scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
    if tuple(updates.shape[d] for d in scatter_dims) != indices.shape[:-1]:
        raise ShapeError(f"{op}: the scatter dims {tuple(scatter_dims)} of updates of shape "
                         f"{updates.shape} must match the batch dims of indices "
                         f"{indices.shape[:-1]}")
    window = [min(1, size) if d in dn.operand_batching_dims else 1
              for d, size in enumerate(operand.shape)]
    for d, u in zip(kept, dn.update_window_dims):
        window[d] = updates.shape[u]
        if window[d] > operand.shape[d]:
            raise ShapeError(f"{op}: update window of shape {updates.shape} does not fit "
                             f"operand of shape {operand.shape} (dim {d})")
    return tuple(window)


def _window_dims(rank, dropped, operand_batching) -> list:
    """The operand dims that appear in the window of the output or updates."""
    return [d for d in range(rank) if d not in dropped and d not in operand_batching]


# ---- NumPy evaluation -------------------------------------------------------------

def _starts(operand_shape, indices, index_map, window):
    """Start indices as int64 and a mask, over the batch, of windows that fit."""
    if indices.dtype == np.uint64:
        indices = np.minimum(indices, np.iinfo(np.int64).max)
    starts = indices.astype(np.int64)
    upper = np.array([operand_shape[d] - window[d] for d in index_map], np.int64)
    fits = np.all((starts >= 0) & (starts <= upper), axis=-1)
    return starts, np.clip(starts, 0, upper), fits


def _window_index(starts, window, index_map, operand_batching, indices_batching):
    """Per operand dim, an int array broadcastable to `batch + window` that indexes it."""
    batch, rank = starts.shape[:-1], len(window)
    nb = len(batch)
    index = []
    for d in range(rank):
        offsets = np.arange(window[d]).reshape((1,) * nb + tuple(
            -1 if i == d else 1 for i in range(rank)))
        if d in index_map:
            start = starts[..., index_map.index(d)]
        elif d in operand_batching:
            axis = indices_batching[operand_batching.index(d)]
            start = np.arange(batch[axis]).reshape([-1 if i == axis else 1 for i in range(nb)])
        else:
            start = np.zeros((1,) * nb, np.int64)
        index.append(start.reshape(start.shape + (1,) * rank) + offsets)
    return index


def default_fill(dtype):
    """JAX's gather fill: NaN (inexact), min (signed), max (unsigned), True (bool)."""
    if dtypes.is_inexact(dtype):
        return float("nan")
    if dtypes.is_integer(dtype):
        return int(np.iinfo(dtype).min if dtype.kind == "i" else np.iinfo(dtype).max)
    return True


def _gather_impl(operand, indices, *, dimension_numbers, slice_sizes, indices_are_sorted,
                 unique_indices, mode, fill_value):
    dn = dimension_numbers
    out_shape = _gather_shape(operand, indices, dn, slice_sizes)
    _, clamped, fits = _starts(operand.shape, indices, dn.start_index_map, slice_sizes)
    index = _window_index(clamped, slice_sizes, dn.start_index_map, dn.operand_batching_dims,
                          dn.start_indices_batching_dims)
    batch = indices.shape[:-1]
    windows = np.broadcast_to(operand[tuple(index)], batch + tuple(slice_sizes))
    if mode is GatherScatterMode.FILL_OR_DROP:
        fill = default_fill(operand.dtype) if fill_value is None else fill_value
        windows = np.where(fits.reshape(batch + (1,) * operand.ndim), windows,
                           np.array(fill, operand.dtype))
    kept = _window_dims(operand.ndim, dn.collapsed_slice_dims, dn.operand_batching_dims)
    windows = windows.reshape(batch + tuple(slice_sizes[d] for d in kept))
    batch_axes, offset_axes = iter(range(len(batch))), iter(range(len(batch), len(out_shape)))
    return np.transpose(windows, [next(offset_axes) if i in dn.offset_dims else
                                  next(batch_axes) for i in range(len(out_shape))])


def _gather_abstract_eval(operand, indices, *, dimension_numbers, slice_sizes, **_):
    shape = _gather_shape(operand, indices, dimension_numbers, slice_sizes)
    return ShapedArray(shape, operand.dtype, operand.weak_type)


gather_p = Primitive("gather")
gather_p.def_impl(_gather_impl)
gather_p.def_abstract_eval(_gather_abstract_eval)
gather_p.weak_type_rule = lambda args, params: args[0].weak_type


def _assign(flat, index, values):
    flat[index] = values


def _scatter_primitive(name: str, combine):
    """A scatter primitive whose `combine(flat_out, flat_index, values)` works in place."""
    prim = Primitive(name)

    def impl(operand, indices, updates, *, dimension_numbers, indices_are_sorted,
             unique_indices, mode):
        dn = dimension_numbers
        window = _scatter_window(name, operand, indices, updates, dn)
        out = np.array(operand, order="C", copy=True)
        if out.size == 0:   # no window fits anywhere (clipping could not help either)
            return out
        starts, clamped, fits = _starts(operand.shape, indices,
                                        dn.scatter_dims_to_operand_dims, window)
        if mode is GatherScatterMode.CLIP:
            starts = clamped
        index = _window_index(starts, window, dn.scatter_dims_to_operand_dims,
                              dn.operand_batching_dims, dn.scatter_indices_batching_dims)
        shape = indices.shape[:-1] + window
        scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
        values = np.transpose(updates, scatter_dims + list(dn.update_window_dims)).reshape(shape)
        strides = np.cumprod((operand.shape + (1,))[:0:-1])[::-1]
        flat_index = np.broadcast_to(sum((i * s for i, s in zip(index, strides)),
                                         np.zeros((), np.int64)), shape)
        if mode is not GatherScatterMode.CLIP:
            flat_index, values = flat_index[fits], values[fits]
        combine(out.reshape(-1), flat_index, values)
        return out

    def abstract_eval(operand, indices, updates, *, dimension_numbers, **_):
        _scatter_window(name, operand, indices, updates, dimension_numbers)
        return ShapedArray(operand.shape, operand.dtype, operand.weak_type)

    prim.def_impl(impl)
    prim.def_abstract_eval(abstract_eval)
    prim.weak_type_rule = lambda args, params: args[0].weak_type
    return prim


scatter_p = _scatter_primitive("scatter", _assign)
scatter_add_p = _scatter_primitive("scatter_add", np.add.at)
scatter_mul_p = _scatter_primitive("scatter_mul", np.multiply.at)
scatter_min_p = _scatter_primitive("scatter_min", np.minimum.at)
scatter_max_p = _scatter_primitive("scatter_max", np.maximum.at)


# ---- binding functions (irax.lax) -------------------------------------------------

def _int_tuple(dims) -> tuple:
    return tuple(int(d) for d in dims)


def gather(operand, start_indices, dimension_numbers: GatherDimensionNumbers, slice_sizes,
           *, unique_indices: bool = False, indices_are_sorted: bool = False,
           mode: str | GatherScatterMode | None = None, fill_value=None):
    """`lax.gather`: windows of `operand` of size `slice_sizes` at `start_indices`.

    Args:
      operand: the array to read from.
      start_indices: integer array `batch + (k,)`: one start vector per batch element.
      dimension_numbers: a GatherDimensionNumbers.
      slice_sizes: the window size along every operand dim.
      unique_indices, indices_are_sorted: promises that may speed up compiled code.
      mode: 'clip', 'fill' or 'promise_in_bounds' (the default, as in JAX; clamps).
      fill_value: the value of windows that do not fit in 'fill' mode (default NaN
        for inexact dtypes, the minimum for signed, the maximum for unsigned, True).

    Returns:
      An array of the operand's dtype: the batch dims of `start_indices` interleaved
      with the window dims at positions `offset_dims`.

    Example: `gather(x, idx[:, None], GatherDimensionNumbers((), (0,), (0,)), (1,))`
    is `x[idx]` for a 1-D `x`.
    """
    operand, indices = to_tensor(operand), to_tensor(start_indices)
    mode = GatherScatterMode.from_any("promise_in_bounds" if mode is None else mode)
    if mode is not GatherScatterMode.FILL_OR_DROP:
        fill_value = None
    elif fill_value is None:
        fill_value = default_fill(operand.dtype)
    else:
        fill_value = np.asarray(fill_value).item()   # a static, hashable Python scalar
    return gather_p.bind(
        operand, indices,
        dimension_numbers=GatherDimensionNumbers(*map(_int_tuple, dimension_numbers)),
        slice_sizes=_int_tuple(slice_sizes), unique_indices=bool(unique_indices),
        indices_are_sorted=bool(indices_are_sorted), mode=mode, fill_value=fill_value)


def _scatter_function(prim, name: str, effect: str):
    def scatter_fn(operand, scatter_indices, updates,
                   dimension_numbers: ScatterDimensionNumbers, *,
                   indices_are_sorted: bool = False, unique_indices: bool = False,
                   mode: str | GatherScatterMode | None = None):
        return prim.bind(
            to_tensor(operand), to_tensor(scatter_indices), to_tensor(updates),
            dimension_numbers=ScatterDimensionNumbers(*map(_int_tuple, dimension_numbers)),
            indices_are_sorted=bool(indices_are_sorted), unique_indices=bool(unique_indices),
            mode=GatherScatterMode.from_any(mode))
    scatter_fn.__name__ = scatter_fn.__qualname__ = name
    scatter_fn.__doc__ = f"""`lax.{name}`: a copy of `operand` where {effect}.

    Args:
      operand: the array to update (never modified).
      scatter_indices: integer array `batch + (k,)`: one start vector per window.
      updates: array of the operand's dtype: the batch dims of `scatter_indices` and
        the window dims at positions `update_window_dims`.
      dimension_numbers: a ScatterDimensionNumbers.
      indices_are_sorted, unique_indices: promises that may speed up compiled code.
      mode: 'fill'/'drop' (default: windows that do not fit are dropped), 'clip' or
        'promise_in_bounds'.

    Returns:
      An array of the operand's shape and dtype.
    """
    return scatter_fn


scatter = _scatter_function(
    scatter_p, "scatter", "each update window replaces the elements it covers (where "
    "windows overlap the last one in index order wins here; XLA leaves it unspecified)")
scatter_add = _scatter_function(scatter_add_p, "scatter_add",
                                "update windows are added (duplicates accumulate)")
scatter_mul = _scatter_function(scatter_mul_p, "scatter_mul",
                                "elements are multiplied by the update windows")
scatter_min = _scatter_function(scatter_min_p, "scatter_min",
                                "elements become the minimum with the update windows")
scatter_max = _scatter_function(scatter_max_p, "scatter_max",
                                "elements become the maximum with the update windows")
