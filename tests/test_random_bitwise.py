"""One key gives the same bits everywhere: every irax.random sampler drawn eagerly, under
jit, under vmap (over keys, eager and compiled) and on a Vulkan device agrees bit for
bit; and the portable transcendental functions behind them (`portable_math`) are
checked against SciPy/NumPy float64 oracles (ulp error, special values, derivatives).

Each compiled function is built once per module and called with two different keys.
The short variants compile subsets that cover every portable function (compiling for
lavapipe is slow: ~50 s for all samplers, and eager draws on the device compile one
kernel per distinct operation, ~90 s for uniform and normal); `IRAX_LONG_TESTS=1` runs
every sampler in each variant."""
import math
import os

import numpy as np
import pytest
import scipy.special

import irax
import irax.numpy as jnp
from irax import random
from irax.core.tensor import ArrayImpl
from irax.random import portable_math as pm

N = 256
KEYS = (random.PRNGKey(0), random.PRNGKey(2024))
P = jnp.array([0.1, 0.2, 0.3, 0.25, 0.15])
LOWER = jnp.linspace(-3.0, 1.0, N)
VULKAN = [d for d in irax.devices() if d.platform == "vulkan"]
LONG = os.environ.get("IRAX_LONG_TESTS") == "1"


@pytest.fixture(autouse=True, scope="module")
def _compile_into_a_private_cache(private_cache_dir):
    """Every test of this module compiles into one fresh cache directory."""


def _samplers(dtype):
    """name -> draw(key) for every sampler whose draws go through float arithmetic."""
    out = {
        "uniform": lambda k: random.uniform(k, (N,), dtype, -2.0, 3.0),
        "normal": lambda k: random.normal(k, (N,), dtype),
        "truncated_normal": lambda k: random.truncated_normal(k, -1.5, 2.0, (N,), dtype),
        "truncated_normal-array": lambda k: random.truncated_normal(k, LOWER, 3.0, (N,),
                                                                    dtype),
        "gumbel": lambda k: random.gumbel(k, (N,), dtype),
        "exponential": lambda k: random.exponential(k, (N,), dtype),
        "laplace": lambda k: random.laplace(k, (N,), dtype),
        "logistic": lambda k: random.logistic(k, (N,), dtype),
        "bernoulli": lambda k: random.bernoulli(k, P.astype(dtype), (N // 5, 5)),
        "categorical": lambda k: random.categorical(k, jnp.log(P.astype(dtype)), shape=(N,)),
        "choice-p": lambda k: random.choice(k, 5, (N,), p=P.astype(dtype)),
    }
    if dtype == np.float32:
        out["normal-complex"] = lambda k: random.normal(k, (N,), jnp.complex64)
    return out


SAMPLERS_32 = _samplers(np.float32)
# Sorting samplers (permutation, choice without replacement) sort by random integer
# keys: no float transform beyond gumbel/log, which the samplers above cover.
# The subsets compiled in the short variants (every sampler with IRAX_LONG_TESTS=1).
SHORT_VMAP = ["uniform", "normal", "truncated_normal-array"]
SHORT_X64 = ["normal", "truncated_normal", "exponential", "gumbel"]
SHORT_VULKAN = ["normal", "truncated_normal-array", "logistic", "categorical"]


def draw_all(samplers, key):
    return {name: fn(key) for name, fn in samplers.items()}


def host(tree):
    return {name: np.asarray(v) for name, v in tree.items()}


@pytest.fixture(scope="module")
def eager32():
    return [host(draw_all(SAMPLERS_32, k)) for k in KEYS]


def assert_bitwise(got, want, where):
    for name, w in want.items():
        g = got[name]
        assert g.dtype == w.dtype and g.shape == w.shape, (where, name)
        differ = g.view(np.uint8) != w.view(np.uint8)
        assert not differ.any(), f"{name}: {where} differs from eager in " \
                                 f"{int(np.count_nonzero(g != w))} of {w.size} values"


def test_jit_matches_eager_bitwise(eager32):
    jitted = irax.jit(lambda k: draw_all(SAMPLERS_32, k))
    for key, want in zip(KEYS, eager32):
        assert_bitwise(host(jitted(key)), want, "jit")
    assert not np.array_equal(eager32[0]["normal"], eager32[1]["normal"])


def test_vmap_over_keys_matches_eager_bitwise(eager32):
    keys = jnp.stack(KEYS)
    compiled = {name: SAMPLERS_32[name] for name in (SAMPLERS_32 if LONG else SHORT_VMAP)}
    eager_vmap = irax.vmap(lambda k: draw_all(SAMPLERS_32, k))(keys)
    jit_vmap = irax.jit(irax.vmap(lambda k: draw_all(compiled, k)))(keys)
    for out, where in ((eager_vmap, "vmap"), (jit_vmap, "jit of vmap")):
        out = host(out)
        for i, want in enumerate(eager32):
            assert_bitwise({name: v[i] for name, v in out.items()},
                           {name: want[name] for name in out}, where)


def test_vulkan_jit_matches_eager_bitwise(eager32):
    (vk,) = VULKAN[:1]
    samplers = {name: SAMPLERS_32[name] for name in (SAMPLERS_32 if LONG else SHORT_VULKAN)}
    jitted = irax.jit(lambda k: draw_all(samplers, k))
    for key, want in zip(KEYS, eager32):
        out = jitted(irax.device_put(key, vk))
        assert all(v.device == vk for v in out.values())
        assert_bitwise(host(out), {name: want[name] for name in samplers}, "vulkan jit")


@pytest.mark.parametrize("names", [["uniform"],
                                   pytest.param(list(SAMPLERS_32), marks=pytest.mark.skipif(
                                       not LONG, reason="set IRAX_LONG_TESTS=1"))],
                         ids=["short", "all"])
def test_vulkan_eager_matches_host_bitwise(eager32, names):
    (vk,) = VULKAN[:1]
    for key, want in zip(KEYS, eager32):
        on_device = irax.device_put(key, vk)
        out = {name: SAMPLERS_32[name](on_device) for name in names}
        assert_bitwise(host(out), {name: want[name] for name in names}, "vulkan eager")


def test_float64_jit_and_vmap_match_eager_bitwise(x64):
    samplers = _samplers(np.float64)
    samplers = {name: samplers[name] for name in (samplers if LONG else SHORT_X64)}
    want = [host(draw_all(samplers, k)) for k in KEYS]
    assert want[0]["normal"].dtype == np.float64
    jitted = irax.jit(lambda k: draw_all(samplers, k))
    batched = host(irax.vmap(lambda k: draw_all(samplers, k))(jnp.stack(KEYS)))
    for i, key in enumerate(KEYS):
        assert_bitwise(host(jitted(key)), want[i], "jit float64")
        assert_bitwise({name: v[i] for name, v in batched.items()}, want[i], "vmap float64")


def test_product_is_never_fused_into_an_add():
    # IREE's CPU code contracts a * b + c into an FMA (one rounding); `product` keeps
    # NumPy's two roundings, which differ from the FMA for most random operands.
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(4096).astype(np.float32) for _ in range(3))
    two_roundings = (a * b).astype(np.float32) + c
    fused = (a.astype(np.float64) * b + c).astype(np.float32)
    assert np.count_nonzero(two_roundings != fused) > 100
    f = irax.jit(lambda a, b, c: pm.product(a, b, pm.opaque_zero(a)) + c)
    for args in ((a, b, c), (c, a, b)):
        np.testing.assert_array_equal(f(*args), args[0] * args[1] + args[2])


# ---- accuracy against float64 oracles ----------------------------------------------

def ulp_error(got, exact, dtype) -> float:
    """Max |got - exact| in units of the spacing of `dtype` at `exact`."""
    exact = np.asarray(exact, np.float64)
    spacing = np.spacing(np.abs(exact).astype(dtype)).astype(np.float64)
    return float(np.max(np.abs(np.asarray(got, np.float64) - exact) / spacing))


def _inputs(dtype):
    rng = np.random.default_rng(7)
    positive = np.concatenate([rng.uniform(0, 2, 4000), np.exp(rng.uniform(-80, 80, 4000))])
    near_one = 1 - np.exp(rng.uniform(-16 if dtype == np.float32 else -36, -0.1, 2000))
    return {
        "log": positive,
        "log1p": np.concatenate([rng.uniform(-0.999, 3, 4000), -np.exp(rng.uniform(-40, 0, 2000)),
                                 np.exp(rng.uniform(-40, 0, 2000))]),
        "exp": rng.uniform(-80, 80, 4000),
        "erf": np.concatenate([rng.uniform(-7, 7, 4000), rng.uniform(-1, 1, 2000)]),
        "erf_inv": np.concatenate([rng.uniform(-1, 1, 4000), near_one, -near_one]),
    }


# Max ulp errors measured: float32 log 0.75, log1p 1.97, exp 0.89, erf 2.08, erf_inv 3.40;
# float64 1, 2, 1, 1, 5 (the oracle itself is a float64, rounded).
BOUNDS = {np.float32: {"log": 1, "log1p": 2.5, "exp": 1, "erf": 3, "erf_inv": 4},
          np.float64: {"log": 1, "log1p": 2, "exp": 1, "erf": 2, "erf_inv": 6}}
ORACLES = {"log": np.log, "log1p": np.log1p, "exp": np.exp, "erf": scipy.special.erf,
           "erf_inv": scipy.special.erfinv}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(ORACLES))
def test_accuracy_against_float64_oracles(name, dtype, x64):
    x = _inputs(dtype)[name].astype(dtype)
    x = x[np.abs(x) < 1] if name == "erf_inv" else x
    got = np.asarray(getattr(pm, name)(ArrayImpl(x)))
    assert got.dtype == dtype
    assert ulp_error(got, ORACLES[name](x.astype(np.float64)), dtype) <= BOUNDS[dtype][name]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_special_values(dtype, x64):
    def f(name, *values):
        return np.asarray(getattr(pm, name)(ArrayImpl(np.array(values, dtype))))
    tiny = np.finfo(dtype).tiny
    np.testing.assert_array_equal(f("log", 0.0, -0.0, np.inf, -1.0, np.nan, 1.0),
                                  [-np.inf, -np.inf, np.inf, np.nan, np.nan, 0.0])
    subnormal = f("log", tiny / 8)
    np.testing.assert_allclose(subnormal, math.log(tiny / 8), rtol=2 * np.finfo(dtype).eps)
    np.testing.assert_array_equal(f("log1p", 0.0, -1.0, np.inf, 1e-30),
                                  np.array([0.0, -np.inf, np.inf, 1e-30], dtype))
    np.testing.assert_array_equal(f("erf", np.inf, -np.inf, 0.0, np.nan, 10.0),
                                  [1.0, -1.0, 0.0, np.nan, 1.0])
    np.testing.assert_array_equal(f("erf_inv", 1.0, -1.0, 0.0, 1.5, np.nan),
                                  [np.inf, -np.inf, 0.0, np.nan, np.nan])


def test_derivatives_are_the_textbook_ones():
    x = 0.3
    cases = {"log": 1 / x, "log1p": 1 / (1 + x), "exp": math.exp(x),
             "erf": 2 / math.sqrt(math.pi) * math.exp(-x * x),
             "erf_inv": math.sqrt(math.pi) / 2 * math.exp(scipy.special.erfinv(x) ** 2)}
    for name, want in cases.items():
        got = float(irax.grad(getattr(pm, name))(jnp.float32(x)))
        assert got == pytest.approx(want, rel=1e-6), name
    grad_max = irax.grad(lambda m: random.uniform(KEYS[0], (4,), minval=-1.0, maxval=m).sum())
    floats = np.asarray(random.uniform(KEYS[0], (4,)))
    assert float(grad_max(2.0)) == pytest.approx(floats.sum(), rel=1e-6)
    assert float(grad_max(5.0)) == pytest.approx(floats.sum(), rel=1e-6)
