"""Special-function primitives (lgamma, digamma, igamma, ...): abstract eval, NumPy/SciPy
impl, binding functions.

Every one is elementwise over real floating operands of one dtype (rank-0 operands
broadcast, as for the other elementwise primitives); the result has that dtype.  The
eager impls are SciPy's functions, computed in float32 for half-precision inputs.
"""
import numpy as np
import scipy.special as sc

from ..tensor import to_tensor
from .elementwise import FLOAT_KINDS, elementwise_primitive, match_weak


def _scipy(fn):
    """`fn` on irax dtypes: half precision computed in float32, the input's dtype out."""
    def apply(*args):
        dtype = args[0].dtype
        wide = [a.astype(np.float32) if dtype.itemsize < 4 else a for a in args]
        return np.asarray(fn(*wide)).astype(dtype)
    apply.__name__ = getattr(fn, "__name__", "special")
    return apply


def _series_derivative(a, x, ax):
    """dP/da from the series P = ax/a Σ x^n / ((a+1)...(a+n)) and its derivative in a
    (XLA's igamma series), float64, run until every term is below eps relative."""
    r, c, ans, dc, dans = a.copy(), np.ones_like(a), np.ones_like(a), 0 * a, 0 * a
    going = np.ones(a.shape, bool)
    while going.any():
        r = np.where(going, r + 1, r)
        dc = np.where(going, dc * (x / r) - c * x / (r * r), dc)
        dans = np.where(going, dans + dc, dans)
        c = np.where(going, c * (x / r), c)
        ans = np.where(going, ans + c, ans)
        going &= np.abs(dc) > _EPS * np.abs(dans)
    return ax * (ans * (np.log(x) - sc.digamma(a + 1)) + dans) / a


def _fraction_derivative(a, x, ax):
    """dP/da = -dQ/da from Legendre's continued fraction of Q and its derivative in a
    (XLA's igammac continued fraction), float64, at most 2000 steps."""
    y, z = 1 - a, x + 2 - a
    pkm2, qkm2, pkm1, qkm1 = np.ones_like(x), x, x + 1, (x + 2 - a) * x
    dpkm2, dqkm2, dpkm1, dqkm1 = 0 * x, 0 * x, 0 * x, -x
    ans = pkm1 / qkm1
    dans = -ans * dqkm1 / qkm1
    going = np.ones(a.shape, bool)
    for c in range(1, 2001):
        if not going.any():
            break
        y, z = y + 1, z + 2
        yc = y * c
        pk, qk = pkm1 * z - pkm2 * yc, qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        nonzero = going & (qk != 0)
        safe_qk = np.where(qk != 0, qk, 1)
        ans = np.where(nonzero, pk / safe_qk, ans)
        new_dans = np.where(nonzero, (dpk - ans * dqk) / safe_qk, dans)
        going &= ~nonzero | (np.abs(new_dans - dans) > _EPS)
        dans = new_dans
        scale = np.where(np.abs(pk) > 1 / _EPS, _EPS, 1.0)
        pkm2, qkm2, pkm1, qkm1 = pkm1 * scale, qkm1 * scale, pk * scale, qk * scale
        dpkm2, dqkm2, dpkm1, dqkm1 = dpkm1 * scale, dqkm1 * scale, dpk * scale, dqk * scale
    return -ax * (ans * (np.log(x) - sc.digamma(a)) + dans)


def _igamma_grad_a(a, x):
    """dP(a, x)/da in float64 (SciPy has no such function): the series below
    x = max(1, a), the continued fraction above; 0 at x = 0, NaN outside the domain."""
    a64, x64 = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    bad = (a64 <= 0) | (x64 < 0) | np.isnan(a64) | np.isnan(x64)
    ok = ~bad & (x64 > 0) & np.isfinite(x64)
    a_ok, x_ok = np.where(ok, a64, 1.0), np.where(ok, x64, 1.0)
    ax = np.exp(a_ok * np.log(x_ok) - x_ok - sc.gammaln(a_ok))
    upper = (x_ok > 1) & (x_ok > a_ok)
    out = np.zeros(a64.shape)
    if upper.any():
        out[upper] = _fraction_derivative(a_ok[upper], x_ok[upper], ax[upper])
    if (~upper).any():
        out[~upper] = _series_derivative(a_ok[~upper], x_ok[~upper], ax[~upper])
    out = np.where(ok & (ax > 0), out, 0.0)
    return np.where(bad, np.nan, out)


def _random_gamma_grad(a, x):
    """d sample / d a of a Gamma(a, 1) sample x drawn by inverting its CDF P(a, x):
    -(dP/da) / (dP/dx) (implicit differentiation)."""
    a64, x64 = np.asarray(a, np.float64), np.asarray(x, np.float64)
    return -_igamma_grad_a(a64, x64) / np.exp(
        (a64 - 1) * np.log(x64) - x64 - sc.gammaln(a64))


_EPS = float(np.finfo(np.float64).eps)


def _float_primitive(name: str, fn, n_args: int = 1):
    return elementwise_primitive(name, _scipy(fn), FLOAT_KINDS, n_args=n_args)


lgamma_p = _float_primitive("lgamma", sc.gammaln)
digamma_p = _float_primitive("digamma", sc.digamma)
polygamma_p = _float_primitive("polygamma", sc.polygamma, 2)
igamma_p = _float_primitive("igamma", sc.gammainc, 2)
igammac_p = _float_primitive("igammac", sc.gammaincc, 2)
igamma_grad_a_p = _float_primitive("igamma_grad_a", _igamma_grad_a, 2)
random_gamma_grad_p = _float_primitive("random_gamma_grad", _random_gamma_grad, 2)
regularized_incomplete_beta_p = _float_primitive("regularized_incomplete_beta", sc.betainc, 3)
bessel_i0e_p = _float_primitive("bessel_i0e", sc.i0e)
bessel_i1e_p = _float_primitive("bessel_i1e", sc.i1e)
zeta_p = _float_primitive("zeta", sc.zeta, 2)
erfc_p = _float_primitive("erfc", sc.erfc)

UNARY = (lgamma_p, digamma_p, bessel_i0e_p, bessel_i1e_p, erfc_p)
BINARY = (polygamma_p, igamma_p, igammac_p, igamma_grad_a_p, random_gamma_grad_p, zeta_p)


# ---- binding functions (irax.lax) -------------------------------------------------

def _bind_all(prim, *args):
    """Binds `prim` on `args` with weakly typed operands converted to a strong one's
    dtype (lax's only implicit conversion)."""
    tensors = [to_tensor(a) for a in args]
    strong = next((t for t in tensors if not t.weak_type), tensors[0])
    return prim.bind(*[match_weak(t, strong)[0] for t in tensors])


def lgamma(x):
    """`lax.lgamma(x)`: elementwise log of the absolute value of the gamma function,
    log|Γ(x)| (inf at 0 and the negative integers).

    Example:
      >>> lax.lgamma(jnp.float32(5.0))  # log(4!)
      Array(3.1780539, dtype=float32)
    """
    return lgamma_p.bind(to_tensor(x))


def digamma(x):
    """`lax.digamma(x)`: elementwise digamma ψ(x) = d/dx log Γ(x) (NaN at 0 and the
    negative integers).

    Example:
      >>> lax.digamma(jnp.float32(1.0))  # -Euler's constant
      Array(-0.5772157, dtype=float32)
    """
    return digamma_p.bind(to_tensor(x))


def polygamma(m, x):
    """`lax.polygamma(m, x)`: elementwise polygamma ψ^(m)(x), the m-th derivative of
    digamma, for a non-negative integer-valued float `m` of x's dtype.

    Example:
      >>> lax.polygamma(jnp.float32(1.0), jnp.float32(1.0))  # pi**2 / 6
      Array(1.644934, dtype=float32)
    """
    return _bind_all(polygamma_p, m, x)


def igamma(a, x):
    """`lax.igamma(a, x)`: the regularized lower incomplete gamma function
    P(a, x) = γ(a, x) / Γ(a), elementwise (a > 0, x >= 0; NaN outside).

    Example:
      >>> lax.igamma(jnp.float32(1.0), jnp.float32(2.0))  # 1 - exp(-2)
      Array(0.86466473, dtype=float32)
    """
    return _bind_all(igamma_p, a, x)


def igammac(a, x):
    """`lax.igammac(a, x)`: the regularized upper incomplete gamma function
    Q(a, x) = 1 - P(a, x), elementwise, accurate where P is close to 1.

    Example:
      >>> lax.igammac(jnp.float32(1.0), jnp.float32(2.0))  # exp(-2)
      Array(0.13533528, dtype=float32)
    """
    return _bind_all(igammac_p, a, x)


def igamma_grad_a(a, x):
    """`lax.igamma_grad_a(a, x)`: dP(a, x)/da, the derivative of `igamma` with respect
    to its first argument, elementwise.

    Example:
      >>> lax.igamma_grad_a(jnp.float32(1.0), jnp.float32(1.0))
      Array(-0.4317297, dtype=float32)
    """
    return _bind_all(igamma_grad_a_p, a, x)


def random_gamma_grad(a, x):
    """`lax.random_gamma_grad(a, x)`: the derivative of a Gamma(a, 1) sample `x` with
    respect to `a` when x is the inverse CDF of a fixed uniform (the implicit
    reparameterization gradient): -(dP/da) / (dP/dx), elementwise.

    Example:
      >>> lax.random_gamma_grad(jnp.float32(1.0), jnp.float32(1.0))
      Array(1.173563, dtype=float32)
    """
    return _bind_all(random_gamma_grad_p, a, x)


def betainc(a, b, x):
    """`lax.betainc(a, b, x)`: the regularized incomplete beta function
    I_x(a, b) = B(x; a, b) / B(a, b), elementwise (a, b > 0, 0 <= x <= 1; NaN outside).
    Differentiable with respect to `x` only, as in JAX.

    Example:
      >>> lax.betainc(jnp.float32(2.0), jnp.float32(3.0), jnp.float32(0.5))
      Array(0.6875, dtype=float32)
    """
    return _bind_all(regularized_incomplete_beta_p, a, b, x)


def bessel_i0e(x):
    """`lax.bessel_i0e(x)`: the exponentially scaled modified Bessel function of the
    first kind of order 0, exp(-|x|) I0(x), elementwise.

    Example:
      >>> lax.bessel_i0e(jnp.float32(0.0))
      Array(1., dtype=float32)
    """
    return bessel_i0e_p.bind(to_tensor(x))


def bessel_i1e(x):
    """`lax.bessel_i1e(x)`: the exponentially scaled modified Bessel function of the
    first kind of order 1, exp(-|x|) I1(x), elementwise.

    Example:
      >>> lax.bessel_i1e(jnp.float32(1.0))
      Array(0.20791042, dtype=float32)
    """
    return bessel_i1e_p.bind(to_tensor(x))


def zeta(x, q):
    """`lax.zeta(x, q)`: the Hurwitz zeta function ζ(x, q) = Σ_k (k + q)^-x,
    elementwise (x > 1; ζ(x, 1) is Riemann's zeta).

    Example:
      >>> lax.zeta(jnp.float32(2.0), jnp.float32(1.0))  # pi**2 / 6
      Array(1.644934, dtype=float32)
    """
    return _bind_all(zeta_p, x, q)


def erfc(x):
    """`lax.erfc(x)`: the complementary error function 1 - erf(x), elementwise,
    accurate in the right tail.

    Example:
      >>> lax.erfc(jnp.float32(3.0))
      Array(2.2090497e-05, dtype=float32)
    """
    return erfc_p.bind(to_tensor(x))
