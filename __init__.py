"""irax: JAX's programming model (grad, jit, vmap, irax.numpy) on MLIR and IREE.

    import irax, irax.numpy as jnp
    irax.grad(lambda x: jnp.sum(jnp.tanh(x) ** 2))(jnp.ones(3))
"""
# Absolute imports: pytest, run in the repository root, also imports this file as a
# top-level module; with absolute imports that still loads the real `irax`.
from irax import lax, nn, numpy, random, runtime, test_util, tree_util
from irax.core.config import config
from irax.core.errors import ConcretizationTypeError, UnexpectedTracerError
from irax.core.tensor import Tensor as Array
from irax.lax import checkpoint, remat
from irax.runtime.device import DeviceMemoryError, devices
from irax.runtime.placement import device_put
from irax.transforms.autodiff import (
    grad, hessian, jacfwd, jacrev, jvp, linearize, value_and_grad, vjp)
from irax.transforms.custom_derivatives import custom_jvp, custom_vjp
from irax.transforms.export import export
from irax.transforms.jit import clear_caches, jit
from irax.transforms.tracing import make_graph
from irax.transforms.vmap import vmap
from irax.version import __version__

__all__ = [
    "Array", "ConcretizationTypeError", "DeviceMemoryError", "UnexpectedTracerError", "checkpoint",
    "clear_caches", "config",
    "custom_jvp", "custom_vjp", "device_put", "devices", "export", "grad", "hessian",
    "jacfwd", "jacrev", "jit", "jvp", "lax", "linearize", "make_graph", "nn", "numpy",
    "random", "remat", "runtime", "test_util", "tree_util", "value_and_grad", "vjp",
    "vmap", "__version__",
]
