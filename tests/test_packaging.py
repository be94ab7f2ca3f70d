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
