"""Python and NumPy scalars on either side of every binary operator and binary ufunc,
for arrays of each dtype family, eager and under jit.

Values are checked against NumPy, dtypes and weak types against JAX's promotion rules,
written out here (`_promote`) rather than taken from irax.core.dtypes:

- a Python scalar is weakly typed: `int` keeps any non-bool array's dtype, `float`
  keeps any floating or complex dtype, `complex` keeps a complex dtype; otherwise the
  result is the default dtype of the scalar's kind (int32, float32, complex64), weak,
  except that a real floating array with a `complex` gives strong complex64;
- a Python bool and every NumPy scalar are strongly typed: ordinary promotion of two
  dtypes, NumPy's float64 canonicalized to float32 (x64 off);
- comparisons give bool, which irax never marks weak (JAX marks it weak when both
  operands were weak: the one deliberate difference);
- `//`, `%`, `<<`, `>>`, `**` and friends take bools as int32 (JAX's
  `promote_args_numeric`); an integer exponent that is not an array (`x ** 3`,
  `x ** np.int32(3)`) keeps the base's dtype (`lax.integer_pow`, as JAX does);
- a float on a bitwise op, or a complex number on an op with no complex meaning,
  raises TypeError naming the op; `@` with a scalar raises.
"""
import operator
import os

import ml_dtypes
import numpy as np
import pytest

import irax
import irax.numpy as jnp

BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = {"bool": np.dtype(bool), "int8": np.dtype(np.int8), "int32": np.dtype(np.int32),
          "uint8": np.dtype(np.uint8), "float16": np.dtype(np.float16), "bfloat16": BF16,
          "float32": np.dtype(np.float32), "complex64": np.dtype(np.complex64)}
VALUES = {"bool": [[True, False, True]], "int8": [[1, -3, 5], [2, 6, -1]],
          "int32": [[7, -2, 4], [-9, 3, 1]], "uint8": [[1, 200, 6], [3, 7, 250]],
          "float16": [[1.5, -2.0, 0.25], [-0.5, 3.0, 8.0]],
          "bfloat16": [[1.5, -2.0, 0.25], [-0.5, 3.0, 8.0]],
          "float32": [[0.5, -3.0, 2.0], [1.25, 4.0, -0.75]],
          "complex64": [[1 + 1j, -2.0, 0.5j], [2 - 1j, 0.25, -1j]]}
SCALARS = [True, 3, 2.5, 1 + 2j, np.float32(2), np.int32(3), np.float64(2.0), np.bool_(True)]
F32, C64, I32, BOOL = (np.dtype(t) for t in (np.float32, np.complex64, np.int32, bool))


def _promote(dtype: np.dtype, scalar) -> tuple:
    """(dtype, weak) of a strongly typed `dtype` array combined with `scalar` (JAX)."""
    kind = "f" if dtype == BF16 else dtype.kind
    if type(scalar) is int:
        return (dtype, False) if kind != "b" else (I32, True)
    if type(scalar) is float:
        return (dtype, False) if kind in "fc" else (F32, True)
    if type(scalar) is complex:
        return (dtype, False) if kind == "c" else (C64, kind != "f")
    if isinstance(scalar, (bool, np.bool_)):
        return dtype, False
    if isinstance(scalar, np.floating):
        return (C64 if kind == "c" else F32), False
    return (dtype if kind in "fc" else I32), False  # np.int32


def _inexact(dtype):
    return dtype if dtype == BF16 or dtype.kind in "fc" else F32


def _numeric(dtype):
    return I32 if dtype == BOOL else dtype


def _is_int(dtype):
    return dtype != BF16 and dtype.kind in "iu"


# name -> (irax function, NumPy oracle, result rule). A rule maps the promoted
# (dtype, weak) to the expected (dtype, weak), or to an exception naming the op.
def _arith(d, w):
    return (d, w) if d != BOOL else TypeError


def _bool_ok(d, w):
    return d, w


def _inexact_rule(d, w):
    return _inexact(d), w


def _real_inexact(d, w):
    return TypeError if d.kind == "c" else (_inexact(d), w)


def _strong_real_inexact(d, w):
    """Functions whose decomposition uses strongly typed constants (JAX's do too)."""
    return TypeError if d.kind == "c" else (_inexact(d), False)


def _compare(d, w):
    return BOOL, False


def _bitwise(d, w):
    return (d, w) if d == BOOL or _is_int(d) else TypeError


def _numeric_int(d, w):
    return (_numeric(d), w) if d == BOOL or _is_int(d) else TypeError


def _division(d, w):
    return TypeError if d.kind == "c" else (_numeric(d), w)


def _fmod(d, w):
    return TypeError if d.kind == "c" else (_numeric(d), w)


def _logical(d, w):
    return BOOL, False


BINARY = {
    "add": (jnp.add, np.add, _bool_ok), "subtract": (jnp.subtract, np.subtract, _arith),
    "multiply": (jnp.multiply, np.multiply, _bool_ok),
    "divide": (jnp.divide, np.divide, _inexact_rule),
    "true_divide": (jnp.true_divide, np.true_divide, _inexact_rule),
    "floor_divide": (jnp.floor_divide, np.floor_divide, _division),
    "remainder": (jnp.remainder, np.remainder, _division),
    "mod": (jnp.mod, np.mod, _division), "fmod": (jnp.fmod, np.fmod, _fmod),
    "float_power": (jnp.float_power, np.power, _inexact_rule),
    "arctan2": (jnp.arctan2, np.arctan2, _real_inexact),
    "atan2": (jnp.atan2, np.arctan2, _real_inexact),
    "hypot": (jnp.hypot, np.hypot, _strong_real_inexact),
    "logaddexp": (jnp.logaddexp, np.logaddexp, _real_inexact),
    "logaddexp2": (jnp.logaddexp2, np.logaddexp2, _strong_real_inexact),
    "copysign": (jnp.copysign, np.copysign, _real_inexact),
    "heaviside": (jnp.heaviside, np.heaviside, _strong_real_inexact),
    "maximum": (jnp.maximum, np.maximum, _bool_ok), "minimum": (jnp.minimum, np.minimum, _bool_ok),
    "fmax": (jnp.fmax, np.fmax, _bool_ok), "fmin": (jnp.fmin, np.fmin, _bool_ok),
    "equal": (jnp.equal, np.equal, _compare), "not_equal": (jnp.not_equal, np.not_equal, _compare),
    "less": (jnp.less, np.less, _compare), "less_equal": (jnp.less_equal, np.less_equal, _compare),
    "greater": (jnp.greater, np.greater, _compare),
    "greater_equal": (jnp.greater_equal, np.greater_equal, _compare),
    "bitwise_and": (jnp.bitwise_and, np.bitwise_and, _bitwise),
    "bitwise_or": (jnp.bitwise_or, np.bitwise_or, _bitwise),
    "bitwise_xor": (jnp.bitwise_xor, np.bitwise_xor, _bitwise),
    "left_shift": (jnp.left_shift, np.left_shift, _numeric_int),
    "right_shift": (jnp.right_shift, np.right_shift, _numeric_int),
    "logical_and": (jnp.logical_and, np.logical_and, _logical),
    "logical_or": (jnp.logical_or, np.logical_or, _logical),
    "logical_xor": (jnp.logical_xor, np.logical_xor, _logical),
    "power": (jnp.power, np.power, None), "pow": (jnp.pow, np.power, None),
    "divmod": (jnp.divmod, np.divmod, _division),
    "isclose": (jnp.isclose, np.isclose, _compare),
}
OPERATORS = {  # the operator, its reflected call, and the ufunc it must agree with
    "+": (operator.add, "add"), "-": (operator.sub, "subtract"),
    "*": (operator.mul, "multiply"), "/": (operator.truediv, "true_divide"),
    "//": (operator.floordiv, "floor_divide"), "%": (operator.mod, "remainder"),
    "**": (operator.pow, "power"), "&": (operator.and_, "bitwise_and"),
    "|": (operator.or_, "bitwise_or"), "^": (operator.xor, "bitwise_xor"),
    "<<": (operator.lshift, "left_shift"), ">>": (operator.rshift, "right_shift"),
    "==": (operator.eq, "equal"), "!=": (operator.ne, "not_equal"),
    "<": (operator.lt, "less"), "<=": (operator.le, "less_equal"),
    ">": (operator.gt, "greater"), ">=": (operator.ge, "greater_equal"),
    "divmod": (divmod, "divmod"),
}
ALIASES = {"atan2": ("atan2", "arctan2"), "arctan2": ("atan2", "arctan2"),
           "mod": ("mod", "remainder"), "pow": ("pow", "power")}
CASES = [(f"op{sym}", fn, name) for sym, (fn, name) in OPERATORS.items()] + [
    (name, spec[0], name) for name, spec in BINARY.items()]


def _expected_type(name: str, dtype: np.dtype, scalar, scalar_first: bool):
    """The (dtype, weak) JAX gives, or the exception type it raises."""
    d, w = _promote(dtype, scalar)
    if name in ("power", "pow"):
        if not scalar_first and isinstance(scalar, (bool, int, np.integer)):
            return _numeric(dtype), False  # lax.integer_pow of the array
        if scalar_first and _is_int(dtype) and _inexact(d) == d:
            return d, False  # a strong integer exponent array: lax.pow keeps it strong
        if scalar_first and _is_int(_numeric(d)):
            return _numeric(d), False  # squaring with strongly typed constants
        return _numeric(d), w
    return BINARY[name][2](d, w)


def _oracle(name: str, dtype, scalar, scalar_first: bool, value, out_dtype):
    """NumPy's result in float64/complex128 (integers exactly) and a mask of the
    elements to compare (integer division by zero and negative integer powers are
    left to tests/test_integer_division.py)."""
    np_fn = BINARY[name][1]
    if out_dtype == BOOL and BINARY[name][2] in (_compare, _logical):
        out_dtype = _promote(dtype, scalar)[0]  # the operands' common dtype
    wide = out_dtype if out_dtype.kind in "biu" else (
        np.complex128 if out_dtype.kind == "c" else np.float64)
    if name in ("power", "pow") and not scalar_first and out_dtype.kind in "iu":
        array = np.asarray(value, dtype).astype(out_dtype)
        with np.errstate(over="ignore"):
            return np.power(array, int(scalar)), np.ones(array.shape, bool)
    array = np.asarray(value, dtype).astype(out_dtype).astype(wide)
    other = np.asarray(scalar).astype(out_dtype).astype(wide)
    args = (other, array) if scalar_first else (array, other)
    divisor = np.broadcast_to(args[1], array.shape)
    mask = np.ones(array.shape, bool)
    if out_dtype.kind in "biu" and name in ("floor_divide", "remainder", "mod", "fmod",
                                            "divmod"):
        mask = divisor != 0
        args = (args[0], np.where(divisor == 0, 1, divisor).astype(wide))
    if out_dtype.kind in "iu" and name in ("power", "pow"):
        mask = divisor >= 0
        args = (args[0], np.where(mask, divisor, 0).astype(wide))
    if out_dtype.kind in "iu" and name in ("left_shift", "right_shift"):
        mask = (divisor >= 0) & (divisor < 8 * out_dtype.itemsize)
        args = (args[0], np.where(mask, divisor, 0).astype(wide))
    with np.errstate(all="ignore"):
        return np_fn(*args), mask


def _check(label, got, expected, mask, out_dtype, weak):
    problems = []
    if got.dtype != out_dtype or got.weak_type != weak:
        problems.append(f"{label}: got {got.dtype} weak={got.weak_type}, want {out_dtype} "
                        f"weak={weak}")
    got = np.asarray(got)
    tol = {np.dtype(np.float16): 2e-3, BF16: 1e-2}.get(out_dtype, 1e-6)
    if out_dtype.kind in "biu":
        ok = np.array_equal(got[mask], np.asarray(expected).astype(out_dtype)[mask])
    else:
        with np.errstate(over="ignore"):  # values beyond the dtype's range become inf
            expected = np.asarray(expected).astype(out_dtype).astype(np.complex128)
        ok = np.allclose(got.astype(np.complex128)[mask], expected[mask],
                         rtol=tol, atol=tol, equal_nan=True)
    if not ok:
        problems.append(f"{label}: got {got}, want {np.asarray(expected)} where {mask}")
    return problems


def _cases(labels, scalars) -> list:
    """(tag, function, ufunc name, scalar, scalar_first) for every combination."""
    return [(f"{label}({'s, x' if first else 'x, s'}) s={s!r}", fn, name, s, first)
            for label, fn, name in CASES if label in labels
            for s in scalars for first in (True, False)]


ALL_LABELS = [label for label, _, _ in CASES]
OPERATOR_LABELS = [label for label in ALL_LABELS if label.startswith("op")]
LONG = os.environ.get("IRAX_LONG_TESTS") == "1"


def _outcome(fn, x, scalar, scalar_first):
    try:
        return fn(scalar, x) if scalar_first else fn(x, scalar)
    except Exception as err:  # noqa: BLE001 - the expected errors are checked
        return err


def _check_cases(dtype_name: str, value, cases, outcomes) -> None:
    """Compares each case's outcome (a result or an exception) with JAX's rules."""
    dtype = DTYPES[dtype_name]
    problems = []
    for (tag, _, name, scalar, scalar_first), got in zip(cases, outcomes):
        want = _expected_type(name, dtype, scalar, scalar_first)
        if isinstance(want, type):
            if not isinstance(got, want):
                problems.append(f"{tag}: want {want.__name__}, got {got!r}")
            elif not any(n in str(got) for n in ALIASES.get(name, (name,))):
                problems.append(f"{tag}: the error does not name {name}: {got}")
            continue
        if isinstance(got, Exception):
            problems.append(f"{tag}: raised {type(got).__name__}: {got}")
            continue
        out_dtype, weak = want
        expected, mask = _oracle(name, dtype, scalar, scalar_first, value, out_dtype)
        if name == "divmod":
            for part, g, e in zip(("//", "%"), got, expected):
                problems += _check(f"{tag}[{part}]", g, e, mask, out_dtype, weak)
        else:
            problems += _check(tag, got, expected, mask, out_dtype, weak)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_scalars_on_both_sides_eager(dtype_name):
    cases = _cases(ALL_LABELS, SCALARS)
    for value in VALUES[dtype_name]:
        x = jnp.asarray(np.asarray(value, DTYPES[dtype_name]))
        outcomes = [_outcome(fn, x, s, first) for _, fn, _, s, first in cases]
        _check_cases(dtype_name, value, cases, outcomes)


def test_matmul_with_a_scalar_raises():
    x = jnp.ones(3)
    for run in (lambda: x @ 2.0, lambda: 2.0 @ x, lambda: jnp.matmul(x, 2)):
        with pytest.raises((TypeError, ValueError), match="matmul"):
            run()


def test_reciprocal_expressions_from_the_issue():
    x = jnp.asarray(np.array([-1.0, 0.0, 2.0], np.float32))
    np.testing.assert_allclose(np.asarray(1.0 / x), [-1.0, np.inf, 0.5])
    sig = 1.0 / (1.0 + jnp.exp(-x))
    np.testing.assert_allclose(np.asarray(sig), 1 / (1 + np.exp(-np.array([-1.0, 0.0, 2.0]))),
                               rtol=1e-6)
    assert sig.dtype == np.float32 and not sig.weak_type


def test_python_ints_out_of_range_wrap_as_in_jax():
    x = jnp.asarray(np.array([0, 1, 2], np.int8))
    for got in (x + 300, 300 + x, jnp.add(x, 300)):
        np.testing.assert_array_equal(np.asarray(got), [44, 45, 46])
        assert got.dtype == np.int8
    u = jnp.asarray(np.array([0, 1], np.uint8))
    np.testing.assert_array_equal(np.asarray(u - 1), [255, 0])
    with pytest.raises(OverflowError, match="int32"):
        x + 2**40


JIT_DTYPES = list(DTYPES) if LONG else ["bool", "uint8", "float32", "complex64"]


@pytest.mark.parametrize("dtype_name", JIT_DTYPES)
def test_python_scalars_on_both_sides_under_jit(private_cache_dir, dtype_name):
    """One program per dtype evaluates every case that does not raise, and runs on two
    different inputs. CI: the operators with int and float scalars on four dtypes;
    IRAX_LONG_TESTS=1: every binary ufunc and operator with every Python scalar type
    on every dtype (IREE compiles ~25 ms per case: minutes)."""
    dtype = DTYPES[dtype_name]
    if LONG:
        cases = _cases(ALL_LABELS, [True, 3, 2.5, 1 + 2j])
    else:
        cases = _cases(OPERATOR_LABELS, [3, 2.5])
    x = jnp.asarray(np.asarray(VALUES[dtype_name][0], dtype))
    valid = [c for c in cases if not isinstance(_outcome(c[1], x, c[3], c[4]), Exception)]
    assert len(valid) >= len(cases) // 3

    @irax.jit
    def program(x):
        return [fn(s, x) if first else fn(x, s) for _, fn, _, s, first in valid]

    values = VALUES[dtype_name] if len(VALUES[dtype_name]) > 1 else [[False, True, True]]
    for value in VALUES[dtype_name][:1] + values[-1:]:
        outcomes = program(jnp.asarray(np.asarray(value, dtype)))
        _check_cases(dtype_name, value, valid, outcomes)
