"""Lowering rules for `dot_general` and the matrix factorizations `cholesky`,
`triangular_solve` and `lu` (core/primitives/linalg.py).

IREE 3.13 cannot compile `stablehlo.cholesky` nor `stablehlo.triangular_solve` ("failed
to legalize operation ... explicitly marked illegal"), and StableHLO has no LU, so the
factorizations are written as loops over columns / rows: a `stablehlo.while` whose body
is a step function of irax primitives, traced to a Graph and lowered by the same
interpreter. Each step is vectorized over the batch (and the right-hand sides):

* cholesky: column j of L is (A[:, j] - L L[j, :]^H) scaled by the root of its
  diagonal entry (left-looking); a matrix with a non-positive (or NaN) pivot is all NaN,
  as JAX's LAPACK-based result.
* triangular_solve: every case becomes a left solve with op(a) spelled out (a right-hand
  solve is transposed), solved by forward or back substitution one row at a time.
* lu: partial pivoting as LAPACK's getf2: the largest magnitude of the column (|re| +
  |im| for complex, first on ties) is swapped into place, the column below it scaled
  (not when the pivot is zero) and the trailing matrix updated by a rank-1 product.
"""
import numpy as np

from ..core import dtypes
from ..core.aval import ShapedArray
from ..core.graph_trace import trace_to_graph
from ..core.primitives import elementwise as ew
from ..core.primitives import linalg
from ..core.primitives import reductions as red
from ..core.primitives import structural as st
from .builder import FunctionBuilder, Value, dims_list
from .control_flow import counted_loop
from .lowering import LOWERING_RULES, lower_eqns

_I32 = ShapedArray((), dtypes.int32)


def _dot_general(b: FunctionBuilder, lhs, rhs, *, dimension_numbers, preferred_element_type):
    """`stablehlo.dot_general`; with a `preferred_element_type`, the operands are
    converted to it first, as the impl does."""
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
    out = b.avals_out[0]
    lhs, rhs = b.convert(lhs, out.dtype), b.convert(rhs, out.dtype)
    numbers = (f"#stablehlo.dot<lhs_batching_dimensions = {dims_list(lhs_batch)}, "
               f"rhs_batching_dimensions = {dims_list(rhs_batch)}, "
               f"lhs_contracting_dimensions = {dims_list(lhs_contract)}, "
               f"rhs_contracting_dimensions = {dims_list(rhs_contract)}>")
    return b.op("stablehlo.dot_general", [lhs, rhs], [out],
                {"dot_dimension_numbers": numbers})[0]


LOWERING_RULES[linalg.dot_general_p] = _dot_general


# ---- writing traced irax functions ------------------------------------------------------

def _lower_traced(b: FunctionBuilder, fn, values) -> list:
    """The Values of `fn(*values)` (a function of irax primitives returning a list),
    traced on the values' avals and lowered in place."""
    closed = trace_to_graph(lambda *xs: list(fn(*xs)), [v.aval for v in values])
    consts = [b.constant(np.asarray(c)) for c in closed.consts]
    return lower_eqns(b, closed.graph, consts + list(values))


def _zeros_value(b: FunctionBuilder, aval) -> Value:
    """Zeros of `aval` to start a loop's state. A complex128 splat constant carried by
    a loop fails to compile in IREE 3.13 ("'stream.async.splat' op operand #0 must be
    8-bit ... or 64-bit signless integer, but got 'i128'"), so complex zeros are made
    from real ones by `stablehlo.complex`."""
    if not dtypes.is_complex(aval.dtype):
        return b.constant(_zero(aval.dtype), shape=aval.shape)
    real = b.constant(_zero(np.real(_zero(aval.dtype)).dtype), shape=aval.shape)
    return b.emit("stablehlo.complex", real, real, dtype=aval.dtype)


def _loop(b: FunctionBuilder, trips: int, state, fixed, step) -> list:
    """`state = step(j, state, fixed)` for j in range(trips) as a `stablehlo.while`;
    `step` is traced once (j an int32 scalar), `fixed` are loop constants."""
    if trips == 0:
        return list(state)
    count = len(state)
    closed = trace_to_graph(
        lambda j, *rest: list(step(j, list(rest[:count]), list(rest[count:]))),
        [_I32] + [v.aval for v in state] + [v.aval for v in fixed])

    def body(counter, values):
        consts = [b.constant(np.asarray(c)) for c in closed.consts]
        return lower_eqns(b, closed.graph, consts + [counter, *values, *fixed])

    return counted_loop(b, trips, list(state), body)


# ---- step functions (irax primitives, batched over the leading dimensions) --------------

def _zero(dtype):
    return np.zeros((), dtype)


def _zeros(shape, dtype):
    return st.broadcast_in_dim(_zero(dtype), shape, ())


def _at(x, index, axis: int, size: int = 1):
    """`size` entries of `x` from `index` along `axis` (all of the other axes)."""
    starts = [np.int32(0)] * x.ndim
    starts[axis] = index
    sizes = list(x.shape)
    sizes[axis] = size
    return st.dynamic_slice(x, starts, sizes)


def _put(x, update, index, axis: int):
    starts = [np.int32(0)] * x.ndim
    starts[axis] = index
    return st.dynamic_update_slice(x, update, starts)


def _iota(shape, axis: int):
    return st.broadcasted_iota(np.int32, shape, axis)


def _cholesky_step(j, state, fixed):
    """Column j of L (left-looking): v = A[:, j] - L conj(L[j, :]), v / sqrt(v[j])."""
    (L,), (a,) = state, fixed
    nd, dtype = L.ndim, L.dtype
    row = _at(L, j, nd - 2)
    v = ew.sub(_at(a, j, nd - 1),
               linalg.batch_matmul(L, linalg.swap_last(
                   ew.conj(row) if dtypes.is_complex(dtype) else row)))
    pivot = _at(v, j, nd - 2)
    root = ew.sqrt(ew.real(pivot) if dtypes.is_complex(dtype) else pivot)
    root = st.broadcast_in_dim(ew.convert_element_type(root, dtype), v.shape,
                               tuple(range(nd)))
    rows = _iota(v.shape, nd - 2)
    column = ew.select(ew.gt(rows, j), ew.div(v, root),
                       ew.select(ew.eq(rows, j), root, _zeros(v.shape, dtype)))
    return [_put(L, column, j, nd - 1)]


def _nan_unless_positive_pivots(L):
    """L where every diagonal entry is positive, else all NaN (per matrix)."""
    nd, n = L.ndim, L.shape[-1]
    diagonal = red.reduce_sum(ew.mul(L, linalg.eye_like(L, n)), (nd - 1,))
    if dtypes.is_complex(L.dtype):
        diagonal = ew.real(diagonal)
    ok = red.reduce_and(ew.gt(diagonal, _zero(diagonal.dtype)), (nd - 2,))
    ok = st.broadcast_in_dim(ok, L.shape, tuple(range(nd - 2)))
    nan = st.broadcast_in_dim(np.array(np.nan, L.dtype), L.shape, ())
    return [ew.select(ok, L, nan)]


_CHOLESKY_BLOCK = 16  # columns per block of the blocked Cholesky


def _cholesky_block_step(blocks: int):
    """Block column k (left-looking): the panel A[:, k] - L L[k, :]^H, its diagonal
    block factored by the unrolled column steps, the rows below it times the inverse
    (substitution on the identity, unrolled) of that factor's conjugate transpose."""
    size = _CHOLESKY_BLOCK

    def step(k, state, fixed):
        (L,), (a,) = state, fixed
        nd, dtype = L.ndim, L.dtype
        start = ew.mul(k, np.int32(size))
        rows = _at(L, start, nd - 2, size)
        rows_h = linalg.swap_last(ew.conj(rows) if dtypes.is_complex(dtype) else rows)
        panel = ew.sub(_at(a, start, nd - 1, size), linalg.batch_matmul(L, rows_h))
        block = _at(panel, start, nd - 2, size)
        factor = _zeros(block.shape, dtype)
        for j in range(size):
            (factor,) = _cholesky_step(np.int32(j), [factor], [block])
        eye = linalg.eye_like(block, size)
        inverse = _zeros(block.shape, dtype)
        forward = _substitution_step(True, size)
        for i in range(size):
            (inverse,) = forward(np.int32(i), [inverse], [factor, eye])
        inverse_h = linalg.swap_last(ew.conj(inverse) if dtypes.is_complex(dtype)
                                     else inverse)
        below = linalg.batch_matmul(panel, inverse_h)
        after = ew.ge(_iota(below.shape, nd - 2), ew.add(start, np.int32(size)))
        column = ew.select(after, below, _zeros(below.shape, dtype))
        column = _put(column, factor, start, nd - 2)
        return [_put(L, column, start, nd - 1)]
    return step


def _padded_with_identity(x, size: int):
    """x padded to (..., size, size) with ones on the new part of the diagonal."""
    nd, n = x.ndim, x.shape[-1]
    x = st.pad(x, _zero(x.dtype), [(0, 0, 0)] * (nd - 2) + [(0, size - n, 0)] * 2)
    new = ew.ge(_iota(x.shape, nd - 1), np.int32(n))
    diagonal = ew.eq(_iota(x.shape, nd - 2), _iota(x.shape, nd - 1))
    return ew.select(ew.bitwise_and(new, diagonal),
                     st.broadcast_in_dim(np.array(1, x.dtype), x.shape, ()), x)


def _cholesky(b: FunctionBuilder, x):
    """Column by column for small (and complex) matrices; else by blocks of
    _CHOLESKY_BLOCK columns (n / 16 loop trips of matrix products instead of n of
    matrix-vector products)."""
    n = x.shape[-1]
    if n <= 2 * _CHOLESKY_BLOCK or dtypes.is_complex(x.dtype):  # see _blocked_substitution
        (L,) = _loop(b, n, [_zeros_value(b, x.aval)], [x],
                     _cholesky_step)
        return _lower_traced(b, _nan_unless_positive_pivots, [L])[0]
    blocks = -(-n // _CHOLESKY_BLOCK)
    size = blocks * _CHOLESKY_BLOCK
    (a,) = _lower_traced(b, lambda x: [_padded_with_identity(x, size)], [x])
    (L,) = _loop(b, blocks, [_zeros_value(b, a.aval)], [a],
                 _cholesky_block_step(blocks))

    def finish(L):
        L = st.slice(L, (0,) * L.ndim, L.shape[:-2] + (n, n))
        return _nan_unless_positive_pivots(L)

    return _lower_traced(b, finish, [L])[0]


def _left_problem(a, rhs, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    """The solve as t x' = rhs' with the triangular t = op(a) spelled out (x' = x, or
    x^T for a right-hand solve); returns [t, rhs']."""
    nd = a.ndim
    if not left_side:  # x op(a) = b  <=>  op(a)^T x^T = b^T
        rhs, transpose_a = linalg.swap_last(rhs), not transpose_a
    t = linalg.triangle(a, lower)
    if unit_diagonal:
        t = ew.select(ew.eq(_iota(t.shape, nd - 2), _iota(t.shape, nd - 1)),
                      st.broadcast_in_dim(np.array(1, t.dtype), t.shape, ()), t)
    if conjugate_a:
        t = ew.conj(t)
    return [linalg.swap_last(t) if transpose_a else t, rhs]


def _substitution_step(lower: bool, m: int):
    """Forward (`lower`) or back substitution: row i of x is (b[i] - t[i, :] x) / t[i, i]
    for i = j (or m - 1 - j); the rows of x not solved yet are still 0."""
    def step(j, state, fixed):
        (x,), (t, rhs) = state, fixed
        nd = x.ndim
        i = j if lower else ew.sub(np.int32(m - 1), j)
        row = _at(t, i, nd - 2)
        diagonal = st.broadcast_in_dim(_at(row, i, nd - 1),
                                       x.shape[:-2] + (1, x.shape[-1]), tuple(range(nd)))
        xi = ew.div(ew.sub(_at(rhs, i, nd - 2), linalg.batch_matmul(row, x)), diagonal)
        return [_put(x, xi, i, nd - 2)]
    return step


_BLOCK = 32  # rows per block of the blocked triangular solve


def _padded_blocks(t, rhs, blocks: int):
    """t and rhs padded to `blocks` * _BLOCK rows (t with ones on the new diagonal),
    and t's diagonal blocks (..., blocks, _BLOCK, _BLOCK)."""
    nd, m = t.ndim, t.shape[-1]
    size = blocks * _BLOCK
    t = _padded_with_identity(t, size)
    rhs = st.pad(rhs, _zero(t.dtype), [(0, 0, 0)] * (nd - 2) + [(0, size - m, 0), (0, 0, 0)])
    batch = t.shape[:-2]
    tiles = st.reshape(t, batch + (blocks, _BLOCK, blocks, _BLOCK))
    tiles = st.transpose(tiles, tuple(range(nd - 2)) + (nd - 2, nd, nd - 1, nd + 1))
    same = ew.eq(_iota(tiles.shape, nd - 2), _iota(tiles.shape, nd - 1))
    diagonal = red.reduce_sum(ew.select(same, tiles, _zeros(tiles.shape, t.dtype)),
                              (nd - 1,))
    eye = linalg.eye_like(diagonal, _BLOCK)
    return [t, rhs, diagonal, eye]


def _block_step(lower: bool, blocks: int):
    """Block row i (i = j, or blocks - 1 - j): x_i = inv(t_ii) (b_i - t[i, :] x)."""
    def step(j, state, fixed):
        (x,), (t, rhs, inverses) = state, fixed
        nd = x.ndim
        i = j if lower else ew.sub(np.int32(blocks - 1), j)
        start = ew.mul(i, np.int32(_BLOCK))
        rows = _at(t, start, nd - 2, _BLOCK)
        residual = ew.sub(_at(rhs, start, nd - 2, _BLOCK), linalg.batch_matmul(rows, x))
        inverse = st.reshape(_at(inverses, i, nd - 2), x.shape[:-2] + (_BLOCK, _BLOCK))
        return [_put(x, linalg.batch_matmul(inverse, residual), start, nd - 2)]
    return step


def _blocked_substitution(b: FunctionBuilder, t, rhs, lower: bool):
    """The triangular solve t x = rhs by blocks of _BLOCK rows: the diagonal blocks are
    inverted first (substitution on the identity, all blocks at once), then each block
    row of x is one matrix product (rows // _BLOCK loop trips of matmuls instead of
    rows trips of matrix-vector products).

    Real dtypes only: IREE 3.13 fails to compile the blocked programs of complex
    matrices ("'arith.constant' op attribute 'value' failed to satisfy constraint:
    TypedAttr instance"), which therefore take the row-by-row (column-by-column) loops.
    """
    m = t.shape[-1]
    blocks = -(-m // _BLOCK)
    t, rhs, diagonal, eye = _lower_traced(b, lambda t, r: _padded_blocks(t, r, blocks),
                                          [t, rhs])
    (inverses,) = _loop(b, _BLOCK, [_zeros_value(b, eye.aval)],
                        [diagonal, eye], _substitution_step(lower, _BLOCK))
    (x,) = _loop(b, blocks, [_zeros_value(b, rhs.aval)],
                 [t, rhs, inverses], _block_step(lower, blocks))
    return _lower_traced(b, lambda x: [st.slice(x, (0,) * x.ndim,
                                                x.shape[:-2] + (m, x.shape[-1]))], [x])[0]


def _triangular_solve(b: FunctionBuilder, a, rhs, *, left_side, lower, transpose_a,
                      conjugate_a, unit_diagonal):
    """Substitution on the spelled-out op(a) (not on a reversed copy: IREE 3.13 fails to
    compile a `stablehlo.reverse` of a single right-hand side feeding the loop, see
    docs/iree_defects.md)."""
    params = {"left_side": left_side, "lower": lower, "transpose_a": transpose_a,
              "conjugate_a": conjugate_a, "unit_diagonal": unit_diagonal}
    t, rhs = _lower_traced(b, lambda a, r: _left_problem(a, r, **params), [a, rhs])
    # op(a) is lower triangular iff a's triangle is flipped by neither or both of
    # transpose_a and the transposition of a right-hand solve
    t_lower = lower != (transpose_a != (not left_side))
    m = t.shape[-1]
    if m <= 2 * _BLOCK or dtypes.is_complex(t.dtype):  # see _blocked_substitution
        (x,) = _loop(b, m, [_zeros_value(b, rhs.aval)], [t, rhs],
                     _substitution_step(t_lower, m))
    else:
        x = _blocked_substitution(b, t, rhs, t_lower)
    if left_side:
        return x
    return _lower_traced(b, lambda x: [linalg.swap_last(x)], [x])[0]


def _magnitude(x):
    """LAPACK's pivot magnitude: |x|, or |re| + |im| for complex x."""
    if dtypes.is_complex(x.dtype):
        return ew.add(ew.abs(ew.real(x)), ew.abs(ew.imag(x)))
    return ew.abs(x)


def _lu_step(j, state, fixed):
    """Column j: pivot on the largest magnitude at or below the diagonal, swap rows,
    scale the column below the pivot (not a zero pivot), rank-1 update the rest."""
    a, pivots, perm = state
    nd, dtype = a.ndim, a.dtype
    batch, m = a.shape[:-2], a.shape[-2]
    column = st.reshape(_at(a, j, nd - 1), batch + (m,))
    rows = _iota(batch + (m,), nd - 2)
    magnitude = _magnitude(column)
    magnitude = ew.select(ew.ge(rows, j), magnitude,
                          st.broadcast_in_dim(np.array(-1, magnitude.dtype), rows.shape, ()))
    p = red.argmax(magnitude, nd - 2, np.int32)
    is_p = ew.eq(rows, st.broadcast_in_dim(p, rows.shape, tuple(range(nd - 2))))
    is_j = ew.eq(rows, j)
    # row swap j <-> p (of a, through a 0/1 product, and of the permutation)
    row_p = linalg.batch_matmul(st.reshape(ew.convert_element_type(is_p, dtype),
                                           batch + (1, m)), a)
    row_j = _at(a, j, nd - 2)
    full = a.shape
    wide = tuple(range(nd))
    is_p_full = st.broadcast_in_dim(is_p, full, tuple(range(nd - 1)))
    is_j_full = st.broadcast_in_dim(is_j, full, tuple(range(nd - 1)))
    a = ew.select(is_j_full, st.broadcast_in_dim(row_p, full, wide),
                  ew.select(is_p_full, st.broadcast_in_dim(row_j, full, wide), a))
    perm_p = red.reduce_sum(ew.select(is_p, perm, ew.mul(perm, np.int32(0))), (nd - 2,))
    perm_j = st.reshape(_at(perm, j, nd - 2), batch)
    perm = ew.select(is_j, st.broadcast_in_dim(perm_p, rows.shape, tuple(range(nd - 2))),
                     ew.select(is_p, st.broadcast_in_dim(perm_j, rows.shape,
                                                         tuple(range(nd - 2))), perm))
    pivots = _put(pivots, st.reshape(p, batch + (1,)), j, nd - 2)
    # scale below the pivot, then the rank-1 update of the trailing matrix
    pivot_row = _at(a, j, nd - 2)
    pivot = _at(pivot_row, j, nd - 1)
    pivot = ew.select(ew.eq(pivot, _zero(dtype)),
                      st.broadcast_in_dim(np.array(1, dtype), pivot.shape, ()), pivot)
    column = _at(a, j, nd - 1)
    below = ew.gt(_iota(column.shape, nd - 2), j)
    scaled = ew.select(below, ew.div(column, st.broadcast_in_dim(pivot, column.shape, wide)),
                       column)
    a = _put(a, scaled, j, nd - 1)
    l_part = ew.select(below, scaled, _zeros(column.shape, dtype))
    u_part = ew.select(ew.gt(_iota(pivot_row.shape, nd - 1), j), pivot_row,
                       _zeros(pivot_row.shape, dtype))
    update = ew.mul(st.broadcast_in_dim(l_part, full, wide),
                    st.broadcast_in_dim(u_part, full, wide))
    return [ew.sub(a, update), pivots, perm]


def _lu(b: FunctionBuilder, x):
    _, pivots_aval, perm_aval = b.avals_out
    (perm,) = _lower_traced(b, lambda: [_iota(perm_aval.shape, perm_aval.ndim - 1)], [])
    state = [x, b.constant(_zero(np.int32), shape=pivots_aval.shape), perm]
    return _loop(b, pivots_aval.shape[-1], state, [], _lu_step)


LOWERING_RULES.update({
    linalg.cholesky_p: _cholesky,
    linalg.triangular_solve_p: _triangular_solve,
    linalg.lu_p: _lu,
})
