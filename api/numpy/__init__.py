"""irax.numpy: NumPy's API on irax arrays, differentiable and compilable.

Functions follow NumPy's signatures and semantics (axis, keepdims, dtype) with JAX's
dtype rules: float32 by default, weakly typed Python scalars, x64 opt-in.
"""
import sys as _sys

import numpy as _np

from irax.core import dtypes as _dtypes
from irax.core.aval import float0 as float0
from irax.core.tensor import Tensor as _Tensor

from . import fft as fft
from . import linalg as linalg
from .array_methods import install_array_methods as _install_array_methods
from .creation import *
from .diagonals import *
from .indexing import *
from .linalg_ops import *
from .padding import *
from .quantiles import *
from .reductions import *
from .shape_ops import *
from .sorting import *
from .ufuncs import *
from .util import result_type as result_type

ndarray = _Tensor
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
bfloat16 = _dtypes.bfloat16.type
complex64, complex128 = _np.complex64, _np.complex128
dtype = _np.dtype
finfo, iinfo = _dtypes.finfo, _dtypes.iinfo
promote_types = _dtypes.promote_types
integer, floating, inexact, number, signedinteger, unsignedinteger, complexfloating = (
    _np.integer, _np.floating, _np.inexact, _np.number, _np.signedinteger,
    _np.unsignedinteger, _np.complexfloating)
generic = _np.generic
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma
newaxis = None


def issubdtype(arg1, arg2) -> bool:
    """`jnp.issubdtype`: NumPy's dtype hierarchy test (bfloat16 is a floating type)."""
    abstract = (_np.floating, _np.inexact, _np.number, _np.generic)
    if _np.dtype(arg1) == _dtypes.bfloat16:
        return arg2 in abstract or (arg2 not in (_np.integer, _np.signedinteger,
                                                 _np.unsignedinteger, _np.complexfloating,
                                                 _np.bool_) and
                                    _np.dtype(arg2) == _dtypes.bfloat16)
    return _np.issubdtype(arg1, arg2)


def can_cast(from_, to, casting="safe") -> bool:
    """`jnp.can_cast`, NumPy's rule."""
    return _np.can_cast(from_, to, casting)


_install_array_methods(_sys.modules[__name__])
