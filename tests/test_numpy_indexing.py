"""Tests for irax.numpy indexing (`x[idx]`, `x.at[idx]`), take, searching and sorting,
against NumPy (the oracle) and JAX's documented dtype and out-of-bounds rules."""

import irax
import irax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from irax.core.tensor import ArrayImpl


def traced(fn, *args):
    """`fn(*args)` evaluated through a traced Graph (so no argument is concrete)."""
    out = irax.make_graph(fn)(*args)(*args)
    return out[0] if len(out) == 1 else out


def check(actual, expected, dtype=None):
    assert isinstance(actual, irax.Array)
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-6, atol=1e-6)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)


# ---- index generation ------------------------------------------------------------

@st.composite
def index_cases(draw):
    """(shape, index) pairs mixing ints, slices (negative steps), None, Ellipsis,
    integer arrays/lists (broadcast-compatible) and boolean masks and scalars."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    adv_shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    items, dim = [], 0
    kinds = ["int", "slice", "full", "array", "mask", "none", "bool"]
    while dim < len(shape) and draw(st.integers(0, 9)) > 0:
        kind = draw(st.sampled_from(kinds))
        n = shape[dim]
        if kind in ("none", "bool"):
            items.append(None if kind == "none" else draw(st.booleans()))
            continue
        if kind == "int" and n:
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "array" and n:
            arr = draw(hnp.arrays(np.int32, draw(hnp.broadcastable_shapes(adv_shape)),
                                  elements=st.integers(-n, n - 1)))
            items.append(arr.tolist() if arr.ndim and draw(st.booleans()) else arr)
        elif kind == "mask":
            width = draw(st.integers(1, min(2, len(shape) - dim)))
            items.append(draw(hnp.arrays(np.bool_, shape[dim:dim + width])))
            dim += width - 1
        elif kind == "full":
            items.append(slice(None))
        else:
            bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
            step = st.one_of(st.none(), st.sampled_from([1, 2, 3, -1, -2, -3]))
            items.append(slice(draw(bound), draw(bound), draw(step)))
        dim += 1
    if draw(st.booleans()):
        # An Ellipsis may stand for any run (even empty) of full slices.
        items += [slice(None)] * (len(shape) - dim)
        start = draw(st.integers(0, len(items)))
        stop = start
        while stop < len(items) and isinstance(items[stop], slice) and items[stop] == slice(
                None) and draw(st.booleans()):
            stop += 1
        items[start:stop] = [Ellipsis]
    if draw(st.booleans()):
        items.append(None)
    index = tuple(items) if len(items) != 1 or draw(st.booleans()) else items[0]
    return shape, index


def numpy_getitem(a, index):
    try:
        return a[index], None
    except IndexError as err:
        return None, err


@settings(max_examples=400, deadline=None)
@given(index_cases())
def test_getitem_matches_numpy(case):
    shape, index = case
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    expected, error = numpy_getitem(a, index)
    if error is not None:
        with pytest.raises(IndexError):
            jnp.getitem(jnp.asarray(a), index)
        return
    check(jnp.getitem(jnp.asarray(a), index), expected, np.float32)
    check(jnp.asarray(a)[index], expected, np.float32)


@settings(max_examples=250, deadline=None)
@given(index_cases(), st.sampled_from(["set", "add", "multiply", "min", "max"]),
       st.sampled_from([np.float32, np.int32]), st.booleans())
def test_at_update_matches_numpy(case, op, dtype, scalar_value):
    shape, index = case
    rng = np.random.default_rng(0)
    a = rng.integers(-5, 5, shape).astype(dtype)
    positions, error = numpy_getitem(np.arange(a.size).reshape(shape), index)
    if error is not None:
        return
    values = np.asarray(3, dtype) if scalar_value else rng.integers(
        -5, 5, positions.shape).astype(dtype)
    if op == "set" and len(np.unique(positions)) != positions.size:
        return
    expected = a.copy().reshape(-1)
    ufunc = {"set": None, "add": np.add, "multiply": np.multiply, "min": np.minimum,
             "max": np.maximum}[op]
    flat_values = np.broadcast_to(values, positions.shape).reshape(-1)
    if ufunc is None:
        expected[positions.reshape(-1)] = flat_values
    else:
        ufunc.at(expected, positions.reshape(-1), flat_values)
    x = jnp.asarray(a)
    check(getattr(jnp.IndexUpdateHelper(x)[index], op)(values), expected.reshape(shape), dtype)
    check(getattr(x.at[index], op)(values), expected.reshape(shape), dtype)


@settings(max_examples=150, deadline=None)
@given(index_cases())
def test_at_get_matches_getitem(case):
    shape, index = case
    a = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    expected, error = numpy_getitem(a, index)
    if error is None:
        check(jnp.asarray(a).at[index].get(), expected, np.int32)


# ---- getitem: specific semantics -------------------------------------------------

def test_getitem_basic_indexing_uses_no_gather():
    graph = str(irax.make_graph(lambda x: x[1, ::-2, None, ...])(jnp.ones((3, 4, 5))))
    assert "gather" not in graph and "slice" in graph and "rev" in graph


def test_getitem_traced_scalar_uses_dynamic_slice_and_wraps():
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    graph = str(irax.make_graph(lambda a, i: a[i])(x, np.int32(0)))
    assert "dynamic_slice" in graph and "gather" not in graph
    for i in range(-3, 3):
        check(traced(lambda a, j: a[j], x, np.int32(i)), x[i], np.float32)
        check(traced(lambda a, j: a[1:, j], x, np.int32(i)), x[1:, i], np.float32)
    check(traced(lambda a, j: a[j], x, np.int32(7)), x[2], np.float32)


@pytest.mark.parametrize("index", [([0, 1],), (slice(None), [[1], [2]]), ([1], 0, None),
                                   (0, slice(None), [0, 3]), ([1, 0], slice(None), [[3], [0]])])
def test_getitem_traced_integer_arrays(index):
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    arrays = [np.asarray(i, np.int32) for i in index if isinstance(i, list)]

    def fn(a, *idx):
        it = iter(idx)
        return a[tuple(next(it) if isinstance(i, list) else i for i in index)]

    check(traced(fn, x, *arrays), x[index], np.float32)


def test_getitem_arrays_out_of_bounds_clamp_and_negative_wrap():
    x = jnp.arange(5)
    check(x[jnp.array([-1, -5, 7, -9])], np.array([4, 0, 4, 0]), np.int32)
    check(x[np.array([[0, 4]], np.int64)], np.array([[0, 4]]), np.int32)


def test_getitem_static_int_out_of_bounds_raises():
    x = jnp.ones((2, 3))
    with pytest.raises(IndexError, match="getitem: index 3 is out of bounds for axis 1"):
        x[0, 3]
    with pytest.raises(IndexError, match="getitem"):
        x[-3]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="boolean index"):
        x[np.ones(3, bool)]
    with pytest.raises(IndexError, match="broadcast"):
        x[[0, 1], [0, 1, 2]]


def test_getitem_bad_index_types():
    x = jnp.ones(4)
    with pytest.raises(TypeError, match="getitem"):
        x[1.0]
    with pytest.raises(TypeError, match="getitem"):
        x[jnp.array([0.5])]
    with pytest.raises(TypeError, match="getitem"):
        x["a"]
    with pytest.raises(TypeError, match="getitem"):
        x[1.5:]


def test_getitem_traced_mask_raises_concretization_error():
    with pytest.raises(irax.ConcretizationTypeError, match="boolean mask"):
        irax.make_graph(lambda a, m: a[m])(np.ones(3, np.float32), np.ones(3, bool))
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda a, i: a[i:])(np.ones(3, np.float32), np.int32(1))


def test_getitem_keeps_weak_type_and_dtypes(x64):
    x = jnp.asarray(np.arange(6, dtype=np.float64))
    check(x[::2], np.arange(6.0)[::2], np.float64)
    check(x[np.array([1, 2], np.int64)], np.array([1.0, 2.0]), np.float64)
    check(x[np.array([1, 2], np.uint8)], np.array([1.0, 2.0]), np.float64)
    weak = ArrayImpl(np.arange(3.0), True)
    assert weak[1:].weak_type and weak[[0]].weak_type


def test_getitem_iteration_and_len():
    x = jnp.arange(6).reshape(3, 2)
    rows = list(x)
    assert len(rows) == 3
    check(rows[2], np.array([4, 5]), np.int32)


def test_getitem_grad():
    f = lambda x: jnp.sum(x[np.array([0, 0, 2])] * 2.0) + jnp.sum(x[1:, None])
    check(irax.grad(f)(jnp.arange(3.0)), np.array([4.0, 1.0, 3.0]), np.float32)


def test_getitem_empty_axis():
    x = jnp.ones((0, 3))
    check(x[[]], np.ones((0, 3))[[]], np.float32)
    check(x[:, [1, 2]], np.ones((0, 2)), np.float32)
    with pytest.raises(IndexError):
        x[[0]]
    with pytest.raises(IndexError, match="size 0"):
        irax.make_graph(lambda a, i: a[i])(np.ones((0, 3), np.float32), np.int32(0))


# ---- .at ---------------------------------------------------------------------------

def test_at_out_of_bounds_updates_are_dropped_or_clipped():
    x = jnp.zeros(4)
    check(x.at[jnp.array([1, 9, -9])].set(5.0), np.array([0, 5, 0, 0.0]), np.float32)
    check(x.at[7].add(1.0), np.zeros(4), np.float32)
    check(x.at[jnp.array([9])].set(5.0, mode="clip"), np.array([0, 0, 0, 5.0]), np.float32)
    check(x.at[-1].set(2.0), np.array([0, 0, 0, 2.0]), np.float32)


def test_at_traced_index_and_values():
    x = np.zeros((3, 2), np.float32)
    fn = lambda a, i, v: a.at[i].add(v)
    check(traced(fn, x, np.int32(1), np.float32(2)), np.array([[0, 0], [2, 2], [0, 0]]))
    check(traced(fn, x, np.int32(5), np.float32(2)), x)
    check(traced(fn, x, np.array([0, 0], np.int32), np.ones(2, np.float32)),
          np.array([[2, 2], [0, 0], [0, 0]]))


def test_at_get_modes():
    x = jnp.array([1.0, 2.0, 3.0])
    check(x.at[jnp.array([0, 5])].get(mode="fill", fill_value=-1.0), np.array([1.0, -1.0]))
    check(x.at[jnp.array([0, 5])].get(mode="fill"), np.array([1.0, np.nan]))
    check(x.at[5].get(), np.array(3.0))
    check(jnp.arange(3).at[jnp.array([5])].get(mode="fill"), np.array([-2 ** 31]), np.int32)
    with pytest.raises(ValueError, match="mode"):
        x.at[0].get(mode="wrong")


def test_at_divide_power_subtract_follow_jax():
    x = jnp.arange(4)
    check(x.at[1:3].divide(2), np.array([0, 0.5, 1, 3]), np.float32)
    check(x.at[jnp.array([2, 2])].power(2), np.array([0, 1, 16, 3]), np.int32)
    check(x.at[jnp.array([1, 1])].subtract(1), np.array([0, -1, 2, 3]), np.int32)
    check(jnp.ones(3).at[0].mul(3.0), np.array([3.0, 1, 1]), np.float32)


def test_at_values_cast_and_broadcast():
    x = jnp.zeros((2, 3), jnp.int32)
    check(x.at[0].set(2.7), np.array([[2, 2, 2], [0, 0, 0]]), np.int32)
    check(x.at[:, 1].set(np.array([[1, 2]])), np.array([[0, 1, 0], [0, 2, 0]]), np.int32)
    with pytest.raises(ValueError, match="at.set"):
        x.at[0].set(np.ones(2))
    weak = ArrayImpl(np.zeros(3, np.float32), True)
    assert weak.at[0].set(1.0).weak_type


def test_at_mask_and_repr():
    x = jnp.arange(4.0)
    check(x.at[x > 1].set(0.0), np.array([0, 1, 0, 0.0]), np.float32)
    assert "IndexUpdate" in repr(x.at) and "IndexUpdate" in repr(x.at[0])


def test_at_grad():
    f = lambda x: jnp.sum(x.at[np.array([0, 2])].set(0.0) * jnp.arange(3.0))
    check(irax.grad(f)(jnp.ones(3)), np.array([0.0, 1.0, 0.0]), np.float32)


# ---- take / take_along_axis ---------------------------------------------------------

@pytest.mark.parametrize("shape,axis", [((5,), None), ((3, 4), 0), ((3, 4), -1),
                                        ((2, 3, 4), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_])
def test_take_matches_numpy(shape, axis, dtype):
    a = (np.arange(np.prod(shape)).reshape(shape) % 3).astype(dtype)
    n = a.size if axis is None else shape[axis]
    idx = np.array([[0, n - 1], [-1, 1]])
    check(jnp.take(a, idx, axis=axis), np.take(a, idx, axis=axis), dtype)
    check(traced(lambda x, i: jnp.take(x, i, axis=axis), a, idx.astype(np.int32)),
          np.take(a, idx, axis=axis), dtype)


def test_take_modes():
    a = np.array([4.0, 5.0, 6.0], np.float32)
    idx = np.array([0, 3, -1, -4])
    check(jnp.take(a, idx), np.array([4, np.nan, 6, np.nan]))
    check(jnp.take(a, idx, mode="fill", fill_value=0), np.array([4, 0, 6, 0.0]))
    check(jnp.take(a, idx, mode="clip"), np.take(a, idx, mode="clip"))
    check(jnp.take(a, idx, mode="wrap"), np.take(a, idx, mode="wrap"))
    check(jnp.take(jnp.arange(3), idx), np.array([0, -2 ** 31, 2, -2 ** 31]), np.int32)
    with pytest.raises(ValueError, match="take"):
        jnp.take(a, idx, mode="raise")
    with pytest.raises(TypeError, match="take"):
        jnp.take(a, np.array([0.5]))
    with pytest.raises(ValueError, match="take"):
        jnp.take(a, idx, axis=1)


@pytest.mark.parametrize("shape,ishape,axis", [((3, 4), (3, 2), 1), ((3, 4), (5, 4), 0),
                                               ((2, 3, 4), (2, 1, 4), 1),
                                               ((1, 4), (3, 2), 1), ((6,), (4,), None)])
def test_take_along_axis_matches_numpy(shape, ishape, axis):
    rng = np.random.default_rng(1)
    a = rng.normal(size=shape).astype(np.float32)
    n = a.size if axis is None else shape[axis]
    idx = rng.integers(-n, n, ishape)
    check(jnp.take_along_axis(a, idx, axis), np.take_along_axis(a, idx, axis), np.float32)


def test_take_along_axis_out_of_bounds_and_errors():
    a = np.array([[1.0, 2.0]], np.float32)
    check(jnp.take_along_axis(a, np.array([[0, 2]]), 1), np.array([[1.0, np.nan]]))
    check(jnp.take_along_axis(a, np.array([[0, 2]]), 1, mode="clip"), np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="take_along_axis"):
        jnp.take_along_axis(a, np.array([0]), 1)
    with pytest.raises(ValueError, match="take_along_axis"):
        jnp.take_along_axis(a, np.array([[0]]), 2)


# ---- nonzero and friends -------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), (0, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_])
def test_nonzero_family_matches_numpy(shape, dtype):
    a = (np.random.default_rng(2).integers(0, 3, shape) % 2).astype(dtype)
    for actual, expected in zip(jnp.nonzero(a), np.nonzero(a)):
        check(actual, expected, np.int32)
    check(jnp.flatnonzero(a), np.flatnonzero(a), np.int32)
    check(jnp.argwhere(a), np.argwhere(a), np.int32)
    check(jnp.asarray(a).nonzero()[-1], np.nonzero(a)[-1], np.int32)


@pytest.mark.parametrize("size", [0, 2, 7])
def test_nonzero_with_size_works_traced(size):
    a = np.array([[0, 3, 0], [4, 0, 5]], np.int32)
    expected = [np.concatenate([i, np.full(7, -1)])[:size] for i in np.nonzero(a)]
    out = traced(lambda x: jnp.nonzero(x, size=size, fill_value=-1), a)
    for actual, e in zip(out, expected):
        check(actual, e, np.int32)
    check(traced(lambda x: jnp.argwhere(x, size=size, fill_value=-1), a),
          np.stack(expected, -1), np.int32)
    check(jnp.flatnonzero(np.zeros(0), size=2), np.zeros(2), np.int32)


def test_nonzero_dtype_x64_and_errors(x64):
    check(jnp.nonzero(np.array([0, 1]))[0], np.array([1]), np.int64)
    with pytest.raises(ValueError, match="nonzero"):
        jnp.nonzero(1.0)
    with pytest.raises(irax.ConcretizationTypeError, match="size="):
        irax.make_graph(jnp.nonzero)(np.ones(3))
    check(jnp.argwhere(np.array(3.0)), np.argwhere(np.array(3.0)), np.int64)
    check(jnp.argwhere(np.array(0.0)), np.argwhere(np.array(0.0)), np.int64)


def test_where_one_argument_is_nonzero():
    check(jnp.where(np.array([0, 2, 3]))[0], np.array([1, 2]), np.int32)


@pytest.mark.parametrize("kwargs", [{}, {"return_index": True}, {"return_inverse": True},
                                    {"return_counts": True},
                                    {"return_index": True, "return_inverse": True,
                                     "return_counts": True}, {"axis": 0}, {"axis": -1}])
def test_unique_matches_numpy(kwargs):
    a = np.array([[3, 1, 3], [1, 1, 2], [3, 1, 3]], np.int32)
    expected = np.unique(a, **kwargs)
    actual = jnp.unique(a, **kwargs)
    if not isinstance(expected, tuple):
        expected, actual = (expected,), (actual,)
    check(actual[0], expected[0], np.int32)
    for act, exp in zip(actual[1:], expected[1:]):
        check(act, exp, np.int32)


def test_unique_nan_and_concrete_only():
    check(jnp.unique(np.array([np.nan, 1.0, np.nan], np.float32)), np.array([1.0, np.nan]),
          np.float32)
    with pytest.raises(irax.ConcretizationTypeError, match="unique"):
        irax.make_graph(jnp.unique)(np.ones(3))


# ---- searching -----------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, st.integers(0, 9), elements=st.sampled_from(
    [-1.0, 0.0, 0.5, 2.0, 3.0, np.nan, np.inf, -np.inf])),
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
               elements=st.sampled_from([-2.0, 0.0, 0.5, 1.0, 2.0, 5.0, np.nan, np.inf])),
    st.sampled_from(["left", "right"]))
def test_searchsorted_matches_numpy(a, v, side):
    a = np.sort(a)
    expected = np.searchsorted(a, v, side)
    check(jnp.searchsorted(a, v, side), expected, np.int32)
    check(traced(lambda x, y: jnp.searchsorted(x, y, side), a, v), expected, np.int32)


def test_searchsorted_ints_sorter_and_errors():
    a = np.array([3, 1, 2], np.int32)
    sorter = np.argsort(a)
    check(jnp.searchsorted(a, np.array([2, 4]), sorter=sorter),
          np.searchsorted(a, [2, 4], sorter=sorter), np.int32)
    check(jnp.searchsorted(np.array([1, 2]), 1.5), np.array(1), np.int32)
    check(jnp.asarray(np.arange(5)).searchsorted(3, side="right"), np.array(4), np.int32)
    with pytest.raises(ValueError, match="searchsorted"):
        jnp.searchsorted(np.ones((2, 2)), 1)
    with pytest.raises(ValueError, match="searchsorted"):
        jnp.searchsorted(np.ones(2), 1, side="middle")


@pytest.mark.parametrize("bins", [[1.0, 2.0, 4.0], [4.0, 2.0, 1.0], [1.0, 1.0, 3.0], []])
@pytest.mark.parametrize("right", [False, True])
def test_digitize_matches_numpy(bins, right):
    x = np.array([0.0, 1.0, 1.5, 2.0, 4.0, 5.0], np.float32)
    bins = np.asarray(bins, np.float32)
    check(jnp.digitize(x, bins, right), np.digitize(x, bins, right), np.int32)
    check(traced(lambda a, b: jnp.digitize(a, b, right), x, bins),
          np.digitize(x, bins, right), np.int32)


# ---- sorting ------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.int32]),
                  hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.integers(-3, 3)), st.data())
def test_sort_argsort_match_numpy(a, data):
    axis = data.draw(st.sampled_from([None] + list(range(-a.ndim, a.ndim))))
    check(jnp.sort(a, axis), np.sort(a, axis), a.dtype)
    check(jnp.argsort(a, axis), np.argsort(a, axis, kind="stable"), np.int32)
    flipped = np.flip(a, axis) if axis is not None else np.flip(a.ravel())
    n = a.size if axis is None else a.shape[axis]
    expected = n - 1 - np.flip(np.argsort(flipped, axis if axis is not None else 0,
                                          kind="stable"), axis if axis is not None else 0)
    check(jnp.argsort(a, axis, descending=True), expected, np.int32)
    check(jnp.sort(a, axis, descending=True),
          np.flip(np.sort(a, axis), axis if axis is not None else 0), a.dtype)


def test_sort_nans_last_traced_and_methods(x64):
    a = np.array([2.0, np.nan, -1.0, 0.5])
    check(traced(jnp.sort, a), np.sort(a), np.float64)
    check(jnp.asarray(a).argsort(), np.argsort(a), np.int64)
    check(jnp.asarray(a).sort(), np.sort(a), np.float64)
    with pytest.raises(TypeError, match="order"):
        jnp.sort(a, order="x")
    with pytest.raises(ValueError, match="sort"):
        jnp.sort(a, axis=1)


def test_lexsort_matches_numpy():
    rng = np.random.default_rng(3)
    keys = [rng.integers(0, 3, (4, 6)).astype(np.float32), rng.integers(0, 2, (4, 6))]
    check(jnp.lexsort(keys), np.lexsort(keys), np.int32)
    check(jnp.lexsort(keys, axis=0), np.lexsort(keys, axis=0), np.int32)
    with pytest.raises(TypeError, match="lexsort"):
        jnp.lexsort([])
    with pytest.raises(ValueError, match="lexsort"):
        jnp.lexsort([np.ones(2), np.ones(3)])


# ---- select / extract / compress / ix_ ------------------------------------------------

def test_select_matches_numpy_and_promotes():
    x = np.arange(6).reshape(2, 3)
    conds, choices = [x < 2, x > 3], [x, x * 1.5]
    check(jnp.select(conds, choices, -1), np.select(conds, choices, -1), np.float32)
    check(jnp.select([x > 2], [np.int8(1)]), np.select([x > 2], [1]), np.int8)
    check(traced(lambda a: jnp.select([a < 2], [a], 9), x.astype(np.int32)),
          np.select([x < 2], [x], 9), np.int32)
    with pytest.raises(ValueError, match="select"):
        jnp.select([x < 2], [x, x])
    with pytest.raises(TypeError, match="select"):
        jnp.select([x], [x])


def test_extract_and_compress():
    a = np.arange(12).reshape(3, 4)
    cond = a % 3 == 0
    check(jnp.extract(cond, a), np.extract(cond, a), np.int32)
    check(jnp.extract(cond, a, size=6, fill_value=-1), np.array([0, 3, 6, 9, -1, -1]),
          np.int32)
    for axis in (None, 0, 1, -1):
        c = np.array([True, False, True])
        check(jnp.compress(c, a, axis), np.compress(c, a, axis), np.int32)
    with pytest.raises(IndexError, match="compress"):
        jnp.compress([False, False, False, True], a, axis=0)
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda c: jnp.compress(c, a, 0))(np.ones(3, bool))


def test_ix_matches_numpy():
    a = np.arange(20).reshape(4, 5)
    rows, cols = np.array([0, 3]), np.array([True, False, True, False, True])
    grid = jnp.ix_(rows, cols)
    for actual, expected in zip(grid, np.ix_(rows, cols)):
        check(actual, expected)
    check(jnp.asarray(a)[grid], a[np.ix_(rows, cols)], np.int32)
    with pytest.raises(ValueError, match="ix_"):
        jnp.ix_(np.ones((2, 2), int))


# ---- index arithmetic ------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6,), (2, 3), (3, 1, 4)])
def test_unravel_ravel_index_round_trip(shape):
    flat = np.arange(int(np.prod(shape)))
    for actual, expected in zip(jnp.unravel_index(flat, shape), np.unravel_index(flat, shape)):
        check(actual, expected, np.int32)
    coords = np.unravel_index(flat, shape)
    for order in ("C", "F"):
        check(jnp.ravel_multi_index(coords, shape, order=order),
              np.ravel_multi_index(coords, shape, order=order), np.int32)


def test_unravel_index_clamps_like_jax_and_works_traced():
    out = traced(lambda i: jnp.unravel_index(i, (2, 3)), np.array([-1, 7, -9], np.int32))
    check(out[0], np.array([1, 1, 0]), np.int32)
    check(out[1], np.array([2, 2, 0]), np.int32)
    with pytest.raises(TypeError, match="unravel_index"):
        jnp.unravel_index(1.0, (2, 3))


def test_ravel_multi_index_modes():
    idx = (np.array([0, 2, -1]), np.array([4, 1, 0]))
    for mode in ("wrap", "clip"):
        check(jnp.ravel_multi_index(idx, (2, 3), mode=mode),
              np.ravel_multi_index(idx, (2, 3), mode=mode), np.int32)
    with pytest.raises(ValueError, match="invalid entry"):
        jnp.ravel_multi_index(idx, (2, 3))
    with pytest.raises(ValueError, match="ravel_multi_index"):
        jnp.ravel_multi_index(idx, (2, 3, 4), mode="clip")
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda i, j: jnp.ravel_multi_index((i, j), (2, 3)))(*idx)
    traced_out = traced(lambda i, j: jnp.ravel_multi_index((i, j), (2, 3), mode="clip"),
                        idx[0].astype(np.int32), idx[1].astype(np.int32))
    check(traced_out, np.ravel_multi_index(idx, (2, 3), mode="clip"), np.int32)


def test_bincount_matches_numpy_and_jax_rules():
    x = np.array([0, 1, 1, 3, 7], np.int32)
    w = np.array([0.5, 1.0, 2.0, 1.0, 3.0], np.float32)
    check(jnp.bincount(x), np.bincount(x), np.int32)
    check(jnp.bincount(x, w), np.bincount(x, w), np.float32)
    check(jnp.bincount(x, minlength=10), np.bincount(x, minlength=10), np.int32)
    check(traced(lambda a: jnp.bincount(a, length=4), x), np.bincount(x)[:4], np.int32)
    check(jnp.bincount(np.array([-1, 0])), np.array([2]), np.int32)
    check(jnp.bincount(np.zeros(0, np.int32)), np.zeros(0), np.int32)
    with pytest.raises(TypeError, match="bincount"):
        jnp.bincount(w)
    with pytest.raises(ValueError, match="bincount"):
        jnp.bincount(np.ones((2, 2), np.int32))
    with pytest.raises(irax.ConcretizationTypeError, match="length="):
        irax.make_graph(jnp.bincount)(x)
