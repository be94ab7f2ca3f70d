"""Graph → StableHLO: the lowering interpreter and its rule table.

`lower_graph(graph, name)` returns a `LoweredModule`: the MLIR text of
`module @name { func.func public @main(constvars..., invars...) }`, parsed and
verified by MLIR, with the argument and result avals.  `LOWERING_RULES[primitive]`
holds one rule per primitive; the rule modules, one per primitive family
(elementwise, structural, reductions, linalg, indexing, sorting, control_flow,
call, conv, windowed, special, fft), register into it
when imported here.  `builder` writes the MLIR text; `precise_math` spells out the
real float functions IREE 3.13 computes wrongly or inaccurately; `zero_size` writes
the known results of equations on zero-size arrays, which IREE never sees.  No IREE
runtime code lives in this package.
"""
# The rule modules fill LOWERING_RULES when imported.
from . import (  # noqa: F401
    call,
    control_flow,
    conv,
    elementwise,
    fft,
    indexing,
    linalg,
    reductions,
    special,
    sorting,
    structural,
    windowed,
)
from .lowering import LOWERING_RULES, LoweredModule, LoweringError, lower_graph

__all__ = ["LOWERING_RULES", "LoweredModule", "LoweringError", "lower_graph"]
