"""Batching rules of the shape, reduction, contraction and sorting primitives.

The batch dimension stays where it is whenever the primitive can carry it: reductions
and cumulative ops shift their axes around it, transpose/rev/slice treat it as one
more axis, broadcast_in_dim maps it to a new output axis, and dot_general makes it a
batch (both operands batched) or free (one operand batched) dimension.  Operands are
moved only where the primitive needs them aligned (concatenate, sort, reshape).
`iota` has no operands, so it is never batched."""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg, reductions, sorting
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval

from .batching import BATCH_RULES, moveaxis


def _shape(x) -> tuple:
    return get_aval(x).shape


def _bump(axes, bdim: int) -> tuple:
    """Axes of the unbatched value renumbered for a value with a batch dim at `bdim`."""
    return tuple(a + (a >= bdim) for a in axes)


def _insert(seq, bdim: int, item) -> tuple:
    seq = tuple(seq)
    return seq[:bdim] + (item,) + seq[bdim:]


def _broadcast_batched(x, bdim: int, size: int):
    """An unbatched `x` broadcast to have a batch dimension of `size` at `bdim`."""
    shape = _shape(x)
    return st.broadcast_in_dim(x, _insert(shape, bdim, size), _bump(range(len(shape)), bdim))


def _align(vals, dims):
    """Every operand batched at one common dimension (the first batched operand's)."""
    bdim, size = next((d, _shape(v)[d]) for v, d in zip(vals, dims) if d is not None)
    aligned = [_broadcast_batched(v, bdim, size) if d is None else moveaxis(v, d, bdim)
               for v, d in zip(vals, dims)]
    return aligned, bdim


# ---- structural ---------------------------------------------------------------------

def _broadcast_in_dim_rule(vals, dims, *, shape, broadcast_dimensions):
    (x,), (bdim,) = vals, dims
    # the batch axis goes right after the output axis of the operand dim before it, so
    # broadcast_dimensions stays increasing and the operand needs no transpose
    out_bdim = broadcast_dimensions[bdim - 1] + 1 if bdim else 0
    new_dims = _insert(_bump(broadcast_dimensions, out_bdim), bdim, out_bdim)
    out_shape = _insert(shape, out_bdim, _shape(x)[bdim])
    return st.broadcast_in_dim(x, out_shape, new_dims), out_bdim


def _reshape_rule(vals, dims, *, new_sizes, dimensions):
    (x,), (bdim,) = vals, dims
    # one reshape whose `dimensions` also brings the batch axis to the front
    order = range(len(_shape(x)) - 1) if dimensions is None else dimensions
    return st.reshape(x, (_shape(x)[bdim],) + tuple(new_sizes),
                      (bdim,) + _bump(order, bdim)), 0


def _transpose_rule(vals, dims, *, permutation):
    (x,), (bdim,) = vals, dims
    return st.transpose(x, _insert(_bump(permutation, bdim), bdim, bdim)), bdim


def _rev_rule(vals, dims, *, dimensions):
    (x,), (bdim,) = vals, dims
    return st.rev(x, _bump(dimensions, bdim)), bdim


def _slice_rule(vals, dims, *, start_indices, limit_indices, strides):
    (x,), (bdim,) = vals, dims
    size = _shape(x)[bdim]
    return st.slice(x, _insert(start_indices, bdim, 0), _insert(limit_indices, bdim, size),
                    None if strides is None else _insert(strides, bdim, 1)), bdim


def _concatenate_rule(vals, dims, *, dimension):
    xs, bdim = _align(vals, dims)
    return st.concatenate(xs, dimension + (dimension >= bdim)), bdim


def _pad_rule(vals, dims, *, padding_config):
    (x, value), (bdim, value_bdim) = vals, dims
    if value_bdim is None:
        return st.pad(x, value, _insert(padding_config, bdim, (0, 0, 0))), bdim
    # a padding value per batch member: pad with zeros, then select it where a padded
    # mask says the element is padding
    size = _shape(value)[value_bdim]
    x = _broadcast_batched(x, 0, size) if bdim is None else moveaxis(x, bdim, 0)
    config = ((0, 0, 0),) + tuple(padding_config)
    aval = get_aval(x)
    padded = st.pad(x, ArrayImpl(np.zeros((), aval.dtype), aval.weak_type), config)
    inside = st.pad(st.broadcast_in_dim(ArrayImpl(np.array(True)), _shape(x), ()),
                    ArrayImpl(np.array(False)), config)
    fill = st.broadcast_in_dim(value, _shape(padded), (0,))
    return ew.select_n(inside, fill, padded), 0


BATCH_RULES[st.broadcast_in_dim_p] = _broadcast_in_dim_rule
BATCH_RULES[st.reshape_p] = _reshape_rule
BATCH_RULES[st.transpose_p] = _transpose_rule
BATCH_RULES[st.rev_p] = _rev_rule
BATCH_RULES[st.slice_p] = _slice_rule
BATCH_RULES[st.concatenate_p] = _concatenate_rule
BATCH_RULES[st.pad_p] = _pad_rule


# ---- reductions ---------------------------------------------------------------------

def _reduce_rule(prim):
    def rule(vals, dims, *, axes):
        (x,), (bdim,) = vals, dims
        return prim.bind(x, axes=_bump(axes, bdim)), bdim - sum(a < bdim for a in axes)
    return rule


def _arg_reduce_rule(prim):
    def rule(vals, dims, *, axis, index_dtype):
        (x,), (bdim,) = vals, dims
        out = prim.bind(x, axis=axis + (axis >= bdim), index_dtype=index_dtype)
        return out, bdim - (axis < bdim)
    return rule


def _cumulative_rule(prim):
    def rule(vals, dims, *, axis, reverse):
        (x,), (bdim,) = vals, dims
        return prim.bind(x, axis=axis + (axis >= bdim), reverse=reverse), bdim
    return rule


for _prim in (reductions.reduce_sum_p, reductions.reduce_prod_p, reductions.reduce_max_p,
              reductions.reduce_min_p, reductions.reduce_and_p, reductions.reduce_or_p):
    BATCH_RULES[_prim] = _reduce_rule(_prim)
for _prim in (reductions.argmax_p, reductions.argmin_p):
    BATCH_RULES[_prim] = _arg_reduce_rule(_prim)
for _prim in (reductions.cumsum_p, reductions.cumprod_p, reductions.cummax_p,
              reductions.cummin_p):
    BATCH_RULES[_prim] = _cumulative_rule(_prim)


# ---- contraction and sorting --------------------------------------------------------

def _dot_general_rule(vals, dims, *, dimension_numbers, preferred_element_type):
    (lhs, rhs), (lbd, rbd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if lbd is not None and rbd is not None:
        # the mapped axes pair up as a new leading batch dimension of the contraction
        numbers = ((_bump(lc, lbd), _bump(rc, rbd)),
                   ((lbd,) + _bump(lb, lbd), (rbd,) + _bump(rb, rbd)))
        out_bdim = 0
    elif lbd is not None:
        # a free dimension of lhs: output is batch, lhs free, rhs free
        lhs_free = [d for d in range(len(_shape(lhs)) - 1) if d not in lc and d not in lb]
        numbers = ((_bump(lc, lbd), rc), (_bump(lb, lbd), rb))
        out_bdim = len(lb) + sum(d < lbd for d in lhs_free)
    else:
        rhs_free = [d for d in range(len(_shape(rhs)) - 1) if d not in rc and d not in rb]
        numbers = ((lc, _bump(rc, rbd)), (lb, _bump(rb, rbd)))
        out_bdim = len(_shape(lhs)) - len(lc) + sum(d < rbd for d in rhs_free)
    out = linalg.dot_general_p.bind(lhs, rhs, dimension_numbers=numbers,
                                    preferred_element_type=preferred_element_type)
    return out, out_bdim


def _sort_rule(vals, dims, *, dimension, is_stable, num_keys):
    operands, bdim = _align(vals, dims)
    out = sorting.sort_p.bind(*operands, dimension=dimension + (dimension >= bdim),
                              is_stable=is_stable, num_keys=num_keys)
    return out, [bdim] * len(out)


BATCH_RULES[linalg.dot_general_p] = _dot_general_rule
BATCH_RULES[sorting.sort_p] = _sort_rule
