"""Tests for irax.random's other distributions (distributions.py, counts.py): draws
equal to JAX 0.10's for one key,
goodness of fit against scipy.stats (Kolmogorov-Smirnov for continuous distributions,
chi-square for discrete ones), closed-form moments, shapes, dtypes and broadcasting,
determinism, jit (two calls) and vmap over keys, and derivatives."""
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.special
import scipy.stats as st

import irax
import irax.numpy as jnp
import irax.random as D
from irax import random
from irax.test_util import check_grads

N = 20_000
P_MIN = 1e-4
K42 = random.PRNGKey(42)
KEY = random.PRNGKey(7)

JAX_DRAWS = {  # jax 0.10.2, jax.random.<name>(PRNGKey(42), ...) as in IRAX_CALLS, float32
    'gamma': [0.43624743819236755, 0.33158406615257263, 4.194111347198486, 5.560968399047852],
    'loggamma': [-53.09775161743164, -0.6805716753005981, 1.5822826623916626],
    'beta': [0.8508639335632324, 0.15737295150756836, 0.23755112290382385],
    'dirichlet': [[0.1332724243402481, 0.04421514272689819, 0.8225123882293701],
                  [0.011872274801135063, 0.07529863715171814, 0.9128291010856628]],
    't': [0.0862121731042862, -1.2958955764770508, 2.0797083377838135],
    'chisquare': [1.998908519744873, 1.3978509902954102, 13.608409881591797],
    'f': [0.7123990058898926, 0.25676989555358887, 0.24049729108810425],
    'generalized_normal': [-1.1326576471328735, -0.03987812623381615, 1.8458683490753174],
    'ball': [[0.3436679542064667, 0.05199319124221802, 0.017910156399011612],
             [0.37601301074028015, -0.07180140912532806, 0.28090161085128784]],
    'poisson': [1, 2, 13, 12, 104],
    'binomial': [1.0, 16.0, 35.0, 45.0],
    'multinomial': [3.0, 21.0, 6.0],
    'multivariate_normal': [[0.9599712491035461, -0.5890027284622192],
                            [1.418187141418457, -0.7355021238327026]],
    'orthogonal': [[-0.01952970027923584, 0.9952677488327026, 0.09518947452306747],
                   [0.10594390332698822, -0.09261152893304825, 0.9900500178337097],
                   [-0.99418044090271, -0.02941983938217163, 0.10363386571407318]],
    'cauchy': [-0.03548463061451912, 0.6337261199951172, 0.38244056701660156],
    'pareto': [1.2505779266357422, 1.461700201034546, 1.3761274814605713],
    'weibull_min': [1.5326144695281982, 2.181030750274658, 1.943356990814209],
    'rayleigh': [2.3933022022247314, 1.7571814060211182, 1.9678773880004883],
    'wald': [1.6461201906204224, 2.6983466148376465, 0.3518810272216797],
    'lognormal': [0.9859473705291748, 1.2630960941314697, 1.159340739250183],
    'maxwell': [0.553582489490509, 0.293285071849823, 1.708603024482727],
    'double_sided_maxwell': [-1.7620434761047363, -0.3513779640197754, 5.444042682647705],
    'geometric': [4, 2, 3, 3],
    'triangular': [0.4829676151275635, 0.7996197938919067, 0.685930609703064],
    'rademacher': [1, -1, -1, -1, 1, -1],
}

IRAX_CALLS = {
    'gamma': lambda k: D.gamma(k, jnp.array([0.3, 1.0, 2.5, 7.0])),
    'loggamma': lambda k: D.loggamma(k, jnp.array([0.01, 0.5, 3.0])),
    'beta': lambda k: D.beta(k, 0.5, jnp.array([0.5, 2.0, 5.0])),
    'dirichlet': lambda k: D.dirichlet(k, jnp.array([0.5, 1.0, 4.0]), (2,)),
    't': lambda k: D.t(k, 4.0, (3,)),
    'chisquare': lambda k: D.chisquare(k, jnp.array([1.0, 3.0, 9.0])),
    'f': lambda k: D.f(k, 3.0, 7.0, (3,)),
    'generalized_normal': lambda k: D.generalized_normal(k, 0.8, (3,)),
    'ball': lambda k: D.ball(k, 3, 1.5, (2,)),
    'poisson': lambda k: D.poisson(k, jnp.array([0.5, 3.0, 9.5, 15.0, 120.0])),
    'binomial': lambda k: D.binomial(k, jnp.array([5.0, 20.0, 100.0, 1000.0]),
                                     jnp.array([0.3, 0.9, 0.4, 0.05])),
    'multinomial': lambda k: D.multinomial(k, 30.0, jnp.array([0.1, 0.6, 0.3])),
    'multivariate_normal': lambda k: D.multivariate_normal(
        k, jnp.array([1.0, -1.0]), jnp.array([[2.0, 0.6], [0.6, 1.0]]), (2,)),
    'orthogonal': lambda k: D.orthogonal(k, 3),
    'cauchy': lambda k: D.cauchy(k, (3,)),
    'pareto': lambda k: D.pareto(k, 3.0, (3,)),
    'weibull_min': lambda k: D.weibull_min(k, 2.0, 1.5, (3,)),
    'rayleigh': lambda k: D.rayleigh(k, 2.0, (3,)),
    'wald': lambda k: D.wald(k, 1.5, (3,)),
    'lognormal': lambda k: D.lognormal(k, 0.5, (3,)),
    'maxwell': lambda k: D.maxwell(k, (3,)),
    'double_sided_maxwell': lambda k: D.double_sided_maxwell(k, 1.0, 2.0, (3,)),
    'geometric': lambda k: D.geometric(k, 0.2, (4,)),
    'triangular': lambda k: D.triangular(k, -1.0, 0.5, 2.0, (3,)),
    'rademacher': lambda k: D.rademacher(k, (6,)),
}


def test_every_jax_sampler_is_covered():
    from irax.random import counts, distributions
    names = {*distributions.__all__, *counts.__all__} - {"clone"}
    assert set(IRAX_CALLS) == set(JAX_DRAWS) == names and names <= set(D.__all__)


@pytest.mark.parametrize("name", sorted(JAX_DRAWS))
def test_draws_equal_jax(name):
    got = IRAX_CALLS[name](K42)
    want = np.asarray(JAX_DRAWS[name])
    assert got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got), want, rtol=3e-5, atol=1e-6)


# ---------------------------------------------------------------- goodness of fit

CONTINUOUS = {  # name: (draws of shape (N,), scipy's distribution)
    "gamma_small_a": (lambda k: D.gamma(k, 0.4, (N,)), st.gamma(0.4)),
    "gamma": (lambda k: D.gamma(k, 3.5, (N,)), st.gamma(3.5)),
    "loggamma": (lambda k: jnp.exp(D.loggamma(k, 0.7, (N,))), st.gamma(0.7)),
    "beta": (lambda k: D.beta(k, 0.6, 2.5, (N,)), st.beta(0.6, 2.5)),
    "dirichlet": (lambda k: D.dirichlet(k, jnp.array([1.5, 0.5, 2.0]), (N,))[:, 0],
                  st.beta(1.5, 2.5)),
    "t": (lambda k: D.t(k, 3.0, (N,)), st.t(3.0)),
    "chisquare": (lambda k: D.chisquare(k, 5.0, (N,)), st.chi2(5.0)),
    "f": (lambda k: D.f(k, 4.0, 9.0, (N,)), st.f(4.0, 9.0)),
    "generalized_normal": (lambda k: D.generalized_normal(k, 1.5, (N,)), st.gennorm(1.5)),
    "cauchy": (lambda k: D.cauchy(k, (N,)), st.cauchy()),
    "pareto": (lambda k: D.pareto(k, 2.5, (N,)), st.pareto(2.5)),
    "weibull_min": (lambda k: D.weibull_min(k, 2.0, 1.7, (N,)), st.weibull_min(1.7, scale=2.0)),
    "rayleigh": (lambda k: D.rayleigh(k, 1.5, (N,)), st.rayleigh(scale=1.5)),
    "wald": (lambda k: D.wald(k, 0.8, (N,)), st.invgauss(0.8)),
    "lognormal": (lambda k: D.lognormal(k, 0.6, (N,)), st.lognorm(0.6)),
    "maxwell": (lambda k: D.maxwell(k, (N,)), st.maxwell()),
    "double_sided_maxwell": (lambda k: D.double_sided_maxwell(k, 1.0, 2.0, (N,)),
                             SimpleNamespace(cdf=lambda x: 0.5 + 0.5 * np.sign(x - 1.0)
                                             * st.chi(3).cdf(np.abs(x - 1.0) / 2.0))),
    "triangular": (lambda k: D.triangular(k, -1.0, 0.2, 2.0, (N,)),
                   st.triang(0.4, loc=-1.0, scale=3.0)),
    "multivariate_normal": (lambda k: D.multivariate_normal(
        k, jnp.array([1.0, 2.0]), jnp.array([[2.0, 0.8], [0.8, 1.0]]), (N,)) @ jnp.array(
            [0.3, -1.0]), st.norm(0.3 - 2.0, np.sqrt(0.09 * 2.0 - 2 * 0.3 * 0.8 + 1.0))),
}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_ks(name):
    sampler, dist = CONTINUOUS[name]
    x = np.asarray(sampler(KEY), np.float64)
    assert x.shape == (N,) and np.isfinite(x).all()
    assert st.kstest(x, dist.cdf).pvalue > P_MIN


def chi_square_pvalue(x, pmf, support_max: int) -> float:
    """Chi-square p-value of integer draws `x` against `pmf` on 0..support_max, the
    tail above merged into the last cell and cells of expected count < 5 pooled."""
    x = np.asarray(x).astype(np.int64)
    ks = np.arange(support_max + 1)
    probs = pmf(ks)
    probs[-1] += 1.0 - probs.sum()
    observed = np.bincount(np.minimum(x, support_max), minlength=support_max + 1)
    expected = probs * x.size
    obs_cells, exp_cells, o_acc, e_acc = [], [], 0.0, 0.0
    for o, e in zip(observed, expected):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 5:
            obs_cells.append(o_acc)
            exp_cells.append(e_acc)
            o_acc = e_acc = 0.0
    obs_cells[-1] += o_acc
    exp_cells[-1] += e_acc
    return st.chisquare(obs_cells, exp_cells).pvalue


DISCRETE = {  # name: (draws of shape (N,), pmf, largest cell)
    "poisson_knuth": (lambda k: D.poisson(k, 3.5, (N,)), st.poisson(3.5).pmf, 15),
    "poisson_rejection": (lambda k: D.poisson(k, 37.0, (N,)), st.poisson(37.0).pmf, 70),
    "binomial_inversion": (lambda k: D.binomial(k, 30.0, 0.2, (N,)), st.binom(30, 0.2).pmf,
                           30),
    "binomial_btrs": (lambda k: D.binomial(k, 200.0, 0.65, (N,)), st.binom(200, 0.65).pmf,
                      200),
    "multinomial": (lambda k: D.multinomial(k, 25.0, jnp.array([0.2, 0.5, 0.3]),
                                            shape=(N, 3))[:, 1], st.binom(25, 0.5).pmf, 25),
    "geometric": (lambda k: D.geometric(k, 0.3, (N,)) - 1, st.geom(0.3, loc=-1).pmf, 30),
    "rademacher": (lambda k: (D.rademacher(k, (N,)) + 1) // 2, st.bernoulli(0.5).pmf, 1),
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_chi_square(name):
    sampler, pmf, top = DISCRETE[name]
    x = np.asarray(sampler(KEY))
    assert x.shape == (N,) and (x >= 0).all()
    assert chi_square_pvalue(x, pmf, top) > P_MIN


# ---------------------------------------------------------------- moments and structure

def test_gamma_moments_broadcast_over_a():
    a = np.array([0.05, 0.8, 4.0, 30.0], np.float32)
    x = np.asarray(D.gamma(KEY, a, (N, 4)))
    se = np.sqrt(a / N)
    assert (np.abs(x.mean(0) - a) < 5 * se).all()
    np.testing.assert_allclose(x.var(0), a, rtol=0.1)


def test_dirichlet_and_multinomial_moments():
    alpha = np.array([0.3, 1.0, 2.7])
    x = np.asarray(D.dirichlet(KEY, alpha, (N,)))
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(x.mean(0), alpha / alpha.sum(), atol=5e-3)
    p = np.array([0.1, 0.0, 0.4, 0.5])
    counts = np.asarray(D.multinomial(KEY, jnp.array([[12.0], [40.0]]), p, shape=(2, N, 4)))
    np.testing.assert_array_equal(counts.sum(-1), [[12] * N, [40] * N])
    assert (counts[:, :, 1] == 0).all()
    np.testing.assert_allclose(counts.mean(1), np.outer([12, 40], p), atol=0.1)
    cov = np.cov(counts[1].T)
    np.testing.assert_allclose(cov, 40 * (np.diag(p) - np.outer(p, p)), atol=0.4)


def test_multivariate_normal_covariance_and_batch():
    cov = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    mean = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0]])
    x = np.asarray(D.multivariate_normal(KEY, mean, cov, (N, 2)))
    assert x.shape == (N, 2, 3)
    np.testing.assert_allclose(x.mean(0), mean, atol=0.05)
    np.testing.assert_allclose(np.cov(x[:, 1].T), cov, atol=0.05)
    with pytest.raises(ValueError, match="cov.shape"):
        D.multivariate_normal(KEY, np.zeros(2), np.eye(3))
    with pytest.raises(NotImplementedError, match="eigh"):
        D.multivariate_normal(KEY, np.zeros(2), np.eye(2), method="eigh")


def test_orthogonal_is_haar():
    q = np.asarray(D.orthogonal(KEY, 4, (N // 4,)))
    eye = np.broadcast_to(np.eye(4), q.shape)
    np.testing.assert_allclose(q @ np.swapaxes(q, -1, -2), eye, atol=2e-5)
    # An entry of a Haar orthogonal n x n matrix: (q + 1) / 2 ~ Beta((n-1)/2, (n-1)/2).
    assert st.kstest((q[:, 1, 2] + 1) / 2, st.beta(1.5, 1.5).cdf).pvalue > P_MIN
    wide = np.asarray(D.orthogonal(KEY, 2, (3,), m=5))
    assert wide.shape == (3, 2, 5)
    np.testing.assert_allclose(wide @ np.swapaxes(wide, -1, -2),
                               np.broadcast_to(np.eye(2), (3, 2, 2)), atol=1e-5)


def test_ball_is_uniform():
    x = np.asarray(D.ball(KEY, 3, shape=(N,)))
    r = np.linalg.norm(x, axis=-1)
    assert (r <= 1).all()
    assert st.kstest(r ** 3, st.uniform().cdf).pvalue > P_MIN    # P(r < s) = s^3
    l1 = np.abs(np.asarray(D.ball(KEY, 2, 1.0, (N,)))).sum(-1)
    assert st.kstest(l1 ** 2, st.uniform().cdf).pvalue > P_MIN


def test_edge_parameters():
    b = np.asarray(D.binomial(KEY, jnp.array([5.0, -1.0, np.inf, 5.0, 8.0, 8.0]),
                              jnp.array([0.5, 0.5, 0.5, 1.5, 0.0, 1.0])))
    assert np.isnan(b[[1, 3]]).all() and b[2] == np.inf and b[4] == 0 and b[5] == 8
    assert (np.asarray(D.poisson(KEY, jnp.zeros(4))) == 0).all()
    small = np.asarray(D.loggamma(KEY, 1e-3, (1000,)))
    assert np.isfinite(small).all() and np.median(small) < -100


# ---------------------------------------------------------------- shapes and dtypes

def test_shapes_dtypes_and_broadcasting(x64):
    a = jnp.array([[1.0], [2.0]])
    assert D.gamma(KEY, a).shape == (2, 1)
    assert D.gamma(KEY, a, (2, 3)).dtype == np.float64
    assert D.gamma(KEY, 2.0, (3,), np.float32).dtype == np.float32
    assert D.beta(KEY, jnp.ones(3), jnp.ones((2, 1))).shape == (2, 3)
    assert D.poisson(KEY, 3.0, (4,)).dtype == np.int64
    assert D.poisson(KEY, 3.0, (4,), np.int16).dtype == np.int16
    assert D.geometric(KEY, 0.5, (2,), np.int32).dtype == np.int32
    assert D.rademacher(KEY, (2,), np.float32).dtype == np.float32
    assert D.binomial(KEY, 5, jnp.ones(3) / 2).shape == (3,)
    assert D.dirichlet(KEY, jnp.ones((2, 4))).shape == (2, 4)
    assert D.double_sided_maxwell(KEY, jnp.zeros(3), 1.0, (2,)).shape == (2, 3)
    assert D.multinomial(KEY, 5.0, jnp.ones(3) / 3, shape=(2, 3)).shape == (2, 3)
    assert D.gamma(KEY, 2.0, (0, 3)).shape == (0, 3)
    with pytest.raises(ValueError, match="gamma: shape"):
        D.gamma(KEY, jnp.ones(3), (2,))
    with pytest.raises(ValueError, match="floating"):
        D.pareto(KEY, 1.0, (2,), np.int32)
    with pytest.raises(TypeError, match="integer dtype"):
        D.poisson(KEY, 1.0, (2,), np.float32)
    with pytest.raises(ValueError, match="alpha.ndim"):
        D.dirichlet(KEY, 1.0)
    with pytest.raises(TypeError, match="PRNG key"):
        D.t(np.zeros(3, np.uint32), 1.0)


def test_determinism_and_key_dependence():
    for name in ("gamma", "poisson", "binomial", "multivariate_normal", "wald"):
        first = np.asarray(IRAX_CALLS[name](KEY))
        np.testing.assert_array_equal(first, np.asarray(IRAX_CALLS[name](KEY)))
        assert not np.array_equal(first, np.asarray(IRAX_CALLS[name](K42)))
    assert D.clone(KEY) is not None and np.array_equal(D.clone(KEY), KEY)


# ---------------------------------------------------------------- transforms

JIT_GROUPS = {  # the other gamma-based samplers add ~6 s of IREE compile each
    "gamma_family": ("gamma", "loggamma"),
    "counts": ("poisson", "binomial", "multinomial", "geometric"),
    "closed_forms": ("multivariate_normal", "orthogonal", "cauchy", "pareto", "weibull_min",
                     "rayleigh", "wald", "lognormal", "double_sided_maxwell", "triangular",
                     "rademacher"),
}


@pytest.mark.parametrize("group", sorted(JIT_GROUPS))
def test_jit_matches_eager(group):
    names = JIT_GROUPS[group]
    jitted = irax.jit(lambda k: [IRAX_CALLS[n](k) for n in names])
    for key in (K42, KEY):
        for name, got in zip(names, jitted(key)):
            np.testing.assert_allclose(np.asarray(got), np.asarray(IRAX_CALLS[name](key)),
                                       rtol=2e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", ["gamma", "poisson", "binomial", "orthogonal", "wald"])
def test_vmap_over_keys(name):
    keys = random.split(KEY, 3)
    batched = irax.vmap(IRAX_CALLS[name])(keys)
    for i in range(3):
        np.testing.assert_allclose(np.asarray(batched[i]), np.asarray(IRAX_CALLS[name](keys[i])),
                                   rtol=1e-6, atol=1e-7)


def implicit_gamma_gradient(a, x):
    """d x / d a at fixed CDF value: -(dP(a, x)/da) / pdf(x), by central differences."""
    h = 1e-6 * a
    dp_da = (scipy.special.gammainc(a + h, x) - scipy.special.gammainc(a - h, x)) / (2 * h)
    return -dp_da / st.gamma(a).pdf(x)


def test_gamma_shape_gradients(x64):
    a = np.array([0.4, 1.0, 3.5])
    for log_space in (False, True):
        sampler = D.loggamma if log_space else D.gamma
        x = np.asarray(sampler(KEY, a))
        sample = np.exp(x) if log_space else x
        want = implicit_gamma_gradient(a, sample) / (sample if log_space else 1.0)
        got = irax.grad(lambda al, draw=sampler: draw(KEY, al).sum())(a)   # i from a[i] only
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)
    # beta = Ga / (Ga + Gb): d beta / da = beta (1 - beta) d log(Ga) / da.
    b = np.asarray(D.beta(KEY, 1.5, 2.0))
    ga = np.exp(np.asarray(D.loggamma(random.split(KEY)[0], 1.5)))
    want = b * (1 - b) * implicit_gamma_gradient(1.5, ga) / ga
    np.testing.assert_allclose(irax.grad(lambda al: D.beta(KEY, al, 2.0))(1.5), want,
                               rtol=1e-5)
    scaled = irax.grad(lambda s: D.gamma(KEY, 2.0) * s)(3.0)
    np.testing.assert_allclose(scaled, np.asarray(D.gamma(KEY, 2.0)))


@pytest.mark.parametrize("name, f, args", [
    ("rayleigh", lambda s: D.rayleigh(KEY, s, (3,)), (np.float64(1.5),)),
    ("weibull_min", lambda s, c: D.weibull_min(KEY, s, c, (3,)),
     (np.float64(2.0), np.float64(1.3))),
    ("pareto", lambda b: D.pareto(KEY, b, (3,)), (np.float64(2.0),)),
    ("lognormal", lambda s: D.lognormal(KEY, s, (3,)), (np.float64(0.7),)),
    ("triangular", lambda lo, mo, hi: D.triangular(KEY, lo, mo, hi, (4,)),
     (np.float64(-1.0), np.float64(0.3), np.float64(2.0))),
    ("double_sided_maxwell", lambda loc, s: D.double_sided_maxwell(KEY, loc, s, (3,)),
     (np.float64(0.5), np.float64(2.0))),
    ("multivariate_normal", lambda m, c: D.multivariate_normal(KEY, m, c @ c.T, (2,)),
     (np.array([1.0, -1.0]), np.array([[1.5, 0.0], [0.4, 0.8]]))),
])
def test_reparameterized_gradients(x64, name, f, args):
    check_grads(f, args, order=2, modes=("fwd", "rev"))
