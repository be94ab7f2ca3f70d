"""Ahead-of-time export (`irax.transforms.export`) and the runtime-only loader
(`irax.runtime.artifact`): artefacts run in a fresh process without the compiler, on
the same pytrees, against NumPy oracles; bad files and bad calls give clear errors."""
import collections
import itertools
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import lax
from irax.core.aval import ShapedArray
from irax.runtime.artifact import ArtifactError, add_checksum, load, read_metadata
from irax.runtime.compiler import compile_mlir
from irax.transforms import export as export_module
from irax.transforms.export import ExportError, export

ARTIFACT_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "runtime", "artifact.py")


def mlp_params(sizes=(2, 5, 3), seed=0):
    rng = np.random.RandomState(seed)
    return [((rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32),
             (rng.standard_normal(n) * 0.1).astype(np.float32))
            for m, n in itertools.pairwise(sizes)]


def predict(params, x):
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss(params, x, y):
    logits = predict(params, x)
    return -jnp.mean(jnp.sum(irax.nn.log_softmax(logits) * irax.nn.one_hot(y, 3), axis=-1))


def np_predict(params, x):
    x = np.asarray(x, np.float64)
    for w, b in params[:-1]:
        x = np.tanh(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def np_loss(params, x, y):
    logits = np_predict(params, x)
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -np.mean(log_softmax[np.arange(len(y)), y])


def finite_difference_grad(params, x, y, eps=1e-6):
    params = [(w.astype(np.float64), b.astype(np.float64)) for w, b in params]
    grads = []
    for i, layer in enumerate(params):
        layer_grads = []
        for j, leaf in enumerate(layer):
            g = np.zeros_like(leaf)
            for idx in np.ndindex(leaf.shape):
                old = leaf[idx]
                leaf[idx] = old + eps
                up = np_loss(params, x, y)
                leaf[idx] = old - eps
                down = np_loss(params, x, y)
                leaf[idx] = old
                g[idx] = (up - down) / (2 * eps)
            layer_grads.append(g)
        grads.append(tuple(layer_grads))
    return grads


def run_without_compiler(script: str, cwd) -> subprocess.CompletedProcess:
    """Runs `script` in a fresh Python where `iree.compiler` cannot be imported and
    `artifact` is runtime/artifact.py loaded by path (no irax package import)."""
    prelude = textwrap.dedent(f"""
        import importlib.abc, importlib.util, sys
        class BlockCompiler(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "iree.compiler" or name.startswith("iree.compiler."):
                    raise ImportError("iree.compiler is blocked in this test")
        sys.meta_path.insert(0, BlockCompiler())
        spec = importlib.util.spec_from_file_location("artifact", {ARTIFACT_PY!r})
        artifact = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(artifact)
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script)],
                          cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


def test_predict_runs_in_a_fresh_process_without_compiler_or_irax(tmp_path):
    params = mlp_params()
    x = np.random.RandomState(1).standard_normal((7, 2)).astype(np.float32)
    offset = np.float32([0.5, -1.0, 2.0])  # closed over: embedded in the artefact
    exported = export(lambda p, x: predict(p, x) + offset, params, x)
    exported.save(tmp_path / "predict.vmfb")
    np.savez(tmp_path / "inputs.npz", *[a for layer in params for a in layer], x=x)
    result = run_without_compiler("""
        import numpy as np
        data = np.load("inputs.npz")
        leaves = [data[f"arr_{i}"] for i in range(4)]
        params = [(leaves[0], leaves[1]), (leaves[2], leaves[3])]
        f = artifact.load("predict.vmfb", device="cpu")
        np.save("out.npy", f(params, data["x"]))
        np.save("flat.npy", f(*leaves, data["x"]))
        assert not any(m == "irax" or m.startswith(("irax.", "iree.compiler"))
                       for m in sys.modules), sorted(sys.modules)
        print("ok")
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    want = np_predict(params, x) + offset
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / "flat.npy"), want, rtol=1e-5, atol=1e-5)


def test_exported_gradient_matches_finite_differences():
    params = mlp_params()
    rng = np.random.RandomState(2)
    x = rng.standard_normal((6, 2)).astype(np.float32)
    y = rng.randint(0, 3, 6).astype(np.int32)
    exported = export(irax.grad(loss), params, x, y)
    assert exported.signature.arg_names == ("params", "x", "y")
    grads = load(exported.vmfb)(params, x, y)
    assert isinstance(grads, list) and all(isinstance(g, tuple) for g in grads)
    for got, want in zip(grads, finite_difference_grad(params, x, y)):
        for g, w in zip(got, want):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, w, rtol=2e-3, atol=2e-5)


def test_jit_of_vmap_exports_and_static_args_are_baked_in():
    def scaled_rows(x, power, w):
        return irax.jit(irax.vmap(lambda r: jnp.sum(r * w) ** power))(x)

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    w = np.float32([1.0, -2.0, 0.5])
    exported = export(scaled_rows, x, 2, w, static_argnums=1)
    assert exported.signature.arg_names == ("x", "w")
    assert exported.metadata["static_args"] == {"1": "2"}
    np.testing.assert_allclose(load(exported.vmfb)(x, w), (x @ w) ** 2, rtol=1e-6)


def test_pytrees_round_trip_dicts_none_lists_and_namedtuples():
    Pair = collections.namedtuple("Pair", "first second")

    def f(d, t):
        a, nothing, (b,) = t
        return {"sum": d["u"] + a, "none": nothing, "list": [d["v"] * 2, b],
                "pair": Pair(a, d["u"])}

    d = {"v": np.float32([1, 2]), "u": np.float32([3, 4])}
    t = (np.float32([5, 6]), None, [np.float32(7)])
    exported = export(f, d, t)
    out = load(exported.vmfb)({"u": d["u"], "v": d["v"]}, [t[0], None, (t[2][0],)])
    assert set(out) == {"sum", "none", "list", "pair"} and out["none"] is None
    np.testing.assert_array_equal(out["sum"], [8, 10])
    np.testing.assert_array_equal(out["list"][0], [2, 4])
    assert out["list"][1].shape == () and out["list"][1] == 7
    assert type(out["pair"]) is tuple  # custom nodes come back as plain tuples
    np.testing.assert_array_equal(out["pair"][1], [3, 4])

    g = export(lambda p: p.first - p.second, Pair(np.float32([1.0]), np.float32([3.0])))
    assert g.metadata["in_tree"]["tuple"][0]["custom"][0].endswith("Pair")
    np.testing.assert_array_equal(load(g.vmfb)(Pair(np.float32([1.0]), np.float32([3.0]))),
                                  [-2.0])


def test_abstract_examples_mlir_text_and_signature():
    w = np.float32([[1, 2], [3, 4]])
    exported = export(lambda x: x @ w, ShapedArray((3, 2), np.float32))
    text = exported.mlir_text()
    assert "iree.reflection" in text and "0x0000803F" in text  # w embedded, exactly
    assert str(exported.signature) == "(x: float32[3,2]) -> float32[3,2]"
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(load(exported.vmfb)(x), x @ w)


@pytest.mark.parametrize("target", ["cuda", "vulkan", "metal"])
def test_gpu_targets_compile_here_and_metadata_reads_back(target, tmp_path):
    params = mlp_params()
    exported = export(predict, params, np.zeros((4, 2), np.float32), target=target)
    exported.save(tmp_path / "p.vmfb")
    assert os.path.getsize(tmp_path / "p.vmfb") == len(exported.vmfb) > 1000
    meta = read_metadata(tmp_path / "p.vmfb")
    assert meta["targets"] == [target] and meta["out_leaves"] == [[[4, 3], "float32"]]
    with pytest.raises(ArtifactError, match=f"exported for \\['{target}'\\], not for 'cpu'"):
        load(tmp_path / "p.vmfb", device="cpu")


def test_one_artefact_for_four_targets_runs_on_the_cpu():
    params = mlp_params()
    x = np.random.RandomState(3).standard_normal((4, 2)).astype(np.float32)
    exported = export(predict, params, x, target=("cpu", "vulkan", "cuda", "metal"))
    assert read_metadata(exported.vmfb)["targets"] == ["cpu", "vulkan", "cuda", "metal"]
    np.testing.assert_allclose(load(exported.vmfb)(params, x), np_predict(params, x),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ArtifactError, match="no Metal driver"):
        load(exported.vmfb, device="metal")
    if not any(d.platform == "vulkan" for d in irax.devices()):
        pytest.skip("no Vulkan device here to run the artefact on")
    np.testing.assert_allclose(load(exported.vmfb, device="vulkan")(params, x),
                               np_predict(params, x), rtol=1e-5, atol=1e-5)


def test_iree_run_module_runs_the_artefact(tmp_path):
    tool = shutil.which("iree-run-module")
    assert tool, "iree-run-module comes with the iree-base-runtime wheel"
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    export(lambda x, y: (x @ w + y, jnp.sum(y)), np.ones((1, 2), np.float32),
           np.ones(3, np.float32)).save(tmp_path / "small.vmfb")
    result = subprocess.run(
        [tool, f"--module={tmp_path / 'small.vmfb'}", "--device=local-sync",
         "--function=main", "--input=1x2xf32=1 2", "--input=3xf32=1"],
        capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "1x3xf32=[7 10 13]" in result.stdout and "f32=3" in result.stdout


def test_cli_exports_a_module_function(tmp_path):
    (tmp_path / "mymodel.py").write_text(textwrap.dedent("""
        import irax.numpy as jnp
        def f(x, y):
            return jnp.sum(x * y, axis=0)
    """))
    result = subprocess.run(
        [sys.executable, "-m", "irax.aot", "mymodel:f", "--example", "f32[3,4]",
         "--example", "f32[4]", "-o", "out.vmfb", "--target", "cpu"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "wrote out.vmfb" in result.stdout
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.float32([1, -1, 2, 0.5])
    np.testing.assert_allclose(load(tmp_path / "out.vmfb")(x, y), (x * y).sum(0))

    bad = subprocess.run([sys.executable, "-m", "irax.aot", "mymodel:f", "--example",
                          "f32(3)", "-o", "x.vmfb"], cwd=tmp_path, capture_output=True,
                         text=True, check=False, timeout=300)
    assert bad.returncode == 2 and "bad --example 'f32(3)'" in bad.stderr


def test_aot_is_not_imported_by_irax():
    result = subprocess.run([sys.executable, "-c",
                             "import sys, irax; print('irax.aot' in sys.modules)"],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


@pytest.fixture(scope="module")
def small():
    params = mlp_params()
    x = np.zeros((4, 2), np.float32)
    return params, x, export(predict, params, x)


def test_calls_of_the_wrong_structure_shape_or_dtype_name_the_argument(small):
    params, x, exported = small
    f = load(exported.vmfb)
    with pytest.raises(ArtifactError, match=r"argument params: expected a list of length 2"):
        f(params[:1], x)
    with pytest.raises(ArtifactError, match=r"argument params\[1\]\[0\]: expected "
                                            r"float32\[5,3\], got float32\[3,5\]"):
        f([params[0], (params[1][0].T, params[1][1])], x)
    with pytest.raises(ArtifactError, match=r"argument x: expected float32\[4,2\], got "
                                            r"float64\[4,2\]"):
        f(params, x.astype(np.float64))
    with pytest.raises(ArtifactError, match=r"expected 2 arguments \(params, x\), got 1"):
        f(params)
    g = load(export(lambda d: d["a"] * 2, {"a": np.float32(1)}).vmfb)
    with pytest.raises(ArtifactError, match=r"argument d: expected a dict with keys \['a'\], "
                                            r"got keys \['b'\]"):
        g({"b": np.float32(1)})


def test_corrupt_truncated_foreign_and_newer_files_are_refused(small, tmp_path,
                                                               monkeypatch):
    _, _, exported = small
    vmfb = exported.vmfb
    for name, data in [("half", vmfb[:len(vmfb) // 2]), ("head", vmfb[:12]),
                       ("garbage", b"not a module" * 20)]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ArtifactError, match="failed its integrity check"):
            load(tmp_path / name)
    with pytest.raises(ArtifactError, match="cannot read artefact"):
        load(tmp_path / "missing.vmfb")
    foreign = compile_mlir("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
                           "  return %a : tensor<2xf32>\n}", "cpu-portable")
    with pytest.raises(ArtifactError, match="or is a plain IREE module not written by "
                                            "irax.export"):
        load(foreign)
    with pytest.raises(ArtifactError, match="without irax metadata"):
        load(add_checksum(foreign))
    monkeypatch.setattr(export_module, "METADATA_VERSION", 2)
    newer = export(lambda x: x + 1, np.float32([1.0]))
    with pytest.raises(ArtifactError, match="metadata version 2; this loader reads versions "
                                            "up to 1: upgrade irax"):
        load(newer.vmfb)


def test_unknown_targets_and_devices_are_refused(small):
    params, x, exported = small
    with pytest.raises(ExportError, match="unknown target 'tpu'"):
        export(predict, params, x, target="tpu")
    with pytest.raises(ArtifactError, match="unknown device 'tpu'"):
        load(exported.vmfb, device="tpu")


def test_float64_on_cpu_exports_libm_free_math_and_refuses_trigonometry(x64):
    x = np.linspace(0.1, 2.0, 5)
    exported = export(lambda x: jnp.exp(x) * jnp.log(x), x)
    out = load(exported.vmfb)(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.exp(x) * np.log(x), rtol=1e-13)
    with pytest.raises(ExportError, match=r"float64 math at `sin` at .*test_export.py:\d+ "
                                          r"cannot be compiled into a standalone CPU"):
        export(lambda x: jnp.sin(x) + 1.0, x)
    with pytest.raises(ExportError, match=r"float64 math at `lgamma` at "):  # CHLO: libm too
        export(lambda x: lax.lgamma(x), x)
    with pytest.raises(ExportError, match="float64 or float16, which IREE's default Vulkan"):
        export(lambda x: x * 2, x, target="vulkan")


def test_the_package_loader_imports_without_the_compiler(tmp_path):
    """`irax.runtime.load` through the package: `import irax` must not need
    iree.compiler (only compiling does)."""
    exported = export(lambda x: x * 2.0 + 1.0, np.zeros(3, np.float32))
    exported.save(tmp_path / "affine.vmfb")
    result = run_without_compiler("""
        import numpy as np
        import irax
        f = irax.runtime.load("affine.vmfb")
        np.testing.assert_allclose(f(np.arange(3, dtype=np.float32)), [1.0, 3.0, 5.0])
        assert not any(m.startswith("iree.compiler") for m in sys.modules)
        print("ok")
    """, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("cpu_features", ["portable", "generic", "host"])
def test_every_cpu_feature_level_exports_and_runs(cpu_features, tmp_path):
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    exported = export(lambda v: jnp.tanh(v) * 2.0, x, cpu_features=cpu_features)
    assert exported.metadata["cpu_features"] == cpu_features
    exported.save(tmp_path / "tanh.vmfb")
    np.testing.assert_allclose(load(tmp_path / "tanh.vmfb")(x), np.tanh(x) * 2.0,
                               rtol=1e-6, atol=1e-6)
    with pytest.raises(ExportError, match="cpu_features"):
        export(jnp.tanh, x, cpu_features="avx9000")


def test_exported_index_sorts_are_right_on_every_call(tmp_path):
    """The lowering jit uses, workarounds included: two argsorts of one shape, a 2-D
    argsort and an index iota used elsewhere too (docs/iree_defects.md 1 and 2) once
    failed to compile or came back wrong in artefacts. The hoisted iotas are mutable
    globals here, which IREE cannot fold."""
    def f(x):
        i = jnp.arange(12).reshape(3, 4)
        return (jnp.argsort(x.ravel()), jnp.argsort(-x.ravel()), jnp.argsort(x, axis=1),
                jnp.arange(12), x.at[i % 3, i % 4].set(7.0))

    path = tmp_path / "sorts.vmfb"
    exported = export(f, np.zeros((3, 4), np.float32))
    assert "util.global private mutable" in exported.mlir_text()
    exported.save(path)
    loaded = load(path)
    for seed in range(3):
        x = np.random.RandomState(seed).randn(3, 4).astype(np.float32)
        expected = (np.argsort(x.ravel(), kind="stable"), np.argsort(-x.ravel(), kind="stable"),
                    np.argsort(x, axis=1, kind="stable"), np.arange(12), np.full((3, 4), 7.0))
        for got, want in zip(loaded(x), expected):
            np.testing.assert_array_equal(got, want)
