"""Sample calls of the windowed reductions for the registry-wide suites
(tests/primitive_cases.py merges them)."""
DIFFERENTIABLE: dict = {}
NON_DIFFERENTIABLE: dict = {}
