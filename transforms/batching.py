"""vmap: batching as an interpreter.  A BatchTracer carries a value with one extra
dimension (`batch_dim`, or None when the value is the same for every batch member);
each primitive's batching rule maps (values, batch dims) to (output, output batch dim)
so the loop is pushed into the primitives.  Rule table: `BATCH_RULES`."""
from typing import NamedTuple

from irax.core.aval import ShapedArray
from irax.core.primitives import structural as st
from irax.core.tensor import to_tensor
from irax.core.trace import Trace, Tracer, bind_custom_jvp, bind_custom_vjp, full_lower, get_aval

BATCH_RULES: dict = {}
"""primitive -> rule(values, batch_dims, **params) -> (output(s), output batch dim(s)).
`batch_dims[i]` is None for an operand that is not batched; at least one is batched."""

RULES_TAKING_AXIS_INFO: set = set()
"""Primitives whose batching rule takes the vmap's BatchInfo first, as
`rule(info, values, batch_dims, **params)` (rules that batch sub-Graphs)."""


class BatchInfo(NamedTuple):
    """The mapped axis of one vmap: its size and optional name (for collectives)."""
    size: int
    name: object


class BatchTracer(Tracer):
    """A value of one more dimension than it appears to have (`batch_dim`)."""

    __slots__ = ("batch_dim", "val")

    def __init__(self, trace, val, batch_dim):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self) -> ShapedArray:
        aval = get_aval(self.val)
        if self.batch_dim is None:
            return aval
        shape = aval.shape[:self.batch_dim] + aval.shape[self.batch_dim + 1:]
        return ShapedArray(shape, aval.dtype, aval.weak_type)

    def full_lower(self):
        return full_lower(self.val) if self.batch_dim is None else self


class BatchTrace(Trace):
    """Applies batching rules; unbatched operations run unchanged one level down."""

    __slots__ = ()

    @property
    def info(self) -> BatchInfo:
        return self.main.global_data

    def pure(self, value):
        return BatchTracer(self, to_tensor(value), None)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        vals = [t.val for t in tracers]
        dims = [t.batch_dim for t in tracers]
        if all(d is None for d in dims):
            out = primitive.bind(*vals, **params)
            if primitive.multiple_results:
                return [BatchTracer(self, o, None) for o in out]
            return BatchTracer(self, out, None)
        rule = BATCH_RULES.get(primitive)
        if rule is None:
            raise NotImplementedError(f"Batching rule for '{primitive.name}' not implemented")
        if primitive in RULES_TAKING_AXIS_INFO:
            out, out_dim = rule(self.info, vals, dims, **params)
        else:
            out, out_dim = rule(vals, dims, **params)
        if primitive.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return BatchTracer(self, out, out_dim)

    def process_custom_jvp_call(self, fun, jvp, tracers):
        vals = [moveaxis_to_front(t.val, t.batch_dim, self.info.size) for t in tracers]
        batched_fun = batch_flat(fun, self.info)

        def batched_jvp(primals, tangents):
            n = len(primals)
            outs = batch_flat(lambda *pt: _concat(*jvp(list(pt[:n]), list(pt[n:]))),
                              self.info)(*primals, *tangents)
            half = len(outs) // 2
            return outs[:half], outs[half:]

        outs = bind_custom_jvp(batched_fun, batched_jvp, vals)
        return [BatchTracer(self, o, 0) for o in outs]

    def process_custom_vjp_call(self, fun, fwd, bwd, tracers):
        vals = [moveaxis_to_front(t.val, t.batch_dim, self.info.size) for t in tracers]
        num_res = []

        def batched_fwd(*args):
            outs = batch_flat(lambda *a: _concat_counted(num_res, *fwd(*a)), self.info)(*args)
            k = len(outs) - num_res[-1]
            return outs[:k], outs[k:]

        def batched_bwd(residuals, cts):
            n = len(residuals)
            return batch_flat(lambda *rc: list(bwd(list(rc[:n]), list(rc[n:]))),
                              self.info)(*residuals, *cts)

        outs = bind_custom_vjp(batch_flat(fun, self.info), batched_fwd, batched_bwd, vals)
        return [BatchTracer(self, o, 0) for o in outs]


def _concat(a, b):
    return list(a) + list(b)


def _concat_counted(counter, outs, residuals):
    residuals = [to_tensor(r) for r in residuals]
    counter.append(len(residuals))
    return list(outs) + residuals


def moveaxis_to_front(x, batch_dim, size):
    """`x` with its batch dimension first (an unbatched x is broadcast to `size`)."""
    x = to_tensor(x)
    if batch_dim is None:
        return st.broadcast_in_dim(x, (size,) + x.shape, tuple(range(1, x.ndim + 1)))
    if batch_dim == 0:
        return x
    perm = (batch_dim,) + tuple(i for i in range(x.ndim) if i != batch_dim)
    return st.transpose(x, perm)


def moveaxis(x, src: int, dst: int):
    """`x` with dimension `src` moved to position `dst`."""
    if src == dst:
        return x
    order = [i for i in range(get_aval(x).ndim) if i != src]
    order.insert(dst, src)
    return st.transpose(x, order)


def batch_flat(fun, info: BatchInfo):
    """`fun(*flat) -> flat list` mapped over axis 0 of every argument (all batched)."""
    from irax.core.trace import full_raise, new_main

    def batched(*vals):
        with new_main(BatchTrace, "vmap", info) as main:
            trace = main.trace
            outs = fun(*[BatchTracer(trace, v, 0) for v in vals])
            outs = [full_raise(trace, o) for o in outs]
            return [moveaxis_to_front(o.val, o.batch_dim, info.size) for o in outs]
    return batched
