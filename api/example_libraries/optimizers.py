"""irax.example_libraries.optimizers: JAX's first-order optimizers.

An optimizer is an ``(init_fun, update_fun, get_params)`` triple (an :class:`Optimizer`):

- ``init_fun(params)`` takes a pytree of parameters and returns the initial
  :class:`OptimizerState` (the parameters and auxiliary values such as momentum);
- ``update_fun(step, grads, opt_state)`` takes the step index, a pytree of gradients
  of the structure of the parameters and a state, and returns the updated state;
- ``get_params(opt_state)`` returns the parameters, so that
  ``get_params(init_fun(params))`` is ``params``.

Each optimizer is written for one array by the :func:`optimizer` decorator, which
lifts it to pytrees (tuples, lists, dicts, registered nodes).  The state is a pytree
of arrays, so the update traces, differentiates and compiles like any irax code:

    opt_init, opt_update, get_params = optimizers.adam(1e-3)
    update = irax.jit(lambda i, g, s: opt_update(i, g, s))
    state = opt_init(params)
    for i in range(num_steps):
        state = update(i, irax.grad(loss)(get_params(state)), state)

Step sizes are scalars or schedules (``step -> step size``, see
:func:`exponential_decay` and its peers); :func:`pack_optimizer_state` and
:func:`unpack_optimizer_state` convert a state to a plain pytree for serialization.
"""
from __future__ import annotations

import functools
import math
from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import irax.numpy as jnp
from irax import tree_util
from irax.core.tensor import Tensor

__all__ = [
    "InitFn", "JoinPoint", "Optimizer", "OptimizerState", "Params", "ParamsFn",
    "Schedule", "State", "Step", "UpdateFn", "Updates",
    "adagrad", "adam", "adamax", "clip_grads", "constant", "exponential_decay",
    "inverse_time_decay", "l2_norm", "make_schedule", "momentum", "nesterov", "optimizer",
    "pack_optimizer_state", "piecewise_constant", "polynomial_decay", "rmsprop",
    "rmsprop_momentum", "sgd", "sm3", "unpack_optimizer_state",
]

# The state of a pytree of parameters is two levels of pytrees: the parameters' tree
# (`tree_def`), and per parameter leaf the tree of that leaf's state (`subtree_defs`).
# It is stored flattened: `packed_state[k]` holds the leaves of parameter k's state.
OptimizerState = namedtuple("OptimizerState", ["packed_state", "tree_def", "subtree_defs"])
OptimizerState.__doc__ = """The state of an optimizer over a pytree of parameters.

A pytree node whose only child is ``packed_state`` (a tuple holding, per parameter
leaf, the list of that leaf's state arrays); ``tree_def`` (the parameters' tree
structure) and ``subtree_defs`` (each leaf's state structure) are static, so a state
passes through ``irax.jit`` as its arrays alone.
"""

tree_util.register_pytree_with_keys(
    OptimizerState,
    lambda s: (((tree_util.GetAttrKey("packed_state"), s.packed_state),),
               (s.tree_def, s.subtree_defs)),
    lambda aux, children: OptimizerState(children[0], *aux),
    lambda s: ((s.packed_state,), (s.tree_def, s.subtree_defs)),
)

Array = Any
Params = Any            # a pytree of arrays
State = Any             # one parameter's state: a pytree of arrays
Updates = Params        # gradients have the structure of the parameters
Step = int
InitFn = Callable[[Params], OptimizerState]
UpdateFn = Callable[[Step, Updates, OptimizerState], OptimizerState]
ParamsFn = Callable[[OptimizerState], Params]
Schedule = Callable[[Step], float]


class Optimizer(NamedTuple):
    """An ``(init_fn, update_fn, params_fn)`` triple; unpacks like a tuple.

    Example:
      >>> opt_init, opt_update, get_params = sgd(0.1)
    """
    init_fn: InitFn
    update_fn: UpdateFn
    params_fn: ParamsFn


def _flatten_states(states: list) -> tuple[tuple, tuple]:
    """``(packed_state, subtree_defs)``: per state, its list of leaves and its tree."""
    flat = [tree_util.tree_flatten(s) for s in states]
    return tuple(leaves for leaves, _ in flat), tuple(treedef for _, treedef in flat)


def _unflatten_states(subtree_defs: tuple, packed_state) -> list:
    if len(subtree_defs) != len(packed_state):
        raise TypeError(f"optimizer state holds {len(packed_state)} parameter states for "
                        f"{len(subtree_defs)} state structures")
    return [tree_util.tree_unflatten(d, leaves)
            for d, leaves in zip(subtree_defs, packed_state)]


def optimizer(opt_maker: Callable[..., tuple[Callable, Callable, Callable]]
              ) -> Callable[..., Optimizer]:
    """Decorator lifting an optimizer written for one array to pytrees of arrays.

    ``opt_maker(*args, **kwargs)`` returns ``(init, update, get_params)`` acting on a
    single array: ``init(x0) -> state``, ``update(i, g, state) -> state`` and
    ``get_params(state) -> x``, where a state is any pytree of arrays.  The decorated
    maker returns an :class:`Optimizer` whose functions act on a pytree of parameters
    leaf by leaf and keep the states in an :class:`OptimizerState`.

    Args:
      opt_maker: a function returning an ``(init, update, get_params)`` triple for
        single arrays.

    Returns:
      A function of the same arguments returning an :class:`Optimizer` for pytrees.
      Its ``update_fn`` raises ``TypeError`` if the gradient tree's structure differs
      from the parameters' or if ``update`` changes a state's structure.

    Example:
      >>> @optimizer
      ... def halving():
      ...   return (lambda x0: x0), (lambda i, g, x: x - 0.5 * g), (lambda x: x)
      >>> init, update, get_params = halving()
      >>> get_params(update(0, {"w": 2.0}, init({"w": 1.0})))
      {'w': 0.0}
    """

    @functools.wraps(opt_maker)
    def tree_opt_maker(*args, **kwargs) -> Optimizer:
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree):
            x0_flat, tree = tree_util.tree_flatten(x0_tree)
            packed, subtrees = _flatten_states([init(x0) for x0 in x0_flat])
            return OptimizerState(packed, tree, subtrees)

        @functools.wraps(update)
        def tree_update(i, grad_tree, opt_state):
            packed, tree, subtrees = opt_state
            grad_flat, grad_tree_def = tree_util.tree_flatten(grad_tree)
            if grad_tree_def != tree:
                raise TypeError(
                    "optimizer update function was passed a gradient tree that did not "
                    "match the parameter tree structure with which it was initialized: "
                    f"parameter tree {tree} and grad tree {grad_tree_def}.")
            states = _unflatten_states(subtrees, packed)
            new_packed, new_subtrees = _flatten_states(
                [update(i, g, s) for g, s in zip(grad_flat, states)])
            for before, after in zip(subtrees, new_subtrees):
                if before != after:
                    raise TypeError(
                        "optimizer update function produced an output structure that did "
                        f"not match its input structure: input {before} and output {after}.")
            return OptimizerState(new_packed, tree, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state):
            packed, tree, subtrees = opt_state
            params = [get_params(s) for s in _unflatten_states(subtrees, packed)]
            return tree_util.tree_unflatten(tree, params)

        return Optimizer(tree_init, tree_update, tree_get_params)

    return tree_opt_maker


def _first(state):
    return state[0]


# ---------------------------------------------------------------------------------
# Optimizers


@optimizer
def sgd(step_size):
    """Stochastic gradient descent: ``x <- x - step_size(i) * g``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`.

    Example:
      >>> init, update, get_params = sgd(0.1)
      >>> get_params(update(0, [jnp.ones(2)], init([jnp.full(2, 2.0)])))
      [Array([1.9, 1.9], dtype=float32)]
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0

    def update(i, g, x):
        return x - step_size(i) * g

    def get_params(x):
        return x

    return init, update, get_params


@optimizer
def momentum(step_size: Schedule, mass: float):
    """SGD with momentum: ``v <- mass * v + g``, ``x <- x - step_size(i) * v``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      mass: the momentum coefficient (positive scalar).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; the velocity
      starts at zero.

    Example:
      >>> init, update, get_params = momentum(0.1, mass=0.9)
      >>> state = update(0, jnp.ones(2), init(jnp.zeros(2)))
      >>> get_params(state)
      Array([-0.1, -0.1], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity

    return init, update, _first


@optimizer
def nesterov(step_size: Schedule, mass: float):
    """SGD with Nesterov momentum: ``v <- mass * v + g``,
    ``x <- x - step_size(i) * (mass * v + g)``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      mass: the momentum coefficient (positive scalar).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; the velocity
      starts at zero.

    Example:
      >>> init, update, get_params = nesterov(0.1, mass=0.5)
      >>> get_params(update(0, jnp.ones(2), init(jnp.zeros(2))))
      Array([-0.15, -0.15], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity

    return init, update, _first


def _inverse_sqrt_or_zero(a):
    """``1 / sqrt(a)`` where ``a > 0``, else 0 (both without a division by zero)."""
    positive = a > 0
    return jnp.where(positive, 1.0 / jnp.sqrt(jnp.where(positive, a, 1.0)), 0.0)


@optimizer
def adagrad(step_size, momentum=0.9):
    """Adagrad (Duchi et al., 2011) with momentum on the normalized gradient.

    ``G <- G + g**2``; ``m <- (1 - momentum) * g / sqrt(G) + momentum * m`` (the
    quotient read as 0 where ``G`` is 0); ``x <- x - step_size(i) * m``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      momentum: the momentum coefficient (default 0.9).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; ``G`` and ``m``
      start at zero.

    Example:
      >>> init, update, get_params = adagrad(1.0, momentum=0.0)
      >>> get_params(update(0, jnp.array([2.0, 0.0]), init(jnp.zeros(2))))
      Array([-1.,  0.], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, g_sq, m = state
        g_sq = g_sq + jnp.square(g)
        m = (1.0 - momentum) * (g * _inverse_sqrt_or_zero(g_sq)) + momentum * m
        return x - step_size(i) * m, g_sq, m

    return init, update, _first


@optimizer
def rmsprop(step_size, gamma=0.9, eps=1e-8):
    """RMSProp: ``a <- gamma * a + (1 - gamma) * g**2``,
    ``x <- x - step_size(i) * g / sqrt(a + eps)``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      gamma: the decay of the average of squared gradients (default 0.9).
      eps: added to the average under the square root (default 1e-8).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; the average
      starts at zero.

    Example:
      >>> init, update, get_params = rmsprop(0.1, gamma=0.0, eps=0.0)
      >>> get_params(update(0, jnp.array([3.0]), init(jnp.zeros(1))))
      Array([-0.1], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + jnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / jnp.sqrt(avg_sq_grad + eps), avg_sq_grad

    return init, update, _first


@optimizer
def rmsprop_momentum(step_size, gamma=0.9, eps=1e-8, momentum=0.9):
    """RMSProp with momentum: ``a <- gamma * a + (1 - gamma) * g**2``,
    ``m <- momentum * m + step_size(i) * g / sqrt(a + eps)``, ``x <- x - m``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      gamma: the decay of the average of squared gradients (default 0.9).
      eps: added to the average under the square root (default 1e-8).
      momentum: the momentum coefficient (default 0.9).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; the average and
      the momentum start at zero.

    Example:
      >>> init, update, get_params = rmsprop_momentum(0.1, gamma=0.0, eps=0.0)
      >>> get_params(update(0, jnp.array([3.0]), init(jnp.zeros(1))))
      Array([-0.1], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + jnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / jnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom

    return init, update, _first


def _power(base, exponent):
    """``base ** exponent``, as ``exp(exponent * log(base))`` for a positive Python
    scalar `base` and an array `exponent`: IREE compiles ``pow`` of a constant base
    about five times slower (3 s instead of 0.6 s on CPU), the same value to rounding."""
    if isinstance(exponent, Tensor) and isinstance(base, (int, float)) and base > 0:
        return jnp.exp(exponent * math.log(base))
    return base ** exponent


def _bias_correction(b, i, dtype):
    """``1 - b**(i + 1)`` in `dtype`, for a step index `i` that may be traced; for a
    Python scalar ``0 < b < 1`` as ``-expm1((i + 1) log b)`` (see `_power`), which
    also keeps its relative accuracy when ``b**(i + 1)`` is close to 1."""
    if isinstance(b, (int, float)) and 0 < b < 1:
        return -jnp.expm1((i + 1) * jnp.asarray(math.log(b), dtype))
    return 1 - jnp.asarray(b, dtype) ** (i + 1)


@optimizer
def adam(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma and Ba, 2015).

    ``m <- (1 - b1) * g + b1 * m``; ``v <- (1 - b2) * g**2 + b2 * v``;
    ``x <- x - step_size(i) * mhat / (sqrt(vhat) + eps)`` with the bias-corrected
    ``mhat = m / (1 - b1**(i + 1))`` and ``vhat = v / (1 - b2**(i + 1))``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      b1: the decay of the first moment estimate (default 0.9).
      b2: the decay of the second moment estimate (default 0.999).
      eps: added to ``sqrt(vhat)`` (default 1e-8).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; the moments start
      at zero.

    Example:
      >>> init, update, get_params = adam(0.1, eps=0.0)
      >>> get_params(update(0, jnp.array([-5.0]), init(jnp.zeros(1))))
      Array([0.1], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * jnp.square(g) + b2 * v
        mhat = m / _bias_correction(b1, i, m.dtype)
        vhat = v / _bias_correction(b2, i, m.dtype)
        return x - step_size(i) * mhat / (jnp.sqrt(vhat) + eps), m, v

    return init, update, _first


@optimizer
def adamax(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """AdaMax, Adam with an infinity norm (Kingma and Ba, 2015).

    ``m <- (1 - b1) * g + b1 * m``; ``u <- max(b2 * u, |g|)``;
    ``x <- x - step_size(i) / (1 - b1**(i + 1)) * m / (u + eps)``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      b1: the decay of the first moment estimate (default 0.9).
      b2: the decay of the infinity norm (default 0.999).
      eps: added to ``u`` (default 1e-8).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`; ``m`` and ``u``
      start at zero.

    Example:
      >>> init, update, get_params = adamax(0.1, eps=0.0)
      >>> get_params(update(0, jnp.array([-5.0]), init(jnp.zeros(1))))
      Array([0.1], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, jnp.zeros_like(x0), jnp.zeros_like(x0)

    def update(i, g, state):
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = jnp.maximum(b2 * u, jnp.abs(g))
        x = x - (step_size(i) / _bias_correction(b1, i, m.dtype)) * m / (u + eps)
        return x, m, u

    return init, update, _first


def _expand_to_axis(v, ndim: int, axis: int):
    """The vector `v` as an array of rank `ndim` whose only non-unit axis is `axis`."""
    index = [None] * ndim
    index[axis] = slice(None)
    return v[tuple(index)]


@optimizer
def sm3(step_size, momentum=0.9):
    """SM3 (Anil et al., 2019): Adagrad with one accumulator per row, column, ...

    A parameter of shape ``(n0, n1, ...)`` keeps one vector ``v_k`` of length ``n_k``
    per axis.  Each step, ``a = min_k v_k (broadcast) + g**2``;
    ``m <- (1 - momentum) * g / sqrt(a) + momentum * m`` (the quotient read as 0
    where ``a`` is 0); ``x <- x - step_size(i) * m``; ``v_k <-`` the maximum of
    ``a`` over every axis but ``k``.  Scalars are treated as shape ``(1,)``.

    Args:
      step_size: a positive scalar, or a schedule mapping the step index to one.
      momentum: the momentum coefficient (default 0.9).

    Returns:
      An ``(init_fun, update_fun, get_params)`` :class:`Optimizer`.

    Example:
      >>> init, update, get_params = sm3(1.0, momentum=0.0)
      >>> get_params(update(0, jnp.array([[2.0, -1.0]]), init(jnp.zeros((1, 2)))))
      Array([[-1.,  1.]], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        x_shape = x0.shape
        x0 = jnp.atleast_1d(x0)
        vs = [jnp.zeros(n, dtype=x0.dtype) for n in x0.shape]
        return x0, jnp.zeros_like(x0), vs, x_shape

    def update(i, g, state):
        x, m, vs, x_shape = state
        ndim = x.ndim
        g = jnp.reshape(g, x.shape)
        accum = functools.reduce(
            jnp.minimum, [_expand_to_axis(v, ndim, k) for k, v in enumerate(vs)])
        accum = accum + jnp.square(g)
        m = (1.0 - momentum) * (g * _inverse_sqrt_or_zero(accum)) + momentum * m
        x = x - step_size(i) * m
        vs = [accum.max(axis=tuple(a for a in range(ndim) if a != k)) for k in range(ndim)]
        return x, m, vs, x_shape

    def get_params(state):
        x, _, _, x_shape = state
        # Only a scalar parameter changed shape (atleast_1d); the test is static, so
        # this also holds when `x_shape`'s entries are traced.
        return x if len(x_shape) == x.ndim else jnp.reshape(x, ())

    return init, update, get_params


# ---------------------------------------------------------------------------------
# Step-size schedules


def constant(step_size) -> Schedule:
    """A schedule returning `step_size` at every step.

    Example:
      >>> constant(0.1)(100)
      0.1
    """
    def schedule(i):
        return step_size
    return schedule


def exponential_decay(step_size, decay_steps, decay_rate) -> Schedule:
    """The schedule ``i -> step_size * decay_rate ** (i / decay_steps)``.

    Example:
      >>> exponential_decay(1.0, decay_steps=10, decay_rate=0.5)(20)
      0.25
    """
    def schedule(i):
        return step_size * _power(decay_rate, i / decay_steps)
    return schedule


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase=False) -> Schedule:
    """The schedule ``i -> step_size / (1 + decay_rate * i / decay_steps)``.

    With ``staircase=True``, ``i / decay_steps`` is rounded down, so the step size
    changes every `decay_steps` steps.

    Example:
      >>> float(inverse_time_decay(1.0, 10, 1.0, staircase=True)(15))
      0.5
    """
    if staircase:
        def schedule(i):
            return step_size / (1 + decay_rate * jnp.floor(i / decay_steps))
    else:
        def schedule(i):
            return step_size / (1 + decay_rate * i / decay_steps)
    return schedule


def polynomial_decay(step_size, decay_steps, final_step_size, power=1.0) -> Schedule:
    """A polynomial decay from `step_size` to `final_step_size` over `decay_steps`.

    ``i -> (1 - min(i, decay_steps) / decay_steps) ** power
    * (step_size - final_step_size) + final_step_size``; constant after
    `decay_steps`.

    Example:
      >>> float(polynomial_decay(1.0, 10, 0.0)(5))
      0.5
    """
    def schedule(step_num):
        step_num = jnp.minimum(step_num, decay_steps)
        step_mult = (1 - step_num / decay_steps) ** power
        return step_mult * (step_size - final_step_size) + final_step_size
    return schedule


def piecewise_constant(boundaries: Any, values: Any) -> Schedule:
    """A schedule that is ``values[k]`` for steps in ``(boundaries[k-1], boundaries[k]]``.

    Args:
      boundaries: increasing step indices, a sequence of length ``n``.
      values: the step sizes, a sequence of length ``n + 1``: ``values[0]`` up to and
        including ``boundaries[0]``, ``values[n]`` after ``boundaries[n-1]``.

    Raises:
      ValueError: if the arguments are not sequences or their lengths do not match.

    Example:
      >>> schedule = piecewise_constant([10, 20], [1.0, 0.5, 0.25])
      >>> [float(schedule(i)) for i in (10, 11, 25)]
      [1.0, 0.5, 0.25]
    """
    boundaries = jnp.array(boundaries)
    values = jnp.array(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("piecewise_constant: boundaries and values must be sequences, got "
                         f"shapes {boundaries.shape} and {values.shape}")
    if boundaries.shape[0] != values.shape[0] - 1:
        raise ValueError("piecewise_constant: boundaries length must be one shorter than "
                         f"values length, got {boundaries.shape[0]} and {values.shape[0]}")

    def schedule(i):
        return values[jnp.sum(i > boundaries)]
    return schedule


def make_schedule(scalar_or_schedule: float | Schedule) -> Schedule:
    """A schedule from a scalar step size (a :func:`constant` one) or a schedule.

    Raises:
      TypeError: if the argument is neither callable nor a scalar.

    Example:
      >>> make_schedule(0.1)(7)
      0.1
    """
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if np.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(f"make_schedule: expected a scalar step size or a callable schedule, "
                    f"got {type(scalar_or_schedule).__name__} of shape "
                    f"{np.shape(scalar_or_schedule)}")


# ---------------------------------------------------------------------------------
# Utilities


def l2_norm(tree) -> Array:
    """The l2 norm of a pytree of arrays: the square root of the sum of ``vdot(x, x)``.

    Example:
      >>> float(l2_norm({"a": jnp.array([3.0]), "b": [jnp.array([4.0])]}))
      5.0
    """
    leaves = tree_util.tree_leaves(tree)
    return jnp.sqrt(sum(jnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree, max_norm) -> Any:
    """Scales a pytree of gradients so that its :func:`l2_norm` is at most `max_norm`.

    Gradients whose norm is below `max_norm` are returned unchanged; otherwise every
    leaf is multiplied by ``max_norm / norm``.

    Example:
      >>> clip_grads([jnp.array([3.0, 4.0])], 1.0)
      [Array([0.6, 0.8], dtype=float32)]
    """
    norm = l2_norm(grad_tree)

    def normalize(g):
        return jnp.where(norm < max_norm, g, g * (max_norm / norm))

    return tree_util.tree_map(normalize, grad_tree)


# ---------------------------------------------------------------------------------
# Serialization


class JoinPoint:
    """Marks the boundary between two joined (nested) pytrees.

    A leaf of the tree :func:`unpack_optimizer_state` returns: ``subtree`` is one
    parameter's state.  Iterating yields that subtree.

    Example:
      >>> list(JoinPoint((1, 2)))
      [(1, 2)]
    """

    def __init__(self, subtree):
        self.subtree = subtree

    def __iter__(self):
        yield self.subtree

    def __repr__(self):
        return f"JoinPoint({self.subtree!r})"


def unpack_optimizer_state(opt_state: OptimizerState) -> Any:
    """Converts an :class:`OptimizerState` to a pytree of :class:`JoinPoint` leaves.

    The result has the structure of the parameters, each leaf a ``JoinPoint`` holding
    that parameter's state as a plain pytree, so that it can be serialized (pickled)
    without irax's tree definitions.  :func:`pack_optimizer_state` is its inverse.

    Example:
      >>> init, _, _ = momentum(0.1, 0.9)
      >>> unpack_optimizer_state(init({"w": 1.0}))
      {'w': JoinPoint((1.0, Array(0., dtype=float32, weak_type=True)))}
    """
    packed, tree_def, subtree_defs = opt_state
    subtrees = _unflatten_states(subtree_defs, packed)
    return tree_util.tree_unflatten(tree_def, [JoinPoint(s) for s in subtrees])


def pack_optimizer_state(marked_pytree) -> OptimizerState:
    """Converts a pytree of :class:`JoinPoint` leaves back to an :class:`OptimizerState`.

    The inverse of :func:`unpack_optimizer_state`.

    Raises:
      TypeError: if a leaf of `marked_pytree` is not a ``JoinPoint``.

    Example:
      >>> init, _, get_params = sgd(0.1)
      >>> state = pack_optimizer_state(unpack_optimizer_state(init([1.0, 2.0])))
      >>> get_params(state)
      [1.0, 2.0]
    """
    sentinels, tree_def = tree_util.tree_flatten(marked_pytree)
    for k, s in enumerate(sentinels):
        if not isinstance(s, JoinPoint):
            raise TypeError(f"pack_optimizer_state: leaf {k} of the marked pytree is a "
                            f"{type(s).__name__}, not a JoinPoint (expected the output of "
                            "unpack_optimizer_state)")
    packed, subtree_defs = _flatten_states([s.subtree for s in sentinels])
    return OptimizerState(packed, tree_def, subtree_defs)
