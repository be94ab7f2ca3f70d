"""Samplers of continuous distributions: uniform, normal, truncated normal, Gumbel,
exponential, Laplace and logistic.

Each is a transformation of `uniform`, which puts random bits in the mantissa of a
float in [1, 2) and subtracts 1, exactly as JAX does, so draws match JAX's for the
same key (to a few ulp beyond the uniform: JAX's log and erf_inv are XLA's).  The
transformations use `portable_math`, so one key gives the same bits eagerly, under
`jit` and `vmap`, and on every device.
"""
import math

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.tensor import ArrayImpl, Tensor
from irax.numpy.util import asarray_arg, broadcast_shapes, broadcast_to_shape

from .keys import canonical_shape, check_key, random_bits, split_keys
from .portable_math import erf, erf_inv, in_float32, log, log1p, opaque_zero, product, runtime_value

__all__ = ["exponential", "gumbel", "laplace", "logistic", "normal", "truncated_normal",
           "uniform"]

_UINT_DTYPES = {16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}


def constant(value, dtype) -> Tensor:
    """A strongly typed scalar constant of `dtype`."""
    return ArrayImpl(np.asarray(value, dtype))


def float_dtype(name: str, dtype, kinds: str = "f") -> np.dtype:
    """The canonical dtype for a `dtype` argument, which must be floating (or complex)."""
    d = dtypes.canonicalize_dtype(dtypes.to_dtype(dtype))
    if not (dtypes.is_float(d) or (d.kind == "c" and "c" in kinds)):
        what = "a floating or complex dtype" if "c" in kinds else "a floating dtype"
        raise ValueError(f"{name}: dtype must be {what}, got {d}")
    return d


def check_broadcast(name: str, shape: tuple, *arg_shapes) -> None:
    """Raises ValueError unless every argument shape broadcasts to the draw `shape`."""
    for s in arg_shapes:
        if broadcast_shapes(name, shape, s) != shape:
            raise ValueError(f"{name}: shape {shape} is not broadcast-compatible with the "
                             f"parameter shape {s}")


def parameter(name: str, value, dtype, shape: tuple) -> Tensor:
    """A distribution parameter as `dtype`, broadcast to `shape` unless it is a scalar."""
    x = ew.convert_element_type(asarray_arg(name, value), dtype)
    if x.shape:
        check_broadcast(name, shape, x.shape)
        x = broadcast_to_shape(x, shape)
    return x


def uniform_floats(key: Tensor, shape: tuple, dtype, minval, maxval) -> Tensor:
    """`uniform` after argument checks: mantissa bits of [1, 2), shifted and scaled."""
    info = dtypes.finfo(dtype)
    rng_bits = info.bits if info.nmant >= 8 else 8
    uint = _UINT_DTYPES[info.bits]
    raw = ew.convert_element_type(random_bits(key, rng_bits, shape), uint)
    one_bits = np.asarray(1.0, dtype).view(uint)
    float_bits = ew.bitwise_or(ew.shift_right_logical(raw, constant(rng_bits - info.nmant,
                                                                      uint)),
                            ArrayImpl(one_bits))
    floats = ew.sub(ew.bitcast_convert_type(float_bits, dtype), constant(1.0, dtype))
    lo = parameter("uniform", minval, dtype, shape)
    hi = parameter("uniform", maxval, dtype, shape)
    scaled = product(floats, ew.sub(hi, lo), opaque_zero(floats))
    return ew.max(lo, ew.add(scaled, lo))


def uniform(key, shape=(), dtype=float, minval=0.0, maxval=1.0) -> Tensor:
    """Uniform samples in [minval, maxval) (`jax.random.uniform`).

    Args:
      key: a PRNG key.
      shape: the output shape.
      dtype: a floating dtype; default float32 (float64 with x64).
      minval, maxval: bounds, scalars or arrays broadcastable to `shape`.

    Returns:
      An array of `shape` and `dtype`.

    Example:
      >>> irax.random.uniform(irax.random.PRNGKey(0), (2,))
      Array([0.947667 , 0.9785799], dtype=float32)
    """
    key = check_key("uniform", key)
    return uniform_floats(key, canonical_shape("uniform", shape),
                          float_dtype("uniform", dtype), minval, maxval)


def _normal_real(key: Tensor, shape: tuple, dtype) -> Tensor:
    lo = -1.0 + float(dtypes.finfo(dtype).epsneg)      # nextafter(-1, 0)
    u = uniform_floats(key, shape, dtype, lo, 1.0)
    return product(constant(math.sqrt(2), dtype), in_float32(erf_inv, u), opaque_zero(u))


def normal(key, shape=(), dtype=float) -> Tensor:
    """Standard normal samples (`jax.random.normal`): `sqrt(2) * erf_inv(u)`.

    Complex dtypes give real and imaginary parts of variance 1/2 each.

    Args:
      key: a PRNG key.
      shape: the output shape.
      dtype: a floating or complex dtype; default float32 (float64 with x64).

    Returns:
      An array of `shape` and `dtype`.

    Example:
      >>> irax.random.normal(irax.random.PRNGKey(0), (3,))
      Array([ 1.622642  ,  2.0252647 , -0.43359438], dtype=float32)
    """
    key = check_key("normal", key)
    shape = canonical_shape("normal", shape)
    dtype = float_dtype("normal", dtype, "fc")
    if dtype.kind != "c":
        return _normal_real(key, shape, dtype)
    real = dtypes.real_dtype(dtype)
    parts = [ew.div(_normal_real(k, shape, real), constant(math.sqrt(2), real))
             for k in split_keys(key, 2)]
    return ew.complex(*parts)


def _next_float(x: Tensor, up: bool) -> Tensor:
    """The float next to each `x` toward +inf (`up`) or -inf (`nextafter`)."""
    uint = _UINT_DTYPES[x.dtype.itemsize * 8]
    bits = ew.bitcast_convert_type(x, uint)
    one = constant(1, uint)
    away_from_zero = (ew.gt if up else ew.lt)(x, constant(0, x.dtype))
    stepped = ew.select(away_from_zero, ew.add(bits, one), ew.sub(bits, one))
    smallest = constant(1 if up else 1 | (1 << (8 * x.dtype.itemsize - 1)), uint)
    out = ew.bitcast_convert_type(
        ew.select(ew.eq(x, constant(0, x.dtype)), smallest, stepped), x.dtype)
    target = constant(np.inf if up else -np.inf, x.dtype)
    fixed = ew.bitwise_or(ew.ne(x, x), ew.eq(x, target))
    return ew.select(fixed, x, out)


def truncated_normal(key, lower, upper, shape=None, dtype=float) -> Tensor:
    """Normal samples truncated to the open interval (lower, upper).

    Inverse-CDF sampling: `sqrt(2) * erf_inv(u)` with `u` uniform between
    `erf(lower / sqrt(2))` and `erf(upper / sqrt(2))` (`jax.random.truncated_normal`).

    Args:
      key: a PRNG key.
      lower, upper: the bounds (may be infinite), scalars or arrays.
      shape: the output shape; default the broadcast shape of the bounds.
      dtype: a floating dtype; default float32 (float64 with x64).

    Returns:
      An array of `shape` and `dtype` with values strictly between the bounds.

    Example:
      >>> x = irax.random.truncated_normal(irax.random.PRNGKey(0), -1.0, 1.0, (1000,))
      >>> bool((x > -1).all() & (x < 1).all())
      True
    """
    key = check_key("truncated_normal", key)
    dtype = float_dtype("truncated_normal", dtype)
    lower = ew.convert_element_type(asarray_arg("truncated_normal", lower), dtype)
    upper = ew.convert_element_type(asarray_arg("truncated_normal", upper), dtype)
    if shape is None:
        shape = broadcast_shapes("truncated_normal", lower.shape, upper.shape)
    else:
        shape = canonical_shape("truncated_normal", shape)
    lower, upper = (runtime_value(parameter("truncated_normal", b, dtype, shape), key)
                    for b in (lower, upper))
    sqrt2 = constant(math.sqrt(2), dtype)
    a = in_float32(erf, ew.div(lower, sqrt2))
    b = in_float32(erf, ew.div(upper, sqrt2))
    u = uniform_floats(key, shape, dtype, a, b)
    out = product(sqrt2, in_float32(erf_inv, u), opaque_zero(u))
    lo = _next_float(ew.stop_gradient(lower), up=True)
    hi = _next_float(ew.stop_gradient(upper), up=False)
    return ew.min(ew.max(out, lo), hi)


def gumbel(key, shape=(), dtype=float) -> Tensor:
    """Standard Gumbel samples, `-log(-log(u))` (`jax.random.gumbel`).

    Example:
      >>> irax.random.gumbel(irax.random.PRNGKey(0), (2,)).shape
      (2,)
    """
    key = check_key("gumbel", key)
    dtype = float_dtype("gumbel", dtype)
    u = uniform_floats(key, canonical_shape("gumbel", shape), dtype,
                       float(dtypes.finfo(dtype).tiny), 1.0)
    return in_float32(lambda v: ew.neg(log(ew.neg(log(v)))), u)


def exponential(key, shape=(), dtype=float) -> Tensor:
    """Exponential samples of rate 1, `-log1p(-u)` (`jax.random.exponential`).

    Example:
      >>> bool((irax.random.exponential(irax.random.PRNGKey(0), (5,)) >= 0).all())
      True
    """
    key = check_key("exponential", key)
    u = uniform_floats(key, canonical_shape("exponential", shape),
                       float_dtype("exponential", dtype), 0.0, 1.0)
    return in_float32(lambda v: ew.neg(log1p(ew.neg(v))), u)


def laplace(key, shape=(), dtype=float) -> Tensor:
    """Laplace samples of scale 1 (`jax.random.laplace`).

    Example:
      >>> irax.random.laplace(irax.random.PRNGKey(0), (3,)).dtype
      dtype('float32')
    """
    key = check_key("laplace", key)
    dtype = float_dtype("laplace", dtype)
    u = uniform_floats(key, canonical_shape("laplace", shape), dtype,
                       -1.0 + float(dtypes.finfo(dtype).epsneg), 1.0)
    return in_float32(lambda v: product(ew.sign(v), log1p(ew.neg(ew.abs(v))),
                                        opaque_zero(v)), u)


def logistic(key, shape=(), dtype=float) -> Tensor:
    """Standard logistic samples, `log(u) - log1p(-u)` (`jax.random.logistic`).

    Example:
      >>> irax.random.logistic(irax.random.PRNGKey(0), (3,)).shape
      (3,)
    """
    key = check_key("logistic", key)
    dtype = float_dtype("logistic", dtype)
    u = uniform_floats(key, canonical_shape("logistic", shape), dtype,
                       float(dtypes.finfo(dtype).tiny), 1.0)
    return in_float32(lambda v: ew.sub(log(v), log1p(ew.neg(v))), u)
