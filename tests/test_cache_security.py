"""The persistent compile cache is not a way in: entries are authenticated with a
per-user key kept outside the cache, untrusted folders and entries are refused with
one `CacheWarning` (which irax's own warning filters let through), and nothing at an
entry's path (a FIFO, a symlink, a huge file) can block or fool a process.

Every test has its own cache folder and key file. Foreign-owner cases need
`os.chown` to another uid, which only root may do: they run as root (as CI does) and
are skipped, saying so, for other users.
"""
import hashlib
import hmac
import os
import re
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

from irax import runtime
from irax.runtime import CpuDevice, compile_mlir, load_executable, to_host
from irax.runtime import cache as cache_module
from irax.runtime.cache import CacheWarning, CompileCache, cache_key

ADD_ONE, ADD_1000 = (textwrap.dedent(f"""\
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {{
      %c = stablehlo.constant dense<{c}> : tensor<4xf32>
      %0 = stablehlo.add %x, %c : tensor<4xf32>
      return %0 : tensor<4xf32>
    }}""") for c in ("1.0", "1000.0"))
"""The victim's `x + 1`, and the program an attacker would like it to run instead."""
OTHER_UID = 54321
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="a foreign owner needs os.chown "
                                "to another uid, which only root may do")


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    """A private key file (not created yet), also for child processes."""
    path = tmp_path / "config" / "irax" / "cache.key"
    monkeypatch.setenv("IRAX_CACHE_KEY_FILE", str(path))
    return path


@pytest.fixture
def cache_dir(tmp_path, key_file):
    """A cache folder (not created yet) whose entries `key_file` authenticates."""
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def programs():
    """The victim's and the attacker's programs, compiled once (no cache)."""
    return compile_mlir(ADD_ONE, "cpu", name="add_one"), compile_mlir(ADD_1000, "cpu")


def run(vmfb: bytes, x: np.ndarray) -> np.ndarray:
    return to_host(load_executable(vmfb, CpuDevice())(x)[0])


def assert_computes_x_plus_one(vmfb: bytes) -> None:
    for x in (np.float32([1, 2, 3, 4]), np.float32([-8, 0.5, 1e3, 7])):
        np.testing.assert_array_equal(run(vmfb, x), x + np.float32(1))


def header(version: int, payload: bytes, mac: bytes) -> bytes:
    return struct.pack("<8sIQ32s", b"IRAXVMFB", version, len(payload), mac) + payload


def cache_warnings(*calls) -> list[str]:
    """Runs `calls`; returns the messages of the CacheWarnings they gave (every other
    warning fails the test)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in calls:
            call()
    assert all(w.category is CacheWarning for w in caught), caught
    return [str(w.message) for w in caught]


def files_under(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


# Authenticated entries ---------------------------------------------------------------------

def test_folders_key_and_entries_are_private_and_entries_authenticated(cache_dir, key_file):
    vmfb = CompileCache(cache_dir).compile(ADD_ONE, name="add_one")
    key = cache_key(ADD_ONE)
    entry = CompileCache(cache_dir).path(key)
    for path, mode in [(cache_dir, 0o700), (cache_dir / "vmfb", 0o700), (entry, 0o600),
                       (key_file.parent, 0o700), (key_file, 0o600)]:
        assert stat.S_IMODE(os.stat(path).st_mode) == mode, path
    secret = key_file.read_bytes()
    assert len(secret) == 32
    data = entry.read_bytes()
    magic, version, length, mac = struct.unpack_from("<8sIQ32s", data)
    assert (magic, version, length, data[52:]) == (b"IRAXVMFB", 2, len(vmfb), vmfb)
    expected = hmac.new(secret, b"irax-cache-entry\0" + key.digest.encode() + b"\0" + vmfb,
                        hashlib.sha256).digest()
    assert mac == expected
    assert CompileCache(cache_dir).get(key) == vmfb


@pytest.mark.parametrize("forgery", ["sha256 header (format 1)", "MAC under another key",
                                     "own entry of another program, renamed"])
def test_planted_entries_never_run(cache_dir, programs, forgery):
    """The victim's `x + 1` is recompiled, never answered by the attacker's program."""
    victim, attacker = programs
    key = cache_key(ADD_ONE)
    path = CompileCache(cache_dir).path(key)
    path.parent.mkdir(parents=True, mode=0o700)
    if forgery == "sha256 header (format 1)":
        path.write_bytes(header(1, attacker, hashlib.sha256(attacker).digest()))
    elif forgery == "MAC under another key":
        mac = hmac.new(os.urandom(32), b"irax-cache-entry\0" + key.digest.encode() + b"\0"
                       + attacker, hashlib.sha256).digest()
        path.write_bytes(header(2, attacker, mac))
    else:
        other = cache_key(ADD_1000)
        CompileCache(cache_dir).put(other, attacker)
        os.link(CompileCache(cache_dir).path(other), path)
    before = runtime.stats()
    vmfb = CompileCache(cache_dir).compile(ADD_ONE, name="add_one")
    after = runtime.stats()
    assert (after.compiles, after.corrupt) == (before.compiles + 1, before.corrupt + 1)
    assert vmfb == victim
    assert_computes_x_plus_one(vmfb)
    assert CompileCache(cache_dir).get(key) == victim  # the planted entry was replaced


# Untrusted things at an entry's path -------------------------------------------------------

def plant(kind: str, path, programs) -> None:
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if kind == "symlink":
        target = path.parent.parent / "elsewhere.vmfb"
        target.write_bytes(programs[1])
        os.symlink(target, path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "huge file":
        with open(path, "wb") as f:
            f.truncate(3 << 30)  # sparse: 3 GiB that must not be read
    elif kind == "group-writable file":
        path.write_bytes(programs[1])
        path.chmod(0o620)
    elif kind == "foreign owner":
        path.write_bytes(programs[1])
        path.chmod(0o600)
        os.chown(path, OTHER_UID, OTHER_UID)


@pytest.mark.parametrize("kind, warning", [
    ("symlink", "a symlink"),
    ("directory", "not a regular file"),
    ("huge file", None),
    ("group-writable file", r"-rw--w----: group or others may write it"),
    pytest.param("foreign owner", f"owned by uid {OTHER_UID}", marks=needs_root),
])
def test_untrusted_entries_are_ignored_and_replaced(cache_dir, programs, kind, warning):
    key = cache_key(ADD_ONE)
    path = CompileCache(cache_dir).path(key)
    plant(kind, path, programs)
    cache = CompileCache(cache_dir)
    results = []
    messages = cache_warnings(lambda: results.append(cache.get(key)),
                              lambda: results.append(cache.get(key)))
    assert results == [None, None]  # and warned once per cache directory
    if warning is None:
        assert messages == []  # an implausible size reads as a corrupt entry
    else:
        assert len(messages) == 1 and f"ignoring compile cache entry {path}" in messages[0]
        assert re.search(warning, messages[0]), messages
    if kind != "directory":
        cache.put(key, programs[0])
        assert_computes_x_plus_one(CompileCache(cache_dir).get(key))


def test_a_fifo_at_an_entry_does_not_hang_the_next_process(cache_dir, programs):
    path = CompileCache(cache_dir).path(cache_key(ADD_ONE))
    path.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(path)
    code = textwrap.dedent(f"""
        import numpy as np
        from irax import runtime
        vmfb = runtime.compile_cached({ADD_ONE!r}, name="add_one")
        x = np.float32([1, 2, 3, 4])
        print(runtime.to_host(runtime.load_executable(vmfb, runtime.CpuDevice())(x)[0]))
        """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False,
                            env=dict(os.environ, IRAX_CACHE_DIR=str(cache_dir)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[2.", "3.", "4.", "5.]"]
    assert "CacheWarning" in result.stderr and "not a regular file" in result.stderr
    assert stat.S_ISREG(os.lstat(path).st_mode)  # replaced by a real entry


# Untrusted or unusable cache folders -------------------------------------------------------

def spoil(kind: str, cache_dir) -> str:
    """Makes the cache folder `kind` of unusable; returns the expected warning."""
    if kind == "a file in its place":
        cache_dir.write_bytes(b"")
        return f"{cache_dir} exists and is not a directory"
    cache_dir.mkdir(mode=0o700)
    (cache_dir / "vmfb").mkdir(mode=0o700)
    if kind == "group-writable root":
        cache_dir.chmod(0o770)
        return f"{cache_dir} is drwxrwx---: group or others may write it"
    if kind == "world-writable entries folder":
        (cache_dir / "vmfb").chmod(0o703)
        return f"{cache_dir / 'vmfb'} is drwx----wx: group or others may write it"
    os.chown(cache_dir, OTHER_UID, OTHER_UID)
    return f"{cache_dir} is owned by uid {OTHER_UID}, not by this user"


@pytest.mark.parametrize("kind", [
    "a file in its place", "group-writable root", "world-writable entries folder",
    pytest.param("foreign owner", marks=needs_root)])
def test_untrusted_folders_warn_once_and_run_uncached(cache_dir, programs, kind):
    expected = spoil(kind, cache_dir)
    key = cache_key(ADD_ONE)

    def use_twice():
        for _ in range(2):
            cache = CompileCache(cache_dir)
            cache.put(key, programs[0])
            assert cache.get(key) == programs[0]  # the memory layer still works
            assert CompileCache(cache_dir).get(key) is None  # nothing read from disk
    messages = cache_warnings(use_twice)
    assert len(messages) == 1
    assert expected in messages[0] and "not using the compile cache" in messages[0]
    files = files_under(cache_dir) if cache_dir.is_dir() else []
    assert not any(name.endswith(".vmfb") for name in files)


def test_a_read_only_cache_warns_once_and_keeps_reading(cache_dir, programs, monkeypatch):
    key = cache_key(ADD_ONE)
    CompileCache(cache_dir).put(key, programs[0])

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(cache_module.tempfile, "mkstemp", read_only)
    messages = cache_warnings(*[lambda m=mlir: CompileCache(cache_dir).put(cache_key(m),
                                                                           programs[1])
                                for mlir in (ADD_1000, ADD_1000 + " ")])
    assert len(messages) == 1
    assert re.search(r"cannot write compile cache entries in .* \(Read-only file system\)",
                     messages[0])
    assert_computes_x_plus_one(CompileCache(cache_dir).get(key))


def test_warnings_get_past_irax_filters_once_per_process(tmp_path, key_file):
    """Seen from a user's process: `import irax` installs irax's warning filters."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    code = textwrap.dedent("""
        import numpy as np
        import irax
        f = irax.jit(lambda x: x * 3 + 1)
        print(f(np.float32([1, 2])), f(np.float32([-1, 5])))
        """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False,
                            env=dict(os.environ, IRAX_CACHE_DIR=str(blocker)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[4.", "7.]", "[-2.", "16.]"]
    assert result.stderr.count("CacheWarning: irax: not using the compile cache in "
                               f"{blocker}: {blocker} exists and is not a directory") == 1


# The key ------------------------------------------------------------------------------------

def test_key_file_location(monkeypatch, tmp_path):
    monkeypatch.delenv("IRAX_CACHE_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert cache_module.default_key_file() == tmp_path / "xdg" / "irax" / "cache.key"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_module.default_key_file() == tmp_path / "home/.config/irax/cache.key"
    monkeypatch.setenv("IRAX_CACHE_KEY_FILE", str(tmp_path / "k"))
    assert cache_module.default_key_file() == tmp_path / "k"


def spoil_key(kind: str, key_file, cache_dir):
    """Makes the key `kind` of unusable; returns (key file to use, expected warning)."""
    if kind == "inside the cache":
        return cache_dir / "cache.key", "lies inside the cache directory"
    key_file.parent.mkdir(parents=True, mode=0o700)
    if kind == "group-readable":
        key_file.write_bytes(os.urandom(32))
        key_file.chmod(0o640)
        return key_file, "-rw-r-----: group or others may access it"
    if kind == "symlink":
        (key_file.parent / "real.key").write_bytes(os.urandom(32))
        (key_file.parent / "real.key").chmod(0o600)
        key_file.symlink_to(key_file.parent / "real.key")
        return key_file, "cannot open the key file"
    if kind == "wrong length":
        key_file.write_bytes(b"short")
        key_file.chmod(0o600)
        return key_file, "5 bytes long, not 32"
    key_file.write_bytes(os.urandom(32))
    key_file.chmod(0o600)
    os.chown(key_file, OTHER_UID, OTHER_UID)
    return key_file, f"owned by uid {OTHER_UID}"


@pytest.mark.parametrize("kind", ["inside the cache", "group-readable", "symlink",
                                  "wrong length",
                                  pytest.param("foreign owner", marks=needs_root)])
def test_an_untrusted_key_disables_the_disk_layer(cache_dir, key_file, programs, kind):
    path, expected = spoil_key(kind, key_file, cache_dir)
    key = cache_key(ADD_ONE)
    messages = cache_warnings(
        lambda: CompileCache(cache_dir, key_file=path).put(key, programs[0]),
        lambda: CompileCache(cache_dir, key_file=path).get(key))
    assert len(messages) == 1
    assert "not using the compile cache" in messages[0] and expected in messages[0]
    assert not any(name.endswith(".vmfb") for name in files_under(cache_dir))


def test_concurrent_first_uses_agree_on_one_key(tmp_path):
    """Threads racing to create the key (its creation releases the GIL at every system
    call) all read the same complete key, and leave no temporary file behind."""
    for round_ in range(10):
        path = tmp_path / f"round{round_}" / "cache.key"
        barrier = threading.Barrier(8)
        keys = []

        def first_use(path=path, barrier=barrier, keys=keys):
            barrier.wait()
            keys.append(cache_module._secret_key(path, tmp_path / "cache"))
        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 8 and set(keys) == {path.read_bytes()}
        assert len(keys[0]) == 32 and os.listdir(path.parent) == ["cache.key"]
