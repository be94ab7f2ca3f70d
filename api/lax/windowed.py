"""lax's windowed reductions: `reduce_window` (generic and the sum/max/min
primitives), and the related reductions (`reduce`, `cumlogsumexp`, `top_k`)."""
__all__: list = []
