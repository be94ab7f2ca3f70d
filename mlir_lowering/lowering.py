"""The lowering interpreter: a Graph becomes a verified StableHLO module (MLIR text).

One table drives it: `LOWERING_RULES[primitive] = rule`.  A rule is called as
`rule(builder, *operands, **eqn.params)`, with the operands as builder `Value`s and
`builder.avals_out` holding the equation's output avals; it writes ops through the
`FunctionBuilder` and returns its output `Value` (a list for multiple-results
primitives).  Every op carries the location of the user's line that traced its
equation, so IREE's diagnostics point there.
"""
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ..core.graph import ClosedGraph, Eqn, Graph, Literal
from ..core.primitive import Primitive
from .builder import FunctionBuilder, Value, dense_attribute, tensor_type
from .fusion_barriers import FusionChunks
from .zero_size import lower_zero_size

LOWERING_RULES: dict[Primitive, Callable] = {}
"""primitive -> rule(builder, *operands, **params); filled by the rule modules."""

_COLLECTIVE_REASON = ("it is a collective over a named axis, resolved by the vmap (or "
                      "pmap) that binds the name before anything is lowered")
NOT_LOWERABLE = {
    **{name: _COLLECTIVE_REASON for name in ("psum", "pmax", "pmin", "all_gather",
                                             "axis_index")},
    "custom_lin": "it is the linear part of a custom_vjp function, which only appears in "
                  "linearized tapes: those are transposed (calling the custom bwd), never "
                  "compiled. Differentiate the function instead of compiling its tape",
}
"""Primitives that never reach the compiler, by name, with the reason."""


class LoweringError(Exception):
    """A Graph could not be lowered to valid StableHLO."""


class LoweredModule(NamedTuple):
    """A Graph lowered to StableHLO.

    text: the MLIR module `module @<name> { func.func public @main(...) ... }`.
    name: the module's name; IREE's runtime exposes the function as `<name>.main`.
    in_avals: the avals of @main's arguments: the hoisted arrays, the graph's
      constvars, then its invars.
    out_avals: the avals of @main's results: the graph's outvars.
    hoisted: arrays the lowering made leading arguments of @main (constants that IREE
      must not see as constants, `FunctionBuilder.hoisted_constant`); the caller passes
      them first.
    """

    text: str
    name: str
    in_avals: tuple
    out_avals: tuple
    hoisted: tuple = ()


def lower_graph(graph: Graph | ClosedGraph, name: str = "main", *,
                consts: Sequence | None = None, module_attributes: str = "",
                function_attributes: str = "") -> LoweredModule:
    """Lowers a Graph to a verified StableHLO module. Its `@main` takes the graph's
    constvars (the captured arrays: the caller passes them) and then its invars, or,
    with `consts`, its invars only.

    Args:
      graph: a Graph or ClosedGraph (its consts are used only as `consts` says).
      name: the module's name (characters outside [A-Za-z0-9_] become `_`).
      consts: values of the constvars to embed in the module (an exported artefact
        runs on its own). Constants the lowering hoists (`LoweredModule.hoisted`)
        then become mutable `util.global`s: IREE cannot fold them either.
      module_attributes, function_attributes: attribute entries (``name = value``,
        comma separated) for the module and for `@main`.

    Returns:
      A LoweredModule whose text has been parsed and verified by MLIR.

    Raises:
      LoweringError: for a primitive without lowering rule, or invalid StableHLO; the
        message names the equation's primitive and the user's `file:line`.

    Example:
        >>> lowered = lower_graph(irax.make_graph(lambda x: jnp.sin(x))(jnp.ones(3)), "f")
        >>> print(lowered.text)
        module @f {
          func.func public @main(%0: tensor<3xf32>) -> (tensor<3xf32>) {
            %1 = "stablehlo.sine"(%0) : (tensor<3xf32>) -> tensor<3xf32> loc("x.py":1:0)
            "func.return"(%1) : (tensor<3xf32>) -> () loc(unknown)
          }
        }
    """
    graph = graph.graph if isinstance(graph, ClosedGraph) else graph
    name = re.sub(r"\W", "_", name, flags=re.ASCII)
    name = name if re.match(r"[A-Za-z_]", name) else f"m_{name}"
    b = FunctionBuilder(hoist_constants=True)
    if consts is None:
        args = [b.fresh(v.aval) for v in (*graph.constvars, *graph.invars)]
        outs = lower_eqns(b, graph, args)
    else:
        embedded = [b.op("stablehlo.constant", [], [var.aval.strip_weak_type()],
                         {"value": dense_attribute(value, var.aval)})[0]
                    for value, var in zip(consts, graph.constvars)]
        args = [b.fresh(v.aval) for v in graph.invars]
        outs = lower_eqns(b, graph, embedded + args)
    b.op("func.return", outs, [])
    module = _Module(name, b, args, outs, module_attributes, function_attributes,
                     globals_=consts is not None)
    if consts is None:
        module.args = [v for v, _ in b.hoisted] + args
    text = module.text(with_locations=True)
    _verify(text, lambda: module.text(with_locations=False), module.header_lines, b)
    hoisted = () if consts is not None else tuple(a for _, a in b.hoisted)
    return LoweredModule(text, name, tuple(v.aval for v in module.args),
                         tuple(v.aval for v in outs), hoisted)


def lower_eqns(b: FunctionBuilder, graph: Graph, args) -> list[Value]:
    """Writes the equations of `graph` with `args` bound to its constvars and invars
    (in that order); returns the Values of its outvars.  Re-entrant: a rule may lower
    a sub-graph (a region body) with it.  A long body is cut into chunks that IREE
    fuses separately (`fusion_barriers.FusionChunks`)."""
    env = dict(zip((*graph.constvars, *graph.invars), args))
    outer = b.loc, b.eqn, b.avals_out
    if b.hoist_constants:
        for var, value in _constant_operands_updated_in_place(graph).items():
            env[var] = b.hoisted_constant(value)

    def read(atom) -> Value:
        if type(atom) is Literal:
            return b.constant(np.asarray(atom.value))
        return env[atom]

    chunks = FusionChunks(b, graph)
    for index, eqn in enumerate(graph.eqns):
        if eqn.outputs and all(v in env for v in eqn.outputs):
            continue  # computed already: hoisted
        b.loc, b.eqn = location(eqn.source_info), eqn
        b.avals_out = [v.aval for v in eqn.outputs]
        outs = _apply_rule(b, eqn, [read(x) for x in eqn.inputs])
        for var, out in zip(eqn.outputs, outs):
            env.setdefault(var, out)  # a hoisted output keeps its argument
        chunks.end_of_eqn(index, env)
    b.loc, b.eqn, b.avals_out = outer
    return [read(v) for v in graph.outvars]


UPDATED_IN_PLACE: set = set()
"""Primitives IREE 3.13 lowers to in-place updates of their operands (sort): operands
of theirs that are compile-time constants are hoisted to function arguments."""


def _constant_operands_updated_in_place(graph: Graph) -> dict:
    """The values of `graph`'s variables that depend on no input (iotas, constants and
    what is computed from them alone) and are operands of an `UPDATED_IN_PLACE`
    primitive, computed now with the primitives' NumPy impls."""
    producers = {}
    for eqn in graph.eqns:
        if all(type(a) is Literal or a in producers for a in eqn.inputs) and not any(
                isinstance(p, (Graph, ClosedGraph)) or (
                    isinstance(p, tuple) and p and isinstance(p[0], (Graph, ClosedGraph)))
                for p in eqn.params.values()):
            producers.update((v, eqn) for v in eqn.outputs)
    values = {}

    def value_of(var):
        if var not in values:
            eqn = producers[var]
            ins = [np.asarray(a.value._value) if type(a) is Literal else value_of(a)
                   for a in eqn.inputs]
            outs = eqn.primitive.impl(*ins, **eqn.params)
            outs = outs if eqn.primitive.multiple_results else [outs]
            values.update((v, np.asarray(o)) for v, o in zip(eqn.outputs, outs))
        return values[var]

    return {v: value_of(v) for eqn in graph.eqns if eqn.primitive in UPDATED_IN_PLACE
            for v in eqn.inputs if type(v) is not Literal and v in producers}


def _apply_rule(b: FunctionBuilder, eqn: Eqn, args) -> list[Value]:
    prim = eqn.primitive
    known = lower_zero_size(b, prim, args, eqn.params)
    if known is not None:
        return known
    rule = LOWERING_RULES.get(prim)
    if rule is None:
        why = NOT_LOWERABLE.get(prim.name, "no lowering rule is registered for it")
        raise LoweringError(f"{_where(eqn)}: cannot lower `{prim.name}` to StableHLO: {why}")
    try:
        outs = rule(b, *args, **eqn.params)
    except TypeError as err:
        raise LoweringError(f"{_where(eqn)}: cannot lower `{prim.name}`: {err}") from err
    outs = outs if prim.multiple_results else [outs]
    expected = [tensor_type(v.aval) for v in eqn.outputs]
    got = [tensor_type(v.aval) for v in outs]
    if got != expected:
        raise LoweringError(f"{_where(eqn)}: the lowering of `{prim.name}` produced "
                            f"{', '.join(got)} where the graph has {', '.join(expected)}")
    return outs


def location(source_info: str | None) -> str:
    """`loc("file.py":12:0)` for a `file.py:12` source_info (else `loc(unknown)`)."""
    filename, _, line = (source_info or "").rpartition(":")
    if not filename or not line.isdigit():
        return "loc(unknown)"
    escaped = filename.replace("\\", "\\\\").replace('"', '\\"')
    return f'loc("{escaped}":{line}:0)'


def _where(eqn: Eqn | None) -> str:
    return (eqn.source_info if eqn is not None and eqn.source_info else "<unknown location>")


class _Module:
    """The text around a lowered body: the module, its globals (hoisted constants of
    a module with embedded constants) and the `@main` signature."""

    def __init__(self, name, b: FunctionBuilder, args, outs, module_attributes: str,
                 function_attributes: str, globals_: bool):
        self.name, self.b, self.args, self.outs = name, b, args, outs
        self.module_attributes = module_attributes
        self.function_attributes = function_attributes
        self.globals = [(f"@hoisted{i}", value, array)
                        for i, (value, array) in enumerate(b.hoisted)] if globals_ else []
        self.header_lines = 2 + 2 * len(self.globals)

    def text(self, with_locations: bool) -> str:
        params = ", ".join(f"{a.name}: {tensor_type(a.aval)}" for a in self.args)
        results = ", ".join(tensor_type(o.aval) for o in self.outs)
        module_attrs = (f" attributes {{{self.module_attributes}}}"
                        if self.module_attributes else "")
        function_attrs = (f" attributes {{{self.function_attributes}}}"
                          if self.function_attributes else "")
        declarations = [f"  util.global private mutable {symbol} = "
                        f"{dense_attribute(array, value.aval)}"
                        for symbol, value, array in self.globals]
        loads = [f'    {value.name} = "util.global.load"() {{global = {symbol}}} : '
                 f"() -> {tensor_type(value.aval)}" for symbol, value, _ in self.globals]
        lines = [f"module @{self.name}{module_attrs} {{", *declarations,
                 f"  func.func public @main({params}) -> ({results}){function_attrs} {{",
                 *loads, *self.b.render(with_locations), "  }", "}"]
        return "\n".join(lines) + "\n"


def _verify(text: str, plain_text: Callable[[], str], header_lines: int,
            b: FunctionBuilder) -> None:
    """Parses and verifies `text`; on failure, names the equations at fault."""
    from iree.compiler import ir  # imported when compiling: irax imports without it
    with ir.Context():
        try:
            ir.Module.parse(text)
            return
        except ir.MLIRError as err:
            message = str(err)
        # Without `loc(...)`, MLIR reports lines of the text, which map to equations.
        try:
            ir.Module.parse(plain_text())
        except ir.MLIRError as err:
            problems = [_explain(d, header_lines, b) for d in err.error_diagnostics]
            message = "\n".join(p for p in problems if p) or message
    raise LoweringError(f"lowering produced invalid StableHLO:\n{message}")


def _explain(diagnostic, header_lines: int, b: FunctionBuilder) -> str:
    match = re.fullmatch(r'loc\("-":(\d+):\d+\)', str(diagnostic.location))
    if not match:
        return f"{diagnostic.location}: {diagnostic.message}"
    index = int(match.group(1)) - 1 - header_lines
    line = b.lines[index] if 0 <= index < len(b.lines) else None
    if line is None or line.eqn is None:
        return diagnostic.message
    return (f"{_where(line.eqn)}: in the lowering of `{line.eqn.primitive.name}`: "
            f"{diagnostic.message}\n    {line.text}")
