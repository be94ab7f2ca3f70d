"""lax's special functions: `lgamma`, `digamma`, `igamma`, `igammac`, `betainc`, `erfc`,
`bessel_i0e`, `bessel_i1e`, `zeta`, `polygamma`, ..."""
__all__: list = []
