"""Batching rules of the control-flow primitives (cond, while, scan, remat).

Sub-Graphs are batched by `batch_graph`, with every batched value's batch dimension
first.  A batched `cond` index runs every branch and selects; a batched `while`
predicate runs until every member is done, each member's carry frozen once its own
predicate is false; `scan` keeps the batch dimension of its stacked inputs and
outputs at position 1 (position 0 is the scanned axis).
"""
import numpy as np

from irax.core.graph import Graph, eval_graph
from irax.core.graph_trace import trace_to_subgraph
from irax.core.primitives import control_flow as cf
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import full_raise, get_aval, new_main

from .batching import (
    BATCH_RULES,
    RULES_TAKING_AXIS_INFO,
    BatchTrace,
    BatchTracer,
    moveaxis,
    moveaxis_to_front,
)
from .control_flow_ad import share_leading_invars


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


def _to_front(vals, dims, size):
    """Batched values with their batch dimension first; unbatched ones unchanged."""
    return [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims)]


# ---- cond -------------------------------------------------------------------------

def _cond_rule(info, vals, dims, *, branches):
    index, operands = vals[0], vals[1:]
    size = info.size
    operands = _to_front(operands, dims[1:], size)
    in_batched = [d is not None for d in dims[1:]]
    if dims[0] is not None:
        # A batched index: every branch runs on the whole batch, then a select.
        index = moveaxis(index, dims[0], 0)
        index = ew.clamp(ArrayImpl(np.int32(0)), index,
                         ArrayImpl(np.int32(len(branches) - 1)))
        results = []
        for branch in branches:
            graph, consts, _ = batch_graph(branch, in_batched, info, True)
            results.append(eval_graph(graph, [], [*consts, *operands]))
        outs = []
        for cases in zip(*results):
            shape = get_aval(cases[0]).shape
            which = st.broadcast_in_dim(index, shape, (0,))
            outs.append(ew.select_n_p.bind(which, *cases))
        return outs, [0] * len(outs)
    out_batched = [False] * len(branches[0].outvars)
    for branch in branches:
        _, _, batched = batch_graph(branch, in_batched, info)
        out_batched = [a or b for a, b in zip(out_batched, batched)]
    traced = [batch_graph(b, in_batched, info, out_batched)[:2] for b in branches]
    all_consts = [c for _, consts in traced for c in consts]
    graphs = share_leading_invars([g for g, _ in traced], [len(c) for _, c in traced],
                                  [get_aval(c) for c in all_consts])
    outs = cf.cond_p.bind(index, *all_consts, *operands, branches=tuple(graphs))
    return outs, [0 if b else None for b in out_batched]


BATCH_RULES[cf.cond_p] = _cond_rule
RULES_TAKING_AXIS_INFO.add(cf.cond_p)


# ---- while ------------------------------------------------------------------------

def _while_rule(info, vals, dims, *, cond_graph, body_graph, cond_nconsts, body_nconsts):
    size = info.size
    vals = _to_front(vals, dims, size)
    batched = [d is not None for d in dims]
    num_cc, num_bc = cond_nconsts, body_nconsts
    cc_b, bc_b = batched[:num_cc], batched[num_cc:num_cc + num_bc]
    carry_b = batched[num_cc + num_bc:]
    while True:  # which carries are batched: a fixed point
        _, _, out_b = batch_graph(body_graph, bc_b + carry_b, info)
        grown = [a or b for a, b in zip(carry_b, out_b)]
        if grown == carry_b:
            break
        carry_b = grown
    _, _, (pred_b,) = batch_graph(cond_graph, cc_b + carry_b, info)
    if pred_b:
        carry_b = [True] * len(carry_b)  # every member's carry may stop at its own step
    cond_consts, body_consts = vals[:num_cc], vals[num_cc:num_cc + num_bc]
    init = [moveaxis_to_front(v, None, size) if b and not was else v
            for v, b, was in zip(vals[num_cc + num_bc:], carry_b,
                                 batched[num_cc + num_bc:])]
    bcond, cond_extra, _ = batch_graph(cond_graph, cc_b + carry_b, info)
    bbody, body_extra, _ = batch_graph(body_graph, bc_b + carry_b, info, carry_b)
    if not pred_b:
        outs = cf.while_p.bind(*cond_extra, *cond_consts, *body_extra, *body_consts, *init,
                               cond_graph=bcond, body_graph=bbody,
                               cond_nconsts=len(cond_extra) + num_cc,
                               body_nconsts=len(body_extra) + num_bc)
        return outs, [0 if b else None for b in carry_b]
    # A batched predicate: loop while any member goes on; the others keep their carry.
    num_ce, num_be = len(cond_extra), len(body_extra)
    cond_avals = bcond.in_avals
    carry_avals = cond_avals[num_ce + num_cc:]

    def any_pred(*args):
        (pred,) = eval_graph(bcond, [], args)
        return [red.reduce_or(pred, (0,))]

    def masked_body(*args):
        c_args = args[:num_ce + num_cc]
        b_args = args[num_ce + num_cc:num_ce + num_cc + num_be + num_bc]
        carry = args[num_ce + num_cc + num_be + num_bc:]
        (pred,) = eval_graph(bcond, [], [*c_args, *carry])
        new = eval_graph(bbody, [], [*b_args, *carry])
        return [ew.select_n_p.bind(st.broadcast_in_dim(pred, get_aval(n).shape, (0,)), c, n)
                for c, n in zip(carry, new)]

    any_graph, any_consts = trace_to_subgraph(any_pred, list(cond_avals), name="while_cond")
    body_avals = cond_avals[:num_ce + num_cc] + bbody.in_avals[:num_be + num_bc] + carry_avals
    body, body_consts2 = trace_to_subgraph(masked_body, list(body_avals), name="while_body")
    outs = cf.while_p.bind(*any_consts, *cond_extra, *cond_consts, *body_consts2, *cond_extra,
                           *cond_consts, *body_extra, *body_consts, *init,
                           cond_graph=any_graph, body_graph=body,
                           cond_nconsts=len(any_consts) + num_ce + num_cc,
                           body_nconsts=len(body_consts2) + num_ce + num_cc + num_be + num_bc)
    return outs, [0] * len(outs)


BATCH_RULES[cf.while_p] = _while_rule
RULES_TAKING_AXIS_INFO.add(cf.while_p)


# ---- scan -------------------------------------------------------------------------

def _scan_rule(info, vals, dims, *, body, num_consts, num_carry, length, reverse, unroll):
    size = info.size
    batched = [d is not None for d in dims]
    consts = _to_front(vals[:num_consts], dims[:num_consts], size)
    carry = _to_front(vals[num_consts:num_consts + num_carry],
                      dims[num_consts:num_consts + num_carry], size)
    # xs keep the scanned axis first: their batch dimension goes to position 1.
    xs = [x if d is None else moveaxis(x, d, 1)
          for x, d in zip(vals[num_consts + num_carry:], dims[num_consts + num_carry:])]
    const_b, carry_b = batched[:num_consts], batched[num_consts:num_consts + num_carry]
    xs_b = batched[num_consts + num_carry:]
    while True:  # which carries are batched: a fixed point
        _, _, out_b = batch_graph(body, const_b + carry_b + xs_b, info)
        grown = [a or b for a, b in zip(carry_b, out_b[:num_carry])]
        if grown == carry_b:
            break
        carry_b = grown
    carry = [moveaxis_to_front(c, None, size) if b and d is None else c
             for c, b, d in zip(carry, carry_b, dims[num_consts:num_consts + num_carry])]
    num_ys = len(body.outvars) - num_carry
    bbody, extra, out_b = batch_graph(body, const_b + carry_b + xs_b, info,
                                      carry_b + [False] * num_ys)
    outs = cf.scan_p.bind(*extra, *consts, *carry, *xs, body=bbody,
                          num_consts=len(extra) + num_consts, num_carry=num_carry,
                          length=length, reverse=reverse, unroll=unroll)
    return outs, ([0 if b else None for b in carry_b]
                  + [1 if b else None for b in out_b[num_carry:]])


BATCH_RULES[cf.scan_p] = _scan_rule
RULES_TAKING_AXIS_INFO.add(cf.scan_p)


# ---- remat ------------------------------------------------------------------------

def _remat_rule(info, vals, dims, *, body, prevent_cse):
    size = info.size
    vals = _to_front(vals, dims, size)
    graph, consts, out_b = batch_graph(body, [d is not None for d in dims], info)
    outs = cf.remat_p.bind(*consts, *vals, body=graph, prevent_cse=prevent_cse)
    return outs, [0 if b else None for b in out_b]


BATCH_RULES[cf.remat_p] = _remat_rule
RULES_TAKING_AXIS_INFO.add(cf.remat_p)
