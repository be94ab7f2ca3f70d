"""lax's one-dimension slicing helpers: static and dynamic slices, indices and updates
along a single axis, written on `slice`, `dynamic_slice` and `dynamic_update_slice`."""
import operator

import numpy as np

from irax.core.primitives import structural as st
from irax.core.primitives.checks import normalize_axis
from irax.core.tensor import ArrayImpl, Tensor, to_tensor

__all__ = ["slice_in_dim", "index_in_dim", "dynamic_slice_in_dim", "dynamic_index_in_dim",
           "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim"]


def slice_in_dim(operand, start_index, limit_index, stride: int = 1, axis: int = 0) -> Tensor:
    """`lax.slice_in_dim`: `operand[..., start:limit:stride, ...]` along `axis`.

    `None` bounds mean the ends; negative bounds count from the end.

    Example:
      >>> lax.slice_in_dim(jnp.arange(6), 1, -1, 2)
      Array([1, 3], dtype=int32)
    """
    x = to_tensor(operand)
    axis = normalize_axis("slice_in_dim", int(axis), x.ndim)
    size = x.shape[axis]
    start = 0 if start_index is None else operator.index(start_index)
    limit = size if limit_index is None else operator.index(limit_index)
    starts, limits, strides = [0] * x.ndim, list(x.shape), [1] * x.ndim
    starts[axis] = start + size if start < 0 else start
    limits[axis] = limit + size if limit < 0 else limit
    strides[axis] = operator.index(stride)
    return st.slice(x, starts, limits, strides)


def index_in_dim(operand, index: int, axis: int = 0, keepdims: bool = True) -> Tensor:
    """`lax.index_in_dim`: the static `index` along `axis` (negative counts from the end).

    Example:
      >>> lax.index_in_dim(jnp.arange(6).reshape(2, 3), -1, axis=1, keepdims=False)
      Array([2, 5], dtype=int32)
    """
    x = to_tensor(operand)
    axis = normalize_axis("index_in_dim", int(axis), x.ndim)
    index, size = operator.index(index), x.shape[axis]
    wrapped = index + size if index < 0 else index
    if not 0 <= wrapped < size:
        raise IndexError(f"index_in_dim: index {index} is out of bounds for axis {axis} "
                         f"with size {size}")
    out = slice_in_dim(x, wrapped, wrapped + 1, 1, axis)
    return out if keepdims else st.squeeze(out, (axis,))


def _zero_like_index(index) -> Tensor:
    index = to_tensor(index)
    return ArrayImpl(np.zeros((), index.dtype), weak_type=index.weak_type)


def dynamic_slice_in_dim(operand, start_index, slice_size: int, axis: int = 0) -> Tensor:
    """`lax.dynamic_slice_in_dim`: `slice_size` elements from a (traced) start along
    `axis`; the start is clamped so the slice fits.

    Example:
      >>> lax.dynamic_slice_in_dim(jnp.arange(6), 4, 3)
      Array([3, 4, 5], dtype=int32)
    """
    x = to_tensor(operand)
    axis = normalize_axis("dynamic_slice_in_dim", int(axis), x.ndim)
    starts = [_zero_like_index(start_index)] * x.ndim
    sizes = list(x.shape)
    starts[axis], sizes[axis] = start_index, operator.index(slice_size)
    return st.dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(operand, index, axis: int = 0, keepdims: bool = True) -> Tensor:
    """`lax.dynamic_index_in_dim`: the (traced, clamped) `index` along `axis`.

    Example:
      >>> lax.dynamic_index_in_dim(jnp.arange(6).reshape(3, 2), 1, keepdims=False)
      Array([2, 3], dtype=int32)
    """
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else st.squeeze(out, (normalize_axis("dynamic_index_in_dim",
                                                                 int(axis), out.ndim),))


def dynamic_update_slice_in_dim(operand, update, start_index, axis: int) -> Tensor:
    """`lax.dynamic_update_slice_in_dim`: `operand` with `update` written from a (traced,
    clamped) start along `axis`.

    Example:
      >>> lax.dynamic_update_slice_in_dim(jnp.zeros(4), jnp.ones(2), 1, 0)
      Array([0., 1., 1., 0.], dtype=float32)
    """
    x = to_tensor(operand)
    axis = normalize_axis("dynamic_update_slice_in_dim", int(axis), x.ndim)
    starts = [_zero_like_index(start_index)] * x.ndim
    starts[axis] = start_index
    return st.dynamic_update_slice(x, update, starts)


def dynamic_update_index_in_dim(operand, update, index, axis: int) -> Tensor:
    """`lax.dynamic_update_index_in_dim`: writes `update` (with or without the `axis`
    dimension) at the (traced, clamped) `index` along `axis`.

    Example:
      >>> lax.dynamic_update_index_in_dim(jnp.zeros((2, 2)), jnp.ones(2), 1, 0)
      Array([[0., 0.],
             [1., 1.]], dtype=float32)
    """
    x, update = to_tensor(operand), to_tensor(update)
    axis = normalize_axis("dynamic_update_index_in_dim", int(axis), x.ndim)
    if update.ndim == x.ndim - 1:
        update = st.expand_dims(update, (axis,))
    elif update.ndim != x.ndim:
        raise TypeError(f"dynamic_update_index_in_dim: update of shape {update.shape} must "
                        f"have rank {x.ndim} or {x.ndim - 1} for an operand of shape "
                        f"{x.shape}")
    return dynamic_update_slice_in_dim(x, update, index, axis)
