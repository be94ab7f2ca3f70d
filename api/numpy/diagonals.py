"""Diagonals of irax.numpy: diag, diagflat, diagonal, trace and the triangle index
functions.  Taking a diagonal is a strided slice of the flattened (rows, cols) plane,
so it works on traced values and is differentiable."""
import operator

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import Tensor, numpy_tensor

from . import util
from .shape_ops import ravel

__all__ = ["diag", "diagflat", "diagonal", "trace", "tril_indices", "triu_indices"]


def diag(v, k: int = 0) -> Tensor:
    """The k-th diagonal of a 2-D array, or a 2-D array with the 1-D `v` on its k-th
    diagonal (`numpy.diag`).

    Example:
      >>> jnp.diag(jnp.array([1, 2]))
      Array([[1, 0],
             [0, 2]], dtype=int32)
    """
    x = util.asarray_arg("diag", v)
    k = operator.index(k)
    if x.ndim == 2:
        return _diagonal("diag", x, k, 0, 1)
    if x.ndim != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    if k:
        x = st.pad(x, ew.convert_element_type(0, x.dtype), [(0, abs(k), 0)])
    full = st.broadcast_in_dim(x, (n, n), (0,) if k >= 0 else (1,))
    zero = st.broadcast_in_dim(ew.convert_element_type(0, x.dtype), (n, n), ())
    return ew.select(numpy_tensor(np.eye(n, k=k, dtype=bool)), full, zero)


def diagflat(v, k: int = 0) -> Tensor:
    """A 2-D array with the flattened `v` on its k-th diagonal (`numpy.diagflat`).

    Example:
      >>> jnp.diagflat(jnp.array([[1, 2]])).shape
      (2, 2)
    """
    return diag(ravel(util.asarray_arg("diagflat", v)), k)


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal of `a` in the plane of `axis1` and `axis2`, as the last axis of the
    result (`numpy.diagonal`).  `offset` > 0 is above the main diagonal.

    Example:
      >>> jnp.diagonal(jnp.arange(9).reshape(3, 3), 1)
      Array([1, 5], dtype=int32)
    """
    return _diagonal("diagonal", a, offset, axis1, axis2)


def _diagonal(name: str, a, offset: int, axis1: int, axis2: int) -> Tensor:
    x = util.asarray_arg(name, a)
    if x.ndim < 2:
        raise ValueError(f"{name}: array must be at least 2-d, got shape {x.shape}")
    i = util.canonical_axis(name, axis1, x.ndim)
    j = util.canonical_axis(name, axis2, x.ndim)
    if i == j:
        raise ValueError(f"{name}: axis1 and axis2 cannot be the same (both {i})")
    offset = operator.index(offset)
    x = st.transpose(x, [d for d in range(x.ndim) if d not in (i, j)] + [i, j])
    rows, cols = x.shape[-2:]
    r0, c0 = max(-offset, 0), max(offset, 0)
    size = max(0, min(rows - r0, cols - c0))
    batch = x.shape[:-2]
    x = st.slice(x, [0] * len(batch) + [min(r0, rows), min(c0, cols)],
                 batch + (min(r0, rows) + size, min(c0, cols) + size))
    flat = st.reshape(x, batch + (size * size,))
    return st.slice(flat, [0] * flat.ndim, flat.shape, (1,) * len(batch) + (size + 1,))


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None) -> Tensor:
    """The sum along a diagonal (`numpy.trace`); integers narrower than the default int
    are summed in the default int, as JAX does.

    Example:
      >>> jnp.trace(jnp.eye(3))
      Array(3., dtype=float32)
    """
    d = _diagonal("trace", a, offset, axis1, axis2)
    if dtype is not None:
        target = dtypes.canonicalize_dtype(dtypes.to_dtype(dtype))
    elif dtypes.is_integer(d.dtype) and d.dtype.itemsize < dtypes.default_int_dtype().itemsize:
        target = dtypes.default_int_dtype()
    else:
        target = d.dtype
    d = util.convert(d, target)
    reduce = red.reduce_or if target == dtypes.bool_ else red.reduce_sum
    return reduce(d, (d.ndim - 1,))


def _indices_pair(fn, n, k, m) -> tuple:
    rows, cols = fn(operator.index(n), operator.index(k), None if m is None else
                    operator.index(m))
    dtype = dtypes.default_int_dtype()
    return numpy_tensor(rows, dtype), numpy_tensor(cols, dtype)


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple:
    """The (row, column) indices of the upper triangle of an (n, m) array, from the k-th
    diagonal up (`numpy.triu_indices`).

    Example:
      >>> jnp.triu_indices(2)
      (Array([0, 0, 1], dtype=int32), Array([0, 1, 1], dtype=int32))
    """
    return _indices_pair(np.triu_indices, n, k, m)


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple:
    """The (row, column) indices of the lower triangle of an (n, m) array, up to the
    k-th diagonal (`numpy.tril_indices`).

    Example:
      >>> jnp.tril_indices(2)
      (Array([0, 1, 1], dtype=int32), Array([0, 0, 1], dtype=int32))
    """
    return _indices_pair(np.tril_indices, n, k, m)
