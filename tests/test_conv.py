"""conv_general_dilated and lax's convolution helpers against an independent NumPy
reference (a loop over output positions and window offsets that maps every tap to its
input coordinate), in 1-D, 2-D and 3-D, with groups, dilations, strides, odd and
negative paddings, every layout form and dtype; derivatives by check_grads (order 2,
both modes, float64); vmap against a loop; eager against jit (each program called
twice); zero-size shapes; the helpers (conv_transpose, patches, local, padding)."""
import itertools

import numpy as np
import pytest

import irax
from irax import lax
from irax.core.errors import ShapeError
from irax.test_util import check_grads

RNG = np.random.RandomState(0)
BF16 = np.dtype(irax.numpy.bfloat16)


# ---- the reference ------------------------------------------------------------------

def _canonical(spec: str, pair: str, rhs_spec: str) -> list:
    """Axis order (pair[0], pair[1], spatial in rhs_spec's order) of a spec string."""
    spatial = [c for c in rhs_spec if c not in "OI"]
    return [spec.index(pair[0]), spec.index(pair[1])] + [spec.index(c) for c in spatial]


def _specs(ndim: int, dimension_numbers):
    """Spec strings of None, a triple of strings or a ConvDimensionNumbers."""
    letters = "HWD"[:ndim - 2]
    if dimension_numbers is None:
        return "NC" + letters, "OI" + letters, "NC" + letters
    if isinstance(dimension_numbers, lax.ConvDimensionNumbers):
        specs = []
        for spec, names in zip(dimension_numbers, ("NC", "OI", "NC")):
            chars = [""] * ndim
            for position, char in zip(spec, names + letters):
                chars[position] = char
            specs.append("".join(chars))
        return tuple(specs)
    return dimension_numbers


def reference_taps(x, window, strides, pads, lhs_dilation, rhs_dilation):
    """x: (N, C, spatial...) -> (N, C, window..., out...): the input value each window
    tap reads at each output position (zero in padding and dilation holes)."""
    spatial = x.shape[2:]
    out_sizes = []
    for n, k, s, (lo, hi), ld, rd in zip(spatial, window, strides, pads, lhs_dilation,
                                         rhs_dilation):
        extent = (n - 1) * ld + 1 + lo + hi if n else lo + hi
        span = (k - 1) * rd + 1 if k else 0
        out_sizes.append(0 if extent < span else (extent - span) // s + 1)
    taps = np.zeros(x.shape[:2] + tuple(window) + tuple(out_sizes), x.dtype)
    for offset in itertools.product(*map(range, window)):
        for position in itertools.product(*map(range, out_sizes)):
            source = []
            for p, k, s, (lo, _), ld, rd, n in zip(position, offset, strides, pads,
                                                   lhs_dilation, rhs_dilation, spatial):
                q = p * s + k * rd - lo  # coordinate in the dilated input
                if q % ld or not 0 <= q // ld < n:
                    break
                source.append(q // ld)
            else:
                taps[(slice(None), slice(None)) + offset + position] = x[
                    (slice(None), slice(None)) + tuple(source)]
    return taps, out_sizes


def reference_conv(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                   dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                   dtype=None):
    """The convolution by its definition, in `dtype` (default: float64 / complex128 /
    int64 by kind); padding explicit pairs or a string, resolved here."""
    dtype = dtype or {"f": np.float64, "c": np.complex128, "i": np.int64,
                      "u": np.uint64}[np.dtype(lhs.dtype).kind if lhs.dtype != BF16 else "f"]
    lhs_s, rhs_s, out_s = _specs(lhs.ndim, dimension_numbers)
    x = np.transpose(np.asarray(lhs).astype(dtype), _canonical(lhs_s, "NC", rhs_s))
    w = np.transpose(np.asarray(rhs).astype(dtype), _canonical(rhs_s, "OI", rhs_s))
    n = lhs.ndim - 2
    lhs_dilation = lhs_dilation or (1,) * n
    rhs_dilation = rhs_dilation or (1,) * n
    if isinstance(padding, str):
        padding = _string_pads(x.shape[2:], w.shape[2:], window_strides, padding,
                               rhs_dilation)
    taps, out_sizes = reference_taps(x, w.shape[2:], window_strides, padding, lhs_dilation,
                                     rhs_dilation)
    batch, out_features = x.shape[0] // batch_group_count, w.shape[0]
    per_feature_group = out_features // feature_group_count
    per_batch_group = out_features // batch_group_count
    cin = w.shape[1]
    out = np.zeros((batch, out_features) + tuple(out_sizes), dtype)
    for o in range(out_features):
        g, bg = o // per_feature_group, o // per_batch_group
        block = taps[bg * batch:(bg + 1) * batch, g * cin:(g + 1) * cin]
        out[:, o] = np.tensordot(block, w[o], axes=(list(range(1, 2 + n)),
                                                     list(range(n + 1))))
    canonical = _canonical(out_s, "NC", rhs_s)
    return np.transpose(out, np.argsort(canonical))


def _string_pads(spatial, window, strides, padding, rhs_dilation):
    """SAME / SAME_LOWER / VALID by their definition: the output size is ceil(in / s)
    (or the windows that fit), the total pad split evenly, the odd one at the end
    (SAME) or the start (SAME_LOWER)."""
    pads = []
    for n, k, s, r in zip(spatial, window, strides, rhs_dilation):
        span = (k - 1) * r + 1
        if padding == "VALID":
            pads.append((0, 0))
            continue
        total = max((-(-n // s) - 1) * s + span - n, 0)
        small, large = total // 2, total - total // 2
        pads.append((small, large) if padding == "SAME" else (large, small))
    return pads


# ---- forward cases ------------------------------------------------------------------

NHWC = ("NHWC", "HWIO", "NHWC")
# name -> (lhs shape, rhs shape, keyword arguments of conv_general_dilated)
FORWARD = {
    "1d_plain": ((2, 3, 7), (4, 3, 3), {"window_strides": (1,), "padding": "VALID"}),
    "1d_same_stride": ((2, 3, 8), (4, 3, 3), {"window_strides": (3,), "padding": "SAME"}),
    "1d_same_lower_even": ((1, 2, 6), (2, 2, 4), {"window_strides": (1,),
                                                      "padding": "SAME_LOWER"}),
    "1d_negative_pad": ((2, 2, 9), (3, 2, 2), {"window_strides": (2,), "padding": ((-2, 1),)}),
    "1d_lhs_dilation": ((2, 2, 4), (3, 2, 3), {"window_strides": (1,), "padding": ((2, 2),),
                                                   "lhs_dilation": (3,)}),
    "1d_batch_groups": ((6, 2, 5), (6, 2, 2), {"window_strides": (1,), "padding": ((1, 0),),
                                                   "batch_group_count": 3}),
    "2d_nchw": ((2, 3, 6, 5), (4, 3, 3, 2), {"window_strides": (1, 2), "padding": "SAME"}),
    "2d_nhwc_all": ((2, 7, 6, 4), (2, 3, 2, 6), {
        "window_strides": (2, 1), "padding": ((1, 2), (-1, 1)), "lhs_dilation": (1, 2),
        "rhs_dilation": (2, 1), "dimension_numbers": NHWC, "feature_group_count": 2}),
    "2d_depthwise": ((1, 5, 5, 3), (3, 3, 1, 3), {"window_strides": (1, 1), "padding": "SAME",
                                                      "dimension_numbers": NHWC,
                                                      "feature_group_count": 3}),
    "2d_odd_layout": ((5, 2, 3, 4), (2, 2, 4, 3), {
        "window_strides": (2, 1), "padding": ((0, 1), (2, 0)), "rhs_dilation": (1, 2),
        "dimension_numbers": ("WCNH", "IWOH", "HNCW")}),
    "2d_dimension_numbers_object": ((2, 3, 5, 5), (3, 2, 3, 3), {
        "window_strides": (1, 1), "padding": "VALID",
        "dimension_numbers": lax.ConvDimensionNumbers((0, 1, 2, 3), (1, 0, 2, 3),
                                                   (0, 1, 3, 2))}),
    "2d_batch_groups_nhwc": ((4, 4, 5, 2), (2, 2, 2, 4), {
        "window_strides": (1, 2), "padding": "SAME", "dimension_numbers": NHWC,
        "batch_group_count": 2}),
    "3d_ndhwc": ((1, 4, 5, 3, 2), (2, 3, 2, 2, 3), {
        "window_strides": (1, 2, 1), "padding": ((1, 0), (0, 1), (1, -1)), "rhs_dilation": (1, 1, 2),
        "dimension_numbers": ("NDHWC", "DHWIO", "NDHWC")}),
    "3d_groups_dilated": ((2, 4, 3, 4, 3), (6, 2, 2, 2, 1), {
        "window_strides": (1, 1, 2), "padding": "SAME", "feature_group_count": 2}),
    # fewer output positions than window taps: lowered as one dot per position
    "2d_window_larger_than_output": ((2, 3, 6, 7), (4, 3, 5, 6), {
        "window_strides": (1, 1), "padding": "VALID"}),
    "2d_window_larger_dilated": ((2, 2, 5, 5), (3, 2, 3, 3), {
        "window_strides": (2, 1), "padding": ((1, 0), (0, 1)), "lhs_dilation": (1, 2),
        "rhs_dilation": (2, 1)}),
}
WINDOW_LARGER_THAN_OUTPUT = ["2d_window_larger_than_output", "2d_window_larger_dilated"]


def _forward_args(seed):
    rng = np.random.RandomState(seed)
    return {name: (rng.standard_normal(ls).astype(np.float32),
                   rng.standard_normal(rs).astype(np.float32))
            for name, (ls, rs, _) in FORWARD.items()}


def _all_forward(args):
    return {name: lax.conv_general_dilated(*args[name], **FORWARD[name][2]) for name in args}


@pytest.mark.parametrize("name", sorted(FORWARD))
def test_eager_matches_the_reference(name):
    lhs, rhs = _forward_args(1)[name]
    out = lax.conv_general_dilated(lhs, rhs, **FORWARD[name][2])
    want = reference_conv(lhs, rhs, **FORWARD[name][2])
    assert out.dtype == np.float32 and out.shape == want.shape
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


def test_compiled_matches_the_reference_on_two_calls():
    compiled = irax.jit(_all_forward)
    for seed in (2, 3):
        args = _forward_args(seed)
        outs = compiled(args)
        for name, (lhs, rhs) in args.items():
            want = reference_conv(lhs, rhs, **FORWARD[name][2])
            np.testing.assert_allclose(np.asarray(outs[name]), want, rtol=1e-5, atol=1e-5,
                                       err_msg=name)


def test_few_output_positions_are_dots_and_match_the_reference(x64):
    """Kernel-gradient-shaped convolutions (a window larger than the output) lower as
    one dot per output position; values, compiled, against the reference, and the
    gradients of such a convolution against finite differences."""
    for name in WINDOW_LARGER_THAN_OUTPUT:
        lhs, rhs = (a.astype(np.float64) for a in _forward_args(5)[name])
        kwargs = FORWARD[name][2]
        conv = irax.jit(lambda x, w, kwargs=kwargs: lax.conv_general_dilated(x, w, **kwargs))
        text = conv.lower(lhs, rhs).as_text()
        assert "stablehlo.convolution" not in text and "stablehlo.dot_general" in text, name
        for scale in (1.0, -0.5):
            np.testing.assert_allclose(np.asarray(conv(scale * lhs, rhs)),
                                       reference_conv(scale * lhs, rhs, **kwargs),
                                       rtol=1e-10, atol=1e-10, err_msg=name)
        check_grads(conv, (lhs, rhs), order=1, modes=("rev",))


# ---- dtypes -------------------------------------------------------------------------

def _dtype_operands(dtype, seed, groups=1):
    """lhs (2, 4, 5, 5) and a kernel of 4 // groups input features."""
    rng = np.random.RandomState(seed)
    w_shape = (4, 2, 2, 3) if groups == 2 else (3, 4, 2, 3)
    if np.dtype(dtype).kind in "iu":
        low = 0 if np.dtype(dtype).kind == "u" else -5
        return (rng.randint(low, 6, (2, 4, 5, 5)).astype(dtype),
                rng.randint(low, 6, w_shape).astype(dtype))
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal(w_shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(x.shape)
        w = w + 1j * rng.standard_normal(w.shape)
    return x.astype(dtype), w.astype(dtype)


DTYPE_CASES = [  # (input dtype, preferred_element_type, relative tolerance, groups)
    (np.float16, None, 1e-2, 1), (BF16, None, 5e-2, 1), (np.float32, None, 1e-5, 1),
    (np.complex64, None, 1e-5, 1), (np.int32, None, 0, 1), (np.int8, None, 0, 1),
    (np.uint8, None, 0, 1), (np.int8, np.int32, 0, 1), (np.int8, np.float32, 1e-6, 1),
    (np.uint8, np.uint32, 0, 1), (np.float16, np.float32, 1e-5, 1),
    (BF16, np.float32, 1e-5, 1), (np.int8, np.int32, 0, 2), (np.complex64, None, 1e-5, 2),
    (np.float16, None, 1e-2, 2),
]


def _dtype_conv(x, w, preferred):
    return lax.conv_general_dilated(x, w, (2, 1), ((1, 0), (1, 1)), rhs_dilation=(1, 2),
                                    feature_group_count=x.shape[1] // w.shape[1],
                                    preferred_element_type=preferred)


def _check_dtype(out, x, w, dtype, preferred, rtol):
    want_dtype = np.dtype(preferred or dtype)
    assert out.dtype == want_dtype
    want = reference_conv(x, w, (2, 1), ((1, 0), (1, 1)), rhs_dilation=(1, 2),
                          feature_group_count=x.shape[1] // w.shape[1])
    if want_dtype.kind in "iu":  # integer results wrap like the result dtype
        np.testing.assert_array_equal(np.asarray(out), want.astype(want_dtype))
    else:
        scale = np.abs(want).max()
        np.testing.assert_allclose(np.asarray(out).astype(want.dtype), want, rtol=rtol,
                                   atol=rtol * scale)


@pytest.mark.parametrize("dtype, preferred, rtol, groups", DTYPE_CASES)
def test_dtypes_eager(dtype, preferred, rtol, groups):
    x, w = _dtype_operands(dtype, 4, groups)
    _check_dtype(_dtype_conv(x, w, preferred), x, w, dtype, preferred, rtol)


def test_dtypes_compiled_on_two_calls():
    compiled = irax.jit(lambda operands: [_dtype_conv(x, w, case[1]) for (x, w), case in
                                          zip(operands, DTYPE_CASES)])
    for seed in (5, 6):
        operands = [_dtype_operands(d, seed, g) for d, _, _, g in DTYPE_CASES]
        for out, (x, w), (dtype, preferred, rtol, _) in zip(compiled(operands), operands,
                                                             DTYPE_CASES):
            _check_dtype(out, x, w, dtype, preferred, rtol)


def test_float64_and_complex128(x64):
    compiled = irax.jit(lambda *a: [_dtype_conv(x, w, None) for x, w in zip(a[::2], a[1::2])])
    for seed in (7, 8):
        operands = [_dtype_operands(np.float64, seed), _dtype_operands(np.complex128, seed, 2)]
        flat = [a for pair in operands for a in pair]
        for out_eager, out_jit, (x, w) in zip([_dtype_conv(x, w, None) for x, w in operands],
                                              compiled(*flat), operands):
            for out in (out_eager, out_jit):
                _check_dtype(out, x, w, x.dtype, None, 1e-12)


def test_weak_types_follow_the_operands():
    x, w = np.ones((1, 2, 4, 4), np.float32), np.ones((3, 2, 3, 3), np.float32)
    weak_x = lax.convert_element_type(x, np.float32, weak_type=True)
    weak_w = lax.convert_element_type(w, np.float32, weak_type=True)
    assert lax.conv(weak_x, weak_w, (1, 1), "SAME").weak_type
    assert not lax.conv(weak_x, w, (1, 1), "SAME").weak_type
    assert not lax.conv(weak_x, weak_w, (1, 1), "SAME",
                        preferred_element_type=np.float32).weak_type


# ---- errors -------------------------------------------------------------------------

@pytest.mark.parametrize("lhs, rhs, kwargs, error, match", [
    ((2, 3, 5), (4, 2, 3), {}, ShapeError,
     r"conv_general_dilated: .*3 // 1 != 2 \(lhs \(2, 3, 5\) and rhs \(4, 2, 3\)\)"),
    ((2, 6, 5), (4, 2, 3), {"feature_group_count": 4}, ShapeError,
     r"feature_group_count 4 must divide the lhs feature dimension size 6"),
    ((2, 6, 5), (5, 3, 3), {"feature_group_count": 2}, ShapeError,
     r"rhs output feature dimension size 5 must be a multiple of feature_group_count 2"),
    ((3, 2, 5), (4, 2, 3), {"batch_group_count": 2}, ShapeError,
     r"batch_group_count 2 must divide the lhs batch dimension size 3"),
    ((4, 4, 5), (4, 2, 3), {"batch_group_count": 2, "feature_group_count": 2}, ShapeError,
     "at most one of batch_group_count"),
    ((2, 3, 5), (4, 3, 3, 3), {}, ShapeError, r"same rank.*\(2, 3, 5\) and \(4, 3, 3, 3\)"),
    ((2, 3, 5), (4, 3, 3), {"window_strides": (1, 1)}, ShapeError,
     r"window_strides \(1, 1\) must have one entry per spatial dimension"),
    ((2, 3, 5), (4, 3, 3), {"padding": ((-4, -2),)}, ShapeError, "negative padding"),
    ((2, 3, 5), (4, 3, 3), {"window_strides": (0,)}, ShapeError, "must be positive"),
    ((2, 3, 5), (4, 3, 3), {"lhs_dilation": (2,), "padding": "SAME"}, ValueError,
     "String padding is not implemented for transposed convolution"),
    ((2, 3, 5), (4, 3, 3), {"padding": "FULL"}, RuntimeError, "Unrecognized padding type"),
    ((2, 3, 5), (4, 3, 3), {"padding": (1, 2)}, ValueError, "sequence of \\(low, high\\)"),
    ((2, 3, 5), (4, 3, 3), {"dimension_numbers": ("NCW", "OIW", "NCX")}, TypeError,
     "same set of spatial characters"),
    ((2, 3, 5), (4, 3, 3), {"precision": "ultra"}, ValueError, "precision must be"),
    ((2, 3, 5), (4, 3, 3), {"preferred_element_type": np.float16}, TypeError,
     "must not be narrower"),
    ((2, 3, 5), (4, 3, 3), {"preferred_element_type": np.int32}, TypeError,
     "incompatible with the input dtype float32"),
])
def test_bad_arguments_name_the_op_and_shapes(lhs, rhs, kwargs, error, match):
    kwargs = {"window_strides": (1,), "padding": "VALID", **kwargs}
    x, w = np.ones(lhs, np.float32), np.ones(rhs, np.float32)
    with pytest.raises(error, match=match):
        lax.conv_general_dilated(x, w, **kwargs)
    if error is ShapeError:  # the same check under tracing
        with pytest.raises(error, match=match):
            irax.jit(lambda a, b: lax.conv_general_dilated(a, b, **kwargs))(x, w)


def test_operand_dtypes_are_checked():
    x, w = np.ones((1, 2, 3), np.float32), np.ones((1, 2, 2), np.float32)
    with pytest.raises(TypeError, match="conv_general_dilated requires operands of one "
                                        "dtype, got float32 and int32"):
        lax.conv(x, w.astype(np.int32), (1,), "VALID")
    with pytest.raises(TypeError, match="conv_general_dilated does not accept dtype bool"):
        lax.conv(x > 0, w > 0, (1,), "VALID")
    with pytest.raises(ShapeError, match=r"at least 2, got shapes \(\) and \(1, 2, 2\)"):
        lax.conv(1.0, w, (1,), "VALID")  # Python scalars are not valid operands


# ---- derivatives --------------------------------------------------------------------

GRAD_CASES = ["1d_negative_pad", "1d_lhs_dilation", "1d_batch_groups", "2d_nhwc_all",
              "2d_depthwise", "2d_odd_layout", "3d_groups_dilated"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_check_grads_order_2_both_operands(x64, name):
    lhs, rhs = (a.astype(np.float64) for a in _forward_args(10)[name])
    kwargs = FORWARD[name][2]
    check_grads(lambda x, w: lax.conv_general_dilated(x, w, **kwargs), (lhs, rhs), order=2,
                modes=("fwd", "rev"))


def test_gradients_match_the_reference_adjoint(x64):
    """The VJP of both operands against the reference's own adjoint, computed as the
    gradient of <ct, reference_conv(x, w)>, which is linear in each: entry by entry,
    by finite sums over unit perturbations."""
    lhs, rhs = (a.astype(np.float64) for a in _forward_args(11)["2d_nhwc_all"])
    kwargs = FORWARD["2d_nhwc_all"][2]
    out, vjp = irax.vjp(lambda x, w: lax.conv_general_dilated(x, w, **kwargs), lhs, rhs)
    ct = RNG.standard_normal(out.shape)
    grad_x, grad_w = vjp(ct)
    for operand, grad, position in ((lhs, grad_x, 0), (rhs, grad_w, 1)):
        want = np.zeros(operand.shape)
        for index in np.ndindex(operand.shape):
            unit = np.zeros(operand.shape)
            unit[index] = 1.0
            args = (unit, rhs) if position == 0 else (lhs, unit)
            want[index] = np.sum(ct * reference_conv(*args, **kwargs))
        np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-10, atol=1e-10)


def test_gradient_with_a_wider_preferred_element_type(x64):
    x, w = _dtype_operands(np.float32, 12)

    def loss(x, w):
        out = _dtype_conv(x, w, np.float64)
        return lax.reduce_sum(out * out, (0, 1, 2, 3))

    gx, gw = irax.grad(loss, argnums=(0, 1))(x, w)
    assert gx.dtype == np.float32 and gw.dtype == np.float32
    gx64, gw64 = irax.grad(loss, argnums=(0, 1))(x.astype(np.float64), w.astype(np.float64))
    np.testing.assert_allclose(np.asarray(gx), np.asarray(gx64), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(gw), np.asarray(gw64), rtol=1e-5, atol=1e-5)


# ---- vmap ---------------------------------------------------------------------------

VMAP_CASES = ["1d_batch_groups", "2d_nhwc_all", "2d_depthwise", "2d_odd_layout",
              "2d_batch_groups_nhwc"]


def _stacked(a, axis, size=3):
    return np.stack([a * (1 + 0.5 * i) + i for i in range(size)], axis=axis)


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0), (2, 1), (1, None),
                                     (None, 3)])
@pytest.mark.parametrize("name", VMAP_CASES)
def test_vmap_matches_a_loop(name, in_axes):
    lhs, rhs = _forward_args(13)[name]
    kwargs = FORWARD[name][2]
    xs = lhs if in_axes[0] is None else _stacked(lhs, in_axes[0])
    ws = rhs if in_axes[1] is None else _stacked(rhs, in_axes[1])
    got = irax.vmap(lambda x, w: lax.conv_general_dilated(x, w, **kwargs), in_axes)(xs, ws)
    want = [reference_conv(xs if in_axes[0] is None else np.take(xs, i, in_axes[0]),
                           ws if in_axes[1] is None else np.take(ws, i, in_axes[1]), **kwargs)
            for i in range(3)]
    np.testing.assert_allclose(np.asarray(got), np.stack(want), rtol=1e-5, atol=1e-5)


def test_jit_of_vmap_of_grad_per_example_on_two_calls():
    """Per-example kernel gradients (both operands batched inside the transpose)."""
    kwargs = FORWARD["2d_nchw"][2]

    def loss(w, x):
        out = lax.conv_general_dilated(x[None], w, **kwargs)
        return lax.reduce_sum(out * out, (0, 1, 2, 3))

    per_example = irax.jit(irax.vmap(irax.grad(loss), (None, 0)))
    for seed in (14, 15):
        lhs, rhs = _forward_args(seed)["2d_nchw"]
        got = per_example(rhs, lhs)
        want = [irax.grad(loss)(rhs, lhs[i]) for i in range(lhs.shape[0])]
        np.testing.assert_allclose(np.asarray(got), np.stack([np.asarray(g) for g in want]),
                                   rtol=2e-4, atol=2e-4)


def test_vmap_over_an_empty_axis():
    x, w = np.ones((0, 2, 3, 5), np.float32), np.ones((4, 3, 2), np.float32)
    out = irax.vmap(lambda a: lax.conv(a, w, (1,), "VALID"))(x)
    assert out.shape == (0, 2, 4, 4)


# ---- zero-size shapes ---------------------------------------------------------------

def test_zero_size_eager_and_compiled():
    import conv_cases

    for seed in (16, 17):
        rng = np.random.RandomState(seed)
        cases = conv_cases.zero_size_cases(
            lambda *s, rng=rng: rng.standard_normal(s).astype(np.float32))
        for name, (fun, args) in cases.items():
            want = reference_conv(*args, **_zero_size_parameters(name))
            for out in (fun(*args), irax.jit(fun)(*args)):
                assert out.shape == want.shape, name
                np.testing.assert_allclose(np.asarray(out), want, atol=1e-6, err_msg=name)


def _zero_size_parameters(name):
    return {"conv_general_dilated:empty_batch": {"window_strides": (1, 1), "padding": "SAME",
                                                     "dimension_numbers": NHWC},
            "conv_general_dilated:empty_output": {"window_strides": (1,), "padding": "VALID"},
            "conv_general_dilated:no_features": {"window_strides": (1,), "padding": ((1, 1),)},
            "conv_general_dilated:empty_window": {"window_strides": (2,), "padding": "VALID"}}[name]


# ---- the helpers --------------------------------------------------------------------

@pytest.mark.parametrize("in_shape, window, strides, padding, want", [
    ((5,), (4,), (2,), "SAME", [(1, 2)]),
    ((5,), (4,), (2,), "SAME_LOWER", [(2, 1)]),
    ((5,), (4,), (2,), "same", [(1, 2)]),
    ((5, 6), (3, 3), (1, 2), "VALID", [(0, 0), (0, 0)]),
    ((7, 4), (3, 1), (3, 5), "SAME", [(1, 1), (0, 0)]),
    ((2,), (5,), (1,), "SAME", [(2, 2)]),
])
def test_padtype_to_pads(in_shape, window, strides, padding, want):
    assert lax.padtype_to_pads(in_shape, window, strides, padding) == want


def test_same_padding_gives_ceil_of_size_over_stride():
    for size, k, s in itertools.product(range(1, 8), range(1, 5), range(1, 4)):
        (lo, hi), = lax.padtype_to_pads((size,), (k,), (s,), "SAME")
        assert (size + lo + hi - k) // s + 1 == -(-size // s) and hi - lo in (0, 1)


def test_conv_dimension_numbers():
    dn = lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), NHWC)
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    assert lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), None) == ((0, 1, 2),) * 3
    # spatial dimensions follow the rhs spec's order
    assert lax.conv_dimension_numbers((1, 2, 3, 4), (1, 2, 3, 4),
                                      ("NCHW", "OIWH", "NWHC")).lhs_spec == (0, 1, 3, 2)
    with pytest.raises(TypeError, match="exactly once"):
        lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), ("NCC", "OIW", "NCW"))
    with pytest.raises(TypeError, match="must have len equal"):
        lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), ("NCWH", "OIW", "NCW"))


def test_conv_and_conv_with_general_padding_are_conv_general_dilated():
    x, w = _forward_args(18)["2d_nchw"]
    np.testing.assert_allclose(np.asarray(lax.conv(x, w, (1, 2), "SAME")),
                               reference_conv(x, w, (1, 2), "SAME"), rtol=1e-5, atol=1e-5)
    out = lax.conv_with_general_padding(x, w, (2, 1), ((1, -1), (0, 2)), (1, 2), (2, 1))
    want = reference_conv(x, w, (2, 1), ((1, -1), (0, 2)), (1, 2), (2, 1))
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


def _scatter_transpose(y, w, strides, crop):
    """The transposed convolution by its definition (NHWC/HWIO, kernel as a forward
    convolution's HWIO kernel): each input element scatters y[p] * w[k] to position
    p * s + k of the full output, from which `crop` (lo, hi) pairs are cut (a negative
    hi appends zeros)."""
    n, *spatial, _ = y.shape
    window, cin = w.shape[:-2], w.shape[-2]
    full = [(i - 1) * s + k for i, s, k in zip(spatial, strides, window)]
    out = np.zeros((n, *full, cin))
    for p in itertools.product(*map(range, spatial)):
        for k in itertools.product(*map(range, window)):
            q = tuple(pi * s + ki for pi, s, ki in zip(p, strides, k))
            out[(slice(None),) + q] += y[(slice(None),) + p] @ w[k].T
    grown = np.pad(out, [(0, 0)] + [(0, max(-hi, 0)) for _, hi in crop] + [(0, 0)])
    return grown[(slice(None),) + tuple(slice(lo, f - hi) for (lo, hi), f in zip(crop, full))]


@pytest.mark.parametrize("strides, padding, consistent", [
    ((2, 1), "VALID", False),
    ((1, 3), "VALID", False),
    ((2, 2), ((1, 0), (0, 1)), True),
    ((3, 1), ((0, 2), (1, 1)), True),
])
def test_conv_transpose_with_transposed_kernel_is_the_adjoint_of_conv(strides, padding,
                                                                      consistent):
    y = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 4, 5)).astype(np.float32)  # forward HWIO: 4 -> 5
    # VALID follows Keras: the output has max(i * s, (i - 1) * s + k) elements, zeros
    # beyond the adjoint's (i - 1) * s + k
    crop = ([(0, -max(s - k, 0)) for s, k in zip(strides, w.shape[:2])]
            if padding == "VALID" else padding)
    want = _scatter_transpose(y.astype(np.float64), w.astype(np.float64), strides, crop)
    out = lax.conv_transpose(y, w, strides, padding, transpose_kernel=True,
                             use_consistent_padding=consistent)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


def test_conv_transpose_same_padding_and_kernel_conventions():
    y = RNG.standard_normal((1, 4, 3, 2)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 2, 5)).astype(np.float32)  # HWIO without transposing
    out = lax.conv_transpose(y, w, (2, 3), "SAME", rhs_dilation=(1, 2))
    assert out.shape == (1, 8, 9, 5)  # SAME: the input size times the stride
    # JAX's 'SAME' pads of the dilated kernel (3, 3) at strides (2, 3): (2, 1), (2, 2)
    want = reference_conv(y, w, (1, 1), ((2, 1), (2, 2)), lhs_dilation=(2, 3),
                          rhs_dilation=(1, 2), dimension_numbers=NHWC)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)
    explicit = lax.conv_transpose(y, w, (2, 1), ((0, 1), (2, -1)), dimension_numbers=NHWC)
    want = reference_conv(y, w, (1, 1), ((0, 1), (2, -1)), lhs_dilation=(2, 1),
                          dimension_numbers=NHWC)
    np.testing.assert_allclose(np.asarray(explicit), want, rtol=1e-5, atol=1e-5)


def _reference_patches(x, filter_shape, strides, padding, lhs_dilation=None,
                       rhs_dilation=None):
    """NCHW patches: feature c * prod(window) + flat window offset."""
    n = x.ndim - 2
    if isinstance(padding, str):
        padding = _string_pads(x.shape[2:], filter_shape, strides, padding,
                               rhs_dilation or (1,) * n)
    taps, out_sizes = reference_taps(x.astype(np.float64), filter_shape, strides, padding,
                                     lhs_dilation or (1,) * n, rhs_dilation or (1,) * n)
    return taps.reshape(x.shape[0], -1, *out_sizes)


def test_conv_general_dilated_patches():
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    out = lax.conv_general_dilated_patches(x, (2, 3), (2, 1), ((1, 0), (-1, 2)),
                                           lhs_dilation=(1, 2), rhs_dilation=(2, 1))
    want = _reference_patches(x, (2, 3), (2, 1), ((1, 0), (-1, 2)), (1, 2), (2, 1))
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-6, atol=1e-6)
    nhwc = lax.conv_general_dilated_patches(np.transpose(x, (0, 2, 3, 1)), (3, 3), (1, 1),
                                            "SAME", dimension_numbers=NHWC)
    want = _reference_patches(x, (3, 3), (1, 1), "SAME")
    np.testing.assert_allclose(np.asarray(nhwc), np.transpose(want, (0, 2, 3, 1)),
                               rtol=1e-6, atol=1e-6)


def test_conv_general_dilated_local():
    x = RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)
    patches = _reference_patches(x, (2, 2), (1, 2), "VALID")  # (2, 12, 4, 2)
    w = RNG.standard_normal((6, 12, 4, 2)).astype(np.float32)  # (O, I * window, H, W)
    out = lax.conv_general_dilated_local(x, w, (1, 2), "VALID", (2, 2))
    want = np.einsum("nihw,oihw->nohw", patches, w)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)


def test_helpers_under_jit_on_two_calls():
    fun = irax.jit(lambda x, w, y: [
        lax.conv_general_dilated_patches(x, (2, 3), (1, 2), "SAME"),
        lax.conv_transpose(y, w, (2, 1), "VALID", transpose_kernel=True)])
    for _ in range(2):
        x = RNG.standard_normal((1, 2, 4, 5)).astype(np.float32)
        y = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
        w = RNG.standard_normal((3, 2, 4, 5)).astype(np.float32)
        patches, transposed = fun(x, w, y)
        np.testing.assert_allclose(np.asarray(patches),
                                   _reference_patches(x, (2, 3), (1, 2), "SAME"),
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.asarray(transposed),
                                   _scatter_transpose(y, w, (2, 1), [(0, 0)] * 2),
                                   rtol=1e-5, atol=1e-5)


# ---- precision ----------------------------------------------------------------------

PRECISIONS = [  # precision argument, the precision_config written
    (None, None), (lax.Precision.HIGHEST, ("HIGHEST", "HIGHEST")),
    ("high", ("HIGH", "HIGH")), ((lax.Precision.DEFAULT, "float32"), ("DEFAULT", "HIGHEST")),
]


def test_precision_is_recorded_in_the_program():
    x, w = _forward_args(19)["2d_nchw"]
    for precision, want in PRECISIONS:
        fun = irax.jit(lambda a, b, p=precision: lax.conv(a, b, (1, 1), "SAME", precision=p))
        text = fun.lower(x, w).as_text()
        if want is None:
            assert "precision_config" not in text
        else:
            names = ", ".join(f"#stablehlo<precision {p}>" for p in want)
            assert f"precision_config = [{names}]" in text
    np.testing.assert_allclose(np.asarray(fun(x, w)), reference_conv(x, w, (1, 1), "SAME"),
                               rtol=1e-5, atol=1e-5)
