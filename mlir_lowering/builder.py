"""Writing one StableHLO function as MLIR text: types, attributes, constants and ops.

Every op is written in MLIR's generic form, which is the same for all ops:

    %3 = "stablehlo.add"(%1, %2) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> loc("f.py":7:0)

`FunctionBuilder` hands out SSA names, records each line with the location and the
equation it belongs to (for error messages), and offers the handful of helpers that
rules share (constants, broadcasts, comparisons, selects, conversions, regions).
"""
import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray

_ELEMENT_TYPES = {
    dtypes.bool_: "i1", dtypes.int8: "i8", dtypes.int16: "i16", dtypes.int32: "i32",
    dtypes.int64: "i64", dtypes.uint8: "ui8", dtypes.uint16: "ui16", dtypes.uint32: "ui32",
    dtypes.uint64: "ui64", dtypes.bfloat16: "bf16", dtypes.float16: "f16",
    dtypes.float32: "f32", dtypes.float64: "f64", dtypes.complex64: "complex<f32>",
    dtypes.complex128: "complex<f64>",
}


def element_type(dtype) -> str:
    """The MLIR element type of a dtype (`float32` -> `f32`, `uint8` -> `ui8`)."""
    try:
        return _ELEMENT_TYPES[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"dtype {np.dtype(dtype)} has no StableHLO element type") from None


def tensor_type(aval) -> str:
    """`tensor<2x3xf32>` for an aval of shape (2, 3) and dtype float32."""
    return f"tensor<{''.join(f'{d}x' for d in aval.shape)}{element_type(aval.dtype)}>"


def i64_array(values) -> str:
    """A `DenseI64ArrayAttr`: `array<i64: 1, 2>`."""
    values = [int(v) for v in values]
    return f"array<i64: {', '.join(map(str, values))}>" if values else "array<i64>"


def i64(value) -> str:
    """An `i64` IntegerAttr."""
    return f"{int(value)} : i64"


def boolean(value) -> str:
    """A BoolAttr."""
    return "true" if value else "false"


def dims_list(values) -> str:
    """`[0, 2]`: a dimension list inside `#stablehlo.dot<...>`-style attributes."""
    return f"[{', '.join(str(int(v)) for v in values)}]"


def _element_literal(value, dtype: np.dtype) -> str:
    """One element of a dense literal; a float exactly: as the decimal of its double
    value, or as its bit pattern in hexadecimal when it is not finite."""
    if dtype == dtypes.bool_:
        return "true" if value else "false"
    if dtype.kind in "iu":
        return str(int(value))
    if dtype.kind == "c":
        part = dtypes.real_dtype(dtype)
        return f"({_element_literal(value.real, part)}, {_element_literal(value.imag, part)})"
    value = np.asarray(value, dtype)
    if np.isfinite(value):
        text = repr(float(value))
        return text if "." in text else text.replace("e", ".0e")
    return f"0x{int(value.view(f'u{dtype.itemsize}')):0{2 * dtype.itemsize}X}"


def _dense_literal(value: np.ndarray) -> str:
    if value.ndim == 0:
        return _element_literal(value[()], value.dtype)
    return f"[{', '.join(_dense_literal(v) for v in value)}]"


def dense_attribute(value, aval) -> str:
    """`value` (an array of `aval`'s shape) as an exact `dense<...> : tensor<...>`
    attribute: raw little-endian hex for numbers (compact, bit-exact), a literal for
    bool and empty arrays."""
    array = np.asarray(value, aval.dtype)
    if array.dtype == np.bool_ or array.size == 0:
        text = _dense_literal(array)
    else:
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        text = f'"0x{data.hex().upper()}"'
    return f"dense<{text}> : {tensor_type(aval)}"


def scalar_aval(dtype) -> ShapedArray:
    """The aval of a rank-0 array of `dtype` (region arguments, init values)."""
    return ShapedArray((), dtype)


class Value(NamedTuple):
    """An SSA value of the function being written: its name and abstract value."""

    name: str
    aval: ShapedArray

    @property
    def shape(self) -> tuple:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return self.aval.ndim


class Line(NamedTuple):
    """One line of the function body, its `loc(...)` (if it ends an op) and the
    equation whose lowering wrote it (None for the function's own lines)."""

    text: str
    loc: str | None
    eqn: object


_COMPARE_TYPES = {"b": "UNSIGNED", "u": "UNSIGNED", "i": "SIGNED", "f": "FLOAT", "c": "FLOAT"}


def compare_type(dtype) -> str:
    """StableHLO's comparison_type for a dtype: FLOAT, SIGNED or UNSIGNED."""
    return "FLOAT" if dtype == dtypes.bfloat16 else _COMPARE_TYPES[np.dtype(dtype).kind]


class FunctionBuilder:
    """Accumulates the body of a function, op by op.

    `loc` (an MLIR location) and `eqn` describe the equation being lowered; every op
    written gets them.  `avals_out` holds that equation's output avals.
    """

    def __init__(self, hoist_constants: bool = False):
        self._ids = itertools.count()
        self.lines: list[Line] = []
        self.loc = "loc(unknown)"
        self.eqn = None
        self.avals_out: list[ShapedArray] = []
        self.hoist_constants = hoist_constants
        self.hoisted: list[tuple[Value, np.ndarray]] = []

    def hoisted_constant(self, value: np.ndarray) -> Value:
        """`value` as a leading argument of the function (the caller passes the array;
        see `lower_graph`), a distinct argument per call.

        For operands IREE 3.13 updates in place, such as what a sort sorts: a sort of a
        compile-time constant (an iota) is miscompiled when the constant is used twice
        (docs/iree_defects.md, 1 and 2); a runtime argument is copied correctly.
        """
        value = np.ascontiguousarray(value)
        hoisted = self.fresh(ShapedArray(value.shape, value.dtype))
        self.hoisted.append((hoisted, value))
        return hoisted

    def fresh(self, aval) -> Value:
        """A new SSA name for a value of `aval` (block and function arguments)."""
        return Value(f"%{next(self._ids)}", aval)

    # ---- writing ops -------------------------------------------------------------

    def op(self, name: str, operands: Sequence[Value], out_avals: Sequence[ShapedArray],
           attrs: dict | None = None, regions: Sequence[list[Line]] = ()) -> list[Value]:
        """Writes `name(*operands)` with results of `out_avals`; returns the results.

        An op whose results all have no elements is written as empty constants instead
        (StableHLO ops have no effects): IREE 3.13 may crash compiling ops on zero-size
        arrays (mlir_lowering/zero_size.py).
        """
        if (out_avals and name != "stablehlo.constant"
                and all(0 in tuple(a.shape) for a in out_avals)):
            return [self.constant(np.zeros((), a.dtype), shape=a.shape) for a in out_avals]
        result = f"%{next(self._ids)}"
        if len(out_avals) == 1:
            outs, lhs = [Value(result, out_avals[0])], f"{result} = "
        else:
            outs = [Value(f"{result}#{i}", a) for i, a in enumerate(out_avals)]
            lhs = f"{result}:{len(out_avals)} = " if out_avals else ""
        head = f'{lhs}"{name}"({", ".join(v.name for v in operands)})'
        in_types = ", ".join(tensor_type(v.aval) for v in operands)
        out_types = ", ".join(tensor_type(a) for a in out_avals)
        if len(out_avals) != 1:
            out_types = f"({out_types})"
        attr_text = (" {" + ", ".join(f"{k} = {v}" for k, v in attrs.items()) + "}"
                     if attrs else "")
        tail = f"{attr_text} : ({in_types}) -> {out_types}"
        if not regions:
            self._line(head + tail, self.loc)
            return outs
        self._line(head + " ({")
        for i, region in enumerate(regions):
            if i:
                self._line("}, {")
            self.lines.extend(region)
        self._line("})" + tail, self.loc)
        return outs

    def _line(self, text: str, loc: str | None = None) -> None:
        self.lines.append(Line(text, loc, self.eqn))

    def region(self, arg_avals: Sequence[ShapedArray],
               body: Callable[..., Sequence[Value]]) -> list[Line]:
        """The lines of a one-block region: `body(*block_args)` returns what it yields."""
        args = [self.fresh(a) for a in arg_avals]
        outer, self.lines = self.lines, []
        self._line("^bb0(" + ", ".join(f"{a.name}: {tensor_type(a.aval)}" for a in args)
                   + "):")
        results = body(*args)
        self.op("stablehlo.return", results, [])
        inner, self.lines = self.lines, outer
        return inner

    def emit(self, name: str, *operands: Value, dtype=None, shape=None,
             attrs: dict | None = None) -> Value:
        """An op with one result of `shape` and `dtype` (default: the first operand's)."""
        first = operands[0].aval
        aval = ShapedArray(first.shape if shape is None else shape,
                           first.dtype if dtype is None else dtype)
        return self.op(name, operands, [aval], attrs)[0]

    # ---- helpers shared by the rules ---------------------------------------------

    def constant(self, value, dtype=None, shape=()) -> Value:
        """A constant: a scalar splat to `shape`, or a whole (small) NumPy array."""
        value = np.asarray(value) if dtype is None else np.asarray(value, dtype)
        if value.ndim == 0:
            text = _element_literal(value[()], value.dtype)
        else:
            text, shape = _dense_literal(value), value.shape
        aval = ShapedArray(shape, value.dtype)
        return self.op("stablehlo.constant", [], [aval],
                       {"value": f"dense<{text}> : {tensor_type(aval)}"})[0]

    def broadcast_in_dim(self, x: Value, shape, dims) -> Value:
        """`x` broadcast to `shape`; operand dim i becomes output dim `dims[i]`."""
        if tuple(x.shape) == tuple(shape):
            return x
        return self.emit("stablehlo.broadcast_in_dim", x, shape=tuple(shape),
                         attrs={"broadcast_dimensions": i64_array(dims)})

    def convert(self, x: Value, dtype) -> Value:
        """`stablehlo.convert` to `dtype` (no op when `x` has it already).

        A bool converts as `select(x, 1, 0)`: IREE 3.13 folds an i1 -> number convert
        into a data-tiled matmul it feeds and then fails to compile it
        (docs/iree_defects.md, 8.).
        """
        dtype = np.dtype(dtype)
        if x.dtype == dtype:
            return x
        if x.dtype == dtypes.bool_:
            return self.select(x, self.constant(1, dtype, x.shape),
                               self.constant(0, dtype, x.shape))
        if x.dtype == dtypes.bfloat16 and dtype != dtypes.bool_:
            return self.convert(self._bfloat16_to_float32(x), dtype)
        return self.emit("stablehlo.convert", x, dtype=dtype)

    def _bfloat16_to_float32(self, x: Value) -> Value:
        """bfloat16 -> float32 exactly, through the bits (the high half of a float32).

        IREE 3.13 computes bfloat16 arithmetic in float32 and, when the result is
        converted to a wider type, drops the rounding to bfloat16 in between
        (`(x * x).astype(float32)` came back with float32 precision); a bit-level
        widening needs the rounded bfloat16 value (docs/iree_defects.md, 13.).
        """
        bits = self.convert(self.emit("stablehlo.bitcast_convert", x, dtype=dtypes.uint16),
                            dtypes.uint32)
        high = self.emit("stablehlo.shift_left", bits, self.constant(16, dtypes.uint32, x.shape))
        return self.emit("stablehlo.bitcast_convert", high, dtype=dtypes.float32)

    def compare(self, x: Value, y: Value, direction: str) -> Value:
        """`x <direction> y` (EQ, NE, LT, LE, GT, GE) with the dtype's comparison type."""
        attrs = {"comparison_direction": f"#stablehlo<comparison_direction {direction}>",
                 "compare_type": f"#stablehlo<comparison_type {compare_type(x.dtype)}>"}
        return self.emit("stablehlo.compare", x, y, dtype=dtypes.bool_, attrs=attrs)

    def select(self, pred: Value, on_true: Value, on_false: Value) -> Value:
        """`stablehlo.select`: `on_true` where `pred`, else `on_false`."""
        return self.emit("stablehlo.select", pred, on_true, on_false, dtype=on_true.dtype,
                         shape=on_true.shape)

    def signed_index(self, x: Value) -> Value:
        """Integer indices as a signed type of at least 32 bits that holds them all.

        IREE reads index operands as signed, so unsigned ones are widened (uint64
        saturates at the int64 maximum, as the NumPy impls do); 8- and 16-bit ones are
        widened too, so that every operand size fits the type.
        """
        if x.dtype == dtypes.uint64:
            x = self.emit("stablehlo.minimum", x,
                          self.constant(np.iinfo(np.int64).max, x.dtype, x.shape))
        wide = x.dtype.itemsize > 4 or x.dtype == dtypes.uint32
        return self.convert(x, dtypes.int64 if wide else dtypes.int32)

    def is_nan(self, x: Value) -> Value:
        """`x != x`: True at NaN elements of a floating `x`."""
        return self.compare(x, x, "NE")

    def reduce(self, operands: Sequence[Value], inits: Sequence[Value], axes,
               combine: Callable[..., Sequence[Value]]) -> list[Value]:
        """`stablehlo.reduce` of `operands` over `axes`; `combine(*accs, *xs)` returns
        the combined values (one per operand)."""
        shape = tuple(s for i, s in enumerate(operands[0].shape) if i not in axes)
        region = self.region([scalar_aval(v.dtype) for v in (*operands, *operands)], combine)
        return self.op("stablehlo.reduce", [*operands, *inits],
                       [ShapedArray(shape, v.dtype) for v in operands],
                       {"dimensions": i64_array(axes)}, [region])

    def render(self, with_locations: bool = True) -> list[str]:
        """The body lines as text, indented by region depth."""
        out, depth = [], 2
        for line in self.lines:
            if line.text.startswith("}"):
                depth -= 1
            text = f"{line.text} {line.loc}" if with_locations and line.loc else line.text
            out.append("  " * depth + text)
            if line.text.endswith("{"):
                depth += 1
        return out
