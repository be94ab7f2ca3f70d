"""irax: JAX's programming model (grad, jit, vmap, irax.numpy) on MLIR and IREE.

    import irax, irax.numpy as jnp
    irax.grad(lambda x: jnp.sum(jnp.tanh(x) ** 2))(jnp.ones(3))
"""
from . import lax, nn, numpy, random, tree_util
from .core.config import config
from .core.errors import ConcretizationTypeError, UnexpectedTracerError
from .core.graph_trace import make_graph
from .core.tensor import Tensor as Array
from .transforms.autodiff import (
    grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp)
from .version import __version__

__all__ = [
    "Array", "ConcretizationTypeError", "UnexpectedTracerError", "config", "grad", "hessian", "jacfwd", "jacrev", "jvp", "lax", "linearize",
    "make_graph", "nn", "numpy", "random", "tree_util", "value_and_grad", "vjp",
    "__version__",
]
