"""Batching, JVP and transpose rules of the collectives (core/primitives/collectives.py).

Batching: under the vmap that binds their axis name, collectives reduce or gather
across its batch; under any other vmap they act per batch member, one level down.
BatchTrace routes the collectives here (before its `BATCH_RULES` lookup), since
they batch even when their operand is not batched.
"""
from irax.core.aval import ShapedArray
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.primitives.collectives import (
    AXIS_NAME_TRACES,
    all_gather_p,
    axis_index_p,
    pmax_p,
    pmin_p,
    psum_p,
)
from irax.core.trace import get_aval
from irax.transforms.ad import JVP_RULES, TRANSPOSE_RULES, Zero, tangent_aval
from irax.transforms.batching import BatchTrace, BatchTracer, moveaxis

# ---- batching -------------------------------------------------------------------------

COLLECTIVE_REDUCERS = {psum_p: red.reduce_sum, pmax_p: red.reduce_max,
                       pmin_p: red.reduce_min}
"""primitive -> its reduction over the batch axis."""

AXIS_NAME_TRACES.add(BatchTrace)


def _matches(trace: BatchTrace, axis_name) -> bool:
    return trace.info.name is not None and trace.info.name == axis_name


def _process_collective(self, primitive, tracers, params):
    """BatchTrace handling of collectives: reduce/gather across this vmap's batch when
    the axis name is this vmap's, else apply per batch member one level down."""
    axis_name = params["axis_name"]
    if not _matches(self, axis_name):  # another vmap's axis: act per member of this one
        (t,) = tracers
        out = primitive.bind(t.val, **params)
        shift = primitive is all_gather_p and t.batch_dim is not None
        return BatchTracer(self, out, t.batch_dim + 1 if shift else t.batch_dim)
    size = self.info.size
    if primitive is axis_index_p:
        return BatchTracer(self, st.iota("int32", size), 0)
    (t,) = tracers
    x = moveaxis(t.val, t.batch_dim, 0) if t.batch_dim is not None else t.val
    if primitive is all_gather_p:
        if t.batch_dim is None:
            aval = get_aval(x)
            return BatchTracer(self, st.broadcast_in_dim(x, (size,) + aval.shape,
                                                         tuple(range(1, aval.ndim + 1))), None)
        return BatchTracer(self, x, None)
    if t.batch_dim is None:  # the same value in every member
        out = x if primitive is not psum_p else ew.mul(
            x, ew.convert_element_type(size, get_aval(x).dtype))
        return BatchTracer(self, out, None)
    return BatchTracer(self, COLLECTIVE_REDUCERS[primitive](x, (0,)), None)


_BASE_PROCESS = BatchTrace.process_primitive
_COLLECTIVES = {psum_p, pmax_p, pmin_p, all_gather_p, axis_index_p}


def _process_primitive(self, primitive, tracers, params):
    if primitive in _COLLECTIVES:
        return _process_collective(self, primitive, tracers, params)
    return _BASE_PROCESS(self, primitive, tracers, params)


BatchTrace.process_primitive = _process_primitive


# ---- JVP and transpose ----------------------------------------------------------------

def _linear_jvp(prim):
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            return out, Zero(tangent_aval(get_aval(out)))
        return out, prim.bind(*tangents, **params)
    return rule


JVP_RULES[psum_p] = _linear_jvp(psum_p)
JVP_RULES[all_gather_p] = _linear_jvp(all_gather_p)
TRANSPOSE_RULES[psum_p] = lambda ct, x, *, axis_name: [psum_p.bind(ct, axis_name=axis_name)]


def _extremum_jvp(prim):
    def rule(primals, tangents, *, axis_name):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axis_name=axis_name)
        if type(t) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        chosen = ew.convert_element_type(ew.eq(x, out), get_aval(t).dtype)
        count = psum_p.bind(chosen, axis_name=axis_name)
        picked = psum_p.bind(ew.mul(t, chosen), axis_name=axis_name)
        return out, ew.div(picked, count)
    return rule


JVP_RULES[pmax_p] = _extremum_jvp(pmax_p)
JVP_RULES[pmin_p] = _extremum_jvp(pmin_p)
JVP_RULES[axis_index_p] = lambda primals, tangents, *, axis_name: (
    axis_index_p.bind(axis_name=axis_name), Zero(ShapedArray((), tangent_aval(
        ShapedArray((), "int32")).dtype)))
