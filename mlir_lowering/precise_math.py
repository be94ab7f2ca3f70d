"""Real float math written out where IREE 3.13's own expansion is wrong or inaccurate.

- `pow`: IREE computes exp(y log x): NaN for every negative x and for 0 ** 0.
- `cbrt`: NaN at ±inf in float32; no float64 lowering at all.
- `sin`, `cos`, `tan`: IREE's float32 range reduction is inaccurate (~1e-7 absolute
  error near 1, ~5e-6 relative at 100, -inf beyond ~1e10) and its sine is wrong for
  negative x near 0 (sin(-1e-30) = 6.2e-8, sin(-0.0) = +0.0).  Up to float32 the
  argument is reduced exactly here (Payne-Hanek in integer arithmetic) and IREE's
  sine and cosine run on [0, pi/4] only: within 2.9 ulp (tan 4.1) of the exact
  results.  float64 keeps libm's, as f(|x|) with x's sign for the odd ones (`odd`).
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


def power(b: FunctionBuilder, x: Value, y: Value, base: float | None = None) -> Value:
    """C's pow from |x| ** y: negated for a negative x (sign bit set) and an odd
    (finite) integer y; NaN for a finite x < 0 and a non-integer y; 1 where y == 0,
    x == 1, or |x| == 1 and y is infinite (a NaN y stays NaN for x == -1).  `base`: the
    value of x when the program fixes it (a literal), whose logarithm is then computed
    here rather than by IREE at compile time (docs/iree_defects.md, 19)."""
    zero, one = _const(b, 0, x), _const(b, 1, x)
    magnitude = b.emit("stablehlo.power", absolute(b, x), y)
    if x.dtype in (dtypes.float32, dtypes.float64):
        magnitude = _accurate_power(b, absolute(b, x), y, magnitude,
                                    None if base is None else abs(base))
    integer = b.compare(b.emit("stablehlo.floor", y), y, "EQ")
    odd = _both(b, _both(b, integer, _is_finite(b, y)), b.compare(
        b.emit("stablehlo.remainder", y, _const(b, 2, x)), zero, "NE"))
    out = b.select(_both(b, odd, _sign_bit(b, x)), b.emit("stablehlo.negate", magnitude),
                   magnitude)
    not_real = _both(b, _both(b, b.compare(x, zero, "LT"), _is_finite(b, x)),
                     _not(b, integer))
    out = b.select(not_real, _const(b, np.nan, x), out)
    infinite_y = b.compare(absolute(b, y), _const(b, np.inf, y), "EQ")
    unit_base = _both(b, b.compare(absolute(b, x), one, "EQ"), infinite_y)
    return b.select(_either(b, b.compare(y, zero, "EQ"), b.compare(x, one, "EQ"), unit_base),
                    one, out)


_LN2_PARTS = {  # ln 2 = hi + lo, hi with enough trailing zeros that e * hi is exact
    np.dtype(np.float32): (0.693145751953125, 1.4286068203094172e-06),
    np.dtype(np.float64): (0.6931471803691238, 1.9082149292705877e-10),
}


def _two_sum(b: FunctionBuilder, p: Value, q: Value) -> tuple[Value, Value]:
    """p + q = hi + lo exactly (Knuth)."""
    hi = add(b, p, q)
    q_part = sub(b, hi, p)
    return hi, add(b, sub(b, p, sub(b, hi, q_part)), sub(b, q, q_part))


def _two_product(b: FunctionBuilder, p: Value, q: Value) -> tuple[Value, Value]:
    """p * q = hi + lo exactly (Dekker's product, Veltkamp's splitting)."""
    split = _const(b, 2.0 ** ((np.finfo(p.dtype).nmant + 2) // 2) + 1, p)

    def halves(v):
        c = mul(b, split, v)
        big = sub(b, c, sub(b, c, v))
        return big, sub(b, v, big)

    hi = mul(b, p, q)
    (ph, pl), (qh, ql) = halves(p), halves(q)
    lo = add(b, add(b, add(b, sub(b, mul(b, ph, qh), hi), mul(b, ph, ql)), mul(b, pl, qh)),
             mul(b, pl, ql))
    return hi, lo


def _accurate_power(b: FunctionBuilder, a: Value, y: Value, fallback: Value,
                    known_a: float | None = None) -> Value:
    """a ** y for a normal a > 0 and a moderate finite y, within ~2 ulp: exp(y log a)
    with log a and the product carried in two words (IREE's pow loses ~log2|y log a|
    bits: 2 ** 100 was off by 2e-6 in float32). `fallback` elsewhere (zeros, subnormals,
    infinities, NaN, results that overflow or underflow anyway).

    log a = e ln 2 + log m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s) with
    s = (m - 1) / (m + 1) in two words (its rounding error recovered exactly) and the
    odd series s**3 ... in one. With `known_a` (a's value, fixed by the program) the two
    words of log a are computed here, in extended precision."""
    dtype = np.dtype(a.dtype)
    info = np.finfo(dtype)
    if known_a is not None and info.tiny <= known_a <= info.max:
        log_a = np.log(np.longdouble(known_a))
        log_hi = _const(b, float(dtype.type(log_a)), a)
        log_lo = _const(b, float(dtype.type(log_a - np.longdouble(dtype.type(log_a)))), a)
        always = b.constant(True, np.dtype(bool), y.shape)
        return _exp_of_product(b, y, log_hi, log_lo, fallback, always)
    ints = np.dtype(f"i{dtype.itemsize}")
    bias, nmant = info.maxexp - 1, info.nmant

    def int_const(value, like):
        return b.constant(value, ints, like.shape)

    bits = b.emit("stablehlo.bitcast_convert", a, dtype=ints)
    e = b.emit("stablehlo.subtract", b.emit("stablehlo.shift_right_logical", bits,
                                            int_const(nmant, bits)), int_const(bias, bits))
    m_bits = b.emit("stablehlo.or", b.emit("stablehlo.and", bits,
                                           int_const((1 << nmant) - 1, bits)),
                    int_const(bias << nmant, bits))
    m = b.emit("stablehlo.bitcast_convert", m_bits, dtype=dtype)
    high = b.compare(m, _const(b, np.sqrt(2.0), a), "GT")
    m = b.select(high, mul(b, m, _const(b, 0.5, a)), m)
    e = b.select(high, b.emit("stablehlo.add", e, int_const(1, e)), e)
    f = sub(b, m, _const(b, 1, a))  # exact
    two = _const(b, 2, a)
    d_hi = add(b, two, f)
    d_lo = sub(b, f, sub(b, d_hi, two))
    s_hi = div(b, f, d_hi)
    p_hi, p_lo = _two_product(b, s_hi, d_hi)
    s_lo = div(b, sub(b, sub(b, sub(b, f, p_hi), p_lo), mul(b, s_hi, d_lo)), d_hi)
    z = mul(b, s_hi, s_hi)
    terms = 9 if dtype == np.float64 else 5
    series = _const(b, 2 / (2 * terms + 1), a)
    for k in range(terms - 1, 0, -1):
        series = add(b, mul(b, series, z), _const(b, 2 / (2 * k + 1), a))
    tail = mul(b, mul(b, s_hi, z), series)
    ln2_hi, ln2_lo = _LN2_PARTS[dtype]
    ef = b.convert(e, dtype)
    log_hi, log_err = _two_sum(b, mul(b, ef, _const(b, ln2_hi, a)), add(b, s_hi, s_hi))
    log_lo = add(b, log_err, add(b, mul(b, ef, _const(b, ln2_lo, a)),
                                 add(b, add(b, s_lo, s_lo), tail)))
    log_hi, log_lo = add(b, log_hi, log_lo), sub(b, log_lo, sub(b, add(b, log_hi, log_lo),
                                                                  log_hi))
    usable = _both(b, b.compare(a, _const(b, info.tiny, a), "GE"), _is_finite(b, a))
    return _exp_of_product(b, y, log_hi, log_lo, fallback, usable)


def _exp_of_product(b: FunctionBuilder, y: Value, log_hi: Value, log_lo: Value,
                    fallback: Value, usable: Value) -> Value:
    """exp(y * (log_hi + log_lo)) with the product in two words; `fallback` where not
    `usable`, where y is huge or where the result overflows or underflows anyway."""
    dtype = np.dtype(y.dtype)
    info = np.finfo(dtype)
    ln2_hi, ln2_lo = _LN2_PARTS[dtype]
    q_hi, q_err = _two_product(b, y, log_hi)
    q_lo = add(b, q_err, mul(b, y, log_lo))
    q = add(b, q_hi, q_lo)
    q_lo = sub(b, q_lo, sub(b, q, q_hi))
    # exp(q + q_lo) = 2 ** n * exp(r), |r| <= ln 2 / 2, where IREE's exp is accurate
    # (near overflow it was 4.6 ulp off).
    n = b.emit("stablehlo.round_nearest_even", mul(b, q, _const(b, 1 / np.log(2), y)))
    r = add(b, sub(b, sub(b, q, mul(b, n, _const(b, ln2_hi, y))),
                   mul(b, n, _const(b, ln2_lo, y))), q_lo)
    result = _times_power_of_two(b, exp(b, r), n)
    usable = _both(b, usable,
                   b.compare(absolute(b, y), _const(b, 2.0 ** (info.maxexp // 2), y), "LT"))
    usable = _both(b, usable, b.compare(absolute(b, q), _const(b, np.log(info.max), y), "LT"))
    return b.select(usable, result, fallback)


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


# ---- sine, cosine and tangent of float32: exact argument reduction ------------------

_TWO_OVER_PI_WORDS = (0, 0xA2F9836E, 0x4E441529, 0xFC2757D1, 0xF534DDC0, 0xDB629599,
                      0x3C439041, 0xFE5163AB)
"""The bits of 2/pi after the point in 32-bit words, after one word of zeros (windows
for arguments below 2**30 start before the point)."""
_PI_OVER_2_TIMES_2_TO_MINUS_62 = 3.4061215800865545e-19


def _u64(b: FunctionBuilder, value: int, like: Value) -> Value:
    return b.constant(value, dtypes.uint64, like.shape)


def _reduce_quarter_turns(b: FunctionBuilder, a: Value) -> tuple[Value, Value]:
    """Payne-Hanek reduction of a finite float32 `a` >= 0: (q, r) with q an int64 in
    0..3 and r a float32 in [-pi/4, pi/4] such that a = (4n + q) pi/2 + r for an
    integer n, r correctly rounded but for ~1.5 ulp.

    a = M 2**E with M a 24-bit integer; of 2/pi's bits only those of weight
    2**(-E+1)..2**(-E-94) matter (earlier ones add multiples of 4 to a * 2/pi, later
    ones less than 2**-70): the 96-bit window W of them starting at bit s = E - 2
    gives a * 2/pi = M W 2**-94 (mod 4), whose bits 32..95 are q (2 bits) and 62 bits
    of fraction.
    """
    shape = a.shape
    u32, u64, i64 = dtypes.uint32, dtypes.uint64, dtypes.int64
    bits = b.convert(b.emit("stablehlo.bitcast_convert", a, dtype=u32), u64)
    mantissa = b.emit("stablehlo.or", b.emit("stablehlo.and", bits, _u64(b, 0x7FFFFF, bits)),
                      _u64(b, 0x800000, bits))
    # s + 32 = E - 2 + 32 = biased exponent - 120 (E = biased exponent - 150), >= 6 here
    start = b.emit("stablehlo.subtract", b.emit("stablehlo.shift_right_logical", bits,
                                                _u64(b, 23, bits)), _u64(b, 120, bits))
    word = b.emit("stablehlo.shift_right_logical", start, _u64(b, 5, bits))
    shift = b.convert(b.emit("stablehlo.and", start, _u64(b, 31, bits)), u32)

    def table_word(k: int) -> Value:
        """The table's word j + k for each element's word index j (0..4), as uint32."""
        out = b.constant(_TWO_OVER_PI_WORDS[k], u32, shape)
        for j in range(1, 5):
            out = b.select(b.compare(word, _u64(b, j, bits), "EQ"),
                           b.constant(_TWO_OVER_PI_WORDS[j + k], u32, shape), out)
        return out

    words = [table_word(k) for k in range(4)]
    # 32-bit shifts only: SPIR-V's emulated 64-bit shifts gave wrong windows on Vulkan
    back = b.emit("stablehlo.subtract", b.constant(32, u32, shape), shift)
    aligned = b.compare(shift, b.constant(0, u32, shape), "EQ")

    def window(k: int) -> Value:
        """Bits 32k..32k+31 of the window, as a uint64."""
        high = b.emit("stablehlo.shift_left", words[k], shift)
        low = b.emit("stablehlo.shift_right_logical", words[k + 1], back)
        merged = b.select(aligned, words[k], b.emit("stablehlo.or", high, low))
        return b.convert(merged, u64)

    p0, p1, p2 = (mul(b, mantissa, window(k)) for k in range(3))
    v = add(b, add(b, b.emit("stablehlo.shift_left", p0, _u64(b, 32, bits)), p1),
            b.emit("stablehlo.shift_right_logical", p2, _u64(b, 32, bits)))
    q = b.emit("stablehlo.shift_right_logical", add(b, v, _u64(b, 1 << 61, bits)),
               _u64(b, 62, bits))
    fraction = b.emit("stablehlo.bitcast_convert", sub(b, v, b.emit(
        "stablehlo.shift_left", q, _u64(b, 62, bits))), dtype=i64)
    r = mul(b, b.convert(fraction, a.dtype),
            b.constant(_PI_OVER_2_TIMES_2_TO_MINUS_62, a.dtype, shape))
    return b.emit("stablehlo.bitcast_convert", b.emit("stablehlo.and", q, _u64(b, 3, bits)),
                  dtype=i64), r


def _quadrant_and_rest(b: FunctionBuilder, a: Value) -> tuple[Value, Value]:
    """(q, r) as `_reduce_quarter_turns`, with q = 0 and r = a below pi/4 and for
    non-finite `a` (whose results the callers replace)."""
    small = _not(b, b.compare(a, _const(b, np.float32(np.pi / 4), a), "GE"))
    q, r = _reduce_quarter_turns(b, a)
    return (b.select(small, b.constant(0, dtypes.int64, a.shape), q), b.select(small, a, r))


def _sin_cos_of_reduced(b: FunctionBuilder, r: Value) -> tuple[Value, Value]:
    """sin(r), cos(r) for |r| <= pi/4, where IREE's float32 sine and cosine are within
    ~1 ulp for r >= 0 (sine as an odd function: it is wrong for small negative r)."""
    return odd("stablehlo.sine")(b, r), b.emit("stablehlo.cosine", absolute(b, r))


def _pick(b: FunctionBuilder, q: Value, cases: list[Value]) -> Value:
    out = cases[0]
    for k in range(1, 4):
        out = b.select(b.compare(q, b.constant(k, dtypes.int64, q.shape), "EQ"), cases[k], out)
    return out


def _float32_trig(formula):
    """A float32 rule from `formula(b, q, sin r, cos r)` on |x| (the callers restore
    the sign); NaN at infinities, and float16/bfloat16 computed in float32."""
    def rule(b: FunctionBuilder, x: Value) -> Value:
        if x.dtype != dtypes.float32:
            return b.convert(rule(b, b.convert(x, dtypes.float32)), x.dtype)
        a = absolute(b, x)
        q, r = _quadrant_and_rest(b, a)
        out = formula(b, x, q, *_sin_cos_of_reduced(b, r))
        return b.select(_is_finite(b, x), out, _const(b, np.nan, x))
    return rule


def _with_sign_of(b: FunctionBuilder, x: Value, y: Value) -> Value:
    return b.select(_sign_bit(b, x), b.emit("stablehlo.negate", y), y)


def _sin(b, x, q, s, c):
    neg = b.emit("stablehlo.negate", s), b.emit("stablehlo.negate", c)
    return _with_sign_of(b, x, _pick(b, q, [s, c, neg[0], neg[1]]))


def _cos(b, x, q, s, c):
    return _pick(b, q, [c, b.emit("stablehlo.negate", s), b.emit("stablehlo.negate", c), s])


def _tan(b, x, q, s, c):
    odd_q = b.compare(b.emit("stablehlo.and", q, b.constant(1, dtypes.int64, q.shape)),
                      b.constant(0, dtypes.int64, q.shape), "NE")
    return _with_sign_of(b, x, b.select(odd_q, div(b, b.emit("stablehlo.negate", c), s),
                                        div(b, s, c)))


sin = _float32_trig(_sin)
"""float32 sine (float16 and bfloat16 through float32), within ~2 ulp everywhere."""
cos = _float32_trig(_cos)
"""float32 cosine (float16 and bfloat16 through float32), within ~2 ulp everywhere."""
tan = _float32_trig(_tan)
"""float32 tangent (float16 and bfloat16 through float32) as sin r / cos r after the
reduction, within ~3 ulp everywhere."""


def atan2(b: FunctionBuilder, y: Value, x: Value) -> Value:
    """float32 atan2 (float16 and bfloat16 through float32), within ~2 ulp, with C's
    special values; IREE's is off by up to ~35 ulp and NaN at (±0, ±0) and (±inf, ±inf).

    atan(r) of r = min(|x|, |y|) / max(|x|, |y|) in [0, 1] by Cephes' atanf (r above
    tan(pi/8) reduced through atan(r) = pi/4 + atan((r - 1) / (r + 1))), then the octant
    and quadrant: pi/2 - a where |y| > |x|, pi - a where x's sign bit is set, and y's
    sign. Both zero reads r = 0 and both infinite r = 1, which gives C's 0, pi, pi/4
    and 3pi/4; a NaN operand stays NaN.
    """
    if y.dtype != dtypes.float32:
        wide = atan2(b, b.convert(y, dtypes.float32), b.convert(x, dtypes.float32))
        return b.convert(wide, y.dtype)
    ax, ay = absolute(b, x), absolute(b, y)
    big, small = b.emit("stablehlo.maximum", ax, ay), b.emit("stablehlo.minimum", ax, ay)
    inf = _const(b, np.inf, x)
    r = div(b, small, big)
    r = b.select(b.compare(big, _const(b, 0, x), "EQ"), _const(b, 0, x), r)
    r = b.select(_both(b, b.compare(ax, inf, "EQ"), b.compare(ay, inf, "EQ")),
                 _const(b, 1, x), r)
    high = b.compare(r, _const(b, np.float32(0.41421356237309503), x), "GT")
    one = _const(b, 1, x)
    u = b.select(high, div(b, sub(b, r, one), add(b, r, one)), r)
    z = mul(b, u, u)
    poly = _const(b, np.float32(8.05374449538e-2), x)
    for c in (-1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1):
        poly = add(b, mul(b, poly, z), _const(b, np.float32(c), x))
    a = add(b, mul(b, mul(b, poly, z), u), u)
    a = b.select(high, add(b, _const(b, np.pi / 4, x), a), a)
    a = b.select(b.compare(ay, ax, "GT"), sub(b, _const(b, np.pi / 2, x), a), a)
    a = b.select(_sign_bit(b, x), sub(b, _const(b, np.pi, x), a), a)
    return _with_sign_of(b, y, a)


def exp2(b: FunctionBuilder, x: Value) -> Value:
    """2 ** x as 2 ** n * 2 ** f, n = round(x), |f| <= 1/2 (IREE computes exp(x ln 2),
    which makes exp2 of an integer inexact: exp2(100) was 1.2676533e30, not 2 ** 100).
    2 ** f is exp(f ln 2); 2 ** n is two exact powers of two built from their bits (one
    alone would overflow the exponent field for n = -149 or 128). Exact at integers."""
    if x.dtype not in (dtypes.float32, dtypes.float64):
        return b.convert(exp2(b, b.convert(x, dtypes.float32)), x.dtype)
    info = np.finfo(x.dtype)
    limit = float(2 * (info.maxexp - 2))  # 2 ** ±limit is inf or 0; each half is normal
    clamped = b.emit("stablehlo.clamp", _const(b, -limit, x), x, _const(b, limit, x))
    n = b.emit("stablehlo.round_nearest_even", clamped)
    fraction = exp(b, mul(b, sub(b, clamped, n), _const(b, np.log(2), x)))
    return b.select(b.is_nan(x), x, _times_power_of_two(b, fraction, n))


def _times_power_of_two(b: FunctionBuilder, v: Value, n: Value) -> Value:
    """v * 2 ** n for an integral float n, |n| <= 2 * (maxexp - 2): two exact powers of
    two built from their bits (one alone would overflow the exponent field for n = -149
    or 128 in float32)."""
    info = np.finfo(v.dtype)
    bits = np.dtype(f"i{v.dtype.itemsize}")
    k = b.convert(n, bits)
    half = b.emit("stablehlo.shift_right_arithmetic", k, b.constant(1, bits, k.shape))

    def power_of_two(e: Value) -> Value:  # 2 ** e for |e| <= maxexp - 2: a normal number
        biased = b.emit("stablehlo.add", e, b.constant(info.maxexp - 1, bits, e.shape))
        shifted = b.emit("stablehlo.shift_left", biased, b.constant(info.nmant, bits, e.shape))
        return b.emit("stablehlo.bitcast_convert", shifted, dtype=v.dtype)

    return mul(b, mul(b, v, power_of_two(half)),
               power_of_two(b.emit("stablehlo.subtract", k, half)))
