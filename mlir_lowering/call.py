"""Lowering of the call primitives: a `jit` equation inside a program being compiled
is inlined (its sub-Graph's ops are written in place, with their own source lines)."""
from ..core.primitives.call import jit_p
from .builder import FunctionBuilder
from .lowering import LOWERING_RULES, lower_eqns


def _jit(b: FunctionBuilder, *args, graph, name, device):
    return lower_eqns(b, graph, list(args))


LOWERING_RULES[jit_p] = _jit
