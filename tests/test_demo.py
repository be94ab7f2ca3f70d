"""The main job, `python -m irax.demo`, trains to high accuracy (short run)."""
import irax.demo


def test_demo_learns_two_spirals_compiled(capsys):
    accuracy = irax.demo.main(["--epochs", "25", "--device", "cpu"])
    assert accuracy > 0.9
    out = capsys.readouterr().out
    assert "epoch 25" in out
    assert "reloaded with the IREE runtime alone" in out and "predictions match" in out
    convnet_line = next(line for line in out.splitlines() if line.startswith("convnet"))
    assert float(convnet_line.rsplit("test acc ", 1)[1]) > 0.9, convnet_line


def test_demo_convnet_images_draw_each_shape_where_it_says():
    import numpy as np
    images, labels = irax.demo.shape_images(64, seed=5, noise=0.0)
    assert images.shape == (64, 12, 12, 1) and images.dtype == np.float32
    assert set(labels) == {0, 1, 2, 3}
    for image, label in zip(images[..., 0], labels):
        rows, cols = np.nonzero(image)
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        kind = {(1, 5): 0, (5, 1): 1}.get((height, width), 2 if image.sum() == 9 else 3)
        assert kind == label and image.sum() == (5, 5, 9, 16)[label] and image.max() == 1


def test_demo_convnet_learns_eagerly_too():
    assert irax.demo.train_convnet(150, eager=True) > 0.9


def test_exported_predict_matches_numpy_forward_pass():
    import numpy as np

    import irax
    params = irax.demo.init_params(irax.random.PRNGKey(2), (2, 8, 2))
    x, _ = irax.demo.two_spirals(6, 0.02, seed=4)
    assert irax.demo.check_exported_predict(params, x) < 1e-5
    h = np.tanh(x @ np.asarray(params[0][0]) + np.asarray(params[0][1]))
    want = h @ np.asarray(params[1][0]) + np.asarray(params[1][1])
    np.testing.assert_allclose(np.asarray(irax.demo.predict(params, x)), want, rtol=1e-5,
                               atol=1e-6)


def test_demo_eager_mode_learns_too(capsys):
    assert irax.demo.main(["--epochs", "25", "--eager", "--convnet-steps", "0"]) > 0.9


def test_per_example_gradient_norms_match_a_loop():
    import numpy as np

    import irax
    x, y = irax.demo.two_spirals(4, 0.02, seed=3)
    params = irax.demo.init_params(irax.random.PRNGKey(1), (2, 8, 2))
    norms = np.asarray(irax.demo.per_example_grad_norms(params, x, y))
    for i in range(len(x)):
        g = irax.grad(irax.demo.loss)(params, x[i:i + 1], y[i:i + 1])
        want = np.sqrt(sum(np.sum(np.asarray(leaf) ** 2)
                           for leaf in irax.tree_util.tree_leaves(g)))
        np.testing.assert_allclose(norms[i], want, rtol=1e-5)
