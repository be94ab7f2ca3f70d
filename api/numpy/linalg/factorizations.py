"""irax.numpy.linalg's functions built on matrix factorizations: `cholesky` and, through
an LU decomposition with partial pivoting, `solve`, `inv`, `det` and `slogdet`.

All take batches of matrices (leading dimensions are batch dimensions, broadcast
between operands) and follow JAX: a matrix that is not positive definite has an all-NaN
Cholesky factor, a singular one a zero determinant and inf/NaN solutions.
"""
from typing import NamedTuple

import numpy as np

from irax.core import dtypes
from irax.core.errors import ShapeError
from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as _linalg
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor
from irax.lax import linalg as lax_linalg
from irax.transforms.custom_derivatives import custom_jvp

from ..util import asarray_arg, broadcast_shapes, broadcast_to_shape

__all__ = ["SlogdetResult", "cholesky", "det", "inv", "slogdet", "solve"]


def promote_dtypes_inexact(name: str, *args) -> list[Tensor]:
    """The arguments as arrays of one inexact dtype (integers promote to the default
    float), shapes unchanged.

    Example:
      >>> promote_dtypes_inexact("solve", np.eye(2, dtype=np.int32), [1.0, 2.0])
      ... # two float32 arrays (float64 with x64), shapes (2, 2) and (2,)
    """
    xs = [asarray_arg(name, a) for a in args]
    dtype, weak = dtypes.promote_dtypes_weak(*[(x.dtype, x.weak_type) for x in xs])
    if not dtypes.is_inexact(dtype):
        dtype = dtypes.default_float_dtype()
    return [x if x.dtype == dtype else ew.convert_element_type(x, dtype, weak) for x in xs]


def _square_matrices(name: str, a: Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: argument must be a batch of square matrices (..., n, n), "
                         f"got shape {a.shape}")


def cholesky(a, *, upper: bool = False, symmetrize_input: bool = True) -> Tensor:
    """`jnp.linalg.cholesky(a, *, upper=False, symmetrize_input=True)`: the Cholesky
    factor of Hermitian positive-definite matrices.

    Args:
      a: (..., n, n); with `symmetrize_input`, (a + a^H) / 2 is factored.
      upper: return the upper factor U = L^H (a = U^H U) instead of L (a = L L^H).

    Returns:
      (..., n, n), triangular; all NaN for a matrix that is not positive definite.

    Example:
      >>> jnp.linalg.cholesky(jnp.array([[4.0, 2.0], [2.0, 5.0]]))  # [[2, 0], [1, 2]]
    """
    (a,) = promote_dtypes_inexact("cholesky", a)
    _square_matrices("cholesky", a)
    L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _conj_transpose(L) if upper else L


def _conj_transpose(x: Tensor) -> Tensor:
    return _linalg.swap_last(ew.conj(x) if dtypes.is_complex(x.dtype) else x)


def permutation_matrix(perm: Tensor, dtype) -> Tensor:
    """P (..., m, m) of 0/1 with (P x)[i] = x[perm[i]] for a permutation (..., m).

    Example:
      >>> permutation_matrix(jnp.array([1, 0], jnp.int32), np.float32)  # [[0, 1], [1, 0]]
    """
    m, nb = perm.shape[-1], perm.ndim - 1
    shape = perm.shape + (m,)
    return ew.convert_element_type(
        ew.eq(st.broadcast_in_dim(perm, shape, tuple(range(nb + 1))),
              st.broadcasted_iota(np.int32, shape, nb + 1)), dtype)


def lu_solve_core(lu: Tensor, perm: Tensor, b: Tensor, trans: int = 0) -> Tensor:
    """x with op(a) x = b for a's LU decomposition a[perm] = L U and matrices b
    (..., m, n) of lu's batch dimensions; op(a) is a (trans 0), a^T (1) or a^H (2).

    Example:
      >>> lu, _, perm = lax.linalg.lu(a)
      >>> lu_solve_core(lu, perm, b)  # == jnp.linalg.solve(a, b) for b (n, k)
    """
    p = permutation_matrix(perm, lu.dtype)
    if trans == 0:
        x = _linalg.batch_matmul(p, b)
        x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=True,
                                        unit_diagonal=True)
        return lax_linalg.triangular_solve(lu, x, left_side=True, lower=False)
    # a^T = U^T L^T P: x = P^T L^-T U^-T b (conjugated factors for a^H)
    conj = trans == 2
    x = lax_linalg.triangular_solve(lu, b, left_side=True, lower=False, transpose_a=True,
                                    conjugate_a=conj)
    x = lax_linalg.triangular_solve(lu, x, left_side=True, lower=True, transpose_a=True,
                                    conjugate_a=conj, unit_diagonal=True)
    return _linalg.batch_matmul(_linalg.swap_last(p), x)


def _solve_shapes(name: str, a: Tensor, b: Tensor):
    """a and b broadcast over their batch dimensions, b as matrices; and whether b was
    (a batch of) vectors. b is a vector if it has rank 1 or one dimension less than a
    (JAX's rule)."""
    _square_matrices(name, a)
    vector = b.ndim == 1 or b.ndim == a.ndim - 1
    if vector:
        b = st.expand_dims(b, (b.ndim,))
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ShapeError(f"{name}: b must have {a.shape[-1]} rows to match a {a.shape}, got "
                         f"b {b.shape[:-1] if vector else b.shape}")
    batch = broadcast_shapes(name, a.shape[:-2], b.shape[:-2])
    return (broadcast_to_shape(a, batch + a.shape[-2:]),
            broadcast_to_shape(b, batch + b.shape[-2:]), vector)


def solve(a, b) -> Tensor:
    """`jnp.linalg.solve(a, b)`: x with a x = b, through a's LU decomposition.

    Args:
      a: (..., m, m).
      b: a vector (m,), a batch of vectors (..., m) with one dimension less than a, or
        matrices (..., m, n); batch dimensions broadcast against a's.

    Returns:
      x, shaped like b (with the broadcast batch dimensions); inf/NaN for singular a.

    Example:
      >>> jnp.linalg.solve(jnp.array([[3.0, 1.0], [1.0, 2.0]]), jnp.array([9.0, 8.0]))
      ... # [2, 3]
    """
    a, b = promote_dtypes_inexact("solve", a, b)
    a, b, vector = _solve_shapes("solve", a, b)
    lu, _, perm = lax_linalg.lu(a)
    x = lu_solve_core(lu, perm, b)
    return st.squeeze(x, (x.ndim - 1,)) if vector else x


def inv(a) -> Tensor:
    """`jnp.linalg.inv(a)`: the inverse of each matrix (..., n, n), via LU.

    Example:
      >>> jnp.linalg.inv(jnp.array([[2.0, 0.0], [0.0, 4.0]]))  # [[0.5, 0], [0, 0.25]]
    """
    (a,) = promote_dtypes_inexact("inv", a)
    _square_matrices("inv", a)
    return solve(a, _linalg.eye_like(a, a.shape[-1]))


def _lu_diagonal_and_parity(a: Tensor):
    """U's diagonal (..., n) and the permutation's parity (0/1, int32) of a's LU."""
    lu, pivots, _ = lax_linalg.lu(a)
    nd, n = lu.ndim, lu.shape[-1]
    diagonal = red.reduce_sum(ew.mul(lu, _linalg.eye_like(lu, n)), (nd - 1,))
    swapped = ew.convert_element_type(
        ew.ne(pivots, st.broadcasted_iota(np.int32, pivots.shape, nd - 2)), np.int32)
    parity = ew.rem(red.reduce_sum(swapped, (nd - 2,)), np.int32(2))
    return diagonal, parity


def _parity_sign(parity: Tensor, dtype) -> Tensor:
    """(-1) ** parity in `dtype`."""
    return ew.convert_element_type(ew.sub(np.int32(1), ew.mul(np.int32(2), parity)), dtype)


@custom_jvp
def _det(a: Tensor) -> Tensor:
    diagonal, parity = _lu_diagonal_and_parity(a)
    return ew.mul(red.reduce_prod(diagonal, (diagonal.ndim - 1,)),
                  _parity_sign(parity, a.dtype))


def _det_jvp(primals, tangents):
    """det' = det tr(a^-1 da) (JAX's rule)."""
    (a,), (da,) = primals, tangents
    out = _det(a)
    product = solve(a, da)
    nd = product.ndim
    trace = red.reduce_sum(ew.mul(product, _linalg.eye_like(product, a.shape[-1])),
                           (nd - 2, nd - 1))
    return out, ew.mul(out, trace)


_det.defjvp(_det_jvp)


def det(a) -> Tensor:
    """`jnp.linalg.det(a)`: the determinant of each matrix (..., n, n), from its LU
    decomposition (its derivative is det(a) tr(a^-1 da), as JAX's custom JVP).

    Example:
      >>> jnp.linalg.det(jnp.array([[1.0, 2.0], [3.0, 4.0]]))  # -2
    """
    (a,) = promote_dtypes_inexact("det", a)
    _square_matrices("det", a)
    return _det(a)


class SlogdetResult(NamedTuple):
    """`slogdet`'s result: the sign (a unit complex number for complex input) and the
    natural log of the absolute value of the determinant."""

    sign: Tensor
    logabsdet: Tensor


def slogdet(a, *, method: str | None = None) -> SlogdetResult:
    """`jnp.linalg.slogdet(a, *, method=None)`: sign and log |det| of each matrix,
    from its LU decomposition (`method` None or 'lu').

    Returns:
      SlogdetResult(sign, logabsdet), each (...,): a singular matrix has sign 0 and
      logabsdet -inf.

    Example:
      >>> jnp.linalg.slogdet(jnp.array([[1.0, 2.0], [3.0, 4.0]]))  # (-1, log 2)
    """
    if method not in (None, "lu"):
        raise ValueError(f"slogdet: unsupported method {method!r}; irax computes it "
                         "through LU (method=None or 'lu')")
    (a,) = promote_dtypes_inexact("slogdet", a)
    _square_matrices("slogdet", a)
    diagonal, parity = _lu_diagonal_and_parity(a)
    axis = diagonal.ndim - 1
    magnitude = ew.abs(diagonal)
    logabsdet = red.reduce_sum(ew.log(magnitude), (axis,))
    if dtypes.is_complex(a.dtype):
        safe = ew.select(ew.eq(magnitude, np.zeros((), magnitude.dtype)),
                         st.broadcast_in_dim(np.ones((), magnitude.dtype), magnitude.shape, ()),
                         magnitude)
        units = ew.div(diagonal, ew.convert_element_type(safe, a.dtype))
    else:
        units = ew.sign(diagonal)
    sign = ew.mul(red.reduce_prod(units, (axis,)), _parity_sign(parity, a.dtype))
    singular = red.reduce_or(ew.eq(magnitude, np.zeros((), magnitude.dtype)), (axis,))
    sign = ew.select(singular, ew.mul(sign, np.zeros((), a.dtype)), sign)
    return SlogdetResult(sign, logabsdet)
