"""Batching rules of gather, the scatters, dynamic_slice and dynamic_update_slice
(transforms/rules/indexing.py, transforms/rules/structural.py): every rule against a
Python loop over the batch, with in-bounds and out-of-bounds indices, in every mode,
for batch dims first/middle/last/absent on each operand, in float32 and int32."""
import functools
import itertools

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.transforms.tracing import make_graph
from irax.core.primitives import indexing as ix
from irax.core.primitives import structural as st
from irax.transforms.batching import BATCH_RULES

B = 3  # batch size
F32, I32 = np.float32, np.int32
MODES = ["clip", "fill", "promise_in_bounds"]
rng = np.random.RandomState(0)
P = functools.partial


def _values(shape, dtype):
    if np.dtype(dtype).kind == "i":
        return rng.randint(-5, 6, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _indices(shape, high, out_of_bounds, dtype=I32):
    """Random start indices in [0, high] (in bounds) or in [-2, high + 2]."""
    lo, hi = (-2, high + 3) if out_of_bounds else (0, high + 1)
    return rng.randint(lo, hi, size=shape).astype(dtype)


def _batch_dim_choices(ndim):
    """First, middle and last position of the batch dim in a rank-`ndim` operand, or None."""
    return sorted({0, (ndim + 1) // 2, ndim}) + [None]


def _batched(make, dim):
    """A value from `make(shape_prefix)` with a batch dim of size B at `dim`."""
    if dim is None:
        return make()
    return np.moveaxis(np.stack([make() for _ in range(B)]), 0, dim)


def _check(fun, makers, dim_choices=None):
    """`vmap(fun)` over every combination of batch dims of its operands (made by
    `makers`, functions of no argument) equals the loop over the batch members."""
    ranks = [np.ndim(m()) for m in makers]
    choices = dim_choices or [_batch_dim_choices(r) for r in ranks]
    for dims in itertools.product(*choices):
        if all(d is None for d in dims):
            continue
        args = [_batched(m, d) for m, d in zip(makers, dims)]
        got = np.asarray(irax.vmap(fun, in_axes=dims)(*args))
        want = np.stack([np.asarray(fun(*[a if d is None else np.take(a, i, axis=d)
                                          for a, d in zip(args, dims)])) for i in range(B)])
        assert got.dtype == want.dtype and got.shape == want.shape, (dims, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"dims={dims}")


GDN, SDN = ix.GatherDimensionNumbers, ix.ScatterDimensionNumbers
GATHERS = {
    # id: (operand shape, indices batch shape, dimension numbers, slice sizes)
    "rows": ((5, 4), (3,), GDN((1,), (0,), (0,)), (1, 4)),
    "windows_2d": ((6, 5), (2,), GDN((1, 2), (), (0, 1)), (2, 3)),
    "interleaved": ((4, 6, 3), (2, 3), GDN((1, 3), (1,), (1,)), (2, 1, 3)),
    "batching_dims": ((3, 5), (3, 2), GDN((), (1,), (1,), (0,), (0,)), (1, 1)),
    "reversed_map": ((5, 6), (2,), GDN((), (0, 1), (1, 0)), (1, 1)),
}


@pytest.mark.parametrize("name", list(GATHERS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [F32, I32])
def test_gather(name, mode, dtype):
    shape, batch, dn, sizes = GATHERS[name]
    n = len(dn.start_index_map)
    high = min(shape[d] - sizes[d] for d in dn.start_index_map)
    fun = lambda x, i: lax.gather(x, i, dn, sizes, mode=mode)
    for out_of_bounds in (False, True):
        _check(fun, [P(_values, shape, dtype),
                     P(_indices, batch + (n,), high, out_of_bounds)])


def test_gather_fill_value():
    dn = GDN((1,), (0,), (0,))
    fun = lambda x, i: lax.gather(x, i, dn, (1, 2), mode="fill", fill_value=-7)
    _check(fun, [P(_values, (4, 2), F32), P(_indices, (5, 1), 3, True)])


SCATTERS = {
    # id: (operand shape, indices shape, updates shape, dimension numbers)
    "elements": ((5,), (4, 1), (4,), SDN((), (0,), (0,))),
    "rows": ((5, 4), (3, 1), (3, 4), SDN((1,), (0,), (0,))),
    "windows_2d": ((6, 5), (2, 2), (2, 2, 3), SDN((1, 2), (), (0, 1))),
    "window_first": ((4, 6), (2, 1), (4, 2), SDN((0,), (1,), (1,))),
    "batching_dims": ((3, 5), (3, 2, 1), (3, 2), SDN((), (1,), (1,), (0,), (0,))),
}
SCATTER_FUNS = [lax.scatter, lax.scatter_add, lax.scatter_mul, lax.scatter_min,
                lax.scatter_max]


def _scatter_high(shape, updates_shape, dn):
    kept = [d for d in range(len(shape))
            if d not in dn.inserted_window_dims and d not in dn.operand_batching_dims]
    window = [1] * len(shape)
    for d, u in zip(kept, dn.update_window_dims):
        window[d] = updates_shape[u]
    return min(shape[d] - window[d] for d in dn.scatter_dims_to_operand_dims)


@pytest.mark.parametrize("name", list(SCATTERS))
@pytest.mark.parametrize("scatter", SCATTER_FUNS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", MODES)
def test_scatter(name, scatter, mode):
    shape, idx_shape, upd_shape, dn = SCATTERS[name]
    high = _scatter_high(shape, upd_shape, dn)
    fun = lambda x, i, u: scatter(x, i, u, dn, mode=mode)
    for dtype, out_of_bounds in ((F32, False), (I32, True)):
        _check(fun, [P(_values, shape, dtype),
                     P(_indices, idx_shape, high, out_of_bounds),
                     P(_values, upd_shape, dtype)])


def _scatter_add(x, i, u, *, dn, mode):
    return lax.scatter_add(x, i, u, dn, mode=mode)


def test_scatter_in_bounds_int_and_out_of_bounds_float():
    for shape, idx_shape, upd_shape, dn in SCATTERS.values():
        high = _scatter_high(shape, upd_shape, dn)
        for mode in ("clip", "fill"):
            fun = P(_scatter_add, dn=dn, mode=mode)
            for dtype, oob in ((I32, False), (F32, True)):
                _check(fun, [P(_values, shape, dtype),
                             P(_indices, idx_shape, high, oob),
                             P(_values, upd_shape, dtype)])


DS_CHOICES = [[0, 1, 2, None], [0, None], [0, None]]   # operand, then scalar starts


@pytest.mark.parametrize("dtype", [F32, I32])
@pytest.mark.parametrize("start_dtypes", [(I32, I32), (I32, np.int8), (np.uint8, I32)])
def test_dynamic_slice(dtype, start_dtypes):
    fun = lambda x, i, j: lax.dynamic_slice(x, (i, j), (2, 3))
    for oob in (False, True):
        _check(fun, [P(_values, (5, 6), dtype),
                     P(_indices, (), 3, oob, start_dtypes[0]),
                     P(_indices, (), 3, oob, start_dtypes[1])], DS_CHOICES)


def test_dynamic_slice_of_a_scalar_and_of_one_dim():
    _check(lambda x: lax.dynamic_slice(x, (), ()), [P(_values, (), F32)], [[0]])
    _check(lambda x, i: lax.dynamic_slice(x, (i,), (2,)),
           [P(_values, (4,), I32), P(_indices, (), 2, True)], [[0, 1, None], [0, None]])


@pytest.mark.parametrize("dtype", [F32, I32])
@pytest.mark.parametrize("start_dtypes", [(I32, I32), (np.int8, I32)])
def test_dynamic_update_slice(dtype, start_dtypes):
    fun = lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j))
    for oob in (False, True):
        _check(fun, [P(_values, (5, 6), dtype), P(_values, (2, 3), dtype),
                     P(_indices, (), 3, oob, start_dtypes[0]),
                     P(_indices, (), 3, oob, start_dtypes[1])],
               [[0, 1, 2, None], [0, 2, None], [0, None], [0, None]])


def test_dynamic_update_slice_weak_type():
    # dynamic_update_slice is weakly typed only when operand and update both are
    def fun(u, i):
        return lax.dynamic_update_slice(jnp.zeros(4) + 1.0, u, (i,))
    for in_axes in ((0, 0), (0, None), (None, 0)):
        u = np.ones((B, 2), F32) if in_axes[0] == 0 else np.ones(2, F32)
        i = np.arange(B, dtype=I32) if in_axes[1] == 0 else np.int32(1)
        out = irax.vmap(fun, in_axes=in_axes)(u, i)
        member = fun(u[0] if in_axes[0] == 0 else u, i[0] if in_axes[1] == 0 else i)
        assert out.aval.weak_type == member.aval.weak_type


def test_every_rule_is_registered():
    prims = [ix.gather_p, ix.scatter_p, ix.scatter_add_p, ix.scatter_mul_p, ix.scatter_min_p,
             ix.scatter_max_p, st.dynamic_slice_p, st.dynamic_update_slice_p]
    assert [p.name for p in prims if p not in BATCH_RULES] == []


def _ops_before(graph, prim: str) -> str:
    """The equations of a printed graph up to the first `prim` equation."""
    text = str(graph)
    return text[:text.index(f"= {prim}[")]


def test_batch_dims_stay_in_place():
    # no transpose where the dimension numbers can carry the batch dim where it is
    x, i, u = _values((4, B, 5), F32), _indices((2, B, 1), 3, False), _values((2, B, 5), F32)
    g = lambda x, i: lax.gather(x, i, GDN((1,), (0,), (0,)), (1, 5), mode="clip")
    for in_axes in ((1, None), (None, 1), (1, 1)):
        args = [a if d is not None else a[:, 0] for a, d in zip((x, i), in_axes)]
        before = _ops_before(make_graph(irax.vmap(g, in_axes=in_axes))(*args), "gather")
        assert "transpose" not in before, before
    s = lambda x, i, u: lax.scatter_add(x, i, u, SDN((1,), (0,), (0,)))
    for in_axes in ((1, None, 1), (1, 1, 1), (None, 1, 1)):
        args = [a if d is not None else a[:, 0] for a, d in zip((x, i, u), in_axes)]
        before = _ops_before(make_graph(irax.vmap(s, in_axes=in_axes))(*args), "scatter_add")
        assert "transpose" not in before, before


def test_empty_batch():
    dn = GDN((1,), (0,), (0,))
    out = irax.vmap(lambda x, i: lax.gather(x, i, dn, (1, 4)))(
        np.zeros((0, 5, 4), F32), np.zeros((0, 2, 1), I32))
    assert out.shape == (0, 2, 4)
    out = irax.vmap(lambda x, i, u: lax.scatter_add(x, i, u, SDN((1,), (0,), (0,))))(
        np.zeros((0, 5, 4), F32), np.zeros((0, 2, 1), I32), np.zeros((0, 2, 4), F32))
    assert out.shape == (0, 5, 4)


# ---- through irax.numpy -----------------------------------------------------------

def test_numpy_indexing_under_vmap():
    x = _values((B, 5, 4), F32)
    idx = _indices((B, 3), 4, False) - 2            # negative indices wrap
    cases = [
        (lambda a, i: a[i], (0, 0)), (lambda a, i: a[i], (0, None)),
        (lambda a, i: a[i], (None, 0)), (lambda a, i: a[:, i], (2, 0)),
        (lambda a, i: a[i, 1:3], (1, 0)), (lambda a, i: a[i[0]], (0, 0)),
        (lambda a, i: a.at[i].set(7.0), (0, 0)), (lambda a, i: a.at[i].add(1.0), (None, 0)),
        (lambda a, i: a.at[:, i].multiply(2.0), (2, None)),
        (lambda a, i: a.at[i].set(a[i] * 2), (0, 0)),
        (lambda a, i: a.at[i + 3].get(mode="fill", fill_value=-1.0), (0, 0)),
        (lambda a, i: a.at[i + 3].min(0.0, mode="drop"), (0, 0)),
        (lambda a, i: a.at[i + 3].max(0.0, mode="clip"), (0, 0)),
        (lambda a, i: jnp.take(a, i + 3, axis=1, mode="clip"), (1, 0)),
    ]
    for fun, (xd, id_) in cases:
        xa = x[0] if xd is None else np.moveaxis(x, 0, xd)
        ia = idx[0] if id_ is None else idx
        got = irax.vmap(fun, in_axes=(xd, id_))(jnp.asarray(xa), jnp.asarray(ia))
        want = np.stack([np.asarray(fun(jnp.asarray(x[b] if xd is not None else xa),
                                        jnp.asarray(idx[b] if id_ is not None else ia)))
                         for b in range(B)])
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_jit_of_vmap_compiles_batching_dims():
    # StableHLO batching dims and the CLIP gather/scatter of dynamic slices, run by IREE
    x, u = _values((B, 5, 4), F32), _values((B, 2, 4), F32)
    i = _indices((B, 2, 1), 4, True)
    starts = _indices((B,), 3, True)
    funs = [
        (lambda x, i, u, s: lax.gather(x, i, GDN((1,), (0,), (0,)), (1, 4), mode="fill")),
        (lambda x, i, u, s: lax.scatter_add(x, i, u, SDN((1,), (0,), (0,)))),
        (lambda x, i, u, s: lax.dynamic_slice(x, (s, np.int32(0)), (2, 4))),
        (lambda x, i, u, s: lax.dynamic_update_slice(x, u, (s, np.int32(0)))),
    ]
    for fun in funs:
        got = irax.jit(irax.vmap(fun))(x, i, u, starts)
        want = np.stack([np.asarray(fun(x[b], i[b], u[b], starts[b])) for b in range(B)])
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
