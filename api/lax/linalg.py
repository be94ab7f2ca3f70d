"""irax.lax.linalg: matrix factorizations and triangular solves (`cholesky`,
`triangular_solve`, `lu`, `lu_pivots_to_permutation`), as `jax.lax.linalg`.

Every function takes batches of matrices: leading dimensions are batch dimensions.
"""
import numpy as np

from irax.core import dtypes
from irax.core.errors import ShapeError
from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as _linalg
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor, to_tensor

from .control_flow import fori_loop

__all__ = ["cholesky", "lu", "lu_pivots_to_permutation", "symmetrize", "triangular_solve"]


def cholesky(x, *, symmetrize_input: bool = True) -> Tensor:
    """`cholesky(x, *, symmetrize_input=True)`: the Cholesky factor of Hermitian
    positive-definite matrices.

    Args:
      x: a batch of matrices (..., n, n), floating point or complex.
      symmetrize_input: factor (x + x^H) / 2 (so the result's derivative is that of a
        symmetric input); otherwise only x's lower triangle is read.

    Returns:
      The lower-triangular L (..., n, n) with x = L L^H; all NaN for a matrix that is not
      positive definite, as JAX.

    Example:
      >>> lax.linalg.cholesky(jnp.array([[4.0, 2.0], [2.0, 5.0]]))  # [[2, 0], [1, 2]]
    """
    x = to_tensor(x)
    if symmetrize_input and x.ndim >= 2 and x.shape[-1] == x.shape[-2]:
        x = symmetrize(x)
    return _linalg.cholesky(x)


def symmetrize(x) -> Tensor:
    """`symmetrize(x)`: (x + x^H) / 2 of each matrix (..., n, n), its Hermitian part.

    Example:
      >>> lax.linalg.symmetrize(jnp.array([[1.0, 2.0], [0.0, 1.0]]))  # [[1, 1], [1, 1]]
    """
    x = to_tensor(x)
    xh = _linalg.swap_last(ew.conj(x) if dtypes.is_complex(x.dtype) else x)
    return ew.div(ew.add(x, xh), np.array(2, x.dtype))


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False) -> Tensor:
    """`triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
    conjugate_a=False, unit_diagonal=False)`: solves op(a) x = b (`left_side`) or
    x op(a) = b for triangular a.

    Args:
      a: triangular matrices (..., m, m); only the triangle named by `lower` is read,
        and its diagonal is taken as ones with `unit_diagonal`.
      b: right-hand sides with a's batch dimensions, (..., m, n) for `left_side`, else
        (..., n, m); with one dimension less than a, a batch of vectors.
      transpose_a, conjugate_a: op(a) is a, a^T, conj(a) or a^H.

    Returns:
      x, of b's shape; a zero on a's diagonal gives inf/NaN, as JAX.

    Example:
      >>> a = jnp.array([[2.0, 0.0], [1.0, 1.0]])
      >>> lax.linalg.triangular_solve(a, jnp.array([[2.0], [3.0]]), left_side=True,
      ...                             lower=True)  # [[1], [2]]
    """
    a, b = to_tensor(a), to_tensor(b)
    vector = b.ndim == a.ndim - 1
    if vector:
        b = st.expand_dims(b, (b.ndim if left_side else b.ndim - 1,))
    out = _linalg.triangular_solve(a, b, left_side=left_side, lower=lower,
                                   transpose_a=transpose_a, conjugate_a=conjugate_a,
                                   unit_diagonal=unit_diagonal)
    if vector:
        out = st.squeeze(out, (out.ndim - 1 if left_side else out.ndim - 2,))
    return out


def lu(x) -> tuple[Tensor, Tensor, Tensor]:
    """`lu(x)`: LU decomposition with partial pivoting, P x = L U.

    Args:
      x: a batch of matrices (..., m, n), floating point or complex.

    Returns:
      (lu, pivots, permutation): L's strictly lower part (its diagonal is ones) and U
      in `lu` (..., m, n); the row interchanges (row i was swapped with row
      pivots[..., i], 0-based, int32, (..., min(m, n))); and the permutation they make
      (int32, (..., m)), with x[permutation] = L @ U. A zero pivot is left unscaled
      (LAPACK's getrf).

    Example:
      >>> lu, pivots, perm = lax.linalg.lu(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
      >>> pivots, perm  # [1, 1], [1, 0]
    """
    return tuple(_linalg.lu(x))


def lu_pivots_to_permutation(pivots, permutation_size: int) -> Tensor:
    """`lu_pivots_to_permutation(pivots, permutation_size)`: the permutation that the
    row interchanges `pivots` (as `lu` returns them) apply.

    Args:
      pivots: int32 (..., k): row i is swapped with row pivots[..., i], in order.
      permutation_size: m >= k, the length of the permutation.

    Returns:
      int32 (..., m): the identity with the interchanges applied.

    Example:
      >>> lax.linalg.lu_pivots_to_permutation(jnp.array([2, 2, 2], jnp.int32), 3)
      ... # [2, 0, 1]
    """
    pivots = to_tensor(pivots)
    if not dtypes.is_integer(pivots.dtype) or pivots.ndim < 1:
        raise TypeError(f"lu_pivots_to_permutation: pivots must be an integer array of "
                        f"rank >= 1, got {pivots.dtype}{list(pivots.shape)}")
    k, m = pivots.shape[-1], int(permutation_size)
    if k > m:
        raise ShapeError(f"lu_pivots_to_permutation: {k} pivots need permutation_size >= "
                         f"{k}, got {m}")
    pivots = ew.convert_element_type(pivots, np.int32)
    batch = pivots.shape[:-1]
    rows = st.broadcasted_iota(np.int32, batch + (m,), len(batch))
    keep = tuple(range(len(batch)))

    def swap(i, perm):
        p = st.reshape(st.dynamic_slice(pivots, (0,) * len(batch) + (i,),
                                        batch + (1,)), batch)
        is_i = ew.eq(rows, i)
        is_p = ew.eq(rows, st.broadcast_in_dim(p, rows.shape, keep))
        zeros = ew.mul(perm, np.int32(0))
        at_i = st.broadcast_in_dim(red.reduce_sum(ew.select(is_i, perm, zeros), (len(batch),)),
                                   rows.shape, keep)
        at_p = st.broadcast_in_dim(red.reduce_sum(ew.select(is_p, perm, zeros), (len(batch),)),
                                   rows.shape, keep)
        return ew.select(is_i, at_p, ew.select(is_p, at_i, perm))

    return fori_loop(0, k, swap, rows)
