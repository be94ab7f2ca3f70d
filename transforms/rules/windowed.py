"""JVP, transpose and batching rules of the windowed reductions."""
