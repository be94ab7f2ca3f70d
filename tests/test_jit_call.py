"""`jit` as a call primitive: every transform of a jitted function runs compiled.

For each composition, a counter records the compiled executions and the primitives
evaluated eagerly (NumPy impls). The transformed function must run as compiled
programs: none of the jitted function's own primitives may be evaluated eagerly. The
values are checked against the same transform of the un-jitted function and against
central finite differences (`check_grads`, float64, orders 1 and 2, both modes).
"""
import collections
import functools
import gc

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.core.primitive import REGISTRY
from irax.runtime.executable import Executable
from irax.test_util import check_grads

pytestmark = pytest.mark.usefixtures("private_cache_dir")

F_PRIMITIVES = {"tanh", "sin", "cos", "dot_general", "integer_pow"}  # f and its derivatives


@pytest.fixture
def counts(monkeypatch):
    """Counter of compiled executions ('compiled') and eager evaluations ('eager:<name>')."""
    counter = collections.Counter()
    for primitive in list(REGISTRY.values()):
        if primitive.impl is None:
            continue

        def counted(*args, _impl=primitive.impl, _name=primitive.name, **params):
            counter["eager:" + _name] += 1
            return _impl(*args, **params)

        monkeypatch.setattr(primitive, "impl", counted)
    call, call_buffers = Executable.__call__, Executable.call_buffers

    def counted_call(self, *args):
        counter["compiled"] += 1
        return call(self, *args)

    def counted_call_buffers(self, buffers):
        counter["compiled"] += 1
        return call_buffers(self, buffers)

    monkeypatch.setattr(Executable, "__call__", counted_call)
    monkeypatch.setattr(Executable, "call_buffers", counted_call_buffers)
    return counter


def _weights():
    return np.random.RandomState(0).standard_normal((3, 4)) * 0.5


def f(x):
    return jnp.sum(jnp.tanh(jnp.sin(x) @ _weights()) ** 2)


jitted_f = irax.jit(f)

COMPOSITIONS = {
    "grad": lambda g: irax.grad(g),
    "value_and_grad": lambda g: irax.value_and_grad(g),
    "jvp": lambda g: lambda x: irax.jvp(g, (x,), (np.array([1.0, -0.5, 2.0]),)),
    "vmap": lambda g: lambda x: irax.vmap(g)(jnp.stack([x, 2 * x])),
    "jit(vmap(jit))": lambda g: irax.jit(lambda x: irax.vmap(g)(jnp.stack([x, 2 * x]))),
    "hessian": lambda g: irax.hessian(g),
    "jacrev": lambda g: irax.jacrev(g),
    "jacfwd": lambda g: irax.jacfwd(g),
    "grad(grad)": lambda g: lambda x: irax.grad(irax.grad(lambda s: g(x * s)))(1.0),
    "jit(grad)": lambda g: irax.jit(irax.grad(g)),
}


@pytest.mark.parametrize("name", list(COMPOSITIONS))
def test_transform_of_jit_runs_compiled(name, counts, x64):
    transform = COMPOSITIONS[name]
    compiled_fn, reference = transform(jitted_f), transform(f)
    for x in (np.array([0.3, -1.2, 0.7]), np.array([1.1, 0.4, -0.5])):
        want = reference(x)
        counts.clear()
        got = compiled_fn(x)
        for g, w in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(want)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-10, atol=1e-12)
        eager = {k[len("eager:"):] for k in counts if k.startswith("eager:")}
        assert counts["compiled"] >= 1, dict(counts)
        assert not eager & F_PRIMITIVES, f"{name} evaluated {eager & F_PRIMITIVES} eagerly"


def test_grad_of_jit_runs_one_program_and_vjp_two(counts):
    """grad and value_and_grad of a jitted function compile forward and backward into
    one program (as jit(grad(f)) does); vjp's backward pass runs later, so it is a
    second program, the transpose of the first's linear part."""
    x = np.array([0.3, -1.2, 0.7], np.float32)
    g = irax.grad(jitted_f)
    for y in (x, x + 1):
        counts.clear()
        g(y)
        assert dict(counts) == {"compiled": 1}
        counts.clear()
        _, vjp_fn = irax.vjp(jitted_f, y)
        vjp_fn(np.float32(1.0))
        assert dict(counts) == {"compiled": 2}  # the forward (with residuals), the transpose


def test_grad_of_jit_keeps_static_arguments_kwargs_aux_and_argnums(x64, counts):
    def loss(w, x, *, power, scale=1.0):
        value = scale * jnp.sum(jnp.tanh(x @ w) ** power)
        return value, {"norm": jnp.sum(w * w)}

    jitted = irax.jit(loss, static_argnames=("power",))
    w = np.random.RandomState(1).standard_normal((3, 2))
    for x, power in ((np.ones((4, 3)), 2), (np.arange(12.0).reshape(4, 3) / 10, 3)):
        got = irax.grad(jitted, argnums=(0, 1), has_aux=True)(w, x, power=power, scale=0.5)
        want = irax.grad(loss, argnums=(0, 1), has_aux=True)(w, x, power=power, scale=0.5)
        for a, b in zip(irax.tree_util.tree_leaves(got), irax.tree_util.tree_leaves(want)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)
        assert irax.tree_util.tree_structure(got) == irax.tree_util.tree_structure(want)

    by_position = irax.jit(lambda x, n: jnp.sum(x ** n), static_argnums=1)
    np.testing.assert_allclose(irax.grad(by_position)(np.array([1.0, 2.0]), 3), [3.0, 12.0])
    with pytest.raises(TypeError, match="requires real- or complex-valued inputs"):
        irax.grad(by_position)(np.array([1, 2]), 3)


def test_jit_called_with_concrete_arguments_sees_closed_over_tracers(x64):
    """A jitted function made inside a transform, called with concrete arguments, closes
    over that transform's tracer: it must run as a `jit` equation of the transform. It
    ran as a plain program on the tracer's primal value (grad 0, vmap a
    ConcretizationTypeError)."""
    def outer(y):
        return irax.jit(lambda x: jnp.sin(x * y))(0.5)

    ys = np.array([0.3, 1.3, -2.0])
    for y in ys:
        np.testing.assert_allclose(irax.grad(outer)(y), 0.5 * np.cos(0.5 * y), rtol=1e-12)
        np.testing.assert_allclose(irax.jvp(outer, (y,), (2.0,))[1], np.cos(0.5 * y),
                                   rtol=1e-12)
    np.testing.assert_allclose(irax.vmap(outer)(ys), np.sin(0.5 * ys), rtol=1e-12)
    np.testing.assert_allclose(irax.jit(irax.vmap(outer))(2 * ys), np.sin(ys), rtol=1e-12)
    check_grads(outer, (1.3,), order=2, modes=("fwd", "rev"))


def test_grad_of_jit_closing_over_an_outer_tracer_is_differentiated_again(x64):
    def outer(y):
        inner = irax.jit(lambda x: jnp.sin(x * y) * y)
        return irax.grad(inner)(0.5)  # y cos(xy) y

    check_grads(outer, (np.float64(1.3),), order=2, modes=("fwd", "rev"))
    y = 1.3
    np.testing.assert_allclose(outer(y), y * y * np.cos(0.5 * y), rtol=1e-12)
    np.testing.assert_allclose(irax.grad(outer)(y),
                               2 * y * np.cos(0.5 * y) - 0.5 * y * y * np.sin(0.5 * y),
                               rtol=1e-12)


def test_jit_derivatives_match_finite_differences(x64):
    x = np.array([0.3, -1.2, 0.7])
    check_grads(jitted_f, (x,), order=2, modes=("fwd", "rev"))
    check_grads(irax.jit(lambda a, b: jnp.sum(jnp.sin(a) * jnp.exp(b))),
                (x, x[::-1].copy()), order=1, modes=("fwd", "rev"))


def test_graph_of_a_jitted_call_is_one_jit_equation():
    text = str(irax.make_graph(jitted_f)(np.ones(3, np.float32)))
    assert "jit[" in text and "name='f'" in text
    assert text.count("tanh") == 1  # inside the sub-Graph, not inlined by tracing


def test_jit_inside_control_flow_under_grad(x64, counts):
    step = irax.jit(lambda h, w: jnp.tanh(h * w))

    def loss(w):
        h, _ = lax.scan(lambda h, _: (step(h, w), None), jnp.ones(3), None, length=4)
        return jnp.sum(h)

    def reference(w):
        h = jnp.ones(3)
        for _ in range(4):
            h = jnp.tanh(h * w)
        return jnp.sum(h)

    w = np.array([0.5, -0.3, 0.9])
    np.testing.assert_allclose(irax.grad(loss)(w), irax.grad(reference)(w), rtol=1e-10)
    np.testing.assert_allclose(irax.jit(irax.grad(loss))(w * 2), irax.grad(reference)(w * 2),
                               rtol=1e-10)
    out = lax.cond(True, step, lambda h, w: h, jnp.ones(3), w)
    np.testing.assert_allclose(out, np.tanh(w), rtol=1e-12)


def test_jit_with_explicit_device_under_transforms():
    cpu = irax.devices("cpu")[0]
    g = irax.jit(lambda x: jnp.sum(x ** 3), device=cpu)
    x = np.array([1.0, 2.0], np.float32)
    np.testing.assert_allclose(irax.grad(g)(x), 3 * x ** 2)
    np.testing.assert_allclose(irax.vmap(g)(np.stack([x, x + 1])), [9.0, 35.0])


def test_jitted_results_feed_transforms_of_jit():
    h = irax.jit(lambda x: x * 2.0)
    y = h(np.arange(3.0, dtype=np.float32))  # a device buffer
    np.testing.assert_allclose(irax.grad(lambda v: jnp.sum(h(v) ** 2))(y), 8 * np.asarray(y))


class Scaled:
    """A callable object."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return x * self.k

    def method(self, x, power):
        return x ** power * self.k


def _power(x, p):
    return x ** p


CALLABLES = {
    "partial": (functools.partial(_power, p=3), "_power"),
    "object": (Scaled(2.0), "Scaled"),
    "bound method": (Scaled(2.0).method, "method"),
    "jnp function": (jnp.sin, "sin"),
    "lambda": (lambda x: x + 1, "<lambda>"),
}


@pytest.mark.parametrize("kind", list(CALLABLES))
def test_transforms_accept_any_callable(kind, capfd, monkeypatch):
    fun, name = CALLABLES[kind]
    monkeypatch.setattr(irax.config, "log_compiles", True)
    x = np.array([0.5, 1.5], np.float32)
    args = (x, 2) if kind == "bound method" else (x,)
    static = (1,) if kind == "bound method" else ()
    want = np.asarray(fun(*args))
    jitted = irax.jit(fun, static_argnums=static)
    np.testing.assert_allclose(jitted(*args), want, rtol=1e-6)
    other = (x + 1,) + args[1:]
    np.testing.assert_allclose(jitted(*other), np.asarray(fun(*other)), rtol=1e-6)
    assert jitted.__name__ == name
    assert f"jit({name})" in capfd.readouterr().err
    scalar = (lambda v: jnp.sum(fun(v, 2))) if kind == "bound method" else (
        lambda v: jnp.sum(fun(v)))
    irax.grad(irax.jit(scalar))(x)
    irax.vmap(jitted if kind != "bound method" else irax.jit(lambda v: fun(v, 2)))(
        np.stack([x, x]))


def test_jit_of_partial_with_static_argnums():
    def scale(a, b):
        return a * b

    jitted = irax.jit(functools.partial(scale, 2.0), static_argnums=0)
    assert float(jitted(3.0)) == 6.0
    assert float(jitted(4.0)) == 8.0


def test_a_jitted_function_may_call_itself_with_a_static_depth():
    @functools.partial(irax.jit, static_argnums=1)
    def doubled(x, n):
        return x if n == 0 else doubled(x * 2.0, n - 1)

    np.testing.assert_allclose(doubled(np.ones(2, np.float32), 2), [4.0, 4.0])
    np.testing.assert_allclose(doubled(np.full(2, 3, np.float32), 3), [24.0, 24.0])


def test_a_program_iree_cannot_compile_runs_op_by_op_with_one_warning(monkeypatch):
    from irax.runtime import cache
    from irax.runtime.compile_fallback import CompileFallbackWarning
    from irax.runtime.compiler import CompileError

    def refuse(mlir, target, extra_flags=(), *, name="module"):
        raise CompileError("error: injected IREE failure", [("error", "injected")], ())

    monkeypatch.setattr(cache, "compile_with_fallback", refuse)
    monkeypatch.setattr(irax.config, "compilation_cache", False)
    g = irax.jit(lambda x, y: jnp.tanh(x) @ y + 1.0)
    x, y = np.ones((2, 3), np.float32), np.arange(12.0, dtype=np.float32).reshape(3, 4)
    with pytest.warns(CompileFallbackWarning, match="injected IREE failure.*op by op"):
        np.testing.assert_allclose(g(x, y), np.tanh(x) @ y + 1, rtol=1e-6)
    np.testing.assert_allclose(g(2 * x, y), np.tanh(2 * x) @ y + 1, rtol=1e-6)
    with pytest.warns(CompileFallbackWarning, match="op by op"):  # grad's programs too
        np.testing.assert_allclose(irax.grad(lambda v: jnp.sum(g(v, y)))(x),
                                   (1 - np.tanh(x) ** 2) * y.sum(1), rtol=1e-5)


def test_a_program_iree_cannot_compile_is_split_and_only_the_failing_part_runs_op_by_op(
        monkeypatch, counts):
    """IREE failing on one operation (here: every module with a tanh) costs that
    operation only: the program is halved until the parts without it compile."""
    from irax.runtime import cache
    from irax.runtime.compile_fallback import CompileFallbackWarning
    from irax.runtime.compiler import CompileError

    compile_with_fallback = cache.compile_with_fallback

    def refuse_tanh(mlir, target, extra_flags=(), *, name="module"):
        if "stablehlo.tanh" in mlir:
            raise CompileError("error: injected IREE failure", [("error", "injected")], ())
        return compile_with_fallback(mlir, target, extra_flags, name=name)

    monkeypatch.setattr(cache, "compile_with_fallback", refuse_tanh)
    monkeypatch.setattr(irax.config, "compilation_cache", False)
    g = irax.jit(lambda x, y: jnp.sin(jnp.tanh(jnp.cos(x) @ y) * 2.0) + 1.0)
    x, y = np.ones((2, 3), np.float32), np.arange(12.0, dtype=np.float32).reshape(3, 4)

    def expected(x):
        return np.sin(np.tanh(np.cos(x) @ y) * 2) + 1

    with pytest.warns(CompileFallbackWarning, match=r"_part\d+'.*op by op") as caught:
        np.testing.assert_allclose(g(x, y), expected(x), rtol=1e-5)
    assert len(caught) == 1, [str(w.message) for w in caught]
    counts.clear()
    np.testing.assert_allclose(g(2 * x, y), expected(2 * x), rtol=1e-5)
    eager = {k: n for k, n in counts.items() if k.startswith("eager:")}
    assert eager == {"eager:tanh": 1}, eager  # everything else ran compiled
    assert counts["compiled"] >= 2


def test_residuals_that_are_inputs_are_not_copied_out_of_the_forward_program(x64):
    """grad(jit(f))'s forward program returned the weights and data the backward pass
    needs as outputs (a copy per call: 1.4 MB per mlp_grad step); they are taken from
    the call's own arguments instead."""
    from irax.transforms.rules import call

    f = irax.jit(lambda w, x: jnp.sum(jnp.tanh(x @ w) @ w.T))
    w = np.random.RandomState(0).standard_normal((3, 3)) * 0.5
    for scale in (0.1, 0.2):  # float64: central differences are exact enough
        check_grads(f, (w, scale * np.arange(6.0).reshape(2, 3)), order=1, modes=("rev",))
    linearized = [v for table in list(call._derived.values()) for v in table.values()
                  if isinstance(v, call.Linearized)]
    assert linearized and all(
        not set(lin.known.outvars) & set(lin.known.invars) for lin in linearized)
    assert any(i is not None for lin in linearized for i in lin.residual_inputs)


def test_transforms_leave_no_reference_cycles():
    """A finished transform must not keep its data in a reference cycle: the residual
    buffers of grad(jit(f)) waited for the garbage collector (a MainTrace and its trace
    referred to each other), which cost ~10% of a training step."""
    f = irax.jit(lambda w, x: jnp.sum(jnp.tanh(x @ w) ** 2))
    g = irax.grad(f)
    w, x = np.ones((4, 3), np.float32), np.ones((2, 4), np.float32)
    g(w, x)
    gc.collect()
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        g(w, x)
        irax.jit(g)(w, x)
        irax.vmap(g, in_axes=(None, 0))(w, np.stack([x, x]))
        gc.collect()
        cycles = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
    assert not cycles & {"MainTrace", "BufferArray", "GraphBuilder"}, cycles
