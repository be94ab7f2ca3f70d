"""vmap: JAX's API semantics, composition with grad/jit/itself, and errors; every
result is compared with a Python loop over the batch."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import grad, jit, vmap
from primitive_cases import DIFFERENTIABLE, NON_DIFFERENTIABLE

rng = np.random.RandomState(0)


def loop(f, xs, axis=0):
    return np.stack([np.asarray(f(x)) for x in np.moveaxis(np.asarray(xs), axis, 0)])


def test_in_axes_and_out_axes():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal(4).astype(np.float32)
    f = lambda a, b: jnp.sin(a) * b
    np.testing.assert_allclose(np.asarray(vmap(f, in_axes=(0, None))(x, w)),
                               loop(lambda a: f(a, w), x), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(vmap(f, in_axes=(1, 0))(x, jnp.asarray(x[0]))),
                               np.stack([np.asarray(f(x[:, i], x[0, i])) for i in range(4)]),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(vmap(f, in_axes=(-1, None), out_axes=1)(x, 2.0)),
                               loop(lambda a: f(a, 2.0), x, axis=1).T, rtol=1e-6)
    out = vmap(lambda a: (a * 2.0, 5.0), out_axes=(0, None))(x)
    assert float(out[1]) == 5.0
    bcast = vmap(lambda a: jnp.ones(2), in_axes=None, axis_size=3)(x)
    assert bcast.shape == (3, 2)


def test_pytree_in_axes_prefix():
    params = {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    xs = rng.standard_normal((5, 2))
    f = lambda p, x: jnp.tanh(x @ p["w"] + p["b"])
    got = vmap(f, in_axes=({"w": None, "b": None}, 0))(params, xs)
    np.testing.assert_allclose(np.asarray(got), loop(lambda x: f(params, x), xs), rtol=1e-6)
    got = vmap(f, in_axes=(None, 0))(params, xs)
    np.testing.assert_allclose(np.asarray(got), loop(lambda x: f(params, x), xs), rtol=1e-6)


def test_nested_vmap_and_vmap_of_grad_of_vmap():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    f = lambda v: jnp.sin(v) * jnp.cos(v)
    got = vmap(vmap(f, in_axes=0), in_axes=1)(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(f(x)).T, rtol=1e-6)
    g = vmap(grad(lambda v: jnp.sum(vmap(jnp.sin)(v) ** 2)))
    expected = 2 * np.sin(x) * np.cos(x)
    np.testing.assert_allclose(np.asarray(g(x)), expected, rtol=1e-5)


def test_per_example_gradients_match_a_loop_and_compile():
    def predict(params, x):
        for w, b in params:
            x = jnp.tanh(x @ w + b)
        return x

    def loss(params, x, y):
        return jnp.sum((predict(params, x) - y) ** 2)

    params = [(rng.standard_normal((4, 3)).astype(np.float32),
               rng.standard_normal(3).astype(np.float32)),
              (rng.standard_normal((3, 2)).astype(np.float32),
               rng.standard_normal(2).astype(np.float32))]
    xs = rng.standard_normal((6, 4)).astype(np.float32)
    ys = rng.standard_normal((6, 2)).astype(np.float32)
    for mapped in (vmap(grad(loss), in_axes=(None, 0, 0)),
                   jit(vmap(grad(loss), in_axes=(None, 0, 0)))):
        got = mapped(params, xs, ys)
        for i in range(6):
            want = grad(loss)(params, xs[i], ys[i])
            for g, w in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(want)):
                np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), rtol=2e-5,
                                           atol=1e-6)


def test_errors_are_clear():
    x, y = jnp.ones((3, 2)), jnp.ones((4, 2))
    with pytest.raises(ValueError, match=r"(?s)inconsistent sizes.*size 3.*size 4"):
        vmap(lambda a, b: a + b)(x, y)
    with pytest.raises(ValueError, match="axis 2"):
        vmap(lambda a: a, in_axes=2)(x)
    with pytest.raises(ValueError, match="in_axes"):
        vmap(lambda a, b: a, in_axes=(0, 0, 0))(x, x)
    with pytest.raises(ValueError, match="axis_size"):
        vmap(lambda a: a, in_axes=None)(x)
    with pytest.raises(ValueError, match="arrays"):
        vmap(lambda a: a)("text")


ELEMENTWISE = [n for n in sorted({**DIFFERENTIABLE, **NON_DIFFERENTIABLE})
               if n in irax.core.primitives.elementwise.UNARY or
               n in irax.core.primitives.elementwise.BINARY]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_primitives_match_a_loop(name):
    fun, args = {**DIFFERENTIABLE, **NON_DIFFERENTIABLE}[name]
    args = [np.asarray(a) for a in args]
    batched = [np.stack([a, a[::-1] if a.ndim else a, a]) for a in args]
    for in_axes in [0, tuple(0 if i == 0 else None for i in range(len(args)))]:
        axes = (in_axes,) * len(args) if isinstance(in_axes, int) else in_axes
        inputs = [b if ax == 0 else a for a, b, ax in zip(args, batched, axes)]
        got = vmap(fun, in_axes=axes)(*inputs)
        want = np.stack([np.asarray(fun(*[b[i] if ax == 0 else a for a, b, ax in
                                          zip(args, batched, axes)])) for i in range(3)])
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=name)


def test_collectives_over_a_named_axis():
    from irax import lax
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(np.asarray(vmap(lambda v: v / lax.psum(v, "i"),
                                               axis_name="i")(x)), x / x.sum())
    np.testing.assert_allclose(np.asarray(vmap(lambda v: lax.pmean(v, "i"), axis_name="i")(x)),
                               np.full(4, x.mean()))
    np.testing.assert_allclose(np.asarray(vmap(lambda v: lax.pmax(v, "i") - lax.pmin(v, "i"),
                                               axis_name="i")(x)), np.full(4, 3.0))
    np.testing.assert_array_equal(np.asarray(vmap(lambda v: lax.axis_index("i"),
                                                  axis_name="i")(x)), [0, 1, 2, 3])
    gathered = vmap(lambda v: lax.all_gather(v, "i", axis_size=4), axis_name="i")(x)
    np.testing.assert_array_equal(np.asarray(gathered), np.tile(x, (4, 1)))
    nested = vmap(vmap(lambda v: lax.psum(v, "outer"), axis_name="inner"),
                  axis_name="outer")(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(nested), [[3, 5, 7], [3, 5, 7]])
    with pytest.raises(NameError, match="unbound axis name"):
        lax.psum(x, "i")


def test_collective_derivatives_follow_jax(x64):
    from irax import lax
    x = np.array([1.0, 2.0, 3.0, 4.0])
    outer = grad(lambda x: jnp.sum(vmap(lambda v: v * lax.psum(v, "i"), axis_name="i")(x)))
    np.testing.assert_allclose(np.asarray(outer(x)), np.full(4, 2 * x.sum()))
    inner = vmap(grad(lambda u: lax.psum(u * u, "i")), axis_name="i")
    np.testing.assert_allclose(np.asarray(inner(x)), 2 * x * 4)   # psum's transpose is psum
    top = grad(lambda x: jnp.sum(vmap(lambda v: lax.pmax(v, "i"), axis_name="i")(x)))
    np.testing.assert_allclose(np.asarray(top(x)), [0, 0, 0, 4])


def test_every_primitive_has_a_batching_rule():
    from irax.core.primitive import REGISTRY
    from irax.transforms.batching import BATCH_RULES
    from irax.transforms.rules.collectives import COLLECTIVE_REDUCERS
    never_batched = {"iota", "axis_index",   # no operands
                     "custom_lin"}           # transposed only, never evaluated forward
    handled_by_the_trace = {p.name for p in COLLECTIVE_REDUCERS} | {"all_gather"}
    missing = {name for name, prim in REGISTRY.items() if prim not in BATCH_RULES}
    assert missing <= never_batched | handled_by_the_trace, sorted(missing)


@pytest.mark.parametrize("name", sorted(n for n, (_, a) in {**DIFFERENTIABLE,
                                                             **NON_DIFFERENTIABLE}.items() if a))
def test_every_primitive_sample_matches_a_loop(name):
    fun, args = {**DIFFERENTIABLE, **NON_DIFFERENTIABLE}[name]
    args = [np.asarray(a) for a in args]
    stacked = [np.stack([a, a, a]) for a in args]
    got = vmap(fun)(*stacked)
    want = fun(*args)
    got = got if isinstance(got, (list, tuple)) else [got]
    want = want if isinstance(want, (list, tuple)) else [want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.stack([np.asarray(w)] * 3), rtol=1e-6,
                                   err_msg=name)
