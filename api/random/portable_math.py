"""The transcendental functions behind the samplers, written so that every backend
computes the same bits.

`lax.log`, `lax.erf_inv`, ... run NumPy/SciPy when eager and IREE's own expansions
when compiled (different ones on CPU and Vulkan), so the same key gave draws a few ulp
apart.  Here each function is a fixed sequence of operations whose results IEEE 754
defines exactly: add, sub, mul, div, sqrt, comparisons, select, integer and bit
operations and bitcasts.  NumPy, IREE's CPU code and IREE's SPIR-V code on lavapipe
all round these the same way, so eager, `jit`, `vmap` and Vulkan draws agree bit for
bit (`tests/test_random_bitwise.py`).

One compiler freedom remains: IREE marks float multiplies and adds `contract`, and
LLVM then fuses `a * b + c` into one fused multiply-add (one rounding instead of two;
240 of 1,000 bounded uniforms differed between eager and `jit` on an AVX-512 CPU).
Every product here therefore goes through `product`, which ors into its bits a zero
that no compiler can prove zero (`opaque_zero`), so no add ever sees a multiply.  (A
select `p != p ? NaN : p` is not enough: LLVM folds it where it can prove `p` is no
NaN, as for the bit-built floats of `uniform`.)

Algorithms: log is fdlibm's (musl's coefficients for float32), within 1 ulp; exp is
fdlibm's; erf is Cephes' rational approximations; erf_inv is Giles' polynomials, as in
XLA, so draws stay within a few ulp of JAX's.  Inputs are float32 or float64 (narrower
floats are computed in float32 by `in_float32`).
"""
import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor
from irax.transforms.custom_derivatives import custom_jvp

_add, _sub, _div = ew.add, ew.sub, ew.div
_LOG_COEFFS = {   # fdlibm's Lg1..Lg7 (float64) and musl's Lg1..Lg4 (float32)
    8: (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
        2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
        1.479819860511658591e-01),
    4: (float.fromhex("0xaaaaaa.0p-24"), float.fromhex("0xccce13.0p-25"),
        float.fromhex("0x91e9ee.0p-25"), float.fromhex("0xf89e26.0p-26")),
}
_LN2_SPLIT = {8: (6.93147180369123816490e-01, 1.90821492927058770002e-10),
              4: (6.9313812256e-01, 9.0580006145e-06)}   # hi has trailing zero bits
_SQRT_HALF_BITS = {8: 0x3FE6A09E00000000, 4: 0x3F3504F3}
_EXP_COEFFS = (1.66666666666666019037e-01, -2.77777777770155933842e-03,
               6.61375632143793436117e-05, -1.65339022054652515390e-06,
               4.13813679705723846039e-08)
_EXP_LN2_SPLIT = {8: (6.93147180369123816490e-01, 1.90821492927058770002e-10),
                  4: (6.9314575195e-01, 1.4286067653e-06)}
# Cephes ndtr.c: erf(x) = x T(x^2) / U(x^2) for |x| <= 1, else 1 - exp(-x^2) P(x) / Q(x).
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)
_ERF_SATURATES = {8: 6.0, 4: 4.0}   # |x| from which erf(x) rounds to +-1
# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): for each
# dtype, (upper bound of w, shift, use sqrt(w)?, coefficients), w = -log(1 - x^2).
_ERF_INV_BRANCHES = {
    4: ((5.0, 2.5, False, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                           0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                           1.50140941)),
        (np.inf, 3.0, True, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                             0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                             2.83297682))),
    8: ((6.25, 3.125, False, (
            -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
            1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
            6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
            2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
            1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
            4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
            0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
            0.24015818242558961693, 1.6536545626831027356)),
        (16.0, 3.25, True, (
            2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
            1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
            2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
            6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
            0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
            -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
            3.0838856104922207635)),
        (np.inf, 5.0, True, (
            -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
            -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
            2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
            -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
            7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
            1.0103004648645343977, 4.8499064014085844221))),
}


def _const(value, like) -> Tensor:
    """A strongly typed scalar of `like`'s dtype (`like` is a Tensor or a dtype)."""
    return ArrayImpl(np.asarray(value, like if isinstance(like, np.dtype) else like.dtype))


def _int_dtypes(x: Tensor) -> tuple[np.dtype, np.dtype]:
    width = x.dtype.itemsize
    return np.dtype(f"i{width}"), np.dtype(f"u{width}")


def opaque_zero(x: Tensor) -> Tensor:
    """Zeros of the unsigned type as wide as `x`, computed from `x` as `b (b + 1) & 1`
    (b = x's bits; the product of consecutive integers is even), a fact no compiler
    uses: `product` ors them into its result to keep it from fusing into an add."""
    _, uint = _int_dtypes(x)
    bits = ew.bitcast_convert_type(x, uint)
    return ew.bitwise_and(ew.mul(bits, _add(bits, _const(1, uint))), _const(1, uint))


@custom_jvp
def or_bits(x: Tensor, zero: Tensor) -> Tensor:
    """`x` with the unsigned ints `zero` (all 0, of x's width) or-ed into its bits: the
    same value, whose derivative is the identity, but that no compiler sees through."""
    _, uint = _int_dtypes(x)
    return ew.bitcast_convert_type(ew.bitwise_or(ew.bitcast_convert_type(x, uint), zero), x.dtype)


@or_bits.defjvp
def _or_bits_jvp(primals, tangents):
    return or_bits(*primals), tangents[0]


def product(x: Tensor, y: Tensor, zero: Tensor) -> Tensor:
    """`x * y`, rounded on its own even if an add follows (no fused multiply-add).

    Args:
      x, y: float arrays of one dtype (or scalars).
      zero: `opaque_zero` of an array of the product's shape (or a scalar).

    Returns:
      The product, passed through `or_bits`: the same value (and derivative), but no
      longer a multiply that a compiler may contract with an add.
    """
    return or_bits(ew.mul(x, y), zero)


def runtime_value(x: Tensor, key: Tensor) -> Tensor:
    """`x` unchanged, but computed from a uint32 `key` word at run time (through
    `or_bits`), so a compiler cannot fold what follows.

    Used on distribution parameters: with constant parameters IREE evaluates the ~100
    operations of `erf` at compile time, which took 69 s for `truncated_normal`.
    """
    word = st.reshape(st.slice(key, (0,), (1,)), ())
    _, uint = _int_dtypes(x)
    zero = ew.convert_element_type(opaque_zero(ew.bitcast_convert_type(word, dtypes.float32)),
                                   uint)
    return or_bits(x, zero)


def horner(x: Tensor, coeffs, zero: Tensor) -> Tensor:
    """The polynomial `coeffs[0] x^(n-1) + ... + coeffs[-1]` by Horner's rule, each
    product rounded on its own (see `product`)."""
    out = _const(coeffs[0], x)
    for c in coeffs[1:]:
        out = _add(product(out, x, zero), _const(c, x))
    return out


def in_float32(fn, x: Tensor) -> Tensor:
    """`fn(x)` computed in float32 for float16/bfloat16 `x` (as XLA's expanders do)."""
    if x.dtype.itemsize >= 4:
        return fn(x)
    return ew.convert_element_type(fn(ew.convert_element_type(x, dtypes.float32)), x.dtype)


@custom_jvp
def log(x: Tensor) -> Tensor:
    """Natural logarithm, bitwise reproducible (fdlibm's algorithm), within 1 ulp.

    Args:
      x: a float32 or float64 array.

    Returns:
      `log(x)` elementwise: -inf at 0, NaN below 0 and for NaN, inf at inf.

    Example:
      >>> float(log(ArrayImpl(np.float32(1.0))))
      0.0
    """
    width = x.dtype.itemsize
    info = dtypes.finfo(x.dtype)
    sint, _ = _int_dtypes(x)
    # Subnormals are scaled into the normal range first.
    zero = opaque_zero(x)
    subnormal = ew.bitwise_and(ew.gt(x, _const(0, x)), ew.lt(x, _const(info.tiny, x)))
    scaled = ew.select(subnormal, ew.mul(x, _const(2.0 ** (info.nmant + 1), x)), x)
    # x = 2^k m with m in [sqrt(1/2), sqrt(2)): shift the exponent split to sqrt(1/2).
    sqrt_half = _SQRT_HALF_BITS[width]
    one_bits = int(np.asarray(1.0, x.dtype).view(sint))
    bits = _add(ew.bitcast_convert_type(scaled, sint), _const(one_bits - sqrt_half, sint))
    k = _sub(ew.shift_right_arithmetic(bits, _const(info.nmant, sint)),
             _add(_const(info.maxexp - 1, sint),
                  ew.mul(ew.convert_element_type(subnormal, sint),
                              _const(info.nmant + 1, sint))))
    mantissa = _add(ew.bitwise_and(bits, _const((1 << info.nmant) - 1, sint)),
                    _const(sqrt_half, sint))
    f = _sub(ew.bitcast_convert_type(mantissa, x.dtype), _const(1.0, x))   # exact
    dk = ew.convert_element_type(k, x.dtype)
    s = _div(f, _add(_const(2.0, x), f))
    z = product(s, s, zero)
    w = product(z, z, zero)
    coeffs = _LOG_COEFFS[width]
    t1 = product(w, horner(w, coeffs[1::2][::-1], zero), zero)   # w (Lg2 + w (Lg4 + ..))
    t2 = product(z, horner(w, coeffs[0::2][::-1], zero), zero)   # z (Lg1 + w (Lg3 + ..))
    r = _add(t2, t1)
    hfsq = product(product(_const(0.5, x), f, zero), f, zero)
    ln2_hi, ln2_lo = _LN2_SPLIT[width]
    inner = _add(product(s, _add(hfsq, r), zero), product(dk, _const(ln2_lo, x), zero))
    out = _sub(product(dk, _const(ln2_hi, x), zero), _sub(_sub(hfsq, inner), f))
    out = ew.select(ew.eq(x, _const(0, x)), _const(-np.inf, x), out)
    out = ew.select(ew.eq(x, _const(np.inf, x)), x, out)
    return ew.select(ew.ge(x, _const(0, x)), out, _const(np.nan, x))


@custom_jvp
def log1p(x: Tensor) -> Tensor:
    """`log(1 + x)`, accurate for tiny `x` (Kahan's `log(u) * x / (u - 1)`, u = 1 + x).

    Example:
      >>> float(log1p(ArrayImpl(np.float32(0.0))))
      0.0
    """
    u = _add(_const(1.0, x), x)
    d = _sub(u, _const(1.0, x))
    zero = opaque_zero(x)
    out = product(log(u), _div(x, ew.select(ew.eq(d, _const(0, x)), _const(1, x), d)),
                  zero)
    out = ew.select(ew.eq(d, _const(0, x)), x, out)
    return ew.select(ew.eq(u, _const(np.inf, x)), u, out)


@custom_jvp
def exp(x: Tensor) -> Tensor:
    """`exp(x)` for `x` whose result is a normal float (|x| < 87 in float32, < 708 in
    float64), bitwise reproducible (fdlibm's algorithm).

    Example:
      >>> float(exp(ArrayImpl(np.float32(0.0))))
      1.0
    """
    width = x.dtype.itemsize
    info = dtypes.finfo(x.dtype)
    sint, _ = _int_dtypes(x)
    zero = opaque_zero(x)
    k = ew.floor(_add(product(x, _const(1 / np.log(2), x), zero), _const(0.5, x)))
    ln2_hi, ln2_lo = _EXP_LN2_SPLIT[width]
    r = _sub(_sub(x, product(k, _const(ln2_hi, x), zero)),
             product(k, _const(ln2_lo, x), zero))
    t = product(r, r, zero)
    c = _sub(r, product(t, horner(t, _EXP_COEFFS[::-1], zero), zero))
    e_r = _sub(_const(1.0, x), _sub(_div(product(r, c, zero), _sub(c, _const(2.0, x))), r))
    exponent = _add(ew.convert_element_type(k, sint), _const(info.maxexp - 1, sint))
    scale = ew.bitcast_convert_type(ew.shift_left(exponent, _const(info.nmant, sint)),
                                    x.dtype)
    return product(e_r, scale, zero)


@custom_jvp
def erf(x: Tensor) -> Tensor:
    """The error function, bitwise reproducible (Cephes' approximations).

    Example:
      >>> float(erf(ArrayImpl(np.float32(0.0))))
      0.0
    """
    zero = opaque_zero(x)
    a = ew.min(ew.abs(x), _const(_ERF_SATURATES[x.dtype.itemsize], x))
    z = product(a, a, zero)
    small = _div(product(x, horner(z, _ERF_T, zero), zero), horner(z, _ERF_U, zero))
    tail = _div(product(exp(ew.neg(z)), horner(a, _ERFC_P, zero), zero),
                horner(a, _ERFC_Q, zero))
    large = _sub(_const(1.0, x), tail)
    large = ew.select(ew.lt(x, _const(0, x)), ew.neg(large), large)
    return ew.select(ew.le(a, _const(1.0, x)), small, large)


@custom_jvp
def erf_inv(x: Tensor) -> Tensor:
    """The inverse error function, bitwise reproducible (Giles' polynomials, as XLA).

    Args:
      x: a float32 or float64 array.

    Returns:
      `erf_inv(x)`: +-inf at +-1, NaN outside [-1, 1].

    Example:
      >>> float(erf_inv(ArrayImpl(np.float32(0.0))))
      0.0
    """
    zero = opaque_zero(x)
    one = _const(1.0, x)
    w = ew.neg(log(product(_sub(one, x), _add(one, x), zero)))
    branches = _ERF_INV_BRANCHES[x.dtype.itemsize]
    p = None
    for bound, shift, use_sqrt, coeffs in reversed(branches):
        arg = _sub(ew.sqrt(w) if use_sqrt else w, _const(shift, x))
        value = horner(arg, coeffs, zero)
        p = value if p is None else ew.select(ew.lt(w, _const(bound, x)), value, p)
    out = product(p, x, zero)
    return ew.select(ew.eq(ew.abs(x), one), product(x, _const(np.inf, x), zero), out)


# Derivatives are the textbook ones, computed with lax's functions (they are not draws).
def _rule(fn, derivative):
    @fn.defjvp
    def jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        out = fn(x)
        return out, ew.mul(t, derivative(x, out))


_rule(log, lambda x, out: _div(_const(1.0, x), x))
_rule(log1p, lambda x, out: _div(_const(1.0, x), _add(_const(1.0, x), x)))
_rule(exp, lambda x, out: out)
_rule(erf, lambda x, out: ew.mul(_const(2 / np.sqrt(np.pi), x),
                                      ew.exp(ew.neg(ew.mul(x, x)))))
_rule(erf_inv, lambda x, out: ew.mul(_const(np.sqrt(np.pi) / 2, x),
                                          ew.exp(ew.mul(out, out))))
