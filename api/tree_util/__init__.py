"""Utilities for working with pytrees: ``irax.tree_util``, mirroring ``jax.tree_util``.

A pytree is a nested structure of tuples, lists, dicts, ``None``, namedtuples and
registered node types, with everything else as leaves. Transformations such as
``grad`` and ``jit`` flatten their arguments with :func:`tree_flatten` and rebuild
results with :func:`tree_unflatten`; a :class:`PyTreeDef` is hashable, so it serves as
part of a compilation cache key.
"""

from irax.core.pytree import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    PyTreeDef,
    SequenceKey,
    keystr,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    tree_all,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_map_with_path,
    tree_reduce,
    tree_structure,
    tree_unflatten,
)

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
