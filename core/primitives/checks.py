"""Operand checks shared by primitives: errors name the op and the shapes/dtypes."""
from .. import dtypes
from ..errors import ShapeError


def check_same_dtypes(name: str, *operands) -> None:
    """Raises TypeError unless every operand has the same dtype."""
    first = operands[0].dtype
    for op in operands[1:]:
        if op.dtype != first:
            kinds = ", ".join(str(o.dtype) for o in operands)
            raise TypeError(f"{name} requires arguments to have the same dtype, got {kinds}")


def elementwise_shape(name: str, *operands) -> tuple:
    """The common shape of elementwise operands: equal shapes, rank-0 ones broadcast."""
    shape = ()
    for op in operands:
        s = op.shape
        if s == shape or not s:
            continue
        if not shape:
            shape = s
            continue
        shapes = ", ".join(str(tuple(o.shape)) for o in operands)
        raise ShapeError(f"{name} got incompatible shapes {shapes}: elementwise lax ops "
                         "need equal shapes (or scalars); irax.numpy broadcasts for you")
    return shape


def dtypes_of_kinds(kinds: str) -> frozenset:
    """The dtypes whose kind is in `kinds` ('f' covers bfloat16, 'b' is bool)."""
    return frozenset(d for d in dtypes.ALL
                     if ("f" if d == dtypes.bfloat16 else d.kind) in kinds)


def check_dtype_in(name: str, dtype, allowed: frozenset, what: str) -> None:
    """Raises TypeError unless `dtype` is one of `allowed`."""
    if dtype not in allowed:
        raise TypeError(f"{name} does not accept dtype {dtype}; it needs {what}")


def normalize_axis(name: str, axis: int, ndim: int) -> int:
    """A non-negative axis, or a numpy-style AxisError-like ValueError."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim
