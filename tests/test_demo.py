"""The main job, `python -m irax.demo`, trains to high accuracy (short run)."""
import irax.demo


def test_demo_learns_two_spirals_compiled(capsys):
    accuracy = irax.demo.main(["--epochs", "25", "--device", "cpu"])
    assert accuracy > 0.9
    out = capsys.readouterr().out
    assert "epoch 25" in out
    assert "reloaded with the IREE runtime alone" in out and "predictions match" in out


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
    assert irax.demo.main(["--epochs", "25", "--eager"]) > 0.9


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
