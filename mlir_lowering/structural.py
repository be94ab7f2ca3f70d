"""Lowering rules for the shape primitives (core/primitives/structural.py): each is
one StableHLO op, but for the IREE 3.13 defects worked around in `_rev` and `pad`.
`dynamic_slice` and `dynamic_update_slice` clamp their start indices in StableHLO as
in the impls."""
import numpy as np

from ..core import dtypes
from ..core.primitives import structural as st
from .builder import FunctionBuilder, Value, i64, i64_array
from .lowering import LOWERING_RULES


def _reshape(b: FunctionBuilder, x, *, new_sizes, dimensions):
    if dimensions is not None:
        x = _transpose(b, x, permutation=dimensions)
    return b.emit("stablehlo.reshape", x, shape=new_sizes)


def _transpose(b: FunctionBuilder, x, *, permutation):
    return b.emit("stablehlo.transpose", x, shape=tuple(x.shape[p] for p in permutation),
                  attrs={"permutation": i64_array(permutation)})


def _rev(b: FunctionBuilder, x, *, dimensions):
    """`stablehlo.reverse`; IREE 3.13 compiles none of unsigned integers, so they
    reverse as the signed integers of their bits.  The operand passes through an
    optimization barrier: IREE 3.13 fails to compile a reverse fused with a strided
    view of its producer (`x[..., ::-2]`, docs/iree_defects.md, 3.)."""
    if x.dtype.kind != "u":
        x = b.op("stablehlo.optimization_barrier", [x], [x.aval])[0]
        return b.emit("stablehlo.reverse", x, attrs={"dimensions": i64_array(dimensions)})
    signed = b.emit("stablehlo.bitcast_convert", x, dtype=np.dtype(f"i{x.dtype.itemsize}"))
    return b.emit("stablehlo.bitcast_convert", _rev(b, signed, dimensions=dimensions),
                  dtype=x.dtype)


def _slice(b: FunctionBuilder, x, *, start_indices, limit_indices, strides):
    return b.emit("stablehlo.slice", x, shape=b.avals_out[0].shape, attrs={
        "start_indices": i64_array(start_indices), "limit_indices": i64_array(limit_indices),
        "strides": i64_array(strides or (1,) * x.ndim)})


def _start_indices(b: FunctionBuilder, starts) -> list:
    """Scalar start indices of one signed type (StableHLO wants a single type)."""
    starts = [b.signed_index(s) for s in starts]
    widest = max((s.dtype for s in starts), key=lambda d: d.itemsize, default=None)
    return [b.convert(s, widest) for s in starts]


def _dynamic_slice(b: FunctionBuilder, x, *starts, slice_sizes):
    return b.emit("stablehlo.dynamic_slice", x, *_start_indices(b, starts), shape=slice_sizes,
                  attrs={"slice_sizes": i64_array(slice_sizes)})


def _dynamic_update_slice(b: FunctionBuilder, x, update, *starts):
    return b.emit("stablehlo.dynamic_update_slice", x, update, *_start_indices(b, starts))


def _concatenate(b: FunctionBuilder, *xs, dimension):
    return b.emit("stablehlo.concatenate", *xs, shape=b.avals_out[0].shape,
                  attrs={"dimension": i64(dimension)})


def pad(b: FunctionBuilder, x, padding_value, padding_config) -> Value:
    """`stablehlo.pad` of `x` by `padding_config` ((low, high, interior) per dim).
    IREE 3.13 crashes compiling a pad of complex numbers, so their real and imaginary
    parts pad apart.  A pad by nothing is `x` (IREE 3.13 ran such complex pads of
    rank 0 into a runtime error: docs/iree_defects.md, 12.)."""
    if all(c == (0, 0, 0) for c in map(tuple, padding_config)):
        return x
    if x.dtype.kind == "c":
        part = dtypes.real_dtype(x.dtype)
        parts = [pad(b, b.emit(op, x, dtype=part), b.emit(op, padding_value, dtype=part),
                     padding_config) for op in ("stablehlo.real", "stablehlo.imag")]
        return b.emit("stablehlo.complex", *parts, dtype=x.dtype)
    low, high, interior = zip(*padding_config) if padding_config else ((), (), ())
    shape = tuple(lo + hi + n + max(n - 1, 0) * i
                  for n, (lo, hi, i) in zip(x.shape, padding_config))
    return b.emit("stablehlo.pad", x, padding_value, shape=shape, attrs={
        "edge_padding_low": i64_array(low), "edge_padding_high": i64_array(high),
        "interior_padding": i64_array(interior)})


def _iota(b: FunctionBuilder, *, dtype, shape, dimension):
    return b.op("stablehlo.iota", [], b.avals_out, {"iota_dimension": i64(dimension)})[0]


LOWERING_RULES.update({
    st.broadcast_in_dim_p: lambda b, x, *, shape, broadcast_dimensions: b.broadcast_in_dim(
        x, shape, broadcast_dimensions),
    st.reshape_p: _reshape,
    st.transpose_p: _transpose,
    st.rev_p: _rev,
    st.slice_p: _slice,
    st.dynamic_slice_p: _dynamic_slice,
    st.dynamic_update_slice_p: _dynamic_update_slice,
    st.concatenate_p: _concatenate,
    st.pad_p: lambda b, x, value, *, padding_config: pad(b, x, value, padding_config),
    st.iota_p: _iota,
})
