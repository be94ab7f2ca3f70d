"""Call primitives: `jit`, a compiled call of a sub-Graph.

    jit  (*operands)   graph(*operands), compiled by IREE and run as one program

Its params: `graph` (a Graph without constvars: what the traced function closed over
is among the leading operands, as for control flow), `name` (the program's name, for
logs and errors) and `device` (the device `jit(..., device=)` named, or None: the
operands' device decides). Every transform has a rule for it that returns a new `jit`
equation over the transformed Graph (transforms/rules/call.py), so `grad(jit(f))`,
`vmap(jit(f))` and `jvp(jit(f))` run compiled programs; the lowering inlines the
sub-Graph (mlir_lowering/call.py). Evaluating it on concrete arrays compiles the Graph
(cached) and runs it on device buffers: that rule belongs to the runtime side and is
registered by transforms/jit.py with `CallPrimitive.def_concrete_call`.
"""
from ..errors import ShapeError
from ..graph import Graph
from ..primitive import Primitive
from ..tensor import ArrayImpl
from ..trace import Tracer, bind, concrete_values_evaluate


class CallPrimitive(Primitive):
    """A primitive whose evaluation on concrete arrays takes and returns irax arrays
    (device buffers stay on their device) instead of NumPy values."""

    def __init__(self, name: str):
        super().__init__(name, multiple_results=True)
        self.concrete_call = None

    def def_concrete_call(self, rule) -> None:
        """Registers `rule(args, params) -> list of arrays`, run on concrete arguments."""
        self.concrete_call = rule
        self.def_impl(lambda *values, **params: [
            o._value for o in rule([ArrayImpl(v) for v in values], params)])

    def bind(self, *args, **params):
        """Runs the call now when every argument is concrete and no graph trace records
        constants; otherwise hands it to the innermost transform, as `bind` does."""
        if concrete_values_evaluate() and not any(isinstance(a, Tracer) for a in args):
            return self.concrete_call(args, params)
        return bind(self, args, params)


jit_p = CallPrimitive("jit")


@jit_p.def_abstract_eval
def _jit_abstract_eval(*avals, graph: Graph, name: str, device):
    expected = [v.aval.strip_weak_type() for v in graph.invars]
    got = [a.strip_weak_type() for a in avals]
    if expected != got:
        raise ShapeError(f"jit({name}): its program takes "
                         f"({', '.join(a.str_short() for a in expected)}), got "
                         f"({', '.join(a.str_short() for a in got)})")
    return graph.out_avals


jit_p.weak_type_rule = lambda args, params: [a.weak_type for a in params["graph"].out_avals]
