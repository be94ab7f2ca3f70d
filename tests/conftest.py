"""Shared fixtures (x64 toggling, the test run's compile cache, each restoring the
previous setting) and a summary line for the Vulkan tests."""
import os

import pytest

import irax
from irax.runtime import artifact


@pytest.fixture
def x64():
    """Runs the test with 64-bit dtypes enabled (float64 default)."""
    previous = irax.config.enable_x64
    irax.config.update("enable_x64", True)
    yield
    irax.config.update("enable_x64", previous)


@pytest.fixture(scope="session", autouse=True)
def shared_compile_cache(tmp_path_factory):
    """One compile cache for the whole test run (its workers too, under pytest -n), in a
    fresh folder with its own key (the suite never reads or writes ~/.cache). Entries
    are written atomically and keyed by the MLIR, the compiler version and the flags,
    so sharing cannot hide a lowering change; it only saves compiling the same program
    twice. Tests that count compiles make their own folder (`tmp_path`)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # pytest -n: the workers share one cache
        root = tmp_path_factory.getbasetemp().parent / "irax-compile-cache"
        root.mkdir(mode=0o700, exist_ok=True)
    else:
        root = tmp_path_factory.mktemp("irax-compile-cache")
    saved = {name: os.environ.get(name) for name in ("IRAX_CACHE_DIR", "IRAX_CACHE_KEY_FILE")}
    os.environ["IRAX_CACHE_DIR"] = str(root / "cache")
    os.environ["IRAX_CACHE_KEY_FILE"] = str(root / "cache.key")
    yield root / "cache"
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def private_cache_dir(shared_compile_cache):
    """The test run's compile cache (kept as a name for modules that ask for it)."""
    return shared_compile_cache


@pytest.fixture(scope="module", autouse=True)
def release_accelerators():
    """After a module that opened an accelerator device, gives it back: on lavapipe an
    open Vulkan device keeps two threads polling, which slowed every later test about
    threefold (docs/iree_defects.md, defect 16)."""
    yield
    if (any(d.platform != "cpu" for d in irax.runtime.open_devices())
            or any(not uri.startswith("local-") for uri in artifact.open_device_uris())):
        irax.clear_caches()


def pytest_terminal_summary(terminalreporter):
    """One line saying how the Vulkan tests went (CI must show them run, not skipped)."""
    counts = {}
    for outcome in ("passed", "failed", "skipped", "xfailed", "error"):
        reports = terminalreporter.stats.get(outcome, [])
        counts[outcome] = sum(1 for r in reports
                              if getattr(r, "nodeid", "").startswith("tests/test_vulkan.py"))
    if any(counts.values()):
        terminalreporter.write_line("Vulkan tests (tests/test_vulkan.py): " + ", ".join(
            f"{n} {outcome}" for outcome, n in counts.items() if n))
