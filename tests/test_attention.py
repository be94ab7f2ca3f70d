"""irax.nn.dot_product_attention against a float64 NumPy loop over batches and heads:
masks, bias broadcasting, causal and local windows, sequence lengths, grouped heads,
low-precision inputs, gradients (check_grads), vmap and jit."""
import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.nn.attention import dot_product_attention
from irax.test_util import check_grads

F32_MAX = float(np.finfo(np.float32).max)


def reference(q, k, v, bias=None, mask=None, *, scale=None, is_causal=False,
              q_len=None, kv_len=None, window=None, residual=False):
    """Attention by loops over batch and query head, in float64."""
    squeeze = q.ndim == 3
    q, k, v = (np.asarray(x, np.float64)[None] if squeeze else np.asarray(x, np.float64)
               for x in (q, k, v))
    b, t, n, h = q.shape
    s, kv_heads = k.shape[1], k.shape[2]
    groups = n // kv_heads
    scale = 1 / np.sqrt(h) if scale is None else scale
    full = (b, n, t, s)
    bias = np.zeros(full) if bias is None else np.broadcast_to(bias, full)
    mask = np.ones(full, bool) if mask is None else np.broadcast_to(mask, full)
    if isinstance(window, int):
        window = (window, window)
    out = np.zeros((b, t, n, h))
    lse = np.zeros((b, t, n))
    for bi in range(b):
        for ni in range(n):
            kh = ni // groups
            logits = scale * q[bi, :, ni] @ k[bi, :, kh].T + bias[bi, ni]
            keep = mask[bi, ni].copy()
            for ti in range(t):
                for si in range(s):
                    if is_causal and si > ti:
                        keep[ti, si] = False
                    if window and not (si - window[1] <= ti <= si + window[0]):
                        keep[ti, si] = False
                    if q_len is not None and ti >= q_len[bi]:
                        keep[ti, si] = False
                    if kv_len is not None and si >= kv_len[bi]:
                        keep[ti, si] = False
            logits = np.where(keep, logits, -0.7 * F32_MAX)
            top = logits.max(axis=1, keepdims=True)
            weights = np.exp(logits - top)
            lse[bi, :, ni] = np.log(weights.sum(axis=1)) + top[:, 0]
            probs = weights / weights.sum(axis=1, keepdims=True)
            out[bi, :, ni] = probs @ v[bi, :, kh]
            if q_len is not None:
                out[bi, q_len[bi]:, ni] = 0
    if squeeze:
        out, lse = out[0], lse[0]
    return (out, lse) if residual else out


def qkv(rng, b, t, s, n, k, h, dtype=np.float32):
    shapes = [(b, t, n, h), (b, s, k, h), (b, s, k, h)]
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


CASES = {
    "mha": {"dims": (2, 3, 4, 2, 2, 5)},
    "gqa": {"dims": (2, 3, 4, 4, 2, 3)},
    "mqa_causal": {"dims": (1, 4, 4, 3, 1, 2), "is_causal": True},
    "bias_per_head": {"dims": (2, 3, 4, 4, 2, 3), "bias": (2, 4, 3, 4)},
    "bias_broadcast": {"dims": (2, 3, 4, 2, 2, 3), "bias": (1, 1, 3, 4)},
    "bias_2d": {"dims": (2, 3, 4, 2, 2, 3), "bias": (3, 4)},
    "mask_per_head_gqa": {"dims": (2, 3, 4, 4, 2, 3), "mask": (2, 4, 3, 4)},
    "mask_and_bias": {"dims": (2, 3, 4, 2, 1, 3), "mask": (2, 1, 3, 4), "bias": (1, 2, 1, 4)},
    "window": {"dims": (1, 5, 5, 2, 2, 3), "local_window_size": (2, 1)},
    "window_int_causal": {"dims": (1, 5, 5, 2, 2, 3), "local_window_size": 1, "is_causal": True},
    "seq_lengths": {"dims": (2, 4, 5, 2, 2, 3), "q_len": [2, 4], "kv_len": [3, 5]},
    "scale": {"dims": (2, 3, 4, 2, 2, 3), "scale": 0.3, "is_causal": True},
}


def call(q, k, v, bias=None, mask=None, *, q_len=None, kv_len=None, window=None, **kw):
    return dot_product_attention(
        q, k, v, bias, mask, query_seq_lengths=None if q_len is None else np.int32(q_len),
        key_value_seq_lengths=None if kv_len is None else np.int32(kv_len),
        local_window_size=window, **kw)


def case_arrays(case, rng, dtype=np.float32):
    case = dict(case)
    q, k, v = qkv(rng, *case.pop("dims"), dtype=dtype)
    bias = case.pop("bias", None)
    mask = case.pop("mask", None)
    bias = None if bias is None else rng.standard_normal(bias).astype(dtype)
    mask = None if mask is None else rng.random(mask) < 0.7
    case["window"] = case.pop("local_window_size", None)
    return (q, k, v, bias, mask), case


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy_loops(name):
    (q, k, v, bias, mask), kw = case_arrays(CASES[name], np.random.default_rng(0))
    out = call(q, k, v, bias, mask, **kw)
    assert out.shape == q.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, reference(q, k, v, bias, mask, **kw), rtol=1e-5, atol=1e-5)


def test_unbatched_inputs_and_residual():
    rng = np.random.default_rng(1)
    q, k, v = (x[0] for x in qkv(rng, 1, 3, 4, 4, 2, 3))
    bias = rng.standard_normal((3, 4)).astype(np.float32)
    out, lse = dot_product_attention(q, k, v, bias, is_causal=True, return_residual=True)
    want, want_lse = reference(q, k, v, bias, is_causal=True, residual=True)
    assert out.shape == (3, 4, 3) and lse.shape == (3, 4)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(lse, want_lse, rtol=1e-5, atol=1e-5)


def test_fully_masked_row_averages_values():
    """JAX masks with a finite large negative, so a row with no key left is uniform."""
    rng = np.random.default_rng(2)
    q, k, v = qkv(rng, 1, 2, 3, 1, 1, 2)
    mask = np.array([[False, False, False], [True, False, True]])
    out = dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_allclose(out[0, 0, 0], v[0, :, 0].mean(axis=0), rtol=1e-6)
    assert np.isfinite(np.asarray(out)).all()


@pytest.mark.parametrize("dtype", [np.float16, jnp.bfloat16])
def test_low_precision_inputs_use_float32_logits(dtype):
    """Logits of ~1e5 overflow float16 (max 65504); the float32 softmax does not."""
    rng = np.random.default_rng(3)
    q, k, v = qkv(rng, 2, 3, 4, 2, 2, 4)
    q = q * 150
    k = k * 150
    q16, k16, v16 = (np.asarray(x).astype(dtype) for x in (q, k, v))
    out = dot_product_attention(q16, k16, v16, is_causal=True)
    assert out.dtype == dtype
    want = reference(*(np.asarray(x, np.float32) for x in (q16, k16, v16)), is_causal=True)
    assert np.isfinite(np.asarray(out, np.float32)).all()
    tol = 2e-2 if dtype == jnp.bfloat16 else 2e-3
    np.testing.assert_allclose(np.asarray(out, np.float32), want, rtol=tol, atol=tol * 4)


@pytest.mark.parametrize("name", ["gqa", "mask_and_bias", "seq_lengths", "window_int_causal"])
def test_gradients_order_two(x64, name):
    (q, k, v, bias, mask), kw = case_arrays(CASES[name], np.random.default_rng(4), np.float64)
    if bias is None:
        check_grads(lambda q, k, v: call(q, k, v, None, mask, **kw), (q, k, v), order=2,
                    modes=("fwd", "rev"))
    else:
        check_grads(lambda q, k, v, bias: call(q, k, v, bias, mask, **kw), (q, k, v, bias),
                    order=2, modes=("fwd", "rev"))


def test_gradient_matches_finite_differences_of_reference(x64):
    """grad of a scalar loss against central differences of the NumPy reference."""
    rng = np.random.default_rng(5)
    q, k, v = qkv(rng, 1, 3, 3, 2, 1, 2, np.float64)
    weights = rng.standard_normal(q.shape)

    def loss_ref(q):
        return float((reference(q, k, v, is_causal=True) * weights).sum())

    grad_q = irax.grad(lambda q: jnp.sum(dot_product_attention(q, k, v, is_causal=True)
                                         * weights))(q)
    eps = 1e-6
    numeric = np.zeros_like(q)
    for index in np.ndindex(q.shape):
        step = np.zeros_like(q)
        step[index] = eps
        numeric[index] = (loss_ref(q + step) - loss_ref(q - step)) / (2 * eps)
    np.testing.assert_allclose(grad_q, numeric, rtol=1e-6, atol=1e-8)


def test_vmap_matches_loop():
    rng = np.random.default_rng(6)
    batches = [qkv(rng, 2, 3, 4, 4, 2, 3) for _ in range(3)]
    q, k, v = (np.stack(xs) for xs in zip(*batches))
    out = irax.vmap(lambda q, k, v: dot_product_attention(q, k, v, is_causal=True))(q, k, v)
    for i in range(3):
        np.testing.assert_allclose(out[i], reference(q[i], k[i], v[i], is_causal=True),
                                   rtol=1e-5, atol=1e-5)


def test_jit_called_twice_and_its_gradient():
    rng = np.random.default_rng(7)
    lengths = {"q_len": [3, 2], "kv_len": [4, 1]}

    @irax.jit
    def attend(q, k, v, bias, mask, q_len, kv_len):
        return dot_product_attention(q, k, v, bias, mask, is_causal=True,
                                     query_seq_lengths=q_len, key_value_seq_lengths=kv_len)

    loss_grad = irax.jit(irax.grad(
        lambda q, k, v: jnp.sum(dot_product_attention(q, k, v, local_window_size=1) ** 2),
        argnums=(0, 1, 2)))
    for _ in range(2):
        q, k, v = qkv(rng, 2, 3, 4, 4, 2, 3)
        bias = rng.standard_normal((1, 4, 3, 4)).astype(np.float32)
        mask = rng.random((2, 1, 3, 4)) < 0.8
        out = attend(q, k, v, bias, mask, np.int32(lengths["q_len"]),
                     np.int32(lengths["kv_len"]))
        np.testing.assert_allclose(out, reference(q, k, v, bias, mask, is_causal=True,
                                                  **lengths), rtol=1e-5, atol=1e-5)
        eager = irax.grad(
            lambda q, k, v: jnp.sum(dot_product_attention(q, k, v, local_window_size=1) ** 2),
            argnums=(0, 1, 2))(q, k, v)
        for got, want in zip(loss_grad(q, k, v), eager):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        lengths = {"q_len": [1, 3], "kv_len": [2, 4]}


@pytest.mark.parametrize("change, message", [
    ({"k": np.zeros((2, 4, 2, 3), np.float16)}, "dtype"),
    ({"q": np.zeros((2, 3, 3, 3), np.float32)}, "multiple of key/value heads"),
    ({"q": np.zeros((2, 3, 4, 2), np.float32)}, "query shape"),
    ({"v": np.zeros((2, 5, 2, 3), np.float32)}, "value shape"),
    ({"mask": np.ones((2, 4, 3, 4), np.float32)}, "mask dtype"),
    ({"bias": np.ones((1, 2, 4, 3, 4), np.float32)}, "bias must have rank 4"),
    ({"q_len": np.array([1, 2], np.int16)}, "query_seq_lengths dtype"),
    ({"kv_len": np.array([1, 2, 3], np.int32)}, "key_value_seq_lengths shape"),
    ({"implementation": "cudnn"}, "unsupported implementation"),
])
def test_errors_name_the_problem(change, message):
    rng = np.random.default_rng(8)
    q, k, v = qkv(rng, 2, 3, 4, 4, 2, 3)
    args = {"q": q, "k": k, "v": v, "bias": None, "mask": None, "q_len": None, "kv_len": None,
                "implementation": None}
    args.update(change)
    with pytest.raises(ValueError, match=message):
        dot_product_attention(args["q"], args["k"], args["v"], args["bias"], args["mask"],
                              query_seq_lengths=args["q_len"],
                              key_value_seq_lengths=args["kv_len"],
                              implementation=args["implementation"])
