"""irax.scipy.linalg: `cholesky`, `cho_factor`, `cho_solve`, `solve_triangular`, `lu`,
`lu_factor`, `lu_solve`, `solve`, `inv` and `det`, as `jax.scipy.linalg`.

Leading dimensions are batch dimensions. The `overwrite_*` and `check_finite`
arguments are accepted for SciPy compatibility and ignored (irax arrays are immutable
and nothing is checked for finiteness: NaNs propagate).
"""
import numpy as np

from irax.core import dtypes
from irax.core.errors import ShapeError
from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as _linalg
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor
from irax.lax import linalg as lax_linalg
from irax.numpy import linalg as np_linalg
from irax.numpy.linalg.factorizations import (
    lu_solve_core,
    permutation_matrix,
    promote_dtypes_inexact,
)

__all__ = [
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "inv",
    "lu",
    "lu_factor",
    "lu_solve",
    "solve",
    "solve_triangular",
]


def _conj_transpose(x: Tensor) -> Tensor:
    return _linalg.swap_last(ew.conj(x) if dtypes.is_complex(x.dtype) else x)


def _square(name: str, a: Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: a must be a batch of square matrices (..., n, n), got "
                         f"shape {a.shape}")


def cholesky(a, lower: bool = False, overwrite_a: bool = False,
             check_finite: bool = True) -> Tensor:
    """`jax.scipy.linalg.cholesky(a, lower=False, overwrite_a=False, check_finite=True)`:
    the Cholesky factor of (the Hermitian part of) positive-definite matrices.

    Returns:
      U with a = U^H U (default), or L with a = L L^H (`lower`); all NaN for a matrix
      that is not positive definite.

    Example:
      >>> irax.scipy.linalg.cholesky(jnp.array([[4.0, 2.0], [2.0, 5.0]]))  # [[2, 1], [0, 2]]
    """
    (a,) = promote_dtypes_inexact("cholesky", a)
    _square("cholesky", a)
    L = lax_linalg.cholesky(a)
    return L if lower else _conj_transpose(L)


def cho_factor(a, lower: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> tuple[Tensor, bool]:
    """`jax.scipy.linalg.cho_factor(a, lower=False, ...)`: `(c, lower)` for `cho_solve`,
    c the Cholesky factor (zeros in its other triangle).

    Example:
      >>> c = irax.scipy.linalg.cho_factor(jnp.array([[4.0, 2.0], [2.0, 5.0]]))
      >>> irax.scipy.linalg.cho_solve(c, jnp.array([2.0, 1.0]))  # [0.5, 0]
    """
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True) -> Tensor:
    """`jax.scipy.linalg.cho_solve((c, lower), b, overwrite_b=False, check_finite=True)`:
    x with a x = b, from a's Cholesky factor `c` as `cho_factor` returns it.

    Args:
      c_and_lower: (c (..., n, n), lower).
      b: (..., n) or (..., n, k) with c's batch dimensions.

    Example:
      >>> c = irax.scipy.linalg.cho_factor(jnp.array([[4.0, 2.0], [2.0, 5.0]]))
      >>> irax.scipy.linalg.cho_solve(c, jnp.array([2.0, 1.0]))  # [0.5, 0]
    """
    c, lower = c_and_lower
    c, b = promote_dtypes_inexact("cho_solve", c, b)
    _check_solve_shapes("cho_solve", c, b)
    # a = L L^H: solve L y = b, then L^H x = y (with U = L^H when c is upper)
    b = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower,
                                    transpose_a=not lower, conjugate_a=not lower)
    return lax_linalg.triangular_solve(c, b, left_side=True, lower=lower,
                                       transpose_a=lower, conjugate_a=lower)


def _check_solve_shapes(name: str, a: Tensor, b: Tensor) -> None:
    """JAX's rule: a (..., n, n), b (..., n) or (..., n, k) with a's batch dimensions."""
    _square(name, a)
    if b.ndim not in (a.ndim, a.ndim - 1) or b.shape[:a.ndim - 2] != a.shape[:-2] or (
            b.shape[a.ndim - 2] != a.shape[-1]):
        raise ShapeError(f"{name}: b must be (..., n) or (..., n, k) with a's batch "
                         f"dimensions, got a {a.shape} and b {b.shape}")


_TRANS = {0: (False, False), "N": (False, False), 1: (True, False), "T": (True, False),
          2: (True, True), "C": (True, True)}


def _trans_flags(name: str, trans):
    if trans not in _TRANS:
        raise ValueError(f"{name}: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    return _TRANS[trans]


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_b: bool = False, debug=None,
                     check_finite: bool = True) -> Tensor:
    """`jax.scipy.linalg.solve_triangular(a, b, trans=0, lower=False,
    unit_diagonal=False, ...)`: x with op(a) x = b for triangular a.

    Args:
      a: (..., n, n); only its `lower` (or upper) triangle is read.
      b: (..., n) or (..., n, k) with a's batch dimensions.
      trans: op(a) = a (0, 'N'), a^T (1, 'T') or a^H (2, 'C').
      unit_diagonal: take a's diagonal as ones.

    Returns:
      x, b's shape; inf/NaN where a's diagonal has a zero.

    Example:
      >>> irax.scipy.linalg.solve_triangular(jnp.array([[2.0, 0.0], [1.0, 1.0]]),
      ...                                    jnp.array([2.0, 3.0]), lower=True)  # [1, 2]
    """
    transpose_a, conjugate_a = _trans_flags("solve_triangular", trans)
    a, b = promote_dtypes_inexact("solve_triangular", a, b)
    _check_solve_shapes("solve_triangular", a, b)
    return lax_linalg.triangular_solve(a, b, left_side=True, lower=lower,
                                       transpose_a=transpose_a, conjugate_a=conjugate_a,
                                       unit_diagonal=unit_diagonal)


def lu(a, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """`jax.scipy.linalg.lu(a, permute_l=False, ...)`: a = P L U with partial pivoting.

    Args:
      a: (..., m, n).
      permute_l: return (P L, U) instead of (P, L, U).

    Returns:
      P (..., m, m) a permutation matrix (a's dtype), L (..., m, k) unit lower
      triangular and U (..., k, n) upper triangular, k = min(m, n).

    Example:
      >>> p, l, u = irax.scipy.linalg.lu(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
      >>> p @ l @ u  # [[1, 2], [3, 4]]
    """
    (a,) = promote_dtypes_inexact("lu", a)
    if a.ndim < 2:
        raise ShapeError(f"lu: a must be a batch of matrices (..., m, n), got shape {a.shape}")
    factors, _, perm = lax_linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    zeros = (0,) * a.ndim
    lower = _linalg.triangle(st.slice(factors, zeros, batch + (m, k)), True, -1)
    unit = ew.convert_element_type(
        ew.eq(st.broadcasted_iota(np.int32, batch + (m, k), a.ndim - 2),
              st.broadcasted_iota(np.int32, batch + (m, k), a.ndim - 1)), a.dtype)
    lower = ew.add(lower, unit)
    upper = _linalg.triangle(st.slice(factors, zeros, batch + (k, n)), False)
    # a[perm] = L U, so a = P L U with P[i, j] = (perm[j] == i)
    p = _linalg.swap_last(permutation_matrix(perm, a.dtype))
    if permute_l:
        return _linalg.batch_matmul(p, lower), upper
    return p, lower, upper


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True):
    """`jax.scipy.linalg.lu_factor(a, ...)`: `(lu, piv)` for `lu_solve`: L and U in one
    matrix (L's unit diagonal implied) and the 0-based row interchanges (int32).

    Example:
      >>> lu, piv = irax.scipy.linalg.lu_factor(jnp.array([[1.0, 2.0], [3.0, 4.0]]))
      >>> piv  # [1, 1]
    """
    (a,) = promote_dtypes_inexact("lu_factor", a)
    factors, pivots, _ = lax_linalg.lu(a)
    return factors, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b: bool = False,
             check_finite: bool = True) -> Tensor:
    """`jax.scipy.linalg.lu_solve((lu, piv), b, trans=0, ...)`: x with op(a) x = b from
    a's `lu_factor`.

    Args:
      lu_and_piv: (lu (..., n, n), piv (..., n)) as `lu_factor` returns them.
      b: (..., n) or (..., n, k) with lu's batch dimensions.
      trans: op(a) = a (0), a^T (1) or a^H (2).

    Example:
      >>> f = irax.scipy.linalg.lu_factor(jnp.array([[3.0, 1.0], [1.0, 2.0]]))
      >>> irax.scipy.linalg.lu_solve(f, jnp.array([9.0, 8.0]))  # [2, 3]
    """
    factors, pivots = lu_and_piv
    _trans_flags("lu_solve", trans)
    factors, b = promote_dtypes_inexact("lu_solve", factors, b)
    _check_solve_shapes("lu_solve", factors, b)
    perm = lax_linalg.lu_pivots_to_permutation(pivots, factors.shape[-1])
    vector = b.ndim == factors.ndim - 1
    x = lu_solve_core(factors, perm, st.expand_dims(b, (b.ndim,)) if vector else b,
                      {0: 0, "N": 0, 1: 1, "T": 1, 2: 2, "C": 2}[trans])
    return st.squeeze(x, (x.ndim - 1,)) if vector else x


def solve(a, b, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False,
          debug: bool = False, check_finite: bool = True, assume_a: str = "gen") -> Tensor:
    """`jax.scipy.linalg.solve(a, b, lower=False, ..., assume_a='gen')`: x with a x = b.

    `assume_a='pos'` solves through the Cholesky factor of a's `lower` (or upper)
    triangle; 'gen', 'sym' and 'her' through LU (`jnp.linalg.solve`).

    Example:
      >>> irax.scipy.linalg.solve(jnp.array([[3.0, 1.0], [1.0, 2.0]]),
      ...                         jnp.array([9.0, 8.0]))  # [2, 3]
    """
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise ValueError(f"solve: assume_a must be 'gen', 'sym', 'her' or 'pos', got "
                         f"{assume_a!r}")
    if assume_a != "pos":
        return np_linalg.solve(a, b)
    a, b = promote_dtypes_inexact("solve", a, b)
    _check_solve_shapes("solve", a, b)
    triangle = _linalg.triangle(a, lower)
    strict = _linalg.triangle(a, lower, -1 if lower else 1)
    # the Hermitian matrix that a's chosen triangle describes, factored as is
    full = ew.add(triangle, _conj_transpose(strict))
    c = lax_linalg.cholesky(full, symmetrize_input=False)
    return cho_solve((c, True), b)


def inv(a, overwrite_a: bool = False, check_finite: bool = True) -> Tensor:
    """`jax.scipy.linalg.inv(a, ...)`: the inverse of each matrix (`jnp.linalg.inv`).

    Example:
      >>> irax.scipy.linalg.inv(jnp.array([[2.0, 0.0], [0.0, 4.0]]))  # [[0.5, 0], [0, 0.25]]
    """
    return np_linalg.inv(a)


def det(a, overwrite_a: bool = False, check_finite: bool = True) -> Tensor:
    """`jax.scipy.linalg.det(a, ...)`: the determinant of each matrix (`jnp.linalg.det`).

    Example:
      >>> irax.scipy.linalg.det(jnp.array([[1.0, 2.0], [3.0, 4.0]]))  # -2
    """
    return np_linalg.det(a)
