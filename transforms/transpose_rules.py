"""Transpose rules for linear primitives: cotangent of the output → cotangents of the
operands the equation is linear in (`UndefinedPrimal`); None for the other operands."""
import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as la
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval

from .ad import TRANSPOSE_RULES, is_undefined, zeros_like_aval

L = ew.LAX_FUNCTIONS


def unbroadcast(ct, aval):
    """Sums a cotangent over the dims a rank-0 operand was broadcast along."""
    if get_aval(ct).shape == aval.shape:
        return ct
    return red.reduce_sum(ct, range(get_aval(ct).ndim))


def _zero_scalar(x):
    return ArrayImpl(np.zeros((), get_aval(x).dtype))


def _add_t(ct, x, y):
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(ct, y.aval) if is_undefined(y) else None]


def _sub_t(ct, x, y):
    return [unbroadcast(ct, x.aval) if is_undefined(x) else None,
            unbroadcast(L["neg"](ct), y.aval) if is_undefined(y) else None]


def _mul_t(ct, x, y):
    if is_undefined(x) and is_undefined(y):
        raise TypeError("mul of two linear values is not linear")
    if is_undefined(x):
        return [unbroadcast(L["mul"](ct, y), x.aval), None]
    return [None, unbroadcast(L["mul"](x, ct), y.aval)]


def _div_t(ct, x, y):
    if is_undefined(y):
        raise TypeError("div is not linear in its divisor")
    return [unbroadcast(L["div"](ct, y), x.aval), None]


TRANSPOSE_RULES[ew.add_p] = _add_t
TRANSPOSE_RULES[ew.sub_p] = _sub_t
TRANSPOSE_RULES[ew.mul_p] = _mul_t
TRANSPOSE_RULES[ew.div_p] = _div_t
TRANSPOSE_RULES[ew.neg_p] = lambda ct, x: [L["neg"](ct)]
TRANSPOSE_RULES[ew.conj_p] = lambda ct, x: [L["conj"](ct)]
TRANSPOSE_RULES[ew.real_p] = lambda ct, x: [L["complex"](ct, _zero_scalar(ct))]
TRANSPOSE_RULES[ew.imag_p] = lambda ct, x: [L["complex"](_zero_scalar(ct), L["neg"](ct))]
TRANSPOSE_RULES[ew.complex_p] = lambda ct, x, y: [
    unbroadcast(L["real"](ct), x.aval) if is_undefined(x) else None,
    unbroadcast(L["imag"](L["neg"](ct)), y.aval) if is_undefined(y) else None]


def _convert_t(ct, x, *, new_dtype, weak_type):
    old = x.aval.dtype
    if dtypes.is_complex(new_dtype) and not dtypes.is_complex(old):
        ct = L["real"](ct)
    return [ew.convert_element_type_p.bind(ct, new_dtype=old, weak_type=x.aval.weak_type)]


TRANSPOSE_RULES[ew.convert_element_type_p] = _convert_t


def _select_n_t(ct, which, *cases):
    if is_undefined(which):
        raise TypeError("select_n is not linear in its predicate")
    zeros = L["mul"](ct, _zero_scalar(ct))
    out = [None]
    for i, case in enumerate(cases):
        if not is_undefined(case):
            out.append(None)
            continue
        picks = [ct if j == i else zeros for j in range(len(cases))]
        out.append(unbroadcast(ew.select_n_p.bind(which, *picks), case.aval))
    return out


TRANSPOSE_RULES[ew.select_n_p] = _select_n_t


def _reduce_sum_t(ct, x, *, axes):
    kept = [i for i in range(x.aval.ndim) if i not in axes]
    return [st.broadcast_in_dim(ct, x.aval.shape, kept)]


def _broadcast_in_dim_t(ct, x, *, shape, broadcast_dimensions):
    summed = [i for i in range(len(shape)) if i not in broadcast_dimensions]
    stretched = [d for i, d in enumerate(broadcast_dimensions)
                 if x.aval.shape[i] == 1 and shape[d] != 1]
    out = red.reduce_sum(ct, sorted(summed + stretched))
    return [st.reshape(out, x.aval.shape)]


def _reshape_t(ct, x, *, new_sizes, dimensions):
    if dimensions is None:
        return [st.reshape(ct, x.aval.shape)]
    permuted = [x.aval.shape[d] for d in dimensions]
    return [st.transpose(st.reshape(ct, permuted), np.argsort(dimensions))]


def _slice_t(ct, x, *, start_indices, limit_indices, strides):
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    out_shape = get_aval(ct).shape
    real_limits = [lo + (n - 1) * s + 1 if n else lo
                   for lo, n, s in zip(start_indices, out_shape, strides)]
    config = [(lo, size - hi, s - 1) for lo, hi, s, size in
              zip(start_indices, real_limits, strides, shape)]
    return [st.pad(ct, _zero_scalar(ct), config)]


def _pad_t(ct, x, padding_value, *, padding_config):
    total = lambda v: red.reduce_sum(v, range(get_aval(v).ndim))
    t_x = None
    if is_undefined(x) or is_undefined(padding_value):
        unpad = [(-lo, -hi, 0) for lo, hi, _ in padding_config]
        unpadded = st.pad(ct, _zero_scalar(ct), unpad)
        t_x = st.slice(unpadded, [0] * len(padding_config), get_aval(unpadded).shape,
                       [i + 1 for _, _, i in padding_config])
    t_v = L["sub"](total(ct), total(t_x)) if is_undefined(padding_value) else None
    return [t_x if is_undefined(x) else None, t_v]


def _concatenate_t(ct, *xs, dimension):
    out, start = [], 0
    for x in xs:
        shape = get_aval(x).shape if not is_undefined(x) else x.aval.shape
        size = shape[dimension]
        if is_undefined(x):
            starts = [0] * len(shape)
            limits = list(get_aval(ct).shape)
            starts[dimension], limits[dimension] = start, start + size
            out.append(st.slice(ct, starts, limits))
        else:
            out.append(None)
        start += size
    return out


def _dynamic_slice_t(ct, x, *idx, slice_sizes):
    zeros = zeros_like_aval(x.aval)
    return [st.dynamic_update_slice_p.bind(zeros, ct, *idx)] + [None] * len(idx)


def _dynamic_update_slice_t(ct, x, update, *idx):
    shape = update.aval.shape if is_undefined(update) else get_aval(update).shape
    t_x = t_u = None
    if is_undefined(x):
        t_x = st.dynamic_update_slice_p.bind(ct, zeros_like_aval(get_aval(ct).update(
            shape=shape)), *idx)
    if is_undefined(update):
        t_u = st.dynamic_slice_p.bind(ct, *idx, slice_sizes=shape)
    return [t_x, t_u] + [None] * len(idx)


TRANSPOSE_RULES[red.reduce_sum_p] = _reduce_sum_t
TRANSPOSE_RULES[st.broadcast_in_dim_p] = _broadcast_in_dim_t
TRANSPOSE_RULES[st.reshape_p] = _reshape_t
TRANSPOSE_RULES[st.transpose_p] = lambda ct, x, *, permutation: [
    st.transpose(ct, np.argsort(permutation))]
TRANSPOSE_RULES[st.rev_p] = lambda ct, x, *, dimensions: [st.rev(ct, dimensions)]
TRANSPOSE_RULES[st.slice_p] = _slice_t
TRANSPOSE_RULES[st.pad_p] = _pad_t
TRANSPOSE_RULES[st.concatenate_p] = _concatenate_t
TRANSPOSE_RULES[st.dynamic_slice_p] = _dynamic_slice_t
TRANSPOSE_RULES[st.dynamic_update_slice_p] = _dynamic_update_slice_t
TRANSPOSE_RULES[red.cumsum_p] = lambda ct, x, *, axis, reverse: [
    red.cumsum(ct, axis, not reverse)]


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

