"""Shared fixtures (x64 toggling and a private compile cache, each restoring the
previous setting) and a summary line for the Vulkan tests."""
import os

import pytest

import irax


@pytest.fixture
def x64():
    """Runs the test with 64-bit dtypes enabled (float64 default)."""
    previous = irax.config.enable_x64
    irax.config.update("enable_x64", True)
    yield
    irax.config.update("enable_x64", previous)


@pytest.fixture(scope="module")
def private_cache_dir(tmp_path_factory):
    """Compile into a fresh cache directory (the suite must not depend on ~/.cache)."""
    previous = os.environ.get("IRAX_CACHE_DIR")
    os.environ["IRAX_CACHE_DIR"] = str(tmp_path_factory.mktemp("irax-cache"))
    yield
    if previous is None:
        del os.environ["IRAX_CACHE_DIR"]
    else:
        os.environ["IRAX_CACHE_DIR"] = previous


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
