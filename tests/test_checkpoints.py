"""Checkpoint folders: the format (issue 6), hostile files (issue 8), atomic saving under SIGKILL.

Runs are tiny (a toy 2-D set or a folder of eight 32x32 images, a few steps) so that the file
stays fast on a busy laptop.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import pickle
import random
import signal
import struct
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import save_file

from gan_playground import __version__
from gan_playground import checkpoints as ck
from gan_playground.checkpoints import (
    load_checkpoint,
    read_json,
    read_safetensors,
    restore_training_state,
    safe_child,
    save_checkpoint,
)
from gan_playground.config import RunConfig, field_specs
from gan_playground.errors import CheckpointError, UserError
from gan_playground.models import MODELS
from gan_playground.run import prepare_run, resume_run

# one small model per family (and the variants whose saved state differs: RMSprop, buffers, clusters)
SMALL = {
    "wgan-gp": ("toy-8gaussians", {"latent_dim": "8"}),
    "wgan": ("toy-8gaussians", {"latent_dim": "8"}),
    "acgan": ("folder", {"latent_dim": "8", "width": "8", "embed_dim": "4"}),
    "aae": ("folder", {"hidden": "32"}),
    "aae-supervised": ("folder", {"hidden": "32", "latent_dim": "4"}),
    "aae-cluster": ("folder", {"hidden": "32", "clusters": "4", "latent_dim": "4"}),
}


def make_run(name: str, image_folder: Path, steps: int = 2):
    dataset, overrides = SMALL[name]
    dataset = f"folder:{image_folder}" if dataset == "folder" else dataset
    run = prepare_run(RunConfig(model=name, dataset=dataset, batch_size=8, device="cpu", seed=3), overrides)
    train(run, steps)
    return run


def train(run, steps: int) -> list[dict[str, float]]:
    out = []
    for _ in range(steps):
        x, y = run.sampler.next(run.model.batches_per_step)
        out.append({k: float(v) for k, v in run.model.train_step(x, y).items()})
    return out


def samples(model, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    z = model.random_latents(16, gen)
    y = torch.arange(16) % model.num_conditions if model.num_conditions else None
    return model.sample(z, y)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# ----------------------------------------------------------------------------------------------
# The format: save -> load -> resume

@pytest.mark.parametrize("name", list(SMALL))
def test_round_trip(name, image_folder, tmp_path):
    run = make_run(name, image_folder)
    folder = save_checkpoint(tmp_path / "ck", run, step=2)
    rng_at_save = torch.get_rng_state()
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                        "samples.png", "training_state.safetensors"]
    loaded = load_checkpoint(folder)
    assert torch.equal(torch.get_rng_state(), rng_at_save)  # a load leaves a running job's random stream alone
    assert loaded.model.name == name and loaded.step == 2 and not loaded.model.training
    assert torch.equal(samples(loaded.model), samples(run.model))
    for key, value in run.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key

    half = load_checkpoint(save_checkpoint(tmp_path / "half", run, step=2, half=True, training_state=False))
    size = (folder / "model.safetensors").stat().st_size
    assert (tmp_path / "half" / "model.safetensors").stat().st_size < 0.6 * size
    assert next(half.model.parameters()).dtype == torch.float32
    torch.testing.assert_close(samples(half.model), samples(run.model), atol=2e-2, rtol=2e-2)
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        resume_run(tmp_path / "half", device="cpu")

    # resume: the same optimizer state, RNG and step; the next step is the one the run would take
    resumed, step = resume_run(folder, device="cpu")
    assert step == 2
    for opt_name, opt in run.model.optimizers.items():
        a, b = opt.state_dict(), resumed.model.optimizers[opt_name].state_dict()
        assert a["param_groups"] == b["param_groups"]
        assert a["state"].keys() == b["state"].keys() and a["state"], opt_name
        for idx, fields in a["state"].items():
            for field, value in fields.items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(b["state"][idx][field])), (idx, field)
    after_resume = train(resumed, 1)  # resume_run restored the run's generators as saved
    assert after_resume == train(run, 1)


@pytest.mark.parametrize("name", list(SMALL))
def test_a_folder_without_training_state_keeps_only_what_samples(name, image_folder, tmp_path):
    run = make_run(name, image_folder)
    model = run.model
    full = save_checkpoint(tmp_path / "full", run, step=2)
    shared = save_checkpoint(tmp_path / "shared", run, step=2, training_state=False)
    left_out = set(model.training_only_keys())
    adversary_keys = {k for k in model.state_dict() if k.split(".")[0] in model.adversaries}
    explored = {k for k in adversary_keys if k.split(".")[0] in model.explored_adversaries}
    assert adversary_keys and adversary_keys - explored <= left_out
    assert not explored & left_out  # a 2-D critic stays: the Lab draws its landscape
    assert bool(explored) == (model.data.kind == "points")
    if model.ema_decay > 0:  # the raw generator (the AAEs' encoder) goes too: its average draws the samples
        raw = ("encoder_trunk.", "to_style.", "to_class.") if model.is_autoencoder else ("generator.",)
        raw_keys = {k for k in model.state_dict() if k.startswith(raw)}
        assert raw_keys and raw_keys <= left_out
        assert not any(k.startswith("generator_ema.") for k in left_out)
    assert set(read_safetensors(shared / "model.safetensors")) == set(model.state_dict()) - left_out
    assert (shared / "model.safetensors").stat().st_size < (full / "model.safetensors").stat().st_size
    assert json.loads((shared / "config.json").read_text())["sampling_only"] is True
    assert "sampling_only" not in json.loads((full / "config.json").read_text())
    assert "cannot train on" in (shared / "README.md").read_text()

    loaded = load_checkpoint(shared).model
    assert loaded.sampling_only and not load_checkpoint(full).model.sampling_only
    assert torch.equal(samples(loaded), samples(model))
    if model.is_autoencoder:
        images = samples(model)
        assert torch.equal(loaded.encode(images), model.encode(images))
    if model.ema_decay > 0:  # the raw generator holds the average, not random weights
        for a, b in zip(loaded.generator.state_dict().values(), loaded.sampling_net.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        resume_run(shared, device="cpu")


def test_config_and_model_card(image_folder, tmp_path):
    run = make_run("acgan", image_folder)
    folder = save_checkpoint(tmp_path / "ck", run, step=2, scores={"fid": 12.5})
    config = json.loads((folder / "config.json").read_text())
    assert config["model"] == "acgan" and config["family"] == "acgan"
    assert config["dataset"] == f"folder:{image_folder}"
    assert config["data"] == {"shape": [1, 32, 32], "num_classes": 2, "kind": "image", "classes": ["a", "b"]}
    assert set(config["config"]) == {s.name for s in field_specs(type(run.model.config))}
    assert config["config"]["width"] == 8 and config["config"]["latent_dim"] == 8
    assert config["run"]["batch_size"] == 8 and config["run"]["seed"] == 3
    assert config["step"] == 2 and config["seed"] == 3 and config["version"] == __version__
    assert config["scores"] == {"fid": 12.5} and "--set width=8" in config["command"]

    card = (folder / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n", 2)[1])
    assert meta["library_name"] == "gan-playground" and meta["license"]
    assert {"gan", "acgan", "safetensors"} <= set(meta["tags"])
    assert len(meta["tags"]) == len(set(meta["tags"]))  # each once
    assert "samples.png" in card and "fid" in card

    # "teachers" (a taught clustering AAE's earlier runs) in a hand-edited or hostile config.json:
    # what is not a list of {"command": str} is left out of the card, nothing fails
    for teachers in ([{"command": 5}, "x", None], "runs/a", 7, {"command": "rm -rf"}):
        assert "Train them first" not in ck.model_card({**config, "teachers": teachers}, has_samples=False)
    listed = ck.model_card({**config, "teachers": [{"folder": "t", "command": "python -m x --out t"}]},
                           has_samples=False)
    assert listed.index("python -m x --out t") < listed.index(config["command"])

    # A folder saved before the last step of a decaying run (its best one, an autosave) says so
    # beside the command, which trains the whole run; at the last step, or without a decay, nothing.
    decaying = {**config, "step": 300, "run": {**config["run"], "steps": 500, "lr_decay": "linear"}}
    assert "holds step 300 of that run" in ck.model_card(decaying, has_samples=False)
    assert "holds step" not in ck.model_card({**decaying, "step": 500}, has_samples=False)
    assert "holds step" not in ck.model_card({**decaying, "run": config["run"]}, has_samples=False)


def test_a_checkpoint_from_before_a_setting_existed_loads_as_it_was(image_folder, tmp_path):
    # Folders written before `ema` existed have no "ema" key and no averaged generator: they
    # load with ema=0 (`param(before=...)`), not with today's default, which needs the average.
    run = make_run("wgan-gp", image_folder)
    weights = {k: v for k, v in run.model.state_dict().items() if not k.startswith("generator_ema.")
               and k != "ema_updates"}
    folder = save_checkpoint(tmp_path / "ck", run, step=2)
    save_file(weights, folder / "model.safetensors")
    config = json.loads((folder / "config.json").read_text())
    del config["config"]["ema"]
    (folder / "config.json").write_text(json.dumps(config))
    loaded = load_checkpoint(folder).model
    assert loaded.ema_decay == 0 and not hasattr(loaded, "generator_ema")
    run.model.ema_decay = 0.0  # the trained run, drawing from its generator itself
    assert torch.equal(samples(loaded), samples(run.model))


def test_training_state_does_not_fit_another_model(image_folder, tmp_path):
    run = make_run("wgan-gp", image_folder)
    save_checkpoint(tmp_path / "gp", run, step=2)
    other = make_run("wgan", image_folder, steps=1)  # RMSprop, not Adam
    with pytest.raises(CheckpointError, match="does not fit.*saved for a wgan-gp, not a wgan"):
        restore_training_state(other, tmp_path / "gp")

    from safetensors import safe_open
    state_file = tmp_path / "gp" / "training_state.safetensors"
    with safe_open(state_file, framework="pt") as fh:
        meta = fh.metadata()
    tensors = read_safetensors(state_file)
    key = next(k for k in tensors if k.endswith(".exp_avg"))
    save_file({**tensors, key: torch.zeros(3, 3)}, state_file, metadata=meta)
    with pytest.raises(CheckpointError, match=f"does not fit.*{key}"):
        resume_run(tmp_path / "gp", device="cpu")
    save_file(tensors, state_file, metadata={**meta, "param_groups": "{not json"})
    with pytest.raises(CheckpointError, match="does not fit"):
        resume_run(tmp_path / "gp", device="cpu")


def test_resume_brings_back_the_runs_generator_and_leaves_the_global_one_alone(image_folder, tmp_path):
    run = make_run("aae-cluster", image_folder)  # priors, categorical samples: all from the run's generator
    folder = save_checkpoint(tmp_path / "ck", run, step=2)
    assert "rng.run" in read_safetensors(folder / "training_state.safetensors")
    global_stream = torch.get_rng_state()
    resumed, _ = resume_run(folder, device="cpu")
    assert torch.equal(torch.get_rng_state(), global_stream)  # other jobs share it: a resume must not reset it
    assert torch.equal(resumed.rng.get_state(), run.rng.get_state())
    assert train(resumed, 2) == train(run, 2)


def test_a_training_state_from_before_runs_had_their_own_generator_resumes(image_folder, tmp_path):
    run = make_run("wgan-gp", image_folder)
    folder = save_checkpoint(tmp_path / "old", run, step=2)
    state_file = folder / "training_state.safetensors"
    from safetensors import safe_open
    with safe_open(state_file, framework="pt") as fh:
        meta = fh.metadata()
    tensors = read_safetensors(state_file)
    old = {k: v for k, v in tensors.items() if k != "rng.run"} | {"rng.torch": torch.get_rng_state()}
    save_file(old, state_file, metadata=meta)  # the old format: the global generator's state, none of the run's
    first, second = resume_run(folder, device="cpu")[0], resume_run(folder, device="cpu")[0]
    assert train(first, 2) == train(second, 2)  # seeded from the seed and the step: resuming repeats


# ----------------------------------------------------------------------------------------------
# Hostile and broken files: refused with a message, nothing run, nothing written elsewhere

class Payload:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


@pytest.fixture(scope="module")
def good(image_folder, tmp_path_factory) -> Path:
    run = make_run("wgan-gp", image_folder, steps=1)
    return save_checkpoint(tmp_path_factory.mktemp("good") / "ck", run, step=1)


def copy_of(good: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for f in good.iterdir():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


def write_pickle(path: Path, marker: Path) -> None:
    if path.suffix in (".pt", ".pth", ".ckpt"):
        torch.save({"state_dict": Payload(marker)}, path)
    else:
        path.write_bytes(pickle.dumps(Payload(marker)))


def test_the_payload_is_live(tmp_path):
    marker = tmp_path / "proof"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "pytorch_model.bin", "last.ckpt", "weights.pkl"])
def test_pickles_are_refused_never_opened(name, good, tmp_path):
    marker = tmp_path / "PWNED"
    # alone in a folder, and given as a file
    folder = tmp_path / "only-pickle"
    folder.mkdir()
    write_pickle(folder / name, marker)
    for target in (folder, folder / name):
        with pytest.raises(CheckpointError, match=r"Refused .*pickle.*safetensors"):
            load_checkpoint(target)
        with pytest.raises(CheckpointError, match="pickle"):
            resume_run(target, device="cpu")
    # beside a good checkpoint it is simply never read
    mixed = copy_of(good, tmp_path / "mixed")
    write_pickle(mixed / name, marker)
    assert load_checkpoint(mixed).step == 1
    assert not marker.exists()
    before = files_under(tmp_path)
    with pytest.raises(CheckpointError):
        load_checkpoint(folder / name)
    assert files_under(tmp_path) == before


def check_refused(folder: Path, match: str) -> None:
    outside = folder.parent
    before = files_under(outside)
    with pytest.raises(CheckpointError, match=match) as err:
        load_checkpoint(folder)
    assert "Traceback" not in str(err.value)
    assert files_under(outside) == before


def test_truncated_weights(good, tmp_path):
    folder = copy_of(good, tmp_path / "ck")
    data = (good / "model.safetensors").read_bytes()
    for cut in (0, 4, 100, len(data) // 2, len(data) - 1):
        (folder / "model.safetensors").write_bytes(data[:cut])
        check_refused(folder, "corrupt or truncated|does not fit")  # a short file fails the size check first
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            read_safetensors(folder / "model.safetensors")


def test_header_claiming_gigabytes(good, tmp_path):
    folder = copy_of(good, tmp_path / "ck")
    padding = b" " * (good / "model.safetensors").stat().st_size  # big enough to pass the size check
    weights = folder / "model.safetensors"
    for claimed in (50 << 30, 2**63, 2**64 - 1, 99_000_000):
        weights.write_bytes(struct.pack("<Q", claimed) + b'{"a":{"dtype":"F32"}}' + padding)
        check_refused(folder, "corrupt or truncated")
    # a header within the file whose tensor claims gigabytes of data the file does not hold
    header = json.dumps({"w": {"dtype": "F32", "shape": [1 << 15, 1 << 15], "data_offsets": [0, 1 << 32]}}).encode()
    weights.write_bytes(struct.pack("<Q", len(header)) + header + padding)
    check_refused(folder, "corrupt or truncated")


def test_weights_of_the_wrong_shape(good, tmp_path):
    folder = copy_of(good, tmp_path / "ck")
    weights = read_safetensors(good / "model.safetensors")
    key = next(iter(weights))
    save_file({**weights, key: torch.zeros(3, 3)}, folder / "model.safetensors")
    check_refused(folder, f"does not fit.*{key}: saved \\(3, 3\\)")
    save_file({k: v for k, v in weights.items() if k != key}, folder / "model.safetensors")
    check_refused(folder, "does not fit")
    save_file({**weights, "extra.weight": torch.zeros(1)}, folder / "model.safetensors")
    check_refused(folder, "does not fit.*extra.weight")


def edit_config(folder: Path, edit) -> None:
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("edit, match", [
    (lambda c: c.update(model="stylegan9"), "Unknown model 'stylegan9'"),
    (lambda c: c["config"].update(lr=50.0), r"lr=50.0 is not valid"),
    (lambda c: c["config"].update(latent_dim=-1), "latent_dim"),
    (lambda c: c["config"].update(surprise=1), "Unknown setting 'surprise'"),
    (lambda c: c["run"].update(batch_size=10**9), "batch_size"),
    (lambda c: c.pop("data"), "incomplete or malformed"),
    (lambda c: c.update(data="points"), "incomplete or malformed|data"),
    (lambda c: c.update(config="lr=1"), "config"),
    (lambda c: c.update(run=[1, 2]), "run"),
    (lambda c: c["data"].update(shape=["x"]), "malformed|shape"),
    (lambda c: c["data"].update(kind="video"), "kind"),
    (lambda c: c["data"].update(num_classes=-3), "num_classes"),
    (lambda c: c["data"].update(shape=[1, 100000, 100000], kind="image"), "shape"),
    (lambda c: c["data"].update(shape=[3, 4096, 4096], kind="image"), "shape|does not fit|larger"),
    (lambda c: c["data"].update(shape=[1, 1024, 1024], kind="image"), "need at least .* bytes of weights"),
    (lambda c: c["config"].update(latent_dim=1024), "need at least|does not fit"),
    (lambda c: c.update(step="many"), "malformed"),
    (lambda c: c.update(step=-5), "malformed"),
    (lambda c: c.update(sampling_only="yes"), "sampling_only"),
    (lambda c: c.update(sampling_only=True), "does not fit"),  # the file holds the critic: not what it says
])
def test_hostile_configs(edit, match, good, tmp_path):
    folder = copy_of(good, tmp_path / "ck")
    edit_config(folder, edit)
    start = time.perf_counter()
    check_refused(folder, match)
    assert time.perf_counter() - start < 5  # refused up front, nothing huge built


def test_config_not_json_or_huge(good, tmp_path):
    folder = copy_of(good, tmp_path / "ck")
    (folder / "config.json").write_text("{model: wgan-gp")
    check_refused(folder, "not valid JSON")
    (folder / "config.json").write_bytes(b"\xff\xfe\x00garbage")
    check_refused(folder, "not valid JSON")
    (folder / "config.json").write_text("[1, 2, 3]")
    check_refused(folder, "JSON object")
    (folder / "config.json").write_text('{"a": "' + "x" * (2 << 20) + '"}')
    check_refused(folder, "larger than")
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)  # deep nesting, small file
    check_refused(folder, "not valid JSON|JSON object|malformed")


def test_missing_pieces(good, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere")
    folder = copy_of(good, tmp_path / "ck")
    (folder / "config.json").unlink()
    check_refused(folder, "config.json is missing")
    (folder / "model.safetensors").unlink()
    check_refused(folder, "model.safetensors is missing")
    (tmp_path / "file.safetensors").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="is a file"):
        load_checkpoint(tmp_path / "file.safetensors")


def test_safe_child(tmp_path):
    assert safe_child(tmp_path, "a") == (tmp_path / "a").resolve()
    assert safe_child(tmp_path, "a/b") == (tmp_path / "a" / "b").resolve()
    for bad in ("../x", "/etc", "a/../../b", "..", ".", "", " a", "a\x00b", "a/../.."):
        with pytest.raises(UserError):
            safe_child(tmp_path, bad)


def test_read_json_limits(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"ok": 1}')
    assert read_json(p) == {"ok": 1}


# ----------------------------------------------------------------------------------------------
# Atomic saving

def test_kill_between_the_two_renames(image_folder, tmp_path, monkeypatch):
    run = make_run("wgan-gp", image_folder, steps=1)
    path = save_checkpoint(tmp_path / "ck", run, step=1)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # final -> .old-ck done; .tmp -> ck "killed"
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    train(run, 1)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, run, step=2)
    monkeypatch.setattr(os, "rename", real_rename)
    assert not path.exists() and (tmp_path / ".old-ck").is_dir()
    loaded = load_checkpoint(path)  # falls back to the whole old copy
    assert loaded.step == 1 and loaded.path.name == ".old-ck"
    assert resume_run(path, device="cpu")[1] == 1
    assert resume_run(loaded, device="cpu")[1] == 1  # what load_checkpoint gave, not read again

    # the next save, killed again before its tmp folder is in place, must not lose the old copy
    calls.clear()

    def rename_fails_first(src, dst):
        calls.append((src, dst))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "rename", rename_fails_first)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, run, step=3)
    monkeypatch.setattr(os, "rename", real_rename)
    assert load_checkpoint(path).step == 1

    # and a whole save puts everything back in order
    save_checkpoint(path, run, step=4)
    assert load_checkpoint(path).step == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


def test_a_save_clears_temporaries_of_dead_processes_only(image_folder, tmp_path):
    run = make_run("wgan-gp", image_folder, steps=1)
    dead, alive = tmp_path / ".tmp-ck-999999999-0badf00d", tmp_path / f".tmp-ck-{os.getppid()}-5ca1ab1e"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"half written")
    save_checkpoint(tmp_path / "ck", run, step=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ck", alive.name])  # a live save is left alone


def _save_forever(path: str, log_fd: int) -> None:
    """Child process: resume the newest checkpoint and save after every step until killed."""
    torch.set_num_threads(1)
    run, step = resume_run(path, device="cpu")
    while True:
        train(run, 1)
        step += 1
        save_checkpoint(path, run, step=step)
        os.write(log_fd, f"{step}\n".encode())


@pytest.mark.slow
def test_sigkill_at_random_moments(image_folder, tmp_path):
    """20 kills anywhere in the loop (inside a save, between renames, while training): the newest
    checkpoint on disk always loads and resumes, and no step is ever lost twice."""
    run = make_run("wgan-gp", image_folder, steps=1)
    path = save_checkpoint(tmp_path / "ck", run, step=1)
    ctx = multiprocessing.get_context("fork")  # the child inherits the imported modules: no start-up cost
    rng = random.Random(0)
    last_step, deadline, fallbacks = 1, time.monotonic() + 45, 0
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    for i in range(20):
        child = ctx.Process(target=_save_forever, args=(str(path), write_fd), daemon=True)
        child.start()
        time.sleep(rng.uniform(0.05, 0.8))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        try:
            saved = [int(s) for s in os.read(read_fd, 1 << 16).split()]
        except BlockingIOError:
            saved = []
        loaded = load_checkpoint(path)
        fallbacks += loaded.path.name == ".old-ck"
        assert loaded.step >= max([last_step, *saved]), (i, saved)  # a logged save is never lost
        resumed, step = resume_run(path, device="cpu")
        assert step == loaded.step
        last_step = step
        if time.monotonic() > deadline:
            break
    assert last_step > 1  # some saves did complete
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "ck"]
    assert all(n.startswith((".tmp-ck-", ".old-ck")) for n in leftovers), leftovers
    print(f"{i + 1} kills, last step {last_step}, {fallbacks} fell back to .old-ck, {len(leftovers)} leftovers")
    # the next whole save clears what the killed processes left behind
    save_checkpoint(path, resumed, step=last_step + 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


# ----------------------------------------------------------------------------------------------
# The pretrained models in checkpoints/: what the app loads at start

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_shipped_model_loads_and_draws(name):
    loaded = load_checkpoint(SHIPPED / f"{name}-mnist")
    model = loaded.model
    assert model.name == name and loaded.step > 0
    y = torch.arange(4) % 10 if model.num_conditions else None
    images = model.sample(model.random_latents(4, torch.Generator().manual_seed(0)), y)
    assert images.shape == (4, 1, 28, 28) and torch.isfinite(images).all()
    assert images.min() >= -1 and images.max() <= 1 and images.std() > 0.1  # not blank


def test_shipped_checkpoints_fit_the_budget():
    """Issue 6: all of checkpoints/ at most 40 MB (sampling-only folders, 16-bit weights)."""
    size = sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file())
    assert size <= 40_000_000, f"checkpoints/ holds {size:,} bytes"
    for name in MODELS:
        assert json.loads((SHIPPED / f"{name}-mnist" / "config.json").read_text())["sampling_only"] is True


def test_a_save_on_a_full_disk_names_the_folder_and_the_free_space_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=16, device="cpu"),
                      {"toy_width": "16"})
    folder = save_checkpoint(tmp_path / "ck", run, step=1)
    before = (folder / "model.safetensors").read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ck, "save_file", full)
    with pytest.raises(UserError, match=r"Could not save .*ck: No space left on device \([\d,]+ MiB are free there\)"):
        save_checkpoint(folder, run, step=2)
    assert load_checkpoint(folder).step == 1 and (folder / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]  # nothing half-written is left


def test_a_history_or_picture_larger_than_any_run_writes_is_refused(tmp_path):
    from PIL import Image

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=16, device="cpu"),
                      {"toy_width": "16"})
    folder = save_checkpoint(tmp_path / "ck", run, step=1)
    (folder / "history.csv").write_text(",".join(["step"] + [f"c{i}" for i in range(100)]) + "\n")
    with pytest.raises(CheckpointError, match="101 columns"):
        load_checkpoint(folder)
    (folder / "history.csv").write_text("step,loss\n" + "1,0\n" * 20_001)
    with pytest.raises(CheckpointError, match="over 20,000 rows"):
        load_checkpoint(folder)
    (folder / "history.csv").write_text("step,loss\n1,0\n")
    Image.new("L", (3000, 1500)).save(folder / "samples.png")
    with pytest.raises(CheckpointError, match="3,000 x 1,500 pixels"):
        load_checkpoint(folder)


def test_a_config_number_too_long_to_read_is_refused(tmp_path):
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=16, device="cpu"),
                      {"toy_width": "16"})
    folder = save_checkpoint(tmp_path / "ck", run, step=1)
    text = (folder / "config.json").read_text()
    (folder / "config.json").write_text(text.replace('"step": 1', '"step": 1' + "0" * 4400, 1))
    with pytest.raises(CheckpointError, match="number too long"):
        load_checkpoint(folder)
