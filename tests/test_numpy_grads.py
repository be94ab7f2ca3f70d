"""Every differentiable irax.numpy function: derivatives to second order, forward and
reverse, against central finite differences in float64 (away from kinks), with
broadcasting shapes."""
import numpy as np
import pytest

import irax.numpy as jnp
from irax.test_util import check_grads

rng = np.random.RandomState(42)


def normal(*shape):
    return rng.standard_normal(shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(*shape):
    return rng.uniform(-0.8, 0.8, shape)


UNARY = {
    "exp": normal, "exp2": normal, "expm1": normal, "log": pos, "log2": pos, "log10": pos,
    "log1p": pos, "sqrt": pos, "cbrt": pos, "square": normal, "reciprocal": pos,
    "sin": normal, "cos": normal, "tan": unit, "arcsin": unit, "arccos": unit,
    "arctan": normal, "sinh": normal, "cosh": normal, "tanh": normal, "arcsinh": normal,
    "arccosh": lambda *s: pos(*s) + 1.0, "arctanh": unit, "abs": pos, "fabs": pos,
    "negative": normal, "positive": normal, "sinc": normal, "deg2rad": normal,
    "rad2deg": normal, "real": normal, "conj": normal,
}
BINARY = {
    "add": (normal, normal), "subtract": (normal, normal), "multiply": (normal, normal),
    "divide": (normal, pos), "true_divide": (normal, pos), "power": (pos, normal),
    "float_power": (pos, normal), "arctan2": (normal, pos), "maximum": (normal, normal),
    "minimum": (normal, normal), "fmax": (normal, normal), "fmin": (normal, normal),
    "logaddexp": (normal, normal), "logaddexp2": (normal, normal), "hypot": (pos, pos),
    "copysign": (pos, normal), "fmod": (lambda *s: 5 * pos(*s), pos),
    "remainder": (lambda *s: 5 * pos(*s), pos),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grads(x64, name):
    check_grads(getattr(jnp, name), (UNARY[name](2, 3),), order=2)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_grads_with_broadcasting(x64, name):
    sample_x, sample_y = BINARY[name]
    check_grads(getattr(jnp, name), (sample_x(2, 3), sample_y(3)), order=2)


def test_where_and_clip_grads(x64):
    x, y = normal(4), normal(4)
    check_grads(lambda a, b: jnp.where(a > 0, a * b, b), (x, y), order=2)
    check_grads(lambda a: jnp.clip(a, -0.5, 0.5), (np.array([-1.0, 0.2, 0.3, 1.0]),), order=2)


def test_sinc_second_derivative_at_zero_is_finite():
    value = float(__import__("irax").grad(__import__("irax").grad(jnp.sinc))(0.0))
    np.testing.assert_allclose(value, -np.pi ** 2 / 3, rtol=1e-5)
