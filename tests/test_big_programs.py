"""Long programs compile in time linear in their length: the lowering cuts a long body
into chunks joined by `stablehlo.optimization_barrier`s (mlir_lowering/fusion_barriers.py),
so IREE fuses each chunk on its own.

CI checks the mechanism on small programs with a small chunk size (the text has the
cuts, each value crosses once, results match NumPy).  ``IRAX_LONG_TESTS=1`` also
compiles a 5,000-step chain and a 1,000-step unrolled grad and checks, generously, that
compile time stays near linear.
"""
import os
import re
import time

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.mlir_lowering import fusion_barriers

LONG = os.environ.get("IRAX_LONG_TESTS") == "1"
BARRIER = re.compile(r'"stablehlo\.optimization_barrier"\(([^)]*)\)')

pytestmark = pytest.mark.usefixtures("private_cache_dir")


@pytest.fixture
def chunk_ops(monkeypatch):
    """A chunk size small enough that short programs are cut."""
    monkeypatch.setattr(fusion_barriers, "CHUNK_OPS", 40)
    return 40


def chain(n, shift=0.1):
    def f(x):
        for i in range(n):
            x = jnp.tanh(x) * 1.0001 + shift * i
        return x
    return f


def chain_np(x, n, shift=0.1):
    x = x.astype(np.float64)
    for i in range(n):
        x = np.tanh(x) * 1.0001 + shift * i
    return x


def barrier_operands(text: str) -> list[list[str]]:
    return [[o.strip() for o in m.group(1).split(",")] for m in BARRIER.finditer(text)]


def inputs(seed, n=1000):
    return np.random.default_rng(seed).uniform(-2, 2, n).astype(np.float32)


def test_a_long_chain_is_cut_into_chunks_of_the_chunk_size(chunk_ops):
    n = 60
    f = chain(n)
    text = irax.jit(f).lower(inputs(0)).as_text()
    body_lines = text.count("\n") - 4
    barriers = barrier_operands(text)
    # A cut after every equation that fills the chunk (an equation writes <= 4 lines).
    assert body_lines // (chunk_ops + 4) <= len(barriers) <= body_lines // chunk_ops
    assert all(len(operands) == 1 for operands in barriers)  # only the chain's value
    jitted = irax.jit(f)
    for seed in (1, 2):
        x = inputs(seed)
        np.testing.assert_allclose(np.asarray(jitted(x)), chain_np(x, n), rtol=2e-5)


def test_a_short_program_is_lowered_without_barriers():
    x = inputs(0)
    assert fusion_barriers.CHUNK_OPS >= 1000
    assert "optimization_barrier" not in irax.jit(chain(100)).lower(x).as_text()
    # 200 steps write about 1,400 ops: cut at the default size.
    assert len(barrier_operands(irax.jit(chain(200)).lower(x).as_text())) == 1


def test_a_value_read_far_away_crosses_one_barrier_and_constants_none(chunk_ops):
    n = 40

    def f(x):
        early = x * 3.0 + 1.0
        table = jnp.arange(1000, dtype=jnp.float32) * 0.001  # computed from literals
        return chain(n)(x) + early + table

    text = irax.jit(f).lower(inputs(0)).as_text()
    barriers = barrier_operands(text)
    assert len(barriers) >= 4
    assert len(barriers[0]) == 2  # the chain's value and `early`
    assert all(len(operands) == 1 for operands in barriers[1:])
    jitted = irax.jit(f)
    for seed in (3, 4):
        x = inputs(seed)
        expected = chain_np(x, n) + (x * 3.0 + 1.0) + np.arange(1000) * 1e-3
        np.testing.assert_allclose(np.asarray(jitted(x)), expected, rtol=2e-5, atol=2e-5)


def test_a_chunk_is_not_cut_where_many_values_cross(chunk_ops):
    # Twelve products live until the final sum: no cut while they are (each crossing
    # value would end a dispatch of its own), cuts again in the chain after it.
    def f(x):
        ys = [x * (k + 1.0) for k in range(12)]
        z = chain(12)(x)
        return chain(12)(z * sum(ys))

    text = irax.jit(f).lower(inputs(0)).as_text()
    barriers = barrier_operands(text)
    assert len(barriers) >= 2 and all(len(b) <= fusion_barriers.MAX_CROSSING
                                      for b in barriers)
    tanh_positions = [m.start() for m in re.finditer("stablehlo.tanh", text)]
    assert text.index("optimization_barrier") > tanh_positions[11]  # after z
    jitted = irax.jit(f)
    for seed in (11, 12):
        x = inputs(seed, 10) * 0.01
        expected = chain_np(chain_np(x, 12) * (x * 78.0), 12)
        np.testing.assert_allclose(np.asarray(jitted(x)), expected, rtol=2e-5)


def test_grad_of_a_long_chain_is_right_and_cut_only_where_few_residuals_cross(chunk_ops):
    n, shift = 30, 0.001  # x stays small, so the derivative does not underflow

    def loss(x):
        return jnp.sum(chain(n, shift)(x))

    grad = irax.jit(irax.grad(loss))
    # Each forward step leaves a residual for the backward pass: the program is cut
    # only near its end, where few residuals are still to be read.
    barriers = barrier_operands(grad.lower(inputs(0)).as_text())
    assert 1 <= len(barriers) <= 2
    assert all(len(b) <= fusion_barriers.MAX_CROSSING for b in barriers)
    for seed in (5, 6):
        x = inputs(seed).astype(np.float64)
        derivative = np.ones_like(x)
        for i in range(n):  # d x_{i+1} / d x_i = 1.0001 (1 - tanh(x_i)^2)
            derivative *= 1.0001 * (1 - np.tanh(x) ** 2)
            x = np.tanh(x) * 1.0001 + shift * i
        np.testing.assert_allclose(np.asarray(grad(inputs(seed))), derivative, rtol=1e-4)


def test_a_long_loop_body_is_cut_inside_its_region(chunk_ops):
    n, length = 20, 3

    def f(x):
        def body(carry, _):
            carry = chain(n)(carry)
            return carry, carry[0]
        return lax.scan(body, x, None, length=length)

    jitted = irax.jit(f)
    text = jitted.lower(inputs(0)).as_text()
    assert "stablehlo.while" in text and len(barrier_operands(text)) >= 2
    for seed in (7, 8):
        x = inputs(seed)
        carry, firsts = jitted(x)
        expected = [x]
        for _ in range(length):
            expected.append(chain_np(expected[-1], n))
        np.testing.assert_allclose(np.asarray(carry), expected[-1], rtol=1e-4)
        np.testing.assert_allclose(np.asarray(firsts), [e[0] for e in expected[1:]],
                                   rtol=1e-4)


def compile_seconds(f, x) -> float:
    start = time.perf_counter()
    irax.jit(f).lower(x).compile()
    return time.perf_counter() - start


def test_a_long_chain_compiles_in_near_linear_time_and_runs():
    # CI: 300 steps (about 2,100 ops, cut twice at the default chunk size), no timing.
    # IRAX_LONG_TESTS=1: 5,000 steps against 500, and a 1,000-step unrolled grad.
    x = inputs(0)
    steps = 5000 if LONG else 300
    seconds = compile_seconds(chain(steps), x)
    if LONG:
        short = compile_seconds(chain(500), x)
        assert seconds < 20 * short + 10, (short, seconds)  # quadratic would be 100x
        grad = irax.grad(lambda x: jnp.sum(chain(1000)(x)))
        assert compile_seconds(grad, x) < 10 * short + 30
    jitted = irax.jit(chain(steps))
    assert len(barrier_operands(jitted.lower(x).as_text())) >= 2
    for seed in (9, 10):
        x = inputs(seed)
        np.testing.assert_allclose(np.asarray(jitted(x)), chain_np(x, steps), rtol=1e-4)


@pytest.mark.parametrize("n", [31, 32, 48])
@pytest.mark.parametrize("shape", [(), (5,)])
def test_a_program_reading_many_arguments_loads_and_runs(n, shape):
    """IREE fused these into one dispatch with a binding per argument; over 32 the
    module failed to load (docs/iree_defects.md, defect 17)."""
    def f(*xs):
        acc = xs[0]
        for x in xs[1:]:
            acc = acc * 0.5 + x
        return acc

    jitted = irax.jit(f)
    for seed in (0, 1):
        xs = [np.random.default_rng(seed + i).standard_normal(shape).astype(np.float32)
              for i in range(n)]
        want = xs[0].astype(np.float64)
        for x in xs[1:]:
            want = want * 0.5 + x
        np.testing.assert_allclose(np.asarray(jitted(*xs)), want, rtol=1e-5, atol=1e-6)
    text = jitted.lower(*xs).as_text()
    limit = fusion_barriers.MAX_INPUTS  # the first chunk reads 16 arguments, the next
    assert len(barrier_operands(text)) == -(-(n - limit) // (limit - 1))  # 15 and a carry


def test_vjp_of_a_jitted_chain_longer_than_the_binding_limit():
    """The transpose program takes one residual per step: 40 steps failed to load."""
    f = irax.jit(lambda x: jnp.sum(chain(40, shift=0.0)(x)))
    for seed in (3, 4):
        x = inputs(seed, 8)
        _, vjp_fn = irax.vjp(f, x)
        (got,) = vjp_fn(np.float32(1.0))
        t, dx = x.astype(np.float64), np.ones(8)
        for _ in range(40):  # forward-mode product of the step derivatives
            th = np.tanh(t)
            dx, t = dx * (1 - th * th) * 1.0001, th * 1.0001
        np.testing.assert_allclose(np.asarray(got), dx, rtol=1e-4)


def test_a_module_over_the_binding_limit_is_split_like_a_compile_failure(monkeypatch,
                                                                          capsys):
    """Should a dispatch still exceed the binding limit (here: the chunk limit is
    switched off), the module that fails to load is handled like a program IREE could
    not compile: halved, each half compiled on its own."""
    monkeypatch.setattr(fusion_barriers, "MAX_INPUTS", 10**6)
    monkeypatch.setattr(irax.config, "log_compiles", True)

    def f(*xs):
        return sum(x * (i + 1) for i, x in enumerate(xs))

    jitted = irax.jit(f)
    for seed in (5, 6):
        xs = [np.random.default_rng(seed + i).standard_normal(3).astype(np.float32)
              for i in range(40)]
        want = sum(x.astype(np.float64) * (i + 1) for i, x in enumerate(xs))
        np.testing.assert_allclose(np.asarray(jitted(*xs)), want, rtol=1e-5, atol=1e-5)
    log = capsys.readouterr().err
    assert "does not load" in log and "as two programs" in log, log
