"""Tests for irax.numpy's array creation: conversion, constants, ranges, triangles and
grids, against NumPy, with the dtypes (and weak types) JAX gives."""
import irax
import irax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

RNG = np.random.default_rng(0)


def check(actual, expected, dtype, weak=False, rtol=1e-6, atol=1e-6):
    """Values and shape match NumPy's; the dtype and weak type are JAX's."""
    assert isinstance(actual, irax.Array), type(actual)
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.weak_type == weak, (actual.weak_type, weak)
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    np.testing.assert_allclose(np.asarray(actual, np.float64) if actual.dtype.kind != "c"
                               else np.asarray(actual), np.asarray(expected), rtol=rtol,
                               atol=atol)


def traced(fn, *args):
    """`fn(*args)` evaluated through a traced Graph (the path jit takes)."""
    return irax.make_graph(fn)(*args)(*[jnp.asarray(a) for a in args])


def primitives(fn, *args):
    return [e.primitive.name for e in irax.make_graph(fn)(*args).graph.eqns]


# ---- array / asarray --------------------------------------------------------------

@pytest.mark.parametrize("value,dtype,weak", [
    (1.5, np.float32, True), (3, np.int32, True), (True, np.bool_, False),
    (1 + 2j, np.complex64, True), (np.float64(2.5), np.float32, False),
    (np.int8(4), np.int8, False)])
def test_array_of_scalars(value, dtype, weak):
    check(jnp.array(value), np.array(value), dtype, weak)
    check(jnp.asarray(value), np.array(value), dtype, weak)


def test_array_of_scalar_with_dtype_is_strong():
    check(jnp.array(1.5, dtype=jnp.int32), 1, np.int32)
    check(jnp.asarray(2, jnp.float16), 2, np.float16)
    check(jnp.array(2 ** 40, dtype=jnp.float32), 2.0 ** 40, np.float32)
    check(jnp.array(3, dtype=float), 3, np.float32)


@pytest.mark.parametrize("value,dtype", [
    ([1.0, 2.0], np.float32), ([1, 2], np.int32), ([True, False], np.bool_),
    ([1, 2.5], np.float32), ([[1, 2], [3, 4]], np.int32), ([True, 2], np.int32),
    ([], np.float32), ([[], []], np.float32), ((1j, 2), np.complex64),
    ([np.float64(1), 2], np.float32), ([np.int8(1), 2], np.int8),
    ([np.zeros(2, np.int16), [1, 2]], np.int16)])
def test_array_of_lists_is_strong(value, dtype):
    check(jnp.array(value), np.array(value), dtype)
    check(jnp.asarray(value), np.array(value), dtype)


def test_array_of_lists_x64(x64):
    check(jnp.array([1.0, 2.0]), [1.0, 2.0], np.float64)
    check(jnp.array([1, 2]), [1, 2], np.int64)
    check(jnp.array(1.5), 1.5, np.float64, weak=True)
    check(jnp.array(np.arange(3.0)), np.arange(3.0), np.float64)


def test_array_of_lists_holding_arrays_promotes_with_weak_types():
    half = jnp.array(1.0, jnp.float16)
    check(jnp.array([half, 2.0]), [1.0, 2.0], np.float16)
    check(jnp.array([jnp.ones(2, jnp.int8), jnp.ones(2, jnp.float32)]), np.ones((2, 2)),
          np.float32)
    check(jnp.array([[half], [3]]), [[1.0], [3.0]], np.float16)


def test_array_of_list_of_tracers():
    def fn(a, b):
        return jnp.array([[a, 1.0], [b, a]])
    out = traced(fn, np.float32(2), np.float32(3))[0]
    check(out, [[2, 1], [3, 2]], np.float32)
    assert "concatenate" in primitives(fn, np.float32(2), np.float32(3))
    check(traced(lambda a: jnp.array([a, a], dtype=jnp.int32), np.float32(1.5))[0],
          [1, 1], np.int32)


def test_array_of_numpy_canonicalizes_and_copies():
    host = np.arange(4.0)
    out = jnp.array(host)
    alias = jnp.asarray(host)
    host[0] = 99.0
    check(out, np.arange(4.0), np.float32)
    check(alias, np.arange(4.0), np.float32)
    check(jnp.array(np.arange(3, dtype=np.int64)), np.arange(3), np.int32)
    check(jnp.array(np.ones(2, ml_dtypes.bfloat16)), np.ones(2), jnp.bfloat16)
    check(jnp.array(np.arange(3), dtype=np.uint8), np.arange(3), np.uint8)


def test_array_of_irax_array():
    x = jnp.array([1.0, 2.0])
    assert jnp.asarray(x) is x
    check(jnp.array(x), [1, 2], np.float32)
    check(jnp.array(x, dtype=jnp.int32), [1, 2], np.int32)
    check(jnp.asarray(jnp.asarray(1.0), jnp.float32), 1.0, np.float32)
    check(jnp.array(jnp.asarray(1.0)), 1.0, np.float32, weak=True)
    check(jnp.copy(x), [1, 2], np.float32)


@pytest.mark.parametrize("ndmin", [0, 1, 2, 4])
def test_array_ndmin(ndmin):
    for value in (3.0, [1.0, 2.0], [[1.0]]):
        expected = np.array(value, ndmin=ndmin)
        assert jnp.array(value, ndmin=ndmin).shape == expected.shape


def test_array_errors():
    with pytest.raises(ValueError, match="array"):
        jnp.array([[1, 2], [3]])
    with pytest.raises(TypeError, match="array"):
        jnp.array(["a", "b"])
    with pytest.raises(TypeError, match="array"):
        jnp.array(np.array(["a"]))
    with pytest.raises(TypeError, match="array"):
        jnp.array(object())
    with pytest.raises(TypeError, match="array"):
        jnp.array([1.0], dtype="not-a-dtype")
    with pytest.raises(NotImplementedError, match="array"):
        jnp.array([1.0], order="F")
    with pytest.raises(OverflowError):
        jnp.array([2 ** 40])


@pytest.mark.parametrize("src,dst", [
    (np.float32, np.int32), (np.float32, np.bool_), (np.int32, np.float32),
    (np.complex64, np.float32), (np.float32, np.float16), (np.int32, np.uint8),
    (np.bool_, np.float32)])
def test_astype(src, dst):
    values = np.array([-2.7, -1.0, 0.0, 0.5, 3.2]).astype(src)
    expected = values.real.astype(dst) if np.dtype(src).kind == "c" else values.astype(dst)
    check(jnp.astype(jnp.asarray(values), dst), expected, dst)
    check(jnp.asarray(values).astype(dst), expected, dst)


def test_astype_strips_weak_type_and_rejects_bad_dtypes():
    check(jnp.astype(1.0, jnp.float32), 1.0, np.float32)
    with pytest.raises(TypeError, match="astype"):
        jnp.astype(jnp.ones(2), "not-a-dtype")
    with pytest.raises(TypeError, match="astype"):
        jnp.astype(jnp.ones(2), np.str_)


# ---- constants --------------------------------------------------------------------

SHAPES = [(), 0, 3, (2, 3), [4, 1, 2], (0, 2), (np.int64(2), 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_constants(fn, shape):
    expected = np.zeros if fn in ("zeros", "empty") else np.ones
    check(getattr(jnp, fn)(shape), expected(shape), np.float32)
    for dtype in (np.int32, np.bool_, np.float16, jnp.bfloat16, np.uint8, np.complex64):
        check(getattr(jnp, fn)(shape, dtype), expected(shape), dtype)


def test_constants_x64(x64):
    check(jnp.zeros(2), [0, 0], np.float64)
    check(jnp.ones(2, int), [1, 1], np.int64)
    check(jnp.full(2, 1.5), [1.5, 1.5], np.float64, weak=True)


def test_constants_without_x64_canonicalize_64_bit_dtypes():
    check(jnp.zeros(2, np.float64), [0, 0], np.float32)
    check(jnp.ones(2, np.int64), [1, 1], np.int32)


def test_constant_errors():
    with pytest.raises(ValueError, match="zeros"):
        jnp.zeros((2, -1))
    with pytest.raises(TypeError, match="ones"):
        jnp.ones((2.5,))
    with pytest.raises(TypeError, match="ones"):
        jnp.ones("3")
    with pytest.raises(TypeError, match="full"):
        jnp.full(2, 1.0, "not-a-dtype")
    with pytest.raises(ValueError, match="full"):
        jnp.full((2, 3), [1.0, 2.0])


@pytest.mark.parametrize("fill,dtype,expected_dtype,weak", [
    (1.5, None, np.float32, True), (7, None, np.int32, True), (True, None, np.bool_, False),
    (2j, None, np.complex64, True), (1.5, np.int32, np.int32, False),
    (np.float16(2), None, np.float16, False), (3, np.bool_, np.bool_, False),
    (200, np.uint8, np.uint8, False)])
def test_full(fill, dtype, expected_dtype, weak):
    expected = np.full((2, 3), fill, dtype=expected_dtype)
    check(jnp.full((2, 3), fill, dtype), expected, expected_dtype, weak)
    out = traced(lambda: jnp.full((2, 3), fill, dtype))[0]
    check(out, expected, expected_dtype, weak)


def test_full_with_array_fill_broadcasts():
    check(jnp.full((2, 3), [1.0, 2.0, 3.0]), np.full((2, 3), [1.0, 2.0, 3.0]), np.float32)
    check(jnp.full((2, 2), jnp.array([1, 2], jnp.int8)), [[1, 2], [1, 2]], np.int8)
    check(jnp.full((2, 2), np.array([[1.0], [2.0]]), np.int32), [[1, 1], [2, 2]], np.int32)
    check(jnp.full(3, jnp.asarray(2.0, jnp.float16)), [2, 2, 2], np.float16)


@pytest.mark.parametrize("fn,fill", [("zeros_like", 0), ("ones_like", 1), ("empty_like", 0)])
def test_like(fn, fill):
    f = getattr(jnp, fn)
    x = jnp.asarray(RNG.standard_normal((2, 3)).astype(np.int8))
    check(f(x), np.full((2, 3), fill), np.int8)
    check(f(x, dtype=jnp.float16), np.full((2, 3), fill), np.float16)
    check(f(x, shape=(4,)), np.full(4, fill), np.int8)
    check(f(x, jnp.bool_, 2), np.full(2, fill), np.bool_)
    check(f([1.0, 2.0]), np.full(2, fill), np.float32)
    check(f(2.0), fill, np.float32, weak=True)
    check(f(jnp.asarray(2)), fill, np.int32, weak=True)
    check(f(True), fill, np.bool_)


def test_full_like():
    x = jnp.zeros((2, 2), jnp.int32)
    check(jnp.full_like(x, 2.7), np.full((2, 2), 2), np.int32)
    check(jnp.full_like(x, 2.7, jnp.float32), np.full((2, 2), 2.7), np.float32)
    check(jnp.full_like(x, [1, 2]), [[1, 2], [1, 2]], np.int32)
    check(jnp.full_like(x, 1, shape=(3,)), [1, 1, 1], np.int32)
    check(jnp.full_like(1.0, 3), 3.0, np.float32, weak=True)
    with pytest.raises(ValueError, match="full_like"):
        jnp.full_like(x, [1, 2, 3])


def test_constants_under_tracing_are_broadcast_scalars():
    def fn(a):
        return jnp.zeros((100, 100)), jnp.full((3,), a), jnp.ones_like(a, shape=(5,))
    graph = irax.make_graph(fn)(np.float32(2))
    assert not graph.consts
    assert [e.primitive.name for e in graph.graph.eqns] == ["broadcast_in_dim"] * 3
    zeros, filled, ones = graph(jnp.asarray(np.float32(2)))
    check(zeros, np.zeros((100, 100)), np.float32)
    check(filled, [2, 2, 2], np.float32)
    check(ones, np.ones(5), np.float32)


def test_traced_fill_value():
    out = traced(lambda a: (jnp.full((2,), a, jnp.int32), jnp.full_like(a, a, shape=(3,))),
                 np.float32(2.5))
    check(out[0], [2, 2], np.int32)
    check(out[1], [2.5] * 3, np.float32)


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       dtype=st.sampled_from([np.float32, np.int32, np.bool_, np.int8, np.uint16]),
       fill=st.integers(0, 1))
def test_full_matches_numpy(shape, dtype, fill):
    check(jnp.full(shape, fill, dtype), np.full(shape, fill, dtype), dtype)


# ---- ranges -----------------------------------------------------------------------

@pytest.mark.parametrize("args,dtype", [
    ((5,), np.int32), ((0,), np.int32), ((-3,), np.int32), ((2, 9), np.int32),
    ((2, 9, 3), np.int32), ((9, 2, -2), np.int32), ((5.0,), np.float32),
    ((0, 1, 0.1), np.float32), ((1.5, 4), np.float32), ((3, -1.0, -0.5), np.float32),
    ((np.int8(4),), np.int8), ((True, 3), np.int32)])
def test_arange(args, dtype):
    check(jnp.arange(*args), np.arange(*args).astype(dtype), dtype)


def test_arange_with_dtype_and_keywords():
    check(jnp.arange(5, dtype=jnp.float32), np.arange(5.0), np.float32)
    check(jnp.arange(1, 10, 2, jnp.int8), np.arange(1, 10, 2), np.int8)
    check(jnp.arange(5, step=2), np.arange(5, step=2), np.int32)
    check(jnp.arange(jnp.asarray(4)), np.arange(4), np.int32)
    check(jnp.arange(0.0, 1.0, 0.3, jnp.float16), np.arange(0.0, 1.0, 0.3, np.float16),
          np.float16)


def test_arange_x64(x64):
    check(jnp.arange(3), np.arange(3), np.int64)
    check(jnp.arange(0.5, 2), np.arange(0.5, 2), np.float64)


def test_arange_errors():
    with pytest.raises(ValueError, match="arange"):
        jnp.arange(0, 5, 0)
    with pytest.raises(TypeError, match="arange"):
        jnp.arange(jnp.ones(3))
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda n: jnp.arange(n))(3)
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda n: jnp.arange(0, n, 1))(3)


def test_arange_under_tracing_is_iota():
    assert primitives(lambda: jnp.arange(6)) == ["iota"]
    check(traced(lambda: jnp.arange(4.0))[0], np.arange(4.0), np.float32)
    check(traced(lambda: jnp.arange(1, 7, 2))[0], np.arange(1, 7, 2), np.int32)


LINSPACE_CASES = [  # (start, stop, num, other keywords)
    (0, 1, 5, {}), (0, 1, 5, {"endpoint": False}), (-2.5, 7, 11, {}), (3, -3, 4, {}),
    (0, 1, 1, {}), (0, 1, 1, {"endpoint": False}), (0, 1, 0, {}), ([0, 1], [1, 3], 3, {}),
    ([0, 1], [1, 3], 3, {"axis": 1}), ([[0], [1]], [5, 6, 7], 4, {"axis": -1}),
    (0, [2, 4], 3, {"axis": -2}), (1, 2, 2, {"endpoint": False})]


@pytest.mark.parametrize("start,stop,num,other", LINSPACE_CASES)
def test_linspace(start, stop, num, other):
    kw = {"start": start, "stop": stop, "num": num, **other}
    check(jnp.linspace(**kw), np.linspace(**kw), np.float32)
    _, step = jnp.linspace(**kw, retstep=True)
    _, expected_step = np.linspace(**kw, retstep=True)
    check(step, np.broadcast_to(expected_step, step.shape), np.float32)


def test_linspace_dtypes():
    check(jnp.linspace(0, 10, 4, dtype=jnp.int32), np.linspace(0, 10, 4, dtype=np.int32),
          np.int32)
    check(jnp.linspace(-5, 5, 4, dtype=jnp.int32), np.linspace(-5, 5, 4, dtype=np.int32),
          np.int32)
    check(jnp.linspace(0, 1, 3, dtype=jnp.float16), np.linspace(0, 1, 3), np.float16)
    check(jnp.linspace(jnp.asarray(0, jnp.float16), 1, 3), np.linspace(0, 1, 3), np.float16)
    check(jnp.linspace(jnp.asarray(0, jnp.int8), 1, 3), np.linspace(0, 1, 3), np.float32)


def test_linspace_x64(x64):
    check(jnp.linspace(0, 1, 7), np.linspace(0, 1, 7), np.float64, rtol=1e-15)


def test_linspace_traced_bounds():
    out = traced(lambda a, b: jnp.linspace(a, b, 5, axis=-1), np.float32([0, 1]),
                 np.float32(3))[0]
    check(out, np.linspace([0, 1], 3, 5, axis=-1), np.float32)


def test_linspace_errors():
    with pytest.raises(ValueError, match="linspace"):
        jnp.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="linspace"):
        jnp.linspace(0, 1, 3, axis=2)
    with pytest.raises(ValueError, match="linspace"):
        jnp.linspace([0, 1], [1, 2, 3], 3)


@settings(max_examples=40, deadline=None)
@given(start=st.floats(-100, 100), stop=st.floats(-100, 100), num=st.integers(0, 20),
       endpoint=st.booleans())
def test_linspace_matches_numpy(start, stop, num, endpoint):
    check(jnp.linspace(start, stop, num, endpoint), np.linspace(start, stop, num, endpoint),
          np.float32, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("start,stop,num,other", [
    (0, 2, 3, {}), (0, 3, 4, {"base": 2.0}), ([0, 1], [1, 3], 3, {"axis": 1}),
    (1, 2, 4, {"endpoint": False})])
def test_logspace(start, stop, num, other):
    kw = {"start": start, "stop": stop, "num": num, **other}
    check(jnp.logspace(**kw), np.logspace(**kw), np.float32, rtol=1e-5)


@pytest.mark.parametrize("start,stop,num,other", [
    (1, 1000, 4, {}), (-1, -1000, 4, {}), (2.0, 3.0, 3, {"endpoint": False}),
    ([1, 2], [10, 20], 3, {"axis": -1}), (5, 7, 1, {}), (5, 7, 0, {})])
def test_geomspace(start, stop, num, other):
    kw = {"start": start, "stop": stop, "num": num, **other}
    out = jnp.geomspace(**kw)
    expected = np.geomspace(**kw)
    check(out, expected, np.float32, rtol=1e-5)
    if expected.size:
        np.testing.assert_array_equal(np.take(np.asarray(out), 0, axis=kw.get("axis", 0)),
                                      np.take(expected.astype(np.float32), 0,
                                              axis=kw.get("axis", 0)))


def test_logspace_geomspace_dtypes():
    check(jnp.logspace(0, 2, 3, dtype=jnp.int32), [1, 10, 100], np.int32)
    check(jnp.geomspace(1, 8, 4, dtype=jnp.float16), [1, 2, 4, 8], np.float16, rtol=1e-3)


# ---- triangles, eye, meshgrid -----------------------------------------------------

@pytest.mark.parametrize("N,M,k", [(3, None, 0), (3, 5, 1), (4, 2, -1), (0, 3, 0), (3, 3, 5),
                                   (2, 4, -3)])
def test_eye_and_tri(N, M, k):
    check(jnp.eye(N, M, k), np.eye(N, M, k), np.float32)
    check(jnp.eye(N, M, k, jnp.int8), np.eye(N, M, k), np.int8)
    check(jnp.tri(N, M, k), np.tri(N, M, k), np.float32)
    check(jnp.tri(N, M, k, dtype=bool), np.tri(N, M, k, dtype=bool), np.bool_)


def test_identity_and_eye_errors():
    check(jnp.identity(3), np.identity(3), np.float32)
    check(jnp.identity(2, jnp.bool_), np.identity(2, bool), np.bool_)
    with pytest.raises(ValueError, match="eye"):
        jnp.eye(-1)
    with pytest.raises(TypeError):
        jnp.eye(2.5)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (2, 3, 3), (5,)])
@pytest.mark.parametrize("k", [0, 1, -1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_])
def test_tril_triu(shape, k, dtype):
    m = (RNG.standard_normal(shape) * 3).astype(dtype)
    check(jnp.tril(m, k), np.tril(m, k), dtype)
    check(jnp.triu(m, k), np.triu(m, k), dtype)


def test_tril_triu_traced_and_errors():
    m = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    check(traced(lambda x: jnp.tril(x, -1), m)[0], np.tril(m, -1), np.float32)
    check(traced(lambda x: jnp.triu(x), m)[0], np.triu(m), np.float32)
    with pytest.raises(ValueError, match="tril"):
        jnp.tril(3.0)
    with pytest.raises(ValueError, match="triu"):
        jnp.triu(jnp.asarray(1))


@settings(max_examples=30, deadline=None)
@given(m=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=3, max_side=5),
                    elements=st.floats(-10, 10, width=32)),
       k=st.integers(-6, 6))
def test_tril_triu_match_numpy(m, k):
    check(jnp.tril(m, k), np.tril(m, k), np.float32)
    check(jnp.triu(m, k), np.triu(m, k), np.float32)


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (2, 3, 4), (0, 2)])
def test_meshgrid(indexing, sparse, sizes):
    dtypes = [np.float32, np.int32, np.int8]
    xs = [np.arange(n).astype(dtypes[i % 3]) for i, n in enumerate(sizes)]
    outs = jnp.meshgrid(*xs, indexing=indexing, sparse=sparse)
    expected = np.meshgrid(*xs, indexing=indexing, sparse=sparse)
    assert len(outs) == len(expected)
    for out, exp, x in zip(outs, expected, xs):
        check(out, exp, x.dtype)


def test_meshgrid_flattens_and_errors():
    xs, ys = jnp.meshgrid(jnp.ones((2, 2)), [1, 2, 3])
    assert xs.shape == ys.shape == (3, 4)
    assert jnp.meshgrid() == []
    with pytest.raises(ValueError, match="meshgrid"):
        jnp.meshgrid(jnp.ones(2), indexing="xyz")
