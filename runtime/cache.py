"""Persistent compile cache: .vmfb bytes keyed by (MLIR, compiler version, flags, target).

Two layers: a dict in memory, then one file per key under
``$IRAX_CACHE_DIR/vmfb/`` (default ``~/.cache/irax``). Each file is a small header
(magic, format version, payload length, sha256 of the payload) and the payload.
Files are written to a temporary name in the same folder and renamed with
`os.replace`, so readers and concurrent writers (threads or processes) only ever see
whole entries; a file that fails its checksum (a torn write after a crash, a disk
error) is counted as corrupt, recompiled and replaced, never loaded.

`stats()` counts hits, misses and compiles for the whole process; with
``irax.config.log_compiles`` (``IRAX_LOG_COMPILES=1``) each compile logs one line to
stderr with its reason and time.
"""
import hashlib
import json
import os
import struct
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from irax.core.config import config
from irax.runtime.compiler import compile_flags, compile_mlir, compiler_version, target_identity

_MAGIC = b"IRAXVMFB"
_FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sIQ32s")  # magic, format version, payload length, sha256(payload)


class CacheKey(NamedTuple):
    """What a compiled program depends on. `digest` (sha256 of all fields) names the file.

    `target` is `compiler.target_identity(target)`: the target name, plus the host CPU's
    fingerprint for targets compiled for the host CPU.
    """
    mlir_sha256: str
    compiler_version: str
    flags: tuple[str, ...]
    target: str

    @property
    def digest(self) -> str:
        """Hex sha256 of the key's fields; the entry's file name."""
        return hashlib.sha256(json.dumps(list(self)).encode()).hexdigest()


class CacheStats(NamedTuple):
    """Process-wide counters since start (or `reset_stats()`)."""
    memory_hits: int
    disk_hits: int
    misses: int
    compiles: int
    corrupt: int
    compile_seconds: float


def cache_key(mlir: str, target: str = "cpu", extra_flags: Sequence[str] = ()) -> CacheKey:
    """The `CacheKey` for compiling `mlir` for `target` with `extra_flags`.

    Example:
      >>> key = cache_key("func.func @main() { return }")
      >>> key.target.startswith("cpu@"), len(key.digest)
      (True, 64)
    """
    return CacheKey(hashlib.sha256(mlir.encode()).hexdigest(), compiler_version(),
                    compile_flags(target, extra_flags), target_identity(target))


def default_cache_dir() -> Path:
    """``$IRAX_CACHE_DIR`` if set, else ``~/.cache/irax``."""
    return Path(os.environ.get("IRAX_CACHE_DIR") or Path.home() / ".cache" / "irax")


class CompileCache:
    """A memory layer over a folder of .vmfb entries. Thread- and process-safe.

    Args:
      directory: the cache root (entries live in ``<directory>/vmfb/``); defaults to
        `default_cache_dir()`.
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self._entries = self.directory / "vmfb"
        self._memory: dict[str, bytes] = {}
        self._key_locks: dict[str, threading.Lock] = {}

    def __repr__(self) -> str:
        return f"CompileCache({str(self.directory)!r})"

    def path(self, key: CacheKey) -> Path:
        """The file that holds (or will hold) `key`'s entry."""
        return self._entries / f"{key.digest}.vmfb"

    def get(self, key: CacheKey) -> bytes | None:
        """The .vmfb for `key` from memory or disk, or None (also for a corrupt file)."""
        return self._lookup(key)[0]

    def put(self, key: CacheKey, vmfb: bytes) -> None:
        """Stores `vmfb` under `key` in memory and, atomically, on disk.

        A disk that cannot be written (read-only, full) only gives a warning.
        """
        self._memory[key.digest] = vmfb
        header = _HEADER.pack(_MAGIC, _FORMAT_VERSION, len(vmfb), hashlib.sha256(vmfb).digest())
        tmp = None
        try:
            self._entries.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._entries, prefix=".tmp-", suffix=".vmfb")
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(vmfb)
            os.replace(tmp, self.path(key))
        except OSError as e:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            warnings.warn(f"irax: could not write compile cache entry in {self._entries}: {e}",
                          RuntimeWarning, stacklevel=2)

    def clear_memory(self) -> None:
        """Drops the in-memory layer (the disk entries stay)."""
        self._memory.clear()

    def compile(self, mlir: str, target: str = "cpu", extra_flags: Sequence[str] = (), *,
                name: str = "module", enabled: bool | None = None) -> bytes:
        """`compiler.compile_mlir` through this cache.

        Args:
          mlir, target, extra_flags, name: as for `compiler.compile_mlir`.
          enabled: use the cache at all; defaults to ``irax.config.compilation_cache``.
            When False, always compiles and neither reads nor writes entries.

        Returns:
          The .vmfb bytes.

        Raises:
          CompileError: as `compiler.compile_mlir`.
        """
        if enabled is None:
            enabled = config.compilation_cache
        if not enabled:
            return _compile(mlir, target, extra_flags, name, "compilation cache disabled")
        key = cache_key(mlir, target, extra_flags)
        # One compile per key at a time in this process: concurrent callers wait for it.
        with self._key_locks.setdefault(key.digest, threading.Lock()):
            vmfb, reason = self._lookup(key)
            if vmfb is None:
                vmfb = _compile(mlir, target, extra_flags, name, reason, key)
                self.put(key, vmfb)
        return vmfb

    def _lookup(self, key: CacheKey) -> tuple[bytes | None, str]:
        """(entry or None, why it is None)."""
        vmfb = self._memory.get(key.digest)
        if vmfb is not None:
            _count(memory_hits=1)
            return vmfb, ""
        try:
            data = self.path(key).read_bytes()
        except OSError:
            _count(misses=1)
            return None, "not in cache"
        vmfb = _verified_payload(data)
        if vmfb is None:
            _count(misses=1, corrupt=1)
            return None, "cache entry corrupt"
        _count(disk_hits=1)
        self._memory[key.digest] = vmfb
        return vmfb, ""


def _verified_payload(data: bytes) -> bytes | None:
    if len(data) < _HEADER.size:
        return None
    magic, version, length, checksum = _HEADER.unpack_from(data)
    payload = data[_HEADER.size:]
    if (magic != _MAGIC or version != _FORMAT_VERSION or length != len(payload)
            or hashlib.sha256(payload).digest() != checksum):
        return None
    return payload


def _compile(mlir: str, target: str, extra_flags: Sequence[str], name: str, reason: str,
             key: CacheKey | None = None) -> bytes:
    start = time.perf_counter()
    vmfb = compile_mlir(mlir, target, extra_flags, name=name)
    seconds = time.perf_counter() - start
    _count(compiles=1, compile_seconds=seconds)
    if config.log_compiles:
        tag = f" key {key.digest[:12]}" if key is not None else ""
        print(f"irax: compiled {name!r} for {target} in {seconds:.3f} s ({reason}){tag}",
              file=sys.stderr)
    return vmfb


_stats_lock = threading.Lock()
_stats = dict.fromkeys(CacheStats._fields, 0)


def _count(**increments) -> None:
    with _stats_lock:
        for field, n in increments.items():
            _stats[field] += n


def stats() -> CacheStats:
    """A snapshot of the process-wide cache counters.

    Example:
      >>> before = stats().compiles
      >>> _ = compile_cached(mlir)          # a hit: no compile
      >>> stats().compiles == before
      True
    """
    with _stats_lock:
        return CacheStats(**_stats)


def reset_stats() -> None:
    """Sets every counter of `stats()` back to zero."""
    with _stats_lock:
        for field in _stats:
            _stats[field] = 0


_caches: dict[Path, CompileCache] = {}


def default_cache() -> CompileCache:
    """The process's `CompileCache` for the current `default_cache_dir()`."""
    directory = default_cache_dir()
    cache = _caches.get(directory)
    if cache is None:
        cache = _caches.setdefault(directory, CompileCache(directory))
    return cache


def compile_cached(mlir: str, target: str = "cpu", extra_flags: Sequence[str] = (), *,
                   name: str = "module", enabled: bool | None = None) -> bytes:
    """Compiles StableHLO `mlir` for `target`, through the default persistent cache.

    See `CompileCache.compile` for the arguments. A warm process start finds the
    entries a previous process wrote and compiles nothing (`stats().compiles` stays 0).

    Example:
      >>> vmfb = compile_cached(mlir_text, "cpu", name="f")
    """
    return default_cache().compile(mlir, target, extra_flags, name=name, enabled=enabled)
