"""Lowering of the `fft` primitive (core/primitives/fft.py), without `stablehlo.fft`.

IREE 3.13 compiles `stablehlo.fft` only for one axis of a power-of-two length in single
precision and for the CPU; other lengths, 2-D/3-D transforms, float64 and Vulkan fail
to compile (or crash the compiler), and where it compiles it is slow on batches (256
rows of 1024: 14 ms vs 1.0 ms here) (docs/iree_defects.md).  So the DFT is written in
StableHLO.  A transform over several axes is a sequence of 1-D transforms, each axis
moved last in turn, and a 1-D transform of length n is:
  - n <= MAX_MATMUL_LENGTH: one real matmul with a constant DFT matrix acting on the
    real and imaginary parts side by side (exact twiddles, computed in float64);
  - n with a divisor n1 in [2, FOUR_STEP_RADIX]: Cooley-Tukey's four steps (n / n1
    DFTs of length n1, twiddles, n1 DFTs of length n / n1, recursively);
  - otherwise (a large prime factor) Bluestein's algorithm: the DFT as a
    chirp-modulated circular convolution of power-of-two length m >= 2n - 1.
An RFFT of even length is one complex FFT of half the length (the even and odd samples
packed as real and imaginary parts).  A multi-axis RFFT is an RFFT of the last axis
then FFTs of the others; a multi-axis IRFFT is IFFTs of the leading axes then an IRFFT
of the last (NumPy's semantics).  Complex constants multiply in real arithmetic.
Measured (64 complex64 rows, 2 CPU cores): matmul 0.10 ms vs Bluestein 0.34 ms at
n = 120, 0.58 vs 0.70 ms at n = 250; four-step radix 16/32/64 on an RFFT of 2**20
points: 46/34/32 ms, on 256 rows of 1024: 2.2/1.4/1.7 ms.
"""
import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitives.fft import FftType, fft_p
from .builder import FunctionBuilder, Value, dense_attribute, i64, i64_array
from .lowering import LOWERING_RULES
from .structural import pad

# Lengths up to this are one DFT matmul; longer ones split off factors up to
# FOUR_STEP_RADIX (Cooley-Tukey) or, with no such factor, go through Bluestein.
MAX_MATMUL_LENGTH = 128
FOUR_STEP_RADIX = 32


def _constant(b: FunctionBuilder, value: np.ndarray, dtype) -> Value:
    aval = ShapedArray(value.shape, np.dtype(dtype))
    return b.op("stablehlo.constant", [], [aval], {"value": dense_attribute(value, aval)})[0]


def _times_constant(b: FunctionBuilder, z: Value, value: np.ndarray) -> Value:
    """`z * value` for a complex constant `value` broadcast over the trailing axes of
    `z` (or a real `z`), in real arithmetic: IREE 3.13 crashes (SIGFPE) compiling a
    complex<f64> multiply by a complex<f64> constant (docs/iree_defects.md)."""
    real = dtypes.real_dtype(z.dtype)
    dims = list(range(z.ndim - value.ndim, z.ndim))
    c, d = (b.broadcast_in_dim(_constant(b, part, real), z.shape, dims)
            for part in (value.real, value.imag))
    if not dtypes.is_complex(z.dtype):
        return _complex(b, b.emit("stablehlo.multiply", z, c),
                        b.emit("stablehlo.multiply", z, d))
    x, y = _part(b, z, "stablehlo.real"), _part(b, z, "stablehlo.imag")
    mul = lambda p, q: b.emit("stablehlo.multiply", p, q)
    return _complex(b, b.emit("stablehlo.subtract", mul(x, c), mul(y, d)),
                    b.emit("stablehlo.add", mul(x, d), mul(y, c)))


def _part(b: FunctionBuilder, z: Value, op: str) -> Value:
    return b.emit(op, z, dtype=dtypes.real_dtype(z.dtype))


def _complex(b: FunctionBuilder, re: Value, im: Value) -> Value:
    return b.emit("stablehlo.complex", re, im, dtype=dtypes.complex_dtype_for(re.dtype))


def _slice_last(b: FunctionBuilder, x: Value, start: int, stop: int) -> Value:
    shape = x.shape[:-1] + (stop - start,)
    return b.emit("stablehlo.slice", x, shape=shape, attrs={
        "start_indices": i64_array([0] * (x.ndim - 1) + [start]),
        "limit_indices": i64_array(list(x.shape[:-1]) + [stop]),
        "strides": i64_array([1] * x.ndim)})


def _concat_last(b: FunctionBuilder, *xs: Value) -> Value:
    shape = xs[0].shape[:-1] + (sum(x.shape[-1] for x in xs),)
    return b.emit("stablehlo.concatenate", *xs, shape=shape,
                  attrs={"dimension": i64(xs[0].ndim - 1)})


def _transpose(b: FunctionBuilder, x: Value, perm) -> Value:
    if list(perm) == list(range(x.ndim)):
        return x
    return b.emit("stablehlo.transpose", x, shape=tuple(x.shape[p] for p in perm),
                  attrs={"permutation": i64_array(perm)})


def _along(b: FunctionBuilder, x: Value, axis: int, transform) -> Value:
    """`transform` (of the last axis) applied along `axis`."""
    perm = [i for i in range(x.ndim) if i != axis] + [axis]
    y = transform(_transpose(b, x, perm))
    return _transpose(b, y, list(np.argsort(perm)))


def _reshape(b: FunctionBuilder, x: Value, shape) -> Value:
    return b.emit("stablehlo.reshape", x, shape=tuple(shape))


def _radix(n: int) -> int:
    """The largest divisor of n that is at most FOUR_STEP_RADIX (1 if none but 1)."""
    return max(d for d in range(1, min(n, FOUR_STEP_RADIX) + 1) if n % d == 0)


def _four_step(b: FunctionBuilder, z: Value, n: int, n1: int, inverse: bool) -> Value:
    """The DFT of length n = n1 * n2 as n2 DFTs of length n1, twiddles and n1 DFTs of
    length n2 (Cooley-Tukey): with j = j1 n2 + j2 and k = k1 + n1 k2,
    X[k] = sum_j2 W_n^(j2 k1) W_n2^(j2 k2) sum_j1 x[j] W_n1^(j1 k1)."""
    n2, lead = n // n1, z.shape[:-1]
    r = len(lead)
    y = _transpose(b, _reshape(b, z, lead + (n1, n2)), list(range(r)) + [r + 1, r])
    y = _complex_fft(b, y, n1, inverse)  # (..., j2, k1)
    angle = _angles(n, n2, n1) * (1.0 if inverse else -1.0)
    y = _transpose(b, _times_constant(b, y, np.exp(1j * angle)), list(range(r)) + [r + 1, r])
    y = _complex_fft(b, y, n2, inverse)  # (..., k1, k2)
    return _reshape(b, _transpose(b, y, list(range(r)) + [r + 1, r]), lead + (n,))


def _matmul(b: FunctionBuilder, x: Value, matrix: np.ndarray) -> Value:
    """`x @ matrix` over the last axis of `x` (a real array)."""
    w = _constant(b, matrix, x.dtype)
    return b.emit("stablehlo.dot_general", x, w, shape=x.shape[:-1] + (matrix.shape[1],),
                  attrs={"dot_dimension_numbers": "#stablehlo.dot<lhs_contracting_dimensions"
                         f" = [{x.ndim - 1}], rhs_contracting_dimensions = [0]>"})


def _angles(n: int, rows: int, cols: int) -> np.ndarray:
    """2 pi j k / n for j < rows, k < cols, reduced exactly modulo n first."""
    jk = np.outer(np.arange(rows, dtype=np.int64), np.arange(cols, dtype=np.int64)) % n
    return 2 * np.pi * jk / n


def _split(b: FunctionBuilder, stacked: Value, half: int) -> Value:
    """[re | im] along the last axis -> the complex array."""
    return _complex(b, _slice_last(b, stacked, 0, half),
                    _slice_last(b, stacked, half, 2 * half))


# ---- the three 1-D transforms of the last axis ------------------------------------

def _complex_fft(b: FunctionBuilder, z: Value, n: int, inverse: bool) -> Value:
    if n == 1:
        return z
    if n <= MAX_MATMUL_LENGTH:
        t = _angles(n, n, n)
        c, s = np.cos(t), (1.0 if inverse else -1.0) * np.sin(t)
        matrix = np.block([[c, s], [-s, c]]) / (n if inverse else 1)
        stacked = _concat_last(b, _part(b, z, "stablehlo.real"), _part(b, z, "stablehlo.imag"))
        return _split(b, _matmul(b, stacked, matrix), n)
    n1 = _radix(n)
    if n1 > 1:
        return _four_step(b, z, n, n1, inverse)
    return _bluestein(b, z, n, inverse)


def _real_fft(b: FunctionBuilder, x: Value, n: int) -> Value:
    half = n // 2 + 1
    if n == 1:
        return _complex(b, x, b.constant(0, x.dtype, x.shape))
    if n <= MAX_MATMUL_LENGTH:
        t = _angles(n, n, half)
        return _split(b, _matmul(b, x, np.concatenate([np.cos(t), -np.sin(t)], 1)), half)
    if n % 2 == 0:
        return _packed_real_fft(b, x, n)
    return _slice_last(b, _bluestein(b, x, n, False), 0, half)


def _packed_real_fft(b: FunctionBuilder, x: Value, n: int) -> Value:
    """The RFFT of an even length n through one complex FFT of length h = n / 2 of
    z_j = x_2j + i x_2j+1: with Z = FFT(z) extended periodically to k = h and
    R_k = conj(Z_(h-k)), X_k = (1/2 + c_k) Z_k + (1/2 - c_k) R_k, c_k = -i/2 W_n^k."""
    h, lead = n // 2, x.shape[:-1]
    pairs = _reshape(b, x, lead + (h, 2))
    even, odd = (_reshape(b, b.emit("stablehlo.slice", pairs, shape=lead + (h, 1), attrs={
        "start_indices": i64_array([0] * len(lead) + [0, i]),
        "limit_indices": i64_array(list(lead) + [h, i + 1]),
        "strides": i64_array([1] * (len(lead) + 2))}), lead + (h,)) for i in (0, 1))
    spectrum = _complex_fft(b, _complex(b, even, odd), h, False)
    first = _slice_last(b, spectrum, 0, 1)
    middle = _slice_last(b, spectrum, 1, h)
    middle = b.emit("stablehlo.reverse", middle, attrs={"dimensions": i64_array([len(lead)])})
    extended = _concat_last(b, spectrum, first)
    mirrored = _conj(b, _concat_last(b, first, middle, first))
    c = -0.5j * np.exp(-2j * np.pi * np.arange(h + 1) / n)
    return b.emit("stablehlo.add", _times_constant(b, extended, 0.5 + c),
                  _times_constant(b, mirrored, 0.5 - c))


def _inverse_real_fft(b: FunctionBuilder, z: Value, n: int) -> Value:
    """Half spectrum -> real signal; the imaginary parts of frequency 0 (and n/2 for
    an even n) do not contribute, as in NumPy."""
    if n == 1:
        return _part(b, z, "stablehlo.real")
    half = n // 2 + 1
    if n <= MAX_MATMUL_LENGTH:
        weights = np.where((np.arange(half) == 0) | (2 * np.arange(half) == n), 1.0, 2.0)
        t = _angles(n, half, n)
        matrix = np.concatenate([weights[:, None] * np.cos(t),
                                 -weights[:, None] * np.sin(t)], 0) / n
        stacked = _concat_last(b, _part(b, z, "stablehlo.real"), _part(b, z, "stablehlo.imag"))
        return _matmul(b, stacked, matrix)
    mirrored = _slice_last(b, z, 1, n - half + 1)
    mirrored = b.emit("stablehlo.reverse", mirrored,
                      attrs={"dimensions": i64_array([mirrored.ndim - 1])})
    full = _concat_last(b, z, _conj(b, mirrored))
    return _part(b, _complex_fft(b, full, n, True), "stablehlo.real")


def _conj(b: FunctionBuilder, z: Value) -> Value:
    return _complex(b, _part(b, z, "stablehlo.real"),
                    b.emit("stablehlo.negate", _part(b, z, "stablehlo.imag")))


def _bluestein(b: FunctionBuilder, z: Value, n: int, inverse: bool) -> Value:
    """X_k = c_k sum_j (z_j c_j) conj(c_{k-j}) with the chirp c_j = exp(-+ i pi j^2 / n):
    a circular convolution of power-of-two length m >= 2n - 1, by FFTs.  `z` is complex,
    or real for the forward transform of a real signal."""
    m = 1 << (2 * n - 2).bit_length()
    sign = 1.0 if inverse else -1.0
    j = np.arange(n, dtype=np.int64)
    chirp = np.exp(sign * 1j * np.pi * ((j * j) % (2 * n)) / n)
    kernel = np.zeros(m, np.complex128)
    kernel[:n] = np.conj(chirp)
    kernel[m - n + 1:] = np.conj(chirp[1:])[::-1]
    kernel_spectrum = np.fft.fft(kernel) * ((1.0 / n) if inverse else 1.0)

    out = dtypes.complex_dtype_for(dtypes.real_dtype(z.dtype))
    modulated = _times_constant(b, z, chirp)
    padded = pad(b, modulated, b.constant(0, out),
                 [(0, 0, 0)] * (z.ndim - 1) + [(0, m - n, 0)])
    product = _times_constant(b, _complex_fft(b, padded, m, False), kernel_spectrum)
    convolved = _slice_last(b, _complex_fft(b, product, m, True), 0, n)
    return _times_constant(b, convolved, chirp)


def _fft(b: FunctionBuilder, x, *, fft_type, fft_lengths):
    leading = x.ndim - len(fft_lengths)
    inner = [(leading + i, n) for i, n in enumerate(fft_lengths[:-1])]
    last = fft_lengths[-1]
    if fft_type == FftType.RFFT:
        y = _real_fft(b, x, last)
        for axis, n in inner:
            y = _along(b, y, axis, lambda v, n=n: _complex_fft(b, v, n, False))
        return y
    if fft_type == FftType.IRFFT:
        for axis, n in inner:
            x = _along(b, x, axis, lambda v, n=n: _complex_fft(b, v, n, True))
        return _inverse_real_fft(b, x, last)
    inverse = fft_type == FftType.IFFT
    for axis, n in inner + [(x.ndim - 1, last)]:
        x = _along(b, x, axis, lambda v, n=n: _complex_fft(b, v, n, inverse))
    return x


LOWERING_RULES[fft_p] = _fft
