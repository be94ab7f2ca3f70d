"""Tests for the irax.lax namespace: JAX's names are all there and callable, a sample
of functions agrees with NumPy, lax's strictness holds, and the one-dimension slicing
helpers behave as JAX's."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.core.primitives import elementwise

JAX_NAMES = """
add sub mul div rem pow max min atan2 bitwise_and bitwise_or bitwise_xor bitwise_not neg
exp log sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh sqrt rsqrt cbrt erf
erf_inv abs sign floor ceil round is_finite real imag conj complex expm1 log1p logistic
exp2 eq ne lt le gt ge shift_left shift_right_logical shift_right_arithmetic
convert_element_type bitcast_convert_type integer_pow select select_n clamp stop_gradient
square broadcast_in_dim broadcast reshape transpose rev slice dynamic_slice
dynamic_update_slice concatenate pad iota broadcasted_iota expand_dims squeeze
slice_in_dim dynamic_slice_in_dim dynamic_update_slice_in_dim dynamic_update_index_in_dim
index_in_dim dynamic_index_in_dim reduce_sum reduce_prod reduce_max reduce_min reduce_and
reduce_or argmax argmin cumsum cumprod cummax cummin dot_general dot gather scatter
scatter_add scatter_mul scatter_min scatter_max GatherDimensionNumbers
ScatterDimensionNumbers GatherScatterMode sort sort_key_val full full_like RoundingMethod
associative_scan
""".split()


def test_every_jax_name_is_exported_and_callable():
    missing = [name for name in JAX_NAMES if not hasattr(lax, name)]
    assert not missing
    assert set(JAX_NAMES) <= set(lax.__all__)
    for name in lax.__all__:
        assert callable(getattr(lax, name)), name
        assert getattr(lax, name).__doc__, name


def test_every_elementwise_primitive_is_exported():
    """Each n-ary elementwise primitive has a binding function, written out in
    core/primitives/elementwise.py under JAX's name, that lax exports as a real attribute
    and that records exactly that primitive."""
    renamed = {"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
               "not": "bitwise_not"}
    samples = {"f": np.float32(0.5), "c": np.complex64(0.5 + 1j), "b": np.True_,
               "i": np.int32(3)}
    for prims, arity in ((elementwise.UNARY, 1), (elementwise.BINARY, 2)):
        for prim_name, prim in prims.items():
            name = renamed.get(prim_name, prim_name)
            fn = vars(lax)[name]
            assert name in lax.__all__
            assert fn is vars(elementwise)[name]
            assert fn.__module__ == elementwise.__name__ and fn.__name__ == name
            assert fn.__doc__.startswith(f"`lax.{name}(")
            kind = next(k for k in "fcbi" if samples[k].dtype in prim.eager_fast_path.allowed)
            graph = irax.make_graph(fn)(*[samples[kind]] * arity)
            assert [eqn.primitive for eqn in graph.graph.eqns] == [prim], name


RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 2.0, (3, 4)).astype(np.float32)
Y = RNG.uniform(0.1, 2.0, (3, 4)).astype(np.float32)
INTS = RNG.integers(-50, 50, (3, 4)).astype(np.int32)
DIVS = RNG.integers(1, 7, (3, 4)).astype(np.int32)


@pytest.mark.parametrize("name, args, expected", [
    ("add", (X, Y), X + Y),
    ("sub", (INTS, DIVS), INTS - DIVS),
    ("mul", (X, Y), X * Y),
    ("div", (X, Y), X / Y),
    ("div", (INTS, DIVS), np.trunc(INTS / DIVS).astype(np.int32)),  # toward zero
    ("rem", (INTS, DIVS), np.fmod(INTS, DIVS)),  # sign of the dividend
    ("pow", (X, Y), X ** Y),
    ("max", (X, Y), np.maximum(X, Y)),
    ("atan2", (X, Y), np.arctan2(X, Y)),
    ("bitwise_and", (INTS, DIVS), INTS & DIVS),
    ("bitwise_xor", (INTS, DIVS), INTS ^ DIVS),
    ("bitwise_not", (INTS,), ~INTS),
    ("shift_right_arithmetic", (INTS, DIVS), INTS >> DIVS),
    ("shift_right_logical", (INTS, DIVS),
     (INTS.view(np.uint32) >> DIVS.view(np.uint32)).view(np.int32)),
    ("exp", (X,), np.exp(X)),
    ("log1p", (X,), np.log1p(X)),
    ("rsqrt", (X,), 1 / np.sqrt(X)),
    ("logistic", (X,), 1 / (1 + np.exp(-X))),
    ("erf_inv", (X / 2.5,), None),
    ("lt", (X, Y), X < Y),
    ("square", (INTS,), INTS * INTS),
    ("integer_pow", (X, 3), X ** 3),
])
def test_functions_against_numpy(name, args, expected):
    out = getattr(lax, name)(*[jnp.asarray(a) if isinstance(a, np.ndarray) else a
                               for a in args])
    if name == "erf_inv":      # check through erf, its inverse
        np.testing.assert_allclose(lax.erf(out), args[0], rtol=1e-6, atol=1e-7)
        return
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_structural_and_reductions_against_numpy():
    np.testing.assert_array_equal(lax.transpose(X, (1, 0)), X.T)
    np.testing.assert_array_equal(lax.rev(X, (0,)), X[::-1])
    np.testing.assert_array_equal(lax.slice(X, (0, 1), (3, 4), (2, 2)), X[0:3:2, 1:4:2])
    np.testing.assert_array_equal(lax.concatenate([X, Y], 1), np.concatenate([X, Y], 1))
    np.testing.assert_array_equal(lax.pad(INTS, 0, ((1, 0, 0), (0, 2, 1))),
                                  np.pad(np.insert(INTS, [1, 2, 3], 0, axis=1), ((1, 0), (0, 2))))
    np.testing.assert_array_equal(lax.broadcasted_iota(np.int32, (2, 3), 1), [[0, 1, 2]] * 2)
    np.testing.assert_allclose(lax.reduce_sum(X, (1,)), X.sum(1), rtol=1e-6)
    np.testing.assert_array_equal(lax.reduce_max(INTS, (0, 1)), INTS.max())
    np.testing.assert_array_equal(lax.argmax(INTS, 1, np.int32), INTS.argmax(1))
    np.testing.assert_allclose(lax.cumsum(X, 1, reverse=True), np.cumsum(X[:, ::-1], 1)[:, ::-1],
                               rtol=1e-6)
    np.testing.assert_allclose(lax.dot(X, Y.T), X @ Y.T, rtol=1e-6)
    np.testing.assert_allclose(lax.dot_general(X, Y, (((1,), (1,)), ((0,), (0,)))),
                               np.einsum("ij,ij->i", X, Y), rtol=1e-6)
    keys, values = lax.sort_key_val(jnp.asarray(INTS), jnp.asarray(X), 1)
    order = np.argsort(INTS, axis=1, kind="stable")
    np.testing.assert_array_equal(values, np.take_along_axis(X, order, 1))
    np.testing.assert_array_equal(keys, np.sort(INTS, 1))
    np.testing.assert_array_equal(lax.square(jnp.asarray(X)), X * X)


def test_full_and_rounding():
    out = lax.full((2, 3), 7, jnp.int8)
    assert out.dtype == np.int8 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, np.full((2, 3), 7))
    weak = lax.full((2,), 1.5)
    assert weak.dtype == np.float32 and weak.weak_type
    like = lax.full_like(jnp.zeros((2,), jnp.int16), 3)
    assert like.dtype == np.int16 and not like.weak_type
    assert lax.full_like(X, 0, shape=(5,)).shape == (5,)
    halves = jnp.array([0.5, 1.5, 2.5, -0.5])
    np.testing.assert_array_equal(lax.round(halves, lax.RoundingMethod.TO_NEAREST_EVEN),
                                  [0.0, 2.0, 2.0, -0.0])
    np.testing.assert_array_equal(lax.round(halves, lax.RoundingMethod.AWAY_FROM_ZERO),
                                  [1.0, 2.0, 3.0, -1.0])
    with pytest.raises(TypeError, match="full: fill_value must be a scalar"):
        lax.full((2,), jnp.zeros(2))


def test_lax_is_strict():
    with pytest.raises(TypeError, match="add requires arguments to have the same dtype"):
        lax.add(jnp.zeros(2, jnp.float32), jnp.zeros(2, jnp.int32))
    with pytest.raises(TypeError, match="add got incompatible shapes"):
        lax.add(jnp.zeros(2), jnp.zeros(3))
    with pytest.raises(TypeError, match="sin does not accept dtype int32"):
        lax.sin(jnp.zeros(2, jnp.int32))
    out = lax.mul(jnp.zeros(2, jnp.float16), 2.0)         # a weak scalar adapts
    assert out.dtype == np.float16


# ---- one-dimension slicing helpers ----------------------------------------------

A = np.arange(24).reshape(4, 6).astype(np.int32)


def test_slice_in_dim():
    np.testing.assert_array_equal(lax.slice_in_dim(A, 1, 3), A[1:3])
    np.testing.assert_array_equal(lax.slice_in_dim(A, -4, None, 2, axis=1), A[:, -4::2])
    np.testing.assert_array_equal(lax.slice_in_dim(A, None, -1, axis=-1), A[:, :-1])


def test_index_in_dim():
    np.testing.assert_array_equal(lax.index_in_dim(A, 2), A[2:3])
    np.testing.assert_array_equal(lax.index_in_dim(A, -1, axis=1, keepdims=False), A[:, -1])
    with pytest.raises(IndexError, match="index_in_dim: index 6 is out of bounds for axis 1"):
        lax.index_in_dim(A, 6, axis=1)
    with pytest.raises(ValueError, match="index_in_dim: axis 2 is out of bounds"):
        lax.index_in_dim(A, 0, axis=2)


def test_dynamic_slice_helpers():
    np.testing.assert_array_equal(lax.dynamic_slice_in_dim(A, 1, 2), A[1:3])
    np.testing.assert_array_equal(lax.dynamic_slice_in_dim(A, 5, 3, axis=1), A[:, 3:6])  # clamp
    np.testing.assert_array_equal(lax.dynamic_index_in_dim(A, jnp.asarray(2), keepdims=False),
                                  A[2])
    np.testing.assert_array_equal(lax.dynamic_index_in_dim(A, 1, axis=-1), A[:, 1:2])
    updated = np.array(A)
    updated[:, 2:4] = -1
    np.testing.assert_array_equal(
        lax.dynamic_update_slice_in_dim(A, jnp.full((4, 2), -1, jnp.int32), 2, 1), updated)
    updated = np.array(A)
    updated[3] = 0
    np.testing.assert_array_equal(
        lax.dynamic_update_index_in_dim(A, jnp.zeros(6, jnp.int32), 3, 0), updated)
    np.testing.assert_array_equal(
        lax.dynamic_update_index_in_dim(A, jnp.zeros((1, 6), jnp.int32), 3, 0), updated)
    with pytest.raises(TypeError, match="dynamic_update_index_in_dim: update of shape"):
        lax.dynamic_update_index_in_dim(A, jnp.zeros((1, 1, 6), jnp.int32), 3, 0)


def test_dynamic_helpers_trace_the_index():
    graph = irax.make_graph(lambda i: lax.dynamic_index_in_dim(A, i, keepdims=False))(
        jnp.asarray(0))
    for i in range(4):
        (row,) = graph(jnp.asarray(i))
        np.testing.assert_array_equal(row, A[i])
