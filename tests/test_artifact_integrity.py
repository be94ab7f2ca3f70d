"""Artefacts are native code, so everything else about them is checked: the integrity
trailer (`add_checksum`) before IREE sees a byte, the metadata against the module's
reflected signature, each result's size before it is read. Every failure of `load`
or of a call is an `ArtifactError`, never a crash, a hang or heap contents.

The artefact here is compiled from hand-written StableHLO with hand-written metadata
(the format documented in `irax.runtime.artifact`), so the loader is tested against
its documentation, not against `irax.export`'s output. Crafted variants edit the
metadata JSON in place (same length, padded with JSON whitespace) and are resealed.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from irax.runtime import artifact
from irax.runtime.artifact import ArtifactError, add_checksum, load, read_metadata
from irax.runtime.compiler import compile_mlir

ARTIFACT_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "runtime", "artifact.py")
LONG = os.environ.get("IRAX_LONG_TESTS") == "1"

METADATA = {"format": "irax.export", "version": 1, "irax_version": "test",
            "iree_version": "test", "function": "scale", "targets": ["cpu"],
            "cpu_features": "portable", "x64": False, "arg_names": ["x", "y"],
            "in_tree": {"tuple": ["*", "*"]},
            "in_leaves": [[[3], "float32"], [[2, 2], "int32"]],
            "out_tree": {"tuple": ["*", "*"]},
            "out_leaves": [[[3], "float32"], [[2, 2], "int32"]], "static_args": {},
            "zpad": " " * 4000}
"""`zpad` leaves room to rewrite the JSON in place with longer content."""


def module_text(metadata: dict) -> str:
    return textwrap.dedent(f"""\
        func.func public @main(%x: tensor<3xf32>, %y: tensor<2x2xi32>)
            -> (tensor<3xf32>, tensor<2x2xi32>) attributes {{
              {artifact.reflection_attribute(metadata)}}} {{
          %c = stablehlo.constant dense<2.5> : tensor<3xf32>
          %0 = stablehlo.multiply %x, %c : tensor<3xf32>
          %1 = stablehlo.add %y, %y : tensor<2x2xi32>
          return %0, %1 : tensor<3xf32>, tensor<2x2xi32>
        }}""")


@pytest.fixture(scope="module")
def module_bytes():
    """The IREE module alone (no trailer)."""
    return compile_mlir(module_text(METADATA), "cpu-portable", name="scale")


@pytest.fixture(scope="module")
def sealed(module_bytes):
    return add_checksum(module_bytes)


def metadata_text(metadata: dict) -> bytes:
    return json.dumps(metadata, separators=(",", ":"), sort_keys=True).encode()


def crafted(module_bytes: bytes, edit) -> bytes:
    """The artefact with its metadata JSON replaced by `edit(metadata)` (a dict, or raw
    JSON bytes), padded to the same length, and a valid trailer: a deliberate forgery."""
    original = metadata_text(METADATA)
    assert module_bytes.count(original) == 1
    new = edit({k: v for k, v in METADATA.items() if k != "zpad"})
    new = new if isinstance(new, bytes) else metadata_text(new)
    assert len(new) <= len(original), "the edit does not fit in place"
    return add_checksum(module_bytes.replace(original, new.ljust(len(original))))


def raw(metadata: dict, field: str, json_text: bytes) -> bytes:
    """The metadata JSON with `field`'s value replaced by raw `json_text`."""
    return metadata_text({**metadata, field: None}).replace(
        f'"{field}":null'.encode(), f'"{field}":'.encode() + json_text)


def test_trailer_layout_and_round_trip(module_bytes, sealed, tmp_path):
    digest, length, magic = struct.unpack("<32sQ8s", sealed[-48:])
    assert sealed[:-48] == module_bytes
    assert digest == hashlib.sha256(module_bytes).digest()
    assert length == len(module_bytes) and magic == b"IRAXSUM1"
    assert add_checksum(sealed) == sealed
    assert artifact.verify_checksum(sealed) == module_bytes
    (tmp_path / "scale.vmfb").write_bytes(sealed)
    f = load(tmp_path / "scale.vmfb")
    for x, y in [(np.float32([1, 2, 3]), np.int32([[1, 2], [3, 4]])),
                 (np.float32([-4, 0.5, 8]), np.int32([[-7, 0], [9, 1 << 20]]))]:
        out_x, out_y = f(x, y)
        np.testing.assert_array_equal(out_x, x * np.float32(2.5))
        np.testing.assert_array_equal(out_y, y + y)
    assert read_metadata(sealed)["function"] == "scale"


def test_iree_tools_still_read_a_sealed_artefact(sealed, tmp_path):
    tool = shutil.which("iree-run-module")
    assert tool, "iree-run-module comes with the iree-base-runtime wheel"
    (tmp_path / "scale.vmfb").write_bytes(sealed)
    result = subprocess.run(
        [tool, f"--module={tmp_path / 'scale.vmfb'}", "--device=local-sync",
         "--function=main", "--input=3xf32=1 2 4", "--input=2x2xi32=1 2 3 4"],
        capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "3xf32=2.5 5 10" in result.stdout and "2x2xi32=[2 4][6 8]" in result.stdout


def test_unsealed_truncated_and_non_regular_files_are_refused(module_bytes, sealed,
                                                              tmp_path):
    for data in [module_bytes, sealed[:-1], sealed[:len(sealed) // 2], sealed[:47], b"",
                 sealed + b"\0", sealed[:-48] + b"\0" * 48]:
        with pytest.raises(ArtifactError, match="failed its integrity check: it has no "
                                                "valid irax checksum trailer"):
            load(data)
    with pytest.raises(ArtifactError, match="failed its integrity check"):
        read_metadata(module_bytes)
    with pytest.raises(ArtifactError, match="not a regular file"):
        load(tmp_path)
    with pytest.raises(ArtifactError, match="cannot read artefact .*No such file"):
        load(tmp_path / "missing.vmfb")


def test_a_sealed_foreign_module_is_refused_for_lack_of_metadata():
    foreign = compile_mlir("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
                           "  return %a : tensor<2xf32>\n}", "cpu-portable")
    with pytest.raises(ArtifactError, match="without irax metadata"):
        load(add_checksum(foreign))


@pytest.mark.parametrize("edit, message", [
    (lambda m: {**m, "out_leaves": [[[3], "float64"], [[2, 2], "int32"]]},
     r"does not match the module's own signature: metadata out_leaves"),
    (lambda m: {**m, "in_leaves": [[[4], "float32"], [[2, 2], "int32"]]},
     r"does not match the module's own signature: metadata in_leaves"),
    (lambda m: {**m, "out_leaves": [[[3], "float32"], [[2, 2], "uint32"]]},
     r"does not match the module's own signature"),
    (lambda m: {**m, "out_leaves": [[[3], "object"], [[2, 2], "int32"]]},
     r"dtype 'object' is not one of"),
    (lambda m: {**m, "out_leaves": [[[-3], "float32"], [[2, 2], "int32"]]},
     r"out_leaves entry \[\[-3\], 'float32'\] is not \[shape, dtype\(, storage dtype\)\]"),
    (lambda m: {**m, "out_leaves": [[[3], "float32", "object"], [[2, 2], "int32"]]},
     r"dtype 'object' is not one of"),
    (lambda m: {**m, "out_leaves": [[[3], "float32"], [[2, 2], "int8", "uint32"]]},
     r"does not match the module's own signature"),
    (lambda m: {**m, "out_tree": {"tuple": ["*"]}},
     r"the trees have 2 and 1 leaves, the leaf lists 2 and 2"),
    (lambda m: {**m, "in_tree": {"tuple": ["*", "*"], "list": []}},
     r"in_tree must be a tuple of 2 arguments"),
    (lambda m: {**m, "out_tree": {"set": ["*", "*"]}}, r"unknown node kind 'set'"),
    (lambda m: {**m, "out_tree": {"tuple": "**"}}, r"children of a tuple node must be a"),
    (lambda m: raw(m, "out_tree", 300 * b'{"list":[' + b'"*","*"' + 300 * b"]}"),
     r"malformed \(bad tree: nested deeper than 200 levels\)"),
    (lambda m: raw(m, "out_tree", 1500 * b"[" + 1500 * b"]"),
     r"the irax metadata is not valid JSON"),
    (lambda m: {**m, "targets": "cpu"}, r"targets must be a list of strings"),
    (lambda m: {**m, "arg_names": ["x", 7]}, r"arg_names must be a list of strings"),
    (lambda m: {**m, "version": True}, r"malformed \(version True\)"),
    (lambda m: {**m, "format": "other"}, r"malformed \(no format 'irax.export'\)"),
    (lambda m: {**m, "version": 9},
     r"metadata version 9; this loader reads versions up to 1: upgrade irax"),
    (lambda m: b'{"format": "irax.export", "version": 1, ', r"not valid JSON"),
])
def test_crafted_metadata_is_refused_before_any_call(module_bytes, edit, message):
    data = crafted(module_bytes, edit)
    with pytest.raises(ArtifactError, match=message):
        load(data)
    with pytest.raises(ArtifactError, match=message):
        read_metadata(data)


def test_results_are_size_checked_before_they_are_read(module_bytes):
    """Metadata and ABI declaration forged together (both say float64): the loader
    cannot see the lie, but the call checks each result buffer before reading it, so a
    forged dtype gives an ArtifactError, not heap contents past a 12-byte buffer."""
    original = metadata_text(METADATA)
    forged_meta = metadata_text({**METADATA, "out_leaves": [[[3], "float64"],
                                                            [[2, 2], "int32"]]})
    declaration = b"%output0: tensor<3xf32>"
    assert module_bytes.count(declaration) == 1
    data = add_checksum(module_bytes.replace(original, forged_meta).replace(
        declaration, b"%output0: tensor<3xf64>"))
    f = load(data)
    message = (r"result 0 of scale is FLOAT_32\[3\] \(12 bytes\), its metadata says "
               r"float64\[3\] \(24 bytes\)")
    for x in (np.float32([1, 2, 3]), np.float32([4, 5, 6])):
        with pytest.raises(ArtifactError, match=message):
            f(x, np.zeros((2, 2), np.int32))


PROBE_SCRIPT = """
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("artifact", sys.argv[1])
artifact = importlib.util.module_from_spec(spec)
spec.loader.exec_module(artifact)
import numpy as np
data = open(sys.argv[2], "rb").read()
masks = [int(m) for m in sys.argv[3].split(",")]
step = int(sys.argv[4])
x, y = np.float32([1, 2, 3]), np.int32([[1, 2], [3, 4]])
outcomes = {}
probes = 0
def probe(label, damaged):
    global probes
    probes += 1
    print(label, file=sys.stderr, flush=True)  # the last line names a crashing probe
    try:
        artifact.load(damaged)(x, y)
        outcome = "loaded and ran"
    except artifact.ArtifactError:
        outcome = "ArtifactError"
    except BaseException as e:
        outcome = type(e).__name__
    if outcome != "ArtifactError":
        outcomes[label] = outcome
for position in range(0, len(data), step):
    for mask in masks:
        damaged = bytearray(data)
        damaged[position] ^= mask
        probe(f"flip {mask:#x} at byte {position}", bytes(damaged))
for length in range(0, len(data), max(1, step * 7)):
    probe(f"truncated to {length} bytes", data[:length])
os.mkfifo("fifo.vmfb")
probe("a FIFO", "fifo.vmfb")
print(json.dumps({"probes": probes, "not refused": outcomes}))
"""


def test_every_damaged_byte_is_an_artifact_error(sealed, tmp_path):
    """Flip bytes all over a saved artefact (every byte in the long variant,
    ``IRAX_LONG_TESTS=1``), truncate it, put a FIFO in its place: each probe must be
    an ArtifactError. A separate process runs the probes, so a crash fails this test
    (naming the probe) instead of killing pytest."""
    (tmp_path / "scale.vmfb").write_bytes(sealed)
    masks, step = ("1,128,255", 1) if LONG else ("1,255", 3)
    result = subprocess.run(
        [sys.executable, "-c", PROBE_SCRIPT, ARTIFACT_PY, "scale.vmfb", masks, str(step)],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300)
    last_probe = result.stderr.strip().splitlines()[-1:] if result.stderr else []
    assert result.returncode == 0, f"the probe process died at {last_probe}: {result}"
    report = json.loads(result.stdout)
    assert report["not refused"] == {}
    assert report["probes"] >= len(sealed) // step * len(masks.split(","))
