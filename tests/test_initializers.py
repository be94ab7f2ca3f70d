"""irax.nn.initializers: shapes and dtypes; sample statistics against the
variance-scaling formulas for every mode and distribution (5-sigma bounds from the
sample size, and Kolmogorov-Smirnov tests against scipy's distributions); truncation
bounds; orthogonal matrices against NumPy's QR; delta-orthogonal structure;
determinism, jit and vmap."""
import math

import numpy as np
import pytest
from scipy import stats

import irax
import irax.numpy as jnp
from irax import random
from irax.nn import initializers as init

KEY = random.PRNGKey(7)
SIGMAS = 5.0

# ---------------------------------------------------------------------------------
# Constant initializers, shapes and dtypes


def test_zeros_ones_constant():
    for fn, value in ((init.zeros, 0.0), (init.ones, 1.0), (init.constant(-7), -7.0)):
        out = fn(KEY, (2, 3))
        assert out.dtype == np.float32 and out.shape == (2, 3)
        np.testing.assert_array_equal(out, np.full((2, 3), value))
        assert fn(KEY, [4], jnp.bfloat16).dtype == jnp.bfloat16
    out = init.constant(jnp.array([1.0, 2.0, 3.0]), dtype=jnp.float16)(KEY, (2, 3))
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, [[1, 2, 3], [1, 2, 3]])
    assert init.constant(2 + 1j)(KEY, (2,), jnp.complex64).dtype == np.complex64


def test_default_dtype_follows_x64(x64):
    assert init.zeros(KEY, (2,)).dtype == np.float64
    assert init.glorot_normal()(KEY, (3, 4)).dtype == np.float64
    assert init.orthogonal()(KEY, (3, 3)).dtype == np.float64


BUILDERS = {
    "uniform": init.uniform, "normal": init.normal, "truncated_normal": init.truncated_normal,
    "glorot_uniform": init.glorot_uniform, "glorot_normal": init.glorot_normal,
    "xavier_uniform": init.xavier_uniform, "xavier_normal": init.xavier_normal,
    "he_uniform": init.he_uniform, "he_normal": init.he_normal,
    "kaiming_uniform": init.kaiming_uniform, "kaiming_normal": init.kaiming_normal,
    "lecun_uniform": init.lecun_uniform, "lecun_normal": init.lecun_normal,
    "orthogonal": init.orthogonal,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_shapes_dtypes_and_determinism(name):
    fn = BUILDERS[name]()
    assert isinstance(fn, init.Initializer)
    for dtype in (jnp.float32, jnp.bfloat16, jnp.float16):
        out = fn(KEY, (4, 5), dtype)
        assert out.shape == (4, 5) and out.dtype == dtype
    first, again = fn(KEY, [3, 2, 6]), fn(KEY, (3, 2, 6))
    assert first.shape == (3, 2, 6) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, fn(random.PRNGKey(8), (3, 2, 6)))
    with_default = BUILDERS[name](dtype=jnp.float16)
    assert with_default(KEY, (3, 4)).dtype == np.float16


def test_aliases_are_the_same_builders():
    assert init.xavier_uniform is init.glorot_uniform
    assert init.xavier_normal is init.glorot_normal
    assert init.kaiming_uniform is init.he_uniform
    assert init.kaiming_normal is init.he_normal


# ---------------------------------------------------------------------------------
# Statistics


_TRUNCATED = stats.truncnorm(-2, 2)
# variance of the sample variance is (kurtosis - 1) * sigma**4 / N
_KURTOSIS = {"normal": 3.0, "uniform": 1.8,
             "truncated_normal": float(_TRUNCATED.stats(moments="k")) + 3.0}


def _reference(distribution: str, variance: float):
    """scipy's distribution for variance-scaling draws of `variance`."""
    std = math.sqrt(variance)
    if distribution == "normal":
        return stats.norm(scale=std)
    if distribution == "uniform":
        bound = math.sqrt(3 * variance)
        return stats.uniform(-bound, 2 * bound)
    return stats.truncnorm(-2, 2, scale=std / _TRUNCATED.std())


def _check_real_sample(x: np.ndarray, distribution: str, variance: float):
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    std = math.sqrt(variance)
    assert abs(x.mean()) < SIGMAS * std / math.sqrt(n)
    sd_of_variance = variance * math.sqrt((_KURTOSIS[distribution] - 1) / n)
    assert abs(x.var() - variance) < SIGMAS * sd_of_variance, (x.var(), variance)
    assert stats.kstest(x, _reference(distribution, variance).cdf).pvalue > 1e-6
    if distribution == "uniform":
        assert np.abs(x).max() <= math.sqrt(3 * variance)
    if distribution == "truncated_normal":
        assert np.abs(x).max() < 2 * std / _TRUNCATED.std()


# shape, axes, (fan_in, fan_out)
FANS = [
    ((300, 200), {}, (300, 200)),
    ((3, 5, 40, 60), {}, (600, 900)),
    ((8, 30, 50), {"in_axis": 2, "out_axis": 1, "batch_axis": 0}, (50, 30)),
    ((10, 12, 300), {"in_axis": (0, 1), "out_axis": -1}, (120, 300)),
]


def _denominator(mode, fan_in, fan_out):
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_statistics(mode, distribution):
    for k, (shape, axes, (fan_in, fan_out)) in enumerate(FANS):
        fn = init.variance_scaling(1.7, mode, distribution, **axes)
        x = fn(random.fold_in(KEY, k), shape)
        assert x.shape == shape and x.dtype == np.float32
        _check_real_sample(x, distribution, 1.7 / _denominator(mode, fan_in, fan_out))


@pytest.mark.parametrize("name, scale, mode, distribution", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"),
    ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"),
    ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"),
    ("he_normal", 2.0, "fan_in", "truncated_normal"),
])
def test_named_variance_scaling_initializers(name, scale, mode, distribution):
    x = getattr(init, name)()(KEY, (400, 100))
    _check_real_sample(x, distribution, scale / _denominator(mode, 400, 100))
    conv = getattr(init, name)(in_axis=0, out_axis=1)(KEY, (30, 20, 5, 5))
    _check_real_sample(conv, distribution, scale / _denominator(mode, 750, 500))


@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_complex(distribution):
    variance = 2.0 / 250
    z = np.asarray(init.variance_scaling(2.0, "fan_in", distribution)(
        KEY, (250, 400), jnp.complex64)).ravel().astype(np.complex128)
    n = z.size
    assert abs(z.mean()) < SIGMAS * math.sqrt(variance / n)
    modulus_sq = np.abs(z) ** 2
    # |z|**2 is exponential (normal), uniform on [0, 2v] (disk), or a truncated
    # exponential: its standard deviation is at most its mean.
    expected = variance
    if distribution == "truncated_normal":
        # JAX's correction 0.95311... (kept for identical draws) is not the standard
        # deviation of a unit complex normal truncated at modulus 2, which is
        # sqrt(E[Exp(1) | < 4]) = sqrt(1 - 4 e**-4 / (1 - e**-4)) = 0.96196...
        expected *= (1 - 4 * math.exp(-4) / (1 - math.exp(-4))) / 0.95311164380491208 ** 2
    assert abs(modulus_sq.mean() - expected) < SIGMAS * expected / math.sqrt(n)
    if distribution == "uniform":
        assert modulus_sq.max() <= 2 * variance * (1 + 1e-6)
        assert stats.kstest(modulus_sq, stats.uniform(0, 2 * variance).cdf).pvalue > 1e-6
    if distribution == "normal":
        assert stats.kstest(modulus_sq, stats.expon(scale=variance).cdf).pvalue > 1e-6
    if distribution == "truncated_normal":
        std = math.sqrt(variance) / 0.95311164380491208
        assert np.sqrt(modulus_sq.max()) < 2 * std
    phase = np.angle(z)
    assert stats.kstest(phase, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > 1e-6


def test_uniform_normal_truncated_normal_builders():
    u = np.asarray(init.uniform(3.0)(KEY, (100_000,)), np.float64)
    assert u.min() >= 0 and u.max() < 3.0
    assert stats.kstest(u, stats.uniform(0, 3).cdf).pvalue > 1e-6
    g = np.asarray(init.normal(0.5)(KEY, (100_000,)), np.float64)
    assert stats.kstest(g, stats.norm(scale=0.5).cdf).pvalue > 1e-6
    t = np.asarray(init.truncated_normal(0.5, lower=-1.0, upper=3.0)(KEY, (100_000,)),
                   np.float64)
    assert t.min() > -0.5 and t.max() < 1.5
    assert stats.kstest(t, stats.truncnorm(-1, 3, scale=0.5).cdf).pvalue > 1e-6


# ---------------------------------------------------------------------------------
# Orthogonal and delta orthogonal


def _as_matrix(w, column_axis):
    w = np.moveaxis(np.asarray(w, np.float64), column_axis, -1)
    return w.reshape(-1, w.shape[-1])


@pytest.mark.parametrize("shape, column_axis", [
    ((6, 6), -1), ((9, 4), -1), ((4, 9), -1), ((3, 4, 5), -1), ((5, 2, 3), 0),
    ((2, 7, 3), 1),
])
def test_orthogonal_is_orthonormal(shape, column_axis, x64):
    w = init.orthogonal(scale=1.5, column_axis=column_axis)(KEY, shape)
    assert w.shape == shape and w.dtype == np.float64
    m = _as_matrix(w, column_axis) / 1.5
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-13)


def test_orthogonal_is_the_haar_q_of_a_normal_draw(x64):
    """As `jax.random.orthogonal`: Q of the QR of a normal (max, min) draw with R's
    diagonal made positive (transposed for a wide matrix)."""
    for rows, cols in ((7, 4), (4, 7), (5, 5)):
        z = np.asarray(random.normal(KEY, (max(rows, cols), min(rows, cols))))
        q, r = np.linalg.qr(z)
        q = q * np.sign(np.diag(r))
        expected = q.T if rows < cols else q
        np.testing.assert_allclose(init.orthogonal()(KEY, (rows, cols)), expected,
                                   atol=1e-13)


def test_orthogonal_float32_and_complex():
    w = np.asarray(init.orthogonal()(KEY, (64, 48)), np.float64)
    np.testing.assert_allclose(w.T @ w, np.eye(48), atol=5e-6)
    u = np.asarray(init.orthogonal()(KEY, (5, 8), jnp.complex64)).astype(np.complex128)
    np.testing.assert_allclose(u @ u.conj().T, np.eye(5), atol=5e-6)
    assert np.abs(u.imag).max() > 0.1


def test_orthogonal_edge_cases():
    assert init.orthogonal()(KEY, (0, 3)).shape == (0, 3)
    with pytest.raises(ValueError, match="at least a 2D shape"):
        init.orthogonal()(KEY, (3,))
    with pytest.raises(ValueError, match="column_axis=2 is out of range"):
        init.orthogonal(column_axis=2)(KEY, (3, 3))


@pytest.mark.parametrize("shape", [(3, 4, 6), (3, 4, 2, 5), (2, 3, 5, 4, 4)])
def test_delta_orthogonal_structure(shape, x64):
    w = np.asarray(init.delta_orthogonal(scale=2.0)(KEY, shape))
    assert w.shape == shape
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    mask = np.ones(shape[:-2], bool)
    mask[centre] = False
    assert np.all(w[mask] == 0)
    middle = w[centre] / 2.0
    np.testing.assert_allclose(middle @ middle.T, np.eye(shape[-2]), atol=1e-13)
    np.testing.assert_allclose(w[centre], init.orthogonal(2.0)(KEY, shape[-2:]), atol=1e-15)


def test_delta_orthogonal_rejects_bad_shapes():
    with pytest.raises(ValueError, match="3D, 4D or 5D"):
        init.delta_orthogonal()(KEY, (3, 3))
    with pytest.raises(ValueError, match="fan_in"):
        init.delta_orthogonal()(KEY, (3, 5, 4))


# ---------------------------------------------------------------------------------
# Errors


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="invalid mode"):
        init.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(ValueError, match="invalid distribution"):
        init.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="1-dimensional weights tensor"):
        init.glorot_uniform()(KEY, (5,))
    with pytest.raises(ValueError, match="out of range for shape"):
        init.lecun_normal(in_axis=3)(KEY, (2, 3))
    with pytest.raises(ValueError, match="floating or complex dtype"):
        init.normal()(KEY, (2,), jnp.int32)
    vector = init.variance_scaling(1.0, "fan_in", "normal", in_axis=0, out_axis=0)
    assert vector(KEY, (5,)).shape == (5,)


# ---------------------------------------------------------------------------------
# Transformations


def test_jit_matches_eager():
    fns = {"he_uniform": init.he_uniform(), "normal": init.normal(0.1),
           "delta_orthogonal": init.delta_orthogonal(),
           "complex": lambda k, s: init.lecun_uniform()(k, s, jnp.complex64)}
    shapes = {"delta_orthogonal": (3, 3, 4, 6)}
    jitted = irax.jit(lambda k: {n: f(k, shapes.get(n, (6, 4))) for n, f in fns.items()})
    for seed in (1, 2):
        key = random.PRNGKey(seed)
        compiled = jitted(key)
        for name, fn in fns.items():
            np.testing.assert_allclose(compiled[name], fn(key, shapes.get(name, (6, 4))),
                                       rtol=2e-5, atol=2e-6, err_msg=name)


def test_vmap_over_keys_matches_a_loop():
    keys = random.split(KEY, 4)
    for fn in (init.glorot_uniform(), init.orthogonal()):
        batched = irax.vmap(lambda k, fn=fn: fn(k, (5, 3)))(keys)
        looped = np.stack([np.asarray(fn(k, (5, 3))) for k in keys])
        np.testing.assert_allclose(batched, looped, rtol=1e-6, atol=1e-7)
