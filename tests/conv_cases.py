"""Sample calls of the convolution primitives for the registry-wide suites
(tests/primitive_cases.py merges them)."""
import numpy as np

from irax.core.primitives.conv import conv_general_dilated

_rng = np.random.RandomState(7)


def _grouped_nhwc(x, w):
    """2-D NHWC/HWIO: stride, odd and negative padding, rhs dilation, 2 feature groups."""
    return conv_general_dilated(x, w, (2, 1), ((1, 2), (-1, 1)), rhs_dilation=(1, 2),
                                dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                feature_group_count=2)


def _batch_grouped_ncw(x, w):
    """1-D NCW/OIW: lhs dilation (a transposed convolution) and 2 batch groups."""
    return conv_general_dilated(x, w, (1,), ((1, 0),), lhs_dilation=(2,),
                                batch_group_count=2)


def _depthwise_nwc(x, w):
    """1-D NWC/WIO depthwise (one input feature per group, two outputs each), strided."""
    return conv_general_dilated(x, w, (2,), "SAME", dimension_numbers=("NWC", "WIO", "NWC"),
                                feature_group_count=3)


DIFFERENTIABLE: dict = {
    "conv_general_dilated": (_grouped_nhwc, [_rng.standard_normal((2, 5, 4, 4)),
                                             _rng.standard_normal((2, 2, 2, 4))]),
    "conv_general_dilated:batch_groups": (_batch_grouped_ncw,
                                          [_rng.standard_normal((4, 2, 3)),
                                           _rng.standard_normal((4, 2, 2))]),
    "conv_general_dilated:depthwise": (_depthwise_nwc, [_rng.standard_normal((2, 5, 3)),
                                                        _rng.standard_normal((3, 1, 6))]),
}
NON_DIFFERENTIABLE: dict = {}


def zero_size_cases(f) -> dict:
    """Zero-size cases for tests/test_zero_size.py (`f(*shape)` makes float32 arrays):
    an empty batch, an empty spatial output, no input features (a non-empty result of
    zeros) and an empty kernel window."""
    nhwc = ("NHWC", "HWIO", "NHWC")
    return {
        "conv_general_dilated:empty_batch": (
            lambda x, w: conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=nhwc),
            [f(0, 4, 4, 2), f(3, 3, 2, 3)]),
        "conv_general_dilated:empty_output": (
            lambda x, w: conv_general_dilated(x, w, (1,), "VALID"), [f(2, 3, 2), f(4, 3, 3)]),
        "conv_general_dilated:no_features": (
            lambda x, w: conv_general_dilated(x, w, (1,), ((1, 1),)), [f(2, 0, 4), f(3, 0, 2)]),
        "conv_general_dilated:empty_window": (
            lambda x, w: conv_general_dilated(x, w, (2,), "VALID"), [f(2, 3, 4), f(3, 3, 0)]),
    }
