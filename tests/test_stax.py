"""irax.example_libraries.stax: every layer's init_fun shape equals what apply_fun
returns; Dense, elementwise, BatchNorm, convolution and pooling layers against NumPy
loops; Dropout's modes; the combinators; a network's gradients (check_grads) and
jitted networks called twice."""
import math

import numpy as np
import pytest
from scipy import special

import irax
import irax.numpy as jnp
from irax import random
from irax.example_libraries import stax
from irax.test_util import check_grads

KEY = random.PRNGKey(0)


def rand(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def concrete(shape):
    """-1 (size not known at init) becomes 2 in the array given to apply_fun."""
    return tuple(2 if d == -1 else d for d in shape)


def assert_shapes_agree(layer, input_shape, **apply_kwargs):
    init_fun, apply_fun = layer
    out_shape, params = init_fun(KEY, input_shape)
    out = apply_fun(params, jnp.asarray(rand(concrete(input_shape))), **apply_kwargs)
    assert tuple(out.shape) == concrete(out_shape), (out.shape, out_shape)


ELEMENTWISE = {
    "Tanh": np.tanh,
    "Relu": lambda x: np.maximum(x, 0),
    "Exp": np.exp,
    "LogSoftmax": lambda x: x - special.logsumexp(x, axis=-1, keepdims=True),
    "Softmax": lambda x: special.softmax(x, axis=-1),
    "Softplus": lambda x: np.log1p(np.exp(x)),
    "Sigmoid": special.expit,
    "Elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "LeakyRelu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "Selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "Gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
}

SHAPES = [(-1, 5), (3, 4, 6), (2, 3, 4, 5)]

LAYERS = {
    "Dense": stax.Dense(3),
    "Flatten": stax.Flatten,
    "Identity": stax.Identity,
    "BatchNorm_batch": stax.BatchNorm(axis=0),
    "serial": stax.serial(stax.Dense(7), stax.Relu, stax.Dense(2), stax.LogSoftmax),
    "shape_dependent": stax.shape_dependent(lambda shape: stax.Dense(shape[-1] + 1)),
    **{name: getattr(stax, name) for name in ELEMENTWISE},
}


@pytest.mark.parametrize("input_shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_init_shape_is_apply_shape(name, input_shape):
    assert_shapes_agree(LAYERS[name], input_shape)


@pytest.mark.parametrize("input_shape", SHAPES, ids=str)
@pytest.mark.parametrize("mode", ["train", "test"])
def test_dropout_init_shape_is_apply_shape(input_shape, mode):
    assert_shapes_agree(stax.Dropout(0.7, mode), input_shape, rng=KEY)


@pytest.mark.parametrize("axis, input_shape", [((0, 1, 2), (3, 4, 5, 2)), (0, (-1, 6)),
                                               ((0, 2), (4, 3, 5)), ((0, -1), (4, 3, 5))])
def test_batchnorm_init_shape_is_apply_shape(axis, input_shape):
    assert_shapes_agree(stax.BatchNorm(axis=axis), input_shape)


def test_fan_layers_and_parallel_shapes():
    key = KEY
    shapes = [(4, 3), (4, 5)]
    init_fun, apply_fun = stax.parallel(stax.Dense(2), stax.Identity)
    out_shapes, params = init_fun(key, shapes)
    outs = apply_fun(params, [jnp.asarray(rand(s)) for s in shapes])
    assert [tuple(o.shape) for o in outs] == [tuple(s) for s in out_shapes] == [(4, 2), (4, 5)]
    init_fun, apply_fun = stax.FanOut(3)
    assert init_fun(key, (2, 3)) == ([(2, 3)] * 3, ())
    assert len(apply_fun((), jnp.ones((2, 3)))) == 3
    assert stax.FanInSum[0](key, [(2, 3), (2, 3)]) == ((2, 3), ())
    init_fun, apply_fun = stax.FanInConcat(axis=1)
    out_shape, _ = init_fun(key, [(2, 3, 4), (2, 1, 4)])
    out = apply_fun((), [jnp.ones((2, 3, 4)), jnp.zeros((2, 1, 4))])
    assert out_shape == (2, 4, 4) == out.shape
    np.testing.assert_array_equal(out, np.concatenate([np.ones((2, 3, 4)),
                                                       np.zeros((2, 1, 4))], axis=1))


def test_dense_against_numpy_and_its_params():
    init_fun, apply_fun = stax.Dense(4)
    out_shape, (W, b) = init_fun(KEY, (-1, 6))
    assert out_shape == (-1, 4) and W.shape == (6, 4) and b.shape == (4,)
    assert W.dtype == np.float32 and np.std(np.asarray(W)) > 0
    x = rand((5, 3, 6))
    np.testing.assert_allclose(apply_fun((W, b), x), x @ np.asarray(W) + np.asarray(b),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_layers_against_numpy(name):
    x = rand((3, 5), seed=1) * 3
    init_fun, apply_fun = getattr(stax, name)
    assert init_fun(KEY, (3, 5)) == ((3, 5), ())
    np.testing.assert_allclose(apply_fun((), x), ELEMENTWISE[name](x.astype(np.float64)),
                               rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("axis, center, scale", [((0, 1, 2), True, True), (0, True, False),
                                                 ((0, -2), False, True), (1, False, False)])
def test_batchnorm_against_numpy(axis, center, scale):
    x = rand((4, 3, 5, 2), seed=2) * 2 + 1
    init_fun, apply_fun = stax.BatchNorm(axis=axis, epsilon=1e-3, center=center, scale=scale)
    _, (beta, gamma) = init_fun(KEY, x.shape)
    axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    param_shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    if center:
        np.testing.assert_array_equal(beta, np.zeros(param_shape))
        beta = rand(param_shape, seed=3)
    if scale:
        np.testing.assert_array_equal(gamma, np.ones(param_shape))
        gamma = rand(param_shape, seed=4)
    assert isinstance(beta, tuple) != center and isinstance(gamma, tuple) != scale
    want = x.astype(np.float64) - x.mean(axis=axes, keepdims=True)
    want = want / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-3)
    kept = [slice(None) if i not in axes else None for i in range(x.ndim)]
    if scale:
        want = want * np.asarray(gamma)[tuple(kept)]
    if center:
        want = want + np.asarray(beta)[tuple(kept)]
    np.testing.assert_allclose(apply_fun((beta, gamma), x), want, rtol=1e-4, atol=1e-4)


def test_dropout_modes_rate_and_rng():
    x = jnp.asarray(rand((200, 100), seed=5) + 3)
    init_fun, apply_fun = stax.Dropout(0.8)
    assert init_fun(KEY, (200, 100)) == ((200, 100), ())
    out = np.asarray(apply_fun((), x, rng=random.PRNGKey(1)))
    kept = out != 0
    np.testing.assert_allclose(out[kept], np.asarray(x)[kept] / 0.8, rtol=1e-6)
    # rate is the probability of keeping: 20000 draws, 4 standard deviations.
    assert abs(kept.mean() - 0.8) < 4 * math.sqrt(0.8 * 0.2 / kept.size)
    np.testing.assert_array_equal(apply_fun((), x, rng=random.PRNGKey(1)), out)
    assert (np.asarray(apply_fun((), x, rng=random.PRNGKey(2))) != out).any()
    np.testing.assert_array_equal(stax.Dropout(1.0)[1]((), x, rng=KEY), x)
    np.testing.assert_array_equal(stax.Dropout(0.5, mode="test")[1]((), x, rng=KEY), x)
    for mode in ("train", "test"):
        with pytest.raises(ValueError, match="PRNG key"):
            stax.Dropout(0.5, mode)[1]((), x)


def test_serial_splits_the_rng_per_layer():
    x = jnp.ones((50,))
    _, apply_fun = stax.serial(stax.Dropout(0.5), stax.Identity, stax.Dropout(0.5))
    first, _, third = random.split(random.PRNGKey(3), 3)
    dropout = stax.Dropout(0.5)[1]
    want = dropout((), dropout((), x, rng=first), rng=third)
    np.testing.assert_array_equal(apply_fun([(), (), ()], x, rng=random.PRNGKey(3)), want)


def test_residual_block_with_fan_out_parallel_fan_in():
    init_fun, apply_fun = stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(4), stax.Identity),
                                      stax.FanInSum)
    out_shape, params = init_fun(KEY, (3, 4))
    assert out_shape == (3, 4)
    W, b = (np.asarray(p) for p in params[1][0])
    x = rand((3, 4), seed=6)
    np.testing.assert_allclose(apply_fun(params, x), x @ W + b + x, rtol=1e-5, atol=1e-6)
    init_fun, apply_fun = stax.serial(stax.FanOut(2), stax.parallel(stax.Tanh, stax.Exp),
                                      stax.FanInConcat(0))
    out_shape, params = init_fun(KEY, (3, 4))
    assert out_shape == (6, 4)
    np.testing.assert_allclose(apply_fun(params, x), np.concatenate([np.tanh(x), np.exp(x)]),
                               rtol=1e-5)


MLP = stax.serial(stax.Dense(5), stax.Relu, stax.Dense(3), stax.LogSoftmax)


def mlp_reference(params, x):
    (W1, b1), _, (W2, b2), _ = params
    h = np.maximum(x @ W1 + b1, 0) @ W2 + b2
    return h - special.logsumexp(h, axis=-1, keepdims=True)


def test_network_gradient_order_two(x64):
    init_fun, apply_fun = MLP
    _, params = init_fun(KEY, (-1, 4))
    params = irax.tree_util.tree_map(lambda p: np.asarray(p, np.float64), params)
    x = rand((6, 4), seed=7, dtype=np.float64)
    labels = np.eye(3)[[0, 2, 1, 1, 0, 2]]
    np.testing.assert_allclose(apply_fun(params, x), mlp_reference(params, x), rtol=1e-12)

    def loss(params):
        return -jnp.mean(jnp.sum(apply_fun(params, x) * labels, axis=1))

    check_grads(loss, (params,), order=2, modes=("fwd", "rev"))


def test_jitted_network_called_twice():
    """One program: Dense, BatchNorm, the elementwise layers, a residual branch, Dropout."""
    init_fun, apply_fun = stax.serial(
        stax.Dense(6), stax.BatchNorm(axis=0), stax.Gelu,
        stax.FanOut(2), stax.parallel(stax.serial(stax.Dense(6), stax.Tanh), stax.Identity),
        stax.FanInSum, stax.Dropout(0.75), stax.Dense(3), stax.Softmax)
    _, params = init_fun(KEY, (-1, 4))
    jitted = irax.jit(lambda params, x, key: apply_fun(params, x, rng=key))
    for seed in (8, 9):
        x = rand((5, 4), seed=seed)
        key = random.PRNGKey(seed)
        np.testing.assert_allclose(jitted(params, x, key), apply_fun(params, x, rng=key),
                                   rtol=2e-5, atol=2e-6)


# Convolutions and pooling.

def conv_reference(x, w, strides, pads):
    """NHWC x HWIO cross-correlation by loops over output positions."""
    x = np.pad(np.asarray(x, np.float64), [(0, 0), *pads, (0, 0)])
    kh, kw = w.shape[:2]
    out_h = (x.shape[1] - kh) // strides[0] + 1
    out_w = (x.shape[2] - kw) // strides[1] + 1
    out = np.zeros((x.shape[0], out_h, out_w, w.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw]
            out[:, i, j] = np.einsum("nhwc,hwco->no", patch, w)
    return out


def conv_transpose_reference(x, w, strides, low, out_size):
    """lax.conv_transpose (kernel not flipped) as a scatter: input position i and
    kernel tap j add x[i] * w[j] to output position i * stride + low - j."""
    out = np.zeros((x.shape[0], *out_size, w.shape[3]))
    for i, j in np.ndindex(*x.shape[1:3]):
        for a, b in np.ndindex(*w.shape[:2]):
            oi, oj = i * strides[0] + low[0] - a, j * strides[1] + low[1] - b
            if 0 <= oi < out_size[0] and 0 <= oj < out_size[1]:
                out[:, oi, oj] += x[:, i, j] @ w[a, b]
    return out


CONV_CASES = [  # strides, padding, explicit pads for the reference
    ((1, 1), "VALID", [(0, 0), (0, 0)]),
    ((2, 1), "SAME", [(1, 1), (1, 1)]),
    ((2, 2), [(2, 0), (1, 2)], [(2, 0), (1, 2)]),
]


@pytest.mark.parametrize("strides, padding, pads", CONV_CASES)
def test_conv_against_numpy(strides, padding, pads):
    init_fun, apply_fun = stax.Conv(4, (3, 3), strides, padding)
    out_shape, (W, b) = init_fun(KEY, (-1, 7, 6, 2))
    assert W.shape == (3, 3, 2, 4) and b.shape == (1, 1, 1, 4)
    x = rand((2, 7, 6, 2), seed=10)
    b = rand(b.shape, seed=11)
    out = apply_fun((W, b), x)
    assert out.shape == concrete(out_shape)
    np.testing.assert_allclose(out, conv_reference(x, np.asarray(W), strides, pads) + b,
                               rtol=1e-4, atol=1e-5)


def test_general_conv_nchw_against_numpy():
    init_fun, apply_fun = stax.GeneralConv(("NCHW", "OIHW", "NCHW"), 3, (2, 3), (1, 2), "SAME")
    out_shape, (W, b) = init_fun(KEY, (2, 2, 5, 6))
    assert W.shape == (3, 2, 2, 3) and b.shape == (1, 3, 1, 1) and out_shape == (2, 3, 5, 3)
    x = rand((2, 2, 5, 6), seed=12)
    want = conv_reference(x.transpose(0, 2, 3, 1), np.asarray(W).transpose(2, 3, 1, 0), (1, 2),
                          [(0, 1), (0, 1)]).transpose(0, 3, 1, 2) + np.asarray(b)
    np.testing.assert_allclose(apply_fun((W, b), x), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("strides, padding, low, out_size", [
    ((1, 1), "VALID", (2, 1), (7, 6)),   # (i - 1) * s + k
    ((2, 3), "VALID", (2, 1), (11, 15)),  # i * s + max(k - s, 0)
    ((2, 2), "SAME", (2, 1), (10, 10)),   # i * s; low k - 1 if s >= k, else ceil((k + s - 2) / 2)
])
def test_conv_transpose_against_numpy(strides, padding, low, out_size):
    init_fun, apply_fun = stax.ConvTranspose(3, (3, 2), strides, padding)
    out_shape, (W, b) = init_fun(KEY, (-1, 5, 5, 2))
    assert out_shape == (-1, *out_size, 3) and W.shape == (3, 2, 2, 3)
    x = rand((2, 5, 5, 2), seed=13)
    want = conv_transpose_reference(x, np.asarray(W), strides, low, out_size) + np.asarray(b)
    np.testing.assert_allclose(apply_fun((W, b), x), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("input_shape", [(-1, 9, 3), (4, 1, 2)], ids=str)
@pytest.mark.parametrize("strides, padding", [(None, "VALID"), ((2,), "SAME"),
                                              ((3,), [(1, 2)])])
def test_conv1d_transpose_shapes(input_shape, strides, padding):
    assert_shapes_agree(stax.Conv1DTranspose(2, (3,), strides, padding), input_shape)


@pytest.mark.parametrize("input_shape", [(-1, 8, 7, 3), (1, 5, 5, 1)], ids=str)
@pytest.mark.parametrize("layer", [
    stax.Conv(2, (3, 3), padding="SAME"),
    stax.Conv(2, (2, 3), (2, 2), "SAME_LOWER"),
    stax.GeneralConv(("NHWC", "OIHW", "NHWC"), 2, (1, 2), (1, 2)),
    stax.GeneralConv(("NWHC", "WHIO", "NHWC"), 2, (2, 3), (2, 1), [(1, 0), (0, 2)]),
    stax.ConvTranspose(2, (3, 3), (2, 2), "SAME"),
    stax.GeneralConvTranspose(("NHWC", "HWOI", "NHWC"), 2, (2, 3), (1, 2), "VALID"),
], ids=["same", "same_lower", "oihw", "nwhc", "transpose_same", "transpose_hwoi"])
def test_conv_layer_shapes(layer, input_shape):
    assert_shapes_agree(layer, input_shape)


def pool_reference(x, window, strides, pads, kind):
    """Pooling over axes 1 and 2 of NHWC `x` by loops; padding never counts."""
    fill = -np.inf if kind == "max" else 0.0
    padded = np.pad(np.asarray(x, np.float64), [(0, 0), *pads, (0, 0)], constant_values=fill)
    counts = np.pad(np.ones(x.shape[1:3]), pads)
    out_h = (padded.shape[1] - window[0]) // strides[0] + 1
    out_w = (padded.shape[2] - window[1]) // strides[1] + 1
    out = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for i, j in np.ndindex(out_h, out_w):
        rows = slice(i * strides[0], i * strides[0] + window[0])
        cols = slice(j * strides[1], j * strides[1] + window[1])
        patch = padded[:, rows, cols]
        if kind == "max":
            out[:, i, j] = patch.max(axis=(1, 2))
        else:
            out[:, i, j] = patch.sum(axis=(1, 2))
            if kind == "avg":
                out[:, i, j] /= counts[rows, cols].sum()
    return out


POOLS = {"max": stax.MaxPool, "sum": stax.SumPool, "avg": stax.AvgPool}


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("window, strides, padding, pads", [
    ((2, 2), (2, 2), "VALID", [(0, 0), (0, 0)]),
    ((3, 2), (2, 1), "SAME", [(1, 1), (0, 1)]),
    ((2, 3), (1, 2), [(0, 0), (1, 0), (0, 2), (0, 0)], [(1, 0), (0, 2)]),
])
def test_pooling_against_numpy(kind, window, strides, padding, pads):
    init_fun, apply_fun = POOLS[kind](window, strides, padding)
    x = rand((2, 5, 6, 3), seed=14)
    out_shape, params = init_fun(KEY, (-1, 5, 6, 3))
    out = apply_fun(params, x)
    assert params == () and out.shape == concrete(out_shape)
    np.testing.assert_allclose(out, pool_reference(x, window, strides, pads, kind),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_pooling_with_nchw_spec(kind):
    init_fun, apply_fun = POOLS[kind]((2, 3), (1, 2), "SAME", spec="NCHW")
    x = rand((2, 3, 5, 6), seed=15)
    out_shape, _ = init_fun(KEY, x.shape)
    want = pool_reference(x.transpose(0, 2, 3, 1), (2, 3), (1, 2), [(0, 1), (0, 1)],
                          kind).transpose(0, 3, 1, 2)
    assert out_shape == want.shape
    np.testing.assert_allclose(apply_fun((), x), want, rtol=1e-5, atol=1e-6)


def test_pooling_explicit_padding_needs_every_axis():
    with pytest.raises(ValueError, match="MaxPool: explicit padding needs one"):
        stax.MaxPool((2, 2), padding=[(1, 1), (1, 1)])[0](KEY, (1, 4, 4, 1))


@pytest.mark.parametrize("input_shape", [(-1, 8, 7, 3), (1, 3, 4, 2)], ids=str)
@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("strides, padding", [(None, "VALID"), ((2, 2), "SAME"),
                                              ((1, 3), "SAME_LOWER")])
def test_pooling_shapes(kind, input_shape, strides, padding):
    assert_shapes_agree(POOLS[kind]((2, 2), strides, padding), input_shape)


def test_jitted_conv_network_called_twice_and_its_gradient():
    """Conv, BatchNorm, MaxPool, AvgPool, ConvTranspose, Flatten, Dense in one program
    (and one for its gradient), against eager."""
    init_fun, apply_fun = stax.serial(
        stax.Conv(3, (3, 3), padding="SAME"), stax.BatchNorm(), stax.Relu,
        stax.MaxPool((2, 2), (2, 2)), stax.ConvTranspose(2, (2, 2), (2, 2), "SAME"),
        stax.Elu, stax.AvgPool((3, 3), (2, 2), "SAME"), stax.SumPool((2, 2)),
        stax.Flatten, stax.Dense(4), stax.LogSoftmax)
    out_shape, params = init_fun(KEY, (-1, 8, 8, 1))
    assert out_shape == (-1, 4)

    def loss(params, x):
        return -jnp.mean(apply_fun(params, x)[:, 0])

    forward = irax.jit(apply_fun)
    gradient = irax.jit(irax.grad(loss))
    for seed in (16, 17):
        x = rand((3, 8, 8, 1), seed=seed)
        np.testing.assert_allclose(forward(params, x), apply_fun(params, x),
                                   rtol=1e-4, atol=1e-5)
        got = irax.tree_util.tree_leaves(gradient(params, x))
        want = irax.tree_util.tree_leaves(irax.grad(loss)(params, x))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-5)


def test_conv_network_gradient_order_two(x64):
    init_fun, apply_fun = stax.serial(
        stax.Conv(2, (2, 2), (1, 1), "SAME"), stax.Tanh, stax.AvgPool((2, 2), (2, 2)),
        stax.ConvTranspose(1, (2, 2), (2, 1)), stax.Flatten, stax.Dense(2), stax.LogSoftmax)
    _, params = init_fun(KEY, (-1, 4, 4, 1))
    params = irax.tree_util.tree_map(lambda p: np.asarray(p, np.float64), params)
    x = rand((2, 4, 4, 1), seed=18, dtype=np.float64)
    check_grads(lambda params: jnp.sum(apply_fun(params, x)[:, 1]), (params,), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize("layer, input_shape, kernel_shape, fans, b_std", [
    (stax.GeneralConv(("NCHW", "OIHW", "NCHW"), 64, (3, 3)), (1, 32, 8, 8), (64, 32, 3, 3),
     (32 * 9, 64 * 9), 1e-6),
    (stax.Conv(48, (2, 3)), (1, 8, 8, 32), (2, 3, 32, 48), (32 * 6, 48 * 6), 1e-6),
    (stax.Dense(300), (1, 32), (32, 300), (32, 300), 1e-2),
], ids=["oihw", "hwio", "dense"])
def test_default_inits_are_glorot_over_the_channel_axes(layer, input_shape, kernel_shape,
                                                        fans, b_std):
    """Default kernels have variance 2 / (fan_in + fan_out), the fans taken over the
    kernel's I and O axes times its spatial size; biases are normals of std b_std."""
    _, (W, b) = layer[0](KEY, input_shape)
    assert W.shape == kernel_shape
    assert abs(float(np.std(np.asarray(W))) / math.sqrt(2 / sum(fans)) - 1) < 0.05
    assert 0.3 * b_std < float(np.std(np.asarray(b))) < 3 * b_std
