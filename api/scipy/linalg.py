"""irax.scipy.linalg: `cholesky`, `cho_factor`, `cho_solve`, `solve_triangular`, `lu`,
`lu_factor`, `lu_solve`, ... as `jax.scipy.linalg`."""
