"""Batching rules of gather, the scatters, dynamic_slice and dynamic_update_slice.

As in JAX, the batch dimension of the operand becomes one more window dim when the
indices are not batched, one more batch dim of the indices when only they are, and a
StableHLO batching dim (operand_batching_dims paired with start/scatter
indices_batching_dims) when both are.  The batch dim is never indexed, so `mode` and
`fill_value` keep their meaning per batch member.  Batch dims stay where they are
whenever the dimension numbers can describe them there; only a batch dim of the
indices that sits after their index-vector dim is moved (it must precede it).

dynamic_slice / dynamic_update_slice with unbatched start indices keep their primitive
and take the batch dim whole; with batched start indices they become a gather /
scatter in CLIP mode, whose clamping is theirs."""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval

from .batching import BATCH_RULES, moveaxis


def _shape(x) -> tuple:
    return get_aval(x).shape


def _bump(dims, at: int) -> tuple:
    """Dims renumbered for a new dimension inserted at position `at`."""
    return tuple(d + (d >= at) for d in dims)


def _unbatched_shape(shape, bdim) -> tuple:
    return shape if bdim is None else shape[:bdim] + shape[bdim + 1:]


def _slot(positions, k: int, rank: int) -> tuple:
    """The range [lo, hi] of positions where a new dim of a rank-`rank` value has
    exactly `k` of the sorted `positions` before it."""
    lo = positions[k - 1] + 1 if k else 0
    hi = positions[k] if k < len(positions) else rank
    return lo, hi


def _place(x, bdim, size: int, lo: int, hi: int):
    """`x` with its batch dim in [lo, hi] (moved as little as possible; an unbatched
    `x` is broadcast with it at `lo`), and that position."""
    if bdim is None:
        shape = _shape(x)
        return st.broadcast_in_dim(x, shape[:lo] + (size,) + shape[lo:],
                                   _bump(range(len(shape)), lo)), lo
    dst = min(max(bdim, lo), hi)
    return moveaxis(x, bdim, dst), dst


def _batching_pairs(operand_dims, indices_dims, a: int, b: int) -> tuple:
    """Operand/indices batching dims with the pair (a, b) added, sorted by operand dim."""
    pairs = sorted(zip(_bump(operand_dims, a) + (a,), _bump(indices_dims, b) + (b,)))
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _place_indices(indices, bdim, size: int):
    """Indices with their batch dim among their batch dims (before the index vector)."""
    return _place(indices, bdim, size, 0, len(_shape(indices)) - 2)


# ---- gather -------------------------------------------------------------------------

def _gather_rule(vals, dims, *, dimension_numbers, slice_sizes, indices_are_sorted,
                 unique_indices, mode, fill_value):
    (operand, indices), (a, b) = vals, dims
    dn = dimension_numbers
    size = _shape(operand)[a] if a is not None else _shape(indices)[b]
    out_rank = len(_shape(indices)) - (b is not None) - 1 + len(dn.offset_dims)
    offset_dims = dn.offset_dims
    if b is None:   # the operand's batch dim is one more window dim
        kept = [d for d in range(len(slice_sizes))
                if d not in dn.collapsed_slice_dims and d not in dn.operand_batching_dims]
        out_bdim = _slot(offset_dims, sum(d < a for d in kept), out_rank)[0]
        new_dn = dn._replace(
            offset_dims=tuple(sorted(_bump(offset_dims, out_bdim) + (out_bdim,))),
            collapsed_slice_dims=_bump(dn.collapsed_slice_dims, a),
            start_index_map=_bump(dn.start_index_map, a),
            operand_batching_dims=_bump(dn.operand_batching_dims, a))
        slice_sizes = slice_sizes[:a] + (size,) + slice_sizes[a:]
    else:           # one more batch dim of the indices, and of the output
        indices, b = _place_indices(indices, b, size)
        batch_positions = [d for d in range(out_rank) if d not in offset_dims]
        out_bdim = _slot(batch_positions, b, out_rank)[0]
        new_dn = dn._replace(offset_dims=_bump(offset_dims, out_bdim),
                             start_indices_batching_dims=_bump(
                                 dn.start_indices_batching_dims, b))
        if a is None:   # every batch member reads the same operand
            indices_are_sorted = unique_indices = False
        else:           # batch member i reads slice i of the operand
            operand_batching, indices_batching = _batching_pairs(
                dn.operand_batching_dims, dn.start_indices_batching_dims, a, b)
            new_dn = new_dn._replace(
                collapsed_slice_dims=_bump(dn.collapsed_slice_dims, a),
                start_index_map=_bump(dn.start_index_map, a),
                operand_batching_dims=operand_batching,
                start_indices_batching_dims=indices_batching)
            slice_sizes = slice_sizes[:a] + (min(1, size),) + slice_sizes[a:]
    out = ix.gather_p.bind(operand, indices, dimension_numbers=new_dn,
                           slice_sizes=slice_sizes, indices_are_sorted=indices_are_sorted,
                           unique_indices=unique_indices, mode=mode, fill_value=fill_value)
    return out, out_bdim


BATCH_RULES[ix.gather_p] = _gather_rule


# ---- scatters -----------------------------------------------------------------------

def _scatter_rule(prim):
    def rule(vals, dims, *, dimension_numbers, indices_are_sorted, unique_indices, mode):
        (operand, indices, updates), (a, b, u) = vals, dims
        dn = dimension_numbers
        size = next(_shape(v)[d] for v, d in zip(vals, dims) if d is not None)
        rank = len(_shape(operand)) - (a is not None)
        updates_rank = len(_shape(updates)) - (u is not None)
        window_dims = dn.update_window_dims
        kept = [d for d in range(rank)
                if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
        if b is None:   # the operand's batch dim is one more window dim of the updates
            if a is None:   # broadcast the operand to match the updates' batch dim
                k = sum(d < u for d in window_dims)
                operand, a = _place(operand, None, size, *_slot(kept, k, rank))
            k = sum(d < a for d in kept)
            updates, u = _place(updates, u, size, *_slot(window_dims, k, updates_rank))
            new_dn = dn._replace(
                update_window_dims=tuple(sorted(_bump(window_dims, u) + (u,))),
                inserted_window_dims=_bump(dn.inserted_window_dims, a),
                scatter_dims_to_operand_dims=_bump(dn.scatter_dims_to_operand_dims, a),
                operand_batching_dims=_bump(dn.operand_batching_dims, a))
        else:           # batch member i scatters into slice i of the operand
            indices, b = _place_indices(indices, b, size)
            operand, a = _place(operand, a, size, 0, rank)
            scatter_positions = [d for d in range(updates_rank) if d not in window_dims]
            updates, u = _place(updates, u, size,
                                *_slot(scatter_positions, b, updates_rank))
            operand_batching, indices_batching = _batching_pairs(
                dn.operand_batching_dims, dn.scatter_indices_batching_dims, a, b)
            new_dn = ix.ScatterDimensionNumbers(
                update_window_dims=_bump(window_dims, u),
                inserted_window_dims=_bump(dn.inserted_window_dims, a),
                scatter_dims_to_operand_dims=_bump(dn.scatter_dims_to_operand_dims, a),
                operand_batching_dims=operand_batching,
                scatter_indices_batching_dims=indices_batching)
        out = prim.bind(operand, indices, updates, dimension_numbers=new_dn,
                        indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices, mode=mode)
        return out, a
    return rule


for _prim in (ix.scatter_p, ix.scatter_add_p, ix.scatter_mul_p, ix.scatter_min_p,
              ix.scatter_max_p):
    BATCH_RULES[_prim] = _scatter_rule(_prim)


# ---- dynamic slices -----------------------------------------------------------------

def _zero_index(starts):
    """A start index 0 of the start indices' dtype."""
    dtype = get_aval(starts[0]).dtype if starts else np.dtype(np.int32)
    return ArrayImpl(np.zeros((), dtype))


def _start_vectors(starts, dims, size: int, upper):
    """Scalar start indices (some batched, shape (size,)) as one (size, n) array.
    Start indices of different dtypes are first clamped to [0, upper] in their own
    dtype, as the dynamic slice would, so that int32 holds them all."""
    if len({get_aval(s).dtype for s in starts}) > 1:
        clamped = []
        for s, hi in zip(starts, upper):
            dtype = get_aval(s).dtype
            hi = ArrayImpl(np.array(min(hi, np.iinfo(dtype).max), dtype))
            clamped.append(ew.convert_element_type(
                ew.clamp(ArrayImpl(np.zeros((), dtype)), s, hi), np.int32))
        starts = clamped
    columns = [st.broadcast_in_dim(s, (size, 1), () if d is None else (0,))
               for s, d in zip(starts, dims)]
    return st.concatenate(columns, 1)


def _dynamic_slice_rule(vals, dims, *, slice_sizes):
    (operand, *starts), (a, *start_dims) = vals, dims
    if all(d is None for d in start_dims):   # slice the batch dim whole
        size = _shape(operand)[a]
        starts = starts[:a] + [_zero_index(starts)] + starts[a:]
        sizes = slice_sizes[:a] + (size,) + slice_sizes[a:]
        return st.dynamic_slice_p.bind(operand, *starts, slice_sizes=sizes), a
    size = next(_shape(s)[0] for s, d in zip(starts, start_dims) if d is not None)
    shape = _unbatched_shape(_shape(operand), a)
    index = _start_vectors(starts, start_dims, size,
                           [n - w for n, w in zip(shape, slice_sizes)])
    every = tuple(range(len(shape)))
    return _gather_rule([operand, index], [a, 0],
                        dimension_numbers=ix.GatherDimensionNumbers(every, (), every),
                        slice_sizes=tuple(slice_sizes), indices_are_sorted=True,
                        unique_indices=True, mode=ix.GatherScatterMode.CLIP,
                        fill_value=None)


def _dynamic_update_slice_rule(vals, dims):
    (operand, update, *starts), (a, u, *start_dims) = vals, dims
    if all(d is None for d in start_dims):   # update the batch dim whole
        if a is None:
            operand, a = _place(operand, None, _shape(update)[u], u, u)
        else:
            update, a = _place(update, u, _shape(operand)[a], a, a)
        starts = starts[:a] + [_zero_index(starts)] + starts[a:]
        return st.dynamic_update_slice_p.bind(operand, update, *starts), a
    operand_aval, update_aval = get_aval(operand), get_aval(update)
    if operand_aval.weak_type and not update_aval.weak_type:
        # dynamic_update_slice is weakly typed only if both are; scatter if the operand is
        operand = ew.convert_element_type(operand, operand_aval.dtype)
    size = next(_shape(s)[0] for s, d in zip(starts, start_dims) if d is not None)
    shape, window = _unbatched_shape(operand_aval.shape, a), _unbatched_shape(update_aval.shape, u)
    index = _start_vectors(starts, start_dims, size, [n - w for n, w in zip(shape, window)])
    every = tuple(range(len(shape)))
    return _scatter_rule(ix.scatter_p)(
        [operand, index, update], [a, 0, u],
        dimension_numbers=ix.ScatterDimensionNumbers(every, (), every),
        indices_are_sorted=True, unique_indices=True, mode=ix.GatherScatterMode.CLIP)


BATCH_RULES[st.dynamic_slice_p] = _dynamic_slice_rule
BATCH_RULES[st.dynamic_update_slice_p] = _dynamic_update_slice_rule
