"""Lowering of the convolution primitives to `stablehlo.convolution`."""
