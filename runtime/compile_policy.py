"""Which program properties pick which compile flags and CPU driver, and why.

A program's properties (mlir_lowering/properties.py: matmuls, loops, complex values,
float64, the largest matmul) are read off its Graph when it is lowered. Each rule
below names the property, what it picks and the measurement behind it; the first
table's rules add up, the driver table's first match wins. Nothing here reads MLIR text.
"""
from typing import Any, NamedTuple

from .compiler import DATA_TILING_FLAGS, SYSTEM_LINK_FLAGS


class FlagRule(NamedTuple):
    """Programs for which `applies(properties, target)` holds compile with `flags`."""
    name: str
    applies: Any
    flags: tuple[str, ...]
    why: str


class DriverRule(NamedTuple):
    """Programs on a CPU device for which `applies(properties)` holds run on `driver`."""
    name: str
    applies: Any
    driver: str
    why: str


THREADED_MIN_MATMUL_ELEMENTS = 4096
THREADED_MIN_MATMUL_FLOPS = 2 ** 27

FLAG_RULES: tuple[FlagRule, ...] = (
    FlagRule("float64 on the host CPU",
             lambda p, target: target == "cpu" and p.float64, SYSTEM_LINK_FLAGS,
             "IREE's embedded ELF has no float64 libm (f64 sin/atan2/fmod fail to link); "
             "the system linker costs ~0.3 s per compile, so only float64 programs pay it"),
    FlagRule("loop-free real matmuls on the host CPU, without convolutions",
             lambda p, target: (target == "cpu" and p.matmul and not p.loop and not p.complex
                                and not p.convolution),
             DATA_TILING_FLAGS,
             "data-tiled matmuls: hessian benchmark 0.168 -> 0.071 ms; they slowed the "
             "100-step scan RNN 33 -> 38 ms (so not with loops), complex matmuls do not "
             "compile data-tiled in IREE 3.13, and compiles take ~50% longer; with "
             "convolutions they gained nothing (cnn_train step 47 ms tiled, 45 ms not) "
             "and a stax Conv16-Pool-Dense10 adam step failed to compile tiled (stack "
             "allocation limit), costing a failed compile before the retry"),
)

DRIVER_RULES: tuple[DriverRule, ...] = (
    DriverRule("loops of large matmuls",
               lambda p: p.loop and p.largest_matmul >= THREADED_MIN_MATMUL_ELEMENTS,
               "local-task",
               "IREE's thread pool uses both cores: scan RNN (32x256 matmuls) 35 -> 28.5 ms; "
               "it costs ~28 us per dispatch and was 6x slower on a memory-bound "
               "elementwise program, so every other program stays on local-sync"),
    DriverRule("a compute-bound matmul",
               lambda p: p.largest_matmul_flops >= THREADED_MIN_MATMUL_FLOPS,
               "local-task",
               "attention fwd+bwd (8x4 heads, 256x256 by 64: 0.27 GFLOP matmuls) 21.2 -> "
               "12.1 ms on both cores; the mlp_grad step (0.1 GFLOP matmuls) 2.22 -> 2.35 "
               "ms and per-example gradients (outer products: many elements, few flops) "
               "23.7 -> 107 ms would lose, so the measure is flops, not elements"),
)


def program_flags(properties, target: str) -> tuple[str, ...]:
    """The extra compile flags of a program with `properties` for `target`.

    Example:
        >>> program_flags(ProgramProperties(matmul=True), "cpu")
        ('--iree-opt-data-tiling',)
    """
    return tuple(flag for rule in FLAG_RULES if rule.applies(properties, target)
                 for flag in rule.flags)


def program_driver(properties, device) -> str:
    """The driver a program with `properties` runs through on `device`: a CPU device on
    `local-sync` may hand some programs to `local-task` (`DRIVER_RULES`); other devices
    keep their own driver."""
    if device.driver != "local-sync":
        return device.driver
    for rule in DRIVER_RULES:
        if rule.applies(properties):
            return rule.driver
    return device.driver
