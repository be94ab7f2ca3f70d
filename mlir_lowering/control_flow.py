"""Lowering rules of the control-flow primitives (core/primitives/control_flow.py).

`cond` becomes `stablehlo.case`, `while` `stablehlo.while`, `scan` a
`stablehlo.while` over a step counter that slices its inputs with
`dynamic_slice` and writes its stacked outputs with `dynamic_update_slice`
(`unroll` steps per trip, the remainder after the loop; large stacked outputs are
written chunk-wise, see `_chunk_size`), and `remat` is inlined.  Region bodies are the
sub-Graphs, lowered by the same interpreter; values defined outside a region are used
in it directly (StableHLO regions may capture).
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


def _write_rows(b: FunctionBuilder, buffer: Value, rows: Value, start: Value) -> Value:
    """`buffer` with `rows` (same trailing shape) written from row `start` on."""
    zero = b.constant(0, np.int32)
    return b.emit("stablehlo.dynamic_update_slice", buffer, rows, start,
                  *[zero] * (buffer.ndim - 1))


def counted_loop(b: FunctionBuilder, trips: int, state, body):
    """`state = body(counter, state)` for counter in range(trips), as a
    `stablehlo.while` (inline when `trips` is 1); returns the final state."""
    if trips == 0:
        return list(state)
    if trips == 1:
        return list(body(b.constant(0, np.int32), list(state)))
    avals = [_I32] + [v.aval for v in state]

    def loop_cond(counter, *_):
        return [b.compare(counter, b.constant(trips, np.int32), "LT")]

    def loop_body(counter, *values):
        new = body(counter, list(values))
        return [b.emit("stablehlo.add", counter, b.constant(1, np.int32)), *new]

    regions = [b.region(avals, loop_cond), b.region(avals, loop_body)]
    return b.op("stablehlo.while", [b.constant(0, np.int32), *state], avals, None,
                regions)[1:]


_CHUNKED_BYTES = 1 << 20  # stacked outputs at least this big are written chunk-wise


def _chunk_size(length: int, y_avals, unroll: int) -> int | None:
    """Steps per chunk for writing a scan's stacked outputs, or None for one level.

    IREE 3.13 copies a loop-carried buffer on every trip of a loop that updates it
    (the update is not done in place), so a scan writing its stacked outputs `ys`
    directly costs `length` copies of all of `ys`.  In two levels — an inner loop of
    `chunk` steps filling a small buffer, an outer loop writing each chunk into `ys`
    — the copies shrink from `length * |ys|` to about `2 * sqrt(length) * |ys|`.
    """
    total = length * sum(a.size * a.dtype.itemsize for a in y_avals)
    if length < 16 or total < _CHUNKED_BYTES:
        return None
    root = length ** 0.5
    divisors = [d for d in range(max(unroll, int(root / 2)), int(2 * root) + 1)
                if length % d == 0 and d % unroll == 0]
    chunk = min(divisors, key=lambda d: abs(d - root)) if divisors else int(root)
    return max(chunk, unroll)


def _scan(b: FunctionBuilder, *operands, body, num_consts, num_carry, length, reverse,
          unroll):
    consts = operands[:num_consts]
    xs = operands[num_consts + num_carry:]
    ys_avals = list(b.avals_out[num_carry:])
    y_avals = [a.update(shape=a.shape[1:]) for a in ys_avals]

    def const(value):
        return b.constant(value, np.int32)

    def add(value: Value, k: int) -> Value:
        return value if k == 0 else b.emit("stablehlo.add", value, const(k))

    def step(position: Value, carry, buffers, base):
        """The step at `position` (counting from 0); writes its `y`s into `buffers`
        at row `index - base` (`base` None: at the row `index`)."""
        index = position
        if reverse:
            index = b.emit("stablehlo.subtract", const(length - 1), position)
        outs = lower_eqns(b, body, [*consts, *carry, *[_slice_at(b, x, index) for x in xs]])
        row = index if base is None else b.emit("stablehlo.subtract", index, base)
        buffers = [_write_rows(b, buf, b.emit("stablehlo.reshape", y, shape=(1, *y.shape)),
                               row) for buf, y in zip(buffers, outs[num_carry:])]
        return list(outs[:num_carry]), buffers

    def steps(start: Value, count: int, carry, buffers, base):
        """`count` steps from position `start`, `unroll` of them per loop trip."""
        trips = count // unroll

        def trip(counter, state):
            c, y = state[:num_carry], state[num_carry:]
            first = b.emit("stablehlo.add", start,
                           b.emit("stablehlo.multiply", counter, const(unroll)))
            for k in range(unroll):
                c, y = step(add(first, k), c, y, base)
            return c + y

        state = counted_loop(b, trips, carry + buffers, trip)
        carry, buffers = state[:num_carry], state[num_carry:]
        for k in range(trips * unroll, count):
            carry, buffers = step(add(start, k), carry, buffers, base)
        return carry, buffers

    def zeros(aval):
        return b.constant(np.zeros((), aval.dtype), shape=aval.shape)

    carry = list(operands[num_consts:num_consts + num_carry])
    ys = [zeros(a) for a in ys_avals]
    chunk = _chunk_size(length, y_avals, unroll)
    if chunk is None:
        carry, ys = steps(const(0), length, carry, ys, None)
        return carry + ys
    chunks, rest = divmod(length, chunk)

    def outer(counter, state):
        c, full = state[:num_carry], state[num_carry:]
        start = b.emit("stablehlo.multiply", counter, const(chunk))
        # the lowest index the chunk covers: its first step's, or its last's in reverse
        base = b.emit("stablehlo.subtract", const(length - chunk), start) if reverse else start
        c, parts = steps(start, chunk, c, [zeros(a.update(shape=(chunk, *a.shape)))
                                           for a in y_avals], base)
        return c + [_write_rows(b, f, part, base) for f, part in zip(full, parts)]

    state = counted_loop(b, chunks, carry + ys, outer)
    carry, ys = steps(const(chunks * chunk), rest, state[:num_carry], state[num_carry:], None)
    return carry + ys


def _remat(b: FunctionBuilder, *args, body, prevent_cse):
    return lower_eqns(b, body, list(args))


LOWERING_RULES.update({
    cf.cond_p: _cond,
    cf.while_p: _while,
    cf.scan_p: _scan,
    cf.remat_p: _remat,
})
