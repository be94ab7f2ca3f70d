"""Zero-size arrays never reach IREE's code generation: their results are known.

IREE 3.13 kills the process with SIGFPE compiling a `dot_general` over an empty
contraction (`jnp.dot` of zero-length vectors, `(2, 0) @ (0, 3)`), on CPU and Vulkan,
so every equation touching a zero-size array is lowered here instead of by its rule:

- an equation whose outputs are all empty becomes empty constants (any primitive:
  none has effects);
- an equation with an empty input and a non-empty output uses `EMPTY_INPUT_RULES`:
  a reduction over an empty axis is its identity, a dot over an empty contraction
  zeros, a concatenate drops its empty pieces, a pad of an empty operand is the
  padding value, an update or scatter of nothing is the operand, a gather with empty
  index vectors reads the operand's first window everywhere;
- the primitives carrying sub-graphs (cond, while, scan, remat) lower as usual: their
  bodies' equations come through here too.

`FunctionBuilder.op` also writes any op whose results are all empty as constants, which
covers the ops rules write internally (a scan's row slices of an empty `xs`).
"""
from collections.abc import Callable

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitive import Primitive
from ..core.primitives import indexing as ix
from ..core.primitives import linalg
from ..core.primitives import reductions as red
from ..core.primitives import structural as st
from .builder import FunctionBuilder, Value, i64, i64_array


def lowest(dtype):
    """The least value of `dtype` (-inf for floats): the identity of maximum."""
    if dtype.kind == "b":
        return False
    return -np.inf if dtypes.is_float(dtype) else np.iinfo(dtype).min


def highest(dtype):
    """The greatest value of `dtype` (inf for floats): the identity of minimum."""
    if dtype.kind == "b":
        return True
    return np.inf if dtypes.is_float(dtype) else np.iinfo(dtype).max


REDUCTION_IDENTITIES: dict[Primitive, Callable] = {
    red.reduce_sum_p: lambda dtype: 0,
    red.reduce_prod_p: lambda dtype: 1,
    red.reduce_max_p: lowest,
    red.reduce_min_p: highest,
    red.reduce_and_p: lambda dtype: np.array(-1).astype(dtype),
    red.reduce_or_p: lambda dtype: 0,
}
"""reduction primitive -> its identity as a function of the dtype: the reduction of an
empty axis, and the init value of `stablehlo.reduce`."""


def is_empty(aval: ShapedArray) -> bool:
    """Whether an array of `aval` has no elements."""
    return any(d == 0 for d in aval.shape)


def _splat(b: FunctionBuilder, value, aval: ShapedArray) -> Value:
    return b.constant(np.asarray(value).astype(aval.dtype), shape=aval.shape)


def lower_zero_size(b: FunctionBuilder, prim: Primitive, args: list[Value],
                    params: dict) -> list[Value] | None:
    """The outputs of an equation of `prim` on `args` (output avals in
    `b.avals_out`) when a zero-size array makes them known, else None (lower it with
    its rule)."""
    avals = b.avals_out
    if avals and all(is_empty(a) for a in avals):
        return [_splat(b, 0, a) for a in avals]
    if not any(is_empty(x.aval) for x in args):
        return None
    rule = EMPTY_INPUT_RULES.get(prim)
    if rule is None:
        return None
    out = rule(b, *args, **params)
    return None if out is None else (out if prim.multiple_results else [out])


def _reduction(prim: Primitive) -> Callable:
    return lambda b, x, *, axes: _splat(b, REDUCTION_IDENTITIES[prim](x.dtype), b.avals_out[0])


def _dot_general(b: FunctionBuilder, lhs, rhs, **params) -> Value:
    """Only reached with a non-empty output: the contraction is empty, the sum 0."""
    return _splat(b, 0, b.avals_out[0])


def _concatenate(b: FunctionBuilder, *xs, dimension) -> Value:
    pieces = [x for x in xs if not is_empty(x.aval)]
    if len(pieces) == 1:
        return pieces[0]
    return b.emit("stablehlo.concatenate", *pieces, shape=b.avals_out[0].shape,
                  attrs={"dimension": i64(dimension)})


def _pad(b: FunctionBuilder, x, padding_value, *, padding_config) -> Value:
    """Only reached with an empty operand: every element is padding."""
    return b.broadcast_in_dim(padding_value, b.avals_out[0].shape, ())


def _update_of_nothing(b: FunctionBuilder, operand, update, *starts) -> Value:
    """dynamic_update_slice of an empty update (an empty operand gives an empty output,
    handled before): the operand."""
    return operand


def _scatter_of_nothing(b: FunctionBuilder, operand, indices, updates, **params) -> Value | None:
    """A scatter of no updates is the operand; with empty index vectors but updates,
    it is lowered as usual."""
    return operand if is_empty(updates.aval) else None


def _gather(b: FunctionBuilder, operand, indices, *, dimension_numbers, slice_sizes,
            indices_are_sorted, unique_indices, mode, fill_value) -> Value | None:
    """Empty index vectors (indices of shape `batch + (0,)`) all start at 0: every
    batch element reads the operand's window at the origin (a window always fits)."""
    dn = dimension_numbers
    if indices.shape[-1] != 0 or is_empty(operand.aval) or dn.operand_batching_dims:
        return None
    window = b.emit("stablehlo.slice", operand, shape=tuple(slice_sizes), attrs={
        "start_indices": i64_array([0] * operand.ndim), "limit_indices": i64_array(slice_sizes),
        "strides": i64_array([1] * operand.ndim)})
    kept = tuple(s for d, s in enumerate(slice_sizes) if d not in dn.collapsed_slice_dims)
    window = b.emit("stablehlo.reshape", window, shape=kept)
    return b.broadcast_in_dim(window, b.avals_out[0].shape, dn.offset_dims)


EMPTY_INPUT_RULES: dict[Primitive, Callable] = {
    **{prim: _reduction(prim) for prim in REDUCTION_IDENTITIES},
    linalg.dot_general_p: _dot_general,
    st.concatenate_p: _concatenate,
    st.pad_p: _pad,
    st.dynamic_update_slice_p: _update_of_nothing,
    **{prim: _scatter_of_nothing for prim in (ix.scatter_p, ix.scatter_add_p,
                                              ix.scatter_mul_p, ix.scatter_min_p,
                                              ix.scatter_max_p)},
    ix.gather_p: _gather,
}
"""primitive -> rule(builder, *operands, **params) for an equation with an empty input
and a non-empty output; a rule may return None to lower the equation as usual."""
