"""The `fft` primitive (`lax.fft`) and `irax.numpy.fft`: against explicit DFT sums in
float64 (an oracle independent of np.fft, which the eager impl uses) and against
np.fft for the NumPy API; compiled programs (each called twice with different inputs)
for every lowering path (DFT matmul, four-step, packed RFFT, Bluestein); derivatives
by check_grads at order 2 in both modes; vmap against a loop."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.core.errors import ShapeError
from irax.core.primitives.fft import FftType, fft
from irax.test_util import check_grads

# float32 results are compared at this tolerance relative to the largest magnitude of
# the expected result (measured errors are below 5e-7).
F32_RTOL = 2e-6
F64_RTOL = 1e-12

# Lengths of every lowering path: 1, the DFT matmul (<= 128), the four-step (composite
# > 128: 200 = 8 * 25), Bluestein (the prime 263, and 262 = 2 * 131, whose factor 131 is a
# prime above the matmul limit), the packed RFFT (even lengths above the matmul limit).
LENGTHS = [1, 2, 5, 12, 127, 200, 262, 263]


def _dft_matrix(n, inverse=False):
    j = np.arange(n)
    w = np.exp((2j if inverse else -2j) * np.pi * np.outer(j, j) / n)
    return w / n if inverse else w


def _oracle(x, fft_type, fft_lengths):
    """The transform as explicit DFT sums (matrix products per axis) in float64."""
    x = np.asarray(x, np.complex128)
    k = len(fft_lengths)
    if fft_type == FftType.IRFFT:  # IFFTs of the leading axes, then the last axis
        if k > 1:
            x = np.moveaxis(_oracle(np.moveaxis(x, -1, 0), FftType.IFFT, fft_lengths[:-1]),
                            0, -1)
        n = fft_lengths[-1]
        half = x.shape[-1]
        full = np.zeros(x.shape[:-1] + (n,), np.complex128)
        full[..., :half] = x
        full[..., half:] = np.conj(x[..., 1:n - half + 1][..., ::-1])
        full[..., 0] = full[..., 0].real
        if n % 2 == 0:
            full[..., n // 2] = full[..., n // 2].real
        return _oracle(full, FftType.IFFT, (n,)).real
    inverse = fft_type == FftType.IFFT
    for axis in range(x.ndim - k, x.ndim):
        x = np.moveaxis(np.moveaxis(x, axis, -1) @ _dft_matrix(x.shape[axis], inverse),
                        -1, axis)
    if fft_type == FftType.RFFT:
        return x[..., :fft_lengths[-1] // 2 + 1]
    return x


def _operand(rng, fft_type, batch, fft_lengths, real_dtype):
    shape = batch + tuple(fft_lengths)
    if fft_type == FftType.RFFT:
        return rng.standard_normal(shape).astype(real_dtype)
    if fft_type == FftType.IRFFT:
        shape = shape[:-1] + (fft_lengths[-1] // 2 + 1,)
    value = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return value.astype(np.result_type(real_dtype, np.complex64))


def _assert_close(got, want, rtol):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(np.abs(want).max(initial=0.0), 1.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=rtol * scale)


# ---- the primitive ------------------------------------------------------------------

CASES = ([(t, (n,)) for t in FftType for n in LENGTHS]
         + [(t, lengths) for t in FftType for lengths in [(4, 6), (3, 5, 8), (131, 6)]])
# float64 (IREE's own FFT has no float64): one length of each path, to bound compile time.
CASES_X64 = ([(t, (n,)) for t in FftType for n in (12, 200, 263)]
             + [(t, (3, 5, 8)) for t in FftType])


def _check_primitive_cases(cases, real_dtype, rtol):
    """One program holds every case; it is called twice with different inputs."""
    program = irax.jit(lambda xs: [fft(x, t, lengths) for x, (t, lengths) in zip(xs, cases)])
    for seed in (0, 1):
        rng = np.random.RandomState(seed)
        xs = [_operand(rng, t, (2,), lengths, real_dtype) for t, lengths in cases]
        for x, (t, lengths), got in zip(xs, cases, program(xs)):
            want = _oracle(x, t, lengths)
            eager = fft(x, t, lengths)
            expected_dtype = (np.dtype(real_dtype) if t == FftType.IRFFT
                              else np.result_type(real_dtype, np.complex64))
            assert got.dtype == eager.dtype == expected_dtype, (t, lengths)
            _assert_close(eager, want, rtol)
            _assert_close(got, want, rtol)


def test_primitive_eager_and_compiled_match_the_dft_sums_float32():
    _check_primitive_cases(CASES, np.float32, F32_RTOL)


def test_primitive_eager_and_compiled_match_the_dft_sums_float64(x64):
    _check_primitive_cases(CASES_X64, np.float64, F64_RTOL)


def test_irfft_ignores_the_imaginary_parts_of_the_real_frequencies(x64):
    z = np.array([1 + 5j, 2 - 1j, 3 + 0.5j, -1 + 7j])  # n = 6: frequencies 0 and 3 real
    cleaned = z.copy()
    cleaned[[0, 3]] = cleaned[[0, 3]].real
    want = _oracle(cleaned, FftType.IRFFT, (6,))
    _assert_close(fft(z, "irfft", (6,)), want, F64_RTOL)
    _assert_close(irax.jit(lambda v: fft(v, "irfft", (6,)))(z), want, F64_RTOL)


def test_binding_converts_inputs_and_accepts_names():
    ints = np.arange(4, dtype=np.int32)
    assert fft(ints, "fft", (4,)).dtype == np.complex64
    assert fft(ints, FftType.RFFT, (4,)).dtype == np.complex64
    assert fft(np.ones(4, np.float32), "IRFFT", (6,)).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(fft(ints, "fft", ())), ints.astype(np.complex64))


@pytest.mark.parametrize("call, error, match", [
    (lambda: fft(np.ones(4, np.complex64), "rfft", (4,)), TypeError, "RFFT needs a real"),
    (lambda: fft(np.ones((2, 4), np.complex64), "fft", (5,)), ShapeError,
     r"FFT input shape \(2, 4\) minor dimensions must equal fft_lengths \(5,\)"),
    (lambda: fft(np.ones((2, 4), np.complex64), "irfft", (4,)), ShapeError,
     r"IRFFT input shape \(2, 4\) minor dimensions must be \(3,\)"),
    (lambda: fft(np.ones(4, np.complex64), "fft", (2, 2)), ShapeError,
     "at least as many dimensions"),
    (lambda: fft(np.ones((1, 1, 1, 1), np.complex64), "fft", (1, 1, 1, 1)), ValueError,
     "1 to 3 positive lengths"),
    (lambda: fft(np.ones(4, np.complex64), "dft", (4,)), TypeError, "unknown FFT type"),
])
def test_primitive_errors_name_the_op_and_the_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- derivatives and vmap -----------------------------------------------------------

@pytest.mark.parametrize("fft_type, lengths", [
    (FftType.FFT, (5,)), (FftType.IFFT, (2, 3)), (FftType.RFFT, (6,)), (FftType.RFFT, (7,)),
    (FftType.IRFFT, (6,)), (FftType.IRFFT, (5,)), (FftType.IRFFT, (2, 4)),
    (FftType.RFFT, (3, 4))])
def test_check_grads_order_2(x64, fft_type, lengths):
    x = _operand(np.random.RandomState(3), fft_type, (2,), lengths, np.float64)
    # A non-linear wrapper makes the second derivatives nontrivial.
    check_grads(lambda v: fft(v * v, fft_type, lengths), (x,), order=2, modes=("fwd", "rev"))


def test_check_grads_through_compiled_packed_rfft_and_four_step(x64):
    """The transposes of the lowered paths, compiled: RFFT/IRFFT of 130 (the packed RFFT
    of an even length above the matmul limit; the four-step 26 x 5)."""
    x = np.random.RandomState(4).standard_normal(130)
    roundtrip = irax.jit(lambda v: fft(fft(v, "rfft", (130,)), "irfft", (130,)) * v)
    check_grads(roundtrip, (x,), order=1, modes=("fwd", "rev"))


def test_vjp_of_rfft_is_the_transpose_of_its_matrix(x64):
    """<ct, RFFT x> under JAX's convention equals <RFFT^T ct, x>, with RFFT^T read off
    the explicit matrix: ct_x = Re(W^T ct) for the real input."""
    n = 7
    x = np.random.RandomState(5).standard_normal(n)
    ct = np.random.RandomState(6).standard_normal(4) + 1j * np.random.RandomState(7).standard_normal(4)
    _, vjp_fn = irax.vjp(lambda v: fft(v, "rfft", (n,)), x)
    w = _dft_matrix(n)[:, :4]  # x @ w = rfft(x)
    _assert_close(vjp_fn(ct)[0], (w @ ct).real, 1e-12)


@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_vmap_matches_a_loop(in_axis):
    """Batch dimensions before and inside the transformed axes (the rule moves them)."""
    rng = np.random.RandomState(8)
    x = rng.standard_normal((3, 4, 6)).astype(np.float32)
    z = (x + 1j * rng.standard_normal(x.shape)).astype(np.complex64)
    for f, v in [(lambda a: fft(a, "fft", (a.shape[-1],)), z),
                 (lambda a: fft(a, "rfft", a.shape), x),
                 (lambda a: fft(a, "ifft", a.shape), z)]:
        want = np.stack([np.asarray(f(m)) for m in np.moveaxis(v, in_axis, 0)])
        _assert_close(irax.vmap(f, in_axes=in_axis)(v), want, F32_RTOL)
    rfft2 = irax.jit(irax.vmap(lambda a: fft(a, "rfft", a.shape), in_axes=in_axis))
    for v in (x, -2 * x):
        want = np.stack([np.asarray(fft(m, "rfft", m.shape)) for m in np.moveaxis(v, in_axis, 0)])
        _assert_close(rfft2(v), want, F32_RTOL)


# ---- irax.numpy.fft -----------------------------------------------------------------

NORMS = [None, "backward", "ortho", "forward"]
ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"]
REAL_INPUT = {"rfft", "ihfft", "rfftn", "rfft2"}


def _input(name, shape, dtype, rng):
    x = rng.standard_normal(shape)
    if name not in REAL_INPUT:
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype if name in REAL_INPUT else np.result_type(dtype, np.complex64))


def _one_d_calls():
    calls = []
    for name in ONE_D:
        for norm in NORMS:
            for n, axis in [(None, -1), (5, 0), (9, 1), (4, -1), (13, 1)]:
                calls.append((name, {"n": n, "axis": axis, "norm": norm}))
    return calls


def _n_d_calls():
    calls = []
    for name in N_D:
        for norm in NORMS:
            two = name.endswith("2")
            for s, axes in ([(None, (-2, -1)), ((3, 7), (0, 2)), ((4, 6), (-1, 1))] if two else
                            [(None, None), ((3, 5), None), ((4, 6), (2, 0)), (None, (1,)),
                             ((2, 3, 4), (0, 1, 2))]):
                calls.append((name, {"s": s, "axes": axes, "norm": norm}))
    return calls


CALLS = _one_d_calls() + _n_d_calls()


def _numpy_kw(kw):
    """NumPy 2 deprecates `s` without `axes`; name the last len(s) axes it meant."""
    if kw.get("s") is not None and kw.get("axes") is None:
        return {**kw, "axes": tuple(range(-len(kw["s"]), 0))}
    return kw


def _run_numpy_api(dtype, rtol):
    rng = np.random.RandomState(9)
    inputs = [_input(name, (4, 6, 5), dtype, rng) for name, _ in CALLS]
    wants = [getattr(np.fft, name)(x.astype(np.result_type(x, np.float64)), **_numpy_kw(kw))
             for x, (name, kw) in zip(inputs, CALLS)]
    eager = [getattr(jnp.fft, name)(x, **kw) for x, (name, kw) in zip(inputs, CALLS)]
    for got, want, (name, kw) in zip(eager, wants, CALLS):
        _assert_close(got, want, rtol)
        expected = (np.result_type(dtype, np.float32) if name in ("irfft", "hfft", "irfftn",
                                                                  "irfft2")
                    else np.result_type(dtype, np.complex64))
        assert got.dtype == expected, (name, kw, got.dtype)
    return inputs, wants


def test_numpy_functions_match_numpy_float32():
    inputs, wants = _run_numpy_api(np.float32, F32_RTOL)
    # Compiled: every other call without norm (compile time); eager covers all.
    compiled = [i for i, (_, kw) in enumerate(CALLS) if kw["norm"] is None][::2]
    program = irax.jit(lambda xs: [getattr(jnp.fft, CALLS[i][0])(x, **CALLS[i][1])
                                   for x, i in zip(xs, compiled)])
    for scale in (1.0, -2.5):  # two calls, different inputs
        got = program([inputs[i] * np.asarray(scale, inputs[i].dtype) for i in compiled])
        for g, i in zip(got, compiled):
            _assert_close(g, np.asarray(wants[i]) * scale, F32_RTOL)


def test_numpy_functions_match_numpy_float64(x64):
    _run_numpy_api(np.float64, F64_RTOL)


def test_fftn_over_more_than_three_axes(x64):
    rng = np.random.RandomState(10)
    x = rng.standard_normal((2, 3, 4, 5, 2))
    for name in ["fftn", "ifftn", "rfftn"]:
        _assert_close(getattr(jnp.fft, name)(x), getattr(np.fft, name)(x), F64_RTOL)
    z = np.fft.rfftn(x)
    _assert_close(jnp.fft.irfftn(z, x.shape), np.fft.irfftn(z, x.shape, range(5)), F64_RTOL)
    got = irax.jit(lambda v: jnp.fft.fftn(v, axes=(0, 1, 2, 3)))(x)
    _assert_close(got, np.fft.fftn(x, axes=(0, 1, 2, 3)), F64_RTOL)


def test_numpy_fft_dtypes():
    assert jnp.fft.fft(np.arange(4)).dtype == np.complex64
    assert jnp.fft.rfft(np.arange(4)).dtype == np.complex64
    assert jnp.fft.irfft(np.ones(3, np.complex64)).dtype == np.float32
    assert jnp.fft.hfft(np.ones(3, np.float32)).dtype == np.float32
    assert jnp.fft.fftfreq(4).dtype == np.float32
    assert jnp.fft.rfftfreq(4, dtype=np.float16).dtype == np.float16


def test_numpy_fft_dtypes_x64(x64):
    assert jnp.fft.fft(np.arange(4)).dtype == np.complex128
    assert jnp.fft.fft(np.arange(4, dtype=np.float32)).dtype == np.complex64
    assert jnp.fft.irfft(np.ones(3)).dtype == np.float64


@pytest.mark.parametrize("n", [1, 4, 5, 8])
def test_frequencies_and_shifts_match_numpy(n):
    for d in (1.0, 0.1):
        np.testing.assert_allclose(np.asarray(jnp.fft.fftfreq(n, d)), np.fft.fftfreq(n, d),
                                   rtol=1e-6)
        np.testing.assert_allclose(np.asarray(jnp.fft.rfftfreq(n, d)),
                                   np.fft.rfftfreq(n, d), rtol=1e-6)
    x = np.arange(n * 3).reshape(n, 3)
    for axes in (None, 0, (1,), (0, 1)):
        np.testing.assert_array_equal(np.asarray(jnp.fft.fftshift(x, axes)),
                                      np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(np.asarray(jnp.fft.ifftshift(x, axes)),
                                      np.fft.ifftshift(x, axes))


def test_fftfreq_with_a_traced_spacing():
    got = irax.jit(lambda d: jnp.fft.fftfreq(5, d))(np.float32(0.5))
    np.testing.assert_allclose(np.asarray(got), np.fft.fftfreq(5, 0.5), rtol=1e-6)


def test_numpy_fft_gradient(x64):
    """grad of a real loss of the spectrum; the oracle differentiates the explicit DFT
    matrix: d/dx sum |rfft(x)|^2 w = 2 Re(W conj(W^T x) w) ... checked numerically."""
    x = np.random.RandomState(12).standard_normal(9)
    w = np.linspace(0.5, 2.0, 5)
    loss = lambda v: jnp.sum(jnp.abs(jnp.fft.rfft(v, norm="ortho")) ** 2 * w)
    m = _dft_matrix(9)[:, :5] / 3.0  # ortho: 1/sqrt(9)
    # loss = sum_k w_k |(x @ m)_k|^2  ->  grad = 2 Re(m @ (w * conj(x @ m)))
    want = 2 * (m @ (w * np.conj(x @ m))).real
    _assert_close(irax.grad(loss)(x), want, 1e-12)
    _assert_close(irax.jit(irax.grad(loss))(x), want, 1e-12)


@pytest.mark.parametrize("call, error, match", [
    (lambda: jnp.fft.fft(np.ones(4), norm="unitary"), ValueError, "invalid norm"),
    (lambda: jnp.fft.fftn(np.ones((2, 2)), axes=(0, 0)), ValueError, "repeated axes"),
    (lambda: jnp.fft.fftn(np.ones((2, 2)), s=(2,), axes=(0, 1)), ValueError,
     "different lengths"),
    (lambda: jnp.fft.fft(np.ones(4), n=0), ValueError, "should be positive"),
    (lambda: jnp.fft.fft(np.ones(4), axis=(0,)), TypeError, "does not support multiple"),
    (lambda: jnp.fft.fft2(np.ones((2, 2, 2)), axes=(0, 1, 2)), ValueError, "only supports 2"),
    (lambda: jnp.fft.rfft(np.ones(4, np.complex64)), TypeError, "only real-valued"),
    (lambda: jnp.fft.fft(np.ones(4), axis=3), ValueError, "out of bounds"),
])
def test_numpy_fft_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_public_names_have_docstrings():
    for name in jnp.fft.__all__:
        doc = getattr(jnp.fft, name).__doc__
        assert doc and "Example" in doc, name
    assert fft.__doc__ and FftType.__doc__
