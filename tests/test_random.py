"""Tests for irax.random: Threefry against published vectors, keys, bits and every
sampler against values printed by JAX (partitionable Threefry, JAX's default), every
sampler's distribution (moments, Kolmogorov-Smirnov, chi-square), dtypes,
reproducibility, tracing and bad input."""
import math
import warnings

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import random
from irax.random.threefry import threefry2x32, uint32

N = 100_000
KEY = random.PRNGKey(0)
K42 = random.PRNGKey(42)
P = jnp.array([0.1, 0.2, 0.3, 0.2, 0.2])
LOW = jnp.array([[0], [100]])
LOGITS = jnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
GRID = jnp.arange(12).reshape(3, 4)
# Chi-square critical values at alpha = 1e-3 by degrees of freedom.
CHI2_CRIT = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 9: 27.877}


def ks_statistic(samples, cdf) -> float:
    """The two-sided Kolmogorov-Smirnov statistic of `samples` against `cdf`."""
    x = np.sort(np.asarray(samples, np.float64))
    f = cdf(x)
    n = len(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def assert_ks(samples, cdf):
    """KS test at alpha = 1e-3 (asymptotic critical value sqrt(-log(alpha/2) / 2n))."""
    n = np.size(samples)
    crit = math.sqrt(-math.log(1e-3 / 2) / 2) / math.sqrt(n)
    stat = ks_statistic(samples, cdf)
    assert stat < crit, f"KS statistic {stat:.5f} >= critical value {crit:.5f}"


def assert_chi2(counts, probs):
    counts, probs = np.asarray(counts, np.float64), np.asarray(probs, np.float64)
    expected = counts.sum() * probs
    stat = np.sum((counts - expected) ** 2 / expected)
    assert stat < CHI2_CRIT[len(counts) - 1], f"chi-square {stat:.2f} for counts {counts}"


def assert_moments(samples, mean, var):
    """Sample mean and variance within 5 standard errors (4th moment bounded by 10 var^2)."""
    x = np.asarray(samples, np.float64)
    n = x.size
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n), x.mean()
    assert abs(x.var() - var) < 5 * math.sqrt(10 * var ** 2 / n), x.var()


_erf = np.vectorize(math.erf)


def normal_cdf(x):
    return 0.5 * (1 + _erf(x / math.sqrt(2)))


# ---- Threefry and keys --------------------------------------------------------------

@pytest.mark.parametrize("key, count, expected", [
    # Random123's known-answer vectors for threefry2x32 with 20 rounds.
    ((0, 0), (0, 0), (0x6b200159, 0x99ba4efe)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1cb996fc, 0xbb002be7)),
    ((0x13198a2e, 0x03707344), (0x243f6a88, 0x85a308d3), (0xc4923a9c, 0x483df7a0)),
])
def test_threefry_known_answers(key, count, expected):
    out = threefry2x32(*map(uint32, key), *map(uint32, count))
    assert [int(w) for w in out] == list(expected)
    assert all(w.dtype == np.uint32 for w in out)


def test_prng_key_values():
    for seed in (0, 42, 2**31 - 1):
        key = random.PRNGKey(seed)
        assert key.dtype == np.uint32 and key.shape == (2,)
        np.testing.assert_array_equal(key, [0, seed])
    np.testing.assert_array_equal(random.key(7), [0, 7])
    np.testing.assert_array_equal(random.PRNGKey(np.uint32(7)), [0, 7])
    np.testing.assert_array_equal(random.PRNGKey(jnp.asarray(7, jnp.int8)), [0, 7])
    # Without x64 a Python int seed keeps its low 32 bits (it passes through int32).
    np.testing.assert_array_equal(random.PRNGKey(-1), [0, 2**32 - 1])
    np.testing.assert_array_equal(random.PRNGKey(2**32 + 5), [0, 5])


def test_prng_key_64_bit_seed(x64):
    np.testing.assert_array_equal(random.PRNGKey(2**32 + 5), [1, 5])
    np.testing.assert_array_equal(random.PRNGKey(-1), [2**32 - 1, 2**32 - 1])
    np.testing.assert_array_equal(random.PRNGKey(np.uint64(2**63 + 3)), [2**31, 3])


# ---- agreement with JAX ---------------------------------------------------------------
# Each case runs the same expression in irax and in JAX (0.10.2, which defaults to
# jax_threefry_partitionable=True); the literals are JAX's output.  Integer draws and
# plain uniforms (bit moves only) must match exactly.  The rest may differ by a few ulp:
# irax's erf_inv, log and log1p are not XLA's, and XLA fuses `u * (hi - lo) + lo` in
# uniform into one fused multiply-add (one rounding instead of two).

JAX_EXACT = [
    pytest.param(lambda: random.split(KEY), "uint32",
                 [[1797259609, 2579123966], [928981903, 3453687069]], id="split"),
    pytest.param(lambda: random.split(KEY, 3), "uint32",
                 [[1797259609, 2579123966], [928981903, 3453687069], [4146024105, 2718843009]],
                 id="split-3"),
    pytest.param(lambda: random.split(K42, (2, 3)), "uint32",
                 [[[1832780943, 270669613], [64467757, 2916123636], [2465931498, 255383827]],
                 [[3134548294, 894150801], [2954079971, 3276725750], [2765691542, 824333390]]],
                 id="split-shape"),
    pytest.param(lambda: random.split(random.split(KEY)[1], 4), "uint32",
                 [[346279018, 360566543], [3968330031, 3923691647], [3152301319, 792466127],
                 [2488719848, 3371676629]], id="split-of-split"),
    pytest.param(lambda: random.fold_in(KEY, 3), "uint32",
                 [2467461003, 3840466878], id="fold_in"),
    pytest.param(lambda: random.fold_in(KEY, 0), "uint32",
                 [1797259609, 2579123966], id="fold_in-0"),
    pytest.param(lambda: random.fold_in(K42, 2**31 + 7), "uint32",
                 [456327611, 898978002], id="fold_in-big"),
    pytest.param(lambda: random.bits(KEY), "uint32",
                 4070199207, id="bits-scalar"),
    pytest.param(lambda: random.bits(KEY, (3,)), "uint32",
                 [4070199207, 4202968722, 1427181096], id="bits-3"),
    pytest.param(lambda: random.bits(K42, (2, 3)), "uint32",
                 [[2098992034, 2919706841, 2646866425], [2409546199, 1935504149, 2516274904]],
                 id="bits-2x3"),
    pytest.param(lambda: random.bits(KEY, (5,), jnp.uint8), "uint8",
                 [167, 146, 40, 53, 183], id="bits-uint8"),
    pytest.param(lambda: random.bits(K42, (2, 3), jnp.uint16), "uint16",
                 [[5026, 12505, 63993], [49623, 29461, 20184]], id="bits-uint16"),
    pytest.param(lambda: random.bits(random.PRNGKey(7), (4,), jnp.uint32), "uint32",
                 [2895194379, 4185947648, 1300703658, 1906787632], id="bits-uint32"),
    pytest.param(lambda: random.randint(KEY, (5,), 0, 10), "int32",
                 [9, 0, 2, 3, 1], id="randint"),
    pytest.param(lambda: random.randint(K42, (2, 3), -100, 100), "int32",
                 [[-56, 14, -29], [69, 9, -81]], id="randint-signed"),
    pytest.param(lambda: random.randint(KEY, (6,), 0, 256, jnp.uint8), "uint8",
                 [101, 80, 200, 61, 3, 211], id="randint-uint8"),
    pytest.param(lambda: random.randint(KEY, (6,), -1000, 1000, jnp.int8), "int8",
                 [-27, -48, 72, -67, -125, 83], id="randint-int8"),
    pytest.param(lambda: random.randint(K42, (4,), -5, 5, jnp.int16), "int16",
                 [-1, -1, -4, 4], id="randint-int16"),
    pytest.param(lambda: random.randint(KEY, (2, 3), LOW, LOW + 4), "int32",
                 [[1, 0, 0], [101, 103, 103]], id="randint-array-bounds"),
    pytest.param(lambda: random.bernoulli(KEY, 0.3, (8,)), "bool",
                 [False, False, False, False, False, True, False, False], id="bernoulli"),
    pytest.param(lambda: random.bernoulli(K42, jnp.array([0.1, 0.5, 0.9]), (2, 3)), "bool",
                 [[False, False, True], [False, True, True]], id="bernoulli-array-p"),
    pytest.param(lambda: random.permutation(KEY, 10), "int32",
                 [0, 1, 8, 5, 6, 4, 3, 2, 7, 9], id="permutation"),
    pytest.param(lambda: random.permutation(KEY, jnp.arange(6)), "int32",
                 [0, 1, 5, 4, 3, 2], id="permutation-array"),
    pytest.param(lambda: random.permutation(K42, GRID, axis=1), "int32",
                 [[2, 3, 0, 1], [6, 7, 4, 5], [10, 11, 8, 9]], id="permutation-axis"),
    pytest.param(lambda: random.permutation(K42, GRID, axis=1, independent=True), "int32",
                 [[2, 3, 0, 1], [7, 4, 5, 6], [10, 11, 8, 9]], id="permutation-independent"),
    pytest.param(lambda: random.choice(KEY, 10, (4,)), "int32",
                 [9, 0, 2, 3], id="choice"),
    pytest.param(lambda: random.choice(KEY, 10, (4,), replace=False), "int32",
                 [0, 1, 8, 5], id="choice-no-replace"),
    pytest.param(lambda: random.choice(KEY, 5, (6,), p=P), "int32",
                 [0, 0, 3, 2, 2, 4], id="choice-p"),
    pytest.param(lambda: random.choice(K42, 5, (3,), replace=False, p=P), "int32",
                 [2, 1, 3], id="choice-p-no-replace"),
    pytest.param(lambda: random.choice(KEY, GRID, (2,), replace=False, axis=1), "int32",
                 [[0, 1], [4, 5], [8, 9]], id="choice-axis"),
    pytest.param(lambda: random.categorical(KEY, jnp.log(P), shape=(8,)), "int32",
                 [1, 2, 0, 0, 1, 1, 2, 1], id="categorical"),
    pytest.param(lambda: random.categorical(K42, LOGITS), "int32",
                 [2, 0], id="categorical-batch"),
    pytest.param(lambda: random.categorical(K42, LOGITS, axis=0, shape=(4, 3)), "int32",
                 [[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]], id="categorical-axis-0"),
    pytest.param(lambda: random.uniform(KEY, (2, 3)), "float32",
                 [[0.947667, 0.9785799, 0.33229148], [0.46866846, 0.5698887, 0.16550303]],
                 id="uniform"),
    pytest.param(lambda: random.uniform(KEY, (4,), jnp.float16), "float16",
                 [0.3105, 0.2129, 0.0547, 0.6562], id="uniform-float16"),
    pytest.param(lambda: random.uniform(KEY, (4,), jnp.bfloat16), "bfloat16",
                 [0.648438, 0.570312, 0.15625, 0.203125], id="uniform-bfloat16"),
]
JAX_CLOSE = [
    pytest.param(lambda: random.uniform(K42, (4,), minval=-2.0, maxval=3.0), "float32",
                 [0.44354784, 1.3989859, 1.0813575, 0.8050804], id="uniform-bounds"),
    pytest.param(lambda: random.normal(KEY, (3,)), "float32",
                 [1.6226422, 2.0252647, -0.43359444], id="normal"),
    pytest.param(lambda: random.normal(K42, (2, 3)), "float32",
                 [[-0.028304616, 0.46713185, 0.29570296], [0.15354592, -0.12403282, 0.21692315]],
                 id="normal-2x3"),
    pytest.param(lambda: random.normal(KEY, (3,), jnp.complex64), "complex64",
                 [complex(0.70994526, -1.727077), complex(-0.6408772, -1.4394435),
                 complex(-0.52903765, 0.14534172)], id="normal-complex"),
    pytest.param(lambda: random.truncated_normal(KEY, -1.0, 2.0, (4,)), "float32",
                 [1.5094677, 1.747393, -0.17467561, 0.10624172], id="truncated_normal"),
    pytest.param(lambda: random.truncated_normal(K42, jnp.array([-3., 0., 1.]), 3.0), "float32",
                 [-0.028228255, 0.9902782, 1.540556], id="truncated_normal-bounds"),
    pytest.param(lambda: random.gumbel(KEY, (4,)), "float32",
                 [2.9233725, 3.8326178, -0.09689324, 0.27725708], id="gumbel"),
    pytest.param(lambda: random.exponential(KEY, (4,)), "float32",
                 [2.950128, 3.8434246, 0.40390354, 0.6323691], id="exponential"),
    pytest.param(lambda: random.laplace(KEY, (4,)), "float32",
                 [-2.2569816, -3.1502788, 0.40859544, 0.06471242], id="laplace"),
    pytest.param(lambda: random.logistic(KEY, (4,)), "float32",
                 [2.896376, 3.8217716, -0.6978392, -0.12549055], id="logistic"),
]
JAX_EXACT_X64 = [
    pytest.param(lambda: random.bits(KEY, (3,), jnp.uint64), "uint64",
                 [7719171245655871230, 3989946895414531357, 17807037942121513089],
                 id="bits-uint64"),
    pytest.param(lambda: random.bits(K42, (2,)), "uint64",
                 [7871734211187709741, 276886910877598708], id="bits-default"),
    pytest.param(lambda: random.randint(KEY, (4,), 0, 2**40), "int64",
                 [455627099919, 205787154559, 30857237199, 999804089301], id="randint-int64"),
    pytest.param(lambda: random.uniform(KEY, (3,)), "float64",
                 [0.41845711171638644, 0.21629545460551136, 0.9653214611189975],
                 id="uniform-float64"),
]
JAX_CLOSE_X64 = [
    pytest.param(lambda: random.normal(KEY, (3,)), "float64",
                 [-0.2058421394796434, -0.7847657764467411, 1.8160866726679836],
                 id="normal-float64"),
    pytest.param(lambda: random.gumbel(KEY, (3,)), "float64",
                 [0.13790565977540292, -0.4259929367942607, 3.344039105585023],
                 id="gumbel-float64"),
]


def assert_matches_jax(out, dtype: str, expected, exact: bool):
    assert str(out.dtype) == dtype
    out = np.asarray(out)
    expected = np.asarray(expected, out.dtype)
    if exact:
        np.testing.assert_array_equal(out, expected)
    else:
        tol = 8 * float(np.finfo(out.dtype).eps)
        np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("draw, dtype, expected", JAX_EXACT)
def test_matches_jax_exactly(draw, dtype, expected):
    assert_matches_jax(draw(), dtype, expected, exact=True)


@pytest.mark.parametrize("draw, dtype, expected", JAX_CLOSE)
def test_matches_jax_to_a_few_ulp(draw, dtype, expected):
    assert_matches_jax(draw(), dtype, expected, exact=False)


@pytest.mark.parametrize("draw, dtype, expected", JAX_EXACT_X64)
def test_matches_jax_exactly_x64(draw, dtype, expected, x64):
    assert_matches_jax(draw(), dtype, expected, exact=True)


@pytest.mark.parametrize("draw, dtype, expected", JAX_CLOSE_X64)
def test_matches_jax_to_a_few_ulp_x64(draw, dtype, expected, x64):
    assert_matches_jax(draw(), dtype, expected, exact=False)


# ---- the partitionable scheme ----------------------------------------------------------

def test_element_i_hashes_counter_i():
    # A scalar draw hashes the counter pair (0, 0): Random123's first vector, xored.
    w1, w2 = 0x6b200159, 0x99ba4efe
    assert int(random.bits(KEY)) == w1 ^ w2
    np.testing.assert_array_equal(random.split(KEY, 1), [[w1, w2]])
    assert float(random.uniform(KEY)) == ((w1 ^ w2) >> 9) / 2**23
    raw = np.asarray(random.bits(KEY, (5,)))
    np.testing.assert_array_equal(random.uniform(KEY, (5,)),
                                  (raw >> 9).astype(np.float32) / np.float32(2**23))


def test_draws_do_not_depend_on_their_size():
    # Element i depends on the key and i only: a longer draw extends a shorter one,
    # and the shape only reshapes the row-major order.
    np.testing.assert_array_equal(np.asarray(random.bits(KEY, (8,)))[:3], random.bits(KEY, (3,)))
    np.testing.assert_array_equal(random.bits(KEY, (2, 3)),
                                  np.asarray(random.bits(KEY, (6,))).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(random.split(KEY, 5))[:3], random.split(KEY, 3))
    np.testing.assert_array_equal(random.split(KEY, (2, 3)),
                                  np.asarray(random.split(KEY, 6)).reshape(2, 3, 2))
    np.testing.assert_array_equal(np.asarray(random.normal(KEY, (7,)))[:4],
                                  random.normal(KEY, (4,)))


def test_split_shapes_and_fold_in_forms():
    assert random.split(KEY, 3).shape == (3, 2)
    assert random.split(KEY, (2, 3)).shape == (2, 3, 2)
    assert random.split(KEY, 0).shape == (0, 2)
    np.testing.assert_array_equal(random.split(KEY, 1)[0], random.split(KEY, (1,))[0])
    folded = random.fold_in(KEY, 3)
    np.testing.assert_array_equal(random.fold_in(KEY, jnp.asarray(3, jnp.uint32)), folded)
    np.testing.assert_array_equal(random.fold_in(KEY, np.int64(3)), folded)
    np.testing.assert_array_equal(random.fold_in(KEY, 2**32 + 3), folded)
    np.testing.assert_array_equal(random.key_data(KEY), KEY)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_narrow_bits_are_low_bits_of_words(dtype):
    words = np.asarray(random.bits(KEY, (7,)))
    out = random.bits(KEY, (7,), dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, words.astype(dtype))


def test_wide_bits_join_the_two_words(x64):
    # uint64 bits are (w1 << 32) | w2; uint32 bits are w1 ^ w2 of the same words.
    assert random.bits(KEY, (2,)).dtype == np.uint64
    wide = np.asarray(random.bits(KEY, (5,), np.uint64))
    words = np.asarray(random.bits(KEY, (5,), np.uint32))
    np.testing.assert_array_equal((wide >> np.uint64(32)) ^ (wide & np.uint64(2**32 - 1)),
                                  words)


def test_default_bits_dtype_without_x64():
    assert random.bits(KEY, (2,)).dtype == np.uint32


def test_reproducible_and_independent():
    np.testing.assert_array_equal(random.bits(KEY, (50,)), random.bits(KEY, (50,)))
    np.testing.assert_array_equal(random.normal(KEY, (10,)), random.normal(KEY, (10,)))
    keys = random.split(KEY, 8)
    assert len({tuple(np.asarray(k).tolist()) for k in keys}) == 8
    draws = [np.asarray(random.bits(k, (16,))) for k in keys]
    for i in range(8):
        for j in range(i):
            assert not np.array_equal(draws[i], draws[j])
    assert not np.array_equal(random.fold_in(KEY, 0), random.fold_in(KEY, 1))
    assert not np.array_equal(random.uniform(keys[0], (4,)), random.uniform(keys[1], (4,)))


def test_bits_are_uniform_per_bit():
    raw = np.asarray(random.bits(random.PRNGKey(3), (N,)))
    ones = ((raw[:, None] >> np.arange(32, dtype=np.uint32)) & 1).mean(axis=0)
    assert np.all(np.abs(ones - 0.5) < 5 * 0.5 / math.sqrt(N))


# ---- continuous distributions ------------------------------------------------------

def test_uniform_distribution():
    x = random.uniform(random.PRNGKey(1), (N,))
    assert x.dtype == np.float32 and x.shape == (N,)
    x = np.asarray(x)
    assert x.min() >= 0 and x.max() < 1
    assert_moments(x, 0.5, 1 / 12)
    assert_ks(x, lambda t: t)


def test_uniform_bounds_broadcast():
    lo = np.array([[-2.0], [10.0]], np.float32)
    x = np.asarray(random.uniform(random.PRNGKey(2), (2, 5000), minval=lo, maxval=lo + 3))
    assert np.all(x >= lo) and np.all(x < lo + 3)
    assert_ks(x[1] - 10, lambda t: t / 3)


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_uniform_narrow_floats(dtype):
    x = random.uniform(random.PRNGKey(4), (20_000,), dtype)
    assert x.dtype == dtype
    x = np.asarray(x, np.float64)
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.01


def test_uniform_float64(x64):
    x = random.uniform(random.PRNGKey(5), (N,))
    assert x.dtype == np.float64
    x = np.asarray(x)
    # 52 random mantissa bits: far more distinct values than float32 could hold.
    assert len(np.unique(x)) == N
    assert_ks(x, lambda t: t)


def test_normal_distribution():
    x = random.normal(random.PRNGKey(6), (N,))
    assert x.dtype == np.float32
    assert_moments(x, 0.0, 1.0)
    assert_ks(x, normal_cdf)


def test_normal_float64_and_complex(x64):
    x = random.normal(random.PRNGKey(7), (20_000,))
    assert x.dtype == np.float64
    assert_moments(x, 0.0, 1.0)
    z = random.normal(random.PRNGKey(8), (20_000,), jnp.complex64)
    assert z.dtype == np.complex64
    z = np.asarray(z)
    assert_moments(z.real, 0.0, 0.5)
    assert_moments(z.imag, 0.0, 0.5)
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 0.05


def test_truncated_normal_distribution():
    lo, hi = -1.0, 2.0
    x = random.truncated_normal(random.PRNGKey(9), lo, hi, (N,))
    assert x.dtype == np.float32
    x = np.asarray(x)
    assert x.min() > lo and x.max() < hi
    a, b = normal_cdf(lo), normal_cdf(hi)
    assert_ks(x, lambda t: (normal_cdf(t) - a) / (b - a))


def test_truncated_normal_bounds_and_shapes():
    lower = np.array([-3.0, 0.0, 5.0], np.float32)
    x = random.truncated_normal(random.PRNGKey(10), lower, np.inf, (1000, 3))
    x = np.asarray(x)
    assert np.all(x > lower) and np.all(np.isfinite(x))
    assert random.truncated_normal(KEY, lower, 6.0).shape == (3,)
    # A very narrow interval still gives values strictly inside it.
    narrow = np.asarray(random.truncated_normal(KEY, 0.5, np.nextafter(np.float32(0.5), 1),
                                                (100,)))
    assert np.all((narrow >= 0.5) & (narrow <= np.nextafter(np.float32(0.5), 1)))


@pytest.mark.parametrize("name, cdf, mean, var", [
    ("exponential", lambda t: 1 - np.exp(-t), 1.0, 1.0),
    ("gumbel", lambda t: np.exp(-np.exp(-t)), np.euler_gamma, math.pi ** 2 / 6),
    ("laplace", lambda t: np.where(t < 0, 0.5 * np.exp(t), 1 - 0.5 * np.exp(-t)), 0.0, 2.0),
    ("logistic", lambda t: 1 / (1 + np.exp(-t)), 0.0, math.pi ** 2 / 3),
])
def test_continuous_distributions(name, cdf, mean, var):
    x = getattr(random, name)(random.PRNGKey(11), (N,))
    assert x.dtype == np.float32 and x.shape == (N,)
    assert np.all(np.isfinite(np.asarray(x)))
    assert_moments(x, mean, var)
    assert_ks(x, cdf)


@pytest.mark.parametrize("name", ["uniform", "normal", "gumbel", "exponential", "laplace",
                                  "logistic"])
def test_float_samplers_follow_x64(name, x64):
    fn = getattr(random, name)
    assert fn(KEY, (3,)).dtype == np.float64
    assert fn(KEY, (3,), jnp.float32).dtype == np.float32
    assert fn(KEY).shape == ()


# ---- discrete distributions ---------------------------------------------------------

def test_bernoulli():
    x = random.bernoulli(random.PRNGKey(12), 0.3, (N,))
    assert x.dtype == np.bool_
    p_hat = np.asarray(x).mean()
    assert abs(p_hat - 0.3) < 5 * math.sqrt(0.3 * 0.7 / N)
    assert random.bernoulli(KEY).shape == () and random.bernoulli(KEY).dtype == np.bool_
    p = jnp.array([0.0, 1.0, 0.5])
    y = np.asarray(random.bernoulli(KEY, p, (200, 3)))
    assert not y[:, 0].any() and y[:, 1].all() and 0 < y[:, 2].sum() < 200
    assert random.bernoulli(KEY, p).shape == (3,)


def test_randint_uniform_counts():
    x = random.randint(random.PRNGKey(13), (N,), 0, 10)
    assert x.dtype == np.int32
    x = np.asarray(x)
    assert x.min() == 0 and x.max() == 9
    assert_chi2(np.bincount(x, minlength=10), np.full(10, 0.1))


def test_randint_bounds():
    x = np.asarray(random.randint(KEY, (1000,), -5, 3))
    assert x.min() >= -5 and x.max() < 3
    lo = jnp.array([[0], [100]])
    y = np.asarray(random.randint(KEY, (2, 500), lo, lo + 4))
    assert np.all((y >= np.asarray(lo)) & (y < np.asarray(lo) + 4))
    np.testing.assert_array_equal(random.randint(KEY, (5,), 7, 7), np.full(5, 7))
    np.testing.assert_array_equal(random.randint(KEY, (5,), 7, 3), np.full(5, 7))
    info = np.iinfo(np.int32)
    wide = np.asarray(random.randint(KEY, (1000,), info.min, info.max))
    assert wide.min() < -2**30 and wide.max() > 2**30


def test_randint_clips_bounds_to_dtype():
    full = random.randint(random.PRNGKey(14), (10_000,), 0, 256, jnp.uint8)
    assert full.dtype == np.uint8
    assert np.asarray(full).min() == 0 and np.asarray(full).max() == 255
    signed = np.asarray(random.randint(KEY, (10_000,), -1000, 1000, jnp.int8))
    assert signed.min() == -128 and signed.max() == 127


def test_randint_64_bit(x64):
    x = random.randint(random.PRNGKey(15), (1000,), 0, 2**40)
    assert x.dtype == np.int64
    x = np.asarray(x)
    assert x.min() >= 0 and x.max() < 2**40 and x.max() > 2**39


def test_categorical_frequencies():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4], np.float32)) + 7.0
    x = random.categorical(random.PRNGKey(16), logits, shape=(20_000,))
    assert x.dtype == np.int32 and x.shape == (20_000,)
    assert_chi2(np.bincount(np.asarray(x), minlength=4), [0.1, 0.2, 0.3, 0.4])


def test_categorical_batches_and_axes():
    logits = jnp.array([[0.0, 50.0, 0.0], [50.0, 0.0, 0.0]])
    np.testing.assert_array_equal(random.categorical(KEY, logits), [1, 0])
    np.testing.assert_array_equal(random.categorical(KEY, logits.T, axis=0), [1, 0])
    out = random.categorical(KEY, logits, shape=(5, 2))
    assert out.shape == (5, 2)
    np.testing.assert_array_equal(out, np.tile([1, 0], (5, 1)))


def test_permutation():
    perm = np.asarray(random.permutation(random.PRNGKey(17), 100))
    assert perm.dtype == np.int32
    np.testing.assert_array_equal(np.sort(perm), np.arange(100))
    assert not np.array_equal(perm, np.arange(100))
    x = np.arange(12).reshape(4, 3)
    rows = np.asarray(random.permutation(KEY, x))
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x))
    cols = np.asarray(random.permutation(KEY, x, axis=-1))
    assert sorted(map(tuple, cols.T)) == sorted(map(tuple, x.T))
    indep = np.asarray(random.permutation(random.PRNGKey(18), np.arange(200).reshape(2, 100),
                                          axis=1, independent=True))
    np.testing.assert_array_equal(np.sort(indep, axis=1), np.arange(200).reshape(2, 100))
    assert not np.array_equal(indep[0], indep[1] - 100)


def test_permutations_are_uniform():
    counts = {}
    for i in range(600):
        perm = tuple(np.asarray(random.permutation(random.fold_in(KEY, i), 3)).tolist())
        counts[perm] = counts.get(perm, 0) + 1
    assert len(counts) == 6
    assert_chi2(list(counts.values()), np.full(6, 1 / 6))


def test_shuffle_is_deprecated_independent_permutation():
    x = jnp.arange(10)
    with pytest.warns(DeprecationWarning, match="permutation"):
        out = random.shuffle(KEY, x)
    np.testing.assert_array_equal(out, random.permutation(KEY, x, independent=True))


def test_choice_with_and_without_replacement():
    x = np.asarray(random.choice(random.PRNGKey(19), 5, (20_000,)))
    assert_chi2(np.bincount(x, minlength=5), np.full(5, 0.2))
    unique = np.asarray(random.choice(KEY, 10, (10,), replace=False))
    np.testing.assert_array_equal(np.sort(unique), np.arange(10))
    a = np.arange(12.0).reshape(3, 4)
    cols = random.choice(KEY, a, (2,), replace=False, axis=1)
    assert cols.shape == (3, 2) and cols.dtype == np.float32
    assert all(np.any(np.all(a == np.asarray(c)[:, None], axis=0)) for c in np.asarray(cols).T)
    assert random.choice(KEY, a, (5, 2)).shape == (5, 2, 4)


def test_choice_with_probabilities():
    p = np.array([0.5, 0.0, 0.2, 0.3])
    x = np.asarray(random.choice(random.PRNGKey(20), 4, (20_000,), p=p))
    counts = np.bincount(x, minlength=4)
    assert counts[1] == 0
    assert_chi2(counts[[0, 2, 3]], p[[0, 2, 3]])
    picks = np.asarray(random.choice(KEY, jnp.arange(4) * 10, (3,), replace=False, p=p))
    assert sorted(picks.tolist()) == [0, 20, 30]


def test_empty_draws():
    assert random.uniform(KEY, (0, 3)).shape == (0, 3)
    assert random.bits(KEY, (0,)).shape == (0,)
    assert random.choice(KEY, 3, (0,)).shape == (0,)
    np.testing.assert_array_equal(random.permutation(KEY, 0), np.zeros(0))


# ---- tracing -------------------------------------------------------------------------

@pytest.mark.parametrize("sampler", [
    lambda k: random.split(k, 3),
    lambda k: random.fold_in(k, 7),
    lambda k: random.uniform(k, (4,), minval=-1.0, maxval=2.0),
    lambda k: random.normal(k, (3,)),
    lambda k: random.randint(k, (5,), 0, 9),
    lambda k: random.bernoulli(k, 0.4, (6,)),
    lambda k: random.truncated_normal(k, -0.5, 0.5, (3,)),
    lambda k: random.categorical(k, jnp.array([0.0, 1.0, 2.0]), shape=(4,)),
    lambda k: random.permutation(k, jnp.arange(6)),
    lambda k: random.choice(k, jnp.arange(5.0), (3,), p=jnp.full(5, 0.2)),
])
def test_samplers_trace_with_the_key_as_input(sampler):
    graph = irax.make_graph(sampler)(KEY)
    names = {eqn.primitive.name for eqn in graph.graph.eqns}
    assert "xor" in names and "shift_left" in names       # the hash is in the graph
    other = random.PRNGKey(123)
    (traced,) = graph(other)
    np.testing.assert_array_equal(traced, sampler(other))


def test_prng_key_traces_the_seed():
    graph = irax.make_graph(random.PRNGKey)(jnp.asarray(5, jnp.int32))
    (key,) = graph(jnp.asarray(9, jnp.int32))
    np.testing.assert_array_equal(key, [0, 9])


# ---- bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("bad_key, match", [
    (jnp.zeros(3, jnp.uint32), r"uniform: expected a PRNG key.*uint32\[3\]"),
    (jnp.zeros(2, jnp.float32), r"uniform: expected a PRNG key.*float32\[2\]"),
    (jnp.zeros((4, 2), jnp.uint32), "vmap"),
    ([0, 0], "uniform: expected a PRNG key.*list"),
    (0, "uniform: expected a PRNG key"),
])
def test_bad_keys_raise_type_error(bad_key, match):
    with pytest.raises(TypeError, match=match):
        random.uniform(bad_key, (2,))


@pytest.mark.parametrize("name", ["split", "fold_in", "bits", "normal", "randint",
                                  "bernoulli", "permutation", "choice", "categorical"])
def test_every_function_checks_its_key(name):
    args = {"fold_in": (1,), "randint": ((2,), 0, 3), "permutation": (3,), "choice": (3,),
            "categorical": (jnp.zeros(3),)}.get(name, ())
    with pytest.raises(TypeError, match=f"{name}: expected a PRNG key"):
        getattr(random, name)(jnp.zeros(2, jnp.int32), *args)


def test_bad_arguments():
    with pytest.raises(TypeError, match="PRNGKey: seed must have an integer dtype"):
        random.PRNGKey(jnp.asarray(1.5))
    with pytest.raises(TypeError, match="PRNGKey: seed must be a scalar"):
        random.PRNGKey(jnp.zeros(2, jnp.int32))
    with pytest.raises(TypeError, match="PRNGKey: seed must be an integer"):
        random.PRNGKey(1.5)
    with pytest.raises(OverflowError, match="PRNGKey"):
        random.PRNGKey(2**64)
    with pytest.raises(TypeError, match="fold_in: data must be a scalar"):
        random.fold_in(KEY, jnp.arange(2))
    with pytest.raises(TypeError, match="uniform: shape must be a sequence"):
        random.uniform(KEY, 3)
    with pytest.raises(ValueError, match="normal: shape .* negative"):
        random.normal(KEY, (-1,))
    with pytest.raises(ValueError, match="uniform: dtype must be a floating dtype"):
        random.uniform(KEY, (2,), jnp.int32)
    with pytest.raises(ValueError, match="bits: dtype must be an unsigned"):
        random.bits(KEY, (2,), jnp.int32)
    with pytest.raises(TypeError, match="randint: dtype must be an integer"):
        random.randint(KEY, (2,), 0, 3, jnp.float32)
    with pytest.raises(TypeError, match="bernoulli: probability p"):
        random.bernoulli(KEY, 1)
    with pytest.raises(ValueError, match=r"uniform: shapes? \(3,\)"):
        random.uniform(KEY, (3,), minval=jnp.zeros(2))
    with pytest.raises(ValueError, match=r"randint: shapes? \(3,\)"):
        random.randint(KEY, (3,), jnp.zeros(4, jnp.int32), 5)
    with pytest.raises(ValueError, match="categorical: logits must have"):
        random.categorical(KEY, 1.0)
    with pytest.raises(ValueError, match="categorical: axis 2 is out of bounds"):
        random.categorical(KEY, jnp.zeros((2, 2)), axis=2)
    with pytest.raises(TypeError, match="permutation: a scalar x must be an integer"):
        random.permutation(KEY, 2.5)
    with pytest.raises(ValueError, match="choice: cannot take a larger sample"):
        random.choice(KEY, 3, (4,), replace=False)
    with pytest.raises(ValueError, match="choice: p must be None or a 1-D vector"):
        random.choice(KEY, 3, (2,), p=jnp.ones(4) / 4)
    with pytest.raises(ValueError, match="choice: a must be greater than 0"):
        random.choice(KEY, 0, (2,))


def test_permutation_of_traced_int_needs_a_concrete_value():
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda n: random.permutation(KEY, n))(jnp.asarray(3))


def test_no_warnings_from_wrapping_arithmetic():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        random.randint(KEY, (100,), np.iinfo(np.int32).min, np.iinfo(np.int32).max)
        random.split(random.PRNGKey(2**31 - 1), 5)
