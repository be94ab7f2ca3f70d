"""Tracing a user's function into a Graph: the first stage of the one pipeline
(trace → lower → compile) that `jit`, `make_graph` and `export` share.

`split_arguments` separates a call's static arguments (hashable Python values baked
into the program) from its dynamic ones (pytrees of arrays), flattens the latter and
names every leaf for error messages (``argument 'x'[0] of f``). `trace` runs the
function on abstract values of those leaves and returns the ClosedGraph with the
output pytree structure. Flat functions of flat avals (an eager device kernel's one
equation) use `core.graph_trace.trace_to_graph`, which `trace` is built on.
"""
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from irax.core import pytree
from irax.core.callables import callable_name
from irax.core.graph import ClosedGraph
from irax.core.graph_trace import abstractify, trace_to_graph


class Arguments(NamedTuple):
    """A call's arguments, split for tracing.

    leaves: the dynamic arguments' array leaves, flat.
    in_tree: the pytree structure of (dynamic positional args, dynamic kwargs).
    static: ((kind, position or name, value), ...) of the static arguments: hashable,
      part of every cache key.
    rebuild: (dynamic args, dynamic kwargs) -> (full args, full kwargs).
    labels: one name per leaf (``argument 'w'[1] of loss``), for errors.
    """
    leaves: list
    in_tree: Any
    static: tuple
    rebuild: Callable
    labels: Callable[[], list]


class Traced(NamedTuple):
    """A traced function: its Graph (consts: the arrays it closed over) and the
    pytree structure of its outputs."""
    graph: ClosedGraph
    out_tree: Any


def parameter_names(fun) -> list[str]:
    """The names of `fun`'s parameters (empty when Python cannot tell)."""
    try:
        return list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):
        return []


def split_arguments(fun, args: Sequence, kwargs: dict, static_argnums: Sequence[int] = (),
                    static_argnames=frozenset(), *, what: str = "jit",
                    param_names: list[str] | None = None) -> Arguments:
    """Splits a call of `fun` into static and dynamic arguments.

    Args:
      fun: the called function (for names in errors).
      args, kwargs: the call's arguments.
      static_argnums: positions of static positional arguments (negative counts from
        the end; positions beyond `args` are ignored, as in JAX).
      static_argnames: names of static keyword arguments.
      what: the transform's name in errors.
      param_names: `parameter_names(fun)`, when the caller has it already.

    Raises:
      ValueError: a static argument is not hashable.
    """
    nargs = len(args)
    static_nums = tuple(sorted({n % nargs for n in static_argnums if -nargs <= n < nargs}))
    static = [("arg", n, _hashable(args[n], f"static argument {n}", what))
              for n in static_nums]
    static += [("kwarg", name, _hashable(kwargs[name], f"static argument '{name}'", what))
               for name in sorted(static_argnames) if name in kwargs]
    dyn_args = tuple(a for i, a in enumerate(args) if i not in static_nums)
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}
    leaves, in_tree = pytree.tree_flatten((dyn_args, dyn_kwargs))

    def rebuild(new_args, new_kwargs):
        it = iter(new_args)
        full = [args[i] if i in static_nums else next(it) for i in range(nargs)]
        return full, {**kwargs, **new_kwargs}

    def labels() -> list[str]:
        names = parameter_names(fun) if param_names is None else param_names
        positions = [i for i in range(nargs) if i not in static_nums]
        fun_name = callable_name(fun)
        out = []
        for path, _ in pytree.tree_flatten_with_path((dyn_args, dyn_kwargs))[0]:
            if path[0].idx == 0:
                n = positions[path[1].idx]
                label = f"argument '{names[n]}'" if n < len(names) else f"argument {n}"
            else:
                label = f"argument '{path[1].key}'"
            out.append(f"{label}{pytree.keystr(path[2:])} of {fun_name}")
        return out

    return Arguments(leaves, in_tree, tuple(static), rebuild, labels)


def trace(fun, arguments: Arguments, in_avals: Sequence, *, name: str = "jit") -> Traced:
    """Traces `fun` called with `arguments`' static values and abstract values
    `in_avals` (one per leaf) in place of its dynamic leaves."""
    out_tree_box = []

    def flat_fun(*flat):
        dyn_args, dyn_kwargs = pytree.tree_unflatten(arguments.in_tree, list(flat))
        full_args, full_kwargs = arguments.rebuild(dyn_args, dyn_kwargs)
        out_leaves, out_tree = pytree.tree_flatten(fun(*full_args, **full_kwargs))
        out_tree_box.append(out_tree)
        return out_leaves

    graph = trace_to_graph(flat_fun, list(in_avals), arguments.labels(), name=name)
    return Traced(graph, out_tree_box[0])


def make_graph(fun, static_argnums: int | Sequence[int] = ()):
    """`make_graph(f, static_argnums=())(*args, **kwargs)` traces `f` and returns its
    Graph (printable; its consts are the arrays `f` closed over).

    Example:
        >>> print(irax.make_graph(lambda a: jnp.sin(a) * 2)(jnp.ones(3)))
        { lambda ; a:f32[3]. let
            b:f32[3] = sin a
            c:f32[3] = mul b 2.0:f32[]
          in (c) }
    """
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def graph_of(*args, **kwargs):
        arguments = split_arguments(fun, args, kwargs, nums, what="make_graph")
        return trace(fun, arguments, [abstractify(x) for x in arguments.leaves],
                     name="make_graph").graph

    return graph_of


def _hashable(value, what: str, transform: str):
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"{transform}: {what} of type {type(value).__name__} is not "
                         "hashable; static arguments must be hashable (use a tuple, not a "
                         "list or an array)") from None
    return value
