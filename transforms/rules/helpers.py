"""Helpers the per-family rule modules share: JVP rule constructors (`defjvp`,
`defjvp2`, `deflinear`, `defzero`), constants of an operand's dtype, and the batch
dimension arithmetic of the batching rules.

A rule made by a constructor reports, as its `__module__`, the rule module that called
the constructor: that is where the primitive's rule is defined (tests/test_rule_layout.py).
"""
import sys

import numpy as np

from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval
from irax.transforms.ad import JVP_RULES, Zero, add_tangents, instantiate, tangent_aval
from irax.transforms.batching import moveaxis


def _caller_module() -> str:
    """The module (outside this one) that called a rule constructor."""
    frame = sys._getframe(1)
    while frame.f_globals["__name__"] == __name__:
        frame = frame.f_back
    return frame.f_globals["__name__"]


# ---- constants ----------------------------------------------------------------------

def const(x, value):
    """A scalar of x's dtype (rank 0: elementwise primitives broadcast it)."""
    return ArrayImpl(np.array(value, x.dtype))


def zero_scalar(x):
    """A rank-0 zero of x's dtype."""
    return ArrayImpl(np.zeros((), get_aval(x).dtype))


def fit(t, shape):
    """Broadcasts a rank-0 tangent contribution to the output shape."""
    return t if t.shape == shape else st.broadcast_in_dim(t, shape, ())


# ---- JVP rule constructors ----------------------------------------------------------

def defjvp(prim, *partials):
    """JVP from per-operand partials `partial(t, *primals, **params)` (None: not linear)."""
    defjvp2(prim, *[None if partial is None else _ignoring_ans(partial)
                    for partial in partials])


def _ignoring_ans(partial):
    """A defjvp partial as a defjvp2 one, which is also given the primal output."""
    return lambda t, ans, *primals, **params: partial(t, *primals, **params)


def defjvp2(prim, *partials):
    """Like defjvp, with the primal output: `partial(t, ans, *primals, **params)`."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        shape = out.shape
        total = None
        for partial, t in zip(partials, tangents):
            if partial is not None and type(t) is not Zero:
                term = fit(partial(t, out, *primals, **params), shape)
                total = term if total is None else add_tangents(total, term)
        return out, Zero(tangent_aval(out.aval)) if total is None else total
    rule.__module__ = _caller_module()
    JVP_RULES[prim] = rule


def deflinear(prim):
    """A primitive linear in all operands: its JVP applies it to the tangents."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            zero = [Zero(tangent_aval(get_aval(o))) for o in out] if prim.multiple_results \
                else Zero(tangent_aval(get_aval(out)))
            return out, zero
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)
    rule.__module__ = _caller_module()
    JVP_RULES[prim] = rule


def defzero(prim):
    """A primitive whose output is piecewise constant (or integer): zero tangent."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(get_aval(o))) for o in out]
        return out, Zero(tangent_aval(get_aval(out)))
    rule.__module__ = _caller_module()
    JVP_RULES[prim] = rule


# ---- batch dimension arithmetic -----------------------------------------------------

def shape_of(x) -> tuple:
    """The shape of a value (array or tracer)."""
    return get_aval(x).shape


def bump(axes, bdim: int) -> tuple:
    """Axes of the unbatched value renumbered for a value with a batch dim at `bdim`."""
    return tuple(a + (a >= bdim) for a in axes)


def insert(seq, bdim: int, item) -> tuple:
    """`seq` as a tuple with `item` inserted at position `bdim`."""
    seq = tuple(seq)
    return seq[:bdim] + (item,) + seq[bdim:]


def broadcast_batched(x, bdim: int, size: int):
    """An unbatched `x` broadcast to have a batch dimension of `size` at `bdim`."""
    shape = shape_of(x)
    return st.broadcast_in_dim(x, insert(shape, bdim, size), bump(range(len(shape)), bdim))


def align(vals, dims):
    """Every operand batched at one common dimension (the first batched operand's)."""
    bdim, size = next((d, shape_of(v)[d]) for v, d in zip(vals, dims) if d is not None)
    aligned = [broadcast_batched(v, bdim, size) if d is None else moveaxis(v, d, bdim)
               for v, d in zip(vals, dims)]
    return aligned, bdim
