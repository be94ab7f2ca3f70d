"""irax.runtime: in-process compile, the persistent compile cache, devices, invocation.

Hand-written StableHLO against NumPy. Every test uses a temporary cache folder.
"""
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import runtime
from irax.runtime import CompileCache, CompileError, CpuDevice, cache_key, load_executable, to_host


def binary_module(op: str, ty: str) -> str:
    return textwrap.dedent(f"""\
        func.func @main(%a: tensor<8x{ty}>, %b: tensor<8x{ty}>) -> tensor<8x{ty}> {{
          %0 = stablehlo.{op} %a, %b : tensor<8x{ty}>
          return %0 : tensor<8x{ty}>
        }}""")


ADD_F32 = binary_module("add", "f32")
MULTI_OUTPUT = textwrap.dedent("""\
    func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>)
        -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>) {
      %0 = stablehlo.add %a, %b : tensor<2x3xf32>
      %1 = stablehlo.multiply %a, %b : tensor<2x3xf32>
      %z = stablehlo.constant dense<0.0> : tensor<f32>
      %2 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [0, 1]
          : (tensor<2x3xf32>, tensor<f32>) -> tensor<f32>
      return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>
    }""")
SHAPE_ERROR = textwrap.dedent("""\
    func.func @main(%a: tensor<8xf32>, %b: tensor<4xf32>) -> tensor<8xf32> {
      %0 = stablehlo.add %a, %b : (tensor<8xf32>, tensor<4xf32>) -> tensor<8xf32>
          loc("model.py":12:3)
      return %0 : tensor<8xf32>
    }""")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("irax-cache")


@pytest.fixture(scope="module")
def cache(cache_dir):
    return CompileCache(cache_dir)


@pytest.fixture(scope="module")
def add_vmfb(cache):
    return cache.compile(ADD_F32, name="add")


def _run_python(code: str, cache_dir, **env) -> subprocess.CompletedProcess:
    env = dict(os.environ, IRAX_CACHE_DIR=str(cache_dir), **env)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)


# Compile and run ---------------------------------------------------------------------------

@pytest.mark.parametrize("op, ty, dtype, oracle", [
    ("add", "f32", np.float32, np.add),
    ("multiply", "f64", np.float64, np.multiply),
    ("subtract", "i32", np.int32, np.subtract),
])
def test_binary_op_matches_numpy(cache, op, ty, dtype, oracle):
    exe = load_executable(cache.compile(binary_module(op, ty)), CpuDevice())
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-100, 100, 8).astype(dtype) for _ in range(2))
    (out,) = exe(a, b)
    result = to_host(out)
    assert result.dtype == dtype  # float64 is not demoted to float32
    np.testing.assert_array_equal(result, oracle(a, b))


def test_multiple_outputs_and_device_resident_inputs(cache):
    device = CpuDevice()
    exe = load_executable(cache.compile(MULTI_OUTPUT), device)
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.full((2, 3), 0.5, np.float32)
    outs = exe(device.put(a), b)
    assert len(outs) == 3 and outs[0].shape == [2, 3] and outs[2].shape == []
    np.testing.assert_array_equal(to_host(outs[0]), a + b)
    np.testing.assert_array_equal(to_host(outs[1]), a * b)
    assert to_host(outs[2]) == a.sum()
    # Outputs feed the next call without a host round trip.
    np.testing.assert_array_equal(to_host(exe(outs[0], outs[1])[0]), a + b + a * b)


def test_staged_copy_to_host_matches_mapping(add_vmfb):
    device = CpuDevice()
    (out,) = load_executable(add_vmfb, device)(np.ones(8, np.float32), np.ones(8, np.float32))
    np.testing.assert_array_equal(device._staged_to_host(out, np.dtype(np.float32)),
                                  to_host(out))


def test_executable_loaded_once_per_device(add_vmfb):
    exe = load_executable(add_vmfb, CpuDevice(0))
    assert load_executable(add_vmfb, CpuDevice(0)) is exe
    other = load_executable(add_vmfb, CpuDevice(1))
    assert other is not exe and other.device == CpuDevice(1)
    x = np.arange(8, dtype=np.float32)
    np.testing.assert_array_equal(to_host(other(x, x)[0], CpuDevice(1)), 2 * x)


def test_bad_arguments_raise_with_iree_message(add_vmfb):
    exe = load_executable(add_vmfb, CpuDevice())
    with pytest.raises(ValueError, match="expected 2 arguments but passed 1"):
        exe(np.ones(8, np.float32))
    with pytest.raises(ValueError, match="input1 shape dimension 0 mismatch"):
        exe(np.ones(8, np.float32), np.ones(4, np.float32))
    with pytest.raises(ValueError, match="input0 element type mismatch"):
        exe(np.ones(8, np.int32), np.ones(8, np.float32))


def test_threads_share_an_executable(add_vmfb):
    device = CpuDevice()
    exe = load_executable(add_vmfb, device)
    failures = []

    def work(t):
        x = np.full(8, t, np.float32)
        x_on_device = device.put(x)
        for i in range(200):
            y = np.arange(8, dtype=np.float32) * i
            (out,) = exe(x_on_device, y) if i % 2 else exe(x, y)
            if not np.array_equal(to_host(out), x + y):
                failures.append((t, i))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# Compile errors ----------------------------------------------------------------------------

def test_compile_error_keeps_diagnostic_and_location():
    with pytest.raises(CompileError) as info:
        runtime.compile_mlir(SHAPE_ERROR, name="bad")
    message = str(info.value)
    assert "model.py:12:3" in message
    assert "requires the same shape for all operands and results" in message
    assert "'bad' for target 'cpu'" in message
    assert info.value.diagnostics[0][0] == "error"


def test_parse_error_names_the_source_buffer():
    with pytest.raises(CompileError, match=r"broken\.mlir:2:\d+"):
        runtime.compile_mlir("func.func @main() {\n  %0 = stablehlo.nonsense\n}", name="broken")


def test_bad_target_and_bad_flag():
    with pytest.raises(ValueError, match="unknown compile target 'tpu'"):
        runtime.compile_mlir(ADD_F32, "tpu")
    with pytest.raises(CompileError, match="option not found: iree-no-such-flag"):
        runtime.compile_mlir(ADD_F32, extra_flags=["--iree-no-such-flag=1"])


# Compile cache -----------------------------------------------------------------------------

def test_cache_key_is_printable_and_sensitive():
    key = cache_key(ADD_F32)
    assert "llvm-cpu" in repr(key) and key.target.startswith("cpu@")
    assert key == cache_key(ADD_F32)
    assert key.digest != cache_key(ADD_F32 + " ").digest
    assert key.digest != cache_key(ADD_F32, "cpu-portable").digest
    assert key.digest != cache_key(ADD_F32, extra_flags=["--iree-opt-level=O3"]).digest


def test_programs_that_differ_only_in_name_and_locations_share_an_entry(tmp_path):
    """The same computation jitted on two lines (or as an eager device kernel and a
    jit) compiles once: the module's name and `loc(...)` do not change the code."""
    cache = CompileCache(tmp_path)
    f = irax.jit(lambda x: jnp.sin(x) * 2.0)
    g = irax.jit(lambda y: jnp.sin(y) * 2.0)  # another line, another name
    x = np.arange(3, dtype=np.float32)
    first, second = f.lower(x).as_text(), g.lower(x).as_text()
    assert first != second and 'loc("' in first
    assert cache_key(first) == cache_key(second)
    assert cache_key(first) != cache_key(first.replace("2.0", "3.0"))
    before = runtime.stats().compiles
    vmfb = cache.compile(first, name="f")
    assert cache.compile(second, name="g") == vmfb
    assert runtime.stats().compiles == before + 1
    np.testing.assert_allclose(f(x), g(x))
    np.testing.assert_allclose(g(x + 1), np.sin(x + 1) * 2, rtol=1e-6)


def test_hits_in_memory_then_on_disk(cache_dir, cache, add_vmfb):
    before = runtime.stats()
    assert cache.compile(ADD_F32, name="add") == add_vmfb
    assert CompileCache(cache_dir).compile(ADD_F32, name="add") == add_vmfb
    after = runtime.stats()
    assert after.compiles == before.compiles
    assert after.memory_hits == before.memory_hits + 1
    assert after.disk_hits == before.disk_hits + 1


def test_fresh_process_hits_the_disk_cache(cache_dir, add_vmfb):
    code = textwrap.dedent(f"""
        import json, numpy as np
        from irax import runtime
        vmfb = runtime.compile_cached({ADD_F32!r}, name="add")
        (out,) = runtime.load_executable(vmfb, runtime.CpuDevice())(np.ones(8, np.float32),
                                                                   np.ones(8, np.float32))
        print(json.dumps([runtime.stats()._asdict(), runtime.to_host(out).tolist()]))
        """)
    proc = _run_python(code, cache_dir, IRAX_LOG_COMPILES="1")
    stats, result = json.loads(proc.stdout)
    assert stats["compiles"] == 0 and stats["disk_hits"] == 1
    assert "irax: compiled" not in proc.stderr
    assert result == [2.0] * 8


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],                       # truncated write
    lambda data: data[:-1] + bytes([data[-1] ^ 0xFF]),         # flipped payload byte
    lambda data: b"",                                          # empty file
    lambda data: b"not a cache entry" + data[17:],             # bad magic
])
def test_corrupt_entry_is_never_loaded(tmp_path, cache_dir, add_vmfb, damage):
    key = cache_key(ADD_F32)
    path = CompileCache(tmp_path).path(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(damage(CompileCache(cache_dir).path(key).read_bytes()))
    before = runtime.stats().corrupt
    assert CompileCache(tmp_path).get(key) is None
    assert runtime.stats().corrupt == before + 1


def test_corrupt_entry_is_recompiled_and_replaced(tmp_path, capsys):
    cache = CompileCache(tmp_path)
    vmfb = cache.compile(ADD_F32, name="add")
    path = cache.path(cache_key(ADD_F32))
    path.write_bytes(path.read_bytes()[:100])
    before = runtime.stats().compiles
    previous = irax.config.log_compiles
    irax.config.update("log_compiles", True)
    try:
        assert CompileCache(tmp_path).compile(ADD_F32, name="add") == vmfb
    finally:
        irax.config.update("log_compiles", previous)
    assert runtime.stats().compiles == before + 1
    log = capsys.readouterr().err
    assert "irax: compiled 'add' for cpu in" in log
    assert "(cache entry corrupt or not authenticated)" in log
    assert CompileCache(tmp_path).get(cache_key(ADD_F32)) == vmfb


def test_disabled_cache_compiles_and_writes_nothing(tmp_path):
    before = runtime.stats().compiles
    vmfb = CompileCache(tmp_path).compile(ADD_F32, enabled=False)
    assert runtime.stats().compiles == before + 1
    assert vmfb and not any(tmp_path.iterdir())


def test_concurrent_writers_leave_a_loadable_entry(tmp_path, add_vmfb):
    key = cache_key(ADD_F32)
    (tmp_path / "payload").write_bytes(add_vmfb)
    code = textwrap.dedent(f"""
        from pathlib import Path
        from irax.runtime import CompileCache, cache_key
        payload = Path({str(tmp_path / "payload")!r}).read_bytes()
        key = cache_key({ADD_F32!r})
        for _ in range(100):
            CompileCache().put(key, payload)
            assert CompileCache().get(key) == payload  # never a torn entry
        """)
    writers = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE,
                                env=dict(os.environ, IRAX_CACHE_DIR=str(tmp_path)))
               for _ in range(4)]

    def in_process_writer():
        for _ in range(100):
            CompileCache(tmp_path).put(key, add_vmfb)

    threads = [threading.Thread(target=in_process_writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        assert writer.wait() == 0, writer.stderr.read().decode()
    vmfb = CompileCache(tmp_path).get(key)
    assert vmfb == add_vmfb
    assert [p.name for p in (tmp_path / "vmfb").iterdir()] == [f"{key.digest}.vmfb"]
    x = np.arange(8, dtype=np.float32)
    np.testing.assert_array_equal(to_host(load_executable(vmfb, CpuDevice())(x, x)[0]), 2 * x)


def test_one_compile_per_key_across_threads(tmp_path):
    cache = CompileCache(tmp_path)
    before = runtime.stats().compiles
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.compile(ADD_F32)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runtime.stats().compiles == before + 1
    assert len(set(results)) == 1 and len(results) == 4


# Devices and the GIL -----------------------------------------------------------------------

def test_cpu_devices_from_environment(monkeypatch):
    monkeypatch.setenv("IRAX_NUM_CPU_DEVICES", "3")
    assert runtime.devices("cpu") == [CpuDevice(0), CpuDevice(1), CpuDevice(2)]
    assert CpuDevice(2) == runtime.Device("cpu", 2) and repr(CpuDevice(2)) == "CpuDevice(id=2)"


def test_invoke_releases_the_gil(cache):
    matmul = textwrap.dedent("""\
        func.func @main(%a: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
          %0 = stablehlo.dot_general %a, %a, contracting_dims = [1] x [0]
              : (tensor<1024x1024xf32>, tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
          %1 = stablehlo.dot_general %0, %a, contracting_dims = [1] x [0]
              : (tensor<1024x1024xf32>, tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
          return %1 : tensor<1024x1024xf32>
        }""")
    device = CpuDevice()
    exe = load_executable(cache.compile(matmul), device)
    a = device.put(np.full((1024, 1024), 1e-3, np.float32))
    exe(a)
    counter, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    # Were the GIL held during a ~60 ms invoke, the spinner would run one 0.1 ms slice
    # of it (a few % of its free-running count); released, it runs all along.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        start = counter[0]
        time.sleep(0.05)
        rate = (counter[0] - start) / 0.05  # increments per second, running alone
        shares = []
        for _ in range(3):
            start, t0 = counter[0], time.perf_counter()
            exe(a)
            shares.append((counter[0] - start) / (rate * (time.perf_counter() - t0)))
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(interval)
    assert max(shares) > 0.25, shares


def test_program_flags_data_tile_loop_free_real_matmuls_only(x64):
    import irax.numpy as jnp
    from irax import lax
    from irax.mlir_lowering.properties import program_properties
    from irax.runtime.compile_policy import program_flags
    from irax.runtime.compiler import DATA_TILING_FLAGS, SYSTEM_LINK_FLAGS

    def flags(f, *args, target="cpu"):
        return set(program_flags(program_properties(irax.make_graph(f)(*args)), target))

    a = np.ones((2, 2), np.float32)
    assert set(DATA_TILING_FLAGS) <= flags(jnp.dot, a, a)
    looped = lambda x: lax.fori_loop(0, 3, lambda i, v: v @ v, x)
    assert not set(DATA_TILING_FLAGS) & flags(looped, a)
    assert not set(DATA_TILING_FLAGS) & flags(jnp.dot, a.astype(np.complex64), a)
    assert not set(DATA_TILING_FLAGS) & flags(jnp.dot, a, a, target="vulkan")
    assert flags(jnp.sin, a) == set()
    assert flags(jnp.sin, a.astype(np.float64)) == set(SYSTEM_LINK_FLAGS)
    inner_jit = lambda x: irax.jit(lambda y: y @ y)(x) + 1  # sub-Graphs count too
    assert set(DATA_TILING_FLAGS) <= flags(inner_jit, a)
    image, kernel = np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 2), np.float32)
    conv_then_dense = lambda x, k, w: lax.conv_general_dilated(
        x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")).reshape(1, 32) @ w
    assert not set(DATA_TILING_FLAGS) & flags(conv_then_dense, image, kernel,
                                              np.ones((32, 3), np.float32))


def test_a_stax_convnet_adam_step_compiles_at_the_first_attempt():
    """Data-tiled, this step failed to compile (stack allocation limit) and was
    retried without data tiling; programs with convolutions are no longer tiled."""
    import warnings

    import irax.numpy as jnp
    from irax.example_libraries import optimizers, stax
    from irax.runtime.compile_fallback import CompileFallbackWarning
    init_fun, apply_fun = stax.serial(
        stax.Conv(16, (3, 3), padding="SAME"), stax.Relu,
        stax.MaxPool((2, 2), strides=(2, 2)), stax.Flatten, stax.Dense(10), stax.LogSoftmax)
    _, params = init_fun(irax.random.PRNGKey(0), (-1, 28, 28, 1))
    opt_init, opt_update, get_params = optimizers.adam(1e-3)

    def loss(params, x, y):
        return -jnp.mean(jnp.sum(apply_fun(params, x) * y, axis=-1))

    step = irax.jit(lambda i, s, x, y: opt_update(i, irax.grad(loss)(get_params(s), x, y), s))
    x = np.random.default_rng(0).standard_normal((32, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(32) % 10]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)
        state = step(0, opt_init(params), x, y)
        state = step(1, state, -x, y)
    assert np.isfinite(float(loss(get_params(state), x, y)))


def test_loops_of_matmuls_run_on_local_task_and_mix_buffers_with_local_sync():
    import irax.numpy as jnp
    from irax import lax
    from irax.mlir_lowering.properties import program_properties
    from irax.runtime.compile_policy import program_driver
    from irax.runtime.device import CpuDevice
    device = CpuDevice(0)
    if device.driver != "local-sync":
        pytest.skip("IRAX_CPU_DRIVER chose another default driver")

    def driver(f, *args):
        return program_driver(program_properties(irax.make_graph(f)(*args)), device)

    step = lambda h, x: (jnp.tanh(h @ w + x), h)
    w = (np.eye(64, dtype=np.float32) * 0.5)
    h0, xs = np.zeros((64, 64), np.float32), np.ones((5, 64, 64), np.float32)
    scan_fn = lambda h, xs: lax.scan(step, h, xs)
    scan = irax.jit(scan_fn)
    assert driver(scan_fn, h0, xs) == "local-task"
    w8 = np.eye(8, dtype=np.float32)
    small = lambda h, xs: lax.scan(lambda h, x: (jnp.tanh(h @ w8 + x), h), h, xs)
    assert driver(small, h0[:8, :8], xs[:, :8, :8]) == "local-sync"
    assert driver(lambda a: a @ a, w) == "local-sync"
    carry, hs = scan(h0, xs)
    h, want = h0, []
    for x in xs:
        want.append(h)
        h = np.tanh(h @ w + x)
    np.testing.assert_allclose(np.asarray(carry), h, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(hs), np.stack(want), rtol=1e-6)
    # a local-task result feeds a local-sync program and back
    again = irax.jit(lambda a: a * 2.0)(carry)
    np.testing.assert_allclose(np.asarray(scan(again, xs)[0]), np.asarray(
        lax.scan(step, np.asarray(again), xs)[0]), rtol=1e-6)


def test_compute_bound_matmuls_run_on_local_task_outer_products_do_not():
    import irax.numpy as jnp
    from irax.mlir_lowering.properties import program_properties
    from irax.runtime.compile_policy import THREADED_MIN_MATMUL_FLOPS, program_driver
    from irax.runtime.device import CpuDevice
    device = CpuDevice(0)
    if device.driver != "local-sync":
        pytest.skip("IRAX_CPU_DRIVER chose another default driver")

    def properties(f, *args):
        return program_properties(irax.make_graph(f)(*args))

    attention_like = lambda q, k: jnp.einsum("bqd,bkd->bqk", q, k)
    q = np.ones((32, 256, 64), np.float32)
    big = properties(attention_like, q, q)
    assert big.largest_matmul_flops == 2 * 32 * 256 * 256 * 64 >= THREADED_MIN_MATMUL_FLOPS
    assert program_driver(big, device) == "local-task"
    outer = properties(lambda a, b: jnp.einsum("bi,bj->bij", a, b),
                       np.ones((128, 784), np.float32), np.ones((128, 512), np.float32))
    assert outer.largest_matmul == 128 * 784 * 512 and outer.largest_matmul_flops < 2 ** 27
    assert program_driver(outer, device) == "local-sync"
    compiled = irax.jit(attention_like)
    for seed in (0, 1):
        a, b = (np.random.default_rng(seed + i).standard_normal(q.shape).astype(np.float32)
                for i in range(2))
        np.testing.assert_allclose(np.asarray(compiled(a, b)),
                                   np.einsum("bqd,bkd->bqk", a, b), rtol=2e-4, atol=2e-3)
