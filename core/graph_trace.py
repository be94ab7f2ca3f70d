"""Tracing flat Python functions into Graphs: the GraphTrace interpreter.

`transforms/tracing.py` builds the pytree-level tracing of `jit`, `make_graph` and
`export` on `trace_to_graph`."""

import numpy as np

from .aval import ShapedArray
from .graph import ClosedGraph, Eqn, Graph, Literal, Var, user_source_info
from .tensor import ArrayImpl, to_tensor
from .trace import Trace, Tracer, full_raise, new_main


class GraphTracer(Tracer):
    """A value being recorded into a Graph: its aval and its SSA atom."""

    __slots__ = ("_aval", "atom", "origin")

    def __init__(self, trace, aval: ShapedArray, atom, origin=None):
        self._trace = trace
        self._aval = aval
        self.atom = atom
        self.origin = origin

    @property
    def aval(self) -> ShapedArray:
        return self._aval


class GraphBuilder:
    """What one graph trace has recorded: equations and captured constants."""

    def __init__(self, record_source: bool = True):
        self.eqns = []
        self.const_vars = {}  # id(array) -> (Var, array)
        self.record_source = record_source

    def const_atom(self, value):
        if type(value) is ArrayImpl and value.ndim == 0:
            return Literal(value)
        key = id(value)
        if key not in self.const_vars:
            self.const_vars[key] = (Var(value.aval), value)
        return self.const_vars[key][0]


class GraphTrace(Trace):
    """Records every primitive it sees as an equation instead of computing it."""

    __slots__ = ()

    @property
    def builder(self) -> GraphBuilder:
        return self.main.global_data

    def new_arg(self, aval: ShapedArray, origin: tuple | None = None) -> GraphTracer:
        return GraphTracer(self, aval, Var(aval), origin)

    def pure(self, value):
        value = to_tensor(value)
        return GraphTracer(self, value.aval, self.builder.const_atom(value))

    def lift(self, tracer):
        return GraphTracer(self, tracer.aval, self.builder.const_atom(tracer))

    def process_primitive(self, primitive, tracers, params):
        avals_in = [t.aval for t in tracers]
        avals_out = primitive.abstract_eval(*avals_in, **params)
        outs = avals_out if primitive.multiple_results else [avals_out]
        origin = None  # the arguments the outputs depend on (a tuple), for error messages
        for t in tracers:
            if t.origin is not None and t.origin is not origin:
                origin = t.origin if origin is None else origin + tuple(
                    o for o in t.origin if o not in origin)
        out_tracers = [GraphTracer(self, a, Var(a), origin) for a in outs]
        builder = self.builder
        builder.eqns.append(Eqn(primitive, [t.atom for t in tracers],
                                [t.atom for t in out_tracers], params,
                                user_source_info() if builder.record_source else None))
        return out_tracers if primitive.multiple_results else out_tracers[0]


def trace_to_graph(fun, in_avals, origins=None, name="make_graph"):
    """Traces `fun(*flat_args) -> flat list of outputs` on abstract inputs.

    Returns a ClosedGraph whose consts are the arrays the function closed over.
    """
    builder = GraphBuilder()
    with new_main(GraphTrace, name, builder, dynamic=True) as main:
        trace = main.trace
        origins = origins or [None] * len(in_avals)
        in_tracers = [trace.new_arg(a, None if o is None else (o,))
                      for a, o in zip(in_avals, origins)]
        outs = fun(*in_tracers)
        out_tracers = [full_raise(trace, o) for o in outs]
    constvars, consts = [], []
    for var, value in builder.const_vars.values():
        constvars.append(var)
        consts.append(value)
    graph = Graph(constvars, [t.atom for t in in_tracers], builder.eqns,
                  [t.atom for t in out_tracers])
    return ClosedGraph(graph, consts)


def abstractify(value) -> ShapedArray:
    """The aval a traced argument gets for `value` (weak type kept)."""
    if isinstance(value, (np.ndarray, np.generic, bool, int, float, complex)) or hasattr(
            value, "aval"):
        return to_tensor(value).aval
    raise TypeError(f"Argument {value!r} of type {type(value).__name__} is not a valid "
                    "irax type")


def trace_to_subgraph(fun, in_avals, name="subgraph") -> tuple[Graph, list]:
    """Traces `fun(*flat_args) -> flat list` into a Graph without constvars (the body
    of a control-flow primitive).

    The arrays and outer tracers `fun` closed over become the Graph's leading invars;
    they are returned with it, to be passed as the primitive's leading operands.
    Returns (graph, closed-over values).
    """
    closed = trace_to_graph(fun, in_avals, name=name)
    graph = closed.graph
    return Graph([], graph.constvars + graph.invars, graph.eqns, graph.outvars), closed.consts
