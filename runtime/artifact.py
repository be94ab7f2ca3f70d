"""Exported artefacts (.vmfb files written by `irax.export`): metadata and loading.

Needs only NumPy, the standard library and `iree.runtime` (the ``iree-base-runtime``
wheel): no compiler, no tracing. This file imports nothing of irax, so a deployment
may even copy it alone next to its artefacts.

**An artefact is native code.** Loading one runs code it contains in this process
(inherent to IREE), so load only artefacts you trust, as you would a shared library.
Everything short of that is checked: the file's integrity, its metadata against the
module's own signature, and every buffer's size before it is read.

An artefact is a regular IREE VM module (the bytes IREE writes) followed by a 48-byte
integrity trailer (`add_checksum`)::

    <IREE module> <sha256 of the module: 32 bytes> <module length: u64 LE> b"IRAXSUM1"

The trailer sits *after* the module because IREE reads a module from its first byte
and ignores what follows its archive: ``iree-run-module``, ``iree.runtime`` and older
irax loaders still read the file as it is, while `load` and `read_metadata` verify the
checksum before any byte reaches IREE, so a damaged file is an `ArtifactError`, never
a crash or wrong numbers. (Inside the module, e.g. in the metadata, the checksum would
cover itself; a header would break ``iree-run-module``.) The checksum proves integrity,
not authorship: anyone can write a valid trailer. Files without a valid trailer
(damaged, written by an irax from before artefact checksums, or plain IREE modules) are refused
with an `ArtifactError` saying so: accepting some unchecked files would let exactly the
damaged ones through.

The module's public function ``main`` carries irax's metadata as IREE reflection
(``iree.reflection = {irax.export = "<json>"}``), readable from
`VmFunction.reflection` without a device:

    {"format": "irax.export", "version": 1, "irax_version": ..., "iree_version": ...,
     "function": "predict", "targets": ["cpu", "vulkan"], "cpu_features": "portable",
     "arg_names": ["params", "x"], "in_tree": ...,
     "in_leaves": [[shape, dtype(, storage)], ...], "out_tree": ...,
     "out_leaves": [...], "static_args": {"2": "repr"}}

Trees are JSON: ``"*"`` a leaf, ``null`` None, ``{"tuple": [...]}``,
``{"list": [...]}``, ``{"dict": [[key, child], ...]}`` (children in flattening
order) and ``{"custom": ["module.Type", [...]]}`` for namedtuples and registered
pytree classes, which come back from a loaded artefact as plain tuples of
their children (the runtime cannot rebuild classes it does not import). Dtypes are
NumPy names from `DTYPES`. A leaf may name a third dtype, the one the module carries
it as: artefacts that run on Vulkan take and return 8- and 16-bit leaves widened to
32 bits (IREE's default SPIR-V target loses the tail of narrower buffers), and the
loader converts. Every leaf must agree with the module's reflected ABI declaration
(``iree.abi.declaration``), and every result buffer with its leaf (shape, element
type, byte size) before it is read.

    f = load("predict.vmfb", device="cpu")
    f(params, x)              # the exported pytree structure, NumPy arrays out
    f(*flat_arrays)           # or every leaf positionally
"""
import hashlib
import json
import math
import os
import re
import stat
import struct
import tempfile
import threading
from collections.abc import Iterable, Mapping
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
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128")
"""The dtypes an artefact's leaves may have (NumPy names)."""
_MLIR_DTYPES = {"i1": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
                "ui8": "uint8", "ui16": "uint16", "ui32": "uint32", "ui64": "uint64",
                "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
                "complex<f32>": "complex64", "complex<f64>": "complex128"}
"""MLIR element type (as IREE's ABI declaration prints it) -> NumPy dtype name."""
_TRAILER = struct.Struct("<32sQ8s")  # sha256(module), len(module), magic
_TRAILER_MAGIC = b"IRAXSUM1"
NO_PYTHON_DRIVER = {
    "metal": "IREE's Python runtime has no Metal driver: run a Metal artefact on macOS "
             "with IREE's C runtime or `iree-run-module --device=metal`",
}


class ArtifactError(ValueError):
    """A file is not a loadable irax artefact (corrupt, foreign or too new), or a call
    does not match its signature. The message says which file or argument and why."""


class LeafSpec(NamedTuple):
    """The shape and dtype (a NumPy dtype name) of one array of a signature, and the
    dtype the module carries it as (`storage`: wider for 8- and 16-bit leaves of
    artefacts that run on Vulkan; the loader converts)."""
    shape: tuple
    dtype: str
    storage: str

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
        return tuple(LeafSpec(tuple(entry[0]), entry[1], entry[-1]) for entry in entries)
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


def open_device_uris() -> list[str]:
    """The URIs of the devices `load` has opened (and not released) in this process."""
    with _instance_lock:
        return list(_hal_devices)


def release_idle_devices(held: Iterable[ireert.HalDevice]) -> None:
    """Forgets the accelerator devices that `load` opened by name or URI and that no
    artefact in `held` runs on (runtime.device.release_idle_devices says why)."""
    held_ids = {id(hal) for hal in held}
    with _instance_lock:
        for uri, hal in list(_hal_devices.items()):
            if not uri.startswith(("local-sync", "local-task")) and id(hal) not in held_ids:
                del _hal_devices[uri]


def _vm_instance() -> ireert.VmInstance:
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = ireert.VmInstance()
        return _instance


def add_checksum(vmfb: bytes) -> bytes:
    """`add_checksum(vmfb)`: an IREE module's bytes followed by irax's integrity trailer.

    The result is what `irax.export` writes and what `load` accepts (see the module
    docs for the format); IREE tools still read it as the module. Bytes that already
    end in a valid trailer come back unchanged.

    Example:
      >>> data = add_checksum(vmfb)
      >>> len(data) - len(vmfb), verify_checksum(data) == vmfb
      (48, True)
    """
    data = bytes(vmfb)
    if _trailer_module(data) is not None:
        return data
    return data + _TRAILER.pack(hashlib.sha256(data).digest(), len(data), _TRAILER_MAGIC)


def verify_checksum(data: bytes, name: str = "<bytes>") -> bytes:
    """`verify_checksum(data, name="<bytes>")`: the IREE module inside an artefact's bytes.

    Raises:
      ArtifactError: `data` has no valid integrity trailer (damaged, truncated, or not
        written by `irax.export`); the message names `name`.
    """
    module = _trailer_module(data)
    if module is None:
        raise ArtifactError(
            f"{name!r} failed its integrity check: it has no valid irax checksum trailer. "
            "It is damaged or truncated, was written by an irax from before artefact "
            "checksums (export it again), or is a plain IREE module not written by "
            "irax.export (run those with iree.runtime or iree-run-module directly)")
    return module


def _trailer_module(data: bytes) -> bytes | None:
    """The module before a valid trailer, or None."""
    if len(data) < _TRAILER.size:
        return None
    digest, length, magic = _TRAILER.unpack_from(data, len(data) - _TRAILER.size)
    module = data[:-_TRAILER.size]
    if (magic != _TRAILER_MAGIC or length != len(module)
            or hashlib.sha256(module).digest() != digest):
        return None
    return module


def read_metadata(path_or_bytes: str | os.PathLike | bytes) -> dict:
    """`read_metadata(path_or_bytes)`: the irax metadata of an artefact (a dict).

    Needs no device: the module is verified and parsed, not loaded on one.

    Raises:
      ArtifactError: the file is missing, not a regular file, truncated or corrupt
        (fails its checksum); has no or malformed irax metadata (a .vmfb not written
        by `irax.export`), or metadata that disagrees with the module's signature; or
        was written by a newer irax.

    Example:
      >>> read_metadata("predict.vmfb")["targets"]
      ['cpu']
    """
    return _read(path_or_bytes)[1]


def _read_file(name: str) -> bytes:
    """The bytes of a regular file; never blocks (a FIFO or device is refused)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise ArtifactError(f"cannot read artefact {name!r}: {e.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArtifactError(f"cannot read artefact {name!r}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as e:
        raise ArtifactError(f"cannot read artefact {name!r}: {e.strerror}") from None
    finally:
        os.close(fd)


def _read(path_or_bytes) -> tuple[ireert.VmModule, dict, str]:
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data, name = bytes(path_or_bytes), "<bytes>"
    else:
        name = os.fspath(path_or_bytes)
        data = _read_file(name)
    module_bytes = verify_checksum(data, name)
    try:
        module = ireert.VmModule.copy_buffer(_vm_instance(), module_bytes)
    except (ValueError, RuntimeError) as e:
        raise ArtifactError(
            f"{name!r} is not a loadable IREE module: it was built by an IREE compiler "
            f"this runtime (iree-base-runtime {_runtime_version()}) cannot read. "
            f"IREE says: {e}") from None
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
    except (ValueError, RecursionError):
        raise ArtifactError(f"{name!r}: the irax metadata is not valid JSON") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ArtifactError(f"{name!r}: the irax metadata is malformed (no format "
                            f"{FORMAT!r})")
    version = metadata.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArtifactError(f"{name!r}: the irax metadata is malformed (version "
                            f"{version!r})")
    if version > METADATA_VERSION:
        raise ArtifactError(
            f"{name!r} was written by irax {metadata.get('irax_version', '?')} with artefact "
            f"metadata version {version}; this loader reads versions up to "
            f"{METADATA_VERSION}: upgrade irax to load it")
    _check_metadata(metadata, name)
    _check_against_abi(metadata, reflection.get("iree.abi.declaration"), name)
    return module, metadata, name


def _check_metadata(metadata: dict, name: str) -> None:
    """Raises ArtifactError unless every field `Loaded` relies on is well formed."""
    def fail(why: str):
        raise ArtifactError(f"{name!r}: the irax metadata is malformed ({why})")

    def strings(field):
        value = metadata.get(field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(f"{field} must be a list of strings")
        return value

    def leaves(field):
        value = metadata.get(field)
        if not isinstance(value, list):
            fail(f"{field} must be a list")
        for leaf in value:
            if not (isinstance(leaf, list) and len(leaf) in (2, 3)
                    and isinstance(leaf[0], list)
                    and all(type(d) is int and 0 <= d < 2**62 for d in leaf[0])):
                fail(f"{field} entry {leaf!r} is not [shape, dtype(, storage dtype)]")
            for dtype in leaf[1:]:
                if dtype not in DTYPES:
                    fail(f"{field} dtype {dtype!r} is not one of {DTYPES}")
        return value

    strings("targets")
    arg_names = strings("arg_names")
    in_leaves, out_leaves = leaves("in_leaves"), leaves("out_leaves")
    in_tree, out_tree = metadata.get("in_tree"), metadata.get("out_tree")
    if not (isinstance(in_tree, dict) and list(in_tree) == ["tuple"]
            and isinstance(in_tree["tuple"], list) and len(in_tree["tuple"]) == len(arg_names)):
        fail(f"in_tree must be a tuple of {len(arg_names)} arguments")
    try:
        in_count, out_count = _count_leaves(in_tree), _count_leaves(out_tree)
    except _BadTree as e:
        fail(f"bad tree: {e}")
    if in_count != len(in_leaves) or out_count != len(out_leaves):
        fail(f"the trees have {in_count} and {out_count} leaves, the leaf lists "
             f"{len(in_leaves)} and {len(out_leaves)}")


_MAX_TREE_DEPTH = 200
"""Deeper metadata trees are refused (the loader walks trees recursively)."""


class _BadTree(Exception):
    """A JSON tree of the metadata is malformed."""


def _count_leaves(tree, depth: int = 0) -> int:
    """The number of leaves of a JSON tree; _BadTree if it is not one."""
    if depth > _MAX_TREE_DEPTH:
        raise _BadTree(f"nested deeper than {_MAX_TREE_DEPTH} levels")
    if tree == "*":
        return 1
    if tree is None:
        return 0
    if not (isinstance(tree, dict) and len(tree) == 1):
        raise _BadTree(f"{str(tree)[:80]} is not a tree node")
    kind, children = next(iter(tree.items()))
    if kind == "custom":
        if not (isinstance(children, list) and len(children) == 2
                and isinstance(children[0], str)):
            raise _BadTree("a custom node must be [name, children]")
        children = children[1]
    if kind == "dict":
        if not (isinstance(children, list)
                and all(isinstance(c, list) and len(c) == 2 for c in children)):
            raise _BadTree("a dict node must be a list of [key, child]")
        children = [c for _, c in children]
    elif kind not in ("tuple", "list", "custom"):
        raise _BadTree(f"unknown node kind {kind!r}")
    if not isinstance(children, list):
        raise _BadTree(f"the children of a {kind} node must be a list")
    return sum(_count_leaves(c, depth + 1) for c in children)


_ABI_TENSOR = r"tensor<((?:\d+x)*)((?:complex<\w+>)|\w+)>"
_ABI_VALUE = re.compile(rf"%(input|output)(\d+): {_ABI_TENSOR}"
                        rf"(?: {{iree\.abi\.encoding = {_ABI_TENSOR}}})?")


def _check_against_abi(metadata: dict, declaration: str | None, name: str) -> None:
    """Raises ArtifactError unless the leaves match the module's reflected signature."""
    if not isinstance(declaration, str):
        raise ArtifactError(f"{name!r}: the module's main function has no IREE ABI "
                            "declaration to check the irax metadata against")
    values = {"input": [], "output": []}
    for kind, index, dims, element, enc_dims, enc_element in _ABI_VALUE.findall(declaration):
        if int(index) != len(values[kind]):
            break
        dims, element = (enc_dims, enc_element) if enc_element else (dims, element)
        values[kind].append(([int(d) for d in dims.split("x") if d],
                             _MLIR_DTYPES.get(element, element)))
    for kind, field in (("input", "in_leaves"), ("output", "out_leaves")):
        declared = [list(v) for v in values[kind]]
        if declared != [[leaf[0], leaf[-1]] for leaf in metadata[field]]:
            raise ArtifactError(
                f"{name!r}: the irax metadata does not match the module's own signature: "
                f"metadata {field} {metadata[field]}, module {kind}s {declared} (from "
                f"{declaration[:300]!r}). The file was altered after export.")


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
        self._in_storage = [_numpy_dtype(leaf.storage) for leaf in self.signature.in_leaves]
        self._out_storage = [_numpy_dtype(leaf.storage) for leaf in self.signature.out_leaves]
        instance = _vm_instance()
        try:
            self._context = ireert.VmContext(
                instance, [ireert.create_hal_module(instance, hal_device), module])
        except (ValueError, RuntimeError) as e:
            raise ArtifactError(f"{name!r} cannot run on {platform!r}: {e}") from None
        self._function = module.lookup_function(ENTRY)
        self._function_name = metadata.get("function", ENTRY)
        self._paths: list[str] = []
        for arg_name, tree in zip(self.signature.arg_names, self.signature.in_tree["tuple"]):
            _leaf_paths(tree, arg_name, self._paths)
        self._lock = threading.Lock()

    @property
    def hal_device(self) -> ireert.HalDevice:
        """The IREE HAL device it runs on."""
        return self._hal

    def __repr__(self) -> str:
        return (f"<irax artefact {self.metadata.get('function', '?')}{self.signature} "
                f"on {self.platform}>")

    def __call__(self, *args):
        """Runs the artefact on `args`; returns the output pytree of NumPy arrays.

        Raises:
          ArtifactError: the arguments do not match the signature (the message names
            the argument path, the expected and the given structure, shape or dtype),
            or the program failed or returned results that do not match its signature.
        """
        leaves = self._flatten_args(args)
        arrays = [_checked_array(x, spec, dtype, path) for path, x, spec, dtype in
                  zip(self._paths, leaves, self.signature.in_leaves, self._dtypes)]
        count = len(self.signature.out_leaves)
        try:
            arguments = ireert.VmVariantList(len(arrays))
            for array, storage in zip(arrays, self._in_storage):
                arguments.push_ref(self._put(array.astype(storage, copy=False)).ref)
            results = ireert.VmVariantList(count)
            with self._lock:
                self._context.invoke(self._function, arguments, results)
            if len(results) != count:
                raise ArtifactError(f"{self.name!r}: {self._function_name} returned "
                                    f"{len(results)} results, its metadata says {count}")
            views = [results.get_as_object(i, ireert.HalBufferView) for i in range(count)]
            outs = [self._to_host(i, view) for i, view in enumerate(views)]
        except ArtifactError:
            raise
        except (ValueError, RuntimeError, TypeError) as e:
            raise ArtifactError(f"{self.name!r}: running {self._function_name} failed: "
                                f"{e}") from None
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

    def _to_host(self, index: int, view: ireert.HalBufferView) -> np.ndarray:
        """Result `index` as a NumPy array, once its shape, element type and byte size
        are checked against the signature (a mismatch would read past the buffer)."""
        spec, dtype = self.signature.out_leaves[index], self._out_storage[index]
        buffer = view.get_buffer()
        nbytes = math.prod(spec.shape) * dtype.itemsize
        expected = _element_class(ireert.array_interop.map_dtype_to_element_type(dtype))
        if (tuple(view.shape) != spec.shape or _element_class(view.element_type) != expected
                or view.byte_length != nbytes or buffer.byte_length() < nbytes):
            raise ArtifactError(
                f"{self.name!r}: result {index} of {self._function_name} is "
                f"{_element_name(view.element_type)}{list(view.shape)} ({view.byte_length} "
                f"bytes), its metadata says {spec} ({nbytes} bytes): the artefact's "
                "metadata does not match its code")
        visible = int(ireert.MemoryType.HOST_VISIBLE)
        mapping = int(ireert.BufferUsage.MAPPING_SCOPED)
        if (int(buffer.memory_type()) & visible == visible
                and int(buffer.allowed_usage()) & mapping == mapping):
            return _logical(view.map().asarray(spec.shape, dtype), spec)
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
        return _logical(staging.map().asarray(spec.shape, dtype), spec)


class Exported:
    """The result of `export`: a compiled artefact and what it computes.

    Attributes:
      signature: the `Signature` (argument names, input/output pytree descriptions,
        shapes and dtypes) that `irax.runtime.load` checks calls against.
      metadata: everything stored in the artefact (versions, targets, signature).
      targets: the targets it was compiled for.
      vmfb: the artefact's bytes.
    """

    def __init__(self, text: str, vmfb: bytes, metadata: dict):
        self._text = text
        self.vmfb = vmfb
        self.metadata = metadata
        self.targets = tuple(metadata["targets"])
        self.signature: Signature = signature_from_metadata(metadata)

    def __repr__(self) -> str:
        return (f"Exported({self.metadata['function']}{self.signature}, targets="
                f"{self.targets}, {len(self.vmfb)} bytes)")

    def mlir_text(self) -> str:
        """The StableHLO module that was compiled (constants and metadata included)."""
        return self._text

    def save(self, path: str | os.PathLike) -> None:
        """Writes the .vmfb to `path` (atomically: a temporary file, then a rename).

        Example:
          >>> irax.export(f, x).save("f.vmfb")   # then: iree-run-module --module=f.vmfb
        """
        path = os.fspath(path)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                   prefix=".irax-export-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.vmfb)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise


def load(path: str | os.PathLike | bytes, device="cpu") -> Loaded:
    """`load(path, device="cpu")`: an artefact of `irax.export`, ready to call.

    **Load only artefacts you trust, as you would a shared library**: an artefact is
    native code, and loading a crafted one runs its code in this process (inherent to
    IREE). What can be checked is: the file's checksum (before IREE sees a byte), its
    metadata against the module's own signature, and each result's shape, element
    type and byte size before it is read. Needs only ``iree.runtime`` and NumPy.

    Args:
      path: the .vmfb file (or its bytes).
      device: a platform the artefact was exported for: "cpu" (IREE's ``local-sync``
        driver), "vulkan", "cuda" or "hip" (the first device of that driver); an IREE
        device URI such as "local-task" or "vulkan://0"; or an irax `Device`. Metal
        artefacts cannot run from Python (IREE's Python runtime has no Metal driver).

    Returns:
      A `Loaded` callable: same pytree in, same pytree out (NumPy arrays).

    Raises:
      ArtifactError: a missing, truncated, corrupt (failing its checksum) or foreign
        file, metadata that disagrees with the module, one written by a newer irax, or
        a device the artefact was not compiled for. Every failure of `load` and of a
        call is an `ArtifactError`.

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
                hal_device = _hal_devices[uri] = ireert.get_device(uri, cache=False)
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


def _logical(mapped: np.ndarray, spec: LeafSpec) -> np.ndarray:
    """A copy of a mapped result, in the leaf's own dtype when the module carries it
    wider (bool from 0/1 words, narrow integers from their exact wide values)."""
    return mapped.astype(_numpy_dtype(spec.dtype)) if spec.storage != spec.dtype else (
        np.array(mapped))


def _element_class(element_type) -> tuple[int, int]:
    """(numerical class, bits) of an IREE element type (``class << 24 | bits``), with
    signless, signed and unsigned integers and booleans one class: IREE reports an
    ``i32`` result as signless or signed depending on the program."""
    value = int(element_type)
    numerical, bits = value >> 24, value & 0xFF
    return (0x10 if 0x10 <= numerical <= 0x13 else numerical), bits


def _element_name(element_type) -> str:
    try:
        return ireert.HalElementType(int(element_type)).name
    except ValueError:
        return f"element type {int(element_type):#x} "


def _numpy_dtype(name: str) -> np.dtype:
    if name != "bfloat16":
        return np.dtype(name)
    try:
        import ml_dtypes
    except ImportError:
        raise ArtifactError("this artefact uses bfloat16, which needs the ml_dtypes "
                            "package (pip install ml_dtypes)") from None
    return np.dtype(ml_dtypes.bfloat16)
