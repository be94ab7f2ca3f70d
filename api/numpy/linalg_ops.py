"""Products of irax.numpy (dot, matmul, tensordot, einsum, ...), all on one primitive.

Every product here is a `lax.dot_general` after JAX's promotion of the operands to one
dtype (weak Python scalars respected: `int32 @ int32 -> int32`, `2.0 * int32 ->
float32`).  Broadcast batch dimensions are never materialized: a size-1 batch dimension
is squeezed and its partner becomes a free dimension of the contraction.
"""
import string
from collections import Counter

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.primitives.linalg import dot_general
from irax.core.tensor import Tensor

from . import ufuncs
from .util import asarray_arg, broadcast_to_shape, canonical_axis, convert

__all__ = ["dot", "vdot", "matmul", "inner", "outer", "tensordot", "einsum", "kron", "cross",
           "matrix_transpose", "vecdot"]


def _promote(name: str, *args, preferred_element_type=None) -> list[Tensor]:
    """Converts and promotes to one dtype (no broadcasting), or to the preferred type."""
    xs = [asarray_arg(name, a) for a in args]
    if preferred_element_type is not None:
        dtype, weak = dtypes.canonicalize_dtype(dtypes.to_dtype(preferred_element_type)), False
    else:
        dtype, weak = dtypes.promote_dtypes_weak(*[(x.dtype, x.weak_type) for x in xs])
    return [convert(x, dtype, weak) for x in xs]


def _contract(a: Tensor, b: Tensor, contract=((), ()), batch=((), ())) -> Tensor:
    """dot_general: output dims are batch, then `a`'s free dims, then `b`'s free dims."""
    return dot_general(a, b, (tuple(map(tuple, contract)), tuple(map(tuple, batch))))


def _ravel(x: Tensor) -> Tensor:
    return st.reshape(x, (x.size,))


def _move_to_end(x: Tensor, axis: int) -> Tensor:
    return st.transpose(x, [i for i in range(x.ndim) if i != axis] + [axis])


def _conj_if_complex(x: Tensor) -> Tensor:
    return ew.conj(x) if dtypes.is_complex(x.dtype) else x


def dot(a, b, *, precision=None, preferred_element_type=None) -> Tensor:
    """`jnp.dot(a, b)`: NumPy's dot product for operands of any rank.

    Scalars multiply; otherwise the last axis of `a` is contracted with `b`'s only axis
    (1-d `b`) or its second-to-last axis.

    Args:
      a, b: arrays, scalars or lists; promoted to one dtype by JAX's rules.
      precision: accepted for JAX compatibility and ignored.
      preferred_element_type: dtype to compute and return in (default: the promoted one).

    Returns:
      An array of shape `a.shape[:-1] + b.shape[:-2] + b.shape[-1:]`.

    Example:
      >>> jnp.dot(jnp.ones((2, 3)), jnp.ones(3))
      Array([3., 3.], dtype=float32)
    """
    a, b = _promote("dot", a, b, preferred_element_type=preferred_element_type)
    if a.ndim == 0 or b.ndim == 0:
        return _contract(a, b)
    ca, cb = a.ndim - 1, max(b.ndim - 2, 0)
    if a.shape[ca] != b.shape[cb]:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} not aligned: "
                         f"{a.shape[ca]} (dim {ca}) != {b.shape[cb]} (dim {cb})")
    return _contract(a, b, ((ca,), (cb,)))


def vdot(a, b, *, precision=None, preferred_element_type=None) -> Tensor:
    """`jnp.vdot(a, b)`: dot product of the flattened arrays, `a` complex-conjugated.

    Example:
      >>> jnp.vdot(jnp.array([1 + 1j]), jnp.array([1 + 1j]))
      Array(2.+0.j, dtype=complex64)
    """
    a, b = _promote("vdot", a, b, preferred_element_type=preferred_element_type)
    if a.size != b.size:
        raise ValueError(f"vdot: arrays of shapes {a.shape} and {b.shape} have different "
                         f"sizes ({a.size} and {b.size})")
    return _contract(_ravel(_conj_if_complex(a)), _ravel(b), ((0,), (0,)))


def matmul(a, b, *, precision=None, preferred_element_type=None) -> Tensor:
    """`jnp.matmul(a, b)` (`a @ b`): matrix product with NumPy's batch broadcasting.

    A 1-d `a` is a row vector and a 1-d `b` a column vector (the added axis is removed
    from the result); leading dimensions broadcast against each other.

    Args:
      a, b: arrays of rank at least 1, promoted to one dtype by JAX's rules.
      precision: accepted for JAX compatibility and ignored.
      preferred_element_type: dtype to compute and return in (default: the promoted one).

    Returns:
      An array of shape `broadcast(a.shape[:-2], b.shape[:-2]) + (n, m)`, less the
      dimensions of 1-d operands.

    Raises:
      ValueError: a scalar operand, or contracted/batch dimensions that do not match.

    Example:
      >>> jnp.matmul(jnp.ones((5, 2, 3)), jnp.ones((3, 4))).shape
      (5, 2, 4)
    """
    a, b = _promote("matmul", a, b, preferred_element_type=preferred_element_type)
    return _matmul("matmul", a, b)


def _matmul(name: str, a: Tensor, b: Tensor) -> Tensor:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"{name}: operands must be at least 1-d, got shapes {a.shape} and "
                         f"{b.shape}")
    a2 = st.reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = st.reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"{name}: contracted dimensions differ for shapes {a.shape} and "
                         f"{b.shape} ({a2.shape[-1]} != {b2.shape[-2]})")
    out = _batched_matmul(name, a2, b2, (a.shape, b.shape))
    drop = ([out.ndim - 2] if a.ndim == 1 else []) + ([out.ndim - 1] if b.ndim == 1 else [])
    return st.squeeze(out, drop) if drop else out


def _batched_matmul(name: str, a: Tensor, b: Tensor, shapes) -> Tensor:
    """Matrix product of operands of rank >= 2 whose batch dimensions broadcast.

    Equal batch dimensions become dot_general batch dimensions; a size-1 or missing one
    is dropped and its partner becomes a free dimension, then a transpose puts the
    output in NumPy's order.
    """
    abatch, bbatch = a.shape[:-2], b.shape[:-2]
    nd = max(len(abatch), len(bbatch))
    pa, pb = nd - len(abatch), nd - len(bbatch)
    keep_a, keep_b, batch, free_a, free_b = [], [], [], [], []
    for i in range(nd):
        da = abatch[i - pa] if i >= pa else None
        db = bbatch[i - pb] if i >= pb else None
        if da is not None and da == db:
            batch.append(i)
        elif da is not None and db in (None, 1):
            free_a.append(i)
        elif db is not None and da in (None, 1):
            free_b.append(i)
        else:
            raise ValueError(f"{name}: batch dimensions of shapes {shapes[0]} and {shapes[1]} "
                             "cannot be broadcast together")
        if i in batch or i in free_a:
            keep_a.append(i)
        if i in batch or i in free_b:
            keep_b.append(i)
    a = st.reshape(a, [abatch[i - pa] for i in keep_a] + list(a.shape[-2:]))
    b = st.reshape(b, [bbatch[i - pb] for i in keep_b] + list(b.shape[-2:]))
    out = _contract(a, b, ((a.ndim - 1,), (b.ndim - 2,)),
                    ([keep_a.index(i) for i in batch], [keep_b.index(i) for i in batch]))
    order = batch + free_a + ["rows"] + free_b + ["cols"]
    return st.transpose(out, [order.index(i) for i in list(range(nd)) + ["rows", "cols"]])


def inner(a, b, *, precision=None, preferred_element_type=None) -> Tensor:
    """`jnp.inner(a, b)`: contracts the last axes of `a` and `b` (scalars multiply).

    Example:
      >>> jnp.inner(jnp.ones((2, 3)), jnp.ones((4, 3))).shape
      (2, 4)
    """
    a, b = _promote("inner", a, b, preferred_element_type=preferred_element_type)
    if a.ndim == 0 or b.ndim == 0:
        return _contract(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: last dimensions of shapes {a.shape} and {b.shape} differ")
    return _contract(a, b, ((a.ndim - 1,), (b.ndim - 1,)))


def outer(a, b, out=None) -> Tensor:
    """`jnp.outer(a, b)`: `ravel(a)[:, None] * ravel(b)[None, :]`.

    Example:
      >>> jnp.outer(jnp.arange(2), jnp.arange(3))
      Array([[0, 0, 0],
             [0, 1, 2]], dtype=int32)
    """
    if out is not None:
        raise NotImplementedError("outer: irax arrays are immutable; `out` is not supported")
    a, b = _promote("outer", a, b)
    return _contract(_ravel(a), _ravel(b))


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None) -> Tensor:
    """`jnp.tensordot(a, b, axes=2)`: sum of products over the given axes.

    Args:
      a, b: arrays, promoted to one dtype by JAX's rules.
      axes: an int `n` (the last `n` axes of `a` with the first `n` of `b`) or a pair
        `(axes_a, axes_b)` of ints or equal-length sequences of ints (negative allowed).
      precision: accepted for JAX compatibility and ignored.
      preferred_element_type: dtype to compute and return in (default: the promoted one).

    Returns:
      An array whose dimensions are `a`'s free ones followed by `b`'s free ones.

    Example:
      >>> jnp.tensordot(jnp.ones((2, 3, 4)), jnp.ones((4, 3, 5)), axes=([1, 2], [1, 0])).shape
      (2, 5)
    """
    a, b = _promote("tensordot", a, b, preferred_element_type=preferred_element_type)
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} must be between 0 and the smaller rank of "
                             f"shapes {a.shape} and {b.shape}")
        ca, cb = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise TypeError("tensordot: axes must be an int or a pair of sequences of ints, "
                            f"got {axes!r}") from None
        ca = tuple(canonical_axis("tensordot", i, a.ndim) for i in np.atleast_1d(axes_a))
        cb = tuple(canonical_axis("tensordot", i, b.ndim) for i in np.atleast_1d(axes_b))
        if len(ca) != len(cb) or len(set(ca)) != len(ca) or len(set(cb)) != len(cb):
            raise ValueError(f"tensordot: axes {axes_a} and {axes_b} must be equally long "
                             "sequences of distinct axes")
    if any(a.shape[i] != b.shape[j] for i, j in zip(ca, cb)):
        raise ValueError(f"tensordot: shape mismatch: shapes {a.shape} and {b.shape} differ "
                         f"on contracted axes {ca} and {cb}")
    return _contract(a, b, (ca, cb))


def einsum(subscripts, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None) -> Tensor:
    """`jnp.einsum`: Einstein summation, as `numpy.einsum`.

    Supports explicit (`'ij,jk->ik'`) and implicit (`'ij,jk'`: labels seen once, sorted)
    output, `...` (broadcast), repeated labels on one operand (diagonals), size-1
    dimensions broadcasting against a label's size, and NumPy's interleaved form
    `einsum(op0, sublist0, op1, sublist1, ..., [sublist_out])`.  Broadcast dimensions
    absent from an explicit output are summed (as JAX does).  Operands are contracted
    pairwise with `lax.dot_general`, greedily choosing the pair whose result is smallest,
    so no outer products of whole operands are built.

    Args:
      subscripts: the subscript string (or the first operand, in interleaved form).
      *operands: the arrays, promoted to one dtype by JAX's rules.
      out: unsupported (irax arrays are immutable); must be None.
      optimize: accepted for NumPy/JAX compatibility and ignored.
      precision: accepted for JAX compatibility and ignored.
      preferred_element_type: dtype to compute and return in (default: the promoted one).

    Returns:
      The array of the output subscripts' shape.

    Example:
      >>> jnp.einsum("bij,bjk->bik", jnp.ones((2, 3, 4)), jnp.ones((2, 4, 5))).shape
      (2, 3, 5)
      >>> jnp.einsum("ii", jnp.eye(3))
      Array(3., dtype=float32)
    """
    if out is not None:
        raise NotImplementedError("einsum: irax arrays are immutable; `out` is not supported")
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_subscripts(subscripts, operands)
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    xs = _promote("einsum", *operands, preferred_element_type=preferred_element_type)
    in_labels, out_labels = _parse_subscripts(subscripts, xs)
    sizes = _label_sizes(in_labels, xs)
    ops = [_diagonal(x, labels) for x, labels in zip(xs, in_labels)]
    while len(ops) > 1:
        i, j = _cheapest_pair(ops, out_labels, sizes)
        rest = [op for k, op in enumerate(ops) if k not in (i, j)]
        needed = set(out_labels).union(*[labels for _, labels in rest])
        ops = rest + [_contract_pair(ops[i], ops[j], needed)]
    x, labels = _sum_labels(*ops[0], [l for l in ops[0][1] if l not in out_labels])
    return st.transpose(x, [labels.index(l) for l in out_labels])


_SUBLIST_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _interleaved_subscripts(first, rest):
    """`(op0, sub0, op1, sub1, ..., [out])` as a subscript string and the operands."""
    args = (first,) + tuple(rest)
    ops, subs = args[0::2], args[1::2]
    out = None
    if len(args) % 2:
        ops, out = ops[:-1], args[-1]

    def letters(sublist):
        try:
            return "".join("..." if s is Ellipsis else _SUBLIST_LETTERS[s] for s in sublist)
        except (TypeError, IndexError):
            raise ValueError(f"einsum: sublist {sublist!r} must hold ints in [0, 52) or "
                             "Ellipsis") from None

    text = ",".join(letters(s) for s in subs)
    return (text if out is None else f"{text}->{letters(out)}"), ops


def _parse_subscripts(subscripts: str, xs):
    """Labels per operand and of the output; `...` dims are ints, counted from the right."""
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    inputs, arrow, output = spec.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(xs):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(specs)} operands but "
                         f"{len(xs)} were given")
    in_labels = [_spec_labels(s, x.ndim, k, subscripts) for k, (s, x) in enumerate(zip(specs, xs))]
    n_ell = max(sum(isinstance(l, int) for l in labels) for labels in in_labels)
    ellipsis = list(range(n_ell - 1, -1, -1))
    if not arrow:
        counts = Counter(l for labels in in_labels for l in labels if isinstance(l, str))
        return in_labels, ellipsis + sorted(l for l, c in counts.items() if c == 1)
    out = _spec_labels(output, None, None, subscripts)
    if "..." in out:
        out = out[:out.index("...")] + ellipsis + out[out.index("...") + 1:]
    known = set().union(*in_labels)
    for label in out:
        if out.count(label) > 1 or label not in known:
            raise ValueError(f"einsum: output label {label!r} of {subscripts!r} is repeated "
                             "or absent from the inputs")
    return in_labels, out


def _spec_labels(spec: str, ndim, k, subscripts):
    """Labels of one operand (`ndim` given) or of the output (`ndim` None: `...` kept)."""
    left, ell, right = spec.partition("...")
    if not all(c in string.ascii_letters for c in left + right):
        raise ValueError(f"einsum: subscripts {subscripts!r} may hold only letters, ',', "
                         "'->' and '...'")
    if ndim is None:
        return list(left) + (["..."] if ell else []) + list(right)
    n_ell = ndim - len(left) - len(right)
    if n_ell < 0 or (n_ell and not ell):
        raise ValueError(f"einsum: operand {k} has {ndim} dimensions but its subscripts "
                         f"{spec!r} in {subscripts!r} name {len(left) + len(right)}")
    return list(left) + list(range(n_ell - 1, -1, -1)) + list(right)


def _label_sizes(in_labels, xs) -> dict:
    """Each label's size; sizes of one label must agree, 1s broadcast across operands."""
    sizes = {}
    for k, (labels, x) in enumerate(zip(in_labels, xs)):
        mine = {}
        for label, size in zip(labels, x.shape):
            if mine.setdefault(label, size) != size:
                raise ValueError(f"einsum: label {_show(label)} has sizes {mine[label]} and "
                                 f"{size} in operand {k} of shape {x.shape}")
            if sizes.get(label, 1) not in (1, size) and size != 1:
                raise ValueError(f"einsum: label {_show(label)} has size {size} in operand "
                                 f"{k} of shape {x.shape} but {sizes[label]} elsewhere")
            sizes[label] = max(sizes.get(label, 1), size)
    return sizes


def _show(label) -> str:
    return repr(label) if isinstance(label, str) else "'...'"


def _diagonal(x: Tensor, labels: list):
    """Takes the diagonal over every label repeated in one operand (it moves last)."""
    for label in [l for l, c in Counter(labels).items() if c > 1]:
        axes = [i for i, l in enumerate(labels) if l == label]
        others = [i for i in range(x.ndim) if i not in axes]
        n, k = x.shape[axes[0]], len(axes)
        x = st.reshape(st.transpose(x, others + axes), [x.shape[i] for i in others] + [n ** k])
        if n > 1:
            limits = list(x.shape[:-1]) + [n ** k]
            x = st.slice(x, [0] * x.ndim, limits, [1] * (x.ndim - 1) + [(n ** k - 1) // (n - 1)])
        labels = [labels[i] for i in others] + [label]
    return x, labels


def _sum_labels(x: Tensor, labels: list, summed: list):
    """Sums the dimensions of `summed` labels out (logical or for bool)."""
    axes = [i for i, l in enumerate(labels) if l in summed]
    if not axes:
        return x, labels
    reduce = red.reduce_or if x.dtype == dtypes.bool_ else red.reduce_sum
    return reduce(x, axes), [l for l in labels if l not in summed]


def _result_labels(la, lb, needed) -> list:
    return [l for l in la + [l for l in lb if l not in la] if l in needed]


def _cheapest_pair(ops, out_labels, sizes):
    """The pair (i, j) whose contraction grows the data least (first such pair on ties)."""
    def size(labels):
        return int(np.prod([sizes[l] for l in labels], dtype=np.int64))

    best = None
    for i in range(len(ops)):
        for j in range(i + 1, len(ops)):
            needed = set(out_labels).union(*[labels for k, (_, labels) in enumerate(ops)
                                             if k not in (i, j)])
            la, lb = ops[i][1], ops[j][1]
            cost = size(_result_labels(la, lb, needed)) - size(la) - size(lb)
            if best is None or cost < best[0]:
                best = (cost, i, j)
    return best[1:]


def _contract_pair(op_a, op_b, needed: set):
    """Contracts two (array, labels) operands, keeping the `needed` labels."""
    (a, la), (b, lb) = op_a, op_b
    for label in [l for l in la if l in lb]:
        ia, ib = la.index(label), lb.index(label)
        if a.shape[ia] == 1 and b.shape[ib] != 1:
            a, la = st.squeeze(a, [ia]), la[:ia] + la[ia + 1:]
        elif b.shape[ib] == 1 and a.shape[ia] != 1:
            b, lb = st.squeeze(b, [ib]), lb[:ib] + lb[ib + 1:]
    a, la = _sum_labels(a, la, [l for l in la if l not in lb and l not in needed])
    b, lb = _sum_labels(b, lb, [l for l in lb if l not in la and l not in needed])
    shared = [l for l in la if l in lb]
    batch = [l for l in shared if l in needed]
    summed = [l for l in shared if l not in needed]
    out = _contract(a, b, ([la.index(l) for l in summed], [lb.index(l) for l in summed]),
                    ([la.index(l) for l in batch], [lb.index(l) for l in batch]))
    return out, batch + [l for l in la if l not in lb] + [l for l in lb if l not in la]


def kron(a, b) -> Tensor:
    """`jnp.kron(a, b)`: Kronecker product (the smaller rank is padded with leading 1s).

    Example:
      >>> jnp.kron(jnp.eye(2), jnp.ones((1, 2)))
      Array([[1., 1., 0., 0.],
             [0., 0., 1., 1.]], dtype=float32)
    """
    a, b = _promote("kron", a, b)
    nd = max(a.ndim, b.ndim)
    a = st.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = st.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    out = st.transpose(_contract(a, b), [k for i in range(nd) for k in (i, nd + i)])
    return st.reshape(out, [m * n for m, n in zip(a.shape, b.shape)])


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None) -> Tensor:
    """`jnp.cross`: cross product of 2- or 3-vectors along `axisa`/`axisb`.

    Two 2-vectors give the scalar z-component; a 2-vector with a 3-vector is taken with
    z = 0.  The other dimensions broadcast; the result vector lies along `axisc`.
    `axis`, when given, overrides all three.

    Example:
      >>> jnp.cross(jnp.array([1., 0, 0]), jnp.array([0., 1, 0]))
      Array([0., 0., 1.], dtype=float32)
    """
    a, b = _promote("cross", a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cross: operands must be at least 1-d, got shapes {a.shape} and "
                         f"{b.shape}")
    a = _move_to_end(a, canonical_axis("cross", axisa, a.ndim))
    b = _move_to_end(b, canonical_axis("cross", axisb, b.ndim))
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: vectors must have 2 or 3 components, got {a.shape[-1]} and "
                         f"{b.shape[-1]} (shapes {a.shape} and {b.shape} after moving axes)")
    a0, a1, a2 = _components(a)
    b0, b1, b2 = _components(b)
    mul, sub = ufuncs.multiply, ufuncs.subtract
    z = sub(mul(a0, b1), mul(a1, b0))
    if a2 is None and b2 is None:
        return z
    zero = convert(asarray_arg("cross", 0), a.dtype)
    a2, b2 = (zero if c is None else c for c in (a2, b2))
    parts = [sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), z]
    parts = [st.expand_dims(broadcast_to_shape(p, z.shape), (p.ndim,)) for p in parts]
    out = st.concatenate(parts, z.ndim)
    c = canonical_axis("cross", axisc, out.ndim)
    return st.transpose(out, list(range(c)) + [out.ndim - 1] + list(range(c, out.ndim - 1)))


def _components(x: Tensor):
    """The vector components along the last axis (None for a missing z)."""
    comps = [st.squeeze(st.slice(x, [0] * (x.ndim - 1) + [k], x.shape[:-1] + (k + 1,)),
                        [x.ndim - 1]) for k in range(x.shape[-1])]
    return comps + [None] * (3 - len(comps))


def matrix_transpose(x, /) -> Tensor:
    """`jnp.matrix_transpose(x)`: swaps the last two axes (`x.mT`).

    Example:
      >>> jnp.matrix_transpose(jnp.ones((4, 2, 3))).shape
      (4, 3, 2)
    """
    x = asarray_arg("matrix_transpose", x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: x must be at least 2-d, got shape {x.shape}")
    return st.transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


def vecdot(x1, x2, /, *, axis: int = -1, precision=None, preferred_element_type=None) -> Tensor:
    """`jnp.vecdot(x1, x2, axis=-1)`: `sum(conj(x1) * x2, axis)` with broadcasting.

    `axis` indexes each operand; the other dimensions broadcast (without being
    materialized: the product is a batched matrix product).

    Example:
      >>> jnp.vecdot(jnp.ones((2, 3)), jnp.ones(3))
      Array([3., 3.], dtype=float32)
    """
    x1, x2 = _promote("vecdot", x1, x2, preferred_element_type=preferred_element_type)
    ax1, ax2 = canonical_axis("vecdot", axis, x1.ndim), canonical_axis("vecdot", axis, x2.ndim)
    if x1.shape[ax1] != x2.shape[ax2]:
        raise ValueError(f"vecdot: shapes {x1.shape} and {x2.shape} differ along axis {axis}")
    x1 = _conj_if_complex(_move_to_end(x1, ax1))
    x2 = _move_to_end(x2, ax2)
    out = _matmul("vecdot", st.expand_dims(x1, (x1.ndim - 1,)), st.expand_dims(x2, (x2.ndim,)))
    return st.reshape(out, out.shape[:-2])
