"""Tests for irax.numpy shape manipulation against NumPy (values and shapes) and JAX's
dtype rules, on concrete and traced inputs."""

import irax
import irax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from irax.core.tensor import ArrayImpl

DTYPES = [np.float32, np.int32, np.bool_]


def traced(fn, *args):
    """`fn(*args)` evaluated through a traced Graph (so no argument is concrete)."""
    out = irax.make_graph(fn)(*args)(*args)
    return out[0] if len(out) == 1 else out


def check(actual, expected, dtype=None):
    assert isinstance(actual, irax.Array)
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-6, atol=1e-6)
    expected_dtype = np.asarray(expected).dtype if dtype is None else np.dtype(dtype)
    assert actual.dtype == expected_dtype, (actual.dtype, expected_dtype)


def check_list(actual, expected, dtype=None):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        check(a, e, dtype)


def data(shape, dtype=np.float32):
    values = np.arange(int(np.prod(shape))).reshape(shape)
    return (values % 2).astype(dtype) if dtype == np.bool_ else values.astype(dtype)


# ---- reshape family -----------------------------------------------------------------

@pytest.mark.parametrize("shape,new", [((2, 3), (3, 2)), ((2, 3), (-1,)), ((2, 3, 4), (4, -1)),
                                       ((6,), (1, 2, 1, 3)), ((), (1, 1)), ((0, 3), (3, -1)),
                                       ((2, 3), 6)])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_matches_numpy(shape, new, order, dtype):
    a = data(shape, dtype)
    check(jnp.reshape(a, new, order=order), np.reshape(a, new, order=order), dtype)
    check(traced(lambda x: jnp.reshape(x, new, order=order), a),
          np.reshape(a, new, order=order), dtype)


def test_reshape_method_forms():
    x = jnp.arange(6)
    check(x.reshape(2, 3), np.arange(6).reshape(2, 3), np.int32)
    check(x.reshape((3, -1)), np.arange(6).reshape(3, 2), np.int32)
    check(x.reshape(2, 3, order="F"), np.arange(6).reshape(2, 3, order="F"), np.int32)
    check(jnp.reshape(x, (3, 2), "F"), np.arange(6).reshape((3, 2), order="F"), np.int32)
    check(jnp.reshape([1, 2, 3, 4], (2, 2)), np.array([[1, 2], [3, 4]]), np.int32)
    assert jnp.reshape(ArrayImpl(np.ones(4, np.float32), True), (2, 2)).weak_type


def test_reshape_errors():
    x = jnp.arange(6)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape array of shape \(6,\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="reshape"):
        x.reshape(-1, -1)
    with pytest.raises(ValueError, match="reshape"):
        x.reshape(4, -1)
    with pytest.raises(ValueError, match="order"):
        jnp.reshape(x, (6,), order="K")
    with pytest.raises(TypeError, match="reshape"):
        x.reshape(2.0, 3)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (5,), ()])
def test_ravel_flatten(shape):
    a = data(shape)
    check(jnp.ravel(a), np.ravel(a), np.float32)
    check(jnp.ravel(a, order="F"), np.ravel(a, order="F"), np.float32)
    check(jnp.asarray(a).flatten(), a.flatten(), np.float32)
    check(jnp.asarray(a).ravel(), a.ravel(), np.float32)


@pytest.mark.parametrize("shape,axes", [((2, 3), None), ((2, 3, 4), None), ((2, 3, 4), (1, 2, 0)),
                                        ((2, 3, 4), (-1, 0, -2)), ((), None), ((3,), (0,))])
def test_transpose_matches_numpy(shape, axes):
    a = data(shape, np.int32)
    check(jnp.transpose(a, axes), np.transpose(a, axes), np.int32)
    if axes is not None and len(axes) > 1:
        check(jnp.asarray(a).transpose(*axes), a.transpose(*axes), np.int32)
    check(jnp.asarray(a).T, a.T, np.int32)


def test_transpose_errors():
    with pytest.raises(ValueError, match="transpose"):
        jnp.transpose(jnp.ones((2, 3)), (0, 0))
    with pytest.raises(ValueError, match="transpose"):
        jnp.transpose(jnp.ones((2, 3)), (0, 2))
    with pytest.raises(ValueError, match="transpose"):
        jnp.transpose(jnp.ones((2, 3)), (0,))


@pytest.mark.parametrize("a1,a2", [(0, 1), (0, -1), (2, 0), (1, 1)])
def test_swapaxes(a1, a2):
    a = data((2, 3, 4))
    check(jnp.swapaxes(a, a1, a2), np.swapaxes(a, a1, a2), np.float32)
    check(jnp.asarray(a).swapaxes(a1, a2), np.swapaxes(a, a1, a2), np.float32)
    with pytest.raises(ValueError, match="swapaxes"):
        jnp.swapaxes(a, 0, 3)


@pytest.mark.parametrize("src,dst", [(0, -1), (-1, 0), ((0, 1), (-1, -2)), ((2, 0), (0, 3)),
                                     ([], [])])
def test_moveaxis(src, dst):
    a = data((2, 3, 4, 5))
    check(jnp.moveaxis(a, src, dst), np.moveaxis(a, src, dst), np.float32)


def test_moveaxis_errors():
    with pytest.raises(ValueError, match="moveaxis"):
        jnp.moveaxis(jnp.ones((2, 3)), (0, 1), 0)
    with pytest.raises(ValueError, match="moveaxis"):
        jnp.moveaxis(jnp.ones((2, 3)), (0, 0), (0, 1))
    with pytest.raises(ValueError, match="moveaxis"):
        jnp.moveaxis(jnp.ones((2, 3)), 2, 0)


@pytest.mark.parametrize("shape,axis", [((2, 3), 0), ((2, 3), -1), ((2, 3), (0, 3)),
                                        ((), 0), ((2,), (-1, 0))])
def test_expand_dims(shape, axis):
    a = data(shape)
    check(jnp.expand_dims(a, axis), np.expand_dims(a, axis), np.float32)


def test_expand_dims_errors():
    with pytest.raises(ValueError, match="expand_dims"):
        jnp.expand_dims(jnp.ones(2), 3)
    with pytest.raises(ValueError, match="expand_dims"):
        jnp.expand_dims(jnp.ones(2), (0, 0))


@pytest.mark.parametrize("shape,axis", [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), -1),
                                        ((1, 3, 1), (0, 2)), ((1,), None), ((), None)])
def test_squeeze(shape, axis):
    a = data(shape)
    check(jnp.squeeze(a, axis), np.squeeze(a, axis), np.float32)
    check(jnp.asarray(a).squeeze(axis), np.squeeze(a, axis), np.float32)


def test_squeeze_errors():
    with pytest.raises(ValueError, match="squeeze"):
        jnp.squeeze(jnp.ones((1, 3)), 1)
    with pytest.raises(ValueError, match="squeeze"):
        jnp.squeeze(jnp.ones((1, 3)), 2)


# ---- broadcasting ---------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=4))
def test_broadcasting_functions(shapes):
    arrays = [data(s) for s in shapes.input_shapes]
    assert jnp.broadcast_shapes(*shapes.input_shapes) == shapes.result_shape
    check_list(jnp.broadcast_arrays(*arrays), np.broadcast_arrays(*arrays), np.float32)
    for a in arrays:
        check(jnp.broadcast_to(a, shapes.result_shape),
              np.broadcast_to(a, shapes.result_shape), np.float32)


def test_broadcasting_errors_and_dtypes():
    with pytest.raises(ValueError, match="broadcast_to"):
        jnp.broadcast_to(jnp.ones(3), (4,))
    with pytest.raises(ValueError, match="broadcast_to"):
        jnp.broadcast_to(jnp.ones((2, 3)), (3,))
    with pytest.raises(ValueError, match="broadcast_shapes"):
        jnp.broadcast_shapes((2,), (3,))
    with pytest.raises(ValueError, match="broadcast_arrays"):
        jnp.broadcast_arrays(jnp.ones(2), jnp.ones(3))
    out = jnp.broadcast_arrays(np.int8(1), np.ones(2, np.float32))
    assert [o.dtype for o in out] == [np.int8, np.float32]
    check(jnp.broadcast_to(5, (2,)), np.array([5, 5]), np.int32)
    assert jnp.broadcast_shapes(3, (2, 1)) == (2, 3)


@pytest.mark.parametrize("fn", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast(fn):
    arrays = [np.float32(1.0), data((2,)), data((2, 3)), data((2, 3, 4)), data((1, 2, 3, 4))]
    for a in arrays:
        check(getattr(jnp, fn)(a), getattr(np, fn)(a), np.float32)
    check_list(getattr(jnp, fn)(*arrays), getattr(np, fn)(*arrays), np.float32)


# ---- joining --------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("dtype", DTYPES)
def test_concatenate_matches_numpy(axis, dtype):
    shapes = [(2, 3), (2, 3), (2, 3)] if axis is None else [
        (s if axis == 0 else 2, 3 if axis == 0 else s) for s in (1, 2, 0)]
    arrays = [data(s, dtype) for s in shapes]
    check(jnp.concatenate(arrays, axis), np.concatenate(arrays, axis), dtype)
    check(traced(lambda *xs: jnp.concatenate(xs, axis), *arrays),
          np.concatenate(arrays, axis), dtype)


@pytest.mark.parametrize("dtypes,expected", [((np.int32, np.float32), np.float32),
                                             ((np.int8, np.uint8), np.int16),
                                             ((np.bool_, np.int32), np.int32),
                                             ((np.float16, np.int32), np.float16)])
def test_concatenate_promotes_like_jax(dtypes, expected):
    arrays = [np.ones(2, d) for d in dtypes]
    assert jnp.concatenate(arrays).dtype == expected
    assert jnp.concatenate(arrays, dtype=np.int32).dtype == np.int32


def test_concatenate_weak_and_x64(x64):
    weak = ArrayImpl(np.ones(2, np.float64), True)
    assert jnp.concatenate([weak, weak]).weak_type
    out = jnp.concatenate([weak, np.ones(1, np.float32)])
    assert out.dtype == np.float32 and not out.weak_type
    check(jnp.concatenate([np.ones(1, np.int64), np.ones(1, np.float64)]), np.ones(2),
          np.float64)


def test_concatenate_errors():
    with pytest.raises(ValueError, match="concatenate: zero-dimensional"):
        jnp.concatenate([jnp.ones(()), jnp.ones(())])
    with pytest.raises(ValueError, match="concatenate"):
        jnp.concatenate([])
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\), \(2, 4\)"):
        jnp.concatenate([jnp.ones((2, 3)), jnp.ones((2, 4))])
    with pytest.raises(ValueError, match="concatenate"):
        jnp.concatenate([jnp.ones((2, 3)), jnp.ones((2, 3))], axis=2)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_matches_numpy(axis):
    arrays = [data((2, 3)), data((2, 3)) + 1]
    check(jnp.stack(arrays, axis), np.stack(arrays, axis), np.float32)
    check(jnp.stack(jnp.asarray(np.stack(arrays)), axis), np.stack(arrays, axis), np.float32)
    with pytest.raises(ValueError, match="stack"):
        jnp.stack([np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="stack"):
        jnp.stack(arrays, 3)


@pytest.mark.parametrize("fn", ["hstack", "vstack", "dstack", "column_stack"])
@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (3,)], [(2, 3), (2, 3)],
                                    [(2, 3, 2), (2, 3, 2)]])
def test_stacking_helpers(fn, shapes):
    arrays = [data(s, np.int32) for s in shapes]
    check(getattr(jnp, fn)(arrays), getattr(np, fn)(arrays), np.int32)


# ---- splitting --------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [2, 3, [1, 4], [-2], [0, 0, 7], [4, 2]])
@pytest.mark.parametrize("axis", [0, -1])
def test_split_family_matches_numpy(spec, axis):
    a = data((6, 6), np.int32)
    if isinstance(spec, int) and 6 % spec == 0:
        check_list(jnp.split(a, spec, axis), np.split(a, spec, axis), np.int32)
    if not isinstance(spec, int):
        check_list(jnp.split(a, spec, axis), np.split(a, spec, axis), np.int32)
    check_list(jnp.array_split(a, spec, axis), np.array_split(a, spec, axis), np.int32)
    check_list(jnp.array_split(a[:5], 4), np.array_split(a[:5], 4), np.int32)


def test_hvd_split():
    a = data((4, 6, 2))
    check_list(jnp.hsplit(a, 3), np.hsplit(a, 3), np.float32)
    check_list(jnp.hsplit(a[0, :, 0], [2]), np.hsplit(a[0, :, 0], [2]), np.float32)
    check_list(jnp.vsplit(a, 2), np.vsplit(a, 2), np.float32)
    check_list(jnp.dsplit(a, [1]), np.dsplit(a, [1]), np.float32)


def test_split_errors():
    with pytest.raises(ValueError, match="split: array split does not result in an equal"):
        jnp.split(jnp.ones(5), 2)
    with pytest.raises(ValueError, match="array_split"):
        jnp.array_split(jnp.ones(5), 0)
    with pytest.raises(ValueError, match="vsplit"):
        jnp.vsplit(jnp.ones(4), 2)
    with pytest.raises(ValueError, match="dsplit"):
        jnp.dsplit(jnp.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="hsplit"):
        jnp.hsplit(jnp.ones(()), 1)


# ---- tiling and repeating -------------------------------------------------------------

@pytest.mark.parametrize("shape,reps", [((3,), 2), ((3,), (2, 2)), ((2, 3), (1, 3)),
                                        ((2, 3), (2,)), ((), (2, 3)), ((2, 1, 3), (2, 0, 1))])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tile_matches_numpy(shape, reps, dtype):
    a = data(shape, dtype)
    check(jnp.tile(a, reps), np.tile(a, reps), dtype)
    with pytest.raises(ValueError, match="tile"):
        jnp.tile(a, -1)


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 0), (2, -1), ([1, 0, 2], 1),
                                          ([2, 1], 0), ([3], 1), (0, 0),
                                          (np.arange(40) % 3, None)])
def test_repeat_matches_numpy(repeats, axis):
    a = data((2, 3)) if np.size(repeats) != 40 else data((5, 8))
    check(jnp.repeat(a, repeats, axis), np.repeat(a, repeats, axis), np.float32)
    check(jnp.asarray(a).repeat(repeats, axis=axis), np.repeat(a, repeats, axis), np.float32)
    total = int(np.repeat(a, repeats, axis).shape[0 if axis is None else axis])
    check(jnp.repeat(a, repeats, axis, total_repeat_length=total),
          np.repeat(a, repeats, axis), np.float32)


def test_repeat_errors():
    a = jnp.ones((2, 3))
    with pytest.raises(ValueError, match="repeat"):
        jnp.repeat(a, [1, 2], 1)
    with pytest.raises(ValueError, match="repeat"):
        jnp.repeat(a, -1)
    with pytest.raises(TypeError, match="repeat"):
        jnp.repeat(a, 1.5)
    with pytest.raises(ValueError, match="total_repeat_length"):
        jnp.repeat(a, 2, 0, total_repeat_length=3)
    with pytest.raises(irax.ConcretizationTypeError):
        irax.make_graph(lambda r: jnp.repeat(a, r, 0))(np.array([1, 2], np.int32))


# ---- flipping and rolling --------------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_flip(axis):
    a = data((2, 3, 4), np.int32)
    check(jnp.flip(a, axis), np.flip(a, axis), np.int32)
    check(jnp.fliplr(a), np.fliplr(a), np.int32)
    check(jnp.flipud(a), np.flipud(a), np.int32)
    with pytest.raises(ValueError, match="fliplr"):
        jnp.fliplr(jnp.ones(3))
    with pytest.raises(ValueError, match="flip"):
        jnp.flip(a, 3)


@pytest.mark.parametrize("shift,axis", [(1, None), (-7, None), (2, 0), (-1, -1), ((1, 2), (0, 1)),
                                        (3, (0, 1)), ((1, -1), 1), (0, 0)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_roll_matches_numpy(shift, axis, dtype):
    a = data((3, 4), dtype)
    check(jnp.roll(a, shift, axis), np.roll(a, shift, axis), dtype)


@pytest.mark.parametrize("shift", [-9, -1, 0, 1, 4, 10])
def test_roll_traced_shift(shift):
    a = data((3, 4))
    check(traced(lambda x, s: jnp.roll(x, s, 1), a, np.int32(shift)), np.roll(a, shift, 1),
          np.float32)
    check(traced(lambda x, s: jnp.roll(x, s), a, np.int32(shift)), np.roll(a, shift),
          np.float32)
    check(traced(lambda x, s: jnp.roll(x, s, (0, 1)), a, np.array([shift, 1], np.int32)),
          np.roll(a, (shift, 1), (0, 1)), np.float32)


def test_roll_errors():
    with pytest.raises(ValueError, match="roll"):
        jnp.roll(jnp.ones(3), (1, 2), (0, 0, 0))
    with pytest.raises(ValueError, match="roll"):
        jnp.roll(jnp.ones(3), 1.5, 0)
    with pytest.raises(ValueError, match="roll"):
        jnp.roll(jnp.ones(3), 1, 1)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (-1, -2)])
def test_rot90_matches_numpy(k, axes):
    a = data((2, 3, 4), np.int32)
    check(jnp.rot90(a, k, axes), np.rot90(a, k, axes), np.int32)


def test_rot90_errors():
    with pytest.raises(ValueError, match="rot90"):
        jnp.rot90(jnp.ones(3))
    with pytest.raises(ValueError, match="rot90"):
        jnp.rot90(jnp.ones((2, 2)), axes=(0, 0))
    with pytest.raises(ValueError, match="rot90"):
        jnp.rot90(jnp.ones((2, 2)), axes=(0, 1, 2))


# ---- padding ------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.data(),
       st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap", "empty"]),
       st.sampled_from([np.float32, np.int32]))
def test_pad_matches_numpy(shape, draw, mode, dtype):
    widths = draw.draw(st.one_of(
        st.integers(0, 9), st.tuples(st.integers(0, 9), st.integers(0, 9)),
        st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=len(shape),
                 max_size=len(shape))))
    a = data(shape, dtype)
    expected = np.pad(a, widths, mode="constant" if mode == "empty" else mode)
    check(jnp.pad(a, widths, mode), expected, dtype)


def test_pad_constant_values():
    a = data((2, 3), np.int32)
    check(jnp.pad(a, 1, constant_values=7), np.pad(a, 1, constant_values=7), np.int32)
    check(jnp.pad(a, ((1, 0), (2, 1)), constant_values=((1, 2), (3, 4))),
          np.pad(a, ((1, 0), (2, 1)), constant_values=((1, 2), (3, 4))), np.int32)
    check(jnp.pad(a, 1, constant_values=2.7), np.pad(a, 1, constant_values=2), np.int32)
    check(traced(lambda x, v: jnp.pad(x, (1, 2), constant_values=v), a, np.int32(5)),
          np.pad(a, (1, 2), constant_values=5), np.int32)
    check(jnp.pad(np.zeros((0, 2), np.float32), 1), np.pad(np.zeros((0, 2)), 1), np.float32)


def test_pad_traced_and_grad():
    a = data((3,))
    check(traced(lambda x: jnp.pad(x, (2, 3), "reflect"), a), np.pad(a, (2, 3), "reflect"),
          np.float32)
    g = irax.grad(lambda x: jnp.sum(jnp.pad(x, (2, 0), "edge") * np.arange(5.0)))(a)
    check(g, np.array([0.0 + 1 + 2, 3, 4]), np.float32)


def test_pad_errors():
    with pytest.raises(ValueError, match="pad"):
        jnp.pad(jnp.ones(3), -1)
    with pytest.raises(ValueError, match="pad"):
        jnp.pad(jnp.ones(3), ((1, 1), (1, 1)))
    with pytest.raises(ValueError, match="pad: unsupported mode"):
        jnp.pad(jnp.ones(3), 1, mode="median")
    with pytest.raises(ValueError, match="pad"):
        jnp.pad(jnp.ones(0), 1, mode="edge")
    with pytest.raises(TypeError, match="pad"):
        jnp.pad(jnp.ones(3), 1.5)


# ---- diagonals -----------------------------------------------------------------------------

@pytest.mark.parametrize("k", [-3, -1, 0, 2, 5])
@pytest.mark.parametrize("dtype", DTYPES)
def test_diag_diagflat(k, dtype):
    v = data((3,), dtype)
    check(jnp.diag(v, k), np.diag(v, k), dtype)
    m = data((3, 4), dtype)
    check(jnp.diag(m, k), np.diag(m, k), dtype)
    check(jnp.diagflat(data((2, 2), dtype), k), np.diagflat(data((2, 2), dtype), k), dtype)
    check(traced(lambda x: jnp.diag(x, k), v), np.diag(v, k), dtype)


@pytest.mark.parametrize("offset", [-4, -1, 0, 1, 3, 6])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (-1, 1), (2, 0)])
def test_diagonal_and_trace_match_numpy(offset, axes):
    a = data((3, 4, 5))
    check(jnp.diagonal(a, offset, *axes), np.diagonal(a, offset, *axes), np.float32)
    check(jnp.asarray(a).diagonal(offset, *axes), np.diagonal(a, offset, *axes), np.float32)
    check(jnp.trace(a, offset, *axes), np.trace(a, offset, *axes), np.float32)
    check(traced(lambda x: jnp.trace(x, offset, *axes), a), np.trace(a, offset, *axes),
          np.float32)


@pytest.mark.parametrize("dtype,expected", [(np.int8, np.int32), (np.uint8, np.int32),
                                            (np.int32, np.int32), (np.uint32, np.uint32),
                                            (np.float16, np.float16), (np.bool_, np.bool_)])
def test_trace_dtype_follows_jax(dtype, expected):
    a = np.eye(3, dtype=dtype)
    out = jnp.trace(a)
    assert out.dtype == expected
    assert int(out) == (1 if dtype == np.bool_ else 3)
    assert jnp.trace(a, dtype=np.float32).dtype == np.float32


def test_trace_x64(x64):
    assert jnp.trace(np.eye(2, dtype=np.int32)).dtype == np.int64
    assert jnp.trace(np.eye(2)).dtype == np.float64


def test_diagonal_errors_and_grad():
    with pytest.raises(ValueError, match="diagonal"):
        jnp.diagonal(jnp.ones(3))
    with pytest.raises(ValueError, match="diagonal: axis1 and axis2"):
        jnp.diagonal(jnp.ones((2, 2)), 0, 1, 1)
    with pytest.raises(ValueError, match="diag"):
        jnp.diag(jnp.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="trace"):
        jnp.trace(jnp.ones((2, 2)), 0, 0, 2)
    check(irax.grad(lambda x: jnp.trace(x))(jnp.ones((2, 3))), np.eye(2, 3), np.float32)


@pytest.mark.parametrize("n,k,m", [(3, 0, None), (4, 1, None), (3, -1, 5), (0, 0, None)])
def test_tri_indices(n, k, m):
    check_list(jnp.triu_indices(n, k, m), np.triu_indices(n, k, m), np.int32)
    check_list(jnp.tril_indices(n, k, m), np.tril_indices(n, k, m), np.int32)
