"""Memory stays bounded: loaded programs are released least-recently-used first, past
`config.program_cache_size` programs (or `program_cache_bytes`), and reload from the
compile cache when called again; `irax.clear_caches()` releases everything.

The 2,000-shape RSS check runs in a subprocess with ``IRAX_LONG_TESTS=1`` (it compiles
2,000 programs); CI runs the same mechanism on a few shapes with a small bound.
"""
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.runtime import executable as executable_module
from irax.transforms import loaded_programs

pytestmark = pytest.mark.usefixtures("private_cache_dir")


@pytest.fixture
def small_bound():
    previous = irax.config.program_cache_size
    irax.clear_caches()
    irax.config.update("program_cache_size", 3)
    yield 3
    irax.config.update("program_cache_size", previous)


def _live_executables() -> int:
    gc.collect()
    return len(executable_module._executables)


def test_loaded_programs_stay_within_the_bound(small_bound):
    f = irax.jit(lambda x: jnp.sin(x) * 2.0 + 1.0)
    before = _live_executables()
    for n in range(1, 9):
        x = np.linspace(0, 1, n, dtype=np.float32)
        np.testing.assert_allclose(f(x), np.sin(x) * 2 + 1, rtol=1e-6)
        assert loaded_programs.loaded_count()[0] <= small_bound
    assert _live_executables() - before <= small_bound  # released modules are freed
    for n in (1, 8, 2):  # released programs load again (from the compile cache)
        x = np.linspace(1, 2, n, dtype=np.float32)
        np.testing.assert_allclose(f(x), np.sin(x) * 2 + 1, rtol=1e-6)


def test_recently_used_programs_survive_a_sweep(small_bound):
    f = irax.jit(lambda x: x + 1)
    hot = np.zeros(1, np.float32)
    f(hot)
    for n in range(2, 8):
        f(hot)  # called between every admission: second chance keeps it
        f(np.zeros(n, np.float32))
    (hot_program,) = [c for c in f._cache.values() if c.graph.in_avals[0].shape == (1,)]
    assert hot_program._loaded is not None


def test_transforms_of_jit_programs_are_bounded_too(small_bound):
    f = irax.jit(lambda x: jnp.sum(jnp.tanh(x) ** 2))
    for n in range(2, 7):
        x = np.linspace(-1, 1, n, dtype=np.float32)
        np.testing.assert_allclose(irax.grad(f)(x), 2 * np.tanh(x) / np.cosh(x) ** 2,
                                   rtol=1e-5)
        assert loaded_programs.loaded_count()[0] <= small_bound


def test_clear_caches_releases_everything_and_functions_still_work(capfd, monkeypatch):
    monkeypatch.setattr(irax.config, "log_compiles", True)
    f = irax.jit(lambda x: x * 3)
    np.testing.assert_allclose(f(np.ones(2, np.float32)), [3, 3])
    irax.grad(irax.jit(lambda x: jnp.sum(x ** 2)))(np.ones(2, np.float32))
    assert loaded_programs.loaded_count()[0] > 0
    irax.clear_caches()
    assert loaded_programs.loaded_count() == (0, 0)
    capfd.readouterr()
    np.testing.assert_allclose(f(np.full(2, 2, np.float32)), [6, 6])
    log = capfd.readouterr().err
    assert "traced" in log  # traced again ...
    assert "not in cache" not in log  # ... but loaded from the disk cache, not compiled


@pytest.mark.skipif(os.environ.get("IRAX_LONG_TESTS") != "1",
                    reason="compiles 2,000 programs; set IRAX_LONG_TESTS=1")
def test_two_thousand_shapes_keep_rss_growth_under_40_mb(tmp_path):
    script = textwrap.dedent("""
        import numpy as np, irax, irax.numpy as jnp
        def rss_mb():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * 4096 / 2**20
        f = irax.jit(lambda x: jnp.sin(x) * 2.0 + 1.0)
        f(np.ones(1, np.float32))
        base = rss_mb()
        for n in range(2, 2002):
            f(np.ones(n, np.float32))
        print(rss_mb() - base)
    """)
    env = dict(os.environ, IRAX_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert float(out.stdout.split()[-1]) < 40, out.stdout
