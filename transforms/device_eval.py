"""Arrays on devices: explicit placement, the device a computation runs on, and eager
primitives evaluated on a device by cached single-primitive kernels.

Placement follows JAX. Host arrays (NumPy data) are *uncommitted*: a computation
moves them to its device. `device_put(x, device)` and results computed from such
arrays are *committed* to their device. A computation runs on its explicit device
(`jit(f, device=...)`), else on the one device its committed arguments share, else on
the default device (``irax.config.default_device``, env ``IRAX_PLATFORM``). Committed
arguments on two devices are an error: transfers are explicit.

An eager primitive with an operand on a non-CPU device runs where its operands live:
a kernel compiled once per `KernelKey` (primitive, params, avals, device) from a
one-equation Graph, through the persistent compile cache. Results stay on the device;
nothing is copied to the host. CPU and host arrays keep the NumPy path.
"""
import threading
import time
from typing import NamedTuple

import numpy as np

from irax.core import pytree
from irax.core.aval import ShapedArray
from irax.core.config import config
from irax.core.graph import ClosedGraph, eval_graph
from irax.core.graph_trace import trace_to_graph
from irax.core.primitive import Primitive
from irax.core.primitives.elementwise import convert_element_type_p
from irax.core.tensor import ArrayImpl, BufferArray, set_host_device, to_tensor
from irax.core.trace import Tracer, set_device_evaluator
from irax.mlir_lowering import lower_graph
from irax.runtime import CpuDevice, Device, compile_cached, load_executable
from irax.runtime.device import PLATFORMS, devices

from . import loaded_programs


class DeviceMismatchError(ValueError):
    """Committed arrays on different devices met in one computation."""


def default_device() -> Device:
    """The device of computations whose arguments are not committed to one:
    ``irax.config.default_device`` (a `Device`, a platform name such as ``"vulkan"``, or
    ``"vulkan:1"``), by default the first CPU device.

    Raises:
      ValueError: the setting names no platform or device irax knows.
      RuntimeError: the platform has no device here.
    """
    setting = config.default_device
    device = _resolved_defaults.get(setting)
    if device is None:
        device = _resolved_defaults[setting] = _resolve_default(setting)
    return device


_resolved_defaults: dict[object, Device] = {}


def _resolve_default(setting) -> Device:
    if setting is None:
        return CpuDevice(0)
    if isinstance(setting, Device):
        return setting
    platform, _, index = str(setting).partition(":")
    if platform not in PLATFORMS or not (index.isdigit() or not index):
        raise ValueError(f"irax.config.default_device={setting!r} is not a device: use a "
                         f"Device, a platform ({', '.join(sorted(PLATFORMS))}) or "
                         "'platform:index'")
    found = devices(platform)
    index = int(index or 0)
    if index >= len(found):
        raise ValueError(f"irax.config.default_device={setting!r}: there are only "
                         f"{len(found)} {platform} device(s): {found}")
    return found[index]


def computation_device(leaves, explicit: Device | None = None, *, what: str = "jit",
                       label=None) -> tuple[Device, bool]:
    """(device, committed) of a computation on flat arguments `leaves`.

    `explicit` (``jit(..., device=)``) wins and moves every argument there; otherwise
    the device the committed arguments share, otherwise `default_device()`. The result
    is committed unless the default was used. `label(i)` names leaf `i` in errors.

    Raises:
      DeviceMismatchError: committed arguments on different devices (without
        `explicit`); the message names both arguments and both devices.
    """
    committed = first = None
    for i, x in enumerate(leaves):
        if type(x) is BufferArray and x.committed:
            if committed is None:
                committed, first = x.device, i
            elif x.device != committed and explicit is None:
                name = label or (lambda n: f"operand {n}")
                hint = ", or pass jit(..., device=...)" if what.startswith("jit") else ""
                raise DeviceMismatchError(
                    f"{what}: arguments are committed to different devices: {name(first)} "
                    f"is on {committed} and {name(i)} on {x.device}. Move one with "
                    f"irax.device_put(x, device){hint}")
    if explicit is not None:
        return explicit, True
    if committed is not None:
        return committed, True
    return default_device(), False


def device_buffer(x, aval: ShapedArray, device: Device):
    """`x` as a buffer on `device`: a BufferArray there is used as is; other arrays are
    copied once (the copy is kept on the immutable array for later calls). An array on
    another device goes through the host (an explicit transfer: counted by
    `runtime.device.transfer_stats`)."""
    if type(x) is BufferArray and x.device == device:
        return x.buffer
    if isinstance(x, ArrayImpl):
        cached = x._device_copy
        if cached is not None and cached[0] == device:
            return cached[1]
        buffer = device.put(np.asarray(x._value, device.storage_dtype(aval.dtype)))
        x._device_copy = (device, buffer)
        return buffer
    return device.put(np.asarray(x, device.storage_dtype(aval.dtype)))


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


def device_put(x, device: Device | None = None):
    """`device_put(x, device=None)`: copies the arrays of pytree `x` to `device`.

    Args:
      x: a pytree of arrays, NumPy arrays or Python scalars.
      device: a `Device` (see `irax.devices()`); the results are committed to it.
        None: `default_device()`, uncommitted (later computations may move them).

    Returns:
      `x` with every leaf an array whose data lives in a buffer of `device` (dtype and
      weak type kept). An array already there shares its buffer; an array on another
      device is copied through the host. Tracers (inside transforms) pass unchanged.

    Example:
      >>> vk = irax.devices("vulkan")[0]
      >>> x = irax.device_put(np.arange(3.0, dtype=np.float32), vk)
      >>> x.device, jnp.sin(x).device          # eager ops run on Vulkan too
      (VulkanDevice(id=0, 'llvmpipe ...'), VulkanDevice(id=0, 'llvmpipe ...'))
    """
    if device is not None and not isinstance(device, Device):
        raise TypeError(f"device_put: device must be an irax Device (see irax.devices()), "
                        f"not {type(device).__name__} {device!r}")
    target = default_device() if device is None else device
    committed = device is not None

    def put(leaf):
        if isinstance(leaf, Tracer):
            return leaf
        array = to_tensor(leaf)
        if type(array) is BufferArray and array.device == target:
            return BufferArray(array.buffer, target, array.aval, committed or array.committed)
        return BufferArray(device_buffer(array, array.aval, target), target, array.aval,
                           committed)

    return pytree.tree_map(put, x)


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


set_host_device(CpuDevice(0))
set_device_evaluator(evaluate_on_device)
