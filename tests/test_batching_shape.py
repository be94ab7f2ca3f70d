"""Batching rules of the structural, reduction, contraction and sorting primitives
(transforms/rules/<family>.py): every rule against a Python loop over the batch,
for batch dims first/middle/last/absent on each operand, in float32 and int32."""
import itertools

import numpy as np
import pytest

import irax
from irax import lax
from irax.core.primitives import linalg, reductions, sorting
from irax.core.primitives import structural as st
from irax.transforms.batching import BATCH_RULES

B = 3  # batch size
rng = np.random.RandomState(0)


def _data(shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.rand(*shape) < 0.6
    if dtype.kind == "i":
        return rng.randint(-4, 5, size=shape).astype(dtype)  # small ints: ties included
    return rng.standard_normal(shape).astype(dtype)


def _batch_dim_choices(ndim):
    """First, middle and last position of the batch dim in a rank-`ndim` operand, or None."""
    return sorted({0, (ndim + 1) // 2, ndim}) + [None]


def _check(fun, shapes, dtypes):
    """`vmap(fun)` over every combination of operand batch dims equals the loop."""
    for dims in itertools.product(*[_batch_dim_choices(len(s)) for s in shapes]):
        if all(d is None for d in dims):
            continue
        args = [_data(s if d is None else s[:d] + (B,) + s[d:], t)
                for s, d, t in zip(shapes, dims, dtypes)]
        got = irax.vmap(fun, in_axes=dims)(*args)
        members = [fun(*[a if d is None else np.take(a, i, axis=d)
                         for a, d in zip(args, dims)]) for i in range(B)]
        if isinstance(got, (tuple, list)):
            pairs = [(g, np.stack([np.asarray(m[k]) for m in members]))
                     for k, g in enumerate(got)]
        else:
            pairs = [(got, np.stack([np.asarray(m) for m in members]))]
        for g, want in pairs:
            g = np.asarray(g)
            assert g.dtype == want.dtype and g.shape == want.shape, (dims, g.shape, want.shape)
            np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-5, err_msg=f"dims={dims}")


F32, I32 = np.float32, np.int32
CASES = {
    # id: (function, unbatched operand shapes, dtype choices (one per operand or shared))
    "broadcast_in_dim": (lambda x: lax.broadcast_in_dim(x, (2, 3, 4), (1,)), [(3,)], None),
    "broadcast_in_dim_expand": (lambda x: lax.broadcast_in_dim(x, (3, 4, 5), (0, 2)),
                                [(3, 1)], None),
    "broadcast_in_dim_scalar": (lambda x: lax.broadcast_in_dim(x, (2, 3), ()), [()], None),
    "reshape": (lambda x: lax.reshape(x, (6, 4)), [(2, 3, 4)], None),
    "reshape_dimensions": (lambda x: lax.reshape(x, (4, 6), (2, 0, 1)), [(2, 3, 4)], None),
    "reshape_to_scalar": (lambda x: lax.reshape(x, ()), [(1, 1)], None),
    "transpose": (lambda x: lax.transpose(x, (2, 0, 1)), [(2, 3, 4)], None),
    "rev": (lambda x: lax.rev(x, (0, 2)), [(2, 3, 4)], None),
    "slice": (lambda x: lax.slice(x, (1, 0), (4, 5)), [(5, 6)], None),
    "slice_strided": (lambda x: lax.slice(x, (1, 0), (5, 6), (2, 3)), [(5, 6)], None),
    "concatenate": (lambda a, b, c: lax.concatenate([a, b, c], 1),
                    [(2, 3), (2, 1), (2, 2)], None),
    "concatenate_dim0": (lambda a, b: lax.concatenate([a, b], 0), [(2, 3), (1, 3)], None),
    "pad": (lambda x, v: lax.pad(x, v, ((1, 2, 1), (0, -1, 0))), [(3, 4), ()], None),
    "pad_negative_low": (lambda x, v: lax.pad(x, v, ((-1, 1, 0), (2, 0, 2))), [(3, 2), ()],
                         None),
    "reduce_sum": (lambda x: lax.reduce_sum(x, (0, 2)), [(2, 3, 4)], None),
    "reduce_prod": (lambda x: lax.reduce_prod(x, (1,)), [(2, 3, 4)], None),
    "reduce_max": (lambda x: lax.reduce_max(x, (0, 1, 2)), [(2, 3, 4)], None),
    "reduce_min": (lambda x: lax.reduce_min(x, (2,)), [(2, 3, 4)], None),
    "reduce_and": (lambda x: lax.reduce_and(x, (1,)), [(2, 3, 4)], [(I32,), (np.bool_,)]),
    "reduce_or": (lambda x: lax.reduce_or(x, (0, 2)), [(2, 3, 4)], [(I32,), (np.bool_,)]),
    "argmax": (lambda x: lax.argmax(x, 1, np.int32), [(3, 4, 5)], None),
    "argmin": (lambda x: lax.argmin(x, 0, np.int32), [(3, 4, 5)], None),
    "cumsum": (lambda x: lax.cumsum(x, 1), [(3, 4)], None),
    "cumprod": (lambda x: lax.cumprod(x, 0, reverse=True), [(3, 4)], None),
    "cummax": (lambda x: lax.cummax(x, 1, reverse=True), [(3, 4)], None),
    "cummin": (lambda x: lax.cummin(x, 0), [(3, 4)], None),
    "dot_matmul": (lambda a, b: lax.dot_general(a, b, (((1,), (0,)), ((), ()))),
                   [(3, 4), (4, 5)], None),
    "dot_vector": (lambda a, b: lax.dot_general(a, b, (((0,), (0,)), ((), ()))),
                   [(4,), (4,)], None),
    "dot_outer": (lambda a, b: lax.dot_general(a, b, (((), ()), ((), ()))), [(3,), (2,)], None),
    "dot_batched": (lambda a, b: lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,)))),
                    [(2, 3, 4), (2, 4, 5)], None),
    "dot_batch_unsorted": (lambda a, b: lax.dot_general(a, b, (((0, 3), (3, 0)),
                                                                ((2, 1), (1, 2)))),
                           [(4, 5, 2, 3, 2), (3, 2, 5, 4)], None),
    "dot_preferred": (lambda a, b: lax.dot_general(a, b, (((1,), (0,)), ((), ())),
                                                   preferred_element_type=np.float32),
                      [(3, 4), (4, 2)], [(I32, I32), (F32, F32)]),
    "sort": (lambda x: lax.sort(x, 1), [(3, 4)], None),
    "sort_dim0": (lambda x: lax.sort(x, 0), [(4, 3)], None),
    "sort_key_val": (lambda k, v: lax.sort((k, v), 0, num_keys=1), [(5, 2), (5, 2)],
                     [(I32, F32), (F32, I32)]),
    "sort_two_keys": (lambda a, b, c: lax.sort((a, b, c), 1, num_keys=2),
                      [(2, 6), (2, 6), (2, 6)], [(I32, I32, F32)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_matches_loop(name):
    fun, shapes, dtype_choices = CASES[name]
    if dtype_choices is None:
        dtype_choices = [(dtype,) * len(shapes) for dtype in (F32, I32)]
    for dtypes in dtype_choices:
        _check(fun, shapes, dtypes)


def test_every_rule_is_registered():
    prims = [st.broadcast_in_dim_p, st.reshape_p, st.transpose_p, st.rev_p, st.slice_p,
             st.concatenate_p, st.pad_p, reductions.reduce_sum_p, reductions.reduce_prod_p,
             reductions.reduce_max_p, reductions.reduce_min_p, reductions.reduce_and_p,
             reductions.reduce_or_p, reductions.argmax_p, reductions.argmin_p,
             reductions.cumsum_p, reductions.cumprod_p, reductions.cummax_p,
             reductions.cummin_p, linalg.dot_general_p, sorting.sort_p]
    assert [p.name for p in prims if p not in BATCH_RULES] == []


@pytest.mark.parametrize("prim, params, bdim, out_bdim", [
    (reductions.reduce_sum_p, {"axes": (0, 1)}, 1, 0),
    (reductions.argmax_p, {"axis": 0, "index_dtype": np.dtype(np.int32)}, 1, 0),
    (reductions.cumsum_p, {"axis": 0, "reverse": False}, 2, 2),
    (st.transpose_p, {"permutation": (1, 0)}, 2, 2),
    (st.rev_p, {"dimensions": (1,)}, 1, 1),
    (st.slice_p, {"start_indices": (1, 0), "limit_indices": (2, 3), "strides": None}, 1, 1),
    (st.broadcast_in_dim_p, {"shape": (2, 4, 3), "broadcast_dimensions": (0, 2)}, 1, 1),
])
def test_batch_dim_stays_in_place(prim, params, bdim, out_bdim):
    """One equation, no transpose: the batch dim is carried where it is."""
    shape = (2, 3)
    x = np.ones(shape[:bdim] + (5,) + shape[bdim:], np.float32)
    dims = []

    def apply(v):
        out, d = BATCH_RULES[prim]([v], [bdim], **params)
        dims.append(d)
        return out

    graph = irax.make_graph(apply)(x)
    assert [e.primitive.name for e in graph.graph.eqns] == [prim.name]
    assert dims == [out_bdim]


def test_dot_general_one_side_batched_stays_a_single_contraction():
    a, b = np.ones((3, 7, 4), np.float32), np.ones((4, 5), np.float32)
    dims = (((1,), (0,)), ((), ()))

    def apply(x, y):
        out, d = BATCH_RULES[linalg.dot_general_p]([x, y], [1, None], dimension_numbers=dims,
                                                   preferred_element_type=None)
        assert d == 1
        return out

    graph = irax.make_graph(apply)(np.swapaxes(a, 0, 1), b)
    assert [e.primitive.name for e in graph.graph.eqns] == ["dot_general"]


def test_vmap_of_vmap():
    x = _data((2, 3, 4, 5), F32)
    w = _data((5, 6), F32)

    def f(a, m):  # a: (4, 5) per member
        y = lax.dot_general(lax.rev(a, (0,)), m, (((1,), (0,)), ((), ())))
        return lax.reduce_max(lax.cumsum(y, 1), (0,))

    got = irax.vmap(irax.vmap(f, in_axes=(1, None)), in_axes=(0, None))(x, w)
    want = np.stack([np.stack([np.asarray(f(x[i, :, j], w)) for j in range(4)])
                     for i in range(2)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def _composite(x, v, keys):
    """Several of the rules in one function (x: (4, 3), v: scalar, keys: (6,))."""
    y = lax.transpose(lax.reshape(x, (2, 6)), (1, 0))                 # (6, 2)
    y = lax.concatenate([y, lax.broadcast_in_dim(keys, (6, 1), (0,))], 1)  # (6, 3)
    y = lax.pad(y, v, ((1, 0, 0), (0, 1, 1)))                         # (7, 6)
    k, s = lax.sort((lax.concatenate([keys, lax.slice(keys, (0,), (1,))], 0),
                     lax.reduce_sum(y, (1,))), 0)
    index = lax.convert_element_type(lax.argmax(y, 1, np.int32), np.float32)
    return lax.mul(s, index), lax.cumprod(k, 0)


def test_vmap_of_composite_matches_loop_and_jit():
    xs = _data((4, 3, 5), F32)
    vs = _data((5,), F32)
    keys = _data((6,), F32)
    mapped = irax.vmap(_composite, in_axes=(2, 0, None))
    loop = [_composite(xs[..., i], vs[i], keys) for i in range(5)]
    for got in (mapped(xs, vs, keys), irax.jit(mapped)(xs, vs, keys)):
        for k in range(2):
            np.testing.assert_allclose(np.asarray(got[k]),
                                       np.stack([np.asarray(o[k]) for o in loop]),
                                       rtol=1e-5, atol=1e-5)


def test_jit_of_vmapped_contraction_with_unsorted_batch_dims():
    fun, (ls, rs), _ = CASES["dot_batch_unsorted"]
    a, b = _data(ls[:2] + (B,) + ls[2:], F32), _data(rs[:3] + (B,) + rs[3:], F32)
    got = irax.jit(irax.vmap(fun, in_axes=(2, 3)))(a, b)
    want = np.stack([np.asarray(fun(a[:, :, i], b[:, :, :, i])) for i in range(B)])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)

