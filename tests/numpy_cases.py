"""The sample calls of every public irax.numpy function, shared by the eager-vs-jit
suite (test_jit_numpy.py) and the vmap-vs-loop suite (test_vmap_numpy.py).

`CASES` maps a case name ("function" or "function:variant") to a function of the
array arguments (which a transform traces; axes, shapes, dtypes and other Python values
are closed over) and its sample arguments, grouped in `FAMILIES`.  `CONCRETE_ONLY` holds
the functions whose output shape depends on the values (they cannot be traced),
`EXCLUDED` the public functions with no sample call, and the `*_DEFECT` strings name IREE
compiler defects that cases hit.
"""
import functools
import types

import numpy as np

import irax.numpy as jnp
from irax.api.numpy import (
    creation,
    diagonals,
    indexing,
    linalg_ops,
    padding,
    quantiles,
    reductions,
    shape_ops,
    sorting,
    ufuncs,
)

# ---- sample inputs (float64 and complex128 arrays become the tested precision) -------

rng = np.random.RandomState(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
ROW = rng.standard_normal(4)                  # broadcasts against (3, 4)
COL = rng.standard_normal((3, 1))
UNIT = rng.uniform(-0.9, 0.9, (3, 4))
POS = rng.uniform(0.5, 2.0, (3, 4))
GT1 = 1.0 + POS
TIES = np.array([[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, 0.49, -0.51], [3.7, -3.7, 0.0, -0.0]])
SPECIAL = np.array([[np.nan, np.inf, -np.inf, 0.0], [-0.0, 1.5, -2.0, np.nan],
                    [3.0, -1e-3, 7.0, 1e30]])
WITH_NAN = np.where(rng.rand(3, 4) < 0.25, np.nan, A)
WITH_NAN[:, 0] = np.nan, 1.0, 2.0             # no row or column all NaN
I = rng.randint(-9, 10, (3, 4))               # default int (int32, or int64 with x64)
IPOS = rng.randint(1, 5, (3, 4))
IROW = rng.randint(1, 5, 4)
SHIFT = rng.randint(0, 5, (3, 4))
MASK = rng.rand(3, 4) > 0.5
MASK2 = rng.rand(3, 4) > 0.5
SQ = rng.standard_normal((4, 4))
T3 = rng.standard_normal((2, 3, 4))
V3, W3 = rng.standard_normal(3), rng.standard_normal(3)
V4 = rng.standard_normal(4)
SORTED = np.array([-1.5, -0.5, 0.0, 0.5, 0.5, 2.0])
PROBE = np.array([[-2.0, -0.5, 0.25], [0.5, 3.0, np.nan]])
INT8 = I.astype(np.int8)
Z = A + 1j * B
ZROW = ROW + 1j * ROW[::-1]
ZTIES = np.array([0.5j, 1 + 2j, 1 - 1j, -1j, 1 + 3j, 1 - 2j, complex(np.nan, 1), 2, 0.5j])
ZTIES2 = np.array([-1j, 1 - 2j, 1 + 0j, 0.5j, 1 + 3j, 1 + 5j, 1, complex(2, np.nan), 0.5j])
UINT = IPOS.astype(np.uint32)


def to_input(a, precision: str):
    """A sample argument as the jitted function receives it: NumPy arrays become irax
    arrays (float64 and complex128 ones in `precision`); Python scalars stay weakly
    typed."""
    if isinstance(a, np.ndarray):
        if a.dtype == np.float64:
            a = a.astype(precision)
        elif a.dtype == np.complex128:
            a = a.astype(np.complex64 if precision == "float32" else np.complex128)
        return jnp.asarray(a)
    if isinstance(a, (list, tuple)):
        return type(a)(to_input(x, precision) for x in a)
    return a


# ---- the table: name -> (function of the traced arguments, *sample arguments) --------

def _same_args(names, *args, tag=""):
    """Cases calling each of `names` on `args` (keys `name:tag` when tagged)."""
    return {f"{n}:{tag}" if tag else n: (getattr(jnp, n), *args) for n in names}


UFUNCS = {
    **_same_args(["sin", "cos", "tan", "arctan", "atan", "sinh", "cosh", "tanh", "arcsinh",
                  "asinh", "exp", "exp2", "expm1", "cbrt", "sign", "negative", "positive",
                  "absolute", "abs", "fabs", "square", "reciprocal", "deg2rad", "radians",
                  "rad2deg", "degrees", "sinc", "real", "imag", "conj", "conjugate", "angle",
                  "logical_not"], A),
    **_same_args(["arcsin", "asin", "arccos", "acos", "arctanh", "atanh"], UNIT),
    **_same_args(["log", "log1p", "log2", "log10", "sqrt"], POS),
    **_same_args(["arccosh", "acosh"], GT1),
    **_same_args(["floor", "ceil", "trunc", "fix", "rint", "round", "around"], TIES),
    **_same_args(["isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit",
                  "nan_to_num"], SPECIAL),
    **_same_args(["invert", "bitwise_not", "bitwise_invert"], I),
    "round:decimals=2": (lambda x: jnp.round(x, 2), A * 10),
    "round:decimals=-1": (lambda x: jnp.round(x, -1), I * 10),
    "nan_to_num:values": (lambda x: jnp.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
                          SPECIAL),
    "angle:deg": (lambda x: jnp.angle(x, deg=True), A),
    "sinc:zero": (jnp.sinc, np.array([0.0, 1.0, -0.5, 2.5])),
    "exp:int": (jnp.exp, I),
    "sqrt:int": (jnp.sqrt, IPOS),
    "absolute:int": (jnp.absolute, I),
    "sign:int": (jnp.sign, I),
    "sign:uint": (jnp.sign, UINT),
    "square:int": (jnp.square, I),
    "negative:int8": (jnp.negative, INT8),
    "floor:int": (jnp.floor, I),
    "logical_not:int": (jnp.logical_not, I),
    "invert:bool": (jnp.invert, MASK),
    **_same_args(["add", "subtract", "multiply", "divide", "true_divide", "arctan2", "atan2",
                  "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
                  "greater_equal", "hypot", "logaddexp", "logaddexp2", "copysign", "heaviside",
                  "fmax", "fmin", "isclose", "floor_divide", "remainder", "mod", "fmod",
                  "divmod"], A, B),
    **_same_args(["add", "subtract", "multiply", "divide", "maximum", "less", "arctan2",
                  "logaddexp", "hypot", "copysign", "floor_divide", "remainder"], COL, ROW,
                 tag="broadcast"),
    **_same_args(["power", "pow", "float_power"], POS, A),
    **_same_args(["floor_divide", "remainder", "mod", "fmod", "divmod", "add", "multiply",
                  "subtract", "maximum", "true_divide", "equal"], I, IPOS, tag="int"),
    **_same_args(["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
                  "bitwise_left_shift", "bitwise_right_shift"], I, SHIFT),
    **_same_args(["logical_and", "logical_or", "logical_xor", "bitwise_and", "add", "multiply",
                  "equal"], MASK, MASK2, tag="bool"),
    "logical_and:int": (jnp.logical_and, I, SHIFT),
    "right_shift:uint": (jnp.right_shift, UINT, SHIFT.astype(np.uint32)),
    "fmax:nan": (jnp.fmax, SPECIAL, B), "fmin:nan": (jnp.fmin, B, SPECIAL),
    "maximum:nan": (jnp.maximum, SPECIAL, B), "minimum:nan": (jnp.minimum, B, SPECIAL),
    "isclose:nan": (lambda a, b: jnp.isclose(a, b, equal_nan=True), SPECIAL, SPECIAL),
    "isclose:tol": (lambda a, b: jnp.isclose(a, b, rtol=0.5, atol=0.1), A, B),
    "logaddexp:inf": (jnp.logaddexp, SPECIAL, SPECIAL),
    "heaviside:zero": (jnp.heaviside, TIES, B),
    "copysign:zero": (jnp.copysign, B, TIES),
    "add:weak_float": (jnp.add, A, 2.5),
    "multiply:weak_int": (jnp.multiply, 3, I),
    "multiply:weak_float_int": (jnp.multiply, 1.5, I),
    "subtract:weak_weak": (jnp.subtract, 2.0, 0.5),
    "divide:int8_weak": (jnp.divide, INT8, 2),
    "add:int8_weak": (jnp.add, INT8, 100),
    "power:int_exponent": (lambda x: jnp.power(x, 3), A),
    "power:negative_int_exponent": (lambda x: jnp.power(x, -2), POS),
    "power:weak_exponent": (jnp.power, POS, 0.5),
    "power:int8": (jnp.power, np.clip(INT8, -3, 3), SHIFT.astype(np.int8)),
    "power:bool": (jnp.power, MASK, MASK2),
    "float_power:int": (jnp.float_power, IPOS, SHIFT),
    "where": (jnp.where, MASK, A, B),
    "where:broadcast": (lambda c, x: jnp.where(c > 0, x, 0.0), COL, ROW),
    "where:int_condition": (jnp.where, I, A, 1),
    "clip": (lambda x: jnp.clip(x, -0.5, 0.5), A),
    "clip:arrays": (jnp.clip, A, COL, 1.0),
    "clip:max_only": (lambda x: jnp.clip(x, max=3), I),
    "clip:weak": (jnp.clip, 3.5, 0, 1),
    "where:weak": (jnp.where, MASK, 1.0, 2.0),
}

REDUCTIONS = {
    **_same_args(["sum", "prod", "max", "min", "amax", "amin", "mean", "var", "std", "ptp",
                  "argmax", "argmin", "cumsum", "cumprod", "all", "any", "count_nonzero",
                  "average"], A),
    "cumulative_sum": (jnp.cumulative_sum, V4),
    "cumulative_prod": (jnp.cumulative_prod, V4),
    **{f"{n}:axis=-1": (functools.partial(getattr(jnp, n), axis=-1), A) for n in [
        "sum", "prod", "max", "min", "mean", "var", "std", "ptp", "argmax", "argmin",
        "cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "any", "count_nonzero",
        "average"]},
    **{f"{n}:axes": (functools.partial(getattr(jnp, n), axis=(0, -1), keepdims=True), T3)
       for n in ["sum", "prod", "max", "min", "mean", "var", "std", "all", "count_nonzero"]},
    **_same_args(["nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd",
                  "nanargmax", "nanargmin", "nancumsum", "nancumprod", "sum", "max", "argmax",
                  "cumsum"], WITH_NAN, tag="nan"),
    **{f"{n}:nan_axis=0": (functools.partial(getattr(jnp, n), axis=0), WITH_NAN) for n in [
        "nansum", "nanmax", "nanmin", "nanmean", "nanvar", "nanargmax", "nanargmin",
        "nancumprod"]},
    **_same_args(["sum", "prod", "max", "min", "mean", "var", "argmin", "cumsum", "cumprod",
                  "ptp", "nansum"], I, tag="int"),
    **{f"{n}:int_axis=-1": (functools.partial(getattr(jnp, n), axis=-1), I) for n in [
        "sum", "max", "argmax", "cumsum", "std"]},
    **{f"{n}:bool": (functools.partial(getattr(jnp, n), axis=0), MASK) for n in [
        "sum", "all", "any", "count_nonzero", "cumsum", "max", "argmax", "mean"]},
    "sum:int8": (jnp.sum, INT8),
    "sum:weak": (jnp.sum, 2.5),
    "max:weak": (jnp.max, 3),
    "mean:weak_int": (jnp.mean, 3),
    "sum:dtype": (lambda x: jnp.sum(x, axis=0, dtype=jnp.int32), A * 3),
    "cumsum:dtype": (lambda x: jnp.cumsum(x, dtype=jnp.float32), I),
    "sum:where": (lambda x, w: jnp.sum(x, axis=1, where=w), A, MASK),
    "max:where_initial": (lambda x, w: jnp.max(x, axis=1, where=w, initial=-5.0), A, MASK),
    "prod:initial": (lambda x: jnp.prod(x, axis=0, initial=2.0), A),
    "min:initial": (lambda x: jnp.min(x, initial=0), I),
    "mean:where": (lambda x, w: jnp.mean(x, axis=0, where=w | (jnp.arange(4) == 0)), A, MASK),
    "var:ddof": (lambda x: jnp.var(x, axis=-1, ddof=1), A),
    "std:ddof_keepdims": (lambda x: jnp.std(x, axis=0, ddof=1, keepdims=True), A),
    "argmax:keepdims": (lambda x: jnp.argmax(x, axis=1, keepdims=True), A),
    "argmin:ties": (lambda x: jnp.argmin(x, axis=0), np.array([[1.0, 2.0], [1.0, 0.0]])),
    "average:weights": (lambda x, w: jnp.average(x, axis=-1, weights=w), A, POS[0]),
    "average:returned": (lambda x, w: jnp.average(x, axis=0, weights=w, returned=True), A, POS),
    "cumulative_sum:include_initial": (
        lambda x: jnp.cumulative_sum(x, axis=0, include_initial=True), A),
    "cumulative_prod:include_initial": (
        lambda x: jnp.cumulative_prod(x, axis=-1, include_initial=True), A),
    "allclose": (jnp.allclose, A, A + 1e-9),
    "allclose:false": (jnp.allclose, A, B),
    "allclose:nan": (lambda a, b: jnp.allclose(a, b, equal_nan=True), SPECIAL, SPECIAL),
    "array_equal": (jnp.array_equal, I, I),
    "array_equal:false": (jnp.array_equal, A, B),
    "array_equal:nan": (lambda a, b: jnp.array_equal(a, b, equal_nan=True), SPECIAL, SPECIAL),
    "array_equiv": (jnp.array_equiv, A, A[1:2]),
    "array_equiv:false": (jnp.array_equiv, I, IROW),
}

QUANTILES = {
    "median": (jnp.median, A),
    "median:axis=-1": (lambda x: jnp.median(x, axis=-1), A),
    "median:axes_keepdims": (lambda x: jnp.median(x, axis=(0, 2), keepdims=True), T3),
    "median:int": (jnp.median, I),
    "median:nan": (lambda x: jnp.median(x, axis=0), WITH_NAN),
    "quantile": (lambda x: jnp.quantile(x, 0.3), A),
    "quantile:traced_q": (lambda x, q: jnp.quantile(x, q, axis=0), A, np.array([0.0, 0.25, 1.0])),
    "percentile": (lambda x: jnp.percentile(x, 40, axis=1), A),
    "percentile:traced_q": (lambda x, q: jnp.percentile(x, q), A, np.array([10.0, 90.0])),
    **{f"quantile:{m}": (lambda x, m=m: jnp.quantile(x, np.array([0.1, 0.5, 0.77]), axis=-1,
                                                     method=m), A)
       for m in ("linear", "lower", "higher", "nearest", "midpoint")},
}

SHAPE_OPS = {
    "reshape": (lambda x: jnp.reshape(x, (4, -1)), A),
    "reshape:order_F": (lambda x: jnp.reshape(x, (2, 6), order="F"), A),
    "ravel": (jnp.ravel, T3),
    "flatten": (jnp.flatten, A),
    "transpose": (jnp.transpose, T3),
    "transpose:axes": (lambda x: jnp.transpose(x, (1, -1, 0)), T3),
    "swapaxes": (lambda x: jnp.swapaxes(x, 0, -1), T3),
    "moveaxis": (lambda x: jnp.moveaxis(x, (0, 1), (-1, 0)), T3),
    "expand_dims": (lambda x: jnp.expand_dims(x, (0, -1)), A),
    "squeeze": (jnp.squeeze, A[:, :1, None]),
    "squeeze:axis": (lambda x: jnp.squeeze(x, -1), COL),
    "broadcast_to": (lambda x: jnp.broadcast_to(x, (2, 3, 4)), ROW),
    "broadcast_to:weak": (lambda x: jnp.broadcast_to(x, (2, 3)), 1.5),
    "broadcast_arrays": (jnp.broadcast_arrays, COL, ROW, 1.0),
    "atleast_1d": (jnp.atleast_1d, 2.0),
    "atleast_2d": (jnp.atleast_2d, ROW),
    "atleast_3d": (jnp.atleast_3d, A, ROW),
    "concatenate": (lambda xs: jnp.concatenate(xs, axis=-1), [A, B, COL]),
    "concatenate:none": (lambda xs: jnp.concatenate(xs, axis=None), [A, I]),
    "stack": (lambda xs: jnp.stack(xs, axis=-1), [A, B]),
    "hstack": (jnp.hstack, [A, COL]),
    "vstack": (jnp.vstack, [A, ROW]),
    "dstack": (jnp.dstack, [A, B]),
    "column_stack": (jnp.column_stack, [ROW, ROW * 2, SQ]),
    "split": (lambda x: jnp.split(x, 2, axis=-1), A),
    "split:indices": (lambda x: jnp.split(x, [1, 3], axis=1), A),
    "array_split": (lambda x: jnp.array_split(x, 3, axis=1), A),
    "hsplit": (lambda x: jnp.hsplit(x, 2), A),
    "vsplit": (lambda x: jnp.vsplit(x, [1]), A),
    "dsplit": (lambda x: jnp.dsplit(x, 2), T3),
    "tile": (lambda x: jnp.tile(x, (2, 1, 2)), A),
    "repeat": (lambda x: jnp.repeat(x, 2, axis=-1), A),
    "repeat:none": (lambda x: jnp.repeat(x, 3), COL),
    "repeat:counts": (lambda x: jnp.repeat(x, np.array([1, 0, 2]), axis=0), A),
    "repeat:total_length": (lambda x: jnp.repeat(x, [2, 0, 3], axis=0, total_repeat_length=5),
                            A),
    "flip": (jnp.flip, A),
    "flip:axis": (lambda x: jnp.flip(x, (0, -1)), T3),
    "fliplr": (jnp.fliplr, A),
    "flipud": (jnp.flipud, A),
    "roll": (lambda x: jnp.roll(x, -5), A),
    "roll:axes": (lambda x: jnp.roll(x, (1, -2), axis=(0, -1)), T3),
    "roll:traced_shift": (lambda x, s: jnp.roll(x, s, axis=1), A, np.array(3)),
    "rot90": (jnp.rot90, A),
    "rot90:k": (lambda x: jnp.rot90(x, -3, axes=(1, 2)), T3),
    "transpose:int": (jnp.transpose, I),
}

PADDING = {
    **{f"pad:{m}": (lambda x, m=m: jnp.pad(x, ((1, 2), (3, 1)), mode=m), A)
       for m in ("constant", "empty", "edge", "reflect", "symmetric", "wrap")},
    "pad": (lambda x: jnp.pad(x, 2, constant_values=7), I),
    "pad:constant_values": (lambda x: jnp.pad(x, ((1, 0), (0, 2)), constant_values=((1, 2),
                                                                                    (3, 4))), A),
}

DIAGONALS = {
    "diag": (jnp.diag, SQ),
    "diag:k": (lambda x: jnp.diag(x, -1), A),
    "diag:vector": (lambda x: jnp.diag(x, 2), V3),
    "diagflat": (lambda x: jnp.diagflat(x, -1), COL),
    "diagonal": (lambda x: jnp.diagonal(x, 1, -1, 0), T3),
    "trace": (jnp.trace, A),
    "trace:offset": (lambda x: jnp.trace(x, -1, 1, 2), T3),
    "trace:int": (jnp.trace, I),
    "tril_indices": (lambda: jnp.tril_indices(4, -1),),
    "triu_indices": (lambda: jnp.triu_indices(3, 1, 5),),
}

INDEXING_FUNCTIONS = {
    "getitem": (lambda x, i: jnp.getitem(x, (slice(None, None, -1), i)), A, np.array([2, -1])),
    "take": (lambda x, i: jnp.take(x, i), A, np.array([[0, 11], [-1, 12]])),
    "take:axis": (lambda x, i: jnp.take(x, i, axis=-1), T3, np.array([3, 0, -4])),
    "take:clip": (lambda x, i: jnp.take(x, i, axis=0, mode="clip"), A, np.array([-1, 5, 1])),
    "take:wrap": (lambda x, i: jnp.take(x, i, axis=1, mode="wrap"), A, np.array([-1, 5, 9])),
    "take:fill_value": (lambda x, i: jnp.take(x, i, mode="fill", fill_value=-3), I,
                        np.array([0, 99, -20])),
    "take_along_axis": (lambda x, i: jnp.take_along_axis(x, i, axis=-1), A,
                        np.array([[3, 0, -1, 1]] * 3)),
    "take_along_axis:argsort": (
        lambda x: jnp.take_along_axis(x, jnp.argsort(x, axis=-1), axis=-1), A),
    "take_along_axis:broadcast": (lambda x, i: jnp.take_along_axis(x, i, axis=0), A,
                                  np.array([[2], [0]])),
    "take_along_axis:none": (lambda x, i: jnp.take_along_axis(x, i, axis=None), A,
                             np.array([11, 0, 5])),
    "select": (lambda x: jnp.select([x < -0.5, x > 0.5], [x, x * 10], -1.0), A),
    "select:int": (lambda c, x: jnp.select([c], [x]), MASK, I),
    "ix_": (jnp.ix_, np.array([0, 2]), np.array([3, 1, 0])),
    "unravel_index": (lambda i: jnp.unravel_index(i, (3, 4)), np.array([[0, 5], [11, -1]])),
    "ravel_multi_index:wrap": (lambda i, j: jnp.ravel_multi_index((i, j), (3, 4), mode="wrap"),
                               np.array([0, 2, 5]), np.array([3, -1, 1])),
    "ravel_multi_index:clip_F": (lambda i, j: jnp.ravel_multi_index(
        (i, j), (3, 4), mode="clip", order="F"), np.array([0, 2, 5]), np.array([3, -1, 1])),
}

SORTING = {
    "sort": (jnp.sort, A),
    "sort:axis=0": (lambda x: jnp.sort(x, axis=0), A),
    "sort:none": (lambda x: jnp.sort(x, axis=None), WITH_NAN),
    "sort:descending": (lambda x: jnp.sort(x, descending=True), I),
    "sort:bool": (jnp.sort, MASK),
    "sort:nan": (jnp.sort, SPECIAL),
    "argsort": (jnp.argsort, A),
    "argsort:axis=0": (lambda x: jnp.argsort(x, axis=0), I),
    "argsort:1d": (jnp.argsort, ROW),
    "argsort:two_int_keyed": (lambda x: (jnp.argsort(x), jnp.argsort(-x)),
                              np.array([3, -1, 2, 0, 5])),
    "argsort:descending_stable": (lambda x: jnp.argsort(x, descending=True),
                                  np.array([1, 3, 1, 3, 2])),
    "argsort:nan": (lambda x: jnp.argsort(x, axis=None), SPECIAL),
    "lexsort": (lambda a, b: jnp.lexsort((a, b)), np.array([2, 1, 1, 0]), np.array([0, 1, 0, 1])),
    "lexsort:axis=0": (lambda a, b: jnp.lexsort((a, b), axis=0), I, I % 2),
    "searchsorted": (jnp.searchsorted, SORTED, PROBE),
    "searchsorted:right": (lambda a, v: jnp.searchsorted(a, v, side="right"), SORTED, PROBE),
    "searchsorted:sorter": (lambda a, v: jnp.searchsorted(a, v, sorter=jnp.argsort(a)), V4,
                            A),
    "searchsorted:int": (jnp.searchsorted, np.array([1, 3, 3, 7]), I),
    "digitize": (jnp.digitize, PROBE, SORTED),
    "digitize:right": (lambda x, b: jnp.digitize(x, b, right=True), PROBE, SORTED),
    "digitize:decreasing": (jnp.digitize, PROBE, SORTED[::-1].copy()),
    "nonzero:size": (lambda x: jnp.nonzero(x, size=8), I),
    "nonzero:fill_value": (lambda x: jnp.nonzero(x, size=9, fill_value=-1), MASK),
    "flatnonzero:size": (lambda x: jnp.flatnonzero(x, size=4), MASK),
    "argwhere:size": (lambda x: jnp.argwhere(x, size=10, fill_value=(7, 8)), MASK),
    "extract:size": (lambda c, x: jnp.extract(c, x, size=8, fill_value=-1.0), MASK, A),
    "bincount:length": (lambda x: jnp.bincount(x, length=6), SHIFT.ravel()),
    "bincount:weights": (lambda x, w: jnp.bincount(x, w, length=3), SHIFT.ravel(), A.ravel()),
}

LINALG_OPS = {
    "dot": (jnp.dot, A, SQ),
    "dot:vector": (jnp.dot, V4, V4),
    "dot:nd": (jnp.dot, T3, SQ),
    "dot:scalar": (jnp.dot, 2.0, A),
    "dot:int": (jnp.dot, I, IPOS.T),
    "dot:preferred": (lambda a, b: jnp.dot(a, b, preferred_element_type=jnp.float32), I,
                      IPOS.T),
    "vdot": (jnp.vdot, A, B),
    "matmul": (jnp.matmul, T3, SQ),
    "matmul:batch_broadcast": (jnp.matmul, T3[:1], rng.standard_normal((3, 4, 2))),
    "matmul:vector": (jnp.matmul, V4, T3.swapaxes(1, 2)),
    "matmul:mixed": (jnp.matmul, I, SQ),
    "inner": (jnp.inner, A, T3),
    "outer": (jnp.outer, V3, A),
    "tensordot": (jnp.tensordot, T3, rng.standard_normal((3, 4, 2))),
    "tensordot:axes": (lambda a, b: jnp.tensordot(a, b, ((0, -1), (1, 0))), T3,
                       rng.standard_normal((4, 2, 5))),
    "tensordot:zero": (lambda a, b: jnp.tensordot(a, b, 0), V3, V4),
    "einsum": (lambda a, b: jnp.einsum("ij,jk->ik", a, b), A, SQ),
    "einsum:trace": (lambda a: jnp.einsum("ii", a), SQ),
    "einsum:diag": (lambda a: jnp.einsum("ii->i", a), SQ),
    "einsum:batch": (lambda a, b: jnp.einsum("bij,bkj->bik", a, b), T3, T3),
    "einsum:ellipsis": (lambda a: jnp.einsum("...ij->...ji", a), T3),
    "einsum:three": (lambda a, b, c: jnp.einsum("i,ij,j->", a, b, c), V3, A, V4),
    "einsum:outer_sum": (lambda a, b: jnp.einsum("i,j->ij", a, b), V3, V4),
    "kron": (jnp.kron, A[:2, :2], A[1:, 1:]),
    "kron:int": (jnp.kron, I[:2], IPOS[:, :2]),
    "cross": (jnp.cross, V3, W3),
    "cross:axes": (lambda a, b: jnp.cross(a, b, axisa=0, axisb=-1), A, B.T.copy()),
    "cross:2d": (jnp.cross, A[:, :2], B[:, :2]),
    "matrix_transpose": (jnp.matrix_transpose, T3),
    "vecdot": (jnp.vecdot, A, ROW),
    "vecdot:axis": (lambda a, b: jnp.vecdot(a, b, axis=0), A, B),
}

LINALG = {
    "linalg.norm": (jnp.linalg.norm, A),
    **{f"linalg.norm:ord={o}": (lambda x, o=o: jnp.linalg.norm(x, ord=o, axis=-1), A)
       for o in (1, 2, 3, 0, np.inf, -np.inf, -1)},
    **{f"linalg.norm:matrix_{o}": (lambda x, o=o: jnp.linalg.norm(x, ord=o), SQ)
       for o in ("fro", 1, -1, np.inf, -np.inf)},
    "linalg.norm:axes_keepdims": (lambda x: jnp.linalg.norm(x, axis=(0, 2), keepdims=True), T3),
    "linalg.norm:int": (jnp.linalg.norm, I),
    "linalg.vector_norm": (lambda x: jnp.linalg.vector_norm(x, axis=(-1, 0), ord=1), T3),
    "linalg.matrix_norm": (jnp.linalg.matrix_norm, T3),
    "linalg.matrix_norm:inf": (lambda x: jnp.linalg.matrix_norm(x, ord=np.inf), T3),
    "linalg.matmul": (jnp.linalg.matmul, A, SQ),
    "linalg.matrix_transpose": (jnp.linalg.matrix_transpose, A),
    "linalg.tensordot": (lambda a, b: jnp.linalg.tensordot(a, b, axes=1), A, SQ),
    "linalg.vecdot": (jnp.linalg.vecdot, T3, A),
    "linalg.outer": (jnp.linalg.outer, V3, V4),
    "linalg.cross": (lambda a, b: jnp.linalg.cross(a, b, axis=0), A[:, :2], B[:, 1:3]),
    "linalg.matrix_power": (lambda x: jnp.linalg.matrix_power(x, 5), SQ / 2),
    "linalg.matrix_power:zero": (lambda x: jnp.linalg.matrix_power(x, 0), T3[:, :3, :3]),
    "linalg.multi_dot": (lambda *xs: jnp.linalg.multi_dot(xs), V3, A, SQ, V4),
    "linalg.cholesky": (lambda x: jnp.linalg.cholesky(x @ x.T + 4 * jnp.eye(4)), SQ),
    "linalg.solve": (lambda a, b: jnp.linalg.solve(a + 4 * jnp.eye(4), b), SQ, V4),
    "linalg.inv": (lambda a: jnp.linalg.inv(a + 4 * jnp.eye(4)), SQ),
    "linalg.det": (jnp.linalg.det, SQ),
    "linalg.slogdet": (lambda a: tuple(jnp.linalg.slogdet(a)), SQ),
}

CREATION = {
    "array": (jnp.array, A),
    "array:list": (lambda x, y: jnp.array([x, y, 1.0]), 2.0, np.array(3.0)),
    "array:ndmin": (lambda x: jnp.array(x, ndmin=3), ROW),
    "asarray": (jnp.asarray, I),
    "asarray:dtype": (lambda x: jnp.asarray(x, jnp.int32), A * 3),
    "astype": (lambda x: jnp.astype(x, jnp.int8), A * 30),
    "astype:bool": (lambda x: jnp.astype(x, bool), TIES),
    "astype:float": (lambda x: jnp.astype(x, jnp.float32), I),
    "astype:uint": (lambda x: jnp.astype(x, jnp.uint8), IPOS),
    "copy": (jnp.copy, A),
    "zeros": (lambda: jnp.zeros((2, 3)),),
    "ones": (lambda: jnp.ones(4, jnp.int32),),
    "empty": (lambda: jnp.empty((0, 2)),),
    "full": (lambda v: jnp.full((2, 3), v), 1.5),
    "full:array": (lambda v: jnp.full((2, 4), v), ROW),
    "full:dtype": (lambda: jnp.full(3, 7, jnp.float32),),
    "zeros_like": (jnp.zeros_like, I),
    "zeros_like:weak": (jnp.zeros_like, 2.0),
    "ones_like": (lambda x: jnp.ones_like(x, shape=(2, 2)), A),
    "empty_like": (jnp.empty_like, MASK),
    "full_like": (lambda x: jnp.full_like(x, 2.7), I),
    "full_like:traced": (jnp.full_like, A, 4.5),
    "arange": (lambda: jnp.arange(5),),
    "arange:float": (lambda: jnp.arange(1.0, 2.0, 0.25),),
    "linspace": (lambda a, b: jnp.linspace(a, b, 7), 0.0, 1.0),
    "linspace:arrays": (lambda a, b: jnp.linspace(a, b, 5, endpoint=False, axis=-1), V3, W3),
    "linspace:retstep": (lambda a, b: jnp.linspace(a, b, 4, retstep=True), V3, W3),
    "linspace:int": (lambda: jnp.linspace(0, 10, 4, dtype=jnp.int32),),
    "logspace": (lambda a, b: jnp.logspace(a, b, 5), 0.0, 2.0),
    "logspace:base": (lambda a: jnp.logspace(a, 1.0, 4, base=2.0, endpoint=False), V3),
    "geomspace": (lambda a, b: jnp.geomspace(a, b, 4), 1.0, 1000.0),
    "geomspace:negative": (lambda a, b: jnp.geomspace(a, b, 6), -POS[0, :3], -GT1[0, :3]),
    "eye": (lambda: jnp.eye(3, 4, k=1),),
    "identity": (lambda: jnp.identity(3, jnp.int32),),
    "tri": (lambda: jnp.tri(3, 5, -1),),
    "tril": (jnp.tril, A),
    "tril:k": (lambda x: jnp.tril(x, 1), T3),
    "triu": (lambda x: jnp.triu(x, -1), A),
    "triu:vector": (jnp.triu, V3),
    "meshgrid": (jnp.meshgrid, V3, V4),
    "meshgrid:ij_sparse": (lambda *xs: jnp.meshgrid(*xs, indexing="ij", sparse=True), V3, V4, I),
}

# `x[idx]` forms and `x.at[idx]` updates; index arrays are traced arguments.
INDEX_FORMS = {
    "getitem:int": (lambda x: x[1], A),
    "getitem:negative_int": (lambda x: x[-1, -2], T3),
    "getitem:slice": (lambda x: x[1:3], A),
    "getitem:negative_step": (lambda x: x[::-1, 3:0:-2], A),
    "getitem:slice_step": (lambda x: x[:, -1::-3, ::2], T3),
    "getitem:empty_slice": (lambda x: x[2:1], A),
    "getitem:none": (lambda x: x[None, :, None, 1], A),
    "getitem:ellipsis": (lambda x: x[..., 0], T3),
    "getitem:ellipsis_none": (lambda x: x[0, ..., None], T3),
    "getitem:int_array": (lambda x, i: x[i], A, np.array([2, 0, -1])),
    "getitem:int_array_2d": (lambda x, i: x[:, i], A, np.array([[0, 1], [-1, 3]])),
    "getitem:list": (lambda x: x[[0, 2], 1:], A),
    "getitem:broadcast_arrays": (lambda x, i, j: x[i, j], A, np.array([[0], [2]]),
                                 np.array([1, 3, -4])),
    "getitem:separated_arrays": (lambda x, i, j: x[i, :, j], T3, np.array([1, 0]),
                                 np.array([3, 2])),
    "getitem:adjacent_arrays": (lambda x, i, j: x[:, i, j], T3, np.array([1, 0]),
                                np.array([3, 2])),
    "getitem:out_of_bounds_clamped": (lambda x, i: x[i], ROW, np.array([7, -9])),
    "getitem:traced_scalar": (lambda x, i: x[i], A, np.array(2)),
    "getitem:traced_negative": (lambda x, i: x[1, i], A, np.array(-3)),
    "getitem:traced_out_of_bounds": (lambda x, i: x[:, i], A, np.array(10)),
    "getitem:concrete_mask": (lambda x: x[MASK], A),
    "getitem:concrete_row_mask": (lambda x: x[np.array([True, False, True])], A),
    "getitem:bool_scalar": (lambda x: x[True], A),
    "getitem:ix_": (lambda x, i, j: x[jnp.ix_(i, j)], A, np.array([2, 0]), np.array([1, 3, 3])),
    "getitem:int8_index": (lambda x, i: x[i, ::-1], I, np.array([[1, 0]], np.int8)),
    "at.get": (lambda x, i: x.at[i].get(), A, np.array([0, 2])),
    "at.get:fill": (lambda x, i: x.at[i].get(mode="fill", fill_value=-1.0), ROW,
                    np.array([0, 4, -5])),
    "at.set": (lambda x, v: x.at[1, ::-1].set(v), A, ROW),
    "at.set:negative_step": (lambda x, v: x.at[1, ::-2].set(v), A, ROW[:2]),
    "at.set:array_index": (lambda x, i, v: x.at[i].set(v), A, np.array([2, 0]), COL[:2]),
    "at.set:scalar": (lambda x, v: x.at[..., -1].set(v), T3, 9.0),
    "at.set:out_of_bounds_dropped": (lambda x, i: x.at[i].set(-1.0), ROW, np.array([1, 10])),
    "at.set:clip": (lambda x, i: x.at[i].set(-1.0, mode="clip"), ROW, np.array([1, 10])),
    "at.set:traced_scalar_index": (lambda x, i, v: x.at[i, 2].set(v), A, np.array(-1), 5.0),
    "at.set:int": (lambda x, v: x.at[:, 0].set(v), I, 100),
    "at.add": (lambda x, i, v: x.at[i].add(v), ROW, np.array([0, 2, 0, 3]),
               np.array([1.0, 2.0, 3.0, 4.0])),
    "at.add:int": (lambda x, i: x.at[i, i].add(5), I, np.array([0, 1, 1])),
    "at.add:slice": (lambda x, v: x.at[:, 1:3].add(v), A, B[:, :2]),
    "at.subtract": (lambda x: x.at[0].subtract(1.5), A),
    "at.multiply": (lambda x, i: x.at[i].multiply(2.0), ROW, np.array([1, 1, 3])),
    "at.multiply:int": (lambda x: x.at[::2].multiply(-3), I),
    "at.divide": (lambda x: x.at[1].divide(4.0), A),
    "at.power": (lambda x: x.at[:, 0].power(2), POS),
    "at.min": (lambda x, i, v: x.at[i].min(v), ROW, np.array([0, 0, 2]),
               np.array([-5.0, 0.0, 9.0])),
    "at.min:int": (lambda x, v: x.at[1].min(v), I, IROW - 3),
    "at.max": (lambda x, i, v: x.at[i].max(v), ROW, np.array([3, 3, 1]),
               np.array([9.0, 5.0, -9.0])),
    "at.max:2d": (lambda x, i: x.at[i, 1:].max(0.0), A, np.array([2, -3])),
}

# Elementwise functions on signed zeros, infinities, NaN, tiny and huge values: unary
# ones on EDGE, binary ones on every pair of EDGE values.
EDGE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 1e-5, -1e-5, 0.5, -0.5,
                 1.0, -1.0, 2.0, -2.0, 3.0, 100.0, -100.0, 700.0, -700.0, 1e30, -1e30])
EDGE_X, EDGE_Y = (g.ravel() for g in np.meshgrid(EDGE, EDGE, indexing="ij"))
SPECIAL_VALUES = {
    **_same_args(["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
                  "arcsinh", "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log1p",
                  "log2", "log10", "sqrt", "cbrt", "sign", "negative", "positive", "absolute",
                  "fabs", "square", "reciprocal", "deg2rad", "rad2deg", "sinc", "angle", "floor",
                  "ceil", "trunc", "rint", "round", "nan_to_num", "isnan", "isinf", "isfinite",
                  "isposinf", "isneginf", "signbit", "logical_not", "real", "imag", "conj"],
                 EDGE, tag="special"),
    **_same_args(["add", "subtract", "multiply", "divide", "arctan2", "maximum", "minimum",
                  "hypot", "logaddexp", "logaddexp2", "copysign", "heaviside", "fmax", "fmin",
                  "floor_divide", "remainder", "fmod", "divmod", "power", "float_power",
                  "isclose", "equal", "less", "greater_equal"], EDGE_X, EDGE_Y, tag="special"),
}

# complex64 (complex128 with x64) inputs.
COMPLEX = {
    **_same_args(["abs", "real", "imag", "conj", "angle", "exp", "log", "sqrt", "sin", "tanh",
                  "square", "reciprocal", "sign", "isfinite", "round", "nan_to_num", "sum",
                  "mean", "var", "negative"], Z, tag="complex"),
    **_same_args(["add", "multiply", "divide", "power", "equal", "isclose", "matmul", "dot"],
                 Z, ZROW, tag="complex"),
    "prod:complex": (lambda z: jnp.prod(z, axis=0), Z),
    "cumsum:complex": (lambda z: jnp.cumsum(z, axis=-1), Z),
    "vdot:complex": (jnp.vdot, Z, Z),
    "linalg.norm:complex": (jnp.linalg.norm, Z),
    "power:complex_int_exponent": (lambda z: jnp.power(z, 3), Z),
    "where:complex": (lambda z: jnp.where(jnp.real(z) > 0, z, 1j), Z),
    # ties of the real parts are decided by the imaginary parts; a NaN part propagates
    **_same_args(["maximum", "minimum", "fmax", "fmin"], ZTIES, ZTIES2, tag="complex_ties"),
    "at.min:complex_ties": (lambda z, v: z.at[np.array([0, 1, 1])].min(v), ZTIES[:3],
                            ZTIES2[:3]),
    "at.max:complex_ties": (lambda z, v: z.at[np.array([0, 1, 1])].max(v), ZTIES[:3],
                            ZTIES2[:3]),
    "getitem:complex": (lambda z, i: z[::-1, i], Z, np.array([2, 0])),
}

FAMILIES = {
    "ufuncs": UFUNCS, "special_values": SPECIAL_VALUES, "complex": COMPLEX,
    "reductions": REDUCTIONS, "quantiles": QUANTILES, "linalg_ops": LINALG_OPS,
    "linalg": LINALG, "shape_ops": SHAPE_OPS, "padding": PADDING, "diagonals": DIAGONALS,
    "creation": CREATION, "indexing": INDEXING_FUNCTIONS, "sorting": SORTING,
    "index_forms": INDEX_FORMS,
}
CASES = {name: case for table in FAMILIES.values() for name, case in table.items()}
FAMILY_OF = {name: family for family, table in FAMILIES.items() for name in table}

# Concrete-only by definition (the result shape depends on the values): under jit these
# raise ConcretizationTypeError; their `size=` / `length=` forms are in CASES.
CONCRETE_ONLY = {
    "nonzero": (jnp.nonzero, I),
    "flatnonzero": (jnp.flatnonzero, MASK),
    "argwhere": (jnp.argwhere, MASK),
    "unique": (jnp.unique, I),
    "extract": (jnp.extract, MASK, A),
    "compress": (lambda c, x: jnp.compress(c, x, axis=0), np.array([True, False, True]), A),
    "bincount": (jnp.bincount, SHIFT.ravel()),
    "where:one_argument": (jnp.where, MASK),
    "ravel_multi_index:raise": (lambda i, j: jnp.ravel_multi_index((i, j), (3, 4)),
                                np.array([0, 2]), np.array([3, 1])),
    "getitem:traced_mask": (lambda x, m: x[m], A, MASK),
    "arange:traced": (jnp.arange, 5),
    # not by definition: JAX accepts traced repeats with total_repeat_length; irax does not.
    "repeat:traced_counts": (lambda x, r: jnp.repeat(x, r, axis=0, total_repeat_length=5),
                             A, np.array([2, 0, 3])),
}

# Public functions with no sample call, and why.
EXCLUDED = {
    # dtype helpers: they take dtypes and return dtypes or bools, never arrays.
    "promote_types", "result_type", "can_cast", "issubdtype",
    # works on shape tuples only; returns a tuple.
    "broadcast_shapes",
    # slogdet's result type (a named tuple), not a function.
    "linalg.SlogdetResult",
}


def public_functions() -> set:
    """The names of the public functions of irax.numpy and irax.numpy.linalg."""
    modules = (creation, diagonals, indexing, linalg_ops, padding, quantiles, reductions,
               shape_ops, sorting, ufuncs)
    names = {n for m in modules for n in m.__all__ if not isinstance(getattr(m, n), type)}
    names |= {n for n, v in vars(jnp).items() if not n.startswith("_") and callable(v)
              and not isinstance(v, (type, types.ModuleType))}
    names |= {f"linalg.{n}" for n in jnp.linalg.__all__}
    return names
