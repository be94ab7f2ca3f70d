"""`pip install .` gives a working irax: the wheel holds every subpackage and the
mapped namespaces, and imports from any directory."""
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("irax-*.whl")
    return path


def _expected_packages():
    """irax subpackages: every folder with an __init__.py, with api/X mapped to irax.X."""
    found = set()
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        parts = rel.parts
        if any(p.startswith((".", "build", "tests")) or p.endswith(".egg-info") for p in parts):
            continue
        if parts[:1] == ("api",) and len(parts) > 1:
            parts = parts[1:]
        found.add(".".join(("irax",) + parts))
    return found


def test_wheel_contains_every_subpackage(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    packages = {os.path.dirname(n).replace("/", ".") for n in names if n.endswith("__init__.py")}
    missing = _expected_packages() - packages
    assert not missing, f"subpackages missing from the wheel: {sorted(missing)}"
    assert not any(n.startswith(("numpy/", "random/")) for n in names)
    assert "irax/tests/test_packaging.py" not in names


def test_installed_wheel_imports_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    code = ("import irax, irax.numpy as jnp, irax.random, irax.lax, irax.nn, "
            "irax.tree_util, irax.test_util, irax.numpy.linalg; "
            "assert irax.__file__.startswith(%r); "
            "print(float(irax.grad(lambda x: jnp.sum(jnp.sin(x)))(jnp.zeros(2))[0]))"
            % str(target))
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.0"


# ---- every module imports on its own; irax.numpy has no import cycle ------------------

def _mapped_packages() -> dict:
    """setup.cfg's package_dir: package name -> folder (irax.numpy -> api/numpy, ...)."""
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    pairs = [line.split("=") for line in cfg["options"]["package_dir"].strip().splitlines()]
    return {name.strip(): ROOT / folder.strip() for name, folder in pairs}


def _modules_under(package: str, folder: pathlib.Path) -> list:
    """`package` and every module below `folder`, found on disk (nothing imported)."""
    import pkgutil
    names = [package]
    for info in pkgutil.iter_modules([str(folder)]):
        if info.ispkg:
            names += _modules_under(f"{package}.{info.name}", folder / info.name)
        else:
            names.append(f"{package}.{info.name}")
    return names


def irax_modules() -> list:
    """Every irax module under its installed name (api/numpy is irax.numpy, ...)."""
    mapped = _mapped_packages()
    skipped = {folder for name, folder in mapped.items() if name != "irax"}
    names = []
    for name, folder in mapped.items():
        if name == "irax" or "." not in name[len("irax."):]:
            names += [n for n in _modules_under(name, folder)
                      if name != "irax" or not _is_below(n, folder, skipped)]
    return sorted(set(names) - {"irax.tests"})


def _is_below(name: str, root: pathlib.Path, folders) -> bool:
    """Whether the module `name` of package irax (at `root`) lies in one of `folders`."""
    path = root.joinpath(*name.split(".")[1:])
    return any(path == f or f in path.parents for f in folders) or path.name == "tests"


_IMPORT_EACH = r"""
import importlib, json, os, sys
names = json.loads(sys.argv[1])
# `import irax.x` runs irax/__init__.py first, which imports most modules: import
# irax once in a fork and note what it loaded.  Then load the third-party modules once
# (they are not under test) and import each module `import irax` does not reach in a
# fork of this interpreter, which holds no irax module.
read, write = os.pipe()
if os.fork() == 0:
    import irax
    os.write(write, json.dumps(list(sys.modules)).encode())
    os._exit(0)
os.close(write)
data = b""
while chunk := os.read(read, 1 << 16):
    data += chunk
_, status = os.wait()
assert status == 0, "import irax failed"
loaded = set(json.loads(data))
for name in loaded:
    if name.split(".")[0] != "irax" and name != "__main__":
        try:
            importlib.import_module(name)
        except Exception:
            pass
assert not any(m.split(".")[0] == "irax" for m in sys.modules)
running, failed = {}, []
for name in [n for n in names if n not in loaded] + [None, None]:
    if len(running) == 2 or (name is None and running):
        pid, status = os.wait()
        if status:
            failed.append(running.pop(pid))
        else:
            del running[pid]
    if name is None:
        continue
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException as err:
            print(f"{name}: {err!r}", file=sys.stderr, flush=True)
            os._exit(1)
        os._exit(0)
    running[pid] = name
print(json.dumps({"failed": sorted(failed), "by_import_irax": sorted(loaded & set(names))}))
"""


def test_module_list_covers_the_installed_packages():
    names = irax_modules()
    for name in ("irax", "irax.numpy.linalg", "irax.lax.control_flow", "irax.random.threefry",
                 "irax.transforms.rules.elementwise", "irax.core.primitives.collectives"):
        assert name in names
    assert not [n for n in names if n.startswith(("irax.api.", "irax.tests"))]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_every_module_imports_on_its_own():
    import json
    names = irax_modules()
    result = subprocess.run([sys.executable, "-c", _IMPORT_EACH, json.dumps(names)],
                            check=False, cwd=ROOT.parent, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == [], result.stderr
    assert "irax.numpy.linalg" in report["by_import_irax"]


def _imports(path: pathlib.Path, module: str, is_package: bool) -> list:
    """What `module` (source at `path`) imports, anywhere in its body: (module, names)
    pairs, `names` being what a `from module import ...` takes (else empty)."""
    import ast
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level \
                else node.module
            found.append((target, [a.name for a in node.names]))
    return found


def _import_graph(package: str, folder: pathlib.Path) -> dict:
    """module -> the modules of `package` it imports.  `from . import x` imports the
    submodule x (the package itself is already being imported); taking anything else
    from the package, or `import package`, reads the package's namespace, which its
    __init__ fills only after its submodules: an edge to the package."""
    modules = {}
    for name in _modules_under(package, folder):
        rel = name[len(package):].lstrip(".").split(".") if name != package else []
        path = folder.joinpath(*rel)
        is_package = (path / "__init__.py").exists()
        modules[name] = (path / "__init__.py" if is_package else path.with_suffix(".py"),
                         is_package)
    graph = {}
    for name, (source, is_package) in modules.items():
        edges = set()
        for target, names in _imports(source, name, is_package):
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            edges.update(subs)
            if target in modules and (len(subs) < len(names) or not names):
                edges.add(target)
        graph[name] = edges - {name}
    return graph


def _find_cycle(graph: dict):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_numpy_modules_import_each_other_one_way():
    """No irax.numpy module imports one that (directly or not) imports it, counting
    imports inside functions and a submodule's use of the irax.numpy namespace."""
    graph = _import_graph("irax.numpy", ROOT / "api" / "numpy")
    assert {"irax.numpy.ufuncs", "irax.numpy.util"} <= graph["irax.numpy.linalg"]
    assert "irax.numpy.ufuncs" in graph["irax.numpy"]
    assert _find_cycle(graph) is None


def _irax_imports(folder: pathlib.Path, package: str) -> dict:
    """module file -> the irax modules (or names in them) it imports, inside functions
    too, for every module under `folder`."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder).with_suffix("").parts
        is_package = rel[-1] == "__init__"
        module = ".".join((package, *(rel[:-1] if is_package else rel)))
        found[str(path.relative_to(folder))] = {
            f"{t}.{n}" if n else t
            for t, names in _imports(path, module, is_package) if t.split(".")[0] == "irax"
            for n in (names or [None])}
    return found


@pytest.mark.parametrize("folder, allowed", [
    # runtime/ knows nothing of Graphs: MLIR text and flags in, buffers out.
    ("runtime", ("irax.runtime", "irax.core.config", "irax.core.tensor", "irax.core.trace",
                 "irax.core.pytree", "irax.core.aval", "irax.core.dtypes")),
    # core/ imports nothing else of irax.
    ("core", ("irax.core",)),
])
def test_layers_import_only_what_the_architecture_allows(folder, allowed):
    imports = _irax_imports(ROOT / folder, f"irax.{folder}")
    assert imports, folder
    wrong = {name: sorted(t for t in targets if not t.startswith(allowed))
             for name, targets in imports.items()}
    assert {name: t for name, t in wrong.items() if t} == {}
