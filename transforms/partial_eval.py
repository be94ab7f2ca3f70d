"""Partial evaluation of Graphs: split a Graph into the part computable from its known
inputs and the part that needs the unknown ones (JAX's `partial_eval_jaxpr_nounits`).

`grad(jit(f))` uses it on the JVP graph of `f`: the known part (primal outputs and
the residuals the tangents need) is compiled and run; the unknown part, linear in the
tangents, is interpreted under the caller's linearize trace, so it enters the tape.
"""
from irax.core.graph import Graph, Var


def partial_eval_graph(graph: Graph, unknown_inputs, force_unknown=None
                       ) -> tuple[Graph, Graph, list]:
    """Splits `graph` by which of its invars are unknown.

    Args:
      graph: a Graph; its constvars count as known.
      unknown_inputs: one bool per invar.
      force_unknown: optional, one bool per outvar: outputs the unknown side must
        return even where they are known (passed through as residuals).

    Returns:
      (known, unknown, out_unknown): `known` takes the known invars (and the
      constvars) and returns the outputs that do not depend on unknown inputs, then
      the residuals; `unknown` takes the residuals, then the unknown invars, and
      returns the outputs that do (in order); `out_unknown[i]` says which side
      computes output i.
    """
    unknown = {v for v, u in zip(graph.invars, unknown_inputs) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in graph.eqns:
        if any(type(a) is Var and a in unknown for a in eqn.inputs):
            unknown_eqns.append(eqn)
            unknown.update(eqn.outputs)
        else:
            known_eqns.append(eqn)
    force_unknown = force_unknown or [False] * len(graph.outvars)
    out_unknown = [forced or (type(v) is Var and v in unknown)
                   for v, forced in zip(graph.outvars, force_unknown)]
    known_outs = [v for v, u in zip(graph.outvars, out_unknown) if not u]
    unknown_outs = [v for v, u in zip(graph.outvars, out_unknown) if u]
    residuals = []
    for atom in [a for eqn in unknown_eqns for a in eqn.inputs] + unknown_outs:
        if type(atom) is Var and atom not in unknown and atom not in residuals:
            residuals.append(atom)
    known = Graph(graph.constvars, [v for v, u in zip(graph.invars, unknown_inputs) if not u],
                  known_eqns, known_outs + residuals)
    unknown_graph = Graph([], residuals + [v for v, u in zip(graph.invars, unknown_inputs)
                                           if u], unknown_eqns, unknown_outs)
    return known, unknown_graph, out_unknown
