"""dtypes: canonicalization, JAX's type-promotion lattice and weak types.

Python scalars are *weakly typed*: they take the dtype of the array they meet
(`float32 array + 1.0 -> float32`).  Promotion is the least upper bound in the
lattice below (the one JAX documents).  Without x64, 64-bit dtypes canonicalize to
their 32-bit counterparts.
"""
import functools

import ml_dtypes
import numpy as np

from .config import config

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
bfloat16 = np.dtype(ml_dtypes.bfloat16)
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

SIGNED = (int8, int16, int32, int64)
UNSIGNED = (uint8, uint16, uint32, uint64)
INTEGER = SIGNED + UNSIGNED
FLOATING = (bfloat16, float16, float32, float64)
COMPLEX = (complex64, complex128)
ALL = (bool_,) + INTEGER + FLOATING + COMPLEX


class _WeakKind:
    """A lattice node for a weakly typed Python scalar kind (int, float, complex)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"weak_{self.name}"


WEAK_INT, WEAK_FLOAT, WEAK_COMPLEX = _WeakKind("int"), _WeakKind("float"), _WeakKind("complex")

_LATTICE = {
    bool_: [WEAK_INT],
    WEAK_INT: [uint8, int8],
    uint8: [int16, uint16], uint16: [int32, uint32], uint32: [int64, uint64],
    uint64: [WEAK_FLOAT],
    int8: [int16], int16: [int32], int32: [int64], int64: [WEAK_FLOAT],
    WEAK_FLOAT: [bfloat16, float16, WEAK_COMPLEX],
    bfloat16: [float32], float16: [float32], float32: [float64, complex64],
    float64: [complex128],
    WEAK_COMPLEX: [complex64], complex64: [complex128], complex128: [],
}


def _upper_sets():
    ups = {}

    def up(node):
        if node not in ups:
            found = {node}
            for parent in _LATTICE[node]:
                found |= up(parent)
            ups[node] = frozenset(found)
        return ups[node]

    for node in _LATTICE:
        up(node)
    return ups


_UP = _upper_sets()

_CANONICAL_32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}
_WEAK_DEFAULT_64 = {WEAK_INT: int64, WEAK_FLOAT: float64, WEAK_COMPLEX: complex128}


def canonicalize_dtype(dtype) -> np.dtype:
    """The dtype irax stores for `dtype`: 64-bit types become 32-bit unless x64 is on."""
    try:
        return _canonicalize(dtype, config.enable_x64)
    except TypeError:  # unhashable dtype-like arguments
        return _canonicalize.__wrapped__(dtype, config.enable_x64)


@functools.lru_cache(maxsize=512)
def _canonicalize(dtype, x64: bool) -> np.dtype:
    d = np.dtype(dtype)
    if d not in _LATTICE:
        raise TypeError(f"irax does not support dtype {d}")
    return d if x64 else _CANONICAL_32.get(d, d)


def default_float_dtype() -> np.dtype:
    """float64 with x64 enabled, else float32."""
    return canonicalize_dtype(float64)


def default_int_dtype() -> np.dtype:
    """int64 with x64 enabled, else int32."""
    return canonicalize_dtype(int64)


def default_complex_dtype() -> np.dtype:
    """complex128 with x64 enabled, else complex64."""
    return canonicalize_dtype(complex128)


def _lattice_node(dtype: np.dtype, weak: bool):
    if not weak or dtype == bool_:
        return dtype
    if dtype.kind in "iu":
        return WEAK_INT
    if dtype.kind == "f":
        return WEAK_FLOAT
    return WEAK_COMPLEX


@functools.lru_cache(maxsize=4096)
def _promote(nodes: frozenset, x64: bool):
    common = frozenset.intersection(*(_UP[n] for n in nodes))
    (lub,) = [n for n in common if _UP[n] == common]
    if isinstance(lub, _WeakKind):
        return canonicalize_dtype(_WEAK_DEFAULT_64[lub]), True
    return canonicalize_dtype(lub), False


def promote_dtypes_weak(*dtypes_and_weak: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """Promotes (dtype, weak_type) pairs; returns the result's (dtype, weak_type)."""
    first = dtypes_and_weak[0]
    if all(d == first[0] for d, _ in dtypes_and_weak):
        return first[0], first[0] != bool_ and all(w for _, w in dtypes_and_weak)
    nodes = frozenset(_lattice_node(d, w) for d, w in dtypes_and_weak)
    return _promote(nodes, config.enable_x64)


_PYTHON_SCALAR_TYPES = (bool, int, float, complex)
_kept_by = {}  # (dtype, weak) -> frozenset of Python scalar types; cleared on config updates
config.on_update(lambda name, value: _kept_by.clear())


def python_scalar_types_kept(dtype: np.dtype, weak: bool) -> frozenset:
    """The Python scalar types whose values combine with an array of `dtype` (weakly
    typed if `weak`) into a result of that same dtype and weak type.

    This is `promote_dtypes_weak` read as a table: a weak Python scalar does not widen
    an array within its kind (`int` keeps int8, `float` keeps bfloat16) and a bool
    keeps every dtype, but `float` on an integer array or `complex` on a real one
    changes the dtype.

    Example:
        >>> sorted(t.__name__ for t in python_scalar_types_kept(np.dtype("float16"), False))
        ['bool', 'float', 'int']
    """
    kept = _kept_by.get((dtype, weak))
    if kept is None:
        same = (dtype, weak and dtype != bool_)
        kept = _kept_by[(dtype, weak)] = frozenset(
            t for t in _PYTHON_SCALAR_TYPES
            if promote_dtypes_weak((dtype, weak), (python_scalar_dtype(t()), t is not bool))
            == same)
    return kept


def promote_types(a, b) -> np.dtype:
    """`jnp.promote_types`: the dtype two (strongly typed) dtypes promote to."""
    return promote_dtypes_weak((np.dtype(a), False), (np.dtype(b), False))[0]


def python_scalar_dtype(value) -> np.dtype:
    """The (canonical) dtype a Python scalar takes when it is not promoted."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return default_int_dtype()
    if isinstance(value, float):
        return default_float_dtype()
    if isinstance(value, complex):
        return default_complex_dtype()
    raise TypeError(f"{type(value).__name__} is not a Python scalar")


def is_float(dtype) -> bool:
    """True for real floating dtypes (bfloat16 included)."""
    return np.dtype(dtype).kind == "f" or np.dtype(dtype) == bfloat16


def is_inexact(dtype) -> bool:
    """True for floating and complex dtypes: the ones with a derivative."""
    return np.dtype(dtype).kind in "fcV" or np.dtype(dtype) == bfloat16


def is_complex(dtype) -> bool:
    """True for complex dtypes."""
    return np.dtype(dtype).kind == "c"


def is_integer(dtype) -> bool:
    """True for signed and unsigned integer dtypes (not bool)."""
    return np.dtype(dtype).kind in "iu"


def real_dtype(dtype) -> np.dtype:
    """The real counterpart of a complex dtype (complex64 -> float32); others unchanged."""
    d = np.dtype(dtype)
    return {complex64: float32, complex128: float64}.get(d, d)


def complex_dtype_for(dtype) -> np.dtype:
    """The complex dtype whose parts have dtype `dtype` (float64 -> complex128)."""
    d = np.dtype(dtype)
    return complex128 if d == float64 else complex64


def to_dtype(dtype) -> np.dtype:
    """Parses a user dtype argument (name, type, np.dtype), with a clear error."""
    if dtype is float:
        return default_float_dtype()
    if dtype is int:
        return default_int_dtype()
    if dtype is complex:
        return default_complex_dtype()
    if dtype is bool:
        return bool_
    try:
        d = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"cannot interpret {dtype!r} as a data type") from err
    if d not in _LATTICE:
        raise TypeError(f"irax does not support dtype {d}")
    return d


class finfo(ml_dtypes.finfo):
    """Machine limits for floating dtypes (`numpy.finfo`, bfloat16 included)."""


class iinfo(np.iinfo):
    """Machine limits for integer dtypes (`numpy.iinfo`)."""
