"""irax.nn.initializers: JAX's parameter initializers (`jax.nn.initializers`).

An initializer is a function ``init(key, shape, dtype=None) -> array``: it draws the
initial value of a parameter of `shape` from the PRNG `key` (see :mod:`irax.random`).
``dtype=None`` means the default float dtype (float32, or float64 with x64).  The
builders (``normal(stddev)``, ``glorot_uniform()``, ...) return initializers; ``zeros``
and ``ones`` are initializers themselves.

    init = irax.nn.initializers.glorot_normal()
    w = init(irax.random.PRNGKey(0), (784, 128))

The variance-scaling family reads a weight shape as ``(..., fan_in, fan_out)`` by
default (a dense kernel; the leading axes of a convolution kernel are its receptive
field); ``in_axis``, ``out_axis`` and ``batch_axis`` say otherwise.  Everything is
written with irax operations, so initializers trace, compile and vmap over keys.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

import irax.numpy as jnp
from irax import lax, random
from irax.core import dtypes
from irax.core.tensor import Tensor
from irax.random.keys import canonical_shape

__all__ = [
    "Initializer", "constant", "delta_orthogonal", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal",
    "lecun_uniform", "normal", "ones", "orthogonal", "truncated_normal", "uniform",
    "variance_scaling", "xavier_normal", "xavier_uniform", "zeros",
]

DTypeLike = Any
RealNumeric = Any          # a Python scalar or a scalar array
Axes = int | Sequence[int]

# The standard deviation of the standard normal truncated to (-2, 2), and JAX's
# constant for the unit complex normal with modulus truncated at 2 (whose standard
# deviation is in fact 0.96196...: kept so that draws agree with JAX's).
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978
_COMPLEX_TRUNCATED_NORMAL_STDDEV = 0.95311164380491208


@runtime_checkable
class Initializer(Protocol):
    """The type of the initializers in this module: ``(key, shape, dtype=None) -> Array``.

    Example:
      >>> isinstance(irax.nn.initializers.lecun_normal(), Initializer)
      True
    """

    def __call__(self, key: Tensor, shape: Sequence[int],
                 dtype: DTypeLike | None = None) -> Tensor:
        raise NotImplementedError


def _dtype(name: str, dtype: DTypeLike | None) -> np.dtype:
    """The canonical floating or complex dtype for `dtype` (None: the default float)."""
    if dtype is None:
        return dtypes.default_float_dtype()
    d = dtypes.canonicalize_dtype(dtypes.to_dtype(dtype))
    if not dtypes.is_inexact(d):
        raise ValueError(f"nn.initializers.{name}: dtype must be a floating or complex "
                         f"dtype, got {d}")
    return d


def _shape(name: str, shape) -> tuple:
    return canonical_shape(f"nn.initializers.{name}", shape)


def zeros(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = None) -> Tensor:
    """An initializer returning an array of zeros; `key` is ignored.

    Example:
      >>> zeros(irax.random.PRNGKey(42), (2, 3))
      Array([[0., 0., 0.],
             [0., 0., 0.]], dtype=float32)
    """
    return jnp.zeros(_shape("zeros", shape), _dtype("zeros", dtype))


def ones(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = None) -> Tensor:
    """An initializer returning an array of ones; `key` is ignored.

    Example:
      >>> ones(irax.random.PRNGKey(42), (3, 2))
      Array([[1., 1.],
             [1., 1.],
             [1., 1.]], dtype=float32)
    """
    return jnp.ones(_shape("ones", shape), _dtype("ones", dtype))


def constant(value, dtype: DTypeLike | None = None) -> Initializer:
    """Builds an initializer returning arrays filled with `value`; `key` is ignored.

    Args:
      value: the fill value (a scalar, or an array broadcastable to the shape).
      dtype: the initializer's default dtype.

    Example:
      >>> constant(-7)(irax.random.PRNGKey(42), (2, 3))
      Array([[-7., -7., -7.],
             [-7., -7., -7.]], dtype=float32)
    """
    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        return jnp.full(_shape("constant", shape), value, _dtype("constant", dtype))
    return init


def uniform(scale: RealNumeric = 1e-2, dtype: DTypeLike | None = None) -> Initializer:
    """Builds an initializer of uniform samples in ``[0, scale)``.

    Args:
      scale: the upper bound of the distribution.
      dtype: the initializer's default dtype (floating).

    Example:
      >>> x = uniform(10.0)(irax.random.PRNGKey(42), (1000,))
      >>> bool((x >= 0).all() & (x < 10).all())
      True
    """
    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        dtype = _dtype("uniform", dtype)
        return random.uniform(key, _shape("uniform", shape), dtype) * jnp.array(scale, dtype)
    return init


def normal(stddev: RealNumeric = 1e-2, dtype: DTypeLike | None = None) -> Initializer:
    """Builds an initializer of normal samples of mean 0 and standard deviation `stddev`.

    Args:
      stddev: the standard deviation.
      dtype: the initializer's default dtype (floating or complex).

    Example:
      >>> normal(5.0)(irax.random.PRNGKey(42), (2, 3)).shape
      (2, 3)
    """
    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        dtype = _dtype("normal", dtype)
        return random.normal(key, _shape("normal", shape), dtype) * jnp.array(stddev, dtype)
    return init


def truncated_normal(stddev: RealNumeric = 1e-2, dtype: DTypeLike | None = None,
                     lower: RealNumeric = -2.0, upper: RealNumeric = 2.0) -> Initializer:
    """Builds an initializer of truncated normal samples.

    A standard normal truncated to ``(lower, upper)``, then multiplied by `stddev`:
    samples lie in ``(lower * stddev, upper * stddev)``.  `stddev` is that of the
    untruncated distribution (no correction, unlike :func:`variance_scaling`).

    Args:
      stddev: the standard deviation before truncation.
      dtype: the initializer's default dtype (floating).
      lower, upper: the truncation bounds, in units of `stddev`.

    Example:
      >>> x = truncated_normal(5.0)(irax.random.PRNGKey(42), (1000,))
      >>> bool((abs(x) < 10.0).all())
      True
    """
    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        dtype = _dtype("truncated_normal", dtype)
        draw = random.truncated_normal(key, lower, upper, _shape("truncated_normal", shape),
                                       dtype)
        return draw * jnp.array(stddev, dtype)
    return init


def _axes_size(shape: tuple, axes: Axes) -> int:
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[a] for a in axes)


def _compute_fans(shape: tuple, in_axis: Axes = -2, out_axis: Axes = -1,
                  batch_axis: Axes = ()) -> tuple[float, float]:
    """``(fan_in, fan_out)`` of a weight `shape`: the input (output) size times the
    receptive field, the product of the axes in none of the three arguments."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(
            f"nn.initializers.variance_scaling: can't compute input and output sizes of a "
            f"{len(shape)}-dimensional weights tensor (shape {shape}) with the default "
            "in_axis; it must be at least 2D, or pass in_axis explicitly.")
    try:
        in_size = _axes_size(shape, in_axis)
        out_size = _axes_size(shape, out_axis)
        batch_size = _axes_size(shape, batch_axis)
    except IndexError:
        raise ValueError(f"nn.initializers.variance_scaling: in_axis={in_axis}, "
                         f"out_axis={out_axis} or batch_axis={batch_axis} is out of range "
                         f"for shape {shape}") from None
    receptive_field_size = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field_size, out_size * receptive_field_size


def _complex_uniform(key: Tensor, shape: tuple, dtype: np.dtype) -> Tensor:
    """Uniform samples in the disk of radius sqrt(2): mean 0, variance 1."""
    key_r, key_theta = random.split(key)
    real = dtypes.real_dtype(dtype)
    r = jnp.sqrt(2 * random.uniform(key_r, shape, real)).astype(dtype)
    theta = 2 * np.pi * random.uniform(key_theta, shape, real).astype(dtype)
    return r * jnp.exp(1j * theta)


def _complex_truncated_normal(key: Tensor, upper: float, shape: tuple,
                              dtype: np.dtype) -> Tensor:
    """Complex normal samples of variance 1 (before truncation), modulus below `upper`:
    the modulus by inverse-CDF sampling of the Rayleigh law, a uniform phase."""
    key_r, key_theta = random.split(key)
    real = dtypes.real_dtype(dtype)
    t = (1 - jnp.exp(jnp.array(-(upper ** 2), dtype))) * random.uniform(key_r, shape,
                                                                       real).astype(dtype)
    r = jnp.sqrt(-jnp.log(1 - t))
    theta = 2 * np.pi * random.uniform(key_theta, shape, real).astype(dtype)
    return r * jnp.exp(1j * theta)


_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def _fan(mode: str, fan_in: float, fan_out: float) -> float:
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]


def variance_scaling(
        scale: RealNumeric,
        mode: Literal["fan_in", "fan_out", "fan_avg", "fan_geo_avg"],
        distribution: Literal["truncated_normal", "normal", "uniform"],
        in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
        dtype: DTypeLike | None = None) -> Initializer:
    """Builds an initializer whose variance adapts to the shape of the weights.

    Samples have mean 0 and variance ``scale / n`` where ``n`` is, by `mode`: the
    number of inputs (``"fan_in"``), of outputs (``"fan_out"``), their arithmetic
    (``"fan_avg"``) or geometric (``"fan_geo_avg"``) mean.  Inputs and outputs count
    the receptive field: the axes in none of `in_axis`, `out_axis`, `batch_axis`.

    By `distribution`: ``"normal"``; ``"truncated_normal"``, a normal truncated at two
    standard deviations and rescaled so that the variance after truncation is
    ``scale / n`` (for complex dtypes the modulus is truncated); ``"uniform"``, on
    ``[-sqrt(3 scale / n), sqrt(3 scale / n))`` (a disk for complex dtypes).
    For complex ``"truncated_normal"`` this uses JAX's correction constant, so draws
    agree with JAX's, and their variance is about 1.9% above ``scale / n``.

    Args:
      scale: the scaling factor (positive).
      mode: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` or ``"fan_geo_avg"``.
      distribution: ``"truncated_normal"``, ``"normal"`` or ``"uniform"``.
      in_axis: the axis or axes of the input dimension (default -2).
      out_axis: the axis or axes of the output dimension (default -1).
      batch_axis: axes that count neither as inputs, outputs nor receptive field.
      dtype: the initializer's default dtype (floating or complex).

    Raises:
      ValueError: for an unknown `mode` or `distribution` (here), or a shape the axes
        do not fit (when the initializer is called).

    Example:
      >>> init = variance_scaling(2.0, "fan_in", "normal")
      >>> w = init(irax.random.PRNGKey(0), (500, 400))
      >>> abs(float(w.std()) - (2.0 / 500) ** 0.5) < 0.002
      True
    """
    if mode not in _MODES:
        raise ValueError(f"invalid mode for variance scaling initializer: {mode!r}; "
                         f"expected one of {_MODES}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(f"invalid distribution for variance scaling initializer: "
                         f"{distribution!r}; expected one of {_DISTRIBUTIONS}")

    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        shape = _shape("variance_scaling", shape)
        dtype = _dtype("variance_scaling", dtype)
        variance = jnp.array(scale / _fan(mode, *_compute_fans(shape, in_axis, out_axis,
                                                                batch_axis)), dtype)
        is_real = dtypes.is_float(dtype)
        if distribution == "truncated_normal":
            if is_real:
                stddev = jnp.sqrt(variance) / jnp.array(_TRUNCATED_NORMAL_STDDEV, dtype)
                return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
            stddev = jnp.sqrt(variance) / jnp.array(_COMPLEX_TRUNCATED_NORMAL_STDDEV, dtype)
            return _complex_truncated_normal(key, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * jnp.sqrt(variance)
        if is_real:
            return random.uniform(key, shape, dtype, -1) * jnp.sqrt(3 * variance)
        return _complex_uniform(key, shape, dtype) * jnp.sqrt(variance)

    return init


def _variance_scaling_alias(name: str, scale: float, mode: str, distribution: str,
                            reference: str):
    def build(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
              dtype: DTypeLike | None = None) -> Initializer:
        return variance_scaling(scale, mode, distribution, in_axis=in_axis,
                                out_axis=out_axis, batch_axis=batch_axis, dtype=dtype)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"""Builds a {reference} initializer: :func:`variance_scaling` with
    ``scale={scale}``, ``mode="{mode}"`` and ``distribution="{distribution}"``.

    Args:
      in_axis: the axis or axes of the input dimension (default -2).
      out_axis: the axis or axes of the output dimension (default -1).
      batch_axis: axes that count neither as inputs, outputs nor receptive field.
      dtype: the initializer's default dtype.

    Example:
      >>> {name}()(irax.random.PRNGKey(42), (2, 3)).shape
      (2, 3)
    """
    return build


glorot_uniform = _variance_scaling_alias(
    "glorot_uniform", 1.0, "fan_avg", "uniform", "Glorot (Xavier) uniform")
glorot_normal = _variance_scaling_alias(
    "glorot_normal", 1.0, "fan_avg", "truncated_normal", "Glorot (Xavier) normal")
lecun_uniform = _variance_scaling_alias(
    "lecun_uniform", 1.0, "fan_in", "uniform", "LeCun uniform")
lecun_normal = _variance_scaling_alias(
    "lecun_normal", 1.0, "fan_in", "truncated_normal", "LeCun normal")
he_uniform = _variance_scaling_alias(
    "he_uniform", 2.0, "fan_in", "uniform", "He (Kaiming) uniform")
he_normal = _variance_scaling_alias(
    "he_normal", 2.0, "fan_in", "truncated_normal", "He (Kaiming) normal")
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def _haar_orthonormal_columns(z: Tensor) -> Tensor:
    """The Q factor of ``z = QR`` (shape (m, n), m >= n) with ``diag(R)`` made positive:
    orthonormal columns, Haar-distributed when `z` is Gaussian (Mezzadri, 2007).

    Householder QR: reflection k maps column k of the remaining rows to a multiple
    ``-s ||x||`` of the unit vector, where ``s`` is the phase of its leading entry
    (chosen against cancellation); multiplying Q's column k by ``-s`` makes ``R_kk``
    positive.  Both loops are `fori_loop`s with one-hot masks, so the program size
    does not grow with n.
    """
    m, n = z.shape
    dtype = z.dtype
    rows = jnp.arange(m)
    cols = jnp.arange(n)

    def one_hot(positions, k):
        return (positions == k).astype(dtype)

    def reflect(k, carry):
        r, reflectors, phases = carry
        e_col, e_row = one_hot(cols, k), one_hot(rows, k)
        x = jnp.where(rows >= k, r @ e_col, 0)
        lead = jnp.sum(x * e_row)
        s = jnp.where(lead == 0, 1, lead / jnp.where(lead == 0, 1, jnp.abs(lead)))
        v = x + s * jnp.sqrt(jnp.sum(jnp.abs(x) ** 2)) * e_row
        vv = jnp.sum(jnp.abs(v) ** 2)
        u = v * jnp.where(vv > 0, jnp.sqrt(2 / jnp.where(vv > 0, vv, 1)), 0)
        r = r - jnp.outer(u, jnp.conj(u) @ r)
        return r, reflectors + jnp.outer(u, e_col), phases - s * e_col

    start = (z, jnp.zeros((m, n), dtype), jnp.zeros((n,), dtype))
    _, reflectors, phases = lax.fori_loop(0, n, reflect, start)

    def apply_reflector(j, q):
        u = reflectors @ one_hot(cols, n - 1 - j)
        return q - jnp.outer(u, jnp.conj(u) @ q)

    q = lax.fori_loop(0, n, apply_reflector, jnp.eye(m, n, dtype=dtype))
    return q * phases


def _orthogonal_matrix(key: Tensor, n_rows: int, n_cols: int, dtype: np.dtype) -> Tensor:
    """A Haar-random (semi-)orthogonal ``(n_rows, n_cols)`` matrix: orthonormal rows if
    ``n_rows <= n_cols``, orthonormal columns otherwise (`jax.random.orthogonal`)."""
    z = random.normal(key, (max(n_rows, n_cols), min(n_rows, n_cols)), dtype)
    q = _haar_orthonormal_columns(z)
    return jnp.conj(q).T if n_rows < n_cols else q


def orthogonal(scale: RealNumeric = 1.0, column_axis: int = -1,
               dtype: DTypeLike | None = None) -> Initializer:
    """Builds an initializer of uniformly distributed (Haar) orthogonal matrices.

    The shape (at least 2D) is read as a matrix whose columns lie along `column_axis`
    and whose rows are all other axes flattened.  For a non-square matrix the rows
    (if fewer) or the columns (if fewer) are orthonormal; the result is multiplied by
    `scale`.  Complex dtypes give unitary matrices.

    Args:
      scale: the factor applied to the orthogonal matrix.
      column_axis: the axis holding the columns.
      dtype: the initializer's default dtype.

    Raises:
      ValueError: when called with a shape of fewer than 2 dimensions.

    Example:
      >>> w = orthogonal()(irax.random.PRNGKey(42), (3, 3))
      >>> bool(jnp.allclose(w.T @ w, jnp.eye(3), atol=1e-5))
      True
    """
    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        shape = _shape("orthogonal", shape)
        dtype = _dtype("orthogonal", dtype)
        if len(shape) < 2:
            raise ValueError(f"nn.initializers.orthogonal requires at least a 2D shape, "
                             f"got {shape}")
        if not -len(shape) <= column_axis < len(shape):
            raise ValueError(f"nn.initializers.orthogonal: column_axis={column_axis} is "
                             f"out of range for shape {shape}")
        if 0 in shape:
            return jnp.zeros(shape, dtype)
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        q = _orthogonal_matrix(key, n_rows, n_cols, dtype)
        row_shape = tuple(np.delete(np.array(shape), column_axis))
        q = jnp.moveaxis(jnp.reshape(q, row_shape + (n_cols,)), -1, column_axis)
        return jnp.array(scale, dtype) * q
    return init


def delta_orthogonal(scale: RealNumeric = 1.0, column_axis: int = -1,
                     dtype: DTypeLike | None = None) -> Initializer:
    """Builds a delta-orthogonal initializer for convolution kernels (Xiao et al., 2018).

    For a 3D, 4D or 5D shape ``(*spatial, fan_in, fan_out)`` with
    ``fan_in <= fan_out``, the kernel is zero except at the spatial centre (index
    ``(k - 1) // 2`` along each spatial axis), which holds an :func:`orthogonal`
    ``(fan_in, fan_out)`` matrix times `scale`.

    Args:
      scale: the factor applied to the orthogonal matrix.
      column_axis: the axis of that matrix holding its columns.
      dtype: the initializer's default dtype.

    Raises:
      ValueError: when called with a shape that is not 3D, 4D or 5D, or whose
        ``fan_in`` exceeds its ``fan_out``.

    Example:
      >>> w = delta_orthogonal()(irax.random.PRNGKey(42), (3, 3, 3))
      >>> bool((w[0] == 0).all() & (w[2] == 0).all())
      True
    """
    def init(key: Tensor, shape: Sequence[int], dtype: DTypeLike | None = dtype) -> Tensor:
        shape = _shape("delta_orthogonal", shape)
        dtype = _dtype("delta_orthogonal", dtype)
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"nn.initializers.delta_orthogonal requires a 3D, 4D or 5D "
                             f"shape, got {shape}")
        if shape[-1] < shape[-2]:
            raise ValueError(f"nn.initializers.delta_orthogonal: fan_in (shape[-2] = "
                             f"{shape[-2]}) must be less than or equal to fan_out "
                             f"(shape[-1] = {shape[-1]}), got shape {shape}")
        matrix = orthogonal(scale, column_axis, dtype)(key, shape[-2:])
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        return jnp.zeros(shape, dtype).at[centre].set(matrix)
    return init
