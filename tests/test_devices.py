"""The device model: listing, placement (`device_put`, committed arrays), the device a
jitted program runs on, the default device, and the platforms that cannot run here."""
import os
import subprocess
import sys

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.core.tensor import BufferArray
from irax.runtime import CompileError, CpuDevice, Device, cache_key
from irax.runtime.compiler import UnsupportedTypeError, check_element_types, compile_mlir
from irax.runtime.device import transfer_stats
from irax.runtime.placement import DeviceMismatchError

DEVICES = irax.devices()
CUDA = [d for d in DEVICES if d.platform == "cuda"]
DTYPES = ["float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32",
          "int64", "uint64", "bool", "complex64", "float16", "bfloat16"]


def test_devices_lists_the_cpu_first_and_every_platform_present():
    assert DEVICES[0] == CpuDevice(0) and repr(DEVICES[0]) == "CpuDevice(id=0)"
    assert irax.devices("cpu") == [CpuDevice(0)]
    for d in DEVICES:
        assert irax.devices(d.platform)[d.id] == d
        assert repr(d).startswith({"cpu": "CpuDevice(", "vulkan": "VulkanDevice(",
                                   "cuda": "CudaDevice(", "hip": "HipDevice("}[d.platform])
    with pytest.raises(ValueError, match="unknown platform 'tpu'"):
        irax.devices("tpu")


def test_metal_is_a_compile_target_only():
    for attempt in (lambda: irax.devices("metal"), lambda: Device("metal")):
        with pytest.raises(ValueError, match="IREE's Python runtime has no Metal driver"):
            attempt()


@pytest.mark.skipif(bool(CUDA), reason="a CUDA device is present")
def test_a_platform_without_devices_says_why():
    with pytest.raises(RuntimeError, match="no cuda device: IREE's 'cuda' driver"):
        irax.devices("cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not CUDA, reason="no CUDA device (needs an NVIDIA GPU and libcuda)")
def test_jit_and_eager_ops_on_cuda():
    x = irax.device_put(np.linspace(-2, 2, 7, dtype=np.float32), CUDA[0])
    for y in (irax.jit(lambda a: jnp.tanh(a) * 2.0)(x), jnp.tanh(x) * 2.0):
        assert y.device == CUDA[0]
        np.testing.assert_allclose(np.asarray(y), np.tanh(np.linspace(-2, 2, 7)) * 2,
                                   rtol=1e-6)


def _sample(dtype):
    values = np.array([[0, 1, 5], [2, 3, 7]])
    return values.astype(bool) if dtype == "bool" else values.astype(jnp.dtype(dtype))


@pytest.mark.parametrize("device", DEVICES, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
def test_device_put_round_trips_every_dtype(x64, device, dtype):
    host = _sample(dtype)
    x = irax.device_put(host, device)
    assert type(x) is BufferArray and x.device == device and x.devices() == {device}
    assert x.committed and x.dtype == host.dtype and x.shape == host.shape
    np.testing.assert_array_equal(np.asarray(x), host)
    # Back to the first CPU device: an explicit copy, same values.
    back = irax.device_put(x, CpuDevice(0))
    assert back.device == CpuDevice(0) and back.dtype == host.dtype
    np.testing.assert_array_equal(np.asarray(back), host)


def test_device_put_keeps_pytrees_and_weak_types():
    tree = {"a": 2.0, "b": [np.arange(3, dtype=np.int32), jnp.ones(2)]}
    put = irax.device_put(tree, CpuDevice(0))
    assert put["a"].weak_type and put["a"].device == CpuDevice(0)
    assert [v.dtype for v in put["b"]] == [np.int32, np.float32]
    np.testing.assert_array_equal(np.asarray(put["b"][0]), [0, 1, 2])
    with pytest.raises(TypeError, match="device_put: device must be an irax Device"):
        irax.device_put(1.0, "cpu")


def test_array_device_of_host_device_and_jit_results():
    host = jnp.arange(3.0)
    assert host.device == CpuDevice(0) and host.devices() == {CpuDevice(0)}
    assert not host.committed
    y = irax.jit(lambda a: a + 1)(host)
    assert y.device == CpuDevice(0) and not y.committed  # followed the default device
    z = irax.jit(lambda a: a + 1)(irax.device_put(host, CpuDevice(1)))
    assert z.device == CpuDevice(1) and z.committed  # followed its committed argument


def test_transfers_between_devices_are_explicit_and_exact():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    chain = [CpuDevice(0), CpuDevice(1), *[d for d in DEVICES if d.platform != "cpu"],
             CpuDevice(0)]
    x = irax.device_put(host, chain[0])
    for device in chain[1:]:
        before = transfer_stats()
        x = irax.device_put(x, device)
        after = transfer_stats()
        assert x.device == device
        assert (after.to_host - before.to_host, after.to_device - before.to_device) == (1, 1)
    np.testing.assert_array_equal(np.asarray(x), host)


def test_jit_compiles_per_device_and_runs_where_arguments_are_committed():
    f = irax.jit(lambda a, b: a * b + 1.0)
    a0, b0 = (irax.device_put(np.full(3, v, np.float32), CpuDevice(0)) for v in (2, 3))
    a1, b1 = (irax.device_put(np.full(3, v, np.float32), CpuDevice(1)) for v in (2, 3))
    assert f(a0, b0).device == CpuDevice(0) and f(a1, b1).device == CpuDevice(1)
    assert {key.device for key in f._cache} == {CpuDevice(0), CpuDevice(1)}
    # Uncommitted host data joins the committed argument's device.
    assert f(a1, np.full(3, 3, np.float32)).device == CpuDevice(1)
    np.testing.assert_array_equal(np.asarray(f(a1, b1)), [7.0, 7.0, 7.0])


def test_mixing_committed_devices_is_an_error_naming_both():
    f = irax.jit(lambda a, b: a + b)
    a = irax.device_put(np.ones(3, np.float32), CpuDevice(0))
    b = irax.device_put(np.ones(3, np.float32), CpuDevice(1))
    with pytest.raises(DeviceMismatchError,
                       match=r"argument 'a' of <lambda> is on CpuDevice\(id=0\) and "
                             r"argument 'b' of <lambda> on CpuDevice\(id=1\)"):
        f(a, b)
    # An explicit device moves both arguments.
    y = irax.jit(lambda a, b: a + b, device=CpuDevice(2))(a, b)
    assert y.device == CpuDevice(2) and y.committed
    np.testing.assert_array_equal(np.asarray(y), [2.0, 2.0, 2.0])
    with pytest.raises(TypeError, match="jit: device must be an irax Device"):
        irax.jit(lambda a: a, device="cpu")


def test_default_device_from_config(monkeypatch):
    monkeypatch.setenv("IRAX_NUM_CPU_DEVICES", "2")
    f = irax.jit(lambda a: a - 1)
    irax.config.update("default_device", "cpu:1")
    try:
        y = f(np.zeros(2, np.int32))
        assert y.device == CpuDevice(1) and not y.committed
        assert irax.device_put(np.zeros(2)).device == CpuDevice(1)
        irax.config.update("default_device", CpuDevice(2))
        assert f(np.zeros(2, np.int32)).device == CpuDevice(2)
        irax.config.update("default_device", "gpu")
        with pytest.raises(ValueError, match="default_device='gpu' is not a device"):
            f(np.zeros(2, np.int32))
        irax.config.update("default_device", "cpu:5")
        with pytest.raises(ValueError, match="'cpu:5': there are only 2 cpu device"):
            f(np.zeros(2, np.int32))
    finally:
        irax.config.update("default_device", None)
    assert f(np.zeros(2, np.int32)).device == CpuDevice(0)


def _run(code: str, **env) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         env={**os.environ, **env}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_number_of_cpu_devices_from_environment():
    code = ("import numpy as np, irax\n"
            "cpus = irax.devices('cpu')\n"
            "y = irax.jit(lambda a: a * 2)(irax.device_put(np.arange(3), cpus[-1]))\n"
            "print(cpus, y.device, np.asarray(y).tolist())\n")
    assert _run(code, IRAX_NUM_CPU_DEVICES="3") == (
        "[CpuDevice(id=0), CpuDevice(id=1), CpuDevice(id=2)] CpuDevice(id=2) [0, 2, 4]")


def test_platform_from_environment_sets_the_default_device():
    code = "import numpy as np, irax\nprint(irax.jit(lambda a: a)(np.ones(1)).device)\n"
    assert _run(code, IRAX_PLATFORM="cpu:1", IRAX_NUM_CPU_DEVICES="2") == "CpuDevice(id=1)"


F64_MODULE = """func.func @main(%a: tensor<3xf64>) -> tensor<3xf64> {
  %0 = stablehlo.add %a, %a : tensor<3xf64>
  return %0 : tensor<3xf64>
}"""


def test_targets_without_float64_refuse_it_before_compiling():
    for target, reason in (("metal", "Metal has no 64-bit floats"),
                           ("vulkan", "IREE.s default SPIR-V target has no 64-bit floats")):
        with pytest.raises(UnsupportedTypeError, match=f"'f' computes with float64, which "
                                                       f"target '{target}' does not support: "
                                                       f"{reason}") as info:
            compile_mlir(F64_MODULE, target, name="f")
        assert isinstance(info.value, (CompileError, TypeError))
    check_element_types(F64_MODULE, "cpu")  # the CPU has float64
    check_element_types(F64_MODULE.replace("f64", "f32"), "vulkan")


def test_compile_cache_key_includes_the_target():
    keys = {cache_key(F64_MODULE, t) for t in ("cpu", "vulkan", "cuda", "hip", "metal")}
    assert len({k.digest for k in keys}) == 5
    assert {k.target.split("@")[0] for k in keys} == {"cpu", "vulkan", "cuda", "hip", "metal"}
