"""The `fft` primitive (FFT, IFFT, RFFT, IRFFT over trailing axes): abstract eval, NumPy
impl, binding function.

Params: `fft_type` (an `FftType`) and `fft_lengths` (a tuple of 1 to 3 positive ints, the
lengths of the transformed trailing axes).  FFT/IFFT map complex to complex of the same
shape; RFFT maps real to complex, the last axis `n` becoming `n // 2 + 1`; IRFFT maps
that half spectrum back to a real array whose trailing axes are `fft_lengths`.  The
inverse transforms carry the `1 / prod(fft_lengths)` factor, as NumPy's and XLA's do.
"""
import enum
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor
from .elementwise import convert_element_type


class FftType(enum.IntEnum):
    """`lax.FftType`: which transform `lax.fft` computes.

    FFT and IFFT are complex-to-complex (forward, inverse); RFFT is real-to-complex
    (the non-negative frequencies of the last axis); IRFFT is its inverse,
    complex-to-real.

    Example:
      >>> lax.fft(x, lax.FftType.RFFT, (8,)).shape   # x: float32[4, 8]
      (4, 5)
    """

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


def _fft_type(fft_type) -> FftType:
    if isinstance(fft_type, str) and fft_type.upper() in FftType.__members__:
        return FftType[fft_type.upper()]
    if isinstance(fft_type, enum.Enum) and fft_type.name in FftType.__members__:
        return FftType[fft_type.name]  # ours, or JAX's own enum
    raise TypeError(f"fft: unknown FFT type {fft_type!r}; expected a lax.FftType or one "
                    "of 'fft', 'ifft', 'rfft', 'irfft'")


_REAL = frozenset({dtypes.float32, dtypes.float64})
_COMPLEX = frozenset({dtypes.complex64, dtypes.complex128})


def _check(x, fft_type: FftType, fft_lengths: tuple) -> ShapedArray:
    """The result aval of `fft(x)`; raises naming the op, the shape and the lengths."""
    k = len(fft_lengths)
    if not 1 <= k <= 3 or any(int(n) < 1 for n in fft_lengths):
        raise ValueError(f"fft: fft_lengths must be 1 to 3 positive lengths, got "
                         f"{fft_lengths}")
    if k > x.ndim:
        raise ShapeError(f"fft: input shape {tuple(x.shape)} must have at least as many "
                         f"dimensions as fft_lengths {fft_lengths}")
    shape, trailing = tuple(x.shape), tuple(x.shape[-k:])
    if fft_type == FftType.RFFT:
        if x.dtype not in _REAL:
            raise TypeError(f"fft: RFFT input must be float32 or float64, got {x.dtype}")
        if trailing != fft_lengths:
            raise ShapeError(f"fft: RFFT input shape {shape} minor dimensions must equal "
                             f"fft_lengths {fft_lengths}")
        return ShapedArray(shape[:-1] + (fft_lengths[-1] // 2 + 1,),
                           dtypes.complex_dtype_for(x.dtype))
    if x.dtype not in _COMPLEX:
        raise TypeError(f"fft: {fft_type.name} input must be complex64 or complex128, got "
                        f"{x.dtype}")
    if fft_type == FftType.IRFFT:
        expected = fft_lengths[:-1] + (fft_lengths[-1] // 2 + 1,)
        if trailing != expected:
            raise ShapeError(f"fft: IRFFT input shape {shape} minor dimensions must be "
                             f"{expected} for fft_lengths {fft_lengths}")
        return ShapedArray(shape[:-k] + fft_lengths, dtypes.real_dtype(x.dtype))
    if trailing != fft_lengths:
        raise ShapeError(f"fft: {fft_type.name} input shape {shape} minor dimensions must "
                         f"equal fft_lengths {fft_lengths}")
    return ShapedArray(shape, x.dtype)


def _impl(x, *, fft_type, fft_lengths):
    out = _check(x, fft_type, fft_lengths)
    if x.size == 0:
        return np.zeros(out.shape, out.dtype)
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    if fft_type == FftType.FFT:
        y = np.fft.fftn(x, axes=axes)
    elif fft_type == FftType.IFFT:
        y = np.fft.ifftn(x, axes=axes)
    elif fft_type == FftType.RFFT:
        y = np.fft.rfftn(x, axes=axes)
    else:
        y = np.fft.irfftn(x, s=fft_lengths, axes=axes)
    return np.asarray(y).astype(out.dtype)


fft_p = Primitive("fft")
fft_p.def_abstract_eval(lambda x, *, fft_type, fft_lengths: _check(x, fft_type, fft_lengths))
fft_p.def_impl(_impl)
fft_p.weak_type_rule = lambda args, params: False


def fft(x, fft_type: FftType | str, fft_lengths: Sequence[int]):
    """`lax.fft(x, fft_type, fft_lengths)`: the discrete Fourier transform of the
    trailing `len(fft_lengths)` axes of `x` (1 to 3 of them).

    `fft_type` is a `FftType` or its name: FFT/IFFT (complex to complex; a real or
    integer `x` is converted to complex), RFFT (real to complex; the last axis of length
    n gives n // 2 + 1 frequencies) and IRFFT (its inverse: the last axis of `x` must be
    `fft_lengths[-1] // 2 + 1`, the result is real with trailing shape `fft_lengths`).
    The inverse transforms divide by `prod(fft_lengths)`.  Empty `fft_lengths` returns
    `x` converted.

    Example:
      >>> lax.fft(jnp.array([1.0, 2.0, 0.0, -1.0]), "rfft", (4,))
      Array([2.+0.j, 1.-3.j, 0.+0.j], dtype=complex64)
    """
    kind = _fft_type(fft_type)
    x = to_tensor(x)
    if kind == FftType.RFFT:
        if dtypes.is_complex(x.dtype):
            raise TypeError("fft: RFFT needs a real input; use FftType.FFT for complex ones")
        if not dtypes.is_float(x.dtype) or x.dtype not in _REAL:
            x = convert_element_type(x, dtypes.default_float_dtype()
                                     if not dtypes.is_float(x.dtype) else dtypes.float32)
    elif x.dtype not in _COMPLEX:
        real = x.dtype if x.dtype in _REAL else (
            dtypes.float32 if dtypes.is_float(x.dtype) else dtypes.default_float_dtype())
        x = convert_element_type(x, dtypes.complex_dtype_for(real))
    fft_lengths = tuple(int(n) for n in fft_lengths)
    if not fft_lengths:
        return x
    return fft_p.bind(x, fft_type=kind, fft_lengths=fft_lengths)
