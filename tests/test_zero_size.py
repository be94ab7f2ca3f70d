"""Zero-size and size-1 dimensions under jit: every primitive gives eager's result.

IREE 3.13 killed the process with SIGFPE compiling a dot over an empty contraction;
the lowering now writes every zero-size result itself (mlir_lowering/zero_size.py).
`CASES` maps "primitive:variant" to a function and its arguments, covering every
primitive that has a lowering rule with empty operands, empty results, empty operands
with non-empty results (reductions, dots, concatenate, pad, updates, gathers,
control flow) and size-1 dimensions.  All cases compile as one program; it is first
compiled in a subprocess (a compiler crash fails the tests instead of killing pytest)
into the module's private cache, which the in-process run then reuses.
"""
import os
import subprocess
import sys
import textwrap

import conv_cases
import factorization_cases
import fft_cases
import numpy as np
import pytest
import special_cases

import irax
import irax.numpy as jnp
from irax import lax
from irax.core.primitives import windowed as win
from irax.mlir_lowering import LOWERING_RULES
from irax.tree_util import tree_flatten

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
F32, I32 = np.float32, np.int32
GD, SD = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers
ROWS_GATHER = GD(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
ROWS_SCATTER = SD(update_window_dims=(1,), inserted_window_dims=(0,),
                  scatter_dims_to_operand_dims=(0,))


def _arrays(seed: int):
    """Sample arrays (seed picks the values, so the two runs differ)."""
    rng = np.random.RandomState(seed)

    def f(*shape, low=-2.0, high=2.0):
        return rng.uniform(low, high, shape).astype(F32)

    def i(*shape):
        return rng.randint(-20, 20, shape).astype(I32)

    def b(*shape):
        return rng.rand(*shape) > 0.5

    return f, i, b


def _lax_function(prim_name: str):
    """irax.lax's binding function of an elementwise primitive (bitwise ones renamed)."""
    renamed = {"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
               "not": "bitwise_not"}
    return getattr(lax, renamed.get(prim_name, prim_name))


UNARY = ["neg", "sign", "floor", "ceil", "is_finite", "exp", "exp2", "log", "expm1", "log1p",
         "tanh", "logistic", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
         "asinh", "acosh", "atanh", "sqrt", "rsqrt", "cbrt", "erf", "erf_inv", "abs"]
BINARY = ["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "and", "or", "xor",
          "shift_left", "shift_right_logical", "shift_right_arithmetic", "eq", "ne", "lt",
          "le", "gt", "ge", "complex"]


def cases(seed: int) -> dict:
    """name -> (function, arguments); the name starts with the primitive's name."""
    f, i, b = _arrays(seed)
    out = {}
    for name in UNARY:
        low = 1.1 if name == "acosh" else (-0.9 if name in ("atanh", "erf_inv") else -2.0)
        high = 0.9 if name in ("atanh", "erf_inv", "asin", "acos") else 2.0
        out[f"{name}:empty"] = (_lax_function(name), [f(0, 3)])
        out[f"{name}:size1"] = (_lax_function(name), [f(1, 1, low=low, high=high)])
    for name, fn in (("real", lax.real), ("imag", lax.imag), ("conj", lax.conj)):
        out[f"{name}:empty"] = (lambda x, fn=fn: fn(lax.complex(x, x)), [f(2, 0)])
    out["not:empty"] = (lax.bitwise_not, [b(0, 2)])
    for name in BINARY:
        ints = name in ("and", "or", "xor") or name.startswith("shift")
        make = (lambda *s: i(*s) % 8) if ints else f
        fn = _lax_function(name)
        out[f"{name}:empty"] = (fn, [make(0, 2), make(0, 2)])
        out[f"{name}:scalar_and_empty"] = (fn, [make(3, 0), make()])
        out[f"{name}:size1"] = (fn, [make(1), make(1) + (0 if ints else 3.0)])
    out.update({
        "integer_pow:empty": (lambda x: lax.integer_pow(x, 3), [f(0)]),
        "select_n:empty": (lambda p, x, y: lax.select(p, x, y), [b(0, 2), f(0, 2), f(0, 2)]),
        "select_n:size1": (lambda p, x, y: lax.select(p, x, y), [b(1), f(1), f(1)]),
        "clamp:empty": (lambda x: lax.clamp(-0.5, x, 0.5), [f(2, 0)]),
        "convert_element_type:empty": (lambda x: lax.convert_element_type(x, I32), [f(0, 2)]),
        "convert_element_type:bool_size1": (lambda x: lax.convert_element_type(x, F32),
                                             [b(1, 1)]),
        "bitcast_convert_type:empty": (lambda x: lax.bitcast_convert_type(x, np.uint32),
                                       [f(0, 3)]),
        "round_nearest_even:empty": (lambda x: lax.round(x, 1), [f(0)]),
        "round_away_from_zero:empty": (lambda x: lax.round(x, 0), [f(3, 0)]),
        "stop_gradient:empty": (lax.stop_gradient, [f(0)]),
        "broadcast_in_dim:from_empty": (lambda x: lax.broadcast_in_dim(x, (2, 0, 3), (1, 2)),
                                        [f(0, 3)]),
        "broadcast_in_dim:to_empty": (lambda x: lax.broadcast_in_dim(x, (0, 4), (1,)),
                                      [f(4)]),
        "broadcast_in_dim:size1": (lambda x: lax.broadcast_in_dim(x, (3, 1, 2), (1, 2)),
                                   [f(1, 1)]),
        "reshape:empty": (lambda x: lax.reshape(x, (3, 0, 1)), [f(0, 3)]),
        "transpose:empty": (lambda x: lax.transpose(x, (1, 0)), [f(0, 2)]),
        "rev:empty": (lambda x: lax.rev(x, (1,)), [f(2, 0)]),
        "slice:to_empty": (lambda x: lax.slice(x, (1, 2), (1, 4)), [f(3, 4)]),
        "slice:empty": (lambda x: lax.slice(x, (0, 0), (0, 2), (1, 2)), [f(0, 3)]),
        "dynamic_slice:empty": (lambda x, k: lax.dynamic_slice(x, (k, 0), (0, 2)),
                                [f(3, 2), np.int32(1)]),
        "dynamic_update_slice:empty_update": (
            lambda x, u, k: lax.dynamic_update_slice(x, u, (k, 0)), [f(3, 2), f(0, 2), I32(1)]),
        "dynamic_update_slice:empty": (lambda x, u: lax.dynamic_update_slice(x, u, (0, 0)),
                                       [f(0, 2), f(0, 1)]),
        "concatenate:drops_empty": (lambda x, y, z: lax.concatenate([x, y, z], 1),
                                    [f(2, 0), f(2, 3), f(2, 0)]),
        "concatenate:two_left": (lambda x, y, z: lax.concatenate([x, y, z], 0),
                                 [f(1, 2), f(0, 2), f(2, 2)]),
        "concatenate:all_empty": (lambda x, y: lax.concatenate([x, y], 1), [f(0, 1), f(0, 2)]),
        "pad:empty_operand": (lambda x, v: lax.pad(x, v, [(2, 1, 3)]), [f(0), f()]),
        "pad:empty_2d": (lambda x, v: lax.pad(x, v, [(1, 1, 0), (0, 2, 1)]), [f(0, 0), f()]),
        "pad:to_empty": (lambda x, v: lax.pad(x, v, [(0, -3, 0)]), [f(3), f()]),
        "pad:size1": (lambda x, v: lax.pad(x, v, [(1, 0, 2)]), [f(1), f()]),
        "iota:empty": (lambda: lax.broadcasted_iota(I32, (0, 3), 1), []),
        "argmax:empty_rows": (lambda x: lax.argmax(x, 1, I32), [f(0, 3)]),
        "argmin:size1": (lambda x: lax.argmin(x, 0, I32), [f(1, 3)]),
        "dot_general:vectors": (lambda x, y: lax.dot(x, y), [f(0), f(0)]),
        "dot_general:matrices": (lambda x, y: lax.dot(x, y), [f(2, 0), f(0, 3)]),
        "dot_general:int": (lambda x, y: lax.dot(x, y), [i(0, 2), i(2, 0)]),
        "dot_general:batch": (lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
                              [f(2, 3, 0), f(2, 0, 4)]),
        "dot_general:empty_batch": (
            lambda x, y: lax.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
            [f(0, 3, 2), f(0, 2, 4)]),
        "dot_general:empty_result": (lambda x, y: lax.dot(x, y), [f(3, 2), f(2, 0)]),
        "dot_general:size1": (lambda x, y: lax.dot(x, y), [f(1, 1), f(1, 1)]),
        "dot_general:bool_times_float": (lambda x, y: jnp.dot(x, y), [b(4, 5), f(5, 3)]),
        "dot_general:bool_vector": (lambda x, y: jnp.dot(x, y), [b(5), f(5, 3)]),
        "gather:no_indices": (lambda x, k: lax.gather(x, k, ROWS_GATHER, (1, 3)),
                              [f(3, 3), np.zeros((0, 1), I32)]),
        "gather:empty_index_vectors": (
            lambda x, k: lax.gather(x, k, GD(offset_dims=(1, 2), collapsed_slice_dims=(),
                                             start_index_map=()), (2, 3)),
            [f(3, 3), np.zeros((2, 0), I32)]),
        "gather:size1": (lambda x, k: lax.gather(x, k, ROWS_GATHER, (1, 1)),
                         [f(1, 1), np.zeros((1, 1), I32)]),
        "sort:empty": (lambda x: lax.sort(x), [f(0)]),
        "sort:empty_rows": (lambda x, y: lax.sort((x, y), num_keys=1), [f(2, 0), f(2, 0)]),
        "sort:size1": (lambda x: lax.sort(x, 0), [f(1, 3)]),
        "cond:empty_operand": (lambda p, x: lax.cond(p, lambda v: jnp.sum(v) + 1.0,
                                                     lambda v: jnp.sum(v) - 1.0, x),
                               [np.bool_(seed % 2), f(0, 2)]),
        "while:empty_carry": (lambda x, s: lax.while_loop(
            lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 2.0, c[2] + jnp.sum(c[1])),
            (0, x, s))[1:], [f(0, 3), f()]),
        "scan:empty_xs": (lambda c, xs: lax.scan(lambda c, x: (c + jnp.sum(x) + 1.0, x * 2.0),
                                                 c, xs), [f(), f(4, 0)]),
        "scan:length0": (lambda c, xs: lax.scan(lambda c, x: (c * x, c + x), c, xs),
                         [f(3), f(0, 3)]),
        "jit:empty_operand": (lambda x: irax.jit(lambda v: (jnp.sum(v, 0) + 1.0, v * 2.0))(x),
                              [f(0, 2)]),
        "remat:empty": (lambda x: lax.checkpoint(lambda v: jnp.sum(jnp.sin(v)))(x), [f(0, 2)]),
    })
    for name, fn in (("reduce_sum", lax.reduce_sum), ("reduce_prod", lax.reduce_prod),
                     ("reduce_max", lax.reduce_max), ("reduce_min", lax.reduce_min)):
        out[f"{name}:empty_axis"] = (lambda x, fn=fn: fn(x, (1,)), [f(2, 0)])
        out[f"{name}:empty_axis_int"] = (lambda x, fn=fn: fn(x, (0,)), [i(0, 3)])
        out[f"{name}:empty_rows"] = (lambda x, fn=fn: fn(x, (1,)), [f(0, 3)])
        out[f"{name}:size1"] = (lambda x, fn=fn: fn(x, (0, 1)), [f(1, 1)])
    for name, fn in (("reduce_and", lax.reduce_and), ("reduce_or", lax.reduce_or)):
        out[f"{name}:empty_axis"] = (lambda x, fn=fn: fn(x, (0,)), [b(0, 2)])
        out[f"{name}:empty_axis_int"] = (lambda x, fn=fn: fn(x, (1,)), [i(3, 0)])
    for name in ("cumsum", "cumprod", "cummax", "cummin"):
        fn = getattr(lax, name)
        out[f"{name}:empty"] = (lambda x, fn=fn: fn(x, 1), [f(2, 0)])
        out[f"{name}:size1"] = (lambda x, fn=fn: fn(x, 0, reverse=True), [f(1, 3)])
    for name, fn in (("scatter", lax.scatter), ("scatter_add", lax.scatter_add),
                     ("scatter_mul", lax.scatter_mul), ("scatter_min", lax.scatter_min),
                     ("scatter_max", lax.scatter_max)):
        out[f"{name}:no_updates"] = (lambda x, k, u, fn=fn: fn(x, k, u, ROWS_SCATTER),
                                     [f(3, 2), np.zeros((0, 1), I32), f(0, 2)])
        out[f"{name}:empty_operand"] = (lambda x, k, u, fn=fn: fn(x, k, u, ROWS_SCATTER),
                                        [f(3, 0), np.array([[1], [2]], I32), f(2, 0)])
        out[f"{name}:size1"] = (lambda x, k, u, fn=fn: fn(x, k, u, ROWS_SCATTER),
                                [f(1, 1), np.zeros((1, 1), I32), f(1, 1)])
    out.update({
        "reduce_window_sum:empty_padded": (lambda x: lax.reduce_window(
            x, 0.0, lax.add, (1, 2), (1, 1), ((2, 0), (0, 0))), [f(0, 3)]),
        "reduce_window_sum:size1": (lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 1)),
                                    [f(1, 1)]),
        "reduce_window_max:empty_padded": (lambda x: lax.reduce_window(
            x, -jnp.inf, lax.max, (2, 2), (1, 1), ((1, 1), (0, 0))), [f(0, 3)]),
        "reduce_window_min:no_windows": (lambda x: lax.reduce_window(
            x, jnp.inf, lax.min, (4, 1), (1, 1)), [f(3, 2)]),
        "select_and_gather_add:empty_padded": (lambda t, x: win.select_and_gather_add(
            t, x, "max", (1, 1), (1, 1), ((1, 0), (0, 0))), [f(0, 3), f(0, 3)]),
        "select_and_scatter_add:no_windows": (lambda s, x: win.select_and_scatter_add(
            s, x, "max", (4, 1), (1, 1), ((0, 0), (0, 0))), [f(0, 2), f(3, 2)]),
        "optimization_barrier:empty": (lambda x, y: lax.optimization_barrier((x, y)),
                                       [f(0, 2), f(3)]),
    })
    out.update(conv_cases.zero_size_cases(f))
    out.update(factorization_cases.zero_size_cases(f))
    out.update(special_cases.zero_size_cases(f))
    out.update(fft_cases.zero_size_cases(f))
    out["einsum:zero_length_axis"] = (lambda x, y: jnp.einsum("ij,jk->ik", x, y),
                                      [f(3, 0), f(0, 2)])
    return out


# Cases whose eager impl raises (NumPy's maximum.reduce of nothing has no identity; JAX
# gives the identity): compared with the identity itself.
IDENTITY_RESULTS = {
    "reduce_max:empty_axis": lambda: np.full(2, -np.inf, F32),
    "reduce_max:empty_axis_int": lambda: np.full(3, np.iinfo(I32).min, I32),
    "reduce_min:empty_axis": lambda: np.full(2, np.inf, F32),
    "reduce_min:empty_axis_int": lambda: np.full(3, np.iinfo(I32).max, I32),
}


def _program(names):
    table = cases(0)
    return irax.jit(lambda args: {n: table[n][0](*args[n]) for n in names})


def run_all(seed: int) -> dict:
    """{name: (eager, compiled)} for every case, with arguments drawn from `seed`."""
    table = cases(seed)
    args = {n: [jnp.asarray(a) for a in table[n][1]] for n in table}
    eager = {n: IDENTITY_RESULTS[n]() if n in IDENTITY_RESULTS else table[n][0](*args[n])
             for n in table}
    compiled = _program(sorted(table))(args)
    return {n: (eager[n], compiled[n]) for n in table}


_PROBE = """
import sys
sys.path.insert(0, {tests!r})
import test_zero_size
test_zero_size.run_all(0)
"""


@pytest.fixture(scope="module")
def results(private_cache_dir):
    """Both runs' results; the program is compiled in a subprocess first (a compiler
    crash fails the tests), then loaded from the module's private cache."""
    probe = subprocess.run([sys.executable, "-c", _PROBE.format(tests=os.path.dirname(
        __file__))], check=False, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, (
        f"compiling the zero-size cases failed (exit status {probe.returncode}, a negative "
        f"status is the signal that killed it):\n{probe.stderr[-3000:]}")
    return [run_all(0), run_all(1)]


def _assert_same(eager, compiled, where: str) -> None:
    e_leaves, e_tree = tree_flatten(eager)
    c_leaves, c_tree = tree_flatten(compiled)
    assert e_tree == c_tree, where
    for e, c in zip(e_leaves, c_leaves):
        e, c = np.asarray(e), np.asarray(c)
        assert (e.dtype, e.shape) == (c.dtype, c.shape), (
            f"{where}: {c.dtype}{list(c.shape)} != eager {e.dtype}{list(e.shape)}")
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(c, e, rtol=2e-6, atol=2e-6, err_msg=where)
        else:
            np.testing.assert_array_equal(c, e, err_msg=where)


def test_every_primitive_with_a_rule_has_zero_size_cases():
    covered = {n.split(":")[0] for n in cases(0)}
    missing = sorted(p.name for p in LOWERING_RULES if p.name not in covered)
    assert not missing, f"primitives without zero-size cases: {missing}"


@pytest.mark.parametrize("name", sorted(cases(0)))
def test_jit_matches_eager(results, name):
    for run in results:
        _assert_same(*run[name], name)


def test_known_empty_results():
    """The values themselves, against NumPy (not only against eager)."""
    x = np.zeros((2, 0), F32)
    got = irax.jit(lambda x: (jnp.sum(x, 1), jnp.prod(x, 1), jnp.max(x, 1, initial=-3.0),
                              x @ x.T, jnp.dot(x[0], x[1])))(x)
    want = (np.zeros(2), np.ones(2), np.full(2, -3.0), np.zeros((2, 2)), 0.0)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), w)


def test_argmax_of_an_empty_axis_raises_under_jit():
    with pytest.raises(ValueError, match="argmax of an empty axis"):
        irax.jit(lambda x: lax.argmax(x, 1, I32))(jnp.zeros((2, 0)))


_CRASHERS = """
import numpy as np, irax, irax.numpy as jnp
dev = irax.devices({platform!r})[0]
put = lambda a: irax.device_put(jnp.asarray(np.asarray(a, np.float32)), dev)
for k in (0, 1):
    out = irax.jit(jnp.dot)(put(np.zeros(0)), put(np.zeros(0)))
    assert float(np.asarray(out)) == 0.0
    out = irax.jit(jnp.matmul)(put(np.ones((2, 0)) * k), put(np.ones((0, 3))))
    np.testing.assert_array_equal(np.asarray(out), np.zeros((2, 3)))
    out = irax.jit(lambda a, b: jnp.einsum("ij,jk->ik", a, b))(put(np.ones((3, 0))),
                                                               put(np.ones((0, 2)) + k))
    np.testing.assert_array_equal(np.asarray(out), np.zeros((3, 2)))
    out = irax.jit(lambda a, b: (jnp.sum(a, 1), jnp.concatenate([a, b], 1)))(
        put(np.ones((2, 0))), put(np.full((2, 1), k)))
    np.testing.assert_array_equal(np.asarray(out[0]), np.zeros(2))
    np.testing.assert_array_equal(np.asarray(out[1]), np.full((2, 1), k))
"""


def _platforms():
    return ["cpu"] + (["vulkan"] if any(d.platform == "vulkan" for d in irax.devices())
                      else [])


@pytest.mark.parametrize("platform", _platforms())
def test_former_compiler_crashes_in_a_subprocess(private_cache_dir, platform):
    """dot / matmul / einsum over a zero-length axis used to kill the process with
    SIGFPE inside IREE's compiler, on CPU and Vulkan."""
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent(
        _CRASHERS.format(platform=platform))], check=False, capture_output=True, text=True,
        timeout=300)
    assert probe.returncode == 0, (
        f"exit status {probe.returncode} (negative: killed by that signal):\n"
        f"{probe.stderr[-3000:]}")
