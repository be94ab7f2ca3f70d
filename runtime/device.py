"""Devices: one IREE HAL device each, created on first use, plus host ↔ device copies.

A `Device` names a platform ("cpu", "cuda", "hip", "vulkan") and an index. Its HAL
driver and the compile target its programs need come from `PLATFORMS`. Equal devices
share one HAL device (and one HAL VM module) per process. "metal" is a compile target
only: IREE's Python runtime has no Metal driver, so a Metal device cannot be created.

CPU devices use the ``local-sync`` driver by default. It runs a program inline on the
calling thread: ~4.5 µs per call of ``add(f32[8], f32[8])``, against 25-45 µs for
``local-task``, whose hand-off to worker threads dominates small programs (its thread
pool wins on large ones: two 1024² matmuls, 44 ms against 60 ms on 2 cores).
``IRAX_CPU_DRIVER=local-task`` selects it. ``IRAX_NUM_CPU_DEVICES=N`` makes N
independent CPU devices (pmap on one host).

Every copy between host and device is counted (`transfer_stats()`), so tests can
check that a computation stayed on its device.
"""
import functools
import os
import re
import threading
import time
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
from iree import runtime as ireert
from iree.runtime import BufferUsage, HalBufferView, HalElementType, HalFence, MemoryType


class Platform(NamedTuple):
    """How irax reaches one kind of device."""
    driver: str | None  # iree.runtime HAL driver name; None: a compile target only
    target: str  # key of compiler.TARGET_FLAGS
    class_name: str  # what `repr` calls its devices


PLATFORMS: dict[str, Platform] = {
    "cpu": Platform(os.environ.get("IRAX_CPU_DRIVER", "local-sync"), "cpu", "CpuDevice"),
    "cuda": Platform("cuda", "cuda", "CudaDevice"),
    "hip": Platform("hip", "hip", "HipDevice"),
    "vulkan": Platform("vulkan", "vulkan", "VulkanDevice"),
    "metal": Platform(None, "metal", "MetalDevice"),
}

METAL_UNAVAILABLE = (
    "irax cannot run programs on Metal: IREE's Python runtime has no Metal driver. "
    "'metal' is a compile target only: export with irax.export(..., target='metal') and "
    "run the .vmfb on macOS with IREE's native runtime (iree-run-module --device=metal).")

_HOST_DRIVERS = ("local-sync", "local-task")
_lock = threading.Lock()
_hal_devices: dict[tuple[str, int], ireert.HalDevice] = {}
_hal_modules: dict[tuple[str, int], ireert.VmModule] = {}
_vm_instance: ireert.VmInstance | None = None


class Device:
    """One device of a platform, e.g. ``Device("vulkan", 0)``; see `CpuDevice`.

    Attributes:
      platform: key of `PLATFORMS`.
      id: index among the platform's devices.
      driver: the IREE HAL driver.
      target: the compile target (key of `compiler.TARGET_FLAGS`) of its programs.

    Raises:
      ValueError: an unknown platform, or "metal" (a compile target only).
    """
    __slots__ = ("driver", "id", "platform", "target")

    def __init__(self, platform: str, id: int = 0):
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; known: {sorted(PLATFORMS)}")
        if PLATFORMS[platform].driver is None:
            raise ValueError(METAL_UNAVAILABLE)
        self.platform = platform
        self.id = id
        self.driver, self.target, _ = PLATFORMS[platform]

    @property
    def name(self) -> str:
        """The name the HAL driver reports, e.g. ``'llvmpipe (LLVM 15.0.6, 256 bits) ...'``
        ('' for CPU devices and for an index the driver does not report)."""
        if self.driver in _HOST_DRIVERS:
            return ""
        available = _available_devices(self.driver)
        return available[self.id]["name"] if self.id < len(available) else ""

    def __repr__(self) -> str:
        name = self.name
        return (f"{PLATFORMS[self.platform].class_name}(id={self.id}"
                f"{', ' + repr(name) if name else ''})")

    def __eq__(self, other) -> bool:
        return (isinstance(other, Device) and self.platform == other.platform
                and self.id == other.id)

    def __hash__(self) -> int:
        return hash((self.platform, self.id))

    @property
    def hal_device(self) -> ireert.HalDevice:
        """The IREE HAL device, created on first use and then shared."""
        key = (self.driver, self.id)
        device = _hal_devices.get(key)
        if device is None:
            with _lock:
                device = _hal_devices.get(key)
                if device is None:
                    device = _hal_devices[key] = _create_hal_device(self.driver, self.id)
        return device

    @property
    def hal_module(self) -> ireert.VmModule:
        """The HAL VM module bound to this device, shared by every program loaded on it."""
        return self.hal_module_for(self.driver)

    def hal_module_for(self, driver: str) -> ireert.VmModule:
        """The HAL VM module of this device through `driver`: its own driver, or, for a
        CPU device, the other host driver (`local-sync` and `local-task` devices share
        host memory, so their buffers mix freely; see runtime/compile_policy.py)."""
        if driver != self.driver and not (driver in _HOST_DRIVERS
                                          and self.driver in _HOST_DRIVERS):
            raise ValueError(f"{self} cannot run programs through the {driver!r} driver")
        key = (driver, self.id)
        module = _hal_modules.get(key)
        if module is None:
            instance = vm_instance()
            with _lock:
                hal_device = _hal_devices.get(key)
                if hal_device is None:
                    hal_device = _hal_devices[key] = _create_hal_device(driver, self.id)
                module = _hal_modules.get(key)
                if module is None:
                    module = _hal_modules[key] = ireert.create_hal_module(instance, hal_device)
        return module

    def storage_dtype(self, dtype: np.dtype) -> np.dtype:
        """The dtype this device's buffers hold for arrays of `dtype`: `dtype` itself,
        except on Vulkan, where IREE's default SPIR-V target emulates 8- and 16-bit
        storage with 32-bit words and loses the last partial word of a buffer whose size
        is not a multiple of 4 bytes (bool[3] came back wrong on lavapipe). There such
        arrays are stored widened to 32 bits; programs convert at their boundary."""
        if self.platform == "vulkan" and dtype.itemsize < 4:
            return _WIDE_STORAGE[dtype.kind]
        return dtype

    def put(self, x) -> HalBufferView:
        """Copies an array-like to a new device buffer, with NumPy's dtype (so a Python
        float becomes float64: pass arrays of the intended dtype).

        Example:
          >>> CpuDevice().put(np.arange(3, dtype=np.float32)).shape
          [3]
        """
        array = np.asarray(x, order="C")  # not ascontiguousarray: it makes 0-d arrays 1-d
        element_type = _element_type(array.dtype)
        hal = self.hal_device
        _count(to_device=1)
        try:
            return hal.allocator.allocate_buffer_copy(
                memory_type=MemoryType.DEVICE_LOCAL, allowed_usage=BufferUsage.DEFAULT,
                device=hal, buffer=array, element_type=element_type)
        except RuntimeError as error:
            raise_if_out_of_memory(error, self, f"copying {_describe(array)} to it",
                                   array.nbytes)
            raise

    def to_host(self, buffer_view: HalBufferView) -> np.ndarray:
        """Copies a buffer of this device into a new NumPy array (blocks until ready).

        Host-visible buffers are mapped and copied; others are staged through a
        host-visible buffer with a queue copy (GPU memory, lavapipe).
        """
        buffer = buffer_view.get_buffer()
        dtype = HalElementType.map_to_dtype(buffer_view.element_type)
        _count(to_host=1)
        if (buffer.memory_type() & _HOST_VISIBLE == _HOST_VISIBLE
                and buffer.allowed_usage() & _MAPPING == _MAPPING):
            return np.array(buffer_view.map().asarray(buffer_view.shape, dtype))
        return self._staged_to_host(buffer_view, dtype)

    def _staged_to_host(self, buffer_view: HalBufferView, dtype: np.dtype) -> np.ndarray:
        hal = self.hal_device
        source = buffer_view.get_buffer()
        try:
            staging = hal.allocator.allocate_buffer(
                memory_type=MemoryType.HOST_LOCAL | MemoryType.DEVICE_VISIBLE,
                allowed_usage=BufferUsage.TRANSFER_TARGET | BufferUsage.MAPPING_SCOPED,
                allocation_size=source.byte_length())
        except RuntimeError as error:
            raise_if_out_of_memory(error, self, "staging a result for the host",
                                   source.byte_length())
            raise
        semaphore = hal.create_semaphore(0)
        hal.queue_copy(source, staging, wait_semaphores=HalFence.create_at(semaphore, 0),
                       signal_semaphores=HalFence.create_at(semaphore, 1))
        HalFence.create_at(semaphore, 1).wait()
        return np.array(staging.map().asarray(buffer_view.shape, dtype))


class CpuDevice(Device):
    """The host CPU as an IREE device (``local-sync`` driver by default).

    Example:
      >>> CpuDevice(0) == CpuDevice() == Device("cpu", 0)
      True
    """
    __slots__ = ()

    def __init__(self, id: int = 0):
        super().__init__("cpu", id)


class CudaDevice(Device):
    """An NVIDIA GPU (IREE's ``cuda`` driver; programs compiled for ``sm_80`` by default)."""
    __slots__ = ()

    def __init__(self, id: int = 0):
        super().__init__("cuda", id)


class HipDevice(Device):
    """An AMD GPU (IREE's ``hip`` driver)."""
    __slots__ = ()

    def __init__(self, id: int = 0):
        super().__init__("hip", id)


class VulkanDevice(Device):
    """A Vulkan device (IREE's ``vulkan`` driver), e.g. Mesa's lavapipe on the CPU.

    IREE's default SPIR-V target has no float64, and its float16 gives wrong results
    on lavapipe: programs with either are refused with a clear error.
    """
    __slots__ = ()

    def __init__(self, id: int = 0):
        super().__init__("vulkan", id)


_DEVICE_CLASSES = {"cpu": CpuDevice, "cuda": CudaDevice, "hip": HipDevice,
                   "vulkan": VulkanDevice}


def devices(platform: str | None = None) -> list[Device]:
    """`devices(platform=None)`: the devices irax can run programs on.

    Args:
      platform: "cpu", "cuda", "hip" or "vulkan"; None lists every platform whose
        driver is present here (CPU first). ``IRAX_NUM_CPU_DEVICES`` (default 1) sets
        the number of CPU devices.

    Returns:
      A list of `Device`s, e.g. ``[CpuDevice(id=0), VulkanDevice(id=0, 'llvmpipe ...')]``.

    Raises:
      ValueError: an unknown platform, or "metal" (IREE's Python runtime has no Metal
        driver: metal is a compile target only).
      RuntimeError: `platform` was named but has no device here (the driver's reason).

    Example:
      >>> irax.devices("cpu")
      [CpuDevice(id=0)]
    """
    if platform is None:
        found = []
        for name, (driver, _, _) in PLATFORMS.items():
            if driver is not None:
                found += _platform_devices(name)
        return found
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; known: {sorted(PLATFORMS)}")
    if PLATFORMS[platform].driver is None:
        raise ValueError(METAL_UNAVAILABLE)
    found = _platform_devices(platform)
    if not found:
        driver = PLATFORMS[platform].driver
        raise RuntimeError(f"no {platform} device: IREE's {driver!r} driver "
                           f"{_driver_problem(driver) or 'reports no devices'}")
    return found


def _platform_devices(platform: str) -> list[Device]:
    if platform == "cpu":
        count = int(os.environ.get("IRAX_NUM_CPU_DEVICES", "1"))
        return [CpuDevice(i) for i in range(count)]
    cls = _DEVICE_CLASSES[platform]
    return [cls(i) for i in range(len(_available_devices(PLATFORMS[platform].driver)))]


@functools.cache
def _available_devices(driver_name: str) -> tuple[dict, ...]:
    """What the HAL driver reports (empty when the driver cannot load here)."""
    if _driver_problem(driver_name):
        return ()
    return tuple(ireert.get_driver(driver_name).query_available_devices())


@functools.cache
def _driver_problem(driver_name: str) -> str:
    """Why the driver cannot load here ('' when it can)."""
    try:
        ireert.get_driver(driver_name)
    except (RuntimeError, ValueError) as e:
        return f"is unavailable ({str(e).strip().splitlines()[0]})"
    return ""


def release_idle_devices(in_use: Iterable[Device],
                         held: Iterable[ireert.HalDevice] = ()) -> list[Device]:
    """Releases the HAL device (and HAL module) of every accelerator device that is
    neither in `in_use` nor one of the HAL devices in `held`; its next use creates it
    again. CPU devices are kept: idle, they cost nothing.

    Why: IREE's Vulkan driver keeps two threads polling while a device exists, and on
    Mesa's lavapipe they keep two cores busy (docs/iree_defects.md, defect 16), which
    slowed everything else in the process about threefold. `irax.clear_caches()` calls
    this with every device that a live array or loaded program still uses: a buffer of a
    released device must never meet a program of the device that replaces it.

    Returns:
      The devices released.
    """
    keep, held_ids = set(in_use), {id(hal) for hal in held}
    released = []
    with _lock:
        for (driver, id_), hal in list(_hal_devices.items()):
            if driver in _HOST_DRIVERS or id(hal) in held_ids:
                continue
            device = _DEVICE_CLASSES[_platform_of_driver(driver)](id_)
            if device not in keep:
                del _hal_devices[driver, id_]
                _hal_modules.pop((driver, id_), None)
                released.append(device)
    return released


def open_devices() -> list[Device]:
    """The devices whose HAL device is open in this process now, e.g.
    ``[CpuDevice(id=0), VulkanDevice(id=0, 'llvmpipe ...')]``."""
    with _lock:
        keys = sorted(_hal_devices)
    return list(dict.fromkeys(_DEVICE_CLASSES[_platform_of_driver(driver)](id_)
                              for driver, id_ in keys))


def _platform_of_driver(driver: str) -> str:
    if driver in _HOST_DRIVERS:
        return "cpu"
    return next(name for name, p in PLATFORMS.items() if p.driver == driver)


class DeviceMemoryError(MemoryError, RuntimeError):
    """A device ran out of memory: IREE reported RESOURCE_EXHAUSTED while allocating.

    The message names the device, what irax was doing and the size asked for; irax stays
    usable afterwards. It is a `MemoryError`, and a `RuntimeError` as IREE's own error was.

    Attributes:
      device: the `Device` that ran out of memory.
      nbytes: the size in bytes of the allocation that failed when IREE names it, else of
        everything being allocated (the array copied, the program's results); None if
        unknown.
    """

    def __init__(self, message: str, device: "Device | None" = None,
                 nbytes: int | None = None):
        super().__init__(message)
        self.device = device
        self.nbytes = nbytes


_ALLOCATION_SIZE = re.compile(r"allocation size (\d+)")


def raise_if_out_of_memory(error: RuntimeError, device: Device, doing: str,
                           nbytes: int | None) -> None:
    """Raises a `DeviceMemoryError` in place of IREE's `error` if that reports exhausted
    memory (status RESOURCE_EXHAUSTED); returns otherwise, for the caller to re-raise.

    Args:
      error: what IREE raised.
      device: the device that was allocating.
      doing: what irax was doing there, e.g. ``"copying f32[1000] (3.91 KiB) to it"``.
      nbytes: the bytes irax asked for in all (None if unknown); IREE's own figure for
        the allocation that failed replaces it when IREE's message gives one.

    Example:
      >>> try:
      ...     buffer = device.hal_device.allocator.allocate_buffer(...)
      ... except RuntimeError as error:
      ...     raise_if_out_of_memory(error, device, "allocating a buffer", size)
      ...     raise
    """
    reason = str(error).strip()
    if "RESOURCE_EXHAUSTED" not in reason:
        return
    named = _ALLOCATION_SIZE.search(reason)
    if named:
        nbytes = int(named.group(1))
    failed = (f": an allocation of {nbytes} bytes ({format_bytes(nbytes)}) failed"
              if named else "")
    raise DeviceMemoryError(
        f"out of memory on {device} while {doing}{failed}. Use smaller arrays or fewer "
        "at once (e.g. map over chunks with lax.map), or delete device arrays that are "
        f"no longer needed.\nIREE: {reason}", device=device, nbytes=nbytes) from None


def format_bytes(nbytes: int) -> str:
    """`nbytes` in binary units, as NumPy's MemoryError says it: ``'3.35 GiB'``."""
    if nbytes < 1024:
        return f"{nbytes} bytes"
    scaled = float(nbytes)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        scaled /= 1024
        if scaled < 1024:
            break
    return f"{scaled:.2f} {unit}"


def _describe(array: np.ndarray) -> str:
    """``'f32[1000,1000] (3.81 MiB)'``: an array's type, as in printed Graphs, and size."""
    kind = array.dtype.kind
    name = (f"{kind}{array.dtype.itemsize * 8}" if kind in "fiuc"
            else "bool" if kind == "b" else array.dtype.name)
    return f"{name}[{','.join(map(str, array.shape))}] ({format_bytes(array.nbytes)})"


class TransferStats(NamedTuple):
    """Process-wide counts of buffer copies since start (or `reset_transfer_stats()`)."""
    to_device: int  # host → device (`Device.put`)
    to_host: int  # device → host (`Device.to_host`)


_transfers = dict.fromkeys(TransferStats._fields, 0)
_transfers_lock = threading.Lock()


def _count(**increments) -> None:
    with _transfers_lock:
        for field, n in increments.items():
            _transfers[field] += n


def transfer_stats() -> TransferStats:
    """A snapshot of the host ↔ device copy counters.

    Example:
      >>> before = transfer_stats().to_host
      >>> np.asarray(irax.device_put(np.ones(3), irax.devices("vulkan")[0]))
      >>> transfer_stats().to_host - before
      1
    """
    with _transfers_lock:
        return TransferStats(**_transfers)


def reset_transfer_stats() -> None:
    """Sets every counter of `transfer_stats()` back to zero."""
    with _transfers_lock:
        for field in _transfers:
            _transfers[field] = 0


def to_host(buffer_view: HalBufferView, device: Device | None = None) -> np.ndarray:
    """Copies `buffer_view` (on `device`, default the first CPU device) to a NumPy array.

    Example:
      >>> to_host(CpuDevice().put([1, 2]))
      array([1, 2])
    """
    return (device or CpuDevice()).to_host(buffer_view)


def vm_instance() -> ireert.VmInstance:
    """The process's single IREE VM instance."""
    global _vm_instance
    if _vm_instance is None:
        with _lock:
            if _vm_instance is None:
                _vm_instance = ireert.VmInstance()
    return _vm_instance


# CPU devices allocate through IREE's caching allocator: freed buffers are kept for
# reuse instead of going back to the OS. Without it, every call that produced large
# results paid for fresh pages: a 205 MB fill took 95 ms instead of 10 ms, the
# per-example gradients of a 784-512-512-10 MLP 273 ms instead of 153 ms.
# IRAX_CPU_ALLOCATOR=default turns it off.
_CPU_ALLOCATORS = None if os.environ.get("IRAX_CPU_ALLOCATOR") == "default" else ["caching"]


def _create_hal_device(driver_name: str, id: int) -> ireert.HalDevice:
    if driver_name in _HOST_DRIVERS:  # every CPU device is its own HAL device
        return ireert.get_driver(driver_name).create_default_device(allocators=_CPU_ALLOCATORS)
    problem = _driver_problem(driver_name)
    if problem:
        raise RuntimeError(f"cannot create {driver_name} device {id}: IREE's "
                           f"{driver_name!r} driver {problem}")
    available = _available_devices(driver_name)
    if id >= len(available):
        raise ValueError(f"{driver_name} device {id} requested, but the driver reports "
                         f"{len(available)} device(s)")
    if "llvmpipe" not in available[id]["name"]:
        return ireert.get_driver(driver_name).create_device(available[id]["device_id"])
    threads = _thread_ids()
    device = ireert.get_driver(driver_name).create_device(available[id]["device_id"])
    _confine_pollers(_thread_ids() - threads)
    return device


def _thread_ids() -> set[int]:
    try:
        return {int(t) for t in os.listdir("/proc/self/task")}
    except OSError:  # not Linux
        return set()


def _is_running(thread: int) -> bool:
    """Whether `thread` is running or waiting for a CPU (state R), not sleeping."""
    with open(f"/proc/self/task/{thread}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "R"


def _confine_pollers(new_threads: set[int], samples: int = 5, interval_s: float = 0.01) -> None:
    """Moves the threads of a new lavapipe device that spin while idle onto one CPU.

    IREE's Vulkan driver polls with two threads that each keep a core busy on lavapipe
    (docs/iree_defects.md, defect 16); they also complete the device's work, so they
    cannot be slowed down, but confined to one CPU they leave the others to compiles
    and host code: an f32 compile took 0.54 s instead of 1.01 s next to an open device,
    and a Vulkan call's latency stayed 8 ms. The spinners are the new threads found
    runnable in every one of `samples` looks (the others sleep), which holds on a
    loaded machine too."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2 or not new_threads:
            return
        spinning = set(new_threads)
        for _ in range(samples):
            time.sleep(interval_s)
            spinning = {t for t in spinning if _is_running(t)}
        for thread in spinning:
            os.sched_setaffinity(thread, {cpus[-1]})
    except (OSError, ValueError, IndexError):  # not Linux, or a thread ended: leave it
        pass


_WIDE_STORAGE = {"b": np.dtype(np.int32), "i": np.dtype(np.int32),
                 "u": np.dtype(np.uint32), "f": np.dtype(np.float32), "V": np.dtype(np.float32)}
_HOST_VISIBLE = int(MemoryType.HOST_VISIBLE)
_MAPPING = int(BufferUsage.MAPPING_SCOPED)
_element_types: dict[np.dtype, HalElementType] = {}


def _element_type(dtype: np.dtype) -> HalElementType:
    element_type = _element_types.get(dtype)
    if element_type is None:
        element_type = ireert.array_interop.map_dtype_to_element_type(dtype)
        if element_type is None:
            raise TypeError(f"dtype {dtype} has no IREE element type")
        _element_types[dtype] = element_type
    return element_type
