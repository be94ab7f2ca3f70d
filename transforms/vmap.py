"""The user-facing `vmap` (JAX's signature and semantics) over the batching
interpreter of transforms/batching.py.

Axis specifications are checked as JAX checks them, with JAX's messages: their types
when `vmap` is applied; their structure, ranges and the mapped sizes when the mapped
function is called; each `out_axes` entry against its output's rank."""
import collections
import functools
import inspect
from collections.abc import Callable, Hashable
from typing import Any

from irax.core import pytree
from irax.core.tensor import Tensor, to_tensor
from irax.core.trace import full_raise, get_aval, new_main

from . import rules  # noqa: F401  (the rule modules fill the rule tables)
from .batching import BatchInfo, BatchTrace, BatchTracer, moveaxis, moveaxis_to_front


def vmap(fun: Callable, in_axes: Any = 0, out_axes: Any = 0,
         axis_name: Hashable | None = None, axis_size: int | None = None) -> Callable:
    """`vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None)`.

    Maps `fun` over an axis of its arguments: `vmap(f)(xs)` equals stacking `f(x)` for
    each `x` along axis 0 of `xs`, but runs the loop inside the primitives (a
    matrix-vector product becomes one matrix-matrix product).

    Args:
      fun: the function to map.
      in_axes: an int, None, or a pytree prefix of the positional arguments (a tuple
        with one entry per argument; a list counts as a tuple) giving the mapped axis of
        each (None: broadcast; negative: counted from the end). Keyword arguments are
        always mapped along axis 0.
      out_axes: an int, None or a pytree prefix of the output: where the mapped axis
        goes in each output (None: the output must not depend on the mapped axis).
      axis_name: a name for the mapped axis, for collectives (`lax.psum`...).
      axis_size: the size of the mapped axis when no argument is mapped.

    Returns:
      The mapped function.

    Raises:
      TypeError: an `in_axes` or `out_axes` entry is not an int or None (at once).
      ValueError: when called: `in_axes` does not match the arguments' structure, an
        axis is out of range for its argument or output, the mapped sizes (or
        `axis_size`) disagree, or an output with out_axes None is mapped.

    Example:
        >>> vmap(jnp.dot, in_axes=(None, 0))(W, xs)   # == jnp.stack([W @ x for x in xs])
    """
    if isinstance(in_axes, list):  # JAX reads a list as the tuple of its entries
        in_axes = tuple(in_axes)
    _check_axes_types(in_axes, out_axes)

    @functools.wraps(fun)
    def mapped(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(_arity_message(in_axes, args, kwargs))
        leaves, in_tree = pytree.tree_flatten((args, kwargs))
        axes = (_broadcast_prefix(in_axes, args, "in_axes")
                + [0] * len(pytree.tree_leaves(kwargs)))
        size = _mapped_size(fun, args, kwargs, leaves, axes, axis_size)
        with new_main(BatchTrace, "vmap", BatchInfo(size, axis_name)) as main:
            trace = main.trace
            tracers = []
            for leaf, axis in zip(leaves, axes):
                if axis is None:
                    tracers.append(leaf)
                    continue
                x = to_tensor(leaf)
                tracers.append(BatchTracer(trace, x, axis % x.ndim))
            in_args, in_kwargs = pytree.tree_unflatten(in_tree, tracers)
            out = fun(*in_args, **in_kwargs)
            out_leaves, out_tree = pytree.tree_flatten(out)
            out_paths = [pytree.keystr(p) for p, _ in pytree.tree_flatten_with_path(out)[0]]
            out_specs = _broadcast_prefix(out_axes, out, "out_axes")
            results = [_place_output(full_raise(trace, leaf), spec, size, path, axis_name)
                       for leaf, spec, path in zip(out_leaves, out_specs, out_paths)]
        return pytree.tree_unflatten(out_tree, results)

    return mapped


def _check_axes_types(in_axes, out_axes) -> None:
    """JAX's checks of the axis specifications when `vmap` is applied."""
    if not (in_axes is None or type(in_axes) in (int, tuple)):
        raise TypeError("vmap in_axes must be an int, None, or a tuple of entries "
                        "corresponding to the positional arguments passed to the function, "
                        f"but got {in_axes}.")
    if not all(type(leaf) is int for leaf in pytree.tree_leaves(in_axes)):
        raise TypeError("vmap in_axes must be an int, None, or (nested) container with "
                        f"those types as leaves, but got {in_axes}.")
    if not all(type(leaf) is int for leaf in pytree.tree_leaves(out_axes)):
        raise TypeError("vmap out_axes must be an int, None, or (nested) container with "
                        f"those types as leaves, but got {out_axes}.")


def _arity_message(in_axes: tuple, args: tuple, kwargs: dict) -> str:
    message = ("vmap in_axes must be an int, None, or a tuple of entries corresponding to "
               "the positional arguments passed to the function, but got "
               f"len(in_axes)={len(in_axes)}, len(args)={len(args)}.")
    if kwargs:
        message += (f" Note that the function was called with keyword arguments "
                    f"{list(kwargs)}, which the entries of a tuple in_axes never correspond "
                    "to: keyword arguments are always mapped along their leading axis "
                    "(axis 0). Pass them positionally, or bind unmapped ones with "
                    "functools.partial before applying vmap.")
    return message


def _broadcast_prefix(prefix, tree, what: str) -> list:
    """`prefix` (a pytree prefix of `tree`) expanded to one entry per leaf of `tree`."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(pytree.tree_leaves(tree))
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


def _argument_names(fun, args: tuple, kwargs: dict) -> list[str]:
    """How JAX names each leaf of `(args, kwargs)` in its messages: ``argument x['w']``
    by the parameter names of `fun`'s signature, else ``args[0]['w']``."""
    try:
        parameters = list(inspect.signature(fun).bind(*args, **kwargs).signature.parameters)
    except (TypeError, ValueError):
        parameters = None
    names = []
    for path, _ in pytree.tree_flatten_with_path(args)[0]:
        index = path[0].idx
        if parameters is None or index >= len(parameters):
            names.append(f"args{pytree.keystr(path)}")
        else:
            names.append(f"argument {parameters[index]}{pytree.keystr(path[1:])}")
    names += [f"kwargs{pytree.keystr(path)}"
              for path, _ in pytree.tree_flatten_with_path(kwargs)[0]]
    return names


def _mapped_size(fun, args, kwargs, leaves, axes, axis_size) -> int:
    """The size of the mapped axis, checked against every mapped argument (`leaves` of
    `(args, kwargs)`, mapped along `axes`) and `axis_size` (JAX's `_mapped_axis_size`)."""
    if not leaves:
        if axis_size is not None:
            return axis_size
        raise ValueError("vmap wrapped function must be passed at least one argument "
                         "containing an array or axis_size must be specified, got empty "
                         f"*args={args} and **kwargs={kwargs}")
    sizes = [None if axis is None else _axis_size(leaf, axis, fun, args, kwargs, i)
             for i, (leaf, axis) in enumerate(zip(leaves, axes))]
    distinct = {s for s in sizes if s is not None}
    if axis_size is not None:
        distinct.add(axis_size)
    if len(distinct) == 1:
        return distinct.pop()
    if not distinct:
        raise ValueError("vmap must have at least one non-None value in in_axes or "
                         "axis_size must be specified")
    lines = ["vmap got inconsistent sizes for array axes to be mapped:"]
    if axis_size is not None:
        lines.append(f"  * the `axis_size` argument was {axis_size};")
    counts = collections.Counter(s for s in sizes if s is not None).most_common()
    names = _argument_names(fun, args, kwargs)
    for rank, (size, count) in enumerate(counts):
        i = sizes.index(size)
        aval = get_aval(to_tensor(leaves[i]))
        example = (f"axis {axes[i]} of {names[i]} of type "
                   f"{aval.dtype.name}[{','.join(map(str, aval.shape))}]")
        if count == 1:
            lines.append(f"  * one axis had size {size}: {example};")
        else:
            which = "most axes" if rank == 0 else "some axes"
            lines.append(f"  * {which} ({count} of them) had size {size}, e.g. {example};")
    raise ValueError("\n".join(lines)[:-1])


def _axis_size(leaf, axis: int, fun, args, kwargs, index: int) -> int:
    """The size of axis `axis` of `leaf`, the leaf `index` of `(args, kwargs)`."""
    if not isinstance(leaf, Tensor) and not hasattr(leaf, "shape"):
        try:
            leaf = to_tensor(leaf)
        except TypeError:
            name = _argument_names(fun, args, kwargs)[index]
            raise ValueError(f"vmap got an argument of type {type(leaf).__name__} at {name} "
                             "where it maps an axis; mapped arguments must be "
                             "arrays") from None
    shape = get_aval(to_tensor(leaf)).shape
    if not -len(shape) <= axis < len(shape):
        needed = axis + 1 if axis >= 0 else -axis
        raise ValueError(f"vmap was requested to map its argument along axis {axis}, "
                         f"which implies that its rank should be at least {needed}, but "
                         f"is only {len(shape)} (its shape is {shape}) at "
                         f"{_argument_names(fun, args, kwargs)[index]}")
    return shape[axis]


def _place_output(tracer, spec, size: int, path: str, axis_name):
    """The output `tracer` of the mapped function with its mapped axis at `spec`."""
    val, dim = tracer.val, tracer.batch_dim
    if spec is None:
        if dim is not None:
            named = f" (axis_name={axis_name})" if axis_name is not None else ""
            raise ValueError(f"vmap has mapped output but out_axes is None: at vmap "
                             f"out_axes{path}{named}, got axis spec None but output was "
                             f"batched on axis {dim}")
        return val
    ndim = get_aval(val).ndim + (dim is None)
    if not -ndim <= spec < ndim:
        aval = get_aval(val)
        shape = ((size,) + aval.shape) if dim is None else aval.shape
        raise ValueError(f"axis {spec} is out of bounds for array of dimension {ndim}: "
                         f"vmap out_axes{path} is {spec}, but the output{path} has rank "
                         f"{ndim} with its mapped axis (shape {shape})")
    if dim is None:
        val = moveaxis_to_front(val, None, size)
        dim = 0
    return moveaxis(val, dim, spec % ndim)
