"""Exported artefacts (.vmfb files written by `irax.export`): metadata and loading.

Needs only NumPy, the standard library and `iree.runtime` (the ``iree-base-runtime``
wheel): no compiler, no tracing. This file imports nothing of irax, so a deployment
may even copy it alone next to its artefacts.

An artefact is a regular IREE VM flatbuffer. Its public function ``main`` carries
irax's metadata as IREE reflection (``iree.reflection = {irax.export = "<json>"}``),
readable from `VmFunction.reflection` without a device:

    {"format": "irax.export", "version": 1, "irax_version": ..., "iree_version": ...,
     "function": "predict", "targets": ["cpu", "vulkan"], "cpu_features": "portable",
     "arg_names": ["params", "x"], "in_tree": ..., "in_leaves": [[shape, dtype], ...],
     "out_tree": ..., "out_leaves": [...], "static_args": {"2": "repr"}}

Trees are JSON: ``"*"`` a leaf, ``null`` None, ``{"tuple": [...]}``,
``{"list": [...]}``, ``{"dict": [[key, child], ...]}`` (children in flattening
order) and ``{"custom": ["module.Type", [...]]}`` for namedtuples and registered
pytree classes, which come back from a loaded artefact as plain tuples of
their children (the runtime cannot rebuild classes it does not import).

    f = load("predict.vmfb", device="cpu")
    f(params, x)              # the exported pytree structure, NumPy arrays out
    f(*flat_arrays)           # or every leaf positionally
"""
import json
import os
import threading
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from iree import runtime as ireert

FORMAT = "irax.export"
METADATA_VERSION = 1
REFLECTION_KEY = "irax.export"
"""The key of the metadata in the reflection of the artefact's ``main`` function."""
ENTRY = "main"

DRIVERS = {"cpu": "local-sync", "cuda": "cuda", "hip": "hip", "vulkan": "vulkan"}
"""Platform (a target name of `irax.export`) → the IREE HAL driver that runs it."""
NO_PYTHON_DRIVER = {
    "metal": "IREE's Python runtime has no Metal driver: run a Metal artefact on macOS "
             "with IREE's C runtime or `iree-run-module --device=metal`",
}


class ArtifactError(ValueError):
    """A file is not a loadable irax artefact (corrupt, foreign or too new), or a call
    does not match its signature. The message says which file or argument and why."""


class LeafSpec(NamedTuple):
    """The shape and dtype (a NumPy dtype name) of one array of a signature."""
    shape: tuple
    dtype: str

    def __str__(self) -> str:
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


class Signature(NamedTuple):
    """What an exported function takes and returns.

    Attributes:
      arg_names: the names of its (non-static) parameters, for error messages.
      in_tree: the JSON description of the tuple of arguments (see module docs).
      in_leaves: one `LeafSpec` per argument leaf, in flattening order.
      out_tree, out_leaves: the same for the result.
    """
    arg_names: tuple
    in_tree: object
    in_leaves: tuple
    out_tree: object
    out_leaves: tuple

    def __str__(self) -> str:
        leaves = iter(self.in_leaves)
        args = [_tree_str(t, leaves) for t in self.in_tree["tuple"]]
        named = ", ".join(f"{n}: {a}" for n, a in zip(self.arg_names, args))
        return f"({named}) -> {_tree_str(self.out_tree, iter(self.out_leaves))}"


def _tree_str(tree, leaves) -> str:
    if tree == "*":
        return str(next(leaves))
    if tree is None:
        return "None"
    kind, children = next(iter(tree.items()))
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {_tree_str(c, leaves)}" for k, c in children) + "}"
    if kind == "custom":
        name, children = children
        return f"{name}({', '.join(_tree_str(c, leaves) for c in children)})"
    inner = ", ".join(_tree_str(c, leaves) for c in children)
    return f"[{inner}]" if kind == "list" else f"({inner}{',' if len(children) == 1 else ''})"


def signature_from_metadata(metadata: dict) -> Signature:
    """The `Signature` a metadata dict describes."""
    def leaves(entries):
        return tuple(LeafSpec(tuple(shape), dtype) for shape, dtype in entries)
    return Signature(tuple(metadata["arg_names"]), metadata["in_tree"],
                     leaves(metadata["in_leaves"]), metadata["out_tree"],
                     leaves(metadata["out_leaves"]))


def reflection_attribute(metadata: dict) -> str:
    """The MLIR function attribute that stores `metadata` in a module's ``main``."""
    text = json.dumps(metadata, separators=(",", ":"), sort_keys=True)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'iree.reflection = {{{REFLECTION_KEY} = "{escaped}"}}'


_instance_lock = threading.Lock()
_instance: ireert.VmInstance | None = None
_hal_devices: dict[str, ireert.HalDevice] = {}


def _vm_instance() -> ireert.VmInstance:
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = ireert.VmInstance()
        return _instance


def read_metadata(path_or_bytes: str | os.PathLike | bytes) -> dict:
    """`read_metadata(path_or_bytes)`: the irax metadata of an artefact (a dict).

    Needs no device: the module is parsed and verified, not loaded on one.

    Raises:
      ArtifactError: the file is missing, truncated or corrupt; has no irax metadata
        (a .vmfb not written by `irax.export`); or was written by a newer irax.

    Example:
      >>> read_metadata("predict.vmfb")["targets"]
      ['cpu']
    """
    return _read(path_or_bytes)[1]


def _read(path_or_bytes) -> tuple[ireert.VmModule, dict, str]:
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data, name = bytes(path_or_bytes), "<bytes>"
    else:
        name = os.fspath(path_or_bytes)
        try:
            with open(name, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ArtifactError(f"cannot read artefact {name!r}: {e.strerror}") from None
    try:
        module = ireert.VmModule.copy_buffer(_vm_instance(), data)
    except (ValueError, RuntimeError) as e:
        raise ArtifactError(
            f"{name!r} is not a loadable IREE module: it is truncated or corrupt, or was "
            f"built by an IREE compiler this runtime (iree-base-runtime "
            f"{_runtime_version()}) cannot read. IREE says: {e}") from None
    function = module.lookup_function(ENTRY)
    reflection = {} if function is None else dict(function.reflection)
    text = reflection.get(REFLECTION_KEY)
    if text is None:
        raise ArtifactError(
            f"{name!r} is an IREE module without irax metadata (functions "
            f"{module.function_names}): it was not written by irax.export, so its pytree "
            "signature is unknown. Run it with iree.runtime or iree-run-module directly.")
    try:
        metadata = json.loads(text)
        version = metadata["version"]
        if metadata.get("format") != FORMAT:
            raise KeyError("format")
    except (ValueError, KeyError, TypeError):
        raise ArtifactError(f"{name!r}: the irax metadata is malformed") from None
    if not isinstance(version, int) or version > METADATA_VERSION:
        raise ArtifactError(
            f"{name!r} was written by irax {metadata.get('irax_version', '?')} with artefact "
            f"metadata version {version}; this loader reads versions up to "
            f"{METADATA_VERSION}: upgrade irax to load it")
    return module, metadata, name


def _runtime_version() -> str:
    try:
        from iree.runtime import version
        return version.VERSION
    except ImportError:
        return "unknown version"


class Loaded:
    """An exported function loaded on one device; call it like the original.

    Attributes:
      signature: its `Signature`.
      metadata: the full metadata dict (versions, targets, ...).
      platform: the platform it runs on ("cpu", "vulkan", ...).

    Calls take the exported pytree structure (tuples and lists interchangeably; dicts
    with exactly the exported keys; custom nodes as tuples of their children) or every
    leaf positionally, and return the exported output structure of NumPy arrays.
    Calls from several threads are serialised.
    """

    def __init__(self, module: ireert.VmModule, metadata: dict, name: str, platform: str,
                 hal_device: ireert.HalDevice):
        self.metadata = metadata
        self.signature = signature_from_metadata(metadata)
        self.platform = platform
        self.name = name
        self._hal = hal_device
        self._dtypes = [_numpy_dtype(leaf.dtype) for leaf in self.signature.in_leaves]
        self._out_dtypes = [_numpy_dtype(leaf.dtype) for leaf in self.signature.out_leaves]
        instance = _vm_instance()
        try:
            self._context = ireert.VmContext(
                instance, [ireert.create_hal_module(instance, hal_device), module])
        except (ValueError, RuntimeError) as e:
            raise ArtifactError(f"{name!r} cannot run on {platform!r}: {e}") from None
        self._function = module.lookup_function(ENTRY)
        self._paths: list[str] = []
        for arg_name, tree in zip(self.signature.arg_names, self.signature.in_tree["tuple"]):
            _leaf_paths(tree, arg_name, self._paths)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"<irax artefact {self.metadata.get('function', '?')}{self.signature} "
                f"on {self.platform}>")

    def __call__(self, *args):
        """Runs the artefact on `args`; returns the output pytree of NumPy arrays.

        Raises:
          ArtifactError: the arguments do not match the signature; the message names
            the argument path, the expected and the given structure, shape or dtype.
        """
        leaves = self._flatten_args(args)
        arguments = ireert.VmVariantList(len(leaves))
        for path, x, spec, dtype in zip(self._paths, leaves, self.signature.in_leaves,
                                        self._dtypes):
            arguments.push_ref(self._put(_checked_array(x, spec, dtype, path)).ref)
        results = ireert.VmVariantList(len(self.signature.out_leaves))
        with self._lock:
            self._context.invoke(self._function, arguments, results)
        outs = [self._to_host(results.get_as_object(i, ireert.HalBufferView), dtype)
                for i, dtype in enumerate(self._out_dtypes)]
        return _unflatten(self.signature.out_tree, iter(outs))

    def _flatten_args(self, args) -> list:
        sig = self.signature
        leaves: list = []
        try:
            if len(args) != len(sig.arg_names):
                raise _Mismatch("", f"expected {len(sig.arg_names)} arguments "
                                    f"({', '.join(sig.arg_names)}), got {len(args)}")
            for name, tree, x in zip(sig.arg_names, sig.in_tree["tuple"], args):
                _flatten(tree, x, name, leaves)
            return leaves
        except _Mismatch as e:
            if len(args) == len(sig.in_leaves) and not any(
                    isinstance(a, (Mapping, list, tuple)) or a is None for a in args):
                return list(args)  # every leaf, positionally
            where = f"argument {e.path}: " if e.path else ""
            raise ArtifactError(f"{self.metadata.get('function', 'artefact')}: {where}"
                                f"{e.message}. The artefact takes {sig}, or its "
                                f"{len(sig.in_leaves)} leaves positionally") from None

    def _put(self, array: np.ndarray) -> ireert.HalBufferView:
        return self._hal.allocator.allocate_buffer_copy(
            memory_type=ireert.MemoryType.DEVICE_LOCAL,
            allowed_usage=ireert.BufferUsage.DEFAULT, device=self._hal, buffer=array,
            element_type=ireert.array_interop.map_dtype_to_element_type(array.dtype))

    def _to_host(self, view: ireert.HalBufferView, dtype: np.dtype) -> np.ndarray:
        buffer = view.get_buffer()
        visible = int(ireert.MemoryType.HOST_VISIBLE)
        mapping = int(ireert.BufferUsage.MAPPING_SCOPED)
        if (int(buffer.memory_type()) & visible == visible
                and int(buffer.allowed_usage()) & mapping == mapping):
            return np.array(view.map().asarray(view.shape, dtype))
        # Device memory (GPUs, lavapipe): copy through a host-visible staging buffer.
        staging = self._hal.allocator.allocate_buffer(
            memory_type=ireert.MemoryType.HOST_LOCAL | ireert.MemoryType.DEVICE_VISIBLE,
            allowed_usage=ireert.BufferUsage.TRANSFER_TARGET
            | ireert.BufferUsage.MAPPING_SCOPED,
            allocation_size=buffer.byte_length())
        semaphore = self._hal.create_semaphore(0)
        self._hal.queue_copy(buffer, staging,
                             wait_semaphores=ireert.HalFence.create_at(semaphore, 0),
                             signal_semaphores=ireert.HalFence.create_at(semaphore, 1))
        ireert.HalFence.create_at(semaphore, 1).wait()
        return np.array(staging.map().asarray(view.shape, dtype))


def load(path: str | os.PathLike | bytes, device="cpu") -> Loaded:
    """`load(path, device="cpu")`: an artefact of `irax.export`, ready to call.

    Needs only ``iree.runtime`` and NumPy (no compiler).

    Args:
      path: the .vmfb file (or its bytes).
      device: a platform the artefact was exported for: "cpu" (IREE's ``local-sync``
        driver), "vulkan", "cuda" or "hip" (the first device of that driver); an IREE
        device URI such as "local-task" or "vulkan://0"; or an irax `Device`. Metal
        artefacts cannot run from Python (IREE's Python runtime has no Metal driver).

    Returns:
      A `Loaded` callable: same pytree in, same pytree out (NumPy arrays).

    Raises:
      ArtifactError: a missing, truncated, corrupt or foreign file, one written by a
        newer irax, or a device the artefact was not compiled for.

    Example:
      >>> f = irax.runtime.load("predict.vmfb")
      >>> f(params, np.zeros((5, 2), np.float32)).shape
      (5, 2)
    """
    module, metadata, name = _read(path)
    platform, hal_device = _resolve_device(device)
    targets = metadata.get("targets", [])
    if platform not in targets:
        raise ArtifactError(f"{name!r} was exported for {targets}, not for {platform!r}; "
                            f"export it with target={platform!r} (or a tuple including it)")
    return Loaded(module, metadata, name, platform, hal_device)


def _resolve_device(device) -> tuple[str, ireert.HalDevice]:
    if hasattr(device, "hal_device") and hasattr(device, "platform"):  # an irax Device
        return device.platform, device.hal_device
    if not isinstance(device, str):
        raise ArtifactError(f"device must be a platform name, an IREE device URI or an "
                            f"irax Device, not {type(device).__name__}")
    if device in NO_PYTHON_DRIVER:
        raise ArtifactError(f"cannot load on {device!r}: {NO_PYTHON_DRIVER[device]}")
    uri = DRIVERS.get(device, device)
    driver = uri.split(":")[0]
    platform = "cpu" if driver in ("local-sync", "local-task") else next(
        (p for p, d in DRIVERS.items() if d == driver), None)
    if platform is None:
        raise ArtifactError(f"unknown device {device!r}; use one of {sorted(DRIVERS)}, an "
                            "IREE device URI (e.g. 'local-task', 'vulkan://0') or an irax "
                            "Device")
    with _instance_lock:
        hal_device = _hal_devices.get(uri)
        if hal_device is None:
            try:
                hal_device = _hal_devices[uri] = ireert.get_device(uri)
            except (ValueError, RuntimeError) as e:
                raise ArtifactError(f"no {device!r} device is available here: {e}") from None
    return platform, hal_device


class _Mismatch(Exception):
    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _flatten(tree, x, path: str, leaves: list) -> None:
    """Appends the leaves of `x`, checked against the JSON `tree`, to `leaves`."""
    if tree == "*":
        if isinstance(x, (Mapping, list, tuple)) or x is None:
            raise _Mismatch(path, f"expected an array, got {_kind(x)}")
        leaves.append(x)
        return
    if tree is None:
        if x is not None:
            raise _Mismatch(path, f"expected None, got {_kind(x)}")
        return
    kind, children = next(iter(tree.items()))
    if kind == "dict":
        if not isinstance(x, Mapping):
            raise _Mismatch(path, f"expected a dict with keys {[k for k, _ in children]}, "
                                  f"got {_kind(x)}")
        keys = [k for k, _ in children]
        if sorted(map(repr, x)) != sorted(map(repr, keys)):
            raise _Mismatch(path, f"expected a dict with keys {keys}, got keys {list(x)}")
        for k, child in children:
            _flatten(child, x[k], f"{path}[{k!r}]", leaves)
        return
    if kind == "custom":
        name, children = children
        if not isinstance(x, (list, tuple)):
            raise _Mismatch(path, f"expected a {name} (pass it as a tuple of its "
                                  f"{len(children)} children: the runtime-only loader cannot "
                                  f"flatten custom pytree classes), got {_kind(x)}")
    elif not isinstance(x, (list, tuple)):
        raise _Mismatch(path, f"expected a {kind} of length {len(children)}, got {_kind(x)}")
    if len(x) != len(children):
        raise _Mismatch(path, f"expected a {kind} of length {len(children)}, got "
                              f"{_kind(x)}")
    for i, (child, item) in enumerate(zip(children, x)):
        _flatten(child, item, f"{path}[{i}]", leaves)


def _leaf_paths(tree, path: str, out: list) -> None:
    if tree == "*":
        out.append(path)
    elif tree is not None:
        kind, children = next(iter(tree.items()))
        if kind == "dict":
            for k, child in children:
                _leaf_paths(child, f"{path}[{k!r}]", out)
        else:
            for i, child in enumerate(children[1] if kind == "custom" else children):
                _leaf_paths(child, f"{path}[{i}]", out)


def _unflatten(tree, leaves):
    if tree == "*":
        return next(leaves)
    if tree is None:
        return None
    kind, children = next(iter(tree.items()))
    if kind == "dict":
        return {k: _unflatten(c, leaves) for k, c in children}
    if kind == "custom":
        return tuple(_unflatten(c, leaves) for c in children[1])
    items = [_unflatten(c, leaves) for c in children]
    return items if kind == "list" else tuple(items)


def _kind(x) -> str:
    if x is None:
        return "None"
    if isinstance(x, Mapping):
        return f"a dict with keys {list(x)}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
    if shape is not None and dtype is not None:
        return f"an array {np.dtype(dtype).name}[{','.join(map(str, shape))}]"
    return f"a {type(x).__name__}"


def _checked_array(x, spec: LeafSpec, dtype: np.dtype, path: str) -> np.ndarray:
    if isinstance(x, (bool, int, float, complex)):  # Python scalars take the leaf's dtype
        array = np.asarray(x, dtype)
    else:
        array = np.asarray(x)
        if array.dtype != dtype:
            raise ArtifactError(f"argument {path}: expected {spec}, got "
                                f"{array.dtype.name}[{','.join(map(str, array.shape))}] "
                                "(convert it with .astype)")
    if array.shape != spec.shape:
        raise ArtifactError(f"argument {path}: expected {spec}, got "
                            f"{array.dtype.name}[{','.join(map(str, array.shape))}]")
    return np.ascontiguousarray(array) if array.ndim else array


def _numpy_dtype(name: str) -> np.dtype:
    try:
        return np.dtype(name)
    except TypeError:  # bfloat16 and other ml_dtypes
        import ml_dtypes
        return np.dtype(getattr(ml_dtypes, name))
