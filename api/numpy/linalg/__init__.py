"""irax.numpy.linalg: norms, matrix products and the functions built on matrix
factorizations of NumPy's `linalg` namespace.

Norms and products are compositions of irax primitives (reductions, elementwise ops,
`dot_general`); `cholesky`, `solve`, `inv`, `det` and `slogdet` (`factorizations.py`)
use the `cholesky` and `lu` primitives. Not provided yet: eigh, svd, qr, eig, pinv,
lstsq, matrix_rank, cond and the matrix norms 2, -2 and 'nuc' (singular values).
"""
import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor

from .. import linalg_ops, ufuncs
from ..linalg_ops import matmul, matrix_transpose, tensordot, vecdot
from ..util import asarray_arg, canonical_axes, canonical_axis, convert, promote_args_inexact

from .factorizations import *  # noqa: E402,F401,F403
from .factorizations import __all__ as _factorizations  # noqa: E402

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "matrix_transpose", "tensordot",
           "vecdot", "outer", "cross", "matrix_power", "multi_dot", *_factorizations]

_MATRIX_ORDS = "None, 'fro', 1, -1, inf, -inf"


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:
    """`jnp.linalg.norm`: vector or matrix norm, as `numpy.linalg.norm`.

    Args:
      x: an array; integers and bools are promoted to the default float dtype.
      ord: vector norms (one axis): None or 2 (Euclidean), 1, inf, -inf, 0 (number of
        non-zeros) or any other number p (`sum(|x|**p)**(1/p)`).  Matrix norms (two
        axes): None or 'fro' (Frobenius), 1 / -1 (max / min column sum of `|x|`),
        inf / -inf (max / min row sum).  2, -2 and 'nuc' need singular values, which
        irax does not compute: they raise a ValueError.
      axis: None (the whole array when `ord` is None; else `x` must be 1-d or 2-d), an
        int (vector norm) or a pair of ints (matrix norm).
      keepdims: keep the reduced axes with size 1.

    Returns:
      The norm, with `x`'s real dtype (complex64 -> float32).

    Example:
      >>> jnp.linalg.norm(jnp.array([3., 4.]))
      Array(5., dtype=float32)
      >>> jnp.linalg.norm(jnp.array([[1., -2.], [3., 4.]]), ord=1)
      Array(6., dtype=float32)
    """
    (x,) = promote_args_inexact("norm", x)
    if axis is None:
        if ord is None:
            return _vector_norm("norm", x, tuple(range(x.ndim)), None, keepdims)
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-d or 2-d array, got "
                             f"shape {x.shape}; pass axis")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(canonical_axis("norm", a, x.ndim) for a in axes)
    if len(axes) == 1:
        return _vector_norm("norm", x, axes, ord, keepdims)
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"norm: axis must be one axis or two distinct axes, got {axis}")
    return _matrix_norm("norm", x, axes, ord, keepdims)


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2) -> Tensor:
    """`jnp.linalg.vector_norm`: the vector norm over `axis` (None: all; tuples allowed).

    `ord` is as for vectors in `norm`; several axes are treated as one flattened vector.

    Example:
      >>> jnp.linalg.vector_norm(jnp.ones((2, 2)), ord=1)
      Array(4., dtype=float32)
    """
    (x,) = promote_args_inexact("vector_norm", x)
    return _vector_norm("vector_norm", x, canonical_axes("vector_norm", axis, x.ndim), ord,
                        keepdims)


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro") -> Tensor:
    """`jnp.linalg.matrix_norm`: the matrix norm over the last two axes.

    `ord` is as for matrices in `norm` ('fro', 1, -1, inf, -inf).

    Example:
      >>> jnp.linalg.matrix_norm(jnp.ones((5, 2, 2)), ord=jnp.inf).shape
      (5,)
    """
    (x,) = promote_args_inexact("matrix_norm", x)
    if x.ndim < 2:
        raise ValueError(f"matrix_norm: x must be at least 2-d, got shape {x.shape}")
    return _matrix_norm("matrix_norm", x, (x.ndim - 2, x.ndim - 1), ord, keepdims)


def _keep(out: Tensor, shape: tuple, axes, keepdims: bool) -> Tensor:
    if not keepdims:
        return out
    return st.reshape(out, [1 if i in axes else d for i, d in enumerate(shape)])


def _sum(x: Tensor, axes) -> Tensor:
    return red.reduce_sum(x, axes)


def _abs_squared(x: Tensor) -> Tensor:
    return ew.real(ew.mul(x, ew.conj(x))) if dtypes.is_complex(x.dtype) else (
        ew.mul(x, x))


def _vector_norm(name: str, x: Tensor, axes: tuple, ord, keepdims: bool) -> Tensor:
    if isinstance(ord, str):
        raise ValueError(f"{name}: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        out = ew.sqrt(_sum(_abs_squared(x), axes))
    elif ord == np.inf:
        out = red.reduce_max(ew.abs(x), axes)
    elif ord == -np.inf:
        out = red.reduce_min(ew.abs(x), axes)
    elif ord == 0:
        nonzero = ew.ne(x, convert(asarray_arg(name, 0), x.dtype))
        out = _sum(convert(nonzero, dtypes.real_dtype(x.dtype)), axes)
    elif ord == 1:
        out = _sum(ew.abs(x), axes)
    else:
        p = int(ord) if float(ord).is_integer() else float(ord)
        out = ufuncs.power(_sum(ufuncs.power(ew.abs(x), p), axes), 1.0 / p)
    return _keep(out, x.shape, axes, keepdims)


def _matrix_norm(name: str, x: Tensor, axes: tuple, ord, keepdims: bool) -> Tensor:
    row, col = axes
    if ord is None or (isinstance(ord, str) and ord == "fro"):
        out = ew.sqrt(_sum(_abs_squared(x), axes))
    elif not isinstance(ord, str) and ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = _sum(ew.abs(x), (summed,))
        reduce = red.reduce_max if ord > 0 else red.reduce_min
        out = reduce(sums, (other - (other > summed),))
    else:
        raise ValueError(f"{name}: matrix norm ord={ord!r} is not supported (2, -2 and 'nuc' "
                         f"need singular values); supported matrix ords: {_MATRIX_ORDS}")
    return _keep(out, x.shape, axes, keepdims)


def outer(x1, x2, /) -> Tensor:
    """`jnp.linalg.outer`: outer product of two 1-d arrays (`jnp.outer` flattens instead).

    Example:
      >>> jnp.linalg.outer(jnp.ones(2), jnp.ones(3)).shape
      (2, 3)
    """
    x1, x2 = asarray_arg("outer", x1), asarray_arg("outer", x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(f"outer: jnp.linalg.outer needs 1-d arrays, got shapes {x1.shape} "
                         f"and {x2.shape}")
    return linalg_ops.outer(x1, x2)


def cross(x1, x2, /, *, axis: int = -1) -> Tensor:
    """`jnp.linalg.cross`: cross product of 3-vectors along `axis` (others broadcast).

    Example:
      >>> jnp.linalg.cross(jnp.array([0., 1, 0]), jnp.array([0., 0, 1]))
      Array([1., 0., 0.], dtype=float32)
    """
    x1, x2 = asarray_arg("cross", x1), asarray_arg("cross", x2)
    for x in (x1, x2):
        if x.ndim == 0 or x.shape[canonical_axis("cross", axis, x.ndim)] != 3:
            raise ValueError(f"cross: jnp.linalg.cross needs 3-vectors along axis {axis}, "
                             f"got shapes {x1.shape} and {x2.shape}")
    return linalg_ops.cross(x1, x2, axis=axis)


def matrix_power(a, n: int) -> Tensor:
    """`jnp.linalg.matrix_power(a, n)`: `a @ a @ ... @ a` (`n` times; `n = 0`: identity).

    Squares repeatedly (O(log n) products) over the last two axes of a square `a`.
    Negative `n` needs a matrix inverse, which irax does not provide.

    Example:
      >>> jnp.linalg.matrix_power(jnp.array([[1, 1], [0, 1]]), 3)
      Array([[1, 3],
             [0, 1]], dtype=int32)
    """
    a = asarray_arg("matrix_power", a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"matrix_power: a must be a (stack of) square matrices, got shape "
                         f"{a.shape}")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: exponent must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"matrix_power: negative exponent {n} needs a matrix inverse, which "
                         "irax.numpy.linalg does not provide")
    result, power = None, a
    while True:
        if n % 2:
            result = power if result is None else matmul(result, power)
        n //= 2
        if not n:
            return _identity_like(a) if result is None else result
        power = matmul(power, power)


def _identity_like(a: Tensor) -> Tensor:
    rows = st.broadcasted_iota(np.int32, a.shape, a.ndim - 2)
    cols = st.broadcasted_iota(np.int32, a.shape, a.ndim - 1)
    return convert(ew.eq(rows, cols), a.dtype)


def multi_dot(arrays, *, precision=None) -> Tensor:
    """`jnp.linalg.multi_dot`: the product of a chain of matrices, in the cheapest order.

    The first array may be 1-d (a row vector) and the last 1-d (a column vector); the
    others must be 2-d.  The order of products minimizes scalar multiplications
    (NumPy's dynamic programme).

    Example:
      >>> jnp.linalg.multi_dot([jnp.ones(3), jnp.ones((3, 4)), jnp.ones((4, 2))]).shape
      (2,)
    """
    xs = [asarray_arg("multi_dot", x) for x in arrays]
    if len(xs) < 2:
        raise ValueError(f"multi_dot: needs at least two arrays, got {len(xs)}")
    for k, x in enumerate(xs):
        allowed = (1, 2) if k in (0, len(xs) - 1) else (2,)
        if x.ndim not in allowed:
            raise ValueError(f"multi_dot: array {k} has shape {x.shape}; only the first and "
                             "last may be 1-d, the others must be 2-d")
    mats = [xs[0] if xs[0].ndim == 2 else st.reshape(xs[0], (1,) + xs[0].shape)]
    mats += xs[1:-1] + [xs[-1] if xs[-1].ndim == 2 else st.reshape(xs[-1], xs[-1].shape + (1,))]
    for k in range(len(mats) - 1):
        if mats[k].shape[1] != mats[k + 1].shape[0]:
            raise ValueError(f"multi_dot: arrays {k} and {k + 1} of shapes {xs[k].shape} and "
                             f"{xs[k + 1].shape} cannot be multiplied")
    out = _chain_product(mats, _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]]),
                         0, len(mats) - 1)
    rows = () if xs[0].ndim == 1 else out.shape[:1]
    return st.reshape(out, rows + (() if xs[-1].ndim == 1 else out.shape[1:]))


def _chain_order(dims: list) -> dict:
    """split[(i, j)]: where the cheapest product of matrices i..j splits."""
    n = len(dims) - 1
    cost, split = {(i, i): 0 for i in range(n)}, {}
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i, j], split[i, j] = min(
                (cost[i, k] + cost[k + 1, j] + dims[i] * dims[k + 1] * dims[j + 1], k)
                for k in range(i, j))
    return split


def _chain_product(mats, split, i, j) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i, j]
    return matmul(_chain_product(mats, split, i, k), _chain_product(mats, split, k + 1, j))
