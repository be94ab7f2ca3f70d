"""lax.associative_scan: a parallel prefix scan built from slices, pads and `fn`."""
import numpy as np

from .. import pytree
from ..tensor import ArrayImpl, to_tensor
from . import elementwise as ew
from . import structural as st


def _slice_in_dim(x, start, limit, stride, axis):
    size = x.shape[axis]
    limit = size if limit is None else (limit + size if limit < 0 else limit)
    starts = [0] * x.ndim
    limits = list(x.shape)
    strides = [1] * x.ndim
    starts[axis], limits[axis], strides[axis] = start, limit, stride
    return st.slice(x, starts, limits, strides)


def _interleave(a, b, axis):
    """a0 b0 a1 b1 ... along `axis` (a may be one longer than b)."""
    same = a.shape[axis] == b.shape[axis]
    a_pad = [(0, 0, 0)] * a.ndim
    b_pad = [(0, 0, 0)] * b.ndim
    a_pad[axis] = (0, 1 if same else 0, 1)
    b_pad[axis] = (1, 0 if same else 1, 1)
    zero_a = ArrayImpl(np.zeros((), a.dtype))
    zero_b = ArrayImpl(np.zeros((), b.dtype))
    combine = ew.bitwise_or if a.dtype == np.bool_ else ew.add
    return combine(st.pad(a, zero_a, a_pad), st.pad(b, zero_b, b_pad))


def associative_scan(fn, elems, reverse: bool = False, axis: int = 0):
    """`lax.associative_scan(fn, elems, reverse=False, axis=0)`: inclusive scan with an
    associative `fn(a, b)` over pytrees of arrays, in O(log n) depth.

    Example: `associative_scan(lax.add, x)` equals `cumsum(x)`.
    """
    flat, tree = pytree.tree_flatten(elems)
    flat = [to_tensor(e) for e in flat]
    if not flat:
        return elems
    axis = axis % flat[0].ndim
    if len({e.shape[axis] for e in flat}) != 1:
        raise ValueError("associative_scan: every array needs the same length along axis "
                         f"{axis}, got {[e.shape for e in flat]}")
    if reverse:
        flat = [st.rev(e, [axis]) for e in flat]

    def combine(a_flat, b_flat):
        out = fn(pytree.tree_unflatten(tree, a_flat), pytree.tree_unflatten(tree, b_flat))
        return pytree.tree_leaves(out)

    def scan(elems):
        n = elems[0].shape[axis]
        if n < 2:
            return elems
        reduced = combine([_slice_in_dim(e, 0, -1, 2, axis) for e in elems],
                          [_slice_in_dim(e, 1, None, 2, axis) for e in elems])
        odd = scan(reduced)
        if n % 2 == 0:
            even = combine([_slice_in_dim(e, 0, -1, 1, axis) for e in odd],
                           [_slice_in_dim(e, 2, None, 2, axis) for e in elems])
        else:
            even = combine(odd, [_slice_in_dim(e, 2, None, 2, axis) for e in elems])
        even = [st.concatenate([_slice_in_dim(e, 0, 1, 1, axis), r], axis)
                for e, r in zip(elems, even)]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    scans = scan(flat)
    if reverse:
        scans = [st.rev(s, [axis]) for s in scans]
    return pytree.tree_unflatten(tree, scans)
