"""JVP, transpose and batching rules of the structural primitives
(core/primitives/structural.py): broadcasts, reshapes, transposes, slices, padding,
concatenation and the dynamic slices.

Batching keeps the batch dimension where it is whenever the primitive can carry it:
transpose/rev/slice treat it as one more axis, broadcast_in_dim maps it to a new
output axis; operands are moved only where the primitive needs them aligned
(concatenate, reshape).  dynamic_slice / dynamic_update_slice with unbatched start
indices keep their primitive and take the batch dim whole; with batched start indices
they become a gather / scatter in CLIP mode, whose clamping is theirs.  `iota` has no
operands, so it is never batched.
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
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

from .helpers import (
    align,
    broadcast_batched,
    bump,
    deflinear,
    defzero,
    insert,
    shape_of,
    zero_scalar,
)
from .indexing import gather_batch_rule, place_batch_dim, scatter_batch_rule, unbatched_shape

# ---- JVP ------------------------------------------------------------------------------

for _p in (st.broadcast_in_dim_p, st.reshape_p, st.transpose_p, st.rev_p, st.slice_p,
           st.concatenate_p, st.pad_p):
    deflinear(_p)
defzero(st.iota_p)


def _dynamic_slice_jvp(primals, tangents, *, slice_sizes):
    x, *idx = primals
    out = st.dynamic_slice_p.bind(x, *idx, slice_sizes=slice_sizes)
    if type(tangents[0]) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, st.dynamic_slice_p.bind(tangents[0], *idx, slice_sizes=slice_sizes)


def _dynamic_update_slice_jvp(primals, tangents):
    x, update, *idx = primals
    out = st.dynamic_update_slice_p.bind(x, update, *idx)
    tx, tu = tangents[0], tangents[1]
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, st.dynamic_update_slice_p.bind(instantiate(tx), instantiate(tu), *idx)


JVP_RULES[st.dynamic_slice_p] = _dynamic_slice_jvp
JVP_RULES[st.dynamic_update_slice_p] = _dynamic_update_slice_jvp


# ---- transpose ------------------------------------------------------------------------

def _broadcast_in_dim_t(ct, x, *, shape, broadcast_dimensions):
    summed = [i for i in range(len(shape)) if i not in broadcast_dimensions]
    stretched = [d for i, d in enumerate(broadcast_dimensions)
                 if x.aval.shape[i] == 1 and shape[d] != 1]
    out = red.reduce_sum(ct, sorted(summed + stretched))
    return [st.reshape(out, x.aval.shape)]


def _reshape_t(ct, x, *, new_sizes, dimensions):
    if dimensions is None:
        return [st.reshape(ct, x.aval.shape)]
    permuted = [x.aval.shape[d] for d in dimensions]
    return [st.transpose(st.reshape(ct, permuted), np.argsort(dimensions))]


def _slice_t(ct, x, *, start_indices, limit_indices, strides):
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    out_shape = get_aval(ct).shape
    real_limits = [lo + (n - 1) * s + 1 if n else lo
                   for lo, n, s in zip(start_indices, out_shape, strides)]
    config = [(lo, size - hi, s - 1) for lo, hi, s, size in
              zip(start_indices, real_limits, strides, shape)]
    return [st.pad(ct, zero_scalar(ct), config)]


def _pad_t(ct, x, padding_value, *, padding_config):
    total = lambda v: red.reduce_sum(v, range(get_aval(v).ndim))
    t_x = None
    if is_undefined(x) or is_undefined(padding_value):
        unpad = [(-lo, -hi, 0) for lo, hi, _ in padding_config]
        unpadded = st.pad(ct, zero_scalar(ct), unpad)
        t_x = st.slice(unpadded, [0] * len(padding_config), get_aval(unpadded).shape,
                       [i + 1 for _, _, i in padding_config])
    t_v = ew.sub(total(ct), total(t_x)) if is_undefined(padding_value) else None
    return [t_x if is_undefined(x) else None, t_v]


def _concatenate_t(ct, *xs, dimension):
    out, start = [], 0
    for x in xs:
        shape = get_aval(x).shape if not is_undefined(x) else x.aval.shape
        size = shape[dimension]
        if is_undefined(x):
            starts = [0] * len(shape)
            limits = list(get_aval(ct).shape)
            starts[dimension], limits[dimension] = start, start + size
            out.append(st.slice(ct, starts, limits))
        else:
            out.append(None)
        start += size
    return out


def _dynamic_slice_t(ct, x, *idx, slice_sizes):
    zeros = zeros_like_aval(x.aval)
    return [st.dynamic_update_slice_p.bind(zeros, ct, *idx)] + [None] * len(idx)


def _dynamic_update_slice_t(ct, x, update, *idx):
    shape = update.aval.shape if is_undefined(update) else get_aval(update).shape
    t_x = t_u = None
    if is_undefined(x):
        t_x = st.dynamic_update_slice_p.bind(ct, zeros_like_aval(get_aval(ct).update(
            shape=shape)), *idx)
    if is_undefined(update):
        t_u = st.dynamic_slice_p.bind(ct, *idx, slice_sizes=shape)
    return [t_x, t_u] + [None] * len(idx)


TRANSPOSE_RULES[st.broadcast_in_dim_p] = _broadcast_in_dim_t
TRANSPOSE_RULES[st.reshape_p] = _reshape_t
TRANSPOSE_RULES[st.transpose_p] = lambda ct, x, *, permutation: [
    st.transpose(ct, np.argsort(permutation))]
TRANSPOSE_RULES[st.rev_p] = lambda ct, x, *, dimensions: [st.rev(ct, dimensions)]
TRANSPOSE_RULES[st.slice_p] = _slice_t
TRANSPOSE_RULES[st.pad_p] = _pad_t
TRANSPOSE_RULES[st.concatenate_p] = _concatenate_t
TRANSPOSE_RULES[st.dynamic_slice_p] = _dynamic_slice_t
TRANSPOSE_RULES[st.dynamic_update_slice_p] = _dynamic_update_slice_t


# ---- batching -------------------------------------------------------------------------

def _broadcast_in_dim_rule(vals, dims, *, shape, broadcast_dimensions):
    (x,), (bdim,) = vals, dims
    # the batch axis goes right after the output axis of the operand dim before it, so
    # broadcast_dimensions stays increasing and the operand needs no transpose
    out_bdim = broadcast_dimensions[bdim - 1] + 1 if bdim else 0
    new_dims = insert(bump(broadcast_dimensions, out_bdim), bdim, out_bdim)
    out_shape = insert(shape, out_bdim, shape_of(x)[bdim])
    return st.broadcast_in_dim(x, out_shape, new_dims), out_bdim


def _reshape_rule(vals, dims, *, new_sizes, dimensions):
    (x,), (bdim,) = vals, dims
    # one reshape whose `dimensions` also brings the batch axis to the front
    order = range(len(shape_of(x)) - 1) if dimensions is None else dimensions
    return st.reshape(x, (shape_of(x)[bdim],) + tuple(new_sizes),
                      (bdim,) + bump(order, bdim)), 0


def _transpose_rule(vals, dims, *, permutation):
    (x,), (bdim,) = vals, dims
    return st.transpose(x, insert(bump(permutation, bdim), bdim, bdim)), bdim


def _rev_rule(vals, dims, *, dimensions):
    (x,), (bdim,) = vals, dims
    return st.rev(x, bump(dimensions, bdim)), bdim


def _slice_rule(vals, dims, *, start_indices, limit_indices, strides):
    (x,), (bdim,) = vals, dims
    size = shape_of(x)[bdim]
    return st.slice(x, insert(start_indices, bdim, 0), insert(limit_indices, bdim, size),
                    None if strides is None else insert(strides, bdim, 1)), bdim


def _concatenate_rule(vals, dims, *, dimension):
    xs, bdim = align(vals, dims)
    return st.concatenate(xs, dimension + (dimension >= bdim)), bdim


def _pad_rule(vals, dims, *, padding_config):
    (x, value), (bdim, value_bdim) = vals, dims
    if value_bdim is None:
        return st.pad(x, value, insert(padding_config, bdim, (0, 0, 0))), bdim
    # a padding value per batch member: pad with zeros, then select it where a padded
    # mask says the element is padding
    size = shape_of(value)[value_bdim]
    x = broadcast_batched(x, 0, size) if bdim is None else moveaxis(x, bdim, 0)
    config = ((0, 0, 0),) + tuple(padding_config)
    aval = get_aval(x)
    padded = st.pad(x, ArrayImpl(np.zeros((), aval.dtype), aval.weak_type), config)
    inside = st.pad(st.broadcast_in_dim(ArrayImpl(np.array(True)), shape_of(x), ()),
                    ArrayImpl(np.array(False)), config)
    fill = st.broadcast_in_dim(value, shape_of(padded), (0,))
    return ew.select_n(inside, fill, padded), 0


BATCH_RULES[st.broadcast_in_dim_p] = _broadcast_in_dim_rule
BATCH_RULES[st.reshape_p] = _reshape_rule
BATCH_RULES[st.transpose_p] = _transpose_rule
BATCH_RULES[st.rev_p] = _rev_rule
BATCH_RULES[st.slice_p] = _slice_rule
BATCH_RULES[st.concatenate_p] = _concatenate_rule
BATCH_RULES[st.pad_p] = _pad_rule


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
        size = shape_of(operand)[a]
        starts = starts[:a] + [_zero_index(starts)] + starts[a:]
        sizes = slice_sizes[:a] + (size,) + slice_sizes[a:]
        return st.dynamic_slice_p.bind(operand, *starts, slice_sizes=sizes), a
    size = next(shape_of(s)[0] for s, d in zip(starts, start_dims) if d is not None)
    shape = unbatched_shape(shape_of(operand), a)
    index = _start_vectors(starts, start_dims, size,
                           [n - w for n, w in zip(shape, slice_sizes)])
    every = tuple(range(len(shape)))
    return gather_batch_rule([operand, index], [a, 0],
                        dimension_numbers=ix.GatherDimensionNumbers(every, (), every),
                        slice_sizes=tuple(slice_sizes), indices_are_sorted=True,
                        unique_indices=True, mode=ix.GatherScatterMode.CLIP,
                        fill_value=None)


def _dynamic_update_slice_rule(vals, dims):
    (operand, update, *starts), (a, u, *start_dims) = vals, dims
    if all(d is None for d in start_dims):   # update the batch dim whole
        if a is None:
            operand, a = place_batch_dim(operand, None, shape_of(update)[u], u, u)
        else:
            update, a = place_batch_dim(update, u, shape_of(operand)[a], a, a)
        starts = starts[:a] + [_zero_index(starts)] + starts[a:]
        return st.dynamic_update_slice_p.bind(operand, update, *starts), a
    operand_aval, update_aval = get_aval(operand), get_aval(update)
    if operand_aval.weak_type and not update_aval.weak_type:
        # dynamic_update_slice is weakly typed only if both are; scatter if the operand is
        operand = ew.convert_element_type(operand, operand_aval.dtype)
    size = next(shape_of(s)[0] for s, d in zip(starts, start_dims) if d is not None)
    shape, window = unbatched_shape(operand_aval.shape, a), unbatched_shape(update_aval.shape, u)
    index = _start_vectors(starts, start_dims, size, [n - w for n, w in zip(shape, window)])
    every = tuple(range(len(shape)))
    return scatter_batch_rule(ix.scatter_p)(
        [operand, index, update], [a, 0, u],
        dimension_numbers=ix.ScatterDimensionNumbers(every, (), every),
        indices_are_sorted=True, unique_indices=True, mode=ix.GatherScatterMode.CLIP)


BATCH_RULES[st.dynamic_slice_p] = _dynamic_slice_rule
BATCH_RULES[st.dynamic_update_slice_p] = _dynamic_update_slice_rule
