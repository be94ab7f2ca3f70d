"""The primitive registry: every primitive is complete, and its eager impl agrees with
its abstract eval (shape, dtype, weak type) on sample inputs, float32 and float64."""
import numpy as np
import pytest

import irax
from irax.core.primitive import REGISTRY
from irax.core.tensor import ArrayImpl, to_tensor
from primitive_cases import DIFFERENTIABLE, NON_DIFFERENTIABLE

ALL_CASES = {**DIFFERENTIABLE, **NON_DIFFERENTIABLE}
ONLY_INSIDE_TRANSFORMS = {"custom_lin"}
NAMED_AXIS = {"psum", "pmax", "pmin", "all_gather", "axis_index"}  # tests: test_vmap.py


def test_every_primitive_has_impl_abstract_eval_and_a_sample():
    for name, prim in REGISTRY.items():
        assert prim.impl is not None and prim.abstract_eval is not None, name
        assert name in ALL_CASES or name in ONLY_INSIDE_TRANSFORMS or name in NAMED_AXIS, \
            f"no sample for {name}"


def _avals(outs):
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return [to_tensor(o).aval for o in outs]


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_eager_matches_abstract_eval(request, name, precision):
    if precision == "float64":
        request.getfixturevalue("x64")
    fun, args = ALL_CASES[name]
    cast = [np.asarray(a, precision) if np.asarray(a).dtype == np.float64 else a for a in args]
    eager = fun(*[to_tensor(a) for a in cast])
    traced = irax.make_graph(fun)(*[to_tensor(a) for a in cast])
    assert _avals(eager) == traced.out_avals
    for out in (eager if isinstance(eager, (list, tuple)) else [eager]):
        assert isinstance(out, ArrayImpl)
        assert out._value.dtype == out.dtype


def test_graph_replay_reproduces_eager_values():
    for name, (fun, args) in ALL_CASES.items():
        graph = irax.make_graph(fun)(*[to_tensor(a) for a in args])
        replayed = graph(*[to_tensor(a) for a in args])
        eager = fun(*[to_tensor(a) for a in args])
        eager = eager if isinstance(eager, (list, tuple)) else [eager]
        for r, e in zip(replayed, eager):
            np.testing.assert_array_equal(np.asarray(r), np.asarray(e), err_msg=name)
