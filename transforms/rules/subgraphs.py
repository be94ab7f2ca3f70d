"""Transforms of whole sub-Graphs, shared by the rules of the primitives that carry
Graphs (control flow and `jit` calls): `jvp_graph` (the JVP of a Graph as a Graph),
`transpose_apply` (the transpose of a Graph, applied), `batch_graph` (a Graph mapped
over a batch axis), and the rewiring helpers `insert_unused` / `share_leading_invars`.
"""
from irax.core.aval import float0
from irax.core.graph import Graph, Var, eval_graph
from irax.core.graph_trace import trace_to_subgraph
from irax.core.trace import full_raise, get_aval, new_main
from irax.transforms.ad import (
    Zero,
    backward_pass,
    instantiate,
    jvp_flat,
    tangent_aval,
)
from irax.transforms.batching import BatchTrace, BatchTracer, moveaxis_to_front
from irax.transforms.partial_eval import partial_eval_graph

# ---- JVP and transposition --------------------------------------------------------

def is_nonzero(tangent) -> bool:
    """True for a tangent that is not a symbolic zero (nor a float0 one)."""
    return type(tangent) is not Zero and get_aval(tangent).dtype != float0


def jvp_graph(graph: Graph, nonzeros, instantiate_outs):
    """The JVP of a closed Graph as a Graph.

    Args:
      graph: a Graph without constvars.
      nonzeros: per invar, whether its tangent is an input of the JVP graph.
      instantiate_outs: per outvar (or one bool for all), whether its tangent is an
        output even when it is a symbolic zero (floating outputs only).

    Returns:
      (jvp, consts, out_nonzeros): `jvp` takes (consts, primals, nonzero tangents)
      and returns (primal outputs, nonzero output tangents); `out_nonzeros[i]` says
      whether output i's tangent is among them.
    """
    in_avals = graph.in_avals
    num_in = len(in_avals)
    if isinstance(instantiate_outs, bool):
        instantiate_outs = [instantiate_outs] * len(graph.outvars)
    out_nonzeros = []

    def jvp_fun(*args):
        tangents = iter(args[num_in:])
        tangents = [next(tangents) if nz else Zero(tangent_aval(a))
                    for a, nz in zip(in_avals, nonzeros)]
        outs, t_outs = jvp_flat(lambda *xs: eval_graph(graph, [], xs), args[:num_in], tangents)
        out_nonzeros[:] = [
            tangent_aval(get_aval(o)).dtype != float0 and (type(t) is not Zero or inst)
            for o, t, inst in zip(outs, t_outs, instantiate_outs)]
        return list(outs) + [instantiate(t) for t, nz in zip(t_outs, out_nonzeros) if nz]

    tangent_avals = [tangent_aval(a) for a, nz in zip(in_avals, nonzeros) if nz]
    jvp, consts = trace_to_subgraph(jvp_fun, list(in_avals) + tangent_avals, name="jvp")
    return jvp, consts, list(out_nonzeros)


def transpose_apply(graph: Graph, linear, known_values, cotangents) -> list:
    """Applies the transpose of `graph` in its `linear` invars.

    `graph` may also compute with its other (known) invars: that part is evaluated
    first (so residuals are recomputed here), then the linear part is transposed.
    `cotangents` has one entry per output (a Zero for none).  Returns one cotangent
    (zeros instantiated) per linear invar.
    """
    known, unknown, out_unknown = partial_eval_graph(graph, linear)
    num_res = len(unknown.invars) - sum(linear)
    known_outs = eval_graph(known, [], known_values)
    residuals = known_outs[len(known_outs) - num_res:]
    view = Graph(unknown.invars[:num_res], unknown.invars[num_res:], unknown.eqns,
                 unknown.outvars)
    cts = [ct for ct, u in zip(cotangents, out_unknown) if u]
    cts_in = backward_pass(view, residuals, cts)
    return [instantiate(ct) for ct in cts_in]


def insert_unused(graph: Graph, position: int, avals) -> Graph:
    """`graph` with extra invars of `avals`, which it does not read, at `position`."""
    invars = list(graph.invars)
    invars[position:position] = [Var(a) for a in avals]
    return Graph([], invars, graph.eqns, graph.outvars)


def share_leading_invars(graphs, counts, avals) -> list:
    """Graphs (cond branches) that each read their own `counts[k]` leading invars,
    rewritten to take all of them (`avals`, branch by branch) and ignore the others'."""
    shared, start = [], 0
    for graph, count in zip(graphs, counts):
        end = start + count
        graph = insert_unused(graph, count, avals[end:])
        shared.append(insert_unused(graph, 0, avals[:start]))
        start = end
    return shared


# ---- batching -----------------------------------------------------------------------

def _batched_aval(aval, size: int):
    return aval.update(shape=(size, *aval.shape))


def batch_graph(graph: Graph, in_batched, info, force_out=False):
    """`graph` mapped over axis 0 of the invars marked in `in_batched`.

    Args:
      graph: a Graph without constvars.
      in_batched: per invar, whether it has a leading batch dimension.
      info: the BatchInfo (size and axis name) of the vmap.
      force_out: per outvar (or one bool for all), whether to batch it even when it
        does not depend on a batched input.

    Returns:
      (batched graph, its consts (leading invars), out_batched per outvar).
    """
    size = info.size
    if isinstance(force_out, bool):
        force_out = [force_out] * len(graph.outvars)
    out_batched = []

    def batched_fun(*vals):
        with new_main(BatchTrace, "vmap", info) as main:
            trace = main.trace
            ins = [BatchTracer(trace, v, 0 if b else None) for v, b in zip(vals, in_batched)]
            outs = [full_raise(trace, o) for o in eval_graph(graph, [], ins)]
            out_batched[:] = [o.batch_dim is not None or f for o, f in zip(outs, force_out)]
            return [moveaxis_to_front(o.val, o.batch_dim, size) if b else o.val
                    for o, b in zip(outs, out_batched)]

    avals = [_batched_aval(a, size) if b else a for a, b in zip(graph.in_avals, in_batched)]
    batched, consts = trace_to_subgraph(batched_fun, avals, name="vmap")
    return batched, consts, list(out_batched)
