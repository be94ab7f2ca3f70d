"""lax's special functions: `lgamma`, `digamma`, `igamma`, `igammac`, `betainc`, `erfc`,
`bessel_i0e`, `bessel_i1e`, `zeta`, `polygamma`, ..."""
from irax.core.primitives.special import (
    bessel_i0e,
    bessel_i1e,
    betainc,
    digamma,
    erfc,
    igamma,
    igamma_grad_a,
    igammac,
    lgamma,
    polygamma,
    random_gamma_grad,
    zeta,
)

__all__ = ["bessel_i0e", "bessel_i1e", "betainc", "digamma", "erfc", "igamma",
           "igamma_grad_a", "igammac", "lgamma", "polygamma", "random_gamma_grad", "zeta"]
