"""JVP, transpose and batching rules of the windowed reductions
(core/primitives/windowed.py), after JAX's lax/windowed_reductions.py.

reduce_window_sum is linear; its transpose pads the cotangent (strides become holes)
and sums it over windows again.  reduce_window_max/min differentiate by selection: the
tangent at each window's chosen element (`select_and_gather_add`), whose transpose
scatters each cotangent back to that element (`select_and_scatter_add`) and vice
versa.  Both selections are linear in their first operand and piecewise constant in
the operand they choose by.  Batching gives the batch dimension a window of one.
`optimization_barrier` is an identity: its rules apply the barrier to the tangents,
cotangents and batched values.
"""
from irax.core.primitives import structural as st
from irax.core.primitives import windowed as win
from irax.core.primitives.conv import dilate_dim
from irax.core.trace import get_aval
from irax.transforms.ad import JVP_RULES, TRANSPOSE_RULES, instantiate, is_undefined
from irax.transforms.batching import BATCH_RULES

from .helpers import align, defjvp, deflinear, insert, zero_scalar

gather_p, scatter_p = win.select_and_gather_add_p, win.select_and_scatter_add_p

# ---- JVP ------------------------------------------------------------------------------

deflinear(win.reduce_window_sum_p)


def _chooser_partial(select: str):
    """max/min pooling: the tangent at each window's first chosen element."""
    return lambda t, x, **window: gather_p.bind(t, x, select=select, **window)


defjvp(win.reduce_window_max_p, _chooser_partial("max"))
defjvp(win.reduce_window_min_p, _chooser_partial("min"))
defjvp(gather_p, lambda t, values, x, **params: gather_p.bind(t, x, **params), None)
defjvp(scatter_p, lambda t, values, x, **params: scatter_p.bind(t, x, **params), None)


def _barrier_jvp(primals, tangents):
    """JAX's rule: the barrier on the primals and, apart, on the tangents."""
    return (win.optimization_barrier_p.bind(*primals),
            win.optimization_barrier_p.bind(*[instantiate(t) for t in tangents]))


JVP_RULES[win.optimization_barrier_p] = _barrier_jvp


# ---- transpose ------------------------------------------------------------------------

def _transpose_padding(shape, out_shape, window_dimensions, window_strides, padding,
                       base_dilation, window_dilation) -> list:
    """The (low, high) padding of the cotangent (dilated by the strides) after which
    windows of the same size and dilation, `base_dilation` apart, sum it back onto
    the operand (JAX's `_conv_general_vjp_lhs_padding`)."""
    pads = []
    for n, o, w, s, (lo, _), bd, wd in zip(shape, out_shape, window_dimensions,
                                           window_strides, padding, base_dilation,
                                           window_dilation):
        span = dilate_dim(w, wd)
        before = span - lo - 1
        after = dilate_dim(n, bd) + span - 1 - dilate_dim(o, s) - before
        pads.append((before, after))
    return pads


def _reduce_window_sum_t(ct, x, *, window_dimensions, window_strides, padding,
                         base_dilation, window_dilation):
    shape = x.aval.shape
    pads = _transpose_padding(shape, get_aval(ct).shape, window_dimensions, window_strides,
                              padding, base_dilation, window_dilation)
    config = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)]
    padded = st.pad(ct, zero_scalar(ct), config)
    return [win.reduce_window_sum_p.bind(
        padded, window_dimensions=window_dimensions, window_strides=base_dilation,
        padding=((0, 0),) * len(shape), base_dilation=(1,) * len(shape),
        window_dilation=window_dilation)]


def _barrier_t(cts, *operands):
    linear = [i for i, x in enumerate(operands) if is_undefined(x)]
    passed = win.optimization_barrier_p.bind(*[instantiate(cts[i]) for i in linear])
    out = [None] * len(operands)
    for i, ct in zip(linear, passed):
        out[i] = ct
    return out


TRANSPOSE_RULES[win.reduce_window_sum_p] = _reduce_window_sum_t
TRANSPOSE_RULES[gather_p] = lambda ct, t, x, **params: [scatter_p.bind(ct, x, **params), None]
TRANSPOSE_RULES[scatter_p] = lambda ct, s, x, **params: [gather_p.bind(ct, x, **params), None]
TRANSPOSE_RULES[win.optimization_barrier_p] = _barrier_t


# ---- batching -------------------------------------------------------------------------

def _batched_window(bdim: int, window_dimensions, window_strides, padding, base_dilation,
                    window_dilation) -> dict:
    """Window parameters with a window of one along a batch dimension at `bdim`."""
    return {"window_dimensions": insert(window_dimensions, bdim, 1),
            "window_strides": insert(window_strides, bdim, 1),
            "padding": insert(padding, bdim, (0, 0)),
            "base_dilation": insert(base_dilation, bdim, 1),
            "window_dilation": insert(window_dilation, bdim, 1)}


def _reduce_window_rule(prim):
    def rule(vals, dims, **window):
        (x,), (bdim,) = vals, dims
        return prim.bind(x, **_batched_window(bdim, **window)), bdim
    return rule


def _selection_rule(prim):
    def rule(vals, dims, *, select, **window):
        (values, x), bdim = align(vals, dims)
        return prim.bind(values, x, select=select, **_batched_window(bdim, **window)), bdim
    return rule


def _barrier_rule(vals, dims):
    return win.optimization_barrier_p.bind(*vals), list(dims)


for _prim in win.REDUCE_WINDOW.values():
    BATCH_RULES[_prim] = _reduce_window_rule(_prim)
BATCH_RULES[gather_p] = _selection_rule(gather_p)
BATCH_RULES[scatter_p] = _selection_rule(scatter_p)
BATCH_RULES[win.optimization_barrier_p] = _barrier_rule
