"""Running out of device memory raises a `MemoryError` naming the device and the size
(`DeviceMemoryError`), on CPU and Vulkan, for compiled programs, eager device ops and
`device_put`; irax keeps working afterwards."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.runtime.device import DeviceMemoryError, format_bytes, raise_if_out_of_memory
from irax.runtime.executable import _declared_results

VULKAN = [d for d in irax.devices() if d.platform == "vulkan"]
needs_vulkan = pytest.mark.skipif(not VULKAN, reason="no Vulkan device (install "
                                  "mesa-vulkan-drivers and libvulkan1 for lavapipe)")
# lavapipe refuses single allocations above 2 GiB without reading the data, so a 2 GiB
# host array that was never written (np.empty: no pages touched) is enough to hit it.
needs_lavapipe = pytest.mark.skipif(
    not any("llvmpipe" in d.name for d in VULKAN),
    reason="the sizes are chosen for lavapipe's 2 GiB limit per allocation")
TERA = 10**6


@pytest.fixture(autouse=True, scope="module")
def _compile_into_a_private_cache(private_cache_dir):
    """Every test of this module compiles into one fresh cache directory."""


def _still_works(device=None):
    """A normal jitted program on `device` gives NumPy's answer for two inputs."""
    double_plus_one = irax.jit(lambda x: 2.0 * x + 1.0, device=device)
    for start in (0.0, 5.0):
        x = np.arange(start, start + 6.0, dtype=np.float32).reshape(2, 3)
        np.testing.assert_array_equal(np.asarray(double_plus_one(x)), 2.0 * x + 1.0)


def test_jit_out_of_host_memory_raises_memory_error_naming_size_and_device():
    zeros = irax.jit(lambda: jnp.zeros((TERA, TERA)))
    for _ in range(2):  # the failed program fails the same way again
        with pytest.raises(MemoryError, match=r"out of memory on CpuDevice\(id=0\) while "
                           r"running program .*results f32\[1000000,1000000\] need "
                           r"3\.64 TiB") as info:
            zeros()
    assert isinstance(info.value, DeviceMemoryError)
    assert isinstance(info.value, RuntimeError)  # what IREE's own error was
    assert info.value.nbytes == 4 * TERA * TERA
    assert info.value.device == irax.devices("cpu")[0]
    assert "RESOURCE_EXHAUSTED" in str(info.value)
    _still_works()


def test_out_of_memory_with_arguments_lists_every_result():
    spread = irax.jit(lambda x: (x + 1.0, jnp.broadcast_to(x, (TERA, TERA)).astype(bool)))
    for start in (0.0, 1.0):  # first call, then the cached-signature fast path
        with pytest.raises(DeviceMemoryError, match=r"results f32\[1000000\], "
                           r"bool\[1000000,1000000\] need 931\.33 GiB"):
            spread(jnp.arange(start, start + TERA, dtype=jnp.float32))
    _still_works()


def test_errors_other_than_exhausted_memory_pass_through_unchanged():
    error = RuntimeError("INVALID_ARGUMENT; input 0 has shape [3]")
    assert raise_if_out_of_memory(error, irax.devices("cpu")[0], "running 'f'", 12) is None


def test_out_of_memory_message_prefers_iree_figure_for_the_failed_allocation():
    error = RuntimeError("allocator.c:1043: RESOURCE_EXHAUSTED; allocation size 3600000000 "
                         "above per-memory-type max allocation size 2147483648")
    with pytest.raises(DeviceMemoryError, match=r"out of memory on CpuDevice\(id=0\) while "
                       r"running 'f': an allocation of 3600000000 bytes \(3\.35 GiB\) "
                       r"failed\..*lax\.map.*\nIREE: allocator\.c") as info:
        raise_if_out_of_memory(error, irax.devices("cpu")[0], "running 'f'", 7)
    assert info.value.nbytes == 3_600_000_000
    assert info.value.__suppress_context__


@pytest.mark.parametrize("nbytes,text", [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.00 KiB"), (3 * 2**20 // 2, "1.50 MiB"),
    (4 * TERA * TERA, "3.64 TiB"), (2**60, "1.00 EiB")])
def test_format_bytes_uses_binary_units(nbytes, text):
    assert format_bytes(nbytes) == text


def test_declared_results_reads_types_and_sizes_of_the_abi_declaration():
    declaration = ("sync func @main(%input0: tensor<3xf32>) -> (%output0: tensor<f32>, "
                   "%output1: tensor<2x3xcomplex<f32>>, %output2: tensor<5xi1>, "
                   "%output3: tensor<4x4xui8>, %output4: tensor<7xbf16>, "
                   "%output5: tensor<2x2xcomplex<f64>>, %output6: tensor<3xi64>)")
    assert _declared_results(declaration) == [
        ("f32[]", 4), ("c64[2,3]", 2 * 3 * 8), ("bool[5]", 5), ("u8[4,4]", 16),
        ("bf16[7]", 14), ("c128[2,2]", 4 * 16), ("i64[3]", 24)]
    assert _declared_results("") == []


@needs_vulkan
def test_jit_out_of_vulkan_memory_raises_memory_error():
    vk = VULKAN[0]
    zeros = irax.jit(lambda: jnp.zeros((TERA, TERA)), device=vk)
    with pytest.raises(MemoryError, match=r"out of memory on VulkanDevice\(id=0.*"
                       r"f32\[1000000,1000000\] need 3\.64 TiB: an allocation of "
                       r"4000000000000 bytes \(3\.64 TiB\) failed") as info:
        zeros()
    assert info.value.device == vk and info.value.nbytes == 4 * TERA * TERA
    _still_works(vk)


@needs_lavapipe
def test_eager_op_out_of_vulkan_memory_raises_memory_error():
    vk = VULKAN[0]
    x = irax.device_put(np.ones(1, np.float32), vk)
    with pytest.raises(MemoryError, match=r"out of memory on VulkanDevice.* while running "
                       r"program 'eager_broadcast_in_dim', whose results f32\[30000,30000\] "
                       r"need 3\.35 GiB: an allocation of 3600000000 bytes"):
        jnp.broadcast_to(x, (30000, 30000))
    for host in ([1.0, -2.0, 4.0], [0.5, 8.0, -1.0]):  # eager ops on the device still run
        y = irax.device_put(np.array(host, np.float32), vk)
        np.testing.assert_array_equal(np.asarray(jnp.broadcast_to(y, (2, 3))), [host] * 2)


@needs_lavapipe
def test_device_put_of_a_huge_host_array_raises_memory_error():
    vk = VULKAN[0]
    huge = np.empty(2**29 + 16, np.float32)  # 2 GiB + 64 bytes, never written
    with pytest.raises(MemoryError, match=r"out of memory on VulkanDevice.* while copying "
                       r"f32\[536870928\] \(2\.00 GiB\) to it: an allocation of 2147483712 "
                       r"bytes") as info:
        irax.device_put(huge, vk)
    assert info.value.nbytes == huge.nbytes
    _still_works(vk)
