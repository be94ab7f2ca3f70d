"""Every primitive's derivative rules, checked against central finite differences in
float64 (forward and reverse, first and second order) by irax.test_util.check_grads."""
import numpy as np
import pytest

import irax
from irax.core.primitive import REGISTRY
from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import reductions as red
from irax.core.primitives import sorting
from irax.core.primitives import structural as st
from irax.core.primitives.linalg import dot_general
from irax.test_util import check_grads
from irax.transforms.ad import JVP_RULES, NOT_DIFFERENTIABLE, TRANSPOSE_RULES

L = ew.LAX_FUNCTIONS
rng = np.random.RandomState(0)


def pos(*shape):
    return rng.uniform(0.5, 1.5, shape)


def unit(*shape):
    return rng.uniform(-0.8, 0.8, shape)


def normal(*shape):
    return rng.standard_normal(shape)


GD = ix.GatherDimensionNumbers
SD = ix.ScatterDimensionNumbers
ROWS = np.array([[2], [0], [2]])

# primitive name -> (function of float64 arrays, argument list)
CASES = {
    "neg": (L["neg"], [normal(3)]),
    "exp": (L["exp"], [normal(3)]),
    "exp2": (L["exp2"], [normal(3)]),
    "log": (L["log"], [pos(3)]),
    "expm1": (L["expm1"], [normal(3)]),
    "log1p": (L["log1p"], [pos(3)]),
    "tanh": (L["tanh"], [normal(3)]),
    "logistic": (L["logistic"], [normal(3)]),
    "sin": (L["sin"], [normal(3)]),
    "cos": (L["cos"], [normal(3)]),
    "tan": (L["tan"], [unit(3)]),
    "asin": (L["asin"], [unit(3)]),
    "acos": (L["acos"], [unit(3)]),
    "atan": (L["atan"], [normal(3)]),
    "sinh": (L["sinh"], [normal(3)]),
    "cosh": (L["cosh"], [normal(3)]),
    "asinh": (L["asinh"], [normal(3)]),
    "acosh": (L["acosh"], [pos(3) + 1.0]),
    "atanh": (L["atanh"], [unit(3)]),
    "sqrt": (L["sqrt"], [pos(3)]),
    "rsqrt": (L["rsqrt"], [pos(3)]),
    "cbrt": (L["cbrt"], [pos(3)]),
    "erf": (L["erf"], [normal(3)]),
    "erf_inv": (L["erf_inv"], [unit(3)]),
    "abs": (L["abs"], [normal(3) + 0.1]),
    "add": (L["add"], [normal(3), normal(3)]),
    "sub": (L["sub"], [normal(3), normal(3)]),
    "mul": (L["mul"], [normal(3), normal(3)]),
    "div": (L["div"], [normal(3), pos(3)]),
    "rem": (L["rem"], [pos(3) * 3, pos(3)]),
    "pow": (L["pow"], [pos(3), normal(3)]),
    "max": (L["max"], [normal(3), normal(3)]),
    "min": (L["min"], [normal(3), normal(3)]),
    "atan2": (L["atan2"], [normal(3), pos(3)]),
    "integer_pow": (lambda x: ew.integer_pow(x, 3), [normal(3)]),
    "select_n": (lambda a, b: ew.select_n(np.array([True, False, True]), a, b),
                 [normal(3), normal(3)]),
    "clamp": (lambda x: ew.clamp(-0.5, x, 0.5), [np.array([-1.0, 0.1, 0.3, 2.0])]),
    "convert_element_type": (lambda x: L["real"](L["mul"](
        ew.convert_element_type(x, np.complex128), L["complex"](x, x))), [normal(3)]),
    "real": (lambda x: L["real"](L["complex"](x, x)), [normal(3)]),
    "imag": (lambda x: L["imag"](L["complex"](x, L["mul"](x, x))), [normal(3)]),
    "conj": (lambda x: L["real"](L["mul"](L["conj"](L["complex"](x, x)),
                                          L["complex"](x, L["sin"](x)))), [normal(3)]),
    "complex": (lambda x, y: L["abs"](L["complex"](x, y)), [normal(3), normal(3)]),
    "broadcast_in_dim": (lambda x: st.broadcast_in_dim(x, (2, 3, 4), (1, 2)), [normal(3, 1)]),
    "reshape": (lambda x: st.reshape(x, (3, 2)), [normal(2, 3)]),
    "transpose": (lambda x: st.transpose(x, (1, 0)), [normal(2, 3)]),
    "rev": (lambda x: st.rev(x, (1,)), [normal(2, 3)]),
    "slice": (lambda x: st.slice(x, (0, 1), (2, 3), (1, 2)), [normal(2, 3)]),
    "dynamic_slice": (lambda x: st.dynamic_slice(x, (1, np.int32(1)), (1, 2)), [normal(2, 3)]),
    "dynamic_update_slice": (lambda x, u: st.dynamic_update_slice(x, u, (0, 1)),
                             [normal(2, 3), normal(1, 2)]),
    "concatenate": (lambda x, y: st.concatenate([x, y], 1), [normal(2, 3), normal(2, 1)]),
    "pad": (lambda x, v: st.pad(x, v, [(1, -1, 1), (0, 2, 0)]), [normal(3, 2), normal()]),
    "reduce_sum": (lambda x: red.reduce_sum(x, (0,)), [normal(2, 3)]),
    "reduce_prod": (lambda x: red.reduce_prod(x, (1,)), [normal(2, 3)]),
    "reduce_max": (lambda x: red.reduce_max(x, (1,)), [normal(2, 3)]),
    "reduce_min": (lambda x: red.reduce_min(x, (0, 1)), [normal(2, 3)]),
    "cumsum": (lambda x: red.cumsum(x, 1, reverse=True), [normal(2, 3)]),
    "cumprod": (lambda x: red.cumprod(x, 1), [normal(2, 5)]),
    "cummax": (lambda x: red.cummax(x, 0), [normal(4, 2)]),
    "cummin": (lambda x: red.cummin(x, 0, reverse=True), [normal(4, 2)]),
    "dot_general": (lambda x, y: dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
                    [normal(2, 3, 4), normal(2, 4, 5)]),
    "gather": (lambda x: ix.gather(x, ROWS, GD((1,), (0,), (0,)), (1, 3)), [normal(3, 3)]),
    "scatter_add": (lambda x, u: ix.scatter_add(x, ROWS, u, SD((1,), (0,), (0,))),
                    [normal(3, 3), normal(3, 3)]),
    "scatter": (lambda x, u: ix.scatter(x, ROWS, u, SD((1,), (0,), (0,))),
                [normal(3, 3), normal(3, 3)]),
    "scatter_mul": (lambda x: ix.scatter_mul(x, ROWS, np.full((3, 3), 1.5), SD((1,), (0,), (0,))),
                    [normal(3, 3)]),
    "scatter_min": (lambda x, u: ix.scatter_min(x, ROWS, u, SD((1,), (0,), (0,))),
                    [normal(3, 3), normal(3, 3)]),
    "scatter_max": (lambda x, u: ix.scatter_max(x, ROWS, u, SD((1,), (0,), (0,))),
                    [normal(3, 3), normal(3, 3)]),
    "sort": (lambda x, y: sorting.sort((x, y), num_keys=1)[1], [normal(5), normal(5)]),
}

ZERO_DERIVATIVE = ["sign", "floor", "ceil", "round_nearest_even", "round_away_from_zero"]
INTEGER_OR_BOOL_OUTPUT = ["is_finite", "eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin",
                          "not", "and", "or", "xor", "shift_left", "shift_right_logical",
                          "shift_right_arithmetic", "bitcast_convert_type", "iota",
                          "reduce_and", "reduce_or"]
ONLY_REVERSE = ["custom_lin"]
STOPS_GRADIENTS = ["stop_gradient"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_grads_order_2(x64, name):
    fun, args = CASES[name]
    check_grads(fun, tuple(np.asarray(a, np.float64) for a in args), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ZERO_DERIVATIVE)
def test_piecewise_constant_primitives_have_zero_derivative(x64, name):
    prim = REGISTRY[name]
    x = np.array([-1.7, 0.4, 2.5])
    g = irax.grad(lambda v: L["add"](red.reduce_sum(prim.bind(v), (0,)),
                                     red.reduce_sum(v, (0,))))(x)
    np.testing.assert_array_equal(np.asarray(g), np.ones(3))


def test_stop_gradient_blocks_first_and_second_derivatives(x64):
    f = lambda x: red.reduce_sum(L["mul"](L["mul"](x, x), ew.stop_gradient(x)), (0,))
    x = np.array([1.5, -2.0])
    np.testing.assert_allclose(np.asarray(irax.grad(f)(x)), 2 * x * x)
    hess = irax.hessian(f)(x)
    np.testing.assert_allclose(np.asarray(hess), np.diag(2 * x))


def test_every_primitive_has_a_derivative_rule_or_a_stated_reason():
    for name, prim in REGISTRY.items():
        covered = (name in CASES or name in ZERO_DERIVATIVE or name in INTEGER_OR_BOOL_OUTPUT
                   or name in ONLY_REVERSE or name in STOPS_GRADIENTS)
        assert covered, f"primitive {name} has no derivative test"
        assert prim in JVP_RULES or prim in NOT_DIFFERENTIABLE, name


def test_linear_primitives_have_transpose_rules():
    linear = ["neg", "add", "sub", "mul", "div", "conj", "real", "imag", "complex",
              "convert_element_type", "select_n", "reduce_sum", "broadcast_in_dim", "reshape",
              "transpose", "rev", "slice", "pad", "concatenate", "dynamic_slice",
              "dynamic_update_slice", "cumsum", "dot_general", "gather", "scatter_add",
              "scatter_mul", "custom_lin"]
    for name in linear:
        assert REGISTRY[name] in TRANSPOSE_RULES, name


def test_custom_lin_cannot_run_forward():
    @irax.custom_vjp
    def f(x):
        return L["sin"](x)
    f.defvjp(lambda x: (f(x), x), lambda x, g: (g,))
    with pytest.raises(TypeError, match="forward-mode"):
        irax.jvp(f, (1.0,), (1.0,))
