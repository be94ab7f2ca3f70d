"""Eager primitives on accelerators, and Graphs in a device's storage dtypes.

Placement (where arrays live, which device a computation runs on) is
`irax.runtime.placement`'s; this module builds what runs there from Graphs. An eager
primitive with an operand on a non-CPU device runs where its operands live: a kernel compiled once per `KernelKey` (primitive, params, avals, device) from a
one-equation Graph, through the persistent compile cache. Results stay on the device;
nothing is copied to the host. CPU and host arrays keep the NumPy path.
"""
import threading
import time
from typing import NamedTuple

import numpy as np

from irax.core.aval import ShapedArray
from irax.core.graph import ClosedGraph, eval_graph
from irax.core.graph_trace import trace_to_graph
from irax.core.primitive import Primitive
from irax.core.primitives.elementwise import convert_element_type_p
from irax.core.tensor import BufferArray
from irax.core.trace import set_device_evaluator
from irax.mlir_lowering import lower_graph
from irax.runtime import Device, compile_cached, load_executable
from irax.runtime.placement import computation_device, device_buffer

from . import loaded_programs


def stored_graph(closed: ClosedGraph, device: Device,
                 consts_as_arguments: bool = True) -> ClosedGraph:
    """`closed` with its arguments and results in `device.storage_dtype`s, converted to
    and from the program's own dtypes at its boundary (the same graph on most devices).
    Consts become leading arguments, as `lower_graph` passes them, unless
    `consts_as_arguments` is False (an exported module embeds them)."""
    graph = closed.graph
    params = [*graph.constvars, *graph.invars] if consts_as_arguments else graph.invars
    if all(device.storage_dtype(v.aval.dtype) == v.aval.dtype
           for v in (*params, *graph.outvars)):
        return closed

    def converted(*stored):
        args = [_convert(x, v.aval.dtype) for x, v in zip(stored, params)]
        if consts_as_arguments:
            num_consts = len(graph.constvars)
            outs = eval_graph(graph, args[:num_consts], args[num_consts:])
        else:
            outs = eval_graph(graph, closed.consts, args)
        return [_convert(o, device.storage_dtype(o.aval.dtype)) for o in outs]

    avals = [ShapedArray(v.aval.shape, device.storage_dtype(v.aval.dtype), v.aval.weak_type)
             for v in params]
    return trace_to_graph(converted, avals, name="stored")


def _convert(x, dtype: np.dtype):
    if x.aval.dtype == dtype:
        return x
    return convert_element_type_p.bind(x, new_dtype=dtype, weak_type=False)


class KernelKey(NamedTuple):
    """What an eager kernel depends on."""
    primitive: Primitive
    params: tuple  # (name, frozen value) pairs, sorted
    in_avals: tuple
    device: Device


class KernelStats(NamedTuple):
    """Process-wide counts of eager device kernels since start (or `reset_kernel_stats`)."""
    builds: int  # kernels traced, lowered and loaded (compiles may still hit the cache)
    launches: int  # kernel calls
    build_seconds: float


class Kernel:
    """One primitive, compiled and loaded on one device; returns BufferArrays there."""

    __slots__ = ("const_buffers", "device", "executable", "key", "nbytes", "out_avals",
                 "recently_used")

    def __init__(self, key: KernelKey, params: dict):
        primitive, device = key.primitive, key.device

        def one_equation(*operands):
            out = primitive.bind(*operands, **params)
            return list(out) if primitive.multiple_results else [out]

        closed = trace_to_graph(one_equation, list(key.in_avals), name=primitive.name)
        name = "eager_" + primitive.name
        lowered = lower_graph(stored_graph(closed, device), name)
        vmfb = compile_cached(lowered.text, device.target, name=name)
        self.executable = load_executable(vmfb, device)
        self.const_buffers = [device.put(a) for a in lowered.hoisted] + [
            device_buffer(c, v.aval, device) for c, v in
            zip(closed.consts, closed.graph.constvars)]
        self.out_avals = closed.graph.out_avals
        self.device = device
        self.key = key
        self.nbytes = len(vmfb)

    def release(self) -> None:
        """Forgets this kernel; the next eager call of its key builds it again."""
        with _kernels_lock:
            if _kernels.get(self.key) is self:
                del _kernels[self.key]

    def __call__(self, args, committed: bool) -> list[BufferArray]:
        self.recently_used = True
        device = self.device
        buffers = [device_buffer(a, a.aval, device) for a in args]
        outs = self.executable(*self.const_buffers, *buffers)
        _count(launches=1)
        return [BufferArray(b, device, a, committed) for b, a in zip(outs, self.out_avals)]


_kernels: dict[KernelKey, Kernel] = {}
_kernels_lock = threading.Lock()


def evaluate_on_device(primitive: Primitive, args, params: dict):
    """Evaluates `primitive` on concrete `args` of which at least one lives on a non-CPU
    device, with that device's cached kernel; None when the computation belongs on the
    CPU (a committed CPU operand), which NumPy then evaluates.

    Raises:
      DeviceMismatchError: operands committed to different devices.
      UnsupportedTypeError: a dtype the device's compile target lacks (float64 on Vulkan).
    """
    device, committed = _eager_device(primitive, args)
    if device.platform == "cpu":
        return None
    key = KernelKey(primitive, _frozen(params), tuple(a.aval for a in args), device)
    kernel = _kernels.get(key)
    if kernel is None:  # built outside the lock (compiles have their own per-program lock)
        start = time.perf_counter()
        built = Kernel(key, params)
        with _kernels_lock:
            kernel = _kernels.setdefault(key, built)
        if kernel is built:
            _count(builds=1, build_seconds=time.perf_counter() - start)
            loaded_programs.admit(kernel, kernel.nbytes)
    outs = kernel(args, committed)
    return outs if primitive.multiple_results else outs[0]


def clear_kernels() -> None:
    """Forgets every eager device kernel (`irax.clear_caches`)."""
    with _kernels_lock:
        _kernels.clear()


def _eager_device(primitive: Primitive, args) -> tuple[Device, bool]:
    """Where an eager primitive runs: on its committed operands' device, else where
    its first operand on a non-CPU device lives (the data stays put)."""
    device, committed = computation_device(args, what=f"eager {primitive.name}",
                                           label=lambda i: f"operand {i}")
    if committed:
        return device, True
    for a in args:
        if type(a) is BufferArray and a.device.platform != "cpu":
            return a.device, False
    return device, False


def _frozen(value):
    """A hashable stand-in for a params value (lists, dicts, NumPy arrays)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    return value


_stats_lock = threading.Lock()
_stats = dict.fromkeys(KernelStats._fields, 0)


def _count(**increments) -> None:
    with _stats_lock:
        for field, n in increments.items():
            _stats[field] += n


def kernel_stats() -> KernelStats:
    """A snapshot of the eager kernel counters.

    Example:
      >>> before = kernel_stats().launches
      >>> _ = jnp.sin(irax.device_put(np.ones(3, np.float32), irax.devices("vulkan")[0]))
      >>> kernel_stats().launches - before
      1
    """
    with _stats_lock:
        return KernelStats(**_stats)


def reset_kernel_stats() -> None:
    """Sets every counter of `kernel_stats()` back to zero."""
    with _stats_lock:
        for field in _stats:
            _stats[field] = 0


set_device_evaluator(evaluate_on_device)
