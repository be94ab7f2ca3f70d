"""The Graph IR: typed SSA that transforms rewrite and the lowering compiles.

    { lambda a:f32[3] ; b:f32[2,3]. let
        c:f32[2,3] = sin b
        d:f32[2,3] = mul c 2.0:f32[]
      in (d) }

`constvars` (before `;`) are bound to arrays captured from the traced function,
`invars` to the arguments.  Equation params may hold sub-Graphs (control flow).
"""
import itertools
import os
import sys

import numpy as np

from .aval import ShapedArray
from .tensor import ArrayImpl


class Var:
    """An SSA value: defined once (an input or one equation's output)."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval


class Literal:
    """A scalar constant written into an equation."""

    __slots__ = ("value", "aval")

    def __init__(self, value: ArrayImpl):
        self.value = value
        self.aval = value.aval


class Eqn:
    """`outputs = primitive[params](*inputs)`, with the user's source line."""

    __slots__ = ("primitive", "inputs", "outputs", "params", "source_info")

    def __init__(self, primitive, inputs, outputs, params, source_info=None):
        self.primitive = primitive
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.source_info = source_info


class Graph:
    """A function of `constvars` and `invars` computing `outvars` by `eqns`."""

    def __init__(self, constvars, invars, eqns, outvars):
        self.constvars = list(constvars)
        self.invars = list(invars)
        self.eqns = list(eqns)
        self.outvars = list(outvars)

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def __str__(self):
        return GraphPrinter().graph(self)

    __repr__ = __str__


class ClosedGraph:
    """A Graph together with the arrays its constvars stand for."""

    def __init__(self, graph: Graph, consts):
        self.graph = graph
        self.consts = list(consts)

    @property
    def in_avals(self):
        return self.graph.in_avals

    @property
    def out_avals(self):
        return self.graph.out_avals

    def __call__(self, *args):
        return eval_graph(self.graph, self.consts, args)

    def __str__(self):
        return str(self.graph)

    __repr__ = __str__


def eval_graph(graph: Graph, consts, args):
    """Interprets `graph` by binding each equation's primitive (under any transform)."""
    env = {}
    for var, value in zip(graph.constvars, consts):
        env[var] = value
    for var, value in zip(graph.invars, args):
        env[var] = value

    def read(atom):
        return atom.value if type(atom) is Literal else env[atom]

    for eqn in graph.eqns:
        out = eqn.primitive.bind(*[read(x) for x in eqn.inputs], **eqn.params)
        outs = out if eqn.primitive.multiple_results else [out]
        for var, value in zip(eqn.outputs, outs):
            env[var] = value
    return [read(v) for v in graph.outvars]


class GraphPrinter:
    """Names variables a, b, ..., z, ba, ... in order of appearance."""

    def __init__(self):
        self.names = {}
        self.counter = itertools.count()

    def name(self, atom) -> str:
        if type(atom) is Literal:
            value = np.asarray(atom.value)
            return f"{value.item()!r}:{atom.aval.str_short()}"
        if atom not in self.names:
            self.names[atom] = _alphabetic(next(self.counter))
        return self.names[atom]

    def binder(self, var: Var) -> str:
        return f"{self.name(var)}:{var.aval.str_short()}"

    def graph(self, graph: Graph, indent: int = 0) -> str:
        pad = " " * indent
        consts = " ".join(self.binder(v) for v in graph.constvars)
        ins = " ".join(self.binder(v) for v in graph.invars)
        lines = [f"{pad}{{ lambda {consts}{' ' if consts else ''}; {ins}. let"]
        for eqn in graph.eqns:
            lines.append(self.eqn(eqn, indent + 4))
        outs = " ".join(self.name(v) for v in graph.outvars)
        lines.append(f"{pad}  in ({outs}) }}")
        return "\n".join(lines)

    def eqn(self, eqn: Eqn, indent: int) -> str:
        pad = " " * indent
        outs = " ".join(self.binder(v) for v in eqn.outputs)
        params = []
        nested = []
        for key, value in sorted(eqn.params.items()):
            if isinstance(value, (Graph, ClosedGraph)):
                nested.append((key, value if isinstance(value, Graph) else value.graph))
            elif isinstance(value, (tuple, list)) and value and all(
                    isinstance(v, (Graph, ClosedGraph)) for v in value):
                for i, sub in enumerate(value):
                    nested.append((f"{key}[{i}]", sub if isinstance(sub, Graph) else sub.graph))
            else:
                params.append(f"{key}={_param_str(value)}")
        head = f"{eqn.primitive.name}[{', '.join(params)}]" if params else eqn.primitive.name
        args = " ".join(self.name(x) for x in eqn.inputs)
        text = f"{pad}{outs} = {head} {args}".rstrip()
        for key, sub in nested:
            text += f"\n{pad}  {key}=\n" + self.graph(sub, indent + 4)
        return text


def _param_str(value) -> str:
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    return repr(value) if not callable(value) else getattr(value, "__name__", repr(value))


def _alphabetic(n: int) -> str:
    letters = ""
    while True:
        letters = chr(ord("a") + n % 26) + letters
        n //= 26
        if n == 0:
            return letters


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_source_info() -> str | None:
    """`file:line` of the innermost stack frame outside irax (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR) or os.sep + "tests" + os.sep in filename:
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None
