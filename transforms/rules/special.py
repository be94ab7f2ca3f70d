"""JVP, transpose and batching rules of the special-function primitives
(core/primitives/special.py).

Derivatives are JAX's: lgamma' = digamma, digamma' = polygamma(1, .), igamma and
igammac with respect to `x` in closed form and to `a` through `igamma_grad_a`, betainc
with respect to `x` in closed form, i0e' = i1e - sign(x) i0e, i1e' from the recurrence
(1/2 at 0), erfc' = -2/sqrt(pi) exp(-x^2), zeta with respect to `q` as
-x zeta(x + 1, q); igamma_grad_a and random_gamma_grad in `x` in closed form.  As in
JAX, polygamma is not differentiable in its order, betainc not in `a` and `b`, zeta not
in `x`, igamma_grad_a and random_gamma_grad not in `a` (JAX has no second derivative
in `a`): those JVPs raise when such a tangent is nonzero.  None is linear, so none has
a transpose rule.  Batching is elementwise batching.
"""
import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import special as sp
from irax.core.trace import get_aval
from irax.transforms.batching import BATCH_RULES

from .elementwise import align_elementwise
from .helpers import const, defjvp, defjvp2, fit

# Rules combine tensors of one dtype (constants come from `const`): bind directly.
add, sub, mul, div, neg = (p.bind for p in (ew.add_p, ew.sub_p, ew.mul_p, ew.div_p,
                                            ew.neg_p))


def _log_gamma_density(a, x):
    """log(x^(a-1) e^-x / Γ(a)): the log of dP(a, x)/dx."""
    return sub(sub(mul(sub(a, const(a, 1)), ew.log(x)), x), sp.lgamma_p.bind(a))


def _igamma_dx(t, a, x):
    return mul(t, ew.exp(_log_gamma_density(a, x)))


def _betainc_dx(t, a, b, x):
    """x^(a-1) (1-x)^(b-1) / B(a, b)."""
    log_beta = sub(add(sp.lgamma_p.bind(a), sp.lgamma_p.bind(b)), sp.lgamma_p.bind(add(a, b)))
    one = const(x, 1)
    return mul(t, ew.exp(sub(add(mul(sub(b, one), ew.log1p(neg(x))),
                                 mul(sub(a, one), ew.log(x))), log_beta)))


def _i1e_dx(t, ans, x):
    """i0e(x) - i1e(x) (sign(x) + 1/x), and 1/2 where |x| <= eps (JAX's rule)."""
    eps = float(np.finfo(dtypes.to_dtype(get_aval(x).dtype)).eps)
    shape = get_aval(x).shape
    not_tiny = ew.gt(ew.abs(x), const(x, eps))
    safe = ew.select(not_tiny, x, fit(const(x, eps), shape))
    slope = sub(sp.bessel_i0e_p.bind(safe),
                mul(ans, add(ew.sign(safe), div(const(x, 1), safe))))
    return mul(t, ew.select(not_tiny, slope, fit(const(x, 0.5), shape)))


def _raising(prim_name: str, argument: str):
    """A partial for an argument the primitive is not differentiable in (as in JAX)."""
    def partial(t, *primals):
        raise TypeError(f"{prim_name} is not differentiable with respect to {argument} "
                        "(as in JAX)")
    return partial


defjvp(sp.lgamma_p, lambda t, x: mul(t, sp.digamma_p.bind(x)))
defjvp(sp.digamma_p, lambda t, x: mul(t, sp.polygamma_p.bind(const(x, 1), x)))
defjvp(sp.polygamma_p, _raising("polygamma", "its order m"),
       lambda t, m, x: mul(t, sp.polygamma_p.bind(add(m, const(m, 1)), x)))
defjvp(sp.igamma_p, lambda t, a, x: mul(t, sp.igamma_grad_a_p.bind(a, x)),
       lambda t, a, x: _igamma_dx(t, a, x))
defjvp(sp.igammac_p, lambda t, a, x: neg(mul(t, sp.igamma_grad_a_p.bind(a, x))),
       lambda t, a, x: neg(_igamma_dx(t, a, x)))
defjvp(sp.regularized_incomplete_beta_p, _raising("betainc", "a"),
       _raising("betainc", "b"), _betainc_dx)
defjvp2(sp.bessel_i0e_p, lambda t, ans, x: mul(t, sub(sp.bessel_i1e_p.bind(x),
                                                      mul(ew.sign(x), ans))))
defjvp2(sp.bessel_i1e_p, _i1e_dx)
defjvp(sp.erfc_p, lambda t, x: mul(t, mul(const(x, -2 / np.sqrt(np.pi)),
                                          ew.exp(neg(mul(x, x))))))
defjvp(sp.zeta_p, _raising("zeta", "its exponent x"),
       lambda t, s, q: mul(t, neg(mul(s, sp.zeta_p.bind(add(s, const(s, 1)), q)))))



def _igamma_grad_a_dx(t, a, x):
    """d/dx dP/da = d/da dP/dx = dP/dx (log x - digamma(a))."""
    return mul(_igamma_dx(t, a, x), sub(ew.log(x), sp.digamma_p.bind(a)))


def _random_gamma_grad_dx(t, ans, a, x):
    """ans = -(dP/da) / (dP/dx), so d ans/dx = -(log x - digamma(a)) - ans ((a-1)/x - 1)
    (d²P/dx² = dP/dx ((a-1)/x - 1))."""
    log_ratio = sub(ew.log(x), sp.digamma_p.bind(a))
    slope = sub(div(sub(a, const(a, 1)), x), const(x, 1))
    return mul(t, neg(add(log_ratio, mul(ans, slope))))


defjvp(sp.igamma_grad_a_p, _raising("igamma_grad_a", "a"), _igamma_grad_a_dx)
defjvp2(sp.random_gamma_grad_p, _raising("random_gamma_grad", "a"), _random_gamma_grad_dx)


def _elementwise_rule(prim):
    def rule(vals, dims):
        return prim.bind(*align_elementwise(vals, dims)), 0
    return rule


for _prim in (*sp.UNARY, *sp.BINARY, sp.regularized_incomplete_beta_p):
    BATCH_RULES[_prim] = _elementwise_rule(_prim)

