"""Pytrees: nested containers flattened to a list of leaves plus a structure.

A pytree is a leaf or a node whose children are pytrees. Built-in node types are
``tuple``, ``list``, ``dict`` (children in sorted-key order), ``None`` (a node with no
children), namedtuples, ``collections.OrderedDict`` (insertion order) and
``collections.defaultdict`` (sorted keys). Other types are leaves unless registered.

Internally a structure is a nested tuple: ``None`` marks a leaf and
``(kind, aux_data, children)`` marks a node, so equality and hashing of structures are
those of plain tuples. :class:`PyTreeDef` wraps the root of such a tuple.

This module imports nothing from irax.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "PyTreeDef",
    "SequenceKey",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_unflatten",
]


# ----------------------------------------------------------------------------- keys


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """Path entry for the ``idx``-th child of a tuple or list."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclasses.dataclass(frozen=True)
class DictKey:
    """Path entry for the child stored under ``key`` in a dict."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """Path entry for the child stored in attribute ``name`` (namedtuples, dataclasses)."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclasses.dataclass(frozen=True)
class FlattenedIndexKey:
    """Path entry for the ``key``-th child of a custom node registered without keys."""

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


KeyEntry = Any
KeyPath = tuple[KeyEntry, ...]

_KEY_FIELD = {SequenceKey: "idx", DictKey: "key", GetAttrKey: "name", FlattenedIndexKey: "key"}


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Renders a key path as a string.

    Args:
      keys: a key path, as produced by :func:`tree_flatten_with_path`.
      simple: if True, render each entry as its bare index, key or name.
      separator: string placed between entries.

    Returns:
      The joined string.

    Example:
      >>> keystr((SequenceKey(0), DictKey('w')))
      "[0]['w']"
      >>> keystr((SequenceKey(0), DictKey('w')), simple=True, separator='/')
      '0/w'
    """
    if simple:
        return separator.join(str(getattr(k, _KEY_FIELD.get(type(k), ""), k)) for k in keys)
    return separator.join(str(k) for k in keys)


# ------------------------------------------------------------------------ registry


class _NodeKind:
    """How one node type flattens; compared by identity, one per registered type."""

    __slots__ = ("flatten", "flatten_with_keys", "type", "unflatten")

    def __init__(self, nodetype, flatten, unflatten, flatten_with_keys):
        self.type = nodetype
        self.flatten = flatten  # x -> (children, aux_data)
        self.unflatten = unflatten  # (aux_data, children) -> x
        self.flatten_with_keys = flatten_with_keys  # x -> ([(key, child)], aux_data)

    def __repr__(self) -> str:
        return f"_NodeKind({self.type.__name__})"


_registry: dict[type, _NodeKind] = {}
_namedtuple_kinds: dict[type, _NodeKind] = {}


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(
            f"pytree dict keys must be mutually sortable (children are ordered by key); "
            f"got keys {list(d)!r}."
        ) from None


def _dict_flatten(d):
    keys = _sorted_keys(d)
    return [d[k] for k in keys], tuple(keys)


def _dict_flatten_with_keys(d):
    keys = _sorted_keys(d)
    return [(DictKey(k), d[k]) for k in keys], tuple(keys)


def _ordered_dict_flatten(d):
    return list(d.values()), tuple(d)


def _ordered_dict_flatten_with_keys(d):
    return [(DictKey(k), v) for k, v in d.items()], tuple(d)


def _defaultdict_flatten(d):
    children, keys = _dict_flatten(d)
    return children, (d.default_factory, keys)


def _defaultdict_flatten_with_keys(d):
    children, keys = _dict_flatten_with_keys(d)
    return children, (d.default_factory, keys)


def _sequence_flatten_with_keys(xs):
    return [(SequenceKey(i), x) for i, x in enumerate(xs)], None


def _add_kind(nodetype, flatten, unflatten, flatten_with_keys) -> None:
    if nodetype in _registry:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {nodetype}.")
    _registry[nodetype] = _NodeKind(nodetype, flatten, unflatten, flatten_with_keys)


_add_kind(tuple, lambda x: (x, None), lambda _, xs: tuple(xs), _sequence_flatten_with_keys)
_add_kind(list, lambda x: (x, None), lambda _, xs: list(xs), _sequence_flatten_with_keys)
_add_kind(dict, _dict_flatten, lambda keys, xs: dict(zip(keys, xs)), _dict_flatten_with_keys)
_add_kind(type(None), lambda _: ((), None), lambda _, __: None, lambda _: ((), None))
_add_kind(
    collections.OrderedDict,
    _ordered_dict_flatten,
    lambda keys, xs: collections.OrderedDict(zip(keys, xs)),
    _ordered_dict_flatten_with_keys,
)
_add_kind(
    collections.defaultdict,
    _defaultdict_flatten,
    lambda aux, xs: collections.defaultdict(aux[0], zip(aux[1], xs)),
    _defaultdict_flatten_with_keys,
)


def _namedtuple_kind(nodetype: type) -> _NodeKind:
    kind = _namedtuple_kinds.get(nodetype)
    if kind is None:
        fields = nodetype._fields
        kind = _NodeKind(
            nodetype,
            lambda x: (x, None),
            lambda _, xs: nodetype(*xs),
            lambda x: ([(GetAttrKey(f), c) for f, c in zip(fields, x)], None),
        )
        _namedtuple_kinds[nodetype] = kind
    return kind


def _kind_of(x) -> _NodeKind | None:
    """The node kind of ``x``, or None when ``x`` is a leaf."""
    kind = _registry.get(type(x))
    if kind is None and isinstance(x, tuple) and hasattr(x, "_fields"):
        return _namedtuple_kind(type(x))
    return kind


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable, Hashable]],
    unflatten_func: Callable[[Hashable, Iterable], Any],
    flatten_with_keys_func: Callable[[Any], tuple[Iterable, Hashable]] | None = None,
) -> None:
    """Registers ``nodetype`` as a pytree node.

    Args:
      nodetype: the type to register; matched exactly (subclasses are not nodes).
      flatten_func: ``x -> (children, aux_data)``. ``aux_data`` is static and must be
        hashable and comparable with ``==``; it becomes part of the tree structure.
      unflatten_func: ``(aux_data, children) -> x``.
      flatten_with_keys_func: optional ``x -> ([(key, child), ...], aux_data)``; without
        it, key paths name children with :class:`FlattenedIndexKey`.

    Raises:
      ValueError: if ``nodetype`` is already registered.

    Example:
      >>> class Pair:
      ...   def __init__(self, a, b): self.a, self.b = a, b
      >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None),
      ...                      lambda _, c: Pair(*c))
      >>> tree_leaves(Pair(1, (2, 3)))
      [1, 2, 3]
    """
    if flatten_with_keys_func is None:

        def flatten_with_keys_func(x):
            children, aux = flatten_func(x)
            return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux

    _add_kind(nodetype, flatten_func, unflatten_func, flatten_with_keys_func)


def register_pytree_with_keys(
    nodetype: type,
    flatten_with_keys: Callable[[Any], tuple[Iterable, Hashable]],
    unflatten_func: Callable[[Hashable, Iterable], Any],
    flatten_func: Callable[[Any], tuple[Iterable, Hashable]] | None = None,
) -> None:
    """Registers ``nodetype`` as a pytree node whose children carry key-path entries.

    Args:
      nodetype: the type to register.
      flatten_with_keys: ``x -> ([(key, child), ...], aux_data)``.
      unflatten_func: ``(aux_data, children) -> x``.
      flatten_func: optional faster ``x -> (children, aux_data)``; derived from
        ``flatten_with_keys`` when omitted.

    Raises:
      ValueError: if ``nodetype`` is already registered.

    Example:
      >>> class Box:
      ...   def __init__(self, v): self.v = v
      >>> register_pytree_with_keys(Box, lambda b: ([(GetAttrKey('v'), b.v)], None),
      ...                           lambda _, c: Box(*c))
      >>> keystr(tree_leaves_with_path(Box(1))[0][0])
      '.v'
    """
    if flatten_func is None:

        def flatten_func(x):
            keyed, aux = flatten_with_keys(x)
            return [c for _, c in keyed], aux

    _add_kind(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_node_class(cls: type) -> type:
    """Class decorator registering ``cls`` through its own flatten methods.

    ``cls`` must define ``tree_flatten(self) -> (children, aux_data)`` and the
    classmethod ``tree_unflatten(cls, aux_data, children)``.

    Args:
      cls: the class to register.

    Returns:
      ``cls``, so this works as a decorator.

    Example:
      >>> @register_pytree_node_class
      ... class Scaled:
      ...   def __init__(self, x, scale): self.x, self.scale = x, scale
      ...   def tree_flatten(self): return (self.x,), self.scale
      ...   @classmethod
      ...   def tree_unflatten(cls, scale, children): return cls(*children, scale)
      >>> tree_leaves(Scaled(1.0, 2))
      [1.0]
    """
    register_pytree_node(cls, cls.tree_flatten, cls.tree_unflatten)
    return cls


def register_dataclass(
    nodetype: type,
    data_fields: Sequence[str] | None = None,
    meta_fields: Sequence[str] | None = None,
) -> type:
    """Registers a dataclass-like type as a pytree node, by field name.

    Data fields become children; meta fields become static aux data (they must be
    hashable). With both lists omitted, ``nodetype`` must be a dataclass: fields whose
    metadata has ``static=True`` are meta fields and the rest are data fields.

    Args:
      nodetype: the class; rebuilt as ``nodetype(**fields)``.
      data_fields: names of the fields holding children.
      meta_fields: names of the static fields.

    Returns:
      ``nodetype``, so this works as a decorator.

    Example:
      >>> @register_dataclass
      ... @dataclasses.dataclass
      ... class Layer:
      ...   w: Any
      ...   act: str = dataclasses.field(default='relu', metadata={"static": True})
      >>> tree_leaves(Layer(w=1.0))
      [1.0]
    """
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                f"register_dataclass: {nodetype.__name__} is not a dataclass; pass "
                f"data_fields and meta_fields explicitly."
            )
        fields = [f for f in dataclasses.fields(nodetype) if f.init]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
    elif data_fields is None or meta_fields is None:
        raise TypeError("register_dataclass: pass both data_fields and meta_fields, or neither.")
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)

    def flatten(x):
        return (
            [getattr(x, name) for name in data_fields],
            tuple(getattr(x, name) for name in meta_fields),
        )

    def flatten_with_keys(x):
        return (
            [(GetAttrKey(name), getattr(x, name)) for name in data_fields],
            tuple(getattr(x, name) for name in meta_fields),
        )

    def unflatten(meta, children):
        return nodetype(**dict(zip(data_fields, children)), **dict(zip(meta_fields, meta)))

    _add_kind(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


# ------------------------------------------------------------------------ treedef


def _flatten(x, leaves: list, is_leaf) -> tuple | None:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return None
    kind = _registry.get(type(x))
    if kind is None:
        if not (isinstance(x, tuple) and hasattr(x, "_fields")):
            leaves.append(x)
            return None
        kind = _namedtuple_kind(type(x))
    children, aux = kind.flatten(x)
    nodes = []  # an explicit loop: list comprehensions cost a frame each before 3.12
    for c in children:
        nodes.append(_flatten(c, leaves, is_leaf))
    return kind, aux, tuple(nodes)


def _unflatten(node, leaves):
    if node is None:
        return next(leaves)
    kind, aux, children = node
    xs = []
    for c in children:
        xs.append(_unflatten(c, leaves))
    return kind.unflatten(aux, xs)


def _num_leaves(node) -> int:
    if node is None:
        return 1
    return sum(_num_leaves(c) for c in node[2])


def _num_nodes(node) -> int:
    if node is None:
        return 1
    return 1 + sum(_num_nodes(c) for c in node[2])


def _node_repr(node) -> str:
    if node is None:
        return "*"
    kind, aux, children = node
    inner = [_node_repr(c) for c in children]
    t = kind.type
    if t is tuple:
        return f"({inner[0]},)" if len(inner) == 1 else f"({', '.join(inner)})"
    if t is list:
        return f"[{', '.join(inner)}]"
    if t is type(None):
        return "None"
    if t is dict:
        return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(aux, inner)) + "}"
    if t is collections.OrderedDict:
        return "OrderedDict({" + ", ".join(f"{k!r}: {c}" for k, c in zip(aux, inner)) + "})"
    if t is collections.defaultdict:
        items = ", ".join(f"{k!r}: {c}" for k, c in zip(aux[1], inner))
        return f"defaultdict({aux[0]!r}, {{{items}}})"
    if kind is _namedtuple_kinds.get(t):
        return f"CustomNode(namedtuple[{t.__name__}], [{', '.join(inner)}])"
    return f"CustomNode({t.__name__}[{aux!r}], [{', '.join(inner)}])"


def _describe(kind: _NodeKind, aux, arity: int) -> str:
    """Names a node in an error message, e.g. "a dict with keys ['a', 'b']"."""
    t = kind.type
    if t is tuple or t is list:
        return f"a {t.__name__} of length {arity}"
    if t is type(None):
        return "None"
    if t is dict or t is collections.OrderedDict:
        return f"a {t.__name__} with keys {list(aux)!r}"
    if t is collections.defaultdict:
        return f"a defaultdict with keys {list(aux[1])!r}"
    return f"a {t.__name__} node with {arity} children and aux data {aux!r}"


class _Mismatch(Exception):
    """Raised inside :func:`_flatten_up_to`; collects the key path while unwinding."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list = []


def _flatten_up_to(node, x, out: list) -> None:
    if node is None:
        out.append(x)
        return
    kind, aux, children = node
    if _registry.get(type(x)) is not kind and _kind_of(x) is not kind:
        got = "None" if x is None else f"a value of type {type(x).__name__}"
        raise _Mismatch(f"expected {_describe(kind, aux, len(children))}, got {got}")
    xs, x_aux = kind.flatten(x)
    xs = tuple(xs)
    if x_aux != aux or len(xs) != len(children):
        raise _Mismatch(
            f"expected {_describe(kind, aux, len(children))}, got {_describe(kind, x_aux, len(xs))}"
        )
    for i, child in enumerate(children):
        try:
            _flatten_up_to(child, xs[i], out)
        except _Mismatch as e:
            e.path.append(kind.flatten_with_keys(x)[0][i][0])
            raise


class PyTreeDef:
    """The structure of a pytree: its nodes and aux data, with leaves left out.

    Immutable, hashable and comparable with ``==``: two trees have equal treedefs iff
    they have the same node types, aux data (dict keys, custom static data) and shape.

    Example:
      >>> tree_structure((1, {'a': 2, 'b': None}))
      PyTreeDef((*, {'a': *, 'b': None}))
    """

    __slots__ = ("_node", "_num_leaves")

    def __init__(self, node: tuple | None, num_leaves: int):
        self._node = node
        self._num_leaves = num_leaves

    @property
    def num_leaves(self) -> int:
        """Number of leaves in the structure."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes in the structure, counting leaves and ``None`` nodes."""
        return _num_nodes(self._node)

    def unflatten(self, leaves: Iterable) -> Any:
        """Builds a pytree of this structure from ``leaves``; see :func:`tree_unflatten`."""
        leaves = list(leaves)
        if len(leaves) != self._num_leaves:
            raise ValueError(
                f"Too {'few' if len(leaves) < self._num_leaves else 'many'} leaves for "
                f"PyTreeDef; expected {self._num_leaves}, got {len(leaves)}. "
                f"Structure: {self!r}"
            )
        return _unflatten(self._node, iter(leaves))

    def flatten_up_to(self, tree: Any) -> list:
        """Flattens ``tree`` only as deep as this structure goes.

        Args:
          tree: a pytree that has this structure as a prefix; the subtrees of ``tree``
            at this structure's leaf positions are returned whole.

        Returns:
          A list of ``num_leaves`` subtrees of ``tree``.

        Raises:
          ValueError: naming the key path of the first node that does not match.

        Example:
          >>> tree_structure((1, 2)).flatten_up_to(([3, 4], {'a': 5}))
          [[3, 4], {'a': 5}]
        """
        return _flatten_up_to_or_raise(self._node, tree, "PyTreeDef.flatten_up_to", None)

    def children(self) -> list[PyTreeDef]:
        """The treedefs of the root node's children (empty for a leaf or ``None``)."""
        if self._node is None:
            return []
        return [PyTreeDef(c, _num_leaves(c)) for c in self._node[2]]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PyTreeDef) and self._node == other._node

    def __hash__(self) -> int:
        return hash(self._node)

    def __repr__(self) -> str:
        return f"PyTreeDef({_node_repr(self._node)})"


def _flatten_up_to_or_raise(node, tree, fn_name: str, argnum: int | None) -> list:
    """``flatten_up_to`` of argument ``argnum`` of ``fn_name``, both named in errors."""
    out: list = []
    try:
        _flatten_up_to(node, tree, out)
    except _Mismatch as e:
        path = keystr(tuple(reversed(e.path)))
        where = f"at key path {path}" if path else "at the root"
        subject = "tree" if argnum is None else f"argument {argnum}"
        raise ValueError(
            f"{fn_name}: {subject} does not match the expected pytree structure {where}: "
            f"{e.message}. Expected {PyTreeDef(node, _num_leaves(node))!r}, or a tree "
            f"with subtrees in place of its leaves (*)."
        ) from None
    return out


# ----------------------------------------------------------------------- functions


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """Flattens a pytree into its leaves and its structure.

    Args:
      tree: the pytree.
      is_leaf: optional predicate; a subtree for which it returns True is a leaf.

    Returns:
      ``(leaves, treedef)``: the leaves in order (dict children by sorted key) and a
      :class:`PyTreeDef`.

    Example:
      >>> tree_flatten(((1, 2), {'b': 3, 'a': None}))
      ([1, 2, 3], PyTreeDef(((*, *), {'a': None, 'b': *})))
    """
    leaves: list = []
    node = _flatten(tree, leaves, is_leaf)
    return leaves, PyTreeDef(node, len(leaves))


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    """Builds a pytree with structure ``treedef`` from ``leaves``.

    Args:
      treedef: the structure, e.g. from :func:`tree_flatten`.
      leaves: exactly ``treedef.num_leaves`` leaves, in flattening order.

    Returns:
      The pytree. Dicts are rebuilt with keys in sorted order.

    Raises:
      ValueError: if the number of leaves does not match.

    Example:
      >>> leaves, treedef = tree_flatten([1, (2, 3)])
      >>> tree_unflatten(treedef, [x * 10 for x in leaves])
      [10, (20, 30)]
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of ``tree`` in flattening order.

    Example:
      >>> tree_leaves({'b': [1, 2], 'a': 3})
      [3, 1, 2]
    """
    leaves: list = []
    _flatten(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The :class:`PyTreeDef` of ``tree``.

    Example:
      >>> tree_structure([1, None])
      PyTreeDef([*, None])
    """
    return tree_flatten(tree, is_leaf)[1]


def tree_map(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Applies ``f`` leafwise, returning a pytree with ``tree``'s structure.

    Args:
      f: called as ``f(x, *xs)`` with a leaf ``x`` of ``tree`` and the corresponding
        entries ``xs`` of ``rest``.
      tree: the pytree that fixes the structure.
      *rest: pytrees that each have ``tree``'s structure as a prefix; where ``tree``
        has a leaf, ``f`` receives the whole subtree of each of ``rest``.
      is_leaf: optional predicate marking extra leaves of ``tree``.

    Returns:
      The pytree of results.

    Raises:
      ValueError: if some tree in ``rest`` does not match, naming its position and the
        key path of the mismatch.

    Example:
      >>> tree_map(lambda x, y: x + y, (1, {'a': 2}), (10, {'a': 20}))
      (11, {'a': 22})
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves])
    others = [
        _flatten_up_to_or_raise(treedef._node, r, "tree_map", i + 2) for i, r in enumerate(rest)
    ]
    return treedef.unflatten([f(*xs) for xs in zip(leaves, *others)])


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True iff every leaf of ``tree`` is truthy.

    Example:
      >>> tree_all([True, {'a': 1}]), tree_all([True, (0,)])
      (True, False)
    """
    return all(tree_leaves(tree, is_leaf))


_NO_INITIALIZER = object()


def tree_reduce(
    function: Callable[[Any, Any], Any],
    tree: Any,
    initializer: Any = _NO_INITIALIZER,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Folds ``function`` over the leaves of ``tree``, like ``functools.reduce``.

    Args:
      function: a binary function ``(accumulated, leaf) -> accumulated``.
      tree: the pytree.
      initializer: optional starting value.
      is_leaf: optional predicate marking extra leaves.

    Returns:
      The reduced value.

    Example:
      >>> tree_reduce(lambda a, b: a + b, [1, (2, 3)], 100)
      106
    """
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, tree_leaves(tree, is_leaf))
    return functools.reduce(function, tree_leaves(tree, is_leaf), initializer)


def _flatten_with_path(x, path: KeyPath, out: list, is_leaf) -> tuple | None:
    if is_leaf is not None and is_leaf(x):
        out.append((path, x))
        return None
    kind = _kind_of(x)
    if kind is None:
        out.append((path, x))
        return None
    keyed, aux = kind.flatten_with_keys(x)
    return (
        kind,
        aux,
        tuple([_flatten_with_path(c, (*path, k), out, is_leaf) for k, c in keyed]),
    )


def tree_flatten_with_path(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """Like :func:`tree_flatten`, pairing each leaf with its key path.

    Returns:
      ``([(path, leaf), ...], treedef)``, where ``path`` is a tuple of key entries
      (:class:`SequenceKey`, :class:`DictKey`, :class:`GetAttrKey`,
      :class:`FlattenedIndexKey`).

    Example:
      >>> pairs, _ = tree_flatten_with_path([1, {'w': 2}])
      >>> [(keystr(p), x) for p, x in pairs]
      [('[0]', 1), ("[1]['w']", 2)]
    """
    out: list = []
    node = _flatten_with_path(tree, (), out, is_leaf)
    return out, PyTreeDef(node, len(out))


def tree_leaves_with_path(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The ``(path, leaf)`` pairs of ``tree``; see :func:`tree_flatten_with_path`.

    Example:
      >>> tree_leaves_with_path({'a': (5,)})
      [((DictKey(key='a'), SequenceKey(idx=0)), 5)]
    """
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Like :func:`tree_map`, but ``f`` is called as ``f(path, x, *xs)``.

    Example:
      >>> tree_map_with_path(lambda p, x: keystr(p), {'a': 1, 'b': [2]})
      {'a': "['a']", 'b': ["['b'][0]"]}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [
        _flatten_up_to_or_raise(treedef._node, r, "tree_map_with_path", i + 2)
        for i, r in enumerate(rest)
    ]
    return treedef.unflatten([f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])
