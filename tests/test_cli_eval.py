"""`eval --write` stores the scores in the checkpoint folder; `train --no-training-state` (issue 6)."""

import json

import pytest

from gan_playground.checkpoints import load_checkpoint
from gan_playground.cli import main
from gan_playground.errors import CheckpointError
from gan_playground.run import resume_run


@pytest.fixture(scope="module")
def toy_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-eval") / "toy"
    assert main(["train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "10", "--batch-size", "32",
                 "--out", str(out), "--quiet", "--no-training-state", "--half", "--set", "latent_dim=2"]) == 0
    return out


def test_no_training_state_writes_a_loadable_folder_that_cannot_resume(toy_checkpoint):
    assert not (toy_checkpoint / "training_state.safetensors").exists()
    assert load_checkpoint(toy_checkpoint).step == 10
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        resume_run(toy_checkpoint, device="cpu")


def test_eval_prints_and_leaves_the_folder_alone_without_write(toy_checkpoint, capsys):
    before = (toy_checkpoint / "config.json").read_text()
    assert main(["eval", str(toy_checkpoint), "--samples", "500"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert {"modes", "in_3std"} <= set(line)
    assert (toy_checkpoint / "config.json").read_text() == before


def test_eval_write_updates_config_and_model_card(toy_checkpoint, capsys):
    assert main(["eval", str(toy_checkpoint), "--samples", "500", "--seed", "3", "--write"]) == 0
    printed = json.loads(capsys.readouterr().out)
    config = json.loads((toy_checkpoint / "config.json").read_text())
    assert set(config["scores"]) == {"modes", "in_3std"}
    assert config["scores"]["modes"] == pytest.approx(printed["modes"], abs=1e-5)
    assert config["eval"]["samples"] == 500 and config["eval"]["seed"] == 3
    card = (toy_checkpoint / "README.md").read_text()
    assert "## Scores" in card and f"| modes | {config['scores']['modes']:.4g} |" in card
    assert "![samples from a fixed z](samples.png)" in card
    assert not list(toy_checkpoint.glob(".*.tmp"))  # no temporary files left behind
    assert load_checkpoint(toy_checkpoint).config["scores"] == config["scores"]  # still a valid checkpoint
