"""JVP, transpose and batching rules of the convolution primitives
(core/primitives/conv.py), after JAX's.

conv_general_dilated is bilinear: its JVP is the sum of the two one-sided convolutions.
Ignoring spatial dimensions it contracts [batch m, in j] x [j, out k] -> [m, k], so its
transposes are convolutions too: lhs: [m, k] x [k, j] -> [m, j], a convolution of the
cotangent with the spatially flipped kernel (strides become lhs dilations); rhs:
[j, m] x [m, k] -> [j, k], a convolution of the input with the cotangent (strides become
rhs dilations).  Feature groups of the forward convolution become batch groups of the
rhs transpose and vice versa.  Batching folds the mapped dimension into the lhs batch
(or feature groups) and the rhs output features.
"""
import numpy as np

from irax.core.aval import ShapedArray
from irax.core.primitives import conv as cv
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval
from irax.transforms.ad import TRANSPOSE_RULES, Zero, is_undefined
from irax.transforms.batching import BATCH_RULES

from .helpers import defjvp, shape_of

conv_p = cv.conv_general_dilated_p

# ---- JVP ------------------------------------------------------------------------------

defjvp(conv_p,
       lambda t, lhs, rhs, **params: conv_p.bind(t, rhs, **params),
       lambda t, lhs, rhs, **params: conv_p.bind(lhs, t, **params))


# ---- reshapes moving an axis into or out of another ---------------------------------

def _reshape_axis_into(src: int, dst: int, x):
    """Merges axis `src` into axis `dst` (numbered without `src`) as its major part."""
    shape = list(shape_of(x))
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    size = shape.pop(src)
    shape[dst] *= size
    return st.reshape(x, shape, perm)


def _reshape_axis_out_of(src: int, major: int, x):
    """Splits axis `src` into (major, rest) axes."""
    shape = list(shape_of(x))
    shape[src:src + 1] = [major, shape[src] // major]
    return st.reshape(x, shape)


def _convert(x, dtype):
    return x if get_aval(x).dtype == dtype else ew.convert_element_type(x, dtype)


# ---- transpose ------------------------------------------------------------------------

def _spec_transpose(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _vjp_lhs_padding(in_shape, window, strides, out_shape, padding, lhs_dilation,
                     rhs_dilation):
    lhs_dilated = [cv.dilate_dim(s, d) for s, d in zip(in_shape, lhs_dilation)]
    rhs_dilated = [cv.dilate_dim(s, d) for s, d in zip(window, rhs_dilation)]
    out_dilated = [cv.dilate_dim(s, d) for s, d in zip(out_shape, strides)]
    before = [r - lo - 1 for r, (lo, _) in zip(rhs_dilated, padding)]
    after = [l + r - 1 - o - b for l, r, o, b in
             zip(lhs_dilated, rhs_dilated, out_dilated, before)]
    return tuple(zip(before, after))


def _vjp_rhs_padding(in_shape, window, strides, out_shape, padding, lhs_dilation,
                     rhs_dilation):
    lhs_dilated = [cv.dilate_dim(s, d) for s, d in zip(in_shape, lhs_dilation)]
    rhs_dilated = [cv.dilate_dim(s, d) for s, d in zip(window, rhs_dilation)]
    out_dilated = [cv.dilate_dim(s, d) for s, d in zip(out_shape, strides)]
    lows = [lo for lo, _ in padding]
    highs = [o - l + r - lo - 1 for o, l, r, lo in
             zip(out_dilated, lhs_dilated, rhs_dilated, lows)]
    return tuple(zip(lows, highs))


def _transpose_lhs(ct, lhs_aval, rhs, *, window_strides, padding, lhs_dilation,
                   rhs_dilation, dimension_numbers, feature_group_count, batch_group_count,
                   precision, preferred_element_type):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    rhs_shape = shape_of(rhs)
    groups = max(feature_group_count, batch_group_count)
    if groups > 1:
        # the group axis moves from the kernel's output features to its input features
        rhs = _reshape_axis_out_of(rhs_spec[0], groups, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
    new_padding = _vjp_lhs_padding(
        [lhs_aval.shape[d] for d in lhs_spec[2:]], [rhs_shape[d] for d in rhs_spec[2:]],
        window_strides, [shape_of(ct)[d] for d in out_spec[2:]], padding, lhs_dilation,
        rhs_dilation)
    flipped = _convert(st.rev(rhs, rhs_spec[2:]), get_aval(ct).dtype)
    out = conv_p.bind(
        ct, flipped, window_strides=lhs_dilation, padding=new_padding,
        lhs_dilation=window_strides, rhs_dilation=rhs_dilation,
        dimension_numbers=cv.ConvDimensionNumbers(out_spec, _spec_transpose(rhs_spec),
                                                  lhs_spec),
        feature_group_count=groups, batch_group_count=1, precision=precision,
        preferred_element_type=preferred_element_type)
    out = _convert(out, lhs_aval.dtype)
    if batch_group_count > 1:
        out = _reshape_axis_out_of(lhs_spec[1], batch_group_count, out)
        out = _reshape_axis_into(lhs_spec[1], lhs_spec[0], out)
    return out


def _transpose_rhs(ct, lhs, rhs_aval, *, window_strides, padding, lhs_dilation,
                   rhs_dilation, dimension_numbers, feature_group_count, batch_group_count,
                   precision, preferred_element_type):
    if 0 in shape_of(ct):
        return Zero(rhs_aval)  # no degenerate convolution with an empty window
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    new_padding = _vjp_rhs_padding(
        [shape_of(lhs)[d] for d in lhs_spec[2:]], [rhs_aval.shape[d] for d in rhs_spec[2:]],
        window_strides, [shape_of(ct)[d] for d in out_spec[2:]], padding, lhs_dilation,
        rhs_dilation)
    out = conv_p.bind(
        _convert(lhs, get_aval(ct).dtype), ct, window_strides=rhs_dilation,
        padding=new_padding, lhs_dilation=lhs_dilation, rhs_dilation=window_strides,
        dimension_numbers=cv.ConvDimensionNumbers(_spec_transpose(lhs_spec),
                                                  _spec_transpose(out_spec),
                                                  _spec_transpose(rhs_spec)),
        feature_group_count=batch_group_count, batch_group_count=feature_group_count,
        precision=precision, preferred_element_type=preferred_element_type)
    return _convert(out, rhs_aval.dtype)


def _conv_transpose_rule(ct, lhs, rhs, **params):
    if is_undefined(lhs) and is_undefined(rhs):
        raise TypeError("conv_general_dilated of two linear values is not linear")
    if is_undefined(lhs):
        return [_transpose_lhs(ct, lhs.aval, rhs, **params), None]
    return [None, _transpose_rhs(ct, lhs, rhs.aval, **params)]


TRANSPOSE_RULES[conv_p] = _conv_transpose_rule


# ---- batching -------------------------------------------------------------------------

def _unbatched_aval(x, bdim):
    aval = get_aval(x)
    shape = aval.shape if bdim is None else aval.shape[:bdim] + aval.shape[bdim + 1:]
    return ShapedArray(shape, aval.dtype)


def _conv_batch_rule(vals, dims, **params):
    (lhs, rhs), (lhs_bdim, rhs_bdim) = vals, dims
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    groups, batch_groups = params["feature_group_count"], params["batch_group_count"]
    size = shape_of(lhs)[lhs_bdim] if lhs_bdim is not None else shape_of(rhs)[rhs_bdim]
    if size == 0:  # no reshape can fold an empty mapped axis: the result is empty
        out = conv_p.abstract_eval(_unbatched_aval(lhs, lhs_bdim),
                                   _unbatched_aval(rhs, rhs_bdim), **params)
        zero = ArrayImpl(np.zeros((), out.dtype))
        return st.broadcast_in_dim(zero, (0,) + tuple(out.shape), ()), 0
    if lhs_bdim is not None and rhs_bdim is not None:
        # each member convolves with its own kernel: members become feature groups
        if batch_groups > 1:
            new_lhs = _reshape_axis_into(lhs_bdim, lhs_spec[0], lhs)
            params = dict(params, batch_group_count=batch_groups * size)
        else:
            new_lhs = _reshape_axis_into(lhs_bdim, lhs_spec[1], lhs)
            params = dict(params, feature_group_count=groups * size)
        new_rhs = _reshape_axis_into(rhs_bdim, rhs_spec[0], rhs)
        out = conv_p.bind(new_lhs, new_rhs, **params)
        return _reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    if lhs_bdim is not None:
        if batch_groups == 1:
            new_lhs = _reshape_axis_into(lhs_bdim, lhs_spec[0], lhs)
        else:  # the members go inside each batch group
            new_lhs = _reshape_axis_out_of(lhs_spec[0] + int(lhs_bdim <= lhs_spec[0]),
                                           batch_groups, lhs)
            new_lhs = _reshape_axis_into(lhs_bdim + int(lhs_spec[0] < lhs_bdim),
                                         lhs_spec[0] + 1, new_lhs)
            new_lhs = _reshape_axis_into(lhs_spec[0], lhs_spec[0], new_lhs)
        out = conv_p.bind(new_lhs, rhs, **params)
        return _reshape_axis_out_of(out_spec[0], size, out), out_spec[0]
    if groups == 1 and batch_groups == 1:
        new_rhs = _reshape_axis_into(rhs_bdim, rhs_spec[0], rhs)
        out = conv_p.bind(lhs, new_rhs, **params)
        return _reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    # groups stay outermost in the kernel's output features: members go inside them
    count = max(groups, batch_groups)
    new_rhs = _reshape_axis_out_of(rhs_spec[0] + int(rhs_bdim <= rhs_spec[0]), count, rhs)
    new_rhs = _reshape_axis_into(rhs_bdim + int(rhs_spec[0] < rhs_bdim), rhs_spec[0] + 1,
                                 new_rhs)
    new_rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[0], new_rhs)
    out = conv_p.bind(lhs, new_rhs, **params)
    out = _reshape_axis_out_of(out_spec[1], count, out)
    out = _reshape_axis_out_of(out_spec[1] + 1, size, out)
    return _reshape_axis_into(out_spec[1], out_spec[1] + 1, out), out_spec[1]


BATCH_RULES[conv_p] = _conv_batch_rule
