"""Lowering rules for reductions, arg-reductions and cumulative reductions
(core/primitives/reductions.py), all `stablehlo.reduce` / `reduce_window` with a
region that combines two elements."""
import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitives import reductions as red
from .builder import FunctionBuilder, i64, i64_array, scalar_aval
from .lowering import LOWERING_RULES
from .zero_size import REDUCTION_IDENTITIES, highest, lowest

# primitive -> the op combining two elements (identities: REDUCTION_IDENTITIES)
_COMBINE = {
    red.reduce_sum_p: "stablehlo.add",
    red.reduce_prod_p: "stablehlo.multiply",
    red.reduce_max_p: "stablehlo.maximum",
    red.reduce_min_p: "stablehlo.minimum",
    red.reduce_and_p: "stablehlo.and",
    red.reduce_or_p: "stablehlo.or",
}
_MONOIDS = {prim: (op, REDUCTION_IDENTITIES[prim]) for prim, op in _COMBINE.items()}
_CUMULATIVE = {red.cumsum_p: red.reduce_sum_p, red.cumprod_p: red.reduce_prod_p,
               red.cummax_p: red.reduce_max_p, red.cummin_p: red.reduce_min_p}


def _reduction_rule(op: str, identity):
    def rule(b: FunctionBuilder, x, *, axes):
        init = b.constant(identity(x.dtype), x.dtype)
        return b.reduce([x], [init], axes, lambda acc, y: [b.emit(op, acc, y)])[0]
    return rule


def _cumulative_rule(op: str, identity):
    """An inclusive scan as `reduce_window` with a window of the whole axis, padded
    before (after, for `reverse`) by the identity: exact for integers and max/min.

    IREE 3.13 compiles no `reduce_window` of bools or unsigned integers: bools scan as
    int8; unsigned integers as the signed integers of their bits, with the sign bit
    flipped for max/min (which maps the unsigned order onto the signed one)."""
    def rule(b: FunctionBuilder, x, *, axis, reverse):
        n = x.shape[axis]
        if n <= 1:
            return x
        if x.dtype == dtypes.bool_:
            scanned = rule(b, b.convert(x, dtypes.int8), axis=axis, reverse=reverse)
            return b.compare(scanned, b.constant(0, dtypes.int8, x.shape), "NE")
        if x.dtype.kind == "u":
            signed = np.dtype(f"i{x.dtype.itemsize}")
            flip = b.constant(1 << (8 * x.dtype.itemsize - 1), x.dtype, x.shape)
            ordered = op in ("stablehlo.maximum", "stablehlo.minimum")
            y = b.emit("stablehlo.xor", x, flip) if ordered else x
            y = b.emit("stablehlo.bitcast_convert", y, dtype=signed)
            y = b.emit("stablehlo.bitcast_convert", rule(b, y, axis=axis, reverse=reverse),
                       dtype=x.dtype)
            return b.emit("stablehlo.xor", y, flip) if ordered else y
        window = [1] * x.ndim
        window[axis] = n
        padding = [[0, 0]] * x.ndim
        padding[axis] = [0, n - 1] if reverse else [n - 1, 0]
        init = b.constant(identity(x.dtype), x.dtype)
        region = b.region([scalar_aval(x.dtype)] * 2, lambda acc, y: [b.emit(op, acc, y)])
        return b.op("stablehlo.reduce_window", [x, init], [x.aval], {
            "window_dimensions": i64_array(window),
            "padding": f"dense<{padding}> : tensor<{x.ndim}x2xi64>"}, [region])[0]
    return rule


for _prim, (_op, _identity) in _MONOIDS.items():
    LOWERING_RULES[_prim] = _reduction_rule(_op, _identity)
for _prim, _reduction in _CUMULATIVE.items():
    LOWERING_RULES[_prim] = _cumulative_rule(*_MONOIDS[_reduction])


def _arg_reduction_rule(direction: str, init):
    """argmax (`direction` GT) or argmin (LT) as a reduce over (value, index) pairs
    ordered by value, NaN beating any number, then by lower index: the result is the
    first extremum whatever order the reduction combines elements in."""
    def rule(b: FunctionBuilder, x, *, axis, index_dtype):
        index = b.op("stablehlo.iota", [], [ShapedArray(x.shape, index_dtype)],
                     {"iota_dimension": i64(axis)})[0]

        def combine(value1, index1, value2, index2):
            better = b.compare(value1, value2, direction)
            tie = b.compare(value1, value2, "EQ")
            if dtypes.is_float(x.dtype):
                nan1, nan2 = b.is_nan(value1), b.is_nan(value2)
                better = b.emit("stablehlo.or", better, b.emit(
                    "stablehlo.and", nan1, b.emit("stablehlo.not", nan2)))
                tie = b.emit("stablehlo.or", tie, b.emit("stablehlo.and", nan1, nan2))
            first = b.emit("stablehlo.and", tie, b.compare(index1, index2, "LT"))
            pick1 = b.emit("stablehlo.or", better, first)
            return [b.select(pick1, value1, value2), b.select(pick1, index1, index2)]

        inits = [b.constant(init(x.dtype), x.dtype), b.constant(0, index_dtype)]
        outs = b.reduce([x, index], inits, (axis,), combine)
        # IREE 3.13 fails to compile the two-result reduce when a transpose of its
        # index result is fused into it (jit(lambda x: jnp.argmin(x, 0).T)): the
        # barrier keeps the reduce a dispatch of its own.
        return b.op("stablehlo.optimization_barrier", outs, [o.aval for o in outs])[1]
    return rule


LOWERING_RULES[red.argmax_p] = _arg_reduction_rule("GT", lowest)
LOWERING_RULES[red.argmin_p] = _arg_reduction_rule("LT", highest)
