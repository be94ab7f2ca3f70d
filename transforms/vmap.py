"""The user-facing `vmap` (JAX's signature and semantics) over the batching
interpreter of transforms/batching.py."""
import functools

from irax.core import pytree
from irax.core.tensor import Tensor, to_tensor
from irax.core.trace import full_raise, get_aval, new_main

from . import (  # noqa: F401  (the modules fill the rule table)
    batching_rules_control, batching_rules_elementwise, batching_rules_indexing,
    batching_rules_shape, collectives)
from .batching import BatchInfo, BatchTrace, BatchTracer, moveaxis, moveaxis_to_front


def _broadcast_prefix(prefix, tree, what):
    """`prefix` (a pytree prefix of `tree`) expanded to one entry per leaf of `tree`."""
    leaves, treedef = pytree.tree_flatten(tree, is_leaf=lambda x: x is None)
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(leaves)
    try:
        expanded = []
        for sub, part in zip(pytree.tree_structure(prefix, is_leaf=lambda x: x is None)
                             .flatten_up_to(tree),
                             pytree.tree_leaves(prefix, is_leaf=lambda x: x is None)):
            expanded.extend([part] * len(pytree.tree_leaves(sub)))
        return expanded
    except ValueError as err:
        raise ValueError(f"vmap {what} specification must be a tree prefix of the "
                         f"corresponding value: {err}") from None


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None):
    """`vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None)`.

    Maps `fun` over an axis of its arguments: `vmap(f)(xs)` equals stacking `f(x)` for
    each `x` along axis 0 of `xs`, but runs the loop inside the primitives (a
    matrix-vector product becomes one matrix-matrix product).

    Args:
      fun: the function to map.
      in_axes: an int, None, or a pytree prefix of the positional arguments (a tuple
        with one entry per argument) giving the mapped axis of each (None: broadcast).
      out_axes: an int, None or a pytree prefix of the output: where the mapped axis
        goes in each output.
      axis_name: a name for the mapped axis, for collectives (`lax.psum`...).
      axis_size: the size of the mapped axis when no argument is mapped.

    Example:
        >>> vmap(jnp.dot, in_axes=(None, 0))(W, xs)   # == jnp.stack([W @ x for x in xs])
    """
    @functools.wraps(fun)
    def mapped(*args):
        if isinstance(in_axes, list):
            raise TypeError("vmap in_axes must be an int, None, or a tuple of entries "
                            "corresponding to the positional arguments, not a list")
        axes_spec = in_axes if not isinstance(in_axes, tuple) else tuple(in_axes)
        if isinstance(axes_spec, tuple) and len(axes_spec) != len(args):
            raise ValueError(f"vmap in_axes has {len(axes_spec)} entries but the function "
                             f"was called with {len(args)} positional arguments")
        leaves, in_tree = pytree.tree_flatten(args)
        paths = [pytree.keystr(p) for p, _ in pytree.tree_flatten_with_path(args)[0]]
        axes = _broadcast_prefix(axes_spec, args, "in_axes")
        size = _mapped_size(leaves, axes, paths, axis_size)
        info = BatchInfo(size, axis_name)
        with new_main(BatchTrace, "vmap", info) as main:
            trace = main.trace
            tracers = []
            for leaf, axis, path in zip(leaves, axes, paths):
                if axis is None:
                    tracers.append(leaf)
                    continue
                x = to_tensor(leaf)
                tracers.append(BatchTracer(trace, x, axis % x.ndim))
            out = fun(*pytree.tree_unflatten(in_tree, tracers))
            out_leaves, out_tree = pytree.tree_flatten(out)
            out_specs = _broadcast_prefix(out_axes, out, "out_axes")
            results = []
            for leaf, spec in zip(out_leaves, out_specs):
                t = full_raise(trace, leaf)
                results.append(_place_output(t, spec, size))
        return pytree.tree_unflatten(out_tree, results)

    return mapped


def _mapped_size(leaves, axes, paths, axis_size):
    sizes = {}
    for leaf, axis, path in zip(leaves, axes, paths):
        if axis is None:
            continue
        if not isinstance(leaf, (Tensor,)) and not hasattr(leaf, "shape"):
            try:
                leaf = to_tensor(leaf)
            except TypeError:
                raise ValueError(f"vmap got an argument of type {type(leaf).__name__} at "
                                 f"args{path} where it maps an axis; mapped arguments must "
                                 "be arrays") from None
        shape = get_aval(to_tensor(leaf)).shape
        if not -len(shape) <= axis < len(shape):
            needed = axis + 1 if axis >= 0 else -axis
            raise ValueError(f"vmap was requested to map its argument along axis {axis}, "
                             f"which implies that its rank should be at least {needed}, but "
                             f"is only {len(shape)} (its shape is {shape}) at args{path}")
        sizes[path] = shape[axis]
    if not sizes:
        if axis_size is None:
            raise ValueError("vmap must have at least one non-None value in in_axes, or "
                             "axis_size must be given")
        return int(axis_size)
    if len(set(sizes.values())) > 1:
        detail = "; ".join(f"args{p} has size {s}" for p, s in sizes.items())
        raise ValueError(f"vmap got inconsistent sizes for the array axes to be mapped: "
                         f"{detail}")
    size = next(iter(sizes.values()))
    if axis_size is not None and axis_size != size:
        raise ValueError(f"vmap axis_size={axis_size} differs from the mapped size {size}")
    return size


def _place_output(tracer, spec, size):
    val, dim = tracer.val, tracer.batch_dim
    if spec is None:
        if dim is not None:
            raise ValueError("vmap has mapped output but out_axes is None")
        return val
    if dim is None:
        val = moveaxis_to_front(val, None, size)
        dim = 0
    ndim = get_aval(val).ndim
    return moveaxis(val, dim, spec % ndim)
