"""Checkpoint folders: atomic saving, safe loading, resuming.

A checkpoint is a folder in the Hugging Face Hub's conventions:

    config.json                  model, data, every setting, step, seed, version, scores
    model.safetensors            every network (and batch-norm statistics)
    training_state.safetensors   optimizers, the run's generators and step, for resuming (training_state.py)
    README.md                    a model card with YAML metadata
    samples.png, history.csv     the sample grid and the loss history

A folder saved without training state (for sharing: it can never train on) is "sampling only":
its model.safetensors leaves out what only training reads, the discriminators or critics and,
where a moving average draws the samples, the raw generator (`GANModel.training_only_keys`),
and its config.json says `"sampling_only": true`.

Only JSON and safetensors are ever read. Pickles (`.pt`, `.pth`, `.bin`, `.ckpt`, `.pkl`) are
refused, never unpickled: unpickling runs arbitrary code from whoever wrote the file.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from gan_playground import __version__
from gan_playground.config import RunConfig, build_config, config_to_dict, format_setting, settings_before
from gan_playground.data import DataSpec, fixed_real_batch
from gan_playground.errors import CheckpointError, UserError
from gan_playground.model_card import model_card
from gan_playground.models import GANModel, create_model, model_class
from gan_playground.records import MAX_HISTORY_BYTES, check_records, write_history_csv
from gan_playground.training_state import pack_training_state, unpack_training_state

if TYPE_CHECKING:
    from gan_playground.engine import Snapshot
    from gan_playground.run import Run

FORMAT_VERSION = 1
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")
MAX_JSON_BYTES = 1 << 20  # a config is a few kB; a huge one is hostile or broken
MAX_WEIGHTS_BYTES = 2 << 30
# The files of a checkpoint folder (config.json and model.safetensors must be there), each with the
# most bytes accepted for it from elsewhere (a pull, an upload, a .zip). A checkpoint here is a few MB.
CHECKPOINT_FILES = {"config.json": MAX_JSON_BYTES, "model.safetensors": MAX_WEIGHTS_BYTES,
                    "training_state.safetensors": MAX_WEIGHTS_BYTES, "README.md": 1 << 20,
                    "samples.png": 16 << 20, "history.csv": MAX_HISTORY_BYTES}


# ----------------------------------------------------------------------------------------------
# Saving

def save_checkpoint(path: str | Path, run: "Run", *, step: int, snapshot: "Snapshot | None" = None,
                    scores: dict[str, float] | None = None, command: str | None = None,
                    half: bool = False, training_state: bool = True) -> Path:
    """Write a checkpoint folder atomically: a killed save leaves the previous one whole.

    `half` stores float weights as float16 (half the size; they load back as float32).
    `training_state=False` writes a sampling-only folder (see the module's docstring).
    The caller holds the model still (e.g. inside `job.exclusive()`).
    An existing `path` that is not a checkpoint is refused, never swapped away (`refuse_to_replace`).
    """
    model = run.model
    config = checkpoint_config(run, step=step, scores=scores, command=command)

    def write_records(folder: Path) -> None:
        if training_state:
            tensors, meta = pack_training_state(run, step)
            save_file(tensors, folder / "training_state.safetensors", metadata=meta)
        picture = _samples_picture(run, snapshot)
        if picture is not None:
            from PIL import Image
            Image.fromarray(picture).save(folder / "samples.png")
        if snapshot is not None:
            write_history_csv(folder / "history.csv", snapshot)

    return _write_folder(path, model, config, sampling_only=not training_state, half=half, write_records=write_records)


def save_sampling_only(source: str | Path, path: str | Path, *, half: bool = True) -> Path:
    """A copy of a checkpoint folder to share or ship: its weights without what only training reads
    (optimizers, critics or discriminators, a raw generator beside its average), 16-bit unless
    `half=False`, with its config.json (command, scores), samples.png and history.csv. About a third
    of the folder's size; it samples and evaluates alike but cannot be resumed. `path` may be
    `source` itself (the folder is replaced atomically)."""
    loaded = load_checkpoint(source)

    def copy_records(folder: Path) -> None:
        for name in ("samples.png", "history.csv"):
            if (loaded.path / name).is_file():
                shutil.copyfile(loaded.path / name, folder / name)

    return _write_folder(path, loaded.model, dict(loaded.config), sampling_only=True, half=half,
                         write_records=copy_records)


def _write_folder(path: str | Path, model: GANModel, config: dict[str, Any], *, sampling_only: bool, half: bool,
                  write_records: Callable[[Path], None]) -> Path:
    """The one way a checkpoint folder is written: into a temporary folder beside it (model.safetensors,
    config.json, what `write_records` adds, then the model card), swapped in with renames."""
    final = Path(path)
    refuse_to_replace(final)
    tmp = final.parent / f".tmp-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        left_out = set(model.training_only_keys()) if sampling_only else set()
        if left_out:
            config["sampling_only"] = True
        weights = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in model.state_dict().items()
                   if k not in left_out}
        if half:
            weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
        save_file(weights, tmp / "model.safetensors", metadata={"format": "pt"})
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        write_records(tmp)
        (tmp / "README.md").write_text(model_card(config, has_samples=(tmp / "samples.png").is_file()))
        _fsync_dir(tmp)
        _swap_in(tmp, final)
    except (OSError, SafetensorError) as err:  # a full disk, a quota, a folder gone read-only
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(_not_saved(final, err)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_dead_temporaries(final)
    return final


def _not_saved(final: Path, err: BaseException) -> str:
    """Why a save failed, with the free space where it went; what was there before is untouched."""
    why = getattr(err, "strerror", None) or str(err)
    place = final.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        free = f"{shutil.disk_usage(place).free / (1 << 20):,.0f} MiB are free there"
    except OSError:
        free = "the free space there is unknown"
    return (f"Could not save {final}: {why} ({free}). Nothing was half-written; any earlier checkpoint "
            f"there is unchanged. Free some space or choose another folder.")


def is_checkpoint_folder(path: str | Path) -> bool:
    """Whether `path` is a folder this program saved: its config.json says so (`checkpoint_config`)."""
    try:
        return read_json(Path(path) / "config.json").get("library") == "gan-playground"
    except (CheckpointError, OSError):
        return False


def refuse_to_replace(folder: Path) -> None:
    """Refuse a save to `folder` when the save would destroy what is there: a file, or a folder
    that holds anything but a checkpoint of ours (the save replaces the whole folder)."""
    if folder.is_dir():
        if is_checkpoint_folder(folder):
            return
        names = sorted(p.name for p in folder.iterdir())
        if names:
            listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            raise UserError(f"Output folder {folder} holds files that are not a GAN Playground checkpoint "
                            f"({listed}); saving there would replace them. Choose a new or empty folder.")
    elif folder.exists() or folder.is_symlink():
        raise UserError(f"Output folder {folder} is a file; choose a folder (new, empty, or a checkpoint).")


def check_writable(path: str | Path) -> None:
    """Refuse `path` unless something can be created where it goes: found before a long run
    rather than when it saves. Probes the nearest folder that exists on the way to it."""
    target = Path(path).absolute()
    place = target.parent
    while not place.exists() and not place.is_symlink():
        place = place.parent
    if not place.is_dir():
        raise UserError(f"Cannot write {path}: {place} is a file, not a folder.")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".gan-playground-probe-", dir=place))
    except OSError as err:
        raise UserError(f"Cannot write {path}: creating anything in {place} fails ({err.strerror}).") from None


def check_output_folder(path: str | Path) -> Path:
    """`path` as a folder that `save_checkpoint` can write without destroying anything, checked
    before any training goes into it."""
    folder = Path(path)
    if folder.name in ("", ".."):  # the save renames the folder itself, which these cannot be
        raise UserError(f"Output folder {path!r} needs a name of its own, e.g. {str(folder / 'run')!r}.")
    refuse_to_replace(folder)
    check_writable(folder)
    return folder


def _remove_dead_temporaries(final: Path) -> None:
    """Delete `.tmp-NAME-PID-*` folders left by saves whose process was killed (PID gone)."""
    remove_dead_temporaries(final.parent, name=final.name)


def remove_dead_temporaries(folder: Path, *, name: str = "*") -> list[Path]:
    """Delete the `.tmp-NAME-PID-HEX` folders in `folder` whose saving process is gone (killed
    mid-save), and `.old-NAME` copies whose NAME is whole again; returns what was removed.
    A save still running (its PID alive) and an `.old-NAME` that is the only whole copy stay."""
    removed = []
    for leftover in folder.glob(f".tmp-{name}-*-*"):
        _, pid, _ = leftover.name.rsplit("-", 2)
        if leftover.is_dir() and pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
    if name == "*":
        for old in folder.glob(".old-*"):
            if old.is_dir() and (folder / old.name[len(".old-"):]).is_dir():
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old)
    return removed


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its folder
    return True


def _swap_in(tmp: Path, final: Path) -> None:
    """Replace `final` by `tmp` with renames only. Between the two renames the old folder sits
    at `.old-NAME`, which `load_checkpoint` falls back to, so some whole checkpoint always exists."""
    old = final.parent / f".old-{final.name}"
    if final.exists():
        if old.exists():  # a stale copy: `final` is whole
            shutil.rmtree(old)
        os.rename(final, old)
    # else: an earlier save was killed between its renames and `old` is the only whole copy;
    # it must survive until `tmp` is in place.
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    for f in folder.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())


def checkpoint_config(run: "Run", *, step: int, scores: dict[str, float] | None = None,
                      command: str | None = None) -> dict[str, Any]:
    model, spec = run.model, run.model.data
    return {
        "format": FORMAT_VERSION,
        "library": "gan-playground",
        "version": __version__,
        "model": model.name,
        "family": model.family,
        "dataset": run.config.dataset,
        "data": {"shape": list(spec.shape), "num_classes": spec.num_classes, "kind": spec.kind,
                 "classes": list(run.dataset.classes)},
        "config": config_to_dict(model.config),
        "run": config_to_dict(run.config),
        "step": int(step),
        "seed": run.config.seed,
        "scores": {k: float(v) for k, v in (scores or {}).items()},
        "command": command or reproduce_command(run, step),
        **model.provenance(),
    }


def reproduce_command(run: "Run", step: int) -> str:
    """The command line that trains this run's weights at `step` from nothing.

    A decaying rate falls to 0 at the run's last step, so a folder saved before it (the best one,
    an autosave) names the whole run's steps. A run resumed with other settings (`Run.resumed_from`)
    is the command that trained the checkpoint, then the resume with what changed.
    """
    c = run.config
    command = train_command(c, run.model.config, steps=c.steps if c.lr_decay == "linear" else step)
    if run.resumed_from is None:
        return command
    folder, before = run.resumed_from
    # --resume takes the precision and the rate schedule from the checkpoint unless given, and
    # train_command names only bf16 and a decay: name their defaults too.
    defaults = (("" if c.precision == "bf16" else " --precision fp32")
                + ("" if c.lr_decay == "linear" else " --lr-decay none"))
    written = _chain_folder(before)  # a chain already (a folder resumed twice): go on in its folder
    if written is None:
        written = shlex.quote(folder)
        before = f"{before} --out {written}"
    return f"{before} && {command} --resume {written} --out {written}{defaults}"


def _chain_folder(command: str) -> str | None:
    """The folder a `reproduce_command` chain's last command writes (its last `--out`), or None
    for a single command (whose folder the chain names itself)."""
    if " && " not in command:
        return None
    try:
        words = shlex.split(command.rsplit(" && ", 1)[1])
    except ValueError:  # unbalanced quotes: a hand-edited config
        return None
    outs = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--out"]
    return shlex.quote(outs[-1]) if outs else None


def train_command(run_config: RunConfig, model_config: Any, *, steps: int | None = None, out: str = "") -> str:
    """The command line that trains this run headless: every setting, so defaults may change."""
    sets = " ".join(f"--set {k}={format_setting(v)}" for k, v in config_to_dict(model_config).items())
    c = run_config
    return (f"python -m gan_playground train {c.model} --dataset {c.dataset} --steps {steps or c.steps} "
            f"--batch-size {c.batch_size} --seed {c.seed} "
            f"{'--precision bf16 ' if c.precision == 'bf16' else ''}"
            f"{'--lr-decay linear ' if c.lr_decay == 'linear' else ''}{f'--out {out} ' if out else ''}{sets}").strip()


def train_call(run_config: RunConfig, model_config: Any) -> str:
    """The same run as a `gp.train` call, for a notebook."""
    c = run_config
    settings = "".join(f", {k}={v!r}" for k, v in config_to_dict(model_config).items())
    return (f"import gan_playground as gp\n\nmodel = gp.train({c.model!r}, dataset={c.dataset!r}, steps={c.steps}, "
            f"batch_size={c.batch_size}, seed={c.seed}{settings})")


def _samples_picture(run: "Run", snapshot: "Snapshot | None") -> np.ndarray | None:
    from gan_playground.explore import points_picture, preview_picture

    if snapshot is not None and snapshot.preview is not None:
        preview = snapshot.preview
    else:
        gen = torch.Generator(device=run.device).manual_seed(run.config.seed + 1)
        real_x, real_y = fixed_real_batch(run.dataset, 64, run.device)
        preview = preview_picture(run.model, run.model.preview_inputs(real_x, real_y, gen))
    if preview.ndim == 2:  # points: draw them over the real data
        return points_picture(run.dataset.test[:2000].numpy(), preview)
    return preview


# ----------------------------------------------------------------------------------------------
# Loading

@dataclass
class Loaded:
    """A checkpoint read back: the model (on `device`) and its saved configuration."""

    path: Path
    model: GANModel
    config: dict[str, Any]
    run: RunConfig
    step: int

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.config["data"].get("classes", ()))


def resolve_checkpoint_dir(path: str | Path) -> Path:
    """The folder to read, refusing pickles and falling back to an interrupted save's old copy."""
    p = Path(path)
    if p.is_file():
        if p.suffix.lower() in PICKLE_SUFFIXES:
            raise CheckpointError(_pickle_message(p))
        raise CheckpointError(f"{p} is a file; a checkpoint is a folder with config.json and model.safetensors.")
    if not p.is_dir():
        old = p.parent / f".old-{p.name}"
        if old.is_dir():  # a save was killed between its two renames: the old copy is whole
            return old
        raise CheckpointError(f"Checkpoint folder {p} does not exist.")
    if not (p / "model.safetensors").is_file():
        pickles = sorted(f.name for f in p.iterdir() if f.suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise CheckpointError(_pickle_message(p / pickles[0]))
        raise CheckpointError(f"{p} is not a checkpoint: model.safetensors is missing.")
    if not (p / "config.json").is_file():
        raise CheckpointError(f"{p} is not a checkpoint: config.json is missing.")
    return p


def _pickle_message(p: Path) -> str:
    return (f"Refused {p.name}: it is a pickle file, and loading a pickle can run any code its author "
            f"put in it. GAN Playground reads weights from safetensors only (model.safetensors).")


def read_json(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise CheckpointError(f"{path} is larger than {MAX_JSON_BYTES} bytes; refusing to read it.")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path} is not valid JSON: {err}") from None
    except RecursionError:
        raise CheckpointError(f"{path} is not valid JSON: it is nested too deeply.") from None
    except ValueError:  # a number of more than 4,300 digits (Python refuses to parse it)
        raise CheckpointError(f"{path} holds a number too long to read; no checkpoint writes one.") from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path} does not hold a JSON object.")
    return value


def read_safetensors(path: Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Tensors from a safetensors file, with any corruption turned into a CheckpointError."""
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise CheckpointError(f"{path} is larger than {MAX_WEIGHTS_BYTES >> 30} GiB; refusing to read it.")
    try:
        return load_file(path, device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError, MemoryError) as err:
        raise CheckpointError(f"{path.name} in {path.parent} is corrupt or truncated: {err}") from None


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Loaded:
    """Build the saved model and load its weights. Errors name what is wrong, never a traceback."""
    folder = resolve_checkpoint_dir(path)
    config = read_json(folder / "config.json")
    check_records(folder)
    try:
        name = config["model"]
        cls = model_class(name)
        spec = _data_spec(config["data"])
        model_config = build_config(cls.Config, settings_before(cls.Config, _mapping(config, "config")))
        run = build_config(RunConfig, _mapping(config, "run"))
        step = int(config.get("step", 0))
        if step < 0:
            raise ValueError(f"step {step} is negative")
        # Build it without memory first: a config must not make us allocate more than its
        # weights file could ever fill (a hostile shape or width would exhaust memory).
        sampling_only = config.get("sampling_only", False)
        if not isinstance(sampling_only, bool):
            raise ValueError(f"sampling_only must be true or false, got {sampling_only!r}")
        with torch.device("meta"):
            probe = create_model(name, spec, config=model_config)
        left_out = set(probe.training_only_keys()) if sampling_only else set()
        need = sum(v.numel() * (2 if v.is_floating_point() else v.element_size())
                   for k, v in probe.state_dict().items() if k not in left_out)
    except UserError as err:
        raise CheckpointError(f"{folder}/config.json: {err}") from None
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, OverflowError) as err:
        raise CheckpointError(f"{folder}/config.json is incomplete or malformed "
                              f"({type(err).__name__}: {err}).") from None
    size = (folder / "model.safetensors").stat().st_size
    if need > size:
        raise CheckpointError(f"model.safetensors in {folder} does not fit a {name} with the saved settings: "
                              f"they need at least {need:,} bytes of weights, the file holds {size:,}.")
    # Its random initial weights (that the file's replace) leave every random stream as it was:
    # create_model draws them aside, under a lock (nets.seeded_init).
    model = create_model(name, spec, config=model_config)
    weights = read_safetensors(folder / "model.safetensors")
    added_later = {k for k in model.added_buffers if k not in weights}  # a folder older than them: initial values
    expected = {k: v for k, v in model.state_dict().items() if k not in left_out | added_later}
    problems = [k for k in expected if k not in weights] + [k for k in weights if k not in expected]
    problems += [f"{k}: saved {tuple(weights[k].shape)}, expected {tuple(v.shape)}"
                 for k, v in expected.items() if k in weights and weights[k].shape != v.shape]
    if problems:
        raise CheckpointError(f"model.safetensors in {folder} does not fit a {name} with the saved settings: "
                              + "; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""))
    _refuse_impossible_values(weights, folder)
    model.load_state_dict(weights, strict=not (left_out or added_later))  # float16 weights into float32 parameters
    if left_out:
        model.sampling_only = True
        if model.ema_decay > 0:  # the raw generator was left out: let it hold the average, not random weights
            model.generator.load_state_dict(model.sampling_net.state_dict())
    model.to(device)
    model.eval()
    return Loaded(folder, model, config, run, step)


def _refuse_impossible_values(weights: dict[str, torch.Tensor], folder: Path) -> None:
    """Refuse weights no training writes, which would otherwise load: complex numbers (copied into
    real parameters, the imaginary part dropped with a warning) and NaN or inf, which sample
    blank images and score as a model that learned nothing."""
    for key, tensor in weights.items():
        if not _is_real(tensor.dtype):
            dtype = str(tensor.dtype).removeprefix("torch.")
            raise CheckpointError(f"model.safetensors in {folder}: {key} holds {dtype} "
                                  f"numbers; weights are floating point, integer or bool.")
        if tensor.is_floating_point() and not torch.isfinite(tensor.float()).all():
            raise CheckpointError(f"model.safetensors in {folder}: {key} holds NaN or infinite values; "
                                  f"the file is damaged or saved from a run that diverged.")


def _is_real(dtype: torch.dtype) -> bool:
    if dtype.is_floating_point or dtype == torch.bool:
        return True
    try:
        torch.iinfo(dtype)  # the integer types
    except TypeError:
        return False
    return True


MAX_IMAGE_SIZE = 1024
MAX_CLASSES = 100_000


def _mapping(config: dict[str, Any], key: str) -> dict[str, Any]:
    value = config.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{key!r} must be a JSON object, got {type(value).__name__}")
    return value


def _data_spec(data: Any) -> DataSpec:
    """The saved data description, checked: it decides the networks' shapes."""
    if not isinstance(data, dict):
        raise ValueError(f"'data' must be a JSON object, got {type(data).__name__}")
    kind, shape, classes = data["kind"], data["shape"], data["num_classes"]
    if kind not in ("image", "points"):
        raise ValueError(f"data kind {kind!r} is not one of image, points")
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
        raise ValueError(f"data shape {shape!r} is not a list of integers")
    if kind == "points" and shape != [2]:
        raise ValueError(f"data shape {shape} is not valid for points: expected [2]")
    if kind == "image" and not (len(shape) == 3 and shape[0] in (1, 3) and shape[1] == shape[2]
                                and 1 <= shape[1] <= MAX_IMAGE_SIZE):
        raise ValueError(f"data shape {shape} is not valid for images: expected [1 or 3, S, S] "
                         f"with S in [1, {MAX_IMAGE_SIZE}]")
    if not isinstance(classes, int) or isinstance(classes, bool) or not 0 <= classes <= MAX_CLASSES:
        raise ValueError(f"data num_classes {classes!r} is not an integer in [0, {MAX_CLASSES}]")
    return DataSpec(tuple(shape), classes, kind)


def restore_training_state(run: "Run", path: str | Path) -> int:
    """Load optimizer and generator states saved beside the weights; returns the step to continue from."""
    folder = resolve_checkpoint_dir(path)
    state_file = folder / "training_state.safetensors"
    if not state_file.is_file():
        raise CheckpointError(f"{folder} holds weights but no training_state.safetensors, so it cannot be resumed.")
    tensors = read_safetensors(state_file)
    try:
        with safe_open(state_file, framework="pt") as fh:
            groups = json.loads(fh.metadata()["param_groups"])
        saved_for = read_json(folder / "config.json").get("model")
        if saved_for != run.model.name:
            raise ValueError(f"it was saved for a {saved_for}, not a {run.model.name}")
        return unpack_training_state(run, tensors, groups)
    except (KeyError, ValueError, RuntimeError, TypeError, IndexError, AttributeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"training_state.safetensors in {folder} does not fit this model: {err}") from None


def safe_child(base: str | Path, name: str) -> Path:
    """`base/name` for a user-given name, refusing anything that would land outside `base`."""
    base_path = Path(base).resolve()
    if not name or name.strip() != name or "\x00" in name:
        raise UserError(f"Invalid name {name!r}.")
    target = (base_path / name).resolve()
    if target == base_path or not target.is_relative_to(base_path):
        raise UserError(f"Invalid name {name!r}: it must stay inside {base_path}.")
    return target

