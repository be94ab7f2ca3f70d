"""lax's convolutions: `conv_general_dilated` and its helpers (`conv`,
`conv_with_general_padding`, `conv_transpose`, `conv_dimension_numbers`,
`conv_general_dilated_patches`, `conv_general_dilated_local`, `padtype_to_pads`)."""
from collections.abc import Sequence

import numpy as np

from irax.core.primitives import linalg as _linalg
from irax.core.primitives import structural as _st
from irax.core.primitives.conv import (
    ConvDimensionNumbers,
    Precision,
    conv_dimension_numbers,
    conv_general_dilated,
    dilate_dim,
    padtype_to_pads,
)
from irax.core.tensor import to_tensor as _to_tensor

__all__ = ["ConvDimensionNumbers", "Precision", "conv", "conv_dimension_numbers",
           "conv_general_dilated", "conv_general_dilated_local",
           "conv_general_dilated_patches", "conv_transpose", "conv_with_general_padding",
           "padtype_to_pads"]


def conv(lhs, rhs, window_strides: Sequence[int], padding, precision=None,
         preferred_element_type=None):
    """`lax.conv(lhs, rhs, window_strides, padding, precision=None,
    preferred_element_type=None)`: `conv_general_dilated` with NCHW/OIHW/NCHW layouts
    and no dilation.

    Args:
      lhs: input (N, C, spatial...); rhs: kernel (O, I, window...).
      window_strides: n strides; padding: 'SAME', 'VALID' or n (low, high) pairs.

    Example:
      >>> lax.conv(jnp.ones((1, 1, 4, 4)), jnp.ones((1, 1, 2, 2)), (2, 2), "VALID")
      Array([[[[4., 4.],
               [4., 4.]]]], dtype=float32)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides: Sequence[int], padding,
                              lhs_dilation: Sequence[int] | None,
                              rhs_dilation: Sequence[int] | None, precision=None,
                              preferred_element_type=None):
    """`lax.conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation,
    rhs_dilation, precision=None, preferred_element_type=None)`: `conv_general_dilated`
    with NCHW/OIHW/NCHW layouts, explicit padding and dilations.

    Example:
      >>> lax.conv_with_general_padding(jnp.ones((1, 1, 3)), jnp.ones((1, 1, 2)), (1,),
      ...                               ((1, 1),), None, (2,))
      Array([[[1., 2., 1.]]], dtype=float32)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k: int, s: int, padding) -> tuple[int, int]:
    """(before, after) padding of one dimension of a transposed convolution whose
    forward convolution has kernel size k, stride s and `padding`."""
    if padding == "SAME":
        pad_len = k + s - 2
        before = k - 1 if s > k - 1 else int(np.ceil(pad_len / 2))
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        before = k - 1
    elif isinstance(padding, tuple):
        pads = tuple(k - p - 1 for p in padding)
        before, pad_len = pads[0], sum(pads)
    else:
        raise ValueError(f"Invalid padding mode: {padding}")
    return before, pad_len - before


_TRANSPOSE_LAYOUTS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                      4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs, rhs, strides: Sequence[int], padding,
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers=None,
                   transpose_kernel: bool = False, precision=None,
                   preferred_element_type=None, use_consistent_padding: bool = False):
    """`lax.conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None,
    dimension_numbers=None, transpose_kernel=False, precision=None,
    preferred_element_type=None, use_consistent_padding=False)`: the N-d "transposed"
    (fractionally strided) convolution, computed directly as a convolution of the
    lhs dilated by `strides`.

    Args:
      lhs, rhs: input and kernel; the default layouts are TensorFlow's (NHWC, HWIO).
      strides: the fractional strides (the lhs dilation).
      padding: 'SAME' or 'VALID' (the padding of the forward convolution this
        transposes) or n (low, high) pairs: padding of the transposed convolution
        itself, or of the forward one with `use_consistent_padding=True` (PyTorch's
        convention, which makes this the gradient of `conv` with the same arguments).
      transpose_kernel: flip the kernel's spatial axes and swap its input and output
        feature axes (Keras' Conv2DTranspose).

    Example:
      >>> lax.conv_transpose(jnp.ones((1, 2, 1)), jnp.ones((2, 1, 1)), (2,), "VALID")[0, :, 0]
      Array([1., 1., 1., 1.], dtype=float32)
    """
    lhs, rhs = _to_tensor(lhs), _to_tensor(rhs)
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise ValueError(f"conv_transpose: lhs and rhs must have the same rank, at least 2, "
                         f"got shapes {lhs.shape} and {rhs.shape}")
    if dimension_numbers is None:
        if lhs.ndim not in _TRANSPOSE_LAYOUTS:
            raise ValueError("No 4+ dimensional dimension_number defaults.")
        dimension_numbers = _TRANSPOSE_LAYOUTS[lhs.ndim]
    dn = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    kernel_sizes = [rhs.shape[d] for d in dn.rhs_spec[2:]]
    if rhs_dilation is None:
        rhs_dilation = (1,) * (rhs.ndim - 2)
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        effective = [dilate_dim(k, r) for k, r in zip(kernel_sizes, rhs_dilation)]
        per_dim = [padding] * len(strides) if isinstance(padding, str) else [
            tuple(p) for p in padding]
        pads = tuple(_conv_transpose_padding(k, s, p)
                     for k, s, p in zip(effective, strides, per_dim))
    else:
        pads = padding
    if transpose_kernel:
        rhs = _st.rev(rhs, dn.rhs_spec[2:])
        perm = list(range(rhs.ndim))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = _st.transpose(rhs, perm)
    return conv_general_dilated(lhs, rhs, (1,) * (lhs.ndim - 2), pads, strides, rhs_dilation,
                                dn, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_general_dilated_patches(lhs, filter_shape: Sequence[int],
                                 window_strides: Sequence[int], padding,
                                 lhs_dilation: Sequence[int] | None = None,
                                 rhs_dilation: Sequence[int] | None = None,
                                 dimension_numbers=None, precision=None,
                                 preferred_element_type=None):
    """`lax.conv_general_dilated_patches(lhs, filter_shape, window_strides, padding,
    lhs_dilation=None, rhs_dilation=None, dimension_numbers=None, precision=None,
    preferred_element_type=None)`: the patches `conv_general_dilated` would multiply
    with its kernel, flattened into the output's feature dimension in the order
    (input feature, window dims in rhs spec order); its size is
    `prod(filter_shape) * lhs.shape[C]`.

    Computed as a grouped convolution with a one-hot kernel, as JAX does.

    Example:
      >>> lax.conv_general_dilated_patches(jnp.arange(4.).reshape(1, 1, 4), (2,), (1,),
      ...                                  "VALID")[0]
      Array([[0., 1., 2.],
             [1., 2., 3.]], dtype=float32)
    """
    lhs = _to_tensor(lhs)
    filter_shape = tuple(int(k) for k in filter_shape)
    dn = conv_dimension_numbers(lhs.shape, (1, 1) + filter_shape, dimension_numbers)
    window = int(np.prod(filter_shape, dtype=np.int64))
    channels = lhs.shape[dn.lhs_spec[1]]
    one_hot = np.broadcast_to(np.eye(window, dtype=lhs.dtype), (channels, window, window))
    kernel = np.moveaxis(one_hot.reshape((channels * window, 1) + filter_shape), (0, 1),
                         (dn.rhs_spec[0], dn.rhs_spec[1]))
    return conv_general_dilated(
        lhs, np.ascontiguousarray(kernel), window_strides, padding, lhs_dilation,
        rhs_dilation, dn, feature_group_count=channels,
        precision=None if precision is None else (precision, Precision.DEFAULT),
        preferred_element_type=preferred_element_type)


def conv_general_dilated_local(lhs, rhs, window_strides: Sequence[int], padding,
                               filter_shape: Sequence[int],
                               lhs_dilation: Sequence[int] | None = None,
                               rhs_dilation: Sequence[int] | None = None,
                               dimension_numbers=None, precision=None):
    """`lax.conv_general_dilated_local(lhs, rhs, window_strides, padding, filter_shape,
    lhs_dilation=None, rhs_dilation=None, dimension_numbers=None, precision=None)`: an
    unshared convolution (locally connected layer): each output position has its own
    kernel.

    `rhs`'s spatial dimensions index output positions; its 'I' dimension holds the
    input features and the window flattened as in `conv_general_dilated_patches`.

    Example:
      >>> x = jnp.arange(4.).reshape(1, 1, 4)         # NCW: 3 windows of 2
      >>> w = jnp.array([[[1., 1., 2.], [1., 0., 2.]]])  # OIW: (1, C * 2, 3 positions)
      >>> lax.conv_general_dilated_local(x, w, (1,), "VALID", (2,))
      Array([[[ 1.,  1., 10.]]], dtype=float32)
    """
    lhs = _to_tensor(lhs)
    patches = conv_general_dilated_patches(lhs, filter_shape, window_strides, padding,
                                           lhs_dilation, rhs_dilation, dimension_numbers)
    _, rhs_spec, out_spec = conv_dimension_numbers(
        lhs.shape, (1, 1) + tuple(filter_shape), dimension_numbers)
    lhs_batch = list(out_spec[2:])
    rhs_batch = [rhs_spec[2:][i] for i in sorted(range(len(lhs_batch)),
                                                 key=lambda k: lhs_batch[k])]
    out = _linalg.dot_general(patches, rhs, (((out_spec[1],), (rhs_spec[1],)),
                                             (tuple(sorted(lhs_batch)), tuple(rhs_batch))),
                              precision=precision)
    # dot_general's result is (output positions..., batch, output features)
    ndim = len(out_spec)
    rest = iter(range(ndim - 2))
    perm = [ndim - 2 if d == out_spec[0] else ndim - 1 if d == out_spec[1] else next(rest)
            for d in range(ndim)]
    return _st.transpose(out, perm)
