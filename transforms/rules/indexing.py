"""JVP, transpose and batching rules of gather and the scatters
(core/primitives/indexing.py), after JAX's formulations.

Batching, as in JAX: the batch dimension of the operand becomes one more window dim
when the indices are not batched, one more batch dim of the indices when only they are,
and a StableHLO batching dim (operand_batching_dims paired with start/scatter
indices_batching_dims) when both are.  The batch dim is never indexed, so `mode` and
`fill_value` keep their meaning per batch member.  Batch dims stay where they are
whenever the dimension numbers can describe them there; only a batch dim of the
indices that sits after their index-vector dim is moved (it must precede it).
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import structural as st
from irax.core.primitives.indexing import GatherDimensionNumbers, ScatterDimensionNumbers
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval
from irax.transforms.ad import (
    JVP_RULES,
    TRANSPOSE_RULES,
    Zero,
    instantiate,
    is_undefined,
    tangent_aval,
    zeros_like_aval,
)
from irax.transforms.batching import BATCH_RULES, moveaxis

# ---- JVP and transpose ----------------------------------------------------------------

def _inverse_gather(scatter_dn: ScatterDimensionNumbers, operand_ndim, updates_shape):
    """The gather that reads back, for each update, the operand window it wrote."""
    gather_dn = GatherDimensionNumbers(
        offset_dims=scatter_dn.update_window_dims,
        collapsed_slice_dims=scatter_dn.inserted_window_dims,
        start_index_map=scatter_dn.scatter_dims_to_operand_dims,
        operand_batching_dims=scatter_dn.operand_batching_dims,
        start_indices_batching_dims=scatter_dn.scatter_indices_batching_dims)
    sizes, pos = [], 0
    for i in range(operand_ndim):
        if i in scatter_dn.inserted_window_dims or i in scatter_dn.operand_batching_dims:
            sizes.append(1)
        else:
            sizes.append(updates_shape[scatter_dn.update_window_dims[pos]])
            pos += 1
    return gather_dn, tuple(sizes)


def _gather_back(x, indices, scatter_dn, updates_shape, mode):
    gather_dn, sizes = _inverse_gather(scatter_dn, get_aval(x).ndim, updates_shape)
    fill = 0 if mode is ix.GatherScatterMode.FILL_OR_DROP else None
    return ix.gather_p.bind(x, indices, dimension_numbers=gather_dn, slice_sizes=sizes,
                            indices_are_sorted=False, unique_indices=False, mode=mode,
                            fill_value=fill)


def _scatter_jvp_rule(prim, tangent):
    """The JVP of the scatter `prim`: a zero tangent when neither the operand nor the
    updates carry one, else `tangent(out, operand, indices, updates, t_op, t_up, **params)`
    (the tangents may be symbolic zeros)."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t_op, t_up = tangents[0], tangents[2]
        if type(t_op) is Zero and type(t_up) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        return out, tangent(out, *primals, t_op, t_up, **params)
    return rule


# ---- gather -------------------------------------------------------------------------

def _gather_jvp(primals, tangents, **params):
    operand, indices = primals
    out = ix.gather_p.bind(operand, indices, **params)
    if type(tangents[0]) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    fill = 0 if params["mode"] is ix.GatherScatterMode.FILL_OR_DROP else None
    return out, ix.gather_p.bind(tangents[0], indices, **dict(params, fill_value=fill))


def _gather_transpose(ct, operand, indices, *, dimension_numbers, slice_sizes,
                      indices_are_sorted, unique_indices, mode, fill_value):
    dn = dimension_numbers
    scatter_dn = ScatterDimensionNumbers(
        update_window_dims=dn.offset_dims, inserted_window_dims=dn.collapsed_slice_dims,
        scatter_dims_to_operand_dims=dn.start_index_map,
        operand_batching_dims=dn.operand_batching_dims,
        scatter_indices_batching_dims=dn.start_indices_batching_dims)
    zeros = zeros_like_aval(operand.aval)
    return [ix.scatter_add_p.bind(zeros, indices, ct, dimension_numbers=scatter_dn,
                                  indices_are_sorted=indices_are_sorted,
                                  unique_indices=unique_indices, mode=mode), None]


JVP_RULES[ix.gather_p] = _gather_jvp
TRANSPOSE_RULES[ix.gather_p] = _gather_transpose

# ---- scatter_add (linear) -----------------------------------------------------------


def _scatter_add_tangent(out, operand, indices, updates, t_op, t_up, **params):
    return ix.scatter_add_p.bind(instantiate(t_op), indices, instantiate(t_up), **params)


def _scatter_add_transpose(ct, operand, indices, updates, *, dimension_numbers, mode,
                           **params):
    t_op = ct if is_undefined(operand) else None
    t_up = None
    if is_undefined(updates):
        t_up = _gather_back(ct, indices, dimension_numbers, updates.aval.shape, mode)
    return [t_op, None, t_up]


JVP_RULES[ix.scatter_add_p] = _scatter_jvp_rule(ix.scatter_add_p, _scatter_add_tangent)
TRANSPOSE_RULES[ix.scatter_add_p] = _scatter_add_transpose

# ---- scatter (overwrite): JAX's id trick turns it into masked scatter-adds -----------


def _full_like(x, value, dtype=None):
    aval = get_aval(x)
    scalar = ArrayImpl(np.array(value, dtype or aval.dtype))
    return st.broadcast_in_dim(scalar, aval.shape, ()) if aval.shape else scalar


def _scatter_jvp(primals, tangents, *, dimension_numbers, indices_are_sorted,
                 unique_indices, mode):
    operand, indices, updates = primals
    params = {"dimension_numbers": dimension_numbers, "indices_are_sorted": indices_are_sorted,
              "unique_indices": unique_indices, "mode": mode}
    t_op, t_up = tangents[0], tangents[2]
    if type(t_op) is Zero and type(t_up) is Zero:
        out = ix.scatter_p.bind(operand, indices, updates, **params)
        return out, Zero(tangent_aval(get_aval(out)))
    t_op, t_up = instantiate(t_op), instantiate(t_up)
    if unique_indices:
        return (ix.scatter_p.bind(operand, indices, updates, **params),
                ix.scatter_p.bind(t_op, indices, t_up, **params))
    dn = dimension_numbers
    up_shape = get_aval(updates).shape
    ids_shape = [1 if d in dn.update_window_dims else s for d, s in enumerate(up_shape)]
    ids = st.reshape(ew.add(st.iota(np.uint32, int(np.prod(ids_shape, dtype=np.int64))),
                              ArrayImpl(np.array(1, np.uint32))), ids_shape)
    update_ids = st.broadcast_in_dim(ids, up_shape, range(len(up_shape)))
    scattered_ids = ix.scatter_p.bind(_full_like(operand, 0, np.uint32), indices, update_ids,
                                      **params)
    gathered_ids = _gather_back(scattered_ids, indices, dn, up_shape, mode)
    keep_operand = ew.eq(scattered_ids, ArrayImpl(np.array(0, np.uint32)))
    won = ew.eq(update_ids, gathered_ids)
    masked = lambda keep, x: ew.select(keep, x, _full_like(x, 0))
    add_params = dict(params, unique_indices=False)
    out = ix.scatter_add_p.bind(masked(keep_operand, operand), indices,
                                masked(won, updates), **add_params)
    t_out = ix.scatter_add_p.bind(masked(keep_operand, t_op), indices, masked(won, t_up),
                                  **add_params)
    return out, t_out


JVP_RULES[ix.scatter_p] = _scatter_jvp

# ---- scatter_mul, scatter_min/max ----------------------------------------------------


def _scatter_mul_tangent(out, operand, indices, updates, t_op, t_up, **params):
    total = Zero(tangent_aval(get_aval(out)))
    if type(t_op) is not Zero:
        total = ix.scatter_mul_p.bind(t_op, indices, updates, **params)
    if type(t_up) is not Zero:
        if not params["unique_indices"]:
            raise NotImplementedError("scatter_mul gradients with respect to the updates are "
                                      "only implemented if `unique_indices=True`")
        term = ew.mul(operand, ix.scatter_add_p.bind(_full_like(operand, 0), indices, t_up,
                                                       **params))
        total = term if type(total) is Zero else ew.add(total, term)
    return total


def _scatter_extremal_tangent(out, operand, indices, updates, t_op, t_up, **params):
    """scatter_min/max: the tangents of the operand and updates that attain the extremum,
    averaged over ties."""
    t_op, t_up = instantiate(t_op), instantiate(t_up)
    dn, mode = params["dimension_numbers"], params["mode"]
    one = lambda x: ew.convert_element_type(x, get_aval(operand).dtype)
    won = one(ew.eq(updates, _gather_back(out, indices, dn, get_aval(updates).shape, mode)))
    kept = one(ew.eq(operand, out))
    add_params = dict(params, unique_indices=False)
    count = ew.add(ix.scatter_add_p.bind(_full_like(operand, 0), indices, won,
                                           **add_params), kept)
    summed = ew.add(ew.mul(t_op, kept),
                      ix.scatter_add_p.bind(_full_like(operand, 0), indices,
                                            ew.mul(t_up, won), **add_params))
    return ew.div(summed, count)


def _scatter_mul_transpose(ct, operand, indices, updates, **params):
    if is_undefined(updates):
        raise NotImplementedError("scatter_mul is not linear in its updates")
    return [ix.scatter_mul_p.bind(ct, indices, updates, **params), None, None]


JVP_RULES[ix.scatter_mul_p] = _scatter_jvp_rule(ix.scatter_mul_p, _scatter_mul_tangent)
TRANSPOSE_RULES[ix.scatter_mul_p] = _scatter_mul_transpose
JVP_RULES[ix.scatter_min_p] = _scatter_jvp_rule(ix.scatter_min_p, _scatter_extremal_tangent)
JVP_RULES[ix.scatter_max_p] = _scatter_jvp_rule(ix.scatter_max_p, _scatter_extremal_tangent)


# ---- batching -------------------------------------------------------------------------

def _shape(x) -> tuple:
    return get_aval(x).shape


def _bump(dims, at: int) -> tuple:
    """Dims renumbered for a new dimension inserted at position `at`."""
    return tuple(d + (d >= at) for d in dims)


def unbatched_shape(shape, bdim) -> tuple:
    """`shape` without its batch dimension `bdim` (None: unbatched)."""
    return shape if bdim is None else shape[:bdim] + shape[bdim + 1:]


def _slot(positions, k: int, rank: int) -> tuple:
    """The range [lo, hi] of positions where a new dim of a rank-`rank` value has
    exactly `k` of the sorted `positions` before it."""
    lo = positions[k - 1] + 1 if k else 0
    hi = positions[k] if k < len(positions) else rank
    return lo, hi


def place_batch_dim(x, bdim, size: int, lo: int, hi: int):
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
    return place_batch_dim(indices, bdim, size, 0, len(_shape(indices)) - 2)


# ---- gather -------------------------------------------------------------------------

def gather_batch_rule(vals, dims, *, dimension_numbers, slice_sizes, indices_are_sorted,
                      unique_indices, mode, fill_value):
    """The batching rule of gather (dynamic_slice's too, with batched starts)."""
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


BATCH_RULES[ix.gather_p] = gather_batch_rule


# ---- scatters -----------------------------------------------------------------------

def scatter_batch_rule(prim):
    """The batching rule of the scatter `prim` (dynamic_update_slice's too)."""
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
                operand, a = place_batch_dim(operand, None, size, *_slot(kept, k, rank))
            k = sum(d < a for d in kept)
            updates, u = place_batch_dim(updates, u, size, *_slot(window_dims, k, updates_rank))
            new_dn = dn._replace(
                update_window_dims=tuple(sorted(_bump(window_dims, u) + (u,))),
                inserted_window_dims=_bump(dn.inserted_window_dims, a),
                scatter_dims_to_operand_dims=_bump(dn.scatter_dims_to_operand_dims, a),
                operand_batching_dims=_bump(dn.operand_batching_dims, a))
        else:           # batch member i scatters into slice i of the operand
            indices, b = _place_indices(indices, b, size)
            operand, a = place_batch_dim(operand, a, size, 0, rank)
            scatter_positions = [d for d in range(updates_rank) if d not in window_dims]
            updates, u = place_batch_dim(updates, u, size,
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
    BATCH_RULES[_prim] = scatter_batch_rule(_prim)
