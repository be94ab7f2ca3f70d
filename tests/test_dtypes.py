"""Type promotion: every pair checked against JAX's published promotion table."""
import os
import subprocess
import sys

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.core import dtypes

NAMES = "b1 u1 u2 u4 u8 i1 i2 i4 i8 bf f2 f4 f8 c4 c8 i* f* c*".split()
# JAX's documentation, "Type promotion semantics", with x64 enabled (rows x columns).
TABLE = """
b1 b1 u1 u2 u4 u8 i1 i2 i4 i8 bf f2 f4 f8 c4 c8 i* f* c*
u1 u1 u1 u2 u4 u8 i2 i2 i4 i8 bf f2 f4 f8 c4 c8 u1 f* c*
u2 u2 u2 u2 u4 u8 i4 i4 i4 i8 bf f2 f4 f8 c4 c8 u2 f* c*
u4 u4 u4 u4 u4 u8 i8 i8 i8 i8 bf f2 f4 f8 c4 c8 u4 f* c*
u8 u8 u8 u8 u8 u8 f* f* f* f* bf f2 f4 f8 c4 c8 u8 f* c*
i1 i1 i2 i4 i8 f* i1 i2 i4 i8 bf f2 f4 f8 c4 c8 i1 f* c*
i2 i2 i2 i4 i8 f* i2 i2 i4 i8 bf f2 f4 f8 c4 c8 i2 f* c*
i4 i4 i4 i4 i8 f* i4 i4 i4 i8 bf f2 f4 f8 c4 c8 i4 f* c*
i8 i8 i8 i8 i8 f* i8 i8 i8 i8 bf f2 f4 f8 c4 c8 i8 f* c*
bf bf bf bf bf bf bf bf bf bf bf f4 f4 f8 c4 c8 bf bf c4
f2 f2 f2 f2 f2 f2 f2 f2 f2 f2 f4 f2 f4 f8 c4 c8 f2 f2 c4
f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f8 c4 c8 f4 f4 c4
f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 c8 c8 f8 f8 c8
c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c4 c8 c4 c8 c4 c4 c4
c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8 c8
i* i* u1 u2 u4 u8 i1 i2 i4 i8 bf f2 f4 f8 c4 c8 i* f* c*
f* f* f* f* f* f* f* f* f* f* bf f2 f4 f8 c4 c8 f* f* c*
c* c* c* c* c* c* c* c* c* c* c4 c4 c4 c8 c4 c8 c* c* c*
"""
CODES = {"b1": "bool", "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
         "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64", "bf": "bfloat16",
         "f2": "float16", "f4": "float32", "f8": "float64", "c4": "complex64",
         "c8": "complex128", "i*": "int64", "f*": "float64", "c*": "complex128"}


def _typed(code):
    return np.dtype(dtypes.bfloat16 if code == "bf" else CODES[code]), code.endswith("*")


def _pairs():
    rows = [line.split() for line in TABLE.strip().splitlines()]
    for row in rows:
        for col, result in zip(NAMES, row[1:]):
            yield row[0], col, result


@pytest.mark.parametrize("a,b,expected", list(_pairs()))
def test_promotion_table_x64(x64, a, b, expected):
    assert dtypes.promote_dtypes_weak(_typed(a), _typed(b)) == _typed(expected)


def test_promotion_without_x64_canonicalizes_to_32_bits():
    assert not irax.config.enable_x64
    assert dtypes.promote_dtypes_weak((dtypes.int32, False), (dtypes.float32, True)) == (
        dtypes.float32, True)
    assert dtypes.promote_dtypes_weak((dtypes.uint32, False), (dtypes.int32, False)) == (
        dtypes.int32, False)
    assert jnp.promote_types("int64", "float16") == np.float16


@pytest.mark.parametrize("value,array_dtype,expected", [
    (1.0, np.float32, np.float32), (1, np.int8, np.int8), (1.5, np.int32, np.float32),
    (1j, np.float32, np.complex64), (2, np.uint8, np.uint8), (True, np.int32, np.int32),
    (1.0, np.float16, np.float16), (1.0, dtypes.bfloat16, dtypes.bfloat16)])
def test_weak_python_scalars_take_the_array_dtype(value, array_dtype, expected):
    x = jnp.ones(3, dtype=array_dtype)
    assert (x + value).dtype == expected
    assert (value * x).dtype == expected


def test_x64_flag_changes_defaults(x64):
    assert jnp.arange(3.0).dtype == np.float64
    assert jnp.asarray(1).dtype == np.int64
    assert (jnp.ones(2, np.float32) + 1.0).dtype == np.float32


def test_defaults_without_x64():
    assert jnp.arange(3.0).dtype == np.float32
    assert jnp.asarray(np.arange(3)).dtype == np.int32
    assert jnp.asarray(np.ones(3)).dtype == np.float32


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="data type"):
        jnp.zeros(3, dtype="not-a-dtype")
    with pytest.raises(TypeError):
        jnp.asarray(np.array(["a"]))


def test_complex_functions():
    z = jnp.asarray(np.array([1 + 2j, -3 - 1j], np.complex64))
    np.testing.assert_allclose(np.asarray(jnp.abs(z)), np.abs(np.asarray(z)), rtol=1e-6)
    assert jnp.abs(z).dtype == np.float32
    np.testing.assert_allclose(np.asarray(jnp.angle(z)), np.angle(np.asarray(z)), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(jnp.conj(z)), np.conj(np.asarray(z)))
    np.testing.assert_array_equal(np.asarray(z.real), [1, -3])
    np.testing.assert_array_equal(np.asarray(z.imag), [2, -1])


def test_x64_environment_variable():
    code = "import irax.numpy as jnp; print(jnp.arange(2.0).dtype, jnp.asarray(1).dtype)"
    env = dict(os.environ, IRAX_ENABLE_X64="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["float64", "int64"]
