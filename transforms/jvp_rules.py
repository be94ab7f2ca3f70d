"""JVP rules, one per primitive: how a tangent flows through each operation.

Conventions at kinks follow JAX: d|x|/dx at 0 is 1, max/min split ties evenly,
d sqrt(x)/dx at 0 is inf, sign/floor/ceil/round have zero derivative.
"""
import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import linalg as la
from irax.core.primitives import reductions as red
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl
from irax.core.trace import get_aval

from .ad import JVP_RULES, Zero, add_tangents, instantiate, tangent_aval

L = ew.LAX_FUNCTIONS
# Rules combine tensors of one dtype (constants come from `const`): bind directly.
add, sub, mul, div, neg = (p.bind for p in (ew.add_p, ew.sub_p, ew.mul_p, ew.div_p,
                                            ew.neg_p))


def const(x, value):
    """A scalar of x's dtype (rank 0: elementwise primitives broadcast it)."""
    return ArrayImpl(np.array(value, x.dtype))


def _fit(t, shape):
    """Broadcasts a rank-0 tangent contribution to the output shape."""
    return t if t.shape == shape else st.broadcast_in_dim(t, shape, ())


def defjvp(prim, *partials):
    """JVP from per-operand partials `partial(t, *primals, **params)` (None: not linear)."""
    defjvp2(prim, *[None if partial is None else _ignoring_ans(partial)
                    for partial in partials])


def _ignoring_ans(partial):
    """A defjvp partial as a defjvp2 one, which is also given the primal output."""
    return lambda t, ans, *primals, **params: partial(t, *primals, **params)


def defjvp2(prim, *partials):
    """Like defjvp, with the primal output: `partial(t, ans, *primals, **params)`."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        shape = out.shape
        total = None
        for partial, t in zip(partials, tangents):
            if partial is not None and type(t) is not Zero:
                term = _fit(partial(t, out, *primals, **params), shape)
                total = term if total is None else add_tangents(total, term)
        return out, Zero(tangent_aval(out.aval)) if total is None else total
    JVP_RULES[prim] = rule


def deflinear(prim):
    """A primitive linear in all operands: its JVP applies it to the tangents."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if all(type(t) is Zero for t in tangents):
            zero = [Zero(tangent_aval(get_aval(o))) for o in out] if prim.multiple_results \
                else Zero(tangent_aval(get_aval(out)))
            return out, zero
        return out, prim.bind(*[instantiate(t) for t in tangents], **params)
    JVP_RULES[prim] = rule


def defzero(prim):
    """A primitive whose output is piecewise constant (or integer): zero tangent."""
    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(get_aval(o))) for o in out]
        return out, Zero(tangent_aval(get_aval(out)))
    JVP_RULES[prim] = rule


def _balanced_eq(x, z, y):
    """1 where x == z (and not y == z), 1/2 where both tie, 0 elsewhere (JAX's max/min)."""
    shape = get_aval(z).shape
    ones, zeros, twos = (_fit(const(z, v), shape) for v in (1, 0, 2))
    return div(ew.select(L["eq"](x, z), ones, zeros), ew.select(L["eq"](y, z), twos, ones))


def _replace_zero(x):
    return ew.select(L["eq"](x, const(x, 0)), _fit(const(x, 1), get_aval(x).shape), x)


# ---- elementwise ------------------------------------------------------------------
deflinear(ew.neg_p)
for _p in (ew.sign_p, ew.floor_p, ew.ceil_p, ew.round_nearest_even_p, ew.round_away_p,
           ew.is_finite_p, ew.not_p, ew.and_p, ew.or_p, ew.xor_p, ew.shift_left_p,
           ew.shift_right_logical_p, ew.shift_right_arithmetic_p, ew.eq_p, ew.ne_p, ew.lt_p,
           ew.le_p, ew.gt_p, ew.ge_p, ew.bitcast_convert_type_p, ew.stop_gradient_p,
           st.iota_p, red.argmax_p, red.argmin_p):
    defzero(_p)

defjvp2(ew.exp_p, lambda t, ans, x: mul(t, ans))
defjvp2(ew.exp2_p, lambda t, ans, x: mul(t, mul(ans, const(x, np.log(2)))))
defjvp(ew.log_p, lambda t, x: div(t, x))
defjvp2(ew.expm1_p, lambda t, ans, x: mul(t, add(ans, const(x, 1))))
defjvp(ew.log1p_p, lambda t, x: div(t, add(x, const(x, 1))))
defjvp2(ew.tanh_p, lambda t, ans, x: mul(t, sub(const(x, 1), mul(ans, ans))))
defjvp2(ew.logistic_p, lambda t, ans, x: mul(t, mul(ans, sub(const(x, 1), ans))))
defjvp(ew.sin_p, lambda t, x: mul(t, L["cos"](x)))
defjvp(ew.cos_p, lambda t, x: neg(mul(t, L["sin"](x))))
defjvp2(ew.tan_p, lambda t, ans, x: mul(t, add(const(x, 1), mul(ans, ans))))
defjvp(ew.asin_p, lambda t, x: mul(t, L["rsqrt"](sub(const(x, 1), mul(x, x)))))
defjvp(ew.acos_p, lambda t, x: neg(mul(t, L["rsqrt"](sub(const(x, 1), mul(x, x))))))
defjvp(ew.atan_p, lambda t, x: div(t, add(const(x, 1), mul(x, x))))
defjvp(ew.sinh_p, lambda t, x: mul(t, L["cosh"](x)))
defjvp(ew.cosh_p, lambda t, x: mul(t, L["sinh"](x)))
defjvp(ew.asinh_p, lambda t, x: mul(t, L["rsqrt"](add(mul(x, x), const(x, 1)))))
defjvp(ew.acosh_p, lambda t, x: mul(t, L["rsqrt"](mul(sub(x, const(x, 1)),
                                                     add(x, const(x, 1))))))
defjvp(ew.atanh_p, lambda t, x: div(div(t, sub(const(x, 1), x)), add(const(x, 1), x)))
defjvp2(ew.sqrt_p, lambda t, ans, x: mul(t, div(const(x, 0.5), ans)))
defjvp2(ew.rsqrt_p, lambda t, ans, x: mul(t, mul(const(x, -0.5), div(ans, x))))
defjvp2(ew.cbrt_p, lambda t, ans, x: mul(t, mul(const(x, 1 / 3), ew.integer_pow(ans, -2))))
defjvp(ew.erf_p, lambda t, x: mul(t, mul(const(x, 2 / np.sqrt(np.pi)),
                                         L["exp"](neg(mul(x, x))))))
defjvp2(ew.erf_inv_p, lambda t, ans, x: mul(t, mul(const(x, np.sqrt(np.pi) / 2),
                                                   L["exp"](mul(ans, ans)))))


def _abs_partial(t, ans, x):
    if dtypes.is_complex(get_aval(x).dtype):
        return L["real"](mul(t, div(L["conj"](x), _replace_zero(
            ew.convert_element_type(ans, get_aval(x).dtype)))))
    return ew.select(L["ge"](x, const(x, 0)), t, neg(t))


defjvp2(ew.abs_p, _abs_partial)
deflinear(ew.real_p)
deflinear(ew.imag_p)
deflinear(ew.conj_p)
deflinear(ew.complex_p)
defjvp(ew.add_p, lambda t, x, y: t, lambda t, x, y: t)
defjvp(ew.sub_p, lambda t, x, y: t, lambda t, x, y: neg(t))
defjvp(ew.mul_p, lambda t, x, y: mul(t, y), lambda t, x, y: mul(x, t))
defjvp(ew.div_p, lambda t, x, y: div(t, y),
       lambda t, x, y: mul(neg(t), div(x, mul(y, y))))
defjvp(ew.rem_p, lambda t, x, y: t,
       lambda t, x, y: mul(neg(t), mul(L["sign"](div(x, y)), L["floor"](L["abs"](div(x, y))))))


def _pow_base(t, ans, x, y):
    """y * x**(y-1), and 0 where y == 0 (JAX's convention, also at x == 0)."""
    shape = get_aval(ans).shape
    jac = ew.select(L["eq"](y, const(y, 0)), _fit(const(x, 0), shape),
                    mul(y, L["pow"](x, sub(y, const(y, 1)))))
    return mul(t, jac)


def _pow_exponent(t, ans, x, y):
    """log(x) * x**y, with log(0) read as 0 (JAX's convention)."""
    return mul(t, mul(L["log"](_replace_zero(x)), ans))


defjvp2(ew.pow_p, _pow_base, _pow_exponent)
defjvp2(ew.max_p, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)),
        lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)))
defjvp2(ew.min_p, lambda t, ans, x, y: mul(t, _balanced_eq(x, ans, y)),
        lambda t, ans, x, y: mul(t, _balanced_eq(y, ans, x)))
defjvp(ew.atan2_p, lambda t, x, y: mul(t, div(y, add(mul(x, x), mul(y, y)))),
       lambda t, x, y: mul(neg(t), div(x, add(mul(x, x), mul(y, y)))))
defjvp(ew.integer_pow_p, lambda t, x, *, y: (
    mul(t, const(x, 0)) if y == 0 else mul(t, mul(const(x, y), ew.integer_pow(x, y - 1)))))


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = ew.select_n_p.bind(which, *cases)
    case_tangents = tangents[1:]
    if all(type(t) is Zero for t in case_tangents):
        return out, Zero(tangent_aval(get_aval(out)))
    shape = get_aval(out).shape
    return out, ew.select_n_p.bind(which, *[_fit(instantiate(t), shape)
                                            for t in case_tangents])


JVP_RULES[ew.select_n_p] = _select_n_jvp
defjvp(ew.clamp_p,
       lambda t, lo, x, hi: ew.select(L["gt"](lo, x), _fit(t, get_aval(x).shape),
                                      L["mul"](_fit(t, get_aval(x).shape), const(x, 0))),
       lambda t, lo, x, hi: ew.select(L["and"](L["ge"](x, lo), L["le"](x, hi)), t,
                                      mul(t, const(x, 0))),
       lambda t, lo, x, hi: ew.select(L["lt"](hi, x), _fit(t, get_aval(x).shape),
                                      L["mul"](_fit(t, get_aval(x).shape), const(x, 0))))


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = ew.convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or not dtypes.is_inexact(new_dtype):
        return out, Zero(tangent_aval(get_aval(out)))
    return out, ew.convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


JVP_RULES[ew.convert_element_type_p] = _convert_jvp

# ---- structural ---------------------------------------------------------------------
for _p in (st.broadcast_in_dim_p, st.reshape_p, st.transpose_p, st.rev_p, st.slice_p,
           st.concatenate_p, st.pad_p, red.reduce_sum_p, red.cumsum_p):
    deflinear(_p)


def _dynamic_slice_jvp(primals, tangents, *, slice_sizes):
    x, *idx = primals
    out = st.dynamic_slice_p.bind(x, *idx, slice_sizes=slice_sizes)
    if type(tangents[0]) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, st.dynamic_slice_p.bind(tangents[0], *idx, slice_sizes=slice_sizes)


def _dynamic_update_slice_jvp(primals, tangents):
    x, update, *idx = primals
    out = st.dynamic_update_slice_p.bind(x, update, *idx)
    tx, tu = tangents[0], tangents[1]
    if type(tx) is Zero and type(tu) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    return out, st.dynamic_update_slice_p.bind(instantiate(tx), instantiate(tu), *idx)


JVP_RULES[st.dynamic_slice_p] = _dynamic_slice_jvp
JVP_RULES[st.dynamic_update_slice_p] = _dynamic_update_slice_jvp

# ---- reductions ---------------------------------------------------------------------


def _reduce_chooser_partial(t, ans, x, *, axes):
    """max/min: the tangent at the chosen elements, averaged over ties (JAX's rule)."""
    shape = get_aval(x).shape
    kept = [i for i in range(len(shape)) if i not in axes]
    location = L["eq"](x, st.broadcast_in_dim(ans, shape, kept))
    mask = ew.convert_element_type(location, get_aval(t).dtype)
    counts = red.reduce_sum(mask, axes)
    return div(red.reduce_sum(mul(t, mask), axes), counts)


defjvp2(red.reduce_max_p, _reduce_chooser_partial)
defjvp2(red.reduce_min_p, _reduce_chooser_partial)


def _reduce_prod_jvp(primals, tangents, *, axes):
    """Differentiates a pairwise product tree (exact at zeros, as JAX does)."""
    from .ad import jvp_flat
    (x,), (t,) = primals, tangents
    out = red.reduce_prod_p.bind(x, axes=axes)
    if type(t) is Zero:
        return out, Zero(tangent_aval(get_aval(out)))
    _, (t_out,) = jvp_flat(lambda v: [product_tree(v, axes)], [x], [t])
    return out, t_out


def product_tree(x, axes):
    """reduce_prod as a tree of pairwise multiplications (differentiable everywhere)."""
    shape = get_aval(x).shape
    kept = [i for i in range(len(shape)) if i not in axes]
    x = st.transpose(x, list(axes) + kept)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    rest = [shape[i] for i in kept]
    x = st.reshape(x, [n] + rest)
    while n > 1:
        if n % 2:
            one = st.broadcast_in_dim(const(x, 1), [1] + rest, ())
            x = st.concatenate([x, one], 0)
            n += 1
        x = mul(st.slice(x, [0] * (len(rest) + 1), [n] + rest, [2] + [1] * len(rest)),
                st.slice(x, [1] + [0] * len(rest), [n] + rest, [2] + [1] * len(rest)))
        n //= 2
    if n == 0:
        return st.broadcast_in_dim(const(x, 1), rest, ())
    return st.reshape(x, rest)


JVP_RULES[red.reduce_prod_p] = _reduce_prod_jvp
for _p in (red.reduce_and_p, red.reduce_or_p):
    defzero(_p)


def _cumulative_jvp(combine):
    def rule(primals, tangents, *, axis, reverse):
        from irax.core.primitives.scan_ops import associative_scan

        from .ad import jvp_flat
        (x,), (t,) = primals, tangents
        prim = {"mul": red.cumprod_p, "max": red.cummax_p, "min": red.cummin_p}[combine]
        out = prim.bind(x, axis=axis, reverse=reverse)
        if type(t) is Zero:
            return out, Zero(tangent_aval(get_aval(out)))
        _, (t_out,) = jvp_flat(lambda v: [associative_scan(L[combine], v, reverse=reverse,
                                                           axis=axis)], [x], [t])
        return out, t_out
    return rule


JVP_RULES[red.cumprod_p] = _cumulative_jvp("mul")
JVP_RULES[red.cummax_p] = _cumulative_jvp("max")
JVP_RULES[red.cummin_p] = _cumulative_jvp("min")

# ---- contraction --------------------------------------------------------------------
defjvp(la.dot_general_p,
       lambda t, x, y, **params: la.dot_general_p.bind(t, y, **params),
       lambda t, x, y, **params: la.dot_general_p.bind(x, t, **params))
