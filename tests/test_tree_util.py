"""Tests for irax.tree_util: flattening, structures, key paths and registration."""

import collections
import dataclasses
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from irax.tree_util import (
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


class Point(NamedTuple):
    x: Any
    y: Any


@register_pytree_node_class
class Scaled:
    """A custom node registered through its own methods; ``scale`` is static."""

    def __init__(self, value, scale):
        self.value, self.scale = value, scale

    def tree_flatten(self):
        return (self.value,), self.scale

    @classmethod
    def tree_unflatten(cls, scale, children):
        return cls(*children, scale)

    def __eq__(self, other):
        return type(other) is Scaled and (self.value, self.scale) == (other.value, other.scale)


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __eq__(self, other):
        return type(other) is Pair and (self.a, self.b) == (other.a, other.b)


register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))


class Box:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return type(other) is Box and self.v == other.v


register_pytree_with_keys(Box, lambda b: ([(GetAttrKey("v"), b.v)], None), lambda _, c: Box(*c))


@register_dataclass
@dataclasses.dataclass
class Layer:
    w: Any
    b: Any
    activation: str = dataclasses.field(default="relu", metadata={"static": True})


class Explicit:
    def __init__(self, data, name):
        self.data, self.name = data, name


register_dataclass(Explicit, data_fields=["data"], meta_fields=["name"])


def _typed(tree):
    """A comparable form of ``tree`` that keeps container types and key order."""
    if isinstance(tree, (list, tuple)):
        return (type(tree), tuple(_typed(c) for c in tree))
    if isinstance(tree, dict):
        extra = tree.default_factory if isinstance(tree, collections.defaultdict) else None
        return (type(tree), extra, tuple((k, _typed(v)) for k, v in tree.items()))
    return tree


# ---------------------------------------------------------------- node kinds


@pytest.mark.parametrize(
    "tree, leaves",
    [
        (1, [1]),
        ((), []),
        ([], []),
        ({}, []),
        (None, []),
        ((1, 2), [1, 2]),
        ([1, [2, 3]], [1, 2, 3]),
        ({"b": 1, "a": 2}, [2, 1]),
        (Point(1, (2, 3)), [1, 2, 3]),
        (collections.OrderedDict([("b", 1), ("a", 2)]), [1, 2]),
        (collections.defaultdict(list, {"b": 1, "a": 2}), [2, 1]),
        (((1, 2), {"a": 3}), [1, 2, 3]),
        ([None, (None, 4), {"k": None}], [4]),
    ],
)
def test_flatten_round_trip(tree, leaves):
    got_leaves, treedef = tree_flatten(tree)
    assert got_leaves == leaves
    assert treedef.num_leaves == len(leaves)
    rebuilt = tree_unflatten(treedef, got_leaves)
    assert _typed(rebuilt) == _sorted_typed(tree)


def test_dict_children_in_sorted_key_order_and_rebuilt_sorted():
    tree = {"c": 1, "a": 2, "b": 3}
    leaves, treedef = tree_flatten(tree)
    assert leaves == [2, 3, 1]
    rebuilt = tree_unflatten(treedef, ["A", "B", "C"])
    assert list(rebuilt.items()) == [("a", "A"), ("b", "B"), ("c", "C")]
    assert type(rebuilt) is dict


def test_dict_with_unsortable_keys_raises():
    with pytest.raises(TypeError, match="mutually sortable"):
        tree_leaves({1: "x", "a": "y"})


def test_ordered_dict_keeps_insertion_order():
    tree = collections.OrderedDict([("b", 1), ("a", 2)])
    rebuilt = tree_map(lambda x: x * 10, tree)
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt.items()) == [("b", 10), ("a", 20)]
    reordered = collections.OrderedDict([("a", 1), ("b", 2)])
    assert tree_structure(tree) != tree_structure(reordered)


def test_defaultdict_keeps_default_factory():
    tree = collections.defaultdict(list, {"b": 1, "a": 2})
    rebuilt = tree_map(lambda x: x + 1, tree)
    assert type(rebuilt) is collections.defaultdict
    assert rebuilt.default_factory is list
    assert list(rebuilt.items()) == [("a", 3), ("b", 2)]
    assert tree_structure(tree) != tree_structure(collections.defaultdict(set, tree))


def test_none_is_a_node_without_children():
    treedef = tree_structure(None)
    assert treedef.num_leaves == 0
    assert treedef.num_nodes == 1
    assert tree_leaves([None, 1, None]) == [1]
    assert tree_map(lambda x: x + 1, (None, 1)) == (None, 2)
    assert tree_structure(None) != tree_structure(1)


def test_namedtuple_round_trip_keeps_type():
    tree = Point(x=1, y=[2, 3])
    rebuilt = tree_map(lambda v: -v, tree)
    assert type(rebuilt) is Point
    assert rebuilt == Point(-1, [-2, -3])
    assert tree_structure(tree) != tree_structure((1, [2, 3]))


def test_tuple_and_list_subclasses_without_fields_are_leaves():
    class MyList(list):
        pass

    tree = [MyList([1, 2])]
    assert tree_leaves(tree) == [MyList([1, 2])]


# ------------------------------------------------------------- registration


def test_register_pytree_node_class_round_trip():
    tree = [Scaled((1, 2), scale=3)]
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1, 2]
    assert tree_unflatten(treedef, [5, 6]) == [Scaled((5, 6), 3)]
    assert tree_structure(Scaled(1, 3)) != tree_structure(Scaled(1, 4))


def test_register_pytree_node_round_trip():
    tree = Pair(1, {"z": 2})
    assert tree_leaves(tree) == [1, 2]
    assert tree_map(str, tree) == Pair("1", {"z": "2"})


def test_register_dataclass_static_field_is_aux_data():
    layer = Layer(w=1.0, b=2.0, activation="tanh")
    leaves, treedef = tree_flatten(layer)
    assert leaves == [1.0, 2.0]
    rebuilt = tree_unflatten(treedef, [3.0, 4.0])
    assert rebuilt == Layer(w=3.0, b=4.0, activation="tanh")
    assert tree_structure(layer) == tree_structure(Layer(5.0, 6.0, "tanh"))
    assert tree_structure(layer) != tree_structure(Layer(5.0, 6.0, "relu"))


def test_register_dataclass_with_explicit_fields():
    rebuilt = tree_map(lambda x: x * 2, Explicit(data=[1, 2], name="n"))
    assert type(rebuilt) is Explicit
    assert (rebuilt.data, rebuilt.name) == ([2, 4], "n")


def test_register_dataclass_requires_both_field_lists_or_neither():
    class Half:
        pass

    with pytest.raises(TypeError, match="both data_fields and meta_fields"):
        register_dataclass(Half, data_fields=["a"])
    with pytest.raises(TypeError, match="not a dataclass"):
        register_dataclass(Half)


@pytest.mark.parametrize("nodetype", [Pair, tuple, dict, type(None)])
def test_registering_twice_raises(nodetype):
    with pytest.raises(ValueError, match="Duplicate custom PyTreeDef type registration"):
        register_pytree_node(nodetype, lambda x: ((), None), lambda _, __: None)


# ---------------------------------------------------------------- tree_map


def test_tree_map_over_several_trees():
    got = tree_map(lambda a, b, c: a + b * c, (1, {"k": 2}), (10, {"k": 20}), (2, {"k": 3}))
    assert got == (21, {"k": 62})


def test_tree_map_with_prefix_tree_passes_subtrees():
    got = tree_map(lambda x, sub: (x, sub), [1, 2], [(3, 4), {"a": 5}])
    assert got == [(1, (3, 4)), (2, {"a": 5})]


def test_tree_map_mismatch_names_argument_and_key_path():
    with pytest.raises(ValueError) as info:
        tree_map(lambda x, y: x, [1, {"a": 2, "b": 3}], [1, {"a": 2, "c": 3}])
    message = str(info.value)
    assert "argument 2" in message
    assert "at key path [1]:" in message
    assert "expected a dict with keys ['a', 'b'], got a dict with keys ['a', 'c']" in message


def test_tree_map_mismatch_deep_path_and_type():
    with pytest.raises(
        ValueError,
        match=r"at key path \[0\]\['w'\]: expected a tuple of length 2, got a value of type list",
    ):
        tree_map(lambda x, y: x, [{"w": (1, 2)}], [{"w": [1, 2]}])


def test_tree_map_mismatch_arity_at_root():
    with pytest.raises(
        ValueError, match="at the root: expected a list of length 2, got a list of length 3"
    ):
        tree_map(lambda x, y: x, [1, 2], [1, 2, 3])


def test_tree_map_mismatch_none_is_not_a_leaf():
    with pytest.raises(
        ValueError, match=r"at key path \[1\]: expected None, got a value of type int"
    ):
        tree_map(lambda x, y: x, (1, None), (1, 2))


def test_tree_map_mismatch_custom_node_names_flat_index():
    with pytest.raises(ValueError, match=r"at key path \[<flat index 1>\]"):
        tree_map(lambda x, y: x, Pair(1, (2, 3)), Pair(1, (2,)))


def test_tree_map_is_leaf():
    tree = [(1, 2), (3, 4)]
    got = tree_map(lambda t: sum(t), tree, is_leaf=lambda x: isinstance(x, tuple))
    assert got == [3, 7]


def test_is_leaf_can_make_none_a_leaf():
    leaves, treedef = tree_flatten([None, 1], is_leaf=lambda x: x is None)
    assert leaves == [None, 1]
    assert treedef.num_leaves == 2


def test_is_leaf_on_root():
    assert tree_leaves((1, 2), is_leaf=lambda x: isinstance(x, tuple)) == [(1, 2)]


def test_tree_all_and_tree_reduce():
    assert tree_all([True, {"a": 1}, (None,)]) is True
    assert tree_all([True, {"a": 0}]) is False
    assert tree_reduce(lambda a, b: a + b, [1, (2, 3)]) == 6
    assert tree_reduce(lambda a, b: a + b, [1, (2, 3)], 100) == 106
    assert tree_reduce(lambda a, b: a + b, [], 7) == 7


# --------------------------------------------------------------- key paths


def test_key_entries_str():
    assert str(SequenceKey(0)) == "[0]"
    assert str(DictKey("a")) == "['a']"
    assert str(DictKey(1)) == "[1]"
    assert str(GetAttrKey("name")) == ".name"
    assert str(FlattenedIndexKey(0)) == "[<flat index 0>]"
    assert keystr((SequenceKey(0), DictKey("w"))) == "[0]['w']"
    assert (
        keystr((SequenceKey(0), DictKey("w"), GetAttrKey("x")), simple=True, separator="/")
        == "0/w/x"
    )
    assert keystr(()) == ""


def test_key_entries_are_frozen_and_hashable():
    assert SequenceKey(1) == SequenceKey(1)
    assert hash(DictKey("a")) == hash(DictKey("a"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        SequenceKey(1).idx = 2


def test_flatten_with_path_per_node_kind():
    tree = [
        {"w": 1},
        Point(2, 3),
        Layer(4, 5),
        Pair(6, 7),
        Box(8),
        collections.OrderedDict(z=9),
    ]
    pairs, treedef = tree_flatten_with_path(tree)
    assert [(keystr(p), x) for p, x in pairs] == [
        ("[0]['w']", 1),
        ("[1].x", 2),
        ("[1].y", 3),
        ("[2].w", 4),
        ("[2].b", 5),
        ("[3][<flat index 0>]", 6),
        ("[3][<flat index 1>]", 7),
        ("[4].v", 8),
        ("[5]['z']", 9),
    ]
    assert pairs[0][0] == (SequenceKey(0), DictKey("w"))
    assert treedef == tree_structure(tree)


def test_tree_leaves_with_path_is_leaf():
    got = tree_leaves_with_path({"a": (1, 2)}, is_leaf=lambda x: isinstance(x, tuple))
    assert got == [((DictKey("a"),), (1, 2))]


def test_tree_map_with_path():
    got = tree_map_with_path(
        lambda p, x, y: f"{keystr(p)}={x + y}", {"a": 1, "b": [2]}, {"a": 10, "b": [20]}
    )
    assert got == {"a": "['a']=11", "b": ["['b'][0]=22"]}


def test_tree_map_with_path_mismatch_names_path():
    with pytest.raises(ValueError, match=r"tree_map_with_path: argument 2 .* at key path \['b'\]"):
        tree_map_with_path(lambda p, x, y: x, {"b": (1,)}, {"b": 1})


# ----------------------------------------------------------------- treedefs


def test_equal_structures_are_equal_and_hash_equal():
    a = tree_structure(((1, 2), {"a": 3, "b": None}))
    b = tree_structure((("x", "y"), {"b": None, "a": "z"}))
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


@pytest.mark.parametrize(
    "other",
    [
        ((1, 2), {"a": 3, "c": None}),  # different key
        ((1, 2), {"a": 3, "b": 4}),  # None replaced by a leaf
        ([1, 2], {"a": 3, "b": None}),  # list instead of tuple
        ((1, 2, 3), {"a": 3, "b": None}),  # different arity
        (Point(1, 2), {"a": 3, "b": None}),  # namedtuple instead of tuple
        ((1, 2), collections.OrderedDict(a=3, b=None)),  # OrderedDict instead of dict
    ],
)
def test_different_structures_differ(other):
    base = tree_structure(((1, 2), {"a": 3, "b": None}))
    assert base != tree_structure(other)
    assert hash(base) != hash(tree_structure(other))


def test_treedef_is_immutable():
    treedef = tree_structure((1, 2))
    with pytest.raises(AttributeError):
        treedef.num_leaves = 5
    with pytest.raises(AttributeError):
        treedef.extra = 1
    assert treedef != (1, 2)


@pytest.mark.parametrize(
    "tree, expected",
    [
        (1, "PyTreeDef(*)"),
        (None, "PyTreeDef(None)"),
        ((1,), "PyTreeDef((*,))"),
        ((1, {"a": 2, "b": None}), "PyTreeDef((*, {'a': *, 'b': None}))"),
        ([1, [2]], "PyTreeDef([*, [*]])"),
        (Point(1, 2), "PyTreeDef(CustomNode(namedtuple[Point], [*, *]))"),
        (Scaled(1, 3), "PyTreeDef(CustomNode(Scaled[3], [*]))"),
        (collections.OrderedDict(b=1), "PyTreeDef(OrderedDict({'b': *}))"),
        (collections.defaultdict(list, a=1), "PyTreeDef(defaultdict(<class 'list'>, {'a': *}))"),
    ],
)
def test_treedef_repr(tree, expected):
    assert repr(tree_structure(tree)) == expected


def test_num_leaves_num_nodes_and_children():
    treedef = tree_structure(((1, 2), {"a": 3, "b": None}))
    assert treedef.num_leaves == 3
    assert treedef.num_nodes == 7  # outer tuple, inner tuple, dict, None, three leaves
    children = treedef.children()
    assert children == [tree_structure((0, 0)), tree_structure({"a": 0, "b": None})]
    assert [c.num_leaves for c in children] == [2, 1]
    assert tree_structure(1).children() == []


def test_flatten_up_to():
    treedef = tree_structure([1, {"a": 2}])
    assert treedef.flatten_up_to([(1, 2), {"a": [3]}]) == [(1, 2), [3]]
    with pytest.raises(ValueError, match=r"at key path \[1\]: expected a dict with keys \['a'\]"):
        treedef.flatten_up_to([1, {"b": 2}])


@pytest.mark.parametrize("leaves, word", [([1, 2], "few"), ([1, 2, 3, 4], "many")])
def test_unflatten_wrong_leaf_count(leaves, word):
    treedef = tree_structure((1, (2, 3)))
    with pytest.raises(
        ValueError, match=f"Too {word} leaves for PyTreeDef; expected 3, got {len(leaves)}"
    ):
        tree_unflatten(treedef, leaves)


def test_unflatten_accepts_any_iterable():
    treedef = tree_structure([1, (2,)])
    assert tree_unflatten(treedef, iter(["a", "b"])) == ["a", ("b",)]


def test_treedef_is_public_type():
    assert isinstance(tree_structure(1), PyTreeDef)


# ------------------------------------------------------------------ property


def _reference_leaves(tree):
    """Independent oracle for the leaf order of the built-in node kinds."""
    if tree is None:
        return []
    if isinstance(tree, (tuple, list)):
        return [leaf for child in tree for leaf in _reference_leaves(child)]
    if isinstance(tree, collections.OrderedDict):
        return [leaf for v in tree.values() for leaf in _reference_leaves(v)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _reference_leaves(tree[k])]
    return [tree]


_keys = st.text(alphabet="abcdef", min_size=1, max_size=3)
_trees = st.recursive(
    st.integers() | st.none(),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(_keys, children, max_size=4),
        st.dictionaries(_keys, children, max_size=4).map(
            lambda d: collections.OrderedDict(reversed(list(d.items())))
        ),
        st.dictionaries(_keys, children, max_size=4).map(lambda d: collections.defaultdict(int, d)),
        st.builds(Point, children, children),
    ),
    max_leaves=20,
)


def _sorted_typed(tree):
    """Like ``_typed`` but with plain dicts and defaultdicts in sorted-key order."""
    if isinstance(tree, (list, tuple)):
        return (type(tree), tuple(_sorted_typed(c) for c in tree))
    if isinstance(tree, dict):
        extra = tree.default_factory if isinstance(tree, collections.defaultdict) else None
        items = tree.items() if type(tree) is collections.OrderedDict else sorted(tree.items())
        return (type(tree), extra, tuple((k, _sorted_typed(v)) for k, v in items))
    return tree


@given(_trees)
def test_round_trip_property(tree):
    leaves, treedef = tree_flatten(tree)
    assert leaves == _reference_leaves(tree)
    assert treedef.num_leaves == len(leaves)
    rebuilt = tree_unflatten(treedef, leaves)
    assert _typed(rebuilt) == _sorted_typed(tree)
    assert tree_structure(rebuilt) == treedef
    assert hash(tree_structure(rebuilt)) == hash(treedef)
    paths = [p for p, _ in tree_leaves_with_path(tree)]
    assert len(set(paths)) == len(leaves)
