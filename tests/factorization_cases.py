"""Sample calls of the matrix factorization primitives (cholesky, triangular_solve, lu)
for the registry-wide suites (tests/primitive_cases.py merges them)."""
DIFFERENTIABLE: dict = {}
NON_DIFFERENTIABLE: dict = {}
