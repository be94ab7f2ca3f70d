"""irax.example_libraries.optimizers: every optimizer against a NumPy implementation of
its update formula over several steps on a pytree (float64), the jitted update against
eager, schedules against closed forms, pack/unpack round trips, clip_grads and l2_norm
against NumPy, and each optimizer minimising a quadratic."""
import math
import pickle

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import tree_util
from irax.example_libraries import optimizers as opt

# ---------------------------------------------------------------------------------
# NumPy references: each optimizer's state as a tuple of float64 arrays, its update
# written from the published formula.


def _sched_piecewise(i):
    return 0.3 if i <= 1 else 0.1


def _sched_exponential(i):
    return 0.2 * 0.5 ** (i / 3)


def _np_sgd(lr):
    return (lambda x: (x,),
            lambda i, g, s: (s[0] - lr(i) * g,))


def _np_momentum(lr, mass, nesterov):
    def update(i, g, s):
        x, v = s
        v = mass * v + g
        step = mass * v + g if nesterov else v
        return x - lr(i) * step, v
    return (lambda x: (x, np.zeros_like(x))), update


def _np_adagrad(lr, mom):
    def update(i, g, s):
        x, g_sq, m = s
        g_sq = g_sq + g * g
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(g_sq > 0, g / np.sqrt(g_sq), 0.0)
        m = (1 - mom) * scaled + mom * m
        return x - lr(i) * m, g_sq, m
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x))), update


def _np_rmsprop(lr, gamma, eps):
    def update(i, g, s):
        x, a = s
        a = gamma * a + (1 - gamma) * g * g
        return x - lr(i) * g / np.sqrt(a + eps), a
    return (lambda x: (x, np.zeros_like(x))), update


def _np_rmsprop_momentum(lr, gamma, eps, mom):
    def update(i, g, s):
        x, a, m = s
        a = gamma * a + (1 - gamma) * g * g
        m = mom * m + lr(i) * g / np.sqrt(a + eps)
        return x - m, a, m
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x))), update


def _np_adam(lr, b1, b2, eps):
    def update(i, g, s):
        x, m, v = s
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** (i + 1)), v / (1 - b2 ** (i + 1))
        return x - lr(i) * mhat / (np.sqrt(vhat) + eps), m, v
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x))), update


def _np_adamax(lr, b1, b2, eps):
    def update(i, g, s):
        x, m, u = s
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        return x - lr(i) / (1 - b1 ** (i + 1)) * m / (u + eps), m, u
    return (lambda x: (x, np.zeros_like(x), np.zeros_like(x))), update


def _np_sm3(lr, mom):
    """SM3 with explicit loops over the entries: accumulator per (axis, index)."""
    def init(x):
        x1 = np.atleast_1d(x).copy()
        return x1, np.zeros_like(x1), [np.zeros(n) for n in x1.shape]

    def update(i, g, s):
        x, m, vs = s
        g = np.reshape(g, x.shape)
        accum = np.empty_like(x)
        for idx in np.ndindex(*x.shape):
            accum[idx] = min(v[j] for v, j in zip(vs, idx)) + g[idx] ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(accum > 0, g / np.sqrt(accum), 0.0)
        m = (1 - mom) * scaled + mom * m
        new_vs = [np.zeros(n) for n in x.shape]
        for idx in np.ndindex(*x.shape):
            for k, j in enumerate(idx):
                new_vs[k][j] = max(new_vs[k][j], accum[idx])
        return x - lr(i) * m, m, new_vs
    return init, update


# name -> (irax optimizer, NumPy reference); step sizes include schedules.
CASES = {
    "sgd": (lambda: opt.sgd(0.1), lambda: _np_sgd(lambda i: 0.1)),
    "sgd_schedule": (lambda: opt.sgd(opt.piecewise_constant([1], [0.3, 0.1])),
                     lambda: _np_sgd(_sched_piecewise)),
    "momentum": (lambda: opt.momentum(opt.exponential_decay(0.2, 3, 0.5), 0.8),
                 lambda: _np_momentum(_sched_exponential, 0.8, nesterov=False)),
    "nesterov": (lambda: opt.nesterov(0.05, 0.7),
                 lambda: _np_momentum(lambda i: 0.05, 0.7, nesterov=True)),
    "adagrad": (lambda: opt.adagrad(0.3, momentum=0.6),
                lambda: _np_adagrad(lambda i: 0.3, 0.6)),
    "rmsprop": (lambda: opt.rmsprop(0.01, gamma=0.8, eps=1e-3),
                lambda: _np_rmsprop(lambda i: 0.01, 0.8, 1e-3)),
    "rmsprop_momentum": (lambda: opt.rmsprop_momentum(0.01, 0.85, 1e-4, 0.7),
                         lambda: _np_rmsprop_momentum(lambda i: 0.01, 0.85, 1e-4, 0.7)),
    "adam": (lambda: opt.adam(opt.exponential_decay(0.2, 3, 0.5), 0.8, 0.95, 1e-6),
             lambda: _np_adam(_sched_exponential, 0.8, 0.95, 1e-6)),
    "adamax": (lambda: opt.adamax(0.02, 0.85, 0.99, 1e-5),
               lambda: _np_adamax(lambda i: 0.02, 0.85, 0.99, 1e-5)),
    "sm3": (lambda: opt.sm3(0.1, momentum=0.5), lambda: _np_sm3(lambda i: 0.1, 0.5)),
}

STEPS = 4


def _params_np(rng):
    """A pytree of every container kind and rank 0 to 3; one gradient entry is 0."""
    return {"dense": (rng.normal(size=(3, 2)), [rng.normal(size=(4,))]),
            "scalar": np.float64(rng.normal()),
            "conv": rng.normal(size=(2, 3, 2))}


def _grads_np(rng, step):
    g = _params_np(rng)
    if step == 0:
        g["dense"][0][0, 0] = 0.0      # Adagrad's and SM3's 0/0 branch
    return g


def _to_irax(tree):
    return tree_util.tree_map(jnp.asarray, tree)


def _run_numpy(np_opt, params, grads):
    init, update = np_opt
    leaves, treedef = tree_util.tree_flatten(params)
    states = [init(x) for x in leaves]
    for i, g in enumerate(grads):
        states = [update(i, gl, s) for gl, s in zip(tree_util.tree_leaves(g), states)]
    return tree_util.tree_unflatten(treedef, [np.reshape(s[0], np.shape(x))
                                              for s, x in zip(states, leaves)])


def _assert_trees_close(actual, expected, rtol, atol=0.0):
    a_leaves, a_tree = tree_util.tree_flatten(actual)
    e_leaves, e_tree = tree_util.tree_flatten(expected)
    assert a_tree == e_tree
    for a, e in zip(a_leaves, e_leaves):
        assert np.shape(a) == np.shape(e)
        np.testing.assert_allclose(np.asarray(a), e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimizer_matches_numpy_eager_and_jitted(name, x64):
    make, make_np = CASES[name]
    rng = np.random.default_rng(sorted(CASES).index(name))
    params = _params_np(rng)
    grads = [_grads_np(rng, i) for i in range(STEPS)]
    expected = _run_numpy(make_np(), params, grads)

    init, update, get_params = make()
    jitted = irax.jit(lambda i, g, s: update(i, g, s))
    eager_state = jit_state = init(_to_irax(params))
    assert tree_util.tree_structure(get_params(eager_state)) == tree_util.tree_structure(params)
    for i, g in enumerate(grads):
        eager_state = update(i, _to_irax(g), eager_state)
        jit_state = jitted(i, _to_irax(g), jit_state)
        _assert_trees_close(get_params(jit_state), get_params(eager_state), rtol=1e-12,
                            atol=1e-15)
    result = get_params(eager_state)
    _assert_trees_close(result, expected, rtol=1e-12, atol=1e-15)
    assert all(leaf.dtype == np.float64 for leaf in tree_util.tree_leaves(result))
    assert np.shape(result["scalar"]) == ()


@pytest.mark.parametrize("make", [lambda: opt.adam(0.25, b1=0.9, b2=0.999, eps=0.0),
                                  lambda: opt.adamax(0.25, b1=0.9, b2=0.999, eps=0.0)])
def test_adam_first_step_is_the_step_size_times_the_gradient_sign(make):
    """Closed form: bias correction makes the first step exactly -step_size * sign(g)
    (here in float32, where 1 - 0.999 loses four digits unless computed with care)."""
    init, update, get_params = make()
    g = jnp.asarray([3e-3, -40.0, 1e4], jnp.float32)
    x = get_params(update(0, g, init(jnp.zeros(3, jnp.float32))))
    np.testing.assert_allclose(x, -0.25 * np.sign(np.asarray(g)), rtol=1e-6)


def test_float32_parameters_stay_float32():
    for name in ("adam", "adamax", "sm3", "momentum"):
        init, update, get_params = CASES[name][0]()
        state = update(3, [jnp.ones((2, 2), jnp.float32)], init([jnp.zeros((2, 2),
                                                                           jnp.float32)]))
        (x,) = get_params(state)
        assert x.dtype == np.float32, name
        assert all(leaf.dtype == np.float32 for leaf in tree_util.tree_leaves(state)
                   if np.ndim(leaf)), name


# ---------------------------------------------------------------------------------
# The decorator, the state pytree and its errors


def test_optimizer_decorator_lifts_single_array_functions():
    @opt.optimizer
    def doubling(factor):
        """Doubles."""
        return (lambda x0: (x0, 0.0)), (lambda i, g, s: (s[0] + factor * g, s[1] + 1)), (
            lambda s: s[0])

    assert doubling.__name__ == "doubling" and doubling.__doc__ == "Doubles."
    triple = doubling(2.0)
    assert isinstance(triple, opt.Optimizer)
    assert triple._fields == ("init_fn", "update_fn", "params_fn")
    state = triple.init_fn({"a": 1.0, "b": (2.0, 3.0)})
    state = triple.update_fn(0, {"a": 1.0, "b": (10.0, 100.0)}, state)
    assert triple.params_fn(state) == {"a": 3.0, "b": (22.0, 203.0)}
    assert state.packed_state == ([3.0, 1.0], [22.0, 1.0], [203.0, 1.0])


def test_state_is_a_pytree_of_the_state_arrays():
    init, _, get_params = opt.adam(0.1)
    state = init({"w": jnp.ones((2, 3)), "b": jnp.zeros(3)})
    leaves, treedef = tree_util.tree_flatten(state)
    assert len(leaves) == 6               # x, m, v for each of 2 parameters
    doubled = tree_util.tree_unflatten(treedef, [2 * x for x in leaves])
    assert isinstance(doubled, opt.OptimizerState)
    np.testing.assert_array_equal(get_params(doubled)["w"], 2 * np.ones((2, 3)))
    paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(state)[0]]
    assert paths[0] == ".packed_state[0][0]"


def test_update_rejects_a_gradient_tree_of_another_structure():
    init, update, _ = opt.sgd(0.1)
    state = init({"w": jnp.ones(2), "b": jnp.ones(2)})
    with pytest.raises(TypeError, match="did not match the parameter tree"):
        update(0, {"w": jnp.ones(2)}, state)
    truncated = opt.OptimizerState(state.packed_state[:1], *state[1:])
    with pytest.raises(TypeError, match="holds 1 parameter states for 2 state structures"):
        update(0, {"w": jnp.ones(2), "b": jnp.ones(2)}, truncated)


def test_update_rejects_a_state_that_changes_structure():
    @opt.optimizer
    def growing():
        return (lambda x: (x,)), (lambda i, g, s: (s[0], g)), (lambda s: s[0])

    init, update, _ = growing()
    with pytest.raises(TypeError, match="did not match its input structure"):
        update(0, [1.0], init([1.0]))


# ---------------------------------------------------------------------------------
# Schedules


STEPS_TO_CHECK = [0, 1, 2, 5, 9, 10, 11, 17, 40]


def _closed_forms():
    return {
        "exponential": (opt.exponential_decay(0.5, 4, 0.3),
                        lambda i: 0.5 * 0.3 ** (i / 4)),
        "inverse_time": (opt.inverse_time_decay(0.5, 4, 2.0),
                         lambda i: 0.5 / (1 + 2.0 * i / 4)),
        "inverse_time_staircase": (opt.inverse_time_decay(0.5, 4, 2.0, staircase=True),
                                   lambda i: 0.5 / (1 + 2.0 * (i // 4))),
        "polynomial": (opt.polynomial_decay(0.5, 10, 0.1),
                       lambda i: 0.1 + 0.4 * (1 - min(i, 10) / 10)),
        "polynomial_square": (opt.polynomial_decay(0.5, 10, 0.1, power=2.0),
                              lambda i: 0.1 + 0.4 * (1 - min(i, 10) / 10) ** 2),
        "piecewise": (opt.piecewise_constant([2, 10, 17], [1.0, 0.5, 0.25, 0.125]),
                      lambda i: [1.0, 0.5, 0.25, 0.125][(i > 2) + (i > 10) + (i > 17)]),
    }


def test_schedules_match_closed_forms_eager_and_jitted():
    schedules = _closed_forms()
    jitted = irax.jit(lambda i: {k: s(i) for k, (s, _) in schedules.items()})
    for i in STEPS_TO_CHECK:
        traced = jitted(i)
        for name, (schedule, closed_form) in schedules.items():
            np.testing.assert_allclose(np.asarray(schedule(i)), closed_form(i), rtol=1e-6,
                                       err_msg=f"{name} at step {i}")
            np.testing.assert_allclose(np.asarray(traced[name]), closed_form(i), rtol=1e-6,
                                       err_msg=f"jitted {name} at step {i}")


def test_constant_and_make_schedule():
    assert opt.constant(0.25)(7) == 0.25
    assert opt.make_schedule(0.25)(123) == 0.25
    assert opt.make_schedule(jnp.asarray(0.25))(1) == 0.25

    def schedule(i):
        return 1.0 / (i + 1)

    assert opt.make_schedule(schedule) is schedule
    with pytest.raises(TypeError, match="scalar step size or a callable"):
        opt.make_schedule([0.1, 0.2])


def test_piecewise_constant_rejects_mismatched_arguments():
    with pytest.raises(ValueError, match="one shorter"):
        opt.piecewise_constant([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="must be sequences"):
        opt.piecewise_constant(1, [0.1, 0.2])


# ---------------------------------------------------------------------------------
# Utilities


def test_l2_norm_and_clip_grads_match_numpy(x64):
    rng = np.random.default_rng(5)
    tree = {"a": rng.normal(size=(3, 4)), "b": [rng.normal(size=5), rng.normal()]}
    flat = np.concatenate([np.ravel(x) for x in tree_util.tree_leaves(tree)])
    norm = math.sqrt(sum(v * v for v in flat))
    np.testing.assert_allclose(opt.l2_norm(_to_irax(tree)), norm, rtol=1e-14)
    np.testing.assert_allclose(opt.l2_norm([jnp.asarray([1j, 2.0])]), math.sqrt(5),
                               rtol=1e-14)

    clipped = opt.clip_grads(_to_irax(tree), norm / 4)
    expected = tree_util.tree_map(lambda x: x * (norm / 4) / norm, tree)
    _assert_trees_close(clipped, expected, rtol=1e-14)
    np.testing.assert_allclose(opt.l2_norm(clipped), norm / 4, rtol=1e-14)
    _assert_trees_close(opt.clip_grads(_to_irax(tree), 2 * norm), tree, rtol=0)

    jitted = irax.jit(opt.clip_grads)
    for max_norm in (norm / 3, 3 * norm):
        _assert_trees_close(jitted(_to_irax(tree), max_norm),
                            opt.clip_grads(_to_irax(tree), max_norm), rtol=1e-14)


# ---------------------------------------------------------------------------------
# Serialization


@pytest.mark.parametrize("name", ["momentum", "sm3", "adam"])
def test_pack_unpack_round_trip(name):
    init, update, get_params = CASES[name][0]()
    params = {"layers": [(jnp.ones((2, 3)), jnp.zeros(3)), {"scale": jnp.asarray(2.0)}],
              "head": (jnp.arange(4.0),)}
    state = update(0, tree_util.tree_map(lambda x: x + 1.0, params), init(params))
    marked = opt.unpack_optimizer_state(state)
    marks, params_tree = tree_util.tree_flatten(marked)
    assert params_tree == tree_util.tree_structure(params)
    assert all(isinstance(m, opt.JoinPoint) for m in marks)

    restored = opt.pack_optimizer_state(pickle.loads(pickle.dumps(marked)))
    assert tree_util.tree_structure(restored) == tree_util.tree_structure(state)
    for a, b in zip(tree_util.tree_leaves(restored), tree_util.tree_leaves(state)):
        np.testing.assert_array_equal(a, b)
    next_restored = update(1, params, restored)
    next_original = update(1, params, state)
    _assert_trees_close(get_params(next_restored), get_params(next_original), rtol=0)


def test_pack_rejects_leaves_that_are_not_join_points():
    with pytest.raises(TypeError, match="leaf 1 of the marked pytree is a float"):
        opt.pack_optimizer_state([opt.JoinPoint((1.0, 2.0)), 3.0])


# ---------------------------------------------------------------------------------
# End to end: minimise a quadratic with every optimizer


TARGET = {"w": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": [np.array([-1.0, 0.25, 2.0])]}
CURVATURE = {"w": np.array([[1.0, 2.0], [0.5, 1.5]]), "b": [np.array([1.0, 0.7, 2.0])]}

MINIMISERS = {
    "sgd": lambda: opt.sgd(0.3),
    "momentum": lambda: opt.momentum(0.1, 0.8),
    "nesterov": lambda: opt.nesterov(0.1, 0.8),
    "adagrad": lambda: opt.adagrad(opt.polynomial_decay(0.5, 150, 0.01), momentum=0.5),
    "rmsprop": lambda: opt.rmsprop(opt.polynomial_decay(0.1, 150, 0.001), gamma=0.9),
    "rmsprop_momentum": lambda: opt.rmsprop_momentum(
        opt.polynomial_decay(0.02, 150, 0.0002)),
    "adam": lambda: opt.adam(opt.polynomial_decay(0.2, 150, 0.001), b1=0.8),
    "adamax": lambda: opt.adamax(opt.polynomial_decay(0.3, 150, 0.001), b1=0.8),
    "sm3": lambda: opt.sm3(opt.polynomial_decay(0.5, 150, 0.01), momentum=0.5),
}


def _quadratic(params):
    terms = tree_util.tree_map(lambda x, t, c: jnp.sum(0.5 * c * (x - t) ** 2), params,
                               TARGET, CURVATURE)
    return sum(tree_util.tree_leaves(terms))


@pytest.mark.parametrize("name", sorted(MINIMISERS))
def test_minimises_a_quadratic(name):
    init, update, get_params = MINIMISERS[name]()
    step = irax.jit(lambda i, s: update(i, irax.grad(_quadratic)(get_params(s)), s))
    state = init(tree_util.tree_map(lambda t: jnp.zeros(t.shape, jnp.float32), TARGET))
    start = float(_quadratic(get_params(state)))
    for i in range(150):
        state = step(i, state)
    final = float(_quadratic(get_params(state)))
    assert final < 1e-3 * start, (start, final)
    _assert_trees_close(get_params(state), TARGET, rtol=0, atol=0.05)
