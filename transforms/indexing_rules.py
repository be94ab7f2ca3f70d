"""JVP and transpose rules of gather, the scatters and sort (JAX's formulations)."""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import sorting
from irax.core.primitives import structural as st
from irax.core.primitives.indexing import GatherDimensionNumbers, ScatterDimensionNumbers
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval

from .ad import (
    JVP_RULES,
    TRANSPOSE_RULES,
    Zero,
    instantiate,
    is_undefined,
    tangent_aval,
    zeros_like_aval,
)

L = ew.LAX_FUNCTIONS


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
    ids = st.reshape(L["add"](st.iota(np.uint32, int(np.prod(ids_shape, dtype=np.int64))),
                              ArrayImpl(np.array(1, np.uint32))), ids_shape)
    update_ids = st.broadcast_in_dim(ids, up_shape, range(len(up_shape)))
    scattered_ids = ix.scatter_p.bind(_full_like(operand, 0, np.uint32), indices, update_ids,
                                      **params)
    gathered_ids = _gather_back(scattered_ids, indices, dn, up_shape, mode)
    keep_operand = L["eq"](scattered_ids, ArrayImpl(np.array(0, np.uint32)))
    won = L["eq"](update_ids, gathered_ids)
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
        term = L["mul"](operand, ix.scatter_add_p.bind(_full_like(operand, 0), indices, t_up,
                                                       **params))
        total = term if type(total) is Zero else L["add"](total, term)
    return total


def _scatter_extremal_tangent(out, operand, indices, updates, t_op, t_up, **params):
    """scatter_min/max: the tangents of the operand and updates that attain the extremum,
    averaged over ties."""
    t_op, t_up = instantiate(t_op), instantiate(t_up)
    dn, mode = params["dimension_numbers"], params["mode"]
    one = lambda x: ew.convert_element_type(x, get_aval(operand).dtype)
    won = one(L["eq"](updates, _gather_back(out, indices, dn, get_aval(updates).shape, mode)))
    kept = one(L["eq"](operand, out))
    add_params = dict(params, unique_indices=False)
    count = L["add"](ix.scatter_add_p.bind(_full_like(operand, 0), indices, won,
                                           **add_params), kept)
    summed = L["add"](L["mul"](t_op, kept),
                      ix.scatter_add_p.bind(_full_like(operand, 0), indices,
                                            L["mul"](t_up, won), **add_params))
    return L["div"](summed, count)


def _scatter_mul_transpose(ct, operand, indices, updates, **params):
    if is_undefined(updates):
        raise NotImplementedError("scatter_mul is not linear in its updates")
    return [ix.scatter_mul_p.bind(ct, indices, updates, **params), None, None]


JVP_RULES[ix.scatter_mul_p] = _scatter_jvp_rule(ix.scatter_mul_p, _scatter_mul_tangent)
TRANSPOSE_RULES[ix.scatter_mul_p] = _scatter_mul_transpose
JVP_RULES[ix.scatter_min_p] = _scatter_jvp_rule(ix.scatter_min_p, _scatter_extremal_tangent)
JVP_RULES[ix.scatter_max_p] = _scatter_jvp_rule(ix.scatter_max_p, _scatter_extremal_tangent)

# ---- sort ------------------------------------------------------------------------------


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    iotas = [st.broadcasted_iota(np.int32, shape, d) for d in range(len(shape))]
    outs = sorting.sort_p.bind(*primals, iotas[dimension], dimension=dimension,
                               is_stable=is_stable, num_keys=num_keys)
    perm = outs[-1]
    index = [perm if d == dimension else iotas[d] for d in range(len(shape))]
    indices = st.concatenate([st.reshape(i, shape + (1,)) for i in index], len(shape))
    gather_dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=tuple(
        range(len(shape))), start_index_map=tuple(range(len(shape))))
    t_out = [t if type(t) is Zero else ix.gather_p.bind(
        t, indices, dimension_numbers=gather_dn, slice_sizes=(1,) * len(shape),
        indices_are_sorted=False, unique_indices=True,
        mode=ix.GatherScatterMode.PROMISE_IN_BOUNDS, fill_value=None) for t in tangents]
    return list(outs[:-1]), t_out


JVP_RULES[sorting.sort_p] = _sort_jvp
