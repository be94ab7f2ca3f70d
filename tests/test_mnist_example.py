"""JAX's examples/mnist_classifier.py on irax: the example's code with only its imports
changed (jax -> irax), trained on a small synthetic MNIST-shaped dataset (256 random
28x28 images labelled by a fixed random linear teacher).  The loss must fall and the
accuracy rise, and the first two momentum steps (two batches through the one compiled
step) must match a float64 NumPy implementation of the same network (forward,
hand-written backward pass, momentum update)."""
import itertools

import numpy as np
import numpy.random as npr
from scipy import special

# The example's imports, with jax replaced by irax:
import irax.numpy as jnp
from irax import grad, jit, random
from irax.example_libraries import optimizers, stax
from irax.example_libraries.stax import Dense, LogSoftmax, Relu


# From here to `init_random_params`: the example's code, unchanged.
def loss(params, batch):
    inputs, targets = batch
    preds = predict(params, inputs)
    return -jnp.mean(jnp.sum(preds * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


init_random_params, predict = stax.serial(
    Dense(1024), Relu,
    Dense(1024), Relu,
    Dense(10), LogSoftmax)

STEP_SIZE = 0.001
MOMENTUM_MASS = 0.9
BATCH_SIZE = 128


def synthetic_mnist(num_train=256, seed=0):
    """Images in [0, 1) flattened to 784 and one-hot labels of a linear teacher, as
    `datasets.mnist()` returns them."""
    rng = np.random.default_rng(seed)
    images = rng.random((num_train, 28 * 28), dtype=np.float32)
    teacher = rng.standard_normal((28 * 28, 10))
    labels = np.argmax((images - 0.5) @ teacher, axis=1)
    return images, np.eye(10, dtype=np.float32)[labels]


def train(train_images, train_labels, num_epochs):
    """The example's `__main__` block (timing and printing left out); returns the
    parameters after each step and the batches used."""
    rng = random.key(0)

    step_size = STEP_SIZE
    batch_size = BATCH_SIZE
    momentum_mass = MOMENTUM_MASS

    num_train = train_images.shape[0]
    num_complete_batches, leftover = divmod(num_train, batch_size)
    num_batches = num_complete_batches + bool(leftover)

    def data_stream():
        rng = npr.RandomState(0)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * batch_size:(i + 1) * batch_size]
                yield train_images[batch_idx], train_labels[batch_idx]
    batches = data_stream()

    opt_init, opt_update, get_params = optimizers.momentum(step_size, mass=momentum_mass)

    @jit
    def update(i, opt_state, batch):
        params = get_params(opt_state)
        return opt_update(i, grad(loss)(params, batch), opt_state)

    _, init_params = init_random_params(rng, (-1, 28 * 28))
    opt_state = opt_init(init_params)
    itercount = itertools.count()

    history, used = [init_params], []
    for epoch in range(num_epochs):
        for _ in range(num_batches):
            batch = next(batches)
            used.append(batch)
            opt_state = update(next(itercount), opt_state, batch)
            history.append(get_params(opt_state))
    return history, used


def numpy_loss_and_grads(params, batch):
    """float64 forward and backward pass of Dense-Relu-Dense-Relu-Dense-LogSoftmax with
    the loss -mean(sum(log_probs * targets))."""
    (W1, b1), _, (W2, b2), _, (W3, b3), _ = params
    x, targets = (np.asarray(a, np.float64) for a in batch)
    z1 = x @ W1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ W2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ W3 + b3
    log_probs = logits - special.logsumexp(logits, axis=1, keepdims=True)
    value = -np.mean(np.sum(log_probs * targets, axis=1))
    d_log_probs = -targets / len(x)
    d_logits = d_log_probs - np.exp(log_probs) * d_log_probs.sum(axis=1, keepdims=True)
    d_h2 = d_logits @ W3.T
    d_z2 = d_h2 * (z2 > 0)
    d_h1 = d_z2 @ W2.T
    d_z1 = d_h1 * (z1 > 0)
    grads = [(x.T @ d_z1, d_z1.sum(0)), (), (h1.T @ d_z2, d_z2.sum(0)), (),
             (h2.T @ d_logits, d_logits.sum(0)), ()]
    return value, grads


def as_float64(params):
    return [tuple(np.asarray(p, np.float64) for p in layer) for layer in params]


def test_mnist_classifier_learns_and_matches_numpy():
    images, labels = synthetic_mnist()
    history, used = train(images, labels, num_epochs=8)
    assert len(history) == 17

    full = (images, labels)
    losses = [float(loss(params, full)) for params in (history[0], history[-1])]
    assert losses[-1] < losses[0] - 0.1, losses  # measured: 2.416 -> 2.265
    accuracies = [float(accuracy(params, full)) for params in (history[0], history[-1])]
    assert accuracies[-1] > accuracies[0] + 0.02, accuracies  # measured: 0.121 -> 0.164

    # Two steps of momentum in float64 NumPy from the same initial parameters.
    params = as_float64(history[0])
    velocity = [tuple(np.zeros_like(p) for p in layer) for layer in params]
    for step in range(2):
        value, grads = numpy_loss_and_grads(params, used[step])
        np.testing.assert_allclose(float(loss(history[step], used[step])), value, rtol=1e-5)
        velocity = [tuple(MOMENTUM_MASS * v + g for v, g in zip(vs, gs))
                    for vs, gs in zip(velocity, grads)]
        new_params = [tuple(p - STEP_SIZE * v for p, v in zip(ps, vs))
                      for ps, vs in zip(params, velocity)]
        # Compare the update (the parameters barely move relative to their size).
        for got_old, got_new, want_old, want_new in zip(
                history[step], history[step + 1], params, new_params):
            for a, b, c, d in zip(got_old, got_new, want_old, want_new):
                got = (np.asarray(b, np.float64) - np.asarray(a, np.float64)) / STEP_SIZE
                want = (d - c) / STEP_SIZE
                np.testing.assert_allclose(got, want, rtol=2e-2, atol=2e-3 * np.abs(want).max())
        params = as_float64(history[step + 1])
