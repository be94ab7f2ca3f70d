"""Optimization barriers that keep IREE's fusion of a long program linear in its length.

IREE 3.13 fuses a chain of elementwise ops into a single dispatch, and the time its
elementwise fusion and constant-expression analysis take grows superlinearly with the
number of fused ops: compiling a `tanh` chain of 500, 1,000 and 2,000 steps (3,500 to
14,000 ops) took 3.1, 10.8 and 46 s of CPU.  So `lower_eqns` cuts a long function body
into chunks of about `CHUNK_OPS` ops: where a chunk ends, the values it defined that
later equations read pass through one `stablehlo.optimization_barrier`, which no fusion
crosses.  Each chunk then compiles in bounded time; a program shorter than one chunk is
lowered exactly as before.  At run time a cut costs one more dispatch and one write and
read of the values crossing it: the 1,000-step chain (6 cuts) ran in 1.85 ms instead of
1.68 ms on 1,000 elements, and in 2.9 s instead of 7.5 s on 10^6 (the uncut dispatch is
one huge loop body).
"""
from ..core.graph import Graph, Literal
from .builder import FunctionBuilder

CHUNK_OPS = 1000
"""Lines of the function body (ops, region lines included) after which a chunk ends.
Each dispatch costs compile time of its own: a 1,000-step `tanh` chain (7,000 ops) took
10.1, 7.0 and 7.3 s of CPU with chunks of 300, 1,000 and 3,000 ops, 10.8 s uncut."""


MAX_CROSSING = 4
"""A chunk ends only where at most this many of its values are read by later chunks.
A value that leaves its chunk is a result of its dispatch, and IREE 3.13 fuses no
further across an elementwise op with such an extra result: cutting the forward pass of
a 1,000-step unrolled `grad` (92 residuals per chunk) split it into 1,005 dispatches and
made it compile 3.5x slower.  Such a program is cut later, where few values are live."""


MAX_INPUTS = 16
"""A chunk ends before an equation that would make it read more than this many values
it did not compute (arguments, values of earlier chunks; constants aside). Each is a
buffer binding of the dispatch that reads it, and IREE 3.13 fuses without counting
them: a dispatch over 32 bindings compiles, then fails when the module loads ("binding
count 33 > 32", docs/iree_defects.md, defect 17), e.g. `jit` of an elementwise
function of 32 arrays, or the transpose of a 40-step chain (one residual argument per
step). Half the limit leaves room for the results."""


class FusionChunks:
    """Ends a chunk of `graph`'s lowering once `CHUNK_OPS` lines have been written, at
    the first equation after which at most `MAX_CROSSING` of the chunk's values are
    read later; or before an equation that would make it read more than `MAX_INPUTS`
    values it did not compute.

    Args:
      b: the builder the equations of `graph` are written with.
      graph: the graph being lowered (`lower_eqns` calls `end_of_eqn` after each
        equation it writes).
    """

    def __init__(self, b: FunctionBuilder, graph: Graph):
        self._b, self._graph = b, graph
        self._inputs: set = set()  # what the chunk read and did not compute
        self._computed: set = set()
        self._start = len(b.lines)
        self._crossing: dict | None = None  # the chunk's values read later, in order
        self._last_use: dict = {}
        self._constant = _computed_from_literals(graph)
        self._dying: dict = {}
        self._done = 0  # equations whose deaths `_crossing` accounts for

    def end_of_eqn(self, index: int, env: dict) -> None:
        """Called after equation `index` is written: if the chunk is full and few of its
        values are read later, passes those through an optimization barrier and rebinds
        them in `env` (variable -> `Value`) to its results."""
        b = self._b
        too_many_inputs = self._reads_too_many_inputs(index)
        if self._crossing is None:  # nothing is tracked before the first chunk fills
            if len(b.lines) - self._start < CHUNK_OPS and not too_many_inputs:
                return
            self._last_use, self._dying = _liveness(self._graph)
            self._crossing = {v: None for eqn in self._graph.eqns[:index + 1]
                              for v in eqn.outputs if self._crosses(v, index, env)}
        else:
            self._crossing.update((v, None) for v in self._graph.eqns[index].outputs
                                  if self._crosses(v, index, env))
            for i in range(self._done, index + 1):
                for v in self._dying.get(i, ()):
                    self._crossing.pop(v, None)
        self._done = index + 1
        if not too_many_inputs and (len(b.lines) - self._start < CHUNK_OPS
                                       or len(self._crossing) > MAX_CROSSING):
            return
        if self._crossing:
            crossing = list(self._crossing)
            values = [env[v] for v in crossing]
            outs = b.op("stablehlo.optimization_barrier", values, [x.aval for x in values])
            env.update(zip(crossing, outs))
        self._crossing, self._start = {}, len(b.lines)
        self._inputs, self._computed = set(), set()

    def _reads_too_many_inputs(self, index: int) -> bool:
        """Notes what equation `index` read and computed; whether the next equation
        would take the chunk over `MAX_INPUTS`."""
        eqns = self._graph.eqns
        self._inputs.update(self._new_inputs(eqns[index]))
        self._computed.update(eqns[index].outputs)
        if index + 1 == len(eqns) or not self._inputs:
            return False
        return len(self._inputs | self._new_inputs(eqns[index + 1])) > MAX_INPUTS

    def _new_inputs(self, eqn) -> set:
        return {v for v in eqn.inputs if type(v) is not Literal and v not in self._computed
                and v not in self._constant and 0 not in v.aval.shape}

    def _crosses(self, v, index: int, env: dict) -> bool:
        return (self._last_use.get(v, -1) > index and v not in self._constant and v in env
                and 0 not in env[v].shape)


def _computed_from_literals(graph: Graph) -> set:
    """The variables computed from literals alone: they need no barrier and no binding
    (IREE folds them or evaluates them once when the program loads)."""
    constant = set()
    for eqn in graph.eqns:
        if all(type(a) is Literal or a in constant for a in eqn.inputs):
            constant.update(eqn.outputs)
    return constant


def _liveness(graph: Graph) -> tuple[dict, dict]:
    """(variable -> index of the last equation reading it, or len(eqns) for an output;
    equation index -> the variables it reads last)."""
    last_use = {}
    for index, eqn in enumerate(graph.eqns):
        last_use.update((a, index) for a in eqn.inputs if type(a) is not Literal)
    last_use.update((v, len(graph.eqns)) for v in graph.outvars if type(v) is not Literal)
    dying: dict = {}
    for v, index in last_use.items():
        dying.setdefault(index, []).append(v)
    return last_use, dying
