"""Convolution primitives: `conv_general_dilated` (abstract eval, NumPy impl, binding
function), with the dimension-number, padding and precision conventions of lax.

The primitive's parameters are canonical: `dimension_numbers` a `ConvDimensionNumbers`
of integer tuples, `padding` explicit (lo, hi) pairs, dilations and strides tuples,
`precision` None or a pair of `Precision` names, `preferred_element_type` None or a dtype.
"""
import enum
import itertools
import operator
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor
from .checks import dtypes_of_kinds

_NAME = "conv_general_dilated"
_NUMERIC = dtypes_of_kinds("iufc")


class ConvDimensionNumbers(NamedTuple):
    """`lax.ConvDimensionNumbers(lhs_spec, rhs_spec, out_spec)`: where the batch,
    feature and spatial dimensions of a convolution's operands and result are.

    `lhs_spec` and `out_spec` are (batch dim, feature dim, spatial dims...); `rhs_spec`
    is (output feature dim, input feature dim, spatial dims...).

    Example:
      >>> lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))  # NHWC/HWIO
      ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """

    lhs_spec: Sequence[int]
    rhs_spec: Sequence[int]
    out_spec: Sequence[int]


class Precision(enum.Enum):
    """`lax.Precision`: the requested precision of a convolution's products (DEFAULT,
    HIGH, HIGHEST), written into StableHLO's `precision_config`.  irax's CPU and Vulkan
    targets compute float32 products in float32 whatever the request, as JAX's CPU
    backend does.

    Example:
      >>> lax.conv(x, w, (1, 1), "SAME", precision=lax.Precision.HIGHEST)
    """

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2


_PRECISION_NAMES = {"default": "DEFAULT", "fastest": "DEFAULT", "bfloat16": "DEFAULT",
                    "high": "HIGH", "bfloat16_3x": "HIGH", "tensorfloat32": "HIGH",
                    "highest": "HIGHEST", "float32": "HIGHEST"}


def _precision_name(precision) -> str:
    if isinstance(precision, str) and precision.lower() in _PRECISION_NAMES:
        return _PRECISION_NAMES[precision.lower()]
    name = getattr(precision, "name", None)  # lax.Precision, or JAX's own enum
    if name in ("DEFAULT", "HIGH", "HIGHEST"):
        return name
    raise ValueError(f"{_NAME}: precision must be None, a lax.Precision, one of "
                     f"{sorted(_PRECISION_NAMES)} or a pair of those, got {precision!r}")


def canonicalize_precision(precision) -> tuple[str, str] | None:
    """None, or the (lhs, rhs) pair of precision names ("DEFAULT", "HIGH", "HIGHEST")."""
    if precision is None:
        return None
    if isinstance(precision, (tuple, list)) and len(precision) == 2:
        return _precision_name(precision[0]), _precision_name(precision[1])
    name = _precision_name(precision)
    return name, name


# ---- dimension numbers and padding --------------------------------------------------

def conv_general_permutations(dimension_numbers) -> tuple[tuple, tuple, tuple]:
    """The (lhs, rhs, out) dimension permutations of string dimension numbers such as
    ('NHWC', 'HWIO', 'NHWC'): batch/output-feature first, feature/input-feature second,
    then the spatial dimensions in the order they appear in the rhs spec."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    charpairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (a, b) in enumerate(charpairs):
        spec = dimension_numbers[i]
        if not spec.count(a) == spec.count(b) == 1:
            raise TypeError(f"convolution dimension_numbers[{i}] must contain the "
                            f"characters '{a}' and '{b}' exactly once, got {spec}.")
        if len(spec) != len(set(spec)):
            raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate "
                            f"characters, got {spec}.")
    if not (set(lhs_spec) - {"N", "C"} == set(rhs_spec) - {"O", "I"}
            == set(out_spec) - {"N", "C"}):
        raise TypeError("convolution dimension_numbers elements must each have the same "
                        f"set of spatial characters, got {tuple(dimension_numbers)}.")

    def permutation(spec, charpair):
        spatial = sorted((i for i, c in enumerate(spec) if c not in charpair),
                         key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(charpair[0]), spec.index(charpair[1])) + tuple(spatial)

    return tuple(permutation(s, c) for s, c in zip(dimension_numbers, charpairs))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """`lax.conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)`: converts
    None (NCHW/OIHW/NCHW), a triple of spec strings or a `ConvDimensionNumbers` to a
    `ConvDimensionNumbers` of integer tuples.

    Example:
      >>> lax.conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), ("NHWC", "HWIO", "NHWC"))
      ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return ConvDimensionNumbers(*(tuple(int(d) for d in spec)
                                      for spec in dimension_numbers))
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError("convolution requires lhs and rhs ndim to be equal, got "
                        f"{len(lhs_shape)} and {len(rhs_shape)}.")
    if dimension_numbers is None:
        identity = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(identity, identity, identity)
    if not isinstance(dimension_numbers, (list, tuple)):
        raise TypeError("convolution dimension_numbers must be tuple/list or None, got "
                        f"{type(dimension_numbers)}.")
    if len(dimension_numbers) != 3:
        raise TypeError("convolution dimension_numbers list/tuple must be length 3, got "
                        f"{len(dimension_numbers)}.")
    if not all(isinstance(spec, str) for spec in dimension_numbers):
        raise TypeError("convolution dimension_numbers elements must be strings, got "
                        f"{tuple(map(type, dimension_numbers))}.")
    for i, spec in enumerate(dimension_numbers):
        if len(spec) != len(lhs_shape):
            raise TypeError(f"convolution dimension_numbers[{i}] must have len equal to "
                            f"the ndim of lhs and rhs, got {len(spec)} for lhs and rhs "
                            f"shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}.")
    return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))


def dilate_dim(size: int, dilation: int) -> int:
    """The size of a dimension with `dilation - 1` zeros inserted between elements."""
    return 0 if size == 0 else 1 + dilation * (size - 1)


def stride_dim(size: int, window: int, stride: int) -> int:
    """The number of windows of size `window` at `stride` that fit in `size`."""
    return 0 if size < window else (size - window) // stride + 1


def padtype_to_pads(in_shape, window_shape, window_strides, padding) -> list[tuple[int, int]]:
    """`lax.padtype_to_pads(in_shape, window_shape, window_strides, padding)`: the
    (low, high) pads of 'VALID' (none), 'SAME' (output size ceil(in / stride), an odd
    total pad puts the extra element at the end) or 'SAME_LOWER' (at the start).

    Example:
      >>> lax.padtype_to_pads((5,), (4,), (2,), "SAME")
      [(1, 2)]
    """
    name = getattr(padding, "name", padding)
    if not isinstance(name, str) or name.upper() not in ("VALID", "SAME", "SAME_LOWER"):
        raise RuntimeError("Unrecognized padding type: expected 'VALID', 'SAME', or "
                           f"'SAME_LOWER', got {padding}.")
    name = name.upper()
    if name == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for size, window, stride in zip(in_shape, window_shape, window_strides):
        out = -(-int(size) // int(stride))
        total = max((out - 1) * int(stride) + int(window) - int(size), 0)
        low = total // 2 if name == "SAME" else total - total // 2
        pads.append((low, total - low))
    return pads


# ---- shape and dtype rules ----------------------------------------------------------

def _check_spec(spec, ndim: int, which: str) -> None:
    if sorted(spec) != list(range(ndim)):
        raise ShapeError(f"{_NAME}: dimension_numbers.{which} {tuple(spec)} is not a "
                         f"permutation of the {ndim} dimensions of the operands")


def _check_parameters(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                      dimension_numbers, feature_group_count, batch_group_count) -> None:
    shapes = f"lhs {tuple(lhs.shape)} and rhs {tuple(rhs.shape)}"
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise ShapeError(f"{_NAME}: lhs and rhs must have the same rank, at least 2, got "
                         f"{shapes}")
    for spec, which in zip(dimension_numbers, ("lhs_spec", "rhs_spec", "out_spec")):
        _check_spec(spec, lhs.ndim, which)
    n = lhs.ndim - 2
    for values, what in ((window_strides, "window_strides"), (padding, "padding"),
                         (lhs_dilation, "lhs_dilation"), (rhs_dilation, "rhs_dilation")):
        if len(values) != n:
            raise ShapeError(f"{_NAME}: {what} {tuple(values)} must have one entry per "
                             f"spatial dimension ({n}) of {shapes}")
    for values, what in ((window_strides, "window_strides"), (lhs_dilation, "lhs_dilation"),
                         (rhs_dilation, "rhs_dilation")):
        if any(v < 1 for v in values):
            raise ShapeError(f"{_NAME}: {what} must be positive, got {tuple(values)}")
    lhs_spec, rhs_spec, _ = dimension_numbers
    in_features, out_features = lhs.shape[lhs_spec[1]], rhs.shape[rhs_spec[0]]
    if feature_group_count < 1 or batch_group_count < 1:
        raise ShapeError(f"{_NAME}: feature_group_count ({feature_group_count}) and "
                         f"batch_group_count ({batch_group_count}) must be positive")
    if feature_group_count > 1 and batch_group_count > 1:
        raise ShapeError(f"{_NAME}: at most one of batch_group_count ({batch_group_count}) "
                         f"and feature_group_count ({feature_group_count}) may be > 1")
    if in_features % feature_group_count:
        raise ShapeError(f"{_NAME}: feature_group_count {feature_group_count} must divide "
                         f"the lhs feature dimension size {in_features} ({shapes})")
    if in_features // feature_group_count != rhs.shape[rhs_spec[1]]:
        raise ShapeError(f"{_NAME}: the lhs feature dimension size divided by "
                         f"feature_group_count must equal the rhs input feature dimension "
                         f"size, but {in_features} // {feature_group_count} != "
                         f"{rhs.shape[rhs_spec[1]]} ({shapes})")
    for count, what in ((feature_group_count, "feature_group_count"),
                        (batch_group_count, "batch_group_count")):
        if out_features % count:
            raise ShapeError(f"{_NAME}: the rhs output feature dimension size "
                             f"{out_features} must be a multiple of {what} {count} "
                             f"({shapes})")
    if lhs.shape[lhs_spec[0]] % batch_group_count:
        raise ShapeError(f"{_NAME}: batch_group_count {batch_group_count} must divide the "
                         f"lhs batch dimension size {lhs.shape[lhs_spec[0]]} ({shapes})")


def _conv_shape(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                dimension_numbers, feature_group_count, batch_group_count, **_) -> tuple:
    _check_parameters(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                      dimension_numbers, feature_group_count, batch_group_count)
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    spatial = []
    for i, (lo, hi) in enumerate(padding):
        size = dilate_dim(lhs.shape[lhs_spec[2 + i]], lhs_dilation[i]) + lo + hi
        if size < 0:
            raise ShapeError(f"{_NAME}: negative padding {tuple(padding)} is larger than "
                             f"spatial dimension {i} of lhs {tuple(lhs.shape)}")
        window = dilate_dim(rhs.shape[rhs_spec[2 + i]], rhs_dilation[i])
        spatial.append(stride_dim(size, window, window_strides[i]))
    canonical = (lhs.shape[lhs_spec[0]] // batch_group_count, rhs.shape[rhs_spec[0]],
                 *spatial)
    return tuple(canonical[out_spec.index(d)] for d in range(lhs.ndim))


def _check_preferred(input_dtype, preferred) -> None:
    if dtypes.is_integer(input_dtype) and dtypes.is_float(preferred):
        return
    for kind_test in (dtypes.is_integer, dtypes.is_float, dtypes.is_complex):
        if kind_test(input_dtype) and not kind_test(preferred):
            raise TypeError(f"{_NAME}: preferred_element_type {preferred} is incompatible "
                            f"with the input dtype {input_dtype}; the combinations are "
                            "(integral, integral), (integral, floating), (floating, "
                            "floating) and (complex, complex)")
    if input_dtype.kind == "i" and preferred.kind != "i":
        raise TypeError(f"{_NAME}: preferred_element_type {preferred} must have the same "
                        f"signedness as the input dtype {input_dtype}")
    if preferred.itemsize < input_dtype.itemsize:
        raise TypeError(f"{_NAME}: preferred_element_type {preferred} must not be narrower "
                        f"than the input dtype {input_dtype}")


def _conv_dtype(lhs, rhs, preferred_element_type) -> np.dtype:
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"{_NAME} requires operands of one dtype, got {lhs.dtype} and "
                        f"{rhs.dtype}")
    if lhs.dtype not in _NUMERIC:
        raise TypeError(f"{_NAME} does not accept dtype {lhs.dtype}; it needs a numeric "
                        "dtype")
    if preferred_element_type is None:
        return lhs.dtype
    _check_preferred(lhs.dtype, preferred_element_type)
    return preferred_element_type


def _abstract_eval(lhs, rhs, **params):
    dtype = _conv_dtype(lhs, rhs, params["preferred_element_type"])
    return ShapedArray(_conv_shape(lhs, rhs, **params), dtype)


# ---- NumPy impl ---------------------------------------------------------------------

def _accumulation_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy sums in: int64/uint64 for integers (wrapping like the result type),
    float32 for 16-bit floats, the dtype itself otherwise."""
    if dtype.kind in "iu":
        return np.dtype(f"{dtype.kind}8")
    if dtype.kind == "f" and dtype.itemsize < 4 or dtype == dtypes.bfloat16:
        return np.dtype(np.float32)
    return dtype


def _dilated_padded(x: np.ndarray, padding, lhs_dilation) -> np.ndarray:
    """x (N, C, spatial...) with zeros inserted between elements, then padded (negative
    pads crop)."""
    shape = x.shape[:2] + tuple(dilate_dim(s, d) for s, d in zip(x.shape[2:], lhs_dilation))
    dilated = np.zeros(shape, x.dtype)
    dilated[(slice(None),) * 2 + tuple(slice(None, None, d) for d in lhs_dilation)] = x
    crop = tuple(slice(max(-lo, 0), s - max(-hi, 0))
                 for s, (lo, hi) in zip(shape[2:], padding))
    cropped = dilated[(slice(None),) * 2 + crop]
    return np.pad(cropped, [(0, 0)] * 2 + [(max(lo, 0), max(hi, 0)) for lo, hi in padding])


def _impl(lhs, rhs, **params):
    out_dtype = _conv_dtype(lhs, rhs, params["preferred_element_type"])
    out_shape = _conv_shape(lhs, rhs, **params)
    lhs_spec, rhs_spec, out_spec = params["dimension_numbers"]
    groups, batch_groups = params["feature_group_count"], params["batch_group_count"]
    acc = _accumulation_dtype(out_dtype)
    x = np.transpose(lhs, lhs_spec).astype(acc)
    w = np.transpose(rhs, rhs_spec).astype(acc)
    n = x.shape[0]
    o, i = w.shape[:2]
    out_spatial = tuple(out_shape[d] for d in out_spec[2:])
    out = np.zeros((n // batch_groups, o) + out_spatial, acc)
    if out.size and x.size and w.size:
        x = _dilated_padded(x, params["padding"], params["lhs_dilation"])
        # x: (batch groups, batch, feature groups, features, spatial...)
        x = x.reshape((batch_groups, n // batch_groups, groups, i) + x.shape[2:])
        # w: (batch groups, feature groups, outputs per group, features, window...)
        w = w.reshape((batch_groups, groups, o // (groups * batch_groups), i) + w.shape[2:])
        strides, rhs_dilation = params["window_strides"], params["rhs_dilation"]
        total = 0
        for offset in itertools.product(*(range(k) for k in w.shape[4:])):
            window = tuple(slice(k * r, k * r + (m - 1) * s + 1, s) for k, r, m, s in
                           zip(offset, rhs_dilation, out_spatial, strides))
            total = total + np.einsum("bngc...,bgoc->nbgo...", x[(slice(None),) * 4 + window],
                                      w[(Ellipsis,) + offset])
        out = np.reshape(total, out.shape)
    return np.transpose(out, np.argsort(out_spec)).astype(out_dtype)


conv_general_dilated_p = Primitive(_NAME)
conv_general_dilated_p.def_abstract_eval(_abstract_eval)
conv_general_dilated_p.def_impl(_impl)
conv_general_dilated_p.weak_type_rule = lambda args, params: (
    params["preferred_element_type"] is None and all(a.weak_type for a in args))


# ---- binding function (irax.lax) ----------------------------------------------------

def _explicit_padding(padding) -> tuple:
    try:
        return tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (ValueError, TypeError) as e:
        raise ValueError(f"padding argument to {_NAME} should be a string or a sequence of "
                         f"(low, high) pairs, got {padding}") from e


def conv_general_dilated(lhs, rhs, window_strides: Sequence[int], padding,
                         lhs_dilation: Sequence[int] | None = None,
                         rhs_dilation: Sequence[int] | None = None,
                         dimension_numbers=None, feature_group_count: int = 1,
                         batch_group_count: int = 1, precision=None,
                         preferred_element_type=None):
    """`lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
    rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
    batch_group_count=1, precision=None, preferred_element_type=None)`: general
    n-dimensional convolution (cross-correlation, as XLA's Conv) with dilations.

    Args:
      lhs: the rank n+2 input; rhs: the rank n+2 kernel, of lhs's dtype.
      window_strides: n strides.
      padding: 'SAME', 'SAME_LOWER', 'VALID' or n (low, high) pairs (negative crops);
        the pads apply to the lhs after its dilation.
      lhs_dilation, rhs_dilation: n dilation factors (None: ones). lhs dilation is a
        transposed convolution; string padding is not allowed with it.
      dimension_numbers: None (NCHW, OIHW, NCHW), a `ConvDimensionNumbers` or a triple
        of spec strings such as ('NHWC', 'HWIO', 'NHWC').
      feature_group_count: splits the lhs features (and rhs outputs) into groups.
      batch_group_count: splits the lhs batch (and rhs outputs) into groups.
      precision: None, a `Precision`, a string or a pair (recorded in the program).
      preferred_element_type: the result (and accumulation) dtype.

    Returns:
      The convolution, laid out by the output spec.

    Example:
      >>> x = jnp.ones((1, 5, 5, 1)); w = jnp.ones((3, 3, 1, 1))
      >>> lax.conv_general_dilated(x, w, (2, 2), "SAME",
      ...                          dimension_numbers=("NHWC", "HWIO", "NHWC"))[0, :, :, 0]
      Array([[4., 6., 4.],
             [6., 9., 6.],
             [4., 6., 4.]], dtype=float32)
    """
    lhs, rhs = to_tensor(lhs), to_tensor(rhs)
    if lhs.ndim < 2 or lhs.ndim != rhs.ndim:
        raise ShapeError(f"{_NAME}: lhs and rhs must be arrays of the same rank, at least "
                         f"2, got shapes {lhs.shape} and {rhs.shape}")
    dnums = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    n = lhs.ndim - 2
    lhs_dilation = (1,) * n if lhs_dilation is None else tuple(int(d) for d in lhs_dilation)
    rhs_dilation = (1,) * n if rhs_dilation is None else tuple(int(d) for d in rhs_dilation)
    window_strides = tuple(int(s) for s in window_strides)
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dilation):
            raise ValueError("String padding is not implemented for transposed convolution "
                             "using this op. Please either exactly specify the required "
                             "padding or use conv_transpose.")
        in_spatial = [lhs.shape[d] for d in dnums.lhs_spec[2:]]
        windows = [dilate_dim(rhs.shape[d], r) for d, r in zip(dnums.rhs_spec[2:],
                                                                rhs_dilation)]
        padding = padtype_to_pads(in_spatial, windows, window_strides, padding)
    preferred = (None if preferred_element_type is None else
                 dtypes.canonicalize_dtype(dtypes.to_dtype(preferred_element_type)))
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=window_strides, padding=_explicit_padding(padding),
        lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation, dimension_numbers=dnums,
        feature_group_count=operator.index(feature_group_count),
        batch_group_count=operator.index(batch_group_count),
        precision=canonicalize_precision(precision), preferred_element_type=preferred)

