"""jit: trace once per signature, lower to StableHLO, compile with IREE, call directly.

A `Jitted` function keeps one `Compiled` entry per `SignatureKey` (pytree structure,
avals with weak types, static arguments, x64, device).  A call with concrete arguments
runs the compiled program on device buffers and returns `BufferArray`s that stay on
the device.  Called with tracers (inside grad, vmap, make_graph or another jit), it
binds the `jit` call primitive on its cached Graph (core/primitives/call.py): each
transform's rule for it (transforms/rules/call.py) returns a `jit` equation of the
transformed Graph, so `grad(jit(f))` and `vmap(jit(f))` run compiled programs, and a
`jit` equation inside another jitted program is inlined by the lowering.
"""
import functools
import gc
import sys
import threading
import time
import warnings
import weakref
from typing import NamedTuple

from irax.core import pytree
from irax.core.callables import callable_name
from irax.core.config import config
from irax.core.graph import ClosedGraph, Graph, Literal, eval_graph
from irax.core.graph_trace import abstractify
from irax.core.primitives.call import jit_p
from irax.core.tensor import ArrayImpl, BufferArray
from irax.core.trace import Tracer, concrete_values_evaluate, no_transform_active
from irax.mlir_lowering import LoweredModule, lower_graph
from irax.mlir_lowering.properties import program_properties
from irax.runtime import Device, Executable, Loaded, compile_cached, load_executable
from irax.runtime.artifact import release_idle_devices as release_idle_artifact_devices
from irax.runtime.cache import default_cache
from irax.runtime.compile_fallback import CompileFallbackWarning
from irax.runtime.compile_policy import program_driver, program_flags
from irax.runtime.compiler import (
    CompileError,
    FlagsRejectedError,
    KnownCrashError,
    UnsupportedTypeError,
)
from irax.runtime.device import release_idle_devices
from irax.runtime.placement import computation_device, device_buffer

from . import loaded_programs
from .device_kernels import clear_kernels, stored_graph
from .rules.call import clear_derived, derived
from .tracing import parameter_names, split_arguments, trace


class SignatureKey(NamedTuple):
    """What a compiled program depends on besides the function itself."""
    in_tree: object
    in_avals: tuple
    static_args: tuple
    x64: bool
    device: object


class Compiled:
    """One traced, lowered and compiled program, callable on flat concrete arrays.

    Attributes:
      graph: the traced ClosedGraph (its consts are passed as leading arguments).
      text: the StableHLO module text.
      out_tree: the pytree structure of the outputs.
      closes_over_tracers: whether a const is a value traced by an enclosing transform
        (the function closed over it): such a program runs as a `jit` equation of that
        transform, and is not kept for later calls.
    """

    def __init__(self, graph: ClosedGraph, out_tree, name: str, device):
        self.graph = graph
        self.closes_over_tracers = any(isinstance(c, Tracer) for c in graph.consts)
        self.out_tree = out_tree
        self.device = device
        self.name = name
        self.out_avals = tuple(graph.out_avals)
        self._lowered = None
        self._loaded = None  # (executable, constant buffers), while loaded
        self.recently_used = False
        self._lock = threading.Lock()
        self._open_graph = None
        self.split_depth = 0  # how often IREE's failures split the program it is part of

    def _lower(self) -> LoweredModule:
        lowered = self._lowered
        if lowered is None:
            lowered = self._lowered = lower_graph(stored_graph(self.graph, self.device),
                                                  self.name)
        return lowered

    @property
    def text(self) -> str:
        """The StableHLO module (lowered on first use), with the device's storage dtypes
        at its boundary (`Device.storage_dtype`)."""
        return self._lower().text

    def _load(self) -> tuple:
        """(executable, constant buffers): compiled (or read from the compile cache) and
        loaded on first use, and again after `release`."""
        with self._lock:
            loaded = self._loaded
            if loaded is None:
                lowered, device = self._lower(), self.device
                target = device.target
                properties = program_properties(self.graph)
                flags = program_flags(properties, target)
                consts = [device_buffer(c, v.aval, device) for c, v in
                          zip(self.graph.consts, self.graph.graph.constvars)]
                try:
                    vmfb = compile_cached(lowered.text, target, flags, name=self.name)
                except (UnsupportedTypeError, KnownCrashError, FlagsRejectedError):
                    raise  # refused, not failed: running op by op would meet the same
                except CompileError as error:  # even with safer flags (compile_fallback)
                    executable, vmfb = _after_compile_error(self, error), b""
                else:
                    consts = [device.put(a) for a in lowered.hoisted] + consts
                    try:
                        executable = load_executable(
                            vmfb, device, driver=program_driver(properties, device))
                    except (IndexError, RuntimeError) as error:
                        if "binding count" not in str(error):
                            raise
                        # A dispatch over the runtime's binding limit (iree_defects.md,
                        # 17) that the lowering's chunks did not prevent: a compile
                        # failure found late, handled like one.
                        executable, vmfb = _after_compile_error(self, CompileError(
                            f"IREE compiled {self.name!r} into a module that does not "
                            f"load: {error}", [("error", str(error))], flags)), b""
                loaded = self._loaded = (executable, consts)
                self._lowered = None  # re-lowered only if released and called again
                admitted = len(vmfb)
            else:
                admitted = None
        if admitted is not None:  # outside the lock: admitting may release other programs
            loaded_programs.admit(self, admitted)
        self.recently_used = True
        return loaded

    def release(self) -> None:
        """Drops the loaded executable and its constant buffers (calls in flight keep
        theirs); the next call loads it again from the compile cache."""
        with self._lock:
            self._loaded = None

    @property
    def open_graph(self) -> Graph:
        """The program's Graph with its consts as leading invars: the sub-Graph of the
        `jit` equation that stands for this program inside a transform."""
        if self._open_graph is None:
            self._open_graph = _open_graph(self.graph)
        return self._open_graph

    def call_flat(self, leaves, in_avals, committed: bool = False):
        """Runs the program on flat concrete arguments (moved to its device when they
        live elsewhere); returns flat BufferArrays on the device, `committed` to it."""
        executable, consts = self._loaded or self._load()
        self.recently_used = True
        device = self.device
        buffers = [device_buffer(x, a, device) for x, a in zip(leaves, in_avals)]
        outs = executable(*consts, *buffers)
        return [BufferArray(b, device, a, committed) for b, a in zip(outs, self.out_avals)]

    def __call__(self, *args):
        leaves, _ = pytree.tree_flatten(args)
        avals = [abstractify(x) for x in leaves]
        return pytree.tree_unflatten(self.out_tree, self.call_flat(leaves, avals))


MAX_SPLIT_DEPTH = 3
"""How often a program IREE cannot compile is halved before its failing parts run op by
op: at most 2 * (2**3 - 1) = 14 more compiles (each part compiles alone, IREE's
failures are usually one operation's), and parts of at least 1/8 stay compiled."""


def _after_compile_error(compiled: "Compiled", error: CompileError):
    """What runs a program IREE could not compile: its two halves as programs of their
    own (`SplitProgram`), or, for one equation or at `MAX_SPLIT_DEPTH`, `OpByOp`."""
    graph = compiled.graph.graph
    if len(graph.eqns) < 2 or compiled.split_depth >= MAX_SPLIT_DEPTH:
        return OpByOp(compiled, error)
    return SplitProgram(compiled, error)


class SplitProgram:
    """Stands in for the executable of a program IREE could not compile: runs the first
    and the second half of its equations as two programs (each compiled, split again or
    run op by op as it needs), the values the second half uses passed between them.
    Called like an `Executable`."""

    def __init__(self, compiled: "Compiled", error: CompileError):
        graph = _open_graph(compiled.graph)
        half = len(graph.eqns) // 2
        first, second = graph.eqns[:half], graph.eqns[half:]
        needed = {a for e in second for a in e.inputs if type(a) is not Literal}
        needed |= {v for v in graph.outvars if type(v) is not Literal}
        passed = [v for e in first for v in e.outputs if v in needed]
        self.parts = []
        for index, (eqns, invars, outvars) in enumerate((
                (first, graph.invars, passed),
                (second, [*graph.invars, *passed], graph.outvars))):
            part = Compiled(ClosedGraph(Graph([], invars, eqns, outvars), []), None,
                            f"{compiled.name}_part{index}", compiled.device)
            part.split_depth = compiled.split_depth + 1
            self.parts.append(part)
        self.device = compiled.device
        _log(f"IREE could not compile {compiled.name!r} ({_first_line(error)}); compiling "
             f"its {len(first)} + {len(second)} equations as two programs")

    def __call__(self, *buffers) -> tuple:
        first, second = self.parts
        executable, consts = first._load()
        passed = executable(*consts, *buffers)
        executable, consts = second._load()
        return tuple(executable(*consts, *buffers, *passed))

    def call_buffers(self, buffers) -> tuple:
        return self(*buffers)


def _first_line(error: CompileError) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else "?"


class OpByOp:
    """Stands in for the executable of a program IREE could not compile, even with safer
    flags: runs its Graph one primitive at a time (eager semantics, the same values),
    after a one-time warning naming IREE's error. Called like an `Executable`."""

    def __init__(self, compiled: Compiled, error: CompileError):
        graph = compiled.graph.graph
        self.graph = Graph([], [*graph.constvars, *graph.invars], graph.eqns, graph.outvars)
        self.device = compiled.device
        warnings.warn(f"irax: IREE could not compile {compiled.name!r} "
                      f"({_first_line(error)}); it "
                      "runs op by op instead (same results, slower). Please report it with "
                      "the program (irax.jit(f).lower(*args).as_text())", CompileFallbackWarning,
                      stacklevel=4)

    def __call__(self, *buffers) -> tuple:
        device = self.device
        args = [BufferArray(b, device, v.aval) for b, v in zip(buffers, self.graph.invars)]
        outs = eval_graph(self.graph, [], args)
        return tuple(device_buffer(o, v.aval, device) for o, v in zip(outs, self.graph.outvars))

    def call_buffers(self, buffers) -> tuple:
        return self(*buffers)


def _open_graph(closed: ClosedGraph) -> Graph:
    """`closed`'s Graph with its constvars as leading invars (a `jit` equation's
    sub-Graph: the consts are passed as operands)."""
    graph = closed.graph
    return Graph([], [*graph.constvars, *graph.invars], graph.eqns, graph.outvars)


def _call_concrete(args, params) -> list:
    """The `jit` primitive on concrete arrays: its Graph compiled once per device
    (cached on the Graph), run on the arguments' device buffers."""
    graph, name = params["graph"], params["name"]
    device, committed = computation_device(args, params["device"], what=f"jit({name})")
    compiled = derived(graph, ("program", device), lambda: Compiled(
        ClosedGraph(graph, []), None, _module_name(name), device))
    return compiled.call_flat(args, [abstractify(x) for x in args], committed)


jit_p.def_concrete_call(_call_concrete)


class Lowered:
    """The result of `jit(f).lower(*args)`: the StableHLO module, ready to compile."""

    def __init__(self, compiled: Compiled):
        self._compiled = compiled

    def as_text(self) -> str:
        """The StableHLO module (MLIR text) with the user's source locations."""
        return self._compiled.text

    def compile(self) -> Compiled:
        """The compiled program: call it with arguments of the lowered signature."""
        self._compiled._load()
        return self._compiled


def _log(message: str) -> None:
    if config.log_compiles:
        print(f"irax: {message}", file=sys.stderr)


class Jitted:
    """A function compiled per argument signature; see `jit`."""

    def __init__(self, fun, static_argnums, static_argnames, device):
        functools.update_wrapper(self, fun)
        self.__name__ = callable_name(fun)
        self.fun = fun
        self.static_argnums = static_argnums
        self.static_argnames = static_argnames
        self.device = device
        self._cache: dict[SignatureKey, Compiled] = {}
        # (avals of flat array args, their committed devices, x64, default device)
        #   -> (program, whether its results are committed)
        self._fast: dict[tuple, tuple[Compiled, bool]] = {}
        self._transformed: dict[tuple, Jitted] = {}
        _jitted.add(self)
        self._param_names = parameter_names(fun)

    def _compiled(self, args, kwargs) -> tuple:
        arguments = split_arguments(self.fun, args, kwargs, self.static_argnums,
                                    self.static_argnames, param_names=self._param_names)
        leaves = arguments.leaves
        in_avals = tuple(abstractify(x) for x in leaves)
        device, committed = computation_device(
            leaves, self.device, what=f"jit({self.__name__})",
            label=lambda i: arguments.labels()[i])
        key = SignatureKey(arguments.in_tree, in_avals, arguments.static,
                           config.enable_x64, device)
        compiled = self._cache.get(key)
        if compiled is None:
            # Traced without a lock: a jitted function may call itself (a static argument
            # ends the recursion), and two threads tracing one new signature at once
            # both trace; the first result is kept (compiles happen once: the compile
            # cache has a lock per program).
            compiled = self._trace(key, arguments)
            if not compiled.closes_over_tracers:
                compiled = self._cache.setdefault(key, compiled)
        return compiled, leaves, in_avals, committed

    def _trace(self, key: SignatureKey, arguments) -> Compiled:
        reason = "first call" if not self._cache else "new signature"
        start = time.perf_counter()
        traced = trace(self.fun, arguments, key.in_avals, name="jit")
        _log(f"jit({self.__name__}): traced in {time.perf_counter() - start:.3f} s ({reason}: "
             f"{', '.join(a.str_short() for a in key.in_avals)})")
        return Compiled(traced.graph, traced.out_tree, _module_name(self.__name__), key.device)

    def __call__(self, *args, **kwargs):
        fast = not kwargs and not self.static_argnums
        if fast and no_transform_active():
            # The common case, flat concrete arrays: look the program up by their avals
            # and the devices they are committed to.
            key = _fast_key(args)
            if key is not None:
                hit = self._fast.get(key)
                if hit is not None:
                    return hit(args)
        compiled, leaves, in_avals, committed = self._compiled(args, kwargs)
        if fast and no_transform_active():
            key = _fast_key(args)
            if key is not None:
                self._fast[key] = FastCall(compiled, committed)
        if concrete_values_evaluate() and not compiled.closes_over_tracers and not any(
                isinstance(x, Tracer) for x in leaves):
            outs = compiled.call_flat(leaves, in_avals, committed)
        else:  # a `jit` equation, which the transform's rule keeps compiled
            outs = jit_p.bind(*compiled.graph.consts, *leaves, graph=compiled.open_graph,
                              name=self.__name__, device=self.device)
        return pytree.tree_unflatten(compiled.out_tree, outs)

    def clear_cache(self) -> None:
        """Forgets every traced and compiled signature of this function."""
        self._cache.clear()
        self._fast.clear()

    def lower(self, *args, **kwargs) -> Lowered:
        """Traces, lowers and compiles for these arguments; see `Lowered`."""
        return Lowered(self._compiled(args, kwargs)[0])

    def transformed(self, key: tuple, transform) -> "Jitted":
        """`jit(transform(self.fun))` with this function's static arguments and device,
        made once per `key` (which names the transform and its options): a transform
        that runs whole when called, such as `value_and_grad`, compiles into one
        program with the function instead of calling it as a `jit` equation."""
        jitted = self._transformed.get(key)
        if jitted is None:
            inner = transform(self.fun)
            inner.__name__ = f"{key[0]}({self.__name__})"
            jitted = self._transformed.setdefault(key, Jitted(
                inner, self.static_argnums, self.static_argnames, self.device))
        return jitted


_LEAF = pytree.tree_structure(0)
_jitted: "weakref.WeakSet[Jitted]" = weakref.WeakSet()


def clear_caches() -> None:
    """`irax.clear_caches()`: forgets every traced and compiled program of this process
    (every jitted function's signatures, transformed call Graphs, eager device kernels)
    and releases the loaded executables. The on-disk compile cache stays, so programs
    traced again load without recompiling. Accelerator devices that no array, program
    or loaded artefact uses any more are given back (an open lavapipe device keeps
    threads busy); call it while no other thread is creating arrays on an accelerator,
    since an array made during the release could outlive the device it was put on.

    Example:
        >>> f = irax.jit(jnp.sin); f(1.0)
        >>> irax.clear_caches()          # f traces (and loads) again on its next call
    """
    for jitted in list(_jitted):
        jitted.clear_cache()
    clear_derived()
    clear_kernels()
    loaded_programs.clear()
    default_cache().clear_memory()
    _release_idle_devices()


def _release_idle_devices() -> None:
    """Gives back the accelerator devices that no live array or loaded program uses
    (runtime.device.release_idle_devices says why). Found by one scan of the heap:
    `clear_caches` is rare, and arrays keep no registry of their own."""
    gc.collect()
    in_use, held = set(), []
    for obj in gc.get_objects():
        kind = type(obj)
        if kind is BufferArray or kind is Executable:
            in_use.add(obj.device)
        elif kind is Loaded:
            held.append(obj.hal_device)
    release_idle_devices(in_use, held)
    release_idle_artifact_devices(held)


def _fast_key(args) -> tuple | None:
    """The fast-path key of flat concrete array arguments (None for anything else):
    each argument's aval and committed device, then the config the program depends on."""
    key = []
    for a in args:
        kind = type(a)
        if kind is BufferArray:
            key.append(a._aval)
            key.append(a.device if a.committed else None)
        elif kind is ArrayImpl:
            key.append(a.aval)
            key.append(None)
        else:
            return None
    key.append(config.enable_x64)
    key.append(config.default_device)
    return tuple(key)


class FastCall:
    """A compiled program bound for the fast path: called with flat concrete arrays of
    the avals it was compiled for, it runs the executable with the least Python."""

    __slots__ = ("committed", "compiled", "device", "in_avals", "out_tree", "single")

    def __init__(self, compiled: Compiled, committed: bool):
        self.compiled = compiled
        self.committed = committed
        self.device = compiled.device
        self.in_avals = compiled.graph.in_avals
        self.out_tree = compiled.out_tree
        self.single = self.out_tree == _LEAF

    def __call__(self, args):
        compiled, device = self.compiled, self.device
        executable, consts = compiled._loaded or compiled._load()
        compiled.recently_used = True
        buffers = consts + [
            a.buffer if type(a) is BufferArray and a.device is device else
            device_buffer(a, aval, device) for a, aval in zip(args, self.in_avals)]
        outs = executable.call_buffers(buffers)
        committed = self.committed
        if self.single:
            return BufferArray(outs[0], device, compiled.out_avals[0], committed)
        return pytree.tree_unflatten(self.out_tree, [
            BufferArray(b, device, a, committed) for b, a in zip(outs, compiled.out_avals)])


def _module_name(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "jit"


def jit(fun=None, *, static_argnums=(), static_argnames=(), device=None):
    """`jit(fun, static_argnums=(), static_argnames=(), device=None)`.

    Compiles `fun` with IREE: the first call with a new argument signature (pytree
    structure, shapes, dtypes, weak types, static argument values) traces `fun` to a
    Graph, lowers it to StableHLO and compiles it (cached on disk across processes);
    later calls run the compiled program directly on device buffers.  Arguments in
    `static_argnums` / `static_argnames` are Python values baked into the program
    (they must be hashable); the others must be arrays (or scalars), and Python
    control flow on them raises ConcretizationTypeError.

    The program runs on `device` when given (arguments elsewhere are copied there),
    else on the device the arguments are committed to (`irax.device_put`), else on
    `irax.config.default_device` (the first CPU device unless set). Arguments
    committed to two devices raise `DeviceMismatchError`. Results stay on the device.

    Example:
        >>> @irax.jit
        ... def f(x):
        ...     return x * x + x * 2.0
        >>> f(jnp.ones(3))
        Array([3., 3., 3.], dtype=float32)
    """
    if device is not None and not isinstance(device, Device):
        raise TypeError(f"jit: device must be an irax Device (see irax.devices()), not "
                        f"{type(device).__name__} {device!r}")
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, device=device)
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    return Jitted(fun, nums, frozenset(names), device)


