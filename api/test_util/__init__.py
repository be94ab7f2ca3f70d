"""irax.test_util: numerical checks of derivatives for users' test suites.

`check_grads(f, args, order)` compares forward- and reverse-mode derivatives of `f`
with central finite differences in one random direction (JAX's semantics).
"""
import functools

import numpy as np

from irax.core import dtypes, pytree
from irax.transforms.autodiff import jvp, vjp

EPS = 1e-4
DEFAULT_TOLERANCE = {
    np.dtype(np.float16): 1e-2, dtypes.bfloat16: 1e-1, np.dtype(np.float32): 2e-3,
    np.dtype(np.float64): 1e-5, np.dtype(np.complex64): 1e-3,
    np.dtype(np.complex128): 1e-5,
}

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp"]


def _tolerance(tol, dtype):
    if tol is None:
        return DEFAULT_TOLERANCE.get(np.dtype(dtype), 1e-5)
    if isinstance(tol, dict):
        return tol.get(np.dtype(dtype), DEFAULT_TOLERANCE.get(np.dtype(dtype), 1e-5))
    return tol


def _rand_like(rng, x):
    x = np.asarray(x)
    if not dtypes.is_inexact(x.dtype):
        return np.zeros(x.shape, x.dtype)
    sample = rng.standard_normal(x.shape)
    if dtypes.is_complex(x.dtype):
        sample = sample + 1j * rng.standard_normal(x.shape)
    return np.asarray(sample, x.dtype)


def _tree_map(fn, *trees):
    return pytree.tree_map(fn, *trees)


def _scaled(tree, scale):
    return _tree_map(lambda x: np.asarray(x) * np.asarray(scale, np.asarray(x).dtype)
                     if dtypes.is_inexact(np.asarray(x).dtype) else np.asarray(x), tree)


def _add(a, b):
    return _tree_map(lambda x, y: (np.asarray(x) + np.asarray(y)).astype(np.asarray(x).dtype)
                     if dtypes.is_inexact(np.asarray(x).dtype) else np.asarray(x), a, b)


def _sub(a, b):
    return _tree_map(lambda x, y: (np.asarray(x) - np.asarray(y)).astype(np.asarray(x).dtype)
                     if dtypes.is_inexact(np.asarray(x).dtype) else np.asarray(x), a, b)


def numerical_jvp(f, primals, tangents, eps=EPS):
    """Central difference `(f(x + eps t) - f(x - eps t)) / (2 eps)` over pytrees."""
    delta = _scaled(tangents, eps)
    f_pos = f(*_add(primals, delta))
    f_neg = f(*_sub(primals, delta))
    return _tree_map(lambda p, n: (np.asarray(p, np.complex128 if np.iscomplexobj(p) else
                                              np.float64) - np.asarray(n)) * (0.5 / eps),
                     f_pos, f_neg)


def _check_close(actual, expected, atol, rtol, err_msg):
    a_leaves, a_tree = pytree.tree_flatten(actual)
    e_leaves, e_tree = pytree.tree_flatten(expected)
    if a_tree != e_tree:
        raise AssertionError(f"{err_msg}: structures differ: {a_tree} vs {e_tree}")
    for a, e in zip(a_leaves, e_leaves):
        a, e = np.asarray(a), np.asarray(e)
        dtype = a.dtype if dtypes.is_inexact(a.dtype) else np.float64
        np.testing.assert_allclose(a.astype(np.result_type(a, np.float32)),
                                   e.astype(np.result_type(e, np.float32)),
                                   atol=_tolerance(atol, dtype), rtol=_tolerance(rtol, dtype),
                                   err_msg=err_msg)


def _inner_product(xs, ys):
    total = 0.0
    for x, y in zip(pytree.tree_leaves(xs), pytree.tree_leaves(ys)):
        x, y = np.asarray(x), np.asarray(y)
        if not dtypes.is_inexact(x.dtype):
            continue
        total += float(np.real(np.dot(np.conj(x).ravel().astype(np.complex128),
                                      y.ravel().astype(np.complex128))))
    return np.asarray(total)


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """Checks `f_jvp(args, tangents)` against a central difference of `f`."""
    rng = np.random.RandomState(0)
    tangent = _tree_map(functools.partial(_rand_like, rng), args)
    v_out, t_out = f_jvp(args, tangent)
    _check_close(v_out, f(*args), atol, rtol, f"{err_msg} primal".strip())
    t_expected = numerical_jvp(f, args, tangent, eps=eps)
    _check_close(t_out, t_expected, atol, rtol, f"{err_msg} tangent".strip())


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """Checks `<v, J t> == <J^T v, t>` with J t from finite differences."""
    rng = np.random.RandomState(0)
    v_out, vjp_fn = f_vjp(*args)
    _check_close(v_out, f(*args), atol, rtol, f"{err_msg} primal".strip())
    tangent = _tree_map(functools.partial(_rand_like, rng), args)
    tangent_out = numerical_jvp(f, args, tangent, eps=eps)
    cotangent = _tree_map(functools.partial(_rand_like, rng), v_out)
    conj = lambda tree: _tree_map(lambda x: np.conj(np.asarray(x)), tree)
    cotangent_out = conj(vjp_fn(conj(cotangent)))
    ip = _inner_product(tangent, cotangent_out)
    ip_expected = _inner_product(tangent_out, cotangent)
    dtype = next((np.asarray(x).dtype for x in pytree.tree_leaves(args)
                  if dtypes.is_inexact(np.asarray(x).dtype)), np.dtype(np.float64))
    np.testing.assert_allclose(ip, ip_expected, atol=_tolerance(atol, dtype),
                               rtol=_tolerance(rtol, dtype),
                               err_msg=f"{err_msg} cotangent projection".strip())


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """`check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None)`

    Checks the derivatives of `f` at `args` (a tuple) up to `order` in the given modes:
    forward mode against central finite differences along a random tangent, reverse
    mode by the inner-product identity `<v, J t> == <J^T v, t>`; higher orders recurse
    on the JVP / VJP functions.  Default tolerances depend on the dtype (float32: 2e-3,
    float64: 1e-5); raises AssertionError with the failing mode and order.

    Example:
        >>> check_grads(jnp.sin, (np.float64(0.5),), order=2)
    """
    args = tuple(args)
    eps = eps or EPS

    def check(fun, fun_args, remaining, err_msg=""):
        if "fwd" in modes:
            msg = f"JVP of {err_msg}" if err_msg else "JVP"
            check_jvp(fun, functools.partial(jvp, fun), fun_args, atol, rtol, eps, msg)
            if remaining > 1:
                check(functools.partial(jvp, fun), (fun_args, fun_args), remaining - 1, msg)
        if "rev" in modes:
            msg = f"VJP of {err_msg}" if err_msg else "VJP"
            check_vjp(fun, functools.partial(vjp, fun), fun_args, atol, rtol, eps, msg)
            if remaining > 1:
                def f_vjp(*a):
                    out, vjp_fn = vjp(fun, *a)
                    return vjp_fn(out)
                check(f_vjp, fun_args, remaining - 1, msg)

    check(f, args, order)
