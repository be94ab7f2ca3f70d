"""What every irax.numpy function needs: input conversion, dtype promotion with weak
types, NumPy broadcasting, and axis normalization.  Errors name the function."""
import numpy as np

from irax.core import dtypes
from irax.core.errors import ConcretizationTypeError
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.primitives.checks import normalize_axis
from irax.core.tensor import ArrayImpl, Tensor, numpy_tensor, to_tensor


def asarray_arg(name: str, x) -> Tensor:
    """Converts one argument of `name`: arrays, scalars, NumPy values, (nested) lists."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float, complex, np.ndarray, np.generic)):
        return to_tensor(x)
    if isinstance(x, (list, tuple)):
        return array_from_sequence(name, x)
    raise TypeError(f"{name}: argument of type {type(x).__name__} is not an array, a "
                    "scalar or a list of them")


def array_from_sequence(name: str, seq) -> Tensor:
    """An array from a (nested) list/tuple, which may hold irax arrays (even tracers)."""
    leaves = []

    def walk(s):
        if isinstance(s, (list, tuple)):
            for item in s:
                walk(item)
        else:
            leaves.append(s)

    walk(seq)
    if not any(isinstance(leaf, Tensor) and not isinstance(leaf, ArrayImpl)
               for leaf in leaves):
        host = _to_host(seq)
        if host.dtype == object:
            raise TypeError(f"{name}: cannot convert a ragged or non-numeric sequence")
        return numpy_tensor(host)
    rows = [asarray_arg(name, s) for s in seq]
    dtype = result_type(*rows)
    rows = [st.expand_dims(convert(r, dtype), (0,)) for r in rows]
    if len({r.shape for r in rows}) != 1:
        raise ValueError(f"{name}: sequence elements have different shapes")
    return st.concatenate(rows, 0)


def _to_host(seq):
    if isinstance(seq, (list, tuple)):
        return np.array([_to_host(s) for s in seq]) if seq else np.array([], np.float64)
    return np.asarray(seq)


_INEXACT = frozenset(d for d in dtypes.ALL if dtypes.is_inexact(d))


def result_type(*args) -> np.dtype:
    """The dtype `args` promote to (weak types respected), as `jnp.result_type`."""
    return dtypes.promote_dtypes_weak(*[_dtype_and_weak(a) for a in args])[0]


def _dtype_and_weak(a):
    if isinstance(a, Tensor):
        return a.dtype, a.weak_type
    if isinstance(a, (np.ndarray, np.generic)):
        return dtypes.canonicalize_dtype(a.dtype), False
    if isinstance(a, (bool, int, float, complex)):
        return dtypes.python_scalar_dtype(a), not isinstance(a, bool)
    if isinstance(a, (np.dtype, type, str)):
        return dtypes.canonicalize_dtype(dtypes.to_dtype(a)), False
    return to_tensor(a).dtype, False


def canonical_dtype(name: str, dtype) -> np.dtype:
    """A user dtype argument as the dtype irax stores; errors name `name`."""
    try:
        return dtypes.canonicalize_dtype(dtypes.to_dtype(dtype))
    except TypeError as err:
        raise TypeError(f"{name}: {err}") from None


def inexact_dtype(dtype: np.dtype) -> np.dtype:
    """`dtype` if floating or complex, else the default float."""
    return dtype if dtypes.is_inexact(dtype) else dtypes.default_float_dtype()


def convert(x: Tensor, dtype, weak_type: bool = False) -> Tensor:
    """`x` cast to `dtype` with the given weak type (no-op when it already has both)."""
    if x.dtype == dtype and x.weak_type == weak_type:
        return x
    return ew.convert_element_type(x, dtype, weak_type)


def _already_promoted(xs) -> bool:
    """True when all arrays share one dtype and one shape (the common fast case)."""
    first = xs[0]
    dtype, shape = first.dtype, first.shape
    for x in xs[1:]:
        if x.dtype != dtype or x.shape != shape:
            return False
    return True


def promote_args(name: str, *args) -> list[Tensor]:
    """Converts, promotes to one dtype and broadcasts to one shape (NumPy rules)."""
    xs = [a if isinstance(a, Tensor) else asarray_arg(name, a) for a in args]
    if _already_promoted(xs):
        return xs
    dtype, weak = dtypes.promote_dtypes_weak(*[(x.dtype, x.weak_type) for x in xs])
    xs = [x if x.dtype == dtype and x.weak_type == weak
          else ew.convert_element_type(x, dtype, weak) for x in xs]
    return broadcast_arrays(name, *xs)


def promote_args_inexact(name: str, *args) -> list[Tensor]:
    """Like `promote_args`, but integers and bools promote to the default float."""
    xs = [a if isinstance(a, Tensor) else asarray_arg(name, a) for a in args]
    if _already_promoted(xs) and xs[0].dtype in _INEXACT:
        return xs
    dtype, weak = dtypes.promote_dtypes_weak(*[(x.dtype, x.weak_type) for x in xs])
    if not dtypes.is_inexact(dtype):
        dtype = dtypes.default_float_dtype()
    xs = [x if x.dtype == dtype and x.weak_type == weak
          else ew.convert_element_type(x, dtype, weak) for x in xs]
    return broadcast_arrays(name, *xs)


def broadcast_shapes(name: str, *shapes) -> tuple:
    """NumPy's broadcast of shapes; a ValueError names `name` and every shape."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        size = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d != 1:
                if size not in (1, d):
                    raise ValueError(f"{name}: shapes {', '.join(str(tuple(t)) for t in shapes)}"
                                     " cannot be broadcast together")
                size = d
        out.append(size)
    return tuple(out)


def broadcast_to_shape(x: Tensor, shape: tuple) -> Tensor:
    """`x` broadcast to `shape` by NumPy rules (leading dims added, 1s stretched)."""
    if x.shape == shape:
        return x
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"cannot broadcast an array of shape {x.shape} to {shape}")
    keep = [i for i, d in enumerate(x.shape) if not (d == 1 and shape[lead + i] != 1)]
    if len(keep) != x.ndim:
        x = st.reshape(x, [x.shape[i] for i in keep])
    return st.broadcast_in_dim(x, shape, [lead + i for i in keep])


def broadcast_arrays(name: str, *xs: Tensor) -> list[Tensor]:
    """Broadcasts to a common shape; rank-0 operands are left alone (lax broadcasts them)."""
    shapes = {x.shape for x in xs if x.shape}
    if len(shapes) <= 1:
        return list(xs)
    shape = broadcast_shapes(name, *[x.shape for x in xs])
    return [x if not x.shape else broadcast_to_shape(x, shape) for x in xs]


def canonical_axis(name: str, axis, ndim: int) -> int:
    """One axis as a non-negative int (ValueError when out of range)."""
    return normalize_axis(name, int(axis), ndim)


def canonical_axes(name: str, axis, ndim: int) -> tuple:
    """`None` (all axes), an int or a sequence of ints, as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) or (
        isinstance(axis, Tensor) and axis.ndim == 0) else tuple(axis)
    out = tuple(sorted(normalize_axis(name, int(a), ndim) for a in axes))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return out


def concrete(name: str, x, what: str) -> np.ndarray:
    """`np.asarray(x)`, or a ConcretizationTypeError saying why a value is needed."""
    try:
        return np.asarray(x)
    except ConcretizationTypeError:
        raise ConcretizationTypeError(x, f"{name}: {what}") from None


def nonzero_indices(a) -> tuple:
    """`nonzero(a)` without `size`: the indices of the non-zero elements of a concrete
    array of at least one dimension, one array per axis (the default int dtype)."""
    x = asarray_arg("nonzero", a)
    if x.ndim == 0:
        raise ValueError("nonzero: calling nonzero on 0-d arrays is not allowed; use "
                         "jnp.atleast_1d(x).nonzero()")
    values = concrete("nonzero", x, "the number of results depends on the values; pass size=")
    return tuple(numpy_tensor(i, dtypes.default_int_dtype()) for i in np.nonzero(values))
