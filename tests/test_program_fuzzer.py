"""A program fuzzer: random well-typed programs of irax.numpy / lax calls, jitted and
compared with eager evaluation.

Each example draws a few input arrays (shapes with zero-size and size-1 dimensions;
bool, int8, int32, uint8, bfloat16, float16, float32 and complex64) and a chain of
random operations on them (elementwise unary and binary with broadcasting,
reductions, cumsum, dot, transposes, reshapes, slices with any step,
dynamic_update_slice, concatenate, pad, where, conversions, sort, scan).  Every
intermediate value is an output, so one compiled program checks them all; it runs
twice with different inputs.  CI runs a handful of examples; `IRAX_LONG_TESTS=1` runs
many more (`IRAX_FUZZ_EXAMPLES` sets the number).
"""
import os

import hypothesis.strategies as st
import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import irax
import irax.numpy as jnp
from irax import lax

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

LONG = os.environ.get("IRAX_LONG_TESTS") == "1"
EXAMPLES = int(os.environ.get("IRAX_FUZZ_EXAMPLES", "400" if LONG else "6"))

DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int32, np.uint8, ml_dtypes.bfloat16,
                                np.float16, np.float32, np.complex64)]
TOLERANCE = {"bfloat16": 5e-2, "float16": 1e-2, "float32": 2e-5, "complex64": 2e-5}


def _kind(dtype) -> str:
    """'b', 'i' (signed and unsigned integers), 'f' (real floats) or 'c'."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "b"
    if dtype.kind in "iu":
        return "i"
    return "c" if dtype.kind == "c" else "f"


def _sample(rng: np.random.RandomState, shape, dtype) -> np.ndarray:
    kind = _kind(dtype)
    if kind == "b":
        return rng.rand(*shape) > 0.5
    if kind == "i":
        info = np.iinfo(dtype)
        return rng.randint(max(info.min, -50), min(info.max, 50) + 1, shape).astype(dtype)
    values = rng.uniform(-3, 3, shape)
    if kind == "c":
        values = values + 1j * rng.uniform(-3, 3, shape)
    return values.astype(dtype)


# ---- operations: (name, kinds it accepts, make(draw, x) -> function of x) ------------

UNARY = {
    "f": ["sin", "cos", "tanh", "exp", "log1p", "abs", "floor", "sign", "sqrt", "square",
          "negative", "arctan"],
    "c": ["exp", "abs", "negative", "square", "conj", "real", "sin"],
    "i": ["negative", "abs", "sign", "square", "bitwise_not"],
    "b": ["logical_not"],
}
BINARY = {
    "f": ["add", "subtract", "multiply", "maximum", "minimum", "arctan2", "divide"],
    "c": ["add", "subtract", "multiply", "maximum", "minimum"],
    "i": ["add", "subtract", "multiply", "maximum", "minimum", "bitwise_and", "bitwise_xor"],
    "b": ["logical_and", "logical_or", "logical_xor", "equal"],
}


def _axis(draw, x) -> int:
    return draw(st.integers(0, x.ndim - 1))


def _unary(draw, x, others):
    name = draw(st.sampled_from(UNARY[_kind(x.dtype)]))
    return name, getattr(jnp, name)


def _binary(draw, x, others):
    name = draw(st.sampled_from(BINARY[_kind(x.dtype)]))
    partners = [k for k, o in enumerate(others) if o.dtype == x.dtype and o.ndim <= x.ndim
                and o.shape == x.shape[x.ndim - o.ndim:]]
    k = draw(st.sampled_from(partners)) if partners else None
    scalar = draw(st.sampled_from([1, 2, -1])) if _kind(x.dtype) != "b" else True
    if k is None:
        return f"{name}(x, {scalar})", lambda v, _: getattr(jnp, name)(v, scalar)
    return f"{name}(x, in{k})", lambda v, ins: getattr(jnp, name)(v, ins[k])


def _reduction(draw, x, others):
    name = draw(st.sampled_from(["sum", "prod", "max", "min", "any", "all", "cumsum"]))
    axis = _axis(draw, x)
    if name == "cumsum":
        return f"cumsum(axis={axis})", lambda v: jnp.cumsum(v, axis=axis)
    if name in ("max", "min") and (x.shape[axis] == 0 or _kind(x.dtype) == "c"):
        name = "sum"
    return f"{name}(axis={axis})", lambda v: getattr(jnp, name)(v, axis=axis)


def _dot(draw, x, others):
    if x.ndim == 1:
        return "dot(x, x)", lambda v: jnp.dot(v, v)
    return "x @ swapaxes(x)", lambda v: v @ jnp.swapaxes(v, -1, -2)


def _transpose(draw, x, others):
    perm = draw(st.permutations(range(x.ndim)))
    return f"transpose{tuple(perm)}", lambda v: jnp.transpose(v, perm)


def _reshape(draw, x, others):
    shape = draw(st.sampled_from([(-1,), x.shape[::-1], (1,) + x.shape, x.shape + (1,)]))
    if shape == (-1,) or x.size or shape != x.shape[::-1]:
        return f"reshape{shape}", lambda v: jnp.reshape(v, shape)
    return "reshape(-1)", lambda v: jnp.reshape(v, (-1,))


def _slice(draw, x, others):
    axis = _axis(draw, x)
    n = x.shape[axis]
    start = draw(st.integers(-n - 1, n + 1))
    stop = draw(st.integers(-n - 1, n + 1))
    step = draw(st.sampled_from([1, 2, 3, -1, -2]))
    index = (slice(None),) * axis + (slice(start, stop, step),)
    return f"x[{index}]", lambda v: v[index]


def _update(draw, x, others):
    axis = _axis(draw, x)
    size = draw(st.integers(0, x.shape[axis]))
    start = draw(st.integers(-2, x.shape[axis] + 2))

    def fun(v):
        piece = lax.slice_in_dim(v, 0, size, axis=axis)
        return lax.dynamic_update_slice_in_dim(v, piece[::-1] if size else piece,
                                               jnp.int32(start), axis)
    return f"dynamic_update_slice(axis={axis}, size={size}, start={start})", fun


def _concatenate(draw, x, others):
    axis = _axis(draw, x)
    size = draw(st.integers(0, x.shape[axis]))
    return (f"concatenate(axis={axis}, {size})",
            lambda v: jnp.concatenate([v, lax.slice_in_dim(v, 0, size, axis=axis), v], axis))


def _pad(draw, x, others):
    config = [(draw(st.integers(-1, 2)), draw(st.integers(-1, 2)), draw(st.integers(0, 1)))
              for _ in range(x.ndim)]
    config = [(lo if n + lo + hi + max(n - 1, 0) * i >= 0 else 0,
               hi if n + lo + hi + max(n - 1, 0) * i >= 0 else 0, i)
              for n, (lo, hi, i) in zip(x.shape, config)]
    value = np.zeros((), x.dtype) + (1 if _kind(x.dtype) != "b" else True)
    return f"pad{config}", lambda v: lax.pad(v, jnp.asarray(value), config)


def _where(draw, x, others):
    zero = np.zeros((), x.dtype)
    return "where(x != 0, x, -x)", lambda v: jnp.where(v != zero, v, jnp.zeros_like(v) + (
        ~v if _kind(x.dtype) == "b" else -v))


def _convert(draw, x, others):
    dtype = draw(st.sampled_from(DTYPES))
    if _kind(dtype) == "i" and _kind(x.dtype) in "fc":  # float -> int is undefined out of range
        low = 0 if dtype.kind == "u" else -20
        return f"astype({dtype}) via floor", lambda v: jnp.clip(
            jnp.floor(jnp.real(v)), low, 20).astype(dtype)
    return f"astype({dtype})", lambda v: v.astype(dtype)


def _sort(draw, x, others):
    axis = _axis(draw, x)
    return f"sort(axis={axis})", lambda v: jnp.sort(v, axis=axis)


def _scan(draw, x, others):
    def fun(v):
        def body(c, row):
            return c + row, c * row if _kind(v.dtype) != "b" else c & row
        return lax.scan(body, jnp.zeros(v.shape[1:], v.dtype), v)
    return "scan(cumulative)", fun


OPERATIONS = {
    "unary": (_unary, "bicf", 0), "binary": (_binary, "bicf", 0),
    "reduction": (_reduction, "bicf", 1), "dot": (_dot, "icf", 1),
    "transpose": (_transpose, "bicf", 1), "reshape": (_reshape, "bicf", 0),
    "slice": (_slice, "bicf", 1), "update": (_update, "bicf", 1),
    "concatenate": (_concatenate, "bicf", 1), "pad": (_pad, "bicf", 0),
    "where": (_where, "bicf", 0), "convert": (_convert, "bicf", 0),
    "sort": (_sort, "bicf", 1), "scan": (_scan, "icf", 1),
}
"""name -> (make, dtype kinds it takes, least rank it needs)."""
_TAKES_INPUTS = {"binary"}


def _ignoring_inputs(fun):
    return lambda v, ins: fun(v)


@st.composite
def programs(draw):
    """(description, input arrays, function of the inputs list returning every value)."""
    n_inputs = draw(st.integers(1, 3))
    shapes = [tuple(draw(st.lists(st.sampled_from([0, 1, 2, 3, 5]), max_size=3)))
              for _ in range(n_inputs)]
    dtypes = [draw(st.sampled_from(DTYPES)) for _ in range(n_inputs)]
    if draw(st.booleans()) and n_inputs > 1:  # a partner for binary operations
        shapes[1], dtypes[1] = shapes[0], dtypes[0]
    seed = draw(st.integers(0, 2**31 - 1))
    avals = [jnp.zeros(s, d) for s, d in zip(shapes, dtypes)]
    steps, lines = [], []
    for _ in range(draw(st.integers(1, 8))):
        source = draw(st.integers(0, len(avals) - 1))
        x = avals[source]
        usable = [n for n, (_, kinds, rank) in OPERATIONS.items()
                  if _kind(x.dtype) in kinds and x.ndim >= rank]
        name = draw(st.sampled_from(usable))
        text, fun = OPERATIONS[name][0](draw, x, avals[:n_inputs])
        if name not in _TAKES_INPUTS:
            fun = _ignoring_inputs(fun)
        out = fun(x, avals[:n_inputs])
        avals.extend(irax.tree_util.tree_leaves(out))
        steps.append((source, fun, len(irax.tree_util.tree_leaves(out))))
        lines.append(f"v{source} {x.dtype}{list(x.shape)} -> {text}")

    def program(inputs):
        values = list(inputs)
        for source, fun, _ in steps:
            values.extend(irax.tree_util.tree_leaves(fun(values[source], values[:n_inputs])))
        return values[n_inputs:]

    return "\n".join(lines), (shapes, dtypes, seed), program


def _inputs(spec, run: int):
    shapes, dtypes, seed = spec
    rng = np.random.RandomState((seed + run) % 2**32)
    return [jnp.asarray(_sample(rng, s, d)) for s, d in zip(shapes, dtypes)]


def check_program(description: str, spec, program) -> None:
    """jit(program) equals the eager program, on two sets of inputs."""
    compiled = irax.jit(program)
    for run in range(2):
        inputs = _inputs(spec, run)
        want = program(inputs)
        got = compiled(inputs)
        for k, (g, w) in enumerate(zip(got, want)):
            where = f"value {k} of run {run} of the program\n{description}"
            g, w = np.asarray(g), np.asarray(w)
            assert (g.dtype, g.shape) == (w.dtype, w.shape), where
            tol = TOLERANCE.get(w.dtype.name)
            if tol is None:
                np.testing.assert_array_equal(g, w, err_msg=where)
            else:
                scale = max(1.0, float(np.max(np.abs(w[np.isfinite(w)]), initial=0)))
                np.testing.assert_allclose(g.astype(np.complex128), w.astype(np.complex128),
                                           rtol=tol, atol=tol * scale, err_msg=where)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
          suppress_health_check=list(HealthCheck))
@given(programs())
def test_random_programs_match_eager(private_cache_dir, case):
    check_program(*case)
