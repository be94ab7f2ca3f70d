"""Tests for irax.numpy's reductions, statistics, quantiles and cumulative reductions,
against NumPy, with the result dtypes JAX gives."""
import warnings

import irax
import irax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

RNG = np.random.default_rng(0)
F16_DTYPES = (np.float16, jnp.bfloat16)


def rand(shape, dtype=np.float32):
    """Small values: ints in [-1, 2] (exact products of up to 24 of them), normal floats."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.random(shape) < 0.5
    if dtype.kind in "iu":
        return RNG.integers(-1 if dtype.kind == "i" else 0, 3, shape).astype(dtype)
    if dtype.kind == "c":
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def with_nans(shape):
    """float32 values with NaNs, including an all-NaN first row when there are rows."""
    x = rand(shape)
    x[RNG.random(shape) < 0.3] = np.nan
    if x.ndim >= 2:
        x[0] = np.nan
    return x


def check(actual, expected, dtype, rtol=None, atol=None):
    """Values and shape match NumPy's; the dtype is the one JAX gives; strongly typed."""
    assert isinstance(actual, irax.Array), type(actual)
    assert actual.dtype == np.dtype(dtype), (actual.dtype, np.dtype(dtype))
    assert not actual.weak_type
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    low = np.dtype(dtype) in [np.dtype(d) for d in F16_DTYPES]
    rtol = (2e-2 if low else 2e-5) if rtol is None else rtol
    atol = (2e-2 if low else 1e-5) if atol is None else atol
    got = np.asarray(actual)
    got = got.astype(np.float64) if low else got
    np.testing.assert_allclose(got, np.asarray(expected), rtol=rtol, atol=atol)


def quiet(fn, *args, **kwargs):
    """A NumPy oracle call with its empty-slice / all-NaN warnings silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def traced(fn, *args):
    """`fn(*args)` evaluated through a traced Graph (the path jit takes)."""
    return irax.make_graph(fn)(*args)(*[jnp.asarray(a) for a in args])


def sum_dtype(dtype):
    """JAX: sums and products of bools and narrow ints widen to the default int."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_ or (dtype.kind == "i" and dtype.itemsize < 4):
        return np.dtype(np.int32)
    if dtype.kind == "u" and dtype.itemsize < 4:
        return np.dtype(np.uint32)
    return dtype


def float_dtype(dtype):
    """JAX: means and variances of bools and ints are the default float."""
    dtype = np.dtype(dtype)
    return dtype if dtype.kind in "fc" or dtype == jnp.bfloat16 else np.dtype(np.float32)


def wide(x):
    """The NumPy oracle's input: float64 (or int64) so the oracle itself is exact."""
    return x.astype(np.int64 if x.dtype.kind in "biu" else np.float64)


# name: (NumPy oracle on `wide` input, JAX result dtype, has an identity)
REDUCTIONS = {
    "sum": (np.sum, sum_dtype, True),
    "prod": (np.prod, sum_dtype, True),
    "mean": (np.mean, float_dtype, True),
    "var": (np.var, float_dtype, True),
    "std": (np.std, float_dtype, True),
    "max": (np.max, np.dtype, False),
    "min": (np.min, np.dtype, False),
    "ptp": (np.ptp, np.dtype, False),
    "all": (np.all, lambda d: np.dtype(np.bool_), True),
    "any": (np.any, lambda d: np.dtype(np.bool_), True),
    "count_nonzero": (np.count_nonzero, lambda d: np.dtype(np.int32), True),
    "median": (np.median, float_dtype, False),
    "nansum": (np.nansum, sum_dtype, True),
    "nanprod": (np.nanprod, sum_dtype, True),
    "nanmean": (np.nanmean, float_dtype, True),
    "nanvar": (np.nanvar, float_dtype, True),
    "nanstd": (np.nanstd, float_dtype, True),
    "nanmax": (np.nanmax, np.dtype, False),
    "nanmin": (np.nanmin, np.dtype, False),
}
SHAPES_AXES = [((), None), ((5,), None), ((5,), 0), ((5,), -1), ((2, 3, 4), None),
               ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0)),
               ((2, 3, 4), ()), ((3, 0), 0), ((3, 0), 1), ((0,), None)]
DTYPES = [np.float32, np.int32, np.bool_, np.int8, np.uint8, np.float16]


@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_matches_numpy(name, shape, axis):
    oracle, result_dtype, has_identity = REDUCTIONS[name]
    fn = getattr(jnp, name)
    for dtype in DTYPES:
        x = rand(shape, dtype)
        if name == "ptp" and dtype == np.bool_:
            with pytest.raises(TypeError, match="ptp"):
                fn(x, axis)
            continue
        empty = any(shape[a] == 0 for a in (range(len(shape)) if axis is None else
                                            np.atleast_1d(axis)))
        for keepdims in (False, True):
            if empty and not has_identity:
                with pytest.raises(ValueError, match=name):
                    fn(x, axis, keepdims=keepdims)
                continue
            expected = quiet(oracle, x if name in ("all", "any") else wide(x), axis=axis,
                             keepdims=keepdims)
            check(fn(x, axis, keepdims=keepdims), expected, result_dtype(x.dtype))


@pytest.mark.parametrize("name", ["nansum", "nanprod", "nanmean", "nanvar", "nanstd",
                                  "nanmax", "nanmin"])
@pytest.mark.parametrize("shape,axis", [((7,), None), ((3, 4), 0), ((3, 4), 1),
                                        ((3, 4), None), ((3, 2, 4), (0, 2))])
def test_nan_reductions_ignore_nans(name, shape, axis):
    x = with_nans(shape)
    for keepdims in (False, True):
        expected = quiet(getattr(np, name), x, axis=axis, keepdims=keepdims)
        check(getattr(jnp, name)(x, axis, keepdims=keepdims), expected, np.float32)
        plain = getattr(jnp, name[3:])(x, axis, keepdims=keepdims)
        check(plain, quiet(getattr(np, name[3:]), x, axis=axis, keepdims=keepdims),
              np.float32)


def test_reduction_dtype_argument():
    x = rand((3, 4), np.int8)
    check(jnp.sum(x, dtype=jnp.int8), np.sum(x, dtype=np.int8), np.int8)
    check(jnp.sum(x, 0, jnp.float16), np.sum(x, 0), np.float16)
    check(jnp.prod(x, dtype=jnp.float32), np.prod(wide(x)), np.float32)
    check(jnp.mean(x, dtype=jnp.float16), np.mean(x), np.float16)
    check(jnp.var(x, 1, jnp.float32, ddof=1), np.var(wide(x), 1, ddof=1), np.float32)
    check(jnp.sum(x > 0, dtype=bool), np.any(x > 0), np.bool_)
    check(jnp.prod(x > -1, 1, dtype=bool), np.all(x > -1, 1), np.bool_)
    check(jnp.sum(x, promote_integers=False), np.sum(x, dtype=np.int8), np.int8)
    with pytest.raises(TypeError, match="sum"):
        jnp.sum(x, dtype="not-a-dtype")


def test_reductions_x64(x64):
    ints = rand((3, 4), np.int32)
    check(jnp.sum(ints), np.sum(ints), np.int64)
    check(jnp.sum(ints.astype(np.uint8)), np.sum(ints.astype(np.uint8)), np.uint64)
    check(jnp.mean(ints, 0), np.mean(ints, 0), np.float64)
    check(jnp.argmax(ints), np.argmax(ints), np.int64)
    check(jnp.count_nonzero(ints), np.count_nonzero(ints), np.int64)
    check(jnp.cumsum(ints.astype(np.int8)), np.cumsum(ints), np.int64)
    x = RNG.standard_normal(1000) * 1e8 + 1.0
    check(jnp.var(x), np.var(x), np.float64, rtol=1e-12)
    check(jnp.sum(np.float32([1, 2])), 3.0, np.float32)


def test_complex_reductions():
    z = rand((3, 4), np.complex64)
    check(jnp.sum(z, 0), np.sum(z, 0), np.complex64)
    check(jnp.mean(z), np.mean(z), np.complex64)
    check(jnp.var(z, 1), np.var(z, 1), np.float32)
    check(jnp.std(z), np.std(z), np.float32)
    check(jnp.any(np.complex64([0, 1j])), True, np.bool_)
    for name in ("max", "argmin", "ptp", "median"):
        with pytest.raises(TypeError, match=name):
            getattr(jnp, name)(z)


def test_aliases():
    assert jnp.amax is jnp.max and jnp.amin is jnp.min


def test_reductions_of_scalars_and_lists_are_strong():
    check(jnp.sum(2.0), 2.0, np.float32)
    check(jnp.max(jnp.asarray(3)), 3, np.int32)
    check(jnp.mean(2), 2.0, np.float32)
    check(jnp.sum([[1, 2], [3, 4]], axis=-1), [3, 7], np.int32)
    check(jnp.prod([1.5, 2.0]), 3.0, np.float32)


@pytest.mark.parametrize("ddof", [0, 1, 2, 4])
def test_var_std_ddof(ddof):
    x = rand((3, 4))
    check(jnp.var(x, 1, ddof=ddof), quiet(np.var, x, 1, ddof=ddof), np.float32)
    check(jnp.std(x, 0, ddof=ddof), quiet(np.std, x, 0, ddof=ddof), np.float32)
    check(jnp.var(x, 1, correction=ddof), quiet(np.var, x, 1, ddof=ddof), np.float32)
    y = with_nans((3, 4))
    check(jnp.nanvar(y, 1, ddof=ddof), quiet(np.nanvar, y, 1, ddof=ddof), np.float32)
    check(jnp.nanstd(y, 0, ddof=ddof), quiet(np.nanstd, y, 0, ddof=ddof), np.float32)
    with pytest.raises(ValueError, match="var"):
        jnp.var(x, ddof=1, correction=1)


# ---- where= and initial= ----------------------------------------------------------

WHERE_MASKS = [np.array([[True, False, True, True]] * 3), np.array([True, False, True, False]),
               np.array([[True], [False], [True]])]


@pytest.mark.parametrize("mask", WHERE_MASKS)
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_where(mask, axis, dtype):
    x = rand((3, 4), dtype)
    for name in ("sum", "prod", "mean", "var", "std", "all", "any", "nansum", "nanmean"):
        expected = quiet(getattr(np, name), wide(x), axis=axis, where=mask)
        check(getattr(jnp, name)(x, axis, where=mask), expected,
              REDUCTIONS[name][1](x.dtype))
    for name in ("max", "min", "nanmax", "nanmin"):
        expected = getattr(np, name)(x, axis=axis, where=mask, initial=0)
        check(getattr(jnp, name)(x, axis, where=mask, initial=0), expected, x.dtype)
    check(jnp.sum(x, axis, where=mask, keepdims=True),
          np.sum(wide(x), axis, where=mask, keepdims=True), sum_dtype(dtype))


def test_where_errors():
    x = rand((3, 4))
    with pytest.raises(ValueError, match="max"):
        jnp.max(x, where=x > 0)
    with pytest.raises(ValueError, match="sum"):
        jnp.sum(x, where=np.ones(3, bool))
    with pytest.raises(ValueError, match="mean"):
        jnp.mean(x, where=np.ones((2, 3, 4), bool))


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize("shape,axis", [((3, 4), None), ((3, 4), 1), ((0, 3), 0),
                                        ((3, 0), 1), ((0,), None)])
def test_initial(name, shape, axis):
    for dtype in (np.float32, np.int32):
        x = rand(shape, dtype)
        expected = getattr(np, name)(wide(x), axis=axis, initial=2)
        dtype_rule = sum_dtype if name in ("sum", "prod") else np.dtype
        check(getattr(jnp, name)(x, axis, initial=2), expected, dtype_rule(dtype))
    with pytest.raises(ValueError, match=name):
        getattr(jnp, name)(x, initial=np.ones(2))


# ---- arg reductions ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["argmax", "argmin", "nanargmax", "nanargmin"])
@pytest.mark.parametrize("shape,axis", [((), None), ((6,), None), ((6,), 0), ((3, 4), 0),
                                        ((3, 4), -1), ((2, 3, 4), None), ((2, 3, 4), 1)])
def test_arg_reductions(name, shape, axis):
    for dtype in (np.float32, np.int32, np.bool_, np.uint8, np.float16):
        x = rand(shape, dtype)
        for keepdims in (False, True):
            check(getattr(jnp, name)(x, axis, keepdims=keepdims),
                  getattr(np, name)(x, axis, keepdims=keepdims), np.int32)


def test_arg_reductions_ties_and_nans():
    x = np.float32([1, 5, 5, np.nan, 5, np.nan])
    check(jnp.argmax(np.float32([3, 7, 7, 1])), 1, np.int32)
    check(jnp.argmin(np.int32([3, 1, 7, 1])), 1, np.int32)
    check(jnp.argmax(x), np.argmax(x), np.int32)
    check(jnp.argmin(x), np.argmin(x), np.int32)
    check(jnp.nanargmax(x), np.nanargmax(x), np.int32)
    check(jnp.nanargmin(x), np.nanargmin(x), np.int32)
    rows = np.float32([[np.nan, np.nan], [1, np.nan]])
    check(jnp.nanargmax(rows, axis=1), [-1, 0], np.int32)
    check(jnp.nanargmin(rows, axis=0), [1, -1], np.int32)
    check(jnp.nanargmax(np.float32([np.nan])), -1, np.int32)


def test_arg_reduction_errors():
    with pytest.raises(ValueError, match="argmax"):
        jnp.argmax(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="argmin"):
        jnp.argmin(np.zeros((2, 0)), axis=1)
    with pytest.raises(ValueError, match="argmax"):
        jnp.argmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match="nanargmin"):
        jnp.nanargmin(np.zeros(3), axis=-2)
    check(jnp.argmin(np.zeros((0, 3)), axis=1), np.zeros(0), np.int32)


# ---- quantiles --------------------------------------------------------------------

METHODS = ["linear", "lower", "higher", "nearest", "midpoint"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("q", [0.5, 0.0, 1.0, 0.3, [0.25, 0.75, 0.9], [[0.1], [0.625]]])
@pytest.mark.parametrize("shape,axis", [((7,), None), ((6,), 0), ((3, 4), None),
                                        ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), (0, 2)),
                                        ((2, 3, 5), (-1,)), ((1,), None)])
def test_quantile(method, q, shape, axis):
    x = rand(shape)
    for keepdims in (False, True):
        expected = np.quantile(x.astype(np.float64), q, axis=axis, method=method,
                               keepdims=keepdims)
        check(jnp.quantile(x, q, axis, method=method, keepdims=keepdims), expected,
              np.float32)
    expected = np.percentile(x.astype(np.float64), np.multiply(q, 100), axis=axis,
                             method=method)
    check(jnp.percentile(x, np.multiply(q, 100), axis, method=method), expected, np.float32)


def test_quantile_nearest_rounds_half_to_even_index():
    x = np.arange(6.0, dtype=np.float32)
    for q in (0.1, 0.3, 0.5, 0.7, 0.9):
        check(jnp.quantile(x, q, method="nearest"), np.quantile(x, q, method="nearest"),
              np.float32)


@pytest.mark.parametrize("shape,axis", [((5,), None), ((4,), None), ((3, 4), 0),
                                        ((3, 4), -1), ((2, 3, 4), (0, 1))])
def test_median(shape, axis):
    for dtype in (np.float32, np.int32, np.bool_, np.float16):
        x = rand(shape, dtype)
        for keepdims in (False, True):
            check(jnp.median(x, axis, keepdims=keepdims),
                  np.median(wide(x), axis, keepdims=keepdims), float_dtype(dtype))


def test_quantile_dtypes_and_nans():
    x = rand((3, 4), np.int32)
    check(jnp.quantile(x, 0.5), np.quantile(x, 0.5), np.float32)
    check(jnp.quantile(x.astype(np.float16), 0.25), np.quantile(x, 0.25), np.float16)
    check(jnp.quantile(x.astype(np.float16), np.float32(0.25)), np.quantile(x, 0.25),
          np.float32)
    y = np.float32([[1, np.nan, 3], [4, 5, 6]])
    for method in METHODS:
        check(jnp.quantile(y, [0.0, 0.5], axis=1, method=method),
              np.quantile(y, [0.0, 0.5], axis=1, method=method), np.float32)
    check(jnp.quantile(np.float32([3, -np.nan, 1]), 0.0), np.nan, np.float32)
    check(jnp.quantile(np.zeros((0, 5)), [0.5, 0.2], axis=1),
          np.quantile(np.zeros((0, 5)), [0.5, 0.2], axis=1), np.float32)
    check(jnp.median(y), np.nan, np.float32)
    z = np.float32([-np.inf, 1, 2, np.inf])
    check(jnp.quantile(z, [0.0, 1.0], method="lower"), [-np.inf, np.inf], np.float32)


def test_quantile_errors():
    x = rand((3, 4))
    with pytest.raises(ValueError, match="quantile"):
        jnp.quantile(x, 1.5)
    with pytest.raises(ValueError, match="percentile"):
        jnp.percentile(x, [10, 101])
    with pytest.raises(ValueError, match="quantile"):
        jnp.quantile(x, 0.5, method="cubic")
    with pytest.raises(ValueError, match="median"):
        jnp.median(np.zeros((0, 3)), axis=0)
    with pytest.raises(ValueError, match="quantile"):
        jnp.quantile(x, 0.5, axis=(0, 0))
    with pytest.raises(NotImplementedError, match="median"):
        jnp.median(x, out=np.zeros(()))


def test_quantile_traced():
    x = rand((3, 5))
    out = traced(lambda a, q: jnp.quantile(a, q, axis=1), x, np.float32([0.2, 0.9]))[0]
    check(out, np.quantile(x.astype(np.float64), [0.2, 0.9], axis=1), np.float32)
    out = traced(lambda a: jnp.median(a, axis=0, keepdims=True), x)[0]
    check(out, np.median(x, axis=0, keepdims=True), np.float32)


# ---- average ----------------------------------------------------------------------

def test_average():
    x = rand((3, 4))
    w = RNG.random((3, 4)).astype(np.float32) + 0.1
    check(jnp.average(x), np.average(x), np.float32)
    check(jnp.average(x, 1), np.average(x, 1), np.float32)
    check(jnp.average(x, weights=w), np.average(x, weights=w), np.float32)
    check(jnp.average(x, (0, 1), w), np.average(x, (0, 1), w), np.float32)
    check(jnp.average(x, -1, w[0]), np.average(x, -1, w[0]), np.float32)
    check(jnp.average(x, 0, w[:, 0], keepdims=True),
          np.average(x, 0, w[:, 0], keepdims=True), np.float32)


INTS = np.arange(12).reshape(3, 4) % 5


def test_average_ints_and_returned():
    check(jnp.average(INTS, 0, [1, 2, 3]), np.average(INTS, 0, [1, 2, 3]),
          np.float32)
    avg, total = jnp.average(INTS, 1, returned=True)
    expected_avg, expected_total = np.average(INTS, 1, returned=True)
    check(avg, expected_avg, np.float32)
    check(total, expected_total, np.float32)
    avg, total = jnp.average(INTS, 1, [1.0, 2.0, 0.5, 1.0], returned=True,
                             keepdims=True)
    expected_avg, expected_total = np.average(INTS, 1, [1.0, 2.0, 0.5, 1.0],
                                              returned=True, keepdims=True)
    check(avg, expected_avg, np.float32)
    check(total, expected_total, np.float32)


def test_average_errors():
    x = rand((3, 4))
    with pytest.raises(ValueError, match="average"):
        jnp.average(x, weights=np.ones(4))
    with pytest.raises(ValueError, match="average"):
        jnp.average(x, 0, np.ones(4))
    with pytest.raises(ValueError, match="average"):
        jnp.average(x, (0, 1), np.ones(3))
    with pytest.raises(ValueError, match="average"):
        jnp.average(x, 2)


# ---- cumulative -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["cumsum", "cumprod", "nancumsum", "nancumprod"])
@pytest.mark.parametrize("shape,axis", [((), None), ((5,), None), ((5,), 0), ((3, 4), None),
                                        ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1),
                                        ((0, 3), 0)])
def test_cumulative(name, shape, axis):
    for dtype in DTYPES:
        x = rand(shape, dtype)
        check(getattr(jnp, name)(x, axis), getattr(np, name)(wide(x), axis), sum_dtype(dtype))


def test_cumulative_nans_and_dtypes():
    x = with_nans((3, 4))
    check(jnp.nancumsum(x, 1), np.nancumsum(x, 1), np.float32)
    check(jnp.nancumprod(x, 0), np.nancumprod(x, 0), np.float32)
    check(jnp.cumsum(x, 1), np.cumsum(x, 1), np.float32)
    b = np.array([False, True, False, True])
    check(jnp.cumsum(b, dtype=bool), np.cumsum(b, dtype=bool), np.bool_)
    check(jnp.cumprod(~b, dtype=bool), np.cumprod(~b, dtype=bool), np.bool_)
    check(jnp.cumsum(b, dtype=jnp.float16), np.cumsum(b), np.float16)


@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
@pytest.mark.parametrize("include_initial", [False, True])
@pytest.mark.parametrize("shape,axis", [((), None), ((5,), None), ((5,), -1), ((3, 4), 0),
                                        ((3, 4), 1), ((0, 2), 0)])
def test_array_api_cumulative(name, include_initial, shape, axis):
    for dtype in (np.float32, np.int8, np.bool_):
        x = rand(shape, dtype)
        expected = getattr(np, name)(wide(x), axis=axis, include_initial=include_initial)
        check(getattr(jnp, name)(x, axis=axis, include_initial=include_initial), expected,
              sum_dtype(dtype))


def test_cumulative_errors():
    with pytest.raises(ValueError, match="cumulative_sum"):
        jnp.cumulative_sum(np.ones((2, 3)))
    with pytest.raises(ValueError, match="cumsum"):
        jnp.cumsum(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="cumprod"):
        jnp.cumprod(3.0, axis=0)
    with pytest.raises(NotImplementedError, match="cumsum"):
        jnp.cumsum(np.ones(3), out=np.ones(3))


# ---- logical reductions and comparisons -------------------------------------------

def test_all_any_values():
    check(jnp.all(np.float32([1, np.nan, -2])), True, np.bool_)
    check(jnp.any(np.float32([0, -0.0])), False, np.bool_)
    check(jnp.all(np.zeros((0, 2))), True, np.bool_)
    check(jnp.any(np.zeros((0, 2)), 0), [False, False], np.bool_)
    check(jnp.all([[True, False], [True, True]], 1), [False, True], np.bool_)


@pytest.mark.parametrize("a,b,kw", [
    ([1.0, 2.0], [1.0, 2.000001], {}), ([1.0, 2.0], [1.0, 2.1], {}),
    ([1.0, np.nan], [1.0, np.nan], {}), ([1.0, np.nan], [1.0, np.nan], {"equal_nan": True}),
    ([1.0, np.inf], [1.0, np.inf], {}), ([1, 2], [[1, 2], [1, 2]], {}),
    ([100.0], [101.0], {"rtol": 0.02}), ([0.0], [1e-3], {"atol": 1e-2})])
def test_allclose(a, b, kw):
    check(jnp.allclose(a, b, **kw), np.allclose(a, b, **kw), np.bool_)


def test_allclose_shape_error():
    with pytest.raises(ValueError, match="allclose"):
        jnp.allclose(np.ones(2), np.ones(3))


@pytest.mark.parametrize("a,b,kw", [
    ([1, 2], [1, 2], {}), ([1, 2], [1.0, 2.0], {}), ([1, 2], [1, 3], {}),
    ([1, 2], [1, 2, 3], {}), ([1, 2], [[1, 2]], {}), ([[1, 2]], [[1, 2]], {}),
    ([1.0, np.nan], [1.0, np.nan], {}), ([1.0, np.nan], [1.0, np.nan], {"equal_nan": True}),
    ([True, False], [1, 0], {}), (3, 3.0, {})])
def test_array_equal(a, b, kw):
    check(jnp.array_equal(a, b, **kw), np.array_equal(a, b, **kw), np.bool_)


@pytest.mark.parametrize("a,b", [
    ([1, 2], [1, 2]), ([1, 2], [[1, 2], [1, 2]]), ([1, 2], [[1, 2], [1, 3]]),
    ([1, 2], [1, 2, 3]), (1, [1, 1]), ([[1], [2]], [[1, 1], [2, 2]])])
def test_array_equiv(a, b):
    check(jnp.array_equiv(a, b), np.array_equiv(a, b), np.bool_)


# ---- errors, methods, tracing ----------------------------------------------------

@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "std", "max", "min", "all",
                                  "any", "median", "nansum", "nanmax", "count_nonzero", "ptp",
                                  "nanmean", "nanvar", "quantile"])
def test_axis_errors(name):
    fn = getattr(jnp, name)
    args = (0.5,) if name == "quantile" else ()
    x = rand((2, 3))
    with pytest.raises(ValueError, match=name):
        fn(x, *args, axis=2)
    with pytest.raises(ValueError, match=name):
        fn(x, *args, axis=-3)
    with pytest.raises(ValueError, match=name):
        fn(x, *args, axis=(0, -2))


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "var", "std", "max", "min", "all",
                                  "any", "argmax", "cumprod", "ptp", "nanmin", "percentile"])
def test_out_is_rejected(name):
    args = (50,) if name == "percentile" else ()
    with pytest.raises(NotImplementedError, match=name):
        getattr(jnp, name)(np.ones(3), *args, out=np.ones(()))


def test_methods():
    data = rand((3, 4))
    x = jnp.asarray(data)
    check(x.sum(0), data.sum(0), np.float32)
    check(x.mean(), data.mean(), np.float32)
    check(x.std(ddof=1), data.std(ddof=1), np.float32)
    check(x.var(axis=1), data.var(axis=1), np.float32)
    check(x.max(axis=-1, keepdims=True), data.max(axis=-1, keepdims=True), np.float32)
    check(x.min(), data.min(), np.float32)
    check(x.prod(1), data.prod(1), np.float32)
    check(x.argmax(), data.argmax(), np.int32)
    check(x.argmin(axis=0), data.argmin(axis=0), np.int32)
    check(x.cumsum(1), data.cumsum(1), np.float32)
    check(x.cumprod(), data.cumprod(), np.float32)
    check(x.ptp(0), np.ptp(data, 0), np.float32)
    check((x > 0).all(1), (data > 0).all(1), np.bool_)
    check((x > 0).any(), (data > 0).any(), np.bool_)


def test_reductions_traced_match_eager():
    x = rand((3, 4))

    def fn(a):
        return [jnp.sum(a, 1), jnp.mean(a), jnp.var(a, 0, ddof=1), jnp.max(a, -1),
                jnp.argmin(a, 1), jnp.median(a, 0), jnp.cumsum(a, 0), jnp.nanmean(a),
                jnp.average(a, 1, [1.0, 2.0, 3.0, 4.0]), jnp.all(a > 0, 0),
                jnp.sum(a, where=a > 0), jnp.nanargmax(a, 0)]

    for got, want in zip(traced(fn, x), fn(x)):
        check(got, np.asarray(want), want.dtype)


def test_gradients():
    x = rand((3, 4))
    check(irax.grad(jnp.sum)(x), np.ones((3, 4)), np.float32)
    check(irax.grad(jnp.mean)(x), np.full((3, 4), 1 / 12), np.float32)
    check(irax.grad(jnp.var)(x), 2 * (x - x.mean()) / 12, np.float32)
    grad_max = np.zeros((3, 4), np.float32)
    grad_max[np.unravel_index(np.argmax(x), x.shape)] = 1
    check(irax.grad(jnp.max)(x), grad_max, np.float32)
    grad_median = np.zeros(5, np.float32)
    grad_median[np.argsort(x[0, :3].tolist() + [10.0, -10.0])[2]] = 1
    y = np.concatenate([x[0, :3], [10.0, -10.0]]).astype(np.float32)
    check(irax.grad(jnp.median)(y), grad_median, np.float32)


@settings(max_examples=40, deadline=None)
@given(data=st.data(),
       x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=4, min_side=1,
                                                 max_side=4),
                    elements=st.floats(-100, 100, width=32)))
def test_reductions_match_numpy_hypothesis(data, x):
    axes = data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1), unique_by=lambda a: a % x.ndim,
                              max_size=x.ndim))
    axis = tuple(axes) if data.draw(st.booleans()) else None
    keepdims = data.draw(st.booleans())
    scale = float(np.abs(x).max()) + 1.0
    # float32 rounding bounds: sums grow with the size, variances with the square
    atols = {"sum": 1e-6 * x.size * scale, "mean": 1e-5 * scale, "max": 0.0, "min": 0.0,
             "var": 1e-5 * scale ** 2, "median": 1e-6 * scale}
    for name, atol in atols.items():
        expected = getattr(np, name)(x.astype(np.float64), axis=axis, keepdims=keepdims)
        check(getattr(jnp, name)(x, axis, keepdims=keepdims), expected, np.float32,
              rtol=1e-5, atol=atol)
