"""Lowering of the windowed reductions to `stablehlo.reduce_window` and
`stablehlo.select_and_scatter`."""
