"""Compiling with safer flags when IREE fails on a valid program.

A valid program must not reach the user as a compiler error.  When IREE rejects one
with the flags irax chose for it, `compile_with_fallback` retries with the sets of
`SAFER_FLAG_STEPS`, each safer than the last (no data tiling, then less fusion and no
compile-time evaluation of constants), logs every attempt
(``irax.config.log_compiles``) and warns once per cause.  Splitting the program and
running it op by op are the next steps; they need the Graph, so they belong to jit.
"""
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

from irax.core.config import config
from irax.runtime.compiler import (
    DATA_TILING_FLAGS,
    CompileError,
    FlagsRejectedError,
    check_element_types,
    check_known_crashes,
    compile_mlir,
)


class FlagStep(NamedTuple):
    """One retry: drop flags starting with any of `drop`, then append `add`."""
    description: str
    drop: tuple[str, ...]
    add: tuple[str, ...]


SAFER_FLAG_STEPS: tuple[FlagStep, ...] = (
    # Data-tiled matmuls fail on some shapes (784x128 momentum update: "large vector
    # sizes (32768 bytes)"); untiled code generation is IREE's most used path.
    FlagStep("without data tiling", DATA_TILING_FLAGS, ("--iree-opt-data-tiling=false",)),
    # Smaller dispatches and no constant evaluation at compile time (which compiles and
    # runs sub-programs of its own).
    FlagStep("without data tiling, multi-use fusion and constant evaluation",
             DATA_TILING_FLAGS,
             ("--iree-opt-data-tiling=false", "--iree-dispatch-creation-fuse-multi-use=false",
              "--iree-dispatch-creation-enable-aggressive-fusion=false",
              "--iree-opt-const-eval=false", "--iree-opt-const-expr-hoisting=false")),
)
"""The flag changes tried, in order, after the program's own flags fail."""


class CompileFallbackWarning(UserWarning):
    """IREE failed on a program with its usual flags; irax compiled it with safer ones."""


_warned: set[str] = set()


def safer_flag_sets(extra_flags: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The `(description, extra_flags)` pairs tried after `extra_flags` fails, in order.

    Example:
      >>> safer_flag_sets(("--iree-opt-data-tiling",))[0]
      ('without data tiling', ('--iree-opt-data-tiling=false',))
    """
    sets = []
    for step in SAFER_FLAG_STEPS:
        kept = tuple(f for f in extra_flags if not f.startswith(step.drop))
        flags = kept + tuple(f for f in step.add if f not in kept)
        if flags != tuple(extra_flags) and all(flags != s for _, s in sets):
            sets.append((step.description, flags))
    return sets


def compile_with_fallback(mlir: str, target: str = "cpu", extra_flags: Sequence[str] = (),
                          *, name: str = "module",
                          compile_fn: Callable[..., bytes] = compile_mlir,
                          ) -> tuple[bytes, tuple[str, ...]]:
    """Compiles like `compiler.compile_mlir`; if IREE fails, retries with safer flags.

    Args:
      mlir, target, extra_flags, name: as for `compiler.compile_mlir` (`extra_flags`
        are the program's own flags, e.g. `compile_policy.program_flags`).
      compile_fn: the compiler, called as ``compile_fn(mlir, target, flags, name=name)``.

    Returns:
      ``(vmfb, flags)``: the VM flatbuffer and the extra flags that produced it
      (`extra_flags` itself unless a retry was needed).

    Raises:
      UnsupportedTypeError, CompileError: as `compile_mlir` for modules refused before
        compiling and for rejected flags (no retry helps those); otherwise the first
        attempt's `CompileError`, with a note per failed retry, when every flag set fails.

    Example:
      >>> vmfb, flags = compile_with_fallback(text, "cpu", ("--iree-opt-data-tiling",))
      >>> flags  # IREE failed with data tiling on this program
      ('--iree-opt-data-tiling=false',)
    """
    check_element_types(mlir, target, name)
    check_known_crashes(mlir, target, name)
    extra_flags = tuple(extra_flags)
    try:
        return compile_fn(mlir, target, extra_flags, name=name), extra_flags
    except FlagsRejectedError:
        raise
    except CompileError as first:
        error = first
    cause = _cause(error)
    _log(f"compiling {name!r} for {target} failed: {cause}")
    for description, flags in safer_flag_sets(extra_flags):
        _log(f"retrying {name!r} {description}: {' '.join(flags) or '(no extra flags)'}")
        start = time.perf_counter()
        try:
            vmfb = compile_fn(mlir, target, flags, name=name)
        except CompileError as retry:
            error.add_note(f"retried {description} ({' '.join(flags)}): {_cause(retry)}")
            continue
        _log(f"compiled {name!r} for {target} {description} in "
             f"{time.perf_counter() - start:.3f} s")
        if cause not in _warned:
            _warned.add(cause)
            warnings.warn(f"IREE failed to compile {name!r} for target {target!r} ({cause}); "
                          f"compiled it {description} instead, which may run slower. "
                          "Set IRAX_LOG_COMPILES=1 to see every retry.",
                          CompileFallbackWarning, stacklevel=2)
        return vmfb, flags
    raise error


_LOCATION = re.compile(r"^\S*:\d+:\d+: ")


def _cause(error: CompileError) -> str:
    """The first error diagnostic's first line, without its location."""
    texts = [t.strip() for s, t in error.diagnostics if s == "error" and t.strip()]
    return _LOCATION.sub("", (texts[0] if texts else str(error)).splitlines()[0]).rstrip(":")


def _log(message: str) -> None:
    if config.log_compiles:
        print(f"irax: {message}", file=sys.stderr)
