"""IREE runtime side: compiler driver, compile cache, devices, invocation.
Knows MLIR text and flags, not Graphs.

    vmfb = compile_cached(mlir_text, "cpu", name="f")    # in-process compile, cached
    exe = load_executable(vmfb, CpuDevice())             # one VM context per device
    outs = exe(x_buffer_view, np_array)                  # results stay on the device
    to_host(outs[0])                                     # -> numpy.ndarray
    f = load("predict.vmfb", device="cpu")              # an irax.export artefact
    f(params, x)                                         # same pytrees; runtime only
"""
from irax.runtime.artifact import (
    ArtifactError,
    Exported,
    Loaded,
    add_checksum,
    load,
    read_metadata,
    verify_checksum,
)
from irax.runtime.cache import (
    CacheKey,
    CacheStats,
    CacheWarning,
    CompileCache,
    cache_key,
    compile_cached,
    reset_stats,
    stats,
)
from irax.runtime.compile_fallback import CompileFallbackWarning, compile_with_fallback
from irax.runtime.compiler import (
    TARGET_FLAGS,
    CompileError,
    FlagsRejectedError,
    UnsupportedTypeError,
    compile_flags,
    compile_for_targets,
    compile_mlir,
)
from irax.runtime.device import (
    PLATFORMS,
    CpuDevice,
    CudaDevice,
    Device,
    DeviceMemoryError,
    HipDevice,
    VulkanDevice,
    devices,
    open_devices,
    release_idle_devices,
    to_host,
    transfer_stats,
)
from irax.runtime.executable import Executable, load_executable

__all__ = [
    "PLATFORMS",
    "TARGET_FLAGS",
    "ArtifactError",
    "CacheKey",
    "CacheStats",
    "CacheWarning",
    "CompileCache",
    "CompileError",
    "CompileFallbackWarning",
    "CpuDevice",
    "CudaDevice",
    "Device",
    "DeviceMemoryError",
    "Executable",
    "Exported",
    "FlagsRejectedError",
    "HipDevice",
    "Loaded",
    "UnsupportedTypeError",
    "VulkanDevice",
    "add_checksum",
    "cache_key",
    "compile_cached",
    "compile_flags",
    "compile_for_targets",
    "compile_mlir",
    "compile_with_fallback",
    "devices",
    "load",
    "load_executable",
    "open_devices",
    "read_metadata",
    "release_idle_devices",
    "reset_stats",
    "stats",
    "to_host",
    "transfer_stats",
    "verify_checksum",
]
