"""Lowering rules for the elementwise primitives (core/primitives/elementwise.py).

Most map to one StableHLO op, or a CHLO op where StableHLO has none (IREE's input
pipeline expands CHLO); precise_math.py writes out the few that IREE 3.13 gets wrong.
Rank-0 operands are broadcast to the output shape first.
StableHLO's integer semantics are the impls': `divide` rounds toward zero with
x / 0 = -1, `remainder` is C's fmod with x % 0 = x, shifts by the bit width or more
give 0 (logical, left) or the sign fill (arithmetic).
"""
import numpy as np

from ..core import dtypes
from ..core.graph import Literal
from ..core.primitives import elementwise as ew
from . import precise_math
from .builder import FunctionBuilder, Value
from .lowering import LOWERING_RULES


def _broadcast_scalars(b: FunctionBuilder, args) -> list[Value]:
    shape = b.avals_out[0].shape
    return [b.broadcast_in_dim(x, shape, ()) for x in args]


def _op_rule(name: str):
    """A rule writing the op `name` on the operands broadcast to the output shape;
    bfloat16 arithmetic as `_in_float32`."""
    def rule(b: FunctionBuilder, *args):
        args = _broadcast_scalars(b, args)
        out = b.avals_out[0].dtype
        if dtypes.bfloat16 in (out, *(x.dtype for x in args)):
            return _in_float32(b, lambda *wide: b.emit(name, *wide, dtype=(
                dtypes.float32 if out == dtypes.bfloat16 else out)), args, out)
        return b.emit(name, *args, dtype=out)
    return rule


def _in_float32(b: FunctionBuilder, compute, args, out_dtype) -> Value:
    """`compute` on the bfloat16 `args` widened exactly to float32, its result rounded
    to `out_dtype`: as NumPy (ml_dtypes) computes bfloat16.  IREE 3.13 keeps bfloat16
    intermediates unrounded in float32 inside a fused dispatch (`x * x - t` was not 0
    for t = x * x); widening through the bits reads the rounded value
    (docs/iree_defects.md, 13.)."""
    wide = [b.convert(x, dtypes.float32) if x.dtype == dtypes.bfloat16 else x for x in args]
    result = compute(*wide)
    return b.convert(result, out_dtype) if out_dtype == dtypes.bfloat16 else result


_OPS = {
    ew.neg_p: "stablehlo.negate", ew.floor_p: "stablehlo.floor", ew.ceil_p: "stablehlo.ceil",
    ew.round_nearest_even_p: "stablehlo.round_nearest_even",
    ew.round_away_p: "stablehlo.round_nearest_afz", ew.is_finite_p: "stablehlo.is_finite",
    ew.exp_p: "stablehlo.exponential", ew.log_p: "stablehlo.log",
    ew.tanh_p: "stablehlo.tanh", ew.logistic_p: "stablehlo.logistic",
    ew.asin_p: "chlo.asin", ew.acos_p: "chlo.acos", ew.atan_p: "chlo.atan",
    ew.acosh_p: "chlo.acosh", ew.sqrt_p: "stablehlo.sqrt",
    ew.rsqrt_p: "stablehlo.rsqrt", ew.erf_p: "chlo.erf", ew.erf_inv_p: "chlo.erf_inv",
    ew.real_p: "stablehlo.real", ew.imag_p: "stablehlo.imag", ew.not_p: "stablehlo.not",
    ew.add_p: "stablehlo.add", ew.sub_p: "stablehlo.subtract", ew.mul_p: "stablehlo.multiply",
    ew.and_p: "stablehlo.and", ew.or_p: "stablehlo.or",
    ew.xor_p: "stablehlo.xor", ew.shift_left_p: "stablehlo.shift_left",
    ew.shift_right_logical_p: "stablehlo.shift_right_logical",
    ew.shift_right_arithmetic_p: "stablehlo.shift_right_arithmetic",
    ew.complex_p: "stablehlo.complex",
}
for _prim, _name in _OPS.items():
    LOWERING_RULES[_prim] = _op_rule(_name)


def _narrow_int_division(rule):
    """`rule` computing 8- and 16-bit integer division in 32 bits (IREE 3.13 cannot
    compile 8-bit `arith.divui` for its baseline Vulkan target); the wrapped results
    convert back exactly (INT8_MIN / -1 == INT8_MIN)."""
    def widened(b: FunctionBuilder, x, y):
        dtype = np.dtype(b.avals_out[0].dtype)
        if dtype.kind not in "iu" or dtype.itemsize >= 4:
            return rule(b, x, y)
        wide = np.dtype(np.int32 if dtype.kind == "i" else np.uint32)
        outer = b.avals_out
        b.avals_out = [a.update(dtype=wide) for a in outer]
        result = rule(b, b.convert(x, wide), b.convert(y, wide))
        b.avals_out = outer
        return b.convert(result, dtype)
    return widened


def _rem(b: FunctionBuilder, x, y):
    """Signed integers: `x - y * (x / y)` (IREE 3.13's signed remainder on Vulkan gives
    INT_MIN % 3 == 2: docs/iree_defects.md); the same values as `remainder`, including
    x % 0 == x and INT_MIN % -1 == 0 in wrapping arithmetic. Others: `remainder`."""
    if np.dtype(b.avals_out[0].dtype).kind != "i":
        return _op_rule("stablehlo.remainder")(b, x, y)
    x, y = _broadcast_scalars(b, (x, y))
    quotient = b.emit("stablehlo.divide", x, y)
    return b.emit("stablehlo.subtract", x, b.emit("stablehlo.multiply", y, quotient))


LOWERING_RULES[ew.rem_p] = _narrow_int_division(_rem)
LOWERING_RULES[ew.div_p] = _narrow_int_division(_op_rule("stablehlo.divide"))


def _compare_rule(direction: str):
    def rule(b: FunctionBuilder, x, y):
        x, y = _broadcast_scalars(b, (x, y))
        if x.dtype == dtypes.bfloat16:
            return _in_float32(b, lambda u, v: b.compare(u, v, direction), (x, y),
                               dtypes.bool_)
        return b.compare(x, y, direction)
    return rule


for _prim, _direction in ((ew.eq_p, "EQ"), (ew.ne_p, "NE"), (ew.lt_p, "LT"), (ew.le_p, "LE"),
                          (ew.gt_p, "GT"), (ew.ge_p, "GE")):
    LOWERING_RULES[_prim] = _compare_rule(_direction)


def _sign(b: FunctionBuilder, x):
    if x.dtype.kind == "u":  # stablehlo.sign takes signed integers only
        return b.convert(b.compare(x, b.constant(0, x.dtype, x.shape), "NE"), x.dtype)
    return b.emit("stablehlo.sign", x)


def _abs(b: FunctionBuilder, x):
    return x if x.dtype.kind == "u" else b.emit("stablehlo.abs", x, dtype=b.avals_out[0].dtype)


def _pow(b: FunctionBuilder, x, y):
    x, y = _broadcast_scalars(b, (x, y))
    if x.dtype.kind == "c":
        return b.emit("stablehlo.power", x, y)
    base = b.eqn.inputs[0] if b.eqn is not None else None
    known = float(np.asarray(base.value)) if type(base) is Literal else None
    return precise_math.power(b, x, y, base=known)


def _real_formula(name: str, formula):
    """A rule using precise_math's `formula` for real floats and the op `name` (whose
    IREE expansion is fine) for complex numbers."""
    plain = _op_rule(name)
    return lambda b, x: plain(b, x) if x.dtype.kind == "c" else formula(b, x)


def _trig(name: str, f32_formula):
    """sin, cos or tan: precise_math's exact argument reduction up to float32 (IREE's
    own is wrong for large arguments), IREE's op (libm) for float64 and complex."""
    plain = _op_rule(name)
    float64 = precise_math.odd(name) if name != "stablehlo.cosine" else plain

    def rule(b: FunctionBuilder, x):
        if x.dtype.kind == "c":
            return plain(b, x)
        return float64(b, x) if x.dtype == dtypes.float64 else f32_formula(b, x)
    return rule


def complex_extremum(b: FunctionBuilder, x: Value, y: Value, direction: str) -> Value:
    """NumPy's maximum (`direction` GT) or minimum (LT) of complex numbers: ordered by
    real part, then imaginary part (IREE 3.13's ignores the imaginary part); x if it
    has a NaN part, else y if it has one."""
    part = dtypes.real_dtype(x.dtype)
    (xr, xi), (yr, yi) = ([b.emit(op, v, dtype=part) for op in ("stablehlo.real",
                                                                   "stablehlo.imag")]
                          for v in (x, y))
    same_real = b.compare(xr, yr, "EQ")
    ahead = b.emit("stablehlo.or", b.compare(xr, yr, direction), b.emit(
        "stablehlo.and", same_real, b.compare(xi, yi, direction[0] + "E")))
    x_nan, y_nan = (b.emit("stablehlo.or", b.is_nan(r), b.is_nan(i))
                    for r, i in ((xr, xi), (yr, yi)))
    pick_x = b.emit("stablehlo.or", x_nan, b.emit("stablehlo.and", b.emit(
        "stablehlo.not", y_nan), ahead))
    return b.select(pick_x, x, y)


def _extremum(name: str, direction: str):
    plain = _op_rule(name)

    def rule(b: FunctionBuilder, x, y):
        if x.dtype.kind != "c":
            return plain(b, x, y)
        return complex_extremum(b, *_broadcast_scalars(b, (x, y)), direction)
    return rule


def _exp2(b: FunctionBuilder, x):
    if x.dtype.kind == "c":
        return b.emit("stablehlo.exponential", b.emit(
            "stablehlo.multiply", x, b.constant(np.log(2), x.dtype, x.shape)))
    return precise_math.exp2(b, x)


def _atan2(b: FunctionBuilder, y, x):
    """precise_math's float32 atan2 (IREE's is ~35 ulp off, NaN at specials); libm's
    for float64."""
    y, x = _broadcast_scalars(b, (y, x))
    if y.dtype == dtypes.float64:
        return b.emit("stablehlo.atan2", y, x)
    return precise_math.atan2(b, y, x)


def _conj(b: FunctionBuilder, x):
    part = dtypes.real_dtype(x.dtype)
    real = b.emit("stablehlo.real", x, dtype=part)
    imag = b.emit("stablehlo.negate", b.emit("stablehlo.imag", x, dtype=part))
    return b.emit("stablehlo.complex", real, imag, dtype=x.dtype)


def _integer_pow(b: FunctionBuilder, x, *, y: int):
    """Square and multiply; a negative power is 1 / x**-y (integers divide toward 0)."""
    acc, square, n = None, x, abs(y)
    while n:
        if n & 1:
            acc = square if acc is None else b.emit("stablehlo.multiply", acc, square)
        n >>= 1
        if n:
            square = b.emit("stablehlo.multiply", square, square)
    one = b.constant(1, x.dtype, x.shape)
    if acc is None:
        return one
    return b.emit("stablehlo.divide", one, acc) if y < 0 else acc


def _select_n(b: FunctionBuilder, which, *cases):
    """`cases[which]`: a bool `which` selects directly; an integer one through a
    binary tree of `which < k` tests, so out-of-range values clip as in the impl."""
    cases = _broadcast_scalars(b, cases)
    if which.dtype == dtypes.bool_ and len(cases) == 2:
        return b.select(which, cases[1], cases[0])

    def pick(lo: int, hi: int) -> Value:
        if hi - lo == 1:
            return cases[lo]
        mid = (lo + hi) // 2
        below = b.compare(which, b.constant(mid, which.dtype, which.shape), "LT")
        return b.select(below, pick(lo, mid), pick(mid, hi))

    return pick(0, len(cases))


def _clamp(b: FunctionBuilder, lo, x, hi):
    return b.emit("stablehlo.clamp", lo, x, hi, shape=x.shape)


def _convert_element_type(b: FunctionBuilder, x, *, new_dtype, weak_type):
    """As the impl: complex to real keeps the real part; to bool is `x != 0`."""
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        x = b.emit("stablehlo.real", x, dtype=dtypes.real_dtype(x.dtype))
    if new_dtype == dtypes.bool_ and x.dtype != dtypes.bool_:
        return b.compare(x, b.constant(0, x.dtype, x.shape), "NE")
    return b.convert(x, new_dtype)


def _bitcast_convert_type(b: FunctionBuilder, x, *, new_dtype):
    """bool (i1 in MLIR, a byte in NumPy) converts to and from 8-bit integers."""
    if dtypes.bool_ in (x.dtype, new_dtype):
        return _convert_element_type(b, x, new_dtype=new_dtype, weak_type=False)
    return b.emit("stablehlo.bitcast_convert", x, dtype=new_dtype)


LOWERING_RULES.update({
    ew.sign_p: _sign,
    ew.abs_p: _abs,
    ew.cbrt_p: precise_math.cbrt,
    ew.pow_p: _pow,
    ew.expm1_p: _real_formula("stablehlo.exponential_minus_one", precise_math.expm1),
    ew.log1p_p: _real_formula("stablehlo.log_plus_one", precise_math.log1p),
    ew.sinh_p: _real_formula("chlo.sinh", precise_math.sinh),
    ew.cosh_p: _real_formula("chlo.cosh", precise_math.cosh),
    ew.asinh_p: _real_formula("chlo.asinh", precise_math.asinh),
    ew.atanh_p: _real_formula("chlo.atanh", precise_math.atanh),
    ew.sin_p: _trig("stablehlo.sine", precise_math.sin),
    ew.cos_p: _trig("stablehlo.cosine", precise_math.cos),
    ew.tan_p: _trig("stablehlo.tan", precise_math.tan),
    ew.max_p: _extremum("stablehlo.maximum", "GT"),
    ew.min_p: _extremum("stablehlo.minimum", "LT"),
    ew.exp2_p: _exp2,
    ew.atan2_p: _atan2,
    ew.conj_p: _conj,
    ew.integer_pow_p: _integer_pow,
    ew.select_n_p: _select_n,
    ew.clamp_p: _clamp,
    ew.convert_element_type_p: _convert_element_type,
    ew.bitcast_convert_type_p: _bitcast_convert_type,
    ew.stop_gradient_p: lambda b, x: x,
})
