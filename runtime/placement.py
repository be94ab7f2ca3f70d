"""Where arrays live and where computations run: explicit placement and device buffers.

Placement follows JAX. Host arrays (NumPy data) are *uncommitted*: a computation
moves them to its device. `device_put(x, device)` and results computed from such
arrays are *committed* to their device. A computation runs on its explicit device
(`jit(f, device=...)`), else on the one device its committed arguments share, else on
the default device (``irax.config.default_device``, env ``IRAX_PLATFORM``). Committed
arguments on two devices are an error: transfers are explicit.
"""
import numpy as np

from irax.core import pytree
from irax.core.aval import ShapedArray
from irax.core.config import config
from irax.core.tensor import ArrayImpl, BufferArray, set_host_device, to_tensor
from irax.core.trace import Tracer
from irax.runtime.device import PLATFORMS, CpuDevice, Device, devices


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


set_host_device(CpuDevice(0))
