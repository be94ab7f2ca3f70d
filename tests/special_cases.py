"""Sample calls of the special-function primitives for the registry-wide suites
(tests/primitive_cases.py merges them).

Arguments are small float64 arrays inside each function's domain; arguments a
primitive is not differentiable in to second order (polygamma's order, betainc's a
and b, zeta's exponent, the incomplete gamma functions' `a`; tests/test_special.py
checks the first derivatives in `a`) are fixed inside the sample function.
"""
import numpy as np

from irax.core.primitives import special as sp

_rng = np.random.RandomState(11)
_A = np.array([0.7, 2.5, 4.0])  # the shape parameters: second derivatives in `a` raise


def _uniform(lo, hi, n=3):
    return _rng.uniform(lo, hi, n)


DIFFERENTIABLE: dict = {
    # away from lgamma's roots 1 and 2, where XLA's Lanczos sum (chlo.lgamma) is only
    # accurate to ~1e-15 absolute (tests/test_special.py bounds it there)
    "lgamma": (sp.lgamma, [np.array([0.4, 0.8, 3.3, 5.5])]),
    "digamma": (sp.digamma, [_uniform(0.3, 6.0)]),
    "polygamma": (lambda x: sp.polygamma(np.array([1.0, 2.0, 3.0]), x), [_uniform(0.5, 4.0)]),
    "igamma": (lambda x: sp.igamma(_A, x), [_uniform(0.2, 6.0)]),
    "igammac": (lambda x: sp.igammac(_A, x), [_uniform(0.2, 6.0)]),
    "igamma_grad_a": (lambda x: sp.igamma_grad_a(_A, x), [_uniform(0.2, 6.0)]),
    "random_gamma_grad": (lambda x: sp.random_gamma_grad(_A, x), [_uniform(0.2, 6.0)]),
    "regularized_incomplete_beta": (
        lambda x: sp.betainc(np.array([0.8, 2.0, 3.0]), np.array([2.5, 4.0, 1.5]), x),
        [_uniform(0.1, 0.9)]),
    "bessel_i0e": (sp.bessel_i0e, [np.array([-9.5, -0.7, 0.4, 3.0, 12.0])]),
    "bessel_i1e": (sp.bessel_i1e, [np.array([-9.5, -0.7, 0.4, 3.0, 12.0])]),
    "zeta": (lambda q: sp.zeta(np.array([2.0, 3.5, 6.0]), q), [_uniform(0.5, 3.0)]),
    "erfc": (sp.erfc, [np.array([-2.0, -0.3, 0.5, 1.7, 4.0])]),
}
NON_DIFFERENTIABLE: dict = {}


def zero_size_cases(f) -> dict:
    """Zero-size cases for tests/test_zero_size.py (`f(*shape)` makes float32 arrays):
    each primitive on empty operands, and a binary one with an empty operand and a
    scalar."""
    unary = {f"{p.name}:empty": (p.bind, [f(0, 3)]) for p in sp.UNARY}
    binary = {f"{p.name}:empty": (p.bind, [f(2, 0), f(2, 0)]) for p in sp.BINARY}
    return {
        **unary, **binary,
        "igamma:scalar_a": (lambda x: sp.igamma(np.float32(2.0), x), [f(0)]),
        "regularized_incomplete_beta:empty": (sp.betainc, [f(0, 2), f(0, 2), f(0, 2)]),
    }
