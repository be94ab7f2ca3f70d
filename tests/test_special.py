"""The special functions (irax.lax's primitives and irax.scipy.special) against SciPy
and closed forms: grids that include the tails, special points, float32 and float64,
eager and compiled (each program called twice, with the grid and the grid reversed),
derivatives (check_grads, and quadrature for the derivatives in `a`), vmap vs a loop.

Errors are measured as |got - want| / (eps · s) with s = |want| (relative) or
s = max(|want|, 1) for functions with roots (lgamma, digamma: relative error near a
root is not meaningful).  The bounds are the measured worst cases, rounded up: the
CHLO expansions (XLA's algorithms) and the incomplete gamma / beta algorithms are
those of JAX, with the same accuracy.
"""
import numpy as np
import pytest
import scipy.integrate
import scipy.special as sc

import irax
import irax.numpy as jnp
import irax.scipy.special as S
from irax import lax
from irax.test_util import check_grads

F32, F64 = np.float32, np.float64


def _grids() -> dict:
    """name -> (argument arrays, SciPy oracle, error scale) for the lax primitives."""
    negative = np.linspace(-9.7, -0.3, 24) + 0.013  # no poles
    positive = np.concatenate([np.geomspace(1e-6, 0.9, 10), np.linspace(1.1, 12, 20),
                               np.geomspace(12, 1e30, 10)])
    gamma_x = np.concatenate([negative, positive])
    a, x = [v.ravel() for v in np.meshgrid(np.geomspace(0.05, 80, 9), np.geomspace(1e-3, 150, 9))]
    order, poly_x = np.repeat([0.0, 1, 2, 3, 5], 8), np.tile(np.geomspace(0.05, 50, 8), 5)
    shapes = np.array([0.1, 0.6, 1.0, 2.5, 12.0, 60.0])
    ba, bb, bx = [v.ravel() for v in np.meshgrid(shapes, shapes,
                                                 np.array([0.001, 0.1, 0.45, 0.8, 0.999]))]
    s, q = np.repeat([1.1, 2.0, 3.5, 8.0, 30.0], 6), np.tile([0.1, 0.5, 1.0, 3.0, 7.0, 20.0], 5)
    bessel_x = np.concatenate([np.linspace(-60, 60, 25), np.geomspace(1e-8, 1, 5), [0.0, 500.0]])
    erfc_x = np.concatenate([np.linspace(-6, 9, 30), [15.0, 26.0]])
    return {
        "lgamma": ((gamma_x,), sc.gammaln, "unit"),
        "digamma": ((gamma_x,), sc.digamma, "unit"),
        "polygamma": ((order, poly_x), sc.polygamma, "relative"),
        "igamma": ((a, x), sc.gammainc, "relative"),
        "igammac": ((a, x), sc.gammaincc, "relative"),
        "betainc": ((ba, bb, bx), sc.betainc, "relative"),
        "bessel_i0e": ((bessel_x,), sc.i0e, "relative"),
        "bessel_i1e": ((bessel_x,), sc.i1e, "relative"),
        "zeta": ((s, q), sc.zeta, "relative"),
        "erfc": ((erfc_x,), sc.erfc, "relative"),
    }


GRIDS = _grids()

# Worst errors in eps (see the module docstring), float32 and float64.  lgamma near
# its negative roots and betainc for b = 0.1 are the weak spots of XLA's algorithms.
BOUNDS = {
    "lgamma": (24, 24), "digamma": (24, 24), "polygamma": (16, 12), "igamma": (96, 192),
    "igammac": (192, 192), "betainc": (640, 1400), "bessel_i0e": (2, 2), "bessel_i1e": (3, 3),
    "zeta": (40, 10), "erfc": (20, 4),
}


def _errors(got, want, dtype, scale: str):
    """Errors in eps where `want` is finite and representable; the indices where a
    non-finite `want` is not matched."""
    got, want = np.asarray(got, F64), np.asarray(want, F64)
    info = np.finfo(dtype)
    finite = np.isfinite(want) & (np.abs(want) < info.max)
    normal = finite & ((np.abs(want) >= info.tiny * 2 ** 24) | (want == 0))
    size = np.abs(want) if scale == "relative" else np.maximum(np.abs(want), 1.0)
    err = np.where(normal, np.abs(got - want) / (info.eps * np.maximum(size, info.tiny)), 0)
    bad = ~finite & ~((got == want) | (np.isnan(got) & np.isnan(want)))
    return err, np.flatnonzero(bad)


def _lax_results(dtype, reverse: bool):
    args = {name: [jnp.asarray(np.asarray(v[::-1] if reverse else v, dtype)) for v in grid[0]]
            for name, grid in GRIDS.items()}
    return irax.jit(lambda a: {n: getattr(lax, n)(*a[n]) for n in a})(args)


@pytest.fixture(scope="module")
def compiled_float64():
    irax.config.update("enable_x64", True)
    try:
        return [_lax_results(F64, False), _lax_results(F64, True)]
    finally:
        irax.config.update("enable_x64", False)


def _check_grid(name, got, dtype, reverse):
    args, oracle, scale = GRIDS[name]
    args = [np.asarray(v[::-1] if reverse else v, dtype) for v in args]
    want = oracle(*[v.astype(F64) for v in args])
    err, bad = _errors(np.asarray(got), want, dtype, scale)
    bound = BOUNDS[name][dtype == F64]
    worst = int(np.argmax(err))
    assert err[worst] <= bound, (
        f"{name} {np.dtype(dtype).name}: {err[worst]:.3g} eps at "
        f"{[float(v[worst]) for v in args]} (got {np.asarray(got)[worst]!r}, want "
        f"{want[worst]!r})")
    assert not len(bad), f"{name}: non-finite results differ at {[a[bad] for a in args]}"


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_compiled_float32_against_scipy(name):
    for reverse in (False, True):
        _check_grid(name, _float32_results(reverse)[name], F32, reverse)


_FLOAT32_CACHE: dict = {}


def _float32_results(reverse: bool):
    if reverse not in _FLOAT32_CACHE:
        _FLOAT32_CACHE[reverse] = _lax_results(F32, reverse)
    return _FLOAT32_CACHE[reverse]


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_compiled_float64_against_scipy(name, compiled_float64):
    for reverse, results in zip((False, True), compiled_float64):
        _check_grid(name, results[name], F64, reverse)


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_eager_is_scipy_in_the_input_dtype(name, x64):
    """The eager impls are SciPy's functions (float32 loops for float32 inputs)."""
    args, oracle, _ = GRIDS[name]
    for dtype in (F32, F64):
        values = [np.asarray(v, dtype) for v in args]
        got = np.asarray(getattr(lax, name)(*[jnp.asarray(v) for v in values]))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.asarray(oracle(*values)).astype(dtype), name)


def test_special_points_compiled_and_eager(x64):
    """Poles, domain edges and infinities, as SciPy (float64; float32 alike)."""
    inf, nan = np.inf, np.nan
    cases = {
        "lgamma": ([0.0, -1.0, -2.0, inf, 1.0, 2.0], [inf, inf, inf, inf, 0.0, 0.0]),
        "igamma": ([2.0, 2.0, 2.0, -1.0, 0.5], [0.0, inf, -1.0, 1.0, nan]),
        "igammac": ([2.0, 2.0, 2.0, -1.0, 0.5], [0.0, inf, -1.0, 1.0, nan]),
        "betainc": ([2.0, 2.0, 2.0, -1.0], [3.0, 3.0, 3.0, 1.0], [0.0, 1.0, 1.5, 0.5]),
        "bessel_i0e": ([0.0, inf, -inf],), "bessel_i1e": ([0.0, inf, -inf],),
        "erfc": ([-inf, inf, 0.0],),
    }
    oracles = {"lgamma": lambda x: sc.gammaln(x), "igamma": sc.gammainc,
               "igammac": sc.gammaincc, "betainc": sc.betainc, "bessel_i0e": sc.i0e,
               "bessel_i1e": sc.i1e, "erfc": sc.erfc}
    cases["lgamma"] = (cases["lgamma"][0],)
    for dtype in (F64, F32):
        args = {n: [jnp.asarray(np.asarray(v, dtype)) for v in c] for n, c in cases.items()}
        compiled = irax.jit(lambda a: {n: getattr(lax, n)(*a[n]) for n in a})(args)
        for name, values in args.items():
            want = oracles[name](*[np.asarray(v, F64) for v in values])
            for got in (compiled[name], getattr(lax, name)(*values)):
                np.testing.assert_allclose(np.asarray(got, F64), want, rtol=1e-6, atol=1e-6,
                                           equal_nan=True, err_msg=f"{name} {dtype}")


# ---- derivatives in `a`: quadrature oracles ---------------------------------------------

def _dp_da(a: float, x: float) -> float:
    """dP(a, x)/da = (∫_0^x log t t^(a-1) e^-t dt) / Γ(a) - P ψ(a), by quadrature (the
    complementary integral where P > 1/2)."""
    def integrand(t):
        return np.log(t) * t ** (a - 1) * np.exp(-t)
    if sc.gammainc(a, x) < 0.5:
        integral = scipy.integrate.quad(integrand, 0, x, limit=200, epsabs=0, epsrel=1e-13)[0]
        return integral / sc.gamma(a) - sc.gammainc(a, x) * sc.digamma(a)
    integral = scipy.integrate.quad(integrand, x, np.inf, limit=200, epsabs=0, epsrel=1e-13)[0]
    return -(integral / sc.gamma(a) - sc.gammaincc(a, x) * sc.digamma(a))


_A_POINTS = np.array([0.3, 0.7, 2.5, 2.5, 2.5, 10.0, 10.0, 0.5, 4.0, 30.0])
_X_POINTS = np.array([0.01, 0.5, 0.1, 5.0, 30.0, 3.0, 40.0, 2.0, 6.0, 25.0])


def test_igamma_grad_a_and_random_gamma_grad_against_quadrature(x64):
    want = np.array([_dp_da(a, x) for a, x in zip(_A_POINTS, _X_POINTS)])
    density = np.exp((_A_POINTS - 1) * np.log(_X_POINTS) - _X_POINTS - sc.gammaln(_A_POINTS))
    both = irax.jit(lambda a, x: (lax.igamma_grad_a(a, x), lax.random_gamma_grad(a, x)))
    for dtype, rtol in ((F64, 1e-12), (F32, 2e-5)):
        a, x = (jnp.asarray(v.astype(dtype)) for v in (_A_POINTS, _X_POINTS))
        for run in (lambda a, x: (lax.igamma_grad_a(a, x), lax.random_gamma_grad(a, x)), both):
            grad_a, sample_grad = run(a, x)
            np.testing.assert_allclose(np.asarray(grad_a, F64), want, rtol=rtol)
            np.testing.assert_allclose(np.asarray(sample_grad, F64), -want / density, rtol=rtol)
        flipped = both(a[::-1], x[::-1])  # a second call, other inputs
        np.testing.assert_allclose(np.asarray(flipped[0], F64), want[::-1], rtol=rtol)


def test_igamma_gradient_in_a_against_quadrature(x64):
    a, x = jnp.asarray(_A_POINTS), jnp.asarray(_X_POINTS)
    want = np.array([_dp_da(p, q) for p, q in zip(_A_POINTS, _X_POINTS)])
    got = irax.vmap(irax.grad(lax.igamma))(a, x)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12)
    got_c = irax.vmap(irax.grad(lambda p, q: lax.igammac(p, q)))(a, x)
    np.testing.assert_allclose(np.asarray(got_c), -want, rtol=1e-12)


def test_first_derivatives_in_a_check_grads(x64):
    a, x = np.array([0.7, 2.5, 4.0]), np.array([0.4, 3.0, 9.0])
    for f in (lax.igamma, lax.igammac):
        check_grads(f, (a, x), order=1, modes=("fwd", "rev"))


def test_closed_form_derivatives(x64):
    x = np.array([0.3, 1.7, 4.2])
    grads = {
        "lgamma": (lax.lgamma, sc.digamma(x)),
        "digamma": (lax.digamma, sc.polygamma(1, x)),
        "erfc": (lax.erfc, -2 / np.sqrt(np.pi) * np.exp(-x * x)),
        "bessel_i0e": (lax.bessel_i0e, sc.i1e(x) - sc.i0e(x)),
        "zeta_q": (lambda q: lax.zeta(3.0, q), -3.0 * sc.zeta(4.0, x)),
        "betainc_x": (lambda t: lax.betainc(2.0, 3.0, t / 5), 12 * (x / 5) * (1 - x / 5) ** 2 / 5),
    }
    for name, (f, want) in grads.items():
        got = irax.vmap(irax.grad(f))(jnp.asarray(x))
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("call, what", [
    (lambda x: lax.polygamma(x, 2.0), "polygamma is not differentiable with respect to its"),
    (lambda x: lax.betainc(x, 2.0, 0.5), "betainc is not differentiable with respect to a"),
    (lambda x: lax.betainc(2.0, x, 0.5), "betainc is not differentiable with respect to b"),
    (lambda x: lax.zeta(x, 2.0), "zeta is not differentiable with respect to its exponent"),
    (lambda x: lax.igamma_grad_a(x, 2.0), "igamma_grad_a is not differentiable"),
    (lambda x: lax.random_gamma_grad(x, 2.0), "random_gamma_grad is not differentiable"),
])
def test_arguments_without_derivatives_raise(x64, call, what):
    with pytest.raises(TypeError, match=what):
        irax.grad(call)(2.0)


def test_vmap_matches_a_loop(x64):
    a = np.array([0.5, 2.0, 7.0])
    x = np.array([[0.2, 1.0, 3.0, 9.0], [0.1, 2.0, 5.0, 12.0], [1.0, 4.0, 6.0, 20.0]])
    cases = {
        "igamma": (lambda p, q: lax.igamma(p, q), (0, 0)),
        "betainc": (lambda p, q: lax.betainc(p, 2.0, q / 21.0), (0, 0)),
        "polygamma": (lambda p, q: lax.polygamma(jnp.floor(p), q), (0, 0)),
        "zeta": (lambda p, q: lax.zeta(p + 1.5, q), (0, 0)),
    }
    for name, (f, axes) in cases.items():
        for fun in (f, irax.jit(f)):
            got = irax.vmap(lambda p, row, fun=fun: irax.vmap(lambda q: fun(p, q))(row))(a, x)
            want = np.stack([[np.asarray(f(a[i], x[i, j])) for j in range(4)]
                             for i in range(3)])
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-13, err_msg=name)


def test_dtype_checks_name_the_op():
    with pytest.raises(TypeError, match="igamma requires arguments to have the same dtype"):
        lax.igamma(jnp.ones(2, jnp.float32), jnp.ones(2, jnp.float16))
    with pytest.raises(TypeError, match="lgamma does not accept dtype int32"):
        lax.lgamma(jnp.ones(2, jnp.int32))
    with pytest.raises(Exception, match=r"zeta got incompatible shapes \(2,\), \(3,\)"):
        lax.zeta(jnp.ones(2) * 2, jnp.ones(3))


def test_half_precision_is_computed_in_float32():
    x = np.array([0.5, 3.0, 7.5], np.float16)
    for run in (lax.lgamma, irax.jit(lax.lgamma)):
        got = run(jnp.asarray(x))
        assert np.asarray(got).dtype == np.float16
        np.testing.assert_allclose(np.asarray(got, F64), sc.gammaln(x.astype(F64)), rtol=1e-3)


# ---- irax.scipy.special --------------------------------------------------------------------

_P = np.array([1e-30, 1e-8, 1e-3, 0.02, 0.3, 0.5, 0.7, 0.975, 1 - 1e-6])
_T = np.array([-40.0, -25.0, -12.0, -3.0, -0.5, 0.0, 0.4, 2.0, 6.0, 9.0])
_U = np.array([0.3, 1.5, 4.0, 7.5])
_V = np.array([0.6, 2.0, 0.9, 11.0])
_SCIPY_CASES = {
    "gammaln": (S.gammaln, sc.gammaln, (_U,)), "digamma": (S.digamma, sc.digamma, (_U,)),
    "polygamma": (S.polygamma, sc.polygamma, (np.array([0.0, 1, 2, 4]), _U)),
    "gammainc": (S.gammainc, sc.gammainc, (_U, _V)),
    "gammaincc": (S.gammaincc, sc.gammaincc, (_U, _V)),
    "betaln": (S.betaln, sc.betaln, (_U, _V)), "beta": (S.beta, sc.beta, (_U, _V)),
    "betainc": (S.betainc, sc.betainc, (_U, _V, _U / 8)),
    "gamma": (S.gamma, sc.gamma, (np.array([-2.5, -0.5, 0.5, 4.0, 9.5]),)),
    "factorial": (S.factorial, lambda n: sc.factorial(n, exact=False), (np.array([0.0, 3, 8]),)),
    "erf": (S.erf, sc.erf, (_T / 10,)), "erfc": (S.erfc, sc.erfc, (_T / 4,)),
    "erfinv": (S.erfinv, sc.erfinv, (np.array([-0.99, -0.3, 0.0, 0.5, 0.9]),)),
    "ndtr": (S.ndtr, sc.ndtr, (_T / 3,)), "log_ndtr": (S.log_ndtr, sc.log_ndtr, (_T,)),
    "ndtri": (S.ndtri, sc.ndtri, (_P,)), "expit": (S.expit, sc.expit, (_T / 2,)),
    "logit": (S.logit, sc.logit, (_P[2:],)),
    "xlogy": (S.xlogy, sc.xlogy, (np.array([0.0, 2.0, -1.5, 0.0]), np.array([0.0, 3.0, 0.5, 2.0]))),
    "xlog1py": (S.xlog1py, sc.xlog1py, (np.array([0.0, 2.0, -1.5]), np.array([-1.0, 3.0, 0.5]))),
    "entr": (S.entr, sc.entr, (np.array([0.0, 0.5, 3.0, -1.0]),)),
    "multigammaln": (lambda a: S.multigammaln(a, 3), lambda a: sc.multigammaln(a, 3), (_U + 1,)),
    "i0e": (S.i0e, sc.i0e, (_T,)), "i1e": (S.i1e, sc.i1e, (_T,)),
    "i0": (S.i0, sc.i0, (_T / 4,)), "i1": (S.i1, sc.i1, (_T / 4,)),
    "zeta": (S.zeta, sc.zeta, (_U + 1.1, _V)),
    "logsumexp": (S.logsumexp, lambda x: np.log(np.sum(np.exp(x))), (_T / 4,)),
    "softmax": (S.softmax, lambda x: np.exp(x) / np.sum(np.exp(x)), (_T / 4,)),
    "log_softmax": (S.log_softmax, lambda x: x - np.log(np.sum(np.exp(x))), (_T / 4,)),
}
# float32 relative tolerances (lgamma-based functions inherit chlo.lgamma's ~8 ulp and
# exp's amplification; betainc's b < 1 weak spot as above); float64 uses 1e-12 but
# 1e-10 for betainc and the beta functions (lgamma near its roots: 1e-15 absolute).
_LOOSE32 = {"gamma": 4e-5, "beta": 4e-5, "betaln": 1e-5, "factorial": 4e-6,
            "multigammaln": 4e-6, "betainc": 4e-5, "i0": 1e-6, "i1": 1e-6, "log_ndtr": 8e-6,
            "ndtri": 2e-6, "polygamma": 2e-6, "gammaln": 4e-6, "digamma": 4e-6,
            "ndtr": 8e-6}  # erfc(z) amplifies z's rounding by 2 z²


# Functions that only promote their arguments and bind one primitive: compiled, they
# are the primitives of the grid tests above, so they are checked eagerly only.
_WRAPPERS = {"gammaln", "digamma", "polygamma", "gammainc", "gammaincc", "betainc", "erf",
             "erfc", "erfinv", "expit", "i0e", "i1e", "zeta"}


@pytest.mark.parametrize("dtype", [F32, F64])
def test_scipy_special_against_scipy_eager_and_compiled(dtype, x64):
    args = {n: [jnp.asarray(np.asarray(v, dtype)) for v in c[2]] for n, c in _SCIPY_CASES.items()}
    composite = {n: v for n, v in args.items() if n not in _WRAPPERS}
    program = irax.jit(lambda a: {n: _SCIPY_CASES[n][0](*a[n]) for n in a})
    flipped = {n: [v[::-1] for v in vs] for n, vs in composite.items()}
    runs = [(program(composite), False), (program(flipped), True),
            ({n: _SCIPY_CASES[n][0](*args[n]) for n in args}, False)]
    for results, reverse in runs:
        for name, (_, oracle, raw) in _SCIPY_CASES.items():
            if name not in results:
                continue
            values = [np.asarray(v, dtype).astype(F64) for v in raw]
            want = np.asarray(oracle(*values))
            if reverse and name not in ("logsumexp",):
                want = want[::-1]
            got = np.asarray(results[name])
            assert got.dtype == dtype, name
            rtol = _LOOSE32.get(name, 1e-6) if dtype == F32 else (
                1e-10 if name in ("betainc", "beta", "betaln") else
                5e-12 if name == "log_ndtr" else 1e-12)  # its series of order 3 at -25
            np.testing.assert_allclose(got.astype(F64), want, rtol=rtol,
                                       atol=np.finfo(dtype).tiny, equal_nan=True,
                                       err_msg=f"{name} {np.dtype(dtype).name}")


def test_scipy_special_gradients(x64):
    check_grads(lambda x: S.log_ndtr(x), (np.array([-30.0, -3.0, 0.5, 7.0]),), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda x: S.xlogy(x, x + 1.0), (np.array([0.5, 2.0]),), order=2,
                modes=("fwd", "rev"))
    check_grads(lambda x: S.gamma(x) + S.i1(x) + S.ndtri(x / 4), (np.array([0.5, 2.5]),),
                order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(np.asarray(irax.grad(S.xlogy, argnums=1)(0.0, 0.0)), 0.0)


def test_scipy_special_dtype_rules_and_errors():
    assert S.gammaln(jnp.arange(1, 4)).dtype == np.float32  # integers become floats
    assert S.gammainc(jnp.ones(2, jnp.float16), 1.0).dtype == np.float16
    assert S.betainc(1.0, 2.0, jnp.full((2, 1), 0.5)).shape == (2, 1)  # broadcasting
    with pytest.raises(NotImplementedError, match="Riemann zeta"):
        S.zeta(2.0)
    with pytest.raises(NotImplementedError, match="exact=True"):
        S.factorial(3, exact=True)
    with pytest.raises(ValueError, match="series_order"):
        S.log_ndtr(1.0, series_order=31)
    with pytest.raises(ValueError, match="multigammaln: d must be a positive integer"):
        S.multigammaln(3.0, 0)
    assert np.isnan(np.asarray(S.polygamma(1.5, 2.0)))  # non-integer order: NaN (as SciPy)
