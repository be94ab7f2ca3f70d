"""Special-function primitives (lgamma, digamma, igamma, ...): abstract eval, NumPy/SciPy
impl, binding functions."""
