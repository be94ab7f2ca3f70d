"""Elementwise functions of irax.numpy (NumPy's ufuncs), built on lax primitives.

Arguments are converted, promoted (weak types respected) and broadcast by NumPy's
rules first.  Transcendental functions promote integers to the default float.
"""
import functools
import operator

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor
from irax.core.trace import no_transform_active
from irax.transforms.custom_derivatives import custom_jvp

from .util import (
    asarray_arg,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    nonzero_indices,
    promote_args,
    promote_args_inexact,
)

__all__ = [
    "abs", "absolute", "acos", "acosh", "add", "angle", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctan2", "arctanh", "around", "asin", "asinh", "atan", "atan2",
    "atanh", "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not",
    "bitwise_or", "bitwise_right_shift", "bitwise_xor", "cbrt", "ceil", "clip", "conj",
    "conjugate", "copysign", "cos", "cosh", "deg2rad", "degrees", "divide", "divmod", "equal",
    "exp", "exp2", "expm1", "fabs", "fix", "float_power", "floor", "floor_divide", "fmax",
    "fmin", "fmod", "greater", "greater_equal", "heaviside", "hypot", "imag", "invert",
    "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "left_shift", "less",
    "less_equal", "log", "log1p", "log2", "log10", "logaddexp", "logaddexp2", "logical_and",
    "logical_not", "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply",
    "nan_to_num", "negative", "not_equal", "positive", "pow", "power", "rad2deg", "radians",
    "real", "reciprocal", "remainder", "right_shift", "rint", "round", "sign", "signbit",
    "sin", "sinc", "sinh", "sqrt", "square", "subtract", "tan", "tanh", "true_divide", "trunc",
    "where",
]


def _scalar(value, dtype) -> Tensor:
    """The Python number `value` as a strongly typed 0-d array of `dtype`."""
    return convert(asarray_arg("", value), dtype)


def _weak_scalar(value, dtype) -> Tensor:
    """The Python number `value` as a weakly typed 0-d array of `dtype`: combined with
    an array, it leaves the array's weak type as is (where JAX's decompositions use a
    Python scalar, e.g. `quotient - 1` in floor_divide)."""
    return convert(asarray_arg("", value), dtype, True)


def _reject_complex(name: str, x: Tensor) -> None:
    """Raises TypeError naming `name` when the promoted arguments are complex."""
    if dtypes.is_complex(x.dtype):
        raise TypeError(f"{name} does not accept complex arguments, got {x.dtype}")


def _require_integers(name: str, x: Tensor) -> None:
    """Raises TypeError naming `name` unless the promoted arguments are integers."""
    if not dtypes.is_integer(x.dtype):
        raise TypeError(f"{name} needs integer (or boolean) arguments, got {x.dtype}")


def _promote_numeric(name: str, *args) -> list[Tensor]:
    """`promote_args`, then booleans become the default integer (JAX's
    `promote_args_numeric`: arithmetic such as `//`, `%`, `<<` and `**` on bools)."""
    xs = promote_args(name, *args)
    if xs[0].dtype != dtypes.bool_:
        return xs
    return [convert(x, dtypes.default_int_dtype()) for x in xs]


def _named(fn, name: str, doc: str):
    """`fn`, made by a factory below, under its NumPy `name` with docstring `doc`."""
    fn.__name__, fn.__doc__ = name, doc
    return fn


def _inexact_unary(name, prim_name):
    prim = ew.UNARY[prim_name]
    bind, fast = prim.bind, prim.eager_fast_path

    def fn(x):
        if type(x) is ArrayImpl and no_transform_active():
            value = x._value
            if value.dtype in fast.allowed:
                return ArrayImpl(fast.np_fn(value), x._weak_type)
        (x,) = promote_args_inexact(name, x)
        return bind(x)
    return _named(fn, name,
                  f"`jnp.{name}(x)`: elementwise, as `numpy.{name}` (ints become floats).")


exp = _inexact_unary("exp", "exp")
exp2 = _inexact_unary("exp2", "exp2")
expm1 = _inexact_unary("expm1", "expm1")
log = _inexact_unary("log", "log")
log1p = _inexact_unary("log1p", "log1p")
sqrt = _inexact_unary("sqrt", "sqrt")
sin = _inexact_unary("sin", "sin")
cos = _inexact_unary("cos", "cos")
tan = _inexact_unary("tan", "tan")
arcsin = asin = _inexact_unary("arcsin", "asin")
arccos = acos = _inexact_unary("arccos", "acos")
arctan = atan = _inexact_unary("arctan", "atan")
sinh = _inexact_unary("sinh", "sinh")
cosh = _inexact_unary("cosh", "cosh")
tanh = _inexact_unary("tanh", "tanh")
arcsinh = asinh = _inexact_unary("arcsinh", "asinh")
arccosh = acosh = _inexact_unary("arccosh", "acosh")
arctanh = atanh = _inexact_unary("arctanh", "atanh")


def cbrt(x):
    """`jnp.cbrt(x)`: real cube root."""
    (x,) = promote_args_inexact("cbrt", x)
    return ew.cbrt(x)


def log2(x):
    """`jnp.log2(x)`: base-2 logarithm."""
    return _log_base("log2", x, 2)


def log10(x):
    """`jnp.log10(x)`: base-10 logarithm."""
    return _log_base("log10", x, 10)


def _log_base(name: str, x, base: int):
    (x,) = promote_args_inexact(name, x)
    return ew.div(ew.log(x), ew.log(np.asarray(base, x.dtype)))


_BOOL_EQUIVALENT = {"add": "or", "mul": "and"}
_INTEGER_AND_BOOL = frozenset(d for d in dtypes.ALL if not dtypes.is_inexact(d))


def _eager_binary(fast, allowed, x1, x2):
    """The result of an elementwise op on concrete operands that need no promotion or
    broadcasting (same dtype and shape, or a Python scalar that leaves the array's
    dtype and weak type unchanged by `dtypes.python_scalar_types_kept`); None when the
    general path is needed (including a Python int out of the dtype's range, which
    the general path wraps as JAX does)."""
    if type(x1) is ArrayImpl:
        v1 = x1._value
        dtype, weak = v1.dtype, x1._weak_type
        if type(x2) is ArrayImpl:
            v2 = x2._value
            if dtype != v2.dtype or v1.shape != v2.shape:
                return None
            weak = weak and x2._weak_type
        elif type(x2) in dtypes.python_scalar_types_kept(dtype, weak):
            v2 = x2
        else:
            return None
    elif type(x2) is ArrayImpl:
        v2 = x2._value
        dtype, weak = v2.dtype, x2._weak_type
        if type(x1) not in dtypes.python_scalar_types_kept(dtype, weak):
            return None
        v1 = x1
    else:
        return None
    if dtype not in allowed:
        return None
    try:
        if type(v1) is not np.ndarray:
            v1 = dtype.type(v1)
        out = fast.np_fn(v1, v2)
    except OverflowError:
        return None
    if out.dtype != dtype:
        if fast.same_dtype_out:
            return None
        weak = False
    return ArrayImpl(out, weak)


_ORDERINGS = frozenset({"lt", "le", "gt", "ge"})


def _binary(name, prim_name, inexact=False):
    promote = promote_args_inexact if inexact else promote_args
    bool_prim_name = _BOOL_EQUIVALENT.get(prim_name, prim_name)

    prim = ew.BINARY[prim_name]
    bind, bool_bind = prim.bind, ew.BINARY[bool_prim_name].bind
    fast = prim.eager_fast_path
    allowed = fast.allowed if not inexact else fast.allowed - _INTEGER_AND_BOOL
    ordering = prim_name in _ORDERINGS
    accepted = fast.allowed | ew.BINARY[bool_prim_name].eager_fast_path.allowed & {dtypes.bool_}
    if ordering:
        accepted |= set(dtypes.COMPLEX)

    def fn(x1, x2):
        if no_transform_active():
            out = _eager_binary(fast, allowed, x1, x2)
            if out is not None:
                return out
        x1, x2 = promote(name, x1, x2)
        if x1.dtype not in accepted:
            raise TypeError(f"{name} does not accept {x1.dtype} arguments")
        if x1.dtype == dtypes.bool_:
            return bool_bind(x1, x2)
        if ordering and dtypes.is_complex(x1.dtype):
            return _lexicographic(bind, x1, x2)
        return bind(x1, x2)
    return _named(fn, name,
                  f"`jnp.{name}(x1, x2)`: elementwise with broadcasting, as `numpy.{name}`.")


def _lexicographic(compare, x1, x2):
    """`compare` of complex numbers ordered by real part, then imaginary part (JAX)."""
    re1, re2 = ew.real(x1), ew.real(x2)
    return where(ew.eq(re1, re2), compare(ew.imag(x1), ew.imag(x2)),
                 compare(re1, re2))


add = _binary("add", "add")
subtract = _binary("subtract", "sub")
multiply = _binary("multiply", "mul")
true_divide = divide = _binary("true_divide", "div", inexact=True)
arctan2 = atan2 = _binary("arctan2", "atan2", inexact=True)
maximum = _binary("maximum", "max")
minimum = _binary("minimum", "min")
equal = _binary("equal", "eq")
not_equal = _binary("not_equal", "ne")
less = _binary("less", "lt")
less_equal = _binary("less_equal", "le")
greater = _binary("greater", "gt")
greater_equal = _binary("greater_equal", "ge")


def _bitwise(name, lax_fn):
    def fn(x1, x2):
        x1, x2 = promote_args(name, x1, x2)
        if not (x1.dtype == dtypes.bool_ or dtypes.is_integer(x1.dtype)):
            raise TypeError(f"{name} needs boolean or integer arguments, got {x1.dtype}")
        return lax_fn(x1, x2)
    return _named(fn, name, f"`jnp.{name}(x1, x2)`: elementwise bitwise op on bool/integer arrays.")


bitwise_and = _bitwise("bitwise_and", ew.bitwise_and)
bitwise_or = _bitwise("bitwise_or", ew.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", ew.bitwise_xor)


def _logical(name, lax_fn):
    def fn(x1, x2):
        x1, x2 = promote_args(name, x1, x2)
        return lax_fn(_as_bool(x1), _as_bool(x2))
    return _named(fn, name, f"`jnp.{name}(x1, x2)`: elementwise logical op (non-zero is True).")


def _as_bool(x: Tensor) -> Tensor:
    return x if x.dtype == dtypes.bool_ else ew.ne(x, _scalar(0, x.dtype))


logical_and = _logical("logical_and", ew.bitwise_and)
logical_or = _logical("logical_or", ew.bitwise_or)
logical_xor = _logical("logical_xor", ew.bitwise_xor)


def logical_not(x):
    """`jnp.logical_not(x)`: elementwise NOT of truth values."""
    return ew.bitwise_not(_as_bool(asarray_arg("logical_not", x)))


def bitwise_not(x):
    """`jnp.bitwise_not(x)` / `invert`: bitwise NOT (logical NOT for bool)."""
    x = asarray_arg("bitwise_not", x)
    return ew.bitwise_not(x)


invert = bitwise_invert = bitwise_not


def left_shift(x1, x2):
    """`jnp.left_shift(x1, x2)`: `x1 << x2` on integers (bools count as integers)."""
    x1, x2 = _promote_numeric("left_shift", x1, x2)
    _require_integers("left_shift", x1)
    return ew.shift_left(x1, x2)


def right_shift(x1, x2):
    """`jnp.right_shift(x1, x2)`: arithmetic shift for signed, logical for unsigned."""
    x1, x2 = _promote_numeric("right_shift", x1, x2)
    _require_integers("right_shift", x1)
    shift = ew.shift_right_logical if x1.dtype.kind == "u" else ew.shift_right_arithmetic
    return shift(x1, x2)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def negative(x):
    """`jnp.negative(x)`: `-x`."""
    return ew.neg(asarray_arg("negative", x))


def positive(x):
    """`jnp.positive(x)`: `+x` (a copy of x's value)."""
    return asarray_arg("positive", x)


def absolute(x):
    """`jnp.abs(x)`: magnitude (complex → real dtype); identity on unsigned and bool."""
    x = asarray_arg("abs", x)
    if x.dtype.kind in "ub":
        return x
    return ew.abs(x)


abs = absolute


def fabs(x):
    """`jnp.fabs(x)`: absolute value of real numbers, as floats."""
    (x,) = promote_args_inexact("fabs", x)
    return ew.abs(x)


def sign(x):
    """`jnp.sign(x)`: -1, 0 or 1 (x/|x| for complex; NaN stays NaN)."""
    x = asarray_arg("sign", x)
    if x.dtype.kind == "u":
        return convert(ew.ne(x, _scalar(0, x.dtype)), x.dtype)
    return ew.sign(x)


def floor(x):
    """`jnp.floor(x)`: largest integer ≤ x (integers unchanged)."""
    x = asarray_arg("floor", x)
    return x if not dtypes.is_float(x.dtype) else ew.floor(x)


def ceil(x):
    """`jnp.ceil(x)`: smallest integer ≥ x (integers unchanged)."""
    x = asarray_arg("ceil", x)
    return x if not dtypes.is_float(x.dtype) else ew.ceil(x)


def trunc(x):
    """`jnp.trunc(x)`: rounds towards zero."""
    x = asarray_arg("trunc", x)
    if not dtypes.is_float(x.dtype):
        return x
    return where(ew.lt(x, _scalar(0, x.dtype)), ew.ceil(x), ew.floor(x))


fix = trunc


def rint(x):
    """`jnp.rint(x)`: rounds to the nearest integer, halves to even."""
    (x,) = promote_args_inexact("rint", x)
    return ew.round(x, 1)


def round(a, decimals: int = 0, out=None):
    """`jnp.round(a, decimals=0)`: rounds half to even at `decimals` decimal places."""
    if out is not None:
        raise NotImplementedError("irax arrays are immutable: the `out` argument is not "
                                  "supported")
    a = asarray_arg("round", a)
    if not dtypes.is_inexact(a.dtype):
        if decimals >= 0:
            return a
        return convert(multiply(round(true_divide(a, 10 ** -decimals), 0), 10 ** -decimals),
                       a.dtype)
    if dtypes.is_complex(a.dtype):
        return ew.complex(round(real(a), decimals), round(imag(a), decimals))
    if decimals == 0:
        return ew.round(a, 1)
    factor = _scalar(10.0 ** decimals, a.dtype)
    return ew.div(ew.round(ew.mul(a, factor), 1), factor)


around = round


def square(x):
    """`jnp.square(x)`: `x * x`."""
    return ew.integer_pow(asarray_arg("square", x), 2)


def reciprocal(x):
    """`jnp.reciprocal(x)`: `1 / x` (floats for integer input, as jax)."""
    (x,) = promote_args_inexact("reciprocal", x)
    return ew.integer_pow(x, -1)


def power(x1, x2):
    """`jnp.power(x1, x2)`: `x1 ** x2`.

    An integer exponent that is not an array (a Python int or bool, a NumPy integer)
    uses exact repeated multiplication (`lax.integer_pow`) and keeps `x1`'s dtype, as
    in JAX; integer arrays use exponentiation by squaring; bools count as integers.
    A strongly typed integer exponent array makes a float result strongly typed (JAX's
    `lax.pow` takes such an exponent as it is).
    """
    if not isinstance(x2, Tensor):
        try:
            exponent = operator.index(x2)
        except TypeError:
            pass
        else:
            (x1,) = _promote_numeric("power", x1)
            if dtypes.is_integer(x1.dtype) and exponent < 0:
                raise ValueError("power: integers to negative integer powers are not "
                                 f"allowed (got {x1.dtype} ** {exponent})")
            return ew.integer_pow(x1, exponent)
    x2 = asarray_arg("power", x2)
    strong_integer_exponent = dtypes.is_integer(x2.dtype) and not x2.weak_type
    x1, x2 = _promote_numeric("power", x1, x2)
    if not dtypes.is_inexact(x1.dtype):
        return _integer_power(x1, x2)
    out = ew.pow(x1, x2)
    return convert(out, out.dtype) if strong_integer_exponent else out


pow = power


def _integer_power(base, exponent):
    one = _scalar(1, base.dtype)
    acc = ew.add(ew.mul(base, _scalar(0, base.dtype)), one)
    for _ in range(8 * base.dtype.itemsize):
        odd = ew.ne(ew.bitwise_and(exponent, one), _scalar(0, base.dtype))
        acc = where(odd, ew.mul(acc, base), acc)
        base = ew.mul(base, base)
        exponent = ew.shift_right_logical(exponent, one)
    return acc


def float_power(x1, x2):
    """`jnp.float_power(x1, x2)`: power computed in the default float dtype (or wider)."""
    x1, x2 = promote_args_inexact("float_power", x1, x2)
    return ew.pow(x1, x2)


def floor_divide(x1, x2):
    """`jnp.floor_divide(x1, x2)`: `x1 // x2`, rounding towards minus infinity.

    Integers follow JAX (XLA): `x // 0` is -2 for signed `x != 0` (the truncated
    quotient -1, corrected because the signs of `x` and 0 differ and `x % 0 = x` is
    nonzero), -1 for `x == 0`, and the dtype's maximum for unsigned `x`;
    `INT_MIN // -1` is `INT_MIN`. Floats follow Python (`x // 0.0` is ±inf or NaN).
    Bools count as integers; complex numbers raise TypeError.
    """
    x1, x2 = _promote_numeric("floor_divide", x1, x2)
    _reject_complex("floor_divide", x1)
    if dtypes.is_integer(x1.dtype):
        return _integer_floor_divide(x1, x2)
    return _float_divmod(x1, x2)[0]


def _integer_floor_divide(x1, x2):
    q = ew.div(x1, x2)
    if x1.dtype.kind == "u":
        return q
    zero = _weak_scalar(0, x1.dtype)
    signs_differ = ew.ne(ew.sign(x1), ew.sign(x2))
    inexact = ew.ne(ew.rem(x1, x2), zero)
    return where(logical_and(signs_differ, inexact), ew.sub(q, _weak_scalar(1, x1.dtype)), q)


def _float_divmod(x1, x2):
    """Python's float `divmod` (CPython's float_divmod, as in JAX)."""
    mod = ew.rem(x1, x2)
    zero = _weak_scalar(0, x1.dtype)
    dividend = where(ew.eq(x2, zero), x1, ew.sub(x1, mod))
    div = ew.div(dividend, x2)
    fix_sign = logical_and(ew.ne(mod, zero), ew.ne(ew.sign(x2), ew.sign(mod)))
    div = where(fix_sign, ew.sub(div, _weak_scalar(1, x1.dtype)), div)
    mod = where(fix_sign, ew.add(mod, x2), mod)
    return ew.round(div, 1), mod


def _nonzero_divisor(x2):
    """An integer divisor with its zeros replaced by 1: JAX's `x % 0` is 0."""
    return where(ew.eq(x2, _weak_scalar(0, x2.dtype)), _weak_scalar(1, x2.dtype), x2)


def remainder(x1, x2):
    """`jnp.remainder(x1, x2)` / `mod`: `x1 % x2` with the sign of the divisor.

    For integers `x % 0` is 0, as in JAX (NumPy also gives 0, with a warning); for
    floats it is NaN. Bools count as integers; complex numbers raise TypeError.
    """
    x1, x2 = _promote_numeric("remainder", x1, x2)
    _reject_complex("remainder", x1)
    if dtypes.is_integer(x1.dtype):
        x2 = _nonzero_divisor(x2)
    r = ew.rem(x1, x2)
    if x1.dtype.kind == "u":
        return r
    zero = _weak_scalar(0, x1.dtype)
    fix_sign = logical_and(ew.ne(r, zero), ew.ne(ew.lt(r, zero),
                                                      ew.lt(x2, zero)))
    return where(fix_sign, ew.add(r, x2), r)


mod = remainder


def divmod(x1, x2):
    """`jnp.divmod(x1, x2)`: `(x1 // x2, x1 % x2)` (see `floor_divide`, `remainder`)."""
    x1, x2 = _promote_numeric("divmod", x1, x2)
    _reject_complex("divmod", x1)
    if dtypes.is_inexact(x1.dtype):
        return _float_divmod(x1, x2)
    return floor_divide(x1, x2), remainder(x1, x2)


def fmod(x1, x2):
    """`jnp.fmod(x1, x2)`: remainder with the sign of the dividend (C's fmod); for
    integers `x fmod 0` is 0, as in JAX."""
    x1, x2 = _promote_numeric("fmod", x1, x2)
    _reject_complex("fmod", x1)
    if dtypes.is_integer(x1.dtype):
        x2 = _nonzero_divisor(x2)
    return ew.rem(x1, x2)


def fmax(x1, x2):
    """`jnp.fmax(x1, x2)`: elementwise maximum that ignores NaNs."""
    return _nan_ignoring("fmax", ew.max, x1, x2)


def fmin(x1, x2):
    """`jnp.fmin(x1, x2)`: elementwise minimum that ignores NaNs."""
    return _nan_ignoring("fmin", ew.min, x1, x2)


def _nan_ignoring(name: str, lax_fn, x1, x2):
    """`lax_fn` of x1 and x2, or the other operand where one is NaN."""
    x1, x2 = promote_args(name, x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, lax_fn(x1, x2)))


def where(condition, x=None, y=None, /):
    """`jnp.where(condition, x, y)`: `x` where condition is true, else `y` (broadcast).

    With only `condition`, returns `nonzero(condition)` (concrete values only).
    """
    if x is None and y is None:
        return nonzero_indices(condition)
    if x is None or y is None:
        raise ValueError("where: pass either only `condition`, or `condition`, `x` and `y`")
    condition = asarray_arg("where", condition)
    x, y = promote_args("where", x, y)
    condition, x, y = _broadcast3(condition, x, y)
    return ew.select(_as_bool(condition), x, y)


def _broadcast3(c, x, y):
    shape = broadcast_shapes("where", c.shape, x.shape, y.shape)
    c = broadcast_to_shape(c, shape) if c.shape else c
    return c, broadcast_to_shape(x, shape), broadcast_to_shape(y, shape)


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    """`jnp.clip(a, a_min, a_max)`: limits values to `[a_min, a_max]` (either may be None)."""
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    a = asarray_arg("clip", a)
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


def logaddexp(x1, x2):
    """`jnp.logaddexp(x1, x2)`: `log(exp(x1) + exp(x2))` without overflow; its
    derivative is exact at ties and at infinities (a custom JVP, as in JAX)."""
    x1, x2 = promote_args_inexact("logaddexp", x1, x2)
    _reject_complex("logaddexp", x1)
    return _logaddexp(x1, x2)


@custom_jvp
def _logaddexp(x1, x2):
    amax = ew.max(x1, x2)
    delta = ew.sub(x1, x2)
    safe = ew.add(amax, ew.log1p(ew.exp(ew.neg(ew.abs(delta)))))
    return where(isnan(delta), ew.add(x1, x2), safe)


def _finite_or_zero(x):
    return where(isposinf(x), _scalar(0, x.dtype), x)


@_logaddexp.defjvp
def _logaddexp_jvp(primals, tangents):
    (x1, x2), (t1, t2) = primals, tangents
    out = _logaddexp(x1, x2)
    weight = lambda x: ew.exp(ew.sub(_finite_or_zero(x), _finite_or_zero(out)))
    return out, ew.add(ew.mul(t1, weight(x1)), ew.mul(t2, weight(x2)))


def logaddexp2(x1, x2):
    """`jnp.logaddexp2(x1, x2)`: `log2(2**x1 + 2**x2)` without overflow."""
    x1, x2 = promote_args_inexact("logaddexp2", x1, x2)
    _reject_complex("logaddexp2", x1)
    ln2 = _scalar(float(np.log(2)), x1.dtype)
    return ew.div(logaddexp(ew.mul(x1, ln2), ew.mul(x2, ln2)), ln2)


def hypot(x1, x2):
    """`jnp.hypot(x1, x2)`: `sqrt(x1**2 + x2**2)` without intermediate overflow."""
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    _reject_complex("hypot", x1)
    a, b = ew.abs(x1), ew.abs(x2)
    big, small = ew.max(a, b), ew.min(a, b)
    zero = _scalar(0, big.dtype)
    safe_big = where(ew.eq(big, zero), _scalar(1, big.dtype), big)
    ratio = ew.div(small, safe_big)
    out = ew.mul(big, ew.sqrt(ew.add(_scalar(1, big.dtype), ew.mul(ratio, ratio))))
    return where(ew.eq(big, zero), zero, where(isinf(big), big, out))


def isnan(x):
    """`jnp.isnan(x)`: True where x is NaN."""
    x = asarray_arg("isnan", x)
    return ew.ne(x, x)


def isinf(x):
    """`jnp.isinf(x)`: True where x is +inf or -inf."""
    x = asarray_arg("isinf", x)
    if not dtypes.is_inexact(x.dtype):
        return ew.ne(x, x)
    if dtypes.is_complex(x.dtype):
        return logical_or(isinf(real(x)), isinf(imag(x)))
    return ew.eq(ew.abs(x), _scalar(float("inf"), x.dtype))


def isposinf(x):
    """`jnp.isposinf(x)`: True where x is +inf."""
    return _is_signed_inf("isposinf", x, ew.gt)


def isneginf(x):
    """`jnp.isneginf(x)`: True where x is -inf."""
    return _is_signed_inf("isneginf", x, ew.lt)


def _is_signed_inf(name: str, x, compare):
    """True where x is infinite and `compare`s (gt: +inf, lt: -inf) with zero."""
    x = asarray_arg(name, x)
    return logical_and(isinf(x), compare(x, _scalar(0, x.dtype)))


def isfinite(x):
    """`jnp.isfinite(x)`: True where x is neither infinite nor NaN."""
    x = asarray_arg("isfinite", x)
    if not dtypes.is_inexact(x.dtype):
        return ew.eq(x, x)
    if dtypes.is_complex(x.dtype):
        return logical_and(isfinite(real(x)), isfinite(imag(x)))
    return ew.is_finite(x)


def signbit(x):
    """`jnp.signbit(x)`: True where the sign bit is set (-0.0 included)."""
    x = asarray_arg("signbit", x)
    if dtypes.is_integer(x.dtype) or x.dtype == dtypes.bool_:
        return ew.lt(x, _scalar(0, x.dtype)) if x.dtype.kind == "i" else ew.ne(x, x)
    int_dtype = np.dtype(f"i{x.dtype.itemsize}")
    return ew.lt(ew.bitcast_convert_type(x, int_dtype), _scalar(0, int_dtype))


def copysign(x1, x2):
    """`jnp.copysign(x1, x2)`: magnitude of x1 with the sign of x2."""
    x1, x2 = promote_args_inexact("copysign", x1, x2)
    _reject_complex("copysign", x1)
    x1 = convert(x1, x1.dtype, x1.weak_type and x2.weak_type)  # the result's weak type
    mag = ew.abs(x1)
    return where(signbit(x2), ew.neg(mag), mag)


def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf=None, neginf=None):
    """`jnp.nan_to_num(x)`: NaN → `nan`, ±inf → the dtype's largest/smallest finite value."""
    x = asarray_arg("nan_to_num", x)
    if not dtypes.is_inexact(x.dtype):
        return x
    if dtypes.is_complex(x.dtype):
        return ew.complex(nan_to_num(real(x), nan=nan, posinf=posinf, neginf=neginf),
                              nan_to_num(imag(x), nan=nan, posinf=posinf, neginf=neginf))
    info = dtypes.finfo(x.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    x = where(isnan(x), _scalar(nan, x.dtype), x)
    x = where(isposinf(x), _scalar(posinf, x.dtype), x)
    return where(isneginf(x), _scalar(neginf, x.dtype), x)


def heaviside(x1, x2):
    """`jnp.heaviside(x1, x2)`: 0 for x1 < 0, x2 for x1 == 0, 1 for x1 > 0 (NaN for
    NaN x1)."""
    x1, x2 = promote_args_inexact("heaviside", x1, x2)
    _reject_complex("heaviside", x1)
    zero = _scalar(0, x1.dtype)
    one = _scalar(1, x1.dtype)
    return where(ew.lt(x1, zero), zero,
                 where(ew.gt(x1, zero), one, where(isnan(x1), x1, x2)))


@functools.partial(custom_jvp, nondiff_argnums=(0,))
def _sinc_maclaurin(k, x):
    """The k-th derivative of sin(x)/x at 0, shaped like x (its JVP gives the next)."""
    zero = ew.mul(x, _scalar(0, x.dtype))
    if k % 2:
        return zero
    return ew.add(zero, _scalar((-1) ** (k // 2) / (k + 1), x.dtype))


@_sinc_maclaurin.defjvp
def _sinc_maclaurin_jvp(k, primals, tangents):
    (x,), (t,) = primals, tangents
    return _sinc_maclaurin(k, x), ew.mul(_sinc_maclaurin(k + 1, x), t)


def sinc(x):
    """`jnp.sinc(x)`: `sin(pi x) / (pi x)`, 1 at 0 (derivatives at 0 exact to any order)."""
    (x,) = promote_args_inexact("sinc", x)
    pi_x = ew.mul(x, _scalar(float(np.pi), x.dtype))
    is_zero = ew.eq(x, _scalar(0, x.dtype))
    safe = where(is_zero, _scalar(1, x.dtype), pi_x)
    return where(is_zero, _sinc_maclaurin(0, pi_x), ew.div(ew.sin(safe), safe))


def deg2rad(x):
    """`jnp.deg2rad(x)`: degrees to radians."""
    (x,) = promote_args_inexact("deg2rad", x)
    return ew.mul(x, _scalar(float(np.pi / 180), x.dtype))


def rad2deg(x):
    """`jnp.rad2deg(x)`: radians to degrees."""
    (x,) = promote_args_inexact("rad2deg", x)
    return ew.mul(x, _scalar(float(180 / np.pi), x.dtype))


radians, degrees = deg2rad, rad2deg


def real(x):
    """`jnp.real(x)`: real part (x itself for real arrays)."""
    x = asarray_arg("real", x)
    return ew.real(x) if dtypes.is_complex(x.dtype) else x


def imag(x):
    """`jnp.imag(x)`: imaginary part (+0.0 for real arrays, whatever the values, as in
    NumPy and JAX)."""
    x = asarray_arg("imag", x)
    if dtypes.is_complex(x.dtype):
        return ew.imag(x)
    return st.broadcast_in_dim(_scalar(0, x.dtype), x.shape, ())


def conjugate(x):
    """`jnp.conjugate(x)` / `conj`: complex conjugate (x itself for real arrays)."""
    x = asarray_arg("conjugate", x)
    return ew.conj(x) if dtypes.is_complex(x.dtype) else x


conj = conjugate


def angle(z, deg: bool = False):
    """`jnp.angle(z, deg=False)`: the argument of complex z (0 or pi for reals)."""
    (z,) = promote_args_inexact("angle", z)
    re, im = (real(z), imag(z))
    out = ew.atan2(im, re)
    return rad2deg(out) if deg else out


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    """`jnp.isclose(a, b)`: `|a - b| <= atol + rtol * |b|` elementwise (NumPy's rule)."""
    a, b = promote_args("isclose", a, b)
    if not dtypes.is_inexact(a.dtype):
        return equal(a, b)
    dtype = dtypes.real_dtype(a.dtype)
    tol = ew.add(_scalar(float(atol), dtype),
                     ew.mul(_scalar(float(rtol), dtype), absolute(b)))
    close = ew.le(absolute(ew.sub(a, b)), tol)
    both_inf = logical_and(isinf(a), isinf(b))
    close = where(both_inf, equal(a, b), logical_and(close, isfinite(b)))
    close = logical_or(close, logical_and(equal(a, b), isfinite(a)))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close
