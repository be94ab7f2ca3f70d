"""Lowering of the windowed reductions (core/primitives/windowed.py): reduce_window_sum /
max / min and select_and_gather_add are `stablehlo.reduce_window`s (the latter over
(operand, tangent) pairs); select_and_scatter_add is written with pads, strided slices
and selects, because IREE 3.13 cannot legalize `stablehlo.select_and_scatter` when
windows overlap or are padded; `optimization_barrier` is
`stablehlo.optimization_barrier`.  Operands without elements never reach IREE: every
window is then padding, so results are the identity (or zeros)."""
import numpy as np

from ..core.aval import ShapedArray
from ..core.primitives import windowed as win
from ..core.primitives.conv import dilate_dim
from .builder import FunctionBuilder, Value, i64_array, scalar_aval
from .lowering import LOWERING_RULES
from .structural import pad
from .zero_size import highest, lowest

_COMBINE = {"sum": "stablehlo.add", "max": "stablehlo.maximum", "min": "stablehlo.minimum"}
_IDENTITY = {"sum": lambda dtype: 0, "max": lowest, "min": highest}


def _window_attrs(window_dimensions, window_strides, padding, base_dilation,
                  window_dilation) -> dict:
    ndim = len(window_dimensions)
    pads = [list(p) for p in padding]
    return {"window_dimensions": i64_array(window_dimensions),
            "window_strides": i64_array(window_strides),
            "base_dilations": i64_array(base_dilation),
            "window_dilations": i64_array(window_dilation),
            "padding": f"dense<{pads}> : tensor<{ndim}x2xi64>"}


def reduce_window(b: FunctionBuilder, operands, inits, combine, out_shape, window) -> list:
    """`stablehlo.reduce_window` of `operands`; `combine(*accs, *xs)` returns the
    combined values (one per operand)."""
    region = b.region([scalar_aval(v.dtype) for v in (*operands, *operands)], combine)
    return b.op("stablehlo.reduce_window", [*operands, *inits],
                [ShapedArray(out_shape, v.dtype) for v in operands],
                _window_attrs(**window), [region])


def _reduce_window_rule(kind: str):
    op, identity = _COMBINE[kind], _IDENTITY[kind]

    def rule(b: FunctionBuilder, x: Value, **window):
        out_shape = b.avals_out[0].shape
        init = b.constant(identity(x.dtype), x.dtype)
        if 0 in x.shape:  # every window holds padding only
            return b.broadcast_in_dim(init, out_shape, ())
        return reduce_window(b, [x], [init], lambda acc, y: [b.emit(op, acc, y)],
                             out_shape, window)[0]
    return rule


for _kind, _prim in win.REDUCE_WINDOW.items():
    LOWERING_RULES[_prim] = _reduce_window_rule(_kind)


def _select_and_gather_add(b: FunctionBuilder, t: Value, x: Value, *, select, **window):
    """A reduce_window over (operand, tangent) pairs keeping the pair whose operand is
    strictly greater (less): IREE combines a window's elements in order, so the first
    chosen element wins, as in the impl."""
    out_shape = b.avals_out[0].shape
    zero = b.constant(0, x.dtype)
    if 0 in x.shape:
        return b.broadcast_in_dim(zero, out_shape, ())
    direction = "GT" if select == "max" else "LT"

    def combine(acc_x, acc_t, y, y_t):
        pick = b.compare(y, acc_x, direction)
        return [b.select(pick, y, acc_x), b.select(pick, y_t, acc_t)]

    init = b.constant(_IDENTITY[select](x.dtype), x.dtype)
    return reduce_window(b, [x, t], [init, zero], combine, out_shape, window)[1]


def _select_and_scatter_add(b: FunctionBuilder, source: Value, x: Value, *, select,
                            window_dimensions, window_strides, padding, base_dilation,
                            window_dilation):
    """Without `stablehlo.select_and_scatter`, which IREE 3.13 cannot legalize when
    windows overlap or are padded: the operand is padded and dilated with the identity,
    each window offset's elements are one strided slice, a running comparison finds each
    window's first chosen offset, and each offset's share of the source is padded back
    into place (strides become holes) and summed; the operand's positions are sliced
    out of the total."""
    zero = b.constant(0, x.dtype)
    if 0 in source.shape:  # no window: nothing is scattered
        return b.broadcast_in_dim(zero, x.shape, ())
    fill = b.constant(_IDENTITY[select](x.dtype), x.dtype)
    padded = pad(b, x, fill, [(lo, hi, bd - 1) for (lo, hi), bd in zip(padding, base_dilation)])
    out_shape = source.shape
    starts = [[k * wd for k, wd in zip(offset, window_dilation)]
              for offset in np.ndindex(*window_dimensions)]
    views = [b.emit("stablehlo.slice", padded, shape=out_shape, attrs={
        "start_indices": i64_array(start),
        "limit_indices": i64_array([a + (o - 1) * s + 1 for a, o, s in
                                    zip(start, out_shape, window_strides)]),
        "strides": i64_array(window_strides)}) for start in starts]
    direction = "GT" if select == "max" else "LT"
    best, chosen = views[0], b.constant(0, np.int32, out_shape)
    for k, view in enumerate(views[1:], 1):
        better = b.compare(view, best, direction)
        best = b.select(better, view, best)
        chosen = b.select(better, b.constant(k, np.int32, out_shape), chosen)
    total = None
    for k, start in enumerate(starts):
        share = b.select(b.compare(chosen, b.constant(k, np.int32, out_shape), "EQ"), source,
                         b.broadcast_in_dim(zero, out_shape, ()))
        placed = pad(b, share, zero, [
            (a, n - a - (o - 1) * s - 1, s - 1)
            for a, n, o, s in zip(start, padded.shape, out_shape, window_strides)])
        total = placed if total is None else b.emit("stablehlo.add", total, placed)
    return b.emit("stablehlo.slice", total, shape=x.shape, attrs={
        "start_indices": i64_array([lo for lo, _ in padding]),
        "limit_indices": i64_array([lo + dilate_dim(n, bd) for (lo, _), n, bd in
                                    zip(padding, x.shape, base_dilation)]),
        "strides": i64_array(base_dilation)})


LOWERING_RULES[win.select_and_gather_add_p] = _select_and_gather_add
LOWERING_RULES[win.select_and_scatter_add_p] = _select_and_scatter_add
LOWERING_RULES[win.optimization_barrier_p] = lambda b, *xs: b.op(
    "stablehlo.optimization_barrier", list(xs), [x.aval for x in xs])
