"""Control-flow primitives: `cond`, `while`, `scan` and `remat`, whose params hold
sub-Graphs.

Every sub-Graph is closed: it has no constvars.  Values a traced Python function
closed over are passed as leading operands (`*consts`), so every transform sees them
as ordinary inputs.  The user-facing functions (`lax.cond`, `lax.scan`, ...) live in
api/lax/control_flow.py; the rules of the transforms in transforms/control_flow_*.py
and mlir_lowering/control_flow.py.

    cond   (index, *operands)           branches[index](*operands)   (index clamped)
    while  (*cond_consts, *body_consts, *init)
                                        carry = body(*body_consts, *carry) while
                                        cond(*cond_consts, *carry)
    scan   (*consts, *init, *xs)        carry, ys[i] = body(*consts, *carry, *xs[i])
    remat  (*args)                      body(*args), recomputed in reverse mode
"""
import numpy as np

from ..aval import ShapedArray
from ..errors import ShapeError
from ..graph import Graph, eval_graph
from ..primitive import Primitive
from ..tensor import ArrayImpl


def run_graph(graph: Graph, values) -> list:
    """Evaluates a closed sub-Graph on NumPy values now; returns NumPy values."""
    args = [ArrayImpl(np.asarray(v), var.aval.weak_type) for v, var in
            zip(values, graph.invars)]
    return [np.asarray(o._value if isinstance(o, ArrayImpl) else o)
            for o in eval_graph(graph, [], args)]


def _out_weak_types(params_graph_outs):
    return lambda args, params: [a.weak_type for a in params_graph_outs(params)]


def _check_operands(name: str, graph: Graph, avals, what: str) -> None:
    expected = [v.aval.strip_weak_type() for v in graph.invars]
    got = [a.strip_weak_type() for a in avals]
    if expected != got:
        raise ShapeError(f"{name}: {what} takes ({_avals_str(expected)}), got "
                         f"({_avals_str(got)})")


def _avals_str(avals) -> str:
    return ", ".join(a.str_short() for a in avals)


# ---- cond -------------------------------------------------------------------------

cond_p = Primitive("cond", multiple_results=True)


@cond_p.def_abstract_eval
def _cond_abstract_eval(index, *operands, branches):
    if index.shape or index.dtype != np.int32:
        raise ShapeError(f"cond: the branch index must be an int32 scalar, got "
                         f"{index.str_short()}")
    for branch in branches:
        _check_operands("cond", branch, operands, "every branch")
    return list(branches[0].out_avals)


@cond_p.def_impl
def _cond_impl(index, *operands, branches):
    which = int(np.clip(index, 0, len(branches) - 1))
    return run_graph(branches[which], operands)


cond_p.weak_type_rule = _out_weak_types(lambda params: params["branches"][0].out_avals)


# ---- while ------------------------------------------------------------------------

while_p = Primitive("while", multiple_results=True)


@while_p.def_abstract_eval
def _while_abstract_eval(*operands, cond_graph, body_graph, cond_nconsts, body_nconsts):
    cond_consts = operands[:cond_nconsts]
    body_consts = operands[cond_nconsts:cond_nconsts + body_nconsts]
    init = operands[cond_nconsts + body_nconsts:]
    _check_operands("while_loop", cond_graph, (*cond_consts, *init), "cond_fun")
    _check_operands("while_loop", body_graph, (*body_consts, *init), "body_fun")
    pred = cond_graph.out_avals
    if len(pred) != 1 or pred[0].shape or pred[0].dtype != np.bool_:
        raise ShapeError(f"while_loop: cond_fun must return a boolean scalar, got "
                         f"({_avals_str(pred)})")
    return list(body_graph.out_avals)


@while_p.def_impl
def _while_impl(*operands, cond_graph, body_graph, cond_nconsts, body_nconsts):
    cond_consts = operands[:cond_nconsts]
    body_consts = operands[cond_nconsts:cond_nconsts + body_nconsts]
    carry = list(operands[cond_nconsts + body_nconsts:])
    while run_graph(cond_graph, (*cond_consts, *carry))[0]:
        carry = run_graph(body_graph, (*body_consts, *carry))
    return carry


while_p.weak_type_rule = _out_weak_types(lambda params: params["body_graph"].out_avals)


# ---- scan -------------------------------------------------------------------------

scan_p = Primitive("scan", multiple_results=True)


def scan_out_avals(body: Graph, num_carry: int, length: int) -> list:
    """The avals of a scan's outputs: the carry, then each `y` stacked `length` times."""
    outs = body.out_avals
    return list(outs[:num_carry]) + [
        ShapedArray((length, *a.shape), a.dtype, a.weak_type) for a in outs[num_carry:]]


@scan_p.def_abstract_eval
def _scan_abstract_eval(*operands, body, num_consts, num_carry, length, reverse, unroll):
    xs = operands[num_consts + num_carry:]
    for x in xs:
        if not x.shape or x.shape[0] != length:
            raise ShapeError(f"scan: every xs must have leading axis of length {length}, "
                             f"got {x.str_short()}")
    slices = [ShapedArray(x.shape[1:], x.dtype, x.weak_type) for x in xs]
    _check_operands("scan", body, (*operands[:num_consts + num_carry], *slices), "the body")
    carry_in = [a.strip_weak_type() for a in operands[num_consts:num_consts + num_carry]]
    carry_out = [a.strip_weak_type() for a in body.out_avals[:num_carry]]
    if carry_in != carry_out:
        raise ShapeError(f"scan: the body's carry output ({_avals_str(carry_out)}) must "
                         f"match its carry input ({_avals_str(carry_in)})")
    return scan_out_avals(body, num_carry, length)


@scan_p.def_impl
def _scan_impl(*operands, body, num_consts, num_carry, length, reverse, unroll):
    consts = operands[:num_consts]
    carry = list(operands[num_consts:num_consts + num_carry])
    xs = operands[num_consts + num_carry:]
    ys = []
    for i in (reversed(range(length)) if reverse else range(length)):
        outs = run_graph(body, (*consts, *carry, *[x[i] for x in xs]))
        carry, y = outs[:num_carry], outs[num_carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    stacked = [np.stack([y[k] for y in ys]) if ys else np.zeros((0, *a.shape), a.dtype)
               for k, a in enumerate(body.out_avals[num_carry:])]
    return carry + stacked


scan_p.weak_type_rule = _out_weak_types(
    lambda params: params["body"].out_avals)


# ---- remat ------------------------------------------------------------------------

remat_p = Primitive("remat", multiple_results=True)


@remat_p.def_abstract_eval
def _remat_abstract_eval(*args, body, prevent_cse):
    _check_operands("checkpoint", body, args, "the function")
    return list(body.out_avals)


@remat_p.def_impl
def _remat_impl(*args, body, prevent_cse):
    return run_graph(body, args)


remat_p.weak_type_rule = _out_weak_types(lambda params: params["body"].out_avals)
