"""dot_general: the one contraction primitive (matmul, batched matmul, tensordot); the
matrix factorizations cholesky, triangular_solve and lu; and the small matrix helpers
(batched matmul, triangles, identities) their rules and lowerings share."""
import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor
from . import elementwise as ew
from . import structural as st


def _dims(dimension_numbers):
    (lc, rc), (lb, rb) = dimension_numbers
    return tuple(lc), tuple(rc), tuple(lb), tuple(rb)


def _free(ndim, *used):
    taken = set(sum(used, ()))
    return tuple(i for i in range(ndim) if i not in taken)


def _dot_general_shape(lhs, rhs, dimension_numbers):
    lc, rc, lb, rb = _dims(dimension_numbers)
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise ShapeError(f"dot_general: contracting {lc} / {rc} and batch {lb} / {rb} "
                         "dimensions must pair up")
    for a, b in zip(lc + lb, rc + rb):
        if not (0 <= a < lhs.ndim and 0 <= b < rhs.ndim) or lhs.shape[a] != rhs.shape[b]:
            raise ShapeError(f"dot_general: lhs {lhs.shape} and rhs {rhs.shape} do not match "
                             f"on dimension numbers {dimension_numbers}")
    batch = tuple(lhs.shape[i] for i in lb)
    return (batch + tuple(lhs.shape[i] for i in _free(lhs.ndim, lc, lb))
            + tuple(rhs.shape[i] for i in _free(rhs.ndim, rc, rb)))


def _dot_general_dtype(lhs, rhs, preferred_element_type):
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"dot_general requires operands of one dtype, got {lhs.dtype} and "
                        f"{rhs.dtype}")
    return lhs.dtype if preferred_element_type is None else preferred_element_type


def _dot_general_impl(lhs, rhs, *, dimension_numbers, preferred_element_type):
    out_shape = _dot_general_shape(lhs, rhs, dimension_numbers)
    out_dtype = _dot_general_dtype(lhs, rhs, preferred_element_type)
    lc, rc, lb, rb = _dims(dimension_numbers)
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    size = lambda x, axes: int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    nb, k = size(lhs, lb), size(lhs, lc)
    a = np.transpose(lhs, lb + lf + lc).reshape(nb, size(lhs, lf), k)
    b = np.transpose(rhs, rb + rc + rf).reshape(nb, k, size(rhs, rf))
    if out_dtype != lhs.dtype:
        a, b = a.astype(out_dtype), b.astype(out_dtype)
    return np.matmul(a, b).reshape(out_shape).astype(out_dtype, copy=False)


dot_general_p = Primitive("dot_general")
dot_general_p.def_impl(_dot_general_impl)
dot_general_p.def_abstract_eval(
    lambda lhs, rhs, *, dimension_numbers, preferred_element_type: ShapedArray(
        _dot_general_shape(lhs, rhs, dimension_numbers),
        _dot_general_dtype(lhs, rhs, preferred_element_type),
        lhs.weak_type and rhs.weak_type))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """`lax.dot_general`: contraction with ((lhs_contract, rhs_contract), (lhs_batch,
    rhs_batch)) dimension numbers; output dims are batch, lhs free, rhs free.
    `precision` is accepted for JAX compatibility; irax computes at full precision."""
    lc, rc, lb, rb = _dims(dimension_numbers)
    pet = None if preferred_element_type is None else dtypes.canonicalize_dtype(
        preferred_element_type)
    return dot_general_p.bind(to_tensor(lhs), to_tensor(rhs),
                              dimension_numbers=((lc, rc), (lb, rb)),
                              preferred_element_type=pet)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """`lax.dot`: vector·vector, matrix·vector or matrix·matrix product (`precision`
    accepted for JAX compatibility)."""
    lhs, rhs = to_tensor(lhs), to_tensor(rhs)
    if lhs.ndim not in (1, 2) or rhs.ndim not in (1, 2):
        raise ShapeError(f"dot: operands must be rank 1 or 2, got {lhs.shape} and {rhs.shape}")
    return dot_general(lhs, rhs, (((lhs.ndim - 1,), (0,)), ((), ())),
                       preferred_element_type=preferred_element_type)


# ---- matrix factorizations -------------------------------------------------------------
# Each takes a batch of matrices (..., m, n); the eager impls loop over the batch with
# LAPACK / BLAS (SciPy) and keep LAPACK's behaviour on bad input as JAX does: a matrix
# that is not positive definite has an all-NaN Cholesky factor, a singular triangular
# matrix gives inf/NaN solutions, and LU leaves a zero pivot unscaled.

def _check_matrices(name, x, square=True):
    if not dtypes.is_inexact(x.dtype):
        raise TypeError(f"{name} requires a floating-point or complex operand, got {x.dtype}")
    if x.ndim < 2 or (square and x.shape[-1] != x.shape[-2]):
        kind = "square matrices" if square else "matrices"
        raise ShapeError(f"{name}: operand must be a batch of {kind} (..., n, n), got shape "
                         f"{x.shape}")


def _each_matrix(x, out_shape, dtype, fn):
    """`fn(matrix)` for every matrix of the batch `x`, stacked into `out_shape`."""
    out = np.empty(out_shape, dtype)
    for index in np.ndindex(*x.shape[:-2]):
        out[index] = fn(x[index])
    return out


def _cholesky_matrix(a):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return np.full(a.shape, np.nan, a.dtype)


def _cholesky_impl(x):
    _check_matrices("cholesky", x)
    if x.size == 0:
        return np.zeros(x.shape, x.dtype)
    return _each_matrix(x, x.shape, x.dtype, _cholesky_matrix)


cholesky_p = Primitive("cholesky")
cholesky_p.def_impl(_cholesky_impl)
cholesky_p.def_abstract_eval(lambda x: (_check_matrices("cholesky", x),
                                        ShapedArray(x.shape, x.dtype, x.weak_type))[1])


def cholesky(x):
    """`cholesky_p` on a batch of Hermitian positive-definite matrices (..., n, n):
    the lower-triangular L with x = L L^H, reading only x's lower triangle (zeros
    above the diagonal). A matrix that is not positive definite gives NaNs."""
    return cholesky_p.bind(to_tensor(x))


def _triangular_solve_shape(a, b, left_side):
    _check_matrices("triangular_solve", a)
    if a.dtype != b.dtype:
        raise TypeError(f"triangular_solve requires operands of one dtype, got {a.dtype} "
                        f"and {b.dtype}")
    m = a.shape[-1]
    if (b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2]
            or b.shape[-2 if left_side else -1] != m):
        side = "rows" if left_side else "columns"
        raise ShapeError(f"triangular_solve: b must have a's batch dimensions and {m} "
                         f"{side} (left_side={left_side}), got a {a.shape} and b {b.shape}")
    return b.shape


def _op_a(a, lower, transpose_a, conjugate_a, unit_diagonal):
    """op(a) spelled out: a's triangle (unit diagonal if asked), conjugated and/or
    transposed; returns it and whether it is lower triangular."""
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        t = t.copy()
        np.fill_diagonal(t, 1)
    if conjugate_a:
        t = np.conj(t)
    return (t.T, not lower) if transpose_a else (t, lower)


def _triangular_solve_impl(a, b, *, left_side, lower, transpose_a, conjugate_a,
                           unit_diagonal):
    shape = _triangular_solve_shape(a, b, left_side)
    if b.size == 0:
        return np.zeros(shape, b.dtype)
    from scipy.linalg import blas

    trsm = blas.get_blas_funcs("trsm", (a, b))

    def solve(index):
        t, t_lower = _op_a(a[index], lower, transpose_a, conjugate_a, unit_diagonal)
        # BLAS trsm never checks the diagonal: a zero pivot gives inf/NaN, as in JAX
        return trsm(1.0, np.asfortranarray(t), b[index], side=0 if left_side else 1,
                    lower=int(t_lower))

    out = np.empty(shape, b.dtype)
    for index in np.ndindex(*shape[:-2]):
        out[index] = solve(index)
    return out


triangular_solve_p = Primitive("triangular_solve")
triangular_solve_p.def_impl(_triangular_solve_impl)
triangular_solve_p.def_abstract_eval(
    lambda a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal: ShapedArray(
        _triangular_solve_shape(a, b, left_side), b.dtype, a.weak_type and b.weak_type))


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
    """`triangular_solve_p`: x with op(a) x = b (`left_side`) or x op(a) = b, for
    batches a (..., m, m) and b (..., m, n) / (..., n, m) of one dtype; op(a) is a's
    lower or upper triangle (diagonal of ones if `unit_diagonal`), conjugated and/or
    transposed (`conjugate_a` only matters for complex a)."""
    a, b = to_tensor(a), to_tensor(b)
    conjugate_a = bool(conjugate_a) and dtypes.is_complex(a.dtype)
    return triangular_solve_p.bind(a, b, left_side=bool(left_side),
                                   lower=bool(lower), transpose_a=bool(transpose_a),
                                   conjugate_a=conjugate_a,
                                   unit_diagonal=bool(unit_diagonal))


def pivots_to_permutation(pivots, size):
    """The permutation (int32, NumPy) that LAPACK's row interchanges `pivots` apply."""
    perm = np.broadcast_to(np.arange(size, dtype=np.int32), pivots.shape[:-1] + (size,))
    perm = perm.copy()
    for index in np.ndindex(*pivots.shape[:-1]):
        row = perm[index]
        for i, p in enumerate(pivots[index]):
            row[i], row[p] = row[p], row[i]
    return perm


def _lu_shapes(x):
    _check_matrices("lu", x, square=False)
    m, n = x.shape[-2:]
    return x.shape, x.shape[:-2] + (min(m, n),), x.shape[:-2] + (m,)


def _lu_impl(x):
    lu_shape, pivots_shape, perm_shape = _lu_shapes(x)
    lu = np.zeros(lu_shape, x.dtype)
    pivots = np.zeros(pivots_shape, np.int32)
    if x.size:
        from scipy.linalg import lapack

        getrf = lapack.get_lapack_funcs("getrf", (x,))
        for index in np.ndindex(*x.shape[:-2]):
            lu[index], pivots[index], _ = getrf(x[index])  # info > 0: a zero pivot
    return lu, pivots, pivots_to_permutation(pivots, perm_shape[-1])


lu_p = Primitive("lu", multiple_results=True)
lu_p.weak_type_rule = lambda args, params: [args[0].weak_type, False, False]
lu_p.def_impl(_lu_impl)


def _lu_abstract_eval(x):
    lu_shape, pivots_shape, perm_shape = _lu_shapes(x)
    return [ShapedArray(lu_shape, x.dtype, x.weak_type),
            ShapedArray(pivots_shape, np.dtype(np.int32)),
            ShapedArray(perm_shape, np.dtype(np.int32))]


lu_p.def_abstract_eval(_lu_abstract_eval)


def lu(x):
    """`lu_p`: LU decomposition with partial pivoting of a batch (..., m, n): returns
    (lu, pivots, permutation) with L (unit lower, below lu's diagonal) and U (upper) in
    `lu`, LAPACK's 0-based row interchanges `pivots` (..., min(m, n)) and the row
    permutation (..., m) with x[permutation] = L @ U (both int32)."""
    return lu_p.bind(to_tensor(x))


# ---- matrix helpers shared by the factorizations' rules and lowerings ------------------

def swap_last(x):
    """x with its last two dimensions swapped (the transpose of each matrix)."""
    nd = x.ndim
    return st.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def batch_matmul(x, y):
    """Matrix products over the last two dimensions; the leading ones are batch."""
    nd = x.ndim
    batch = tuple(range(nd - 2))
    return dot_general(x, y, (((nd - 1,), (nd - 2,)), (batch, batch)))


def triangle(x, lower: bool, k: int = 0):
    """`tril(x, k)` (`lower`) or `triu(x, k)` of each matrix: zeros elsewhere."""
    shape, nd = x.shape, x.ndim
    rows = st.broadcasted_iota(np.int32, shape, nd - 2)
    cols = st.broadcasted_iota(np.int32, shape, nd - 1)
    offset = ew.sub(cols, rows)
    keep = ew.le(offset, np.int32(k)) if lower else ew.ge(offset, np.int32(k))
    return ew.select(keep, x, ew.convert_element_type(np.zeros((), x.dtype), x.dtype))


def eye_like(x, n: int):
    """An n x n identity of x's dtype, broadcast over x's batch dimensions."""
    shape = x.shape[:-2] + (n, n)
    same = ew.eq(st.broadcasted_iota(np.int32, shape, len(shape) - 2),
                 st.broadcasted_iota(np.int32, shape, len(shape) - 1))
    return ew.convert_element_type(same, x.dtype)
