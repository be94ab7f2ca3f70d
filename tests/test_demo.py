"""The main job, `python -m irax.demo`, trains to high accuracy (short run)."""
import irax.demo


def test_demo_learns_two_spirals(capsys):
    accuracy = irax.demo.main(["--epochs", "25"])
    assert accuracy > 0.9
    assert "epoch 25" in capsys.readouterr().out
