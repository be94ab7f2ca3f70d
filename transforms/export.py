"""Ahead-of-time export: a function, transformed or not, as a standalone .vmfb artefact.

`export(fn, *example_args, target=...)` traces `fn` for the example arguments' avals,
lowers the Graph to StableHLO with the arrays it closed over embedded as constants,
and compiles one IREE module for one or several targets (the module's device is a
`#hal.device.select` over them: the runtime picks the one it is loaded on). irax's
metadata (pytree structure, shapes, dtypes, versions, targets) rides in the module as
reflection of its ``main`` function, so the saved file is a regular .vmfb that
`iree-run-module` runs and `irax.runtime.load` calls with the original pytrees.
"""
import inspect
import re
import time
from collections.abc import Sequence

import numpy as np

from irax.core import pytree
from irax.core.aval import ShapedArray
from irax.core.callables import callable_name
from irax.core.config import config
from irax.core.graph_trace import abstractify
from irax.mlir_lowering import lower_graph
from irax.runtime.artifact import (
    FORMAT,
    METADATA_VERSION,
    Exported,
    add_checksum,
    reflection_attribute,
)
from irax.runtime.compiler import CompileError, compile_for_targets, compiler_version
from irax.runtime.device import VulkanDevice
from irax.version import __version__

from .device_kernels import stored_graph
from .tracing import split_arguments, trace

TARGETS = ("cpu", "cuda", "vulkan", "metal")
"""What `export` compiles for."""
_DEVICE_ALIASES = {"cpu": "local", "cuda": "cuda", "vulkan": "vulkan", "metal": "metal"}
_F64_OR_F16 = re.compile(r"[<x]f(?:16|64)\b")
_F64_LIBM_PRIMITIVES = {"sin", "cos", "tan", "tanh", "asin", "acos", "atan", "atan2", "rem",
                        "lgamma", "digamma", "polygamma"}
"""Primitives whose float64 CPU code calls libm, which IREE's embedded ELF lacks."""
_DIAGNOSTIC_LINE = re.compile(r"^(?:error: )?(\S+?):(\d+):\d+: ", re.MULTILINE)


_CPU_TARGETS = {"portable": "cpu-portable", "generic": "cpu-generic", "host": "cpu"}
"""`export`'s cpu_features -> the key of runtime.compiler.TARGET_FLAGS it compiles with."""


class ExportError(ValueError):
    """`export` cannot produce an artefact for this function, target or argument."""


def export(fn, *example_args, target: str | Sequence[str] = "cpu",
           static_argnums: int | Sequence[int] = (),
           cpu_features: str = "portable") -> Exported:
    """`export(fn, *example_args, target="cpu", static_argnums=(), cpu_features="portable")`.

    Compiles `fn` ahead of time for arguments shaped like `example_args` into a
    standalone IREE module that runs with only the IREE runtime (`irax.runtime.load`
    or ``iree-run-module``). `fn` may be any transformed function (`grad`, `vmap`,
    `jit` of them ...); the arrays it closes over are embedded in the artefact.

    Args:
      fn: the function; its arguments are pytrees (tuples, lists, dicts, None,
        registered nodes) of arrays.
      *example_args: arguments of the shapes and dtypes to compile for: arrays,
        scalars, or `ShapedArray`-like objects with ``.shape`` and ``.dtype`` (no data
        needed). Values are not baked in, except for static arguments.
      target: "cpu", "cuda", "vulkan", "metal", or a tuple of them for one artefact
        that runs on each (the device it is loaded on selects the code).
      static_argnums: positions of arguments baked into the program as Python values;
        the artefact takes the other arguments only.
      cpu_features: "portable" (the default: on x86-64, CPUs with AVX2 and FMA, i.e.
        x86-64-v3, Intel 2013+ / AMD 2015+; elsewhere a generic CPU of the
        architecture), "generic" (any CPU of this architecture; ~11x slower on
        tanh-heavy code) or "host" (this machine's CPU features; the artefact may
        not run elsewhere).

    Returns:
      An `Exported`: ``.save(path)``, ``.mlir_text()``, ``.signature``, ``.vmfb``.

    Raises:
      ExportError: an unknown target; float64/float16 for Vulkan (its default SPIR-V
        target lacks them); float64 trigonometric functions (sin, cos, tan, tanh, atan,
        atan2, asin, acos, fmod) for the CPU, which need a libm that standalone
        CPU code cannot link; dict keys that are not str/int/float/bool.
      CompileError: IREE rejected the module for another reason.

    Example:
      >>> exp = irax.export(irax.grad(loss), params, xs, ys, target=("cpu", "vulkan"))
      >>> exp.save("loss_grad.vmfb")
      >>> irax.runtime.load("loss_grad.vmfb")(params, xs, ys)    # same pytree out
    """
    targets = _targets(target)
    if cpu_features not in _CPU_TARGETS:
        raise ExportError(f"export: cpu_features must be 'portable', 'generic' or 'host', "
                          f"not {cpu_features!r}")
    nargs = len(example_args)
    static = _static_positions(static_argnums, nargs)
    dyn_positions = [i for i in range(nargs) if i not in static]
    arg_names = _arg_names(fn, nargs)
    name = callable_name(fn)
    arguments = split_arguments(fn, example_args, {}, sorted(static), what="export",
                                param_names=arg_names)
    dyn_args = tuple(example_args[i] for i in dyn_positions)
    in_tree = pytree.tree_structure(dyn_args)
    in_avals = [_example_aval(x, path, arg_names, dyn_positions) for path, x in
                pytree.tree_flatten_with_path(dyn_args)[0]]
    closed, out_tree = trace(fn, arguments, in_avals, name="export")
    # Vulkan's default target loses the tail of 8- and 16-bit buffers: such leaves
    # cross the artefact's boundary widened to 32 bits, for every target of it.
    storage = VulkanDevice().storage_dtype if "vulkan" in targets else np.dtype
    stored = stored_graph(closed, VulkanDevice(), consts_as_arguments=False) if (
        "vulkan" in targets) else closed

    metadata = {
        "format": FORMAT, "version": METADATA_VERSION, "irax_version": __version__,
        "iree_version": compiler_version(), "function": name, "targets": list(targets),
        "cpu_features": cpu_features, "x64": bool(config.enable_x64),
        "arg_names": [arg_names[i] for i in dyn_positions],
        "in_tree": _describe(in_tree.unflatten([_LEAF] * in_tree.num_leaves), "arguments"),
        "in_leaves": [_leaf(a, storage) for a in in_avals],
        "out_tree": _describe(out_tree.unflatten([_LEAF] * out_tree.num_leaves), "result"),
        "out_leaves": [_leaf(a, storage) for a in closed.out_avals],
        "static_args": {str(i): repr(example_args[i]) for i in sorted(static)},
    }
    text = _module_text(stored, name, targets, metadata)
    _check_dtypes(text, targets, name)
    start = time.perf_counter()
    try:
        vmfb = compile_for_targets(
            text, [_CPU_TARGETS[cpu_features] if t == "cpu" else t for t in targets],
            name=name)
    except CompileError as err:
        raise _explain_link_error(err, closed, targets, name) from None
    if config.log_compiles:
        print(f"irax: export({name}) compiled for {targets} in "
              f"{time.perf_counter() - start:.3f} s", flush=True)
    return Exported(text, add_checksum(vmfb), metadata)


def _targets(target) -> tuple[str, ...]:
    targets = (target,) if isinstance(target, str) else tuple(target)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise ExportError(f"export: unknown target {unknown[0] if unknown else target!r}; "
                          f"choose from {TARGETS} (or a tuple of them)")
    if len(set(targets)) != len(targets):
        raise ExportError(f"export: target {targets} names a target twice")
    return targets


def _static_positions(static_argnums, nargs: int) -> set[int]:
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ExportError(f"export: static_argnums {n} is out of range for "
                              f"{nargs} example arguments")
    return {n % nargs for n in nums}


def _arg_names(fn, nargs: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
    return [positional[i] if i < len(positional) else f"arg{i}" for i in range(nargs)]


def _example_aval(x, path, arg_names, dyn_positions) -> ShapedArray:
    if isinstance(x, ShapedArray):
        return x
    if (not isinstance(x, (np.ndarray, np.generic)) and not hasattr(x, "aval")
            and hasattr(x, "shape") and hasattr(x, "dtype")):
        return ShapedArray(tuple(x.shape), np.dtype(x.dtype))
    try:
        return abstractify(x)
    except TypeError:
        where = f"{arg_names[dyn_positions[path[0].idx]]}{pytree.keystr(path[1:])}"
        raise ExportError(f"export: example argument {where} is a {type(x).__name__}, "
                          "not an array, a scalar or a shape/dtype spec; pass Python "
                          "values through static_argnums") from None


def _leaf(aval: ShapedArray, storage) -> list:
    """[shape, dtype], or [shape, dtype, the dtype the module carries it as]."""
    dtype, stored = np.dtype(aval.dtype), np.dtype(storage(aval.dtype))
    return [list(aval.shape), dtype.name] + ([stored.name] if stored != dtype else [])


_LEAF = object()  # stands for every leaf while a tree's structure is described


def _describe(tree, path: str):
    """The JSON description (see `irax.runtime.artifact`) of a tree of `_LEAF`s."""
    if tree is _LEAF:
        return "*"
    if tree is None:
        return None
    keyed, _ = pytree.tree_flatten_with_path(tree, is_leaf=lambda x: x is not tree)
    children = [(key, _describe(child, f"{path}{key}")) for (key,), child in keyed]
    if type(tree) in (tuple, list):
        return {type(tree).__name__: [c for _, c in children]}
    if isinstance(tree, dict):
        for key, _ in children:
            if type(key.key) not in (str, int, float, bool):
                raise ExportError(f"export: the dict key {key.key!r} at {path} cannot be "
                                  "stored in the artefact's metadata; use str or int keys")
        return {"dict": [[key.key, c] for key, c in children]}
    kind = type(tree)
    return {"custom": [f"{kind.__module__}.{kind.__qualname__}", [c for _, c in children]]}


def _module_text(closed, name: str, targets, metadata: dict) -> str:
    """`module @m_<name> { func.func public @main(args) }` with the consts embedded,
    the target devices and the metadata attached; verified, with every workaround of
    `jit`'s lowering (the same `lower_graph`)."""
    devices = [f'#hal.device.alias<"{_DEVICE_ALIASES[t]}"> : !hal.device' for t in targets]
    device = (devices[0] if len(devices) == 1
              else f"#hal.device.select<[{', '.join(devices)}]> : !hal.device")
    return lower_graph(closed, f"m_{name}", consts=closed.consts,
                       module_attributes=f"hal.device.targets = [{device}]",
                       function_attributes=reflection_attribute(metadata)).text


def _check_dtypes(text: str, targets, name: str) -> None:
    if "vulkan" in targets and _F64_OR_F16.search(text):
        raise ExportError(f"export({name}): the program uses float64 or float16, which "
                          "IREE's default Vulkan (SPIR-V) target does not support (float64) "
                          "or computes wrongly on lavapipe (float16); export float32 code "
                          "for Vulkan, or leave 'vulkan' out of target")


def _explain_link_error(err: CompileError, closed, targets, name: str) -> Exception:
    """A CPU link failure of float64 code: IREE's embedded ELF has no float64 libm."""
    text = "\n".join(t for _, t in err.diagnostics)
    if "cpu" not in targets or "failed to link executable" not in text:
        return err
    lines = sorted({f"{file}:{line}" for file, line in _DIAGNOSTIC_LINE.findall(text)})
    ops = sorted({f"`{e.primitive.name}` at {e.source_info}" for e in closed.graph.eqns
                  if e.source_info in lines and e.primitive.name in _F64_LIBM_PRIMITIVES
                  and any(np.dtype(v.aval.dtype) == np.float64 for v in e.outputs)})
    where = ", ".join(ops or lines) or "(location unknown)"
    return ExportError(
        f"export({name}): float64 math at {where} cannot be compiled into a standalone "
        "CPU artefact: IREE's embedded CPU code has no float64 libm (sin, cos, tan, tanh, "
        "atan, atan2, asin, acos and fmod in float64 fail to link), and an artefact must "
        "not depend on the system linker. Compute these functions in float32 (e.g. "
        "jnp.sin(x.astype(jnp.float32))), or export with float64 disabled.\n"
        f"IREE said:\n{err}")
