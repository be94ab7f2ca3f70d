"""Convolution primitives: `conv_general_dilated` (abstract eval, NumPy impl, binding
function)."""
