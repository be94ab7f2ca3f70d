"""Tests for irax.numpy's products (dot, matmul, einsum, ...) and irax.numpy.linalg,
against NumPy, with JAX's result dtypes."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import irax
import irax.numpy as jnp

RNG = np.random.default_rng(0)
inf = np.inf


def rand(shape, dtype=np.float32):
    """Small values: integer-valued for ints (exact products), mixed signs for floats."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return RNG.random(shape) < 0.5
    if dtype.kind in "iu":
        return RNG.integers(-3 if dtype.kind == "i" else 0, 4, shape).astype(dtype)
    if dtype.kind == "c":
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def check(actual, expected, dtype, rtol=2e-5, atol=1e-5):
    """Values match NumPy's; the dtype is the one JAX gives."""
    assert isinstance(actual, irax.Array)
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected, dtype=actual.dtype),
                               rtol=rtol, atol=atol)


def graph_eqns(fn, *args):
    return irax.make_graph(fn)(*args).graph.eqns


# ---- dot, vdot, inner, outer --------------------------------------------------------

SHAPE_PAIRS_DOT = [((), ()), ((), (3,)), ((2, 3), ()), ((3,), (3,)), ((2, 3), (3,)),
                   ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3,)), ((2, 3), (4, 3, 5)),
                   ((2, 1, 3), (2, 3, 4)), ((4,), (2, 4, 3))]


@pytest.mark.parametrize("sa,sb", SHAPE_PAIRS_DOT)
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64, np.bool_])
def test_dot_matches_numpy(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.dot(a, b), np.dot(a, b), dtype)


@pytest.mark.parametrize("a,b,dtype", [
    (rand((2, 3), np.int32), rand((3,), np.float32), np.float32),
    (rand((2, 3), np.int8), rand((3,), np.uint8), np.int16),
    (rand((3,), np.float32), rand((3,), np.complex64), np.complex64),
    (rand((2, 3), np.int32), 2.0, np.float32),
    (rand((2, 3), np.int8), 2, np.int8),
    (3, 2, np.int32),
    (rand((3,), np.float32), np.float64(2.0), np.float32),
])
def test_dot_promotion_follows_jax(a, b, dtype):
    check(jnp.dot(a, b), np.dot(a, b), dtype)


def test_dot_weak_scalar_result_is_weak():
    assert jnp.dot(2.0, rand((3,), np.int32)).weak_type
    assert not jnp.dot(rand((3,), np.float32), rand((3,), np.float32)).weak_type


def test_dot_x64(x64):
    a, b = rand((2, 3), np.float32), rand((3, 4), np.float64)
    check(jnp.dot(a, b), a @ b, np.float64)
    i, f = rand((3,), np.int32), rand((3,), np.float32)
    check(jnp.dot(i, f), np.dot(i, f), np.float32)
    i64 = rand((3,), np.int64)
    check(jnp.dot(i64, 2), i64 * 2, np.int64)


def test_dot_preferred_element_type():
    a, b = rand((2, 3), np.int8), rand((3,), np.int8)
    check(jnp.dot(a, b, preferred_element_type=np.float32), a.astype(np.float32) @ b,
          np.float32)


def test_dot_errors_name_function_and_shapes():
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(4,\)"):
        jnp.dot(np.ones((2, 3)), np.ones(4))
    with pytest.raises(TypeError, match="dot"):
        jnp.dot(np.ones(3), "abc")


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64])
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (12,))])
def test_vdot_conjugates_and_flattens(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.vdot(a, b), np.vdot(a, b), dtype)


def test_vdot_size_mismatch():
    with pytest.raises(ValueError, match=r"vdot: .*\(3,\) and \(2, 2\)"):
        jnp.vdot(np.ones(3), np.ones((2, 2)))


@pytest.mark.parametrize("sa,sb", [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                   ((2, 1, 3), (5, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64])
def test_inner_matches_numpy(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.inner(a, b), np.inner(a, b), dtype)


def test_inner_mismatch():
    with pytest.raises(ValueError, match=r"inner: .*\(2, 3\) and \(2,\)"):
        jnp.inner(np.ones((2, 3)), np.ones(2))


@pytest.mark.parametrize("sa,sb", [((3,), (4,)), ((), (2,)), ((2, 2), (3,)), ((2, 3), (1, 2))])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.complex64])
def test_outer_matches_numpy(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.outer(a, b), np.outer(a, b), dtype)


def test_outer_accepts_lists_and_scalars():
    check(jnp.outer([1, 2], 3), np.outer([1, 2], 3), np.int32)


# ---- matmul -------------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((1, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((6, 1, 2, 3), (1, 5, 3, 4)),
                 ((3,), (7, 3, 4)), ((7, 2, 3), (3,)), ((1, 1, 2, 3), (3, 1)),
                 ((2, 1, 4, 2, 3), (3, 1, 3, 5)), ((0, 2, 3), (3, 4)), ((2, 0), (0, 3))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64])
def test_matmul_broadcasting_matches_numpy(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.matmul(a, b), np.matmul(a, b), dtype)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_matmul_hypothesis_batch_shapes(data):
    batch = data.draw(st.lists(st.integers(1, 3), max_size=3))
    m, k, n = (data.draw(st.integers(1, 3)) for _ in range(3))

    def operand_batch():
        drop = data.draw(st.integers(0, len(batch)))
        return [1 if data.draw(st.booleans()) else d for d in batch[drop:]]

    sa = operand_batch() + [m, k] if data.draw(st.booleans()) else [k]
    sb = operand_batch() + [k, n] if data.draw(st.booleans()) else [k]
    a, b = rand(sa), rand(sb)
    check(jnp.matmul(a, b), np.matmul(a, b), np.float32)


def test_matmul_operator_and_dtypes(x64):
    a, b = rand((2, 3), np.float32), rand((3, 2), np.float64)
    check(jnp.matmul(a, b), a @ b, np.float64)
    i, j = rand((2, 3), np.int32), rand((3,), np.int32)
    check(jnp.matmul(i, j), i @ j, np.int32)


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((2, 2, 3), (3, 3, 4)), ((3,), (4,)),
                                   ((), (3,)), ((4, 2, 3), (2, 3, 5))])
def test_matmul_errors_name_function_and_both_shapes(sa, sb):
    with pytest.raises(ValueError, match="matmul") as info:
        jnp.matmul(np.ones(sa), np.ones(sb))
    assert str(tuple(sa)) in str(info.value) and str(tuple(sb)) in str(info.value)


def test_matmul_does_not_materialize_broadcast_batches():
    a, b = np.ones((100, 1, 2, 3), np.float32), np.ones((7, 3, 4), np.float32)
    eqns = graph_eqns(jnp.matmul, a, b)
    assert [e.primitive.name for e in eqns].count("dot_general") == 1
    assert all(v.aval.size <= 100 * 7 * 2 * 4 for e in eqns for v in e.outputs)
    assert not any(e.primitive.name == "broadcast_in_dim" for e in eqns)


# ---- tensordot ----------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0), ((), (3,), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((2, 3, 4), (5, 4), (-1, -1)),
    ((2, 3, 4), (4, 2), ((2, 0), (0, 1))), ((3, 4), (4, 3), [[0, 1], [1, 0]]),
    ((2, 3), (2, 3), 2),
])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64])
def test_tensordot_matches_numpy(sa, sb, axes, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.tensordot(a, b, axes), np.tensordot(a, b, axes), dtype)


@pytest.mark.parametrize("axes,err", [(3, ValueError), (-1, ValueError),
                                      (([0], [0, 1]), ValueError), (([0], [0]), ValueError),
                                      (([5], [0]), ValueError), ("x", TypeError)])
def test_tensordot_errors(axes, err):
    with pytest.raises(err, match="tensordot"):
        jnp.tensordot(np.ones((2, 3)), np.ones((3, 2)), axes)


# ---- einsum -------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]),
    ("ij", [(2, 3)]), ("ji", [(2, 3)]), ("ii", [(3, 3)]), ("ii->i", [(3, 3)]),
    ("iij->ji", [(2, 2, 3)]), ("iii->i", [(2, 2, 2)]), ("iji->ij", [(3, 2, 3)]),
    ("ij->", [(2, 3)]), ("i,i", [(3,), (3,)]), ("i,i->i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]), ("i,j", [(2,), (3,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bjk->kib", [(2, 3, 4), (2, 4, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,kl,jk->il", [(2, 3), (4, 2), (3, 4)]), ("ab,bc,ca->", [(2, 3), (3, 4), (4, 2)]),
    ("ijk,ikl,ilm->", [(2, 3, 4), (2, 4, 3), (2, 3, 2)]), ("ij,ij->j", [(2, 3), (2, 3)]),
    ("abc,bd->ad", [(2, 3, 4), (3, 5)]), ("ab,cd->", [(2, 3), (4, 5)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 2)]),
    ("i...->...", [(3, 2, 2)]), ("...ii->...i", [(2, 3, 3)]), ("...,...", [(2, 3), (3,)]),
    ("i...j,j...->...i", [(2, 4, 3), (3, 4)]), ("...", [(2, 3)]), ("...ij->", [(2, 3)]),
    (",i->i", [(), (3,)]), (",", [(), ()]), ("->", [()]), ("Ba,aC", [(2, 3), (3, 4)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]), ("i,i->i", [(1,), (3,)]), (" i j , j k -> i k ",
                                                               [(2, 3), (3, 4)]),
    ("ij,jk,ij->ik", [(2, 3), (3, 4), (2, 3)]), ("ii,ij->j", [(3, 3), (3, 2)]),
    ("a,b,c,d->", [(2,), (3,), (4,), (5,)]), ("ij,j->i", [(0, 3), (3,)]),
]


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64])
def test_einsum_matches_numpy(subscripts, shapes, dtype):
    ops = [rand(s, dtype) for s in shapes]
    check(jnp.einsum(subscripts, *ops), np.einsum(subscripts, *ops), dtype)


def test_einsum_bool_and_mixed_dtypes():
    a, b = rand((2, 3), np.bool_), rand((3, 4), np.bool_)
    check(jnp.einsum("ij,jk->ik", a, b), np.einsum("ij,jk->ik", a, b), np.bool_)
    check(jnp.einsum("ij->i", a), np.einsum("ij->i", a), np.bool_)
    a, b = rand((2, 3), np.int32), rand((3,), np.float32)
    check(jnp.einsum("ij,j->i", a, b), np.einsum("ij,j->i", a, b), np.float32)
    v8 = rand((3,), np.int8)
    check(jnp.einsum("ij,j->i", a, v8), a @ v8, np.int32)


def test_einsum_preferred_element_type_and_x64(x64):
    a, b = rand((2, 3), np.float32), rand((3,), np.float64)
    check(jnp.einsum("ij,j", a, b), a @ b, np.float64)
    a8 = rand((2, 3), np.int8)
    check(jnp.einsum("ij,ij->", a8, a8, preferred_element_type=np.int32),
          np.sum(a8.astype(np.int32) ** 2), np.int32)


def test_einsum_interleaved_sublists():
    a, b = rand((2, 3)), rand((3, 4))
    check(jnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), np.einsum(a, [0, 1], b, [1, 2], [0, 2]),
          np.float32)
    check(jnp.einsum(a, [0, 27], b, [27, 1]), np.einsum(a, [0, 27], b, [27, 1]), np.float32)
    c = rand((5, 2, 3))
    check(jnp.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 2]),
          np.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 2]), np.float32)


def test_einsum_sums_broadcast_dims_missing_from_output():
    a = rand((4, 2, 3))
    check(jnp.einsum("...ij->j", a), np.einsum("...ij->...j", a).sum(0), np.float32)


def test_einsum_accepts_and_ignores_optimize():
    a, b = rand((2, 3)), rand((3, 4))
    for optimize in (True, False, "greedy", "optimal", "auto"):
        check(jnp.einsum("ij,jk", a, b, optimize=optimize), a @ b, np.float32)


def test_einsum_contracts_without_big_intermediates():
    shapes = [(8, 9), (10, 11), (9, 10)]
    eqns = graph_eqns(lambda *xs: jnp.einsum("ij,kl,jk->il", *xs), *[rand(s) for s in shapes])
    assert [e.primitive.name for e in eqns].count("dot_general") == 2
    assert max(v.aval.size for e in eqns for v in e.outputs) <= 10 * 11  # the largest input


def test_einsum_diagonal_is_a_strided_slice():
    eqns = graph_eqns(lambda x: jnp.einsum("ii->i", x), rand((4, 4)))
    assert {e.primitive.name for e in eqns} <= {"reshape", "slice", "transpose"}


@pytest.mark.parametrize("subscripts,shapes,err", [
    ("ij,jk->ik", [(2, 3), (4, 5)], ValueError),
    ("ij,jk", [(2, 3)], ValueError),
    ("ijk", [(2, 3)], ValueError),
    ("ij->ii", [(2, 2)], ValueError),
    ("ij->k", [(2, 2)], ValueError),
    ("ii", [(2, 3)], ValueError),
    ("i.j", [(2, 3)], ValueError),
    ("i->j->k", [(2,)], ValueError),
    ("i1", [(2, 3)], ValueError),
    ("......", [(2, 3)], ValueError),
])
def test_einsum_errors_name_function(subscripts, shapes, err):
    with pytest.raises(err, match="einsum"):
        jnp.einsum(subscripts, *[np.ones(s) for s in shapes])


def test_einsum_out_and_no_operands():
    with pytest.raises(NotImplementedError, match="einsum"):
        jnp.einsum("i", np.ones(2), out=np.ones(2))
    with pytest.raises(ValueError, match="einsum"):
        jnp.einsum("")


LETTERS = "abcd"


@st.composite
def einsum_problems(draw):
    """Random einsum problems: 1-3 operands over labels a-d, repeats, `...` and both
    output modes; `...` dims broadcast (some 1s)."""
    sizes = {c: draw(st.integers(1, 3)) for c in LETTERS}
    ell = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    specs, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(st.lists(st.sampled_from(LETTERS), max_size=4))
        use_ell = bool(ell) and draw(st.booleans())
        pos = draw(st.integers(0, len(labels)))
        my_ell = ell[draw(st.integers(0, len(ell))):] if use_ell else []
        my_ell = [1 if draw(st.booleans()) else d for d in my_ell]
        specs.append("".join(labels[:pos]) + ("..." if use_ell else "") + "".join(labels[pos:]))
        shapes.append(tuple(sizes[c] for c in labels[:pos]) + tuple(my_ell)
                      + tuple(sizes[c] for c in labels[pos:]))
    subscripts = ",".join(specs)
    if draw(st.booleans()):
        used = sorted(set("".join(specs).replace(".", "")))
        out = draw(st.permutations(used))[:draw(st.integers(0, len(used)))]
        ell_out = "..." if any("..." in s for s in specs) else ""
        pos = draw(st.integers(0, len(out)))
        subscripts += "->" + "".join(out[:pos]) + ell_out + "".join(out[pos:])
    return subscripts, shapes


@given(einsum_problems(), st.sampled_from([np.float32, np.int32]))
@settings(max_examples=150, deadline=None)
def test_einsum_hypothesis_matches_numpy(problem, dtype):
    subscripts, shapes = problem
    ops = [rand(s, dtype) for s in shapes]
    check(jnp.einsum(subscripts, *ops), np.einsum(subscripts, *ops), dtype, rtol=1e-4,
          atol=1e-4)


# ---- kron, cross, matrix_transpose, vecdot -----------------------------------------

@pytest.mark.parametrize("sa,sb", [((2,), (3,)), ((2, 2), (3, 1)), ((2, 3), (3,)), ((), (2, 2)),
                                   ((2, 1, 2), (2, 3)), ((), ())])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.complex64])
def test_kron_matches_numpy(sa, sb, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.kron(a, b), np.kron(a, b), dtype)


def numpy_cross(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.cross(*args, **kwargs)


@pytest.mark.parametrize("sa,sb,kwargs", [
    ((3,), (3,), {}), ((5, 3), (3,), {}), ((2,), (2,), {}), ((4, 2), (4, 2), {}),
    ((2,), (3,), {}), ((4, 3), (4, 2), {}), ((3, 5), (5, 3), {"axisa": 0}),
    ((3, 5), (3, 5), {"axis": 0}), ((5, 3), (3, 5), {"axisb": 0, "axisc": 0}),
    ((2, 3, 4), (2, 4, 3), {"axisa": 1, "axisb": -1, "axisc": 1}), ((1, 3), (6, 3), {}),
    ((2, 4), (4, 3), {"axisa": 0, "axisc": 0}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_cross_matches_numpy(sa, sb, kwargs, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    check(jnp.cross(a, b, **kwargs), numpy_cross(a, b, **kwargs), dtype)


@pytest.mark.parametrize("sa,sb,kwargs", [((4,), (3,), {}), ((3,), (3,), {"axisc": 1}),
                                          ((3, 2), (3,), {"axisa": 2}), ((), (3,), {})])
def test_cross_errors(sa, sb, kwargs):
    with pytest.raises(ValueError, match="cross"):
        jnp.cross(np.ones(sa), np.ones(sb), **kwargs)


@pytest.mark.parametrize("shape", [(2, 3), (4, 2, 3), (1, 2, 3, 4)])
def test_matrix_transpose(shape):
    x = rand(shape, np.int32)
    check(jnp.matrix_transpose(x), np.swapaxes(x, -1, -2), np.int32)
    with pytest.raises(ValueError, match="matrix_transpose"):
        jnp.matrix_transpose(np.ones(3))


@pytest.mark.parametrize("sa,sb,axis", [((3,), (3,), -1), ((2, 3), (3,), -1),
                                        ((4, 1, 3), (5, 3), -1), ((3, 2), (3, 2), 0),
                                        ((4, 3), (2, 4, 3), -2), ((2, 3), (4, 1, 3), -1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.complex64])
def test_vecdot_matches_numpy(sa, sb, axis, dtype):
    a, b = rand(sa, dtype), rand(sb, dtype)
    expected = np.vecdot(a, b, axis=axis)
    check(jnp.vecdot(a, b, axis=axis), expected, dtype)
    check(jnp.linalg.vecdot(a, b, axis=axis), expected, dtype)


def test_vecdot_errors():
    with pytest.raises(ValueError, match="vecdot"):
        jnp.vecdot(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="vecdot"):
        jnp.vecdot(np.ones((2, 3)), np.ones((3, 3)), axis=2)


# ---- traced values ------------------------------------------------------------------

@pytest.mark.parametrize("fn,shapes", [
    (jnp.dot, [(2, 3), (3, 4)]), (jnp.matmul, [(5, 2, 3), (3,)]), (jnp.vdot, [(3,), (3,)]),
    (jnp.inner, [(2, 3), (3,)]), (jnp.outer, [(2,), (3,)]), (jnp.kron, [(2, 2), (2,)]),
    (jnp.cross, [(4, 3), (3,)]), (jnp.vecdot, [(4, 3), (3,)]),
    (lambda a, b: jnp.tensordot(a, b, 1), [(2, 3), (3, 4)]),
    (lambda a, b: jnp.einsum("...ij,jk->...ki", a, b), [(5, 2, 3), (3, 4)]),
    (lambda x: jnp.linalg.norm(x, ord=1, axis=(0, 1)), [(3, 4)]),
    (lambda x: jnp.linalg.norm(x, ord=3), [(3,)]),
])
def test_functions_trace(fn, shapes):
    args = [rand(s) for s in shapes]
    graph = irax.make_graph(fn)(*args).graph
    assert graph.out_avals[0].shape == np.shape(fn(*args))


def test_grad_of_einsum_and_norm():
    a, b = rand((2, 3)), rand((3, 4))
    g = irax.grad(lambda a: jnp.einsum("ij,jk->", a, b))(a)
    np.testing.assert_allclose(np.asarray(g), np.broadcast_to(b.sum(1), (2, 3)), rtol=1e-5)
    g = irax.grad(lambda x: jnp.einsum("ii", x))(rand((3, 3)))
    np.testing.assert_allclose(np.asarray(g), np.eye(3))
    g = irax.grad(lambda a: jnp.sum(jnp.matmul(a, b)))(rand((5, 1, 2, 3)))
    np.testing.assert_allclose(np.asarray(g), np.broadcast_to(b.sum(1), (5, 1, 2, 3)),
                               rtol=1e-5)
    x = rand((5,))
    g = irax.grad(lambda x: jnp.linalg.norm(x))(x)
    np.testing.assert_allclose(np.asarray(g), x / np.linalg.norm(x), rtol=1e-5)


# ---- irax.numpy.linalg --------------------------------------------------------------

VECTOR_ORDS = [None, 2, 1, inf, -inf, 0, 3, 0.5, -1, -2.5]
MATRIX_ORDS = [None, "fro", 1, -1, inf, -inf]
NORM_DTYPES = [(np.float32, np.float32), (np.int32, np.float32), (np.complex64, np.float32),
               (np.bool_, np.float32)]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("shape,axis", [((5,), None), ((5,), 0), ((5,), -1), ((3, 4), 0),
                                        ((3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4), (2,))])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype,out_dtype", NORM_DTYPES)
def test_vector_norm_matches_numpy(ord, shape, axis, keepdims, dtype, out_dtype):
    x = rand(shape, dtype)
    with np.errstate(divide="ignore"):
        expected = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    check(jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims), expected, out_dtype,
          rtol=1e-4)


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("shape,axis", [((3, 4), None), ((3, 4), (0, 1)), ((3, 4), (1, 0)),
                                        ((3, 4), (-1, -2)), ((2, 3, 4), (0, 2)),
                                        ((2, 3, 4), (2, 0)), ((2, 3, 4, 5), (1, 3))])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype,out_dtype", NORM_DTYPES)
def test_matrix_norm_matches_numpy(ord, shape, axis, keepdims, dtype, out_dtype):
    x = rand(shape, dtype)
    expected = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    check(jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims), expected, out_dtype,
          rtol=1e-4)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_default_is_flattened_two_norm(shape, keepdims):
    x = rand(shape)
    check(jnp.linalg.norm(x, keepdims=keepdims), np.linalg.norm(x, keepdims=keepdims),
          np.float32)


def test_norm_x64(x64):
    for dtype, out in [(np.float64, np.float64), (np.int32, np.float64),
                       (np.complex128, np.float64), (np.float32, np.float32)]:
        x = rand((3, 4), dtype)
        check(jnp.linalg.norm(x), np.linalg.norm(x), out, rtol=1e-6)
        check(jnp.linalg.norm(x, ord=inf), np.linalg.norm(x, ord=inf), out, rtol=1e-6)


@pytest.mark.parametrize("kwargs,x_shape", [
    ({"ord": 2}, (3, 3)), ({"ord": -2}, (3, 3)), ({"ord": "nuc"}, (3, 3)),
    ({"ord": "fro"}, (3,)), ({"ord": "fro", "axis": 0}, (3, 3)), ({"ord": 3}, (3, 3)),
    ({"ord": 1}, (2, 3, 4)), ({"axis": (0, 0)}, (3, 3)), ({"axis": (0, 1, 2)}, (2, 3, 4)),
    ({"axis": 2}, (3, 3)), ({"ord": "bad"}, (3, 3)),
])
def test_norm_errors(kwargs, x_shape):
    with pytest.raises(ValueError, match="norm") as info:
        jnp.linalg.norm(np.ones(x_shape), **kwargs)
    if kwargs.get("ord") in (2, -2, "nuc"):
        assert "supported matrix ords" in str(info.value)


@pytest.mark.parametrize("ord", [2, 1, inf, -inf, 0, 3])
@pytest.mark.parametrize("axis", [None, 0, (0, 2), (-1, 0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norm_any_axes(ord, axis, keepdims):
    x = rand((2, 3, 4), np.complex64)
    axes = tuple(range(3)) if axis is None else np.atleast_1d(axis) % 3
    rest = [i for i in range(3) if i not in axes]
    flat = np.transpose(x, rest + list(axes)).reshape([x.shape[i] for i in rest] + [-1])
    expected = np.linalg.norm(flat, ord=ord, axis=-1)
    if keepdims:
        expected = np.reshape(expected, [1 if i in axes else d for i, d in enumerate(x.shape)])
    check(jnp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord), expected,
          np.float32, rtol=1e-4)


@pytest.mark.parametrize("ord", ["fro", 1, -1, inf, -inf])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norm_batched(ord, keepdims):
    x = rand((5, 3, 4), np.int32)
    check(jnp.linalg.matrix_norm(x, ord=ord, keepdims=keepdims),
          np.linalg.matrix_norm(x.astype(np.float32), ord=ord, keepdims=keepdims), np.float32,
          rtol=1e-5)
    with pytest.raises(ValueError, match="matrix_norm"):
        jnp.linalg.matrix_norm(np.ones(3))


def test_linalg_outer_and_cross():
    a, b = rand((3,)), rand((4,))
    check(jnp.linalg.outer(a, b), np.outer(a, b), np.float32)
    with pytest.raises(ValueError, match="outer"):
        jnp.linalg.outer(np.ones((2, 2)), np.ones(2))
    a, b = rand((4, 3)), rand((3,))
    check(jnp.linalg.cross(a, b), np.linalg.cross(a, b), np.float32)
    with pytest.raises(ValueError, match="cross"):
        jnp.linalg.cross(np.ones(2), np.ones(2))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8])
@pytest.mark.parametrize("shape,dtype", [((3, 3), np.int32), ((2, 4, 4), np.float32)])
def test_matrix_power(n, shape, dtype):
    a = rand(shape, dtype)
    check(jnp.linalg.matrix_power(a, n), np.linalg.matrix_power(a, n), dtype, rtol=1e-4,
          atol=1e-3)


def test_matrix_power_errors():
    with pytest.raises(ValueError, match="matrix_power"):
        jnp.linalg.matrix_power(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="matrix_power"):
        jnp.linalg.matrix_power(np.ones((2, 2)), -1)
    with pytest.raises(TypeError, match="matrix_power"):
        jnp.linalg.matrix_power(np.ones((2, 2)), 1.5)


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(3,), (3, 4), (4, 2)],
                                    [(2, 3), (3, 4), (4,)], [(3,), (3,)],
                                    [(10, 2), (2, 30), (30, 3), (3, 40), (40,)]])
def test_multi_dot(shapes):
    arrays = [rand(s) for s in shapes]
    check(jnp.linalg.multi_dot(arrays), np.linalg.multi_dot(arrays), np.float32, rtol=1e-4,
          atol=1e-4)


def test_multi_dot_errors():
    with pytest.raises(ValueError, match="multi_dot"):
        jnp.linalg.multi_dot([np.ones((2, 3)), np.ones((4, 2))])
    with pytest.raises(ValueError, match="multi_dot"):
        jnp.linalg.multi_dot([np.ones((2, 3)), np.ones(3), np.ones((3, 2))])
