"""Lowering (mlir_lowering/): every primitive lowers to StableHLO that IREE compiles
for the CPU and that computes what the primitive's eager NumPy impl computes: the
same values (exact for integers and bools), dtypes and shapes, in float32 and in
float64 (x64).  Errors name the user's line.

To stay fast, the sample calls of many primitives are traced into one function whose
module is compiled once (a failing batch is retried one call at a time, so that a
failure names its primitive), and compiled modules are cached for the session.
"""
import functools
import re

import iree.compiler as ireec
import iree.runtime as ireert
import ml_dtypes
import numpy as np
import pytest
from primitive_cases import DIFFERENTIABLE, NON_DIFFERENTIABLE

import irax
import irax.numpy as jnp
from irax import lax
from irax.core import dtypes
from irax.core.aval import ShapedArray
from irax.core.graph import Eqn, Graph, Var
from irax.core.primitive import REGISTRY
from irax.core.primitives import elementwise as ew
from irax.mlir_lowering import LOWERING_RULES, LoweringError, lower_graph
from irax.mlir_lowering.builder import i64_array
from irax.mlir_lowering.lowering import NOT_LOWERABLE

CASES = {**DIFFERENTIABLE, **NON_DIFFERENTIABLE}
# Eager NumPy warns on NaN and inf (XLA computes them silently).
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# float64 math calls libm, which only a system-linked (not embedded) module can reach;
# IREE demotes float64 to float32 unless told not to.
CPU_FLAGS = ("--iree-hal-target-device=local", "--iree-hal-local-target-device-backends=llvm-cpu",
             "--iree-llvmcpu-target-cpu=host", "--iree-input-demote-f64-to-f32=false")
X64_FLAGS = ("--iree-llvmcpu-link-embedded=false",)

I32, U8, U32, F32 = np.int32, np.uint8, np.uint32, np.float32
NAN, INF = np.nan, np.inf
GD, SD = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers
ROWS_GATHER = GD(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
ROWS_SCATTER = SD(update_window_dims=(1,), inserted_window_dims=(0,),
                  scatter_dims_to_operand_dims=(0,))
ELEMENTS_GATHER = GD(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))


def _a(values, dtype):
    return np.array(values, dtype)


INT_X = _a([7, -7, 5, -2**31, -9, 3, 0], I32)
INT_Y = _a([2, 2, 0, -1, 0, -2, 0], I32)
SHIFTS = _a([1, 33, -1, 32, 31, 2, 0], I32)
SPECIAL = _a([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, INF, -INF, NAN, 1e-30], F32)
POW_X = _a([-2, -2, -0.5, -3, 0, 0, -8, 2, -0.0, -0.0, 1, -1, NAN, 2, -INF, -INF], F32)
POW_Y = _a([3, 2, 4, 0.5, -1, 0, 1 / 3, 0.5, 3, -3, NAN, INF, 0, NAN, 3, -2], F32)
ARG_X = _a([[1, 3, 3, 2], [NAN, 1, NAN, 5], [-INF, -INF, -INF, -INF], [2, 2, 1, NAN]], F32)
SORT_KEYS = _a([3, NAN, -0.0, 0.0, -NAN, -1, 3, INF, -INF, 0.0], F32)
OOB_ROWS = _a([[1], [7], [-1], [1000000], [2], [4]], I32)
WIDE = np.arange(300, dtype=F32)
BIG_INDICES = _a([[1], [200], [255], [0]], U8)
COMPLEX_X = _a([0.5 + 1j, -1.5 + 0.25j, 2 - 3j, -0.1 - 0.2j], np.complex64)
COMPLEX_Y = _a([1.5 - 0.5j, 0.5 + 2j, -1 + 0.1j, 3 + 0j], np.complex64)
M = np.arange(15, dtype=F32).reshape(5, 3)


def _unary_sweep(dtype, names, values):
    """Sample calls of unary lax functions on `values` of `dtype`."""
    return {f"{name}[{np.dtype(dtype).name}]": (getattr(lax, name), [np.asarray(values, dtype)])
            for name in names}


# Semantic edge cases (float32 mode): name -> (function, arguments).
EDGE_CASES = {
    "div[int32]": (lax.div, [INT_X, INT_Y]),
    "rem[int32]": (lax.rem, [INT_X, INT_Y]),
    "div[uint32]": (lax.div, [_a([7, 0, 5, 4e9], U32), _a([2, 0, 0, 3], U32)]),
    "rem[float32]": (lax.rem, [_a([5.5, -5.5, 1, INF], F32), _a([2, 2, 0, 2], F32)]),
    "shift_left[int32]": (lax.shift_left, [INT_X, SHIFTS]),
    "shift_right_logical[int32]": (lax.shift_right_logical, [INT_X, SHIFTS]),
    "shift_right_arithmetic[int32]": (lax.shift_right_arithmetic, [INT_X, SHIFTS]),
    "shift_right_logical[uint8]": (lax.shift_right_logical, [_a([255, 128, 7], U8),
                                                             _a([1, 8, 9], U8)]),
    "pow[special]": (lax.pow, [POW_X, POW_Y]),
    "integer_pow[int32]": (lambda x: [lax.integer_pow(x, 3), lax.integer_pow(x, 0)], [INT_X]),
    "integer_pow[negative]": (lambda x: lax.integer_pow(x, -3), [_a([0.5, -2, 3], F32)]),
    "max_min[nan]": (lambda x, y: [lax.max(x, y), lax.min(x, y)], [SPECIAL, SPECIAL[::-1]]),
    "max_min[bool]": (lambda x, y: [lax.max(x, y), lax.min(x, y)],
                      [_a([True, True, False], bool), _a([False, True, False], bool)]),
    "sign_abs[uint32]": (lambda x: [lax.sign(x), lax.abs(x)], [_a([0, 3, 4e9], U32)]),
    "sign_abs[int32]": (lambda x: [lax.sign(x), lax.abs(x)], [INT_X]),
    "sign_abs[float32]": (lambda x: [lax.sign(x), lax.abs(x)], [SPECIAL]),
    "round[halfway]": (lambda x: [lax.round(x, 0), lax.round(x, 1), lax.floor(x), lax.ceil(x)],
                       [_a([0.5, 1.5, 2.5, -0.5, -2.5, 2.4, NAN, -INF], F32)]),
    "is_finite": (lax.is_finite, [SPECIAL]),
    "compare[nan]": (lambda x, y: [lax.lt(x, y), lax.ge(x, y), lax.eq(x, y), lax.ne(x, y)],
                     [SPECIAL, SPECIAL[::-1]]),
    "compare[uint32]": (lambda x, y: [lax.lt(x, y), lax.gt(x, y)],
                        [_a([1, 4e9, 3], U32), _a([4e9, 2, 3], U32)]),
    "compare[bool]": (lambda x, y: [lax.lt(x, y), lax.ge(x, y)],
                      [_a([True, False, True], bool), _a([False, True, True], bool)]),
    "convert[float32]": (lambda x: [lax.convert_element_type(x, t) for t in (
        bool, I32, np.complex64, np.float16, ml_dtypes.bfloat16, U8)],
        [_a([0.0, -0.0, 1.7, -1.7, 2.5, NAN, 0.1, 200.9], F32)]),
    "convert[complex64]": (lambda x: [lax.convert_element_type(x, t) for t in (F32, bool, I32)],
                           [_a([1.5 + 2j, 0 + 1j, -3 - 1j, 0], np.complex64)]),
    "convert[bool]": (lambda x: [lax.convert_element_type(x, t) for t in (F32, I32, U8)],
                      [_a([True, False], bool)]),
    "convert[int32]": (lambda x: [lax.convert_element_type(x, t) for t in (F32, U8, bool)],
                       [_a([0, 1, -1, 300, 2**24 + 1], I32)]),
    "bitcast_convert_type": (lambda x, b: [lax.bitcast_convert_type(x, I32),
                                           lax.bitcast_convert_type(x, U32),
                                           lax.bitcast_convert_type(b, U8)],
                             [SPECIAL, _a([True, False], bool)]),
    "select_n[int]": (lambda w, a, b, c: lax.select_n(w, a, b, c),
                      [_a([-1, 0, 1, 2, 3, 7], I32)] + [np.full(6, v, F32) for v in (1, 2, 3)]),
    "select_n[uint8]": (lambda w, a, b: lax.select_n(w, a, b), [_a([0, 1, 255], U8),
                                                                 _a([1, 2, 3], F32), F32(5)]),
    "select_n[scalar_bool]": (lambda a, b: [lax.select_n(True, a, b), lax.select_n(False, a)],
                              [_a([1, 2], F32), _a([3, 4], F32)]),
    "clamp": (lambda x, lo, hi: [lax.clamp(lo, x, hi), lax.clamp(F32(-1), x, F32(1))],
              [_a([-5, 0.5, 5, NAN], F32), _a([0, 0, 0, 0], F32), _a([1, 1, 4, 1], F32)]),
    "argmax_argmin[nan_ties]": (lambda x: [lax.argmax(x, 1, I32), lax.argmin(x, 1, I32),
                                           lax.argmax(x, 0, np.int8)], [ARG_X]),
    "argmax_argmin[int]": (lambda x, b, u: [lax.argmax(x, 0, I32), lax.argmin(x, 0, I32),
                                            lax.argmax(b, 0, I32), lax.argmin(b, 0, I32),
                                            lax.argmax(u, 0, U8), lax.argmin(u, 0, I32)],
                           [_a([3, 9, 9, -2**31, -2**31], I32), _a([False, True, True], bool),
                            _a([200, 3, 255, 255, 0], U8)]),
    "sort[nan_zero_ties]": (lambda k: lax.sort_key_val(k, lax.iota(I32, k.shape[0])),
                            [SORT_KEYS]),
    "sort[two_keys]": (lambda a, b, c: lax.sort((a, b, c), num_keys=2),
                       [_a([1, 1, 0, 0, 1], I32), _a([2, 1, 2, NAN, 1], F32),
                        _a([0, 1, 2, 3, 4], U8)]),
    "sort[uint32]": (lambda x: lax.sort(x), [_a([4e9, 1, 2**31, 7], U32)]),
    "sort[complex]": (lambda x: lax.sort(x), [_a([1 + 2j, 1 - 1j, -3 + 0j, 1 + 0j], np.complex64)]),
    "sort[bool_2d]": (lambda x: lax.sort(x, dimension=0), [_a([[True, False], [False, False]],
                                                              bool)]),
    "cumulative[int32]": (lambda x: [lax.cumsum(x, 1, reverse=True), lax.cumprod(x, 1),
                                     lax.cummax(x, 0), lax.cummin(x, 1, reverse=True)],
                          [_a([[1, -2, 3, 4, 2**30], [5, 6, -7, 8, 1]], I32)]),
    "cumulative[bool]": (lambda x: [lax.cummax(x, 0), lax.cummin(x, 0, reverse=True)],
                         [_a([False, True, False, True], bool)]),
    "cumulative[uint]": (lambda x, y: [lax.cummax(x, 0), lax.cummin(x, 0, reverse=True),
                                       lax.cumsum(x, 0), lax.cumprod(y, 0, reverse=True)],
                         [_a([5, 200, 3, 255, 0, 130], U8), _a([7, 4e9, 3], U32)]),
    "cumulative[nan]": (lambda x: [lax.cummax(x, 0), lax.cummin(x, 0, reverse=True),
                                   lax.cumsum(x[:1], 0)], [_a([1, NAN, 3, -INF, 5], F32)]),
    "reductions[int32]": (lambda x: [lax.reduce_sum(x, (0, 1)), lax.reduce_prod(x, (1,)),
                                     lax.reduce_max(x, (0,)), lax.reduce_min(x, (1,)),
                                     lax.reduce_and(x, (1,)), lax.reduce_or(x, (0,))],
                          [_a([[7, -3, 12], [2**31 - 1, 5, 6]], I32)]),
    "reductions[bool]": (lambda x: [lax.reduce_and(x, (1,)), lax.reduce_or(x, (1,)),
                                    lax.reduce_max(x, (0,)), lax.reduce_min(x, (0,))],
                         [_a([[True, False], [True, True]], bool)]),
    "reductions[nan]": (lambda x: [lax.reduce_max(x, (0,)), lax.reduce_min(x, (0,)),
                                   lax.reduce_sum(x, (0,))], [SPECIAL]),
    "reductions[uint8]": (lambda x: [lax.reduce_sum(x, (0,)), lax.reduce_max(x, (0,)),
                                     lax.reduce_min(x, (0,))], [_a([200, 100, 3], U8)]),
    "gather[fill]": (lambda x, i: [
        lax.gather(x, i, ROWS_GATHER, (1, 3), mode="fill"),
        lax.gather(x, i, ROWS_GATHER, (1, 2), mode="fill", fill_value=-1.0),
        lax.gather(x, i, ROWS_GATHER, (1, 3), mode="clip"),
        lax.gather(x, i, ROWS_GATHER, (1, 3), mode="promise_in_bounds")], [M, OOB_ROWS]),
    "gather[fill_int]": (lambda x, i: lax.gather(x, i, ROWS_GATHER, (1, 3), mode="fill"),
                         [M.astype(I32), OOB_ROWS]),
    "gather[uint8_indices]": (lambda x, i: [
        lax.gather(x, i, ELEMENTS_GATHER, (1,)),
        lax.gather(x, i.astype(np.int8), ELEMENTS_GATHER, (1,), mode="fill")],
        [WIDE, BIG_INDICES]),
    "gather[windows_2d]": (lambda x, i: [
        lax.gather(x, i, GD((1, 2), (), (0, 1)), (2, 2), mode="fill"),
        lax.gather(x, i, GD((1, 2), (), (1, 0)), (3, 2), mode="clip")],
        [M, _a([[1, 0], [4, 1], [3, 1], [0, -1]], I32)]),
    "gather[int_bool]": (lambda x, b, i: [lax.gather(x, i, ROWS_GATHER, (1, 3), mode="fill"),
                                          lax.gather(b, i, ROWS_GATHER, (1, 3), mode="fill")],
                         [M.astype(np.int8), np.ones((5, 3), bool), OOB_ROWS]),
    "gather[batching]": (lambda x, i: lax.gather(x, i, GD(
        offset_dims=(), collapsed_slice_dims=(1,), start_index_map=(1,),
        operand_batching_dims=(0,), start_indices_batching_dims=(0,)), (1, 1), mode="fill"),
        [M, _a([[0], [2], [3], [-1], [1]], I32)]),
    "scatter[drop]": (lambda x, i, u: [
        lax.scatter(x, i, u, ROWS_SCATTER), lax.scatter_add(x, i, u, ROWS_SCATTER),
        lax.scatter_mul(x, i, u, ROWS_SCATTER, mode="promise_in_bounds"),
        lax.scatter_min(x, i, u, ROWS_SCATTER), lax.scatter_max(x, i, u, ROWS_SCATTER)],
        [M, OOB_ROWS, np.arange(18, dtype=F32).reshape(6, 3) - 9]),
    "scatter[clip]": (lambda x, i, u: [
        lax.scatter(x, i, u, ROWS_SCATTER, mode="clip"),
        lax.scatter_add(x, i, u, ROWS_SCATTER, mode="clip")],
        [M, OOB_ROWS, np.arange(18, dtype=F32).reshape(6, 3) - 9]),
    "scatter[partial_windows]": (lambda x, i, u: [
        lax.scatter_add(x, i, u, SD((1, 2), (), (0,))),
        lax.scatter_add(x, i, u, SD((1, 2), (), (0,)), mode="clip")],
        [M, _a([[3], [4], [0]], I32), np.ones((3, 2, 3), F32)]),
    "scatter[batching]": (lambda x, i, u: [
        lax.scatter_add(x, i, u, SD((), (1,), (1,), (0,), (0,))),
        lax.scatter(x, i, u, SD((), (1,), (1,), (0,), (0,)), mode="clip")],
        [M, _a([[0], [2], [3], [-1], [1]], I32), _a([1, 2, 3, 4, 5], F32)]),
    "scatter[windows_2d]": (lambda x, i, u: [
        lax.scatter(x, i, u, SD((1, 2), (), (0, 1))),
        lax.scatter_max(x, i, u, SD((1, 2), (), (1, 0)), mode="clip")],
        [M, _a([[1, 0], [4, 1], [3, 1], [0, -1]], I32), np.arange(16, dtype=F32).reshape(4, 2, 2)]),
    "scatter[int_bool]": (lambda x, b, i: [
        lax.scatter_add(x, i, np.ones((2, 3), I32), ROWS_SCATTER),
        lax.scatter(b, i, np.ones((2, 3), bool), ROWS_SCATTER)],
        [M.astype(I32), np.zeros((5, 3), bool), _a([[4], [9]], I32)]),
    "scatter[bool_max_min_empty]": (lambda b, i, e: [
        lax.scatter_max(b, i, np.ones((2, 3), bool), ROWS_SCATTER),
        lax.scatter_min(b, i, np.zeros((2, 3), bool), ROWS_SCATTER),
        lax.scatter_add(b.astype(F32), e, np.ones((0, 3), F32), ROWS_SCATTER)],
        [np.eye(5, 3, dtype=bool), _a([[4], [0]], I32), np.zeros((0, 1), I32)]),
    "scatter[uint8_indices]": (lambda x, i: lax.scatter_add(
        x, i, np.ones(4, F32), SD((), (0,), (0,))), [WIDE, BIG_INDICES]),
    "dynamic_slice[clamp]": (lambda x, i, j: [
        lax.dynamic_slice(x, (i, j), (2, 2)), lax.dynamic_slice(x, (j, i), (3, 1)),
        lax.dynamic_update_slice(x, np.ones((2, 2), F32), (i, j))],
        [M, I32(7), U8(200)]),
    "structural": (lambda x, v: [
        lax.pad(x, v, [(1, -2, 2), (-1, 1, 0)]), lax.reshape(x, (3, 5), (1, 0)),
        lax.rev(x, (0, 1)), lax.slice(x, (1, 0), (5, 3), (3, 2)),
        lax.concatenate([x, x[:, :1], x], 1), lax.broadcast_in_dim(v, (2, 3), ()),
        lax.broadcasted_iota(F32, (2, 3), 0), lax.broadcasted_iota(U8, (4,), 0)], [M, F32(-1)]),
    "dot_general[preferred]": (lambda a, b: [
        lax.dot_general(a, b, (((1,), (0,)), ((), ())), preferred_element_type=I32),
        lax.dot_general(a.astype(np.float16), b.astype(np.float16), (((1,), (0,)), ((), ())),
                        preferred_element_type=F32),
        lax.dot(a.astype(I32), b.astype(I32))],
        [_a([[100, -100, 7], [1, 2, 3]], np.int8), _a([[100, 1], [100, 2], [3, 3]], np.int8)]),
    "special_values": (lambda x: [lax.exp(x), lax.log(x), lax.sqrt(x), lax.rsqrt(x),
                                  lax.cbrt(x), lax.logistic(x), lax.tanh(x), lax.expm1(x),
                                  lax.log1p(x), lax.erf(x), lax.erf_inv(x)], [SPECIAL]),
    "outputs[invar_literal_const]": (lambda x: (x, F32(2), lax.mul(x, np.full(3, 3.0, F32))),
                                     [_a([1, 2, 3], F32)]),
    "stop_gradient[int]": (lax.stop_gradient, [INT_X]),
    "complex": (lambda x, y: [f(x) for f in (
        lax.exp, lax.log, lax.sin, lax.tanh, lax.sqrt, lax.conj, lax.abs, lax.sign,
        lax.real, lax.imag, lax.neg)] + [lax.mul(x, y), lax.div(x, y), lax.pow(x, y),
                                         lax.eq(x, y), lax.ne(x, x), lax.add(x, 1j)],
                [COMPLEX_X, COMPLEX_Y]),
    **_unary_sweep(np.float16, ["exp", "log", "tanh", "sin", "sqrt", "erf", "cbrt", "logistic"],
                   [0.5, 1.5, 3.0]),
    **_unary_sweep(ml_dtypes.bfloat16, ["exp", "log", "tanh", "cos", "rsqrt", "erf_inv",
                                        "floor"], [0.25, 0.5, 0.75]),
    "mixed_precision[float16]": (lambda x, y: [lax.add(x, y), lax.mul(x, y), lax.div(x, y),
                                               lax.pow(x, y), lax.reduce_sum(x, (0,)),
                                               lax.cumsum(x, 0)],
                                 [_a([0.5, 1.5, 3.0], np.float16), _a([2, 0.25, 3], np.float16)]),
}

# Edge cases of 64-bit types (x64 mode).
I64, U64 = np.int64, np.uint64
EDGE_CASES_X64 = {
    "shifts[int64]": (lambda x, s: [lax.shift_left(x, s), lax.shift_right_logical(x, s),
                                    lax.shift_right_arithmetic(x, s)],
                      [_a([1, -2**63, 5, -9], I64), _a([63, 64, -1, 2], I64)]),
    "div_rem[int64]": (lambda x, y: [lax.div(x, y), lax.rem(x, y)],
                       [_a([-2**63, 7, -7, 2**62], I64), _a([-1, 0, 2, 3], I64)]),
    "arith[uint64]": (lambda x, y: [lax.add(x, y), lax.mul(x, y), lax.div(x, y), lax.lt(x, y)],
                      [_a([2**64 - 1, 3, 2**63], U64), _a([2, 2**63, 0], U64)]),
    "gather[uint64_indices]": (lambda x, i: lax.gather(x, i, ELEMENTS_GATHER, (1,), mode="fill"),
                               [WIDE.astype(np.float64), _a([[299], [2**64 - 1], [2]], U64)]),
    "cbrt[float64]": (lax.cbrt, [_a([27, -8, 0, -0.0, 2, INF, -INF, NAN, 1e-300, 1e300],
                                    np.float64)]),
    "small_arguments[float64]": (lambda x: [f(x) for f in (
        lax.expm1, lax.log1p, lax.sinh, lax.asinh, lax.atanh, lax.cosh, lax.tanh)],
        [_a([1e-300, -1e-20, 1e-10, -3e-6, 0.3, -0.7, 0.0, -0.0, 5, -30, 700, 710, -800, INF,
             -INF, NAN], np.float64)]),
    "pow[float64]": (lax.pow, [POW_X.astype(np.float64), POW_Y.astype(np.float64)]),
    "special_values[float64]": (lambda x: [lax.exp(x), lax.log(x), lax.sin(x), lax.erf(x),
                                           lax.tan(x), lax.atan2(x, x[::-1])],
                                [SPECIAL.astype(np.float64)]),
    "complex128": (lambda x, y: [lax.exp(x), lax.sqrt(x), lax.mul(x, y), lax.abs(y)],
                   [COMPLEX_X.astype(np.complex128), COMPLEX_Y.astype(np.complex128)]),
    "cumulative[uint64]": (lambda x: [lax.cummax(x, 0), lax.cumsum(x, 0, reverse=True)],
                           [_a([5, 2**63 + 7, 3, 2**64 - 1], U64)]),
    "argmax[int64]": (lambda x: lax.argmax(x, 0, I64), [_a([1, 2**40, 2**40], I64)]),
}

# IREE 3.13 computes float32 atan2 (and atan, asin, acos through it) with a polynomial
# approximation off by up to ~40 ulp.
LOOSE_FLOAT32 = {"atan", "atan2", "asin", "acos"}


# ---- compiling and running ----------------------------------------------------------

@functools.cache
def _compile(text: str, x64: bool) -> bytes:
    """The vmfb of a module (cached for the session)."""
    flags = CPU_FLAGS + (X64_FLAGS if x64 else ())
    return ireec.compile_str(text, extra_args=list(flags))


@functools.lru_cache(maxsize=1)
def _config():
    return ireert.Config("local-task")


def _run_compiled(fun, args) -> list:
    """`fun(*args)` traced, lowered, compiled and run by IREE: the flat outputs."""
    closed = irax.make_graph(fun)(*args)
    lowered = lower_graph(closed, "case")
    context = ireert.SystemContext(config=_config())
    vmfb = _compile(lowered.text, irax.config.enable_x64)
    context.add_vm_module(ireert.VmModule.copy_buffer(context.instance, vmfb))
    values = [*lowered.hoisted, *[np.asarray(c) for c in closed.consts], *args]
    inputs = [np.asarray(v, a.dtype) for v, a in zip(values, lowered.in_avals)]
    outs = context.modules[lowered.name]["main"](*inputs)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    return [np.asarray(o) for o in outs]


def _eager(fun, args) -> list:
    return [np.asarray(o) for o in irax.tree_util.tree_leaves(fun(*args))]


CASES_PER_PROGRAM = 24
"""Cases compiled together: one module per group (a module per case took minutes). A
group IREE cannot compile (all cases in one module once failed: an `scf.while` edge
with 8 operands for 10 inputs) falls back to a module per case of that group only."""


def _run_cases(cases: dict) -> dict:
    """name -> (compiled outputs, eager outputs), or the exception the case raised."""
    names = sorted(cases)
    results = {}
    for start in range(0, len(names), CASES_PER_PROGRAM):
        results.update(_run_group({n: cases[n] for n in names[start:start + CASES_PER_PROGRAM]}))
    return results


def _run_group(cases: dict) -> dict:
    names = list(cases)
    eager = {name: _eager(*cases[name]) for name in names}

    def all_cases(*flat):
        outs, rest = [], list(flat)
        for name in names:
            fun, args = cases[name]
            outs.append(fun(*rest[:len(args)]))
            del rest[:len(args)]
        return outs

    flat_args = [a for name in names for a in cases[name][1]]
    try:
        compiled = iter(_run_compiled(all_cases, flat_args))
        return {name: ([next(compiled) for _ in eager[name]], eager[name]) for name in names}
    except Exception:  # noqa: BLE001 - find out which cases fail, one module each
        results = {}
        for name in names:
            try:
                results[name] = (_run_compiled(*cases[name]), eager[name])
            except Exception as err:  # noqa: BLE001 - reported by the case's test
                results[name] = err
        return results


@functools.cache
def _results(suite: str, x64: bool) -> dict:
    assert irax.config.enable_x64 == x64, "run with the matching x64 setting"
    return _run_cases({"primitives": CASES, "edge": EDGE_CASES, "edge64": EDGE_CASES_X64}[suite])


def _check(name: str, outcome) -> None:
    """Same dtypes and shapes; integers and bools equal, floats within a few ulp."""
    if isinstance(outcome, Exception):
        raise outcome
    got, want = outcome
    assert len(got) == len(want), name
    for g, w in zip(got, want):
        assert (g.dtype, g.shape) == (w.dtype, w.shape), name
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(g, w, err_msg=name)
            continue
        eps = float(dtypes.finfo(dtypes.real_dtype(w.dtype)).eps)
        ulps = 50 if name.split("[")[0] in LOOSE_FLOAT32 else 10
        wide = np.result_type(w.dtype, F32)  # assert_allclose knows no bfloat16
        np.testing.assert_allclose(g.astype(wide), w.astype(wide), rtol=ulps * eps, atol=eps,
                                   equal_nan=True, err_msg=name)


# ---- tests --------------------------------------------------------------------------

def test_every_primitive_has_a_lowering_rule():
    missing = set(REGISTRY) - {p.name for p in LOWERING_RULES} - set(NOT_LOWERABLE)
    assert not missing, f"no lowering rule for {sorted(missing)}"
    assert set(CASES) >= set(REGISTRY) - set(NOT_LOWERABLE)


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive_matches_eager_float32(name):
    _check(name, _results("primitives", False)[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive_matches_eager_float64(name, x64):
    _check(name, _results("primitives", True)[name])


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_matches_eager(name):
    _check(name, _results("edge", False)[name])


@pytest.mark.parametrize("name", sorted(EDGE_CASES_X64))
def test_edge_case_matches_eager_x64(name, x64):
    _check(name, _results("edge64", True)[name])


def _line_of(marker: str) -> int:
    """The line of this file that holds `marker` (in a comment)."""
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if marker in line and "_line_of" not in line)


def test_module_signature_and_locations():
    captured = np.arange(3, dtype=I32)

    def f(x):
        return lax.mul(x, 2.0), lax.neg(captured), 7  # LOC-MARKER

    lowered = lower_graph(irax.make_graph(f)(np.ones(3, F32)), "my-fn.v2")
    assert lowered.name == "my_fn_v2"
    assert [str(a.dtype) for a in lowered.in_avals] == ["int32", "float32"]  # captured first
    assert [str(a.dtype) for a in lowered.out_avals] == ["float32", "int32", "int32"]
    text = lowered.text
    assert text.startswith("module @my_fn_v2 {")
    assert "func.func public @main(%0: tensor<3xi32>, %1: tensor<3xf32>)" in text
    assert re.search(r'"stablehlo.constant"\(\) \{value = dense<2.0> : tensor<f32>\}', text)
    assert f'loc("{__file__}":{_line_of("LOC-MARKER")}:0)' in text
    doubled, negated, seven = _run_compiled(f, [np.ones(3, F32)])
    np.testing.assert_array_equal(doubled, [2, 2, 2])
    np.testing.assert_array_equal(negated, [0, -1, -2])
    assert seven == 7


def test_custom_lin_is_rejected_with_a_clear_error():
    x = Var(ShapedArray((3,), F32))
    y = Var(x.aval)
    eqn = Eqn(REGISTRY["custom_lin"], [x], [y], {}, "user.py:12")
    with pytest.raises(LoweringError, match=r"user.py:12: cannot lower `custom_lin`.*custom_vjp"):
        lower_graph(Graph([], [x], [eqn], [y]))


def test_missing_rule_names_the_primitive_and_line(monkeypatch):
    monkeypatch.delitem(LOWERING_RULES, ew.tanh_p)
    graph = irax.make_graph(lambda x: lax.tanh(x))(np.ones(2, F32))  # NO-RULE-MARKER
    with pytest.raises(LoweringError, match=rf":{_line_of('NO-RULE-MARKER')}: cannot lower "
                                            r"`tanh` to StableHLO: no lowering rule"):
        lower_graph(graph)


def test_invalid_stablehlo_names_the_equation(monkeypatch):
    def broken_neg(b, x):  # a transpose with an invalid permutation
        return b.emit("stablehlo.transpose", x, attrs={"permutation": i64_array([0, 0])})

    monkeypatch.setitem(LOWERING_RULES, ew.neg_p, broken_neg)
    graph = irax.make_graph(lambda x: lax.neg(x))(np.ones((2, 2), F32))  # BROKEN-MARKER
    with pytest.raises(LoweringError) as info:
        lower_graph(graph)
    message = str(info.value)
    assert f"{__file__}:{_line_of('BROKEN-MARKER')}" in message
    assert "`neg`" in message and "stablehlo.transpose" in message


def test_rule_with_wrong_result_type_names_the_equation(monkeypatch):
    monkeypatch.setitem(LOWERING_RULES, ew.sin_p, lambda b, x: b.convert(x, I32))
    graph = irax.make_graph(lambda x: lax.sin(x))(np.ones(2, F32))  # WRONG-TYPE-MARKER
    with pytest.raises(LoweringError, match=rf"{_line_of('WRONG-TYPE-MARKER')}: the lowering "
                                            r"of `sin` produced tensor<2xi32>"):
        lower_graph(graph)


def test_iree_compile_error_points_at_the_users_line(monkeypatch):
    def unknown_custom_call(b, x):
        return b.emit("stablehlo.custom_call", x,
                      attrs={"call_target_name": '"irax_no_such_target"'})

    monkeypatch.setitem(LOWERING_RULES, ew.exp_p, unknown_custom_call)
    graph = irax.make_graph(lambda x: lax.exp(x))(np.ones(2, F32))  # COMPILE-ERROR-MARKER
    text = lower_graph(graph).text
    with pytest.raises(ireec.CompilerToolError) as info:
        ireec.compile_str(text, extra_args=list(CPU_FLAGS))
    assert f"{__file__}:{_line_of('COMPILE-ERROR-MARKER')}:0: error" in str(info.value)


# ---- workarounds for IREE 3.13 defects (docs/iree_defects.md) -------------------------

_COMPLEX_UPDATES = {  # name -> (function of z, u, i; its NumPy oracle)
    "set": (lambda z, u, i: z.at[i].set(u), lambda z, u, i: _np_set(z, u, i)),
    "add": (lambda z, u, i: z.at[i].add(u), lambda z, u, i: _np_at(np.add, z, u, i)),
    "multiply": (lambda z, u, i: z.at[i].multiply(u),
                 lambda z, u, i: _np_at(np.multiply, z, u, i)),
    "set_slice": (lambda z, u, i: z.at[1:3].set(u[:2]), lambda z, u, i: _np_slice(z, u)),
}


def _np_set(z, u, i):
    out = z.copy()
    for k, v in zip(i, u):  # in bounds, the last write wins, as in irax's eager set
        if 0 <= k < len(z):
            out[k] = v
    return out


def _np_at(ufunc, z, u, i):
    out = z.copy()
    keep = (0 <= i) & (i < len(z))  # out-of-bounds updates are dropped
    ufunc.at(out, i[keep], u[keep])
    return out


def _np_slice(z, u):
    out = z.copy()
    out[1:3] = u[:2]
    return out


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name", sorted(_COMPLEX_UPDATES))
def test_complex_scatter_pads_real_parts(request, name, dtype):
    """IREE segfaults compiling a stablehlo.pad of complex numbers, which scatters use
    to drop out-of-bounds updates; irax pads the real and imaginary parts."""
    if dtype == "complex128":
        request.getfixturevalue("x64")
    fun, oracle = _COMPLEX_UPDATES[name]
    rng = np.random.RandomState(3)
    z = (rng.standard_normal(5) + 1j * rng.standard_normal(5)).astype(dtype)
    u = (rng.standard_normal(5) - 1j * rng.standard_normal(5)).astype(dtype)
    i = np.array([3, 0, 3, 9, 4], np.int32)  # a repeated index and one out of bounds
    jitted = irax.jit(fun)
    text = jitted.lower(z, u, i).as_text()
    pads = [line for line in text.splitlines() if '"stablehlo.pad"' in line]
    assert not any("complex" in line for line in pads), text
    out = np.asarray(jitted(z, u, i))
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, oracle(z, u, i), rtol=8 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fun", ["sin", "tan"])
def test_sin_and_tan_are_odd_near_zero(request, fun, dtype):
    """IREE's float32 sin/tan are wrong for small negative x; irax computes f(|x|) with
    x's sign.  Oracle: NumPy in float64, rounded to `dtype`."""
    if dtype == "float64":
        request.getfixturevalue("x64")
    x = np.array([-0.0, 0.0, -1e-30, 1e-30, -1e-20, -1e-7, -1e-5, -3e-3, -0.25, -0.7, -1.2,
                  1e-5, 0.7], dtype)
    out = np.asarray(irax.jit(getattr(irax.numpy, fun))(x))
    want = getattr(np, fun)(x.astype(np.float64)).astype(dtype)
    np.testing.assert_allclose(out, want, rtol=4 * np.finfo(dtype).eps, atol=0)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(x))


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "bool", "int8"])
def test_reverse_of_unsigned_and_small_integers(dtype):
    """IREE compiles no stablehlo.reverse of unsigned integers; irax reverses their bits
    as signed integers."""
    x = (np.arange(12).reshape(3, 4) * 37 % 11).astype(dtype)
    x[0, 0] = np.iinfo(dtype).max if dtype != "bool" else True
    out = irax.jit(lambda x: (x[::-1, ::-1], x[:, ::-1], irax.numpy.flip(x, 0)))(x)
    for got, want in zip(out, (x[::-1, ::-1], x[:, ::-1], x[::-1])):
        assert np.asarray(got).dtype == x.dtype
        np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_pad_lowers_as_real_pads(request, dtype):
    """IREE segfaults compiling a stablehlo.pad of complex numbers (the crash behind
    complex scatters); irax pads the real and imaginary parts."""
    if dtype == "complex128":
        request.getfixturevalue("x64")
    z = (np.arange(6).reshape(2, 3) + 1j * np.arange(6, 0, -1).reshape(2, 3)).astype(dtype)
    pad = lambda z: irax.numpy.pad(z, ((1, 0), (0, 2)), constant_values=2 - 1j)
    text = irax.jit(pad).lower(z).as_text()
    pads = [line for line in text.splitlines() if '"stablehlo.pad"' in line]
    assert pads and not any("complex" in line for line in pads), text
    out = np.asarray(irax.jit(pad)(z))
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, np.pad(z, ((1, 0), (0, 2)), constant_values=2 - 1j))


def test_constant_sort_operands_are_hoisted_to_arguments():
    """IREE 3.13 sorts in place and miscompiles sorts of compile-time constants used
    twice (docs/iree_defects.md 1, 2): argsort's iota and the stability iota are passed
    to the program as arguments; results must match NumPy in programs that mix them."""
    x = np.array([3, -1, 2, 0, 5], np.int32)
    f = irax.jit(lambda x: (jnp.argsort(x), jnp.argsort(-x)))
    lowered = f.lower(x)
    assert "stablehlo.iota" not in lowered.as_text()
    got = f(x)
    np.testing.assert_array_equal(np.asarray(got[0]), np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(np.asarray(got[1]), np.argsort(-x, kind="stable"))
    rs = np.random.RandomState(0)
    y = np.stack([rs.permutation(12) for _ in range(3)]).astype(np.int32)
    v = rs.standard_normal(3).astype(np.float32)

    def mixed(y, v):
        i = jnp.arange(12)
        return (i * 2 + 1, jnp.argsort(y, axis=1), jnp.argsort(-y, axis=0), i,
                jnp.zeros(12).at[jnp.argsort(y[0])[:3]].set(v), jnp.lexsort((y[0], y[1])))
    want = mixed(y, v)
    for g, w in zip(irax.jit(mixed)(y, v), want):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def _trig_platforms():
    return ["cpu"] + (["vulkan"] if any(d.platform == "vulkan" for d in irax.devices()) else [])


@pytest.mark.parametrize("platform", _trig_platforms())
def test_float32_sin_cos_tan_reduce_large_arguments_exactly(private_cache_dir, platform):
    """sin, cos and tan of float32 within a few ulp of the exact value (NumPy in
    float64) from 1e-3 to 1e38: IREE's own reduction was off by 1e5 ulp near 100 and
    gave -inf beyond 1e10 (docs/iree_defects.md, 4.)."""
    device = irax.devices(platform)[0]
    fun = irax.jit(lambda x: (jnp.sin(x), jnp.cos(x), jnp.tan(x)), device=device)
    for seed in (0, 1):
        rng = np.random.RandomState(seed)
        x = np.concatenate([rng.uniform(1, 10, 50) * 10.0**d for d in range(-3, 38)]
                           + [[np.pi, 100.0, 700.0, 1e30, 16367173 * 2.0**72]])
        x = (x * rng.choice([-1, 1], x.size)).astype(F32)
        got = fun(irax.device_put(jnp.asarray(x), device))
        for g, np_fun, bound in zip(got, (np.sin, np.cos, np.tan), (3.0, 3.0, 4.5)):
            want = np_fun(x.astype(np.float64))
            ulps = np.abs(np.asarray(g) - want) / np.spacing(np.abs(want).astype(F32))
            assert ulps.max() <= bound, (np_fun.__name__, x[np.argmax(ulps)], ulps.max())
    special = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan], F32)
    sin, cos, tan = (np.asarray(v) for v in fun(irax.device_put(jnp.asarray(special), device)))
    np.testing.assert_array_equal(np.signbit(sin[:2]), [True, False])
    np.testing.assert_array_equal(cos[:2], [1, 1])
    assert np.isnan(sin[2:]).all() and np.isnan(cos[2:]).all() and np.isnan(tan[2:]).all()


@pytest.mark.parametrize("platform", _trig_platforms())
def test_float32_atan2_and_exp2_are_within_a_few_ulp_with_c_special_values(
        private_cache_dir, platform):
    """IREE's float32 atan2 was off by ~35 ulp and NaN at (±0, ±0) and (±inf, ±inf);
    its exp2 (exp(x ln 2)) made 2 ** 100 inexact (mlir_lowering/precise_math.py)."""
    device = irax.devices(platform)[0]
    fun = irax.jit(lambda y, x: (jnp.arctan2(y, x), jnp.exp2(x)), device=device)
    for seed in (0, 1):
        rng = np.random.RandomState(seed)
        y = (rng.randn(4000) * np.exp(rng.randn(4000) * 5)).astype(F32)
        x = (rng.randn(4000) * np.exp(rng.randn(4000) * 2)).astype(F32)
        atan2, exp2 = (np.asarray(v, np.float64) for v in fun(
            irax.device_put(jnp.asarray(y), device), irax.device_put(jnp.asarray(x), device)))
        want = np.arctan2(y.astype(np.float64), x.astype(np.float64))
        ulps = np.abs(atan2 - want) / np.spacing(np.abs(want).astype(F32))
        assert ulps.max() <= 3, (y[np.argmax(ulps)], x[np.argmax(ulps)], ulps.max())
        want = np.exp2(x.astype(np.float64))
        normal = (want > np.finfo(F32).tiny) & (want < np.finfo(F32).max)
        ulps = np.abs(exp2 - want)[normal] / np.spacing(want.astype(F32))[normal]
        assert ulps.max() <= 2, ulps.max()
    zero, inf = np.float32(0), np.float32(np.inf)
    ys = np.array([zero, -zero, zero, -zero, inf, -inf, inf, -inf, 1, -1, -zero, np.nan], F32)
    xs = np.array([zero, zero, -zero, -zero, inf, inf, -inf, -inf, -inf, -inf, -1, 1], F32)
    atan2, _ = (np.asarray(v) for v in fun(irax.device_put(jnp.asarray(ys), device),
                                           irax.device_put(jnp.asarray(xs), device)))
    want = np.arctan2(ys, xs)
    np.testing.assert_allclose(atan2, want, rtol=1e-7)
    np.testing.assert_array_equal(np.signbit(atan2[:-1]), np.signbit(want[:-1]))
    powers = np.array([100, -100, 127, -126, 0, 1, np.inf, -np.inf, 300, -300, np.nan], F32)
    _, exp2 = (np.asarray(v) for v in fun(irax.device_put(jnp.asarray(powers), device),
                                          irax.device_put(jnp.asarray(powers), device)))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(exp2, np.exp2(powers.astype(np.float64)).astype(F32))


@pytest.mark.parametrize("dtype", [F32, np.float64])
def test_power_is_within_two_ulp(private_cache_dir, request, dtype):
    """pow carries log a and y log a in two words: IREE's exp(y log a) lost
    ~log2|y log a| bits (2 ** 100 was 1.2676533e30 in float32, 100 ** 100 off by 2e-14
    in float64)."""
    if dtype == np.float64:
        request.getfixturevalue("x64")
    fun = irax.jit(jnp.power)
    for seed in (0, 1):
        rng = np.random.RandomState(seed)
        x = np.concatenate([np.exp(rng.uniform(-20, 20, 3000)), [2, 100, 10, 1 + 2e-7]])
        y = np.concatenate([rng.uniform(-15, 15, 3000), [100, 100 if dtype == F32 else 150,
                                                          -30, 1e6]])
        x, y = x.astype(dtype), y.astype(dtype)
        got = np.asarray(fun(x, y)).astype(np.float64)
        with np.errstate(over="ignore", under="ignore"):
            want = np.power(x.astype(np.float64), y.astype(np.float64))
        if dtype == np.float64:  # NumPy's float64 pow is the reference (libm, < 1 ulp)
            want = np.power(x, y)
        normal = (want > np.finfo(dtype).tiny) & (want < np.finfo(dtype).max)
        ulps = np.abs(got - want)[normal] / np.spacing(want[normal].astype(dtype))
        assert ulps.max() <= 2.5, (x[normal][np.argmax(ulps)], y[normal][np.argmax(ulps)],
                                   ulps.max())
    assert fun(dtype(2), dtype(100)) == dtype(2.0 ** 100)


@pytest.mark.parametrize("dtype", [F32, np.float64])
def test_power_of_a_literal_base_is_within_two_ulp(private_cache_dir, request, dtype):
    """A base fixed by the program (`0.9 ** i`) has its logarithm computed by the
    lowering in extended precision (IREE folded the log at compile time, 5x slower:
    docs/iree_defects.md 19); the same accuracy, special bases included."""
    if dtype == np.float64:
        request.getfixturevalue("x64")
    y = np.concatenate([np.random.RandomState(3).uniform(-60, 60, 2000),
                        [0, 1, -1, 2.5, 3, np.inf, -np.inf, np.nan]]).astype(dtype)
    bases = (0.9, 1e-3, 7.0, 2.0, 1.0, 0.0, -2.0, np.inf, 1e-30)
    powers = lambda y: tuple(dtype(base) ** y for base in bases)  # one program: literals
    assert str(irax.make_graph(powers)(y[:1])).count("pow ") == len(bases)
    compiled = irax.jit(powers)
    first = compiled(y[::-1])  # a second call with other inputs: the cached program
    for base, got, again in zip(bases, compiled(y), first):
        np.testing.assert_array_equal(np.asarray(again)[::-1], np.asarray(got))
        got = np.asarray(got).astype(np.float64)
        with np.errstate(all="ignore"):
            want = np.power(np.longdouble(dtype(base)), y.astype(np.longdouble))
        normal = np.isfinite(want) & (np.abs(want) > np.finfo(dtype).tiny) & (
            np.abs(want) < np.finfo(dtype).max)
        ulps = np.abs(got[normal] - want[normal]) / np.spacing(
            np.abs(want[normal]).astype(dtype))
        assert ulps.max(initial=0) <= 2.5, (base, ulps.max())
        with np.errstate(all="ignore"):
            numpy = np.power(dtype(base), y).astype(np.float64)
        subnormal = (numpy != 0) & (np.abs(numpy) < np.finfo(dtype).tiny)  # may flush to 0
        edge = ~normal & ~subnormal
        np.testing.assert_array_equal(got[edge], numpy[edge], err_msg=str(base))
        assert np.all((got[subnormal] == 0) | (got[subnormal] == numpy[subnormal]))


def test_power_special_values_follow_c(private_cache_dir):
    """C's pow at the edges: (-inf) ** 0.5 is inf, (-2) ** inf is inf, (-0.5) ** inf
    is 0, (-1) ** nan is NaN (the lowering gave NaN, -inf, -0.0 and 1)."""
    x = np.array([-np.inf, -np.inf, -np.inf, -2, -0.5, -2, -0.5, -1, 1, -1, -1, -8], F32)
    y = np.array([0.5, -0.5, 3, np.inf, np.inf, -np.inf, -np.inf, np.nan, np.nan, np.inf, 3,
                  1 / 3], F32)
    got = np.asarray(irax.jit(jnp.power)(x, y))
    with np.errstate(invalid="ignore"):
        want = np.power(x, y)
    np.testing.assert_array_equal(got, want)
    finite = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[finite]), np.signbit(want[finite]))


def test_sort_of_a_returned_argument_leaves_it_unsorted(private_cache_dir):
    """IREE 3.13 sorted an argument in place when the program also returned it (or a
    reshape of it): `jit(lambda x: (x, jnp.sort(x)))` gave x sorted (found by
    tests/test_program_fuzzer.py; docs/iree_defects.md, 11.)."""
    fun = irax.jit(lambda x, m: (x, jnp.maximum(x, x), x.reshape(2, 2), jnp.sort(x),
                                 jnp.argsort(x), m, jnp.sort(m)))
    for seed in (0, 1):
        rng = np.random.RandomState(seed)
        x = rng.permutation(4).astype(np.int8) - 2
        m = rng.rand(4) > 0.5
        got = [np.asarray(v) for v in fun(x, m)]
        for g, w in zip(got, (x, x, x.reshape(2, 2), np.sort(x), np.argsort(x, kind="stable"),
                              m, np.sort(m))):
            np.testing.assert_array_equal(g, w)


def test_complex_scalar_pad_by_nothing_runs(private_cache_dir):
    """A complex scalar padded by nothing next to -exp(z) and a select ran into an IREE
    runtime error (found by tests/test_program_fuzzer.py; docs/iree_defects.md, 12.)."""
    one = jnp.asarray(np.complex64(1))

    def fun(z):
        n = -jnp.exp(z)
        return n, lax.pad(n, one, []), jnp.where(jnp.exp(z) != 0, jnp.exp(z), 0j - n)

    compiled = irax.jit(fun)
    for z in (1 + 2j, -0.5 + 0.25j):
        z = jnp.asarray(np.complex64(z))
        for got, want in zip(compiled(z), fun(z)):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def test_bfloat16_results_are_rounded_to_bfloat16(private_cache_dir):
    """Each bfloat16 operation rounds its result, as ml_dtypes (NumPy) does: IREE kept
    fused bfloat16 intermediates in float32 precision (found by
    tests/test_program_fuzzer.py; docs/iree_defects.md, 13.)."""
    bf16 = ml_dtypes.bfloat16

    def fun(x, t):
        square = x * x
        return (square.astype(np.float32), square - t, square == t, jnp.sin(x).astype(F32),
                jnp.dot(x, x).astype(np.int32))

    compiled = irax.jit(fun)
    for values in ([1.3837, 0.7, -2.2], [1.1, 3.3, 0.1]):
        x = jnp.asarray(np.array(values, bf16))
        t = x * x
        for got, want in zip(compiled(x, t), fun(x, t)):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32"])
def test_signed_zeros_of_max_min_and_sign_agree_eagerly_and_compiled(private_cache_dir, dtype):
    """-0.0 < +0.0 for maximum and minimum, and sign(-0.0) is -0.0, in eager mode as in
    compiled code (IEEE 754, StableHLO, JAX); NumPy's own maximum returns its second
    operand on ties."""
    x = jnp.array([0.0, -0.0, -0.0, 0.0], dtype)
    y = jnp.array([-0.0, 0.0, -0.0, 0.0], dtype)
    for fun, negative in ((jnp.maximum, [False, False, True, False]),
                          (jnp.minimum, [True, True, True, False])):
        compiled = irax.jit(fun)  # called twice: the ordering is symmetric
        for how, result in (("eager", fun(x, y)), ("jit", compiled(x, y)),
                            ("jit, swapped", compiled(y, x))):
            np.testing.assert_array_equal(np.signbit(np.asarray(result, F32)), negative,
                                          err_msg=f"{how} {fun.__name__} {dtype}")
    for result in (jnp.sign(x), irax.jit(jnp.sign)(x)):
        np.testing.assert_array_equal(np.signbit(np.asarray(result, F32)), np.signbit(
            np.asarray(x, F32)))
