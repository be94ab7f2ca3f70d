"""lax's windowed and generic reductions: `reduce_window` (the sum/max/min primitives
for monoids, windows extracted and reduced with the user's computation otherwise),
`reduce` (generic and variadic), `cumlogsumexp`, `top_k` and `optimization_barrier`."""
import operator

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import sorting
from irax.core.primitives import structural as st
from irax.core.primitives import windowed as win
from irax.core.primitives.checks import normalize_axis
from irax.core.primitives.conv import dilate_dim, padtype_to_pads
from irax.core.primitives.scan_ops import associative_scan
from irax.core.pytree import tree_flatten, tree_unflatten
from irax.core.tensor import Tensor, to_tensor

__all__ = ["cumlogsumexp", "optimization_barrier", "reduce", "reduce_window", "top_k"]


# ---- monoids ----------------------------------------------------------------------------

def _computations(kind: str) -> tuple:
    """The functions that compute a monoid's combination (lax, irax.numpy, operator)."""
    import irax.numpy as jnp
    return {"sum": (ew.add, jnp.add, operator.add), "prod": (ew.mul, jnp.multiply, operator.mul),
            "max": (ew.max, jnp.maximum), "min": (ew.min, jnp.minimum),
            "and": (ew.bitwise_and, jnp.bitwise_and, operator.and_),
            "or": (ew.bitwise_or, jnp.bitwise_or, operator.or_)}[kind]


def _identity(kind: str, dtype):
    return {"sum": 0, "prod": 1, "max": red._lowest(dtype), "min": red._highest(dtype),
            "and": np.array(-1).astype(dtype), "or": 0}[kind]


def _monoid(computation, operand: Tensor, init: Tensor, kinds) -> str | None:
    """The monoid among `kinds` that `computation` with `init` is on `operand`, if any:
    its combination and its identity as (concrete) init value."""
    try:
        value = np.asarray(init)
    except TypeError:  # a traced init value: not known to be the identity
        return None
    for kind in kinds:
        if any(computation is f for f in _computations(kind)):
            if kind in ("sum", "prod") and operand.dtype == np.bool_:
                return None
            if kind in ("and", "or") and operand.dtype.kind not in "biu":
                return None
            return kind if value == _identity(kind, operand.dtype) else None
    return None


def _flat_pair(name: str, operands, init_values):
    """Flattened operands and init values (scalars of the operands' dtypes)."""
    flat, tree = tree_flatten(operands)
    flat_inits, init_tree = tree_flatten(init_values)
    if tree != init_tree:
        raise ValueError(f"{name}: operands must have the same tree structure as "
                         f"init_values: {tree} vs. {init_tree}")
    if not flat:
        raise ValueError(f"{name} must have at least one operand")
    flat = [to_tensor(x) for x in flat]
    inits = []
    for x, init in zip(flat, flat_inits):
        init = to_tensor(init)
        if init.shape:
            raise TypeError(f"{name} expected init_values to be scalars but an init_value "
                            f"has shape {init.shape}")
        if init.dtype != x.dtype and not init.weak_type:
            raise TypeError(f"{name} got inconsistent dtypes for operands and init_values: "
                            f"operand {x.dtype} and init_value {init.dtype}")
        inits.append(ew.convert_element_type(init, x.dtype, x.weak_type))
    if any(x.shape != flat[0].shape for x in flat):
        raise TypeError(f"{name}: operands must have one shape, got "
                        f"{[x.shape for x in flat]}")
    return flat, inits, tree


def _combine(name: str, computation, tree, accs: list, xs: list) -> list:
    """`computation` of two pytrees of `tree` given flat; returns the flat result."""
    out, out_tree = tree_flatten(computation(tree_unflatten(tree, accs),
                                             tree_unflatten(tree, xs)))
    if out_tree != tree:
        raise ValueError(f"{name}: the computation must return the operands' tree "
                         f"structure {tree}, got {out_tree}")
    return [to_tensor(o) for o in out]


# ---- reduce_window ----------------------------------------------------------------------

def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """`lax.reduce_window(operand, init_value, computation, window_dimensions,
    window_strides=None, padding='VALID', base_dilation=None, window_dilation=None)`:
    reduces each window of the operand with `computation`.

    The operand is dilated by `base_dilation`, padded (padding and holes hold
    `init_value`), and cut into windows of `window_dimensions` (elements
    `window_dilation` apart) every `window_strides`; each window reduces to one
    element, starting from `init_value`.  `lax.add`/`max`/`min` (or `jnp.add`,
    `jnp.maximum`, `jnp.minimum`, `operator.add`) with their identity as init value
    are the reduce_window_sum/max/min primitives; any other computation (or init
    value) applies `computation(acc, element)` over each window's elements in order,
    and is differentiable where `computation` is.

    Args:
      operand: an array, or a pytree of arrays of one shape (variadic).
      init_value: a scalar, or a pytree of scalars like `operand`.
      computation: `f(a, b)` of two pytrees like `operand`, returning one.
      window_dimensions: the window's size in each dimension.
      window_strides: the step between windows (default 1).
      padding: 'VALID', 'SAME', 'SAME_LOWER' (see `lax.padtype_to_pads`), or (low, high)
        pairs.
      base_dilation, window_dilation: dilations of the operand and window (default 1).

    Returns:
      A pytree like `operand` of the reduced windows.

    Example:
      >>> lax.reduce_window(jnp.arange(5.), 0., lax.add, (2,), (1,), "VALID")
      Array([1., 3., 5., 7.], dtype=float32)
    """
    flat, inits, tree = _flat_pair("reduce_window", operand, init_value)
    shape = flat[0].shape
    strides = (1,) * len(shape) if window_strides is None else window_strides
    if isinstance(padding, str):
        spans = window_dimensions if window_dilation is None else [
            dilate_dim(w, d) for w, d in zip(window_dimensions, window_dilation)]
        padding = padtype_to_pads(shape, spans, strides, padding)
    window = win.window_params(len(shape), window_dimensions, strides, padding,
                               base_dilation, window_dilation)
    if len(flat) == 1:
        kind = _monoid(computation, flat[0], inits[0], ("sum", "max", "min"))
        if kind is not None:
            return tree_unflatten(tree, [win.REDUCE_WINDOW[kind].bind(flat[0], **window)])
    out_shape = win.check_window("reduce_window", shape, **window)
    views = [_window_elements(x, init, out_shape, **window) for x, init in zip(flat, inits)]
    accs = [st.broadcast_in_dim(init, out_shape, ()) for init in inits]
    for elements in zip(*views):
        accs = _combine("reduce_window", computation, tree, accs, list(elements))
    return tree_unflatten(tree, accs)


def _window_elements(x, init, out_shape, *, window_dimensions, window_strides, padding,
                     base_dilation, window_dilation) -> list:
    """For each offset in a window (row-major), the elements of every window at that
    offset (arrays of the output's shape), from `x` dilated and padded with `init`."""
    padded = st.pad(x, init, [(lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation)])
    views = []
    for offset in np.ndindex(*window_dimensions):
        starts = [k * wd for k, wd in zip(offset, window_dilation)]
        limits = [a + (o - 1) * s + 1 if o else a
                  for a, o, s in zip(starts, out_shape, window_strides)]
        views.append(st.slice(padded, starts, limits, window_strides))
    return views


# ---- reduce -----------------------------------------------------------------------------

_REDUCERS = {"sum": red.reduce_sum, "prod": red.reduce_prod, "max": red.reduce_max,
             "min": red.reduce_min, "and": red.reduce_and, "or": red.reduce_or}


def reduce(operands, init_values, computation, dimensions):
    """`lax.reduce(operands, init_values, computation, dimensions)`: reduces
    `dimensions` of one array, or of a pytree of arrays of one shape together.

    `computation(a, b)` combines two pytrees like `operands` and should be associative
    and commutative (XLA's contract).  lax.add / mul / max / min / bitwise_and /
    bitwise_or (and their jnp and operator equivalents) with their identity as init
    value are the reduce_sum/prod/max/min/and/or primitives; anything else reduces in
    a tree of pairwise `computation` calls (O(log n) depth), then combines the result
    with `init_values` once.

    Args:
      operands: an array or a pytree of arrays of one shape.
      init_values: a scalar or a pytree of scalars like `operands`.
      computation: `f(a, b)` of two pytrees like `operands`, returning one.
      dimensions: the dimensions to reduce.

    Returns:
      A pytree like `operands` without the reduced dimensions.

    Example (argmax as a pair reduction):
      >>> def pick(a, b):
      ...     take_a = (a[0] > b[0]) | ((a[0] == b[0]) & (a[1] < b[1]))
      ...     return lax.select(take_a, a[0], b[0]), lax.select(take_a, a[1], b[1])
      >>> lax.reduce((jnp.array([1., 5., 5.]), jnp.arange(3)), (-jnp.inf, 0), pick, (0,))
      (Array(5., dtype=float32), Array(1, dtype=int32))
    """
    flat, inits, tree = _flat_pair("reduce", operands, init_values)
    ndim = flat[0].ndim
    dims = tuple(sorted({normalize_axis("reduce", int(d), ndim) for d in dimensions}))
    if len(flat) == 1:
        kind = _monoid(computation, flat[0], inits[0], tuple(_REDUCERS))
        if kind is not None:
            return tree_unflatten(tree, [_REDUCERS[kind](flat[0], dims)])
    kept = [d for d in range(ndim) if d not in dims]
    rest = [flat[0].shape[d] for d in kept]
    n = int(np.prod([flat[0].shape[d] for d in dims], dtype=np.int64))
    rows = [st.reshape(st.transpose(x, list(dims) + kept), [n] + rest) for x in flat]
    while n > 1:
        half = n // 2
        first = [st.slice(r, [0] * r.ndim, [2 * half] + rest, [2] + [1] * len(rest))
                 for r in rows]
        second = [st.slice(r, [1] + [0] * len(rest), [2 * half] + rest, [2] + [1] * len(rest))
                  for r in rows]
        pairs = _combine("reduce", computation, tree, first, second)
        if n % 2:
            pairs = [st.concatenate([p, st.slice(r, [n - 1] + [0] * len(rest), [n] + rest)], 0)
                     for p, r in zip(pairs, rows)]
        rows, n = pairs, half + n % 2
    accs = [st.broadcast_in_dim(init, rest, ()) for init in inits]
    if n == 0:
        return tree_unflatten(tree, accs)
    return tree_unflatten(tree, _combine("reduce", computation, tree, accs,
                                         [st.reshape(r, rest) for r in rows]))


# ---- cumlogsumexp, top_k, optimization_barrier ------------------------------------------

def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    """`lax.cumlogsumexp(operand, axis=0, reverse=False)`: `log(cumsum(exp(x)))` along
    `axis` (from the end for `reverse`), computed without overflow or underflow as an
    associative scan of `logaddexp`.

    Example:
      >>> lax.cumlogsumexp(jnp.array([0., 0., 1000.]))
      Array([0.000000e+00, 6.931472e-01, 1.000000e+03], dtype=float32)
    """
    import irax.numpy as jnp
    x = to_tensor(operand)
    if not dtypes.is_float(x.dtype):
        raise TypeError(f"cumlogsumexp needs a floating operand, got {x.dtype}")
    axis = normalize_axis("cumlogsumexp", int(axis), max(x.ndim, 1))
    if x.ndim == 0:
        return x
    return associative_scan(jnp.logaddexp, x, reverse=bool(reverse), axis=axis)


def top_k(operand, k: int):
    """`lax.top_k(operand, k)`: the `k` largest elements along the last axis, in
    descending order, and their int32 indices; equal elements come in index order.
    Differentiable in the values (they are gathered from `operand`).

    Example:
      >>> lax.top_k(jnp.array([1., 3., 2., 3.]), 2)
      (Array([3., 3.], dtype=float32), Array([1, 3], dtype=int32))
    """
    import irax.numpy as jnp
    x = to_tensor(operand)
    k = int(k)
    if x.ndim == 0:
        raise TypeError("top_k needs an operand of rank at least 1, got a scalar")
    n = x.shape[-1]
    if not 0 <= k <= n:
        raise ValueError(f"top_k: k={k} must be between 0 and the last axis' size {n}")
    descending = ew.neg(x) if dtypes.is_float(x.dtype) else ew.bitwise_not(x)
    position = st.broadcasted_iota(np.int32, x.shape, x.ndim - 1)
    _, order = sorting.sort((descending, position), dimension=x.ndim - 1, num_keys=1)
    indices = st.slice(order, [0] * x.ndim, x.shape[:-1] + (k,))
    return jnp.take_along_axis(x, indices, axis=-1), indices


def optimization_barrier(operand):
    """`lax.optimization_barrier(operand)`: `operand` (any pytree) unchanged; under
    `jit`, no computation is moved across it (`stablehlo.optimization_barrier`), e.g.
    to keep a recomputation from being merged with the original.

    Example:
      >>> lax.optimization_barrier((jnp.ones(2), 3.0))
      (Array([1., 1.], dtype=float32), Array(3., dtype=float32, weak_type=True))
    """
    leaves, tree = tree_flatten(operand)
    return tree_unflatten(tree, win.optimization_barrier(*leaves))
