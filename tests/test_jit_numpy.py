"""Differential test of irax.numpy: every public function, eager against `irax.jit`.

`CASES` maps a case name ("function" or "function:variant") to a function of the
array arguments (which jit traces; axes, shapes, dtypes and other Python values are
closed over) and its sample arguments.  Compiled results must equal the eager ones:
same pytree, dtype, shape and weak type, values to a few ulps for floats and exact
for integers and booleans, in float32 and (with x64) float64.

IREE compiles cost ~0.3 s per program, so cases are compiled PROGRAM_SIZE at a time, as
one jitted function returning all their results; a program that fails to trace or
compile falls back to one program per case, so a failure still names its case.
Compiled CPU code flushes subnormal results to zero (as XLA's); the comparison allows
that and nothing else: there are no known discrepancies.
"""
import functools
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy_cases import CASES, CONCRETE_ONLY, EXCLUDED, FAMILY_OF, T3, public_functions, to_input

import irax
import irax.numpy as jnp
from irax.core.tensor import Tensor
from irax.tree_util import tree_flatten

PRECISIONS = ("float32", "float64")
TOLERANCE = {"float32": 2e-6, "float64": 1e-14}
ELEMENTWISE = {"ufuncs", "special_values"}  # families compared with a relative tolerance


@pytest.fixture(autouse=True, scope="module")
def _compile_into_a_private_cache(private_cache_dir):
    """Every test of this module compiles into one fresh cache directory."""


# ---- running the cases -----------------------------------------------------------

# Cases per compiled program: IREE's compile time grows faster than the program's size,
# and each program costs ~0.25 s more.
PROGRAM_SIZE = 60


@functools.cache
def _programs() -> tuple:
    """The cases in programs of up to PROGRAM_SIZE consecutive ones."""
    names = list(CASES)
    return tuple(tuple(names[i:i + PROGRAM_SIZE]) for i in range(0, len(names), PROGRAM_SIZE))


@functools.cache
def _results(precision: str, program: int) -> dict:
    """{name: (eager, compiled)} for the cases of `_programs()[program]`."""
    return _run(list(_programs()[program]), precision)


def _results_of(name: str, precision: str) -> tuple:
    """(eager, compiled) for one case, computed with the other cases of its program."""
    programs = _programs()
    return _results(precision, next(i for i, p in enumerate(programs) if name in p))[name]


def _run(names: list[str], precision: str) -> dict:
    """{name: (eager result, compiled result)}; a raised exception stands for a result."""
    args = {n: to_input(CASES[n][1:], precision) for n in names}
    eager = {}
    for n in names:
        try:
            eager[n] = CASES[n][0](*args[n])
        except Exception as err:  # noqa: BLE001 - reported by the case's test
            eager[n] = err
    ok = [n for n in names if not isinstance(eager[n], Exception)]
    group = irax.jit(lambda a: {n: CASES[n][0](*a[n]) for n in a})
    try:
        compiled = group({n: args[n] for n in ok})
    except Exception as err:  # noqa: BLE001 - reported by the case's test
        compiled = ({ok[0]: err} if len(ok) == 1 else  # else find the failing cases
                    {n: _run_alone(group, n, args[n]) for n in ok})
    return {n: (eager[n], compiled.get(n)) for n in names}


def _run_alone(group, name: str, args):
    """The compiled result of one case, or the exception it raised."""
    try:
        return group({name: args})[name]
    except Exception as err:  # noqa: BLE001 - reported by the case's test
        return err


def _leaf(x):
    assert isinstance(x, Tensor), f"expected an irax array, got {type(x).__name__}"
    return x


def _subnormals_flushed(values: np.ndarray) -> np.ndarray:
    """`values` with subnormals as zeros of their sign: compiled CPU code flushes
    subnormal results to zero (IREE's float mode, as XLA's: README's sharp bits), eager
    NumPy keeps them (exp(-100) is 3.8e-44 eager, 0 compiled in float32)."""
    tiny = np.finfo(values.dtype).tiny
    return np.where(np.abs(values) < tiny, np.copysign(np.zeros_like(values), values), values)


def assert_same(eager, compiled, precision: str, name: str, relative: bool = False) -> None:
    """Same pytree; per leaf the same dtype, shape and weak type, equal values (NaNs
    equal, zeros of the same sign, floats to a few ulps, relative to the value if
    `relative` else to max(1, |value|), integers and booleans exactly)."""
    e_leaves, e_tree = tree_flatten(eager)
    c_leaves, c_tree = tree_flatten(compiled)
    assert c_tree == e_tree, f"{name}: output structure {c_tree} != eager {e_tree}"
    for k, (e, c) in enumerate(zip(e_leaves, c_leaves)):
        e, c = _leaf(e), _leaf(c)
        where = f"{name} output {k}"
        assert (c.dtype, c.shape, c.weak_type) == (e.dtype, e.shape, e.weak_type), (
            f"{where}: compiled {c.dtype}{list(c.shape)} weak={c.weak_type} != eager "
            f"{e.dtype}{list(e.shape)} weak={e.weak_type}")
        ev, cv = np.asarray(e), np.asarray(c)
        if ev.dtype.kind == "f":
            ev = _subnormals_flushed(ev)
        if np.issubdtype(ev.dtype, np.inexact):
            tol = TOLERANCE[precision]
            np.testing.assert_allclose(cv, ev, rtol=tol, atol=0 if relative else tol,
                                       err_msg=where)
            for part in (np.real, np.imag) if ev.dtype.kind == "c" else (np.real,):
                e_part, c_part = part(ev), part(cv)
                np.testing.assert_array_equal(np.signbit(c_part[e_part == 0]),
                                              np.signbit(e_part[e_part == 0]),
                                              err_msg=f"{where}: signs of zeros")
        else:
            np.testing.assert_array_equal(cv, ev, err_msg=where)


def _case_params():
    for precision in PRECISIONS:
        for name in CASES:
            yield pytest.param(name, precision, id=f"{name}-{precision}")


@pytest.mark.parametrize("name, precision", list(_case_params()))
def test_compiled_matches_eager(request, name, precision):
    """CASES[name] gives the same result eagerly and under jit."""
    if precision == "float64":
        request.getfixturevalue("x64")
    eager, compiled = _results_of(name, precision)
    if isinstance(eager, Exception):
        raise eager
    if isinstance(compiled, Exception):
        raise compiled
    assert_same(eager, compiled, precision, name, FAMILY_OF[name] in ELEMENTWISE)


@pytest.mark.parametrize("name", sorted(CONCRETE_ONLY))
def test_concrete_only_functions_raise_under_jit(name):
    fun, *args = CONCRETE_ONLY[name]
    args = to_input(args, "float32")
    fun(*args)  # fine eagerly
    with pytest.raises(irax.ConcretizationTypeError):
        irax.jit(fun)(*args)


def test_static_argnums_and_argnames_match_eager():
    x = to_input(T3, "float32")
    summed = irax.jit(jnp.sum, static_argnames=("axis", "keepdims"))
    for axis, keepdims in (((0, -1), True), (-2, False)):
        assert_same(jnp.sum(x, axis=axis, keepdims=keepdims),
                    summed(x, axis=axis, keepdims=keepdims), "float32", f"sum axis={axis}")
    reshaped = irax.jit(jnp.reshape, static_argnums=1)
    assert_same(jnp.reshape(x, (4, -1)), reshaped(x, (4, -1)), "float32", "reshape")
    padded = irax.jit(jnp.pad, static_argnums=(1, 2))
    assert_same(jnp.pad(x, ((0, 1), (2, 0), (1, 1)), "reflect"),
                padded(x, ((0, 1), (2, 0), (1, 1)), "reflect"), "float32", "pad")


def _run_isolated(script: str) -> None:
    """Runs `script` in a fresh interpreter limited to 2 GiB of address space (it may
    crash or exhaust memory); raises CalledProcessError if it fails."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
    subprocess.run([sys.executable, "-c", limit + textwrap.dedent(script)], check=True,
                   timeout=120, capture_output=True)


def test_tracing_loops_over_several_arguments_stays_small():
    _run_isolated("""
        import irax, irax.numpy as jnp
        irax.jit(jnp.searchsorted).lower(jnp.arange(4096.0), jnp.ones(2))
        irax.jit(jnp.power).lower(jnp.arange(3), jnp.arange(3))
    """)


def test_complex_scatter_compiles():
    """IREE segfaults compiling the complex pad that a scatter's dropped updates need
    (docs/iree_defects.md); it runs apart in case that regresses."""
    _run_isolated("""
        import numpy as np, irax, irax.numpy as jnp
        z = jnp.asarray(np.array([1 + 2j, 3 - 1j, 0.5j], np.complex64))
        out = irax.jit(lambda z: z.at[1].add(2 + 1j))(z)
        np.testing.assert_array_equal(np.asarray(out), [1 + 2j, 5 + 0j, 0.5j])
        out = irax.jit(lambda z: z.at[2].set(-1j))(z)
        np.testing.assert_array_equal(np.asarray(out), [1 + 2j, 3 - 1j, -1j])
        out = irax.jit(lambda z: z.at[0].multiply(1j))(z)
        np.testing.assert_array_equal(np.asarray(out), [-2 + 1j, 3 - 1j, 0.5j])
    """)


def test_every_public_function_has_a_case():
    covered = {n.split(":")[0] for n in CASES} | {n.split(":")[0] for n in CONCRETE_ONLY}
    missing = sorted(public_functions() - covered - EXCLUDED)
    assert not missing, f"public irax.numpy functions without a sample call: {missing}"
    assert not EXCLUDED & covered, "an excluded function has a case; drop the exclusion"
