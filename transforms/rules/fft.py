"""JVP, transpose and batching rules of the `fft` primitive."""
