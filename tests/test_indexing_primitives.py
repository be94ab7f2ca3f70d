"""Tests for the gather/scatter and sort primitives (core/primitives/indexing.py,
core/primitives/sorting.py) against NumPy and loop references written from the
StableHLO specification."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irax.core.aval import ShapedArray
from irax.core.primitives.indexing import (
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
    gather,
    gather_p,
    scatter,
    scatter_add,
    scatter_add_p,
    scatter_max,
    scatter_min,
    scatter_mul,
    scatter_p,
)
from irax.core.primitives.sorting import sort, sort_key_val, sort_p
from irax.core.tensor import ArrayImpl, to_tensor

DTYPES = [np.float32, np.int32]


# ---- references, written from the StableHLO spec one element at a time ---------

def _window_operand_dims(rank, dropped, batching):
    return [d for d in range(rank) if d not in dropped and d not in batching]


def gather_reference(operand, indices, dn, slice_sizes, mode, fill_value=None):
    rank, nb = operand.ndim, indices.ndim - 1
    kept = _window_operand_dims(rank, dn.collapsed_slice_dims, dn.operand_batching_dims)
    out_rank = nb + len(kept)
    batch_dims = [i for i in range(out_rank) if i not in dn.offset_dims]
    batch_sizes, window_sizes = iter(indices.shape[:-1]), iter(slice_sizes[d] for d in kept)
    out_shape = tuple(next(window_sizes) if i in dn.offset_dims else next(batch_sizes)
                      for i in range(out_rank))
    out = np.zeros(out_shape, operand.dtype)
    for out_index in np.ndindex(*out_shape):
        batch_index = tuple(out_index[i] for i in batch_dims)
        start = indices[batch_index]
        full_start, in_bounds = [0] * rank, True
        for k, d in enumerate(dn.start_index_map):
            hi = operand.shape[d] - slice_sizes[d]
            in_bounds &= 0 <= int(start[k]) <= hi
            full_start[d] = min(max(int(start[k]), 0), hi)
        for o, i in zip(dn.operand_batching_dims, dn.start_indices_batching_dims):
            full_start[o] = batch_index[i]
        full_offset = [0] * rank
        for j, d in enumerate(kept):
            full_offset[d] = out_index[dn.offset_dims[j]]
        if mode == "fill" and not in_bounds:
            out[out_index] = fill_value
        else:
            out[out_index] = operand[tuple(s + o for s, o in zip(full_start, full_offset))]
    return out


def scatter_reference(operand, indices, updates, dn, combine, mode):
    out, rank = operand.copy(), operand.ndim
    kept = _window_operand_dims(rank, dn.inserted_window_dims, dn.operand_batching_dims)
    scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
    window = [1] * rank
    for j, d in enumerate(kept):
        window[d] = updates.shape[dn.update_window_dims[j]]
    for u in np.ndindex(*updates.shape):
        batch_index = tuple(u[d] for d in scatter_dims)
        start = indices[batch_index]
        full_start, in_bounds = [0] * rank, True
        for k, d in enumerate(dn.scatter_dims_to_operand_dims):
            hi = operand.shape[d] - window[d]
            in_bounds &= 0 <= int(start[k]) <= hi
            full_start[d] = min(max(int(start[k]), 0), hi)
        if mode != "clip" and not in_bounds:
            continue
        for o, i in zip(dn.operand_batching_dims, dn.scatter_indices_batching_dims):
            full_start[o] = batch_index[i]
        full_window = [0] * rank
        for j, d in enumerate(kept):
            full_window[d] = u[dn.update_window_dims[j]]
        at = tuple(s + w for s, w in zip(full_start, full_window))
        out[at] = combine(out[at], updates[u])
    return out


# ---- helpers: run through the binding function and check abstract_eval too -----

def _avals(*arrays):
    return [ShapedArray(a.shape, a.dtype) for a in arrays]


def run_gather(operand, indices, dn, slice_sizes, mode=None, fill_value=None):
    out = gather(to_tensor(operand), to_tensor(indices), dn, slice_sizes, mode=mode,
                 fill_value=fill_value)
    assert isinstance(out, ArrayImpl)
    parsed = GatherScatterMode.from_any("promise_in_bounds" if mode is None else mode)
    aval = gather_p.abstract_eval(
        *_avals(operand, indices), dimension_numbers=dn, slice_sizes=tuple(slice_sizes),
        mode=parsed, fill_value=fill_value, indices_are_sorted=False, unique_indices=False)
    assert aval.shape == out.shape and aval.dtype == out.dtype
    return np.asarray(out)


def run_scatter(fn, operand, indices, updates, dn, mode=None):
    before = operand.copy()
    out = fn(to_tensor(operand), to_tensor(indices), to_tensor(updates), dn, mode=mode)
    assert isinstance(out, ArrayImpl)
    np.testing.assert_array_equal(operand, before)  # the input is never mutated
    aval = scatter_add_p.abstract_eval(
        *_avals(operand, indices, updates), dimension_numbers=dn, mode=mode,
        indices_are_sorted=False, unique_indices=False)
    assert aval.shape == out.shape and aval.dtype == out.dtype
    return np.asarray(out)


def _operand(shape, dtype, seed=0):
    return np.random.default_rng(seed).integers(-20, 20, shape).astype(dtype)


ROWS = GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
ROWS_SCATTER = ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                       scatter_dims_to_operand_dims=(0,))


# ---- gather -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), ()])
def test_gather_rows_is_numpy_indexing(dtype, idx_shape):
    x = _operand((4, 3), dtype)
    idx = np.random.default_rng(1).integers(0, 4, idx_shape).astype(np.int32)
    nb = len(idx_shape)
    dn = GatherDimensionNumbers(offset_dims=(nb,), collapsed_slice_dims=(0,),
                                start_index_map=(0,))
    out = run_gather(x, idx[..., None], dn, (1, 3))
    np.testing.assert_array_equal(out, x[idx])
    assert out.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_is_np_take_along_middle_axis(dtype):
    x = _operand((2, 5, 3), dtype)
    idx = np.array([[4, 0, 1], [2, 2, 3]], np.int32)
    dn = GatherDimensionNumbers(offset_dims=(0, 3), collapsed_slice_dims=(1,),
                                start_index_map=(1,))
    out = run_gather(x, idx[..., None], dn, (2, 1, 3))
    np.testing.assert_array_equal(out, np.take(x, idx, axis=1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_with_batching_dims_is_take_along_axis(dtype):
    x = _operand((3, 5), dtype)
    idx = np.random.default_rng(2).integers(0, 5, (3, 4)).astype(np.int32)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(1,), start_index_map=(1,),
                                operand_batching_dims=(0,), start_indices_batching_dims=(0,))
    out = run_gather(x, idx[..., None], dn, (1, 1))
    np.testing.assert_array_equal(out, np.take_along_axis(x, idx, axis=1))


def test_gather_points_and_dynamic_slice():
    x = _operand((4, 5), np.float32)
    rows, cols = np.array([3, 0, 1]), np.array([4, 2, 2])
    points = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0, 1),
                                    start_index_map=(0, 1))
    out = run_gather(x, np.stack([rows, cols], -1).astype(np.int32), points, (1, 1))
    np.testing.assert_array_equal(out, x[rows, cols])
    window = GatherDimensionNumbers(offset_dims=(0, 1), collapsed_slice_dims=(),
                                    start_index_map=(1, 0))
    out = run_gather(x, np.array([1, 2], np.int32), window, (2, 3))
    np.testing.assert_array_equal(out, x[2:4, 1:4])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_modes_out_of_bounds(dtype):
    x = _operand((5, 2), dtype)
    idx = np.array([[-1], [2], [4], [7]], np.int32)
    dn = GatherDimensionNumbers(offset_dims=(1, 2), collapsed_slice_dims=(),
                                start_index_map=(0,))
    clipped = run_gather(x, idx, dn, (2, 2), mode="clip")
    np.testing.assert_array_equal(clipped, x[[[0, 1], [2, 3], [3, 4], [3, 4]]])
    default = run_gather(x, idx, dn, (2, 2))  # promise_in_bounds: clamps, as XLA does
    np.testing.assert_array_equal(default, clipped)
    filled = run_gather(x, idx, dn, (2, 2), mode="fill", fill_value=7)
    expected = np.full((4, 2, 2), 7, dtype)
    expected[1] = x[2:4]
    np.testing.assert_array_equal(filled, expected)
    default_fill = run_gather(x, idx, dn, (2, 2), mode="fill")
    sentinel = np.nan if dtype == np.float32 else np.iinfo(dtype).min
    np.testing.assert_array_equal(default_fill[0], np.full((2, 2), sentinel, dtype))


def test_gather_weak_type_follows_operand():
    weak = ArrayImpl(np.arange(4.0, dtype=np.float32), weak_type=True)
    idx = np.array([[1], [3]], np.int32)
    dn = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    assert gather(weak, idx, dn, (1,)).weak_type
    assert not gather(np.arange(4.0, dtype=np.float32), idx, dn, (1,)).weak_type


@st.composite
def window_configs(draw):
    """A random gather/scatter configuration (batching dims included) and its arrays."""
    rank, nb = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=nb, max_size=nb)))
    shape = draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    dims = draw(st.permutations(range(rank)))
    n_batching = draw(st.integers(0, min(nb, rank)))
    operand_batching = tuple(sorted(dims[:n_batching]))
    indices_batching = tuple(draw(st.permutations(range(nb)))[:n_batching])
    for o, i in zip(operand_batching, indices_batching):
        shape[o] = batch[i]
    rest = dims[n_batching:]
    index_map = tuple(draw(st.permutations(rest))[:draw(st.integers(0, len(rest)))])
    dropped = tuple(sorted(d for d in rest if draw(st.booleans())))
    sizes = tuple(1 if d in dropped or d in operand_batching else
                  draw(st.integers(0, shape[d])) for d in range(rank))
    n_window = rank - len(dropped) - n_batching
    window_dims = tuple(sorted(draw(st.permutations(range(nb + n_window)))[:n_window]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    indices = rng.integers(-2, max(shape) + 2, batch + (len(index_map),)).astype(np.int32)
    dtype = draw(st.sampled_from(DTYPES))
    operand = rng.integers(-4, 5, shape).astype(dtype)
    gdn = GatherDimensionNumbers(window_dims, dropped, index_map, operand_batching,
                                 indices_batching)
    return operand, indices, gdn, sizes, rng


@settings(deadline=None, max_examples=150)
@given(window_configs(), st.sampled_from(["clip", "fill"]))
def test_gather_matches_spec_reference(config, mode):
    operand, indices, dn, sizes, _ = config
    fill = -9 if mode == "fill" else None
    out = run_gather(operand, indices, dn, sizes, mode=mode, fill_value=fill)
    np.testing.assert_array_equal(out, gather_reference(operand, indices, dn, sizes, mode, fill))


# ---- scatter ----------------------------------------------------------------------

COMBINERS = [(scatter_add, np.add), (scatter_mul, np.multiply), (scatter_min, np.minimum),
             (scatter_max, np.maximum)]


@settings(deadline=None, max_examples=150)
@given(window_configs(), st.sampled_from(COMBINERS), st.sampled_from(["clip", "drop"]))
def test_scatter_matches_spec_reference(config, combiner, mode):
    operand, indices, gdn, sizes, rng = config
    dn = ScatterDimensionNumbers(*gdn)
    updates_shape = gather_reference(operand, indices, gdn, sizes, "clip").shape
    updates = rng.integers(-4, 5, updates_shape).astype(operand.dtype)
    fn, combine = combiner
    out = run_scatter(fn, operand, indices, updates, dn, mode=mode)
    np.testing.assert_array_equal(
        out, scatter_reference(operand, indices, updates, dn, combine, mode))


@pytest.mark.parametrize("dtype", DTYPES)
@given(st.lists(st.integers(0, 5), max_size=12), st.integers(0, 2**32 - 1))
def test_scatter_add_is_np_add_at(dtype, rows, seed):
    x = _operand((6, 3), dtype, seed)
    idx = np.array(rows, np.int32).reshape(-1, 1)
    updates = _operand((len(rows), 3), dtype, seed + 1)
    expected = x.copy()
    np.add.at(expected, np.array(rows, np.intp), updates)
    np.testing.assert_array_equal(run_scatter(scatter_add, x, idx, updates, ROWS_SCATTER),
                                  expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_replaces_and_last_duplicate_wins(dtype):
    x = _operand((5,), dtype)
    dn = ScatterDimensionNumbers((), (0,), (0,))
    idx = np.array([[3], [1], [3]], np.int32)
    updates = np.array([10, 11, 12], dtype)
    out = run_scatter(scatter, x, idx, updates, dn)
    expected = x.copy()
    expected[[3, 1, 3]] = updates
    np.testing.assert_array_equal(out, expected)
    assert out[3] == 12


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_modes_out_of_bounds(dtype):
    x = np.zeros((5, 2), dtype)
    dn = ScatterDimensionNumbers(update_window_dims=(1, 2), inserted_window_dims=(),
                                 scatter_dims_to_operand_dims=(0,))
    idx = np.array([[-1], [1], [4]], np.int32)
    updates = np.ones((3, 2, 2), dtype)
    dropped = run_scatter(scatter_add, x, idx, updates, dn)  # default: drop
    np.testing.assert_array_equal(dropped, np.array([0, 1, 1, 0, 0])[:, None] * np.ones(2))
    clipped = run_scatter(scatter_add, x, idx, updates, dn, mode="clip")
    np.testing.assert_array_equal(clipped, np.array([1, 2, 1, 1, 1])[:, None] * np.ones(2))
    promised = run_scatter(scatter_add, x, idx, updates, dn, mode="promise_in_bounds")
    np.testing.assert_array_equal(promised, dropped)


def test_scatter_weak_type_follows_operand():
    idx, updates = np.array([[0]], np.int32), np.ones((1,), np.float32)
    dn = ScatterDimensionNumbers((), (0,), (0,))
    weak = ArrayImpl(np.zeros(3, np.float32), weak_type=True)
    assert scatter_add(weak, idx, updates, dn).weak_type
    assert not scatter_add(np.zeros(3, np.float32), idx, updates, dn).weak_type


def test_scatter_into_empty_operand_is_a_no_op():
    x = np.zeros((0, 2), np.float32)
    idx, updates = np.array([[0]], np.int32), np.ones((1, 2), np.float32)
    for mode in ("clip", "drop"):
        assert run_scatter(scatter, x, idx, updates, ROWS_SCATTER, mode=mode).shape == (0, 2)


# ---- errors -----------------------------------------------------------------------

@pytest.mark.parametrize("call, error, words", [
    (lambda: gather(np.zeros(4), np.zeros((2, 1), np.float32), ROWS._replace(offset_dims=()),
                    (1,)), TypeError, "integer dtype"),
    (lambda: gather(np.zeros((4, 3)), np.zeros((2, 2), np.int32), ROWS, (1, 3)),
     TypeError, "index vectors of length 2"),
    (lambda: gather(np.zeros((4, 3)), np.zeros((2, 1), np.int32), ROWS, (2, 3)),
     TypeError, "slice size 1"),
    (lambda: gather(np.zeros((4, 3)), np.zeros((2, 1), np.int32), ROWS, (1, 4)),
     TypeError, "slice_sizes"),
    (lambda: gather(np.zeros((4, 3)), np.zeros((2, 1), np.int32),
                    GatherDimensionNumbers((0,), (1,), (0,)), (1, 1), mode="wrap"),
     ValueError, "mode"),
    (lambda: gather(np.zeros((4, 3, 2)), np.zeros((2, 1), np.int32),
                    GatherDimensionNumbers((2, 1), (0,), (0,)), (1, 3, 2)),
     TypeError, "sorted"),
    (lambda: scatter_add(np.zeros((4, 3)), np.zeros((2, 1), np.int32),
                         np.zeros((3, 3)), ROWS_SCATTER), TypeError, "must match"),
    (lambda: scatter_add(np.zeros((4, 3), np.float32), np.zeros((2, 1), np.int32),
                         np.zeros((2, 3), np.int32), ROWS_SCATTER), TypeError, "dtype"),
    (lambda: scatter(np.zeros((4, 3)), np.zeros((2, 1), np.int32), np.zeros((2, 5)),
                     ROWS_SCATTER), TypeError, "does not fit"),
    (lambda: scatter_max(np.zeros((4, 3)), np.zeros((2, 1), np.int32), np.zeros((2, 3, 1)),
                         ROWS_SCATTER), TypeError, "rank"),
])
def test_bad_inputs_raise_naming_the_op(call, error, words):
    with pytest.raises(error, match=words) as info:
        call()
    assert ("gather" in str(info.value) or "scatter" in str(info.value)
            or "mode" in str(info.value))


def test_scatter_abstract_eval_checks_too():
    with pytest.raises(TypeError, match="scatter"):
        scatter_p.abstract_eval(*_avals(np.zeros((4, 3)), np.zeros((2, 1), np.float32),
                                        np.zeros((2, 3))), dimension_numbers=ROWS_SCATTER,
                                mode=GatherScatterMode.CLIP, indices_are_sorted=False,
                                unique_indices=False)


# ---- sort -------------------------------------------------------------------------

def run_sort(operands, **params):
    outs = sort_p.bind(*[to_tensor(x) for x in operands], **params)
    avals = sort_p.abstract_eval(*_avals(*operands), **params)
    assert [(a.shape, a.dtype) for a in avals] == [(o.shape, o.dtype) for o in outs]
    return [np.asarray(o) for o in outs]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, dimension", [((7,), -1), ((3, 5), 0), ((2, 3, 4), 1)])
def test_sort_is_np_sort(dtype, shape, dimension):
    x = _operand(shape, dtype, seed=3)
    out = sort(x, dimension=dimension)
    assert isinstance(out, ArrayImpl)
    np.testing.assert_array_equal(np.asarray(out), np.sort(x, axis=dimension))
    (result,) = run_sort([x], dimension=dimension % x.ndim, is_stable=True, num_keys=1)
    np.testing.assert_array_equal(result, np.sort(x, axis=dimension))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_sort_nans_last_and_signed_zeros_stable(dtype):
    x = np.array([3.0, np.nan, -np.inf, -0.0, 1.0, -np.nan, 0.0, np.inf], dtype)
    out = np.asarray(sort(x))
    np.testing.assert_array_equal(out, np.sort(x))
    assert np.signbit(out[1]) and not np.signbit(out[2])  # -0.0 stays before 0.0
    _, perm = sort_key_val(x, np.arange(8, dtype=np.int32))
    np.testing.assert_array_equal(np.asarray(perm), np.argsort(x, kind="stable"))


def test_sort_bfloat16_nan_last():
    import ml_dtypes
    x = np.array([3, 1, np.nan, 2], ml_dtypes.bfloat16)
    np.testing.assert_array_equal(np.asarray(sort(x)).astype(np.float32), [1, 2, 3, np.nan])


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(-5, 5)),
                min_size=1, max_size=20))
def test_sort_multiple_keys_is_lexsort(rows):
    k1, k2, v = (np.array(c, np.int32) for c in zip(*rows))
    order = np.lexsort((k2, k1))  # primary key k1, then k2; stable
    out = sort((k1, k2, v), num_keys=2)
    assert isinstance(out, tuple) and len(out) == 3
    for got, want in zip(out, (k1[order], k2[order], v[order])):
        np.testing.assert_array_equal(np.asarray(got), want)
    _, _, by_one = run_sort([k1, k2, v], dimension=0, is_stable=True, num_keys=1)
    np.testing.assert_array_equal(by_one, v[np.argsort(k1, kind="stable")])


def test_sort_key_val_along_rows():
    keys = np.array([[3, 1, 2], [0, 5, 4]], np.int32)
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    k, v = sort_key_val(keys, values, dimension=1)
    np.testing.assert_array_equal(np.asarray(k), np.sort(keys, axis=1))
    np.testing.assert_array_equal(np.asarray(v), np.take_along_axis(
        values, np.argsort(keys, axis=1), axis=1))


@pytest.mark.parametrize("call, error, words", [
    (lambda: sort((np.zeros(3), np.zeros(4))), TypeError, "sort: operands must"),
    (lambda: sort((np.zeros(3), np.zeros(3)), num_keys=3), ValueError, "num_keys"),
    (lambda: sort(np.zeros(3), num_keys=0), ValueError, "num_keys"),
    (lambda: sort(np.zeros((2, 3)), dimension=2), ValueError, "sort"),
    (lambda: sort(np.float32(1.0)), ValueError, "sort"),
    (lambda: sort(()), TypeError, "sort"),
])
def test_sort_bad_inputs(call, error, words):
    with pytest.raises(error, match=words):
        call()
