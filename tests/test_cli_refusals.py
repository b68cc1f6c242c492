"""Issue 20: the CLI refuses, before any work, what used to destroy files or end in a traceback:
an `--out` that holds other files or cannot be written, a resume that changes the networks'
shapes, seeds torch cannot take, weights that are complex, NaN or infinite."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import gan_playground.run
from gan_playground.cli import main

TOY = ["--dataset", "toy-8gaussians", "--batch-size", "16", "--quiet", "--set", "latent_dim=2",
       "--set", "toy_width=16"]


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code, err, fragment):
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert fragment in err and "Traceback" not in err, err


def files_under(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with its contents (None for a folder): names and bytes."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if a run is prepared: the refusals come before any data loads."""
    def prepare_run(*args, **kwargs):
        raise AssertionError("prepare_run was called: data loaded before the output was checked")
    monkeypatch.setattr(gan_playground.run, "prepare_run", prepare_run)


@pytest.fixture(scope="module")
def toy_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("refusals") / "toy"
    assert main(["train", "wgan-gp", "--steps", "5", "--out", str(out), *TOY]) == 0
    return out


@pytest.fixture
def user_files(tmp_path) -> Path:
    """A place holding a user's work: folders `mywork` (two files) and `paper-best`, a file `notes.md`."""
    for folder in ("mywork", "paper-best"):
        (tmp_path / folder).mkdir()
    (tmp_path / "mywork" / "thesis.tex").write_text("\\documentclass{article}")
    (tmp_path / "mywork" / "notes.txt").write_text("do not lose")
    (tmp_path / "paper-best" / "figure.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "notes.md").write_text("# notes")
    return tmp_path


@pytest.mark.parametrize("out,extra,fragment", [
    ("mywork", [], "holds files that are not a GAN Playground checkpoint (notes.txt, thesis.tex)"),
    ("notes.md", [], "is a file"),
    ("paper", ["--eval-every", "2"], "paper-best holds files"),  # OUT-best is the user's folder
    ("notes.md/run", [], "is a file, not a folder"),
    ("/proc/gan-playground/run", [], "Cannot write /proc/gan-playground/run"),
])
def test_train_refuses_an_out_it_would_destroy_or_cannot_write(user_files, capsys, no_training, out, extra, fragment):
    before = files_under(user_files)
    code, _, err = run_cli(capsys, "train", "wgan-gp", "--steps", "5", "--out", user_files / out, *extra, *TOY)
    assert_refused(code, err, fragment)
    assert files_under(user_files) == before  # the same names, the same bytes, nothing added


def test_train_writes_into_an_empty_folder_and_over_its_own_checkpoint(tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    for steps in (3, 4):  # the second run replaces the checkpoint the first wrote
        code, _, err = run_cli(capsys, "train", "wgan-gp", "--steps", steps, "--out", out, *TOY)
        assert code == 0, err
        assert json.loads((out / "config.json").read_text())["step"] == steps


def test_save_checkpoint_never_swaps_away_a_folder_that_is_not_a_checkpoint(user_files, toy_checkpoint):
    from gan_playground.checkpoints import save_checkpoint
    from gan_playground.errors import UserError
    from gan_playground.run import resume_run

    run, step = resume_run(toy_checkpoint, device="cpu")
    before = files_under(user_files)
    for target in ("mywork", "notes.md"):
        with pytest.raises(UserError, match="Output folder"):
            save_checkpoint(user_files / target, run, step=step)
    assert files_under(user_files) == before


def test_resume_refuses_a_setting_that_changes_the_networks_shapes(toy_checkpoint, tmp_path, capsys, no_training):
    code, _, err = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "10",
                           "--resume", toy_checkpoint, "--out", tmp_path / "more", "--set", "toy_width=64")
    assert_refused(code, err, "toy_width changes the networks' shapes; a resumed run keeps its checkpoint's (16). "
                              "Start a new run to change it.")
    assert not (tmp_path / "more").exists()


@pytest.mark.parametrize("seed", [2**70, -1, 2**63])
@pytest.mark.parametrize("command", ["train", "sample", "eval"])
def test_seeds_outside_what_torch_takes_are_refused(toy_checkpoint, tmp_path, capsys, command, seed):
    argv = {"train": ["train", "wgan-gp", "--steps", "5", "--out", tmp_path / "run", *TOY],
            "sample": ["sample", toy_checkpoint, "--out", tmp_path / "s.png"],
            "eval": ["eval", toy_checkpoint, "--samples", "100"]}[command]
    code, _, err = run_cli(capsys, *argv, "--seed", seed)
    assert_refused(code, err, f"--seed {seed} is not valid: expected an integer in [0, {2**63 - 1}]")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out,fragment", [
    ("x.png", "is a folder"),
    ("notes.md/x.png", "is a file, not a folder"),
    ("/proc/x.png", "Cannot write /proc/x.png"),
])
def test_sample_refuses_an_out_it_cannot_write(toy_checkpoint, user_files, capsys, out, fragment):
    (user_files / "x.png").mkdir()
    before = files_under(user_files)
    code, _, err = run_cli(capsys, "sample", toy_checkpoint, "--out", user_files / out)
    assert_refused(code, err, fragment)
    assert files_under(user_files) == before


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1j])
def test_sample_and_eval_refuse_weights_no_training_writes(toy_checkpoint, tmp_path, capsys, value):
    folder = tmp_path / "bad"
    folder.mkdir()
    for f in toy_checkpoint.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    weights = load_file(folder / "model.safetensors")
    key = next(k for k, v in weights.items() if v.is_floating_point())
    weights[key] = torch.full_like(weights[key], value, dtype=torch.complex64 if value == 1j else None)
    save_file(weights, folder / "model.safetensors")
    fragment = f"{key} holds " + ("complex64 numbers" if value == 1j else "NaN or infinite values")
    for argv in (["sample", folder, "--out", tmp_path / "s.png"], ["eval", folder, "--samples", "100"]):
        code, out, err = run_cli(capsys, *argv)
        assert_refused(code, err, fragment)
        assert out == "" and not (tmp_path / "s.png").exists()


def test_push_refuses_a_token_that_cannot_be_one(toy_checkpoint, capsys, monkeypatch):
    """A non-ASCII token once ended in a UnicodeEncodeError traceback from the HTTP client."""
    monkeypatch.setenv("HF_TOKEN", "hf_héllo")
    code, _, err = run_cli(capsys, "push", toy_checkpoint, "--repo-id", "alice/toy")
    assert_refused(code, err, "holds characters no Hugging Face token has")


def test_the_missing_data_message_shows_no_server_folder(tmp_path, capsys, monkeypatch):
    """The page shows this message to visitors: it names the settings, not the server's folders."""
    from gan_playground import data

    monkeypatch.setenv("GAN_PLAYGROUND_DATA", str(tmp_path / "secret-data-root"))
    monkeypatch.setenv("GAN_PLAYGROUND_DATA_MIRROR", str(tmp_path / "secret-mirror"))
    data._load_torchvision.cache_clear()
    code, _, err = run_cli(capsys, "train", "wgan", "--dataset", "cifar10", "--steps", "1", "--out",
                           tmp_path / "out")
    assert_refused(code, err, "GAN_PLAYGROUND_DATA_MIRROR")
    assert "secret" not in err and str(tmp_path) not in err
