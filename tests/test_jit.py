"""jit: compiled results against eager and closed forms, tracing rules, errors,
caching and composition with grad."""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.core.tensor import BufferArray, to_tensor
from primitive_cases import DIFFERENTIABLE, NON_DIFFERENTIABLE

ALL_CASES = {**DIFFERENTIABLE, **NON_DIFFERENTIABLE}


@pytest.fixture(autouse=True, scope="module")
def _compile_into_a_private_cache(private_cache_dir):
    """Every test of this module compiles into one fresh cache directory."""


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_compiled_matches_eager_for_every_primitive(request, name, precision):
    if precision == "float64":
        request.getfixturevalue("x64")
    fun, args = ALL_CASES[name]
    args = [to_tensor(np.asarray(a, precision) if np.asarray(a).dtype == np.float64 else a)
            for a in args]
    eager = fun(*args)
    compiled = irax.jit(fun)(*args)
    eager = eager if isinstance(eager, (list, tuple)) else [eager]
    compiled = compiled if isinstance(compiled, (list, tuple)) else [compiled]
    for e, c in zip(eager, compiled):
        assert c.dtype == e.dtype and c.shape == e.shape and c.weak_type == e.weak_type
        tol = 1e-5 if precision == "float32" else 1e-12
        np.testing.assert_allclose(np.asarray(c), np.asarray(e), rtol=tol, atol=tol,
                                   err_msg=name)


def test_readme_examples(x64):
    @irax.jit
    def slow_f(x):
        return x * x + x * 2.0

    y = slow_f(jnp.ones((50, 50)))
    assert isinstance(y, BufferArray)
    y.block_until_ready()
    np.testing.assert_array_equal(np.asarray(y), np.full((50, 50), 3.0))

    def loss(params, x, t):
        for w, b in params:
            x = jnp.tanh(x @ w + b)
        return jnp.sum((x - t) ** 2)

    rng = np.random.RandomState(0)
    params = [(rng.standard_normal((4, 3)), rng.standard_normal(3)),
              (rng.standard_normal((3, 2)), rng.standard_normal(2))]
    x, t = rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    compiled = irax.jit(irax.grad(loss))(params, x, t)
    eager = irax.grad(loss)(params, x, t)
    for c, e in zip(irax.tree_util.tree_leaves(compiled), irax.tree_util.tree_leaves(eager)):
        np.testing.assert_allclose(np.asarray(c), np.asarray(e), rtol=1e-10)

    A = rng.standard_normal((6, 4))
    w0 = rng.standard_normal(4)
    H = irax.jit(irax.hessian(lambda w: jnp.sum(jnp.tanh(A @ w) ** 2)))(w0)
    s = np.tanh(A @ w0)
    np.testing.assert_allclose(np.asarray(H), A.T @ ((2 * (1 - s**2) * (1 - 3 * s**2))[:, None]
                                                     * A), rtol=1e-9)


def test_lower_shows_stablehlo_with_user_locations():
    lowered = irax.jit(lambda x: jnp.sin(x) * 2).lower(jnp.ones(3))
    text = lowered.as_text()
    assert "stablehlo.sine" in text and "test_jit.py" in text
    compiled = lowered.compile()
    np.testing.assert_allclose(np.asarray(compiled(jnp.ones(3))), 2 * np.sin(np.ones(3)),
                               rtol=1e-6)


def test_static_arguments_and_retracing():
    traces = []

    def f(x, n, *, scale):
        traces.append(1)
        return x * n * scale

    g = irax.jit(f, static_argnums=1, static_argnames="scale")
    np.testing.assert_array_equal(np.asarray(g(jnp.ones(2), 3, scale=2.0)), [6, 6])
    g(jnp.ones(2), 3, scale=2.0)
    assert len(traces) == 1
    g(jnp.zeros(2), 3, scale=2.0)
    assert len(traces) == 1
    g(jnp.ones(2), 4, scale=2.0)
    g(jnp.ones(3), 4, scale=2.0)
    assert len(traces) == 3
    with pytest.raises(ValueError, match="hashable"):
        irax.jit(f, static_argnums=1)(jnp.ones(2), [1, 2], scale=1.0)


def test_closed_over_arrays_become_arguments_not_literals():
    w = jnp.asarray(np.arange(1000, dtype=np.float32))
    f = irax.jit(lambda x: x + w)
    text = f.lower(jnp.ones(1000)).as_text()
    assert "main(%0: tensor<1000xf32>, %1: tensor<1000xf32>)" in text
    assert "dense<[" not in text
    np.testing.assert_array_equal(np.asarray(f(jnp.ones(1000))), np.arange(1000) + 1)


def test_python_control_flow_on_traced_value_names_the_argument():
    def f(x, threshold):
        return x if threshold > 0 else -x
    with pytest.raises(irax.ConcretizationTypeError, match="(?s)argument 'threshold'.*static_argnums"):
        irax.jit(f)(1.0, 2.0)
    assert float(irax.jit(f, static_argnums=1)(1.0, 2.0)) == 1.0


def test_leaked_tracer_from_jit():
    leaked = []

    @irax.jit
    def f(x):
        leaked.append(x)
        return x + 1

    f(1.0)
    with pytest.raises(irax.UnexpectedTracerError, match="jit"):
        leaked[0] * 2


def test_composition_with_grad_and_itself(x64):
    f = lambda x: jnp.sum(jnp.sin(x) ** 2)
    x = np.array([0.3, 1.2, -0.5])
    expected = 2 * np.sin(x) * np.cos(x)
    np.testing.assert_allclose(np.asarray(irax.grad(irax.jit(f))(x)), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(irax.jit(irax.grad(f))(x)), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(irax.jit(irax.jit(f))(x)), np.sum(np.sin(x) ** 2))
    np.testing.assert_allclose(np.asarray(irax.jit(irax.grad(irax.jit(f)))(x)), expected,
                               rtol=1e-12)


def test_outputs_feed_the_next_call_on_device():
    f = irax.jit(lambda x: x * 2.0)
    y = f(jnp.ones(4))
    z = f(y)
    assert isinstance(z, BufferArray) and z._host is None
    np.testing.assert_array_equal(np.asarray(z), [4, 4, 4, 4])


def test_threads_call_jitted_functions_concurrently():
    functions = [irax.jit(lambda x, k=k: x * k + 1.0) for k in range(4)]
    x = jnp.arange(16.0)
    for f in functions:
        f(x)
    errors = []

    def worker(i):
        f = functions[i % 4]
        for _ in range(200):
            out = np.asarray(f(x))
            if not np.array_equal(out, np.arange(16.0) * (i % 4) + 1.0):
                errors.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_second_process_does_not_compile(tmp_path):
    script = textwrap.dedent("""
        import irax, irax.numpy as jnp
        f = irax.jit(lambda x: jnp.tanh(x) @ x.T)
        print(float(f(jnp.ones((3, 3)))[0, 0]))
    """)
    env = dict(os.environ, IRAX_CACHE_DIR=str(tmp_path), IRAX_LOG_COMPILES="1")
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, check=True)
    assert "compiled" in first.stderr
    assert "compiled" not in second.stderr
    assert first.stdout == second.stdout


def test_transforms_of_jit_match_the_plain_function(x64):
    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2)

    rng = np.random.RandomState(3)
    w, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    jitted = irax.jit(loss)
    for argnums in (0, (0, 1)):
        got = irax.grad(jitted, argnums=argnums)(w, x)
        want = irax.grad(loss, argnums=argnums)(w, x)
        for g, e in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(want)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-12)
    t_out = irax.jvp(jitted, (w, x), (np.ones_like(w), np.zeros_like(x)))[1]
    np.testing.assert_allclose(np.asarray(t_out),
                               np.asarray(irax.jvp(loss, (w, x), (np.ones_like(w),
                                                                  np.zeros_like(x)))[1]))
    second = irax.grad(irax.grad(lambda a: jitted(w * a, x)))(1.0)
    np.testing.assert_allclose(float(second),
                               float(irax.grad(irax.grad(lambda a: loss(w * a, x)))(1.0)),
                               rtol=1e-10)
