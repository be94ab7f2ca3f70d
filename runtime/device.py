"""Devices: one IREE HAL device each, created on first use, plus host ↔ device copies.

A `Device` names a platform ("cpu", "cuda", "vulkan", "metal") and an index. Its HAL
driver and the compile target its programs need come from `PLATFORMS`. Equal devices
share one HAL device (and one HAL VM module) per process.

CPU devices use the ``local-sync`` driver by default. It runs a program inline on the
calling thread: ~4.5 µs per call of ``add(f32[8], f32[8])``, against 25-45 µs for
``local-task``, whose hand-off to worker threads dominates small programs (its thread
pool wins on large ones: two 1024² matmuls, 44 ms against 60 ms on 2 cores).
``IRAX_CPU_DRIVER=local-task`` selects it. ``IRAX_NUM_CPU_DEVICES=N`` makes N
independent CPU devices (pmap on one host).
"""
import os
import threading
from typing import NamedTuple

import numpy as np
from iree import runtime as ireert
from iree.runtime import BufferUsage, HalBufferView, HalElementType, HalFence, MemoryType


class Platform(NamedTuple):
    """How irax reaches one kind of device."""
    driver: str  # iree.runtime HAL driver name
    target: str  # key of compiler.TARGET_FLAGS


PLATFORMS: dict[str, Platform] = {
    "cpu": Platform(os.environ.get("IRAX_CPU_DRIVER", "local-sync"), "cpu"),
    "cuda": Platform("cuda", "cuda"),
    "vulkan": Platform("vulkan", "vulkan"),
    "metal": Platform("metal", "metal"),
}

_HOST_DRIVERS = ("local-sync", "local-task")
_lock = threading.Lock()
_hal_devices: dict[tuple[str, int], ireert.HalDevice] = {}
_hal_modules: dict[tuple[str, int], ireert.VmModule] = {}
_vm_instance: ireert.VmInstance | None = None


class Device:
    """One device of a platform, e.g. ``Device("cpu", 0)``; see `CpuDevice`.

    Attributes:
      platform: key of `PLATFORMS`.
      id: index among the platform's devices.
      driver: the IREE HAL driver.
      target: the compile target (key of `compiler.TARGET_FLAGS`) of its programs.
    """
    __slots__ = ("driver", "id", "platform", "target")

    def __init__(self, platform: str, id: int = 0):
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; known: {sorted(PLATFORMS)}")
        self.platform = platform
        self.id = id
        self.driver, self.target = PLATFORMS[platform]

    def __repr__(self) -> str:
        return f"Device({self.platform!r}, id={self.id})"

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
        key = (self.driver, self.id)
        module = _hal_modules.get(key)
        if module is None:
            hal_device = self.hal_device
            with _lock:
                module = _hal_modules.get(key)
                if module is None:
                    module = _hal_modules[key] = ireert.create_hal_module(
                        vm_instance(), hal_device)
        return module

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
        return hal.allocator.allocate_buffer_copy(
            memory_type=MemoryType.DEVICE_LOCAL, allowed_usage=BufferUsage.DEFAULT,
            device=hal, buffer=array, element_type=element_type)

    def to_host(self, buffer_view: HalBufferView) -> np.ndarray:
        """Copies a buffer of this device into a new NumPy array (blocks until ready).

        Host-visible buffers are mapped and copied; others are staged through a
        host-visible buffer with a queue copy (GPU memory, lavapipe).
        """
        buffer = buffer_view.get_buffer()
        dtype = HalElementType.map_to_dtype(buffer_view.element_type)
        if (buffer.memory_type() & _HOST_VISIBLE == _HOST_VISIBLE
                and buffer.allowed_usage() & _MAPPING == _MAPPING):
            return np.array(buffer_view.map().asarray(buffer_view.shape, dtype))
        return self._staged_to_host(buffer_view, dtype)

    def _staged_to_host(self, buffer_view: HalBufferView, dtype: np.dtype) -> np.ndarray:
        hal = self.hal_device
        source = buffer_view.get_buffer()
        staging = hal.allocator.allocate_buffer(
            memory_type=MemoryType.HOST_LOCAL | MemoryType.DEVICE_VISIBLE,
            allowed_usage=BufferUsage.TRANSFER_TARGET | BufferUsage.MAPPING_SCOPED,
            allocation_size=source.byte_length())
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

    def __repr__(self) -> str:
        return f"CpuDevice(id={self.id})"


def devices(platform: str = "cpu") -> list[Device]:
    """All devices of `platform`: ``IRAX_NUM_CPU_DEVICES`` (default 1) CPU devices, or
    the GPUs the platform's HAL driver reports."""
    if platform == "cpu":
        return [CpuDevice(i) for i in range(int(os.environ.get("IRAX_NUM_CPU_DEVICES", "1")))]
    driver = ireert.get_driver(PLATFORMS[platform].driver)
    return [Device(platform, i) for i in range(len(driver.query_available_devices()))]


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


def _create_hal_device(driver_name: str, id: int) -> ireert.HalDevice:
    driver = ireert.get_driver(driver_name)
    if driver_name in _HOST_DRIVERS:  # every CPU device is its own HAL device
        return driver.create_default_device()
    available = driver.query_available_devices()
    if id >= len(available):
        raise ValueError(f"{driver_name} device {id} requested, but the driver reports "
                         f"{len(available)} device(s)")
    return driver.create_device(available[id]["device_id"])


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
