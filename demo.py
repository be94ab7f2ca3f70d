"""python -m irax.demo: train a small MLP classifier with irax.jit(irax.grad(loss)), then a convnet.

A synthetic two-spirals dataset is generated in-process (no download); the model is
trained by minibatch SGD with momentum on gradients from a compiled
`jit(grad(loss))` (IREE, CPU), and each epoch prints loss, accuracy, step time and
per-example gradient norms (`jit(vmap(grad(...)))`) of one batch.
`--eager` runs the same training op by op without compiling; `--device vulkan` (or
another platform) trains there. At the end the trained `predict` is exported to a
standalone .vmfb, reloaded with the IREE runtime alone (`irax.runtime.load`), and its
predictions are checked against the live model's.

Then a small convnet (`irax.example_libraries.stax`: two convolutions with max pooling,
trained by `optimizers.adam`) learns to tell four kinds of 12x12 synthetic images apart
(bars, crosses and boxes at random places, with noise), and prints its test accuracy.
"""
import argparse
import itertools
import os
import tempfile
import time

import numpy as np

import irax
import irax.numpy as jnp


def two_spirals(n_per_class: int, noise: float, seed: int):
    """Points on two interleaved spirals, labelled 0 and 1."""
    rng = np.random.RandomState(seed)
    theta = np.sqrt(rng.uniform(0, 1, n_per_class)) * 2 * np.pi
    arm = np.stack([theta * np.cos(theta), theta * np.sin(theta)], axis=1) / (2 * np.pi)
    xs = np.concatenate([arm, -arm]) + noise * rng.standard_normal((2 * n_per_class, 2))
    ys = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)]).astype(np.int32)
    order = rng.permutation(2 * n_per_class)
    return xs[order].astype(np.float32), ys[order]


def init_params(key, sizes):
    """Glorot-normal weights and zero biases for an MLP with layer `sizes`."""
    params = []
    for k, (m, n) in zip(irax.random.split(key, len(sizes) - 1), itertools.pairwise(sizes)):
        params.append((irax.random.normal(k, (m, n)) * np.sqrt(2.0 / (m + n)),
                       jnp.zeros(n)))
    return params


def predict(params, x):
    """Logits of the MLP: tanh hidden layers, linear output."""
    for w, b in params[:-1]:
        x = jnp.tanh(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss(params, x, y):
    """Mean softmax cross-entropy."""
    logits = predict(params, x)
    return -jnp.mean(jnp.sum(irax.nn.log_softmax(logits) * irax.nn.one_hot(y, 2), axis=-1))


def per_example_grad_norms(params, x, y):
    """The gradient norm of each example's loss (vmap of grad over the batch)."""
    one = lambda p, xi, yi: loss(p, xi[None], yi[None])
    grads = irax.vmap(irax.grad(one), in_axes=(None, 0, 0))(params, x, y)
    squares = [jnp.sum(g.reshape(g.shape[0], -1) ** 2, axis=1)
               for g in irax.tree_util.tree_leaves(grads)]
    return jnp.sqrt(sum(squares))


def accuracy(params, x, y):
    return float(jnp.mean(jnp.argmax(predict(params, x), axis=-1) == y))


SHAPES = ("horizontal bar", "vertical bar", "cross", "box")


def shape_images(n: int, seed: int, size: int = 12, noise: float = 0.3):
    """`n` `size`x`size` images (NHWC, one channel) of the four `SHAPES`, each drawn at
    a random place over Gaussian noise of standard deviation `noise`, and their labels."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, len(SHAPES), n)
    images = noise * rng.standard_normal((n, size, size, 1)).astype(np.float32)
    for image, label in zip(images[..., 0], labels):
        r, c = rng.randint(2, size - 6, 2)
        shape = np.zeros((5, 5), np.float32)
        if label in (0, 2):
            shape[2, :] = 1  # the horizontal stroke
        if label in (1, 2):
            shape[:, 2] = 1  # the vertical stroke
        if label == 3:
            shape[[0, 4], :] = shape[:, [0, 4]] = 1
        image[r:r + 5, c:c + 5] += shape
    return images, labels.astype(np.int32)


def convnet():
    """(init_fun, apply_fun) of the demo's stax convnet, log-probabilities out."""
    from irax.example_libraries import stax
    return stax.serial(
        stax.Conv(8, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
        stax.Conv(16, (3, 3), padding="SAME"), stax.Relu, stax.MaxPool((2, 2), strides=(2, 2)),
        stax.Flatten, stax.Dense(len(SHAPES)), stax.LogSoftmax)


def train_convnet(steps: int = 150, batch: int = 32, eager: bool = False) -> float:
    """Trains `convnet` with Adam on `shape_images`; prints and returns test accuracy."""
    from irax.example_libraries import optimizers
    init_fun, apply_fun = convnet()
    x_train, y_train = shape_images(1024, seed=0)
    x_test, y_test = shape_images(512, seed=1)
    _, params = init_fun(irax.random.PRNGKey(0), (-1, *x_train.shape[1:]))
    opt_init, opt_update, get_params = optimizers.adam(3e-3)

    def loss(params, x, y):
        log_probs = apply_fun(params, x)
        return -jnp.mean(jnp.sum(log_probs * irax.nn.one_hot(y, len(SHAPES)), axis=-1))

    def update(i, state, x, y):
        return opt_update(i, irax.grad(loss)(get_params(state), x, y), state)

    update = update if eager else irax.jit(update)
    state = opt_init(params)
    start = time.perf_counter()
    for i in range(steps):
        j = (i * batch) % len(x_train)
        state = update(i, state, x_train[j:j + batch], y_train[j:j + batch])
    seconds = time.perf_counter() - start
    predictions = jnp.argmax(apply_fun(get_params(state), x_test), axis=-1)
    test_accuracy = float(jnp.mean(predictions == y_test))
    print(f"convnet (stax Conv8-Pool-Conv16-Pool-Dense{len(SHAPES)}, adam) on 12x12 "
          f"images of {len(SHAPES)} shapes: {steps} steps of {batch} in {seconds:.1f} s "
          f"(compile included), test acc {test_accuracy:.3f}")
    return test_accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--eager", action="store_true", help="do not compile (op by op)")
    parser.add_argument("--device", default=None,
                        help="platform to train on (cpu, vulkan, cuda; default: cpu)")
    parser.add_argument("--convnet-steps", type=int, default=150,
                        help="Adam steps of the convnet run (0: skip it)")
    args = parser.parse_args(argv)
    if args.device is not None:
        irax.config.update("default_device", args.device)

    x_train, y_train = two_spirals(500, 0.02, seed=0)
    x_test, y_test = two_spirals(200, 0.02, seed=1)
    params = init_params(irax.random.PRNGKey(0), (2, 64, 64, 2))
    velocity = irax.tree_util.tree_map(jnp.zeros_like, params)
    grad_loss = irax.grad(loss) if args.eager else irax.jit(irax.grad(loss))
    evaluate = loss if args.eager else irax.jit(loss)
    grad_norms = per_example_grad_norms if args.eager else irax.jit(per_example_grad_norms)
    steps = len(x_train) // args.batch
    platform = args.device or "cpu"
    mode = "eager" if args.eager else f"jit(grad(loss)) compiled by IREE for {platform}"
    print(f"irax {irax.__version__}: MLP 2-64-64-2 on two spirals, "
          f"{len(x_train)} train / {len(x_test)} test points, {steps} steps per epoch, {mode}")
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for i in range(steps):
            xb = x_train[i * args.batch:(i + 1) * args.batch]
            yb = y_train[i * args.batch:(i + 1) * args.batch]
            grads = grad_loss(params, xb, yb)
            velocity = irax.tree_util.tree_map(lambda v, g: 0.9 * v + g, velocity, grads)
            params = irax.tree_util.tree_map(lambda p, v: p - args.lr * v, params, velocity)
        step_ms = 1e3 * (time.perf_counter() - start) / steps
        norms = np.asarray(grad_norms(params, x_train[:args.batch], y_train[:args.batch]))
        print(f"epoch {epoch:2d}  loss {float(evaluate(params, x_train, y_train)):.4f}  "
              f"train acc {accuracy(params, x_train, y_train):.3f}  "
              f"test acc {accuracy(params, x_test, y_test):.3f}  step {step_ms:.2f} ms  "
              f"per-example |grad| median {np.median(norms):.3f} max {norms.max():.3f}")
    check_exported_predict(params, x_test)
    if args.convnet_steps:
        train_convnet(args.convnet_steps, eager=args.eager)
    return accuracy(params, x_test, y_test)


def check_exported_predict(params, x):
    """Exports the trained `predict` for `x`'s shape, reloads it with the IREE runtime
    alone and checks that its logits match the live model's; returns the max difference."""
    from irax.runtime.artifact import load
    from irax.transforms.export import export

    start = time.perf_counter()
    exported = export(predict, params, x)
    export_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "predict.vmfb")
        exported.save(path)
        start = time.perf_counter()
        logits = load(path, device="cpu")(params, x)
        load_s = time.perf_counter() - start
    want = np.asarray(predict(params, x))
    error = float(np.max(np.abs(logits - want)))
    if not np.allclose(logits, want, rtol=1e-4, atol=1e-5):
        raise AssertionError(f"the exported predict differs from the model by {error:.3g}")
    print(f"exported predict{exported.signature}: {len(exported.vmfb)} bytes in "
          f"{export_s:.2f} s; reloaded with the IREE runtime alone, loaded and run in "
          f"{load_s * 1e3:.1f} ms: predictions match the model (max |diff| {error:.1e})")
    return error


if __name__ == "__main__":
    main()
