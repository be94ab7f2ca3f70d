"""A stax convnet (Conv SAME, Relu, MaxPool, Flatten, Dense, LogSoftmax) end to end: its
first step matches a float64 NumPy reference (the loss; the gradient against central
finite differences of the NumPy loss; the parameters after one SGD step), and a few
dozen jitted Adam steps on learnable synthetic images lower the loss and raise the
accuracy, the eager first step agreeing with the jitted one."""
import numpy as np
from scipy import special

import irax.numpy as jnp
from irax import grad, jit, random, tree_util
from irax.example_libraries import optimizers, stax

# Height != width and two input channels, so a flatten or kernel taken in the wrong
# axis order changes the numbers; the kernel's even width makes SAME pad unevenly
# (nothing before, one column after), so a SAME_LOWER-style padding shows too.
IMAGE_SHAPE = (8, 6, 2)
KERNEL = (3, 2)
NUM_CLASSES = 3

init_net, predict = stax.serial(
    stax.Conv(4, KERNEL, padding="SAME"), stax.Relu,
    stax.MaxPool((2, 2), strides=(2, 2)),
    stax.Flatten,
    stax.Dense(NUM_CLASSES), stax.LogSoftmax)


def loss(params, images, targets):
    """Mean cross-entropy of one-hot `targets`."""
    return -jnp.mean(jnp.sum(predict(params, images) * targets, axis=1))


def init_params(seed):
    return init_net(random.PRNGKey(seed), (-1, *IMAGE_SHAPE))[1]


# The float64 NumPy reference, written from the definitions.

def same_padding(size, window, stride=1):
    """(low, high) SAME padding: the output has ceil(size / stride) entries and the
    extra entry of an odd total goes after."""
    total = max((-(-size // stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def numpy_forward(leaves, images):
    """Returns the log-probabilities and the convolution's output (before Relu)."""
    conv_w, conv_b, dense_w, dense_b = leaves
    n, h, w, _ = images.shape
    kh, kw, _, out_chan = conv_w.shape
    (top, bottom), (left, right) = same_padding(h, kh), same_padding(w, kw)
    padded = np.pad(images, [(0, 0), (top, bottom), (left, right), (0, 0)])
    # out[n, i, j, o] = sum over a, b, c of padded[n, i + a, j + b, c] * W[a, b, c, o]
    conv = sum(padded[:, a:a + h, b:b + w, :] @ conv_w[a, b]
               for a in range(kh) for b in range(kw)) + conv_b.reshape(out_chan)
    relu = np.maximum(conv, 0)
    pooled = relu.reshape(n, h // 2, 2, w // 2, 2, out_chan).max(axis=(2, 4))
    logits = pooled.reshape(n, -1) @ dense_w + dense_b  # row-major over H, W, C
    return logits - special.logsumexp(logits, axis=1, keepdims=True), conv


def numpy_loss(leaves, images, targets):
    log_probs, _ = numpy_forward(leaves, images)
    return -np.mean(np.sum(log_probs * targets, axis=1))


def finite_difference_grads(f, leaves, eps=1e-6):
    """Central differences of f(leaves) in every entry of every leaf."""
    grads = []
    for leaf in leaves:
        g = np.empty_like(leaf)
        for index in np.ndindex(leaf.shape):
            saved = leaf[index]
            leaf[index] = saved + eps
            up = f(leaves)
            leaf[index] = saved - eps
            down = f(leaves)
            leaf[index] = saved
            g[index] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def random_batch(seed, batch=8):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((batch, *IMAGE_SHAPE)).astype(np.float32)
    labels = rng.integers(0, NUM_CLASSES, batch)
    return images, np.eye(NUM_CLASSES, dtype=np.float32)[labels]


def as_float64(tree):
    return [np.array(leaf, np.float64) for leaf in tree_util.tree_leaves(tree)]


def assert_differentiable_point(leaves, images, margin=1e-4):
    """The loss is smooth near these parameters: no convolution output is near Relu's
    kink, and each pooling window's largest positive entry beats the runner-up by a
    margin (all-negative windows have zero derivative whichever entry wins)."""
    _, conv = numpy_forward(leaves, images)
    assert np.abs(conv).min() > margin, np.abs(conv).min()
    n, h, w, c = conv.shape
    windows = np.maximum(conv, 0).reshape(n, h // 2, 2, w // 2, 2, c)
    windows = np.sort(windows.transpose(0, 1, 3, 5, 2, 4).reshape(-1, 4), axis=1)
    positive = windows[:, -1] > 0
    gaps = windows[positive, -1] - windows[positive, -2]
    assert positive.any() and gaps.min() > margin, gaps.min()


def test_first_step_matches_float64_numpy():
    params = init_params(seed=0)
    images, targets = random_batch(seed=1)
    leaves = as_float64(params)
    assert [leaf.shape for leaf in leaves] == [(3, 2, 2, 4), (1, 1, 1, 4), (48, 3), (3,)]
    images64, targets64 = images.astype(np.float64), targets.astype(np.float64)
    assert_differentiable_point(leaves, images64)

    # (a) the loss, float32 and jitted, against float64.
    want_loss = numpy_loss(leaves, images64, targets64)
    np.testing.assert_allclose(float(jit(loss)(params, images, targets)), want_loss,
                               rtol=1e-5)  # measured: 1.76027071, relative error 4e-9

    # (b) the gradient against central differences of the float64 loss (eps 1e-6:
    # truncation error ~eps**2, rounding error ~1e-16 / eps = 1e-10); the float32
    # gradient's own error is a few ulps of the largest terms summed into it.
    want_grads = finite_difference_grads(
        lambda ls: numpy_loss(ls, images64, targets64), leaves)
    got_grads = as_float64(jit(grad(loss))(params, images, targets))
    scale = max(np.abs(g).max() for g in want_grads)  # measured: 0.994
    for got, want in zip(got_grads, want_grads):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-6 * scale)  # measured 2e-7

    # (c) one SGD step, compared as the update (new - old) / step_size.
    step_size = 0.5
    opt_init, opt_update, get_params = optimizers.sgd(step_size)
    new_params = get_params(jit(opt_update)(0, grad(loss)(params, images, targets),
                                            opt_init(params)))
    for old, new, want in zip(leaves, as_float64(new_params), want_grads):
        np.testing.assert_allclose((old - new) / step_size, want, rtol=1e-4,
                                   atol=2e-6 * scale)


def synthetic_bars(num, seed):
    """Noisy images holding one bar of three pixels at a random place: class 0 a
    horizontal bar in channel 0, class 1 a vertical bar in channel 0, class 2 a
    horizontal bar in channel 1."""
    rng = np.random.default_rng(seed)
    h, w, _ = IMAGE_SHAPE
    images = 0.3 * rng.standard_normal((num, *IMAGE_SHAPE)).astype(np.float32)
    labels = rng.integers(0, NUM_CLASSES, num)
    for image, label in zip(images, labels):
        if label == 1:
            i, j = rng.integers(0, h - 2), rng.integers(0, w)
            image[i:i + 3, j, 0] += 2.0
        else:
            i, j = rng.integers(0, h), rng.integers(0, w - 2)
            image[i, j:j + 3, label // 2] += 2.0
    return images, np.eye(NUM_CLASSES, dtype=np.float32)[labels]


def accuracy(params, images, targets):
    predicted = np.argmax(np.asarray(predict(params, images)), axis=1)
    return float(np.mean(predicted == np.argmax(targets, axis=1)))


def test_training_lowers_loss_and_raises_accuracy():
    images, targets = synthetic_bars(num=128, seed=2)
    batch_size, num_steps = 16, 30
    opt_init, opt_update, get_params = optimizers.adam(0.03)

    def step(i, state, images, targets):
        return opt_update(i, grad(loss)(get_params(state), images, targets), state)

    update = jit(step)
    params = init_params(seed=3)
    state = opt_init(params)
    order = np.random.default_rng(4).permutation(np.arange(num_steps * batch_size) % 128)
    batches = [(images[idx], targets[idx]) for idx in order.reshape(num_steps, batch_size)]

    eager = step(0, state, *batches[0])
    state = update(0, state, *batches[0])
    # Adam's state holds the parameters and both moments (so the gradient too).
    for got, want in zip(tree_util.tree_leaves(state), tree_util.tree_leaves(eager)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for i, batch in enumerate(batches[1:], start=1):
        state = update(i, state, *batch)
    trained = get_params(state)

    before, after = (float(loss(p, images, targets)) for p in (params, trained))
    assert after < 0.5 * before, (before, after)  # measured: 1.139 -> 0.188
    accuracies = [accuracy(p, images, targets) for p in (params, trained)]
    assert accuracies[1] > 0.8 and accuracies[1] > accuracies[0] + 0.3, accuracies
    # measured: 0.352 -> 0.977 (chance is 1/3)
