"""JVP, transpose and batching rules of the special-function primitives."""
