"""lax's windowed reductions (reduce_window: the sum/max/min primitives and the generic
form) and the related reductions (reduce, cumlogsumexp, top_k, optimization_barrier),
against NumPy references written as loops over windows, finite differences
(check_grads, float64), Python loops over a batch (vmap), and jit (every compiled
function called twice, with different inputs)."""
import functools
import itertools

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.core.errors import ShapeError
from irax.core.primitives import windowed as win
from irax.test_util import check_grads

# A program IREE fails to compile would run op by op and match eager trivially.
pytestmark = pytest.mark.filterwarnings(
    "error::irax.runtime.compile_fallback.CompileFallbackWarning")


# ---- NumPy references ------------------------------------------------------------------

def pads_of(shape, window, strides, padding, window_dilation):
    """Explicit pads, computed here from JAX's definition of the padding names."""
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    if padding == "VALID":
        return [(0, 0)] * len(shape)
    pads = []
    for n, w, s, wd in zip(shape, window, strides, window_dilation):
        span = (w - 1) * wd + 1
        total = max((int(np.ceil(n / s)) - 1) * s + span - n, 0)
        pads.append((total // 2, total - total // 2) if padding == "SAME"
                    else (total - total // 2, total // 2))
    return pads


def ref_windows(x, fill, window, strides, padding, base_dilation, window_dilation):
    """{output index: [the window's elements in row-major order]}; padding and holes
    are `fill`."""
    nd = x.ndim
    strides = strides or (1,) * nd
    base_dilation = base_dilation or (1,) * nd
    window_dilation = window_dilation or (1,) * nd
    pads = pads_of(x.shape, window, strides, padding, window_dilation)
    dilated = [0 if n == 0 else (n - 1) * bd + 1 for n, bd in zip(x.shape, base_dilation)]
    out_shape = []
    for n, w, s, (lo, hi), wd in zip(dilated, window, strides, pads, window_dilation):
        padded, span = n + lo + hi, (w - 1) * wd + 1
        out_shape.append(0 if padded < span else (padded - span) // s + 1)
    windows = {}
    for out_index in itertools.product(*map(range, out_shape)):
        elements = []
        for offset in itertools.product(*map(range, window)):
            source = []
            for o, k, s, wd, (lo, _), n, bd in zip(out_index, offset, strides, window_dilation,
                                                   pads, dilated, base_dilation):
                q = o * s + k * wd - lo
                source.append(q // bd if 0 <= q < n and q % bd == 0 else None)
            elements.append(fill if None in source else x[tuple(source)])
        windows[out_index] = elements
    return windows, tuple(out_shape)


def ref_reduce_window(x, init, fn, window, strides=None, padding="VALID", base_dilation=None,
                      window_dilation=None):
    """`functools.reduce(fn, window, init)` for each window (JAX's lax_reference)."""
    windows, out_shape = ref_windows(x, init, window, strides, padding, base_dilation,
                                     window_dilation)
    out = np.empty(out_shape, x.dtype)
    for index, elements in windows.items():
        out[index] = functools.reduce(fn, elements, init)
    return out


def ref_pool_grad(x, cotangent, select, window, strides, padding):
    """The gradient of max/min pooling: each cotangent added at its window's first
    chosen operand element."""
    nd = x.ndim
    pads = pads_of(x.shape, window, strides, padding, (1,) * nd)
    grad = np.zeros_like(x)
    for out_index in itertools.product(*map(range, cotangent.shape)):
        best, where = None, None
        for offset in itertools.product(*map(range, window)):
            source = tuple(o * s + k - lo for o, k, s, (lo, _) in
                           zip(out_index, offset, strides, pads))
            if any(not 0 <= q < n for q, n in zip(source, x.shape)):
                continue
            v = x[source]
            if best is None or (v > best if select == "max" else v < best):
                best, where = v, source
        if where is not None:
            grad[where] += cotangent[out_index]
    return grad


IDENTITY = {"sum": 0.0, "max": -np.inf, "min": np.inf}
NP_FN = {"sum": lambda a, b: a + b, "max": max, "min": min}
LAX_FN = {"sum": lax.add, "max": lax.max, "min": lax.min}

# (operand shape, window, strides, padding, base_dilation, window_dilation)
GEOMETRIES = {
    "1d_valid": ((7,), (3,), (1,), "VALID", None, None),
    "1d_same_strided": ((7,), (3,), (2,), "SAME", None, None),
    "1d_same_lower": ((6,), (4,), (3,), "SAME_LOWER", None, None),
    "2d_explicit": ((5, 6), (2, 3), (2, 1), ((1, 2), (0, 1)), None, None),
    "2d_base_dilation": ((4, 5), (3, 2), (1, 2), ((0, 0), (1, 1)), (2, 1), None),
    "2d_window_dilation": ((6, 6), (2, 2), (1, 2), "SAME", None, (3, 2)),
    "3d_all": ((3, 4, 5), (2, 2, 3), (1, 2, 2), ((1, 0), (0, 1), (2, 1)), (1, 2, 1),
               (2, 1, 1)),
    "4d_nhwc_pool": ((2, 5, 6, 3), (1, 3, 3, 1), (1, 2, 2, 1), "SAME", None, None),
}


def _operand(seed, shape):
    """Distinct values in random order (no ties: max/min have one answer)."""
    rng = np.random.RandomState(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.5 - 3.0).astype(np.float32)


def _lax_reduce_window(kind, geometry):
    _, window, strides, padding, bd, wd = geometry
    return lambda x: lax.reduce_window(x, IDENTITY[kind], LAX_FN[kind], window, strides,
                                       padding, bd, wd)


# ---- values against NumPy ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sum", "max", "min"])
@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_monoid_reduce_window_matches_a_loop_over_windows(kind, name):
    geometry = GEOMETRIES[name]
    x = _operand(0, geometry[0])
    got = _lax_reduce_window(kind, geometry)(x)
    want = ref_reduce_window(x, np.float32(IDENTITY[kind]), NP_FN[kind], *geometry[1:])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)


def test_monoids_bind_the_window_primitives_and_other_computations_do_not():
    x = np.ones((4, 4), np.float32)
    names = lambda f: [e.primitive.name for e in irax.make_graph(f)(x).graph.eqns]
    assert names(lambda v: lax.reduce_window(v, 0.0, lax.add, (2, 2), (1, 1), "VALID")) == [
        "reduce_window_sum"]
    assert names(lambda v: lax.reduce_window(v, -np.inf, jnp.maximum, (2, 2), None)) == [
        "reduce_window_max"]
    assert names(lambda v: lax.reduce_window(v, np.inf, lax.min, (2, 2), (2, 2))) == [
        "reduce_window_min"]
    assert "reduce_window_sum" not in names(
        lambda v: lax.reduce_window(v, 1.0, lax.add, (2, 2), (1, 1)))


def test_integer_and_bool_windows_jit_matches_eager_and_numpy():
    rng = np.random.RandomState(1)
    fns = {
        "i32_max": lambda x: lax.reduce_window(x, np.iinfo(np.int32).min, lax.max, (2, 2),
                                               (1, 1), "SAME"),
        "i32_sum": lambda x: lax.reduce_window(x, 0, lax.add, (3, 1), (2, 1), "SAME"),
        "u8_min": lambda x: lax.reduce_window(lax.convert_element_type(x + 20, np.uint8),
                                              np.uint8(255), lax.min, (2, 3), (1, 1),
                                              ((0, 1), (1, 0))),
        "bool_max": lambda x: lax.reduce_window(x > 0, False, lax.max, (2, 2), (1, 1),
                                                "SAME"),
    }
    compiled = irax.jit(lambda x: {k: f(x) for k, f in fns.items()})
    for seed in (0, 1):
        x = rng.randint(-20, 20, (5, 4)).astype(np.int32)
        got = compiled(x)
        want = {
            "i32_max": ref_reduce_window(x, np.iinfo(np.int32).min, max, (2, 2), (1, 1),
                                         "SAME"),
            "i32_sum": ref_reduce_window(x, 0, NP_FN["sum"], (3, 1), (2, 1), "SAME"),
            "u8_min": ref_reduce_window((x + 20).astype(np.uint8), 255, min, (2, 3),
                                        (1, 1), ((0, 1), (1, 0))),
            "bool_max": ref_reduce_window(x > 0, False, max, (2, 2), (1, 1), "SAME"),
        }
        for k, f in fns.items():
            eager = np.asarray(f(x))
            assert eager.dtype == want[k].dtype, k
            np.testing.assert_array_equal(eager, want[k], err_msg=k)
            np.testing.assert_array_equal(np.asarray(got[k]), want[k], err_msg=k)


def _stax_max_pool(x, window, strides, padding):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1,) + window + (1,),
                             (1,) + strides + (1,), padding)


def _stax_avg_pool(x, window, strides, padding):
    """stax.AvgPool: window sums over the count of operand elements in each window."""
    dims, steps = (1,) + window + (1,), (1,) + strides + (1,)
    sums = lax.reduce_window(x, 0.0, lax.add, dims, steps, padding)
    ones = jnp.ones((1,) + x.shape[1:3] + (1,), x.dtype)
    counts = lax.reduce_window(ones, 0.0, lax.add, dims, steps, padding)
    return sums / counts


POOLS = [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME")]


@pytest.mark.parametrize("window,strides,padding", POOLS)
def test_stax_pooling_nhwc_matches_loops(window, strides, padding):
    x = _operand(2, (2, 6, 7, 3)).astype(np.float64) / 7
    dims, steps = (1,) + window + (1,), (1,) + strides + (1,)
    want_max = ref_reduce_window(x, -np.inf, max, dims, steps, padding)
    windows, _ = ref_windows(x, None, dims, steps, padding, None, None)
    want_avg = np.zeros_like(want_max)
    for index, elements in windows.items():
        real = [e for e in elements if e is not None]
        want_avg[index] = sum(real) / len(real)
    pools = irax.jit(lambda v: (_stax_max_pool(v, window, strides, padding),
                                _stax_avg_pool(v, window, strides, padding)))
    for v, a, m in ((x, want_avg, want_max), (x[::-1], None, None)):
        got_max, got_avg = pools(v.astype(np.float32))
        if a is None:  # second call: against eager
            np.testing.assert_allclose(np.asarray(got_max), np.asarray(
                _stax_max_pool(v.astype(np.float32), window, strides, padding)))
            continue
        np.testing.assert_allclose(np.asarray(got_max), m, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(got_avg), a, rtol=1e-5)


# ---- derivatives ---------------------------------------------------------------------

@pytest.mark.parametrize("window,strides,padding", POOLS)
def test_max_and_min_pool_gradients_match_a_loop(x64, window, strides, padding):
    x = _operand(3, (1, 5, 6, 2)).astype(np.float64)
    dims, steps = (1,) + window + (1,), (1,) + strides + (1,)
    for kind, fn in (("max", lax.max), ("min", lax.min)):
        def pool(v, kind=kind, fn=fn):
            return lax.reduce_window(v, IDENTITY[kind], fn, dims, steps, padding)
        cotangent = np.random.RandomState(4).standard_normal(np.shape(pool(x)))
        grad = irax.grad(lambda v, pool=pool, c=cotangent: jnp.sum(pool(v) * c))(x)
        want = ref_pool_grad(x, cotangent, kind, dims, steps, padding)
        np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-12)


def test_ties_choose_the_first_element_eagerly_and_compiled():
    """Forward (select_and_gather_add) and reverse (select_and_scatter_add) derivatives
    of pooling over many ties use each window's first chosen element."""
    dims, steps, padding = (1, 3, 3, 1), (1, 2, 1, 1), "SAME"
    pools = {kind: (lambda v, kind=kind: lax.reduce_window(v, IDENTITY[kind], LAX_FN[kind],
                                                           dims, steps, padding))
             for kind in ("max", "min")}

    def derivatives(x, t, c):
        return {kind: (irax.jvp(pool, (x,), (t,))[1], irax.vjp(pool, x)[1](c)[0])
                for kind, pool in pools.items()}

    rng = np.random.RandomState(22)
    compiled = irax.jit(derivatives)
    for _ in range(2):
        x = rng.randint(0, 3, (2, 5, 4, 2)).astype(np.float32)  # many ties
        t = rng.standard_normal(x.shape).astype(np.float32)
        c = rng.standard_normal(np.shape(pools["max"](x))).astype(np.float32)
        units = np.eye(c.size).reshape((c.size,) + c.shape)
        want = {kind: (np.array([np.sum(t * ref_pool_grad(x, u, kind, dims, steps, padding))
                                 for u in units]).reshape(c.shape),
                       ref_pool_grad(x, c, kind, dims, steps, padding)) for kind in pools}
        for got in (derivatives(x, t, c), compiled(x, t, c)):
            for kind in pools:
                for g, w in zip(got[kind], want[kind]):
                    np.testing.assert_allclose(np.asarray(g), w, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["1d_same_strided", "2d_explicit", "2d_base_dilation",
                                  "2d_window_dilation", "3d_all"])
def test_check_grads_order_2_every_window_kind(x64, name):
    geometry = GEOMETRIES[name]
    x = _operand(5, geometry[0]).astype(np.float64) / 4
    for kind in ("sum", "max", "min"):
        f = _lax_reduce_window(kind, geometry)
        # windows made only of padding/holes are +-inf for max/min: weight them 0
        finite = np.isfinite(np.asarray(f(x)))
        check_grads(lambda v, f=f, finite=finite: jnp.where(finite, f(v), 0.0), (x,), order=2,
                    modes=("fwd", "rev"))


def test_check_grads_of_stax_pools(x64):
    x = _operand(6, (2, 5, 5, 2)).astype(np.float64) / 8
    for pool, geometry in itertools.product((_stax_max_pool, _stax_avg_pool), POOLS):
        check_grads(lambda v, pool=pool, g=geometry: pool(v, *g), (x,), order=2,
                    modes=("fwd", "rev"))


def test_selections_are_each_others_transpose(x64):
    """<gather(t), s> == <t, scatter(s)> for the same operand and windows."""
    rng = np.random.RandomState(8)
    x = _operand(9, (5, 6)).astype(np.float64)
    window = {"window_dimensions": (3, 2), "window_strides": (2, 1),
              "padding": ((1, 1), (0, 1)), "base_dilation": (1, 2), "window_dilation": (1, 2)}
    for select in ("max", "min"):
        t = rng.standard_normal(x.shape)
        gathered = np.asarray(win.select_and_gather_add(t, x, select, **window))
        s = rng.standard_normal(gathered.shape)
        scattered = np.asarray(win.select_and_scatter_add(s, x, select, **window))
        np.testing.assert_allclose(np.sum(gathered * s), np.sum(t * scattered), rtol=1e-12)


# ---- vmap ----------------------------------------------------------------------------

def test_vmap_matches_a_loop_for_every_batch_position():
    rng = np.random.RandomState(10)
    fns = {
        "sum": lambda v: lax.reduce_window(v, 0.0, lax.add, (2, 3), (1, 2), "SAME", (2, 1)),
        "max": lambda v: lax.reduce_window(v, -jnp.inf, lax.max, (2, 2), (2, 1), "SAME"),
        "generic": lambda v: lax.reduce_window(v, 1.0, lax.mul, (2, 2), (1, 1), "VALID"),
        "grad_max": irax.grad(lambda v: jnp.sum(lax.reduce_window(
            v, -jnp.inf, lax.max, (2, 2), (1, 1), "SAME") ** 2)),
    }
    x = _operand(11, (3, 4, 5))
    for (name, f), axis in itertools.product(fns.items(), range(3)):
        xb = np.moveaxis(x, 0, axis)
        got = irax.vmap(f, in_axes=axis)(xb)
        want = np.stack([np.asarray(f(np.take(xb, i, axis))) for i in range(3)])
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=f"{name} {axis}")
    t = rng.standard_normal((3, 4, 5)).astype(np.float32)
    select = lambda t, v: win.select_and_gather_add(t, v, "min", (2, 2), (1, 2),
                                                    ((1, 0), (0, 1)))
    got = irax.vmap(select, in_axes=(None, 1))(t[:, 0], x)
    want = np.stack([np.asarray(select(t[:, 0], x[:, i])) for i in range(4)])
    np.testing.assert_allclose(np.asarray(got), want)


# ---- generic reduce_window -----------------------------------------------------------

def test_generic_reduce_window_against_numpy():
    rng = np.random.RandomState(12)
    x = rng.uniform(0.5, 1.5, (5, 6)).astype(np.float32)
    product = lax.reduce_window(x, 1.0, lambda a, b: a * b + 0 * a, (2, 3), (1, 2), "SAME")
    want = ref_reduce_window(x, np.float32(1), lambda a, b: a * b, (2, 3), (1, 2), "SAME")
    np.testing.assert_allclose(np.asarray(product), want, rtol=1e-6)
    lse = lax.reduce_window(x * 50, -jnp.inf, jnp.logaddexp, (3, 2), (2, 1), "VALID",
                            window_dilation=(1, 2))
    want = ref_reduce_window(x * 50, np.float32(-np.inf), np.logaddexp, (3, 2), (2, 1),
                             "VALID", None, (1, 2))
    np.testing.assert_allclose(np.asarray(lse), want, rtol=1e-6)
    shifted = lax.reduce_window(x, 1.0, lax.add, (2, 2), (1, 1), ((1, 0), (0, 1)))
    want = ref_reduce_window(x, np.float32(1), NP_FN["sum"], (2, 2), (1, 1), ((1, 0), (0, 1)))
    np.testing.assert_allclose(np.asarray(shifted), want, rtol=1e-6)


def _argmax_pair(a, b):
    """(value, index) of the larger value, the lower index on ties."""
    take_a = (a[0] > b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))
    return lax.select(take_a, a[0], b[0]), lax.select(take_a, a[1], b[1])


def test_variadic_reduce_window_argmax_pairs():
    x = np.array([3., 1., 3., 2., 5., 5., 0.], np.float32)
    values, indices = lax.reduce_window((x, np.arange(7, dtype=np.int32)), (-np.inf, 0),
                                        _argmax_pair, (3,), (2,), "SAME")
    windows, _ = ref_windows(x, -np.inf, (3,), (2,), "SAME", None, None)
    pads = pads_of(x.shape, (3,), (2,), "SAME", (1,))
    want_index = [2 * o - pads[0][0] + int(np.argmax(elements))
                  for (o,), elements in windows.items()]
    np.testing.assert_array_equal(np.asarray(indices), want_index)
    np.testing.assert_array_equal(np.asarray(values), x[want_index])


def test_generic_reduce_window_is_differentiable(x64):
    x = np.random.RandomState(13).standard_normal((4, 5))
    check_grads(lambda v: lax.reduce_window(v, -jnp.inf, jnp.logaddexp, (2, 2), (1, 2),
                                            "SAME"), (x,), order=2, modes=("fwd", "rev"))
    check_grads(lambda v: lax.reduce_window(v, 2.0, lambda a, b: a * b, (3,), (1,), "VALID",
                                            window_dilation=(2,)), (x[0],), order=2,
                modes=("fwd", "rev"))


# ---- reduce ----------------------------------------------------------------------------

def test_reduce_monoids_bind_the_reduction_primitives():
    x = np.ones((3, 4), np.float32)
    cases = {"reduce_sum": (0.0, lax.add), "reduce_prod": (1.0, jnp.multiply),
             "reduce_max": (-np.inf, lax.max), "reduce_min": (np.inf, jnp.minimum)}
    for name, (init, fn) in cases.items():
        graph = irax.make_graph(lambda v, init=init, fn=fn: lax.reduce(v, init, fn, (1,)))(x)
        assert [e.primitive.name for e in graph.graph.eqns] == [name]
    ints = np.arange(12, dtype=np.int32).reshape(3, 4)
    graph = irax.make_graph(lambda v: lax.reduce(v, 0, lax.bitwise_or, (0,)))(ints)
    assert [e.primitive.name for e in graph.graph.eqns] == ["reduce_or"]


def test_generic_reduce_against_numpy():
    rng = np.random.RandomState(14)
    x = rng.standard_normal((7, 3, 5)).astype(np.float32) * 30
    got = lax.reduce(x, -np.inf, jnp.logaddexp, (0, 2))
    want = np.logaddexp.reduce(np.logaddexp.reduce(x.astype(np.float64), 2), 0)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)
    shifted = lax.reduce(x, 1.5, lax.add, (0,))  # a non-identity init counts once
    np.testing.assert_allclose(np.asarray(shifted), x.sum(0) + 1.5, rtol=1e-5, atol=1e-4)
    empty = lax.reduce(np.zeros((0, 2), np.float32), 4.0, lambda a, b: a * b + 0 * a, (0,))
    np.testing.assert_array_equal(np.asarray(empty), [4.0, 4.0])


def test_variadic_reduce_argmax_pairs_ties_to_the_lower_index():
    rng = np.random.RandomState(15)
    x = rng.randint(0, 4, (5, 9)).astype(np.float32)  # many ties
    index = np.broadcast_to(np.arange(9, dtype=np.int32), x.shape)
    values, indices = lax.reduce((x, index), (-np.inf, 0), _argmax_pair, (1,))
    np.testing.assert_array_equal(np.asarray(indices), np.argmax(x, 1))
    np.testing.assert_array_equal(np.asarray(values), np.max(x, 1))
    tree = lax.reduce({"v": x, "i": index}, {"v": -np.inf, "i": 0},
                      lambda a, b: dict(zip("vi", _argmax_pair((a["v"], a["i"]),
                                                               (b["v"], b["i"])))), (1,))
    np.testing.assert_array_equal(np.asarray(tree["i"]), np.argmax(x, 1))


# ---- cumlogsumexp, top_k, optimization_barrier -------------------------------------------

def test_cumlogsumexp_is_stable_and_matches_numpy():
    x = np.array([[-1000., 0., 1000., 999.], [3., -np.inf, 2., 80.]], np.float32)
    np.testing.assert_allclose(np.asarray(lax.cumlogsumexp(x, axis=1)),
                               np.logaddexp.accumulate(x.astype(np.float64), 1), rtol=1e-6)
    reverse = np.flip(np.logaddexp.accumulate(np.flip(x, 1), 1), 1)
    np.testing.assert_allclose(np.asarray(lax.cumlogsumexp(x, 1, reverse=True)), reverse,
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(lax.cumlogsumexp(x)),
                               np.logaddexp.accumulate(x, 0), rtol=1e-6)


def test_cumlogsumexp_gradient(x64):
    x = np.random.RandomState(16).standard_normal((3, 6)) * 5
    check_grads(lambda v: lax.cumlogsumexp(v, 1, reverse=True), (x,), order=2,
                modes=("fwd", "rev"))


def test_top_k_matches_a_stable_argsort_with_ties():
    rng = np.random.RandomState(17)
    for x in (rng.randint(0, 5, (4, 9)).astype(np.float32),
              rng.randint(-3, 3, (2, 3, 7)).astype(np.int32)):
        values, indices = lax.top_k(x, 4)
        order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :4]
        assert np.asarray(indices).dtype == np.int32 and values.dtype == x.dtype
        np.testing.assert_array_equal(np.asarray(indices), order)
        np.testing.assert_array_equal(np.asarray(values), np.take_along_axis(x, order, -1))
    with pytest.raises(ValueError, match="top_k: k=5"):
        lax.top_k(np.ones(4), 5)


def test_top_k_values_are_differentiable(x64):
    x = _operand(18, (3, 6)).astype(np.float64)
    check_grads(lambda v: lax.top_k(v, 3)[0], (x,), order=2, modes=("fwd", "rev"))


def test_optimization_barrier_is_an_identity_kept_under_jit(x64):
    tree = {"a": np.arange(3.0), "b": (np.float32(2), 7)}
    out = lax.optimization_barrier(tree)
    assert out["b"][1] == 7 and out["b"][0].dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out["a"]), tree["a"])
    f = lambda x: jnp.sum(lax.optimization_barrier(jnp.sin(x)) * x)
    assert "stablehlo.optimization_barrier" in irax.jit(f).lower(tree["a"]).as_text()
    check_grads(f, (tree["a"],), order=2, modes=("fwd", "rev"))
    got = irax.vmap(lambda x: lax.optimization_barrier((x * 2, 1.0)))(tree["a"])
    np.testing.assert_array_equal(np.asarray(got[0]), tree["a"] * 2)


# ---- errors and zero-size shapes --------------------------------------------------------

def test_errors_name_the_operation_and_the_shapes():
    x = np.ones((3, 4), np.float32)
    with pytest.raises(ShapeError, match=r"reduce_window_max: window_dimensions \(2,\).*"
                                         r"\(3, 4\)"):
        lax.reduce_window(x, -np.inf, lax.max, (2,), (1,), ((0, 0),))
    with pytest.raises(ValueError, match="reduce_window_sum: padding must be non-negative"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1, 1), ((-1, 0), (0, 0)))
    with pytest.raises(ValueError, match="reduce_window_sum: window_strides must be positive"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (0, 1))
    with pytest.raises(TypeError, match="inconsistent dtypes"):
        lax.reduce_window(x, np.int32(0), lax.add, (2, 2))
    with pytest.raises(RuntimeError, match="Unrecognized padding type"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1, 1), "FULL")
    with pytest.raises(TypeError, match="select_and_gather_add does not accept dtype int32"):
        win.select_and_gather_add(x.astype(np.int32), x.astype(np.int32), "max", (2, 2),
                                  (1, 1), ((0, 0), (0, 0)))


def test_zero_size_operands_jit_matches_eager():
    empty = np.zeros((0, 3), np.float32)
    fns = {
        "sum_padded": lambda e, x: lax.reduce_window(e, 0.0, lax.add, (1, 2), (1, 1),
                                                     ((2, 0), (0, 0))),
        "max_padded": lambda e, x: lax.reduce_window(e, -jnp.inf, lax.max, (2, 2), (1, 1),
                                                     ((1, 1), (0, 0))),
        "min_empty": lambda e, x: lax.reduce_window(e, jnp.inf, lax.min, (1, 2), (1, 1)),
        "gather_padded": lambda e, x: win.select_and_gather_add(
            e, e, "max", (1, 1), (1, 1), ((1, 0), (0, 0))),
        "scatter_no_windows": lambda e, x: win.select_and_scatter_add(
            np.zeros((0, 3), np.float32), x, "max", (5, 1), (1, 1), ((0, 0), (0, 0))),
        "barrier": lambda e, x: lax.optimization_barrier(e),
    }
    compiled = irax.jit(lambda e, x: {k: f(e, x) for k, f in fns.items()})
    for scale in (1.0, 2.0):
        x = _operand(19, (4, 3)) * scale
        got = compiled(empty, x)
        for k, f in fns.items():
            want = np.asarray(f(empty, x))
            assert np.asarray(got[k]).shape == want.shape, k
            np.testing.assert_array_equal(np.asarray(got[k]), want, err_msg=k)
    np.testing.assert_array_equal(np.asarray(fns["max_padded"](empty, None)),
                                  np.full((1, 2), -np.inf))


# ---- eager against jit -------------------------------------------------------------------

def test_everything_compiled_matches_eager_on_two_inputs():
    """One program holding every function of this module, called twice."""
    fns = {f"{kind}:{name}": (name, _lax_reduce_window(kind, g))
           for kind in ("sum", "max", "min") for name, g in GEOMETRIES.items()}
    fns.update({
        "generic_product": ("2d_explicit", lambda x: lax.reduce_window(
            x, 1.0, lambda a, b: a * b + 0 * a, (2, 2), (1, 2), "SAME")),
        "generic_lse": ("2d_explicit", lambda x: lax.reduce_window(
            x, -jnp.inf, jnp.logaddexp, (3, 2), (1, 1), "VALID", window_dilation=(1, 2))),
        "reduce_pairs": ("3d_all", lambda x: lax.reduce(
            (x, jnp.broadcast_to(jnp.arange(5, dtype=jnp.int32), x.shape)), (-jnp.inf, 0),
            _argmax_pair, (2,))),
        "reduce_lse": ("3d_all", lambda x: lax.reduce(x, -jnp.inf, jnp.logaddexp, (0, 2))),
        "cumlogsumexp": ("3d_all", lambda x: lax.cumlogsumexp(x * 100, 1, reverse=True)),
        "top_k": ("3d_all", lambda x: lax.top_k(jnp.round(x), 3)),
        "pool_grad": ("4d_nhwc_pool", irax.grad(lambda x: jnp.sum(_stax_max_pool(
            x, (3, 3), (2, 2), "SAME") ** 2))),
        "barrier": ("3d_all", lambda x: lax.optimization_barrier((x, x[0]))),
    })
    compiled = irax.jit(lambda xs: {k: f(xs[g]) for k, (g, f) in fns.items()})
    for seed in (20, 21):
        xs = {name: _operand(seed, g[0]) / 3 for name, g in GEOMETRIES.items()}
        got = compiled(xs)
        for k, (g, f) in fns.items():
            for c, e in zip(leaves(got[k]), leaves(f(xs[g]))):
                assert c.dtype == e.dtype and c.shape == e.shape, k
                np.testing.assert_allclose(c, e, rtol=2e-6, atol=2e-6, err_msg=k)


def leaves(tree):
    """The leaves of a result pytree as NumPy arrays."""
    flat, _ = irax.tree_util.tree_flatten(tree)
    return [np.asarray(leaf) for leaf in flat]
