"""Structured control flow: `cond`, `switch`, `while_loop`, `fori_loop`, `scan`, `map`
and `checkpoint`, with JAX's signatures.

Each traces the user's Python functions once into sub-Graphs and binds one
control-flow primitive (core/primitives/control_flow.py), so `jit`, `grad` and `vmap`
all see the loop or branch as one operation.
"""
import functools

from irax.core import dtypes, pytree
from irax.core.aval import ShapedArray
from irax.core.graph_trace import trace_to_subgraph
from irax.core.primitives import control_flow as cf
from irax.core.primitives import structural as st
from irax.core.primitives.elementwise import add, clamp, convert_element_type, lt, ne
from irax.core.tensor import to_tensor
from irax.core.trace import Tracer, get_aval
from irax.transforms.rules.subgraphs import share_leading_invars

__all__ = ["checkpoint", "cond", "fori_loop", "map", "remat", "scan", "switch",
           "while_loop"]


def _flatten_args(values, what: str):
    leaves, tree = pytree.tree_flatten(values)
    try:
        leaves = [to_tensor(x) for x in leaves]
    except TypeError as err:
        raise TypeError(f"{what}: every leaf must be an array or a scalar: {err}") from None
    return leaves, tree


def _trace(fun, in_tree, in_avals, what: str):
    """Traces `fun(value)` for `value` of pytree structure `in_tree` and leaves of
    `in_avals`; returns (Graph, closed-over consts, out tree)."""
    out_tree_box = []

    def flat_fun(*flat):
        out = fun(pytree.tree_unflatten(in_tree, list(flat)))
        leaves, out_tree = _flatten_args(out, what)
        out_tree_box.append(out_tree)
        return leaves

    graph, consts = trace_to_subgraph(flat_fun, list(in_avals), name=what)
    return graph, consts, out_tree_box[0]


def _types_str(tree, avals) -> str:
    leaves = [a.str_short() for a in avals]
    return str(pytree.tree_unflatten(tree, leaves)).replace("'", "")


def _strong(avals):
    return [a.strip_weak_type() for a in avals]


def _cast_leaves(leaves, avals):
    """`leaves` converted to `avals` (dtype and weak type)."""
    return [convert_element_type(x, a.dtype, a.weak_type) for x, a in zip(leaves, avals)]


def _joined_avals(trees_and_avals, what: str):
    """The common output type of several traced functions; differing weak types join
    to strong (as JAX promotes them); any other difference raises TypeError."""
    tree0, avals0 = trees_and_avals[0]
    for tree, avals in trees_and_avals[1:]:
        if tree != tree0 or _strong(avals) != _strong(avals0):
            raise TypeError(f"{what} must have identical types, got\n"
                            + "\n".join(_types_str(t, a) for t, a in trees_and_avals))
    return [ShapedArray(a.shape, a.dtype, all(avals[i].weak_type for _, avals in
                                               trees_and_avals))
            for i, a in enumerate(avals0)]


# ---- cond and switch --------------------------------------------------------------

def switch(index, branches, *operands):
    """`lax.switch(index, branches, *operands)`: `branches[index](*operands)`.

    `index` is an integer scalar, clamped into `[0, len(branches) - 1]`; every branch
    must return the same pytree of shapes and dtypes.  All branches are traced; only
    the selected one runs (under `vmap` with a batched index, all run and the results
    are selected).

    Example:
      >>> lax.switch(1, [jnp.sin, jnp.cos, jnp.tan], 0.0)
      Array(1., dtype=float32, weak_type=True)
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of callables")
    index = to_tensor(index)
    if index.shape:
        raise TypeError(f"switch: index must be a scalar, got shape {index.shape}")
    if index.dtype.kind not in "iu":
        raise TypeError(f"switch: index must be an integer scalar, got {index.dtype}")
    if len(branches) == 1:
        return branches[0](*operands)
    index = convert_element_type(index, "int32")
    index = clamp(convert_element_type(0, "int32"), index,
                                   convert_element_type(len(branches) - 1, "int32"))
    return _bind_cond(index, branches, operands, "switch branches")


def cond(pred, true_fun, false_fun, *operands):
    """`lax.cond(pred, true_fun, false_fun, *operands)`: `true_fun(*operands)` if
    `pred` else `false_fun(*operands)`.

    `pred` is a boolean (or integer: nonzero is true) scalar, possibly traced: unlike
    a Python `if`, `cond` works under `jit` and `vmap` (where a batched `pred` runs
    both branches and selects).  Both branches must return the same pytree of shapes
    and dtypes.

    Example:
      >>> lax.cond(x > 0, lambda v: v, lambda v: -v, x)   # |x|, compiled
    """
    pred = to_tensor(pred)
    if pred.shape:
        raise TypeError(f"cond: pred must be a scalar, got {pred.aval.str_short()}")
    if pred.dtype.kind not in "biu":
        raise TypeError(f"cond: pred must be a boolean or integer scalar, got {pred.dtype}")
    if pred.dtype.kind != "b":
        pred = ne(pred, convert_element_type(0, pred.dtype))
    index = convert_element_type(pred, "int32")
    return _bind_cond(index, [false_fun, true_fun], operands, "true_fun and false_fun output")


def _bind_cond(index, branches, operands, what: str):
    leaves, in_tree = _flatten_args(operands, "cond operands")
    in_avals = [x.aval for x in leaves]
    traced = [_trace(_star(b), in_tree, in_avals, "cond branch") for b in branches]
    out_avals = _joined_avals([(tree, g.out_avals) for g, _, tree in traced], what)
    if any(g.out_avals != out_avals for g, _, _ in traced):  # weak types to join
        traced = [_trace(_star(_casting(b, out_avals)), in_tree, in_avals, "cond branch")
                  for b in branches]
    graphs, all_consts = _share_consts(traced)
    outs = cf.cond_p.bind(index, *all_consts, *leaves, branches=tuple(graphs))
    return pytree.tree_unflatten(traced[0][2], outs)


def _star(fun):
    return lambda operands: fun(*operands)


def _casting(fun, avals):
    def cast(*args):
        leaves, tree = pytree.tree_flatten(fun(*args))
        return pytree.tree_unflatten(tree, _cast_leaves(leaves, avals))
    return cast


def _share_consts(traced):
    """Branches with their own closed-over values, rewritten to take all branches'
    values (each ignores the others')."""
    all_consts = [c for _, consts, _ in traced for c in consts]
    graphs = share_leading_invars([g for g, _, _ in traced], [len(c) for _, c, _ in traced],
                                  [get_aval(c) for c in all_consts])
    return graphs, all_consts


# ---- loops --------------------------------------------------------------------------

def _trace_loop_body(step, carry, carry_tree, extra_avals, what: str, mismatch: str):
    """Traces a loop body `step(*carry leaves, *extra leaves) -> (new carry, other)`.

    The new carry must have the carry's pytree structure, shapes and dtypes.  A weak
    carry leaf the body returns strong is made strong on entry and the body traced
    again (JAX's promotion).  Returns (graph whose outputs are the carry leaves then
    `other`'s, closed-over consts, carry leaves as entered, `other`'s tree).
    """
    def attempt(carry_avals):
        trees = []

        def flat(*leaves):
            out = step(*leaves)
            new_carry, other = out
            carry_leaves, carry_out_tree = _flatten_args(new_carry, what)
            other_leaves, other_tree = _flatten_args(other, what)
            trees.append((carry_out_tree, other_tree, len(carry_leaves)))
            return carry_leaves + other_leaves

        graph, consts = trace_to_subgraph(flat, carry_avals + list(extra_avals), name=what)
        return graph, consts, trees[0]

    carry_avals = [x.aval for x in carry]
    graph, consts, (out_tree, other_tree, n) = attempt(carry_avals)
    out = graph.out_avals[:n]
    if out_tree != carry_tree or _strong(out) != _strong(carry_avals):
        raise TypeError(f"{mismatch} must have identical types, got\n"
                        f"input:  {_types_str(carry_tree, carry_avals)}\n"
                        f"output: {_types_str(out_tree, out)}")
    if any(a.weak_type and not b.weak_type for a, b in zip(carry_avals, out)):
        joined = [a.update(weak_type=a.weak_type and b.weak_type)
                  for a, b in zip(carry_avals, out)]
        carry = _cast_leaves(carry, joined)
        graph, consts, _ = attempt(joined)
    return graph, consts, carry, other_tree


def while_loop(cond_fun, body_fun, init_val):
    """`lax.while_loop(cond_fun, body_fun, init_val)`: repeats
    `val = body_fun(val)` while `cond_fun(val)` is true; returns the final `val`.

    `body_fun` must return the same pytree of shapes and dtypes it takes;
    `cond_fun(val)` a boolean scalar.  The trip count may depend on traced values.
    Forward-mode differentiable (`jvp`, `jacfwd`); reverse mode raises, as in JAX:
    use `scan` or `fori_loop` with static bounds for that.

    Example:
      >>> lax.while_loop(lambda v: v < 10, lambda v: v * 2, 1)
      Array(16, dtype=int32, weak_type=True)
    """
    carry, carry_tree = _flatten_args(init_val, "while_loop init_val")

    def step(*leaves):
        return body_fun(pytree.tree_unflatten(carry_tree, list(leaves))), ()

    body_graph, body_consts, carry, _ = _trace_loop_body(
        step, carry, carry_tree, [], "while_loop body_fun", "body_fun output and input")
    cond_graph, cond_consts, pred_tree = _trace(cond_fun, carry_tree, [x.aval for x in carry],
                                                "while_loop cond_fun")
    pred = cond_graph.out_avals
    if pred_tree.num_leaves != 1 or pred[0].shape or pred[0].dtype.kind != "b":
        raise TypeError(f"while_loop: cond_fun must return a boolean scalar, but got "
                        f"output type(s) {_types_str(pred_tree, pred)}")
    outs = cf.while_p.bind(*cond_consts, *body_consts, *carry, cond_graph=cond_graph,
                           body_graph=body_graph, cond_nconsts=len(cond_consts),
                           body_nconsts=len(body_consts))
    return pytree.tree_unflatten(carry_tree, outs)


def _static_int(value):
    """`value` as a Python int when it is known at trace time, else None."""
    if isinstance(value, Tracer):
        concrete = value.concrete_value()
        return None if concrete is None else int(concrete)
    return int(value)


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """`lax.fori_loop(lower, upper, body_fun, init_val)`: for `i` in
    `range(lower, upper)`, `val = body_fun(i, val)`; returns the final `val`.

    With `lower` and `upper` known at trace time (Python ints, or concrete arrays) it
    is a `scan` of `upper - lower` steps — reverse-mode differentiable; with traced
    bounds it is a `while_loop` (forward-mode only).  `i` has the bounds' dtype.

    Example:
      >>> lax.fori_loop(0, 5, lambda i, v: v + i, 0.0)
      Array(10., dtype=float32, weak_type=True)
    """
    lower_t, upper_t = to_tensor(lower), to_tensor(upper)
    for name, bound in (("lower", lower_t), ("upper", upper_t)):
        if bound.shape or bound.dtype.kind not in "iu":
            raise TypeError(f"fori_loop: {name} must be an integer scalar, got "
                            f"{bound.aval.str_short()}")
    index_dtype, weak = dtypes.promote_dtypes_weak((lower_t.dtype, lower_t.weak_type),
                                                   (upper_t.dtype, upper_t.weak_type))
    lower_t = convert_element_type(lower_t, index_dtype, weak)
    upper_t = convert_element_type(upper_t, index_dtype, weak)
    start, stop = _static_int(lower), _static_int(upper)
    if start is not None and stop is not None:
        def scan_step(carry, _):
            i, val = carry
            return (add(i, convert_element_type(1, index_dtype, weak)),
                    body_fun(i, val)), None

        (_, val), _ = scan(scan_step, (lower_t, init_val), None, length=max(stop - start, 0),
                           unroll=1 if unroll is None else unroll)
        return val
    if unroll not in (None, 1, False):
        raise ValueError("fori_loop: unroll needs static bounds (lower and upper known "
                         "at trace time)")

    def loop_cond(carry):
        return lt(carry[0], carry[1])

    def loop_body(carry):
        i, stop_, val = carry
        return (add(i, convert_element_type(1, index_dtype, weak)), stop_,
                body_fun(i, val))

    return while_loop(loop_cond, loop_body, (lower_t, upper_t, init_val))[2]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`lax.scan(f, init, xs, length=None, reverse=False, unroll=1)`: a loop with a
    carry that stacks per-step outputs.

    `f(carry, x) -> (carry, y)` runs once per leading-axis slice `x` of `xs` (a pytree
    of arrays; `None` with `length` for a loop without inputs), from the last slice
    first when `reverse`.  Returns `(final carry, ys)` where `ys` stacks every `y`
    along a new leading axis.  `unroll` (an int, or True for all steps) is how many
    steps one iteration of the compiled loop runs.  Differentiable in both modes and
    batchable; `f` is traced once.

    Example:
      >>> lax.scan(lambda c, x: (c + x, c * x), 0.0, jnp.arange(3.0))
      (Array(3., dtype=float32), Array([0., 0., 2.], dtype=float32))
    """
    xs_leaves, xs_tree = _flatten_args(xs, "scan xs")
    lengths = {x.shape[0] if x.shape else None for x in xs_leaves}
    if None in lengths:
        bad = [x.aval.str_short() for x in xs_leaves if not x.shape]
        raise ValueError(f"scan: xs must be arrays with a leading axis to scan over, got "
                         f"scalars {bad}")
    if length is not None:
        length = int(length)
        lengths.add(length)
    if len(lengths) > 1:
        sizes = _types_str(xs_tree, [x.aval for x in xs_leaves])
        raise ValueError(f"scan got values with different leading axis sizes: {sizes}"
                         + (f" and length={length}" if length is not None else ""))
    if not lengths:
        raise ValueError("scan: with no xs, give the number of steps as `length`")
    length = lengths.pop()
    carry, carry_tree = _flatten_args(init, "scan init")
    x_avals = [ShapedArray(x.shape[1:], x.dtype, x.weak_type) for x in xs_leaves]
    num_carry = len(carry)

    def step(*leaves):
        out = f(pytree.tree_unflatten(carry_tree, list(leaves[:num_carry])),
                pytree.tree_unflatten(xs_tree, list(leaves[num_carry:])))
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError(f"scan body output must be a pair (carry, y), got "
                            f"{type(out).__name__}")
        return out

    body, consts, carry, ys_tree = _trace_loop_body(
        step, carry, carry_tree, x_avals, "scan body", "scan body function carry input and "
        "carry output")
    unroll = length if unroll is True else max(int(unroll), 1)
    outs = cf.scan_p.bind(*consts, *carry, *xs_leaves, body=body, num_consts=len(consts),
                          num_carry=num_carry, length=length, reverse=bool(reverse),
                          unroll=min(unroll, max(length, 1)))
    return (pytree.tree_unflatten(carry_tree, outs[:num_carry]),
            pytree.tree_unflatten(ys_tree, outs[num_carry:]))


def map(f, xs, *, batch_size=None):
    """`lax.map(f, xs, batch_size=None)`: `f` applied to each leading-axis slice of
    `xs` (a pytree), results stacked: a `scan` without carry, so `f` is traced once.

    With `batch_size`, `f` is vmapped over chunks of that many slices (the remainder
    runs as a last chunk).

    Example:
      >>> lax.map(lambda v: v * 2, jnp.arange(3))
      Array([0, 2, 4], dtype=int32)
    """
    if batch_size is None:
        return scan(lambda _, x: ((), f(x)), (), xs)[1]
    from irax.transforms.vmap import vmap  # api -> transforms, imported when used
    leaves, tree = _flatten_args(xs, "map xs")
    n = leaves[0].shape[0] if leaves and leaves[0].shape else 0
    batch_size = int(batch_size)
    full = n // batch_size * batch_size
    chunks = [st.reshape(st.slice(x, (0,) * x.ndim, (full, *x.shape[1:])),
                         (n // batch_size, batch_size, *x.shape[1:])) for x in leaves]
    mapped = scan(lambda _, c: ((), vmap(f)(pytree.tree_unflatten(tree, list(c)))), (),
                  chunks)[1]
    out_leaves, out_tree = pytree.tree_flatten(mapped)
    out_leaves = [st.reshape(o, (full, *o.shape[2:])) for o in out_leaves]
    if full < n:
        rest = [st.slice(x, (full,) + (0,) * (x.ndim - 1), x.shape) for x in leaves]
        tail, _ = pytree.tree_flatten(vmap(f)(pytree.tree_unflatten(tree, rest)))
        out_leaves = [st.concatenate([o, t], 0) for o, t in zip(out_leaves, tail)]
    return pytree.tree_unflatten(out_tree, out_leaves)


# ---- checkpoint ---------------------------------------------------------------------

def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=()):
    """`checkpoint(fun, prevent_cse=True, policy=None, static_argnums=())` (alias
    `remat`): `fun` whose intermediate values are not kept for reverse mode but
    recomputed from its inputs when the gradient is computed — memory traded for
    compute, e.g. for the body of a long `scan`.

    Values and derivatives are those of `fun`.  Only `policy=None` (save nothing
    but the inputs) is supported.

    Example:
      >>> grad(checkpoint(lambda x: jnp.sin(jnp.sin(x))))(1.0)
    """
    if policy is not None:
        raise NotImplementedError("checkpoint: only policy=None (save only the inputs) "
                                  "is supported")
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def remat_fun(*args):
        dynamic = [a for i, a in enumerate(args) if i not in static]
        leaves, tree = _flatten_args(dynamic, "checkpoint arguments")

        def with_static(*dyn):
            it = iter(dyn)
            return fun(*[a if i in static else next(it) for i, a in enumerate(args)])

        graph, consts, out_tree = _trace(_star(with_static), tree, [x.aval for x in leaves],
                                         "checkpoint")
        outs = cf.remat_p.bind(*consts, *leaves, body=graph, prevent_cse=bool(prevent_cse))
        return pytree.tree_unflatten(out_tree, outs)

    return remat_fun


remat = checkpoint
