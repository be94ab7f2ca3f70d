"""PRNG keys and the key operations: seeding, split, fold_in and raw random bits.

A key is JAX's legacy "raw" key: a uint32 array of shape (2,).  Keys are values,
not state: a function of a key always returns the same bits, and `split` /
`fold_in` derive fresh, statistically independent keys.  Bits and splits follow
JAX's partitionable Threefry scheme (`jax_threefry_partitionable=True`, JAX's default
since 0.5): element i of a draw, or key i of a split, is the hash of the counter i.
"""
import operator

import numpy as np

from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.primitives import structural as st
from irax.core.tensor import ArrayImpl, Tensor, to_tensor

from .threefry import hash_indices, threefry_2x32, uint32

__all__ = ["PRNGKey", "bits", "fold_in", "key", "key_data", "split"]

_UINT_DTYPES = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}


def check_key(name: str, key) -> Tensor:
    """`key` as a Tensor, or a TypeError naming `name` unless it is one uint32[2] key."""
    if isinstance(key, (np.ndarray, np.generic)):
        key = to_tensor(key)
    if not isinstance(key, Tensor):
        raise TypeError(f"{name}: expected a PRNG key (a uint32 array of shape (2,), as "
                        f"irax.random.PRNGKey(seed) makes), got {type(key).__name__}")
    if key.dtype != dtypes.uint32 or key.shape != (2,):
        batched = key.dtype == dtypes.uint32 and key.shape[-1:] == (2,)
        hint = ("; to draw with a batch of keys, map over them with irax.vmap" if batched
                else "; make one with irax.random.PRNGKey(seed)")
        raise TypeError(f"{name}: expected a PRNG key, a uint32 array of shape (2,), got "
                        f"{key.dtype}{list(key.shape)}{hint}")
    return key


def canonical_shape(name: str, shape) -> tuple:
    """A shape argument as a tuple of non-negative ints (JAX wants a sequence)."""
    try:
        out = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be a sequence of integers, got {shape!r} "
                        "(write (n,) for one dimension)") from None
    if any(d < 0 for d in out):
        raise ValueError(f"{name}: shape {out} has a negative dimension")
    return out


def _seed_words(seed: Tensor) -> Tensor:
    """JAX's threefry_seed: [high 32 bits, low 32 bits] of an integer scalar."""
    high = ew.shift_right_logical(seed, ArrayImpl(np.asarray(32, seed.dtype)))
    words = [ew.convert_element_type(w, dtypes.uint32) for w in (high, seed)]
    return st.concatenate([st.reshape(w, (1,)) for w in words], 0)


def PRNGKey(seed) -> Tensor:
    """A PRNG key made from an integer seed (`jax.random.PRNGKey`).

    The key is `[seed >> 32, seed & 0xFFFFFFFF]` as uint32: `[0, seed]` for 32-bit
    seeds.  A Python int seed passes through int64 first, as in JAX, so without x64
    only its low 32 bits count.

    Args:
      seed: a Python int or an integer scalar array (may be traced).

    Returns:
      A uint32 array of shape (2,).

    Example:
      >>> irax.random.PRNGKey(42)
      Array([ 0, 42], dtype=uint32)
    """
    if isinstance(seed, int):
        if not -2**63 <= seed < 2**63:
            raise OverflowError(f"PRNGKey: seed {seed} does not fit in int64")
        seed = ArrayImpl(np.asarray(seed, np.int64).astype(dtypes.default_int_dtype()))
    elif isinstance(seed, (np.ndarray, np.generic)):
        seed = to_tensor(seed)
    if not isinstance(seed, Tensor):
        raise TypeError(f"PRNGKey: seed must be an integer, got {type(seed).__name__}")
    if seed.shape:
        raise TypeError(f"PRNGKey: seed must be a scalar, got an array of shape {seed.shape}")
    if not dtypes.is_integer(seed.dtype):
        raise TypeError(f"PRNGKey: seed must have an integer dtype, got {seed.dtype}")
    return _seed_words(seed)


def key(seed) -> Tensor:
    """A PRNG key from an integer seed; here the same uint32[2] key as `PRNGKey`.

    JAX's `jax.random.key` returns a typed key array; irax keeps the raw uint32 form,
    which every irax.random function accepts.

    Example:
      >>> irax.random.key(0)
      Array([0, 0], dtype=uint32)
    """
    return PRNGKey(seed)


def key_data(keys) -> Tensor:
    """The uint32 words of a key or a batch of keys (here the array itself).

    Example:
      >>> irax.random.key_data(irax.random.PRNGKey(1))
      Array([0, 1], dtype=uint32)
    """
    keys = to_tensor(np.asarray(keys) if isinstance(keys, (list, tuple)) else keys)
    if keys.dtype != dtypes.uint32 or keys.shape[-1:] != (2,):
        raise TypeError(f"key_data: expected uint32 keys of shape (..., 2), got "
                        f"{keys.dtype}{list(keys.shape)}")
    return keys


def split(key, num=2) -> Tensor:
    """Splits a key into `num` new keys (`jax.random.split`).

    New key i is the pair of Threefry words of the counter i under `key`.

    Args:
      key: a PRNG key.
      num: the number of keys (an int), or a shape tuple for an array of keys.

    Returns:
      A uint32 array of shape (num, 2) (or `(*num, 2)`).

    Example:
      >>> irax.random.split(irax.random.PRNGKey(0))
      Array([[1797259609, 2579123966],
             [ 928981903, 3453687069]], dtype=uint32)
    """
    key = check_key("split", key)
    shape = canonical_shape("split", (num,) if np.ndim(num) == 0 else num)
    words = hash_indices(key, shape)
    return st.concatenate([st.reshape(w, (*shape, 1)) for w in words], len(shape))


def split_keys(key: Tensor, num: int) -> list[Tensor]:
    """`split(key, num)` as a list of `num` keys."""
    keys = split(key, num)
    return [st.reshape(st.slice(keys, (i, 0), (i + 1, 2)), (2,)) for i in range(num)]


def fold_in(key, data) -> Tensor:
    """A new key from `key` and an integer `data` (`jax.random.fold_in`).

    Folding in different data gives independent keys; the key is the hash of the
    counters `[0, data]`.  Python ints are taken modulo 2**32, integer arrays are
    converted to uint32.

    Args:
      key: a PRNG key.
      data: an integer scalar (may be traced).

    Returns:
      A uint32 array of shape (2,).

    Example:
      >>> irax.random.fold_in(irax.random.PRNGKey(0), 3)
      Array([2467461003, 3840466878], dtype=uint32)
    """
    key = check_key("fold_in", key)
    if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
        data = uint32(int(data) % 2**32)
    data = to_tensor(data)
    if data.shape:
        raise TypeError(f"fold_in: data must be a scalar, got shape {data.shape} "
                        "(map over a batch with irax.vmap)")
    if not dtypes.is_integer(data.dtype):
        raise TypeError(f"fold_in: data must be an integer, got {data.dtype}")
    return threefry_2x32(key, _seed_words(ew.convert_element_type(data, dtypes.uint32)))


def random_bits(key: Tensor, bit_width: int, shape: tuple) -> Tensor:
    """Uniform random unsigned integers of `bit_width` bits (JAX's partitionable
    threefry_random_bits).

    Element i hashes the counter i into two words w1, w2: a 64-bit value is
    `w1 << 32 | w2`, a 32-bit one `w1 ^ w2`, and 8- and 16-bit ones the low bits
    of `w1 ^ w2`.
    """
    w1, w2 = hash_indices(key, shape)
    dtype = _UINT_DTYPES[bit_width]
    if bit_width == 64:
        high, low = (ew.convert_element_type(w, dtype) for w in (w1, w2))
        return ew.bitwise_or(ew.shift_left(high, ArrayImpl(np.asarray(32, dtype))), low)
    return ew.convert_element_type(ew.bitwise_xor(w1, w2), dtype)


def bits(key, shape=(), dtype=None) -> Tensor:
    """Uniform random bits as unsigned integers (`jax.random.bits`).

    Args:
      key: a PRNG key.
      shape: the output shape.
      dtype: an unsigned integer dtype; default uint32 (uint64 with x64).

    Returns:
      An array of `shape` and `dtype`.

    Example:
      >>> irax.random.bits(irax.random.PRNGKey(0), (4,))
      Array([4070199207, 4202968722, 1427181096, 2012915765], dtype=uint32)
    """
    key = check_key("bits", key)
    dtype = dtypes.canonicalize_dtype(np.uint64 if dtype is None else dtypes.to_dtype(dtype))
    if dtype.kind != "u":
        raise ValueError(f"bits: dtype must be an unsigned integer dtype, got {dtype}")
    return random_bits(key, dtype.itemsize * 8, canonical_shape("bits", shape))
