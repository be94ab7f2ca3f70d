"""irax.numpy.fft: NumPy's discrete Fourier transforms, as `jax.numpy.fft`."""
__all__: list = []
