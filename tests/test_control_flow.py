"""lax.cond / switch / while_loop / fori_loop / scan / map / checkpoint: values against
Python loops, derivatives against finite differences (check_grads, order 2), vmap
against a loop of calls, everything also under jit, and the errors users get."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, jit, lax, vmap
from irax.test_util import check_grads

rng = np.random.RandomState(0)


def both(fun):
    """`fun` eagerly and compiled: the two results must agree."""
    return [fun, jit(fun)]


def assert_trees_close(got, want, rtol=1e-6, atol=1e-6):
    got_leaves = irax.tree_util.tree_leaves(got)
    want_leaves = irax.tree_util.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=atol)


# ---- cond and switch --------------------------------------------------------------

def branchy(x):
    return lax.cond(x[0] > 0, lambda v: jnp.sin(v) * v, lambda v: jnp.cos(v) - v, x)


def branchy_python(x):
    return np.sin(x) * x if x[0] > 0 else np.cos(x) - x


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_takes_the_branch_of_the_predicate(sign):
    x = sign * np.array([0.5, 1.5, -2.0], np.float32)
    for f in both(branchy):
        np.testing.assert_allclose(np.asarray(f(x)), branchy_python(x), rtol=1e-6)


def test_cond_pytrees_closures_and_integer_predicates():
    w = jnp.array([2.0, 3.0])

    def f(p, x):
        return lax.cond(p, lambda d: {"a": d["a"] * w, "b": d["b"]},
                        lambda d: {"a": d["a"] + w, "b": -d["b"]}, {"a": x, "b": 1})
    for g in both(f):
        out = g(3, jnp.ones(2))  # nonzero int: true
        np.testing.assert_allclose(np.asarray(out["a"]), [2.0, 3.0])
        assert int(out["b"]) == 1
        out = g(0, jnp.ones(2))
        np.testing.assert_allclose(np.asarray(out["a"]), [3.0, 4.0])
        assert int(out["b"]) == -1


def test_cond_joins_weak_types_like_jax():
    out = lax.cond(True, lambda: jnp.float32(1.0), lambda: 2.0)
    assert out.dtype == np.float32 and not out.weak_type
    out = lax.cond(True, lambda: 1.0, lambda: 2.0)
    assert out.weak_type


@pytest.mark.parametrize("index,expected", [(-3, 0), (0, 0), (1, 1), (2, 2), (7, 2)])
def test_switch_clamps_its_index(index, expected):
    branches = [jnp.sin, jnp.cos, jnp.tan]
    x = np.array([0.3, -0.4], np.float32)
    want = [np.sin, np.cos, np.tan][expected](x)
    for f in both(lambda i, v: lax.switch(i, branches, v)):
        np.testing.assert_allclose(np.asarray(f(index, x)), want, rtol=1e-6)


def test_cond_and_switch_grads_match_finite_differences(x64):
    for x in (np.array([0.5, 1.5, -2.0]), np.array([-0.5, 1.5, -2.0])):
        check_grads(branchy, (x,), order=2, modes=("fwd", "rev"))
        check_grads(jit(branchy), (x,), order=2, modes=("fwd", "rev"))
    f = lambda i, x: lax.switch(i, [lambda v: v ** 3, jnp.sin, lambda v: v * x[0]], x)
    for i in range(3):
        check_grads(lambda x, i=i: f(i, x), (np.array([0.7, -1.2]),), order=2,
                    modes=("fwd", "rev"))


def test_cond_with_a_closed_over_differentiated_value(x64):
    def f(w):  # the branches close over `w`, which grad traces
        return lax.cond(w > 0, lambda: jnp.sin(w) * w, lambda: w ** 2)
    np.testing.assert_allclose(float(grad(f)(0.8)), np.cos(0.8) * 0.8 + np.sin(0.8))
    np.testing.assert_allclose(float(grad(f)(-0.8)), -1.6)
    check_grads(f, (0.8,), order=2)


def test_vmap_of_cond_with_a_batched_predicate_selects(x64):
    xs = rng.randn(5, 3)
    want = np.stack([branchy_python(x) for x in xs])
    for f in (vmap(branchy), jit(vmap(branchy))):
        np.testing.assert_allclose(np.asarray(f(xs)), want, rtol=1e-12)
    # an unbatched predicate stays a cond
    f = vmap(lambda x, p: lax.cond(p, jnp.sin, jnp.cos, x), in_axes=(0, None))
    np.testing.assert_allclose(np.asarray(f(xs, True)), np.sin(xs))
    graph = irax.make_graph(f)(xs, True)
    assert "cond" in str(graph) and "select_n" not in str(graph)
    per_example = vmap(grad(lambda x: jnp.sum(branchy(x))))(xs)
    np.testing.assert_allclose(np.asarray(per_example),
                               np.stack([np.asarray(grad(lambda x: jnp.sum(branchy(x)))(x))
                                         for x in xs]))


def test_cond_errors_name_the_problem():
    with pytest.raises(TypeError, match="identical types") as err:
        lax.cond(True, lambda x: x, lambda x: (x, x), 1.0)
    assert "f32[]" in str(err.value)
    with pytest.raises(TypeError, match="identical types"):
        lax.cond(True, lambda x: x, lambda x: x.astype(jnp.int32), jnp.ones(2))
    with pytest.raises(TypeError, match="scalar"):
        lax.cond(jnp.ones(2) > 0, lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="boolean or integer"):
        lax.cond(1.5, lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="integer"):
        lax.switch(1.0, [lambda: 1.0, lambda: 2.0])
    with pytest.raises(irax.ConcretizationTypeError, match="lax.cond"):
        jit(lambda x: lax.cond(True, lambda v: v if v > 0 else -v, lambda v: v, x))(1.0)


# ---- while_loop and fori_loop -----------------------------------------------------

def collatz_steps(n):
    def body(c):
        k, steps = c
        return jnp.where(k % 2 == 0, k // 2, 3 * k + 1), steps + 1
    return lax.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]


def collatz_python(n):
    steps = 0
    while n != 1:
        n, steps = (n // 2 if n % 2 == 0 else 3 * n + 1), steps + 1
    return steps


def test_while_loop_runs_a_data_dependent_trip_count():
    for n in (1, 6, 27):
        for f in both(collatz_steps):
            assert int(f(n)) == collatz_python(n)


def test_vmap_of_while_with_a_batched_predicate_runs_each_member_to_its_end():
    ns = np.array([1, 6, 7, 27, 97])
    want = [collatz_python(int(n)) for n in ns]
    for f in (vmap(collatz_steps), jit(vmap(collatz_steps))):
        np.testing.assert_array_equal(np.asarray(f(ns)), want)


def power_loop(x):
    return lax.while_loop(lambda c: c[0] < 4,
                          lambda c: (c[0] + 1, c[1] * x + jnp.sin(c[1])), (0, x))[1]


def test_while_loop_is_forward_differentiable(x64):
    check_grads(power_loop, (np.array([0.9, -0.4]),), order=2, modes=("fwd",))
    check_grads(jit(power_loop), (np.array([0.9, -0.4]),), order=1, modes=("fwd",))
    jac = irax.jacfwd(power_loop)(np.array([0.9, -0.4]))
    eps = 1e-6
    for i in range(2):
        step = np.eye(2)[i] * eps
        column = (np.asarray(power_loop(np.array([0.9, -0.4]) + step))
                  - np.asarray(power_loop(np.array([0.9, -0.4]) - step))) / (2 * eps)
        np.testing.assert_allclose(np.asarray(jac)[:, i], column, rtol=1e-6, atol=1e-8)


def test_while_loop_in_reverse_mode_raises_jax_error():
    for f in (power_loop, jit(power_loop)):
        with pytest.raises(ValueError, match="Reverse-mode differentiation does not work "
                                             "for lax.while_loop"):
            grad(lambda x, f=f: jnp.sum(f(x)))(np.array([0.9, -0.4], np.float32))


def test_while_loop_errors_show_both_types():
    with pytest.raises(TypeError, match="identical types") as err:
        lax.while_loop(lambda c: c < 3, lambda c: (c, c), 0)
    assert "input" in str(err.value) and "output" in str(err.value)
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c + 1, 0.0)


def test_while_loop_weak_carry_made_strong_by_the_body():
    out = lax.while_loop(lambda c: c < 3.0, lambda c: c + jnp.float32(1.0), 0.0)
    assert out.dtype == np.float32 and not out.weak_type and float(out) == 3.0


def test_fori_loop_with_static_bounds_is_a_differentiable_scan(x64):
    f = lambda x: lax.fori_loop(0, 5, lambda i, v: v * x + i, x)

    def f_python(x):
        v = x
        for i in range(5):
            v = v * x + i
        return v
    assert "scan" in str(irax.make_graph(f)(0.7))
    for g in both(f):
        np.testing.assert_allclose(float(g(0.7)), f_python(0.7))
    check_grads(f, (0.7,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(float(lax.fori_loop(3, 1, lambda i, v: v + 1.0, 0.0)), 0.0)


def test_fori_loop_with_traced_bounds_is_a_while_loop():
    f = jit(lambda n, x: lax.fori_loop(0, n, lambda i, v: v + i * x, x))
    assert "while" in str(irax.make_graph(lambda n, x: lax.fori_loop(
        0, n, lambda i, v: v + i * x, x))(4, 1.0))
    np.testing.assert_allclose(float(f(4, 2.0)), 2.0 + 2.0 * 6)
    np.testing.assert_allclose(float(f(0, 2.0)), 2.0)


# ---- scan and map -----------------------------------------------------------------

def rnn_step(carry, x):
    h, total = carry
    h = jnp.tanh(h * x["a"] + x["b"])
    return (h, total + jnp.sum(h)), h * 2.0


def rnn_python(h, xs):
    total, ys = 0.0, []
    for a, b in zip(xs["a"], xs["b"]):
        h = np.tanh(h * a + b)
        total += np.sum(h)
        ys.append(h * 2.0)
    return (h, total), np.stack(ys)


@pytest.mark.parametrize("unroll", [1, 2, 3, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_a_python_loop(unroll, reverse):
    xs = {"a": rng.randn(5, 3).astype(np.float32), "b": rng.randn(5, 3).astype(np.float32)}
    h0 = rng.randn(3).astype(np.float32)
    order = slice(None, None, -1) if reverse else slice(None)
    (h, total), ys = rnn_python(h0, {k: v[order] for k, v in xs.items()})
    want = ((h, total), ys[order])
    f = lambda h0, xs: lax.scan(rnn_step, (h0, 0.0), xs, reverse=reverse, unroll=unroll)
    for g in both(f):
        assert_trees_close(g(h0, xs), want, rtol=1e-5)


def test_scan_without_xs_and_without_ys():
    f = lambda c: lax.scan(lambda c, _: (c * 2.0, None), c, None, length=4)
    for g in both(f):
        carry, ys = g(1.5)
        assert ys is None and float(carry) == 24.0
    carry, ys = lax.scan(lambda c, x: (c + x, ()), jnp.ones(2), jnp.zeros((0, 2)))
    np.testing.assert_array_equal(np.asarray(carry), np.ones(2))
    assert ys == ()


def test_scan_with_zero_length_compiles():
    f = jit(lambda c, xs: lax.scan(lambda c, x: (c + x, c * x), c, xs))
    carry, ys = f(jnp.ones(3), jnp.zeros((0, 3)))
    np.testing.assert_array_equal(np.asarray(carry), np.ones(3))
    assert ys.shape == (0, 3)


def test_scan_grads_match_finite_differences(x64):
    xs = {"a": rng.randn(4, 3), "b": rng.randn(4, 3)}
    h0 = rng.randn(3)

    def loss(h0, xs):
        (h, total), ys = lax.scan(rnn_step, (h0, 0.0), xs)
        return jnp.sum(h ** 2) + total + jnp.sum(ys * ys)
    check_grads(loss, (h0, xs), order=2, modes=("fwd", "rev"))
    check_grads(jit(loss), (h0, xs), order=1, modes=("fwd", "rev"))
    want = grad(lambda h0, xs: loss(h0, xs), argnums=(0, 1))(h0, xs)
    assert_trees_close(jit(grad(loss, argnums=(0, 1)))(h0, xs), want, 1e-10, 1e-10)


def test_scan_grad_with_respect_to_a_closed_over_weight(x64):
    xs = rng.randn(6, 2)

    def loss(w):
        c, ys = lax.scan(lambda c, x: (jnp.tanh(c * w + x), c), jnp.ones(2), xs)
        return jnp.sum(c) + jnp.sum(ys ** 2)

    def loss_python(w):
        c, total = np.ones(2), 0.0
        for x in xs:
            total += np.sum(c ** 2)
            c = np.tanh(c * w + x)
        return np.sum(c) + total
    np.testing.assert_allclose(float(loss(0.6)), loss_python(0.6))
    check_grads(loss, (0.6,), order=2, modes=("fwd", "rev"))


def test_vmap_of_scan_matches_a_loop(x64):
    xs = {"a": rng.randn(3, 4, 2), "b": rng.randn(3, 4, 2)}  # batch of 3, length 4
    h0 = rng.randn(2)
    f = lambda h0, xs: lax.scan(rnn_step, (h0, 0.0), xs)
    want = [f(h0, {k: v[i] for k, v in xs.items()}) for i in range(3)]
    stacked = irax.tree_util.tree_map(lambda *v: np.stack([np.asarray(a) for a in v]), *want)
    for g in (vmap(f, in_axes=(None, 0)), jit(vmap(f, in_axes=(None, 0)))):
        assert_trees_close(g(h0, xs), stacked, 1e-12, 1e-12)
    # batched along axis 1 of xs, and the carry batched only
    xs_t = {k: np.moveaxis(v, 0, 1) for k, v in xs.items()}
    assert_trees_close(vmap(f, in_axes=(None, 1))(h0, xs_t), stacked, 1e-12, 1e-12)
    h0s = rng.randn(3, 2)
    one = {k: v[0] for k, v in xs.items()}
    want = [f(h, one) for h in h0s]
    stacked = irax.tree_util.tree_map(lambda *v: np.stack([np.asarray(a) for a in v]), *want)
    assert_trees_close(vmap(f, in_axes=(0, None))(h0s, one), stacked, 1e-12, 1e-12)


def test_per_example_grads_of_a_scan(x64):
    xs = rng.randn(4, 5)

    def loss(w, x):
        c, ys = lax.scan(lambda c, xi: (jnp.tanh(c * w + xi), c * c), 0.5, x)
        return c + jnp.sum(ys)
    want = np.array([float(grad(loss)(0.7, x)) for x in xs])
    for f in (vmap(grad(loss), in_axes=(None, 0)), jit(vmap(grad(loss), in_axes=(None, 0)))):
        np.testing.assert_allclose(np.asarray(f(0.7, xs)), want, rtol=1e-12)
    hess = irax.hessian(lambda x: loss(0.7, x))(xs[0])
    h = 1e-5
    column = (np.asarray(grad(loss, argnums=1)(0.7, xs[0] + h * np.eye(5)[2]))
              - np.asarray(grad(loss, argnums=1)(0.7, xs[0] - h * np.eye(5)[2]))) / (2 * h)
    np.testing.assert_allclose(np.asarray(hess)[:, 2], column, rtol=1e-6, atol=1e-8)


def test_scan_errors_show_both_types():
    with pytest.raises(TypeError, match="carry input and carry output") as err:
        lax.scan(lambda c, x: ((c, c), x), 0.0, jnp.ones(3))
    assert "input" in str(err.value) and "output" in str(err.value)
    with pytest.raises(TypeError, match="carry input and carry output"):
        lax.scan(lambda c, x: (c.astype(jnp.int32), x), jnp.zeros(2), jnp.ones((3, 2)))
    with pytest.raises(ValueError, match="different leading axis sizes"):
        lax.scan(lambda c, x: (c, x), 0.0, (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(ValueError, match="length"):
        lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(TypeError, match="pair"):
        lax.scan(lambda c, x: c, 0.0, jnp.ones(3))
    with pytest.raises(irax.ConcretizationTypeError, match="lax.cond"):
        lax.scan(lambda c, x: (c + 1.0 if x > 0 else c, x), 0.0, jnp.ones(3))


def test_map_matches_a_loop_with_and_without_batches():
    xs = rng.randn(7, 3).astype(np.float32)
    f = lambda x: {"s": jnp.sum(jnp.sin(x)), "v": x * 2.0}
    want = {"s": np.sin(xs).sum(1), "v": xs * 2.0}
    for g in both(lambda xs: lax.map(f, xs)):
        assert_trees_close(g(xs), want, 1e-5, 1e-6)
    for size in (2, 3, 7):
        assert_trees_close(lax.map(f, xs, batch_size=size), want, 1e-5, 1e-6)


# ---- checkpoint -------------------------------------------------------------------

def test_checkpoint_keeps_values_and_derivatives(x64):
    f = lambda x: jnp.sin(jnp.sin(x)) * x
    g = irax.checkpoint(f)
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(np.asarray(g(x)), np.asarray(f(x)))
    check_grads(g, (x,), order=2, modes=("fwd", "rev"))
    for h in (grad(lambda x: jnp.sum(g(x))), jit(grad(lambda x: jnp.sum(g(x))))):
        np.testing.assert_allclose(np.asarray(h(x)),
                                   np.asarray(grad(lambda x: jnp.sum(f(x)))(x)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(vmap(g)(np.stack([x, 2 * x]))[1]),
                               np.asarray(f(2 * x)))


def test_checkpoint_recomputes_in_the_backward_pass():
    g = irax.checkpoint(lambda x: jnp.sin(jnp.sin(x)))
    # the linearized tape takes the checkpoint's input, not its intermediate values:
    _, f_vjp = irax.vjp(g, jnp.ones(3))
    graph = irax.make_graph(f_vjp)(jnp.ones(3))
    assert str(graph).count("sin") >= 2  # the primal is recomputed inside the transpose


def test_checkpoint_of_a_scan_body(x64):
    xs = rng.randn(6)
    step = irax.checkpoint(lambda c, x: (jnp.tanh(c * x) + c, c))
    loss = lambda c0: jnp.sum(lax.scan(step, c0, xs)[1])
    check_grads(loss, (0.4,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(float(jit(grad(loss))(0.4)), float(grad(loss)(0.4)),
                               rtol=1e-12)
    with pytest.raises(NotImplementedError, match="policy"):
        irax.checkpoint(jnp.sin, policy=object())


# ---- nesting, lowering, the benchmark program ---------------------------------------

def test_scan_in_cond_in_scan(x64):
    def nested(x):
        def outer(c, xi):
            c = lax.cond(xi > 0,
                         lambda c: lax.scan(lambda a, _: (a * 1.1 + xi, a), c, None, length=3)[0],
                         lambda c: c - xi, c)
            return c, c
        return jnp.sum(lax.scan(outer, 1.0, x)[1])

    def nested_python(x):
        c, total = 1.0, 0.0
        for xi in x:
            if xi > 0:
                for _ in range(3):
                    c = c * 1.1 + xi
            else:
                c = c - xi
            total += c
        return total
    x = np.array([0.5, -0.3, 0.8])
    for f in both(nested):
        np.testing.assert_allclose(float(f(x)), nested_python(x), rtol=1e-12)
    check_grads(nested, (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(np.asarray(jit(grad(nested))(x)), np.asarray(grad(nested)(x)),
                               rtol=1e-12)


def test_lowering_uses_stablehlo_case_and_while():
    text = jit(branchy).lower(jnp.ones(3)).as_text()
    assert "stablehlo.case" in text
    text = jit(lambda xs: lax.scan(lambda c, x: (c + x, c), 0.0, xs)).lower(jnp.ones(4)).as_text()
    assert "stablehlo.while" in text and "dynamic_update_slice" in text
    text = jit(collatz_steps).lower(6).as_text()
    assert "stablehlo.while" in text


def test_scan_rnn_benchmark_program_matches_a_python_loop():
    """The `scan_rnn` case of shared/bench/workloads.py, smaller: loss and grads of
    jit(value_and_grad(scan)) against a Python loop of the same steps."""
    r = np.random.RandomState(1)
    steps, batch, hidden, inputs = 7, 3, 8, 5
    Wh = (0.9 * r.standard_normal((hidden, hidden)) / hidden ** 0.5).astype(np.float32)
    Wx = (r.standard_normal((inputs, hidden)) / inputs ** 0.5).astype(np.float32)
    b = np.zeros(hidden, np.float32)
    xs = r.standard_normal((steps, batch, inputs)).astype(np.float32)
    h0 = np.zeros((batch, hidden), np.float32)

    def loss(params, xs, h0):
        Wh, Wx, b = params

        def step(h, x):
            h = jnp.tanh(jnp.dot(h, Wh) + jnp.dot(x, Wx) + b)
            return h, h
        _, hs = lax.scan(step, h0, xs)
        return jnp.sum(hs ** 2)

    def loss_loop(params, xs, h0):
        Wh, Wx, b = params
        h, total = h0, 0.0
        for t in range(steps):
            h = jnp.tanh(jnp.dot(h, Wh) + jnp.dot(xs[t], Wx) + b)
            total = total + jnp.sum(h ** 2)
        return total

    value, grads = jit(irax.value_and_grad(loss))((Wh, Wx, b), xs, h0)
    want_value, want_grads = irax.value_and_grad(loss_loop)((Wh, Wx, b), xs, h0)
    np.testing.assert_allclose(float(value), float(want_value), rtol=1e-5)
    assert_trees_close(grads, want_grads, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("length,unroll", [(16, 1), (17, 1), (36, 3), (23, 2)])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_writing_stacked_outputs_chunk_wise(monkeypatch, length, unroll, reverse):
    from irax.mlir_lowering import control_flow as lowering
    monkeypatch.setattr(lowering, "_CHUNKED_BYTES", 0)  # chunk even these small outputs
    assert lowering._chunk_size(length, [jnp.zeros(2).aval], unroll) is not None
    xs = rng.randn(length, 2).astype(np.float32)
    f = lambda c, xs: lax.scan(lambda c, x: (c * 0.9 + x, (c * x, jnp.sum(c))), c, xs,
                               reverse=reverse, unroll=unroll)
    text = jit(f).lower(jnp.ones(2), xs).as_text()
    assert text.count("stablehlo.while") >= 2  # chunks of steps inside a loop over chunks
    assert_trees_close(jit(f)(jnp.ones(2), xs), f(jnp.ones(2), xs), 1e-5, 1e-5)


def test_associative_scan_matches_cumulative_ops_under_every_transform(x64):
    x = rng.randn(7, 3)
    for f in both(lambda v: lax.associative_scan(jnp.add, v)):
        np.testing.assert_allclose(np.asarray(f(x)), np.cumsum(x, 0), rtol=1e-12)
    prod = lambda v: lax.associative_scan(jnp.multiply, v, reverse=True, axis=1)
    np.testing.assert_allclose(np.asarray(jit(prod)(x)), np.cumprod(x[:, ::-1], 1)[:, ::-1],
                               rtol=1e-12)
    check_grads(prod, (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(np.asarray(vmap(prod)(np.stack([x, 2 * x]))[1]),
                               np.asarray(prod(2 * x)), rtol=1e-12)

    def linear_recurrence(a, b):  # h_t = a_t h_{t-1} + b_t, as a pytree scan
        return lax.associative_scan(lambda l, r: (l[0] * r[0], r[0] * l[1] + r[1]), (a, b))[1]
    a, b = rng.rand(9), rng.randn(9)
    h, want = 0.0, []
    for at, bt in zip(a, b):
        h = at * h + bt
        want.append(h)
    np.testing.assert_allclose(np.asarray(jit(linear_recurrence)(a, b)), want, rtol=1e-12)
