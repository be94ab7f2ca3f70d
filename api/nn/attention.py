"""Scaled dot-product attention, `irax.nn.dot_product_attention`, with JAX's semantics.

Shapes use JAX's letters: B batch, T query length, S key/value length, N query heads,
K key/value heads (N a multiple of K: grouped-query attention), G = N // K, H head
size.  Queries are grouped as (B, T, K, G, H) so that each key/value head serves its G
query heads without copying keys.  Logits are computed in at least float32 and the
softmax runs in that precision, so float16/bfloat16 inputs neither overflow nor lose
the normalizer; masked logits become a large finite negative number (never -inf), so
a fully masked row gives a uniform average instead of NaN, as in JAX.
"""
import numpy as np

import irax.numpy as jnp
from irax.core import dtypes
from irax.core.primitives import elementwise as ew
from irax.core.tensor import Tensor

from .functions import logsumexp, softmax

__all__ = ["dot_product_attention"]

_IMPLEMENTATIONS = (None, "xla")


def _ensure_4d(x: Tensor) -> Tensor:
    """Prepends size-1 axes up to rank 4 (`TNH` -> `1TNH`, `TS` -> `11TS`)."""
    return jnp.reshape(x, (1,) * (4 - x.ndim) + x.shape) if x.ndim < 4 else x


def _check(name: str, x: Tensor | None, shape: tuple, dtype=None) -> None:
    """JAX's checks: rank, dtype, and each size that is not -1."""
    if x is None:
        return
    if x.ndim != len(shape):
        raise ValueError(f"dot_product_attention: {name} must have rank {len(shape)}, "
                         f"got shape {x.shape}")
    if dtype is not None and x.dtype != dtype:
        raise ValueError(f"dot_product_attention: {name} dtype should be {np.dtype(dtype)}, "
                         f"but got {x.dtype}")
    if any(want not in (-1, got) for want, got in zip(shape, x.shape)):
        raise ValueError(f"dot_product_attention: {name} shape should be "
                         f"{tuple(shape)} (-1: any), but got {x.shape}")


def _grouped(x: Tensor | None, num_kv_heads: int, groups: int, name: str) -> Tensor | None:
    """A bias or mask broadcastable to (B, N, T, S) as (B, K, G, T, S)-broadcastable."""
    if x is None:
        return None
    b, n, t, s = x.shape
    if n == 1:
        return jnp.reshape(x, (b, 1, 1, t, s))
    if n != num_kv_heads * groups:
        raise ValueError(f"dot_product_attention: {name} of shape {x.shape} does not "
                         f"broadcast to {num_kv_heads * groups} heads")
    return jnp.reshape(x, (b, num_kv_heads, groups, t, s))


def _large_negative(dtype) -> float:
    """-0.7 times the largest finite value, capped at float32's range (JAX's choice)."""
    return -0.7 * min(float(dtypes.finfo(dtype).max), float(np.finfo(np.float32).max))


def _combined_mask(mask, is_causal, local_window_size, q_seqlen, kv_seqlen, t, s):
    """The bool mask (broadcastable to (B, K, G, T, S)) of the logits that take part;
    None when every logit does."""
    query_pos = jnp.arange(t)[:, None]
    key_pos = jnp.arange(s)[None, :]
    terms = [] if mask is None else [mask]
    if is_causal:
        terms.append(query_pos >= key_pos)
    if local_window_size is not None:
        left, right = local_window_size
        terms.append((query_pos <= key_pos + left) & (query_pos >= key_pos - right))
    if q_seqlen is not None:
        terms.append(jnp.reshape(jnp.arange(t), (1, 1, 1, t, 1))
                     < jnp.reshape(q_seqlen, (-1, 1, 1, 1, 1)))
    if kv_seqlen is not None:
        terms.append(jnp.reshape(jnp.arange(s), (1, 1, 1, 1, s))
                     < jnp.reshape(kv_seqlen, (-1, 1, 1, 1, 1)))
    if not terms:
        return None
    combined = terms[0]
    for term in terms[1:]:
        combined = combined & term
    return combined


def _window(local_window_size) -> tuple[int, int] | None:
    if local_window_size is None:
        return None
    if isinstance(local_window_size, (int, np.integer)):
        return int(local_window_size), int(local_window_size)
    left, right = local_window_size
    return int(left), int(right)


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal: bool = False, query_seq_lengths=None,
                          key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual: bool = False):
    """`dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
    is_causal=False, query_seq_lengths=None, key_value_seq_lengths=None,
    local_window_size=None, implementation=None, return_residual=False)`

    Scaled dot-product attention, per head `softmax(scale * Q K^T + bias) V`.

    Args:
      query: shape (B, T, N, H) or (T, N, H).
      key: shape (B, S, K, H) or (S, K, H), same dtype as query. K == N is
        multi-head attention; K dividing N is grouped-query attention (each key/value
        head serves N // K consecutive query heads); K == 1 is multi-query attention.
      value: the same shape and dtype as key.
      bias: optional array added to the logits, broadcastable to (B, N, T, S)
        (lower ranks are padded with leading 1s).
      mask: optional boolean array broadcastable to (B, N, T, S); True entries take
        part. Masked logits are replaced by a large negative number.
      scale: the logits' scale; default `1 / sqrt(H)`.
      is_causal: mask out keys after the query's position (`key_pos > query_pos`).
      query_seq_lengths: optional int32 array of shape (B,): queries at positions
        >= the length are padding; their logits are masked and their outputs are 0.
      key_value_seq_lengths: optional int32 array of shape (B,): keys at positions
        >= the length are masked.
      local_window_size: an int w or a pair (left, right): query t attends to keys
        in [t - left, t + right].
      implementation: None or "xla" (the one implementation irax has: einsums and a
        softmax, compiled by IREE); "cudnn" raises ValueError.
      return_residual: also return the logsumexp of the masked logits, shape
        (B, T, N) or (T, N).

    Returns:
      An array of query's shape and dtype (and the residual if asked).

    Logits are computed in `promote_types(query.dtype, float32)`; the softmax runs in
    that dtype and the probabilities are cast to the value dtype before the second
    einsum. Unlike JAX, float64 inputs keep float64 logits (JAX rounds them to float32).

    Example:
      >>> q = jnp.ones((1, 2, 1, 4)); k = v = jnp.arange(8.).reshape(1, 2, 1, 4)
      >>> irax.nn.dot_product_attention(q, k, v, is_causal=True)[0, :, 0]
      Array([[0.       , 1.       , 2.       , 3.       ],
             [3.9986587, 4.9986587, 5.9986587, 6.9986587]], dtype=float32)
    """
    if implementation not in _IMPLEMENTATIONS:
        raise ValueError(f"dot_product_attention: unsupported implementation "
                         f"{implementation!r}; irax has None and 'xla'")
    query, key, value = (jnp.asarray(x) for x in (query, key, value))
    output_shape = query.shape
    query, key, value = (_ensure_4d(x) for x in (query, key, value))
    bias = None if bias is None else _ensure_4d(jnp.asarray(bias))
    mask = None if mask is None else _ensure_4d(jnp.asarray(mask))
    q_seqlen = None if query_seq_lengths is None else jnp.asarray(query_seq_lengths)
    kv_seqlen = None if key_value_seq_lengths is None else jnp.asarray(key_value_seq_lengths)

    b, s, k, h = key.shape
    _check("value", value, (b, s, k, h), key.dtype)
    _check("query", query, (b, -1, -1, h), key.dtype)
    _check("mask", mask, (-1,) * 4, np.dtype(bool))
    _check("bias", bias, (-1,) * 4)
    _check("query_seq_lengths", q_seqlen, (b,), np.dtype(np.int32))
    _check("key_value_seq_lengths", kv_seqlen, (b,), np.dtype(np.int32))
    t, n = query.shape[1], query.shape[2]
    if n % k:
        raise ValueError(f"dot_product_attention: the number of query heads must be a "
                         f"multiple of key/value heads, but got {n} vs {k} (query shape "
                         f"{query.shape}, key shape {key.shape})")
    groups = n // k
    scale = 1.0 / np.sqrt(h) if scale is None else scale

    logits_dtype = jnp.promote_types(query.dtype, np.float32)
    grouped_query = jnp.reshape(query, (b, t, k, groups, h))
    logits = jnp.einsum("BTKGH,BSKH->BKGTS", grouped_query, key,
                        preferred_element_type=logits_dtype)
    logits = logits * jnp.asarray(scale, logits_dtype)
    if bias is not None:
        logits = (logits + _grouped(bias, k, groups, "bias")).astype(logits_dtype)
    combined = _combined_mask(_grouped(mask, k, groups, "mask"), is_causal,
                              _window(local_window_size), q_seqlen, kv_seqlen, t, s)
    if combined is not None:
        logits = jnp.where(combined, logits, _large_negative(logits_dtype))

    probs = softmax(logits, axis=-1).astype(key.dtype)
    encoded = jnp.einsum("BKGTS,BSKH->BTKGH", probs, value)
    if q_seqlen is not None:
        valid = jnp.reshape(jnp.arange(t), (1, t, 1, 1, 1)) < jnp.reshape(q_seqlen,
                                                                           (b, 1, 1, 1, 1))
        encoded = encoded * valid.astype(encoded.dtype)
    out = jnp.reshape(encoded, output_shape)
    if not return_residual:
        return out
    residual = ew.stop_gradient(logsumexp(logits, axis=-1).astype(key.dtype))
    residual = jnp.transpose(residual, (0, 3, 1, 2))  # B K G T -> B T K G
    return out, jnp.reshape(residual, output_shape[:-1])
