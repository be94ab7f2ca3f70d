"""Persistent compile cache: .vmfb bytes keyed by (MLIR, compiler version, flags, target).

Two layers: a dict in memory, then one file per key under
``$IRAX_CACHE_DIR/vmfb/`` (default ``~/.cache/irax``). Each file is a small header
(magic, format version, payload length, HMAC-SHA256) and the payload. Files are
written to a temporary name in the same folder and renamed with `os.replace`, so
readers and concurrent writers (threads or processes) only ever see whole entries.

A cache entry is native code that the next process runs, so the disk layer is not a
way in:

- **Authenticated entries.** The HMAC is keyed by a per-user secret (32 random bytes)
  kept *outside* the cache directory, in ``$IRAX_CACHE_KEY_FILE`` (default
  ``$XDG_CONFIG_HOME/irax/cache.key``, i.e. ``~/.config/irax/cache.key``), created
  0600 on first use, and covers the entry's key digest and payload: an entry planted
  or copied under another name, restored from another machine, torn by a crash or
  damaged on disk fails it and is recompiled and replaced, never loaded. (A plain
  checksum would prove integrity, not authorship.) Sharing a cache between users or
  machines therefore means sharing this key too, with the same trust.
- **Trusted directories.** The cache directory and ``vmfb/`` are created 0700. As
  ssh and pip do, a directory or entry owned by another user (root excepted) or
  writable by group or others is refused; so is a key file that is readable or
  writable by anyone else. Entries are opened without following symlinks and without
  blocking (a FIFO at an entry's path cannot hang the process), and read only if
  they are regular files of plausible size.
- **Loud, once.** When the disk layer cannot be used (a file in the directory's
  place, a read-only disk, a foreign owner, loose permissions, no key), a
  `CacheWarning` says so once per problem and process (a `UserWarning`, so irax's
  filters for NumPy's `RuntimeWarning`s do not swallow it), and irax goes on with
  the memory layer only: it compiles instead of reading or writing untrusted files.

POSIX only (file ownership and ``O_NOFOLLOW``).

`stats()` counts hits, misses and compiles for the whole process; with
``irax.config.log_compiles`` (``IRAX_LOG_COMPILES=1``) each compile logs one line to
stderr with its reason and time.
"""
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import struct
import sys
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from irax.core.config import config
from irax.runtime.compile_fallback import compile_with_fallback
from irax.runtime.compiler import compile_flags, compiler_version, target_identity

_MAGIC = b"IRAXVMFB"
_FORMAT_VERSION = 2  # 1: sha256 of the payload; 2: HMAC-SHA256 of (digest, payload)
_HEADER = struct.Struct("<8sIQ32s")  # magic, format version, payload length, HMAC
_MAX_ENTRY_BYTES = 1 << 31
"""Larger files are not read: jit passes captured arrays as arguments, so programs
are small (kilobytes to a few megabytes)."""
_KEY_BYTES = 32
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class CacheWarning(UserWarning):
    """The persistent compile cache cannot be used safely; irax runs without it."""


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
    return CacheKey(hashlib.sha256(program_text(mlir).encode()).hexdigest(),
                    compiler_version(), compile_flags(target, extra_flags),
                    target_identity(target))


_NAME_AND_LOCATIONS = re.compile(
    r'^module @[\w$.]+|loc\((?:"(?:[^"\\]|\\.)*":\d+:\d+|unknown)\)', re.MULTILINE)


def program_text(mlir: str) -> str:
    """`mlir` without the module's name and the source locations: what the compiled code
    depends on. Programs that differ only there (the same computation jitted from two
    lines, or as an eager device kernel and a jit) share one cache entry; irax calls a
    program by its `main` function, never by the module's name."""
    return _NAME_AND_LOCATIONS.sub("", mlir)


def default_cache_dir() -> Path:
    """``$IRAX_CACHE_DIR`` if set, else ``~/.cache/irax``."""
    return Path(os.environ.get("IRAX_CACHE_DIR") or Path.home() / ".cache" / "irax")


def default_key_file() -> Path:
    """The secret that authenticates cache entries: ``$IRAX_CACHE_KEY_FILE`` if set, else
    ``$XDG_CONFIG_HOME/irax/cache.key`` (``XDG_CONFIG_HOME`` defaults to ``~/.config``)."""
    explicit = os.environ.get("IRAX_CACHE_KEY_FILE")
    if explicit:
        return Path(explicit)
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "irax" / "cache.key"


class CompileCache:
    """A memory layer over a folder of authenticated .vmfb entries. Thread- and
    process-safe.

    Args:
      directory: the cache root (entries live in ``<directory>/vmfb/``); defaults to
        `default_cache_dir()`.
      key_file: the secret key that authenticates entries; defaults to
        `default_key_file()`. It must not lie inside `directory`.
    """

    def __init__(self, directory: str | os.PathLike | None = None,
                 key_file: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.key_file = Path(key_file) if key_file is not None else default_key_file()
        self._entries = self.directory / "vmfb"
        self._memory: OrderedDict[str, bytes] = OrderedDict()  # least recently used first
        self._memory_bytes = 0
        self._memory_lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._disk_lock = threading.Lock()
        self._disk_checked = False
        self._secret: bytes | None = None

    def __repr__(self) -> str:
        return f"CompileCache({str(self.directory)!r})"

    def path(self, key: CacheKey) -> Path:
        """The file that holds (or will hold) `key`'s entry."""
        return self._entries / f"{key.digest}.vmfb"

    def get(self, key: CacheKey) -> bytes | None:
        """The .vmfb for `key` from memory or disk, or None (also for an entry that is
        corrupt, not authenticated by this user's key, or not trusted)."""
        return self._lookup(key)[0]

    def put(self, key: CacheKey, vmfb: bytes) -> None:
        """Stores `vmfb` under `key` in memory and, atomically and authenticated, on disk.

        A disk that cannot be used (read-only, full, untrusted) only gives a
        `CacheWarning`, once per problem.
        """
        self._remember(key.digest, vmfb)
        secret = self._disk()
        if secret is None or not self._folders_usable():
            return
        header = _HEADER.pack(_MAGIC, _FORMAT_VERSION, len(vmfb), _mac(secret, key, vmfb))
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self._entries, prefix=".tmp-", suffix=".vmfb")
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(vmfb)
            os.replace(tmp, self.path(key))
        except OSError as e:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            _warn_once(("write", str(self._entries)),
                       f"irax: cannot write compile cache entries in {self._entries} "
                       f"({e.strerror or e}); compiled programs are not saved for later "
                       "processes")

    def clear_memory(self) -> None:
        """Drops the in-memory layer (the disk entries stay)."""
        with self._memory_lock:
            self._memory.clear()
            self._memory_bytes = 0

    def _remember(self, digest: str, vmfb: bytes) -> None:
        """Keeps `vmfb` in memory, within ``config.program_cache_size`` entries and
        ``config.program_cache_bytes`` bytes (least recently used ones go first)."""
        with self._memory_lock:
            old = self._memory.pop(digest, None)
            self._memory_bytes += len(vmfb) - (len(old) if old is not None else 0)
            self._memory[digest] = vmfb
            while len(self._memory) > 1 and (
                    len(self._memory) > config.program_cache_size
                    or self._memory_bytes > config.program_cache_bytes):
                self._memory_bytes -= len(self._memory.popitem(last=False)[1])

    def _recall(self, digest: str) -> bytes | None:
        with self._memory_lock:
            vmfb = self._memory.get(digest)
            if vmfb is not None:
                self._memory.move_to_end(digest)
            return vmfb

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
        vmfb = self._recall(key.digest)
        if vmfb is not None:
            _count(memory_hits=1)
            return vmfb, ""
        secret = self._disk()
        if secret is None:
            _count(misses=1)
            return None, "disk cache unusable"
        data, reason = self._read_entry(self.path(key))
        if data is None:
            _count(misses=1)
            return None, reason
        vmfb = _verified_payload(data, secret, key)
        if vmfb is None:
            _count(misses=1, corrupt=1)
            return None, "cache entry corrupt or not authenticated"
        _count(disk_hits=1)
        self._remember(key.digest, vmfb)
        return vmfb, ""

    def _read_entry(self, path: Path) -> tuple[bytes | None, str]:
        """The bytes of a trusted regular file at `path` (never a symlink, never
        blocking), or (None, why)."""
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except FileNotFoundError:
            return None, "not in cache"
        except OSError as e:
            why = "a symlink" if e.errno == errno.ELOOP else (e.strerror or str(e))
            return self._untrusted(path, why)
        try:
            info = os.fstat(fd)
            problem = _distrust(info)
            if problem:
                return self._untrusted(path, problem)
            if not _HEADER.size <= info.st_size <= _MAX_ENTRY_BYTES:
                _count(corrupt=1)
                return None, "cache entry corrupt or not authenticated"
            chunks, left = [], info.st_size
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 24))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks), ""
        except OSError as e:
            return self._untrusted(path, e.strerror or str(e))
        finally:
            os.close(fd)

    def _untrusted(self, path: Path, why: str) -> tuple[None, str]:
        _warn_once(("entry", str(self._entries)),
                   f"irax: ignoring compile cache entry {path}: {why}. irax compiles the "
                   "program and replaces the entry (warned once per cache directory)")
        return None, f"untrusted cache entry ({why})"

    def _disk(self) -> bytes | None:
        """The HMAC key if the disk layer is usable, else None (after a warning)."""
        if self._disk_checked:
            return self._secret
        with self._disk_lock:
            if not self._disk_checked:
                if self._folders_usable():
                    try:
                        self._secret = _secret_key(self.key_file, self.directory)
                    except _Unusable as e:
                        self._warn_unusable(e)
                self._disk_checked = True
        return self._secret

    def _folders_usable(self) -> bool:
        """Whether the cache folders are (created if need be and) trusted; warns if not."""
        try:
            _trusted_folder(self.directory)
            _trusted_folder(self._entries)
            return True
        except _Unusable as e:
            self._warn_unusable(e)
            return False

    def _warn_unusable(self, problem: Exception) -> None:
        _warn_once(("disk", str(self.directory), str(problem)),
                   f"irax: not using the compile cache in {self.directory}: {problem}. "
                   "Programs are compiled in every process until this is fixed")


class _Unusable(Exception):
    """Why the disk layer cannot be used."""


def _distrust(info: os.stat_result, directory: bool = False, private: bool = False) -> str:
    """Why a file (or `directory`) with this stat must not be trusted, or ''.

    Trusted: the right kind, owned by this user or root, and not writable by group or
    others (`private`: no access for them at all).
    """
    kind_ok = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    if not kind_ok:
        kind = "directory" if directory else "regular file"
        return f"not a {kind} ({stat.filemode(info.st_mode)})"
    if info.st_uid not in (os.geteuid(), 0):
        return f"owned by uid {info.st_uid}, not by this user (uid {os.geteuid()})"
    if info.st_mode & (0o077 if private else 0o022):
        return (f"{stat.filemode(info.st_mode)}: group or others may "
                f"{'access' if private else 'write'} it")
    return ""


def _trusted_folder(folder: Path) -> None:
    """Creates `folder` 0700 if missing; raises _Unusable unless it is a directory of
    this user (or root) that group and others cannot write."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(folder)
    except FileExistsError:
        raise _Unusable(f"{folder} exists and is not a directory") from None
    except OSError as e:
        raise _Unusable(f"cannot create {folder} ({e.strerror or e})") from None
    problem = _distrust(info, directory=True)
    if problem:
        raise _Unusable(f"{folder} is {problem}; fix it (e.g. chmod 700 {folder}) or "
                        "use a directory of your own")


def _secret_key(path: Path, cache_dir: Path) -> bytes:
    """The per-user HMAC key at `path`, created (32 random bytes, mode 0600) if missing."""
    resolved, cache = path.expanduser().resolve(), cache_dir.expanduser().resolve()
    if resolved == cache or cache in resolved.parents:
        raise _Unusable(f"the key file {path} lies inside the cache directory, so a copied "
                        "cache would carry its own key; set IRAX_CACHE_KEY_FILE elsewhere")
    _trusted_folder(path.parent)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        _create_key(path)
        fd = _open_key(path)
    except OSError as e:
        raise _Unusable(f"cannot open the key file {path} ({e.strerror or e})") from None
    try:
        info = os.fstat(fd)
        problem = _distrust(info, private=True)
        if not problem and info.st_size != _KEY_BYTES:
            problem = f"{info.st_size} bytes long, not {_KEY_BYTES}"
        if problem:
            raise _Unusable(f"the key file {path} is {problem}; remove it to have irax "
                            "create a new one (chmod 600 if only its mode is wrong)")
        return os.read(fd, _KEY_BYTES)
    finally:
        os.close(fd)


def _open_key(path: Path) -> int:
    try:
        return os.open(path, _OPEN_FLAGS)
    except OSError as e:
        raise _Unusable(f"cannot open the key file {path} ({e.strerror or e})") from None


def _create_key(path: Path) -> None:
    """Writes a new key to a private temporary file (mkstemp: O_CREAT|O_EXCL, 0600),
    then hard-links it to `path`, which fails if it exists: concurrent processes agree
    on one key, and nobody ever reads a partly written one."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache.key-")
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(_KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process created it first: use theirs
    except OSError as e:
        raise _Unusable(f"cannot create the key file {path} ({e.strerror or e})") from None
    finally:
        if tmp is not None:
            os.unlink(tmp)


def _mac(secret: bytes, key: CacheKey, payload: bytes) -> bytes:
    """HMAC-SHA256 of the entry's name and payload: an entry moved to another key's
    name fails it as surely as a forged one."""
    mac = hmac.new(secret, b"irax-cache-entry\0" + key.digest.encode() + b"\0",
                   hashlib.sha256)
    mac.update(payload)
    return mac.digest()


def _verified_payload(data: bytes, secret: bytes, key: CacheKey) -> bytes | None:
    if len(data) < _HEADER.size:
        return None
    magic, version, length, mac = _HEADER.unpack_from(data)
    payload = data[_HEADER.size:]
    if (magic != _MAGIC or version != _FORMAT_VERSION or length != len(payload)
            or not hmac.compare_digest(_mac(secret, key, payload), mac)):
        return None
    return payload


_warned: set[tuple] = set()
_warned_lock = threading.Lock()


def _warn_once(tag: tuple, message: str) -> None:
    """A `CacheWarning` with `message`, the first time this process meets `tag`."""
    with _warned_lock:
        if tag in _warned:
            return
        _warned.add(tag)
    warnings.warn(message, CacheWarning, stacklevel=3)


def _compile(mlir: str, target: str, extra_flags: Sequence[str], name: str, reason: str,
             key: CacheKey | None = None) -> bytes:
    start = time.perf_counter()
    vmfb, used = compile_with_fallback(mlir, target, extra_flags, name=name)
    seconds = time.perf_counter() - start
    _count(compiles=1, compile_seconds=seconds)
    if config.log_compiles:
        tag = f" key {key.digest[:12]}" if key is not None else ""
        safer = f", with safer flags {' '.join(used)}" if used != tuple(extra_flags) else ""
        print(f"irax: compiled {name!r} for {target} in {seconds:.3f} s ({reason}{safer})"
              f"{tag}", file=sys.stderr)
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


_caches: dict[tuple[Path, Path], CompileCache] = {}


def default_cache() -> CompileCache:
    """The process's `CompileCache` for the current `default_cache_dir()` and
    `default_key_file()`."""
    where = (default_cache_dir(), default_key_file())
    cache = _caches.get(where)
    if cache is None:
        cache = _caches.setdefault(where, CompileCache(*where))
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
