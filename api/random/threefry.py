"""Threefry-2x32, the counter-based hash behind every irax.random draw.

Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as
1, 2, 3", SC 2011) maps a key of two uint32 words and a counter of two uint32 words
to two pseudo-random uint32 words.  It is written with lax primitives on uint32
arrays (add, xor, or, shifts), so a draw traces into a Graph and lowers to StableHLO
like any other computation, and it matches JAX's `threefry_2x32` bit for bit.

Draws and splits hash each output element's row-major index, taken as a 64-bit counter
(JAX's partitionable scheme, `jax_threefry_partitionable=True`, its default since 0.5):
element i of a draw depends only on the key and i, not on the draw's size.
"""
import math

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor

_add, _xor, _or = ew.add, ew.bitwise_xor, ew.bitwise_or
_shift_left, _shift_right = ew.shift_left, ew.shift_right_logical

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KEY_PARITY = 0x1BD11BDA   # Threefish's C240: makes the third key word


def uint32(value) -> Tensor:
    """A strongly typed uint32 constant."""
    return ArrayImpl(np.asarray(value, np.uint32))


def _rotate_left(x: Tensor, distance: int) -> Tensor:
    return _or(_shift_left(x, uint32(distance)), _shift_right(x, uint32(32 - distance)))


def threefry2x32(k1: Tensor, k2: Tensor, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    """The Threefry-2x32 hash of counter words `(x1, x2)` under the key `(k1, k2)`.

    Args:
      k1, k2: uint32 scalars, the key words.
      x1, x2: uint32 arrays of one shape (or scalars), the counter words.

    Returns:
      The two uint32 output words, of the counters' shape.

    Example:
      >>> [int(w) for w in threefry2x32(*(uint32(0),) * 4)]   # Random123's vector
      [1797259609, 2579123966]
    """
    keys = (k1, k2, _xor(_xor(k1, k2), uint32(_KEY_PARITY)))
    x1, x2 = _add(x1, keys[0]), _add(x2, keys[1])
    for block in range(5):
        for distance in _ROTATIONS[block % 2]:
            x1 = _add(x1, x2)
            x2 = _xor(x1, _rotate_left(x2, distance))
        x1 = _add(x1, keys[(block + 1) % 3])
        x2 = _add(x2, _add(keys[(block + 2) % 3], uint32(block + 1)))
    return x1, x2


def key_words(key: Tensor) -> tuple[Tensor, Tensor]:
    """The two uint32 words of a (2,) key as scalars."""
    return tuple(st.reshape(st.slice(key, (i,), (i + 1,)), ()) for i in (0, 1))


def threefry_2x32(key: Tensor, count: Tensor) -> Tensor:
    """Hashes every word of the uint32 array `count` under `key` (JAX's threefry_2x32).

    The flattened counts are split in halves that form the word pairs (an odd count
    gets a zero appended, whose output is dropped), so output word i depends on the
    key and on counts i and i + size/2 only.

    Args:
      key: a uint32 array of shape (2,).
      count: a uint32 array of any shape.

    Returns:
      A uint32 array of `count`'s shape.
    """
    if count.dtype != dtypes.uint32:
        raise TypeError(f"threefry_2x32: counts must be uint32, got {count.dtype}")
    size = count.size
    flat = st.reshape(count, (size,))
    if size % 2:
        flat = st.concatenate([flat, uint32([0])], 0)
    half = flat.shape[0] // 2
    y1, y2 = threefry2x32(*key_words(key), st.slice(flat, (0,), (half,)),
                          st.slice(flat, (half,), (2 * half,)))
    out = st.concatenate([y1, y2], 0)
    if size % 2:
        out = st.slice(out, (0,), (size,))
    return st.reshape(out, count.shape)


def iota_2x32_shape(shape: tuple) -> tuple[Tensor, Tensor]:
    """The row-major index of every element of `shape` as a 64-bit counter, split
    into (high, low) uint32 arrays of `shape` (JAX's `iota_2x32_shape`).

    irax draws at most 2**32 values at once, so the high words are zero.
    """
    size = math.prod(shape)
    if size > 2**32:
        raise ValueError(f"irax.random: a draw of shape {shape} ({size} values) needs "
                         "counters above 2**32, which irax does not support; split the "
                         "key and draw in parts")
    high = st.broadcast_in_dim(uint32(0), shape, ())
    return high, st.reshape(st.iota(dtypes.uint32, size), shape)


def hash_indices(key: Tensor, shape: tuple) -> tuple[Tensor, Tensor]:
    """The two Threefry words of every element index of `shape` under `key`.

    Args:
      key: a uint32 array of shape (2,).
      shape: the shape of the draw.

    Returns:
      Two uint32 arrays of `shape`: the hash of each element's (high, low) counter.
    """
    return threefry2x32(*key_words(key), *iota_2x32_shape(shape))
