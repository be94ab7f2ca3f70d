"""vmap's `in_axes`, `out_axes` and `axis_size` are checked as JAX checks them, with
JAX's messages; valid axes (negative ones included) place the mapped axis as NumPy's
`moveaxis` does."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import vmap

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 5)).astype(np.float32)
Y = RNG.standard_normal((3, 5)).astype(np.float32)


@pytest.fixture(autouse=True, scope="module")
def _compile_into_a_private_cache(private_cache_dir):
    """Every test of this module compiles into one fresh cache directory."""


def _ident(a):
    return a


def _add(a, b):
    return a + b


@pytest.mark.parametrize("out_axes", [0, 1, -1, -2])
def test_out_axes_in_range_place_the_mapped_axis_like_numpy(out_axes):
    got = vmap(lambda a: a * 2.0, out_axes=out_axes)(X)
    np.testing.assert_array_equal(np.asarray(got), np.moveaxis(X * 2.0, 0, out_axes))


@pytest.mark.parametrize("out_axes", [2, 3, -3])
def test_out_axes_out_of_range_raise(out_axes):
    with pytest.raises(ValueError, match=rf"axis {out_axes} is out of bounds for array of "
                       rf"dimension 2: vmap out_axes is {out_axes}, but the output has rank "
                       r"2 with its mapped axis \(shape \(4, 5\)\)"):
        vmap(_ident, out_axes=out_axes)(X)


def test_out_axes_out_of_range_names_the_output_path():
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds for array of dimension "
                       r"2: vmap out_axes\[1\] is 2, but the output\[1\] has rank 2"):
        vmap(lambda a: (a.sum(), a), out_axes=(0, 2))(X)


def test_out_axes_of_an_unmapped_output_count_its_new_axis():
    ones = vmap(lambda a: jnp.full((2,), 7.0), out_axes=1)(X)
    np.testing.assert_array_equal(np.asarray(ones), np.full((2, 4), 7.0))
    with pytest.raises(ValueError, match=r"axis -3 is out of bounds for array of dimension 2"
                       r".*shape \(4, 2\)"):
        vmap(lambda a: jnp.ones((2,)), out_axes=-3)(X)


def test_jit_of_vmap_with_out_axes_matches_numpy_for_two_inputs():
    mapped = irax.jit(vmap(lambda a, b: (a * b, a.sum()), in_axes=(1, None), out_axes=(-1, 0)))
    for scale in (2.0, -0.5):
        w = np.float32(scale)
        prod, sums = mapped(X, w)
        np.testing.assert_allclose(np.asarray(prod), X * w, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(sums), X.sum(axis=0), rtol=1e-5)


def test_out_axes_none_for_a_mapped_output_raises():
    with pytest.raises(ValueError, match=r"^vmap has mapped output but out_axes is None: at "
                       r"vmap out_axes, got axis spec None but output was batched on axis 0$"):
        vmap(_ident, out_axes=None)(X)
    with pytest.raises(ValueError, match=r"vmap has mapped output but out_axes is None: at "
                       r"vmap out_axes\[1\], got axis spec None but output was batched on "
                       r"axis 1"):
        vmap(lambda a: (a, a), in_axes=1, out_axes=(0, None))(X)
    with pytest.raises(ValueError, match=r"out_axes \(axis_name=i\), got axis spec None"):
        vmap(_ident, out_axes=None, axis_name="i")(X)


def test_out_axes_none_returns_an_unmapped_output_as_it_is():
    doubled, ones = vmap(lambda a: (a * 2.0, jnp.ones(2)), out_axes=(0, None))(X)
    np.testing.assert_array_equal(np.asarray(doubled), X * 2.0)
    np.testing.assert_array_equal(np.asarray(ones), np.ones(2))


@pytest.mark.parametrize("in_axes", ["a", 0.0, True, np.int64(0), {"a": 0}])
def test_in_axes_of_the_wrong_type_raise_when_vmap_is_applied(in_axes):
    with pytest.raises(TypeError, match=r"vmap in_axes must be an int, None, or a tuple of "
                       r"entries corresponding to the positional arguments passed to the "
                       r"function, but got "):
        vmap(_ident, in_axes=in_axes)


@pytest.mark.parametrize("in_axes", [(0, "b"), (0, (None, 1.0)), (False, 0)])
def test_in_axes_leaves_of_the_wrong_type_raise(in_axes):
    with pytest.raises(TypeError, match=r"vmap in_axes must be an int, None, or \(nested\) "
                       r"container with those types as leaves, but got "):
        vmap(_add, in_axes=in_axes)


@pytest.mark.parametrize("out_axes", ["a", 1.0, (0, 1.5), [0, np.int32(1)]])
def test_out_axes_of_the_wrong_type_raise_when_vmap_is_applied(out_axes):
    with pytest.raises(TypeError, match=r"vmap out_axes must be an int, None, or \(nested\) "
                       r"container with those types as leaves, but got "):
        vmap(_ident, out_axes=out_axes)


def test_in_axes_list_reads_as_a_tuple():
    w = X[0]
    want = X + w
    got = vmap(_add, in_axes=[0, None])(X, w)
    np.testing.assert_array_equal(np.asarray(got), want)


def test_in_axes_tuple_of_the_wrong_length_raises():
    with pytest.raises(ValueError, match=r"but got len\(in_axes\)=3, len\(args\)=2\.$"):
        vmap(_add, in_axes=(0, 0, 0))(X, X)
    with pytest.raises(ValueError, match=r"len\(in_axes\)=2, len\(args\)=1\. Note that the "
                       r"function was called with keyword arguments \['b'\]"):
        vmap(_add, in_axes=(0, 0))(X, b=X)


def test_in_axes_that_are_not_a_prefix_of_the_arguments_raise():
    with pytest.raises(ValueError, match=r"vmap in_axes specification must be a tree prefix "
                       r"of the corresponding value.*key path \[0\]"):
        vmap(_add, in_axes=((0, 0), 0))(X, X)


@pytest.mark.parametrize("axis,rank", [(2, 3), (-3, 3)])
def test_in_axes_out_of_range_for_the_rank_raise(axis, rank):
    with pytest.raises(ValueError, match=rf"vmap was requested to map its argument along "
                       rf"axis {axis}, which implies that its rank should be at least {rank}, "
                       r"but is only 2 \(its shape is \(4, 5\)\) at argument a"):
        vmap(_ident, in_axes=axis)(X)


def test_mapping_a_scalar_argument_raises():
    with pytest.raises(ValueError, match=r"rank should be at least 1, but is only 0 \(its "
                       r"shape is \(\)\) at argument b"):
        vmap(_add)(X, 1.0)


@pytest.mark.parametrize("axis", [-1, -2, 1])
def test_negative_in_axes_count_from_the_end(axis):
    got = vmap(lambda a: a * 3.0, in_axes=axis)(X)
    np.testing.assert_array_equal(np.asarray(got), np.moveaxis(X, axis, 0) * 3.0)


def test_inconsistent_mapped_sizes_are_listed_per_argument():
    with pytest.raises(ValueError, match=r"^vmap got inconsistent sizes for array axes to be "
                       r"mapped:\n  \* one axis had size 4: axis 0 of argument a of type "
                       r"float32\[4,5\];\n  \* one axis had size 3: axis 0 of argument b of "
                       r"type float32\[3,5\]$"):
        vmap(_add)(X, Y)
    with pytest.raises(ValueError, match=r"mapped:\n  \* most axes \(2 of them\) had size 3, "
                       r"e\.g\. axis 0 of argument b of type float32\[3,5\];\n  \* one axis "
                       r"had size 4: axis -2 of argument a of type float32\[4,5\]$"):
        vmap(lambda a, b, c: a, in_axes=(-2, 0, 0))(X, Y, Y[:, 0])
    with pytest.raises(ValueError, match=r"size 3: axis 0 of argument p\['b'\] of type "
                       r"float32\[3,5\];\n  \* one axis had size 4: axis 0 of argument "
                       r"p\['w'\]"):
        vmap(lambda p: p["w"])({"w": X, "b": Y})


def test_axis_size_that_disagrees_with_the_arguments_raises():
    with pytest.raises(ValueError, match=r"inconsistent sizes for array axes to be mapped:\n"
                       r"  \* the `axis_size` argument was 5;\n  \* one axis had size 4: "
                       r"axis 0 of argument a of type float32\[4,5\]$"):
        vmap(_ident, axis_size=5)(X)
    np.testing.assert_array_equal(np.asarray(vmap(_ident, axis_size=4)(X)), X)


def test_nothing_mapped_needs_axis_size():
    with pytest.raises(ValueError, match=r"^vmap must have at least one non-None value in "
                       r"in_axes or axis_size must be specified$"):
        vmap(_ident, in_axes=None)(X)
    with pytest.raises(ValueError, match=r"^vmap wrapped function must be passed at least one "
                       r"argument containing an array or axis_size must be specified, got "
                       r"empty \*args=\(\) and \*\*kwargs=\{\}$"):
        vmap(lambda: 1.0)()
    np.testing.assert_array_equal(np.asarray(vmap(lambda: jnp.ones(2), axis_size=3)()),
                                  np.ones((3, 2)))


def test_keyword_arguments_are_mapped_along_axis_0():
    got = vmap(lambda a, b: a * b, in_axes=(1,))(X.T, b=X)
    np.testing.assert_array_equal(np.asarray(got), X * X)
