"""Sample calls of the `fft` primitive for the registry-wide suites
(tests/primitive_cases.py merges them).  Complex operands are built from two real
arguments (the suites draw real arrays); lengths cover a power of two (IREE's own FFT),
non-powers of two (the DFT matmul) and 2-D transforms."""
import numpy as np

from irax.core.primitives.elementwise import complex as make_complex
from irax.core.primitives.fft import FftType, fft

_rng = np.random.RandomState(11)


def _normal(*shape):
    return _rng.standard_normal(shape)


def _transform(fft_type, fft_lengths):
    """The transform of the real argument (RFFT) or of complex(re, im) (the others)."""
    if fft_type == FftType.RFFT:
        return lambda x: fft(x, fft_type, fft_lengths)
    return lambda re, im: fft(make_complex(re, im), fft_type, fft_lengths)


DIFFERENTIABLE: dict = {
    "fft": (_transform(FftType.FFT, (6,)), [_normal(2, 6), _normal(2, 6)]),
    "fft:fft_8": (_transform(FftType.FFT, (8,)), [_normal(8), _normal(8)]),
    "fft:ifft_2d": (_transform(FftType.IFFT, (4, 3)), [_normal(2, 4, 3), _normal(2, 4, 3)]),
    "fft:rfft_8": (_transform(FftType.RFFT, (8,)), [_normal(3, 8)]),
    "fft:rfft_2d_odd": (_transform(FftType.RFFT, (3, 5)), [_normal(2, 3, 5)]),
    "fft:irfft_8": (_transform(FftType.IRFFT, (8,)), [_normal(2, 5), _normal(2, 5)]),
    "fft:irfft_6": (_transform(FftType.IRFFT, (6,)), [_normal(3, 4), _normal(3, 4)]),
    "fft:irfft_2d_odd": (_transform(FftType.IRFFT, (3, 7)), [_normal(3, 4), _normal(3, 4)]),
}
NON_DIFFERENTIABLE: dict = {}


def zero_size_cases(f) -> dict:
    """Zero-size cases for tests/test_zero_size.py (`f(*shape)` makes float32 arrays):
    empty batches of each transform type (power-of-two, other and 2-D lengths)."""
    return {
        "fft:empty_batch": (_transform(FftType.FFT, (6,)), [f(0, 6), f(0, 6)]),
        "fft:empty_batch_ifft_2d": (_transform(FftType.IFFT, (2, 8)),
                                    [f(3, 0, 2, 8), f(3, 0, 2, 8)]),
        "fft:empty_batch_rfft": (_transform(FftType.RFFT, (8,)), [f(0, 8)]),
        "fft:empty_batch_irfft": (_transform(FftType.IRFFT, (5,)), [f(0, 3), f(0, 3)]),
    }
