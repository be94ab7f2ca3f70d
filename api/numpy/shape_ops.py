"""Shape manipulation of irax.numpy: reshaping, transposing, joining, splitting,
tiling, repeating, flipping and rolling (padding is in `padding`, diagonals in
`diagonals`).  Every function decomposes onto the structural lax primitives (reshape,
transpose, slice, rev, concatenate, broadcast_in_dim), so it works on traced values
and is differentiable."""
import itertools
import operator

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor, numpy_tensor

from . import util
from .indexing import take
from .ufuncs import remainder

__all__ = [
    "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays",
    "broadcast_shapes", "broadcast_to", "column_stack", "concatenate", "dsplit", "dstack",
    "expand_dims", "flatten", "flip", "fliplr", "flipud", "hsplit", "hstack", "moveaxis", "ravel",
    "repeat", "reshape", "roll", "rot90", "split", "squeeze", "stack", "swapaxes", "tile",
    "transpose", "vsplit", "vstack",
]

_ORDERS = ("C", "F", "A")


def _shape_tuple(name: str, shape) -> tuple:
    """A shape argument (int, sequence of ints, concrete 1-D array) as a tuple of ints."""
    if isinstance(shape, Tensor) and shape.ndim == 0 or isinstance(shape, (int, np.integer)):
        return (operator.index(shape),)
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError as err:
        raise TypeError(f"{name}: shape must be an int or a sequence of ints, got "
                        f"{shape!r}") from err


def _check_order(name: str, order) -> str:
    if order not in _ORDERS:
        raise ValueError(f"{name}: order must be one of 'C', 'F', 'A', got {order!r}")
    return order


def reshape(a, shape, *more, order: str = "C") -> Tensor:
    """Gives an array a new shape without changing its data (`numpy.reshape`).

    Args:
      a: the array.
      shape: an int or a tuple of ints; one entry may be -1 (inferred). As a method,
        the sizes may also be passed separately: `x.reshape(2, 3)`.
      order: 'C' (row-major) or 'F' (column-major) element order; 'A' acts as 'C'.

    Returns:
      An array with the elements of `a` in `order`, of shape `shape`.

    Example:
      >>> jnp.reshape(jnp.arange(6), (2, -1)).shape
      (2, 3)
    """
    if len(more) == 1 and isinstance(more[0], str):
        order, more = more[0], ()
    return _reshape("reshape", a, (shape,) + more if more else shape, order)


def _reshape(name: str, a, shape, order: str) -> Tensor:
    x = util.asarray_arg(name, a)
    sizes = _infer_size(name, x, _shape_tuple(name, shape))
    if _check_order(name, order) == "F":
        return st.transpose(st.reshape(st.transpose(x, range(x.ndim)[::-1]), sizes[::-1]),
                            range(len(sizes))[::-1])
    return st.reshape(x, sizes)


def _infer_size(name: str, x: Tensor, sizes: tuple) -> tuple:
    unknown = [i for i, s in enumerate(sizes) if s == -1]
    known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
    if len(unknown) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"{name}: invalid shape {sizes}: at most one -1 and no other "
                         "negative sizes")
    if unknown and known and x.size % known == 0:
        return tuple(x.size // known if s == -1 else s for s in sizes)
    if unknown or known != x.size:
        raise ValueError(f"{name}: cannot reshape array of shape {x.shape} (size {x.size}) "
                         f"into shape {sizes}")
    return sizes


def ravel(a, order: str = "C") -> Tensor:
    """The elements of `a` as a 1-D array, in `order` ('C' or 'F') (`numpy.ravel`).

    Example:
      >>> jnp.ravel(jnp.ones((2, 3))).shape
      (6,)
    """
    return _reshape("ravel", a, (-1,), order)


def flatten(a, order: str = "C") -> Tensor:
    """`ndarray.flatten`: a 1-D array of the elements of `a` (same as `ravel`).

    Example:
      >>> jnp.ones((2, 3)).flatten().shape
      (6,)
    """
    return _reshape("flatten", a, (-1,), order)


def transpose(a, axes=None, *more) -> Tensor:
    """Permutes the axes of `a` (`numpy.transpose`); reverses them when `axes` is None.

    Args:
      a: the array.
      axes: a permutation of `range(a.ndim)` (negative entries allowed); as a method
        the axes may be passed separately: `x.transpose(1, 0)`.

    Returns:
      The array whose axis i is axis `axes[i]` of `a`.

    Example:
      >>> jnp.transpose(jnp.ones((2, 3, 4)), (2, 0, 1)).shape
      (4, 2, 3)
    """
    x = util.asarray_arg("transpose", a)
    if more:
        axes = (axes,) + more
    if axes is None:
        return st.transpose(x, range(x.ndim)[::-1])
    perm = [util.canonical_axis("transpose", ax, x.ndim) for ax in _shape_tuple(
        "transpose", axes)]
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the axes "
                         f"of an array of shape {x.shape}")
    return st.transpose(x, perm)


def swapaxes(a, axis1: int, axis2: int) -> Tensor:
    """Interchanges two axes of `a` (`numpy.swapaxes`).

    Example:
      >>> jnp.swapaxes(jnp.ones((2, 3, 4)), 0, -1).shape
      (4, 3, 2)
    """
    x = util.asarray_arg("swapaxes", a)
    perm = list(range(x.ndim))
    i = util.canonical_axis("swapaxes", axis1, x.ndim)
    j = util.canonical_axis("swapaxes", axis2, x.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return st.transpose(x, perm)


def moveaxis(a, source, destination) -> Tensor:
    """Moves axes `source` to positions `destination`, others keep their order
    (`numpy.moveaxis`).

    Example:
      >>> jnp.moveaxis(jnp.ones((2, 3, 4)), 0, -1).shape
      (3, 4, 2)
    """
    x = util.asarray_arg("moveaxis", a)
    src, dst = _axis_list("moveaxis", source, x.ndim), _axis_list("moveaxis", destination,
                                                                     x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must "
                         "have the same number of elements")
    perm = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return st.transpose(x, perm)


def _axis_list(name: str, axis, ndim: int) -> list:
    axes = [util.canonical_axis(name, ax, ndim) for ax in _shape_tuple(name, axis)]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return axes


def expand_dims(a, axis) -> Tensor:
    """Inserts size-1 axes at positions `axis` (int or tuple) of the result
    (`numpy.expand_dims`).

    Example:
      >>> jnp.expand_dims(jnp.ones((2, 3)), (0, -1)).shape
      (1, 2, 3, 1)
    """
    x = util.asarray_arg("expand_dims", a)
    axes = _axis_list("expand_dims", axis, x.ndim + len(_shape_tuple("expand_dims", axis)))
    shape = list(x.shape)
    for ax in sorted(axes):
        shape.insert(ax, 1)
    return st.reshape(x, shape)


def squeeze(a, axis=None) -> Tensor:
    """Removes size-1 axes: all of them, or those in `axis` (`numpy.squeeze`).

    Raises:
      ValueError: an axis in `axis` does not have size 1.

    Example:
      >>> jnp.squeeze(jnp.ones((1, 3, 1))).shape
      (3,)
    """
    x = util.asarray_arg("squeeze", a)
    if axis is None:
        axes = [i for i, s in enumerate(x.shape) if s == 1]
    else:
        axes = _axis_list("squeeze", axis, x.ndim)
        if any(x.shape[ax] != 1 for ax in axes):
            raise ValueError(f"squeeze: cannot squeeze axis {axis} of an array of shape "
                             f"{x.shape}: its size is not 1")
    return st.reshape(x, [s for i, s in enumerate(x.shape) if i not in axes])


def broadcast_shapes(*shapes) -> tuple:
    """The shape NumPy broadcasting gives arrays of `shapes` (`numpy.broadcast_shapes`).

    Example:
      >>> jnp.broadcast_shapes((2, 1), (3,))
      (2, 3)
    """
    return util.broadcast_shapes("broadcast_shapes",
                                 *[_shape_tuple("broadcast_shapes", s) for s in shapes])


def broadcast_to(array, shape) -> Tensor:
    """`array` broadcast to `shape` by NumPy's rules (`numpy.broadcast_to`).

    Example:
      >>> jnp.broadcast_to(jnp.arange(3), (2, 3)).shape
      (2, 3)
    """
    x = util.asarray_arg("broadcast_to", array)
    shape = _shape_tuple("broadcast_to", shape)
    lead = len(shape) - x.ndim
    if lead < 0 or any(d not in (1, shape[lead + i]) for i, d in enumerate(x.shape)) or any(
            s < 0 for s in shape):
        raise ValueError(f"broadcast_to: cannot broadcast an array of shape {x.shape} to "
                         f"shape {shape}")
    return util.broadcast_to_shape(x, shape)


def broadcast_arrays(*args) -> list:
    """The arguments broadcast against each other, dtypes kept (`numpy.broadcast_arrays`).

    Example:
      >>> [x.shape for x in jnp.broadcast_arrays(jnp.ones(3), jnp.ones((2, 1)))]
      [(2, 3), (2, 3)]
    """
    xs = [util.asarray_arg("broadcast_arrays", a) for a in args]
    shape = util.broadcast_shapes("broadcast_arrays", *[x.shape for x in xs])
    return [util.broadcast_to_shape(x, shape) for x in xs]


def _atleast(name: str, arys, ndim: int, layout):
    out = []
    for a in arys:
        x = util.asarray_arg(name, a)
        out.append(x if x.ndim >= ndim else st.reshape(x, layout(x.shape)))
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    """Each input as an array of at least one dimension (a list if several).

    Example:
      >>> jnp.atleast_1d(1.0).shape
      (1,)
    """
    return _atleast("atleast_1d", arys, 1, lambda s: (1,))


def atleast_2d(*arys):
    """Each input as an array of at least two dimensions: (n,) becomes (1, n).

    Example:
      >>> jnp.atleast_2d(jnp.ones(3)).shape
      (1, 3)
    """
    return _atleast("atleast_2d", arys, 2, lambda s: (1,) * (2 - len(s)) + s)


def atleast_3d(*arys):
    """Each input as an array of at least three dimensions: (n,) becomes (1, n, 1) and
    (m, n) becomes (m, n, 1), as `numpy.atleast_3d`.

    Example:
      >>> jnp.atleast_3d(jnp.ones((2, 3))).shape
      (2, 3, 1)
    """
    return _atleast("atleast_3d", arys, 3,
                    lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


def _as_list(name: str, arrays) -> list:
    if isinstance(arrays, Tensor):
        return [arrays[i] for i in range(arrays.shape[0])] if arrays.ndim else [arrays]
    if isinstance(arrays, np.ndarray):
        return list(arrays)
    return [util.asarray_arg(name, a) for a in arrays]


def _promote_all(xs: list, dtype=None) -> list:
    if dtype is not None:
        target, weak = dtypes.canonicalize_dtype(dtypes.to_dtype(dtype)), False
    else:
        target, weak = dtypes.promote_dtypes_weak(*[(x.dtype, x.weak_type) for x in xs])
    return [util.convert(x, target, weak) if (x.dtype, x.weak_type) != (target, weak) else x
            for x in xs]


def concatenate(arrays, axis: int | None = 0, dtype=None) -> Tensor:
    """Joins arrays along an existing axis (`numpy.concatenate`).

    Args:
      arrays: a sequence of arrays whose shapes agree except along `axis`.
      axis: the axis to join along (negative counts from the end); None flattens the
        arrays first.
      dtype: the result dtype; by default the promoted dtype of the inputs.

    Returns:
      The joined array.

    Example:
      >>> jnp.concatenate([jnp.ones((2, 3)), jnp.zeros((1, 3))]).shape
      (3, 3)
    """
    return _concatenate("concatenate", _as_list("concatenate", arrays), axis, dtype)


def _concatenate(name: str, xs: list, axis, dtype) -> Tensor:
    if not xs:
        raise ValueError(f"{name}: need at least one array to concatenate")
    if axis is None:
        xs, axis = [st.reshape(x, (x.size,)) for x in xs], 0
    if any(x.ndim == 0 for x in xs):
        raise ValueError(f"{name}: zero-dimensional arrays cannot be concatenated")
    ax = util.canonical_axis(name, axis, xs[0].ndim)
    for x in xs[1:]:
        if x.ndim != xs[0].ndim or any(a != b for i, (a, b) in enumerate(
                zip(x.shape, xs[0].shape)) if i != ax):
            raise ValueError(f"{name}: shapes {', '.join(str(y.shape) for y in xs)} "
                             f"do not agree outside axis {axis}")
    return st.concatenate(_promote_all(xs, dtype), ax)


def stack(arrays, axis: int = 0, dtype=None) -> Tensor:
    """Joins arrays of one shape along a new axis (`numpy.stack`).

    Example:
      >>> jnp.stack([jnp.ones(3), jnp.zeros(3)], axis=1).shape
      (3, 2)
    """
    xs = _as_list("stack", arrays)
    if not xs:
        raise ValueError("stack: need at least one array to stack")
    if len({x.shape for x in xs}) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{', '.join(str(x.shape) for x in xs)}")
    ax = util.canonical_axis("stack", axis, xs[0].ndim + 1)
    return _concatenate("stack", [st.expand_dims(x, (ax,)) for x in xs], ax, dtype)


def hstack(tup, dtype=None) -> Tensor:
    """Joins arrays column-wise: along axis 1, or axis 0 for 1-D inputs (`numpy.hstack`).

    Example:
      >>> jnp.hstack([jnp.ones(2), jnp.zeros(3)]).shape
      (5,)
    """
    xs = [atleast_1d(x) for x in _as_list("hstack", tup)]
    return _concatenate("hstack", xs, 0 if xs and xs[0].ndim == 1 else 1, dtype)


def vstack(tup, dtype=None) -> Tensor:
    """Joins arrays row-wise, 1-D inputs becoming rows (`numpy.vstack`).

    Example:
      >>> jnp.vstack([jnp.ones(3), jnp.zeros(3)]).shape
      (2, 3)
    """
    return _concatenate("vstack", [atleast_2d(x) for x in _as_list("vstack", tup)], 0, dtype)


def dstack(tup, dtype=None) -> Tensor:
    """Joins arrays along the third axis after `atleast_3d` (`numpy.dstack`).

    Example:
      >>> jnp.dstack([jnp.ones((2, 3)), jnp.zeros((2, 3))]).shape
      (2, 3, 2)
    """
    return _concatenate("dstack", [atleast_3d(x) for x in _as_list("dstack", tup)], 2, dtype)


def column_stack(tup) -> Tensor:
    """Joins 1-D arrays as columns (and 2-D arrays as they are) (`numpy.column_stack`).

    Example:
      >>> jnp.column_stack([jnp.ones(3), jnp.zeros(3)]).shape
      (3, 2)
    """
    return _concatenate("column_stack", [x if x.ndim >= 2 else st.reshape(x, (x.size, 1))
                                         for x in _as_list("column_stack", tup)], 1, None)


def _split_points(name: str, size: int, indices_or_sections, even: bool) -> list:
    if isinstance(indices_or_sections, (int, np.integer)) or (
            isinstance(indices_or_sections, Tensor) and indices_or_sections.ndim == 0):
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"{name}: number of sections must be larger than 0, got "
                             f"{sections}")
        if even and size % sections:
            raise ValueError(f"{name}: array split does not result in an equal division "
                             f"({size} elements into {sections} sections)")
        base, extra = divmod(size, sections)
        return list(np.cumsum([0] + [base + 1] * extra + [base] * (sections - extra)))
    points = [operator.index(i) for i in np.asarray(indices_or_sections).reshape(-1)]
    return [0] + [min(max(p + size if p < 0 else p, 0), size) for p in points] + [size]


def _split(name: str, ary, indices_or_sections, axis: int, even: bool) -> list:
    x = util.asarray_arg(name, ary)
    ax = util.canonical_axis(name, axis, x.ndim)
    points = _split_points(name, x.shape[ax], indices_or_sections, even)
    out = []
    for lo, hi in itertools.pairwise(points):
        start, limit = [0] * x.ndim, list(x.shape)
        start[ax], limit[ax] = lo, max(lo, hi)
        out.append(st.slice(x, start, limit))
    return out


def split(ary, indices_or_sections, axis: int = 0) -> list:
    """Splits an array into equal sections, or at the given indices (`numpy.split`).

    Args:
      ary: the array.
      indices_or_sections: an int N (N equal sections; ValueError if impossible) or a
        sorted sequence of split points along `axis`.
      axis: the axis to split.

    Returns:
      A list of arrays.

    Example:
      >>> [x.shape for x in jnp.split(jnp.arange(6), [2, 5])]
      [(2,), (3,), (1,)]
    """
    return _split("split", ary, indices_or_sections, axis, even=True)


def array_split(ary, indices_or_sections, axis: int = 0) -> list:
    """As `split`, but N sections need not be equal: the first `size % N` are one
    longer (`numpy.array_split`).

    Example:
      >>> [x.shape for x in jnp.array_split(jnp.arange(5), 3)]
      [(2,), (2,), (1,)]
    """
    return _split("array_split", ary, indices_or_sections, axis, even=False)


def hsplit(ary, indices_or_sections) -> list:
    """`split` along axis 1 (axis 0 for 1-D arrays) (`numpy.hsplit`).

    Example:
      >>> len(jnp.hsplit(jnp.ones((2, 4)), 2))
      2
    """
    x = util.asarray_arg("hsplit", ary)
    if x.ndim == 0:
        raise ValueError("hsplit: only works on arrays of 1 or more dimensions")
    return _split("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, even=True)


def vsplit(ary, indices_or_sections) -> list:
    """`split` along axis 0 of an array of at least 2 dimensions (`numpy.vsplit`).

    Example:
      >>> len(jnp.vsplit(jnp.ones((4, 2)), 2))
      2
    """
    return _split_min_ndim("vsplit", ary, indices_or_sections, 0, 2)


def dsplit(ary, indices_or_sections) -> list:
    """`split` along axis 2 of an array of at least 3 dimensions (`numpy.dsplit`).

    Example:
      >>> len(jnp.dsplit(jnp.ones((1, 2, 4)), 2))
      2
    """
    return _split_min_ndim("dsplit", ary, indices_or_sections, 2, 3)


def _split_min_ndim(name: str, ary, indices_or_sections, axis: int, min_ndim: int) -> list:
    """`split` along `axis` of an array of at least `min_ndim` dimensions."""
    x = util.asarray_arg(name, ary)
    if x.ndim < min_ndim:
        raise ValueError(f"{name}: only works on arrays of {min_ndim} or more dimensions, got "
                         f"shape {x.shape}")
    return _split(name, x, indices_or_sections, axis, even=True)


def tile(A, reps) -> Tensor:
    """Repeats the whole array `reps` times along each axis (`numpy.tile`).

    Example:
      >>> jnp.tile(jnp.arange(3), (2, 2)).shape
      (2, 6)
    """
    x = util.asarray_arg("tile", A)
    reps = _shape_tuple("tile", reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions {reps}")
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + x.shape
    x = st.reshape(x, shape)
    tiled = st.broadcast_in_dim(x, [d for pair in zip(reps, shape) for d in pair],
                                range(1, 2 * ndim, 2))
    return st.reshape(tiled, [r * s for r, s in zip(reps, shape)])


def repeat(a, repeats, axis: int | None = None, *, total_repeat_length=None) -> Tensor:
    """Repeats each element of `a` (`numpy.repeat`).

    Args:
      a: the array.
      repeats: an int, or a concrete sequence of ints with one count per element along
        `axis`.
      axis: the axis to repeat along; None flattens `a` first.
      total_repeat_length: the length of the result along `axis`, if known; it must
        equal the sum of the repeats.

    Returns:
      The array with each element repeated.

    Example:
      >>> jnp.repeat(jnp.array([1, 2]), [1, 3])
      Array([1, 2, 2, 2], dtype=int32)
    """
    x = util.asarray_arg("repeat", a)
    if axis is None:
        x, axis = ravel(x), 0
    ax = util.canonical_axis("repeat", axis, x.ndim)
    n = x.shape[ax]
    counts = util.concrete("repeat", repeats, "repeats must be concrete (the result shape "
                       "depends on them)")
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(f"repeat: repeats must be an int or a 1-D sequence of ints, got "
                        f"{repeats!r}")
    if counts.ndim == 1 and counts.shape[0] not in (1, n):
        raise ValueError(f"repeat: {counts.shape[0]} repeats for an axis of length {n}")
    if (counts < 0).any():
        raise ValueError("repeat: repeats may not be negative")
    counts = np.broadcast_to(counts.reshape(-1), (n,))
    if total_repeat_length is not None and total_repeat_length != int(counts.sum()):
        raise ValueError(f"repeat: total_repeat_length {total_repeat_length} differs from "
                         f"the sum of the repeats {int(counts.sum())}")
    if n and (counts == counts[0]).all():
        r = int(counts[0])
        shape = x.shape[:ax + 1] + (r,) + x.shape[ax + 1:]
        out = st.broadcast_in_dim(x, shape, [i + (i > ax) for i in range(x.ndim)])
        return st.reshape(out, x.shape[:ax] + (n * r,) + x.shape[ax + 1:])
    return _take_static(x, np.repeat(np.arange(n), counts), ax)


_MAX_RUNS = 16


def _take_static(x: Tensor, idx: np.ndarray, axis: int) -> Tensor:
    """`x` indexed along `axis` by the concrete in-bounds 1-D indices `idx`: a few
    slices (runs of step 1, -1 or 0) when the indices have few runs, else a gather."""
    runs, start = [], 0
    for i in range(1, len(idx) + 1):
        if i == len(idx) or (i - start > 1 and idx[i] - idx[i - 1] != idx[start + 1] -
                             idx[start]) or abs(idx[i] - idx[i - 1]) > 1:
            runs.append(idx[start:i])
            start = i
    if len(runs) > _MAX_RUNS:
        return take(x, numpy_tensor(idx, np.int32), axis=axis, mode="clip")
    pieces = []
    for run in runs:
        lo, hi = int(run.min()), int(run.max()) + 1
        start, limit = [0] * x.ndim, list(x.shape)
        start[axis], limit[axis] = lo, hi
        piece = st.slice(x, start, limit)
        if len(run) > 1 and run[1] < run[0]:
            piece = st.rev(piece, (axis,))
        elif len(run) > 1 and run[1] == run[0]:
            shape = list(piece.shape)
            shape[axis] = len(run)
            piece = st.broadcast_in_dim(piece, shape, range(x.ndim))
        pieces.append(piece)
    if not pieces:
        shape = list(x.shape)
        shape[axis] = 0
        return st.slice(x, [0] * x.ndim, shape)
    return st.concatenate(pieces, axis)


def flip(m, axis=None) -> Tensor:
    """Reverses the order of elements along `axis` (all axes if None) (`numpy.flip`).

    Example:
      >>> jnp.flip(jnp.arange(3))
      Array([2, 1, 0], dtype=int32)
    """
    x = util.asarray_arg("flip", m)
    axes = util.canonical_axes("flip", axis, x.ndim)
    return st.rev(x, axes) if axes else x


def fliplr(m) -> Tensor:
    """Reverses the order along axis 1 (`numpy.fliplr`).

    Example:
      >>> jnp.fliplr(jnp.eye(2))[0]
      Array([0., 1.], dtype=float32)
    """
    x = util.asarray_arg("fliplr", m)
    if x.ndim < 2:
        raise ValueError(f"fliplr: input must be at least 2-d, got shape {x.shape}")
    return st.rev(x, (1,))


def flipud(m) -> Tensor:
    """Reverses the order along axis 0 (`numpy.flipud`).

    Example:
      >>> jnp.flipud(jnp.arange(3))
      Array([2, 1, 0], dtype=int32)
    """
    x = util.asarray_arg("flipud", m)
    if x.ndim < 1:
        raise ValueError("flipud: input must be at least 1-d")
    return st.rev(x, (0,))


def roll(a, shift, axis=None) -> Tensor:
    """Rolls elements along `axis`: those shifted past the end reappear at the start
    (`numpy.roll`).  `shift` may be traced.

    Args:
      a: the array.
      shift: an int (or traced int), or one per axis of `axis`.
      axis: an int or a tuple of ints; None rolls the flattened array and restores the
        shape.

    Example:
      >>> jnp.roll(jnp.arange(4), 1)
      Array([3, 0, 1, 2], dtype=int32)
    """
    x = util.asarray_arg("roll", a)
    if axis is None:
        return st.reshape(roll(ravel(x), shift, 0), x.shape)
    traced = isinstance(shift, Tensor) and not isinstance(shift, ArrayImpl)
    shifts = util.asarray_arg("roll", shift) if traced else np.asarray(shift)
    axes = np.asarray(axis)
    if shifts.ndim > 1 or axes.ndim > 1 or axes.dtype.kind not in "iu" or (
            not traced and shifts.dtype.kind not in "iu"):
        raise ValueError(f"roll: shift and axis must be ints or 1-D sequences of ints, got "
                         f"{shift!r} and {axis!r}")
    count = max(shifts.shape[0] if shifts.ndim else 1, axes.size)
    if (shifts.ndim and shifts.shape[0] not in (1, count)) or axes.size not in (1, count):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} differ in length")
    for i in range(count):
        ax = util.canonical_axis("roll", axes.reshape(-1)[i % axes.size], x.ndim)
        s = shifts if not shifts.ndim else shifts[i % shifts.shape[0]]
        x = _roll_dynamic(x, s, ax) if traced else _roll_static(x, int(s), ax)
    return x


def _roll_static(x: Tensor, shift: int, ax: int) -> Tensor:
    n = x.shape[ax]
    if not n or not shift % n:
        return x
    cut = n - shift % n
    start, limit = [0] * x.ndim, list(x.shape)
    start[ax] = cut
    head = st.slice(x, start, limit)
    start[ax], limit[ax] = 0, cut
    return st.concatenate([head, st.slice(x, start, limit)], ax)


def _roll_dynamic(x: Tensor, shift: Tensor, ax: int) -> Tensor:
    n = x.shape[ax]
    if not n:
        return x
    if not dtypes.is_integer(shift.dtype) or shift.ndim:
        raise TypeError(f"roll: shift must be an integer scalar, got "
                        f"{shift.dtype}{list(shift.shape)}")
    start = ew.sub(n, remainder(shift, n))
    starts = [ew.convert_element_type(0, start.dtype)] * x.ndim
    starts[ax] = start
    return st.dynamic_slice(st.concatenate([x, x], ax), starts, x.shape)


def rot90(m, k: int = 1, axes: tuple = (0, 1)) -> Tensor:
    """Rotates by 90 degrees `k` times in the plane of `axes`, from the first axis
    towards the second (`numpy.rot90`).

    Example:
      >>> jnp.rot90(jnp.array([[1, 2], [3, 4]]))
      Array([[2, 4],
             [1, 3]], dtype=int32)
    """
    x = util.asarray_arg("rot90", m)
    axes = _shape_tuple("rot90", axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must have 2 elements, got {axes}")
    if x.ndim < 2:
        raise ValueError(f"rot90: array must be at least 2-d, got shape {x.shape}")
    a0, a1 = (util.canonical_axis("rot90", ax, x.ndim) for ax in axes)
    if a0 == a1:
        raise ValueError(f"rot90: axes {axes} must be different")
    k = operator.index(k) % 4
    if k == 0:
        return x
    if k == 2:
        return st.rev(x, (a0, a1))
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return st.transpose(st.rev(x, (a1,)), perm)
    return st.rev(st.transpose(x, perm), (a1,))
