"""The Tensor (irax.Array) interface, the Graph printer and tracing errors."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp


def test_repr_like_jax():
    assert repr(jnp.asarray(np.arange(3, dtype=np.float32))) == \
        "Array([0., 1., 2.], dtype=float32)"
    assert repr(jnp.asarray(1.0)) == "Array(1., dtype=float32, weak_type=True)"
    assert repr(jnp.asarray(np.arange(4, dtype=np.int32).reshape(2, 2))) == \
        "Array([[0, 1],\n       [2, 3]], dtype=int32)"
    assert repr(jnp.zeros((0, 2))) == "Array([], shape=(0, 2), dtype=float32)"


def test_operators_match_numpy():
    a_np = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    b_np = np.linspace(0.5, 3, 3).astype(np.float32)
    a, b = jnp.asarray(a_np), jnp.asarray(b_np)
    for op in ["__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__",
               "__pow__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__lt__",
               "__le__", "__gt__", "__ge__", "__eq__", "__ne__"]:
        np.testing.assert_allclose(np.asarray(getattr(a, op)(b)), getattr(a_np, op)(b_np),
                                   rtol=1e-6, err_msg=op)
    np.testing.assert_allclose(np.asarray(a @ a.T), a_np @ a_np.T, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(-a), -a_np)
    np.testing.assert_allclose(np.asarray(abs(-a)), a_np)
    i = jnp.asarray(np.array([5, 6, 7], np.int32))
    np.testing.assert_array_equal(np.asarray(i & 3), [1, 2, 3])
    np.testing.assert_array_equal(np.asarray(i | 8), [13, 14, 15])
    np.testing.assert_array_equal(np.asarray(i ^ 1), [4, 7, 6])
    np.testing.assert_array_equal(np.asarray(~i), ~np.array([5, 6, 7]))
    np.testing.assert_array_equal(np.asarray(i << 1), [10, 12, 14])


def test_python_conversions_on_concrete_values():
    x = jnp.asarray(np.float32(2.5))
    assert float(x) == 2.5 and int(x) == 2 and bool(x)
    assert [1, 2, 3][jnp.asarray(1)] == 2
    assert len(jnp.ones((4, 2))) == 4
    assert [float(v) for v in jnp.arange(3.0)] == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(jnp.ones(3))
    with pytest.raises(TypeError, match="len"):
        len(jnp.asarray(1.0))
    with pytest.raises(TypeError, match="unhashable"):
        hash(jnp.ones(2))
    with pytest.raises(TypeError, match="integer scalar"):
        [1, 2][jnp.asarray(1.0)]


def test_array_methods_and_properties():
    x_np = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = jnp.asarray(x_np)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x.T), x_np.T)
    np.testing.assert_array_equal(np.asarray(x.reshape(3, 2)), x_np.reshape(3, 2))
    np.testing.assert_array_equal(np.asarray(x.sum(axis=0)), x_np.sum(0))
    np.testing.assert_array_equal(np.asarray(x.astype(np.int32)), x_np.astype(np.int32))
    np.testing.assert_array_equal(np.asarray(x.flatten()), x_np.ravel())
    np.testing.assert_array_equal(np.asarray(x.at[0, 1].set(5.0)), [[0, 5, 2], [3, 4, 5]])
    np.testing.assert_array_equal(np.asarray(x[1, ::-1]), x_np[1, ::-1])
    assert isinstance(x, irax.Array)


def test_readme_tour():
    x = jnp.arange(6.0).reshape(2, 3)
    y = jnp.tanh(x) @ jnp.ones((3, 4)) + 1
    np.testing.assert_allclose(np.asarray(y), np.tanh(np.arange(6.0).reshape(2, 3))
                               @ np.ones((3, 4)) + 1, rtol=1e-6)
    assert y.dtype == np.float32
    key = irax.random.PRNGKey(0)
    k1, _ = irax.random.split(key)
    assert irax.random.normal(k1, (3,)).shape == (3,)


def test_make_graph_prints_readable_ssa():
    text = str(irax.make_graph(lambda a: jnp.sin(a) * 2)(jnp.ones((2, 3))))
    assert text == ("{ lambda ; a:f32[2,3]. let\n"
                    "    b:f32[2,3] = sin a\n"
                    "    c:f32[2,3] = mul b 2.0:f32[]\n"
                    "  in (c) }")


def test_make_graph_captures_array_constants():
    w = jnp.ones((3,))
    graph = irax.make_graph(lambda a: a + w)(jnp.zeros(3))
    assert str(graph).startswith("{ lambda a:f32[3] ; b:f32[3]. let")
    np.testing.assert_array_equal(np.asarray(graph(jnp.zeros(3))[0]), np.ones(3))


def test_python_if_on_traced_value_raises_concretization_error():
    def f(x):
        return x if x > 0 else -x
    with pytest.raises(irax.ConcretizationTypeError, match="lax.cond.*static_argnums"):
        irax.make_graph(f)(1.0)


def test_leaked_tracer_is_detected():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2

    irax.make_graph(f)(1.0)
    with pytest.raises(irax.UnexpectedTracerError, match="make_graph"):
        leaked[0] + 1.0


def test_leaked_tracer_from_grad_is_detected():
    leaked = []

    def f(x):
        leaked.append(x * 1.0)
        return x * x

    irax.grad(f)(1.0)
    with pytest.raises(irax.UnexpectedTracerError, match="jvp"):
        jnp.sin(leaked[0])


def test_non_array_argument_is_a_clear_type_error():
    with pytest.raises(TypeError, match="not a valid irax"):
        irax.lax.add(object(), 1.0)
    with pytest.raises(TypeError):
        jnp.sin("text")


def test_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add.*\(2,\).*\(3,\)"):
        jnp.ones(2) + jnp.ones(3)
    with pytest.raises(TypeError, match=r"add.*\(2,\).*\(3,\)"):
        irax.lax.add(jnp.ones(2), jnp.ones(3))


def test_index_out_of_bounds_raises_index_error():
    with pytest.raises(IndexError):
        jnp.ones(3)[5]
