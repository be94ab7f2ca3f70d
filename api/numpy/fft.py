"""irax.numpy.fft: NumPy's discrete Fourier transforms, as `jax.numpy.fft`.

Every transform moves its axes last, crops or zero-pads them to the requested lengths
(`n=` / `s=`), and calls `lax.fft` (the `fft` primitive, up to three axes at a time).
Dtypes follow JAX: real and integer inputs give complex64 (complex128 with x64), the
inverse real transforms give the matching real dtype.  `norm` is "backward" (None),
"ortho" or "forward", as in NumPy.
"""
import math
from collections.abc import Sequence

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.primitives.fft import FftType
from irax.core.primitives.fft import fft as lax_fft
from irax.core.tensor import Tensor, numpy_tensor

from . import util
from .shape_ops import moveaxis, roll

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

_NORMS = (None, "backward", "ortho", "forward")


def _norm_factor(name: str, norm, size: int) -> float:
    """The factor a result of `name` over `size` points gets for `norm` (an inverse
    transform, whose name starts with "i", has 1/size built in)."""
    if norm not in _NORMS:
        raise ValueError(f'jax.numpy.fft.{name}: invalid norm value {norm!r}; should be '
                         '"backward", "ortho" or "forward"')
    if norm in (None, "backward"):
        return 1.0
    inverse = name.startswith("i")
    if norm == "ortho":
        return math.sqrt(size) if inverse else 1 / math.sqrt(size)
    return float(size) if inverse else 1 / size


def _scale(x: Tensor, factor: float) -> Tensor:
    if factor == 1.0:
        return x
    return ew.mul(x, numpy_tensor(np.array(factor, x.dtype)))


def _crop_or_pad(x: Tensor, shape: Sequence[int]) -> Tensor:
    """`x` cut to, then zero-padded up to, `shape` (one length per axis)."""
    if tuple(x.shape) == tuple(shape):
        return x
    limits = [min(have, want) for have, want in zip(x.shape, shape)]
    x = st.slice(x, [0] * x.ndim, limits, [1] * x.ndim)
    zero = numpy_tensor(np.zeros((), x.dtype))
    return st.pad(x, zero, [(0, want - have, 0) for have, want in zip(x.shape, shape)])


def _transform_nd(x: Tensor, fft_type: FftType, s: tuple) -> Tensor:
    """`lax.fft` over the last len(s) axes, three at a time (JAX's `_fft_core_nd`)."""
    if len(s) <= 3:
        return lax_fft(x, fft_type, s)
    k = 2 if len(s) == 4 else 3
    src = tuple(range(x.ndim - len(s), x.ndim - k))
    dst = tuple(range(x.ndim - len(s) + k, x.ndim))
    if fft_type in (FftType.RFFT, FftType.FFT):
        x = moveaxis(lax_fft(x, fft_type, s[-k:]), src, dst)
        return moveaxis(_transform_nd(x, FftType.FFT, s[:-k]), dst, src)
    x = moveaxis(_transform_nd(moveaxis(x, src, dst), FftType.IFFT, s[:-k]), dst, src)
    return lax_fft(x, fft_type, s[-k:])


def _fft_core(name: str, fft_type: FftType, a, s, axes, norm) -> Tensor:
    full_name = f"jax.numpy.fft.{name}"
    x = util.asarray_arg(full_name, a)
    if fft_type == FftType.RFFT and dtypes.is_complex(x.dtype):
        raise TypeError(f"{full_name}: only real-valued inputs are supported")
    if s is not None:
        s = tuple(int(n) for n in s)
        if any(n <= 0 for n in s):
            raise ValueError(f"{full_name}: shape {s} should be positive")
        if axes is not None and len(s) != len(axes):
            raise ValueError(f"{full_name}: shape {s} and axes {tuple(axes)} have "
                             "different lengths")
    if axes is None:
        axes = range(x.ndim) if s is None else range(x.ndim - len(s), x.ndim)
    axes = tuple(util.canonical_axis(full_name, int(ax), x.ndim) for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{full_name} does not support repeated axes, got {axes}")
    last = tuple(range(x.ndim - len(axes), x.ndim))
    x = moveaxis(x, axes, last)
    if s is None:
        s = tuple(x.shape[ax] for ax in last)
        if fft_type == FftType.IRFFT and s:
            s = s[:-1] + (max(0, 2 * (s[-1] - 1)),)
        if any(n == 0 for n in s):
            raise ValueError(f"{full_name}: invalid number of data points {s}; the "
                             "transformed axes need at least one point")
    else:
        shape = list(x.shape)
        for ax, n in zip(last, s):
            shape[ax] = n
        if fft_type == FftType.IRFFT:
            shape[-1] = s[-1] // 2 + 1
        x = _crop_or_pad(x, shape)
    out = _transform_nd(x, fft_type, s) if s else lax_fft(x, fft_type, ())
    out = _scale(out, _norm_factor(name, norm, math.prod(s)))
    return moveaxis(out, last, axes)


def _single_axis(name: str, axis) -> tuple:
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"jax.numpy.fft.{name} does not support multiple axes; use "
                         f"jax.numpy.fft.{name}n instead")
    return (axis,)


def _two_axes(name: str, axes) -> tuple:
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"jax.numpy.fft.{name} only supports 2 axes, got {axes}; use "
                         f"jax.numpy.fft.{name}n instead")
    return axes


def fft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> Tensor:
    """`jnp.fft.fft(a, n=None, axis=-1, norm=None)`: the 1-D discrete Fourier transform
    `X[k] = sum_j a[j] exp(-2 pi i j k / n)` along `axis`.

    Args:
      a: input array (real inputs become complex).
      n: the transform length: the axis is cropped or zero-padded to it (default: its
        length).
      axis: the transformed axis.
      norm: "backward" (default, no scaling), "ortho" (1/sqrt(n)) or "forward" (1/n).

    Returns:
      The complex transform, with the axis of length `n`.

    Example:
      >>> jnp.fft.fft(jnp.array([1.0, 2.0, 3.0, 4.0]))
      Array([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j], dtype=complex64)
    """
    return _fft_core("fft", FftType.FFT, a, None if n is None else (n,),
                     _single_axis("fft", axis), norm)


def ifft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> Tensor:
    """`jnp.fft.ifft(a, n=None, axis=-1, norm=None)`: the 1-D inverse discrete Fourier
    transform `x[j] = (1/n) sum_k a[k] exp(2 pi i j k / n)` along `axis`; `n` and `norm`
    as in `fft` ("backward" puts the 1/n here).

    Example:
      >>> jnp.fft.ifft(jnp.fft.fft(jnp.array([1.0, 2.0, 3.0])))
      Array([1.+0.j, 2.+0.j, 3.+0.j], dtype=complex64)
    """
    return _fft_core("ifft", FftType.IFFT, a, None if n is None else (n,),
                     _single_axis("ifft", axis), norm)


def rfft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> Tensor:
    """`jnp.fft.rfft(a, n=None, axis=-1, norm=None)`: the 1-D transform of a real
    signal, only the frequencies 0 .. n // 2 (the others are their conjugates).

    Example:
      >>> jnp.fft.rfft(jnp.array([1.0, 2.0, 3.0, 4.0]))
      Array([10.+0.j, -2.+2.j, -2.+0.j], dtype=complex64)
    """
    return _fft_core("rfft", FftType.RFFT, a, None if n is None else (n,),
                     _single_axis("rfft", axis), norm)


def irfft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> Tensor:
    """`jnp.fft.irfft(a, n=None, axis=-1, norm=None)`: the inverse of `rfft`: a real
    signal of length `n` (default 2 * (m - 1) for m input frequencies) from its
    non-negative frequencies; the imaginary parts of frequency 0 (and n/2) are ignored.

    Example:
      >>> jnp.fft.irfft(jnp.array([10.0, -2.0 + 2.0j, -2.0]))
      Array([1., 2., 3., 4.], dtype=float32)
    """
    return _fft_core("irfft", FftType.IRFFT, a, None if n is None else (n,),
                     _single_axis("irfft", axis), norm)


def hfft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> Tensor:
    """`jnp.fft.hfft(a, n=None, axis=-1, norm=None)`: the transform of a signal with
    Hermitian symmetry given by its first half `a`: a real result of length `n`
    (default 2 * (m - 1)), `irfft(conj(a)) * n` with the default norm.

    Example:
      >>> jnp.fft.hfft(jnp.array([1.0, 2.0, 3.0]))
      Array([ 8., -2.,  0., -2.], dtype=float32)
    """
    axes = _single_axis("hfft", axis)
    x = util.asarray_arg("jax.numpy.fft.hfft", a)
    if not dtypes.is_complex(x.dtype):
        real = util.inexact_dtype(x.dtype)
        x = util.convert(x, dtypes.complex_dtype_for(real))
    x = ew.conj(x)
    size = (x.shape[util.canonical_axis("hfft", axis, x.ndim)] - 1) * 2 if n is None else n
    out = _fft_core("hfft", FftType.IRFFT, x, None if n is None else (n,), axes, norm)
    return _scale(out, float(size))


def ihfft(a, n: int | None = None, axis: int = -1, norm: str | None = None) -> Tensor:
    """`jnp.fft.ihfft(a, n=None, axis=-1, norm=None)`: the inverse of `hfft`: the first
    half of the spectrum of a real signal, `conj(rfft(a)) / n` with the default norm.

    Example:
      >>> jnp.fft.ihfft(jnp.array([8.0, -2.0, 0.0, -2.0]))
      Array([1.+0.j, 2.+0.j, 3.+0.j], dtype=complex64)
    """
    axes = _single_axis("ihfft", axis)
    x = util.asarray_arg("jax.numpy.fft.ihfft", a)
    size = x.shape[util.canonical_axis("ihfft", axis, x.ndim)] if n is None else n
    out = _fft_core("ihfft", FftType.RFFT, x, None if n is None else (n,), axes, norm)
    return _scale(ew.conj(out), 1 / size)


def fftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None) -> Tensor:
    """`jnp.fft.fftn(a, s=None, axes=None, norm=None)`: the n-D discrete Fourier
    transform over `axes` (default: the last len(s) axes, or all), each cropped or
    zero-padded to its length in `s`.

    Example:
      >>> jnp.fft.fftn(jnp.ones((2, 3)))
      Array([[6.+0.j, 0.+0.j, 0.+0.j],
             [0.+0.j, 0.+0.j, 0.+0.j]], dtype=complex64)
    """
    return _fft_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> Tensor:
    """`jnp.fft.ifftn(a, s=None, axes=None, norm=None)`: the inverse of `fftn`.

    Example:
      >>> jnp.fft.ifftn(jnp.fft.fftn(jnp.ones((2, 2)))).real
      Array([[1., 1.],
             [1., 1.]], dtype=float32)
    """
    return _fft_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> Tensor:
    """`jnp.fft.rfftn(a, s=None, axes=None, norm=None)`: the n-D transform of a real
    array; the last axis keeps the frequencies 0 .. s[-1] // 2.

    Example:
      >>> jnp.fft.rfftn(jnp.ones((2, 4))).shape
      (2, 3)
    """
    return _fft_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None) -> Tensor:
    """`jnp.fft.irfftn(a, s=None, axes=None, norm=None)`: the inverse of `rfftn`; the
    last axis has length s[-1] (default 2 * (m - 1)).

    Example:
      >>> jnp.fft.irfftn(jnp.fft.rfftn(jnp.ones((2, 4)))).shape
      (2, 4)
    """
    return _fft_core("irfftn", FftType.IRFFT, a, s, axes, norm)


def fft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None) -> Tensor:
    """`jnp.fft.fft2(a, s=None, axes=(-2, -1), norm=None)`: `fftn` over two axes.

    Example:
      >>> jnp.fft.fft2(jnp.eye(2))
      Array([[2.+0.j, 0.+0.j],
             [0.+0.j, 2.+0.j]], dtype=complex64)
    """
    return _fft_core("fft2", FftType.FFT, a, s, _two_axes("fft2", axes), norm)


def ifft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    """`jnp.fft.ifft2(a, s=None, axes=(-2, -1), norm=None)`: `ifftn` over two axes.

    Example:
      >>> jnp.fft.ifft2(jnp.fft.fft2(jnp.eye(2))).real
      Array([[1., 0.],
             [0., 1.]], dtype=float32)
    """
    return _fft_core("ifft2", FftType.IFFT, a, s, _two_axes("ifft2", axes), norm)


def rfft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    """`jnp.fft.rfft2(a, s=None, axes=(-2, -1), norm=None)`: `rfftn` over two axes.

    Example:
      >>> jnp.fft.rfft2(jnp.ones((3, 4))).shape
      (3, 3)
    """
    return _fft_core("rfft2", FftType.RFFT, a, s, _two_axes("rfft2", axes), norm)


def irfft2(a, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Tensor:
    """`jnp.fft.irfft2(a, s=None, axes=(-2, -1), norm=None)`: `irfftn` over two axes.

    Example:
      >>> jnp.fft.irfft2(jnp.fft.rfft2(jnp.ones((3, 4)))).shape
      (3, 4)
    """
    return _fft_core("irfft2", FftType.IRFFT, a, s, _two_axes("irfft2", axes), norm)


def fftfreq(n: int, d=1.0, *, dtype=None) -> Tensor:
    """`jnp.fft.fftfreq(n, d=1.0, *, dtype=None)`: the sample frequencies of an `fft`
    of length `n` with sample spacing `d`: [0, 1, ..., n//2 - 1 (or (n-1)//2), -n//2,
    ..., -1] / (d * n), in `dtype` (default: the default float dtype).

    Example:
      >>> jnp.fft.fftfreq(4)
      Array([ 0.  ,  0.25, -0.5 , -0.25], dtype=float32)
    """
    dtype = dtypes.default_float_dtype() if dtype is None else util.canonical_dtype(
        "fftfreq", dtype)
    k = numpy_tensor((np.fft.fftfreq(int(n)) * int(n)).round().astype(dtype))
    return _divide_by_spacing(k, d, int(n), dtype)


def rfftfreq(n: int, d=1.0, *, dtype=None) -> Tensor:
    """`jnp.fft.rfftfreq(n, d=1.0, *, dtype=None)`: the sample frequencies of an `rfft`
    of length `n`: [0, 1, ..., n // 2] / (d * n).

    Example:
      >>> jnp.fft.rfftfreq(4)
      Array([0.  , 0.25, 0.5 ], dtype=float32)
    """
    dtype = dtypes.default_float_dtype() if dtype is None else util.canonical_dtype(
        "rfftfreq", dtype)
    k = numpy_tensor(np.arange(int(n) // 2 + 1).astype(dtype))
    return _divide_by_spacing(k, d, int(n), dtype)


def _divide_by_spacing(k: Tensor, d, n: int, dtype) -> Tensor:
    if isinstance(d, Tensor):
        return ew.div(k, util.convert(ew.mul(d, numpy_tensor(np.array(n, d.dtype))), dtype))
    return ew.div(k, numpy_tensor(np.array(np.asarray(d) * n, dtype)))


def _shift(name: str, x, axes, sign: int) -> Tensor:
    x = util.asarray_arg(f"jax.numpy.fft.{name}", x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    axes = tuple(util.canonical_axis(name, int(ax), x.ndim) for ax in axes)
    if not axes:
        return x
    return roll(x, [sign * (x.shape[ax] // 2) for ax in axes], axes)


def fftshift(x, axes: int | Sequence[int] | None = None) -> Tensor:
    """`jnp.fft.fftshift(x, axes=None)`: moves frequency 0 to the centre of `axes`
    (default all), rolling each by half its length (`ifftshift` undoes it).

    Example:
      >>> jnp.fft.fftshift(jnp.fft.fftfreq(5))
      Array([-0.4, -0.2,  0. ,  0.2,  0.4], dtype=float32)
    """
    return _shift("fftshift", x, axes, 1)


def ifftshift(x, axes: int | Sequence[int] | None = None) -> Tensor:
    """`jnp.fft.ifftshift(x, axes=None)`: the inverse of `fftshift` (they differ for
    odd lengths): frequency 0 goes back to the start.

    Example:
      >>> jnp.fft.ifftshift(jnp.fft.fftshift(jnp.arange(5)))
      Array([0, 1, 2, 3, 4], dtype=int32)
    """
    return _shift("ifftshift", x, axes, -1)
