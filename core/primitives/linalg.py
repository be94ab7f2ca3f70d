"""dot_general: the one contraction primitive (matmul, batched matmul, tensordot)."""
import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor


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
