"""The autodiff API against closed forms, finite differences and JAX's documented
values: README examples, Python control flow, closures, pytrees, custom rules."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp
from irax.test_util import check_grads


def tanh(x):
    y = jnp.exp(-2.0 * x)
    return (1.0 - y) / (1.0 + y)


def test_readme_values():
    np.testing.assert_allclose(float(grad(tanh)(1.0)), 0.4199743, rtol=1e-6)
    np.testing.assert_allclose(float(grad(grad(grad(tanh)))(1.0)), 0.62162673, rtol=1e-5)


def test_python_control_flow_recursion_and_loops():
    def abs_val(x):
        return x if x > 0 else -x
    assert float(grad(abs_val)(-1.0)) == -1.0
    assert float(grad(abs_val)(2.0)) == 1.0

    def power(x, n):
        return 1.0 if n == 0 else x * power(x, n - 1)
    np.testing.assert_allclose(float(grad(power)(1.5, 4)), 4 * 1.5 ** 3, rtol=1e-6)

    def newton_sqrt(a):
        x = a
        while abs(float(x * x - a)) > 1e-6:
            x = 0.5 * (x + a / x)
        return x
    np.testing.assert_allclose(float(grad(newton_sqrt)(4.0)), 0.25, rtol=1e-4)


def test_nested_grad_of_closures_has_no_perturbation_confusion():
    assert float(grad(lambda x: grad(lambda y: x * y)(x))(2.0)) == 1.0
    f = lambda x: x * grad(lambda y: x + y)(x)
    assert float(grad(f)(3.0)) == 1.0
    g = lambda x: grad(lambda y: x * y * y)(x)
    assert float(grad(g)(2.0)) == 8.0


def test_hessian_matches_closed_form_and_is_symmetric(x64):
    rng = np.random.RandomState(0)
    A = rng.standard_normal((5, 4))
    w0 = rng.standard_normal(4)
    H = np.asarray(hessian(lambda w: jnp.sum(jnp.tanh(A @ w) ** 2))(w0))
    t = np.tanh(A @ w0)
    expected = A.T @ ((2 * (1 - t ** 2) * (1 - 3 * t ** 2))[:, None] * A)
    np.testing.assert_allclose(H, expected, rtol=1e-10)
    np.testing.assert_allclose(H, H.T, rtol=1e-12)


def test_jacfwd_equals_jacrev_on_pytrees(x64):
    def f(params, x):
        return {"out": jnp.tanh(params["W"] @ x + params["b"]), "norm": jnp.sum(x ** 2)}
    rng = np.random.RandomState(1)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(3)}
    x = rng.standard_normal(2)
    fwd = jacfwd(f, argnums=(0, 1))(params, x)
    rev = jacrev(f, argnums=(0, 1))(params, x)
    flat_f, tree_f = irax.tree_util.tree_flatten(fwd)
    flat_r, tree_r = irax.tree_util.tree_flatten(rev)
    assert tree_f == tree_r
    for a, b in zip(flat_f, flat_r):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)
    assert fwd["out"][0]["W"].shape == (3, 3, 2)
    assert fwd["norm"][1].shape == (2,)
    np.testing.assert_allclose(np.asarray(fwd["norm"][1]), 2 * x)


def test_jvp_vjp_linearize_agree(x64):
    f = lambda x, y: jnp.sin(x) * y ** 2
    x, y = np.array([0.3, 1.2]), np.array([2.0, -1.0])
    tx, ty = np.array([1.0, 0.5]), np.array([0.2, 0.1])
    out, t_out = jvp(f, (x, y), (tx, ty))
    _, f_jvp = linearize(f, x, y)
    np.testing.assert_allclose(np.asarray(f_jvp(tx, ty)), np.asarray(t_out))
    expected = np.cos(x) * y ** 2 * tx + np.sin(x) * 2 * y * ty
    np.testing.assert_allclose(np.asarray(t_out), expected)
    _, vjp_fn = vjp(f, x, y)
    gx, gy = vjp_fn(np.ones(2))
    np.testing.assert_allclose(np.asarray(gx), np.cos(x) * y ** 2)
    np.testing.assert_allclose(np.asarray(gy), np.sin(x) * 2 * y)


def test_grad_options():
    f = lambda x, y: jnp.sum(x * y)
    gx, gy = grad(f, argnums=(0, 1))(jnp.ones(3), jnp.arange(3.0))
    np.testing.assert_array_equal(np.asarray(gx), [0, 1, 2])
    np.testing.assert_array_equal(np.asarray(gy), [1, 1, 1])
    g, aux = grad(lambda x: (x ** 2, "aux"), has_aux=True)(3.0)
    assert float(g) == 6.0 and aux == "aux"
    (value, aux), g = value_and_grad(lambda x: (x ** 2, {"x": x, "s": "tag"}),
                                     has_aux=True)(3.0)
    assert float(value) == 9.0 and float(g) == 6.0
    assert type(aux["x"]) is type(jnp.ones(1)) and float(aux["x"]) == 3.0
    assert aux["s"] == "tag"
    jac, aux = jacfwd(lambda x: (jnp.sin(x), jnp.cos(x)), has_aux=True)(jnp.zeros(2))
    np.testing.assert_array_equal(np.asarray(aux), [1.0, 1.0])
    _, _, aux = jvp(lambda x: (x * 2, x + 1), (1.0,), (1.0,), has_aux=True)
    assert float(aux) == 2.0
    g_int = grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert g_int[1].dtype == irax.numpy.float0


def test_grad_errors_are_clear():
    with pytest.raises(TypeError, match="scalar-output"):
        grad(lambda x: x * 2)(jnp.ones(3))
    with pytest.raises(TypeError, match="allow_int"):
        grad(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x: x, argnums=3)(1.0)
    _, vjp_fn = vjp(jnp.sin, jnp.ones(3))
    with pytest.raises(ValueError, match="cotangent"):
        vjp_fn(jnp.ones(4))


def test_complex_follows_jax_convention():
    z = jnp.asarray(np.complex64(3 + 4j))
    assert complex(grad(lambda z: jnp.abs(z) ** 2)(z)) == 6 - 8j
    assert complex(grad(lambda z: z ** 2, holomorphic=True)(z)) == 6 + 8j
    with pytest.raises(TypeError, match="holomorphic"):
        grad(lambda z: z ** 2)(z)


def test_kink_conventions_match_jax():
    assert float(grad(jnp.abs)(0.0)) == 1.0
    assert float(grad(lambda x: jnp.maximum(x, 1.0))(1.0)) == 0.5
    assert float(grad(jnp.sqrt)(0.0)) == np.inf
    assert float(grad(lambda x: jnp.sum(jnp.max(x)))(jnp.array([1.0, 3.0, 3.0]))[1]) == 0.5


def test_custom_jvp_with_nondiff_argnums_and_pytrees(x64):
    @irax.custom_jvp
    def f(x, y):
        return {"s": jnp.sin(x) * y}

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(x, y), {"s": jnp.cos(x) * y * tx + jnp.sin(x) * ty}

    check_grads(lambda x, y: f(x, y)["s"], (np.array([0.3, 0.7]), np.array([1.5, 2.0])),
                order=2)

    from functools import partial

    @partial(irax.custom_jvp, nondiff_argnums=(0,))
    def scale(k, x):
        return k * x

    scale.defjvp(lambda k, primals, tangents: (scale(k, primals[0]), 10.0 * tangents[0]))
    assert float(grad(lambda x: scale(3.0, x))(1.0)) == 10.0


def test_custom_jvp_rule_is_used_instead_of_the_body():
    @irax.custom_jvp
    def safe_log1pexp(x):
        return jnp.log(1.0 + jnp.exp(x))

    safe_log1pexp.defjvps(lambda t, ans, x: t * (1.0 - 1.0 / (1.0 + jnp.exp(x))))
    assert float(grad(safe_log1pexp)(100.0)) == 1.0
    assert float(safe_log1pexp(1.0)) == pytest.approx(np.log1p(np.e), rel=1e-6)


def test_custom_vjp(x64):
    @irax.custom_vjp
    def clip_gradient(x):
        return x

    clip_gradient.defvjp(lambda x: (x, None),
                         lambda res, g: (jnp.clip(g, -1.0, 1.0),))
    assert float(grad(lambda x: 5.0 * clip_gradient(x))(2.0)) == 1.0

    @irax.custom_vjp
    def f(x, y):
        return jnp.sin(x) * y

    f.defvjp(lambda x, y: (f(x, y), (jnp.cos(x), jnp.sin(x), y)),
             lambda res, g: (res[0] * res[2] * g, res[1] * g))
    check_grads(f, (np.array([0.4, 1.1]), np.array([2.0, 3.0])), order=2, modes=("rev",))
    with pytest.raises(TypeError, match="forward-mode"):
        jvp(f, (np.ones(2), np.ones(2)), (np.ones(2), np.ones(2)))


def test_stop_gradient():
    assert float(grad(lambda x: x * irax.lax.stop_gradient(x))(3.0)) == 3.0
