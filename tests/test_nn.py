"""Tests for irax.nn: activations and normalizers against NumPy formulas (float64
references), dtypes as JAX gives them, stability at extreme inputs, and bad input."""
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import irax
import irax.numpy as jnp
from irax import nn

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def _softplus(x):
    return np.logaddexp(x, 0)


ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "log_sigmoid": lambda x: -_softplus(-x),
    "softplus": _softplus,
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "celu": lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)),
    "selu": lambda x: SCALE * np.where(x > 0, x, ALPHA * np.expm1(np.minimum(x, 0))),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "soft_sign": lambda x: x / (np.abs(x) + 1),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.clip(x + 1, 0, 2) / 2,
    "identity": lambda x: x,
    "tanh": np.tanh,
}


def _inputs(shape, dtype, seed=0):
    x = np.random.default_rng(seed).uniform(-6, 6, shape)
    x.flat[:3] = [0.0, -1.0, 1.0][: x.size]
    return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_activation_float32(name, shape):
    x = _inputs(shape, np.float32)
    out = getattr(nn, name)(jnp.asarray(x))
    assert out.dtype == np.float32 and out.shape == shape
    np.testing.assert_allclose(out, ACTIVATIONS[name](x.astype(np.float64)), rtol=2e-6,
                               atol=2e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_float64(name, x64):
    x = _inputs((50,), np.float64, seed=1)
    out = getattr(nn, name)(jnp.asarray(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, ACTIVATIONS[name](x), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softplus", "gelu", "elu", "silu"])
def test_activation_bfloat16(name):
    x = _inputs((20,), np.float32, seed=2)
    out = getattr(nn, name)(jnp.asarray(x, jnp.bfloat16))
    assert out.dtype == jnp.bfloat16
    expected = ACTIVATIONS[name](x.astype(jnp.bfloat16).astype(np.float64))
    np.testing.assert_allclose(np.asarray(out, np.float64), expected, rtol=2e-2, atol=2e-2)


def test_activation_dtypes_follow_jax():
    ints = jnp.array([-2, 0, 3])
    assert nn.relu(ints).dtype == np.int32
    np.testing.assert_array_equal(nn.relu(ints), [0, 0, 3])
    assert nn.leaky_relu(ints).dtype == np.float32      # x * 0.01 promotes
    assert nn.sigmoid(ints).dtype == np.float32
    assert nn.softplus(ints).dtype == np.float32
    out = nn.relu(2.0)
    assert out.dtype == np.float32 and out.weak_type
    assert np.isnan(nn.relu(jnp.array([np.nan]))[0])   # maximum(x, 0), as JAX


def test_gelu_exact():
    x = _inputs((40,), np.float32, seed=3)
    expected = 0.5 * x * (1 + _erf(x.astype(np.float64) / np.sqrt(2)))
    np.testing.assert_allclose(nn.gelu(jnp.asarray(x), approximate=False), expected,
                               rtol=2e-6, atol=2e-6)
    assert not np.allclose(nn.gelu(jnp.asarray(x), approximate=True), expected, atol=1e-5)


def test_activation_parameters():
    x = _inputs((30,), np.float32, seed=4)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(nn.elu(x, alpha=0.5), np.where(x64 > 0, x64, 0.5 * np.expm1(x64)),
                               rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(nn.leaky_relu(x, negative_slope=0.2),
                               np.where(x64 >= 0, x64, 0.2 * x64), rtol=1e-6)
    np.testing.assert_allclose(nn.celu(x, alpha=2.0),
                               np.maximum(x64, 0) + 2 * np.expm1(np.minimum(x64, 0) / 2),
                               rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(nn.squareplus(x, b=1.0), (x64 + np.sqrt(x64 ** 2 + 1)) / 2,
                               rtol=2e-6, atol=1e-6)


def test_glu():
    x = _inputs((3, 8), np.float32, seed=5).astype(np.float64)
    np.testing.assert_allclose(nn.glu(jnp.asarray(x, jnp.float32)),
                               x[:, :4] * _sigmoid(x[:, 4:]), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(nn.glu(jnp.asarray(x.T, jnp.float32), axis=0),
                               (x[:, :4] * _sigmoid(x[:, 4:])).T, rtol=2e-6, atol=1e-7)


def test_activation_stability():
    big = jnp.array([-1000.0, -100.0, 100.0, 1000.0])
    np.testing.assert_allclose(nn.sigmoid(big), [0.0, 0.0, 1.0, 1.0], rtol=0, atol=1e-38)
    np.testing.assert_allclose(nn.softplus(big), [0.0, math.exp(-100), 100.0, 1000.0],
                               rtol=1e-6, atol=1e-44)        # exp(-100) is subnormal
    assert float(nn.softplus(1000.0)) == 1000.0
    assert float(nn.sigmoid(-1000.0)) == 0.0
    np.testing.assert_allclose(nn.log_sigmoid(big), [-1000.0, -100.0, -math.exp(-100), 0.0],
                               rtol=1e-6, atol=1e-44)
    for name in ACTIVATIONS:
        out = np.asarray(getattr(nn, name)(big))
        assert np.all(np.isfinite(out)), name
    np.testing.assert_array_equal(nn.silu(jnp.array([-1000.0])), [0.0])
    np.testing.assert_array_equal(nn.gelu(jnp.array([-1000.0, 1000.0])), [0.0, 1000.0])


def test_log1mexp_is_accurate_from_tiny_to_large_arguments():
    x = np.array([1e-30, 1e-8, 1e-3, 0.5, np.log(2.0), 0.7, 5.0, 40.0, 60.0])
    # float64 reference: log(1 - e^-x), evaluated where each form keeps its digits
    want = np.where(x < np.log(2.0), np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))
    np.testing.assert_allclose(nn.log1mexp(jnp.asarray(x, jnp.float32)), want, rtol=3e-7)
    assert float(nn.log1mexp(0.0)) == -np.inf
    assert np.isnan(float(nn.log1mexp(-1.0)))
    naive = np.log(1 - np.exp(-x.astype(np.float32)))  # what the rule avoids
    assert not np.allclose(naive, want, rtol=1e-3)


def test_log1mexp_and_logmeanexp_gradients(x64):
    from irax.test_util import check_grads
    check_grads(nn.log1mexp, (np.array([0.2, 0.5, 0.69, 0.7, 3.0]),), order=2)
    check_grads(lambda x: nn.logmeanexp(x, axis=1), (np.arange(6.0).reshape(2, 3) / 3,),
                order=2)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), ((0, 2), True)])
def test_logmeanexp(axis, keepdims):
    x = np.random.default_rng(12).normal(size=(2, 3, 4)) * 300  # overflows exp in float32
    mask = x > -100
    for where, n in ((None, None), (mask, np.sum(mask, axis=axis, keepdims=keepdims))):
        got = nn.logmeanexp(jnp.asarray(x, jnp.float32), axis=axis, keepdims=keepdims,
                            where=where)
        m = np.max(x, axis=axis, keepdims=True)
        terms = np.exp(x - m) if where is None else np.where(where, np.exp(x - m), 0)
        total = np.log(np.sum(terms, axis=axis, keepdims=True)) + m
        total = total if keepdims else np.squeeze(total, axis=axis)
        count = x.size / total.size if n is None else n
        np.testing.assert_allclose(got, total - np.log(count), rtol=1e-5)


# ---- softmax family --------------------------------------------------------------

def _np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


AXES = [-1, 0, 1, (0, 2), None]


@pytest.mark.parametrize("axis", AXES)
def test_softmax_and_log_softmax(axis):
    x = np.random.default_rng(6).normal(size=(2, 3, 4)).astype(np.float32) * 5
    x64 = x.astype(np.float64)
    out = nn.softmax(jnp.asarray(x), axis=axis)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, _np_softmax(x64, axis), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(nn.log_softmax(jnp.asarray(x), axis=axis),
                               x64 - _np_logsumexp(x64, axis, keepdims=True), rtol=2e-6,
                               atol=2e-6)


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp(axis, keepdims):
    x = np.random.default_rng(7).normal(size=(2, 3, 4)).astype(np.float32) * 5
    out = nn.logsumexp(jnp.asarray(x), axis=axis, keepdims=keepdims)
    expected = _np_logsumexp(x.astype(np.float64), axis, keepdims)
    assert out.dtype == np.float32 and out.shape == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=2e-6)


def test_softmax_family_float64(x64):
    x = np.random.default_rng(8).normal(size=(5, 6)) * 30
    np.testing.assert_allclose(nn.softmax(x), _np_softmax(x, -1), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(nn.log_softmax(x, axis=0),
                               x - _np_logsumexp(x, 0, keepdims=True), rtol=1e-13, atol=1e-14)
    out = nn.logsumexp(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, _np_logsumexp(x), rtol=1e-14)
    assert nn.softmax(jnp.arange(3)).dtype == np.float64


def test_softmax_family_stability():
    big = jnp.array([1000.0, 1000.0])
    np.testing.assert_allclose(nn.logsumexp(big), 1000.0 + np.log(2), rtol=1e-7)
    np.testing.assert_array_equal(nn.softmax(big), [0.5, 0.5])
    np.testing.assert_array_equal(nn.log_softmax(jnp.array([0.0, 1000.0])), [-1000.0, 0.0])
    np.testing.assert_allclose(nn.logsumexp(jnp.array([-1000.0, -1000.0])),
                               -1000.0 + np.log(2), rtol=1e-7)
    assert float(nn.logsumexp(jnp.array([-np.inf, -np.inf]))) == -np.inf
    assert float(nn.logsumexp(jnp.array([np.inf, 0.0]))) == np.inf
    np.testing.assert_array_equal(nn.softmax(jnp.array([-np.inf, 0.0])), [0.0, 1.0])
    assert nn.softmax(jnp.arange(3)).dtype == np.float32


def test_logsumexp_with_b_and_sign():
    a = jnp.array([1.0, 2.0, 3.0])
    b = jnp.array([1.0, -2.0, 0.5])
    total = np.sum(np.asarray(b, np.float64) * np.exp(np.asarray(a, np.float64)))
    out, sign = nn.logsumexp(a, b=b, return_sign=True)
    np.testing.assert_allclose(out, np.log(abs(total)), rtol=2e-6)
    assert float(sign) == np.sign(total)
    expected = np.nan if total < 0 else np.log(total)
    np.testing.assert_allclose(nn.logsumexp(a, b=b), expected, rtol=2e-6)
    # b == 0 removes the entry, even an infinite one.
    np.testing.assert_allclose(nn.logsumexp(jnp.array([np.inf, 0.0]), b=jnp.array([0.0, 2.0])),
                               np.log(2), rtol=1e-6)
    # b broadcasts against a.
    x = np.random.default_rng(9).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(nn.logsumexp(x, axis=1, b=np.float32(2.0)),
                               _np_logsumexp(x.astype(np.float64), 1) + np.log(2), rtol=2e-6)


def test_where_masks():
    x = np.array([[1.0, 5.0, 2.0], [3.0, -1.0, 0.5]], np.float32)
    mask = np.array([[True, False, True], [True, True, False]])
    masked = np.where(mask, x.astype(np.float64), -np.inf)
    np.testing.assert_allclose(nn.softmax(x, where=mask),
                               np.where(mask, _np_softmax(masked, -1), 0), rtol=2e-6)
    np.testing.assert_allclose(nn.log_softmax(x, where=mask),
                               np.where(mask, masked - _np_logsumexp(masked, -1, True), -np.inf),
                               rtol=2e-6)
    np.testing.assert_allclose(nn.logsumexp(x, axis=1, where=mask),
                               _np_logsumexp(masked, 1), rtol=2e-6)
    mean = np.sum(np.where(mask, x, 0), axis=1, keepdims=True) / mask.sum(1, keepdims=True)
    var = np.sum(np.where(mask, x ** 2, 0), axis=1, keepdims=True) / mask.sum(
        1, keepdims=True) - mean ** 2
    np.testing.assert_allclose(nn.standardize(x, where=mask), (x - mean) / np.sqrt(var + 1e-5),
                               rtol=2e-5)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-80, 80, width=32)), st.data())
def test_softmax_properties(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    out = np.asarray(nn.softmax(x, axis=axis), np.float64)
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.exp(np.asarray(nn.log_softmax(x, axis=axis), np.float64)),
                               out, rtol=1e-5, atol=1e-30)


# ---- one_hot and standardize -------------------------------------------------------

def test_one_hot():
    x = np.array([[0, 2], [3, -1]])
    out = nn.one_hot(x, 3)
    assert out.dtype == np.float32 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out, (x[..., None] == np.arange(3)).astype(np.float32))
    first = nn.one_hot(x, 3, axis=0)
    assert first.shape == (3, 2, 2)
    np.testing.assert_array_equal(first, np.moveaxis(np.asarray(out), -1, 0))
    middle = nn.one_hot(x, 4, axis=1, dtype=jnp.int8)
    assert middle.dtype == np.int8 and middle.shape == (2, 4, 2)
    np.testing.assert_array_equal(middle, np.moveaxis(x[..., None] == np.arange(4), -1, 1))
    np.testing.assert_array_equal(nn.one_hot(1, 2), [0.0, 1.0])


def test_one_hot_default_dtype_follows_x64(x64):
    assert nn.one_hot(jnp.array([0, 1]), 2).dtype == np.float64


@pytest.mark.parametrize("axis", [-1, 0, (0, 1), None])
def test_standardize(axis):
    x = np.random.default_rng(10).normal(3.0, 2.0, size=(4, 5)).astype(np.float32)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axis, keepdims=True)
    var = (x64 ** 2).mean(axis=axis, keepdims=True) - mean ** 2
    out = nn.standardize(jnp.asarray(x), axis=axis)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (x64 - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(nn.normalize(jnp.asarray(x), axis=axis), out)


def test_standardize_given_statistics():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    out = nn.standardize(x, mean=1.0, variance=4.0, epsilon=0.0)
    np.testing.assert_allclose(out, (x - 1.0) / 2.0)
    np.testing.assert_allclose(nn.standardize(x, mean=np.array([[0.0], [3.0]]), epsilon=0.0),
                               (x - [[0.0], [3.0]]) / np.sqrt(
                                   (x.astype(np.float64) ** 2).mean(-1, keepdims=True)
                                   - [[0.0], [9.0]]), rtol=1e-6)
    assert nn.standardize(jnp.arange(4)).dtype == np.float32


# ---- bad input ----------------------------------------------------------------------

def test_bad_input():
    with pytest.raises(ValueError, match="softmax: axis 2 is out of bounds"):
        nn.softmax(jnp.zeros((2, 2)), axis=2)
    with pytest.raises(ValueError, match="log_softmax: axis -3"):
        nn.log_softmax(jnp.zeros((2, 2)), axis=-3)
    with pytest.raises(ValueError, match="logsumexp: axis 1"):
        nn.logsumexp(jnp.zeros(3), axis=1)
    with pytest.raises(ValueError, match="logsumexp: shapes"):
        nn.logsumexp(jnp.zeros(3), b=jnp.ones(2))
    with pytest.raises(ValueError, match="standardize: axis 5"):
        nn.standardize(jnp.zeros(3), axis=5)
    with pytest.raises(TypeError, match="one_hot: num_classes must be a concrete int"):
        nn.one_hot(jnp.array([0]), 2.5)
    with pytest.raises(ValueError, match="one_hot: axis 3"):
        nn.one_hot(jnp.array([0]), 2, axis=3)
    with pytest.raises(ValueError, match="glu: the size of axis 0"):
        nn.glu(jnp.zeros(3))
    with pytest.raises(TypeError, match="relu: argument of type str"):
        nn.relu("x")
    with pytest.raises(TypeError, match="sigmoid"):
        nn.sigmoid(object())


@pytest.mark.parametrize("fn", [
    nn.softmax, nn.log_softmax, nn.logsumexp, nn.standardize, nn.gelu, nn.log_sigmoid,
    lambda x: nn.softmax(x, where=x > 0), lambda x: nn.logsumexp(x, b=x, return_sign=True),
    lambda x: nn.one_hot(jnp.argmax(x, axis=-1), 4), lambda x: nn.glu(x, axis=0),
])
def test_functions_trace(fn):
    x = jnp.asarray(np.random.default_rng(11).normal(size=(2, 4)).astype(np.float32))
    graph = irax.make_graph(fn)(jnp.zeros((2, 4)))
    expected = fn(x)
    traced = graph(x)
    for got, want in zip(traced, expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(got, want, rtol=1e-6)


# ---- derivatives: stable where the forward pass is, JAX's values at kinks --------

def test_gradients_are_stable_and_match_jax_at_kinks():
    from irax import grad
    assert float(grad(nn.relu)(0.0)) == 0.0
    assert float(grad(nn.relu6)(6.0)) == 0.0
    assert float(grad(nn.softplus)(0.0)) == 0.5
    assert float(grad(nn.softplus)(1000.0)) == 1.0
    assert float(grad(nn.sigmoid)(-1000.0)) == 0.0
    assert float(grad(nn.log_sigmoid)(-1000.0)) == 1.0
    g = np.asarray(grad(nn.logsumexp)(jnp.array([1000.0, 1000.0, -np.inf])))
    np.testing.assert_allclose(g, [0.5, 0.5, 0.0])
    assert float(grad(lambda x: jnp.logaddexp(x, x))(3.0)) == 1.0


@pytest.mark.parametrize("name", ["relu", "relu6", "sigmoid", "log_sigmoid", "softplus",
                                  "silu", "gelu", "elu", "leaky_relu", "celu", "selu",
                                  "softmax", "log_softmax", "logsumexp", "standardize"])
def test_check_grads_second_order(x64, name):
    from irax.test_util import check_grads
    x = np.array([-2.3, -0.7, 0.4, 1.9, 3.1])
    check_grads(getattr(nn, name), (x,), order=2)
