"""A run: what a training job trains, and how it is built from settings or resumed from a checkpoint.

    run = prepare_run(RunConfig(model="wgan-gp", dataset="mnist"), {"lr": "1e-4"})
    run, step = resume_run("runs/wgan-gp-mnist")  # train on from the checkpoint's step

A `Run` holds validated settings, the data, the model on its device, a sampler and the run's own
random generator. The training loop (`engine.py`) takes a Run; checkpoints (`checkpoints.py`)
save one and read its files back. Resuming needs both the files and the building, so it lives
here, above `checkpoints` and below `engine`: nothing imports back up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

import torch

from gan_playground import capture
from gan_playground.checkpoints import Loaded, load_checkpoint, restore_training_state, train_command
from gan_playground.config import RunConfig, build_config, format_setting
from gan_playground.data import Dataset, Sampler, load_dataset
from gan_playground.device import resolve_device, use_fast_paths
from gan_playground.errors import CheckpointError, ConfigError
from gan_playground.models import GANModel, create_model, model_class
from gan_playground.teachers import attach_teachers


def run_generator(seed: int, device: torch.device) -> torch.Generator:
    """The generator of a run's random draws in training, on its device. Seeded seed + 2: the
    sampler's batches draw from `seed`, the live grid's fixed inputs from seed + 1."""
    return torch.Generator(device=device).manual_seed(seed + 2)


@dataclass
class Run:
    """Everything a job needs: validated settings, the data, the model on its device, a sampler,
    and the run's own random generator (given to the model; made from the seed if not passed)."""

    config: RunConfig
    model: GANModel
    dataset: Dataset
    sampler: Sampler
    device: torch.device
    fast: bool = True  # the device-specific speed-ups of `use_fast_paths`
    capturable: bool = False  # fixed batch buffers and capturable optimizers; CUDA graphs on CUDA
    rng: torch.Generator | None = None
    # (folder name, the command that trained it) when this run resumed a checkpoint and trains on
    # otherwise (another rate schedule, precision or settings): one straight command cannot
    # reproduce it, so `checkpoints.reproduce_command` runs that command first, then the resume.
    resumed_from: tuple[str, str] | None = None
    # Called after every training step (and single phase) on the training thread, outside any
    # CUDA graph: distributed.py averages the batch-norm statistics over the ranks there.
    after_step: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self):
        if self.rng is None:
            self.rng = run_generator(self.config.seed, self.device)
        self.model.set_generator(self.rng)


def prepare_run(config: RunConfig, overrides: dict[str, Any] | None = None, *, model_config: Any = None,
                fast: bool = True, capturable: bool = False) -> Run:
    """Validate everything first, then load the data and build the model; nothing half-made escapes.

    `fast` turns on what the device offers without changing the algorithm (`use_fast_paths`);
    `capturable` makes the step one a CUDA graph can record (`gan_playground.capture`), and on
    CUDA records it. Neither changes the numbers a step computes.
    """
    config = build_config(RunConfig, {}, base=config)
    cls = model_class(config.model)
    settings = build_config(cls.Config, overrides, base=model_config)
    device = resolve_device(config.device)
    if capturable and device.type not in ("cpu", "cuda"):
        raise ConfigError(f"A capturable step needs the CPU or CUDA (torch's capturable optimizers), "
                          f"not {device.type}.")
    dataset = load_dataset(config.dataset, image_size=cls.image_size_for(settings, config.dataset))
    model = create_model(config.model, dataset.spec, config=settings, seed=config.seed).to(device)
    attach_teachers(model, dataset, config.seed)  # the clustering AAE's earlier runs, if it learns from any
    model.attach_data(dataset, config.seed)
    sampler = Sampler(dataset, batch_size=config.batch_size, device=device, seed=config.seed)
    prepared = Run(config, model, dataset, sampler, device, fast=fast, capturable=capturable)
    use_fast_paths(prepared)
    if capturable:
        capture.make_capturable(prepared)
    return prepared


def resume_run(checkpoint: str | Path | Loaded, *, device: str = "auto", overrides: dict[str, Any] | None = None,
               steps: int | None = None, precision: str | None = None, lr_decay: str | None = None,
               capturable: bool = False) -> tuple[Run, int]:
    """A Run rebuilt from a checkpoint, weights and optimizers loaded: train on from its step.

    `checkpoint` is a folder, or what `load_checkpoint` returned for it (not read again).

    `overrides` may change settings that do not change the networks' shapes (e.g. a lower `lr`
    after a divergence); `precision` and `lr_decay` replace the run's. The optimizers keep their saved
    moments but take their learning rates from the (possibly changed) settings, as the model built
    them (`GANModel.rate_settings`); a decay starts from the saved step (`TrainingJob.schedule_rates`).
    `steps` is the step it trains to (default: the checkpoint's run's), which its saved folders record.
    """
    loaded = checkpoint if isinstance(checkpoint, Loaded) else load_checkpoint(checkpoint)
    if loaded.model.sampling_only:
        adversaries = " or ".join(loaded.model.adversaries)
        raise CheckpointError(f"{loaded.path} is a folder for sampling (no optimizers, no {adversaries}), "
                              f"so it cannot be resumed; its README.md has the command that trains it.")
    changes = {"device": device, "steps": steps, "precision": precision, "lr_decay": lr_decay}
    run_cfg = build_config(RunConfig, {k: v for k, v in changes.items() if v is not None}, base=loaded.run)
    model_cfg = build_config(type(loaded.model.config), overrides, base=loaded.model.config)
    _refuse_shape_changes(loaded, model_cfg)
    run = prepare_run(run_cfg, model_config=model_cfg, capturable=capturable)
    run.model.load_state_dict(loaded.model.state_dict())
    step = restore_training_state(run, loaded.path)  # moments and step counts; the rates stay the settings'
    if _trains_on_otherwise(loaded, run):
        before = loaded.config.get("command")  # a hand-edited folder may lack it, or hold another type
        if not isinstance(before, str) or not before.strip():
            before = train_command(loaded.run, loaded.model.config, steps=loaded.step)
        run.resumed_from = (loaded.path.name, before)  # the name alone: no server's paths in a model card
    return run, step


def _trains_on_otherwise(loaded: Loaded, run: Run) -> bool:
    """Whether the resumed run differs from one straight run of its own settings: another rate
    schedule (a decaying rate's depends on the last step), another precision, other settings."""
    before, now = loaded.run, run.config
    schedule = before.lr_decay != now.lr_decay or (now.lr_decay == "linear" and before.steps != now.steps)
    return schedule or before.precision != now.precision or run.model.config != loaded.model.config


def _refuse_shape_changes(loaded: Loaded, new_config: Any) -> None:
    """Refuse settings that would give the resumed networks other shapes (or other data sizes),
    which the saved weights and optimizer moments cannot fill; checked before any data loads."""
    saved = loaded.model.config
    before = _shapes(loaded, saved)
    if _shapes(loaded, new_config) == before:
        return

    def changes_shapes_alone(key: str) -> bool:
        try:
            return _shapes(loaded, replace(saved, **{key: getattr(new_config, key)})) != before
        except ConfigError:  # valid only together with the other changes
            return False

    changed = [f.name for f in fields(saved) if getattr(saved, f.name) != getattr(new_config, f.name)]
    culprits = [k for k in changed if changes_shapes_alone(k)] or changed
    was = (format_setting(getattr(saved, culprits[0])) if len(culprits) == 1
           else ", ".join(f"{k}={format_setting(getattr(saved, k))}" for k in culprits))
    raise CheckpointError(f"{', '.join(culprits)} {'changes' if len(culprits) == 1 else 'change'} the networks' "
                          f"shapes; a resumed run keeps its checkpoint's ({was}). Start a new run to change "
                          f"{'it' if len(culprits) == 1 else 'them'}.")


def _shapes(loaded: Loaded, config: Any) -> dict[str, Any]:
    """Every tensor's shape of the model `config` makes, and the image size it trains on
    (built on the meta device: no memory, no data)."""
    name, cls = loaded.model.name, type(loaded.model)
    with torch.device("meta"):
        model = create_model(name, loaded.model.data, config=config)
    return {"image size": cls.image_size_for(config, loaded.run.dataset),
            **{k: tuple(v.shape) for k, v in model.state_dict().items()}}
