"""Lowering rule for `sort` (core/primitives/sorting.py): `stablehlo.sort` with a
less-than comparator over the first `num_keys` operands, lexicographic, in the
impl's total order: NaNs last, -0.0 equal to 0.0, complex numbers by real part and
then imaginary part.  The sort is stable, as the impl is: IREE 3.13 ignores
`is_stable`, so the comparator breaks ties by position (an extra iota operand).

IREE 3.13 sorts in place and miscompiles sorts of compile-time constants used more
than once (two argsorts of one shape share their iota: docs/iree_defects.md, 1 and 2),
so the position iota and any constant operand (an argsort's iota) are passed to the
program as arguments (`FunctionBuilder.hoisted_constant`)."""
import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitives import sorting
from .builder import FunctionBuilder, boolean, i64, scalar_aval
from .lowering import LOWERING_RULES, UPDATED_IN_PLACE


def _less(b: FunctionBuilder, x, y):
    """`x < y` with NaN above every number."""
    lt = b.compare(x, y, "LT")
    if not dtypes.is_float(x.dtype):
        return lt
    x_number = b.emit("stablehlo.not", b.is_nan(x))
    return b.emit("stablehlo.or", lt, b.emit("stablehlo.and", x_number, b.is_nan(y)))


def _equal(b: FunctionBuilder, x, y):
    """`x == y` with NaN equal to NaN."""
    eq = b.compare(x, y, "EQ")
    if not dtypes.is_float(x.dtype):
        return eq
    return b.emit("stablehlo.or", eq, b.emit("stablehlo.and", b.is_nan(x), b.is_nan(y)))


def _real_keys(b: FunctionBuilder, x, y) -> list:
    """(x, y) key pairs; a complex pair becomes its real parts, then imaginary parts."""
    if x.dtype.kind != "c":
        return [(x, y)]
    part = dtypes.real_dtype(x.dtype)
    return [(b.emit(op, x, dtype=part), b.emit(op, y, dtype=part))
            for op in ("stablehlo.real", "stablehlo.imag")]


def _sort(b: FunctionBuilder, *operands, dimension, is_stable, num_keys):
    shape = operands[0].shape
    index_dtype = _index_dtype(shape[dimension])
    if b.hoist_constants:  # a runtime argument: see FunctionBuilder.hoisted_constant
        position = b.hoisted_constant(np.broadcast_to(np.arange(
            shape[dimension], dtype=index_dtype).reshape(
                [-1 if d == dimension else 1 for d in range(len(shape))]), shape))
        operands = [_fresh_copy(b, x) for x in operands]
    else:
        position = b.op("stablehlo.iota", [], [ShapedArray(shape, index_dtype)],
                        {"iota_dimension": i64(dimension)})[0]
    operands = (*operands, position)

    def comparator(*args):
        keys = [pair for x, y in zip(args[0:2 * num_keys:2], args[1:2 * num_keys:2])
                for pair in _real_keys(b, x, y)]
        less = b.compare(args[-2], args[-1], "LT")
        for x, y in reversed(keys):
            less = b.emit("stablehlo.or", _less(b, x, y),
                          b.emit("stablehlo.and", _equal(b, x, y), less))
        return [less]

    region = b.region([scalar_aval(x.dtype) for x in operands for _ in range(2)], comparator)
    return b.op("stablehlo.sort", operands, [x.aval for x in operands],
                {"dimension": i64(dimension), "is_stable": boolean(True)}, [region])[:-1]


def _fresh_copy(b: FunctionBuilder, x):
    """`x` plus a zero (-0.0 for floats, which keeps every value's sign; `or` False for
    bools) that is a runtime argument, which IREE cannot fold away: a copy of `x` for the
    sort to update in place.  IREE 3.13 sorts an argument of the program in place when
    the program also returns it (or a view of it), which then comes back sorted
    (docs/iree_defects.md, 11.)."""
    negative_zero = complex(-0.0, -0.0) if x.dtype.kind == "c" else -0.0
    value = np.full(1, negative_zero if dtypes.is_inexact(x.dtype) else 0).astype(x.dtype)
    zero = b.emit("stablehlo.reshape", b.hoisted_constant(value), shape=())
    zero = b.broadcast_in_dim(zero, x.shape, ())
    return b.emit("stablehlo.or" if x.dtype == dtypes.bool_ else "stablehlo.add", x, zero)


def _index_dtype(size: int):
    return dtypes.int32 if size < 2**31 else dtypes.int64


LOWERING_RULES[sorting.sort_p] = _sort
UPDATED_IN_PLACE.add(sorting.sort_p)
