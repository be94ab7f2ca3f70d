"""Lowering of the convolution primitives (core/primitives/conv.py) to
`stablehlo.convolution`."""
import itertools

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitives import conv as cv
from .builder import FunctionBuilder, dims_list, i64, i64_array
from .lowering import LOWERING_RULES
from .structural import pad


def _dimension_numbers(dimension_numbers) -> str:
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    return ("#stablehlo.conv<raw "
            f"input_batch_dimension = {lhs_spec[0]}, "
            f"input_feature_dimension = {lhs_spec[1]}, "
            f"input_spatial_dimensions = {dims_list(lhs_spec[2:])}, "
            f"kernel_input_feature_dimension = {rhs_spec[1]}, "
            f"kernel_output_feature_dimension = {rhs_spec[0]}, "
            f"kernel_spatial_dimensions = {dims_list(rhs_spec[2:])}, "
            f"output_batch_dimension = {out_spec[0]}, "
            f"output_feature_dimension = {out_spec[1]}, "
            f"output_spatial_dimensions = {dims_list(out_spec[2:])}>")


def _padding(padding) -> str:
    if not padding:
        return "dense<> : tensor<0x2xi64>"
    rows = ", ".join(f"[{lo}, {hi}]" for lo, hi in padding)
    return f"dense<[{rows}]> : tensor<{len(padding)}x2xi64>"


MAX_POSITIONS_AS_DOTS = 64
"""An ungrouped convolution with at most this many output positions, fewer than its
window has, is one `dot_general` per output position (`_per_output_position`)."""


def _convolution(b: FunctionBuilder, lhs, rhs, out, attrs: dict, params: dict):
    """Depthwise convolutions (one input feature per group) and ungrouped ones are
    `stablehlo.convolution`s; other grouped ones are decomposed (`_grouped_convolution`),
    and so are ungrouped ones with a few output positions and a larger window
    (`_per_output_position`)."""
    _, rhs_spec, out_spec = params["dimension_numbers"]
    in_features = rhs.shape[rhs_spec[1]]
    if params["batch_group_count"] > 1 or (params["feature_group_count"] > 1
                                           and in_features > 1):
        return _grouped_convolution(b, lhs, rhs, out, params)
    positions = int(np.prod([out.shape[d] for d in out_spec[2:]], dtype=np.int64))
    window = int(np.prod([rhs.shape[d] for d in rhs_spec[2:]], dtype=np.int64))
    if params["feature_group_count"] == 1 and positions < window and (
            positions <= MAX_POSITIONS_AS_DOTS):
        return _per_output_position(b, lhs, rhs, out, params)
    return b.op("stablehlo.convolution", [lhs, rhs], [out], attrs)[0]


def _canonical_padded(b: FunctionBuilder, lhs, rhs, params: dict):
    """(lhs in (N, C, spatial...), padded with the convolution's padding and its lhs
    dilation as interior padding; rhs in (O, I, window...))."""
    lhs_spec, rhs_spec, _ = params["dimension_numbers"]
    x, w = _transpose(b, lhs, lhs_spec), _transpose(b, rhs, rhs_spec)
    config = [(0, 0, 0)] * 2 + [(lo, hi, d - 1) for (lo, hi), d in
                                zip(params["padding"], params["lhs_dilation"])]
    return pad(b, x, b.constant(0, x.dtype), config), w


def _spatial_slice(b: FunctionBuilder, x, starts, sizes, strides):
    """`x[:, :, starts[0]::strides[0] (sizes[0] of them), ...]`."""
    n, c = x.shape[:2]
    limits = [s + (m - 1) * stride + 1 for s, m, stride in zip(starts, sizes, strides)]
    return b.emit("stablehlo.slice", x, shape=(n, c, *sizes), attrs={
        "start_indices": i64_array([0, 0, *starts]),
        "limit_indices": i64_array([n, c, *limits]),
        "strides": i64_array([1, 1, *strides])})


def _per_output_position(b: FunctionBuilder, lhs, rhs, out, params: dict):
    """An ungrouped convolution as one `dot_general` per output position, contracting
    the features and the whole window, the results stacked.  This is the shape of a
    kernel gradient (the transpose of a convolution with respect to its kernel: the
    forward pass's output is the window, its kernel size the output), which IREE 3.13
    computes 20-50x slower as a `stablehlo.convolution` (128x14x14x32 input, 3x3x32x64
    kernel: 517 ms, as dots 13 ms).

    In (N, C, spatial...) / (O, I, window...) layouts: the lhs is padded (interior
    padding is the lhs dilation); output position p reads the strided slice of it that
    starts at p * stride and steps by the rhs dilation."""
    out_spec = params["dimension_numbers"].out_spec
    x, w = _canonical_padded(b, lhs, rhs, params)
    n, o, window = x.shape[0], w.shape[0], w.shape[2:]
    out_spatial = [out.shape[d] for d in out_spec[2:]]
    spatial = list(range(2, x.ndim))
    columns = []
    for position in itertools.product(*(range(m) for m in out_spatial)):
        starts = [p * stride for p, stride in zip(position, params["window_strides"])]
        patch = _spatial_slice(b, x, starts, window, params["rhs_dilation"])
        column = b.emit("stablehlo.dot_general", patch, w, shape=(n, o), attrs={
            "dot_dimension_numbers": "#stablehlo.dot<lhs_contracting_dimensions = "
            f"{dims_list([1, *spatial])}, rhs_contracting_dimensions = "
            f"{dims_list([1, *spatial])}>"})
        columns.append(_reshape(b, column, (1, n, o)))
    stacked = columns[0] if len(columns) == 1 else b.emit(
        "stablehlo.concatenate", *columns, shape=(len(columns), n, o),
        attrs={"dimension": i64(0)})
    canonical = _transpose(b, _reshape(b, stacked, (*out_spatial, n, o)),
                           (len(out_spatial), len(out_spatial) + 1, *range(len(out_spatial))))
    return _transpose(b, canonical, np.argsort(out_spec))


def _transpose(b: FunctionBuilder, x, perm):
    perm = [int(p) for p in perm]
    if perm == list(range(x.ndim)):
        return x
    return b.emit("stablehlo.transpose", x, shape=tuple(x.shape[p] for p in perm),
                  attrs={"permutation": i64_array(perm)})


def _reshape(b: FunctionBuilder, x, shape):
    shape = tuple(int(s) for s in shape)
    return x if shape == tuple(x.shape) else b.emit("stablehlo.reshape", x, shape=shape)


def _grouped_convolution(b: FunctionBuilder, lhs, rhs, out, params: dict):
    """A convolution with batch groups, or feature groups of several input features, as
    one batched `dot_general` per window offset, summed: IREE 3.13's SPIR-V backend
    computes such `stablehlo.convolution`s wrong (zeros and garbage; depthwise ones are
    right; docs/iree_defects.md), and the lowering does not know its target.  On the
    CPU this is also faster than IREE's grouped convolution (2 groups, 32x56x56x64,
    3x3: 82 ms against 832 ms).

    In (N, C, spatial...) / (O, I, window...) layouts: the lhs is padded (interior
    padding is the lhs dilation), each window offset takes a strided slice of it,
    (batch groups, batch, feature groups, features, positions), and contracts the
    features with the kernel at that offset, (batch groups, feature groups, outputs per
    group, features), batched over both group axes."""
    out_spec = params["dimension_numbers"].out_spec
    batch_groups, groups = params["batch_group_count"], params["feature_group_count"]
    x, w = _canonical_padded(b, lhs, rhs, params)
    n, o, i = x.shape[0], w.shape[0], w.shape[1]
    out_spatial = [out.shape[d] for d in out_spec[2:]]
    positions = int(np.prod(out_spatial, dtype=np.int64))
    kernel_shape = (batch_groups, groups, o // (batch_groups * groups), i)
    total = None
    for offset in itertools.product(*(range(k) for k in w.shape[2:])):
        starts = [k * r for k, r in zip(offset, params["rhs_dilation"])]
        window = _spatial_slice(b, x, starts, out_spatial, params["window_strides"])
        window = _reshape(b, window, (batch_groups, n // batch_groups, groups, i, positions))
        tap = b.emit("stablehlo.slice", w, shape=(o, i) + (1,) * len(offset), attrs={
            "start_indices": i64_array([0, 0, *offset]),
            "limit_indices": i64_array([o, i, *(k + 1 for k in offset)]),
            "strides": i64_array([1] * w.ndim)})
        tap = _reshape(b, tap, kernel_shape)
        product = b.emit("stablehlo.dot_general", window, tap, shape=(
            batch_groups, groups, n // batch_groups, positions, kernel_shape[2]), attrs={
            "dot_dimension_numbers": "#stablehlo.dot<lhs_batching_dimensions = [0, 2], "
            "rhs_batching_dimensions = [0, 1], lhs_contracting_dimensions = [3], "
            "rhs_contracting_dimensions = [3]>"})
        total = product if total is None else b.emit("stablehlo.add", total, product)
    canonical = _reshape(b, _transpose(b, total, (2, 0, 1, 4, 3)),
                         (n // batch_groups, o, *out_spatial))
    return _transpose(b, canonical, np.argsort(out_spec))


def _complex_convolution(b: FunctionBuilder, lhs, rhs, out, attrs: dict, params: dict):
    """A complex convolution as four real ones: IREE 3.13 crashes (SIGSEGV) compiling a
    complex `stablehlo.convolution` for the CPU (docs/iree_defects.md)."""
    part = ShapedArray(out.shape, dtypes.real_dtype(out.dtype))

    def real_conv(x, y):
        return _convolution(b, x, y, part, attrs, params)

    def split(x):
        real_aval = ShapedArray(x.shape, part.dtype)
        return (b.op("stablehlo.real", [x], [real_aval])[0],
                b.op("stablehlo.imag", [x], [real_aval])[0])

    (lhs_re, lhs_im), (rhs_re, rhs_im) = split(lhs), split(rhs)
    re = b.emit("stablehlo.subtract", real_conv(lhs_re, rhs_re), real_conv(lhs_im, rhs_im))
    im = b.emit("stablehlo.add", real_conv(lhs_re, rhs_im), real_conv(lhs_im, rhs_re))
    return b.op("stablehlo.complex", [re, im], [out])[0]


def _conv_general_dilated(b: FunctionBuilder, lhs, rhs, **params):
    """`stablehlo.convolution`; with a `preferred_element_type` the operands are
    converted to it first, as the impl does.  A convolution over empty operands with a
    non-empty result (no input features, an empty window) is its zeros."""
    out = b.avals_out[0]
    if 0 in lhs.shape or 0 in rhs.shape:
        return b.constant(0, out.dtype, out.shape)
    lhs, rhs = b.convert(lhs, out.dtype), b.convert(rhs, out.dtype)
    precision = params["precision"]
    attrs = {
        "batch_group_count": i64(params["batch_group_count"]),
        "dimension_numbers": _dimension_numbers(params["dimension_numbers"]),
        "feature_group_count": i64(params["feature_group_count"]),
        "lhs_dilation": i64_array(params["lhs_dilation"]),
        "padding": _padding(params["padding"]),
        "rhs_dilation": i64_array(params["rhs_dilation"]),
        "window_strides": i64_array(params["window_strides"]),
    }
    if precision is not None:
        attrs["precision_config"] = (
            f"[#stablehlo<precision {precision[0]}>, #stablehlo<precision {precision[1]}>]")
    if dtypes.is_complex(out.dtype):
        return _complex_convolution(b, lhs, rhs, out, attrs, params)
    return _convolution(b, lhs, rhs, out, attrs, params)


LOWERING_RULES[cv.conv_general_dilated_p] = _conv_general_dilated
