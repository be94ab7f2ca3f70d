"""Rules where a reader looks for them: a primitive defined in
core/primitives/<family>.py has its JVP rule (or NOT_DIFFERENTIABLE entry), its
transpose rule (when linear) and its batching rule in transforms/rules/<family>.py.

Rules made by the constructors of transforms/rules/helpers.py (`defjvp`, `deflinear`,
...) count as defined in the rule module that called the constructor.  Exceptions,
each with its reason, are listed below.
"""
import ast
import importlib
import pathlib
import pkgutil

import pytest

import irax  # noqa: F401  (fills the rule tables)
import irax.core.primitives as core_primitives
from irax.core.primitive import REGISTRY, Primitive
from irax.core.primitives import elementwise
from irax.transforms.ad import JVP_RULES, NOT_DIFFERENTIABLE, TRANSPOSE_RULES
from irax.transforms.batching import BATCH_RULES, BatchTrace

ROOT = pathlib.Path(__file__).resolve().parents[1]
RULES = "irax.transforms.rules"

DEFINED_OUTSIDE_CORE = {
    # custom_vjp's linear part is a piece of custom_vjp itself: primitive and transpose
    # rule live in transforms/custom_derivatives.py.
    "custom_lin": "irax.transforms.custom_derivatives",
}
NOT_IN_BATCH_RULES = {
    "iota": "no operands: never batched",
    "custom_lin": "transposed only, never evaluated forward",
    # Collectives batch even with unbatched operands: BatchTrace hands them to
    # transforms/rules/collectives.py before its BATCH_RULES lookup.
    **dict.fromkeys(("psum", "pmax", "pmin", "all_gather", "axis_index"),
                    "batched by BatchTrace's collective handling"),
}


def _defining_family() -> dict:
    """primitive -> the core/primitives module that defines it (its family)."""
    owners = {}
    for info in pkgutil.iter_modules(core_primitives.__path__):
        module = importlib.import_module(f"{core_primitives.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Primitive):
                owners.setdefault(value, set()).add(info.name)
    return owners


OWNERS = _defining_family()


def _expected_module(prim) -> str:
    if prim.name in DEFINED_OUTSIDE_CORE:
        return DEFINED_OUTSIDE_CORE[prim.name]
    (family,) = OWNERS[prim]
    return f"{RULES}.{family}"


def test_every_primitive_belongs_to_one_family():
    outside = {p.name for p in REGISTRY.values() if p not in OWNERS}
    assert outside == set(DEFINED_OUTSIDE_CORE)
    shared = {p.name: sorted(m) for p, m in OWNERS.items() if len(m) > 1}
    assert not shared, f"primitives held by several core/primitives modules: {shared}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_rules_of_a_primitive_live_in_its_family_module(name):
    prim = REGISTRY[name]
    expected = _expected_module(prim)
    jvp = JVP_RULES.get(prim)
    assert (jvp is None) == (prim in NOT_DIFFERENTIABLE), "a JVP rule xor a reason"
    rules = {"jvp": jvp, "transpose": TRANSPOSE_RULES.get(prim),
             "batching": BATCH_RULES.get(prim)}
    if prim.name in NOT_IN_BATCH_RULES:
        assert rules.pop("batching") is None
    else:
        assert rules["batching"] is not None, "no batching rule"
    misplaced = {kind: rule.__module__ for kind, rule in rules.items()
                 if rule is not None and rule.__module__ != expected}
    assert not misplaced, f"expected in {expected}"


def test_collectives_are_batched_by_their_family_module():
    assert BatchTrace.process_primitive.__module__ == f"{RULES}.collectives"


def test_a_misplaced_rule_is_reported():
    """The check above looks at where a rule is defined, constructors included."""
    from irax.transforms.rules import helpers
    assert JVP_RULES[elementwise.sin_p].__module__ == f"{RULES}.elementwise"   # defjvp
    assert JVP_RULES[elementwise.floor_p].__module__ == f"{RULES}.elementwise"  # defzero
    fake = Primitive("layout_test_only")
    try:
        helpers.deflinear(fake)
        assert JVP_RULES[fake].__module__ == __name__
    finally:
        JVP_RULES.pop(fake, None)
        REGISTRY.pop("layout_test_only", None)


def _elementwise_aliases(path: pathlib.Path, tree) -> set:
    """Names the module at `path` binds to core/primitives/elementwise.py."""
    package = list(path.relative_to(ROOT).parent.parts)
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = node.module.split(".") if node.module else []
        if node.level:
            base = package[:len(package) - (node.level - 1)]
        elif module[0] == "irax":
            base, module = [], module[1:]
        else:
            continue
        for alias in node.names:
            if base + module + [alias.name] == ["core", "primitives", "elementwise"]:
                names.add(alias.asname or alias.name)
    return names


def test_every_use_of_an_elementwise_function_names_a_real_one():
    """`ew.mul(...)` style references resolve: a misspelt name fails here, not at run
    time in some rarely taken branch."""
    checked, missing = 0, []
    for path in sorted(ROOT.rglob("*.py")):
        if any(part.startswith(".") or part == "build" for part in path.parts):
            continue
        tree = ast.parse(path.read_text())
        aliases = _elementwise_aliases(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases:
                checked += 1
                if not hasattr(elementwise, node.attr):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.attr}")
    assert checked > 500
    assert not missing
