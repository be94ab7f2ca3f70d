"""JVP, transpose and batching rules of the `fft` primitive (core/primitives/fft.py).

The transform is linear: its JVP applies it to the tangent.  Transposes follow JAX
(`_fft_transpose_rule`): the DFT matrix is symmetric, so FFT and IFFT are their own
transposes; RFFT (real -> half spectrum) transposes to a scaled IRFFT of the conjugated
cotangent, whose interior frequencies are halved because IRFFT counts them twice (once
for the mirrored negative frequency); IRFFT transposes to the conjugated, scaled RFFT of
the cotangent with the interior frequencies doubled.  Batching keeps the batch
dimension among the leading axes.
"""
import math

import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import fft as fft_mod
from irax.core.primitives import structural as st
from irax.core.primitives.fft import FftType, fft_p
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval
from irax.transforms.ad import TRANSPOSE_RULES
from irax.transforms.batching import BATCH_RULES, moveaxis

from .helpers import deflinear

deflinear(fft_p)


def _interior_weights(half: int, n: int, dtype, shape):
    """Weights along the last axis of a half spectrum of length `half` (for a real
    signal of length `n`): 1 at frequency 0 and (for even n) at n/2, 2 elsewhere;
    broadcast to `shape`."""
    w = np.full(half, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return st.broadcast_in_dim(ArrayImpl(w.astype(dtype)), shape, (len(shape) - 1,))


def _rfft_transpose(ct, fft_lengths):
    shape = get_aval(ct).shape
    weights = _interior_weights(shape[-1], fft_lengths[-1], get_aval(ct).dtype, shape)
    spectrum = ew.div(ew.conj(ct), weights)
    out = fft_mod.fft(spectrum, FftType.IRFFT, fft_lengths)
    return ew.mul(out, ArrayImpl(np.array(math.prod(fft_lengths), get_aval(out).dtype)))


def _irfft_transpose(ct, fft_lengths):
    x = fft_mod.fft(ct, FftType.RFFT, fft_lengths)
    shape, dtype = get_aval(x).shape, get_aval(x).dtype
    weights = _interior_weights(shape[-1], fft_lengths[-1], dtype, shape)
    scale = ArrayImpl(np.array(1 / math.prod(fft_lengths), dtype))
    return ew.conj(ew.mul(ew.mul(x, weights), scale))


def _fft_transpose(ct, x, *, fft_type, fft_lengths):
    if fft_type == FftType.RFFT:
        return [_rfft_transpose(ct, fft_lengths)]
    if fft_type == FftType.IRFFT:
        return [_irfft_transpose(ct, fft_lengths)]
    return [fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)]


TRANSPOSE_RULES[fft_p] = _fft_transpose


def _fft_batch(vals, dims, *, fft_type, fft_lengths):
    (x,), (bdim,) = vals, dims
    if bdim >= get_aval(x).ndim - len(fft_lengths):
        x, bdim = moveaxis(x, bdim, 0), 0
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths), bdim


BATCH_RULES[fft_p] = _fft_batch
