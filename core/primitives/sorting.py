"""Sorting: `sort_p` sorts several arrays together along one dimension, keyed
lexicographically by the first `num_keys` of them (StableHLO's sort with a
less-than comparator).

Order is ascending and total: NaNs sort last and -0.0 equals 0.0 (as in JAX and
NumPy); complex numbers order by real part, then imaginary part.
"""
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor
from .checks import normalize_axis


def _sort_check(operands, dimension: int, num_keys: int) -> None:
    if not operands:
        raise TypeError("sort needs at least one operand")
    shape = operands[0].shape
    if any(op.shape != shape for op in operands[1:]):
        raise ShapeError(f"sort: operands must all have one shape, got "
                         f"{', '.join(str(op.shape) for op in operands)}")
    if not 0 <= dimension < len(shape):
        raise ValueError(f"sort: dimension {dimension} is out of range for operands of "
                         f"shape {shape}")
    if not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys={num_keys} must be between 1 and the number of "
                         f"operands ({len(operands)})")


def _sort_key(x):
    """`x` in a form NumPy orders correctly (its bfloat16 sort mishandles NaN)."""
    return x.astype(np.float32) if x.dtype == dtypes.bfloat16 else x


def _sort_impl(*operands, dimension, is_stable, num_keys):
    _sort_check(operands, dimension, num_keys)
    keys = [_sort_key(k) for k in operands[:num_keys]]
    if num_keys == 1:
        order = np.argsort(keys[0], axis=dimension, kind="stable")
    else:
        order = np.lexsort(keys[::-1], axis=dimension)
    return [np.take_along_axis(op, order, axis=dimension) for op in operands]


def _sort_abstract_eval(*operands, dimension, is_stable, num_keys):
    _sort_check(operands, dimension, num_keys)
    return list(operands)


sort_p = Primitive("sort", multiple_results=True)
sort_p.def_impl(_sort_impl)
sort_p.def_abstract_eval(_sort_abstract_eval)
sort_p.weak_type_rule = lambda args, params: [a.weak_type for a in args]


# ---- binding functions (irax.lax) -------------------------------------------------

def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """`lax.sort`: sorts one array, or several arrays of one shape together.

    Args:
      operand: an array, or a sequence of arrays of one shape.
      dimension: the dimension to sort along.
      is_stable: whether equal keys keep their order (irax's sort always does).
      num_keys: how many leading operands form the lexicographic key.

    Returns:
      The sorted array for a single array; a tuple of the sorted arrays for a sequence.

    Example: `sort((keys, values), num_keys=1)` sorts `values` by `keys`.
    """
    single = not isinstance(operand, Sequence)
    operands = [to_tensor(x) for x in ([operand] if single else operand)]
    if not operands:
        raise TypeError("sort needs at least one operand")
    dim = normalize_axis("sort", int(dimension), operands[0].ndim)
    out = sort_p.bind(*operands, dimension=dim, is_stable=bool(is_stable),
                      num_keys=int(num_keys))
    return out[0] if single else tuple(out)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """`lax.sort_key_val`: sorts `keys` and reorders `values` (same shape) alike.

    Returns:
      A tuple `(sorted_keys, values_in_key_order)`.
    """
    return sort((keys, values), dimension, is_stable, num_keys=1)
