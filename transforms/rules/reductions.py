"""JVP, transpose and batching rules of the reductions and cumulative reductions
(core/primitives/reductions.py).

reduce_max/min JVPs average the tangent over ties (JAX's rule); reduce_prod and the
cumulative products/extrema differentiate a tree of pairwise operations, exact at
zeros.  Batching shifts the reduced axes around the batch dimension.
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.primitives.scan_ops import associative_scan
from irax.core.trace import get_aval
from irax.transforms.ad import JVP_RULES, TRANSPOSE_RULES, Zero, jvp_flat, tangent_aval
from irax.transforms.batching import BATCH_RULES

from .helpers import bump, const, defjvp2, deflinear, defzero

# Rules combine tensors of one dtype (constants come from `const`): bind directly.
mul, div = ew.mul_p.bind, ew.div_p.bind

# ---- JVP ------------------------------------------------------------------------------

deflinear(red.reduce_sum_p)
deflinear(red.cumsum_p)


def _reduce_chooser_partial(t, ans, x, *, axes):
    """max/min: the tangent at the chosen elements, averaged over ties (JAX's rule)."""
    shape = get_aval(x).shape
    kept = [i for i in range(len(shape)) if i not in axes]
    location = ew.eq(x, st.broadcast_in_dim(ans, shape, kept))
    mask = ew.convert_element_type(location, get_aval(t).dtype)
    counts = red.reduce_sum(mask, axes)
    return div(red.reduce_sum(mul(t, mask), axes), counts)


defjvp2(red.reduce_max_p, _reduce_chooser_partial)
defjvp2(red.reduce_min_p, _reduce_chooser_partial)


def _reduce_prod_jvp(primals, tangents, *, axes):
    """Differentiates a pairwise product tree (exact at zeros, as JAX does)."""
    (x,), (t,) = primals, tangents
    out = red.reduce_prod_p.bind(x, axes=axes)
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    _, (t_out,) = jvp_flat(lambda v: [product_tree(v, axes)], [x], [t])
    return out, t_out


def product_tree(x, axes):
    """reduce_prod as a tree of pairwise multiplications (differentiable everywhere)."""
    shape = get_aval(x).shape
    kept = [i for i in range(len(shape)) if i not in axes]
    x = st.transpose(x, list(axes) + kept)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    rest = [shape[i] for i in kept]
    x = st.reshape(x, [n] + rest)
    while n > 1:
        if n % 2:
            one = st.broadcast_in_dim(const(x, 1), [1] + rest, ())
            x = st.concatenate([x, one], 0)
            n += 1
        x = mul(st.slice(x, [0] * (len(rest) + 1), [n] + rest, [2] + [1] * len(rest)),
                st.slice(x, [1] + [0] * len(rest), [n] + rest, [2] + [1] * len(rest)))
        n //= 2
    if n == 0:
        return st.broadcast_in_dim(const(x, 1), rest, ())
    return st.reshape(x, rest)


JVP_RULES[red.reduce_prod_p] = _reduce_prod_jvp
for _p in (red.reduce_and_p, red.reduce_or_p, red.argmax_p, red.argmin_p):
    defzero(_p)


def _cumulative_jvp(prim, combine):
    """cumprod/cummax/cummin: differentiates their associative scan of `combine`."""
    def rule(primals, tangents, *, axis, reverse):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axis=axis, reverse=reverse)
        if type(t) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        _, (t_out,) = jvp_flat(lambda v: [associative_scan(combine, v, reverse=reverse,
                                                           axis=axis)], [x], [t])
        return out, t_out
    return rule


JVP_RULES[red.cumprod_p] = _cumulative_jvp(red.cumprod_p, ew.mul)
JVP_RULES[red.cummax_p] = _cumulative_jvp(red.cummax_p, ew.max)
JVP_RULES[red.cummin_p] = _cumulative_jvp(red.cummin_p, ew.min)


# ---- transpose ------------------------------------------------------------------------

def _reduce_sum_t(ct, x, *, axes):
    kept = [i for i in range(x.aval.ndim) if i not in axes]
    return [st.broadcast_in_dim(ct, x.aval.shape, kept)]


TRANSPOSE_RULES[red.reduce_sum_p] = _reduce_sum_t
TRANSPOSE_RULES[red.cumsum_p] = lambda ct, x, *, axis, reverse: [
    red.cumsum(ct, axis, not reverse)]


# ---- batching -------------------------------------------------------------------------

def _reduce_rule(prim):
    def rule(vals, dims, *, axes):
        (x,), (bdim,) = vals, dims
        return prim.bind(x, axes=bump(axes, bdim)), bdim - sum(a < bdim for a in axes)
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


for _prim in (red.reduce_sum_p, red.reduce_prod_p, red.reduce_max_p, red.reduce_min_p,
              red.reduce_and_p, red.reduce_or_p):
    BATCH_RULES[_prim] = _reduce_rule(_prim)
for _prim in (red.argmax_p, red.argmin_p):
    BATCH_RULES[_prim] = _arg_reduce_rule(_prim)
for _prim in (red.cumsum_p, red.cumprod_p, red.cummax_p, red.cummin_p):
    BATCH_RULES[_prim] = _cumulative_rule(_prim)
