"""irax.lax.linalg: matrix factorizations and solves (`cholesky`, `triangular_solve`, `lu`,
...), as `jax.lax.linalg`."""
__all__: list = []
