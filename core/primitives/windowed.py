"""Windowed reductions: `reduce_window_sum` / `_max` / `_min`, the generic
`reduce_window`, and `select_and_scatter_add` (abstract eval, NumPy impl, binding
functions)."""
