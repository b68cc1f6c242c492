"""Every command line form, through `main()` (fast) and once through a real process (no traceback)."""

import json
import math
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from gan_playground.checkpoints import load_checkpoint
from gan_playground.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def toy_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "toy"
    assert main(["train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "20", "--batch-size", "32",
                 "--out", str(out), "--quiet", "--set", "latent_dim=2"]) == 0
    return out


def test_models_lists_all_nine(capsys):
    code, out, _ = run_cli(capsys, "models")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and names == ["acgan", "aae", "aae-supervised", "aae-semisupervised", "aae-cluster",
                                   "wgan", "wgan-gp", "wgan-div", "wgan-lp"]
    assert all(len(line.split(maxsplit=1)) == 2 for line in out.splitlines())  # name, then a description


def test_train_writes_the_checkpoint_files(toy_checkpoint):
    files = {p.name for p in toy_checkpoint.iterdir()}
    assert {"config.json", "model.safetensors", "samples.png", "history.csv", "README.md"} <= files
    config = json.loads((toy_checkpoint / "config.json").read_text())
    assert config["model"] == "wgan-gp" and config["step"] == 20 and config["config"]["latent_dim"] == 2
    header = (toy_checkpoint / "history.csv").read_text().splitlines()[0]
    assert header.startswith("step,loss_d,loss_g")


def test_train_on_mnist_and_sample_grid_and_arrays(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "train", "wgan", "--dataset", "mnist", "--steps", "3", "--out", str(out),
                              "--quiet", "--set", "n_critic=1")
    assert code == 0 and "wrote" in stdout
    assert Image.open(out / "samples.png").size == (242, 242)  # 8 x 8 grid of 28 + 2-pixel padding
    code, _, _ = run_cli(capsys, "sample", str(out), "--n", "10", "--out", str(tmp_path / "s.npz"))
    arrays = np.load(tmp_path / "s.npz")
    assert code == 0 and arrays["images"].shape == (10, 28, 28) and arrays["images"].dtype == np.uint8
    assert "labels" not in arrays
    code, _, _ = run_cli(capsys, "sample", str(out), "--n", "9", "--out", str(tmp_path / "s.png"))
    assert code == 0 and Image.open(tmp_path / "s.png").size == (92, 92)


def test_resume_continues_from_the_saved_step(tmp_path, toy_checkpoint, capsys):
    code, _, _ = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "30",
                         "--resume", str(toy_checkpoint), "--out", str(tmp_path / "more"), "--quiet")
    assert code == 0 and json.loads((tmp_path / "more" / "config.json").read_text())["step"] == 30


def test_a_resumed_runs_history_holds_the_whole_run_with_its_scores(tmp_path, capsys):
    """The resumed folder's history.csv starts where the first run started, not at the resume, and
    keeps the first run's scores: the page's curves and a model card show the whole run."""
    from gan_playground.records import read_history_csv

    first, more = tmp_path / "first", tmp_path / "more"
    common = ["--dataset", "toy-8gaussians", "--batch-size", "32", "--quiet", "--eval-every", "20"]
    assert main(["train", "wgan-gp", "--steps", "40", "--out", str(first), "--set", "latent_dim=2", *common]) == 0
    code, _, _ = run_cli(capsys, "train", "wgan-gp", "--steps", "80", "--resume", str(first), "--out", str(more),
                         *common)
    steps, losses, score_steps, scores = read_history_csv(more / "history.csv")
    before = read_history_csv(first / "history.csv")
    assert code == 0 and steps[:len(before[0])] == before[0] and steps[-1] == 80, steps
    assert losses["loss_d"][:len(before[0])] == before[1]["loss_d"]
    assert score_steps == [20, 40, 60, 80] and scores["modes"][:2] == before[3]["modes"], (score_steps, scores)


def test_the_progress_line_shows_the_latest_live_score_and_its_step(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "20", "--batch-size",
                           "32", "--eval-every", "10", "--out", str(tmp_path / "run"), "--set", "latent_dim=2")
    last = err.split("\r")[-1]
    assert code == 0 and re.search(r"20/20 .* modes \d+ at 20  loss_d", last), last


@pytest.mark.parametrize("decay", ["none", "linear"])
def test_a_resumed_run_trains_steps_minus_start_more_steps_at_the_saved_rates(tmp_path, capsys, monkeypatch, decay):
    """`--resume` at step 20 with `--steps 30` takes exactly 10 more training steps, and the optimizers
    train on at the checkpoint's own learning rate (3e-4 here, not the model's default 1e-4): under
    linear decay, at that rate times (1 - step / steps) for the step being taken."""
    import gan_playground.run
    from gan_playground.models.wgan import WGANGP

    first = tmp_path / "first"
    assert main(["train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "20", "--batch-size", "32",
                 "--out", str(first), "--quiet", "--lr-decay", decay, "--set", "latent_dim=2", "--set", "lr=3e-4"]) == 0
    rates: list[float] = []  # the critic's rate at each step taken after the resume
    train_step = WGANGP.train_step

    def counting_step(self, x, y=None):
        rates.append(self.optimizers["d"].param_groups[0]["lr"])
        return train_step(self, x, y)

    resumed = []
    resume_run = gan_playground.run.resume_run

    def recorded_resume(*args, **kwargs):
        resumed.append(resume_run(*args, **kwargs))
        return resumed[-1]

    monkeypatch.setattr(WGANGP, "train_step", counting_step)
    monkeypatch.setattr(gan_playground.run, "resume_run", recorded_resume)
    code, _, _ = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "30",
                         "--resume", str(first), "--out", str(tmp_path / "more"), "--quiet")
    assert code == 0 and resumed[0][1] == 20 and len(rates) == 10
    expected = [3e-4 * (1 - step / 30) if decay == "linear" else 3e-4 for step in range(20, 30)]
    assert rates == pytest.approx(expected, rel=1e-6)
    saved = json.loads((tmp_path / "more" / "config.json").read_text())
    assert saved["step"] == 30 and saved["config"]["lr"] == 3e-4


def test_sample_points_and_eval_of_a_toy_model(tmp_path, toy_checkpoint, capsys):
    code, _, _ = run_cli(capsys, "sample", str(toy_checkpoint), "--n", "50", "--out", str(tmp_path / "p.npz"))
    assert code == 0 and np.load(tmp_path / "p.npz")["points"].shape == (50, 2)
    code, out, _ = run_cli(capsys, "eval", str(toy_checkpoint), "--samples", "500")
    scores = json.loads(out)
    assert code == 0 and scores["model"] == "wgan-gp" and 0 <= scores["modes"] <= 8


def test_bench_prints_one_json_line(capsys):
    code, out, _ = run_cli(capsys, "bench", "wgan", "--seconds", "0.5", "--dataset", "toy-8gaussians")
    result = json.loads(out)
    assert code == 0 and result["model"] == "wgan" and result["device"] == "cpu"
    assert result["batch_size"] == 64 and result["images_per_s"] > 0 and result["capturable"] is False
    code, out, _ = run_cli(capsys, "bench", "wgan-gp", "--seconds", "0.5", "--dataset", "toy-8gaussians",
                           "--capturable")
    assert code == 0 and json.loads(out)["capturable"] is True and json.loads(out)["images_per_s"] > 0


@pytest.mark.parametrize("argv,fragment", [
    (["train", "gan", "--dataset", "mnist"], "Unknown model 'gan'"),
    (["train", "wgan", "--dataset", "imagenet"], "Unknown data set 'imagenet'"),
    (["train", "wgan", "--dataset", "mnist", "--set", "lr=-1"], "lr='-1' is not valid"),
    (["train", "wgan", "--dataset", "mnist", "--set", "lambda_gp=10"], "Unknown setting 'lambda_gp'"),
    (["train", "wgan", "--dataset", "mnist", "--set", "lr"], "key=value"),
    (["train", "wgan", "--dataset", "mnist", "--batch-size", "0"], "batch_size=0"),
    (["train", "wgan", "--dataset", "mnist", "--batch-size", "-3"], "batch_size=-3"),
    (["train", "wgan", "--dataset", "mnist", "--batch-size", "1000000"], "batch_size=1000000"),
    (["train", "wgan", "--dataset", "mnist", "--steps", "0"], "steps=0"),
    (["train", "wgan", "--dataset", "mnist", "--steps", "ten"], "invalid int value"),
    (["train", "wgan", "--dataset", "mnist", "--device", "tpu"], "device='tpu'"),
    (["train", "wgan", "--dataset", "mnist", "--set", "lr=nan"], "lr='nan'"),
    (["train", "acgan", "--dataset", "toy-8gaussians"], "2-D toy sets"),
    (["train", "wgan", "--dataset", "folder:/no/such/folder"], "does not exist"),
    (["train", "wgan", "--dataset"], "expected one argument"),
    (["train", "aae-cluster", "--dataset", "mnist", "--set", "teachers=/no/such/run"], "does not exist"),
    (["sample", "/no/such/checkpoint", "--out", "x.png"], "does not exist"),
    (["sample", "/no/such/checkpoint", "--out", "x.jpg"], "must end in .png"),
    (["eval", "/no/such/checkpoint"], "does not exist"),
    (["bench", "wgan", "--seconds", "0"], "--seconds 0"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert fragment in err and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_sample_class_errors(toy_checkpoint, capsys):
    code, _, err = run_cli(capsys, "sample", str(toy_checkpoint), "--class", "3", "--out", "x.npz")
    assert code == 2 and "not conditional" in err


@pytest.mark.slow
def test_a_real_process_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gan_playground", "train", "wgan", "--dataset", "mnist",
                           "--set", "n_critic=0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "n_critic='0' is not valid" in proc.stderr and "Traceback" not in proc.stderr


def test_divergence_keeps_the_last_good_checkpoint(tmp_path, capsys):
    out = tmp_path / "div"
    assert main(["train", "wgan-div", "--dataset", "toy-8gaussians", "--steps", "10", "--out", str(out),
                 "--quiet"]) == 0
    code, _, err = run_cli(capsys, "train", "wgan-div", "--dataset", "toy-8gaussians", "--steps", "60",
                           "--resume", str(out), "--out", str(out), "--set", "lr=1", "--quiet")
    assert code == 1 and re.search(r"Diverged at step 1\d:", err) and f"--resume {out}" in err
    assert f"{out} (step 10) is unchanged" in err
    assert json.loads((out / "config.json").read_text())["step"] == 10  # the good one, untouched
    code, _, _ = run_cli(capsys, "train", "wgan-div", "--dataset", "toy-8gaussians", "--steps", "20",
                         "--resume", str(out), "--out", str(out), "--set", "lr=1e-4", "--quiet")
    assert code == 0 and json.loads((out / "config.json").read_text())["step"] == 20


def test_a_run_that_diverges_from_scratch_points_to_no_checkpoint(tmp_path, capsys):
    """The issue's command (lr=0.6 is allowed): it once ended with exit 0 and samples at 2.5e21."""
    out = tmp_path / "div"
    code, _, err = run_cli(capsys, "train", "wgan-div", "--dataset", "toy-8gaussians", "--batch-size", "64",
                           "--steps", "3000", "--set", "lr=0.6", "--seed", "0", "--out", str(out), "--quiet")
    assert code == 1 and re.search(r"Diverged at step \d+: ", err) and "Traceback" not in err
    assert "No checkpoint was saved" in err and "--resume" not in err and not out.exists()


def test_eval_every_keeps_the_best_checkpoint_by_score(tmp_path, capsys):
    out = tmp_path / "toy"
    code, _, _ = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "40",
                         "--batch-size", "64", "--eval-every", "10", "--out", str(out), "--quiet",
                         "--set", "latent_dim=2", "--set", "toy_width=64")
    best = json.loads((tmp_path / "toy-best" / "config.json").read_text())
    history = (out / "history.csv").read_text().splitlines()
    assert code == 0 and "modes" in best["scores"] and best["step"] in (10, 20, 30, 40)
    modes = [float(r.split(",")[-2]) for r in history[1:] if r.split(",")[-2]]  # the modes column
    assert best["scores"]["modes"] == max(modes)


def test_history_csv_keeps_every_score_between_its_logged_rows(tmp_path, capsys):
    """Losses are logged every 10 steps, scores here every 15: the scores at 15 and 45 fall between
    logged rows, and the checkpoint keeps them (history.csv once kept only the scores on a logged row)."""
    from gan_playground.records import read_history_csv

    out = tmp_path / "toy"
    code, _, _ = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "45",
                         "--batch-size", "64", "--eval-every", "15", "--out", str(out), "--quiet",
                         "--set", "latent_dim=2", "--set", "toy_width=64")
    steps, losses, score_steps, scores = read_history_csv(out / "history.csv")
    assert code == 0 and steps == [10, 20, 30, 40, 45] and {15, 30, 45} <= set(score_steps)
    assert all(len(v) == len(steps) and all(math.isfinite(x) for x in v) for v in losses.values())
    assert all(len(v) == len(score_steps) for v in scores.values()) and "modes" in scores


def test_the_reproduce_command_keeps_the_run_settings_and_parses():
    import shlex

    from gan_playground.checkpoints import reproduce_command
    from gan_playground.cli import build_parser
    from gan_playground.config import RunConfig
    from gan_playground.run import prepare_run

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=16, seed=7, steps=500,
                                precision="bf16", lr_decay="linear"), {"toy_width": "16"})
    command = reproduce_command(run, step=300)
    args = build_parser().parse_args(shlex.split(command)[3:])  # after "python -m gan_playground"
    # A decaying rate falls to 0 at the run's last step: a folder of step 300 names all 500 steps.
    assert (args.model, args.steps, args.seed, args.precision, args.lr_decay) == ("wgan-gp", 500, 7, "bf16", "linear")
    assert "toy_width=16" in args.set
    constant = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=500), {"toy_width": "16"})
    assert build_parser().parse_args(shlex.split(reproduce_command(constant, step=300))[3:]).steps == 300


def assert_chain_reproduces(parts, folder, tmp_path, monkeypatch, capsys):
    """Run a model card's commands as written, in an empty folder: the folder their first command
    names ("first") ends with `folder`'s weights, bit for bit."""
    import shlex

    import torch

    again = tmp_path / "again"
    again.mkdir()
    monkeypatch.chdir(again)
    for part in parts:
        assert main([*shlex.split(part)[3:], "--quiet"]) == 0
    capsys.readouterr()
    want, got = load_checkpoint(folder).model.state_dict(), load_checkpoint(again / "first").model.state_dict()
    assert want.keys() == got.keys() and all(torch.equal(want[k], got[k]) for k in want)


def test_a_run_resumed_with_a_decay_names_the_first_command_then_the_resume_and_they_reproduce_it(
        tmp_path, capsys, monkeypatch):
    """Twenty steps at a constant rate, then a resume to 40 with `--lr-decay linear`: no single command
    trains that run. The folder's command is the first run's, then the resume; run as written (in an
    empty folder), it gives the same weights. A plain continuation stays one command."""
    import shlex

    from gan_playground.cli import build_parser

    toy = ["--dataset", "toy-8gaussians", "--batch-size", "32", "--quiet", "--set", "latent_dim=2",
           "--set", "toy_width=32"]
    first, resumed = tmp_path / "first", tmp_path / "resumed"
    assert main(["train", "wgan-gp", "--steps", "20", "--out", str(first), *toy]) == 0
    assert main(["train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "40", "--resume", str(first),
                 "--lr-decay", "linear", "--out", str(resumed), "--quiet"]) == 0
    config = json.loads((resumed / "config.json").read_text())
    assert config["run"]["steps"] == 40 and config["run"]["lr_decay"] == "linear"
    parts = config["command"].split(" && ")
    assert len(parts) == 2
    before, after = (build_parser().parse_args(shlex.split(p)[3:]) for p in parts)
    assert (before.steps, before.lr_decay, before.out, before.resume) == (20, None, "first", None)
    assert (after.steps, after.lr_decay, after.resume, after.out) == (40, "linear", "first", "first")
    assert parts[1].count("--lr-decay") == 1 and "--precision fp32" in parts[1]
    assert "## Reproduce" in (resumed / "README.md").read_text() and config["command"] in (
        resumed / "README.md").read_text()

    assert_chain_reproduces(parts, resumed, tmp_path, monkeypatch, capsys)

    plain = tmp_path / "plain"
    assert main(["train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "30", "--resume", str(first),
                 "--out", str(plain), "--quiet"]) == 0
    command = json.loads((plain / "config.json").read_text())["command"]
    assert "&&" not in command and build_parser().parse_args(shlex.split(command)[3:]).steps == 30


def test_a_folder_resumed_twice_names_three_commands_that_write_one_folder_and_reproduce_it(
        tmp_path, capsys, monkeypatch):
    """20 steps, resumed to 40 decaying, resumed again to 60 (a warm restart: another schedule):
    three commands, each `--out` named once, the resumes going on in the first one's folder; run as
    written in an empty folder, they give the same weights."""
    import shlex

    from gan_playground.cli import build_parser

    toy = ["--dataset", "toy-8gaussians", "--quiet"]
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    assert main(["train", "wgan-gp", "--steps", "20", "--out", str(first), "--batch-size", "32", "--set",
                 "latent_dim=2", "--set", "toy_width=32", *toy]) == 0
    assert main(["train", "wgan-gp", "--steps", "40", "--resume", str(first), "--lr-decay", "linear", "--out",
                 str(second), *toy]) == 0
    assert main(["train", "wgan-gp", "--steps", "60", "--resume", str(second), "--out", str(third), *toy]) == 0
    parts = json.loads((third / "config.json").read_text())["command"].split(" && ")
    assert len(parts) == 3 and all(p.count("--out") == 1 for p in parts), parts
    args = [build_parser().parse_args(shlex.split(p)[3:]) for p in parts]
    assert [(a.steps, a.resume, a.out) for a in args] == [(20, None, "first"), (40, "first", "first"),
                                                          (60, "first", "first")]
    assert_chain_reproduces(parts, third, tmp_path, monkeypatch, capsys)


@pytest.mark.slow
def test_ctrl_c_saves_what_was_trained_and_exits_cleanly(tmp_path):
    """Ctrl-C stops after the current step and saves: no abort at exit, no traceback."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "gan_playground", "train", "wgan", "--dataset", "mnist",
                             "--steps", "1000000", "--device", "cpu", "--out", str(out), "--autosave-minutes", "0"],
                            stderr=subprocess.PIPE, text=True)
    progress = ""
    while "img/s" not in progress:  # training has begun
        progress += proc.stderr.read(1)
        assert proc.poll() is None, progress
    time.sleep(1)  # a few steps in (the abort this guards against came by chance, not reproducibly)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, rest[-500:]
    assert "stopped; saving what was trained" in rest
    assert "terminate called" not in rest and "Traceback" not in rest
    assert 0 < load_checkpoint(out).step < 1000000


def test_a_run_that_explodes_before_its_first_loss_read_diverges_on_mnist(tmp_path, capsys):
    """The issue's command on MNIST: the penalty was 1.6e26 at step 1, so a limit relative to the
    start never fired and the run 'finished' with losses of 5e24 and samples of two values."""
    out = tmp_path / "div"
    code, _, err = run_cli(capsys, "train", "wgan-div", "--dataset", "mnist", "--steps", "40", "--batch-size", "16",
                           "--set", "lr=0.6", "--out", str(out), "--quiet")
    assert code == 1 and re.search(r"Diverged at step \d+: \w+ reached .*no healthy run", err), err
    assert "Traceback" not in err and not out.exists()


def test_a_failed_autosave_is_said_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    """A full disk at an autosave: a warning naming the folder and the free space, training goes
    on, and the final save (the disk has room again) writes the whole run."""
    import errno

    from gan_playground import checkpoints

    real, calls = checkpoints.save_file, []

    def full_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(checkpoints, "save_file", full_once)
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "60",
                           "--batch-size", "16", "--set", "toy_width=16", "--autosave-minutes", "0.0001",
                           "--out", str(out), "--quiet")
    assert code == 0 and "Traceback" not in err, err
    assert re.search(r"warning: the autosave at step \d+ failed, training goes on: Could not save .*run: No space "
                     r"left on device \([\d,]+ MiB are free there\)", err), err
    assert json.loads((out / "config.json").read_text())["step"] == 60
    assert not list(tmp_path.glob(".tmp-*"))
