"""Shape primitives: broadcast_in_dim, reshape, transpose, rev, slices, concatenate,
pad and iota.  Their impls return NumPy views where NumPy can (no data is mutated)."""
import builtins
import math

import numpy as np

from .. import dtypes
from ..aval import ShapedArray
from ..errors import ShapeError
from ..primitive import Primitive
from ..tensor import to_tensor


def _shape_primitive(name, shape_rule, impl, weak_rule=None):
    """A primitive whose output has its operand's dtype and `shape_rule`'s shape."""
    prim = Primitive(name)

    def abstract_eval(x, *rest, **params):
        return ShapedArray(shape_rule(x, *rest, **params), x.dtype, x.weak_type)

    def checked_impl(x, *rest, **params):
        shape_rule(x, *rest, **params)
        return impl(x, *rest, **params)

    prim.def_abstract_eval(abstract_eval)
    prim.def_impl(checked_impl)
    prim.weak_type_rule = weak_rule or (lambda args, params: args[0].weak_type)
    return prim


def _broadcast_in_dim_shape(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise ShapeError(f"broadcast_in_dim: operand of shape {x.shape} needs {x.ndim} "
                         f"broadcast_dimensions, got {broadcast_dimensions}")
    previous = -1
    for i, d in enumerate(broadcast_dimensions):
        if not previous < d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise ShapeError(f"broadcast_in_dim: cannot broadcast operand of shape {x.shape} "
                             f"to {tuple(shape)} with broadcast_dimensions "
                             f"{tuple(broadcast_dimensions)}")
        previous = d
    return tuple(shape)


def _broadcast_in_dim_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(np.reshape(x, expanded), shape)


broadcast_in_dim_p = _shape_primitive("broadcast_in_dim", _broadcast_in_dim_shape,
                                      _broadcast_in_dim_impl)


def _reshape_shape(x, *, new_sizes, dimensions):
    if math.prod(new_sizes) != math.prod(x.shape) or any(s < 0 for s in new_sizes):
        raise ShapeError(f"reshape: cannot reshape array of shape {x.shape} "
                         f"into shape {tuple(new_sizes)}")
    if dimensions is not None and sorted(dimensions) != list(range(x.ndim)):
        raise ShapeError(f"reshape: dimensions {dimensions} is not a permutation of "
                         f"{x.ndim} axes")
    return tuple(new_sizes)


def _reshape_impl(x, *, new_sizes, dimensions):
    if dimensions is not None:
        x = np.transpose(x, dimensions)
    return np.reshape(x, new_sizes)


reshape_p = _shape_primitive("reshape", _reshape_shape, _reshape_impl)


def _transpose_shape(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise ShapeError(f"transpose: permutation {tuple(permutation)} is not a permutation "
                         f"of the {x.ndim} axes of an array of shape {x.shape}")
    return tuple(x.shape[p] for p in permutation)


transpose_p = _shape_primitive("transpose", _transpose_shape,
                               lambda x, *, permutation: np.transpose(x, permutation))


def _rev_shape(x, *, dimensions):
    if any(not 0 <= d < x.ndim for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise ShapeError(f"rev: dimensions {tuple(dimensions)} invalid for shape {x.shape}")
    return x.shape


rev_p = _shape_primitive("rev", _rev_shape, lambda x, *, dimensions: np.flip(x, dimensions))


def _slice_shape(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        raise ShapeError(f"slice: operand of shape {x.shape} needs {x.ndim} start/limit "
                         f"indices, got {start_indices} and {limit_indices}")
    out = []
    for size, lo, hi, st in zip(x.shape, start_indices, limit_indices, strides):
        if not 0 <= lo <= hi <= size or st < 1:
            raise ShapeError(f"slice: start {tuple(start_indices)}, limit "
                             f"{tuple(limit_indices)}, strides {tuple(strides)} do not fit "
                             f"an operand of shape {x.shape}")
        out.append(max(0, -(-(hi - lo) // st)))
    return tuple(out)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * x.ndim
    return x[tuple(builtins.slice(lo, hi, st) for lo, hi, st in
                   zip(start_indices, limit_indices, strides))]


slice_p = _shape_primitive("slice", _slice_shape, _slice_impl)


def _check_start_indices(name, x, starts):
    if len(starts) != x.ndim:
        raise ShapeError(f"{name}: operand of shape {x.shape} needs {x.ndim} start indices, "
                         f"got {len(starts)}")
    for s in starts:
        if s.shape != () or s.dtype.kind not in "iu":
            raise TypeError(f"{name}: start indices must be integer scalars, got "
                            f"{s.dtype}{list(s.shape)}")


def _dynamic_slice_shape(x, *starts, slice_sizes):
    _check_start_indices("dynamic_slice", x, starts)
    if len(slice_sizes) != x.ndim or any(not 0 <= s <= d for s, d in zip(slice_sizes, x.shape)):
        raise ShapeError(f"dynamic_slice: slice_sizes {tuple(slice_sizes)} do not fit an "
                         f"operand of shape {x.shape}")
    return tuple(slice_sizes)


def _clamped_starts(shape, starts, sizes):
    """XLA semantics: start indices are clamped so the slice lies inside the operand."""
    return [int(min(max(int(s), 0), d - n)) for s, d, n in zip(starts, shape, sizes)]


def _dynamic_slice_impl(x, *starts, slice_sizes):
    begin = _clamped_starts(x.shape, starts, slice_sizes)
    return x[tuple(builtins.slice(b, b + n) for b, n in zip(begin, slice_sizes))]


dynamic_slice_p = _shape_primitive("dynamic_slice", _dynamic_slice_shape, _dynamic_slice_impl)


def _dynamic_update_slice_shape(x, update, *starts):
    _check_start_indices("dynamic_update_slice", x, starts)
    if update.dtype != x.dtype:
        raise TypeError(f"dynamic_update_slice: update dtype {update.dtype} differs from "
                        f"operand dtype {x.dtype}")
    if update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape)):
        raise ShapeError(f"dynamic_update_slice: update of shape {update.shape} does not fit "
                         f"an operand of shape {x.shape}")
    return x.shape


def _dynamic_update_slice_impl(x, update, *starts):
    begin = _clamped_starts(x.shape, starts, update.shape)
    out = np.array(x, copy=True)
    out[tuple(builtins.slice(b, b + n) for b, n in zip(begin, update.shape))] = update
    return out


dynamic_update_slice_p = _shape_primitive(
    "dynamic_update_slice", _dynamic_update_slice_shape, _dynamic_update_slice_impl,
    weak_rule=lambda args, params: args[0].weak_type and args[1].weak_type)


def _concatenate_shape(*xs, dimension):
    first = xs[0]
    if not 0 <= dimension < first.ndim:
        raise ShapeError(f"concatenate: dimension {dimension} out of range for rank "
                         f"{first.ndim}")
    for x in xs[1:]:
        if x.dtype != first.dtype:
            raise TypeError(f"concatenate: operands have dtypes "
                            f"{', '.join(str(y.dtype) for y in xs)}; they must be equal")
        if x.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(
                zip(x.shape, first.shape)) if i != dimension):
            raise ShapeError(f"concatenate: shapes {', '.join(str(y.shape) for y in xs)} "
                             f"differ outside dimension {dimension}")
    shape = list(first.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return tuple(shape)


concatenate_p = Primitive("concatenate")
concatenate_p.def_abstract_eval(lambda *xs, dimension: ShapedArray(
    _concatenate_shape(*xs, dimension=dimension), xs[0].dtype, all(x.weak_type for x in xs)))
concatenate_p.def_impl(lambda *xs, dimension: (
    _concatenate_shape(*xs, dimension=dimension), np.concatenate(xs, dimension))[1])


def _pad_shape(x, padding_value, *, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise TypeError(f"pad: padding value must be a scalar of the operand's dtype "
                        f"{x.dtype}, got {padding_value.dtype}{list(padding_value.shape)}")
    if len(padding_config) != x.ndim:
        raise ShapeError(f"pad: operand of shape {x.shape} needs {x.ndim} (low, high, "
                         f"interior) triples, got {len(padding_config)}")
    out = []
    for size, (lo, hi, interior) in zip(x.shape, padding_config):
        n = lo + hi + size + max(size - 1, 0) * interior
        if interior < 0 or n < 0:
            raise ShapeError(f"pad: padding {padding_config} invalid for shape {x.shape}")
        out.append(n)
    return tuple(out)


def _pad_impl(x, padding_value, *, padding_config):
    shape = _pad_shape(x, padding_value, padding_config=padding_config)
    inner = [size + max(size - 1, 0) * interior
             for size, (_, _, interior) in zip(x.shape, padding_config)]
    full = [max(lo, 0) + n + max(hi, 0) for n, (lo, hi, _) in zip(inner, padding_config)]
    out = np.full(full, padding_value, dtype=x.dtype)
    out[tuple(builtins.slice(max(lo, 0), max(lo, 0) + n, interior + 1)
              for n, (lo, _, interior) in zip(inner, padding_config))] = x
    crop = tuple(builtins.slice(max(-lo, 0), max(-lo, 0) + s)
                 for s, (lo, _, _) in zip(shape, padding_config))
    return out[crop]


pad_p = Primitive("pad")
pad_p.def_abstract_eval(lambda x, v, *, padding_config: ShapedArray(
    _pad_shape(x, v, padding_config=padding_config), x.dtype, x.weak_type and v.weak_type))
pad_p.def_impl(_pad_impl)


def _iota_impl(*, dtype, shape, dimension):
    _iota_shape(dtype=dtype, shape=shape, dimension=dimension)
    ramp = np.arange(shape[dimension], dtype=dtype)
    return np.broadcast_to(ramp.reshape([-1 if i == dimension else 1
                                         for i in range(len(shape))]), shape)


def _iota_shape(*, dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise ShapeError(f"iota: dimension {dimension} out of range for shape {shape}")
    return tuple(shape)


iota_p = Primitive("iota")
iota_p.def_impl(_iota_impl)
iota_p.def_abstract_eval(lambda *, dtype, shape, dimension: ShapedArray(
    _iota_shape(dtype=dtype, shape=shape, dimension=dimension), dtype))
iota_p.weak_type_rule = lambda args, params: False


# ---- binding functions (irax.lax) -------------------------------------------------

def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """`lax.broadcast_in_dim`: operand dim i becomes output dim broadcast_dimensions[i]."""
    x = to_tensor(operand)
    shape, dims = tuple(int(s) for s in shape), tuple(int(d) for d in broadcast_dimensions)
    if x.shape == shape and dims == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=dims)


def broadcast(operand, sizes):
    """`lax.broadcast`: adds leading dimensions of `sizes`."""
    x = to_tensor(operand)
    sizes = tuple(sizes)
    return broadcast_in_dim(x, sizes + x.shape, tuple(range(len(sizes), len(sizes) + x.ndim)))


def reshape(operand, new_sizes, dimensions=None):
    """`lax.reshape`: row-major reshape (after transposing by `dimensions` if given)."""
    x = to_tensor(operand)
    new_sizes = tuple(int(s) for s in new_sizes)
    dims = None if dimensions is None or tuple(dimensions) == tuple(range(x.ndim)) else tuple(
        dimensions)
    if x.shape == new_sizes and dims is None:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=dims)


def transpose(operand, permutation):
    """`lax.transpose`: output dim i is operand dim permutation[i]."""
    x = to_tensor(operand)
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(x.ndim)):
        return x
    return transpose_p.bind(x, permutation=permutation)


def rev(operand, dimensions):
    """`lax.rev`: reverses the order of elements along `dimensions`."""
    return rev_p.bind(to_tensor(operand), dimensions=tuple(int(d) for d in dimensions))


def slice(operand, start_indices, limit_indices, strides=None):  # noqa: A001 - lax's name
    """`lax.slice`: the static slice [start:limit:stride] along every dimension."""
    x = to_tensor(operand)
    strides = None if strides is None or all(s == 1 for s in strides) else tuple(
        int(s) for s in strides)
    return slice_p.bind(x, start_indices=tuple(int(i) for i in start_indices),
                        limit_indices=tuple(int(i) for i in limit_indices), strides=strides)


def dynamic_slice(operand, start_indices, slice_sizes):
    """`lax.dynamic_slice`: a slice of static size at traced start indices (clamped)."""
    return dynamic_slice_p.bind(to_tensor(operand), *[to_tensor(i) for i in start_indices],
                                slice_sizes=tuple(int(s) for s in slice_sizes))


def dynamic_update_slice(operand, update, start_indices):
    """`lax.dynamic_update_slice`: `operand` with `update` written at the (clamped) start."""
    return dynamic_update_slice_p.bind(to_tensor(operand), to_tensor(update),
                                       *[to_tensor(i) for i in start_indices])


def concatenate(operands, dimension: int):
    """`lax.concatenate`: joins arrays of one dtype along `dimension`."""
    xs = [to_tensor(x) for x in operands]
    if len(xs) == 1:
        return xs[0]
    return concatenate_p.bind(*xs, dimension=int(dimension))


def pad(operand, padding_value, padding_config):
    """`lax.pad`: (low, high, interior) padding per dimension; negative low/high crop."""
    config = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    return pad_p.bind(to_tensor(operand), to_tensor(padding_value), padding_config=config)


def iota(dtype, size: int):
    """`lax.iota`: `[0, 1, ..., size-1]` of `dtype`."""
    return broadcasted_iota(dtype, (size,), 0)


def broadcasted_iota(dtype, shape, dimension: int):
    """`lax.broadcasted_iota`: indices along `dimension`, broadcast to `shape`."""
    return iota_p.bind(dtype=dtypes.canonicalize_dtype(dtypes.to_dtype(dtype)),
                       shape=tuple(int(s) for s in shape), dimension=int(dimension))


def expand_dims(operand, dimensions):
    """`lax.expand_dims`: inserts size-1 dimensions at `dimensions` of the output."""
    x = to_tensor(operand)
    ndim = x.ndim + len(dimensions)
    dims = sorted(d % ndim for d in dimensions)
    shape = list(x.shape)
    for d in dims:
        shape.insert(d, 1)
    return reshape(x, shape)


def squeeze(operand, dimensions):
    """`lax.squeeze`: removes the given size-1 dimensions."""
    x = to_tensor(operand)
    dims = {d % x.ndim for d in dimensions} if x.ndim else set()
    for d in dims:
        if x.shape[d] != 1:
            raise ValueError(f"squeeze: dimension {d} of shape {x.shape} is not of size 1")
    return reshape(x, [s for i, s in enumerate(x.shape) if i not in dims])
