"""JVP, transpose and batching rules of the elementwise primitives
(core/primitives/elementwise.py).

JVP conventions at kinks follow JAX: d|x|/dx at 0 is 1, max/min split ties evenly,
d sqrt(x)/dx at 0 is inf, sign/floor/ceil/round have zero derivative.  Transposes
sum a cotangent over the dimensions a rank-0 operand was broadcast along.  Batching
brings the operands to one batched shape (rank-0 unbatched operands stay scalars,
which elementwise primitives broadcast) and applies the primitive once.
"""
import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.trace import get_aval
from irax.transforms.ad import (
    JVP_RULES,
    TRANSPOSE_RULES,
    Zero,
    instantiate,
    is_undefined,
    tangent_aval,
)
from irax.transforms.batching import BATCH_RULES, moveaxis

from .helpers import const, defjvp, defjvp2, deflinear, defzero, fit, zero_scalar

# Rules combine tensors of one dtype (constants come from `const`): bind directly.
add, sub, mul, div, neg = (p.bind for p in (ew.add_p, ew.sub_p, ew.mul_p, ew.div_p,
                                            ew.neg_p))


# ---- JVP ------------------------------------------------------------------------------

def _balanced_eq(x, z, y):
    """1 where x == z (and not y == z), 1/2 where both tie, 0 elsewhere (JAX's max/min)."""
    shape = get_aval(z).shape
    ones, zeros, twos = (fit(const(z, v), shape) for v in (1, 0, 2))
    return div(ew.select(ew.eq(x, z), ones, zeros), ew.select(ew.eq(y, z), twos, ones))


def _replace_zero(x):
    return ew.select(ew.eq(x, const(x, 0)), fit(const(x, 1), get_aval(x).shape), x)


deflinear(ew.neg_p)
for _p in (ew.sign_p, ew.floor_p, ew.ceil_p, ew.round_nearest_even_p, ew.round_away_p,
           ew.is_finite_p, ew.not_p, ew.and_p, ew.or_p, ew.xor_p, ew.shift_left_p,
           ew.shift_right_logical_p, ew.shift_right_arithmetic_p, ew.eq_p, ew.ne_p, ew.lt_p,
           ew.le_p, ew.gt_p, ew.ge_p, ew.bitcast_convert_type_p, ew.stop_gradient_p):
    defzero(_p)

defjvp2(ew.exp_p, lambda t, ans, x: mul(t, ans))
defjvp2(ew.exp2_p, lambda t, ans, x: mul(t, mul(ans, const(x, np.log(2)))))
defjvp(ew.log_p, lambda t, x: div(t, x))
defjvp2(ew.expm1_p, lambda t, ans, x: mul(t, add(ans, const(x, 1))))
defjvp(ew.log1p_p, lambda t, x: div(t, add(x, const(x, 1))))
defjvp2(ew.tanh_p, lambda t, ans, x: mul(t, sub(const(x, 1), mul(ans, ans))))
defjvp2(ew.logistic_p, lambda t, ans, x: mul(t, mul(ans, sub(const(x, 1), ans))))
defjvp(ew.sin_p, lambda t, x: mul(t, ew.cos(x)))
defjvp(ew.cos_p, lambda t, x: neg(mul(t, ew.sin(x))))
defjvp2(ew.tan_p, lambda t, ans, x: mul(t, add(const(x, 1), mul(ans, ans))))
defjvp(ew.asin_p, lambda t, x: mul(t, ew.rsqrt(sub(const(x, 1), mul(x, x)))))
defjvp(ew.acos_p, lambda t, x: neg(mul(t, ew.rsqrt(sub(const(x, 1), mul(x, x))))))
defjvp(ew.atan_p, lambda t, x: div(t, add(const(x, 1), mul(x, x))))
defjvp(ew.sinh_p, lambda t, x: mul(t, ew.cosh(x)))
defjvp(ew.cosh_p, lambda t, x: mul(t, ew.sinh(x)))
defjvp(ew.asinh_p, lambda t, x: mul(t, ew.rsqrt(add(mul(x, x), const(x, 1)))))
defjvp(ew.acosh_p, lambda t, x: mul(t, ew.rsqrt(mul(sub(x, const(x, 1)),
                                                     add(x, const(x, 1))))))
defjvp(ew.atanh_p, lambda t, x: div(div(t, sub(const(x, 1), x)), add(const(x, 1), x)))
defjvp2(ew.sqrt_p, lambda t, ans, x: mul(t, div(const(x, 0.5), ans)))
defjvp2(ew.rsqrt_p, lambda t, ans, x: mul(t, mul(const(x, -0.5), div(ans, x))))
defjvp2(ew.cbrt_p, lambda t, ans, x: mul(t, mul(const(x, 1 / 3), ew.integer_pow(ans, -2))))
defjvp(ew.erf_p, lambda t, x: mul(t, mul(const(x, 2 / np.sqrt(np.pi)),
                                         ew.exp(neg(mul(x, x))))))
defjvp2(ew.erf_inv_p, lambda t, ans, x: mul(t, mul(const(x, np.sqrt(np.pi) / 2),
                                                   ew.exp(mul(ans, ans)))))


def _abs_partial(t, ans, x):
    if dtypes.is_complex(get_aval(x).dtype):
        return ew.real(mul(t, div(ew.conj(x), _replace_zero(
            ew.convert_element_type(ans, get_aval(x).dtype)))))
    return ew.select(ew.ge(x, const(x, 0)), t, neg(t))


defjvp2(ew.abs_p, _abs_partial)
deflinear(ew.real_p)
deflinear(ew.imag_p)
deflinear(ew.conj_p)
deflinear(ew.complex_p)
defjvp(ew.add_p, lambda t, x, y: t, lambda t, x, y: t)
defjvp(ew.sub_p, lambda t, x, y: t, lambda t, x, y: neg(t))
defjvp(ew.mul_p, lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t))
defjvp(ew.div_p, lambda t, x, y: div(t, y),
       lambda t, x, y: mul(neg(t), div(x, mul(y, y))))
defjvp(ew.rem_p, lambda t, x, y: t,
       lambda t, x, y: mul(neg(t), mul(ew.sign(div(x, y)), ew.floor(ew.abs(div(x, y))))))


def _pow_base(t, ans, x, y):
    """y * x**(y-1), and 0 where y == 0 (JAX's convention, also at x == 0)."""
    shape = get_aval(ans).shape
    jac = ew.select(ew.eq(y, const(y, 0)), fit(const(x, 0), shape),
                    mul(y, ew.pow(x, sub(y, const(y, 1)))))
    return mul(t, jac)


def _pow_exponent(t, ans, x, y):
    """log(x) * x**y, with log(0) read as 0 (JAX's convention)."""
    return mul(t, mul(ew.log(_replace_zero(x)), ans))


defjvp2(ew.pow_p, _pow_base, _pow_exponent)
defjvp2(ew.max_p, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)),
        lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)))
defjvp2(ew.min_p, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)),
        lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)))
defjvp(ew.atan2_p, lambda t, x, y: mul(t, div(y, add(mul(x, x), mul(y, y)))),
       lambda t, x, y: mul(neg(t), div(x, add(mul(x, x), mul(y, y)))))
defjvp(ew.integer_pow_p, lambda t, x, *, y: (
    mul(t, const(x, 0)) if y == 0 else mul(t, mul(const(x, y), ew.integer_pow(x, y - 1)))))


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = ew.select_n_p.bind(which, *cases)
    case_tangents = tangents[1:]
    if all(type(t) is Zero for t in case_tangents):
        return out, Zero(tangent_aval(get_aval(out)))
    shape = get_aval(out).shape
    return out, ew.select_n_p.bind(which, *[fit(instantiate(t), shape)
                                            for t in case_tangents])


JVP_RULES[ew.select_n_p] = _select_n_jvp
defjvp(ew.clamp_p,
       lambda t, lo, x, hi: ew.select(ew.gt(lo, x), fit(t, get_aval(x).shape),
                                      ew.mul(fit(t, get_aval(x).shape), const(x, 0))),
       lambda t, lo, x, hi: ew.select(ew.bitwise_and(ew.ge(x, lo), ew.le(x, hi)), t,
                                      mul(t, const(x, 0))),
       lambda t, lo, x, hi: ew.select(ew.lt(hi, x), fit(t, get_aval(x).shape),
                                      ew.mul(fit(t, get_aval(x).shape), const(x, 0))))


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = ew.convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not dtypes.is_inexact(new_dtype):
        return out, Zero(tangent_aval(get_aval(out)))
    return out, ew.convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


JVP_RULES[ew.convert_element_type_p] = _convert_jvp


# ---- transpose ------------------------------------------------------------------------

def unbroadcast(ct, aval):
    """Sums a cotangent over the dims a rank-0 operand was broadcast along."""
    if get_aval(ct).shape == aval.shape:
        return ct
    return red.reduce_sum(ct, range(get_aval(ct).ndim))


def _add_t(ct, x, y):
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(ct, y.aval) if is_undefined(y) else None]


def _sub_t(ct, x, y):
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(ew.neg(ct), y.aval) if is_undefined(y) else None]


def _mul_t(ct, x, y):
    if is_undefined(x) and is_undefined(y):
        raise TypeError("mul of two linear values is not linear")
    if is_undefined(x):
        return [unbroadcast(ew.mul(ct, y), x.aval), None]
    return [None, unbroadcast(ew.mul(x, ct), y.aval)]


def _div_t(ct, x, y):
    if is_undefined(y):
        raise TypeError("div is not linear in its divisor")
    return [unbroadcast(ew.div(ct, y), x.aval), None]


TRANSPOSE_RULES[ew.add_p] = _add_t
TRANSPOSE_RULES[ew.sub_p] = _sub_t
TRANSPOSE_RULES[ew.mul_p] = _mul_t
TRANSPOSE_RULES[ew.div_p] = _div_t
TRANSPOSE_RULES[ew.neg_p] = lambda ct, x: [ew.neg(ct)]
TRANSPOSE_RULES[ew.conj_p] = lambda ct, x: [ew.conj(ct)]
TRANSPOSE_RULES[ew.real_p] = lambda ct, x: [ew.complex(ct, zero_scalar(ct))]
TRANSPOSE_RULES[ew.imag_p] = lambda ct, x: [ew.complex(zero_scalar(ct), ew.neg(ct))]
TRANSPOSE_RULES[ew.complex_p] = lambda ct, x, y: [
    unbroadcast(ew.real(ct), x.aval) if is_undefined(x) else None,
    unbroadcast(ew.imag(ew.neg(ct)), y.aval) if is_undefined(y) else None]


def _convert_t(ct, x, *, new_dtype, weak_type):
    old = x.aval.dtype
    if dtypes.is_complex(new_dtype) and not dtypes.is_complex(old):
        ct = ew.real(ct)
    return [ew.convert_element_type_p.bind(ct, new_dtype=old, weak_type=x.aval.weak_type)]


TRANSPOSE_RULES[ew.convert_element_type_p] = _convert_t


def _select_n_t(ct, which, *cases):
    if is_undefined(which):
        raise TypeError("select_n is not linear in its predicate")
    zeros = ew.mul(ct, zero_scalar(ct))
    out = [None]
    for i, case in enumerate(cases):
        if not is_undefined(case):
            out.append(None)
            continue
        picks = [ct if j == i else zeros for j in range(len(cases))]
        out.append(unbroadcast(ew.select_n_p.bind(which, *picks), case.aval))
    return out


TRANSPOSE_RULES[ew.select_n_p] = _select_n_t


# ---- batching -------------------------------------------------------------------------

def _batch_size(vals, dims):
    return next(get_aval(v).shape[d] for v, d in zip(vals, dims) if d is not None)


def align_elementwise(vals, dims, keep_scalar=lambda i: True):
    """Operands with the batch dimension first and one common shape (batch,) + s;
    unbatched rank-0 operands are left as they are where `keep_scalar(i)`."""
    size = _batch_size(vals, dims)
    inner = ()
    for v, d in zip(vals, dims):
        shape = get_aval(v).shape
        if d is not None:
            shape = shape[:d] + shape[d + 1:]
        if shape:
            inner = shape
    out_shape = (size,) + inner
    aligned = []
    for i, (v, d) in enumerate(zip(vals, dims)):
        ndim = get_aval(v).ndim
        if d is None:
            if ndim == 0 and keep_scalar(i):
                aligned.append(v)
            else:
                dims_map = tuple(range(1, ndim + 1)) if ndim else ()
                aligned.append(st.broadcast_in_dim(v, out_shape, dims_map))
        else:
            v = moveaxis(v, d, 0)
            if ndim == 1 and inner:
                v = st.broadcast_in_dim(v, out_shape, (0,))
            aligned.append(v)
    return aligned


def _elementwise_rule(prim):
    def rule(vals, dims, **params):
        return prim.bind(*align_elementwise(vals, dims), **params), 0
    return rule


for _prim in list(ew.UNARY.values()) + list(ew.BINARY.values()) + [
        ew.round_nearest_even_p, ew.round_away_p, ew.integer_pow_p, ew.convert_element_type_p,
        ew.bitcast_convert_type_p, ew.stop_gradient_p]:
    BATCH_RULES[_prim] = _elementwise_rule(_prim)


def _select_n_rule(vals, dims):
    # cases must share one shape; an unbatched rank-0 predicate may stay rank-0
    return ew.select_n_p.bind(*align_elementwise(vals, dims, keep_scalar=lambda i: i == 0)), 0


def _clamp_rule(vals, dims):
    return ew.clamp_p.bind(*align_elementwise(vals, dims, keep_scalar=lambda i: i != 1)), 0


BATCH_RULES[ew.select_n_p] = _select_n_rule
BATCH_RULES[ew.clamp_p] = _clamp_rule
