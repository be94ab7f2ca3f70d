"""Real float math written out where IREE 3.13's own expansion is wrong or inaccurate.

- `pow`: IREE computes exp(y log x): NaN for every negative x and for 0 ** 0.
- `cbrt`: NaN at ±inf in float32; no float64 lowering at all.
- `sin`, `tan`: in float32 wrong for negative x near 0 (sin(-1e-30) = 6.2e-8,
  sin(-1e-5) off by 3e-3 relative, sin(-0.0) = +0.0; tan alike) and right for
  positive x, so f(x) is f(|x|) with x's sign.  Its range reduction stays IREE's: ~1e-7 absolute error
  near 1, ~5e-6 relative at 100, -inf beyond ~1e10; a correct float32 reduction
  (Payne-Hanek) would cost far more than the sine itself in the common case.
- `expm1`, `log1p`, `sinh`, `cosh`, `asinh`, `atanh`: in float64 IREE expands them
  naively (exp(x) - 1, log(1 + x), ...), losing every digit for tiny x, and its
  float32 sinh and cosh are off by ~25 ulp.  The formulas here are the classic
  cancellation-free ones (Kahan's for expm1 and log1p), within ~3 ulp in float32 and
  float64 given IREE's exp and log; they serve every real float dtype alike.

Each function takes Values of one real float dtype and shape and returns one.
"""
import numpy as np

from ..core import dtypes
from .builder import FunctionBuilder, Value


def _binary(name: str):
    return lambda b, x, y: b.emit(f"stablehlo.{name}", x, y)


def _unary(name: str):
    return lambda b, x: b.emit(f"stablehlo.{name}", x)


add, sub, mul, div = (_binary(n) for n in ("add", "subtract", "multiply", "divide"))
exp, log, sqrt, absolute, sign = (_unary(n) for n in ("exponential", "log", "sqrt", "abs",
                                                       "sign"))


def _const(b: FunctionBuilder, value, like: Value) -> Value:
    return b.constant(value, like.dtype, like.shape)


def _either(b: FunctionBuilder, *preds: Value) -> Value:
    out = preds[0]
    for p in preds[1:]:
        out = b.emit("stablehlo.or", out, p)
    return out


def _both(b: FunctionBuilder, p: Value, q: Value) -> Value:
    return b.emit("stablehlo.and", p, q)


def _not(b: FunctionBuilder, p: Value) -> Value:
    return b.emit("stablehlo.not", p)


def _is_finite(b: FunctionBuilder, x: Value) -> Value:
    return b.emit("stablehlo.is_finite", x, dtype=dtypes.bool_)


def _sign_bit(b: FunctionBuilder, x: Value) -> Value:
    """Whether x's sign bit is set (true at -0.0 too)."""
    bits = b.emit("stablehlo.bitcast_convert", x, dtype=np.dtype(f"i{x.dtype.itemsize}"))
    return b.compare(bits, _const(b, 0, bits), "LT")


def odd(name: str):
    """The odd function of the op `name` as f(|x|) with x's sign (-0.0 kept)."""
    def formula(b: FunctionBuilder, x: Value) -> Value:
        y = b.emit(name, absolute(b, x))
        return b.select(_sign_bit(b, x), b.emit("stablehlo.negate", y), y)
    return formula


def power(b: FunctionBuilder, x: Value, y: Value) -> Value:
    """C's pow from |x| ** y: negated for a negative x (sign bit set) and an odd
    integer y; NaN for x < 0 and a non-integer y; 1 where y == 0, x == 1, or |x| == 1
    and y is infinite."""
    zero, one = _const(b, 0, x), _const(b, 1, x)
    magnitude = b.emit("stablehlo.power", absolute(b, x), y)
    integer = b.compare(b.emit("stablehlo.floor", y), y, "EQ")
    odd = _both(b, integer, b.compare(b.emit("stablehlo.remainder", y, _const(b, 2, x)),
                                      zero, "NE"))
    out = b.select(_both(b, odd, _sign_bit(b, x)), b.emit("stablehlo.negate", magnitude),
                   magnitude)
    not_real = _both(b, b.compare(x, zero, "LT"), _not(b, integer))
    out = b.select(not_real, _const(b, np.nan, x), out)
    unit_base = _both(b, b.compare(absolute(b, x), one, "EQ"), _not(b, _is_finite(b, y)))
    return b.select(_either(b, b.compare(y, zero, "EQ"), b.compare(x, one, "EQ"), unit_base),
                    one, out)


def cbrt(b: FunctionBuilder, x: Value) -> Value:
    """pow(|x|, 1/3) with x's sign, then one Newton step (y + y + x / y²) / 3 where y
    is finite and not 0."""
    third = _const(b, 1 / 3, x)
    y = mul(b, sign(b, x), b.emit("stablehlo.power", absolute(b, x), third))
    newton = mul(b, third, add(b, add(b, y, y), div(b, x, mul(b, y, y))))
    usable = _both(b, b.compare(y, _const(b, 0, x), "NE"), _is_finite(b, y))
    return b.select(usable, newton, y)


def expm1(b: FunctionBuilder, x: Value) -> Value:
    """(u - 1) * x / log(u) with u = exp(x); x where u == 1, -1 where u == 0."""
    u = exp(b, x)
    u_minus_1 = sub(b, u, _const(b, 1, x))
    out = mul(b, u_minus_1, div(b, x, log(b, u)))
    out = b.select(b.compare(u_minus_1, _const(b, 0, x), "EQ"), x, out)
    out = b.select(b.compare(u_minus_1, _const(b, -1, x), "EQ"), u_minus_1, out)
    return b.select(b.compare(u, _const(b, np.inf, x), "EQ"), u, out)


def log1p(b: FunctionBuilder, x: Value) -> Value:
    """log(u) * x / (u - 1) with u = 1 + x; x where u == 1."""
    u = add(b, _const(b, 1, x), x)
    out = mul(b, log(b, u), div(b, x, sub(b, u, _const(b, 1, x))))
    out = b.select(b.compare(u, _const(b, 1, x), "EQ"), x, out)
    return b.select(b.compare(u, _const(b, np.inf, x), "EQ"), u, out)


def sinh(b: FunctionBuilder, x: Value) -> Value:
    """sign(x) * (e + e / (e + 1)) / 2 with e = expm1(|x|) for |x| < 1, else
    sign(x) * (q - 1 / (4q)) with q = exp(|x|) / 2 = (exp(|x| / 2) / 2) * exp(|x| / 2)
    (finite as long as sinh is)."""
    a = absolute(b, x)
    half = _const(b, 0.5, x)
    e = expm1(b, a)
    small = mul(b, half, add(b, e, div(b, e, add(b, e, _const(b, 1, x)))))
    h = exp(b, mul(b, half, a))
    q = mul(b, mul(b, half, h), h)
    large = sub(b, q, div(b, _const(b, 0.25, x), q))
    return mul(b, sign(b, x), b.select(b.compare(a, _const(b, 1, x), "LT"), small, large))


def cosh(b: FunctionBuilder, x: Value) -> Value:
    """q + 1 / (4q) with q = exp(|x|) / 2 computed as in `sinh`."""
    half = _const(b, 0.5, x)
    h = exp(b, mul(b, half, absolute(b, x)))
    q = mul(b, mul(b, half, h), h)
    return add(b, q, div(b, _const(b, 0.25, x), q))


def asinh(b: FunctionBuilder, x: Value) -> Value:
    """sign(x) * log1p(a + a² / (1 + sqrt(1 + a²))) with a = |x|, or log(a) + log 2
    for a >= 2**28 (where a² + 1 == a²)."""
    a = absolute(b, x)
    one = _const(b, 1, x)
    square = mul(b, a, a)
    small = log1p(b, add(b, a, div(b, square, add(b, one, sqrt(b, add(b, one, square))))))
    large = add(b, log(b, a), _const(b, np.log(2), x))
    return mul(b, sign(b, x), b.select(b.compare(a, _const(b, 2.0**28, x), "LT"), small, large))


def atanh(b: FunctionBuilder, x: Value) -> Value:
    """sign(x) * log1p(2a / (1 - a)) / 2 with a = |x|."""
    a = absolute(b, x)
    ratio = div(b, add(b, a, a), sub(b, _const(b, 1, x), a))
    return mul(b, sign(b, x), mul(b, _const(b, 0.5, x), log1p(b, ratio)))
