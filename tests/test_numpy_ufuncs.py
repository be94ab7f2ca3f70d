"""Regression tests of irax.numpy's elementwise functions against NumPy, eager and
under jit and vmap."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp

REALS = np.array([-2.0, -0.0, 0.0, 1.5, np.inf, -np.inf, np.nan], np.float32)


@pytest.mark.parametrize("transform", ["eager", "vmap", "jit"])
def test_imag_of_reals_is_positive_zero(transform):
    """imag of a real array is +0.0 everywhere (NumPy, JAX), not x * 0 (-0.0 for x < 0,
    NaN for infinities), so angle(x) is +pi for x < 0 (and -0.0)."""
    wrap = {"eager": lambda f: f, "vmap": irax.vmap, "jit": irax.jit}[transform]
    x = jnp.asarray(REALS)
    imag = np.asarray(wrap(jnp.imag)(x))
    np.testing.assert_array_equal(imag, np.imag(REALS))
    assert not np.signbit(imag).any()
    finite = np.isfinite(REALS) & (REALS != 0)
    np.testing.assert_array_equal(np.asarray(wrap(jnp.angle)(x))[finite],
                                  np.angle(REALS)[finite])
