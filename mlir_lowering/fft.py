"""Lowering of the `fft` primitive."""
