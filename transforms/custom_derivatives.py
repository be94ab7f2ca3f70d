"""custom_jvp and custom_vjp: user-defined derivative rules for Python functions.

Under `jvp`/`grad`, the JVP trace calls the user's rule instead of differentiating the
function's body; other interpreters (eager, graph tracing) call the function itself.
A custom VJP enters the linearized tape as one `custom_lin` equation whose transpose
calls the user's `bwd`; evaluating it forward (plain `jvp`) raises, as in JAX.
"""
import functools
import inspect

from irax.core import pytree
from irax.core.primitive import Primitive
from irax.core.tensor import to_tensor
from irax.core.trace import bind_custom_jvp, bind_custom_vjp, get_aval, no_transform_active

from .ad import (
    NOT_DIFFERENTIABLE,
    TRANSPOSE_RULES,
    JVPTrace,
    JVPTracer,
    Zero,
    instantiate,
    tangent_aval,
    zeros_like_aval,
)


def _resolve_args(fun, args, kwargs):
    if not kwargs:
        return tuple(args)
    bound = inspect.signature(fun).bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.args) + tuple(bound.kwargs.values())


def _split_nondiff(args, nondiff_argnums):
    static = tuple(args[i] for i in nondiff_argnums)
    dyn = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return static, dyn


def _merge(static, dyn, nondiff_argnums, total):
    static_it, dyn_it = iter(static), iter(dyn)
    return [next(static_it) if i in nondiff_argnums else next(dyn_it) for i in range(total)]


class _FlatCall:
    """One call of a custom-derivative function, its differentiable arguments (`dyn`)
    flattened to tensor `leaves`.  `flat_fun` runs the function on such leaves and, as
    the rules do, records the output's tree in `out_tree`."""

    def __init__(self, fun, nondiff_argnums: tuple, args: tuple):
        self.fun, self.nondiff_argnums, self.num_args = fun, nondiff_argnums, len(args)
        self.static, self.dyn = _split_nondiff(args, nondiff_argnums)
        leaves, self.in_tree = pytree.tree_flatten(self.dyn)
        self.leaves = [to_tensor(x) for x in leaves]
        self.out_tree = None

    def full_args(self, flat) -> list:
        """All the function's arguments, the differentiable ones rebuilt from `flat`."""
        return _merge(self.static, pytree.tree_unflatten(self.in_tree, list(flat)),
                      self.nondiff_argnums, self.num_args)

    def flat_fun(self, *flat) -> list:
        out, self.out_tree = pytree.tree_flatten(self.fun(*self.full_args(flat)))
        return [to_tensor(o) for o in out]


class custom_jvp:
    """`custom_jvp(fun, nondiff_argnums=())`: `fun` with a JVP rule set by `defjvp`.

    Example:
        >>> @custom_jvp
        ... def f(x):
        ...     return jnp.sin(x)
        >>> @f.defjvp
        ... def f_jvp(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return f(x), jnp.cos(x) * t
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp, symbolic_zeros: bool = False):
        """Sets `jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)`."""
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """Sets one rule per argument: `jvp_i(g_i, primal_out, *primals)` (None: zero)."""
        def jvp(primals, tangents):
            out = self(*primals)
            total = None
            for rule, t in zip(jvps, tangents):
                if rule is None or t is None:
                    continue
                term = rule(t, out, *primals)
                total = term if total is None else pytree.tree_map(
                    lambda a, b: a + b, total, term)
            if total is None:
                total = pytree.tree_map(lambda o: zeros_like_aval(tangent_aval(get_aval(o))),
                                        out)
            return out, total
        self.defjvp(jvp)

    def __call__(self, *args, **kwargs):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function "
                                 f"{self.__name__} using defjvp.")
        args = _resolve_args(self.fun, args, kwargs)
        if no_transform_active():
            return self.fun(*args)
        call = _FlatCall(self.fun, self.nondiff_argnums, args)

        def flat_jvp(primals, tangents):
            p = pytree.tree_unflatten(call.in_tree, list(primals))
            t = pytree.tree_unflatten(call.in_tree, list(tangents))
            out, t_out = self.jvp(*call.static, tuple(p), tuple(t))
            out_flat, out_tree = pytree.tree_flatten(out)
            t_flat, t_tree = pytree.tree_flatten(t_out)
            if out_tree != t_tree:
                raise TypeError(f"Custom JVP rule of {self.__name__} must produce primal and "
                                f"tangent outputs with equal structures, got {out_tree} and "
                                f"{t_tree}")
            call.out_tree = out_tree
            return [to_tensor(o) for o in out_flat], [to_tensor(x) for x in t_flat]

        outs = bind_custom_jvp(call.flat_fun, flat_jvp, call.leaves)
        return pytree.tree_unflatten(call.out_tree, outs)


class custom_vjp:
    """`custom_vjp(fun, nondiff_argnums=())`: `fun` with a VJP rule set by `defvjp`.

    `fwd(*args) -> (out, residuals)` and `bwd(*nondiff_args, residuals, cotangent) ->
    tuple of cotangents, one per differentiable argument` (None means zero).
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros: bool = False):
        """Sets the forward (`fwd`) and backward (`bwd`) rules."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function "
                                 f"{self.__name__} using defvjp.")
        args = _resolve_args(self.fun, args, kwargs)
        if no_transform_active():
            return self.fun(*args)
        call = _FlatCall(self.fun, self.nondiff_argnums, args)
        res_tree = None

        def flat_fwd(*flat):
            nonlocal res_tree
            result = self.fwd(*call.full_args(flat))
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"Custom VJP fwd rule of {self.__name__} must return a pair "
                                "(output, residuals)")
            out, res = result
            out_flat, call.out_tree = pytree.tree_flatten(out)
            res_flat, res_tree = pytree.tree_flatten(res)
            return [to_tensor(o) for o in out_flat], list(res_flat)

        def flat_bwd(res_flat, cts_flat):
            res = pytree.tree_unflatten(res_tree, list(res_flat))
            ct = pytree.tree_unflatten(call.out_tree, list(cts_flat))
            grads = self.bwd(*call.static, res, ct)
            if not isinstance(grads, (tuple, list)) or len(grads) != len(call.dyn):
                raise TypeError(f"Custom VJP bwd rule of {self.__name__} must return a tuple "
                                f"of {len(call.dyn)} cotangent(s), one per differentiable "
                                f"argument, got {type(grads).__name__}")
            out = []
            for arg, g in zip(call.dyn, grads):
                arg_leaves, arg_tree = pytree.tree_flatten(arg)
                if g is None:
                    out.extend(zeros_like_aval(tangent_aval(get_aval(to_tensor(a))))
                               for a in arg_leaves)
                    continue
                g_leaves, g_tree = pytree.tree_flatten(g)
                if g_tree != arg_tree:
                    raise TypeError(f"Custom VJP bwd rule of {self.__name__} returned a "
                                    f"cotangent of structure {g_tree} for an argument of "
                                    f"structure {arg_tree}")
                out.extend(to_tensor(x) for x in g_leaves)
            return out

        outs = bind_custom_vjp(call.flat_fun, flat_fwd, flat_bwd, call.leaves)
        return pytree.tree_unflatten(call.out_tree, outs)


# ---- the JVP trace's handling ------------------------------------------------------

def _jvp_custom_jvp_call(self, fun, jvp, tracers):
    primals = [t.primal for t in tracers]
    tangents = [instantiate(t.tangent) for t in tracers]
    if all(type(t.tangent) is Zero for t in tracers):
        return [JVPTracer(self, o, Zero(tangent_aval(get_aval(o)))) for o in fun(*primals)]
    outs, t_outs = jvp(primals, tangents)
    return [JVPTracer(self, o, t) for o, t in zip(outs, t_outs)]


custom_lin_p = Primitive("custom_lin", multiple_results=True)
"""The linear map of a custom VJP: operands are residuals then tangents."""


def _custom_lin_impl(*args, num_res, bwd, out_avals):
    raise TypeError("can't apply forward-mode autodiff (jvp) to a custom_vjp function.")


custom_lin_p.def_impl(_custom_lin_impl)
NOT_DIFFERENTIABLE[custom_lin_p] = ("it is the linear part of a custom_vjp function, which "
                                    "only reverse mode may differentiate")
custom_lin_p.def_abstract_eval(lambda *avals, num_res, bwd, out_avals: list(out_avals))


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals):
    residuals = args[:num_res]
    cts = [instantiate(ct) for ct in cts]
    return [None] * num_res + list(bwd(residuals, cts))


TRANSPOSE_RULES[custom_lin_p] = _custom_lin_transpose


def _jvp_custom_vjp_call(self, fun, fwd, bwd, tracers):
    primals = [t.primal for t in tracers]
    if all(type(t.tangent) is Zero for t in tracers):
        return [JVPTracer(self, o, Zero(tangent_aval(get_aval(o)))) for o in fun(*primals)]
    outs, residuals = fwd(*primals)
    tangents = [instantiate(t.tangent) for t in tracers]
    out_avals = tuple(tangent_aval(get_aval(o)) for o in outs)
    t_outs = custom_lin_p.bind(*[to_tensor(r) for r in residuals], *tangents,
                               num_res=len(residuals), bwd=bwd, out_avals=out_avals)
    return [JVPTracer(self, o, t) for o, t in zip(outs, t_outs)]


JVPTrace.process_custom_jvp_call = _jvp_custom_jvp_call
JVPTrace.process_custom_vjp_call = _jvp_custom_vjp_call
