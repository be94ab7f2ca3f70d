"""Collectives over a named mapped axis: `psum`, `pmean`, `pmax`, `pmin`,
`all_gather`, `axis_index` (JAX's `lax` names).  Under `vmap(..., axis_name=n)` they
act across the batch of that vmap; pmap will reuse the same primitives.  Outside a
transform that binds the name they raise NameError, as in JAX."""
from irax.core import pytree
from irax.core.aval import ShapedArray
from irax.core.primitive import Primitive
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import to_tensor
from irax.core.trace import find_top_trace, full_lower, full_raise, get_aval, innermost_main

from .ad import JVP_RULES, TRANSPOSE_RULES, Zero, tangent_aval
from .batching import BatchTrace, BatchTracer, moveaxis

COLLECTIVE_REDUCERS = {}  # primitive -> reduction over the batch axis


def _unbound(name):
    def impl(*args, axis_name, **params):
        raise NameError(f"unbound axis name: {axis_name!r}; collectives need an enclosing "
                        f"vmap(..., axis_name={axis_name!r}) (or pmap)")
    impl.__name__ = name
    return impl


class CollectivePrimitive(Primitive):
    """A primitive bound to a named axis: the transform that binds the name must see it
    even when its operands are constants, so `bind` routes it there explicitly."""

    def bind(self, *args, **params):
        axis_name = params["axis_name"]
        named = innermost_main(lambda m: m.trace_type is BatchTrace
                               and m.global_data.name == axis_name)
        if named is None:
            raise NameError(f"unbound axis name: {axis_name!r}; collectives need an "
                            f"enclosing vmap(..., axis_name={axis_name!r}) (or pmap)")
        trace = find_top_trace(args)
        if trace.main.level < named.level:
            trace = named.trace
        out = trace.process_primitive(self, [full_raise(trace, a) for a in args], params)
        return full_lower(out)


def _collective(name, reducer):
    prim = CollectivePrimitive(name)
    prim.def_impl(_unbound(name))
    prim.def_abstract_eval(lambda x, *, axis_name: x)
    COLLECTIVE_REDUCERS[prim] = reducer
    return prim


psum_p = _collective("psum", red.reduce_sum)
pmax_p = _collective("pmax", red.reduce_max)
pmin_p = _collective("pmin", red.reduce_min)

all_gather_p = CollectivePrimitive("all_gather")
all_gather_p.def_impl(_unbound("all_gather"))

axis_index_p = CollectivePrimitive("axis_index")
axis_index_p.def_impl(_unbound("axis_index"))
axis_index_p.def_abstract_eval(lambda *, axis_name: ShapedArray((), "int32"))
axis_index_p.weak_type_rule = lambda args, params: False


def _all_gather_abstract_eval(x, *, axis_name, axis_size):
    return ShapedArray((axis_size,) + x.shape, x.dtype, x.weak_type)


all_gather_p.def_abstract_eval(_all_gather_abstract_eval)


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
        out = x if primitive is not psum_p else ew.LAX_FUNCTIONS["mul"](
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
        chosen = ew.convert_element_type(ew.LAX_FUNCTIONS["eq"](x, out), get_aval(t).dtype)
        count = psum_p.bind(chosen, axis_name=axis_name)
        picked = psum_p.bind(ew.LAX_FUNCTIONS["mul"](t, chosen), axis_name=axis_name)
        return out, ew.LAX_FUNCTIONS["div"](picked, count)
    return rule


JVP_RULES[pmax_p] = _extremum_jvp(pmax_p)
JVP_RULES[pmin_p] = _extremum_jvp(pmin_p)
JVP_RULES[axis_index_p] = lambda primals, tangents, *, axis_name: (
    axis_index_p.bind(axis_name=axis_name), Zero(ShapedArray((), tangent_aval(
        ShapedArray((), "int32")).dtype)))


def psum(x, axis_name):
    """`lax.psum(x, axis_name)`: the sum of `x` (a pytree) over the named mapped axis."""
    return pytree.tree_map(lambda v: psum_p.bind(to_tensor(v), axis_name=axis_name), x)


def pmean(x, axis_name):
    """`lax.pmean(x, axis_name)`: the mean of `x` over the named mapped axis."""
    def mean(v):
        v = to_tensor(v)
        total = psum_p.bind(v, axis_name=axis_name)
        count = psum_p.bind(ew.convert_element_type(1, v.dtype), axis_name=axis_name)
        return ew.LAX_FUNCTIONS["div"](total, count)
    return pytree.tree_map(mean, x)


def pmax(x, axis_name):
    """`lax.pmax(x, axis_name)`: the maximum of `x` over the named mapped axis."""
    return pytree.tree_map(lambda v: pmax_p.bind(to_tensor(v), axis_name=axis_name), x)


def pmin(x, axis_name):
    """`lax.pmin(x, axis_name)`: the minimum of `x` over the named mapped axis."""
    return pytree.tree_map(lambda v: pmin_p.bind(to_tensor(v), axis_name=axis_name), x)


def all_gather(x, axis_name, *, axis_size):
    """`lax.all_gather(x, axis_name, axis_size=n)`: every member's `x` stacked on a new
    leading axis (irax needs the axis size at trace time)."""
    return pytree.tree_map(lambda v: all_gather_p.bind(to_tensor(v), axis_name=axis_name,
                                                       axis_size=int(axis_size)), x)


def axis_index(axis_name):
    """`lax.axis_index(axis_name)`: this member's position along the named axis."""
    return axis_index_p.bind(axis_name=axis_name)
