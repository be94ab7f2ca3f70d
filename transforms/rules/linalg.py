"""JVP, transpose and batching rules of dot_general and the matrix factorizations
cholesky, triangular_solve and lu (core/primitives/linalg.py).

dot_general's batching makes the batch dimension a batch dimension of the contraction
(both operands batched) or a free dimension (one operand batched). The factorizations
take leading batch dimensions, so their batching rules move the batch dimension first.
Their JVPs are JAX's: cholesky's L phi(L^-1 dA L^-H) (Murray, arXiv:1602.07527),
triangular_solve is linear in b (its transpose solves with op(a) transposed), lu's
L tril(L^-1 P dA U^-1, -1) + triu(L^-1 P dA U^-1) U (De Hoog, Anderssen and Lukas).
"""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as la
from irax.core.primitives import structural as st
from irax.core.trace import get_aval
from irax.transforms.ad import JVP_RULES, TRANSPOSE_RULES, Zero, is_undefined, tangent_aval
from irax.transforms.batching import BATCH_RULES, moveaxis_to_front

from .helpers import bump, defjvp, defjvp2, shape_of

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


# ---- matrix factorizations: JVP -------------------------------------------------------

def _cholesky_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    L = la.cholesky_p.bind(x)
    if type(dx) is Zero:
        return L, Zero(tangent_aval(get_aval(L)))
    n = get_aval(x).shape[-1]
    tmp = la.triangular_solve(L, dx, left_side=False, lower=True, transpose_a=True,
                              conjugate_a=True)
    inner = la.triangular_solve(L, tmp, left_side=True, lower=True)
    # phi: the lower triangle with its diagonal halved
    dtype = get_aval(L).dtype
    halve_diagonal = ew.sub(np.array(1, dtype), ew.mul(la.eye_like(L, n), np.array(0.5, dtype)))
    phi = ew.mul(la.triangle(inner, True), halve_diagonal)
    return L, la.batch_matmul(L, phi)


JVP_RULES[la.cholesky_p] = _cholesky_jvp


def _triangular_solve_jvp_a(t, ans, a, b, *, left_side, lower, transpose_a, conjugate_a,
                            unit_diagonal):
    """d x = -op(a)^-1 op(da) x (left) or -x op(da) op(a)^-1 (right), in the cheaper
    order (JAX's rule)."""
    m, n = get_aval(b).shape[-2:]
    da = ew.neg(la.triangle(t, lower, (-1 if lower else 1) if unit_diagonal else 0))
    da = la.swap_last(da) if transpose_a else da
    da = ew.conj(da) if conjugate_a else da

    def a_inverse(rhs):
        return la.triangular_solve(a, rhs, left_side=left_side, lower=lower,
                                   transpose_a=transpose_a, conjugate_a=conjugate_a,
                                   unit_diagonal=unit_diagonal)

    if left_side:
        return (a_inverse(la.batch_matmul(da, ans)) if m > n
                else la.batch_matmul(a_inverse(da), ans))
    return (a_inverse(la.batch_matmul(ans, da)) if m < n
            else la.batch_matmul(ans, a_inverse(da)))


defjvp2(la.triangular_solve_p, _triangular_solve_jvp_a,
        lambda t, ans, a, b, **params: la.triangular_solve_p.bind(a, t, **params))


def _lu_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    lu, pivots, perm = la.lu_p.bind(a)
    int_zeros = [Zero(tangent_aval(get_aval(pivots))), Zero(tangent_aval(get_aval(perm)))]
    if type(da) is Zero:
        return [lu, pivots, perm], [Zero(tangent_aval(get_aval(lu)))] + int_zeros
    shape = get_aval(a).shape
    m, n = shape[-2:]
    k = min(m, n)
    batch, nb = shape[:-2], len(shape) - 2
    # P dA: the rows of dA in the permutation's order, as a product with a 0/1 matrix
    p_shape = batch + (m, m)
    p = ew.convert_element_type(
        ew.eq(st.broadcast_in_dim(perm, p_shape, tuple(range(nb + 1))),
              st.broadcasted_iota(np.int32, p_shape, nb + 1)), lu.dtype)
    x = la.batch_matmul(p, da)
    zero = np.zeros((), lu.dtype)
    l_part = la.triangle(st.slice(lu, (0,) * (nb + 2), batch + (m, k)), True, -1)
    l_part = st.pad(l_part, zero, [(0, 0, 0)] * (nb + 1) + [(0, m - k, 0)])
    l_full = ew.add(l_part, la.eye_like(lu, m))
    u_part = la.triangle(st.slice(lu, (0,) * (nb + 2), batch + (k, n)), False)
    u_part = st.pad(u_part, zero, [(0, 0, 0)] * nb + [(0, n - k, 0), (0, 0, 0)])
    u_eye = st.pad(la.eye_like(lu, n - k), zero, [(0, 0, 0)] * nb + [(k, 0, 0)] * 2)
    u_full = ew.add(u_part, u_eye)
    la_ = la.triangular_solve(l_full, x, left_side=True, lower=True, unit_diagonal=True)
    lau = la.triangular_solve(u_full, la_, left_side=False, lower=False)
    lu_dot = ew.add(la.batch_matmul(l_full, la.triangle(lau, True, -1)),
                    la.batch_matmul(la.triangle(lau, False), u_full))
    return [lu, pivots, perm], [lu_dot] + int_zeros


JVP_RULES[la.lu_p] = _lu_jvp


# ---- matrix factorizations: transpose -------------------------------------------------

def _triangular_solve_t(ct, a, b, *, left_side, lower, transpose_a, conjugate_a,
                        unit_diagonal):
    if is_undefined(a):
        raise TypeError("triangular_solve is not linear in its matrix a")
    return [None, la.triangular_solve(a, ct, left_side=left_side, lower=lower,
                                      transpose_a=not transpose_a, conjugate_a=conjugate_a,
                                      unit_diagonal=unit_diagonal)]


TRANSPOSE_RULES[la.triangular_solve_p] = _triangular_solve_t


# ---- matrix factorizations: batching (the batch dimension goes first) -----------------

def _batch_size(vals, dims):
    return next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)


BATCH_RULES[la.cholesky_p] = lambda vals, dims: (
    la.cholesky_p.bind(moveaxis_to_front(vals[0], dims[0], None)), 0)


def _triangular_solve_rule(vals, dims, **params):
    size = _batch_size(vals, dims)
    a, b = [moveaxis_to_front(v, d, size) for v, d in zip(vals, dims)]
    return la.triangular_solve_p.bind(a, b, **params), 0


BATCH_RULES[la.triangular_solve_p] = _triangular_solve_rule
BATCH_RULES[la.lu_p] = lambda vals, dims: (
    la.lu_p.bind(moveaxis_to_front(vals[0], dims[0], None)), [0, 0, 0])
