"""JVP, transpose and batching rules of the control-flow primitives (cond, while, scan,
remat; core/primitives/control_flow.py).

A JVP rule differentiates the sub-Graphs and splits the result by partial evaluation:
a *known* primitive computes the primal outputs and the residuals the tangents need,
an *unknown* one, linear in the tangents, computes the tangents from the residuals.
The primal work thus stays out of the linearized tape, which `grad` transposes:
`scan` transposes to a reverse `scan`, `cond` to a `cond` of transposed branches,
`remat` recomputes its residuals inside the transpose (that is rematerialization).
`while` is differentiable in forward mode only, as in JAX.

Sub-Graphs are batched by `batch_graph`, with every batched value's batch dimension
first.  A batched `cond` index runs every branch and selects; a batched `while`
predicate runs until every member is done, each member's carry frozen once its own
predicate is false; `scan` keeps the batch dimension of its stacked inputs and
outputs at position 1 (position 0 is the scanned axis).
"""
import numpy as np

from irax.core.aval import float0
from irax.core.graph import Graph, eval_graph
from irax.core.graph_trace import trace_to_subgraph
from irax.core.primitives import control_flow as cf
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval
from irax.transforms.ad import (
    JVP_RULES,
    TRANSPOSE_RULES,
    Zero,
    instantiate,
    is_undefined,
    tangent_aval,
    zeros_like_aval,
)
from irax.transforms.batching import (
    BATCH_RULES,
    RULES_TAKING_AXIS_INFO,
    moveaxis,
    moveaxis_to_front,
)
from irax.transforms.partial_eval import partial_eval_graph

from .subgraphs import (
    batch_graph,
    insert_unused,
    is_nonzero,
    jvp_graph,
    share_leading_invars,
    transpose_apply,
)


def _all_concrete(primals, tangents) -> bool:
    """True when every primal and nonzero tangent is a concrete array (eager jvp)."""
    return all(type(x) is ArrayImpl for x in primals) and all(
        type(t) is ArrayImpl for t in tangents if type(t) is not Zero)


# ---- cond: JVP, transpose -------------------------------------------------------------

def _cond_jvp(primals, tangents, branches):
    index, operands = primals[0], primals[1:]
    nonzeros = [is_nonzero(t) for t in tangents[1:]]
    out_nonzeros = [False] * len(branches[0].outvars)
    for branch in branches:
        _, _, nz = jvp_graph(branch, nonzeros, False)
        out_nonzeros = [a or b for a, b in zip(out_nonzeros, nz)]
    num_out = len(out_nonzeros)
    splits = []  # per branch: (known graph, unknown graph, consts)
    for branch in branches:
        jvp, consts, _ = jvp_graph(branch, nonzeros, out_nonzeros)
        num_t = sum(out_nonzeros)
        unknown_in = [False] * (len(consts) + len(operands)) + [True] * sum(nonzeros)
        known, unknown, _ = partial_eval_graph(
            jvp, unknown_in, [False] * num_out + [True] * num_t)
        splits.append((known, unknown, consts))
    res_avals = [[v.aval for v in unknown.invars[:len(unknown.invars) - sum(nonzeros)]]
                 for _, unknown, _ in splits]
    all_consts = [c for _, _, consts in splits for c in consts]
    const_avals = [get_aval(c) for c in all_consts]
    operand_avals = [get_aval(x) for x in operands]

    def joined_known(k):
        known, _, consts = splits[k]
        start = sum(len(s[2]) for s in splits[:k])

        def fun(*args):
            own = list(args[start:start + len(consts)]) + list(args[len(all_consts):])
            outs = eval_graph(known, [], own)
            result = list(outs[:num_out])
            for j, avals in enumerate(res_avals):
                result += outs[num_out:] if j == k else [zeros_like_aval(a) for a in avals]
            return result
        graph, extra = trace_to_subgraph(fun, const_avals + operand_avals, name="cond")
        assert not extra, "constants of a joined branch are passed as operands"
        return graph

    known_branches = tuple(joined_known(k) for k in range(len(branches)))
    outs = cf.cond_p.bind(index, *all_consts, *operands, branches=known_branches)
    primals_out, residuals = outs[:num_out], outs[num_out:]
    flat_res_avals = [a for avals in res_avals for a in avals]
    tangent_branches = share_leading_invars([unknown for _, unknown, _ in splits],
                                            [len(a) for a in res_avals], flat_res_avals)
    live = [t for t, nz in zip(tangents[1:], nonzeros) if nz]
    t_outs = cf.cond_p.bind(index, *residuals, *live, branches=tuple(tangent_branches))
    t_outs = iter(t_outs)
    return primals_out, [next(t_outs) if nz else Zero(tangent_aval(get_aval(p)))
                         for p, nz in zip(primals_out, out_nonzeros)]


def _cond_transpose(cts, index, *operands, branches):
    if is_undefined(index):
        raise TypeError("cond is not linear in its branch index")
    linear = [is_undefined(x) for x in operands]
    known = [x for x in operands if not is_undefined(x)]
    known_avals = [get_aval(x) for x in known]
    out_avals = branches[0].out_avals
    ct_avals = [tangent_aval(a) for a in out_avals]

    def transposed(branch):
        def fun(*args):
            cts_in = [Zero(a) if a.dtype == float0 else ct
                      for a, ct in zip(ct_avals, args[len(known):])]
            return transpose_apply(branch, linear, args[:len(known)], cts_in)
        graph, consts = trace_to_subgraph(fun, known_avals + ct_avals, name="cond_transpose")
        return graph, consts

    traced = [transposed(b) for b in branches]
    all_consts = [c for _, consts in traced for c in consts]
    graphs = share_leading_invars([g for g, _ in traced], [len(c) for _, c in traced],
                                  [get_aval(c) for c in all_consts])
    ct_values = [zeros_like_aval(a) if type(ct) is Zero else ct
                 for ct, a in zip(cts, ct_avals)]
    outs = iter(cf.cond_p.bind(index, *all_consts, *known, *ct_values, branches=tuple(graphs)))
    return [None] + [next(outs) if lin else None for lin in linear]


JVP_RULES[cf.cond_p] = _cond_jvp
TRANSPOSE_RULES[cf.cond_p] = _cond_transpose


# ---- while: JVP, transpose ------------------------------------------------------------

def _while_jvp(primals, tangents, cond_graph, body_graph, cond_nconsts, body_nconsts):
    num_cc, num_bc = cond_nconsts, body_nconsts
    cond_consts = primals[:num_cc]
    body_consts = primals[num_cc:num_cc + num_bc]
    init = primals[num_cc + num_bc:]
    nz_consts = [is_nonzero(t) for t in tangents[num_cc:num_cc + num_bc]]
    nz_carry = [is_nonzero(t) for t in tangents[num_cc + num_bc:]]
    while True:  # which carries have nonzero tangents: a fixed point
        _, _, out_nz = jvp_graph(body_graph, nz_consts + nz_carry, False)
        grown = [a or b for a, b in zip(nz_carry, out_nz)]
        if grown == nz_carry:
            break
        nz_carry = grown
    jvp, jvp_consts, _ = jvp_graph(body_graph, nz_consts + nz_carry, nz_carry)
    # jvp takes (jvp_consts, body_consts, carry, const tangents, carry tangents):
    # as a loop body, the constant tangents move before the carry.
    num_j, num_carry = len(jvp_consts), len(init)
    num_tc = sum(nz_consts)
    inv = jvp.invars
    carry_vars = inv[num_j + num_bc:num_j + num_bc + num_carry]
    const_t_vars = inv[num_j + num_bc + num_carry:num_j + num_bc + num_carry + num_tc]
    body = Graph([], inv[:num_j + num_bc] + const_t_vars + carry_vars
                 + inv[num_j + num_bc + num_carry + num_tc:], jvp.eqns, jvp.outvars)
    carry_t_avals = [tangent_aval(get_aval(x)) for x, nz in zip(init, nz_carry) if nz]
    cond = insert_unused(cond_graph, len(cond_graph.invars), carry_t_avals)
    const_tangents = [t for t, nz in zip(tangents[num_cc:num_cc + num_bc], nz_consts) if nz]
    carry_tangents = [instantiate(t) for t, nz in zip(tangents[num_cc + num_bc:], nz_carry)
                      if nz]
    outs = cf.while_p.bind(*cond_consts, *jvp_consts, *body_consts, *const_tangents, *init,
                           *carry_tangents, cond_graph=cond, body_graph=body,
                           cond_nconsts=num_cc, body_nconsts=num_j + num_bc + num_tc)
    primals_out, tangents_out = outs[:num_carry], iter(outs[num_carry:])
    if not _all_concrete(primals, tangents):
        # Traced, the joint loop may belong to the tangents' transform (linearize, a
        # vmap of tangents) or be split by partial evaluation (grad of jit): the
        # primal outputs come from a loop of their own, so that primal work never
        # depends on tangents (JAX's while partial eval does the same).
        primals_out = cf.while_p.bind(*primals, cond_graph=cond_graph, body_graph=body_graph,
                                      cond_nconsts=num_cc, body_nconsts=num_bc)
    return primals_out, [next(tangents_out) if nz else Zero(tangent_aval(get_aval(x)))
                         for x, nz in zip(init, nz_carry)]


def _while_transpose(cts, *operands, **params):
    raise ValueError(
        "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop "
        "with dynamic start/stop values. Try using lax.scan, or using fori_loop with "
        "static start/stop.")


JVP_RULES[cf.while_p] = _while_jvp
TRANSPOSE_RULES[cf.while_p] = _while_transpose


# ---- scan: JVP, transpose -------------------------------------------------------------

def _scan_jvp(primals, tangents, body, num_consts, num_carry, length, reverse, unroll):
    num_ys = len(body.outvars) - num_carry
    nonzeros = [is_nonzero(t) for t in tangents]
    nz_consts, nz_carry = nonzeros[:num_consts], nonzeros[num_consts:num_consts + num_carry]
    nz_xs = nonzeros[num_consts + num_carry:]
    while True:  # which carries have nonzero tangents: a fixed point
        _, _, out_nz = jvp_graph(body, nz_consts + nz_carry + nz_xs, False)
        grown = [a or b for a, b in zip(nz_carry, out_nz[:num_carry])]
        if grown == nz_carry:
            break
        nz_carry = grown
    nonzeros = nz_consts + nz_carry + nz_xs
    jvp, jvp_consts, out_nz = jvp_graph(body, nonzeros, nz_carry + [False] * num_ys)
    num_j, num_in, num_t = len(jvp_consts), len(primals), sum(nonzeros)
    num_t_out = sum(out_nz)
    known, unknown, _ = partial_eval_graph(
        jvp, [False] * (num_j + num_in) + [True] * num_t,
        [False] * (num_carry + num_ys) + [True] * num_t_out)
    residuals = unknown.invars[:len(unknown.invars) - num_t]
    # Residuals that are loop constants or slices of xs are passed as such; the
    # others are computed per step and stacked by the known scan.
    const_vars = set(jvp.invars[:num_j + num_consts])
    xs_positions = {v: i for i, v in enumerate(jvp.invars[num_j + num_consts + num_carry:
                                                         num_j + num_in])}
    res_consts = [v for v in residuals if v in const_vars]
    res_xs = [v for v in residuals if v in xs_positions]
    res_stacked = [v for v in residuals if v not in const_vars and v not in xs_positions]
    known_outs = known.outvars[:num_carry + num_ys]
    known_body = Graph([], known.invars, known.eqns, known_outs + res_stacked)
    operands = list(jvp_consts) + list(primals)
    outs = cf.scan_p.bind(*operands, body=known_body, num_consts=num_j + num_consts,
                          num_carry=num_carry, length=length, reverse=reverse, unroll=unroll)
    primals_out = outs[:num_carry + num_ys]
    stacked = outs[num_carry + num_ys:]

    value_of = dict(zip(jvp.invars[:num_j + num_in], operands))
    t_inv = unknown.invars[len(residuals):]
    t_consts = t_inv[:sum(nz_consts)]
    t_carry = t_inv[sum(nz_consts):sum(nz_consts) + sum(nz_carry)]
    t_xs = t_inv[sum(nz_consts) + sum(nz_carry):]
    tangent_body = Graph([], res_consts + t_consts + t_carry + res_xs + res_stacked + t_xs,
                         unknown.eqns, unknown.outvars)
    xs_operands = primals[num_consts + num_carry:]
    live = [t for t, nz in zip(tangents, nonzeros) if nz]
    live_consts = live[:sum(nz_consts)]
    live_xs = live[sum(nz_consts) + sum(nz_carry):]
    carry_tangents = [instantiate(t) if nz else None for t, nz in
                      zip(tangents[num_consts:num_consts + num_carry], nz_carry)]
    t_outs = cf.scan_p.bind(
        *[value_of[v] for v in res_consts], *live_consts,
        *[t for t in carry_tangents if t is not None],
        *[xs_operands[xs_positions[v]] for v in res_xs], *stacked, *live_xs,
        body=tangent_body, num_consts=len(res_consts) + len(live_consts),
        num_carry=sum(nz_carry), length=length, reverse=reverse, unroll=unroll)
    t_outs = iter(t_outs)
    return primals_out, [next(t_outs) if nz else Zero(tangent_aval(get_aval(p)))
                         for p, nz in zip(primals_out, out_nz)]


def _scan_transpose(cts, *operands, body, num_consts, num_carry, length, reverse, unroll):
    consts, carry = operands[:num_consts], operands[num_consts:num_consts + num_carry]
    xs = operands[num_consts + num_carry:]
    linear_consts = [is_undefined(c) for c in consts]
    linear_xs = [is_undefined(x) for x in xs]
    # The body is linear in its carry (the JVP rule only scans tangents there).
    linear = linear_consts + [True] * num_carry + linear_xs
    known_consts = [c for c in consts if not is_undefined(c)]
    known_xs = [x for x in xs if not is_undefined(x)]
    out_avals = body.out_avals
    ct_carry = [zeros_like_aval(a) if type(ct) is Zero else ct
                for ct, a in zip(cts[:num_carry], out_avals[:num_carry])]
    ct_ys = [zeros_like_aval(stacked_aval(a, length)) if type(ct) is Zero else ct
             for ct, a in zip(cts[num_carry:], out_avals[num_carry:])]
    acc_avals = [c.aval for c in consts if is_undefined(c)]
    accumulators = [zeros_like_aval(a) for a in acc_avals]
    num_kc, num_acc, num_kx = len(known_consts), len(accumulators), len(known_xs)
    known_x_avals = [a for a, lin in zip(body.in_avals[num_consts + num_carry:], linear_xs)
                     if not lin]

    def transposed_step(*args):
        k_consts = args[:num_kc]
        accs = args[num_kc:num_kc + num_acc]
        ct_c = args[num_kc + num_acc:num_kc + num_acc + num_carry]
        k_xs = args[num_kc + num_acc + num_carry:num_kc + num_acc + num_carry + num_kx]
        ct_y = args[num_kc + num_acc + num_carry + num_kx:]
        cts_in = transpose_apply(body, linear, list(k_consts) + list(k_xs),
                                 list(ct_c) + list(ct_y))
        ct_consts = cts_in[:num_acc]
        ct_carry_in = cts_in[num_acc:num_acc + num_carry]
        ct_xs = cts_in[num_acc + num_carry:]
        return ([ew.add_p.bind(a, c) for a, c in zip(accs, ct_consts)] + list(ct_carry_in)
                + list(ct_xs))

    step_avals = ([get_aval(c) for c in known_consts] + acc_avals
                  + list(out_avals[:num_carry]) + known_x_avals + list(out_avals[num_carry:]))
    step, step_consts = trace_to_subgraph(transposed_step, step_avals, name="scan_transpose")
    outs = cf.scan_p.bind(*step_consts, *known_consts, *accumulators, *ct_carry, *known_xs,
                          *ct_ys, body=step, num_consts=len(step_consts) + num_kc,
                          num_carry=num_acc + num_carry, length=length, reverse=not reverse,
                          unroll=unroll)
    ct_consts = iter(outs[:num_acc])
    ct_init = outs[num_acc:num_acc + num_carry]
    ct_xs = iter(outs[num_acc + num_carry:])
    return ([next(ct_consts) if lin else None for lin in linear_consts]
            + [ct if is_undefined(c) else None for ct, c in zip(ct_init, carry)]
            + [next(ct_xs) if lin else None for lin in linear_xs])


def stacked_aval(aval, length: int):
    """The aval of `length` values of `aval` stacked along a new leading axis."""
    return aval.update(shape=(length, *aval.shape))


JVP_RULES[cf.scan_p] = _scan_jvp
TRANSPOSE_RULES[cf.scan_p] = _scan_transpose


# ---- remat: JVP, transpose ------------------------------------------------------------

def _remat_jvp(primals, tangents, body, prevent_cse):
    nonzeros = [is_nonzero(t) for t in tangents]
    primals_out = cf.remat_p.bind(*primals, body=body, prevent_cse=prevent_cse)
    jvp, consts, out_nz = jvp_graph(body, nonzeros, False)
    # The tangent equation takes the primal inputs and recomputes what it needs.
    tangent_only = Graph([], jvp.invars, jvp.eqns, jvp.outvars[len(primals_out):])
    live = [t for t, nz in zip(tangents, nonzeros) if nz]
    t_outs = iter(cf.remat_p.bind(*consts, *primals, *live, body=tangent_only,
                                  prevent_cse=prevent_cse))
    return primals_out, [next(t_outs) if nz else Zero(tangent_aval(get_aval(p)))
                         for p, nz in zip(primals_out, out_nz)]


def _remat_transpose(cts, *operands, body, prevent_cse):
    linear = [is_undefined(x) for x in operands]
    known = [x for x in operands if not is_undefined(x)]
    cts_in = iter(transpose_apply(body, linear, known, list(cts)))
    return [next(cts_in) if lin else None for lin in linear]


JVP_RULES[cf.remat_p] = _remat_jvp
TRANSPOSE_RULES[cf.remat_p] = _remat_transpose


def _to_front(vals, dims, size):
    """Batched values with their batch dimension first; unbatched ones unchanged."""
    return [v if d is None else moveaxis(v, d, 0) for v, d in zip(vals, dims)]


# ---- cond: batching -------------------------------------------------------------------

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


# ---- while: batching ------------------------------------------------------------------

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


# ---- scan: batching -------------------------------------------------------------------

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


# ---- remat: batching ------------------------------------------------------------------

def _remat_rule(info, vals, dims, *, body, prevent_cse):
    size = info.size
    vals = _to_front(vals, dims, size)
    graph, consts, out_b = batch_graph(body, [d is not None for d in dims], info)
    outs = cf.remat_p.bind(*consts, *vals, body=graph, prevent_cse=prevent_cse)
    return outs, [0 if b else None for b in out_b]


BATCH_RULES[cf.remat_p] = _remat_rule
RULES_TAKING_AXIS_INFO.add(cf.remat_p)
