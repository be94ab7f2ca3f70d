"""Sample calls of the `fft` primitive for the registry-wide suites
(tests/primitive_cases.py merges them)."""
DIFFERENTIABLE: dict = {}
NON_DIFFERENTIABLE: dict = {}
