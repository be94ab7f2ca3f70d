"""python -m irax.aot module:function --example "f32[3,4]" ... -o out.vmfb: export a
function ahead of time (see `irax.export`) from a shell.

    python -m irax.aot mymodel:predict --example "f32[64,2]" --example "f32[2]" \\
        -o predict.vmfb --target cpu --target vulkan

Each ``--example`` is one positional argument: ``dtype[d0,d1,...]`` with the dtype
written as in JAX's printouts (f32, f64, f16, bf16, i8 ... i64, u8 ... u64, bool,
c64, c128) or as a NumPy name (float32); ``f32[]`` is a scalar. Pytree arguments
need the Python API. Not imported by ``import irax``.
"""
import argparse
import importlib
import re
import sys
import time

import numpy as np

from irax.core.aval import ShapedArray
from irax.transforms.export import TARGETS, export

_SHORT_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
                 "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
                 "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
                 "bool": "bool", "pred": "bool", "c64": "complex64", "c128": "complex128"}
_SPEC = re.compile(r"^\s*(\w+)\s*\[\s*([\d\s,]*)\]\s*$")


def parse_spec(spec: str) -> ShapedArray:
    """`parse_spec("f32[3,4]")` → ShapedArray((3, 4), float32); raises ValueError."""
    match = _SPEC.match(spec)
    if not match:
        raise ValueError(f"bad --example {spec!r}: write dtype[shape], e.g. 'f32[3,4]' "
                         "or 'i32[]'")
    name, dims = match.groups()
    name = _SHORT_DTYPES.get(name, name)
    try:
        if name == "bfloat16":
            from irax.core.dtypes import bfloat16 as dtype
        else:
            dtype = np.dtype(name)
    except TypeError:
        raise ValueError(f"bad --example {spec!r}: unknown dtype {match.group(1)!r}; "
                         f"use one of {sorted(_SHORT_DTYPES)}") from None
    shape = tuple(int(d) for d in dims.replace(" ", "").split(",") if d)
    return ShapedArray(shape, dtype)


def resolve(reference: str):
    """`resolve("pkg.module:attr.path")`: the object that `reference` names."""
    module_name, sep, attr_path = reference.partition(":")
    if not sep or not module_name or not attr_path:
        raise ValueError(f"bad function {reference!r}: write module:function, e.g. "
                         "'mymodel:predict'")
    obj = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise ValueError(f"{reference!r}: {obj!r} has no attribute {attr!r}") from None
    return obj


def main(argv=None) -> int:
    """Runs the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m irax.aot",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("function", help="module:function to export (module on sys.path)")
    parser.add_argument("--example", action="append", default=[], metavar="DTYPE[SHAPE]",
                        help="one positional argument, e.g. 'f32[3,4]'; repeat per argument")
    parser.add_argument("-o", "--output", required=True, help="the .vmfb file to write")
    parser.add_argument("--target", action="append", choices=TARGETS,
                        help="compile target; repeat for one artefact with several "
                             "(default: cpu)")
    parser.add_argument("--cpu-features", choices=("portable", "generic", "host"), default="portable")
    parser.add_argument("--x64", action="store_true", help="enable float64/int64")
    args = parser.parse_args(argv)
    sys.path.insert(0, "")  # like `python -m`: modules in the working directory
    try:
        fn = resolve(args.function)
        examples = [parse_spec(s) for s in args.example]
    except (ValueError, ImportError) as e:
        parser.error(str(e))
    if args.x64:
        from irax.core.config import config
        config.update("enable_x64", True)
    start = time.perf_counter()
    exported = export(fn, *examples, target=tuple(args.target or ("cpu",)),
                      cpu_features=args.cpu_features)
    exported.save(args.output)
    print(f"wrote {args.output}: {len(exported.vmfb)} bytes, {exported.metadata['function']}"
          f"{exported.signature} for {', '.join(exported.targets)} "
          f"in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
