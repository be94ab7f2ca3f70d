"""The main job, `python -m irax.demo`, trains to high accuracy (short run)."""
import irax.demo


def test_demo_learns_two_spirals_compiled(capsys):
    accuracy = irax.demo.main(["--epochs", "25"])
    assert accuracy > 0.9
    assert "epoch 25" in capsys.readouterr().out


def test_demo_eager_mode_learns_too(capsys):
    assert irax.demo.main(["--epochs", "25", "--eager"]) > 0.9
