"""vmap against a loop over every irax.numpy function: `vmap(f)(xs)` equals stacking
`f(x)` over the batch members, eagerly and under jit.

The cases are the shared table of tests/numpy_cases.py.  Each case is mapped over a batch
of BATCH members built from its sample arguments (`member`): elements shifted
cyclically, floats also scaled, integers' values permuted and booleans negated, so that
domains, index ranges and sortedness are kept while the members' results differ.  The
oracle is the eager result of each member, stacked (checked against NumPy for the
ufuncs); the mapped result must have the same pytree, dtype, shape (the batch axis
inserted at out_axes) and weak type, and equal values (to a few ulps for floats).

VARIANTS of the in_axes/out_axes: every array argument mapped along axis 0; along axis
-1; along axis 1 (0 for scalars) with out_axes=-1; and, for cases with several array
arguments, the first one unmapped (None).  Python scalars stay unmapped, except in
cases without an array argument, which map them as arrays (or map a dummy argument
when there is none).  Every variant runs eagerly in float32, the axis -1 one also in
float64.  Under jit one case per function (JIT_CASES) is compiled, PROGRAM_SIZE at a
time as one jitted function of their vmaps, each in one variant (VARIANTS in turn).
Functions whose result shape depends on the values must raise a
ConcretizationTypeError naming them under vmap.
"""
import functools

import numpy as np
import pytest
from numpy_cases import (
    CASES,
    CONCRETE_ONLY,
    FAMILY_OF,
    UFUNCS,
    to_input,
)

import irax
import irax.numpy as jnp
from irax.core.tensor import Tensor
from irax.tree_util import tree_flatten, tree_unflatten

BATCH = 3
PRECISION = "float32"
TOLERANCE = {"float32": 2e-6, "float64": 1e-14}
ELEMENTWISE = {"ufuncs", "special_values"}  # families compared with a relative tolerance
VARIANTS = ("axis0", "axis-1", "axis1_out-1", "none")
PROGRAM_SIZE = 20


@pytest.fixture(autouse=True, scope="module")
def _compile_into_a_private_cache(private_cache_dir):
    """Every test of this module compiles into one fresh cache directory."""


# ---- batches ----------------------------------------------------------------------

def member(a: np.ndarray, k: int) -> np.ndarray:
    """The k-th batch member made from sample array `a`, keeping its domain (the values
    of a, or for floats their multiples by 1 - k/10, which keep signs, NaNs, infinities and
    |x| < 1) but changing results: elements are shifted cyclically by k; integers also
    take the next k-th distinct value of `a` (a permutation of its values, so indices stay
    in range) and booleans are negated for odd k; a sorted 1-D array stays sorted."""
    x = np.roll(a.ravel(), k).reshape(a.shape)
    if a.dtype.kind in "fc":
        x = (x * (1 - k / 10)).astype(a.dtype)
    elif a.dtype.kind == "b":
        x = x ^ bool(k % 2)
    else:
        values = np.unique(a)
        x = values[(np.searchsorted(values, x) + k) % len(values)]
    if a.ndim == 1 and a.dtype.kind != "c" and np.all(a[:-1] <= a[1:]):
        return np.sort(x)
    return x


class Batch:
    """A case's arguments mapped in one variant: `args` (batched arrays, unmapped
    values), `in_axes` (a tuple with one pytree per argument) and `members[k]` (the
    arguments of the k-th call of the loop), plus `out_axes`."""

    def __init__(self, name: str, variant: str, precision: str = PRECISION):
        fun, *sample = CASES[name]
        leaves, tree = tree_flatten(list(sample))
        arrays = [i for i, x in enumerate(leaves) if isinstance(x, np.ndarray)]
        mapped = arrays or list(range(len(leaves)))
        self.fun, self.out_axes = fun, -1 if variant == "axis1_out-1" else 0
        if not leaves:  # nothing to map: map a dummy argument
            self.fun = lambda dummy: fun()
            leaves, tree, mapped = [np.zeros(1, np.float32)], tree_flatten([0])[1], [0]
        if variant == "none" and len(mapped) > 1:
            unmapped = {mapped[0]}
        else:
            unmapped = set()
        arg_leaves, axes, members = [], [], [[] for _ in range(BATCH)]
        for i, x in enumerate(leaves):
            if i not in mapped:
                arg_leaves.append(x)
                axes.append(None)
                for m in members:
                    m.append(x)
                continue
            x = np.asarray(x)
            stack = [member(x, k) for k in range(BATCH)]
            if i in unmapped:
                arg_leaves.append(to_input(stack[1], precision))
                axes.append(None)
                for m in members:
                    m.append(arg_leaves[-1])
                continue
            axis = {"axis0": 0, "none": 0, "axis-1": -1}.get(variant, 1 if x.ndim else 0)
            batched = to_input(np.stack(stack, axis=axis), precision)
            arg_leaves.append(batched)
            axes.append(axis)
            for k, m in enumerate(members):
                m.append(jnp.take(batched, k, axis=axis))
        self.args = tree_unflatten(tree, arg_leaves)
        self.in_axes = tuple(tree_unflatten(tree, axes))
        self.members = [tree_unflatten(tree, m) for m in members]

    def mapped(self):
        """`vmap(fun)` with this batch's axes."""
        return irax.vmap(self.fun, in_axes=self.in_axes, out_axes=self.out_axes)

    def loop(self):
        """The eager results of the members."""
        return [self.fun(*m) for m in self.members]


def _leaf(x):
    assert isinstance(x, Tensor), f"expected an irax array, got {type(x).__name__}"
    return x


def assert_stacked(got, members: list, out_axes: int, name: str, relative: bool,
                   precision: str = PRECISION) -> None:
    """`got` is `members` stacked along `out_axes`: same pytree, per leaf the same dtype
    and weak type as each member, the member's shape with the batch axis inserted, and
    equal values (NaNs equal, floats to a few ulps relative to the value if `relative`,
    else to max(1, |value|), integers and booleans exactly)."""
    g_leaves, g_tree = tree_flatten(got)
    m_flat = [tree_flatten(m) for m in members]
    assert g_tree == m_flat[0][1], f"{name}: output structure {g_tree} != {m_flat[0][1]}"
    for j, g in enumerate(g_leaves):
        column = [_leaf(leaves[j]) for leaves, _ in m_flat]
        e = column[0]
        want = np.stack([np.asarray(c) for c in column], axis=out_axes)
        where = f"{name} output {j}"
        g = _leaf(g)
        assert (g.dtype, g.shape, g.weak_type) == (e.dtype, want.shape, e.weak_type), (
            f"{where}: mapped {g.dtype}{list(g.shape)} weak={g.weak_type} != loop "
            f"{e.dtype}{list(want.shape)} weak={e.weak_type}")
        gv = np.asarray(g)
        if np.issubdtype(want.dtype, np.inexact):
            tol = TOLERANCE[precision]
            np.testing.assert_allclose(gv, want, rtol=tol, atol=0 if relative else tol,
                                       err_msg=where)
        else:
            np.testing.assert_array_equal(gv, want, err_msg=where)


def _applicable(name: str, variant: str) -> bool:
    """The "none" variant needs two mapped arguments, the others apply to every case."""
    if variant != "none":
        return True
    leaves = tree_flatten(list(CASES[name][1:]))[0]
    return sum(isinstance(x, np.ndarray) for x in leaves) > 1 or (
        not any(isinstance(x, np.ndarray) for x in leaves) and len(leaves) > 1)


# float32 in every variant; float64 (x64) with the batch axis last.
EAGER_RUNS = [(v, "float32") for v in VARIANTS] + [("axis-1", "float64")]


def _eager_params():
    for name in CASES:
        for variant, precision in EAGER_RUNS:
            if _applicable(name, variant):
                yield pytest.param(name, variant, precision,
                                   id=f"{name}-{variant}-{precision}")


@pytest.mark.parametrize("name, variant, precision", list(_eager_params()))
def test_vmap_matches_loop(request, name, variant, precision):
    if precision == "float64":
        request.getfixturevalue("x64")
    batch = Batch(name, variant, precision)
    assert_stacked(batch.mapped()(*batch.args), batch.loop(), batch.out_axes, name,
                   FAMILY_OF[name] in ELEMENTWISE, precision)


# ---- under jit ----------------------------------------------------------------------

# One case per function (the first of its cases), each in one variant, VARIANTS in turn.
JIT_CASES = list({n.split(":")[0]: n for n in reversed(CASES)}.values())[::-1]
JIT_VARIANT = {}
for _name in JIT_CASES:
    _usable = [v for v in VARIANTS if _applicable(_name, v)]
    JIT_VARIANT[_name] = _usable[len(JIT_VARIANT) % len(_usable)]


@functools.cache
def _programs() -> tuple:
    """JIT_CASES in programs of up to PROGRAM_SIZE consecutive ones."""
    return tuple(tuple(JIT_CASES[i:i + PROGRAM_SIZE])
                 for i in range(0, len(JIT_CASES), PROGRAM_SIZE))


@functools.cache
def _compiled(program: int) -> dict:
    """{name: jit(vmap) result, or the exception raised} for one program's cases; a
    program that fails to trace or compile falls back to one program per case, so that
    a failure names its case."""
    batches = {n: Batch(n, JIT_VARIANT[n]) for n in _programs()[program]}
    group = irax.jit(lambda a: {n: batches[n].mapped()(*a[n]) for n in a})
    try:
        return group({n: b.args for n, b in batches.items()})
    except Exception:  # noqa: BLE001 - the cases alone say which fails
        return {n: _run_alone(group, n, b.args) for n, b in batches.items()}


def _run_alone(group, name: str, args):
    """The compiled result of one case, or the exception it raised."""
    try:
        return group({name: args})[name]
    except Exception as err:  # noqa: BLE001 - reported by the case's test
        return err


def _jit_params():
    for name in JIT_CASES:
        yield pytest.param(name, id=f"{name}-{JIT_VARIANT[name]}")


@pytest.mark.parametrize("name", list(_jit_params()))
def test_jit_of_vmap_matches_loop(name):
    """jit(vmap(f)) equals the eager loop (to a few ulps of max(1, |value|): IREE's
    float32 math is not NumPy's, as test_jit_numpy.py records)."""
    program = next(i for i, p in enumerate(_programs()) if name in p)
    got = _compiled(program)[name]
    if isinstance(got, Exception):
        raise got
    batch = Batch(name, JIT_VARIANT[name])
    assert_stacked(got, batch.loop(), batch.out_axes, name, relative=False)


@pytest.mark.parametrize("name", ["argmin", "argmax"])
def test_jit_of_vmap_arg_reduction_with_batch_axis_last(name):
    """IREE 3.13 could not compile argmin/argmax's two-result reduce with its index
    result transposed (mlir_lowering/reductions.py keeps a barrier after it)."""
    xs = np.random.RandomState(1).standard_normal((4, 2, 3)).astype(np.float32)
    mapped = irax.vmap(functools.partial(getattr(jnp, name), axis=0), in_axes=-1)
    np.testing.assert_array_equal(np.asarray(irax.jit(mapped)(jnp.asarray(xs))),
                                  getattr(np, name)(xs, axis=0).T)


# ---- the loop against NumPy --------------------------------------------------------

NUMPY_UFUNC_CASES = [n for n, (fun, *_) in UFUNCS.items()
                     if fun is getattr(jnp, n.split(":")[0]) and hasattr(np, n.split(":")[0])]


@pytest.mark.parametrize("name", NUMPY_UFUNC_CASES)
def test_loop_matches_numpy(name):
    """The oracle itself: each member's eager result equals NumPy's function of the same
    name on the member (to a few ulps of max(1, |value|))."""
    batch = Batch(name, "axis0")
    np_fun = getattr(np, name.split(":")[0])
    for k, (args, got) in enumerate(zip(batch.members, batch.loop())):
        with np.errstate(all="ignore"):
            want = np_fun(*[np.asarray(a) if isinstance(a, Tensor) else a for a in args])
        got, want = tree_flatten(got)[0], list(want) if isinstance(want, tuple) else [want]
        assert len(got) == len(want), f"{name}: {len(got)} outputs, NumPy {len(want)}"
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), w, rtol=TOLERANCE[PRECISION],
                                       atol=TOLERANCE[PRECISION],
                                       err_msg=f"{name} member {k}")


# ---- value-dependent shapes ----------------------------------------------------------

# The function whose error a composite raises.
_RAISED_BY = {"flatnonzero": "nonzero", "argwhere": "nonzero", "extract": "nonzero",
              "where": "nonzero"}


@pytest.mark.parametrize("name", sorted(CONCRETE_ONLY))
def test_value_dependent_shapes_raise_under_vmap(name):
    """Functions whose result shape depends on the values (nonzero, unique, boolean-mask
    indexing, ...) cannot be mapped: vmap raises a ConcretizationTypeError naming them."""
    fun, *sample = CONCRETE_ONLY[name]
    args = [to_input(np.stack([member(np.asarray(a), k) for k in range(BATCH)]), PRECISION)
            for a in sample]
    for k in range(BATCH):
        fun(*[a[k] for a in args])  # fine on each member
    function = name.split(":")[0]
    with pytest.raises(irax.ConcretizationTypeError,
                       match=f"\\({_RAISED_BY.get(function, function)}: "):
        irax.vmap(fun)(*args)
