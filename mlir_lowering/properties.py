"""Program properties: what a Graph computes that decides how it is compiled and run.

They are read off the Graph (sub-Graphs of control flow and jit calls included), not
off the MLIR text, and travel with the lowered module; runtime/compile_policy.py maps
them to compile flags and the CPU driver.
"""
from typing import NamedTuple

import numpy as np

from ..core.graph import ClosedGraph, Graph

_LOOPS = frozenset({"while", "scan"})
_MATMULS = frozenset({"dot_general"})
_CONVOLUTIONS = frozenset({"conv_general_dilated"})


class ProgramProperties(NamedTuple):
    """What picks a program's flags and driver.

    matmul: it multiplies matrices (dot_general).
    convolution: it convolves (conv_general_dilated).
    loop: it has a loop (while, scan: a `stablehlo.while`).
    complex: some value is complex.
    float64: some value is float64 or complex128 (host CPU code may call libm).
    largest_matmul: elements of the largest matmul result (0 without matmuls).
    largest_matmul_flops: 2 * result elements * contracted elements of the costliest
      matmul: how compute-bound it is (an outer product has many elements, few flops).
    """
    matmul: bool = False
    convolution: bool = False
    loop: bool = False
    complex: bool = False
    float64: bool = False
    largest_matmul: int = 0
    largest_matmul_flops: int = 0


def program_properties(graph: Graph | ClosedGraph) -> ProgramProperties:
    """The `ProgramProperties` of `graph`.

    Example:
        >>> program_properties(irax.make_graph(jnp.dot)(jnp.ones((4, 3)), jnp.ones(3)))
        ProgramProperties(matmul=True, convolution=False, loop=False, complex=False,
                          float64=False, largest_matmul=4, largest_matmul_flops=24)
    """
    found = {"matmul": False, "convolution": False, "loop": False, "complex": False, "float64": False,
             "largest_matmul": 0, "largest_matmul_flops": 0}
    _visit(graph.graph if isinstance(graph, ClosedGraph) else graph, found)
    return ProgramProperties(**found)


def _visit(graph: Graph, found: dict) -> None:
    for var in (*graph.constvars, *graph.invars):
        _note_dtype(var.aval.dtype, found)
    for eqn in graph.eqns:
        name = eqn.primitive.name
        if name in _LOOPS:
            found["loop"] = True
        if name in _CONVOLUTIONS:
            found["convolution"] = True
        for var in eqn.outputs:
            _note_dtype(var.aval.dtype, found)
            if name in _MATMULS:
                found["matmul"] = True
                found["largest_matmul"] = max(found["largest_matmul"], var.aval.size)
                (contracting, _), _ = eqn.params["dimension_numbers"]
                lhs_shape = eqn.inputs[0].aval.shape
                flops = 2 * var.aval.size * int(np.prod([lhs_shape[d] for d in contracting],
                                                        dtype=np.int64))
                found["largest_matmul_flops"] = max(found["largest_matmul_flops"], flops)
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(sub, (Graph, ClosedGraph)):
                    _visit(sub.graph if isinstance(sub, ClosedGraph) else sub, found)


def _note_dtype(dtype, found: dict) -> None:
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        found["complex"] = True
    if dtype in (np.float64, np.complex128):
        found["float64"] = True
