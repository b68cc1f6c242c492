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


def test_export_writes_a_sampling_only_copy_that_draws_what_the_folder_draws(tmp_path, capsys):
    """`export` of a resumable folder (a critic, optimizers, a raw generator beside its average):
    a smaller folder with the same command, scores, pictures and history, whose samples match the
    folder's to 16-bit precision, and which cannot be resumed. Exporting it again in place keeps it."""
    import torch

    source, out = tmp_path / "full", tmp_path / "small"
    assert main(["train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "20", "--batch-size", "32",
                 "--out", str(source), "--quiet", "--eval-every", "10", "--set", "latent_dim=2"]) == 0
    capsys.readouterr()
    assert main(["export", str(source), "--out", str(out)]) == 0
    assert "sampling-only" in capsys.readouterr().out
    assert not (out / "training_state.safetensors").exists()
    size = {d: sum(f.stat().st_size for f in d.iterdir()) for d in (source, out)}
    assert size[out] < size[source] / 5  # no optimizers, no raw generator, 16-bit (the 2-D critic stays)
    before, after = (json.loads((d / "config.json").read_text()) for d in (source, out))
    assert after["sampling_only"] is True and after["command"] == before["command"]
    assert after["scores"] == before["scores"] and after["step"] == before["step"] == 20
    for name in ("history.csv", "samples.png"):
        assert (out / name).read_bytes() == (source / name).read_bytes()
    assert "so it cannot train on" in (out / "README.md").read_text()
    z = torch.randn(256, 2, generator=torch.Generator().manual_seed(0))
    full, small = (load_checkpoint(d).model.sample(z) for d in (source, out))
    assert torch.allclose(full, small, atol=2e-2) and not torch.equal(full, torch.zeros_like(full))
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        resume_run(out, device="cpu")
    assert main(["export", str(out), "--out", str(out)]) == 0
    assert torch.equal(load_checkpoint(out).model.sample(z), small)


def test_export_refuses_to_write_over_a_folder_that_is_not_a_checkpoint(toy_checkpoint, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["export", str(toy_checkpoint), "--out", str(tmp_path)]) == 2
    assert "not a GAN Playground checkpoint" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"
