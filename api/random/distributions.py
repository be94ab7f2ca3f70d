"""Samplers of JAX's other distributions: gamma and its relatives (loggamma, beta,
dirichlet, t, chisquare, f, generalized normal, ball), multivariate normal, random orthogonal matrices, and closed-form transformations of
uniform and normal draws (cauchy, pareto, weibull_min, rayleigh, wald, maxwell,
lognormal, geometric, triangular, rademacher).

The algorithms are JAX's (`jax._src.random`), so one key gives JAX's draws (to a few
ulp: logs and powers are NumPy's eagerly and IREE's compiled): gamma is
Marsaglia-Tsang, one element per key of `split(key, size)`, with `Gamma(a) =
Gamma(a + 1) U^(1/a)` for a < 1. The count distributions are in `counts.py`.

Gamma draws (and so beta, dirichlet, t, chisquare, f, generalized_normal) are
differentiable in their shape parameters by JAX's implicit reparameterization
(`lax.random_gamma_grad`); the closed forms differentiate through their formulas.
"""
import math

import numpy as np

import irax.numpy as jnp
from irax import lax
from irax.core import dtypes
from irax.core.tensor import ArrayImpl, Tensor
from irax.numpy.util import asarray_arg, broadcast_shapes, promote_args_inexact
from irax.transforms.custom_derivatives import custom_jvp
from irax.transforms.vmap import vmap

from .continuous import check_broadcast, exponential, float_dtype, normal, uniform
from .discrete import bernoulli
from .keys import canonical_shape, check_key, split, split_keys

__all__ = ["ball", "beta", "cauchy", "chisquare", "clone", "dirichlet",
           "double_sided_maxwell", "f", "gamma", "generalized_normal", "geometric",
           "loggamma", "lognormal", "maxwell", "multivariate_normal",
           "orthogonal", "pareto", "rademacher", "rayleigh", "t", "triangular",
           "wald", "weibull_min"]


_UNIT_SIGMA = np.float32(1)   # JAX's default sigma: float32 even with x64


def _float(name: str, dtype) -> np.dtype:
    return float_dtype(name, float if dtype is None else dtype)


def _shape(name: str, shape, *params) -> tuple:
    """`shape` checked against the parameters' shapes; None means their broadcast."""
    shapes = [p.shape for p in params]
    if shape is None:
        return broadcast_shapes(name, *shapes) if shapes else ()
    shape = canonical_shape(name, shape)
    check_broadcast(name, shape, *shapes)
    return shape


def _param(name: str, value, dtype) -> Tensor:
    return asarray_arg(name, value).astype(dtype)


def _const(value, dtype) -> Tensor:
    return ArrayImpl(np.asarray(value, dtype))


# ---------------------------------------------------------------- gamma family

def _gamma_one(key: Tensor, alpha: Tensor, log_space: bool) -> Tensor:
    """One Marsaglia-Tsang draw of Gamma(alpha) (or its log), JAX's `_gamma_one`."""
    dtype = alpha.dtype
    zero, one = _const(0, dtype), _const(1, dtype)
    boost_mask = alpha >= one
    boosted = lax.select(boost_mask, alpha, alpha + one)
    d = boosted - _const(1 / 3, dtype)
    c = _const(1 / 3, dtype) / jnp.sqrt(d)

    def accepted_not(state):
        _, x2, v, u = state
        squeeze = u >= one - _const(0.0331, dtype) * (x2 * x2)
        log_test = jnp.log(u) >= x2 * _const(0.5, dtype) + d * (one - v + jnp.log(v))
        return squeeze & log_test

    def positive_v(kxv):
        k, sub = split_keys(kxv[0], 2)
        x = normal(sub, (), dtype)
        return k, x, one + x * c

    def propose(state):
        k, x_key, u_key = split_keys(state[0], 3)
        _, x, v = lax.while_loop(lambda kxv: kxv[2] <= zero, positive_v,
                                 (x_key, zero, _const(-1, dtype)))
        return k, x * x, v * v * v, uniform(u_key, (), dtype)

    key, subkey = split_keys(key, 2)
    _, _, v, _ = lax.while_loop(accepted_not, propose, (key, zero, one, _const(2, dtype)))
    if log_space:
        log_u = -exponential(subkey, (), dtype)
        log_boost = lax.select(boost_mask | (log_u == zero), zero, log_u * (one / alpha))
        return jnp.log(d) + jnp.log(v) + log_boost
    u = one - uniform(subkey, (), dtype)
    boost = lax.select(boost_mask, one, jnp.power(u, one / alpha))
    return d * v * boost


def _gamma_draws(key: Tensor, a: Tensor, log_space: bool) -> Tensor:
    size = math.prod(a.shape)
    if size == 0:
        return jnp.zeros(a.shape, a.dtype)
    keys = split(key, size)
    draws = vmap(lambda k, al: _gamma_one(k, al, log_space))(keys, jnp.reshape(a, (size,)))
    return jnp.reshape(draws, a.shape)


def _gamma_sampler(log_space: bool):
    """The draws as a function of (key, a), differentiable in `a` by JAX's implicit
    reparameterization: d sample / da = lax.random_gamma_grad(a, sample)."""
    sample = custom_jvp(lambda key, a: _gamma_draws(key, a, log_space), nondiff_argnums=(0,))

    @sample.defjvp
    def _sample_jvp(key, primals, tangents):
        (a,), (a_dot,) = primals, tangents
        out = sample(key, a)
        if not log_space:
            return out, a_dot * lax.random_gamma_grad(a, out)
        x = jnp.exp(out)   # d log(x) = dx / x, with x = 0 (underflow) read as tiny
        x = jnp.where(x == 0, jnp.full_like(x, dtypes.finfo(x.dtype).tiny), x)
        return out, a_dot * (lax.random_gamma_grad(a, x) / x)
    return sample


_GAMMA = {False: _gamma_sampler(False), True: _gamma_sampler(True)}


def _gamma(name: str, key, a, shape, dtype, log_space: bool) -> Tensor:
    key = check_key(name, key)
    dtype = _float(name, dtype)
    a = _param(name, a, dtype)
    shape = _shape(name, shape, a)
    return _GAMMA[log_space](key, jnp.broadcast_to(a, shape))


def gamma(key, a, shape=None, dtype=None) -> Tensor:
    """Gamma(a, 1) samples (`jax.random.gamma`): density `x^(a-1) e^-x / Gamma(a)`.

    Marsaglia and Tsang's rejection method, one key of `split(key, size)` per element,
    boosted as `Gamma(a + 1) * U^(1/a)` for `a < 1` (JAX's algorithm and draws).
    The derivative with respect to `a` is the implicit reparameterization gradient
    `-(dF/da) / (dF/dx)` of the CDF F at the draw (`lax.random_gamma_grad`).

    Args:
      key: a PRNG key.
      a: the shape parameter (> 0), a scalar or array broadcastable to `shape`.
      shape: the output shape; default `a`'s shape.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      An array of `shape` and `dtype`.

    Example:
      >>> irax.random.gamma(irax.random.PRNGKey(0), 2.0, (3,)).shape
      (3,)
    """
    return _gamma("gamma", key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None) -> Tensor:
    """The logs of Gamma(a, 1) samples, computed in log space so that tiny `a` does not
    underflow to log(0) (`jax.random.loggamma`).

    Args:
      key: a PRNG key.
      a: the shape parameter (> 0), a scalar or array broadcastable to `shape`.
      shape: the output shape; default `a`'s shape.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      An array of `shape` and `dtype`.

    Example:
      >>> bool(irax.random.loggamma(irax.random.PRNGKey(0), 1e-4) < -100)
      True
    """
    return _gamma("loggamma", key, a, shape, dtype, True)


def beta(key, a, b, shape=None, dtype=None) -> Tensor:
    """Beta(a, b) samples, `Ga / (Ga + Gb)` from two log-gamma draws
    (`jax.random.beta`).

    Args:
      key: a PRNG key.
      a, b: positive parameters, scalars or arrays broadcastable to `shape`.
      shape: the output shape; default the broadcast shape of `a` and `b`.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      An array of `shape` and `dtype` with values in [0, 1].

    Example:
      >>> irax.random.beta(irax.random.PRNGKey(0), 2.0, 3.0, (2,)).shape
      (2,)
    """
    key = check_key("beta", key)
    dtype = _float("beta", dtype)
    a, b = _param("beta", a, dtype), _param("beta", b, dtype)
    shape = _shape("beta", shape, a, b)
    key_a, key_b = split_keys(key, 2)
    log_a = loggamma(key_a, jnp.broadcast_to(a, shape), shape, dtype)
    log_b = loggamma(key_b, jnp.broadcast_to(b, shape), shape, dtype)
    log_max = jnp.maximum(log_a, log_b)
    ga, gb = jnp.exp(log_a - log_max), jnp.exp(log_b - log_max)
    return ga / (ga + gb)


def dirichlet(key, alpha, shape=None, dtype=None) -> Tensor:
    """Dirichlet(alpha) samples: the softmax of log-gamma draws along the last axis
    (`jax.random.dirichlet`).

    Args:
      key: a PRNG key.
      alpha: concentrations, shape `(..., k)` with `k` categories.
      shape: the batch shape; default `alpha.shape[:-1]`.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      An array of shape `shape + (k,)` whose rows sum to 1.

    Example:
      >>> irax.random.dirichlet(irax.random.PRNGKey(0), jnp.ones(3), (2,)).shape
      (2, 3)
    """
    key = check_key("dirichlet", key)
    dtype = _float("dirichlet", dtype)
    alpha = _param("dirichlet", alpha, dtype)
    if alpha.ndim < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {alpha.ndim}")
    batch = alpha.shape[:-1]
    shape = batch if shape is None else canonical_shape("dirichlet", shape)
    check_broadcast("dirichlet", shape, batch)
    log_g = loggamma(key, alpha, shape + alpha.shape[-1:], dtype)
    shifted = log_g - jnp.max(log_g, axis=-1, keepdims=True)
    e = jnp.exp(shifted)
    return e / jnp.sum(e, axis=-1, keepdims=True)


def t(key, df, shape=None, dtype=None) -> Tensor:
    """Student's t samples with `df` degrees of freedom, `N * sqrt(df/2 / G(df/2))`
    (`jax.random.t`).

    Example:
      >>> irax.random.t(irax.random.PRNGKey(0), 3.0, (2,)).shape
      (2,)
    """
    key = check_key("t", key)
    dtype = _float("t", dtype)
    df = _param("t", df, dtype)
    shape = _shape("t", shape, df)
    key_n, key_g = split_keys(key, 2)
    n = normal(key_n, shape, dtype)
    half_df = df / _const(2, dtype)
    g = gamma(key_g, half_df, shape, dtype)
    return n * jnp.sqrt(half_df / g)


def chisquare(key, df, shape=None, dtype=None) -> Tensor:
    """Chi-square samples with `df` degrees of freedom, `2 exp(loggamma(df / 2))`
    (`jax.random.chisquare`).

    Example:
      >>> irax.random.chisquare(irax.random.PRNGKey(0), 2.0, (2,)).shape
      (2,)
    """
    key = check_key("chisquare", key)
    dtype = _float("chisquare", dtype)
    df = _param("chisquare", df, dtype)
    shape = _shape("chisquare", shape, df)
    two = _const(2, dtype)
    return jnp.exp(loggamma(key, df / two, shape, dtype)) * two


def f(key, dfnum, dfden, shape=None, dtype=None) -> Tensor:
    """F-distribution samples, `(X1 / dfnum) / (X2 / dfden)` for chi-square X1, X2
    (`jax.random.f`).

    Example:
      >>> irax.random.f(irax.random.PRNGKey(0), 3.0, 5.0, (2,)).shape
      (2,)
    """
    key = check_key("f", key)
    dtype = _float("f", dtype)
    dfnum, dfden = _param("f", dfnum, dtype), _param("f", dfden, dtype)
    shape = _shape("f", shape, dfnum, dfden)
    key_den, key_num = split_keys(key, 2)
    num = chisquare(key_num, dfnum, shape, dtype) / dfnum
    den = chisquare(key_den, dfden, shape, dtype) / dfden
    return num / den


def generalized_normal(key, p, shape=(), dtype=None) -> Tensor:
    """Generalized normal samples, density `p exp(-|x|^p) / (2 Gamma(1/p))`: a random
    sign times `Gamma(1/p)^(1/p)` (`jax.random.generalized_normal`).

    Example:
      >>> irax.random.generalized_normal(irax.random.PRNGKey(0), 1.5, (2,)).shape
      (2,)
    """
    key = check_key("generalized_normal", key)
    dtype = _float("generalized_normal", dtype)
    shape = canonical_shape("generalized_normal", shape)
    p = _param("generalized_normal", p, dtype)
    k_g, k_r = split_keys(key, 2)
    g = gamma(k_g, _const(1, dtype) / p, shape, dtype)
    r = rademacher(k_r, shape, dtype)
    return r * jnp.power(g, _const(1, dtype) / p)


def ball(key, d: int, p: float = 2, shape=(), dtype=None) -> Tensor:
    """Uniform samples from the unit `p`-norm ball in `d` dimensions
    (`jax.random.ball`).

    Args:
      key: a PRNG key.
      d: the dimension (a static int).
      p: the norm's exponent (a static float, > 0).
      shape: the batch shape.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      An array of shape `shape + (d,)`.

    Example:
      >>> x = irax.random.ball(irax.random.PRNGKey(0), 3, shape=(4,))
      >>> bool((jnp.linalg.norm(x, axis=-1) <= 1).all())
      True
    """
    key = check_key("ball", key)
    dtype = _float("ball", dtype)
    shape = canonical_shape("ball", shape)
    d = int(d)
    k_g, k_e = split_keys(key, 2)
    g = generalized_normal(k_g, p, (*shape, d), dtype)
    e = exponential(k_e, shape, dtype)
    inv_p = _const(1 / p, dtype)
    radius = jnp.power(jnp.sum(jnp.power(jnp.abs(g), _const(p, dtype)), axis=-1) + e, inv_p)
    return g / radius[..., None]


# ---------------------------------------------------------------- Poisson, binomial

def multivariate_normal(key, mean, cov, shape=None, dtype=None, method: str = "cholesky"):
    """Multivariate normal samples `mean + L z` with `L L^T = cov`
    (`jax.random.multivariate_normal`).

    Args:
      key: a PRNG key.
      mean: the mean, shape `(..., n)`.
      cov: the covariance, shape `(..., n, n)`, symmetric positive definite.
      shape: the batch shape; default the broadcast of `mean.shape[:-1]` and
        `cov.shape[:-2]`.
      dtype: a floating dtype; default float32 (float64 with x64).
      method: 'cholesky' (the only factorization irax offers so far: 'eigh' and 'svd'
        raise NotImplementedError).

    Returns:
      An array of shape `shape + (n,)`.

    Example:
      >>> cov = jnp.array([[2.0, 0.5], [0.5, 1.0]])
      >>> irax.random.multivariate_normal(irax.random.PRNGKey(0), jnp.zeros(2), cov,
      ...                                 (3,)).shape
      (3, 2)
    """
    key = check_key("multivariate_normal", key)
    if method not in {"svd", "eigh", "cholesky"}:
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    if method != "cholesky":
        raise NotImplementedError(f"multivariate_normal: method={method!r} needs "
                                  f"jnp.linalg.{method}, which irax lacks; use 'cholesky'")
    dtype = _float("multivariate_normal", dtype)
    mean = _param("multivariate_normal", mean, dtype)
    cov = _param("multivariate_normal", cov, dtype)
    if mean.ndim < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{mean.ndim}")
    if cov.ndim < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{cov.ndim}")
    n = mean.shape[-1]
    if cov.shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {cov.shape}.")
    batch = broadcast_shapes("multivariate_normal", mean.shape[:-1], cov.shape[:-2])
    shape = batch if shape is None else canonical_shape("multivariate_normal", shape)
    check_broadcast("multivariate_normal", shape, mean.shape[:-1], cov.shape[:-2])
    factor = jnp.linalg.cholesky(cov)
    z = normal(key, shape + (n,), dtype)
    return mean + jnp.sum(factor * z[..., None, :], axis=-1)


def _qr_q(z: Tensor) -> Tensor:
    """Q of the reduced QR factorization of `z` `(..., m, k)`, m >= k, with R's diagonal
    made positive (modified Gram-Schmidt, applied twice for orthogonality)."""
    columns = []
    for j in range(z.shape[-1]):
        v = z[..., :, j]
        for _ in range(2):
            for q in columns:
                v = v - jnp.sum(q * v, axis=-1, keepdims=True) * q
        columns.append(v / jnp.sqrt(jnp.sum(v * v, axis=-1, keepdims=True)))
    return jnp.stack(columns, axis=-1)


def orthogonal(key, n: int, shape=(), dtype=None, m: int | None = None) -> Tensor:
    """Samples from the Haar measure on (semi-)orthogonal matrices
    (`jax.random.orthogonal`): the Q of a Gaussian matrix's QR factorization with R's
    diagonal positive.

    Args:
      key: a PRNG key.
      n: the number of rows (a static int).
      shape: the batch shape.
      dtype: a real floating dtype; default float32 (float64 with x64).
      m: the number of columns; default `n`.

    Returns:
      An array of shape `shape + (n, m)` with orthonormal columns (n >= m) or rows.

    Example:
      >>> q = irax.random.orthogonal(irax.random.PRNGKey(0), 3)
      >>> bool(jnp.allclose(q @ q.T, jnp.eye(3), atol=1e-5))
      True
    """
    key = check_key("orthogonal", key)
    dtype = _float("orthogonal", dtype)
    shape = canonical_shape("orthogonal", shape)
    n = int(n)
    m = n if m is None else int(m)
    z = normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q = _qr_q(z)
    return jnp.swapaxes(q, -1, -2) if n < m else q


# ---------------------------------------------------------------- closed forms

def _unary(name: str, key, shape, dtype, *params):
    key = check_key(name, key)
    dtype = _float(name, dtype)
    params = [_param(name, p, dtype) for p in params]
    return key, _shape(name, shape, *params), dtype, params


def cauchy(key, shape=(), dtype=None) -> Tensor:
    """Standard Cauchy samples, `tan(pi (u - 1/2))` (`jax.random.cauchy`).

    Example:
      >>> irax.random.cauchy(irax.random.PRNGKey(0), (2,)).shape
      (2,)
    """
    key, shape, dtype, _ = _unary("cauchy", key, shape, dtype)
    u = uniform(key, shape, dtype, float(dtypes.finfo(dtype).eps), 1.0)
    return jnp.tan(_const(np.pi, dtype) * (u - _const(0.5, dtype)))


def pareto(key, b, shape=None, dtype=None) -> Tensor:
    """Pareto samples of shape `b` on [1, inf), `exp(E / b)` (`jax.random.pareto`).

    Example:
      >>> bool((irax.random.pareto(irax.random.PRNGKey(0), 2.0, (5,)) >= 1).all())
      True
    """
    key, shape, dtype, (b,) = _unary("pareto", key, shape, dtype, b)
    return jnp.exp(exponential(key, shape, dtype) / b)


def weibull_min(key, scale, concentration, shape=(), dtype=None) -> Tensor:
    """Weibull samples, `scale * (-log1p(-u))^(1/concentration)`
    (`jax.random.weibull_min`).

    Example:
      >>> irax.random.weibull_min(irax.random.PRNGKey(0), 1.0, 2.0, (2,)).shape
      (2,)
    """
    key, shape, dtype, (scale, conc) = _unary("weibull_min", key, shape, dtype, scale,
                                              concentration)
    u = uniform(key, shape, dtype, 0.0, 1.0)
    return jnp.power(-jnp.log1p(-u), _const(1, dtype) / conc) * scale


def rayleigh(key, scale, shape=None, dtype=None) -> Tensor:
    """Rayleigh samples, `scale * sqrt(-2 log u)` (`jax.random.rayleigh`).

    Example:
      >>> irax.random.rayleigh(irax.random.PRNGKey(0), 1.0, (2,)).shape
      (2,)
    """
    key, shape, dtype, (scale,) = _unary("rayleigh", key, shape, dtype, scale)
    u = uniform(key, shape, dtype)
    return scale * jnp.sqrt(jnp.log(u) * _const(-2, dtype))


def wald(key, mean, shape=None, dtype=None) -> Tensor:
    """Wald (inverse Gaussian, scale 1) samples by Michael, Schucany and Haas' method
    (`jax.random.wald`).

    Example:
      >>> bool((irax.random.wald(irax.random.PRNGKey(0), 1.0, (5,)) > 0).all())
      True
    """
    key, shape, dtype, (mean,) = _unary("wald", key, shape, dtype, mean)
    k1, k2 = split_keys(key, 2)
    mean = jnp.broadcast_to(mean, shape)
    v = normal(k1, shape, dtype)
    z = uniform(k2, shape, dtype)
    y = v * v
    mean_sq = mean * mean
    sqrt_term = jnp.sqrt(_const(4, dtype) * mean * y + mean_sq * (y * y))
    x = mean + mean_sq * y / _const(2, dtype) - mean / _const(2, dtype) * sqrt_term
    return lax.select(z <= mean / (mean + x), x, mean_sq / x)


def lognormal(key, sigma=_UNIT_SIGMA, shape=None, dtype=None) -> Tensor:
    """Log-normal samples, `exp(sigma N)` (`jax.random.lognormal`).

    Example:
      >>> bool((irax.random.lognormal(irax.random.PRNGKey(0), shape=(5,)) > 0).all())
      True
    """
    key, shape, dtype, (sigma,) = _unary("lognormal", key, shape, dtype, sigma)
    return jnp.exp(normal(key, shape, dtype) * sigma)


def maxwell(key, shape=(), dtype=None) -> Tensor:
    """Maxwell samples: the norm of a 3-D standard normal vector (`jax.random.maxwell`).

    Example:
      >>> irax.random.maxwell(irax.random.PRNGKey(0), (2,)).shape
      (2,)
    """
    key, shape, dtype, _ = _unary("maxwell", key, shape, dtype)
    z = normal(key, (*shape, 3), dtype)
    return jnp.sqrt(jnp.sum(z * z, axis=-1))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None) -> Tensor:
    """Double-sided Maxwell samples, `loc + scale * sign * maxwell`
    (`jax.random.double_sided_maxwell`).

    As in JAX the output shape is `shape + broadcast(loc.shape, scale.shape)`, where
    an empty `shape` is first replaced by the parameters' broadcast shape.

    Example:
      >>> irax.random.double_sided_maxwell(irax.random.PRNGKey(0), 0.0, 1.0, (2,)).shape
      (2,)
    """
    key = check_key("double_sided_maxwell", key)
    dtype = _float("double_sided_maxwell", dtype)
    loc = _param("double_sided_maxwell", loc, dtype)
    scale = _param("double_sided_maxwell", scale, dtype)
    params = broadcast_shapes("double_sided_maxwell", loc.shape, scale.shape)
    shape = canonical_shape("double_sided_maxwell", shape) or params
    shape = shape + params
    k_m, k_r = split_keys(key, 2)
    return rademacher(k_r, shape, dtype) * maxwell(k_m, shape, dtype) * scale + loc


def geometric(key, p, shape=None, dtype=None) -> Tensor:
    """Geometric samples on {1, 2, ...}, `floor(log u / log1p(-p)) + 1`
    (`jax.random.geometric`).

    Args:
      key: a PRNG key.
      p: the success probability, a float scalar or array.
      shape: the output shape; default `p`'s shape.
      dtype: an integer dtype; default int32 (int64 with x64).

    Example:
      >>> bool((irax.random.geometric(irax.random.PRNGKey(0), 0.3, (5,)) >= 1).all())
      True
    """
    key = check_key("geometric", key)
    dtype = dtypes.canonicalize_dtype(dtypes.to_dtype(int if dtype is None else dtype))
    (p,) = promote_args_inexact("geometric", p)
    shape = _shape("geometric", shape, p)
    u = uniform(key, shape, p.dtype)
    u = jnp.where(u == 0, jnp.ones_like(u), u)
    g = jnp.floor(jnp.log(u) / jnp.broadcast_to(jnp.log1p(-p), shape)) + _const(1, p.dtype)
    return g.astype(dtype)


def triangular(key, left, mode, right, shape=None, dtype=None) -> Tensor:
    """Triangular samples on [left, right] with peak at `mode`, by inverting the CDF
    (`jax.random.triangular`).

    Example:
      >>> irax.random.triangular(irax.random.PRNGKey(0), 0.0, 0.5, 1.0, (2,)).shape
      (2,)
    """
    key, shape, dtype, (lo, mo, hi) = _unary("triangular", key, shape, dtype, left, mode,
                                             right)
    lo, mo, hi = (jnp.broadcast_to(x, shape) for x in (lo, mo, hi))
    fc = (mo - lo) / (hi - lo)
    u = uniform(key, shape, dtype)
    out1 = lo + jnp.sqrt(u * (hi - lo) * (mo - lo))
    out2 = hi - jnp.sqrt((_const(1, dtype) - u) * (hi - lo) * (hi - mo))
    return lax.select(u < fc, out1, out2)


def rademacher(key, shape=(), dtype=None) -> Tensor:
    """Rademacher samples: -1 or +1 with equal probability (`jax.random.rademacher`).

    Args:
      key: a PRNG key.
      shape: the output shape.
      dtype: the output dtype; default int32 (int64 with x64).

    Example:
      >>> irax.random.rademacher(irax.random.PRNGKey(0), (4,)).dtype
      dtype('int32')
    """
    key = check_key("rademacher", key)
    dtype = dtypes.canonicalize_dtype(dtypes.to_dtype(int if dtype is None else dtype))
    b = bernoulli(key, 0.5, canonical_shape("rademacher", shape)).astype(dtype)
    return (_const(2, dtype) * b - _const(1, dtype)).astype(dtype)


def clone(key) -> Tensor:
    """The key itself (`jax.random.clone`: JAX's key-reuse checker counts a clone as a
    fresh key; irax has no such checker).

    Example:
      >>> k = irax.random.PRNGKey(0)
      >>> bool((irax.random.clone(k) == k).all())
      True
    """
    return check_key("clone", key)
