"""JVP, transpose and batching rules of dot_general (core/primitives/linalg.py).

Batching makes the batch dimension a batch dimension of the contraction (both operands
batched) or a free dimension (one operand batched).
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as la
from irax.core.primitives import structural as st
from irax.core.trace import get_aval
from irax.transforms.ad import TRANSPOSE_RULES, is_undefined
from irax.transforms.batching import BATCH_RULES

from .helpers import bump, defjvp, shape_of

# ---- JVP ------------------------------------------------------------------------------

defjvp(la.dot_general_p,
       lambda t, x, y, **params: la.dot_general_p.bind(t, y, **params),
       lambda t, x, y, **params: la.dot_general_p.bind(x, t, **params))


# ---- transpose ------------------------------------------------------------------------

def _ranges_like(*groups):
    start = 0
    for group in groups:
        yield list(range(start, start + len(group)))
        start += len(group)


def _dot_transpose_lhs(ct, x_aval, y, dimension_numbers, preferred_element_type,
                       swap_ans=False):
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    x_kept = [i for i in range(x_aval.ndim) if i not in x_contract and i not in x_batch]
    y_ndim = get_aval(y).ndim if not is_undefined(y) else y.aval.ndim
    y_kept = [i for i in range(y_ndim) if i not in y_contract and i not in y_batch]
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(x_batch, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(x_batch, x_kept, y_kept)
    dims = ((tuple(ans_y), tuple(y_kept)), (tuple(ans_batch), tuple(y_batch)))
    x_contract_sorted_by_y = list(np.take(x_contract, np.argsort(y_contract)))
    out_axes = np.argsort(list(x_batch) + x_kept + x_contract_sorted_by_y)
    # dot_general(y, ct) lays its result out as (batch, y's free dims, ct's free dims):
    # when that is x's layout, no transpose follows (per-example weight gradients
    # under vmap are then written once, not written and transposed).
    swapped_axes = np.argsort(list(x_batch) + x_contract_sorted_by_y + x_kept)
    if (list(out_axes) != sorted(out_axes)
            and list(swapped_axes) == sorted(swapped_axes)):
        swapped = ((tuple(y_kept), tuple(ans_y)), (tuple(y_batch), tuple(ans_batch)))
        out = la.dot_general_p.bind(y, ct, dimension_numbers=swapped,
                                    preferred_element_type=preferred_element_type)
    else:
        product = la.dot_general_p.bind(ct, y, dimension_numbers=dims,
                                        preferred_element_type=preferred_element_type)
        out = st.transpose(product, tuple(int(a) for a in out_axes))
    if get_aval(out).dtype != x_aval.dtype:
        out = ew.convert_element_type(out, x_aval.dtype)
    return out


def _dot_general_t(ct, x, y, *, dimension_numbers, preferred_element_type):
    if is_undefined(x) and is_undefined(y):
        raise TypeError("dot_general of two linear values is not linear")
    if is_undefined(x):
        return [_dot_transpose_lhs(ct, x.aval, y, dimension_numbers,
                                   preferred_element_type), None]
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    swapped = ((y_contract, x_contract), (y_batch, x_batch))
    return [None, _dot_transpose_lhs(ct, y.aval, x, swapped, preferred_element_type,
                                     swap_ans=True)]


TRANSPOSE_RULES[la.dot_general_p] = _dot_general_t


# ---- batching -------------------------------------------------------------------------

def _dot_general_rule(vals, dims, *, dimension_numbers, preferred_element_type):
    (lhs, rhs), (lbd, rbd) = vals, dims
    (lc, rc), (lb, rb) = dimension_numbers
    if lbd is not None and rbd is not None:
        # the mapped axes pair up as a new leading batch dimension of the contraction
        numbers = ((bump(lc, lbd), bump(rc, rbd)),
                   ((lbd,) + bump(lb, lbd), (rbd,) + bump(rb, rbd)))
        out_bdim = 0
    elif lbd is not None:
        # a free dimension of lhs: output is batch, lhs free, rhs free
        lhs_free = [d for d in range(len(shape_of(lhs)) - 1) if d not in lc and d not in lb]
        numbers = ((bump(lc, lbd), rc), (bump(lb, lbd), rb))
        out_bdim = len(lb) + sum(d < lbd for d in lhs_free)
    else:
        rhs_free = [d for d in range(len(shape_of(rhs)) - 1) if d not in rc and d not in rb]
        numbers = ((lc, bump(rc, rbd)), (lb, bump(rb, rbd)))
        out_bdim = len(shape_of(lhs)) - len(lc) + sum(d < rbd for d in rhs_free)
    out = la.dot_general_p.bind(lhs, rhs, dimension_numbers=numbers,
                                    preferred_element_type=preferred_element_type)
    return out, out_bdim


BATCH_RULES[la.dot_general_p] = _dot_general_rule
