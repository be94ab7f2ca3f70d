"""Cholesky, triangular solves and LU: the primitives, irax.lax.linalg,
irax.numpy.linalg's factorization functions and irax.scipy.linalg, against NumPy/SciPy
(eagerly and compiled), their derivatives (check_grads, order 2, both modes, float64)
and vmap against a Python loop.  The registry-wide suites cover the primitives' rules
through tests/factorization_cases.py."""
import numpy as np
import pytest
import scipy.linalg as sl

import irax
import irax.numpy as jnp
import irax.scipy.linalg as isl
from irax import lax
from irax.core.errors import ShapeError
from irax.test_util import check_grads

RNG = np.random.default_rng(0)
TOL = {np.dtype(np.float32): 2e-4, np.dtype(np.float64): 1e-10,
       np.dtype(np.complex64): 2e-4, np.dtype(np.complex128): 1e-10}


def rand(shape, dtype=np.float64):
    dtype = np.dtype(dtype)
    x = RNG.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * RNG.standard_normal(shape)
    return x.astype(dtype)


def spd(shape, dtype=np.float64):
    """Hermitian positive-definite matrices x x^H + n I."""
    x = rand(shape, dtype)
    return (x @ np.conj(np.swapaxes(x, -1, -2)) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def close(actual, expected, dtype=None, scale=1.0):
    actual = np.asarray(actual)
    if actual.dtype.kind == "i":
        np.testing.assert_array_equal(actual, expected)
        return
    dtype = np.dtype(dtype or actual.dtype)
    assert actual.shape == np.shape(expected), (actual.shape, np.shape(expected))
    tol = TOL[dtype] * scale
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


def per_matrix(fn, *arrays):
    """`fn` applied to each matrix of the batches (the oracle's loop)."""
    batch = arrays[0].shape[:-2]
    outs = [fn(*[a[i] for a in arrays]) for i in np.ndindex(*batch)]
    return np.stack(outs).reshape(batch + np.shape(outs[0])) if batch else outs[0]


@pytest.fixture(autouse=True)
def _x64(x64):
    """Every test runs with 64-bit dtypes (float32 cases ask for float32 explicitly)."""


# ---- the primitives' eager values against SciPy ------------------------------------------

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 3, 5, 5)])
def test_cholesky_matches_scipy(shape, dtype):
    a = spd(shape, dtype)
    out = lax.linalg.cholesky(a)
    assert out.dtype == np.dtype(dtype)
    close(out, per_matrix(lambda m: sl.cholesky(m, lower=True), a), scale=10)


def test_cholesky_of_non_positive_definite_is_nan_per_matrix():
    a = np.stack([spd((3, 3)), -spd((3, 3)), np.zeros((3, 3))])
    for out in (lax.linalg.cholesky(a), irax.jit(lax.linalg.cholesky)(a)):
        out = np.asarray(out)
        close(out[0], sl.cholesky(a[0], lower=True))
        assert np.isnan(out[1:]).all()


def test_cholesky_reads_the_lower_triangle_without_symmetrize():
    a = spd((4, 4))
    garbage = a + np.triu(rand((4, 4)), 1)
    close(lax.linalg.cholesky(garbage, symmetrize_input=False), sl.cholesky(a, lower=True))
    # symmetrize_input factors (x + x^T) / 2
    close(lax.linalg.cholesky(garbage), sl.cholesky((garbage + garbage.T) / 2, lower=True))


def _scipy_triangular(a, b, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = t - np.diag(np.diag(t)) + np.eye(len(t))
    op = np.conj(t) if conjugate_a else t
    op = op.T if transpose_a else op
    return np.linalg.solve(op, b) if left_side else np.linalg.solve(op.T, b.T).T


FLAGS = [{"left_side": ls, "lower": lo, "transpose_a": tr, "conjugate_a": cj,
          "unit_diagonal": ud}
         for ls in (True, False) for lo in (True, False) for tr in (True, False)
         for cj in (False, True) for ud in (False, True)]


def _well_conditioned(shape, dtype):
    return (rand(shape, dtype) + 4 * np.eye(shape[-1])).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_triangular_solve_every_flag_matches_numpy(dtype):
    a = _well_conditioned((2, 4, 4), dtype)
    for flags in FLAGS:
        b = rand((2, 4, 3) if flags["left_side"] else (2, 3, 4), dtype)
        out = lax.linalg.triangular_solve(a, b, **flags)
        close(out, per_matrix(lambda m, r, flags=flags: _scipy_triangular(m, r, **flags), a, b),
              scale=100)


def test_triangular_solve_float32_and_vectors():
    a = _well_conditioned((3, 3), np.float32)
    b = rand((3,), np.float32)
    out = lax.linalg.triangular_solve(a, b, left_side=True, lower=True)
    assert out.shape == (3,) and out.dtype == np.float32
    close(out, sl.solve_triangular(a, b, lower=True))
    out = lax.linalg.triangular_solve(a, b, left_side=False, lower=False)
    close(out, sl.solve_triangular(a, b, trans=1, lower=False))


def test_triangular_solve_with_a_zero_pivot_gives_inf_or_nan():
    a = np.array([[1.0, 0.0], [1.0, 0.0]])
    f = lambda a, b: lax.linalg.triangular_solve(a, b, left_side=True, lower=True)
    for out in (f(a, np.ones((2, 1))), irax.jit(f)(a, np.ones((2, 1)))):
        out = np.asarray(out)
        assert out[0, 0] == 1.0 and not np.isfinite(out[1, 0])


def _check_lu(a, lu, pivots, perm):
    m, n = a.shape[-2:]
    k = min(m, n)
    lu, pivots, perm = np.asarray(lu), np.asarray(pivots), np.asarray(perm)
    assert pivots.dtype == perm.dtype == np.int32
    assert pivots.shape == a.shape[:-2] + (k,) and perm.shape == a.shape[:-2] + (m,)
    for index in np.ndindex(*a.shape[:-2]):
        ref_lu, ref_piv = sl.lu_factor(a[index])
        close(lu[index], ref_lu, a.dtype, scale=100)
        np.testing.assert_array_equal(pivots[index], ref_piv[:k])
        row = list(range(m))
        for i, p in enumerate(ref_piv[:k]):
            row[i], row[p] = row[p], row[i]
        np.testing.assert_array_equal(perm[index], row)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (2, 3, 5), (3, 5, 3)])
def test_lu_matches_scipy(shape, dtype):
    a = rand(shape, dtype)
    _check_lu(a, *lax.linalg.lu(a))


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # the oracle's
def test_lu_of_a_singular_matrix_leaves_the_zero_pivot():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])
    for lu, _, _ in (lax.linalg.lu(a), irax.jit(lax.linalg.lu)(a)):
        lu = np.asarray(lu)
        assert np.isfinite(lu).all() and lu[2, 2] == 0.0
    _check_lu(a, *lax.linalg.lu(a))


def test_lu_pivots_to_permutation_matches_a_loop():
    pivots = RNG.integers(0, 6, (3, 4)).astype(np.int32)
    pivots = np.maximum(pivots, np.arange(4))  # LAPACK pivots satisfy pivots[i] >= i
    expected = np.tile(np.arange(6), (3, 1))
    for row, piv in zip(expected, pivots):
        for i, p in enumerate(piv):
            row[i], row[p] = row[p], row[i]
    np.testing.assert_array_equal(lax.linalg.lu_pivots_to_permutation(pivots, 6), expected)
    np.testing.assert_array_equal(
        irax.jit(lambda p: lax.linalg.lu_pivots_to_permutation(p, 6))(pivots), expected)


def test_shape_and_dtype_errors_name_the_op():
    with pytest.raises(ShapeError, match="cholesky"):
        lax.linalg.cholesky(np.ones((2, 3)))
    with pytest.raises(TypeError, match="cholesky"):
        lax.linalg.cholesky(np.ones((2, 2), np.int32))
    with pytest.raises(ShapeError, match=r"triangular_solve.*\(3, 3\).*\(2, 2\)"):
        lax.linalg.triangular_solve(np.eye(3), np.ones((2, 2)), left_side=True)
    with pytest.raises(ShapeError, match="lu"):
        lax.linalg.lu(np.ones(3))
    with pytest.raises(ShapeError, match="solve"):
        jnp.linalg.solve(np.eye(3), np.ones(2))
    with pytest.raises(ShapeError, match="det"):
        jnp.linalg.det(np.ones((2, 3)))


# ---- irax.numpy.linalg and irax.scipy.linalg against NumPy / SciPy -----------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_numpy_linalg_functions(dtype):
    a = _well_conditioned((2, 3, 3), dtype)
    s = spd((2, 3, 3), dtype)
    close(jnp.linalg.cholesky(s), np.linalg.cholesky(s), scale=10)
    close(jnp.linalg.cholesky(s, upper=True),
          np.conj(np.swapaxes(np.linalg.cholesky(s), -1, -2)), scale=10)
    close(jnp.linalg.inv(a), np.linalg.inv(a), scale=10)
    close(jnp.linalg.det(a), np.linalg.det(a), scale=10)
    sign, logdet = jnp.linalg.slogdet(a)
    ref_sign, ref_logdet = np.linalg.slogdet(a)
    close(sign, ref_sign, scale=10)
    close(logdet, ref_logdet, scale=10)


def test_numpy_solve_broadcasting():
    a = _well_conditioned((2, 3, 3), np.float64)
    for b in (rand((3,)), rand((2, 3)), rand((2, 3, 4)), rand((1, 3, 4)), rand((5, 1, 3, 2))):
        if b.ndim == 1:
            expected = np.linalg.solve(a, b[:, None])[..., 0]
        elif b.ndim == a.ndim - 1:  # JAX: a batch of vectors
            expected = np.linalg.solve(a, b[..., None])[..., 0]
        else:
            expected = np.linalg.solve(a, b)
        close(jnp.linalg.solve(a, b), expected, scale=10)


def test_determinants_of_singular_matrices():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]]])
    np.testing.assert_array_equal(jnp.linalg.det(a), [0.0, 0.0])
    sign, logdet = jnp.linalg.slogdet(a)
    np.testing.assert_array_equal(sign, [0.0, 0.0])
    np.testing.assert_array_equal(logdet, [-np.inf, -np.inf])
    assert not np.isfinite(np.asarray(jnp.linalg.solve(a[0], np.ones(2)))).all()


def test_slogdet_sign_of_permuted_and_negative_matrices():
    a = np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    sign, logdet = jnp.linalg.slogdet(a)
    assert float(sign) == 1.0 and abs(float(logdet) - np.log(6.0)) < 1e-12
    close(jnp.linalg.det(a), 6.0)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_scipy_linalg_functions(dtype):
    a = _well_conditioned((4, 4), dtype)
    s = spd((4, 4), dtype)
    b, v = rand((4, 2), dtype), rand((4,), dtype)
    for lower in (False, True):
        close(isl.cholesky(s, lower=lower), sl.cholesky(s, lower=lower), scale=10)
        factor = isl.cho_factor(s, lower=lower)
        assert factor[1] is lower
        close(isl.cho_solve(factor, b), sl.cho_solve(sl.cho_factor(s, lower=lower), b),
              scale=100)
        close(isl.solve(s, v, assume_a="pos", lower=lower), sl.solve(s, v, assume_a="pos"),
              scale=100)
    for trans in (0, 1, 2, "N", "T", "C"):
        for lower in (False, True):
            close(isl.solve_triangular(a, b, trans=trans, lower=lower),
                  sl.solve_triangular(a, b, trans=trans, lower=lower), scale=100)
        close(isl.lu_solve(isl.lu_factor(a), b, trans=trans),
              sl.lu_solve(sl.lu_factor(a), b, trans="NTC".index(str(trans)) if isinstance(
                  trans, str) else trans), scale=100)
    close(isl.solve_triangular(a, v, lower=True, unit_diagonal=True),
          sl.solve_triangular(a, v, lower=True, unit_diagonal=True), scale=100)
    close(isl.lu_solve(isl.lu_factor(a), v), np.linalg.solve(a, v), scale=100)
    close(isl.solve(a, b), sl.solve(a, b), scale=100)
    close(isl.inv(a), sl.inv(a), scale=100)
    close(isl.det(a), sl.det(a), scale=100)
    lu, piv = isl.lu_factor(a)
    ref_lu, ref_piv = sl.lu_factor(a)
    close(lu, ref_lu, scale=100)
    np.testing.assert_array_equal(piv, ref_piv)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 3)])
def test_scipy_lu_matches_scipy(shape):
    a = rand(shape)
    p, l, u = isl.lu(a)
    refs = per_matrix(lambda m: np.concatenate([x.ravel() for x in sl.lu(m)]), a)
    got = per_matrix(lambda *ms: np.concatenate([x.ravel() for x in ms]),
                     *[np.asarray(x) for x in (p, l, u)]) if len(shape) == 2 else None
    if got is not None:
        close(got, refs, scale=100)
    close(np.asarray(p) @ np.asarray(l) @ np.asarray(u), a, scale=100)
    pl, u2 = isl.lu(a, permute_l=True)
    close(np.asarray(pl) @ np.asarray(u2), a, scale=100)


# ---- compiled against eager, two calls with different inputs ---------------------------

def _everything(a, s, b, x32):
    """One program with every function (float64 and a float32 part)."""
    return {
        "cholesky": lax.linalg.cholesky(s),
        "tri": lax.linalg.triangular_solve(a, b, left_side=True, lower=False,
                                           transpose_a=True),
        "tri_right": lax.linalg.triangular_solve(a, jnp.swapaxes(b, -1, -2), lower=True,
                                                 unit_diagonal=True),
        "lu": lax.linalg.lu(a),
        "solve": jnp.linalg.solve(a, b),
        "inv": jnp.linalg.inv(a),
        "det": jnp.linalg.det(a),
        "slogdet": tuple(jnp.linalg.slogdet(a)),
        "cho_solve": isl.cho_solve(isl.cho_factor(s), b),
        "lu_solve": isl.lu_solve(isl.lu_factor(a), b, trans=1),
        "scipy_lu": isl.lu(a),
        "f32": (lax.linalg.cholesky(x32 @ jnp.swapaxes(x32, -1, -2) + 5 * jnp.eye(5)),
                lax.linalg.lu(x32)),
    }


def test_compiled_matches_eager_on_two_calls():
    compiled = irax.jit(_everything)
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        args = (rng.standard_normal((2, 4, 4)) + 4 * np.eye(4), spd((2, 4, 4)),
                rng.standard_normal((2, 4, 3)),
                rng.standard_normal((5, 5)).astype(np.float32))
        got, want = compiled(*args), _everything(*args)
        got_leaves, tree = irax.tree_util.tree_flatten(got)
        want_leaves, want_tree = irax.tree_util.tree_flatten(want)
        assert tree == want_tree
        for g, w in zip(got_leaves, want_leaves):
            assert g.dtype == w.dtype
            close(g, np.asarray(w), scale=100)


def test_compiled_zero_size_cases_match_eager():
    import factorization_cases

    cases = factorization_cases.zero_size_cases(
        lambda *shape: RNG.uniform(-2, 2, shape).astype(np.float32))
    args = {name: args for name, (_, args) in cases.items()}
    got = irax.jit(lambda args: {n: cases[n][0](*args[n]) for n in cases})(args)
    for name, (fn, call_args) in cases.items():
        for g, w in zip(irax.tree_util.tree_leaves(got[name]),
                        irax.tree_util.tree_leaves(fn(*call_args))):
            assert g.shape == w.shape and g.dtype == w.dtype, name
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def test_compiled_blocked_algorithms_against_lapack():
    """Cholesky (blocks of 16 columns, padded) and triangular solves (blocks of 32 rows,
    padded) at sizes that take the blocked loops, float32 and float64, against LAPACK
    in float64; LU at the same size."""
    n = 80
    x = RNG.standard_normal((n, n))
    s = x @ x.T / n + np.eye(n)
    t = np.tril(x) / np.sqrt(n) + 2 * np.eye(n)
    b = RNG.standard_normal((n, 3))

    def run(s, t, b, x):
        return (lax.linalg.cholesky(s), lax.linalg.lu(x),
                lax.linalg.triangular_solve(t, b, left_side=True, lower=True),
                lax.linalg.triangular_solve(t, b.T, left_side=False, lower=True,
                                            transpose_a=True))

    expected_solve = sl.solve_triangular(t, b, lower=True)
    ref_lu, ref_piv = sl.lu_factor(x)
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        L, (lu, piv, _), left, right = irax.jit(run)(
            *[a.astype(dtype) for a in (s, t, b, x)])
        for got, want in ((L, np.linalg.cholesky(s)), (left, expected_solve),
                          (right, expected_solve.T),  # x t^T = b^T: x^T = t^-1 b
                          (lu, ref_lu)):
            assert np.abs(np.asarray(got) - want).max() < 20 * tol * np.abs(want).max()
        np.testing.assert_array_equal(piv, ref_piv)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_compiled_complex_matches_eager(dtype):
    s, a, b = spd((2, 3, 3), dtype), _well_conditioned((3, 3), dtype), rand((3, 2), dtype)

    def run(s, a, b):
        return (lax.linalg.cholesky(s), lax.linalg.lu(a), jnp.linalg.solve(a, b),
                lax.linalg.triangular_solve(a, b, left_side=True, transpose_a=True,
                                            conjugate_a=True))

    for _ in range(2):
        for got, want in zip(irax.tree_util.tree_leaves(irax.jit(run)(s, a, b)),
                             irax.tree_util.tree_leaves(run(s, a, b))):
            close(got, np.asarray(want), scale=100)
        s, a, b = spd((2, 3, 3), dtype), _well_conditioned((3, 3), dtype), rand((3, 2), dtype)


# ---- derivatives ----------------------------------------------------------------------

def _spd_from(x):
    return x @ jnp.swapaxes(x, -1, -2) + x.shape[-1] * jnp.eye(x.shape[-1])


GRAD_CASES = {
    "cholesky": (lambda x: jnp.linalg.cholesky(_spd_from(x)), [rand((2, 3, 3))]),
    "scipy_cholesky_upper": (lambda x: isl.cholesky(_spd_from(x)), [rand((3, 3))]),
    "cho_solve": (lambda x, b: isl.cho_solve(isl.cho_factor(_spd_from(x)), b),
                  [rand((3, 3)), rand((3, 2))]),
    "solve": (jnp.linalg.solve, [_well_conditioned((2, 3, 3), np.float64), rand((2, 3, 2))]),
    "solve_vector": (jnp.linalg.solve, [_well_conditioned((3, 3), np.float64), rand((3,))]),
    "inv": (jnp.linalg.inv, [_well_conditioned((3, 3), np.float64)]),
    "det": (jnp.linalg.det, [_well_conditioned((2, 3, 3), np.float64)]),
    "slogdet": (lambda a: jnp.linalg.slogdet(a).logabsdet,
                [_well_conditioned((3, 3), np.float64)]),
    "triangular_solve_left": (lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=True, lower=True), [_well_conditioned((3, 3), np.float64),
                                            rand((3, 2))]),
    "triangular_solve_right": (lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=False, lower=False, transpose_a=True),
        [_well_conditioned((2, 3, 3), np.float64), rand((2, 4, 3))]),
    "lu_solve": (lambda a, b: isl.lu_solve(isl.lu_factor(a), b, trans=1),
                 [_well_conditioned((3, 3), np.float64), rand((3,))]),
    "lu_factors": (lambda a: lax.linalg.lu(a)[0], [rand((3, 4))]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_check_grads_order_2(name):
    fn, args = GRAD_CASES[name]
    check_grads(fn, tuple(args), order=2, modes=("fwd", "rev"))


def test_det_gradient_is_the_cofactor_closed_form():
    a = _well_conditioned((3, 3), np.float64)
    # d det / d a = det(a) a^-T
    expected = np.linalg.det(a) * np.linalg.inv(a).T
    close(irax.grad(jnp.linalg.det)(a), expected, scale=100)
    close(irax.grad(lambda a: jnp.linalg.slogdet(a).logabsdet)(a), np.linalg.inv(a).T,
          scale=100)


def test_complex_triangular_solve_gradient():
    a = _well_conditioned((3, 3), np.complex128)
    b = rand((3, 2), np.complex128)
    f = lambda a, b: lax.linalg.triangular_solve(a, b, left_side=True, lower=True,
                                                 transpose_a=True, conjugate_a=True)
    check_grads(f, (a, b), order=1, modes=("fwd", "rev"))


# ---- vmap against a Python loop --------------------------------------------------------

VMAP_CASES = {
    "cholesky": (lambda x: lax.linalg.cholesky(_spd_from(x)), [rand((3, 4, 4))], 0),
    "triangular_solve": (lambda a, b: lax.linalg.triangular_solve(
        a, b, left_side=True, lower=False, unit_diagonal=True),
        [_well_conditioned((3, 3), np.float64), rand((3, 2, 4))], (None, 1)),
    "lu": (lax.linalg.lu, [rand((4, 3, 2))], 2),
    "solve": (jnp.linalg.solve, [_well_conditioned((3, 3), np.float64), rand((4, 3))],
              (None, 0)),
    "det": (jnp.linalg.det, [rand((3, 3, 3))], 1),
    "slogdet": (jnp.linalg.slogdet, [rand((3, 3, 3))], 0),
    "scipy_lu": (isl.lu, [rand((2, 3, 3))], 0),
}


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_a_loop(name):
    fn, args, in_axes = VMAP_CASES[name]
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    size = next(a.shape[d] for a, d in zip(args, axes) if d is not None)
    got = irax.vmap(fn, in_axes=axes)(*args)
    for i in range(size):
        one = fn(*[a if d is None else np.take(a, i, d) for a, d in zip(args, axes)])
        for g, w in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(one)):
            np.testing.assert_allclose(np.asarray(g)[i], np.asarray(w), rtol=1e-10,
                                       atol=1e-12)
