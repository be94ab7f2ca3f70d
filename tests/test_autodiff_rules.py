"""Every primitive's derivative rules, checked against central finite differences in
float64 (forward and reverse, first and second order) by irax.test_util.check_grads."""
import numpy as np
import pytest
from primitive_cases import DIFFERENTIABLE as CASES
from primitive_cases import NON_DIFFERENTIABLE as NON_DIFFERENTIABLE_CASES

import irax
from irax.core.primitive import REGISTRY
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.test_util import check_grads
from irax.transforms.ad import JVP_RULES, NOT_DIFFERENTIABLE, TRANSPOSE_RULES

ZERO_DERIVATIVE = ["sign", "floor", "ceil", "round_nearest_even", "round_away_from_zero"]
INTEGER_OR_BOOL_OUTPUT = ["is_finite", "eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin",
                          "not", "and", "or", "xor", "shift_left", "shift_right_logical",
                          "shift_right_arithmetic", "bitcast_convert_type", "iota",
                          "reduce_and", "reduce_or"]
ONLY_REVERSE = ["custom_lin"]
STOPS_GRADIENTS = ["stop_gradient"]
NAMED_AXIS = ["psum", "pmax", "pmin", "all_gather", "axis_index"]  # tests: test_vmap.py
ONLY_FORWARD = ["while"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_grads_order_2(x64, name):
    fun, args = CASES[name]
    check_grads(fun, tuple(np.asarray(a, np.float64) for a in args), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ONLY_FORWARD)
def test_forward_only_primitives_check_grads_forward_and_refuse_reverse(x64, name):
    fun, args = NON_DIFFERENTIABLE_CASES[name]
    args = tuple(np.asarray(a, np.float64) for a in args)
    check_grads(fun, args, order=2, modes=("fwd",))
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        irax.grad(lambda *a: red.reduce_sum(fun(*a), (0,)))(*args)


@pytest.mark.parametrize("name", ZERO_DERIVATIVE)
def test_piecewise_constant_primitives_have_zero_derivative(x64, name):
    prim = REGISTRY[name]
    x = np.array([-1.7, 0.4, 2.5])
    g = irax.grad(lambda v: ew.add(red.reduce_sum(prim.bind(v), (0,)),
                                     red.reduce_sum(v, (0,))))(x)
    np.testing.assert_array_equal(np.asarray(g), np.ones(3))


def test_stop_gradient_blocks_first_and_second_derivatives(x64):
    f = lambda x: red.reduce_sum(ew.mul(ew.mul(x, x), ew.stop_gradient(x)), (0,))
    x = np.array([1.5, -2.0])
    np.testing.assert_allclose(np.asarray(irax.grad(f)(x)), 2 * x * x)
    hess = irax.hessian(f)(x)
    np.testing.assert_allclose(np.asarray(hess), np.diag(2 * x))


def test_every_primitive_has_a_derivative_rule_or_a_stated_reason():
    for name, prim in REGISTRY.items():
        covered = (name in CASES or name in ZERO_DERIVATIVE or name in INTEGER_OR_BOOL_OUTPUT
                   or name in ONLY_REVERSE or name in STOPS_GRADIENTS or name in NAMED_AXIS
                   or name in ONLY_FORWARD)
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
        return ew.sin(x)
    f.defvjp(lambda x: (f(x), x), lambda x, g: (g,))
    with pytest.raises(TypeError, match="forward-mode"):
        irax.jvp(f, (1.0,), (1.0,))


def test_dot_general_transpose_writes_weight_gradients_without_a_transpose(x64):
    """The cotangent of `x @ w` for `w` comes out of one dot_general in w's layout (no
    transpose after it), also per example under vmap; values against NumPy."""
    rs = np.random.RandomState(0)
    x, w, y = rs.randn(4, 3), rs.randn(3, 2), rs.randn(4, 2)
    loss = lambda w, x: irax.numpy.sum((x @ w) * y)
    assert "transpose" not in str(irax.make_graph(irax.grad(loss))(w, x))
    np.testing.assert_allclose(np.asarray(irax.grad(loss)(w, x)), x.T @ y)
    per_example = irax.vmap(irax.grad(lambda w, x, y: irax.numpy.sum((x @ w) * y)),
                            in_axes=(None, 0, 0))
    assert "transpose" not in str(irax.make_graph(per_example)(w, x, y))
    np.testing.assert_allclose(np.asarray(per_example(w, x, y)),
                               np.einsum("bi,bj->bij", x, y))
