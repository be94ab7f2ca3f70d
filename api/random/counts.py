"""Samplers of JAX's count distributions: Poisson (Knuth's product of uniforms below
rate 10, Hormann's transformed rejection above), binomial (inversion by geometric
waiting times below a mean of 10, BTRS above) and multinomial (a scan of binomials),
with JAX's algorithms, so one key gives JAX's draws."""

import numpy as np

import irax.numpy as jnp
from irax import lax
from irax.core import dtypes
from irax.core.tensor import Tensor
from irax.numpy.util import asarray_arg, promote_args_inexact

from .continuous import check_broadcast, uniform
from .distributions import _const, _float, _shape
from .keys import canonical_shape, check_key, split, split_keys

__all__ = ["binomial", "multinomial", "poisson"]


def _poisson_knuth(key: Tensor, lam: Tensor, shape: tuple, dtype) -> Tensor:
    def body(carry):
        k, rng, log_prod = carry
        rng, sub = split_keys(rng, 2)
        k = lax.select(log_prod > -lam, k + 1, k)
        return k, rng, log_prod + jnp.log(uniform(sub, shape, np.float32))

    def running(carry):
        return jnp.any(carry[2] > -lam)

    init = (jnp.zeros(shape, dtype), key, jnp.zeros(shape, np.float32))
    return lax.while_loop(running, body, init)[0] - _const(1, dtype)


def _poisson_rejection(key: Tensor, lam: Tensor, shape: tuple, dtype) -> Tensor:
    f32 = lam.dtype
    log_lam = jnp.log(lam)
    b = _const(0.931, f32) + _const(2.53, f32) * jnp.sqrt(lam)
    a = _const(-0.059, f32) + _const(0.02483, f32) * b
    inv_alpha = _const(1.1239, f32) + _const(1.1328, f32) / (b - _const(3.4, f32))
    v_r = _const(0.9277, f32) - _const(3.6224, f32) / (b - _const(2, f32))

    def body(carry):
        k_out, accepted, rng = carry
        rng, k0, k1 = split_keys(rng, 3)
        u = uniform(k0, shape, f32) - _const(0.5, f32)
        v = uniform(k1, shape, f32)
        us = _const(0.5, f32) - jnp.abs(u)
        k = jnp.floor((_const(2, f32) * a / us + b) * u + lam + _const(0.43, f32))
        s = jnp.log(v * inv_alpha / (a / (us * us) + b))
        tt = -lam + k * log_lam - lax.lgamma(k + _const(1, f32))
        accept1 = (us >= _const(0.07, f32)) & (v <= v_r)
        reject = (k < _const(0, f32)) | ((us < _const(0.013, f32)) & (v > us))
        accept = accept1 | (~reject & (s <= tt))
        return lax.select(accept, k, k_out), accepted | accept, rng

    init = (jnp.full(shape, -1, f32), jnp.zeros(shape, bool), key)
    k = lax.while_loop(lambda c: jnp.any(~c[1]), body, init)[0]
    return k.astype(dtype)


def poisson(key, lam, shape=None, dtype=None) -> Tensor:
    """Poisson(lam) samples (`jax.random.poisson`): Knuth's algorithm where `lam < 10`,
    Hormann's transformed rejection elsewhere (JAX's, NumPy's and TensorFlow's choice).

    Args:
      key: a PRNG key.
      lam: the rate (>= 0), a scalar or array broadcastable to `shape`; computed in
        float32 as in JAX.
      shape: the output shape; default `lam`'s shape.
      dtype: an integer dtype; default int32 (int64 with x64).

    Returns:
      An integer array of `shape`.

    Example:
      >>> irax.random.poisson(irax.random.PRNGKey(0), 3.0, (4,)).dtype
      dtype('int32')
    """
    key = check_key("poisson", key)
    dtype = dtypes.canonicalize_dtype(dtypes.to_dtype(int if dtype is None else dtype))
    if not dtypes.is_integer(dtype):
        raise TypeError(f"poisson: dtype must be an integer dtype, got {dtype}")
    lam = asarray_arg("poisson", lam)
    shape = _shape("poisson", shape, lam)
    lam = jnp.broadcast_to(lam.astype(np.float32), shape)
    use_knuth = jnp.isnan(lam) | (lam < _const(10, np.float32))
    lam_knuth = lax.select(use_knuth, lam, jnp.zeros(shape, np.float32))
    lam_rejection = lax.select(use_knuth, jnp.full(shape, 1e5, np.float32), lam)
    result = lax.select(use_knuth, _poisson_knuth(key, lam_knuth, shape, dtype),
                        _poisson_rejection(key, lam_rejection, shape, dtype))
    return lax.select(lam == _const(0, np.float32), jnp.zeros(shape, dtype), result)


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k: Tensor) -> Tensor:
    """log(k!) minus its Stirling approximation: a table for k <= 9, a series above."""
    dtype = k.dtype
    k1 = k + _const(1, dtype)
    k1sq = k1 * k1
    approx = (_const(1 / 12, dtype) - (_const(1 / 360, dtype)
                                       - _const(1 / 1260, dtype) / k1sq) / k1sq) / k1
    index = jnp.floor(jnp.clip(k, 0, 9)).astype(np.int32)
    table = jnp.take(jnp.asarray(np.asarray(_STIRLING_TAIL, dtype)), index)
    return lax.select(k <= _const(9, dtype), table, approx)


def _binomial_inversion(key: Tensor, count: Tensor, prob: Tensor, shape: tuple) -> Tensor:
    log1mp = jnp.log1p(-prob)

    def body(carry):
        num_geom, geom_sum, rng = carry
        sub, rng = split_keys(rng, 2)
        num_geom = lax.select(geom_sum <= count, num_geom + 1, num_geom)
        geom = jnp.ceil(jnp.log(uniform(sub, shape, prob.dtype)) / log1mp)
        return num_geom, geom_sum + geom, rng

    zeros = jnp.zeros(shape, prob.dtype)
    k = lax.while_loop(lambda c: jnp.any(c[1] <= count), body, (zeros, zeros, key))[0]
    return k - _const(1, prob.dtype)


def _btrs(key: Tensor, count: Tensor, prob: Tensor, shape: tuple) -> Tensor:
    dt = prob.dtype
    one = _const(1, dt)
    stddev = jnp.sqrt(count * prob * (one - prob))
    b = _const(1.15, dt) + _const(2.53, dt) * stddev
    a = _const(-0.0873, dt) + _const(0.0248, dt) * b + _const(0.01, dt) * prob
    c = count * prob + _const(0.5, dt)
    v_r = _const(0.92, dt) - _const(4.2, dt) / b
    r = prob / (one - prob)
    alpha = (_const(2.83, dt) + _const(5.1, dt) / b) * stddev
    m = jnp.floor((count + one) * prob)
    half = _const(0.5, dt)

    def body(carry):
        k_out, accepted, rng = carry
        rng, k0, k1 = split_keys(rng, 3)
        u = uniform(k0, shape, dt) - half
        v = uniform(k1, shape, dt)
        us = half - jnp.abs(u)
        accept1 = (us >= _const(0.07, dt)) & (v <= v_r)
        k = jnp.floor((_const(2, dt) * a / us + b) * u + c)
        reject = (k < _const(0, dt)) | (k > count)
        log_v = jnp.log(v * alpha / (a / (us * us) + b))
        ub = ((m + half) * jnp.log((m + one) / (r * (count - m + one)))
              + (count + one) * jnp.log((count - m + one) / (count - k + one))
              + (k + half) * jnp.log(r * (count - k + one) / (k + one))
              + _stirling_tail(m) + _stirling_tail(count - m)
              - _stirling_tail(k) - _stirling_tail(count - k))
        accept = accept1 | (~reject & (log_v <= ub))
        return lax.select(accept, k, k_out), accepted | accept, rng

    init = (jnp.full(shape, -1, dt), jnp.zeros(shape, bool), key)
    return lax.while_loop(lambda c: jnp.any(~c[1]), body, init)[0]


def binomial(key, n, p, shape=None, dtype=None) -> Tensor:
    """Binomial(n, p) samples as floats (`jax.random.binomial`): inversion by
    geometric waiting times where `n min(p, 1-p) <= 10`, else Kachitvichyanukul and
    Schmeiser's BTRS. Invalid parameters (p outside [0, 1] or NaN, n < 0) give NaN,
    infinite `n` gives inf.

    Args:
      key: a PRNG key.
      n: the number of trials (floored), a scalar or array.
      p: the success probability, a scalar or array.
      shape: the output shape; default the broadcast shape of `n` and `p`.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      A float array of `shape`.

    Example:
      >>> irax.random.binomial(irax.random.PRNGKey(0), 10.0, 0.5, (3,)).shape
      (3,)
    """
    key = check_key("binomial", key)
    dtype = _float("binomial", dtype)
    n = asarray_arg("binomial", n)
    (p,) = promote_args_inexact("binomial", p)
    shape = _shape("binomial", shape, n, p)
    count = jnp.broadcast_to(n.astype(p.dtype), shape)
    prob = jnp.broadcast_to(p, shape)
    dt = prob.dtype
    p_lt_half = prob < _const(0.5, dt)
    q = lax.select(p_lt_half, prob, _const(1, dt) - prob)
    count_bad = jnp.isnan(count) | (count < _const(0, dt))
    count_inf = jnp.isinf(count)
    q_nan, q_neg = jnp.isnan(q), q < _const(0, dt)
    q = lax.select(q_nan | q_neg, jnp.full(shape, 0.01, dt), q)
    use_inversion = count_bad | (count * q <= _const(10, dt))
    count = jnp.floor(count)
    count_inv = lax.select(use_inversion, count, jnp.zeros(shape, dt))
    count_btrs = lax.select(use_inversion, jnp.full(shape, 1e4, dt), count)
    q_btrs = lax.select(use_inversion, jnp.full(shape, 0.5, dt), q)
    samples = lax.select(use_inversion, _binomial_inversion(key, count_inv, q, shape),
                         _btrs(key, count_btrs, q_btrs, shape)).astype(dtype)
    invalid = q_neg | q_nan | count_bad
    samples = lax.select(invalid, jnp.full(shape, np.nan, dtype), samples)
    samples = lax.select(count_inf & ~invalid, jnp.full(shape, np.inf, dtype), samples)
    return lax.select(p_lt_half | count_bad | q_nan | count_inf, samples,
                      count.astype(dtype) - samples)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1) -> Tensor:
    """Multinomial(n, p) counts (`jax.random.multinomial`): a scan over the outcomes
    drawing each count as a binomial of the trials left.

    Args:
      key: a PRNG key.
      n: the number of trials, broadcastable to `p.shape[:-1]` (to `shape[:-1]`).
      p: outcome probabilities along the last axis.
      shape: the full output shape (its last axis is the outcomes); default `p.shape`.
      dtype: a floating dtype; default float32 (float64 with x64).
      unroll: passed to `lax.scan`.

    Returns:
      A float array of counts of `shape`, summing to `n` along the last axis.

    Example:
      >>> irax.random.multinomial(irax.random.PRNGKey(0), 5.0, jnp.array([0.5, 0.5])).sum()
      Array(5., dtype=float32)
    """
    key = check_key("multinomial", key)
    dtype = _float("multinomial", dtype)
    (n,), (p,) = (promote_args_inexact("multinomial", x) for x in (n, p))
    n, p = n.astype(jnp.result_type(n, p)), p.astype(jnp.result_type(n, p))
    if p.ndim < 1:
        raise ValueError("multinomial: p must have at least one dimension (the outcomes)")
    shape = p.shape if shape is None else canonical_shape("multinomial", shape)
    check_broadcast("multinomial", shape, p.shape)
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.moveaxis(jnp.broadcast_to(p, shape), -1, 0)
    remaining = jnp.flip(jnp.cumsum(jnp.flip(p, 0), 0), 0)
    ratios = p / jnp.where(remaining == 0, jnp.ones_like(remaining), remaining)

    def step(left, ratio_key):
        ratio, k = ratio_key
        count = binomial(k, left, jnp.clip(ratio, 0, 1), dtype=left.dtype)
        return left - count, count

    _, counts = lax.scan(step, n, (ratios, split(key, shape[-1])), unroll=unroll)
    return jnp.moveaxis(counts, 0, -1).astype(dtype)


# ---------------------------------------------------------------- matrices
