"""Interpreters ("traces") and the stack that orders nested transforms.

Every transform in progress owns a `MainTrace` on the stack; its level is its
position.  A primitive applied to values is handled by the highest-level trace among
its arguments (or the dynamic trace of `make_graph`/`jit`, which sees everything),
and values of lower levels are lifted into it.  Levels are the tags that keep nested
transforms from confusing their perturbations.  A `MainTrace` that has returned is
marked dead; a tracer of a dead main that reaches `bind` raises UnexpectedTracerError.

The stack is per thread (as in JAX): a transform in progress in one thread is invisible
to every other, and a thread starts with eager evaluation only. A tracer is valid only
in the thread whose transform created it.
"""
import threading
from contextlib import contextmanager

from .aval import ShapedArray
from .errors import ConcretizationTypeError, UnexpectedTracerError
from .tensor import ArrayImpl, BufferArray, Tensor, to_tensor


class MainTrace:
    """One transform in progress: its level, trace class, name and private data."""

    __slots__ = ("level", "trace_type", "global_data", "name", "alive", "trace")

    def __init__(self, level: int, trace_type: type, name: str, global_data=None):
        self.level = level
        self.trace_type = trace_type
        self.name = name
        self.global_data = global_data
        self.alive = True
        self.trace = trace_type(self)

    def __repr__(self):
        return f"MainTrace({self.level}, {self.name})"


class Trace:
    """An interpreter: turns values into its tracers and applies primitives to them."""

    __slots__ = ("main",)

    def __init__(self, main: MainTrace):
        self.main = main

    def pure(self, value):
        """A tracer of this trace for a value no transform is tracing (a constant)."""
        raise NotImplementedError

    def lift(self, tracer: "Tracer"):
        """A tracer of this trace for a tracer of a lower level."""
        raise NotImplementedError

    def process_primitive(self, primitive, tracers, params):
        raise NotImplementedError

    def process_custom_jvp_call(self, fun, jvp, tracers):
        """A function with a custom JVP rule; traces other than JVP just call it."""
        return fun(*tracers)

    def process_custom_vjp_call(self, fun, fwd, bwd, tracers):
        """A function with a custom VJP rule; traces other than JVP just call it."""
        return fun(*tracers)


class Tracer(Tensor):
    """A value seen by a transform; subclasses carry what that transform needs."""

    __slots__ = ("_trace",)

    def full_lower(self):
        """This value at the lowest level it can be represented (self by default)."""
        return self

    def transform_name(self) -> str:
        return f"`{self._trace.main.name}`"

    def concrete_value(self):
        """The concrete array behind this tracer, if the transform has one, else None."""
        return None

    def _require_concrete(self, context: str):
        value = self.concrete_value()
        if value is None:
            raise ConcretizationTypeError(self, context)
        return value

    def __bool__(self):
        return bool(self._require_concrete("bool() / a Python `if` or `while`"))

    def __float__(self):
        return float(self._require_concrete("float()"))

    def __int__(self):
        return int(self._require_concrete("int()"))

    def __complex__(self):
        return complex(self._require_concrete("complex()"))

    def __index__(self):
        return self._require_concrete("use as an index (__index__)").__index__()

    def __array__(self, dtype=None, copy=None):
        return self._require_concrete("conversion to a NumPy array").__array__(dtype, copy)

    def item(self, *args):
        return self._require_concrete("item()").item(*args)

    def tolist(self):
        return self._require_concrete("tolist()").tolist()

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>with<{self._trace.main.name}>"


class EvalTrace(Trace):
    """Level 0: evaluates primitives now, on NumPy values."""

    __slots__ = ()

    def pure(self, value):
        return to_tensor(value)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        return eval_primitive(primitive, tracers, params)


_device_evaluator = [None]


def set_device_evaluator(evaluator) -> None:
    """Registers `evaluator(primitive, args, params)`, which evaluates a primitive whose
    operands include arrays on a non-CPU device there (compiled kernels), or returns
    None to let NumPy evaluate it on the host. Core compiles nothing itself:
    `irax.transforms.device_kernels` registers it when irax is imported."""
    _device_evaluator[0] = evaluator


def eval_primitive(primitive, args, params):
    """Runs `primitive` on concrete arrays: `primitive.impl` (NumPy) for host and CPU
    arrays, wrapped as ArrayImpl; the device evaluator when an operand lives on a
    non-CPU device (no silent copy to the host)."""
    for a in args:
        if type(a) is BufferArray and a.device.platform != "cpu":
            out = _device_evaluator[0](primitive, args, params)
            if out is not None:
                return out
            break
    return eval_on_host(primitive, args, params)


def eval_on_host(primitive, args, params):
    """`primitive.impl` (NumPy) on concrete arrays, wrapped as ArrayImpl(s)."""
    out = primitive.impl(*[a._value for a in args], **params)
    weak = primitive.weak_type_rule(args, params)
    if primitive.multiple_results:
        weaks = weak if isinstance(weak, list) else [weak] * len(out)
        return [ArrayImpl(o, w and o.dtype != bool) for o, w in zip(out, weaks)]
    return ArrayImpl(out, weak and out.dtype != bool)


_EVAL_MAIN = MainTrace(0, EvalTrace, "eval")  # stateless: shared by every thread


class _TraceState:
    """One thread's transforms in progress: `stack` (a main's level is its index, eval
    at 0) and `dynamic`, the innermost graph trace that records constants (or None)."""

    __slots__ = ("dynamic", "stack")

    def __init__(self):
        self.stack: list[MainTrace] = [_EVAL_MAIN]
        self.dynamic: MainTrace | None = None


class _ThreadLocal(threading.local):
    def __init__(self):
        self.state = _TraceState()  # a new thread starts with eager evaluation only


_local = _ThreadLocal()
# One entry per transform (`_mains`) and per graph trace that records constants
# (`_dynamic_mains`) in progress in any thread: appends and pops are atomic. Empty means
# none in this thread either (a thread's own append precedes its own binds), so the
# eager fast paths read the thread's state only while some thread is transforming.
_mains: list[None] = []
_dynamic_mains: list[None] = []


@contextmanager
def new_main(trace_type: type, name: str, global_data=None, dynamic: bool = False):
    """Pushes a transform onto this thread's stack for the duration of the `with` block.

    `dynamic=True` makes it see every primitive, constants included (graph building).
    """
    state = _local.state
    stack = state.stack
    main = MainTrace(len(stack), trace_type, name, global_data)
    outer = state.dynamic
    _mains.append(None)
    stack.append(main)
    if dynamic:
        _dynamic_mains.append(None)
        state.dynamic = main
    try:
        yield main
    finally:
        main.alive = False
        main.trace = None  # break the main <-> trace cycle: what the transform held
        stack.pop()        # (a linear tape's residual buffers) is freed at once
        _mains.pop()
        if dynamic:
            state.dynamic = outer
            _dynamic_mains.pop()


def no_transform_active() -> bool:
    """True when only eager evaluation is on this thread's stack."""
    return not _mains or len(_local.state.stack) == 1


def concrete_values_evaluate() -> bool:
    """True when primitives on concrete arrays evaluate at once (no graph trace that
    records constants is active in this thread): the condition of eager fast paths."""
    return not _dynamic_mains or _local.state.dynamic is None


def innermost_main(predicate) -> MainTrace | None:
    """The innermost transform in progress in this thread for which `predicate(main)`
    holds."""
    for main in reversed(_local.state.stack):
        if predicate(main):
            return main
    return None


def _escaped(tracer: Tracer) -> UnexpectedTracerError:
    """The error for a tracer whose transform is not on this thread's stack."""
    error = UnexpectedTracerError(tracer)
    if tracer._trace.main.alive:
        message = (f"Encountered a tracer {tracer.aval.str_short()} of "
                   f"{tracer.transform_name()}, which is in progress in another thread "
                   f"({threading.current_thread().name} used it). A traced value is valid "
                   "only in the thread that traces it: pass concrete arrays between "
                   "threads, or return traced values from the transformed function.")
        error.args = (message,)
    return error


def find_top_trace(args) -> Trace:
    """The trace that handles a primitive applied to `args`."""
    state = _local.state
    stack = state.stack
    top = _EVAL_MAIN
    for arg in args:
        if isinstance(arg, Tracer):
            main = arg._trace.main
            level = main.level
            if level >= len(stack) or stack[level] is not main:
                raise _escaped(arg)
            if level > top.level:
                top = main
    dynamic = state.dynamic
    if dynamic is not None and dynamic.level > top.level:
        top = dynamic
    return top.trace


def full_raise(trace: Trace, value) -> Tracer:
    """`value` as a tracer of `trace`, lifting lower-level values into it."""
    if not isinstance(value, Tracer):
        return trace.pure(value)
    main = value._trace.main
    if main is trace.main:
        return value
    stack = _local.state.stack
    level = main.level
    if level >= len(stack) or stack[level] is not main:
        raise _escaped(value)
    if level < trace.main.level:
        return trace.lift(value)
    raise UnexpectedTracerError(value)


def full_lower(value):
    return value.full_lower() if isinstance(value, Tracer) else value


def bind(primitive, args, params):
    """Applies `primitive` to `args` under the transform that owns them."""
    if not _dynamic_mains or _local.state.dynamic is None:  # no trace records constants
        for a in args:
            if type(a) is not ArrayImpl:
                break
        else:
            return eval_on_host(primitive, args, params)  # host arrays only: no device
    trace = find_top_trace(args)
    tracers = [full_raise(trace, a) for a in args]
    out = trace.process_primitive(primitive, tracers, params)
    if primitive.multiple_results:
        return [full_lower(o) for o in out]
    return full_lower(out)


def bind_custom_jvp(fun, jvp, args):
    """Calls flat `fun(*args)` under the innermost transform, which may use the flat
    rule `jvp(primals, tangents) -> (primals_out, tangents_out)` instead."""
    trace = find_top_trace(args)
    outs = trace.process_custom_jvp_call(fun, jvp, [full_raise(trace, a) for a in args])
    return [full_lower(o) for o in outs]


def bind_custom_vjp(fun, fwd, bwd, args):
    """Calls flat `fun(*args)` under the innermost transform; reverse mode uses
    `fwd(*args) -> (outs, residuals)` and `bwd(residuals, cotangents) -> cotangents`."""
    trace = find_top_trace(args)
    outs = trace.process_custom_vjp_call(fun, fwd, bwd, [full_raise(trace, a) for a in args])
    return [full_lower(o) for o in outs]


def get_aval(value) -> ShapedArray:
    """The abstract value of a Tensor or of anything `to_tensor` accepts."""
    if isinstance(value, Tensor):
        return value.aval
    return to_tensor(value).aval
