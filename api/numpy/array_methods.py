"""Operators and NumPy-style methods of irax arrays, attached to `Tensor` (as JAX does
from jax.numpy) so that concrete arrays and every tracer share them."""
import numpy as np

from irax.core.tensor import Tensor

_REFLECTED = {"radd": "add", "rsub": "subtract", "rmul": "multiply", "rtruediv": "true_divide",
              "rfloordiv": "floor_divide", "rmod": "remainder", "rpow": "power",
              "rmatmul": "matmul", "rand": "bitwise_and", "ror": "bitwise_or",
              "rxor": "bitwise_xor", "rlshift": "left_shift", "rrshift": "right_shift",
              "rdivmod": "divmod"}
_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "pow": "power",
           "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
           "lshift": "left_shift", "rshift": "right_shift", "eq": "equal", "ne": "not_equal",
           "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
           "divmod": "divmod"}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}
_METHODS = [
    "all", "any", "argmax", "argmin", "argsort", "astype", "clip", "conj", "conjugate",
    "cumprod", "cumsum", "diagonal", "dot", "flatten", "max", "mean", "min", "nonzero", "prod",
    "ptp", "ravel", "repeat", "reshape", "round", "searchsorted", "sort", "squeeze", "std", "sum",
    "swapaxes", "take", "trace", "transpose", "var",
]


_OPERAND_TYPES = (Tensor, int, float, complex, bool, np.ndarray, np.generic, list, tuple)


def _operand_ok(other) -> bool:
    """Binary operators defer (NotImplemented) to types irax does not know."""
    return isinstance(other, _OPERAND_TYPES)


def _binary_op(fn):
    def op(self, other):
        return fn(self, other) if _operand_ok(other) else NotImplemented
    return op


def _reflected_op(fn):
    def op(self, other):
        return fn(other, self) if _operand_ok(other) else NotImplemented
    return op


def install_array_methods(jnp) -> None:
    """Attaches operators, methods and properties (`.T`, `.at`, `.real`) to Tensor.

    Args:
      jnp: the irax.numpy namespace, whose functions the methods call (passed in by
        irax.numpy itself, which this module must not import).
    """
    for dunder, name in _BINARY.items():
        setattr(Tensor, f"__{dunder}__", _binary_op(getattr(jnp, name)))
    for dunder, name in _REFLECTED.items():
        setattr(Tensor, f"__{dunder}__", _reflected_op(getattr(jnp, name)))
    for dunder, name in _UNARY.items():
        setattr(Tensor, f"__{dunder}__", getattr(jnp, name))
    for name in _METHODS:
        setattr(Tensor, name, getattr(jnp, name))
    Tensor.__round__ = lambda self, ndigits=None: jnp.round(self, ndigits or 0)
    Tensor.__getitem__ = jnp.getitem
    Tensor.T = property(lambda self: jnp.transpose(self))
    Tensor.mT = property(lambda self: jnp.swapaxes(self, -1, -2))
    Tensor.real = property(jnp.real)
    Tensor.imag = property(jnp.imag)
    Tensor.at = property(jnp.IndexUpdateHelper)
