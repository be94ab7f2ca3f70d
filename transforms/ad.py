"""Forward mode (JVP) and reverse mode as linearize + transpose.

`jvp` runs a function on JVPTracers (primal, tangent).  `linearize` runs the same JVP
with tangents that are GraphTracers of a non-dynamic graph trace: operations on
primals are evaluated as usual, operations on tangents are recorded — the recorded
Graph (the tape) is the linear map.  `backward_pass` transposes that Graph equation
by equation with the transpose rules, which is reverse mode.  Rule tables:
`JVP_RULES` and `TRANSPOSE_RULES`, filled by transforms/rules/<family>.py.
"""
import numpy as np

from irax.core import dtypes
from irax.core.aval import ShapedArray, float0
from irax.core.graph import Graph, Literal, eval_graph
from irax.core.graph_trace import GraphBuilder, GraphTrace
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor, to_tensor
from irax.core.trace import Trace, Tracer, full_lower, full_raise, get_aval, new_main

JVP_RULES: dict = {}
"""primitive -> rule(primals, tangents, **params) -> (primal_out, tangent_out)."""

TRANSPOSE_RULES: dict = {}
"""linear primitive -> rule(cotangent(s), *operands, **params) -> operand cotangents;
operands the map is linear in are UndefinedPrimal, the others known values."""

NOT_DIFFERENTIABLE: dict = {}
"""primitive -> why it has no derivative (its JVP raises with that reason)."""


class Zero:
    """A symbolic zero tangent or cotangent of abstract value `aval`."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


class UndefinedPrimal:
    """An operand of a linear equation that transposition solves for."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval


_INEXACT = frozenset(d for d in dtypes.ALL if dtypes.is_inexact(d))


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """Tangents of floats/complex share their dtype; of ints/bools they are float0."""
    if aval.dtype in _INEXACT:
        return aval
    return ShapedArray(aval.shape, float0)


def zeros_like_aval(aval: ShapedArray) -> Tensor:
    """A zero array of `aval` (float0 zeros for integer tangents)."""
    if aval.dtype == float0:
        return ArrayImpl(np.zeros(aval.shape, float0))
    zero = ArrayImpl(np.zeros((), aval.dtype), aval.weak_type)
    return st.broadcast_in_dim(zero, aval.shape, ()) if aval.shape else zero


def instantiate(tangent) -> Tensor:
    """A Zero made concrete; anything else unchanged."""
    return zeros_like_aval(tangent.aval) if type(tangent) is Zero else tangent


def add_tangents(a, b):
    """Sum of two (co)tangents, skipping symbolic zeros."""
    if type(a) is Zero:
        return b
    if type(b) is Zero:
        return a
    return ew.add_p.bind(a, b)


class JVPTracer(Tracer):
    """A primal value with its tangent (possibly a symbolic Zero)."""

    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)

    def full_lower(self):
        if type(self.tangent) is Zero:
            return full_lower(self.primal)
        return self

    def concrete_value(self):
        primal = self.primal
        if type(primal) is ArrayImpl:
            return primal
        return primal.concrete_value() if isinstance(primal, Tracer) else None


class JVPTrace(Trace):
    """Applies each primitive's JVP rule to (primal, tangent) pairs."""

    __slots__ = ()

    def pure(self, value):
        value = to_tensor(value)
        return JVPTracer(self, value, Zero(tangent_aval(value.aval)))

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        rule = JVP_RULES.get(primitive)
        if rule is None:
            reason = NOT_DIFFERENTIABLE.get(primitive)
            raise TypeError(f"{primitive.name} is not differentiable: {reason}" if reason else
                            f"Differentiation rule for '{primitive.name}' not implemented")
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        primal_out, tangent_out = rule(primals, tangents, **params)
        if primitive.multiple_results:
            return [JVPTracer(self, p, t) for p, t in zip(primal_out, tangent_out)]
        return JVPTracer(self, primal_out, tangent_out)


def jvp_flat(fun, primals, tangents):
    """Runs `fun(*flat) -> flat list` forward with tangents; returns (outs, tangent outs)."""
    with new_main(JVPTrace, "jvp") as main:
        trace = main.trace
        ins = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        outs = [full_raise(trace, o) for o in fun(*ins)]
        primals_out = [full_lower(o.primal) for o in outs]
        tangents_out = [o.tangent if type(o.tangent) is Zero else full_lower(o.tangent)
                        for o in outs]
    return primals_out, tangents_out


class LinearGraph:
    """The linear map recorded by `linearize`: tangents in, tangents out.

    `zero_outputs[i]` is True where the output tangent is identically zero.
    """

    def __init__(self, graph: Graph, consts, in_avals, zero_inputs, out_avals, zero_outputs):
        self.graph = graph
        self.consts = consts
        self.in_avals = in_avals
        self.zero_inputs = zero_inputs
        self.out_avals = out_avals
        self.zero_outputs = zero_outputs

    def apply(self, tangents):
        """Evaluates the linear map on concrete (or traced) tangents."""
        live = [t for t, zero in zip(tangents, self.zero_inputs) if not zero]
        outs = iter(eval_graph(self.graph, self.consts, live))
        return [zeros_like_aval(a) if zero else next(outs)
                for a, zero in zip(self.out_avals, self.zero_outputs)]

    def transpose(self, cotangents):
        """Applies the transposed map: output cotangents -> input cotangents (or Zero)."""
        cts = [ct for ct, zero in zip(cotangents, self.zero_outputs) if not zero]
        live = iter(backward_pass(self.graph, self.consts, cts))
        return [Zero(a) if zero else next(live)
                for a, zero in zip(self.in_avals, self.zero_inputs)]


def linearize_flat(fun, primals):
    """JVP of `fun(*flat) -> flat list` at `primals`, with the tangent map recorded.

    Returns (primal outputs, LinearGraph).
    """
    builder = GraphBuilder(record_source=False)
    with new_main(GraphTrace, "linearize", builder) as graph_main:
        graph_trace = graph_main.trace
        in_avals = [tangent_aval(get_aval(p)) for p in primals]
        zero_inputs = [a.dtype == float0 for a in in_avals]
        tangent_args = [Zero(a) if zero else graph_trace.new_arg(a)
                        for a, zero in zip(in_avals, zero_inputs)]
        primals_out, tangents_out = jvp_flat(fun, primals, tangent_args)
        zero_outputs = [type(t) is Zero for t in tangents_out]
        out_atoms = [full_raise(graph_trace, t).atom
                     for t, zero in zip(tangents_out, zero_outputs) if not zero]
    constvars, consts = [], []
    for var, value in builder.const_vars.values():
        constvars.append(var)
        consts.append(value)
    graph = Graph(constvars, [t.atom for t in tangent_args if type(t) is not Zero],
                  builder.eqns, out_atoms)
    out_avals = [tangent_aval(get_aval(p)) for p in primals_out]
    return primals_out, LinearGraph(graph, consts, in_avals, zero_inputs, out_avals,
                                    zero_outputs)


def backward_pass(graph: Graph, consts, cotangents):
    """Transposes a linear Graph: cotangents of its outputs -> cotangents of its inputs.

    Inputs that receive no cotangent get a symbolic Zero.
    """
    linear = set(graph.invars)
    for eqn in graph.eqns:
        linear.update(eqn.outputs)
    known = dict(zip(graph.constvars, consts))
    ct_env = {}

    def write(var, ct):
        if ct is None or type(ct) is Zero or type(var) is Literal or var not in linear:
            return
        ct_env[var] = ew.add_p.bind(ct_env[var], ct) if var in ct_env else ct

    for var, ct in zip(graph.outvars, cotangents):
        write(var, ct)
    for eqn in reversed(graph.eqns):
        cts = [ct_env.pop(v, None) for v in eqn.outputs]
        if all(ct is None for ct in cts):
            continue
        operands = [atom.value if type(atom) is Literal else
                    UndefinedPrimal(atom.aval) if atom in linear else known[atom]
                    for atom in eqn.inputs]
        rule = TRANSPOSE_RULES.get(eqn.primitive)
        if rule is None:
            raise NotImplementedError(f"Transpose rule (reverse-mode differentiation) for "
                                      f"'{eqn.primitive.name}' not implemented")
        if eqn.primitive.multiple_results:
            ct_arg = [Zero(v.aval) if ct is None else ct for ct, v in zip(cts, eqn.outputs)]
        else:
            ct_arg = cts[0]
        cts_in = rule(ct_arg, *operands, **eqn.params)
        for atom, ct in zip(eqn.inputs, cts_in):
            write(atom, ct)
    return [ct_env.get(v, Zero(v.aval)) for v in graph.invars]


def is_undefined(x) -> bool:
    """True for the operands a transpose rule solves for."""
    return type(x) is UndefinedPrimal
