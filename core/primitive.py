"""Primitive: the unit every transform has a rule for, and `bind`, its entry point.

A primitive owns two rules here: `abstract_eval` (avals in, avals out) and `impl`
(NumPy values in, NumPy values out, irax dtypes respected).  Transforms keep their own
rule tables keyed by primitive (transforms/ad.py, transforms/batching.py, ...).
"""
from typing import Callable

from . import trace as trace_mod


class Primitive:
    """A named operation close to a StableHLO op.

    `multiple_results` primitives return a list.  `impl(*np_values, **params)`
    computes with NumPy; `abstract_eval(*avals, **params)` returns the output aval(s).
    The weak type of an output follows `weak_type_rule(args, params)`: by default an
    output is weak when every input is (JAX's rule), never for bool outputs; a
    multiple-results primitive may return one flag per output.
    """

    def __init__(self, name: str, multiple_results: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Callable | None = None
        self.abstract_eval: Callable | None = None
        self.weak_type_rule: Callable = standard_weak_type_rule
        REGISTRY[name] = self

    def def_impl(self, impl: Callable) -> Callable:
        self.impl = impl
        return impl

    def def_abstract_eval(self, rule: Callable) -> Callable:
        self.abstract_eval = rule
        return rule

    def bind(self, *args, **params):
        """Applies the primitive under the innermost transform that sees `args`."""
        return trace_mod.bind(self, args, params)

    def __repr__(self):
        return self.name


REGISTRY: dict[str, Primitive] = {}
"""Every primitive ever created, by name (for the completeness tests)."""


def standard_weak_type_rule(args, params) -> bool:
    """JAX's standard rule: an output is weak iff every input is (args: Tensors/avals)."""
    for a in args:
        if not a.weak_type:
            return False
    return bool(args)
