"""Sample calls of the matrix factorization primitives (cholesky, triangular_solve, lu)
for the registry-wide suites (tests/primitive_cases.py merges them).

Inputs are made well conditioned inside the functions (so the suites' random draws and
finite differences stay valid): cholesky factors x x^T + n I, triangular solves use a
triangle with a dominant diagonal, and lu's differentiable output is the factor matrix
(its pivots are integers; their values are checked by NON_DIFFERENTIABLE).
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as la

_rng = np.random.RandomState(5)


def _normal(*shape):
    return _rng.standard_normal(shape)


def _spd(x):
    """x x^T + n I: symmetric positive definite for any x (..., n, n)."""
    n = x.shape[-1]
    return ew.add(la.batch_matmul(x, la.swap_last(x)),
                  ew.mul(la.eye_like(x, n), np.array(n, x.dtype)))


def _dominant(a):
    """a with 4 added on the diagonal: a well-conditioned triangle."""
    return ew.add(a, ew.mul(la.eye_like(a, a.shape[-1]), np.array(4, a.dtype)))


def _solve(**params):
    return lambda a, b: la.triangular_solve(_dominant(a), b, **params)


DIFFERENTIABLE: dict = {
    "cholesky": (lambda x: la.cholesky(_spd(x)), [_normal(3, 3)]),
    "cholesky:batched": (lambda x: la.cholesky(_spd(x)), [_normal(2, 4, 4)]),
    "triangular_solve": (_solve(left_side=True, lower=True), [_normal(3, 3), _normal(3, 2)]),
    "triangular_solve:right_upper_transposed": (
        _solve(left_side=False, lower=False, transpose_a=True),
        [_normal(2, 3, 3), _normal(2, 4, 3)]),
    "triangular_solve:unit_diagonal": (
        _solve(left_side=True, lower=False, unit_diagonal=True),
        [_normal(3, 3), _normal(3, 2)]),
    "lu": (lambda x: la.lu(x)[0], [_normal(3, 3)]),
    "lu:wide_batched": (lambda x: la.lu(x)[0], [_normal(2, 3, 4)]),
    "lu:tall": (lambda x: la.lu(x)[0], [_normal(4, 2)]),
}
NON_DIFFERENTIABLE: dict = {
    "lu:pivots": (lambda x: la.lu(x)[1:], [_normal(2, 4, 4)]),
}


def zero_size_cases(f) -> dict:
    """Zero-size cases for tests/test_zero_size.py (`f(*shape)` makes float32 arrays):
    empty matrices, empty batches, no right-hand sides and LU of matrices without
    columns (whose permutation is not empty)."""
    return {
        "cholesky:empty_matrix": (la.cholesky, [f(0, 0)]),
        "cholesky:empty_batch": (la.cholesky, [f(0, 3, 3)]),
        "triangular_solve:no_rhs": (lambda a, b: la.triangular_solve(
            a, b, left_side=True, lower=True), [f(3, 3), f(3, 0)]),
        "triangular_solve:empty_matrix": (lambda a, b: la.triangular_solve(
            a, b, left_side=False, lower=False), [f(0, 0), f(2, 0)]),
        "lu:empty_batch": (la.lu, [f(0, 2, 2)]),
        "lu:no_columns": (la.lu, [f(3, 0)]),
    }
