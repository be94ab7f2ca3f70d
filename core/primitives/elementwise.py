"""Elementwise primitives: math, comparisons, logic, select, conversions.

Operands of an n-ary elementwise primitive share one dtype and one shape; rank-0
operands broadcast (so `x * 2.0` needs no broadcast equation).  The binding
functions accept Python scalars, which take the other operand's dtype (weak typing).
"""
import warnings

import numpy as np
import scipy.special

from .. import dtypes
from ..aval import ShapedArray
from ..primitive import Primitive
from ..tensor import ArrayImpl, to_tensor
from .checks import check_dtype_in, check_same_dtypes, dtypes_of_kinds, elementwise_shape

FLOAT_KINDS, INEXACT_KINDS, INT_KINDS = "f", "fc", "iu"
NUMERIC_KINDS, ALL_KINDS = "iufc", "biufc"
_KIND_NAMES = {FLOAT_KINDS: "a floating dtype", INEXACT_KINDS: "a floating or complex dtype",
               INT_KINDS: "an integer dtype", NUMERIC_KINDS: "a numeric (non-bool) dtype",
               "biu": "a boolean or integer dtype", ALL_KINDS: "any dtype",
               "c": "a complex dtype", "biuf": "a real (non-complex) dtype"}


# XLA computes inf/nan silently; NumPy warns.  Silence NumPy's floating-point warnings
# raised from irax's own modules (a filter costs nothing per call, unlike np.errstate).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"irax\.")


def _as_array(fn):
    """Makes a NumPy function return arrays of the input dtype for every input."""
    def wrapped(*args):
        out = fn(*args)
        return out if out.dtype == args[0].dtype else out.astype(args[0].dtype)
    return wrapped


def elementwise_primitive(name: str, np_fn, kinds: str, out_dtype=None, n_args: int = 1):
    """An n-ary elementwise primitive computed by `np_fn` on NumPy values.

    `out_dtype(in_dtype)` gives the output dtype (default: the input's).
    """
    prim = Primitive(name)
    what = _KIND_NAMES[kinds]
    allowed = dtypes_of_kinds(kinds)

    def check(*operands):
        if n_args > 1:
            check_same_dtypes(name, *operands)
            shape = elementwise_shape(name, *operands)
        else:
            shape = operands[0].shape
        check_dtype_in(name, operands[0].dtype, allowed, what)
        return shape

    def impl(*values):
        check(*values)
        return np_fn(*values)

    def abstract_eval(*avals):
        shape = check(*avals)
        dtype = avals[0].dtype if out_dtype is None else out_dtype(avals[0].dtype)
        weak = dtype != dtypes.bool_ and all(a.weak_type for a in avals)
        return ShapedArray(shape, dtype, weak)

    prim.def_impl(impl)
    prim.def_abstract_eval(abstract_eval)
    prim.eager_fast_path = EagerFastPath(np_fn, allowed, out_dtype is None)
    return prim


class EagerFastPath:
    """What irax.numpy needs to run an elementwise primitive on concrete operands of
    one dtype and shape without going through `bind` (the checks `impl` would do are
    the ones listed here); `same_dtype_out` says the output keeps the input dtype."""

    __slots__ = ("allowed", "np_fn", "same_dtype_out")

    def __init__(self, np_fn, allowed, same_dtype_out):
        self.np_fn = np_fn
        self.allowed = allowed
        self.same_dtype_out = same_dtype_out


def _bool_out(_):
    return dtypes.bool_


def _round_away(x):
    return np.copysign(np.floor(np.abs(x) + np.asarray(0.5, x.dtype)), x).astype(x.dtype)


def _int_div(x, y):
    """Division; integers round toward zero and x / 0 is -1 (all bits set), as in XLA."""
    if x.dtype.kind not in "iu":
        return x / y
    safe = np.where(y == 0, 1, y).astype(x.dtype)
    q = np.floor_divide(x, safe)
    fix = (np.remainder(x, safe) != 0) & ((x < 0) != (safe < 0))
    q = np.where(fix, q + 1, q)
    return np.where(y == 0, np.array(-1).astype(x.dtype), q).astype(x.dtype)


def _rem(x, y):
    """C's fmod; for integers x % 0 is x, as in XLA."""
    if x.dtype.kind not in "iu":
        return np.fmod(x, y).astype(x.dtype)
    safe = np.where(y == 0, 1, y).astype(x.dtype)
    return np.where(y == 0, x, np.fmod(x, safe)).astype(x.dtype)


def _special(fn):
    """A scipy.special function on irax dtypes (half precision computed in float32)."""
    def apply(x):
        wide = x.astype(np.float32) if x.dtype.itemsize < 4 else x
        return np.asarray(fn(wide)).astype(x.dtype)
    apply.__name__ = fn.__name__
    return apply


def _shift_right_logical(x, y):
    unsigned = np.dtype(f"u{x.dtype.itemsize}")
    bits = 8 * x.dtype.itemsize
    out = np.right_shift(x.view(unsigned) if x.ndim else x.astype(unsigned),
                         y.astype(unsigned))
    return np.where(y.astype(unsigned) >= bits, 0, out).astype(unsigned).astype(x.dtype)


def _shift_left(x, y):
    bits = 8 * x.dtype.itemsize
    return np.where(y >= bits, 0, np.left_shift(x, y)).astype(x.dtype)


def _shift_right_arithmetic(x, y):
    bits = 8 * x.dtype.itemsize
    return np.right_shift(x, np.minimum(y, bits - 1)).astype(x.dtype)


def _sign(x):
    if x.dtype.kind == "c":
        mag = np.abs(x)
        return np.where(mag == 0, 0, x / np.where(mag == 0, 1, mag)).astype(x.dtype)
    if dtypes.is_float(x.dtype):  # sign(-0.0) is -0.0 (stablehlo.sign, JAX); NumPy: +0.0
        return np.where(x == 0, x, np.sign(x)).astype(x.dtype)
    return np.sign(x)


def _zero_ordered(extremum, negative_wins: bool):
    """NumPy's maximum / minimum with -0.0 < +0.0, as IEEE 754's maximum and minimum
    (and StableHLO, and JAX) order them: max(0.0, -0.0) is 0.0 whichever comes first."""
    def fn(x, y):
        out = extremum(x, y)
        if not dtypes.is_float(x.dtype):  # bfloat16 included
            return out
        ties = (x == 0) & (y == 0)
        if not np.any(ties):
            return out
        signs = np.signbit(x) | np.signbit(y) if negative_wins else (
            np.signbit(x) & np.signbit(y))
        zero = np.where(signs, -0.0, 0.0).astype(x.dtype)
        return np.where(ties, zero, out).astype(x.dtype)
    return fn


def _complex(x, y):
    """x + iy, signs of zeros kept (x + 1j * y turns an imaginary -0.0 into +0.0)."""
    x, y = np.broadcast_arrays(x, y)
    out = np.empty(x.shape, dtypes.complex_dtype_for(x.dtype))
    out.real, out.imag = x, y
    return out


def _unary(name, fn, kinds=INEXACT_KINDS, out_dtype=None):
    return elementwise_primitive(name, fn, kinds, out_dtype)


def _binary(name, fn, kinds=NUMERIC_KINDS, out_dtype=None):
    return elementwise_primitive(name, fn, kinds, out_dtype, n_args=2)


neg_p = _unary("neg", np.negative, NUMERIC_KINDS)
sign_p = _unary("sign", _sign, NUMERIC_KINDS)
floor_p = _unary("floor", np.floor, FLOAT_KINDS)
ceil_p = _unary("ceil", np.ceil, FLOAT_KINDS)
round_nearest_even_p = _unary("round_nearest_even", np.rint, FLOAT_KINDS)
round_away_p = _unary("round_away_from_zero", _round_away, FLOAT_KINDS)
is_finite_p = _unary("is_finite", np.isfinite, FLOAT_KINDS, _bool_out)
exp_p = _unary("exp", np.exp)
exp2_p = _unary("exp2", np.exp2)
log_p = _unary("log", np.log)
expm1_p = _unary("expm1", np.expm1)
log1p_p = _unary("log1p", np.log1p)
tanh_p = _unary("tanh", np.tanh)
logistic_p = _unary("logistic", lambda x: _as_array(lambda v: 1 / (1 + np.exp(-v)))(x))
sin_p = _unary("sin", np.sin)
cos_p = _unary("cos", np.cos)
tan_p = _unary("tan", np.tan)
asin_p = _unary("asin", np.arcsin)
acos_p = _unary("acos", np.arccos)
atan_p = _unary("atan", np.arctan)
sinh_p = _unary("sinh", np.sinh)
cosh_p = _unary("cosh", np.cosh)
asinh_p = _unary("asinh", np.arcsinh)
acosh_p = _unary("acosh", np.arccosh)
atanh_p = _unary("atanh", np.arctanh)
sqrt_p = _unary("sqrt", np.sqrt)
rsqrt_p = _unary("rsqrt", _as_array(lambda x: 1 / np.sqrt(x)))
cbrt_p = _unary("cbrt", np.cbrt, FLOAT_KINDS)
erf_p = _unary("erf", _special(scipy.special.erf), FLOAT_KINDS)
erf_inv_p = _unary("erf_inv", _special(scipy.special.erfinv), FLOAT_KINDS)
abs_p = _unary("abs", np.abs, NUMERIC_KINDS, dtypes.real_dtype)
real_p = _unary("real", np.real, "c", dtypes.real_dtype)
imag_p = _unary("imag", np.imag, "c", dtypes.real_dtype)
conj_p = _unary("conj", np.conjugate, "c")
not_p = _unary("not", np.invert, "biu")

add_p = _binary("add", np.add)
sub_p = _binary("sub", np.subtract)
mul_p = _binary("mul", np.multiply)
div_p = _binary("div", _int_div)
rem_p = _binary("rem", _rem, NUMERIC_KINDS)
pow_p = _binary("pow", np.power, INEXACT_KINDS)
max_p = _binary("max", _zero_ordered(np.maximum, negative_wins=False), ALL_KINDS)
min_p = _binary("min", _zero_ordered(np.minimum, negative_wins=True), ALL_KINDS)
atan2_p = _binary("atan2", np.arctan2, FLOAT_KINDS)
and_p = _binary("and", np.bitwise_and, "biu")
or_p = _binary("or", np.bitwise_or, "biu")
xor_p = _binary("xor", np.bitwise_xor, "biu")
shift_left_p = _binary("shift_left", _shift_left, INT_KINDS)
shift_right_logical_p = _binary("shift_right_logical", _shift_right_logical, INT_KINDS)
shift_right_arithmetic_p = _binary("shift_right_arithmetic", _shift_right_arithmetic,
                                   INT_KINDS)
eq_p = _binary("eq", np.equal, ALL_KINDS, _bool_out)
ne_p = _binary("ne", np.not_equal, ALL_KINDS, _bool_out)
lt_p = _binary("lt", np.less, "biuf", _bool_out)
le_p = _binary("le", np.less_equal, "biuf", _bool_out)
gt_p = _binary("gt", np.greater, "biuf", _bool_out)
ge_p = _binary("ge", np.greater_equal, "biuf", _bool_out)
complex_p = _binary("complex", _complex, FLOAT_KINDS, dtypes.complex_dtype_for)

# The n-ary elementwise primitives by name (irax.numpy's ufuncs, tests).
UNARY = {p.name: p for p in (
    neg_p, sign_p, floor_p, ceil_p, is_finite_p, exp_p, exp2_p, log_p, expm1_p, log1p_p,
    tanh_p, logistic_p, sin_p, cos_p, tan_p, asin_p, acos_p, atan_p, sinh_p, cosh_p,
    asinh_p, acosh_p, atanh_p, sqrt_p, rsqrt_p, cbrt_p, erf_p, erf_inv_p, abs_p, real_p,
    imag_p, conj_p, not_p)}
BINARY = {p.name: p for p in (
    add_p, sub_p, mul_p, div_p, rem_p, pow_p, max_p, min_p, atan2_p, and_p, or_p, xor_p,
    shift_left_p, shift_right_logical_p, shift_right_arithmetic_p, eq_p, ne_p, lt_p, le_p,
    gt_p, ge_p, complex_p)}


_NUMERIC_DTYPES = dtypes_of_kinds(NUMERIC_KINDS)


def _integer_pow_impl(x, *, y: int):
    check_dtype_in("integer_pow", x.dtype, _NUMERIC_DTYPES, _KIND_NAMES[NUMERIC_KINDS])
    if y >= 0:
        return np.power(x, y).astype(x.dtype)
    return (np.ones((), x.dtype) / np.power(x, -y)).astype(x.dtype)


integer_pow_p = Primitive("integer_pow")
integer_pow_p.def_impl(_integer_pow_impl)
integer_pow_p.def_abstract_eval(lambda x, *, y: x)


def _select_n_check(which, cases):
    if not cases:
        raise TypeError("select_n needs at least one case")
    check_same_dtypes("select_n", *cases)
    shape = elementwise_shape("select_n", *cases)
    if which.shape not in ((), shape):
        raise TypeError(f"select_n: predicate shape {which.shape} must be () or the cases' "
                        f"shape {shape}")
    if which.dtype != dtypes.bool_ and which.dtype.kind not in "iu":
        raise TypeError(f"select_n: predicate must be bool or integer, got {which.dtype}")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise TypeError("select_n: a boolean predicate selects between at most 2 cases")
    return shape


def _select_n_impl(which, *cases):
    shape = _select_n_check(which, cases)
    if len(cases) == 1:
        return np.broadcast_to(cases[0], shape)
    if which.dtype == dtypes.bool_:
        return np.where(which, cases[1], cases[0])
    return np.choose(which, [np.broadcast_to(c, shape) for c in cases], mode="clip")


select_n_p = Primitive("select_n")
select_n_p.def_impl(_select_n_impl)
select_n_p.def_abstract_eval(lambda which, *cases: ShapedArray(
    _select_n_check(which, cases), cases[0].dtype, all(c.weak_type for c in cases)))
select_n_p.weak_type_rule = lambda args, params: all(a.weak_type for a in args[1:])


def _clamp_impl(lo, x, hi):
    _clamp_check(lo, x, hi)
    return np.minimum(np.maximum(x, lo), hi)


def _clamp_check(lo, x, hi):
    check_same_dtypes("clamp", lo, x, hi)
    for bound in (lo, hi):
        if bound.shape not in ((), x.shape):
            raise TypeError(f"clamp: bounds must be scalars or of the operand's shape "
                            f"{x.shape}, got {bound.shape}")


clamp_p = Primitive("clamp")
clamp_p.def_impl(_clamp_impl)
clamp_p.def_abstract_eval(lambda lo, x, hi: (_clamp_check(lo, x, hi), x)[1])
clamp_p.weak_type_rule = lambda args, params: args[1].weak_type


def _convert_impl(x, *, new_dtype, weak_type):
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        x = np.real(x)
    if new_dtype == dtypes.bool_:
        return x != 0
    return x.astype(new_dtype)


convert_element_type_p = Primitive("convert_element_type")
convert_element_type_p.def_impl(_convert_impl)
convert_element_type_p.def_abstract_eval(
    lambda x, *, new_dtype, weak_type: ShapedArray(x.shape, new_dtype, weak_type))
convert_element_type_p.weak_type_rule = lambda args, params: params["weak_type"]


def _bitcast_check(x, new_dtype):
    if x.dtype.itemsize != new_dtype.itemsize:
        raise TypeError(f"bitcast_convert_type: {x.dtype} and {new_dtype} differ in width "
                        "(only equal widths are supported)")


def _bitcast_impl(x, *, new_dtype):
    _bitcast_check(x, new_dtype)
    return np.asarray(x).view(new_dtype)


bitcast_convert_type_p = Primitive("bitcast_convert_type")
bitcast_convert_type_p.def_impl(_bitcast_impl)
bitcast_convert_type_p.def_abstract_eval(
    lambda x, *, new_dtype: (_bitcast_check(x, new_dtype), ShapedArray(x.shape, new_dtype))[1])
bitcast_convert_type_p.weak_type_rule = lambda args, params: False

stop_gradient_p = Primitive("stop_gradient")
stop_gradient_p.def_impl(lambda x: x)
stop_gradient_p.def_abstract_eval(lambda x: x)


# ---- binding functions (irax.lax) -------------------------------------------------

def match_weak(x, y):
    """Converts a weakly typed operand to the other's dtype (lax's only implicit cast)."""
    x, y = to_tensor(x), to_tensor(y)
    if x.dtype == y.dtype:
        return x, y
    if x.weak_type and not y.weak_type:
        return convert_element_type(x, y.dtype), y
    if y.weak_type and not x.weak_type:
        return x, convert_element_type(y, x.dtype)
    return x, y


def convert_element_type(x, new_dtype, weak_type: bool = False):
    """`lax.convert_element_type`: elementwise cast to `new_dtype` (canonicalized)."""
    x = to_tensor(x)
    new_dtype = dtypes.canonicalize_dtype(dtypes.to_dtype(new_dtype))
    if x.dtype == new_dtype and x.weak_type == weak_type:
        return x
    if type(x) is ArrayImpl:  # a constant: convert now, even while tracing (as JAX does)
        return ArrayImpl(np.asarray(_convert_impl(x._value, new_dtype=new_dtype,
                                                  weak_type=weak_type)), weak_type)
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)


def bitcast_convert_type(x, new_dtype):
    """`lax.bitcast_convert_type`: reinterprets the bits as `new_dtype` (equal widths)."""
    return bitcast_convert_type_p.bind(to_tensor(x), new_dtype=dtypes.to_dtype(new_dtype))


def integer_pow(x, y: int):
    """`lax.integer_pow`: `x ** y` for a static Python int `y`."""
    return integer_pow_p.bind(to_tensor(x), y=int(y))


def select_n(which, *cases):
    """`lax.select_n`: `cases[which]` elementwise (bool `which`: False→0, True→1)."""
    return select_n_p.bind(to_tensor(which), *[to_tensor(c) for c in cases])


def select(pred, on_true, on_false):
    """`lax.select(pred, on_true, on_false)`: elementwise choice by a bool `pred`."""
    return select_n(pred, on_false, on_true)


def clamp(lo, x, hi):
    """`lax.clamp(min, x, max)`: `x` limited to `[min, max]` elementwise."""
    x = to_tensor(x)
    lo, _ = match_weak(lo, x)
    hi, _ = match_weak(hi, x)
    return clamp_p.bind(lo, x, hi)


def stop_gradient(x):
    """`lax.stop_gradient`: the identity, whose derivative is zero (applies to pytrees)."""
    from .. import pytree
    return pytree.tree_map(lambda leaf: stop_gradient_p.bind(to_tensor(leaf)), x)


def neg(x):
    """`lax.neg(x)`: elementwise negation, `-x`."""
    return neg_p.bind(to_tensor(x))


def sign(x):
    """`lax.sign(x)`: elementwise sign (-1, 0 or 1; x/|x| for complex)."""
    return sign_p.bind(to_tensor(x))


def floor(x):
    """`lax.floor(x)`: elementwise floor."""
    return floor_p.bind(to_tensor(x))


def ceil(x):
    """`lax.ceil(x)`: elementwise ceiling."""
    return ceil_p.bind(to_tensor(x))


def is_finite(x):
    """`lax.is_finite(x)`: elementwise test for neither inf nor nan."""
    return is_finite_p.bind(to_tensor(x))


def exp(x):
    """`lax.exp(x)`: elementwise exponential."""
    return exp_p.bind(to_tensor(x))


def exp2(x):
    """`lax.exp2(x)`: elementwise base-2 exponential."""
    return exp2_p.bind(to_tensor(x))


def log(x):
    """`lax.log(x)`: elementwise natural logarithm."""
    return log_p.bind(to_tensor(x))


def expm1(x):
    """`lax.expm1(x)`: elementwise `exp(x) - 1`, exact near zero."""
    return expm1_p.bind(to_tensor(x))


def log1p(x):
    """`lax.log1p(x)`: elementwise `log(1 + x)`, exact near zero."""
    return log1p_p.bind(to_tensor(x))


def tanh(x):
    """`lax.tanh(x)`: elementwise hyperbolic tangent."""
    return tanh_p.bind(to_tensor(x))


def logistic(x):
    """`lax.logistic(x)`: elementwise sigmoid, `1 / (1 + exp(-x))`."""
    return logistic_p.bind(to_tensor(x))


def sin(x):
    """`lax.sin(x)`: elementwise sine."""
    return sin_p.bind(to_tensor(x))


def cos(x):
    """`lax.cos(x)`: elementwise cosine."""
    return cos_p.bind(to_tensor(x))


def tan(x):
    """`lax.tan(x)`: elementwise tangent."""
    return tan_p.bind(to_tensor(x))


def asin(x):
    """`lax.asin(x)`: elementwise arcsine."""
    return asin_p.bind(to_tensor(x))


def acos(x):
    """`lax.acos(x)`: elementwise arccosine."""
    return acos_p.bind(to_tensor(x))


def atan(x):
    """`lax.atan(x)`: elementwise arctangent."""
    return atan_p.bind(to_tensor(x))


def sinh(x):
    """`lax.sinh(x)`: elementwise hyperbolic sine."""
    return sinh_p.bind(to_tensor(x))


def cosh(x):
    """`lax.cosh(x)`: elementwise hyperbolic cosine."""
    return cosh_p.bind(to_tensor(x))


def asinh(x):
    """`lax.asinh(x)`: elementwise inverse hyperbolic sine."""
    return asinh_p.bind(to_tensor(x))


def acosh(x):
    """`lax.acosh(x)`: elementwise inverse hyperbolic cosine."""
    return acosh_p.bind(to_tensor(x))


def atanh(x):
    """`lax.atanh(x)`: elementwise inverse hyperbolic tangent."""
    return atanh_p.bind(to_tensor(x))


def sqrt(x):
    """`lax.sqrt(x)`: elementwise square root."""
    return sqrt_p.bind(to_tensor(x))


def rsqrt(x):
    """`lax.rsqrt(x)`: elementwise reciprocal square root, `1 / sqrt(x)`."""
    return rsqrt_p.bind(to_tensor(x))


def cbrt(x):
    """`lax.cbrt(x)`: elementwise cube root."""
    return cbrt_p.bind(to_tensor(x))


def erf(x):
    """`lax.erf(x)`: elementwise error function."""
    return erf_p.bind(to_tensor(x))


def erf_inv(x):
    """`lax.erf_inv(x)`: elementwise inverse error function."""
    return erf_inv_p.bind(to_tensor(x))


def abs(x):
    """`lax.abs(x)`: elementwise absolute value (the modulus for complex)."""
    return abs_p.bind(to_tensor(x))


def real(x):
    """`lax.real(x)`: elementwise real part of a complex array."""
    return real_p.bind(to_tensor(x))


def imag(x):
    """`lax.imag(x)`: elementwise imaginary part of a complex array."""
    return imag_p.bind(to_tensor(x))


def conj(x):
    """`lax.conj(x)`: elementwise complex conjugate."""
    return conj_p.bind(to_tensor(x))


def bitwise_not(x):
    """`lax.bitwise_not(x)`: elementwise bitwise NOT (logical NOT for bool)."""
    return not_p.bind(to_tensor(x))


def add(x, y):
    """`lax.add(x, y)`: elementwise sum."""
    return add_p.bind(*match_weak(x, y))


def sub(x, y):
    """`lax.sub(x, y)`: elementwise difference."""
    return sub_p.bind(*match_weak(x, y))


def mul(x, y):
    """`lax.mul(x, y)`: elementwise product."""
    return mul_p.bind(*match_weak(x, y))


def div(x, y):
    """`lax.div(x, y)`: elementwise quotient (integers round toward zero)."""
    return div_p.bind(*match_weak(x, y))


def rem(x, y):
    """`lax.rem(x, y)`: elementwise remainder with the sign of `x` (C's fmod)."""
    return rem_p.bind(*match_weak(x, y))


def pow(x, y):
    """`lax.pow(x, y)`: elementwise power `x ** y`."""
    return pow_p.bind(*match_weak(x, y))


def max(x, y):
    """`lax.max(x, y)`: elementwise maximum."""
    return max_p.bind(*match_weak(x, y))


def min(x, y):
    """`lax.min(x, y)`: elementwise minimum."""
    return min_p.bind(*match_weak(x, y))


def atan2(x, y):
    """`lax.atan2(x, y)`: elementwise arctangent of `x / y` by quadrant."""
    return atan2_p.bind(*match_weak(x, y))


def bitwise_and(x, y):
    """`lax.bitwise_and(x, y)`: elementwise bitwise AND (logical for bool)."""
    return and_p.bind(*match_weak(x, y))


def bitwise_or(x, y):
    """`lax.bitwise_or(x, y)`: elementwise bitwise OR (logical for bool)."""
    return or_p.bind(*match_weak(x, y))


def bitwise_xor(x, y):
    """`lax.bitwise_xor(x, y)`: elementwise bitwise XOR (logical for bool)."""
    return xor_p.bind(*match_weak(x, y))


def shift_left(x, y):
    """`lax.shift_left(x, y)`: elementwise `x << y` (0 past the width)."""
    return shift_left_p.bind(*match_weak(x, y))


def shift_right_logical(x, y):
    """`lax.shift_right_logical(x, y)`: elementwise `x >> y`, zeros shifted in."""
    return shift_right_logical_p.bind(*match_weak(x, y))


def shift_right_arithmetic(x, y):
    """`lax.shift_right_arithmetic(x, y)`: elementwise `x >> y`, sign bits shifted in."""
    return shift_right_arithmetic_p.bind(*match_weak(x, y))


def eq(x, y):
    """`lax.eq(x, y)`: elementwise `x == y`."""
    return eq_p.bind(*match_weak(x, y))


def ne(x, y):
    """`lax.ne(x, y)`: elementwise `x != y`."""
    return ne_p.bind(*match_weak(x, y))


def lt(x, y):
    """`lax.lt(x, y)`: elementwise `x < y`."""
    return lt_p.bind(*match_weak(x, y))


def le(x, y):
    """`lax.le(x, y)`: elementwise `x <= y`."""
    return le_p.bind(*match_weak(x, y))


def gt(x, y):
    """`lax.gt(x, y)`: elementwise `x > y`."""
    return gt_p.bind(*match_weak(x, y))


def ge(x, y):
    """`lax.ge(x, y)`: elementwise `x >= y`."""
    return ge_p.bind(*match_weak(x, y))


def complex(x, y):
    """`lax.complex(x, y)`: elementwise `x + 1j * y`."""
    return complex_p.bind(*match_weak(x, y))


def round(x, rounding_method: int = 0):
    """`lax.round`: 0 rounds half away from zero, 1 to nearest even."""
    prim = round_nearest_even_p if int(rounding_method) == 1 else round_away_p
    return prim.bind(to_tensor(x))
