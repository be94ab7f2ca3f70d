"""Tensor, the array type users hold (`irax.Array`), and its concrete form ArrayImpl.

`Tensor` is the common base of concrete arrays and of tracers (the values a
transform sees), so `isinstance(x, irax.Array)` holds inside every transform.
Operators and NumPy-style methods (`+`, `@`, `.sum()`, `.at[...]`) are attached by
`irax.numpy` when it is imported, as JAX does, so that core depends on no user API.
"""
import numpy as np

from . import dtypes
from .aval import ShapedArray, float0


class Tensor:
    """An n-dimensional array: concrete (ArrayImpl) or traced (Tracer)."""

    __slots__ = ()
    __array_priority__ = 100

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError

    @property
    def shape(self) -> tuple:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def weak_type(self) -> bool:
        return self.aval.weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __hash__(self):
        raise TypeError(f"unhashable type: {type(self).__name__} (arrays are not hashable; "
                        "pass a tuple or a Python scalar as a static argument)")


class ArrayImpl(Tensor):
    """A concrete array: a NumPy value with irax's dtype and its weak-type flag."""

    __slots__ = ("_aval", "_device_copy", "_value", "_weak_type")

    def __init__(self, value, weak_type: bool = False):
        self._value = value
        self._weak_type = weak_type
        self._aval = None
        self._device_copy = None  # (device, buffer) once a compiled program needed it

    @property
    def aval(self) -> ShapedArray:
        aval = self._aval
        if aval is None:
            aval = self._aval = ShapedArray(self._value.shape, self._value.dtype,
                                            self._weak_type)
        return aval

    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def weak_type(self) -> bool:
        return self._weak_type

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self._value, dtype=dtype)
        if copy:
            return value.copy()
        view = value.view()
        view.flags.writeable = False  # irax arrays are immutable, as in JAX
        return view

    def _scalar(self, kind: str):
        if self._value.size != 1:
            raise TypeError(f"only size-1 arrays can be converted to Python scalars ({kind}); "
                            f"this array has shape {self.shape}")
        return self._value.reshape(())[()]

    def __bool__(self) -> bool:
        if self._value.size != 1:
            raise ValueError("The truth value of an array with more than one element is "
                             "ambiguous. Use a.any() or a.all()")
        return bool(self._value.reshape(())[()])

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if not dtypes.is_integer(self.dtype) or self.ndim:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._value)

    def item(self, *args):
        """The element as a Python scalar (`numpy.ndarray.item`)."""
        return np.asarray(self._value).item(*args)

    def tolist(self):
        """Nested Python lists of the elements (`numpy.ndarray.tolist`)."""
        return np.asarray(self._value).tolist()

    def block_until_ready(self) -> "ArrayImpl":
        """Waits until the value is computed; returns the array itself."""
        return self

    @property
    def device(self):
        """The device holding the data: host arrays are on the first CPU device.

        Host arrays are uncommitted: a computation with arrays on another device moves
        them there (see `irax.device_put`).
        """
        return _host_device[0]

    @property
    def committed(self) -> bool:
        """True when the array is pinned to its device (`irax.device_put` with a device,
        or computed from pinned arrays); False for host arrays."""
        return False

    def devices(self) -> set:
        """The devices holding this array's data (a one-element set)."""
        return {self.device}

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __str__(self) -> str:
        return str(np.asarray(self._value))

    def __repr__(self) -> str:
        value = np.asarray(self._value)
        name = "float0" if self.dtype == float0 else self.dtype.name
        suffix = f", dtype={name}" + (", weak_type=True" if self._weak_type else "")
        if value.size == 0:
            return f"Array([], shape={value.shape}{suffix})"
        body = np.array2string(value, prefix="Array(", separator=", ")
        return f"Array({body}{suffix})"


def scalar_tensor(value) -> ArrayImpl:
    """A weakly typed 0-d array from a Python scalar (bool is strongly typed)."""
    dtype = dtypes.python_scalar_dtype(value)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python int {value} is too large for {dtype} "
                                "(enable x64 or pass an explicit dtype)")
    return ArrayImpl(np.array(value, dtype), weak_type=not isinstance(value, bool))


def numpy_tensor(value, dtype=None) -> ArrayImpl:
    """A strongly typed array from NumPy data, its dtype canonicalized (no x64: 32-bit)."""
    arr = np.asarray(value)
    target = dtypes.canonicalize_dtype(arr.dtype if dtype is None else dtype)
    if arr.dtype != target:
        arr = arr.astype(target)
    return ArrayImpl(arr)


def to_tensor(value) -> Tensor:
    """`value` as a Tensor: Tensors pass through, scalars become weak, NumPy canonical."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic)):  # before float: np.float64 is a float
        if value.dtype.kind in "OUSV" and value.dtype != dtypes.bfloat16:
            raise TypeError(f"NumPy arrays of dtype {value.dtype} are not valid irax values")
        return numpy_tensor(value)
    if isinstance(value, (bool, int, float, complex)):
        return scalar_tensor(value)
    raise TypeError(f"Value {value!r} of type {type(value).__name__} is not a valid irax "
                    "array; use irax.numpy.asarray to convert lists and tuples")


_host_device = [None]  # the runtime's first CPU device, registered by the runtime layer


def set_host_device(device) -> None:
    """Registers the device object host arrays report as their `device` (core imports
    no runtime)."""
    _host_device[0] = device


class BufferArray(ArrayImpl):
    """A concrete array whose data lives in a device buffer (a compiled program's
    result or `irax.device_put`'s); a host copy is made only when NumPy needs the data
    (printing, `numpy.asarray`, eager ops on CPU) and then kept.

    `device` is any object with `to_host(buffer) -> numpy.ndarray` and a `platform`
    name (runtime.Device). Eager primitives on arrays of a non-CPU device run there
    (`core.trace.set_device_evaluator`). `committed` pins the array to its device.
    """

    __slots__ = ("_host", "buffer", "committed", "device")

    def __init__(self, buffer, device, aval: ShapedArray, committed: bool = False):
        self.buffer = buffer
        self.device = device
        self.committed = committed
        self._host = None
        self._weak_type = aval.weak_type
        self._aval = aval
        self._device_copy = None

    @property
    def _value(self):
        host = self._host
        if host is None:
            host = self.device.to_host(self.buffer)
            if host.dtype != self._aval.dtype:  # a device that stores the dtype widened
                host = host.astype(self._aval.dtype)
            self._host = host
        return host

    @property
    def shape(self) -> tuple:
        return self._aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self._aval.dtype

    @property
    def ndim(self) -> int:
        return len(self._aval.shape)

    @property
    def size(self) -> int:
        return self._aval.size
