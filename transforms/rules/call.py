"""JVP, transpose and batching rules of the `jit` call primitive (core/primitives/call.py).

Each rule transforms the call's sub-Graph and binds `jit` again on the result, so a
jitted function stays one compiled program under every transform:

- JVP: the JVP Graph, split by partial evaluation into a *known* call (primal outputs
  and the residuals the tangents need) and an *unknown* call, linear in the tangents.
  Under `grad` the known call runs compiled on the concrete primals and only the
  unknown call enters the tape. With concrete tangents (eager `jvp`) the whole JVP
  Graph is one call.
- transpose: the unknown call's Graph transposed (`transpose_apply`), one call of the
  cotangents and residuals.
- batching: the batched Graph (`batch_graph`), one call.

Transformed Graphs are cached on the Graph they come from (`derived`), so repeated
calls (each training step's `grad(jit(loss))`) reuse the same Graph objects and hence
the same compiled programs.
"""
import threading
import weakref
from typing import NamedTuple

from irax.core.aval import float0
from irax.core.graph import Graph, Literal
from irax.core.graph_trace import trace_to_subgraph
from irax.core.primitives.call import jit_p
from irax.core.trace import Tracer
from irax.transforms.ad import JVP_RULES, TRANSPOSE_RULES, Zero, is_undefined, tangent_aval
from irax.transforms.batching import BATCH_RULES, RULES_TAKING_AXIS_INFO, moveaxis
from irax.transforms.partial_eval import partial_eval_graph

from .subgraphs import batch_graph, is_nonzero, jvp_graph, transpose_apply

_derived: "weakref.WeakKeyDictionary[Graph, dict]" = weakref.WeakKeyDictionary()
_derived_lock = threading.Lock()


def derived(graph: Graph, key: tuple, make):
    """`make()`, computed once per (`graph`, `key`) while `graph` is alive."""
    with _derived_lock:
        table = _derived.get(graph)
        if table is None:
            table = _derived[graph] = {}
        value = table.get(key)
    if value is None:
        value = make()
        with _derived_lock:
            value = table.setdefault(key, value)
    return value


def clear_derived() -> None:
    """Forgets every cached transformed Graph (`irax.clear_caches`)."""
    with _derived_lock:
        _derived.clear()


# ---- JVP --------------------------------------------------------------------------

class Linearized(NamedTuple):
    """The JVP of a call's Graph split into what the primals determine and the rest."""
    known: Graph          # (consts, primals) -> (outputs, known tangents, residuals)
    consts: list
    unknown: Graph        # (residuals, nonzero tangents) -> unknown tangents
    num_known_tangents: int
    tangent_is_unknown: list  # per nonzero output tangent
    out_nonzeros: list    # per output: whether its tangent is nonzero
    residual_inputs: list  # per residual: the index of the known input it is, or None


def _linearized(graph: Graph, nonzeros: tuple) -> Linearized:
    jvp, consts, out_nz = jvp_graph(graph, list(nonzeros), False)
    num_known = len(consts) + len(graph.invars)
    known, unknown, out_unknown = partial_eval_graph(
        jvp, [False] * num_known + [True] * sum(nonzeros))
    tangent_is_unknown = out_unknown[len(graph.outvars):]
    num_front = len(graph.outvars) + tangent_is_unknown.count(False)
    known, residual_inputs = _forward_input_residuals(known, num_front)
    return Linearized(known, consts, unknown, tangent_is_unknown.count(False),
                      tangent_is_unknown, out_nz, residual_inputs)


def _forward_input_residuals(known: Graph, num_front: int) -> tuple[Graph, list]:
    """`known` without the residuals that are its own inputs (weights, data), and per
    residual the index of that input (None: a computed one, still an output). Returning
    an input copied it on every call: 1.4 MB per step of the mlp_grad workload."""
    position = {v: i for i, v in enumerate(known.invars)}
    residuals = known.outvars[num_front:]
    residual_inputs = [position.get(v) if type(v) is not Literal else None
                       for v in residuals]
    computed = [v for v, i in zip(residuals, residual_inputs) if i is None]
    return (Graph(known.constvars, known.invars, known.eqns,
                  known.outvars[:num_front] + computed), residual_inputs)


def _is_concrete(x) -> bool:
    return not isinstance(x, Tracer)


def _jit_jvp(primals, tangents, *, graph, name, device):
    nonzeros = tuple(is_nonzero(t) for t in tangents)
    num_out = len(graph.outvars)
    if not any(nonzeros):
        outs = jit_p.bind(*primals, graph=graph, name=name, device=device)
        return outs, [Zero(tangent_aval(a)) for a in graph.out_avals]
    live = [t for t, nz in zip(tangents, nonzeros) if nz]
    if all(_is_concrete(x) for x in (*primals, *live)):
        jvp, consts, out_nz = derived(graph, ("jvp", nonzeros),
                                      lambda: jvp_graph(graph, list(nonzeros), False))
        outs = jit_p.bind(*consts, *primals, *live, graph=jvp, name=name + "_jvp",
                          device=device)
        primals_out, t_outs = outs[:num_out], iter(outs[num_out:])
    else:
        lin = derived(graph, ("linearize", nonzeros), lambda: _linearized(graph, nonzeros))
        inputs = [*lin.consts, *primals]
        known = jit_p.bind(*inputs, graph=lin.known, name=name + "_fwd", device=device)
        primals_out = known[:num_out]
        known_tangents = iter(known[num_out:num_out + lin.num_known_tangents])
        computed = iter(known[num_out + lin.num_known_tangents:])
        residuals = [next(computed) if i is None else inputs[i] for i in lin.residual_inputs]
        unknown_tangents = iter(jit_p.bind(*residuals, *live, graph=lin.unknown,
                                           name=name + "_lin", device=device))
        t_outs = iter([next(unknown_tangents) if u else next(known_tangents)
                       for u in lin.tangent_is_unknown])
        out_nz = lin.out_nonzeros
    return primals_out, [next(t_outs) if nz else Zero(tangent_aval(a))
                         for a, nz in zip(graph.out_avals, out_nz)]


# ---- transpose --------------------------------------------------------------------

def _transposed(graph: Graph, linear: tuple, ct_nonzero: tuple) -> tuple[Graph, list]:
    known_avals = [v.aval for v, lin in zip(graph.invars, linear) if not lin]
    ct_avals = [tangent_aval(a) for a, nz in zip(graph.out_avals, ct_nonzero) if nz]
    num_known = len(known_avals)

    def transpose_fun(*args):
        cts = iter(args[num_known:])
        cotangents = [next(cts) if nz else Zero(tangent_aval(a))
                      for a, nz in zip(graph.out_avals, ct_nonzero)]
        return transpose_apply(graph, list(linear), list(args[:num_known]), cotangents)

    return trace_to_subgraph(transpose_fun, known_avals + ct_avals, name="transpose")


def _jit_transpose(cts, *operands, graph, name, device):
    linear = tuple(is_undefined(x) for x in operands)
    ct_nonzero = tuple(type(c) is not Zero and c.aval.dtype != float0 for c in cts)
    if not any(ct_nonzero):
        return [None] * len(operands)
    transposed, consts = derived(graph, ("transpose", linear, ct_nonzero),
                                 lambda: _transposed(graph, linear, ct_nonzero))
    known = [x for x in operands if not is_undefined(x)]
    live = [c for c, nz in zip(cts, ct_nonzero) if nz]
    cts_in = iter(jit_p.bind(*consts, *known, *live, graph=transposed, name=name + "_T",
                             device=device))
    return [next(cts_in) if lin else None for lin in linear]


# ---- batching ---------------------------------------------------------------------

def _jit_batch(info, vals, dims, *, graph, name, device):
    in_batched = tuple(d is not None for d in dims)
    batched, consts, out_batched = derived(graph, ("vmap", in_batched, info),
                                           lambda: batch_graph(graph, list(in_batched), info))
    vals = [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims)]
    outs = jit_p.bind(*consts, *vals, graph=batched, name=name + "_vmap", device=device)
    return outs, [0 if b else None for b in out_batched]


JVP_RULES[jit_p] = _jit_jvp
TRANSPOSE_RULES[jit_p] = _jit_transpose
BATCH_RULES[jit_p] = _jit_batch
RULES_TAKING_AXIS_INFO.add(jit_p)
