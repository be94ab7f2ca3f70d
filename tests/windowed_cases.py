"""Sample calls of the windowed reductions for the registry-wide suites
(tests/primitive_cases.py merges them).

Max/min windows and selections choose among distinct values (a quarter apart), so
their derivatives are defined and finite differences do not change the choice; every
max/min window holds at least one operand element (none is only padding)."""
import numpy as np

from irax.core.primitives import elementwise as ew
from irax.core.primitives import windowed as win

rng = np.random.RandomState(7)


def normal(*shape):
    return rng.standard_normal(shape)


def distinct(*shape):
    """Values a quarter apart, in random order."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.25 - 2.0


# Overlapping windows, strides, padding and both dilations at once.
DILATED = {"window_dimensions": (2, 3), "window_strides": (1, 2),
           "padding": ((1, 0), (0, 2)), "base_dilation": (1, 2), "window_dilation": (2, 1)}
# Max pooling with overlap and padding (every window holds an operand element).
POOL = {"window_dimensions": (2, 3), "window_strides": (1, 2), "padding": ((1, 0), (1, 1))}

DIFFERENTIABLE = {
    "reduce_window_sum": (lambda x: win.reduce_window_sum(x, **DILATED), [normal(4, 5)]),
    "reduce_window_max": (lambda x: win.reduce_window_max(x, **POOL), [distinct(4, 5)]),
    "reduce_window_min": (lambda x: win.reduce_window_min(
        x, (2, 2), (2, 1), ((0, 1), (0, 0)), window_dilation=(1, 2)), [distinct(5, 5)]),
    "select_and_gather_add": (lambda t, x: win.select_and_gather_add(t, x, "max", **DILATED),
                              [normal(4, 5), distinct(4, 5)]),
    "select_and_scatter_add": (lambda s, x: win.select_and_scatter_add(s, x, "min", **POOL),
                               [normal(4, 3), distinct(4, 5)]),
    "optimization_barrier": (lambda x, y: ew.mul(*win.optimization_barrier(ew.sin(x), y)),
                             [normal(3), normal(3)]),
}
NON_DIFFERENTIABLE: dict = {}
