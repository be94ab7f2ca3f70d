"""irax.scipy.special: SciPy's special functions, as `jax.scipy.special`.

Arguments are promoted to a common inexact dtype and broadcast (integers become the
default float), as JAX's `promote_args_inexact` does; the functions are built on the
lax special-function primitives (irax.lax.lgamma, igamma, betainc, ...).
"""
import numpy as np

import irax.numpy as jnp
from irax import lax
from irax.api.numpy.util import broadcast_arrays, promote_args_inexact
from irax.nn import log_softmax, logsumexp, softmax

__all__ = ["beta", "betainc", "betaln", "digamma", "entr", "erf", "erfc", "erfinv", "expit",
           "factorial", "gamma", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
           "polygamma", "softmax", "xlog1py", "xlogy", "zeta"]


# Python floats: NumPy scalars are strongly typed and would promote float32 to float64.
_SQRT_HALF, _SQRT_2 = float(np.sqrt(0.5)), float(np.sqrt(2.0))
_HALF_LOG_2PI = float(0.5 * np.log(2 * np.pi))


def _args(name: str, *args):
    """The arguments promoted to one inexact dtype and broadcast to one shape."""
    return broadcast_arrays(name, *promote_args_inexact(name, *args))


def gammaln(x):
    """`jax.scipy.special.gammaln(x)`: log|Γ(x)|, elementwise.

    Example:
      >>> irax.scipy.special.gammaln(jnp.array([1.0, 5.0]))
      Array([0.       , 3.1780539], dtype=float32)
    """
    (x,) = _args("gammaln", x)
    return lax.lgamma(x)


def digamma(x):
    """`jax.scipy.special.digamma(x)`: ψ(x) = d/dx log Γ(x), elementwise.

    Example:
      >>> irax.scipy.special.digamma(1.0)
      Array(-0.5772157, dtype=float32, weak_type=True)
    """
    (x,) = _args("digamma", x)
    return lax.digamma(x)


def polygamma(n, x):
    """`jax.scipy.special.polygamma(n, x)`: ψ^(n)(x), the n-th derivative of digamma, for
    non-negative integers n (NaN for other n), elementwise.

    Example:
      >>> irax.scipy.special.polygamma(1, 1.0)  # pi**2 / 6
      Array(1.644934, dtype=float32, weak_type=True)
    """
    n, x = _args("polygamma", n, x)
    valid = (n == jnp.round(n)) & (n >= 0)
    return jnp.where(valid, lax.polygamma(jnp.where(valid, n, 0.0), x), np.nan)


def gammainc(a, x):
    """`jax.scipy.special.gammainc(a, x)`: the regularized lower incomplete gamma
    function P(a, x), elementwise.

    Example:
      >>> irax.scipy.special.gammainc(1.0, 2.0)  # 1 - exp(-2)
      Array(0.86466473, dtype=float32, weak_type=True)
    """
    a, x = _args("gammainc", a, x)
    return lax.igamma(a, x)


def gammaincc(a, x):
    """`jax.scipy.special.gammaincc(a, x)`: the regularized upper incomplete gamma
    function Q(a, x) = 1 - P(a, x), elementwise.

    Example:
      >>> irax.scipy.special.gammaincc(1.0, 2.0)  # exp(-2)
      Array(0.13533528, dtype=float32, weak_type=True)
    """
    a, x = _args("gammaincc", a, x)
    return lax.igammac(a, x)


def betaln(a, b):
    """`jax.scipy.special.betaln(a, b)`: log|B(a, b)| = log|Γ(a) Γ(b) / Γ(a + b)|.

    Example:
      >>> irax.scipy.special.betaln(2.0, 3.0)  # log(1/12)
      Array(-2.4849067, dtype=float32, weak_type=True)
    """
    a, b = _args("betaln", a, b)
    return lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)


def betainc(a, b, x):
    """`jax.scipy.special.betainc(a, b, x)`: the regularized incomplete beta function
    I_x(a, b), elementwise (differentiable in `x` only, as JAX's).

    Example:
      >>> irax.scipy.special.betainc(2.0, 3.0, 0.5)
      Array(0.6875, dtype=float32, weak_type=True)
    """
    a, b, x = _args("betainc", a, b, x)
    return lax.betainc(a, b, x)


def _gamma_sign(x):
    """The sign of Γ(x): 1 for x > 0, (-1)^ceil(-x) for x < 0, NaN at the poles x <= 0
    integer (but ±1 at ±0, whose Γ is ±inf)."""
    negative = x < 0
    floor_x = jnp.floor(x)
    sign = jnp.where(negative & (jnp.remainder(floor_x, 2.0) != 0), -1.0, 1.0)
    sign = jnp.where(x == 0, jnp.where(jnp.signbit(x), -1.0, 1.0), sign)
    return jnp.where(negative & (x == floor_x), np.nan, sign).astype(x.dtype)


def gamma(x):
    """`jax.scipy.special.gamma(x)`: Γ(x) = sign · exp(log|Γ(x)|), elementwise; ±inf at
    ±0, NaN at the negative integers and at -inf.

    Example:
      >>> irax.scipy.special.gamma(jnp.array([5.0, -0.5]))
      Array([24.       , -3.5449076], dtype=float32)
    """
    (x,) = _args("gamma", x)
    return _gamma_sign(x) * jnp.exp(lax.lgamma(x))


def beta(a, b):
    """`jax.scipy.special.beta(a, b)`: B(a, b) = Γ(a) Γ(b) / Γ(a + b), elementwise.

    Example:
      >>> irax.scipy.special.beta(2.0, 3.0)
      Array(0.08333334, dtype=float32)
    """
    a, b = _args("beta", a, b)
    sign = _gamma_sign(a) * _gamma_sign(b) * _gamma_sign(a + b)
    return sign * jnp.exp(betaln(a, b))


def factorial(n, exact: bool = False):
    """`jax.scipy.special.factorial(n, exact=False)`: n! = Γ(n + 1) as a float, 0 for
    n < 0 (`exact=True` is not supported, as in JAX).

    Example:
      >>> irax.scipy.special.factorial(jnp.array([0, 5]))
      Array([  1.      , 120.000015], dtype=float32)
    """
    if exact:
        raise NotImplementedError("factorial with exact=True")
    (n,) = _args("factorial", n)
    return jnp.where(n < 0, 0.0, jnp.exp(lax.lgamma(n + 1.0)))


def erf(x):
    """`jax.scipy.special.erf(x)`: the error function, elementwise.

    Example:
      >>> irax.scipy.special.erf(0.5)
      Array(0.5204999, dtype=float32, weak_type=True)
    """
    (x,) = _args("erf", x)
    return lax.erf(x)


def erfc(x):
    """`jax.scipy.special.erfc(x)`: 1 - erf(x), accurate in the right tail.

    Example:
      >>> irax.scipy.special.erfc(3.0)
      Array(2.2090497e-05, dtype=float32, weak_type=True)
    """
    (x,) = _args("erfc", x)
    return lax.erfc(x)


def erfinv(x):
    """`jax.scipy.special.erfinv(x)`: the inverse error function on [-1, 1].

    Example:
      >>> irax.scipy.special.erfinv(0.5)
      Array(0.47693628, dtype=float32, weak_type=True)
    """
    (x,) = _args("erfinv", x)
    return lax.erf_inv(x)


def ndtr(x):
    """`jax.scipy.special.ndtr(x)`: the standard normal CDF, through erf near 0 and
    erfc in the tails (so its left tail keeps its relative accuracy).

    Example:
      >>> irax.scipy.special.ndtr(0.0)
      Array(0.5, dtype=float32)
    """
    (x,) = _args("ndtr", x)
    w = x * _SQRT_HALF
    z = jnp.abs(w)
    tail = 0.5 * lax.erfc(z)
    return jnp.where(z < _SQRT_HALF, 0.5 + 0.5 * lax.erf(w), jnp.where(w > 0, 1.0 - tail,
                                                                      tail))


_LOG_NDTR_SEGMENTS = {np.dtype(np.float32): (-10.0, 5.0), np.dtype(np.float64): (-20.0, 8.0)}


def log_ndtr(x, series_order: int = 3):
    """`jax.scipy.special.log_ndtr(x, series_order=3)`: log of the standard normal CDF,
    stable in both tails: -ndtr(-x) above 5 (float32; 8 in float64), log1p(-ndtr(-x))
    above 0, log(ndtr(x)) down to -10 (-20), and below that the asymptotic series
    -x²/2 - log(-x) - log(2π)/2 + log(1 + Σ_{n<=series_order} (-1)^n (2n-1)!! / x^2n).

    Example:
      >>> irax.scipy.special.log_ndtr(jnp.array([-30.0, 0.0]))
      Array([-454.32123  ,   -0.6931472], dtype=float32)
    """
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if not 0 <= series_order <= 30:
        raise ValueError(f"series_order must be in [0, 30], got {series_order}")
    (x,) = _args("log_ndtr", x)
    lower, upper = _LOG_NDTR_SEGMENTS.get(np.dtype(x.dtype), (-10.0, 5.0))
    above = x > upper
    cdf = ndtr(jnp.where(above, -x, jnp.maximum(x, lower)))
    far = jnp.minimum(x, lower)
    square = far * far
    series, power = 1.0, square
    for n in range(1, series_order + 1):
        term = float(np.prod(np.arange(2 * n - 1, 1, -2))) / power
        series = series - term if n % 2 else series + term
        power = power * square
    asymptotic = (-0.5 * square - jnp.log(-far) - _HALF_LOG_2PI
                  + jnp.log(series))
    middle = jnp.where(x > 0, jnp.log1p(-ndtr(-jnp.clip(x, 0.0, upper))), jnp.log(cdf))
    return jnp.where(above, -cdf, jnp.where(x > lower, middle, asymptotic))


def ndtri(p):
    """`jax.scipy.special.ndtri(p)`: the inverse of `ndtr` (the standard normal
    quantile), -inf at 0 and inf at 1, NaN outside [0, 1].

    For q = min(p, 1 - p): sqrt(2) erfinv(2q - 1) for q > 1e-3, else the tail
    asymptote -sqrt(t - log t - log 2π) with t = -2 log q; then three Newton steps on
    log_ndtr(x) = log q (exact in the relative sense in both tails).

    Example:
      >>> irax.scipy.special.ndtri(jnp.array([0.5, 0.975]))
      Array([0.       , 1.9599645], dtype=float32)
    """
    (p,) = _args("ndtri", p)
    upper = p > 0.5
    q = jnp.where(upper, 1.0 - p, p)
    safe_q = jnp.clip(q, np.finfo(p.dtype).tiny, 0.5)
    t = -2.0 * jnp.log(safe_q)
    central = safe_q > 1e-3
    # each branch on arguments safe for it (the other's gradient would be NaN)
    tail = -jnp.sqrt(jnp.maximum(t - jnp.log(t) - 2 * _HALF_LOG_2PI, 1.0))
    x = jnp.where(central, _SQRT_2 * lax.erf_inv(2.0 * jnp.where(central, safe_q, 0.5)
                                                        - 1.0), tail)
    log_q = jnp.log(safe_q)
    for _ in range(3):
        log_cdf = log_ndtr(x)
        log_pdf = -0.5 * x * x - _HALF_LOG_2PI
        x = x - (log_cdf - log_q) * jnp.exp(log_cdf - log_pdf)
    x = jnp.where(upper, -x, x)
    x = jnp.where(p == 0, -np.inf, jnp.where(p == 1, np.inf, x))
    return jnp.where((p < 0) | (p > 1) | jnp.isnan(p), np.nan, x)


def expit(x):
    """`jax.scipy.special.expit(x)`: the logistic sigmoid 1 / (1 + exp(-x)).

    Example:
      >>> irax.scipy.special.expit(0.0)
      Array(0.5, dtype=float32, weak_type=True)
    """
    (x,) = _args("expit", x)
    return lax.logistic(x)


def logit(x):
    """`jax.scipy.special.logit(x)`: log(x / (1 - x)), the inverse of `expit`.

    Example:
      >>> irax.scipy.special.logit(0.5)
      Array(0., dtype=float32, weak_type=True)
    """
    (x,) = _args("logit", x)
    return jnp.log(x / (1.0 - x))


def xlogy(x, y):
    """`jax.scipy.special.xlogy(x, y)`: x * log(y), and 0 where x == 0 (even for y == 0).

    Example:
      >>> irax.scipy.special.xlogy(jnp.array([0.0, 2.0]), jnp.array([0.0, 3.0]))
      Array([0.       , 2.1972246], dtype=float32)
    """
    x, y = _args("xlogy", x, y)
    nonzero = x != 0
    return jnp.where(nonzero, jnp.where(nonzero, x, 1.0) * jnp.log(jnp.where(nonzero, y, 1.0)),
                     0.0)


def xlog1py(x, y):
    """`jax.scipy.special.xlog1py(x, y)`: x * log1p(y), and 0 where x == 0.

    Example:
      >>> irax.scipy.special.xlog1py(jnp.array([0.0, 2.0]), jnp.array([-1.0, 1.0]))
      Array([0.       , 1.3862944], dtype=float32)
    """
    x, y = _args("xlog1py", x, y)
    nonzero = x != 0
    return jnp.where(nonzero, jnp.where(nonzero, x, 1.0) * jnp.log1p(
        jnp.where(nonzero, y, 0.0)), 0.0)


def entr(x):
    """`jax.scipy.special.entr(x)`: the entropy term -x log x for x > 0, 0 at 0, -inf
    for x < 0.

    Example:
      >>> irax.scipy.special.entr(jnp.array([0.0, 0.5, -1.0]))
      Array([0.       , 0.3465736,      -inf], dtype=float32)
    """
    (x,) = _args("entr", x)
    positive = x > 0
    value = -jnp.where(positive, x, 1.0) * jnp.log(jnp.where(positive, x, 1.0))
    return jnp.where(positive, value, jnp.where(x == 0, 0.0, -np.inf))


def multigammaln(a, d: int):
    """`jax.scipy.special.multigammaln(a, d)`: the log of the multivariate gamma
    function of dimension `d` (a static positive int):
    d(d-1)/4 log π + Σ_{j=1..d} log Γ(a - (j-1)/2).

    Example:
      >>> irax.scipy.special.multigammaln(3.0, 2)  # log(Γ(3) Γ(2.5) sqrt(π))
      Array(1.550195, dtype=float32)
    """
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d}")
    (a,) = _args("multigammaln", a)
    out = d * (d - 1) / 4 * float(np.log(np.pi))
    for j in range(d):
        out = out + lax.lgamma(a - j / 2)
    return out


def i0e(x):
    """`jax.scipy.special.i0e(x)`: exp(-|x|) I0(x), elementwise.

    Example:
      >>> irax.scipy.special.i0e(0.0)
      Array(1., dtype=float32, weak_type=True)
    """
    (x,) = _args("i0e", x)
    return lax.bessel_i0e(x)


def i0(x):
    """`jax.scipy.special.i0(x)`: the modified Bessel function I0(x) = exp(|x|) i0e(x).

    Example:
      >>> irax.scipy.special.i0(1.0)
      Array(1.266066, dtype=float32, weak_type=True)
    """
    (x,) = _args("i0", x)
    return jnp.exp(jnp.abs(x)) * lax.bessel_i0e(x)


def i1e(x):
    """`jax.scipy.special.i1e(x)`: exp(-|x|) I1(x), elementwise.

    Example:
      >>> irax.scipy.special.i1e(1.0)
      Array(0.20791042, dtype=float32, weak_type=True)
    """
    (x,) = _args("i1e", x)
    return lax.bessel_i1e(x)


def i1(x):
    """`jax.scipy.special.i1(x)`: the modified Bessel function I1(x) = exp(|x|) i1e(x).

    Example:
      >>> irax.scipy.special.i1(1.0)
      Array(0.56515914, dtype=float32, weak_type=True)
    """
    (x,) = _args("i1", x)
    return jnp.exp(jnp.abs(x)) * lax.bessel_i1e(x)


def zeta(x, q=None):
    """`jax.scipy.special.zeta(x, q)`: the Hurwitz zeta function Σ_n (n + q)^-x; as in
    JAX, the Riemann zeta function (`q=None`) is not implemented: pass q=1.

    Example:
      >>> irax.scipy.special.zeta(2.0, 1.0)
      Array(1.644934, dtype=float32, weak_type=True)
    """
    if q is None:
        raise NotImplementedError("Riemann zeta function not implemented; pass q != None "
                                  "to compute the Hurwitz Zeta function.")
    x, q = _args("zeta", x, q)
    return lax.zeta(x, q)
