"""Collectives over a named mapped axis: `psum`, `pmean`, `pmax`, `pmin`,
`all_gather`, `axis_index` (JAX's `lax` names).  Under `vmap(..., axis_name=n)` they
act across the batch of that vmap; pmap will reuse the same primitives.  Outside a
transform that binds the name they raise NameError, as in JAX.

Their batching (how a vmap reduces or gathers over its batch), JVP and transpose
rules are in transforms/rules/collectives.py.
"""
from .. import pytree
from ..aval import ShapedArray
from ..primitive import Primitive
from ..tensor import to_tensor
from ..trace import find_top_trace, full_lower, full_raise, innermost_main
from . import elementwise as ew

AXIS_NAME_TRACES: set = set()
"""Trace types whose mains bind an axis name (`main.global_data.name`): vmap's
BatchTrace, registered by transforms/rules/collectives.py."""


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
        named = innermost_main(lambda m: m.trace_type in AXIS_NAME_TRACES
                               and m.global_data.name == axis_name)
        if named is None:
            raise NameError(f"unbound axis name: {axis_name!r}; collectives need an "
                            f"enclosing vmap(..., axis_name={axis_name!r}) (or pmap)")
        trace = find_top_trace(args)
        if trace.main.level < named.level:
            trace = named.trace
        out = trace.process_primitive(self, [full_raise(trace, a) for a in args], params)
        return full_lower(out)


def _collective(name):
    prim = CollectivePrimitive(name)
    prim.def_impl(_unbound(name))
    prim.def_abstract_eval(lambda x, *, axis_name: x)
    return prim


psum_p = _collective("psum")
pmax_p = _collective("pmax")
pmin_p = _collective("pmin")

all_gather_p = CollectivePrimitive("all_gather")
all_gather_p.def_impl(_unbound("all_gather"))

axis_index_p = CollectivePrimitive("axis_index")
axis_index_p.def_impl(_unbound("axis_index"))
axis_index_p.def_abstract_eval(lambda *, axis_name: ShapedArray((), "int32"))
axis_index_p.weak_type_rule = lambda args, params: False


def _all_gather_abstract_eval(x, *, axis_name, axis_size):
    return ShapedArray((axis_size,) + x.shape, x.dtype, x.weak_type)


all_gather_p.def_abstract_eval(_all_gather_abstract_eval)


def psum(x, axis_name):
    """`lax.psum(x, axis_name)`: the sum of `x` (a pytree) over the named mapped axis."""
    return pytree.tree_map(lambda v: psum_p.bind(to_tensor(v), axis_name=axis_name), x)


def pmean(x, axis_name):
    """`lax.pmean(x, axis_name)`: the mean of `x` over the named mapped axis."""
    def mean(v):
        v = to_tensor(v)
        total = psum_p.bind(v, axis_name=axis_name)
        count = psum_p.bind(ew.convert_element_type(1, v.dtype), axis_name=axis_name)
        return ew.div(total, count)
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
