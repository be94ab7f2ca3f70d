"""The `fft` primitive (FFT, IFFT, RFFT, IRFFT over trailing axes): abstract eval, NumPy
impl, binding function."""
