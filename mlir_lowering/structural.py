"""Lowering rules for the shape primitives (core/primitives/structural.py): each is
one StableHLO op.  `dynamic_slice` and `dynamic_update_slice` clamp their start
indices in StableHLO as in the impls."""
from ..core.primitives import structural as st
from .builder import FunctionBuilder, i64, i64_array
from .lowering import LOWERING_RULES


def _reshape(b: FunctionBuilder, x, *, new_sizes, dimensions):
    if dimensions is not None:
        x = _transpose(b, x, permutation=dimensions)
    return b.emit("stablehlo.reshape", x, shape=new_sizes)


def _transpose(b: FunctionBuilder, x, *, permutation):
    return b.emit("stablehlo.transpose", x, shape=tuple(x.shape[p] for p in permutation),
                  attrs={"permutation": i64_array(permutation)})


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


def _pad(b: FunctionBuilder, x, padding_value, *, padding_config):
    low, high, interior = zip(*padding_config) if padding_config else ((), (), ())
    return b.emit("stablehlo.pad", x, padding_value, shape=b.avals_out[0].shape, attrs={
        "edge_padding_low": i64_array(low), "edge_padding_high": i64_array(high),
        "interior_padding": i64_array(interior)})


def _iota(b: FunctionBuilder, *, dtype, shape, dimension):
    return b.op("stablehlo.iota", [], b.avals_out, {"iota_dimension": i64(dimension)})[0]


LOWERING_RULES.update({
    st.broadcast_in_dim_p: lambda b, x, *, shape, broadcast_dimensions: b.broadcast_in_dim(
        x, shape, broadcast_dimensions),
    st.reshape_p: _reshape,
    st.transpose_p: _transpose,
    st.rev_p: lambda b, x, *, dimensions: b.emit("stablehlo.reverse", x, attrs={
        "dimensions": i64_array(dimensions)}),
    st.slice_p: _slice,
    st.dynamic_slice_p: _dynamic_slice,
    st.dynamic_update_slice_p: _dynamic_update_slice,
    st.concatenate_p: _concatenate,
    st.pad_p: _pad,
    st.iota_p: _iota,
})
