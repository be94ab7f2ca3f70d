"""Sample calls of every primitive, shared by the rule and consistency tests.

`DIFFERENTIABLE` maps a primitive name to (function of float64 arrays, arguments);
`NON_DIFFERENTIABLE` to (function, arguments) for primitives with integer/bool
outputs or zero derivatives.
"""
import conv_cases
import factorization_cases
import fft_cases
import numpy as np
import special_cases
import windowed_cases

from irax.core.primitives import elementwise as ew
from irax.core.primitives import indexing as ix
from irax.core.primitives import reductions as red
from irax.core.primitives import sorting
from irax.core.primitives import structural as st
from irax.core.primitives.linalg import dot_general

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
DIFFERENTIABLE = {
    "neg": (ew.neg, [normal(3)]),
    "exp": (ew.exp, [normal(3)]),
    "exp2": (ew.exp2, [normal(3)]),
    "log": (ew.log, [pos(3)]),
    "expm1": (ew.expm1, [normal(3)]),
    "log1p": (ew.log1p, [pos(3)]),
    "tanh": (ew.tanh, [normal(3)]),
    "logistic": (ew.logistic, [normal(3)]),
    "sin": (ew.sin, [normal(3)]),
    "cos": (ew.cos, [normal(3)]),
    "tan": (ew.tan, [unit(3)]),
    "asin": (ew.asin, [unit(3)]),
    "acos": (ew.acos, [unit(3)]),
    "atan": (ew.atan, [normal(3)]),
    "sinh": (ew.sinh, [normal(3)]),
    "cosh": (ew.cosh, [normal(3)]),
    "asinh": (ew.asinh, [normal(3)]),
    "acosh": (ew.acosh, [pos(3) + 1.0]),
    "atanh": (ew.atanh, [unit(3)]),
    "sqrt": (ew.sqrt, [pos(3)]),
    "rsqrt": (ew.rsqrt, [pos(3)]),
    "cbrt": (ew.cbrt, [pos(3)]),
    "erf": (ew.erf, [normal(3)]),
    "erf_inv": (ew.erf_inv, [unit(3)]),
    "abs": (ew.abs, [normal(3) + 0.1]),
    "add": (ew.add, [normal(3), normal(3)]),
    "sub": (ew.sub, [normal(3), normal(3)]),
    "mul": (ew.mul, [normal(3), normal(3)]),
    "div": (ew.div, [normal(3), pos(3)]),
    "rem": (ew.rem, [pos(3) * 3, pos(3)]),
    "pow": (ew.pow, [pos(3), normal(3)]),
    "max": (ew.max, [normal(3), normal(3)]),
    "min": (ew.min, [normal(3), normal(3)]),
    "atan2": (ew.atan2, [normal(3), pos(3)]),
    "integer_pow": (lambda x: ew.integer_pow(x, 3), [normal(3)]),
    "select_n": (lambda a, b: ew.select_n(np.array([True, False, True]), a, b),
                 [normal(3), normal(3)]),
    "clamp": (lambda x: ew.clamp(-0.5, x, 0.5), [np.array([-1.0, 0.1, 0.3, 2.0])]),
    "convert_element_type": (lambda x: ew.real(ew.mul(
        ew.convert_element_type(x, np.complex128), ew.complex(x, x))), [normal(3)]),
    "real": (lambda x: ew.real(ew.complex(x, x)), [normal(3)]),
    "imag": (lambda x: ew.imag(ew.complex(x, ew.mul(x, x))), [normal(3)]),
    "conj": (lambda x: ew.real(ew.mul(ew.conj(ew.complex(x, x)),
                                          ew.complex(x, ew.sin(x)))), [normal(3)]),
    "complex": (lambda x, y: ew.abs(ew.complex(x, y)), [normal(3), normal(3)]),
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

INT = np.array([3, -7, 12, 5], np.int32)
BOOL = np.array([True, False, True, True])
NON_DIFFERENTIABLE = {
    "sign": (ew.sign, [normal(3)]),
    "floor": (ew.floor, [normal(3)]),
    "ceil": (ew.ceil, [normal(3)]),
    "round_nearest_even": (lambda x: ew.round(x, 1), [np.array([0.5, 1.5, -2.5])]),
    "round_away_from_zero": (lambda x: ew.round(x, 0), [np.array([0.5, 1.5, -2.5])]),
    "is_finite": (ew.is_finite, [np.array([1.0, np.inf, np.nan])]),
    "eq": (ew.eq, [INT, INT[::-1]]),
    "ne": (ew.ne, [INT, INT[::-1]]),
    "lt": (ew.lt, [normal(3), normal(3)]),
    "le": (ew.le, [INT, INT[::-1]]),
    "gt": (ew.gt, [normal(3), normal(3)]),
    "ge": (ew.ge, [INT, INT[::-1]]),
    "not": (ew.bitwise_not, [BOOL]),
    "and": (ew.bitwise_and, [INT, INT[::-1]]),
    "or": (ew.bitwise_or, [BOOL, BOOL[::-1]]),
    "xor": (ew.bitwise_xor, [INT, INT[::-1]]),
    "shift_left": (ew.shift_left, [INT, np.array([1, 2, 0, 40], np.int32)]),
    "shift_right_logical": (ew.shift_right_logical, [INT, np.array([1, 2, 0, 3], np.int32)]),
    "shift_right_arithmetic": (ew.shift_right_arithmetic,
                               [INT, np.array([1, 2, 0, 3], np.int32)]),
    "bitcast_convert_type": (lambda x: ew.bitcast_convert_type(x, np.uint32),
                             [normal(3).astype(np.float32)]),
    "iota": (lambda: st.broadcasted_iota(np.int32, (2, 3), 1), []),
    "argmax": (lambda x: red.argmax(x, 1, np.int32), [normal(2, 3)]),
    "argmin": (lambda x: red.argmin(x, 0, np.int32), [normal(2, 3)]),
    "reduce_and": (lambda x: red.reduce_and(x, (0,)), [BOOL]),
    "reduce_or": (lambda x: red.reduce_or(x, (0,)), [INT]),
    "stop_gradient": (ew.stop_gradient, [normal(3)]),
}


# ---- control flow and calls (API functions: each binds one such primitive) ---------

def _cond_case(x):
    import irax.numpy as jnp
    from irax import lax
    return lax.cond(jnp.sum(x) > 0, lambda v: jnp.sin(v) * v, lambda v: jnp.cos(v) * 2.0, x)


def _scan_case(init, xs):
    import irax.numpy as jnp
    from irax import lax
    return lax.scan(lambda c, x: (jnp.tanh(c * x + 0.5), c * x), init, xs)


def _remat_case(x):
    import irax.numpy as jnp
    from irax import lax
    return lax.checkpoint(lambda v: jnp.sin(jnp.sin(v)) * v)(x)


def _while_case(x):
    import irax.numpy as jnp
    from irax import lax
    return lax.while_loop(lambda c: c[0] < 3,
                          lambda c: (c[0] + 1, c[1] * 0.9 + jnp.sin(c[1])), (0, x))[1]


def _jit_case(x, y):
    import irax
    import irax.numpy as jnp
    return irax.jit(lambda a, b: jnp.sin(a) * b + a)(x, y)


DIFFERENTIABLE.update({
    "jit": (_jit_case, [normal(3), normal(3)]),
    "cond": (_cond_case, [normal(3)]),
    "scan": (_scan_case, [normal(2), normal(4, 2)]),
    "remat": (_remat_case, [normal(3)]),
})
# Forward-mode only (reverse mode raises, as in JAX): tests/test_autodiff_rules.py.
NON_DIFFERENTIABLE["while"] = (_while_case, [normal(3)])

# Families with their own case files (merged here so that every suite sees them).
for _family in (conv_cases, windowed_cases, special_cases, fft_cases, factorization_cases):
    DIFFERENTIABLE.update(_family.DIFFERENTIABLE)
    NON_DIFFERENTIABLE.update(_family.NON_DIFFERENTIABLE)
