"""Padding of irax.numpy: `pad` with NumPy's modes.

'constant' (and 'empty') pads are one lax `pad` (or, for per-axis fill values, a
concatenation); the other modes index the array with NumPy's own pad of an `arange`
(a few slices, or a gather), so they work on traced values and are differentiable.
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor, to_tensor

from . import util
from .shape_ops import _take_static

__all__ = ["pad"]

_PAD_MODES = ("constant", "empty", "edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    """Pads an array (`numpy.pad`).

    Args:
      array: the array.
      pad_width: the (before, after) amounts per axis: an int, a pair, or one pair
        per axis.
      mode: 'constant' (fill with `constant_values`), 'empty' (as constant 0), 'edge'
        (repeat the edge values), 'reflect' (mirror without the edge), 'symmetric'
        (mirror with the edge) or 'wrap' (periodic).
      constant_values: the fill for 'constant': a scalar or (before, after) values per
        axis; cast to the array's dtype.

    Returns:
      The padded array.

    Example:
      >>> jnp.pad(jnp.array([1, 2]), (1, 2), mode="edge")
      Array([1, 1, 2, 2, 2], dtype=int32)
    """
    x = util.asarray_arg("pad", array)
    widths = _pad_widths(x, pad_width)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unsupported mode {mode!r}; irax supports "
                         f"{', '.join(_PAD_MODES)}")
    if mode in ("constant", "empty"):
        return _pad_constant(x, widths, constant_values if mode == "constant" else 0)
    for ax, (before, after) in enumerate(widths):
        if not before and not after:
            continue
        if not x.shape[ax]:
            raise ValueError(f"pad: cannot extend the empty axis {ax} of an array of shape "
                             f"{x.shape} with mode {mode!r}")
        idx = np.pad(np.arange(x.shape[ax]), (before, after), mode=mode)
        x = _take_static(x, idx, ax)
    return x


def _pad_widths(x: Tensor, pad_width) -> np.ndarray:
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must hold integers, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError as err:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit an array of shape "
                         f"{x.shape}") from err
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} contains negative values")
    return widths.tolist()


def _pad_constant(x: Tensor, widths: list, constant_values) -> Tensor:
    if isinstance(constant_values, Tensor) and constant_values.ndim == 0 or np.ndim(
            constant_values) == 0:
        value = ew.convert_element_type(util.asarray_arg("pad", constant_values), x.dtype)
        return st.pad(x, value, [(lo, hi, 0) for lo, hi in widths])
    values = np.broadcast_to(np.asarray(constant_values), (x.ndim, 2))
    for ax, ((before, after), fills) in enumerate(zip(widths, values)):
        parts = []
        for width, fill in ((before, fills[0]), (after, fills[1])):
            shape = list(x.shape)
            shape[ax] = width
            value = ew.convert_element_type(to_tensor(np.asarray(fill)), x.dtype)
            parts.append(st.broadcast_in_dim(value, shape, ()))
        x = st.concatenate([parts[0], x, parts[1]], ax)
    return x
