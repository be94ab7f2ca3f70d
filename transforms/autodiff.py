"""The user-facing autodiff API: jvp, linearize, vjp, grad, value_and_grad, jacfwd,
jacrev and hessian, over pytrees of arrays (JAX's signatures and semantics)."""
import functools

import numpy as np

from irax.core import dtypes, pytree
from irax.core.aval import float0
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor, to_tensor
from irax.core.trace import get_aval

from . import rules  # noqa: F401  (the rule modules fill the rule tables)
from .ad import Zero, jvp_flat, linearize_flat, tangent_aval, zeros_like_aval


def _flatten_fun(fun, in_tree, has_aux=False):
    """`fun` on a flat list of leaves; records the output tree in `store`.

    With `has_aux`, the aux arrays are returned as extra outputs after the real ones
    (so transforms hand back their values, not tracers); `_split_aux` undoes that.
    """
    store = {"num_aux": 0}

    def flat_fun(*leaves):
        out = fun(*pytree.tree_unflatten(in_tree, list(leaves)))
        aux_arrays = []
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("a function differentiated with has_aux=True must return a "
                                f"pair (output, aux), got {type(out).__name__}")
            out, aux = out
            aux_leaves, store["aux_tree"] = pytree.tree_flatten(aux)
            store["aux_leaves"] = aux_leaves
            aux_arrays = [leaf for leaf in aux_leaves if isinstance(leaf, Tensor)]
            store["num_aux"] = len(aux_arrays)
        flat, store["out_tree"] = pytree.tree_flatten(out)
        for i, leaf in enumerate(flat):
            if not isinstance(leaf, (Tensor, int, float, complex, np.ndarray, np.generic)):
                raise TypeError(f"output leaf {i} of the differentiated function has type "
                                f"{type(leaf).__name__}; outputs must be arrays")
        return [to_tensor(o) for o in flat] + aux_arrays
    return flat_fun, store


def _split_aux(store, outs):
    """(real outputs, aux pytree) from a flat output list of `_flatten_fun`."""
    n = len(outs) - store["num_aux"]
    if "aux_tree" not in store:
        return outs, None
    values = iter(outs[n:])
    aux = [next(values) if isinstance(leaf, Tensor) else leaf for leaf in store["aux_leaves"]]
    return outs[:n], pytree.tree_unflatten(store["aux_tree"], aux)


def _as_tensors(leaves, what):
    out = []
    for i, leaf in enumerate(leaves):
        try:
            out.append(to_tensor(leaf))
        except TypeError:
            raise TypeError(f"{what}: leaf {i} of type {type(leaf).__name__} is not an "
                            "array") from None
    return out


def jvp(fun, primals, tangents, has_aux=False):
    """`jvp(fun, primals, tangents)`: `(fun(*primals), d fun(primals) · tangents)`.

    `primals` and `tangents` are tuples (or lists) of pytrees of the same structure;
    tangents of integer primals have dtype float0.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primal and tangent arguments must be tuples or lists, got "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    flat_p, tree = pytree.tree_flatten(tuple(primals))
    flat_t, tree_t = pytree.tree_flatten(tuple(tangents))
    if tree != tree_t:
        raise TypeError(f"jvp: primal and tangent arguments must have the same tree "
                        f"structure, got {tree} and {tree_t}")
    flat_p = _as_tensors(flat_p, "jvp primals")
    flat_t = [_check_tangent(p, t) for p, t in zip(flat_p, flat_t)]
    flat_fun, store = _flatten_fun(lambda *args: fun(*args), tree, has_aux)
    outs, touts = jvp_flat(flat_fun, flat_p, flat_t)
    outs, aux = _split_aux(store, outs)
    touts = [zeros_like_aval(tangent_aval(get_aval(o))) if type(t) is Zero else t
             for o, t in zip(outs, touts)]
    out_tree = store["out_tree"]
    result = (pytree.tree_unflatten(out_tree, outs), pytree.tree_unflatten(out_tree, touts))
    return result + (aux,) if has_aux else result


def _check_tangent(primal, tangent):
    expected = tangent_aval(primal.aval)
    if expected.dtype == float0:
        return Zero(expected)
    t = to_tensor(tangent)
    if t.shape != primal.shape or t.dtype != expected.dtype:
        raise TypeError(f"jvp: primal and tangent arguments do not match: primal "
                        f"{primal.aval.str_short()} expects a tangent "
                        f"{expected.str_short()}, got {t.aval.str_short()}")
    return t


def linearize(fun, *primals, has_aux=False):
    """`linearize(fun, *primals)`: `(fun(*primals), f_jvp)` where `f_jvp(*tangents)`
    evaluates the linear map recorded once (cheap to apply many times)."""
    flat_p, tree = pytree.tree_flatten(primals)
    flat_p = _as_tensors(flat_p, "linearize primals")
    flat_fun, store = _flatten_fun(fun, tree, has_aux)
    outs, linear = linearize_flat(flat_fun, flat_p)
    outs, aux = _split_aux(store, outs)
    out_tree = store["out_tree"]

    def f_jvp(*tangents):
        flat_t, tree_t = pytree.tree_flatten(tangents)
        if tree_t != tree:
            raise TypeError(f"linearized function expects tangents of structure {tree}, "
                            f"got {tree_t}")
        t_outs = linear.apply([_check_tangent(p, t) for p, t in zip(flat_p, flat_t)])
        return pytree.tree_unflatten(out_tree, t_outs[:len(outs)])

    out = pytree.tree_unflatten(out_tree, outs)
    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


def vjp(fun, *primals, has_aux=False):
    """`vjp(fun, *primals)`: `(fun(*primals), vjp_fn)`; `vjp_fn(cotangent)` returns one
    cotangent per primal (a tuple), computed by transposing the linearized function."""
    flat_p, in_tree = pytree.tree_flatten(primals)
    flat_p = _as_tensors(flat_p, "vjp primals")
    flat_fun, store = _flatten_fun(fun, in_tree, has_aux)
    outs, linear = linearize_flat(flat_fun, flat_p)
    outs, aux = _split_aux(store, outs)
    aux_cts = [Zero(a) for a in linear.out_avals[len(outs):]]
    out_tree = store["out_tree"]

    def vjp_fn(cotangent):
        flat_ct, ct_tree = pytree.tree_flatten(cotangent)
        if ct_tree != out_tree:
            raise TypeError(f"vjp: cotangent structure {ct_tree} does not match the "
                            f"function's output structure {out_tree}")
        cts = []
        for i, (o, ct) in enumerate(zip(outs, flat_ct)):
            expected = tangent_aval(get_aval(o))
            ct = to_tensor(ct)
            if ct.shape != expected.shape or (ct.dtype != expected.dtype and
                                              expected.dtype != float0):
                raise ValueError(f"vjp: cotangent {i} must be {expected.str_short()} "
                                 f"(the output's shape and dtype), got "
                                 f"{ct.aval.str_short()}")
            cts.append(ct)
        in_cts = linear.transpose(cts + aux_cts)
        in_cts = [zeros_like_aval(tangent_aval(p.aval)) if type(c) is Zero else c
                  for p, c in zip(flat_p, in_cts)]
        return pytree.tree_unflatten(in_tree, in_cts)

    out = pytree.tree_unflatten(out_tree, outs)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _argnums_tuple(argnums, nargs, name):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not isinstance(n, int) or not -nargs <= n < nargs:
            raise TypeError(f"{name}: argnums {argnums} out of range for {nargs} positional "
                            "argument(s)")
    return tuple(n % nargs for n in nums)


def _split_args(fun, args, argnums, kwargs):
    """A function of the differentiated arguments only, plus those arguments."""
    def partial_fun(*dyn):
        full = list(args)
        for n, value in zip(argnums, dyn):
            full[n] = value
        return fun(*full, **kwargs)
    return partial_fun, tuple(args[n] for n in argnums)


def _check_input_dtypes(name, dyn_args, holomorphic, allow_int):
    for leaf in pytree.tree_leaves(dyn_args):
        dtype = to_tensor(leaf).dtype
        if holomorphic and not dtypes.is_complex(dtype):
            raise TypeError(f"{name} with holomorphic=True requires inputs with complex "
                            f"dtype, but got {dtype.name}.")
        if not dtypes.is_inexact(dtype) and not allow_int:
            raise TypeError(f"{name} requires real- or complex-valued inputs (input dtype "
                            f"that is a sub-dtype of np.inexact), but got {dtype.name}. If "
                            "you want to use Boolean- or integer-valued inputs, use vjp or "
                            "set allow_int to True.")


def _check_scalar_output(name, out, holomorphic):
    aval = get_aval(out) if isinstance(out, Tensor) else None
    if aval is None:
        raise TypeError(f"{name}: the function must return a scalar array, got "
                        f"{type(out).__name__}")
    if aval.shape != ():
        raise TypeError(f"Gradient only defined for scalar-output functions. Output had "
                        f"shape: {aval.shape}.")
    if holomorphic:
        if not dtypes.is_complex(aval.dtype):
            raise TypeError(f"{name} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {aval.dtype.name}.")
    elif not dtypes.is_float(aval.dtype):
        raise TypeError(f"{name} requires real-valued outputs (output dtype that is a "
                        f"sub-dtype of np.floating), but got {aval.dtype.name}. For "
                        "holomorphic differentiation, pass holomorphic=True. For "
                        "differentiation of non-holomorphic functions involving complex "
                        "outputs, use irax.vjp directly.")


def _transform_args(name, transform, fun, argnums, args, kwargs, has_aux, holomorphic,
                    allow_int):
    """`transform` (vjp or linearize) of `fun` at its `argnums` arguments, checked:
    (those arguments, the output, the linear function, the aux value or None)."""
    nums = _argnums_tuple(argnums, len(args), name)
    partial_fun, dyn = _split_args(fun, args, nums, kwargs)
    _check_input_dtypes(name, dyn, holomorphic, allow_int)
    if has_aux:
        out, linear_fn, aux = transform(partial_fun, *dyn, has_aux=True)
        return dyn, out, linear_fn, aux
    out, linear_fn = transform(partial_fun, *dyn)
    return dyn, out, linear_fn, None


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """`value_and_grad(fun)(*args)` → `(fun(*args), grad(fun)(*args))`.

    See `grad` for the arguments.
    """
    fused = _fused_with_jit(fun, argnums, lambda f: value_and_grad(
        f, argnums, has_aux, holomorphic, allow_int), holomorphic, allow_int, has_aux)
    if fused is not None:
        return fused

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        _, out, vjp_fn, aux = _transform_args("grad", vjp, fun, argnums, args, kwargs,
                                              has_aux, holomorphic, allow_int)
        _check_scalar_output("grad", out, holomorphic)
        ones = ArrayImpl(np.ones((), get_aval(out).dtype))
        grads = vjp_fn(ones)
        grads = grads[0] if isinstance(argnums, int) else grads
        return ((out, aux), grads) if has_aux else (out, grads)

    return value_and_grad_f


def _fused_with_jit(fun, argnums, transform, *options):
    """`value_and_grad(jit(f))` as `jit(value_and_grad(f))`: the forward and backward
    passes of a jitted function differentiated whole compile into one program, as fast
    as `jit(grad(f))` (called as a `jit` equation instead, the forward pass with its
    residuals and the transpose are two programs). None when `fun` is not a `Jitted` or
    a differentiated argument is static (the general path reports that)."""
    from .jit import Jitted
    if type(fun) is not Jitted or fun.static_argnames:
        return None
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if not all(isinstance(n, int) and n >= 0 for n in nums) or (
            set(nums) & set(fun.static_argnums)):
        return None
    key = argnums if isinstance(argnums, int) else tuple(argnums)
    return fun.transformed(("value_and_grad", key, *options), transform)


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """`grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False)`.

    Returns a function computing the gradient of scalar-valued `fun` with respect to
    the positional argument(s) `argnums` (an int, or a tuple giving a tuple of
    gradients), each of the argument's pytree structure.  With `has_aux`, `fun`
    returns `(value, aux)` and the gradient function returns `(grad, aux)`.

    Example:
        >>> grad(lambda x: x ** 3)(2.0)
        Array(12., dtype=float32, weak_type=True)
    """
    value_and_grad_f = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        (_, aux), g = value_and_grad_f(*args, **kwargs) if has_aux else (
            (None, None), value_and_grad_f(*args, **kwargs)[1])
        return (g, aux) if has_aux else g

    return grad_f


def _std_basis(leaves):
    """The identity over all elements of `leaves`, split into one array per leaf of
    shape (total elements,) + leaf.shape: row k is the k-th basis vector."""
    sizes = [int(np.prod(leaf.shape, dtype=np.int64)) for leaf in leaves]
    total = sum(sizes)
    out, offset = [], 0
    for leaf, size in zip(leaves, sizes):
        block = np.zeros((total, size), leaf.dtype)
        block[np.arange(offset, offset + size), np.arange(size)] = 1
        out.append(ArrayImpl(block.reshape((total,) + tuple(leaf.shape))))
        offset += size
    return out


def _blocks(stacked, lead_leaves):
    """Splits arrays of shape (total,) + s along axis 0 into one block per lead leaf,
    reshaped to lead.shape + s."""
    out, offset = [], 0
    for lead in lead_leaves:
        size = int(np.prod(lead.shape, dtype=np.int64))
        shape = get_aval(stacked).shape
        block = st.slice(stacked, (offset,) + (0,) * (len(shape) - 1),
                         (offset + size,) + shape[1:])
        out.append(st.reshape(block, tuple(lead.shape) + shape[1:]))
        offset += size
    return out


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """`jacfwd(fun, argnums=0)`: the Jacobian by forward mode: the linearized function
    is vmapped over the standard basis of the inputs.  The result has the output's
    pytree structure, each leaf a tree of the inputs' structure with arrays of shape
    `out.shape + in.shape`."""
    def jacfun(*args, **kwargs):
        from .vmap import vmap
        dyn, out, f_jvp, aux = _transform_args("jacfwd", linearize, fun, argnums, args, kwargs,
                                               has_aux, holomorphic, allow_int=False)
        in_leaves, in_tree = pytree.tree_flatten(dyn)
        in_leaves = [to_tensor(x) for x in in_leaves]
        out_leaves, out_tree = pytree.tree_flatten(out)
        basis = pytree.tree_unflatten(in_tree, _std_basis(in_leaves))
        pushed = pytree.tree_leaves(vmap(lambda t: f_jvp(*t))(basis))
        jac = []
        for o, columns in zip(out_leaves, pushed):
            per_input = []
            for x, block in zip(in_leaves, _blocks(columns, in_leaves)):
                nd_in, nd_out = len(x.shape), len(get_aval(o).shape)
                perm = list(range(nd_in, nd_in + nd_out)) + list(range(nd_in))
                per_input.append(st.transpose(block, perm))
            jac.append(_regroup(per_input, in_tree, argnums))
        result = pytree.tree_unflatten(out_tree, jac)
        return (result, aux) if has_aux else result
    return jacfun


def _regroup(per_input_leaves, in_tree, argnums):
    grouped = pytree.tree_unflatten(in_tree, per_input_leaves)
    return grouped[0] if isinstance(argnums, int) else grouped


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """`jacrev(fun, argnums=0)`: the Jacobian by reverse mode: the VJP is vmapped over
    the standard basis of the outputs; same result structure as `jacfwd`."""
    def jacfun(*args, **kwargs):
        from .vmap import vmap
        dyn, out, vjp_fn, aux = _transform_args("jacrev", vjp, fun, argnums, args, kwargs,
                                                has_aux, holomorphic, allow_int)
        _in_leaves, in_tree = pytree.tree_flatten(dyn)
        out_leaves, out_tree = pytree.tree_flatten(out)
        out_leaves = [to_tensor(o) for o in out_leaves]
        basis = pytree.tree_unflatten(out_tree, _std_basis(out_leaves))
        pulled = pytree.tree_leaves(vmap(vjp_fn)(basis))
        per_output = [[] for _ in out_leaves]
        for rows in pulled:
            for i, block in enumerate(_blocks(rows, out_leaves)):
                per_output[i].append(block)
        jac = [_regroup(blocks, in_tree, argnums) for blocks in per_output]
        result = pytree.tree_unflatten(out_tree, jac)
        return (result, aux) if has_aux else result
    return jacfun


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """`hessian(fun)`: `jacfwd(jacrev(fun))`, the matrix of second derivatives."""
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)
