"""Lowering rules for `gather` and the scatters (core/primitives/indexing.py).

IREE 3.13 reads out of bounds when a gather or scatter window does not fit (it
clamps some gathers, not all; an out-of-bounds scatter writes outside the buffer),
so every window is made to fit first.  Gather clamps the start indices (CLIP, and
what PROMISE_IN_BOUNDS gives out of bounds); FILL_OR_DROP then replaces the windows
that did not fit by the fill value, as JAX does.  Scatter CLIP clamps too; the other
modes drop the windows that do not fit by redirecting them into padding past the end
of the operand, cut off afterwards.  IREE also only compiles scatters whose windows
are single elements along indexed dims and whole along the others; other scatters
become scatters of single elements, one index vector per update element.
"""
import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitives import indexing as ix
from .builder import FunctionBuilder, boolean, dims_list, i64, i64_array, scalar_aval
from .elementwise import complex_extremum
from .lowering import LOWERING_RULES
from .structural import pad


def _index_vectors(b: FunctionBuilder, values, indices):
    """Per-component constants `values` (one per index vector entry) broadcast to the
    shape of `indices`."""
    vector = b.constant(np.asarray(values, indices.dtype))
    return b.broadcast_in_dim(vector, indices.shape, (indices.ndim - 1,))


def _clamp_starts(b: FunctionBuilder, indices, upper):
    """Start indices clamped to [0, upper] (one bound per index vector entry)."""
    zero = b.constant(0, indices.dtype, indices.shape)
    return b.emit("stablehlo.clamp", zero, indices, _index_vectors(b, upper, indices))


def _windows_fit(b: FunctionBuilder, indices, upper):
    """A bool per index vector: whether every start i satisfies 0 <= i <= upper."""
    zero = b.constant(0, indices.dtype, indices.shape)
    fits = b.emit("stablehlo.and", b.compare(indices, zero, "GE"),
                  b.compare(indices, _index_vectors(b, upper, indices), "LE"),
                  dtype=dtypes.bool_)
    return b.reduce([fits], [b.constant(True)], (indices.ndim - 1,),
                    lambda x, y: [b.emit("stablehlo.and", x, y)])[0]


def _gather(b: FunctionBuilder, operand, indices, *, dimension_numbers, slice_sizes,
            indices_are_sorted, unique_indices, mode, fill_value):
    dn = dimension_numbers
    indices = b.signed_index(indices)
    upper = [operand.shape[d] - slice_sizes[d] for d in dn.start_index_map]
    starts = _clamp_starts(b, indices, upper)
    numbers = (f"#stablehlo.gather<offset_dims = {dims_list(dn.offset_dims)}, "
               f"collapsed_slice_dims = {dims_list(dn.collapsed_slice_dims)}, "
               f"operand_batching_dims = {dims_list(dn.operand_batching_dims)}, "
               f"start_indices_batching_dims = {dims_list(dn.start_indices_batching_dims)}, "
               f"start_index_map = {dims_list(dn.start_index_map)}, "
               f"index_vector_dim = {indices.ndim - 1}>")
    out = b.op("stablehlo.gather", [operand, starts], b.avals_out, {
        "dimension_numbers": numbers, "slice_sizes": i64_array(slice_sizes),
        "indices_are_sorted": boolean(indices_are_sorted)})[0]
    if mode is not ix.GatherScatterMode.FILL_OR_DROP:
        return out
    batch_dims = [d for d in range(out.aval.ndim) if d not in dn.offset_dims]
    fits = b.broadcast_in_dim(_windows_fit(b, indices, upper), out.shape, batch_dims)
    fill = ix.default_fill(operand.dtype) if fill_value is None else fill_value
    return b.select(fits, out, b.constant(fill, operand.dtype, out.shape))


def _scatter_rule(name: str, combine):
    """A rule for the scatter `name` whose update region computes `combine(b, old, new)`."""
    def rule(b: FunctionBuilder, operand, indices, updates, *, dimension_numbers,
             indices_are_sorted, unique_indices, mode):
        dn = dimension_numbers
        if operand.aval.size == 0 or updates.aval.size == 0:  # IREE crashes on no updates
            return operand
        window = ix._scatter_window(name, operand.aval, indices.aval, updates.aval, dn)
        indices = b.signed_index(indices)
        index_map = dn.scatter_dims_to_operand_dims
        upper = [operand.shape[d] - window[d] for d in index_map]
        target = operand
        if mode is ix.GatherScatterMode.CLIP:
            indices = _clamp_starts(b, indices, upper)
        else:
            fits = b.broadcast_in_dim(_windows_fit(b, indices, upper), indices.shape,
                                      range(indices.ndim - 1))
            past_end = _index_vectors(b, [operand.shape[d] for d in index_map], indices)
            indices = b.select(fits, indices, past_end)
            indices_are_sorted = False
            high = [window[d] if d in index_map else 0 for d in range(operand.ndim)]
            target = pad(b, operand, b.constant(0, operand.dtype), [(0, h, 0) for h in high])
        if not _iree_compiles(target.shape, window, dn):
            indices, dn = _element_indices(b, indices, updates, dn, operand.ndim)
        out = _scatter(b, target, indices, updates, dn, combine, indices_are_sorted,
                       unique_indices)
        if target is operand:
            return out
        return b.emit("stablehlo.slice", out, shape=operand.shape, attrs={
            "start_indices": i64_array([0] * operand.ndim),
            "limit_indices": i64_array(operand.shape), "strides": i64_array([1] * operand.ndim)})
    return rule


def _iree_compiles(shape, window, dn) -> bool:
    """Whether IREE 3.13 compiles this scatter: windows of one element along the
    indexed operand dims and whole along the others (batching dims aside)."""
    return all(window[d] == 1 if d in dn.scatter_dims_to_operand_dims else window[d] == size
               for d, size in enumerate(shape) if d not in dn.operand_batching_dims)


def _element_indices(b: FunctionBuilder, indices, updates, dn, rank):
    """Indices and dimension numbers of the same scatter done element by element:
    the index vector of update element u is its window's start plus u's offset in the
    window, over all operand dims."""
    shape = updates.shape
    scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
    kept = [d for d in range(rank)
            if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    batch_shape = indices.shape[:-1]

    def iota(dim):
        return b.op("stablehlo.iota", [], [ShapedArray(shape, indices.dtype)],
                    {"iota_dimension": i64(dim)})[0]

    components = []
    for d in range(rank):
        if d in dn.scatter_dims_to_operand_dims:
            k = dn.scatter_dims_to_operand_dims.index(d)
            start = b.emit("stablehlo.slice", indices, shape=batch_shape + (1,), attrs={
                "start_indices": i64_array([0] * len(batch_shape) + [k]),
                "limit_indices": i64_array(batch_shape + (k + 1,)),
                "strides": i64_array([1] * indices.ndim)})
            start = b.broadcast_in_dim(b.emit("stablehlo.reshape", start, shape=batch_shape),
                                       shape, scatter_dims)
        elif d in dn.operand_batching_dims:
            axis = dn.scatter_indices_batching_dims[dn.operand_batching_dims.index(d)]
            start = iota(scatter_dims[axis])
        else:
            start = b.constant(0, indices.dtype, shape)
        if d in kept:
            start = b.emit("stablehlo.add", start, iota(dn.update_window_dims[kept.index(d)]))
        components.append(b.emit("stablehlo.reshape", start, shape=shape + (1,)))
    full = b.emit("stablehlo.concatenate", *components, shape=shape + (rank,),
                  attrs={"dimension": i64(len(shape))})
    everything = tuple(range(rank))
    return full, ix.ScatterDimensionNumbers((), everything, everything)


def _scatter(b: FunctionBuilder, operand, indices, updates, dn, combine, indices_are_sorted,
             unique_indices):
    numbers = (f"#stablehlo.scatter<update_window_dims = {dims_list(dn.update_window_dims)}, "
               f"inserted_window_dims = {dims_list(dn.inserted_window_dims)}, "
               f"input_batching_dims = {dims_list(dn.operand_batching_dims)}, "
               "scatter_indices_batching_dims = "
               f"{dims_list(dn.scatter_indices_batching_dims)}, "
               f"scatter_dims_to_operand_dims = {dims_list(dn.scatter_dims_to_operand_dims)}, "
               f"index_vector_dim = {indices.ndim - 1}>")
    region = b.region([scalar_aval(operand.dtype)] * 2, lambda old, new: [combine(b, old, new)])
    return b.op("stablehlo.scatter", [operand, indices, updates], [operand.aval], {
        "scatter_dimension_numbers": numbers,
        "indices_are_sorted": boolean(indices_are_sorted),
        "unique_indices": boolean(unique_indices)}, [region])[0]


def _combine_with(op: str):
    return lambda b, old, new: b.emit(op, old, new)


def _extremum_with(op: str, direction: str):
    """min/max combination; complex numbers in NumPy's order (see complex_extremum)."""
    def combine(b, old, new):
        if old.dtype.kind == "c":
            return complex_extremum(b, old, new, direction)
        return b.emit(op, old, new)
    return combine


LOWERING_RULES.update({
    ix.gather_p: _gather,
    ix.scatter_p: _scatter_rule("scatter", lambda b, old, new: new),
    ix.scatter_add_p: _scatter_rule("scatter_add", _combine_with("stablehlo.add")),
    ix.scatter_mul_p: _scatter_rule("scatter_mul", _combine_with("stablehlo.multiply")),
    ix.scatter_min_p: _scatter_rule("scatter_min", _extremum_with("stablehlo.minimum", "LT")),
    ix.scatter_max_p: _scatter_rule("scatter_max", _extremum_with("stablehlo.maximum", "GT")),
})
