"""irax.numpy.linalg's functions built on matrix factorizations (cholesky, solve, inv,
det, slogdet, ...)."""
__all__: list = []
