"""Lowering rules of the control-flow primitives (core/primitives/control_flow.py).

`cond` becomes `stablehlo.case`, `while` `stablehlo.while`, `scan` a
`stablehlo.while` over a step counter that slices its inputs with
`dynamic_slice` and writes its stacked outputs with `dynamic_update_slice`
(`unroll` steps per iteration, the remainder after the loop), and `remat` is
inlined.  Region bodies are the sub-Graphs, lowered by the same interpreter; values
defined outside a region are used in it directly (StableHLO regions may capture).
"""
import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.primitives import control_flow as cf
from .builder import FunctionBuilder, Value, i64_array
from .lowering import LOWERING_RULES, lower_eqns

_I32 = ShapedArray((), dtypes.int32)


def _cond(b: FunctionBuilder, index, *operands, branches):
    out_avals = list(b.avals_out)
    last = len(branches) - 1
    # StableHLO runs the last branch for any index out of range; irax clamps.
    index = b.emit("stablehlo.clamp", b.constant(0, np.int32), index,
                   b.constant(last, np.int32))
    regions = [b.region([], lambda graph=graph: lower_eqns(b, graph, operands))
               for graph in branches]
    return b.op("stablehlo.case", [index], out_avals, None, regions)


def _while(b: FunctionBuilder, *operands, cond_graph, body_graph, cond_nconsts,
           body_nconsts):
    cond_consts = operands[:cond_nconsts]
    body_consts = operands[cond_nconsts:cond_nconsts + body_nconsts]
    init = operands[cond_nconsts + body_nconsts:]
    avals = [v.aval for v in init]
    cond = b.region(avals, lambda *carry: lower_eqns(b, cond_graph, [*cond_consts, *carry]))
    body = b.region(avals, lambda *carry: lower_eqns(b, body_graph, [*body_consts, *carry]))
    return b.op("stablehlo.while", list(init), avals, None, [cond, body])


def _slice_at(b: FunctionBuilder, x: Value, index: Value) -> Value:
    """`x[index]` for a scalar int32 `index` into the leading axis."""
    zero = b.constant(0, np.int32)
    sizes = (1, *x.shape[1:])
    row = b.emit("stablehlo.dynamic_slice", x, index, *[zero] * (x.ndim - 1), shape=sizes,
                 attrs={"slice_sizes": i64_array(sizes)})
    return b.emit("stablehlo.reshape", row, shape=x.shape[1:])


def _update_at(b: FunctionBuilder, stacked: Value, y: Value, index: Value) -> Value:
    """`stacked` with `stacked[index] = y`."""
    zero = b.constant(0, np.int32)
    row = b.emit("stablehlo.reshape", y, shape=(1, *y.shape))
    return b.emit("stablehlo.dynamic_update_slice", stacked, row, index,
                  *[zero] * (y.ndim))


def _scan(b: FunctionBuilder, *operands, body, num_consts, num_carry, length, reverse,
          unroll):
    consts = operands[:num_consts]
    init = operands[num_consts:num_consts + num_carry]
    xs = operands[num_consts + num_carry:]
    ys_avals = list(b.avals_out[num_carry:])

    def step(position: Value, carry, ys):
        """One step at `position` (an int32 Value counting steps from 0)."""
        index = position
        if reverse:
            index = b.emit("stablehlo.subtract", b.constant(length - 1, np.int32), position)
        outs = lower_eqns(b, body, [*consts, *carry, *[_slice_at(b, x, index) for x in xs]])
        ys = [_update_at(b, stacked, y, index) for stacked, y in zip(ys, outs[num_carry:])]
        return outs[:num_carry], ys

    carry = list(init)
    ys = [b.constant(np.zeros((), a.dtype), shape=a.shape) for a in ys_avals]
    iterations, remainder = divmod(length, unroll)
    if iterations == 1 and remainder == 0:  # fully unrolled: straight-line code
        for k in range(length):
            carry, ys = step(b.constant(k, np.int32), carry, ys)
        return carry + ys
    if iterations:
        loop_avals = [_I32] + [v.aval for v in carry] + ys_avals

        def loop_cond(counter, *_):
            return [b.compare(counter, b.constant(iterations, np.int32), "LT")]

        def loop_body(counter, *state):
            c, y = list(state[:num_carry]), list(state[num_carry:])
            first = b.emit("stablehlo.multiply", counter, b.constant(unroll, np.int32))
            for k in range(unroll):
                position = first if k == 0 else b.emit("stablehlo.add", first,
                                                        b.constant(k, np.int32))
                c, y = step(position, c, y)
            return [b.emit("stablehlo.add", counter, b.constant(1, np.int32)), *c, *y]

        regions = [b.region(loop_avals, loop_cond), b.region(loop_avals, loop_body)]
        state = b.op("stablehlo.while", [b.constant(0, np.int32), *carry, *ys], loop_avals,
                     None, regions)
        carry, ys = list(state[1:1 + num_carry]), list(state[1 + num_carry:])
    for k in range(iterations * unroll, length):
        carry, ys = step(b.constant(k, np.int32), carry, ys)
    return carry + ys


def _remat(b: FunctionBuilder, *args, body, prevent_cse):
    return lower_eqns(b, body, list(args))


LOWERING_RULES.update({
    cf.cond_p: _cond,
    cf.while_p: _while,
    cf.scan_p: _scan,
    cf.remat_p: _remat,
})
