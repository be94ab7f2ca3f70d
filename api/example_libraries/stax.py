"""irax.example_libraries.stax: JAX's small neural-network layer library.

A layer is a pair `(init_fun, apply_fun)`:

- `init_fun(rng, input_shape) -> (output_shape, params)` draws the parameters from a
  PRNG key for inputs of `input_shape` (a tuple; -1 marks a size not known yet, such
  as the batch) and says the output shape;
- `apply_fun(params, inputs, **kwargs) -> outputs` runs the layer; `rng=key` reaches
  the layers that need randomness (Dropout).

Combinators (`serial`, `parallel`, `shape_dependent`) build layers out of layers.
Layer constructors are CamelCase (`Dense(10)`); layers with no options are already
pairs (`Relu`, `Flatten`).

    init_fun, apply_fun = serial(Dense(128), Relu, Dense(10), LogSoftmax)
    out_shape, params = init_fun(random.PRNGKey(0), (-1, 784))
    log_probs = apply_fun(params, images)
"""
import math
from collections.abc import Callable, Sequence

import numpy as np

import irax.numpy as jnp
from irax import lax, random
from irax.nn import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    standardize,
)
from irax.nn.initializers import glorot_normal, normal, ones, zeros

__all__ = [
    "AvgPool", "BatchNorm", "Conv", "Conv1DTranspose", "ConvTranspose", "Dense", "Dropout",
    "Elu", "Exp", "FanInConcat", "FanInSum", "FanOut", "Flatten", "Gelu", "GeneralConv",
    "GeneralConvTranspose", "Identity", "LeakyRelu", "LogSoftmax", "MaxPool", "Relu", "Selu",
    "Sigmoid", "Softmax", "Softplus", "SumPool", "Tanh", "elementwise", "glorot", "logsoftmax",
    "parallel", "randn", "serial", "shape_dependent",
]

# JAX's aliases, kept for code written against older stax.
glorot = glorot_normal
randn = normal
logsoftmax = log_softmax

Layer = tuple[Callable, Callable]

# Default initializers (JAX's `W_init=glorot_normal()`, `b_init=normal()`, and the
# convolutions' `b_init=normal(1e-6)`); initializers are pure functions of (key, shape).
_glorot_normal = glorot_normal()
_normal = normal()
_normal_1e_6 = normal(1e-6)


# Shapes.  Sizes below zero (-1: not known yet, the batch of `init_fun(rng, (-1, 784))`)
# pass through a dimension that the window does not change.

def _pads(sizes, window, strides, padding) -> list[tuple[int, int]]:
    """`lax.padtype_to_pads`: explicit (low, high) pairs for "VALID", "SAME",
    "SAME_LOWER" or a sequence of pairs."""
    if not isinstance(padding, str):
        return [tuple(pair) for pair in padding]
    mode = padding.upper()
    if mode == "VALID":
        return [(0, 0)] * len(sizes)
    if mode not in ("SAME", "SAME_LOWER"):
        raise ValueError(f"stax: unknown padding {padding!r}; expected 'VALID', 'SAME', "
                         f"'SAME_LOWER' or (low, high) pairs")
    pads = []
    for size, w, s in zip(sizes, window, strides):
        total = max((-(-size // s) - 1) * s + w - size, 0)
        low = total // 2 if mode == "SAME" else total - total // 2
        pads.append((low, total - low))
    return pads


def _window_output_size(size: int, window: int, stride: int, pad: tuple[int, int]) -> int:
    if size < 0 and (window, stride, pad) == (1, 1, (0, 0)):
        return size
    return max((size + pad[0] + pad[1] - window) // stride + 1, 0)


def _spatial_order(spec: str, non_spatial: str, rhs_spec: str) -> list[int]:
    """Positions of `spec`'s spatial dimensions in the kernel's spatial order (JAX's
    `conv_general_permutations`)."""
    spatial = [i for i, c in enumerate(spec) if c not in non_spatial]
    return sorted(spatial, key=lambda i: rhs_spec.index(spec[i]))


def _conv_shape(input_shape, kernel_shape, strides, padding, dimension_numbers,
                transpose: bool) -> tuple:
    """The output shape of `lax.conv_general_dilated` (`transpose=False`) or
    `lax.conv_transpose` with unit dilations."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    in_sizes = [input_shape[i] for i in _spatial_order(lhs_spec, "NC", rhs_spec)]
    k_sizes = [kernel_shape[i] for i in _spatial_order(rhs_spec, "OI", rhs_spec)]
    if transpose:
        totals = ([_transpose_padding_total(k, s, padding.upper())
                   for k, s in zip(k_sizes, strides)]
                  if isinstance(padding, str) else [lo + hi for lo, hi in padding])
        spatial = [(i - 1) * s - k + 2 + total
                   for i, k, s, total in zip(in_sizes, k_sizes, strides, totals)]
    else:
        pads = _pads(in_sizes, k_sizes, strides, padding)
        spatial = [_window_output_size(i, k, s, p)
                   for i, k, s, p in zip(in_sizes, k_sizes, strides, pads)]
    out = [0] * len(out_spec)
    out[out_spec.index("N")] = input_shape[lhs_spec.index("N")]
    out[out_spec.index("C")] = kernel_shape[rhs_spec.index("O")]
    for position, size in zip(_spatial_order(out_spec, "NC", rhs_spec), spatial):
        out[position] = size
    return tuple(out)


def _transpose_padding_total(k: int, s: int, padding: str) -> int:
    """Low plus high padding that `lax.conv_transpose` gives the input-dilated
    convolution for "SAME" and "VALID" (JAX's `_conv_transpose_padding`)."""
    if padding == "SAME":
        return k + s - 2
    if padding == "VALID":
        return k + s - 2 + max(k - s, 0)
    raise ValueError(f"stax: unknown transposed-convolution padding {padding!r}; "
                     f"expected 'SAME', 'VALID' or (low, high) pairs")


# Layers with parameters.

def Dense(out_dim: int, W_init=_glorot_normal, b_init=_normal) -> Layer:
    """`Dense(out_dim, W_init=glorot_normal(), b_init=normal())`

    A fully connected layer, `inputs @ W + b`, over the last axis.

    Args:
      out_dim: the number of output features.
      W_init: initializer of the (in_dim, out_dim) weight.
      b_init: initializer of the (out_dim,) bias.

    Example:
      >>> init_fun, apply_fun = Dense(3)
      >>> out_shape, (W, b) = init_fun(random.PRNGKey(0), (-1, 5))
      >>> out_shape, W.shape, apply_fun((W, b), jnp.ones((2, 5))).shape
      ((-1, 3), (5, 3), (2, 3))
    """
    def init_fun(rng, input_shape):
        output_shape = tuple(input_shape[:-1]) + (out_dim,)
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,)))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return jnp.dot(inputs, W) + b

    return init_fun, apply_fun


def _kernel_shape(input_shape, dimension_numbers, out_chan, filter_shape) -> list[int]:
    lhs_spec, rhs_spec, _ = dimension_numbers
    sizes = iter(filter_shape)
    return [out_chan if c == "O" else input_shape[lhs_spec.index("C")] if c == "I"
            else next(sizes) for c in rhs_spec]


def _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init, b_init,
                transpose: bool) -> Layer:
    _, rhs_spec, out_spec = dimension_numbers
    one = (1,) * len(filter_shape)
    strides = tuple(strides or one)
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng, input_shape):
        kernel_shape = _kernel_shape(input_shape, dimension_numbers, out_chan, filter_shape)
        output_shape = _conv_shape(input_shape, kernel_shape, strides, padding,
                                   dimension_numbers, transpose)
        bias_shape = [out_chan if c == "C" else 1 for c in out_spec]
        k1, k2 = random.split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        if transpose:
            out = lax.conv_transpose(inputs, W, strides, padding,
                                     dimension_numbers=dimension_numbers)
        else:
            out = lax.conv_general_dilated(inputs, W, strides, padding, one, one,
                                           dimension_numbers=dimension_numbers)
        return out + b

    return init_fun, apply_fun


def GeneralConv(dimension_numbers, out_chan: int, filter_shape: Sequence[int],
                strides=None, padding="VALID", W_init=None, b_init=_normal_1e_6) -> Layer:
    """`GeneralConv(dimension_numbers, out_chan, filter_shape, strides=None,
    padding='VALID', W_init=None, b_init=normal(1e-6))`

    A convolution layer, `lax.conv_general_dilated(inputs, W, strides, padding) + b`.

    Args:
      dimension_numbers: (lhs_spec, rhs_spec, out_spec) strings such as
        ("NHWC", "HWIO", "NHWC"): N batch, C channels, I/O kernel in/out channels,
        other letters spatial.
      out_chan: the number of output channels.
      filter_shape: the kernel's spatial sizes, in rhs_spec's spatial order.
      strides: spatial strides (default 1).
      padding: "VALID", "SAME", "SAME_LOWER" or (low, high) pairs.
      W_init: kernel initializer; default glorot_normal over rhs_spec's I and O axes.
      b_init: initializer of the bias, shaped to broadcast along out_spec's C.

    Example:
      >>> init_fun, apply_fun = GeneralConv(("NCHW", "OIHW", "NCHW"), 4, (3, 3))
      >>> init_fun(random.PRNGKey(0), (2, 1, 8, 8))[0]
      (2, 4, 6, 6)
    """
    return _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init,
                       b_init, transpose=False)


def Conv(out_chan: int, filter_shape: Sequence[int], strides=None, padding="VALID",
         W_init=None, b_init=_normal_1e_6) -> Layer:
    """`Conv(out_chan, filter_shape, strides=None, padding='VALID', W_init=None,
    b_init=normal(1e-6))`

    `GeneralConv` with NHWC inputs and outputs and an HWIO kernel.

    Example:
      >>> init_fun, apply_fun = Conv(8, (3, 3), padding="SAME")
      >>> init_fun(random.PRNGKey(0), (-1, 28, 28, 1))[0]
      (-1, 28, 28, 8)
    """
    return GeneralConv(("NHWC", "HWIO", "NHWC"), out_chan, filter_shape, strides, padding,
                       W_init, b_init)


def GeneralConvTranspose(dimension_numbers, out_chan: int, filter_shape: Sequence[int],
                         strides=None, padding="VALID", W_init=None,
                         b_init=_normal_1e_6) -> Layer:
    """`GeneralConvTranspose(dimension_numbers, out_chan, filter_shape, strides=None,
    padding='VALID', W_init=None, b_init=normal(1e-6))`

    A transposed-convolution layer, `lax.conv_transpose(inputs, W, strides, padding)
    + b` (the gradient of a strided convolution: it upsamples by `strides`).
    Arguments as in `GeneralConv`.

    Example:
      >>> init_fun, apply_fun = GeneralConvTranspose(("NHWC", "HWIO", "NHWC"), 4, (3, 3),
      ...                                            strides=(2, 2), padding="SAME")
      >>> init_fun(random.PRNGKey(0), (1, 5, 5, 2))[0]
      (1, 10, 10, 4)
    """
    return _conv_layer(dimension_numbers, out_chan, filter_shape, strides, padding, W_init,
                       b_init, transpose=True)


def Conv1DTranspose(out_chan: int, filter_shape: Sequence[int], strides=None,
                    padding="VALID", W_init=None, b_init=_normal_1e_6) -> Layer:
    """`Conv1DTranspose(out_chan, filter_shape, strides=None, padding='VALID',
    W_init=None, b_init=normal(1e-6))`

    `GeneralConvTranspose` with NHC inputs and outputs and an HIO kernel.

    Example:
      >>> Conv1DTranspose(2, (3,))[0](random.PRNGKey(0), (1, 5, 1))[0]
      (1, 7, 2)
    """
    return GeneralConvTranspose(("NHC", "HIO", "NHC"), out_chan, filter_shape, strides,
                                padding, W_init, b_init)


def ConvTranspose(out_chan: int, filter_shape: Sequence[int], strides=None,
                  padding="VALID", W_init=None, b_init=_normal_1e_6) -> Layer:
    """`ConvTranspose(out_chan, filter_shape, strides=None, padding='VALID',
    W_init=None, b_init=normal(1e-6))`

    `GeneralConvTranspose` with NHWC inputs and outputs and an HWIO kernel.

    Example:
      >>> ConvTranspose(2, (3, 3))[0](random.PRNGKey(0), (1, 5, 5, 1))[0]
      (1, 7, 7, 2)
    """
    return GeneralConvTranspose(("NHWC", "HWIO", "NHWC"), out_chan, filter_shape, strides,
                                padding, W_init, b_init)


def BatchNorm(axis=(0, 1, 2), epsilon: float = 1e-5, center: bool = True,
              scale: bool = True, beta_init=zeros, gamma_init=ones) -> Layer:
    """`BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True,
    beta_init=zeros, gamma_init=ones)`

    Normalizes with the batch's statistics over `axis`:
    `gamma * (x - mean) / sqrt(var + epsilon) + beta`, where gamma and beta have the
    shape of the axes not in `axis` (no running averages: as in JAX's stax).

    Args:
      axis: an int or a tuple of the axes the statistics run over (negative axes
        count from the end).
      epsilon: added to the variance.
      center: learn the offset beta (else its params entry is `()`).
      scale: learn the factor gamma (else its params entry is `()`).
      beta_init, gamma_init: their initializers.

    Example:
      >>> init_fun, apply_fun = BatchNorm(axis=0)
      >>> _, params = init_fun(random.PRNGKey(0), (4, 3))
      >>> apply_fun(params, jnp.array([[1., 2., 3.], [3., 2., 1.]]))[0]
      Array([-0.999995,  0.      ,  0.999995], dtype=float32)
    """
    axis = (axis,) if np.isscalar(axis) else tuple(axis)

    def normalized(ndim: int) -> tuple:
        return tuple(a % ndim for a in axis)

    def init_fun(rng, input_shape):
        axes = normalized(len(input_shape))
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axes)
        k1, k2 = random.split(rng)
        beta = beta_init(k1, shape) if center else ()
        gamma = gamma_init(k2, shape) if scale else ()
        return input_shape, (beta, gamma)

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        axes = normalized(x.ndim)
        expand = tuple(None if i in axes else slice(None) for i in range(x.ndim))
        z = standardize(x, axes, epsilon=epsilon)
        if scale:
            z = gamma[expand] * z
        if center:
            z = z + beta[expand]
        return z

    return init_fun, apply_fun


def Dropout(rate: float, mode: str = "train") -> Layer:
    """`Dropout(rate, mode='train')`

    Dropout with JAX's stax semantics: `rate` is the probability of KEEPING an entry.
    In "train" mode each entry is kept with probability `rate` and scaled by
    `1 / rate` (others become 0), so the expectation is unchanged; any other mode
    returns the inputs. `apply_fun` needs `rng=key` in every mode.

    Example:
      >>> init_fun, apply_fun = Dropout(0.5)
      >>> apply_fun((), jnp.ones(4), rng=random.PRNGKey(0))   # entries are 0 or 2
      Array([0., 0., 2., 2.], dtype=float32)
    """
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.get("rng")
        if rng is None:
            raise ValueError(
                "Dropout layer requires apply_fun to be called with a PRNG key argument. "
                "That is, instead of `apply_fun(params, inputs)`, call it like "
                "`apply_fun(params, inputs, rng=rng)` where `rng` is a PRNG key (e.g. from "
                "`irax.random.PRNGKey`).")
        if mode != "train":
            return inputs
        keep = random.bernoulli(rng, rate, inputs.shape)
        return jnp.where(keep, inputs / rate, 0)

    return init_fun, apply_fun


# Layers without parameters.

def elementwise(fun: Callable, **fun_kwargs) -> Layer:
    """`elementwise(fun, **fun_kwargs)`: a layer applying `fun(inputs, **fun_kwargs)`
    (shape-preserving, no parameters).

    Example:
      >>> init_fun, apply_fun = elementwise(jnp.maximum, x2=0.)
      >>> apply_fun((), jnp.array([-1., 2.]))
      Array([0., 2.], dtype=float32)
    """
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(jnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(jnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _full_window(window_shape, strides, spec) -> tuple[tuple, tuple]:
    """Window and strides over every axis: 1 on the batch and channel axes (axes 0
    and -1 without `spec`, else spec's N and C)."""
    non_spatial = (0, len(window_shape) + 1) if spec is None else (spec.index("N"),
                                                                   spec.index("C"))
    window, strides = list(window_shape), list(strides)
    for i in sorted(non_spatial):
        window.insert(i, 1)
        strides.insert(i, 1)
    return tuple(window), tuple(strides)


def _pooling_layer(name: str, reducer, init_val, average: bool):
    def PoolingLayer(window_shape: Sequence[int], strides=None, padding="VALID",
                     spec: str | None = None) -> Layer:
        spatial_window = tuple(window_shape)
        spatial_strides = tuple(strides or (1,) * len(spatial_window))
        window, full_strides = _full_window(spatial_window, spatial_strides, spec)

        def init_fun(rng, input_shape):
            pads = _pads(input_shape, window, full_strides, padding)
            if len(pads) != len(input_shape):
                raise ValueError(f"{name}: explicit padding needs one (low, high) pair per "
                                 f"input axis, got {len(pads)} for input shape "
                                 f"{tuple(input_shape)}")
            return tuple(map(_window_output_size, input_shape, window, full_strides,
                             pads)), ()

        def apply_fun(params, inputs, **kwargs):
            out = lax.reduce_window(inputs, init_val, reducer, window, full_strides, padding)
            if not average:
                return out
            return out / _window_sizes(inputs, spatial_window, spatial_strides, padding,
                                       spec)

        return init_fun, apply_fun

    PoolingLayer.__name__ = PoolingLayer.__qualname__ = name
    return PoolingLayer


def _window_sizes(inputs, window, strides, padding, spec):
    """How many input entries (padding excluded) each output window of AvgPool covers,
    shaped to broadcast against the pooled outputs."""
    non_spatial = (0, inputs.ndim - 1) if spec is None else (spec.index("N"),
                                                             spec.index("C"))
    spatial_shape = tuple(d for i, d in enumerate(inputs.shape) if i not in non_spatial)
    if not isinstance(padding, str):
        padding = [pair for i, pair in enumerate(padding) if i not in non_spatial]
    sizes = lax.reduce_window(jnp.ones(spatial_shape, inputs.dtype), 0., lax.add, window,
                              strides, padding)
    return jnp.expand_dims(sizes, tuple(sorted(non_spatial)))


_POOL_DOC = """`{name}(window_shape, strides=None, padding='VALID', spec=None)`

    {what} over windows of the spatial axes (`lax.reduce_window`).

    Args:
      window_shape: the window's spatial sizes.
      strides: spatial strides (default 1).
      padding: "VALID", "SAME", "SAME_LOWER", or one (low, high) pair per input
        axis (batch and channels included, as `lax.reduce_window` takes them).
      spec: the input layout, such as "NHWC" or "NCHW"; default: batch first,
        channels last.

    Example:
      >>> init_fun, apply_fun = {name}((2, 2), strides=(2, 2))
      >>> init_fun(random.PRNGKey(0), (-1, 28, 28, 3))[0]
      (-1, 14, 14, 3)
    """
MaxPool = _pooling_layer("MaxPool", lax.max, -np.inf, average=False)
MaxPool.__doc__ = _POOL_DOC.format(name="MaxPool", what="The maximum")
SumPool = _pooling_layer("SumPool", lax.add, 0., average=False)
SumPool.__doc__ = _POOL_DOC.format(name="SumPool", what="The sum")
AvgPool = _pooling_layer("AvgPool", lax.add, 0., average=True)
AvgPool.__doc__ = _POOL_DOC.format(
    name="AvgPool", what="The mean (of the entries inside the input, padding excluded)")


def _flatten() -> Layer:
    def init_fun(rng, input_shape):
        return (input_shape[0], math.prod(input_shape[1:])), ()

    def apply_fun(params, inputs, **kwargs):
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    return init_fun, apply_fun


Flatten = _flatten()
"""`Flatten`: reshapes (N, ...) inputs to (N, prod(...)), keeping the leading axis."""


def _identity() -> Layer:
    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return inputs

    return init_fun, apply_fun


Identity = _identity()
"""`Identity`: returns its inputs."""


def FanOut(num: int) -> Layer:
    """`FanOut(num)`: a layer returning a list of `num` references to its input (for
    `parallel` branches).

    Example:
      >>> FanOut(2)[0](random.PRNGKey(0), (3, 4))[0]
      [(3, 4), (3, 4)]
    """
    def init_fun(rng, input_shape):
        return [input_shape] * num, ()

    def apply_fun(params, inputs, **kwargs):
        return [inputs] * num

    return init_fun, apply_fun


def _fan_in_sum() -> Layer:
    def init_fun(rng, input_shape):
        return input_shape[0], ()

    def apply_fun(params, inputs, **kwargs):
        return sum(inputs)

    return init_fun, apply_fun


FanInSum = _fan_in_sum()
"""`FanInSum`: the sum of a sequence of inputs of one shape (joins `parallel`
branches, as in a residual block `serial(FanOut(2), parallel(f, Identity), FanInSum)`)."""


def FanInConcat(axis: int = -1) -> Layer:
    """`FanInConcat(axis=-1)`: concatenates a sequence of inputs along `axis`.

    Example:
      >>> FanInConcat()[0](random.PRNGKey(0), [(3, 4), (3, 2)])[0]
      (3, 6)
    """
    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        concat_size = sum(shape[ax] for shape in input_shape)
        first = tuple(input_shape[0])
        return first[:ax] + (concat_size,) + first[ax + 1:], ()

    def apply_fun(params, inputs, **kwargs):
        return jnp.concatenate(inputs, axis)

    return init_fun, apply_fun


# Combinators.

def _split_or_none(rng, num: int):
    return random.split(rng, num) if rng is not None else (None,) * num


def serial(*layers: Layer) -> Layer:
    """`serial(*layers)`: the composition of layers, applied in order.

    `init_fun` threads the shape through every layer and returns the list of their
    params; `apply_fun(params, inputs, rng=key)` splits `key` into one key per layer.

    Example:
      >>> init_fun, apply_fun = serial(Dense(4), Relu, Dense(2), LogSoftmax)
      >>> out_shape, params = init_fun(random.PRNGKey(0), (-1, 3))
      >>> out_shape, apply_fun(params, jnp.ones((5, 3))).shape
      ((-1, 2), (5, 2))
    """
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng, input_shape):
        params = []
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rngs = _split_or_none(kwargs.pop("rng", None), len(apply_funs))
        for apply, param, rng in zip(apply_funs, params, rngs):
            inputs = apply(param, inputs, rng=rng, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers: Layer) -> Layer:
    """`parallel(*layers)`: applies layer i to input i of a sequence of inputs.

    `init_fun(rng, input_shapes)` returns `(output_shapes, params)`, tuples with one
    entry per layer; `apply_fun` returns the list of outputs. Often used between
    `FanOut` and `FanInSum`/`FanInConcat`.

    Example:
      >>> init_fun, apply_fun = parallel(Dense(2), Identity)
      >>> init_fun(random.PRNGKey(0), [(5, 3), (5, 4)])[0]
      ((5, 2), (5, 4))
    """
    init_funs, apply_funs = zip(*layers) if layers else ((), ())

    def init_fun(rng, input_shape):
        rngs = random.split(rng, len(init_funs))
        results = [init(key, shape) for init, key, shape in zip(init_funs, rngs, input_shape)]
        return tuple(shape for shape, _ in results), tuple(param for _, param in results)

    def apply_fun(params, inputs, **kwargs):
        rngs = _split_or_none(kwargs.pop("rng", None), len(apply_funs))
        return [apply(param, x, rng=rng, **kwargs)
                for apply, param, x, rng in zip(apply_funs, params, inputs, rngs)]

    return init_fun, apply_fun


def shape_dependent(make_layer: Callable[[tuple], Layer]) -> Layer:
    """`shape_dependent(make_layer)`: a layer built by `make_layer(input_shape)` once
    the input shape is known (at `init_fun`, and from `inputs.shape` at `apply_fun`).

    Example:
      >>> init_fun, apply_fun = shape_dependent(lambda shape: Dense(shape[-1]))
      >>> init_fun(random.PRNGKey(0), (2, 7))[0]
      (2, 7)
    """
    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)

    return init_fun, apply_fun
