"""irax from many threads: each thread has its own trace stack, so tracing in one thread
is invisible to every other, and mixed work from 8 threads at once gives the results
NumPy gives.

The stress test runs a few seconds; ``IRAX_LONG_TESTS=1`` runs it for 60 seconds (with
``-s`` it prints its figures: threads, iterations, failures, time).
"""
import os
import sys
import threading
import time

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.core import trace as trace_mod
from irax.core.graph import eval_graph
from irax.core.trace import no_transform_active

LONG = os.environ.get("IRAX_LONG_TESTS") == "1"
NUM_THREADS = 8
TOL = {"rtol": 2e-5, "atol": 2e-6}

# The programs the tests compile, each once per process (the compile cache keys on the
# module text, which is the same for every new jitted lambda of one source line).
shared = irax.jit(lambda a, b: jnp.tanh(a) * b - a)


def scaled_sin(w):
    """A new jitted function, traced anew by its first call: a * w + sin(a)."""
    return irax.jit(lambda a: a * w + jnp.sin(a))


def sin_grad(w):
    """A new jitted gradient: d/da sum(sin(a * w)) = w cos(a * w)."""
    return irax.jit(irax.grad(lambda a: jnp.sum(jnp.sin(a * w))))


def _check(got, want):
    np.testing.assert_allclose(np.asarray(got), want, **TOL)


def _in_thread(target):
    """Runs `target()` in a new thread; returns what it returned (or re-raises)."""
    box = {}

    def run():
        try:
            box["value"] = target()
        except BaseException as error:  # noqa: BLE001 (re-raised in the caller)
            box["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in box:
        raise box["error"]
    return box["value"]


class PausedTrace:
    """A `make_graph` trace in its own thread, paused halfway (its main on the thread's
    stack) until `resume()`; `leaked` is one of its tracers."""

    def __init__(self):
        self.inside, self.go = threading.Event(), threading.Event()
        self.leaked = self.graph = self.error = None
        self.thread = threading.Thread(target=self._trace)
        self.thread.start()
        assert self.inside.wait(timeout=60), "the tracing thread did not start tracing"

    def _fun(self, x):
        y = jnp.sin(x) * 3.0
        self.leaked = y
        self.inside.set()
        self.go.wait(timeout=60)
        return jnp.exp(y) + x

    def _trace(self):
        try:
            self.graph = irax.make_graph(self._fun)(np.zeros(3, np.float32))
        except BaseException as error:  # noqa: BLE001 (checked by resume)
            self.error = error

    def resume(self):
        """Lets the trace finish; checks its Graph computes exp(3 sin(x)) + x."""
        self.go.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive() and self.error is None, self.error
        x = np.linspace(-1, 1, 3, dtype=np.float32)
        (out,) = eval_graph(self.graph.graph, self.graph.consts, [x])
        _check(out, np.exp(3 * np.sin(x)) + x)


def test_work_in_other_threads_while_one_thread_is_tracing(private_cache_dir):
    w = np.float32([1.0, -2.0, 0.5, 3.0])
    _check(shared(w, w), np.tanh(w) * w - w)
    paused = PausedTrace()

    def other_thread():
        assert no_transform_active()  # a thread started now sees eager evaluation only
        x = np.float32([0.3, 0.1, -0.7, 1.1])
        _check(jnp.sin(x) * 2.0, np.sin(x) * 2)
        for a in (x, 2 * x):  # was ConcretizationTypeError: the call joined the trace
            _check(shared(a, w), np.tanh(a) * w - a)
        traced_here = scaled_sin(w)  # was UnexpectedTracerError
        for a in (x, x + 1):
            _check(traced_here(a), a * w + np.sin(a))
        _check(irax.grad(lambda a: jnp.sum(jnp.tanh(a) * w))(x), (1 - np.tanh(x) ** 2) * w)
        jit_grad = sin_grad(w)
        for a in (x, -x):
            _check(jit_grad(a), w * np.cos(a * w))
        m = np.outer([1.0, 2.0, 3.0], x)
        _check(irax.vmap(lambda r: jnp.dot(r, w))(m), m @ w)

    try:
        _in_thread(other_thread)
        assert no_transform_active()  # nor does this thread see the paused trace
        other_thread()
    finally:
        paused.resume()


def test_a_tracer_used_in_another_thread_raises():
    paused = PausedTrace()
    try:
        assert paused.leaked is not None
        with pytest.raises(irax.UnexpectedTracerError, match="in progress in another thread"):
            _in_thread(lambda: paused.leaked * 2.0)
        with pytest.raises(irax.UnexpectedTracerError, match="in progress in another thread"):
            irax.grad(lambda a: jnp.sum(a * paused.leaked))(np.ones(3, np.float32))
    finally:
        paused.resume()
    with pytest.raises(irax.UnexpectedTracerError, match="already returned"):
        paused.leaked * 2.0


def test_nested_transforms_in_one_thread_while_another_traces():
    paused = PausedTrace()
    try:
        def other_thread():
            x = np.float32(0.4)
            _check(irax.grad(irax.grad(lambda a: jnp.sin(a) * a))(x),
                   2 * np.cos(x) - x * np.sin(x))
            graph = irax.make_graph(lambda a: irax.vmap(jnp.exp)(a) * 2.0)(np.ones(2))
            assert [e.primitive.name for e in graph.graph.eqns] == ["exp", "mul"], graph
            return True

        assert _in_thread(other_thread)
    finally:
        paused.resume()


def test_config_is_process_wide():
    previous = irax.config.enable_x64
    try:
        _in_thread(lambda: irax.config.update("enable_x64", not previous))
        assert irax.config.enable_x64 is (not previous)  # as in JAX: for every thread
        assert jnp.asarray(1.5).dtype == (np.float32 if previous else np.float64)
    finally:
        irax.config.update("enable_x64", previous)
    assert jnp.asarray(1.5).dtype == (np.float64 if previous else np.float32)


class Stress:
    """`NUM_THREADS` threads started together by a barrier, each looping over mixed
    work until `seconds` have passed (and at least `min_iterations` times), checking
    every result against NumPy. `failures` holds (thread, iteration, task, message)."""

    def __init__(self, seconds: float, min_iterations: int, export_every: int,
                 exporting_threads):
        self.seconds = seconds
        self.min_iterations = min_iterations
        self.export_every = export_every
        self.exporting_threads = set(exporting_threads)
        self.failures: list[tuple[int, int, str, str]] = []
        self.iterations = [0] * NUM_THREADS
        self.exports = [0] * NUM_THREADS
        self.barrier = threading.Barrier(NUM_THREADS)
        probe = np.float32([0.5, -1.0, 2.0, 0.0])
        _check(shared(probe, probe), np.tanh(probe) * probe - probe)  # compiled before

    def run(self) -> float:
        """Runs the threads; returns the wall time in seconds."""
        threads = [threading.Thread(target=self._worker, args=(t,), daemon=True,
                                    name=f"stress-{t}") for t in range(NUM_THREADS)]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)  # switch threads often: traces interleave op by op
        start = time.perf_counter()
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=self.seconds + 300)
        finally:
            sys.setswitchinterval(interval)
        hung = [t.name for t in threads if t.is_alive()]
        assert not hung, f"threads still running (deadlock?): {hung}"
        return time.perf_counter() - start

    def _worker(self, t: int):
        rng = np.random.default_rng(t)
        self.barrier.wait()
        deadline = time.monotonic() + self.seconds
        k = 0
        while k < self.min_iterations or time.monotonic() < deadline:
            x = rng.standard_normal(4).astype(np.float32)
            w = np.float32(t + 1 + k / 8) * np.linspace(-1, 1, 4, dtype=np.float32)
            tasks = [self._new_jit, self._shared_calls, self._eager_grad, self._vmap,
                     self._jit_grad]
            if t in self.exporting_threads and k % self.export_every == 0:
                tasks.append(self._export)
            for i in range(len(tasks)):
                # Rotate the order so threads do different things at the same moment.
                task = tasks[(i + t + k) % len(tasks)]
                try:
                    task(t, x, w)
                except Exception as error:  # noqa: BLE001 (collected and reported)
                    self.failures.append((t, k, task.__name__, f"{type(error).__name__}: "
                                                               f"{error}"[:500]))
            self.iterations[t] = k = k + 1

    def _new_jit(self, t, x, w):
        f = scaled_sin(w)
        for a in (x, x + 1):
            _check(f(a), a * w + np.sin(a))

    def _shared_calls(self, t, x, w):
        for a, b in ((x, w), (w, x)):
            _check(shared(a, b), np.tanh(a) * b - a)

    def _eager_grad(self, t, x, w):
        grad = irax.grad(lambda a: jnp.sum(jnp.tanh(a) * w))
        _check(grad(x), (1 - np.tanh(x) ** 2) * w)
        value, g = irax.value_and_grad(lambda a: jnp.sum(jnp.exp(a) * a))(w)
        _check(value, np.sum(np.exp(w) * w))
        _check(g, np.exp(w) * (w + 1))

    def _vmap(self, t, x, w):
        m = np.stack([x, w, x * w])
        _check(irax.vmap(lambda r: jnp.dot(r, w) + jnp.sum(jnp.cos(r)))(m),
               m @ w + np.cos(m).sum(axis=1))
        _check(irax.vmap(irax.grad(lambda r: jnp.sum(r * r * w)))(m), 2 * m * w)

    def _jit_grad(self, t, x, w):
        f = sin_grad(w)
        for a in (x, -x):
            _check(f(a), w * np.cos(a * w))

    def _export(self, t, x, w):
        loaded = irax.runtime.load(irax.export(lambda a, b: a * b + 1.0, x, x).vmfb)
        for a, b in ((x, w), (w, x + 2)):
            _check(loaded(a, b), a * b + 1)
        self.exports[t] += 1


def test_stress_mixed_work_from_eight_threads(private_cache_dir):
    if LONG:
        stress = Stress(seconds=60, min_iterations=2, export_every=10,
                        exporting_threads=range(NUM_THREADS))
    else:
        stress = Stress(seconds=2, min_iterations=2, export_every=1000,
                        exporting_threads=(3,))
    elapsed = stress.run()
    total = sum(stress.iterations)
    print(f"\nthread stress: {NUM_THREADS} threads, {total} iterations "
          f"(per thread {stress.iterations}), {sum(stress.exports)} exports, "
          f"{len(stress.failures)} failures, {elapsed:.1f} s")
    assert not stress.failures, "\n".join(
        f"thread {t} iteration {k} {task}: {message}"
        for t, k, task, message in stress.failures[:20])
    # Every transform has returned: what the eager fast paths read says so.
    assert trace_mod._mains == [] and trace_mod._dynamic_mains == []
