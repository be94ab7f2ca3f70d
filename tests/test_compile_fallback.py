"""runtime.compile_fallback: a program IREE fails on with its usual flags compiles with
safer ones; every retry is logged, each cause warned about once, and a program no flag
set compiles raises the first error with the retries noted."""
import warnings

import numpy as np
import pytest

import irax
from irax.mlir_lowering.properties import program_properties
from irax.runtime import CompileError, CpuDevice, compile_fallback, load_executable, to_host
from irax.runtime.compile_fallback import (
    SAFER_FLAG_STEPS,
    CompileFallbackWarning,
    compile_with_fallback,
    safer_flag_sets,
)
from irax.runtime.compile_policy import program_flags
from irax.runtime.compiler import DATA_TILING_FLAGS, FlagsRejectedError, compile_mlir

ADD = """func.func @main(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %0 = stablehlo.add %a, %b : tensor<8xf32>
  return %0 : tensor<8xf32>
}"""


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch, private_cache_dir):
    """Each test sees its causes as new (the one-time warnings are per process)."""
    monkeypatch.setattr(compile_fallback, "_warned", set())


@pytest.fixture
def log_compiles():
    previous = irax.config.log_compiles
    irax.config.update("log_compiles", True)
    yield
    irax.config.update("log_compiles", previous)


def momentum_step(W, V, x, h):
    V = 0.9 * V + x.T @ h
    return W - 0.001 * V, V


def test_data_tiled_momentum_step_compiles_without_data_tiling(log_compiles, capsys):
    # IREE 3.13 fails on this program with data tiling ("large vector sizes (32768
    # bytes)" in the 784x128 matmul): the first retry, without it, compiles.
    rng = np.random.default_rng(0)
    shapes = [(784, 128), (784, 128), (32, 784), (32, 128)]
    avals = [np.zeros(s, np.float32) for s in shapes]
    text = irax.jit(momentum_step).lower(*avals).as_text()
    flags = program_flags(program_properties(irax.make_graph(momentum_step)(*avals)), "cpu")
    assert flags == DATA_TILING_FLAGS
    with pytest.raises(CompileError, match="large vector sizes"):
        compile_mlir(text, "cpu", flags, name="momentum")
    with pytest.warns(CompileFallbackWarning, match="large vector sizes.*without data tiling"):
        vmfb, used = compile_with_fallback(text, "cpu", flags, name="momentum")
    assert used == ("--iree-opt-data-tiling=false",)
    log = capsys.readouterr().err
    assert "compiling 'momentum' for cpu failed: One or more operations with large vector" in log
    assert "retrying 'momentum' without data tiling: --iree-opt-data-tiling=false" in log
    assert "compiled 'momentum' for cpu without data tiling in" in log
    executable = load_executable(vmfb, CpuDevice())
    for _ in range(2):
        W, V, x, h = (rng.standard_normal(s).astype(np.float32) for s in shapes)
        new_W, new_V = (to_host(o) for o in executable(W, V, x, h))
        expected_V = 0.9 * V + x.T.astype(np.float64) @ h
        np.testing.assert_allclose(new_V, expected_V, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(new_W, W - 0.001 * expected_V, rtol=1e-4, atol=1e-5)


def test_a_program_that_compiles_is_compiled_once_with_its_flags():
    calls = []

    def compile_fn(mlir, target, flags, name):
        calls.append(flags)
        return compile_mlir(mlir, target, flags, name=name)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vmfb, used = compile_with_fallback(ADD, "cpu", DATA_TILING_FLAGS, compile_fn=compile_fn)
    assert used == DATA_TILING_FLAGS and calls == [DATA_TILING_FLAGS]
    a, b = np.arange(8, dtype=np.float32), np.full(8, 0.5, np.float32)
    (out,) = load_executable(vmfb, CpuDevice())(a, b)
    np.testing.assert_array_equal(to_host(out), a + b)


def failing_until(n_failures: int, calls: list):
    """A compiler whose first `n_failures` calls fail the way IREE does."""

    def compile_fn(mlir, target, flags, name):
        calls.append(flags)
        if len(calls) <= n_failures:
            message = f"attempt {len(calls)} failed"
            raise CompileError(message, [("error", f"{name}.mlir:3:5: {message}"),
                                         ("note", "details")], flags)
        return b"vmfb"

    return compile_fn


def test_retries_go_through_the_safer_flag_sets_in_order():
    calls = []
    with pytest.warns(CompileFallbackWarning, match=r"\(attempt 1 failed\)"):
        vmfb, used = compile_with_fallback(ADD, "cpu", DATA_TILING_FLAGS, name="f",
                                           compile_fn=failing_until(2, calls))
    assert vmfb == b"vmfb"
    assert calls == [DATA_TILING_FLAGS] + [flags for _, flags in safer_flag_sets(
        DATA_TILING_FLAGS)]
    assert used == calls[-1] and "--iree-opt-const-eval=false" in used
    assert not any(f in DATA_TILING_FLAGS for f in used)


def test_warns_once_per_cause():
    for expect_warning in (True, False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compile_with_fallback(ADD, "cpu", (), compile_fn=failing_until(1, []))
        assert [w.category for w in caught] == ([CompileFallbackWarning] if expect_warning
                                               else [])


def test_when_every_flag_set_fails_the_first_error_is_raised_with_the_retries():
    calls = []
    with pytest.raises(CompileError, match="attempt 1 failed") as info:
        compile_with_fallback(ADD, "cpu", DATA_TILING_FLAGS, name="f",
                              compile_fn=failing_until(100, calls))
    assert len(calls) == 1 + len(SAFER_FLAG_STEPS)
    assert info.value.flags == DATA_TILING_FLAGS
    assert info.value.diagnostics[1] == ("note", "details")
    notes = info.value.__notes__
    assert len(notes) == len(SAFER_FLAG_STEPS)
    assert notes[0].startswith("retried without data tiling (--iree-opt-data-tiling=false)")
    assert notes[-1].endswith(f"attempt {len(calls)} failed")


def test_rejected_flags_and_refused_modules_are_not_retried():
    with pytest.raises(FlagsRejectedError, match="option not found: iree-no-such-flag"):
        compile_with_fallback(ADD, "cpu", ("--iree-no-such-flag=1",))
    calls = []
    f64 = ADD.replace("f32", "f64")
    with pytest.raises(CompileError, match="float64"):
        compile_with_fallback(f64, "vulkan", (), compile_fn=failing_until(0, calls))
    assert calls == []


@pytest.mark.parametrize("description, flags", safer_flag_sets(DATA_TILING_FLAGS))
def test_every_safer_flag_set_compiles_a_program(description, flags):
    vmfb = compile_mlir(ADD, "cpu", flags)
    a = np.linspace(-1, 1, 8, dtype=np.float32)
    for b in (a, a[::-1].copy()):
        (out,) = load_executable(vmfb, CpuDevice())(a, b)
        np.testing.assert_array_equal(to_host(out), a + b)


def test_safer_flag_sets_keep_the_programs_other_flags():
    system_link = "--iree-llvmcpu-link-embedded=false"
    sets = safer_flag_sets((system_link, *DATA_TILING_FLAGS))
    assert [d for d, _ in sets] == [s.description for s in SAFER_FLAG_STEPS]
    assert all(flags[0] == system_link for _, flags in sets)
    assert sets[0][1] == (system_link, "--iree-opt-data-tiling=false")
