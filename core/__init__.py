"""core: Tensor, dtypes, pytrees, primitives, the Graph IR and the trace machinery.
Imports nothing else of irax."""
