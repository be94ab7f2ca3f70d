"""StableHLO MLIR text → IREE VM flatbuffer (.vmfb), compiled in-process.

Uses the compiler's embedding API (`iree.compiler.api`: one `Session` per compile,
flags set on the session, the standard pipeline run on an `Invocation`, output to a
memory buffer). Diagnostics are collected through the C API's diagnostic callback,
so a `CompileError` carries the compiler's own text, `loc(...)` file:line included.
"""
import ctypes
import functools
import hashlib
import os
import platform
import re
from collections.abc import Sequence

# Every target: the input is StableHLO, and float64 stays float64 (IREE demotes f64 to
# f32 by default; irax decides dtypes itself, float32 unless x64 is enabled).
COMMON_FLAGS = ("--iree-input-type=stablehlo", "--iree-input-demote-f64-to-f32=false")

_LLVM_CPU = ("--iree-hal-target-device=local", "--iree-hal-local-target-device-backends=llvm-cpu")
# Exported artefacts: on x86-64, CPUs with AVX2 and FMA (x86-64-v3: Intel 2013+, AMD
# 2015+); a demo MLP's predict ran 11x faster than for a generic x86-64 (77 vs 848 us).
_PORTABLE_CPU = "x86-64-v3" if platform.machine().lower() in ("x86_64", "amd64") else "generic"

TARGET_FLAGS: dict[str, tuple[str, ...]] = {
    # JIT: code for this machine's CPU (AVX-512 etc. when present).
    "cpu": _LLVM_CPU + ("--iree-llvmcpu-target-cpu=host",),
    # Exported artefacts: a generic CPU of the host's architecture.
    "cpu-portable": _LLVM_CPU + (f"--iree-llvmcpu-target-cpu={_PORTABLE_CPU}",),
    # Exported artefacts for any CPU of the architecture (x86-64 without AVX: ~11x
    # slower on tanh-heavy code than x86-64-v3).
    "cpu-generic": _LLVM_CPU + ("--iree-llvmcpu-target-cpu=generic",),
    # IREE 3.13 rejects sm_90; sm_80 PTX runs on Hopper too. IRAX_CUDA_TARGET overrides.
    "cuda": ("--iree-hal-target-device=cuda",
             f"--iree-cuda-target={os.environ.get('IRAX_CUDA_TARGET', 'sm_80')}"),
    # AMD GPUs: MI300 (gfx942) unless IRAX_HIP_TARGET names another chip.
    "hip": ("--iree-hal-target-device=hip",
            f"--iree-rocm-target={os.environ.get('IRAX_HIP_TARGET', 'gfx942')}"),
    # The default (generic) Vulkan target: vendor targets gave wrong results on lavapipe.
    "vulkan": ("--iree-hal-target-device=vulkan",),
    "metal": ("--iree-hal-target-device=metal", "--iree-metal-target-platform=macos"),
}

_SEVERITY = {0: "note", 1: "warning", 2: "error", 3: "remark"}
_MAX_DIAGNOSTIC_CHARS = 2000  # per diagnostic in the message; `.diagnostics` keeps all
_DIAGNOSTIC_CALLBACK = ctypes.CFUNCTYPE(
    None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)


class CompileError(RuntimeError):
    """IREE rejected a module. The message holds the compiler's diagnostics.

    Attributes:
      diagnostics: list of ``(severity, text)`` pairs, severity one of "error",
        "warning", "note", "remark"; texts start with the MLIR location
        (``file:line:col:``) when the operation carries one.
      flags: the compiler flags used.
    """

    def __init__(self, message: str, diagnostics: list[tuple[str, str]],
                 flags: Sequence[str]):
        super().__init__(message)
        self.diagnostics = diagnostics
        self.flags = tuple(flags)


class FlagsRejectedError(CompileError, ValueError):
    """IREE rejected the compile flags themselves (an unknown option or a bad value)."""


# Element types a target's default code generation lacks or gets wrong, with the reason.
UNSUPPORTED_ELEMENT_TYPES: dict[str, dict[str, str]] = {
    "vulkan": {"f64": "IREE's default SPIR-V target has no 64-bit floats",
               "f16": "IREE's default SPIR-V target gives wrong float16 results on lavapipe"},
    "metal": {"f64": "Metal has no 64-bit floats"},
}
_DTYPE_NAMES = {"f64": "float64", "f16": "float16"}
_TENSOR_ELEMENT = re.compile(r"tensor<(?:[0-9?]+x)*(?:complex<)?(\w+)>")


class UnsupportedTypeError(CompileError, TypeError):
    """A module uses an element type its target cannot compute with (float64 on Vulkan
    or Metal); raised before compiling, with the target and the reason."""


class KnownCrashError(CompileError):
    """A module refused before compiling: `target`'s compiler is known to crash on it."""


# Operations a target's compiler crashes on (a segfault would end the process).
KNOWN_COMPILER_CRASHES: dict[str, tuple[tuple[re.Pattern, str], ...]] = {
    "vulkan": ((re.compile(r'"stablehlo\.sort"\(%[^,)]+, '),
                ("IREE 3.13's SPIR-V backend crashes compiling a sort of several operands "
                 "(sort keys with values, argsort)")),),
}


def check_known_crashes(mlir: str, target: str, name: str = "module") -> None:
    """Raises `KnownCrashError` before compiling a module that `target`'s compiler is
    known to crash on (see `KNOWN_COMPILER_CRASHES`)."""
    for pattern, reason in KNOWN_COMPILER_CRASHES.get(target, ()):
        if pattern.search(mlir):
            message = (f"{name!r} cannot be compiled for target {target!r}: {reason}. "
                       "Run this computation on a CPU device.")
            raise KnownCrashError(message, [("error", message)], compile_flags(target))


def check_element_types(mlir: str, target: str, name: str = "module") -> None:
    """Raises `UnsupportedTypeError` when `mlir` has a tensor element type that `target`
    lacks (see `UNSUPPORTED_ELEMENT_TYPES`)."""
    unsupported = UNSUPPORTED_ELEMENT_TYPES.get(target)
    if not unsupported:
        return
    for element in sorted(set(_TENSOR_ELEMENT.findall(mlir)) & unsupported.keys()):
        dtype = _DTYPE_NAMES[element]
        message = (f"{name!r} computes with {dtype}, which target {target!r} does not "
                   f"support: {unsupported[element]}. Use float32 (with x64 enabled, "
                   f"convert explicitly), or a CPU or CUDA device.")
        raise UnsupportedTypeError(message, [("error", message)], compile_flags(target))


SYSTEM_LINK_FLAGS = ("--iree-llvmcpu-link-embedded=false",)
"""Link host CPU code with the system linker against the system libm: IREE's embedded
ELF has no float64 libm (f64 sin/atan2/fmod fail to link). runtime/compile_policy.py
decides when a program needs it; only for code that stays on this host."""

DATA_TILING_FLAGS = ("--iree-opt-data-tiling",)
"""IREE's data-tiled matmuls (runtime/compile_policy.py says for which programs)."""


def compile_flags(target: str, extra_flags: Sequence[str] = ()) -> tuple[str, ...]:
    """Returns the full flag list for `target` (a key of `TARGET_FLAGS`) plus `extra_flags`.

    Example:
      >>> compile_flags("cuda")[-1]
      '--iree-cuda-target=sm_80'
    """
    try:
        target_flags = TARGET_FLAGS[target]
    except KeyError:
        raise ValueError(f"unknown compile target {target!r}; "
                         f"known targets: {sorted(TARGET_FLAGS)}") from None
    return COMMON_FLAGS + target_flags + tuple(extra_flags)


@functools.cache
def compiler_version() -> str:
    """The IREE compiler's version and revision, e.g. ``'3.13.0rc20261016@89ece87b…'``."""
    from iree.compiler import version
    return f"{version.VERSION}@{version.REVISIONS.get('IREE', '')}"


def target_identity(target: str) -> str:
    """`target`, plus a fingerprint of this machine's CPU when the target compiles for
    the host CPU: a .vmfb built for one CPU may not run on another, so caches key on it.
    """
    if "--iree-llvmcpu-target-cpu=host" in TARGET_FLAGS.get(target, ()):
        return f"{target}@{_host_cpu_fingerprint()}"
    return target


@functools.cache
def _host_cpu_fingerprint() -> str:
    description = f"{platform.machine()} {platform.processor()}"
    try:
        with open("/proc/cpuinfo") as f:
            lines = [ln for ln in f if ln.startswith(("model name", "flags", "Features"))]
        description += "".join(sorted(set(lines)))
    except OSError:
        pass
    return hashlib.sha256(description.encode()).hexdigest()[:16]


def compile_mlir(mlir: str, target: str = "cpu", extra_flags: Sequence[str] = (), *,
                 name: str = "module") -> bytes:
    """Compiles StableHLO MLIR text for `target` and returns the .vmfb bytes.

    Args:
      mlir: a StableHLO module (or a bare ``func.func``) as text.
      target: a key of `TARGET_FLAGS` ("cpu", "cpu-portable", "cuda", "hip", "vulkan",
        "metal").
      extra_flags: more ``iree-compile`` flags, appended after the target's.
      name: the source buffer's name; locations without a file read ``<name>.mlir:L:C``.
        Locations are kept in the .vmfb, so its bytes (not its behaviour) depend on it.

    Returns:
      The VM flatbuffer, ready for `iree.runtime.VmModule.copy_buffer`.

    Raises:
      UnsupportedTypeError: the module computes with an element type the target lacks.
      FlagsRejectedError: IREE rejected the flags (a `CompileError`).
      CompileError: the module was rejected; the message holds the compiler's
        diagnostics.

    Example:
      >>> vmfb = compile_mlir('''func.func @main(%a: tensor<8xf32>) -> tensor<8xf32> {
      ...   %0 = stablehlo.add %a, %a : tensor<8xf32>
      ...   return %0 : tensor<8xf32>
      ... }''')
    """
    from iree.compiler.api import Output, Session, Source

    check_element_types(mlir, target, name)
    check_known_crashes(mlir, target, name)
    flags = compile_flags(target, extra_flags)
    diagnostics: list[tuple[str, str]] = []

    @_DIAGNOSTIC_CALLBACK
    def on_diagnostic(severity, message, size, user_data):
        diagnostics.append((_SEVERITY.get(severity, "error"),
                            ctypes.string_at(message, size).decode(errors="replace")))

    session = Session()
    try:
        try:
            session.set_flags(*flags)
        except ValueError as e:  # the binding raises ValueError for rejected flags
            raise FlagsRejectedError(f"IREE rejected the compile flags for target "
                                     f"{target!r}: {e}\nflags: {' '.join(flags)}",
                                     [("error", str(e))], flags) from None
        invocation = session.invocation()
        _enable_callback_diagnostics(invocation, on_diagnostic)
        source = Source.wrap_buffer(session, mlir.encode() + b"\0", buffer_name=f"{name}.mlir")
        if not (invocation.parse_source(source) and invocation.execute()):
            raise CompileError(_error_message(name, target, diagnostics, flags),
                               diagnostics, flags)
        output = Output.open_membuffer()
        try:
            invocation.output_vm_bytecode(output)
            return bytes(output.map_memory())
        finally:
            output.close()
    finally:
        session.close()  # closes the invocation and source too


def compile_for_targets(mlir: str, targets: Sequence[str], *, name: str = "module") -> bytes:
    """Compiles one module for several targets (keys of `TARGET_FLAGS`) into one .vmfb.

    The module's ``hal.device.targets`` attribute names the devices; every target's
    code-generation flags are passed, and the runtime picks the variant of the device
    the module is loaded on. One target is a plain `compile_mlir`.

    Raises:
      CompileError: IREE rejected the module; the message holds its diagnostics.
    """
    if len(targets) == 1:
        return compile_mlir(mlir, targets[0], name=name)
    flags = compile_flags(targets[0], [f for k in targets[1:] for f in TARGET_FLAGS[k]
                                       if not f.startswith("--iree-hal-target-device=")])
    # IREE 3.13 names each backend's linked executable `<module>_linked`: with several
    # targets they collide and all but one target's code is dropped. Unlinked, every
    # dispatch keeps one variant per target. The in-process Session cannot set this
    # global option, so several targets compile with the `iree-compile` tool.
    flags += ("--iree-hal-link-executables=false",)
    from iree.compiler.tools import CompilerToolError, compile_str
    try:
        return compile_str(mlir, extra_args=list(flags))
    except CompilerToolError as err:
        raise CompileError(f"IREE could not compile {name!r} for targets {list(targets)}:"
                           f"\n{err}", [("error", str(err))], flags) from None


def _enable_callback_diagnostics(invocation, callback) -> None:
    _callback_diagnostics_fn()(invocation._inv_p, 0, callback, None)


@functools.cache
def _callback_diagnostics_fn():
    # iree.compiler.api wraps only console diagnostics (printed to stderr); the C API's
    # callback variant, bound here, lets the text land in the exception instead.
    from iree.compiler.api import ctypes_dl
    fn = ctypes_dl._dylib.ireeCompilerInvocationEnableCallbackDiagnostics
    fn.restype = None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_int, _DIAGNOSTIC_CALLBACK, ctypes.c_void_p]
    return fn


def _error_message(name: str, target: str, diagnostics: list[tuple[str, str]],
                   flags: Sequence[str]) -> str:
    lines = [f"IREE could not compile {name!r} for target {target!r}:"]
    for severity, text in diagnostics:
        text = text.strip()
        if len(text) > _MAX_DIAGNOSTIC_CHARS:
            omitted = len(text) - _MAX_DIAGNOSTIC_CHARS
            text = f"{text[:_MAX_DIAGNOSTIC_CHARS]} ... ({omitted} more characters)"
        lines.append(f"{severity}: {text}")
    if not diagnostics:
        lines.append("(the compiler gave no diagnostics)")
    lines.append(f"flags: {' '.join(flags)}")
    return "\n".join(lines)
