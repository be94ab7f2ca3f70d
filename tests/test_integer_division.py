"""Integer division by zero and INT_MIN // -1, as JAX computes them, eager and under
jit on every available device (CPU; Vulkan where lavapipe or a GPU is present).

JAX's integer division is XLA's: `lax.div` rounds toward zero and `x / 0` has all bits
set (-1 signed, the maximum unsigned); `lax.rem` is C's `%` with `x % 0 = x`;
`INT_MIN / -1` wraps to INT_MIN and `INT_MIN % -1` is 0. jax.numpy builds on them
(jax/_src/numpy/ufuncs.py):
- `floor_divide` (`//`): unsigned is `lax.div`; signed subtracts 1 where
  `sign(x) != sign(y)` and `rem(x, y) != 0`, so `x // 0` is -2 for x != 0 and -1 for 0;
- `remainder` (`%`) and `fmod` replace a zero integer divisor by 1 first: `x % 0` is 0;
- `divmod` is `(floor_divide, remainder)`.
"""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax

# x / 0 and x % 0 for integers. "x": the dividend itself; "max": all bits set.
#                  signed x != 0  signed x == 0  unsigned
BY_ZERO = {
    "lax.div":      (-1,           -1,            "max"),
    "lax.rem":      ("x",          0,             "x"),
    "floor_divide": (-2,           -1,            "max"),
    "remainder":    (0,            0,             0),
    "fmod":         (0,            0,             0),
}
FUNCTIONS = {
    "lax.div": lax.div, "lax.rem": lax.rem, "floor_divide": jnp.floor_divide,
    "remainder": jnp.remainder, "fmod": jnp.fmod, "//": lambda x, y: x // y,
    "%": lambda x, y: x % y, "mod": jnp.mod,
    "divmod[0]": lambda x, y: jnp.divmod(x, y)[0], "divmod[1]": lambda x, y: jnp.divmod(x, y)[1],
    "builtin divmod[0]": lambda x, y: divmod(x, y)[0],
}
SAME_AS = {"//": "floor_divide", "%": "remainder", "mod": "remainder",
           "divmod[0]": "floor_divide", "divmod[1]": "remainder",
           "builtin divmod[0]": "floor_divide"}
DTYPES = [np.int8, np.int32, np.uint8, np.uint32]


def _expected(name: str, x: int, y: int, dtype) -> int:
    """The table above for y == 0, Python's exact arithmetic wrapped to `dtype` else."""
    name = SAME_AS.get(name, name)
    info = np.iinfo(dtype)
    if y == 0:
        signed_nonzero, signed_zero, unsigned = BY_ZERO[name]
        entry = unsigned if info.min == 0 else (signed_nonzero if x else signed_zero)
        return {"x": x, "max": info.max}.get(entry, entry)
    truncated = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
    exact = {"lax.div": truncated, "lax.rem": x - y * truncated, "fmod": x - y * truncated,
             "floor_divide": x // y, "remainder": x % y}[name]
    bits = 8 * np.dtype(dtype).itemsize
    wrapped = exact % 2**bits
    return wrapped - 2**bits if info.min and wrapped > info.max else wrapped


def _grid(dtype, reverse: bool):
    """Every (dividend, divisor) pair."""
    info = np.iinfo(dtype)
    if info.min:
        dividends, divisors = [7, -7, 0, info.min, info.max], [0, -1, 3, -3]
    else:
        dividends, divisors = [7, 200, 0, info.max], [0, 1, 3, info.max]
    pairs = [(x, y) for x in dividends for y in divisors]
    if reverse:
        pairs = pairs[::-1]
    xs, ys = zip(*pairs)
    return np.array(xs, dtype), np.array(ys, dtype)


def _check(name, dtype, xs, ys, got):
    assert got.dtype == dtype, (name, got.dtype)
    want = np.array([_expected(name, int(x), int(y), dtype) for x, y in zip(xs, ys)], dtype)
    bad = np.nonzero(np.asarray(got) != want)[0]
    assert not len(bad), f"{name}[{np.dtype(dtype)}]: " + ", ".join(
        f"{xs[i]} op {ys[i]} = {np.asarray(got)[i]}, want {want[i]}" for i in bad)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_integer_division_eager(dtype):
    for reverse in (False, True):
        xs, ys = _grid(dtype, reverse)
        for name, fn in FUNCTIONS.items():
            _check(name, dtype, xs, ys, fn(jnp.asarray(xs), jnp.asarray(ys)))


DEVICES = [d for d in irax.devices() if d.platform in ("cpu", "vulkan")][:1] + [
    d for d in irax.devices() if d.platform == "vulkan"][:1]


@pytest.mark.parametrize("device", DEVICES, ids=lambda d: d.platform)
def test_integer_division_under_jit(private_cache_dir, device):
    """One program holds every function for every dtype (8-bit ones too: the lowering
    divides them in 32 bits, which IREE's baseline Vulkan target needs); it runs twice."""
    dtypes = DTYPES

    @irax.jit
    def program(args):
        return [[fn(x, y) for fn in FUNCTIONS.values()] for x, y in args]

    for reverse in (False, True):
        grids = [_grid(dtype, reverse) for dtype in dtypes]
        args = [(irax.device_put(x, device), irax.device_put(y, device)) for x, y in grids]
        for dtype, (xs, ys), outs in zip(dtypes, grids, program(args)):
            for name, got in zip(FUNCTIONS, outs):
                _check(name, dtype, xs, ys, got)


VULKAN = [d for d in irax.devices() if d.platform == "vulkan"]


@pytest.mark.skipif(not VULKAN, reason="no Vulkan device")
def test_vulkan_signed_remainder_of_int_min(private_cache_dir):
    x = irax.device_put(np.array([np.iinfo(np.int32).min] * 2, np.int32), VULKAN[0])
    y = irax.device_put(np.array([3, -3], np.int32), VULKAN[0])
    np.testing.assert_array_equal(np.asarray(irax.jit(lax.rem)(x, y)), [-2, -2])


def test_python_int_operands():
    cases = [(jnp.floor_divide(7, 0), -2), (jnp.floor_divide(-7, 0), -2),
             (jnp.floor_divide(0, 0), -1), (jnp.remainder(7, 0), 0), (jnp.fmod(-7, 0), 0)]
    for got, want in cases:
        assert int(got) == want and got.dtype == np.int32 and got.weak_type
    x = jnp.asarray(np.array([7, -7, 0], np.int32))
    np.testing.assert_array_equal(np.asarray(x // 0), [-2, -2, -1])
    np.testing.assert_array_equal(np.asarray(x % 0), [0, 0, 0])
    np.testing.assert_array_equal(np.asarray(7 // jnp.zeros(2, np.int32)), [-2, -2])


def test_float_division_by_zero_follows_python():
    x = jnp.asarray(np.array([7.0, -7.0, 0.0], np.float32))
    q, r = jnp.divmod(x, 0.0)
    np.testing.assert_array_equal(np.asarray(q), [np.inf, -np.inf, np.nan])
    assert np.isnan(np.asarray(r)).all()
    np.testing.assert_array_equal(np.asarray(jnp.floor_divide(x, -0.0)),
                                  [-np.inf, np.inf, np.nan])
