"""The main job, `python -m irax.demo`, trains to high accuracy (short run)."""
import irax.demo


def test_demo_learns_two_spirals_compiled(capsys):
    accuracy = irax.demo.main(["--epochs", "25"])
    assert accuracy > 0.9
    assert "epoch 25" in capsys.readouterr().out


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
