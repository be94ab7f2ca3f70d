"""Elementwise activation functions of irax.nn, with JAX's definitions.

Each is a composition of irax.numpy / lax operations, written so that it is stable
for large arguments: softplus is `logaddexp(x, 0)`, log_sigmoid is
`-softplus(-x)` and sigmoid is lax's `logistic`.
"""
import math

import irax.numpy as jnp
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor
from irax.numpy.util import asarray_arg, canonical_axis, promote_args_inexact
from irax.transforms.custom_derivatives import custom_jvp

__all__ = ["relu", "relu6", "sigmoid", "log_sigmoid", "softplus", "silu", "swish", "gelu",
           "elu", "leaky_relu", "celu", "selu", "hard_tanh", "hard_sigmoid", "hard_silu",
           "hard_swish", "mish", "soft_sign", "squareplus", "sparse_plus", "sparse_sigmoid",
           "glu", "identity", "tanh", "log1mexp"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inexact(name: str, x) -> Tensor:
    (x,) = promote_args_inexact(name, x)
    return x


@custom_jvp
def relu(x) -> Tensor:
    """Rectified linear unit, `max(x, 0)`; its derivative at 0 is 0 (as in JAX).

    Example:
      >>> irax.nn.relu(jnp.array([-2., 0., 3.]))
      Array([0., 0., 3.], dtype=float32)
    """
    return jnp.maximum(asarray_arg("relu", x), 0)


relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, 0))


@custom_jvp
def relu6(x) -> Tensor:
    """Rectified linear unit capped at 6, `min(max(x, 0), 6)`; derivative 0 at the kinks.

    Example:
      >>> irax.nn.relu6(jnp.array([-1., 3., 8.]))
      Array([0., 3., 6.], dtype=float32)
    """
    return jnp.minimum(jnp.maximum(asarray_arg("relu6", x), 0), 6.0)


relu6.defjvps(lambda g, ans, x: jnp.where((x > 0) & (x < 6), g, 0))


def sigmoid(x) -> Tensor:
    """Logistic sigmoid, `1 / (1 + exp(-x))` (lax's `logistic`).

    Example:
      >>> irax.nn.sigmoid(jnp.array([-1000., 0., 1000.]))
      Array([0. , 0.5, 1. ], dtype=float32)
    """
    return ew.logistic(_inexact("sigmoid", x))


def softplus(x) -> Tensor:
    """Softplus, `log(1 + exp(x))`, computed as `logaddexp(x, 0)`.

    Example:
      >>> irax.nn.softplus(jnp.array([-1000., 0., 1000.]))
      Array([0.000000e+00, 6.931472e-01, 1.000000e+03], dtype=float32)
    """
    return jnp.logaddexp(_inexact("softplus", x), 0)


def log_sigmoid(x) -> Tensor:
    """Log of the sigmoid, `-softplus(-x)`.

    Example:
      >>> irax.nn.log_sigmoid(jnp.array([-1000., 0.]))
      Array([-1.000000e+03, -6.931472e-01], dtype=float32)
    """
    return -softplus(-_inexact("log_sigmoid", x))


def silu(x) -> Tensor:
    """SiLU (swish), `x * sigmoid(x)`.

    Example:
      >>> irax.nn.silu(jnp.array([0., 1.]))
      Array([0.       , 0.7310586], dtype=float32)
    """
    x = _inexact("silu", x)
    return x * sigmoid(x)


swish = silu


def gelu(x, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit, `x * Phi(x)`.

    Args:
      x: input array.
      approximate: use the tanh approximation
        `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` (the default, as in
        JAX); False computes `x/2 * (1 + erf(x / sqrt(2)))`.

    Example:
      >>> irax.nn.gelu(jnp.array([0., 1.]), approximate=False)
      Array([0.       , 0.8413447], dtype=float32)
    """
    x = _inexact("gelu", x)
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
        return x * (0.5 * (1.0 + jnp.tanh(inner)))
    erf = ew.erf(x * math.sqrt(0.5))
    return 0.5 * x * (1.0 + erf)


def elu(x, alpha=1.0) -> Tensor:
    """Exponential linear unit: `x` for x > 0, else `alpha * (exp(x) - 1)`.

    Example:
      >>> irax.nn.elu(jnp.array([-1., 2.]))
      Array([-0.63212055,  2.        ], dtype=float32)
    """
    x = _inexact("elu", x)
    positive = x > 0
    return jnp.where(positive, x, alpha * jnp.expm1(jnp.where(positive, 0.0, x)))


def leaky_relu(x, negative_slope=0.01) -> Tensor:
    """Leaky ReLU: `x` for x >= 0, else `negative_slope * x`.

    Example:
      >>> irax.nn.leaky_relu(jnp.array([-2., 2.]))
      Array([-0.02,  2.  ], dtype=float32)
    """
    x = asarray_arg("leaky_relu", x)
    return jnp.where(x >= 0, x, negative_slope * x)


def celu(x, alpha=1.0) -> Tensor:
    """Continuously differentiable ELU: `max(x, 0) + alpha * expm1(min(x, 0) / alpha)`.

    Example:
      >>> irax.nn.celu(jnp.array([-1., 2.]), alpha=2.0)
      Array([-0.78693867,  2.        ], dtype=float32)
    """
    x = _inexact("celu", x)
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x) -> Tensor:
    """Scaled ELU: `scale * elu(x, alpha)` with the self-normalizing constants.

    Example:
      >>> irax.nn.selu(jnp.array([1.]))
      Array([1.050701], dtype=float32)
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def hard_tanh(x) -> Tensor:
    """`x` clipped to [-1, 1].

    Example:
      >>> irax.nn.hard_tanh(jnp.array([-3., 0.5, 3.]))
      Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    x = asarray_arg("hard_tanh", x)
    return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def hard_sigmoid(x) -> Tensor:
    """`relu6(x + 3) / 6`.

    Example:
      >>> irax.nn.hard_sigmoid(jnp.array([0.]))
      Array([0.5], dtype=float32)
    """
    return relu6(asarray_arg("hard_sigmoid", x) + 3.0) / 6.0


def hard_silu(x) -> Tensor:
    """Hard SiLU (hard swish), `x * hard_sigmoid(x)`.

    Example:
      >>> irax.nn.hard_silu(jnp.array([1.]))
      Array([0.6666667], dtype=float32)
    """
    x = asarray_arg("hard_silu", x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x) -> Tensor:
    """Mish, `x * tanh(softplus(x))`.

    Example:
      >>> irax.nn.mish(jnp.array([0.]))
      Array([0.], dtype=float32)
    """
    x = _inexact("mish", x)
    return x * jnp.tanh(softplus(x))


def soft_sign(x) -> Tensor:
    """Soft sign, `x / (|x| + 1)`.

    Example:
      >>> irax.nn.soft_sign(jnp.array([1., -3.]))
      Array([ 0.5 , -0.75], dtype=float32)
    """
    x = asarray_arg("soft_sign", x)
    return x / (jnp.abs(x) + 1)


def squareplus(x, b=4) -> Tensor:
    """Squareplus, `(x + sqrt(x^2 + b)) / 2`.

    Example:
      >>> irax.nn.squareplus(jnp.array([0.]))
      Array([1.], dtype=float32)
    """
    x = asarray_arg("squareplus", x)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def sparse_plus(x) -> Tensor:
    """0 for x <= -1, `(x + 1)^2 / 4` on (-1, 1), `x` for x >= 1.

    Example:
      >>> irax.nn.sparse_plus(jnp.array([-2., 0., 2.]))
      Array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = asarray_arg("sparse_plus", x)
    return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def sparse_sigmoid(x) -> Tensor:
    """`clip(x + 1, 0, 2) / 2`, the derivative of sparse_plus.

    Example:
      >>> irax.nn.sparse_sigmoid(jnp.array([-2., 0., 2.]))
      Array([0. , 0.5, 1. ], dtype=float32)
    """
    return 0.5 * jnp.clip(asarray_arg("sparse_sigmoid", x) + 1.0, 0.0, 2.0)


def glu(x, axis: int = -1) -> Tensor:
    """Gated linear unit: the first half of `x` along `axis` times the sigmoid of the
    second half.

    Example:
      >>> irax.nn.glu(jnp.array([1., 0.]))
      Array([0.5], dtype=float32)
    """
    x = asarray_arg("glu", x)
    axis = canonical_axis("glu", axis, x.ndim)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(f"glu: the size of axis {axis} of shape {x.shape} must be even")
    half = [(0, size // 2), (size // 2, size)]
    first, second = (_slice_along(x, axis, lo, hi) for lo, hi in half)
    return first * sigmoid(second)


def identity(x) -> Tensor:
    """`x` itself, as an array (`jax.nn.identity`).

    Example:
      >>> irax.nn.identity(jnp.array([-1., 2.]))
      Array([-1.,  2.], dtype=float32)
    """
    return asarray_arg("identity", x)


def tanh(x) -> Tensor:
    """Hyperbolic tangent (`jax.nn.tanh`, the same function as `jnp.tanh`).

    Example:
      >>> irax.nn.tanh(jnp.array([0.]))
      Array([0.], dtype=float32)
    """
    return jnp.tanh(_inexact("tanh", x))


def log1mexp(x) -> Tensor:
    """`log(1 - exp(-x))` for x >= 0, accurate for small and large x (Maechler's
    rule: `log(-expm1(-x))` below log 2, `log1p(-exp(-x))` above), as `jax.nn.log1mexp`.
    -inf at 0 and NaN for negative x.

    Example:
      >>> irax.nn.log1mexp(jnp.array([1e-8, 50.]))
      Array([-1.8420681e+01, -1.9287499e-22], dtype=float32)
    """
    x = _inexact("log1mexp", x)
    small = x < math.log(2.0)
    return jnp.where(small, jnp.log(-jnp.expm1(-jnp.where(small, x, 1.0))),
                     jnp.log1p(-jnp.exp(-jnp.where(small, 1.0, x))))


def _slice_along(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    starts, limits = [0] * x.ndim, list(x.shape)
    starts[axis], limits[axis] = start, stop
    return st.slice(x, starts, limits)
