"""Batching rules of the elementwise primitives: operands are brought to one batched
shape (rank-0 unbatched operands stay scalars, which elementwise primitives broadcast)
and the primitive is applied once."""
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.trace import get_aval

from .batching import BATCH_RULES, moveaxis


def _batch_size(vals, dims):
    return next(get_aval(v).shape[d] for v, d in zip(vals, dims) if d is not None)


def align_elementwise(vals, dims, keep_scalar=lambda i: True):
    """Operands with the batch dimension first and one common shape (batch,) + s;
    unbatched rank-0 operands are left as they are where `keep_scalar(i)`."""
    size = _batch_size(vals, dims)
    inner = ()
    for v, d in zip(vals, dims):
        shape = get_aval(v).shape
        if d is not None:
            shape = shape[:d] + shape[d + 1:]
        if shape:
            inner = shape
    out_shape = (size,) + inner
    aligned = []
    for i, (v, d) in enumerate(zip(vals, dims)):
        ndim = get_aval(v).ndim
        if d is None:
            if ndim == 0 and keep_scalar(i):
                aligned.append(v)
            else:
                dims_map = tuple(range(1, ndim + 1)) if ndim else ()
                aligned.append(st.broadcast_in_dim(v, out_shape, dims_map))
        else:
            v = moveaxis(v, d, 0)
            if ndim == 1 and inner:
                v = st.broadcast_in_dim(v, out_shape, (0,))
            aligned.append(v)
    return aligned


def _elementwise_rule(prim):
    def rule(vals, dims, **params):
        return prim.bind(*align_elementwise(vals, dims), **params), 0
    return rule


for _prim in list(ew.UNARY.values()) + list(ew.BINARY.values()) + [
        ew.round_nearest_even_p, ew.round_away_p, ew.integer_pow_p, ew.convert_element_type_p,
        ew.bitcast_convert_type_p, ew.stop_gradient_p]:
    BATCH_RULES[_prim] = _elementwise_rule(_prim)


def _select_n_rule(vals, dims):
    # cases must share one shape; an unbatched rank-0 predicate may stay rank-0
    return ew.select_n_p.bind(*align_elementwise(vals, dims, keep_scalar=lambda i: i == 0)), 0


def _clamp_rule(vals, dims):
    return ew.clamp_p.bind(*align_elementwise(vals, dims, keep_scalar=lambda i: i != 1)), 0


BATCH_RULES[ew.select_n_p] = _select_n_rule
BATCH_RULES[ew.clamp_p] = _clamp_rule
