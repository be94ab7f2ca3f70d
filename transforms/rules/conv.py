"""JVP, transpose and batching rules of the convolution primitives."""
