"""What training_state.safetensors holds beside a checkpoint's weights, and how a run takes it back.

    optim.<name>.<i>.<field>   each optimizer's state, per parameter (param groups: JSON metadata)
    rng.run                    the run's generator: z, noise, priors, shifts, picks, dropout masks
    rng.sampler                the sampler's generator: the batches
    step                       the step to continue from

The global generator is not saved: nothing in training draws from it (each run owns its own).
`checkpoints.py` reads and writes the file; this module only packs and unpacks its tensors.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from gan_playground.run import Run


def pack_training_state(run: "Run", step: int) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Optimizer tensors and the run's generators as flat CPU tensors; param groups as JSON metadata."""
    tensors: dict[str, torch.Tensor] = {}
    groups: dict[str, Any] = {}
    for name, opt in run.model.optimizers.items():
        state = opt.state_dict()
        groups[name] = state["param_groups"]
        for idx, per_param in state["state"].items():
            for key, value in per_param.items():
                t = value if torch.is_tensor(value) else torch.tensor(value)
                tensors[f"optim.{name}.{idx}.{key}"] = t.detach().to("cpu").contiguous()
    tensors["rng.run"] = run.rng.get_state().to("cpu")
    tensors["rng.sampler"] = run.sampler.generator.get_state().to("cpu")
    tensors["step"] = torch.tensor(step, dtype=torch.int64)
    return tensors, {"param_groups": json.dumps(groups), "step": str(step)}


def unpack_training_state(run: "Run", tensors: dict[str, torch.Tensor], groups: dict[str, Any]) -> int:
    """Put what `pack_training_state` saved back into `run`; returns the saved step. Raises ValueError (or
    KeyError, ...) when it does not fit the run's model, for the caller to name the file."""
    if set(groups) != set(run.model.optimizers):
        raise ValueError(f"it holds optimizers {sorted(groups)}, the model has {sorted(run.model.optimizers)}")
    for name, opt in run.model.optimizers.items():
        saved_groups = _check_param_groups(name, groups[name], opt)
        params = [p for group in opt.param_groups for p in group["params"]]
        state: dict[int, dict[str, torch.Tensor]] = {}
        prefix = f"optim.{name}."
        for key, value in tensors.items():
            if key.startswith(prefix):
                idx, field = key[len(prefix):].split(".", 1)
                if not 0 <= int(idx) < len(params) or (value.dim() and value.shape != params[int(idx)].shape):
                    raise ValueError(f"{key} {tuple(value.shape)} does not match the model's parameters")
                state.setdefault(int(idx), {})[field] = value.to(run.device) if field != "step" else value
        opt.load_state_dict({"state": state, "param_groups": saved_groups})
    step = int(tensors["step"])
    seed = run.config.seed
    # Folders saved before runs had a generator of their own drew their noise from the global
    # one (its saved "rng.torch" is no longer restored: jobs share it): they go on with a
    # generator seeded from the seed and the step, so that resuming them repeats. The same
    # where a state comes from another kind of device (a CPU and a CUDA generator differ).
    _restore_generator(run.rng, tensors.get("rng.run"), seed + 2 + step)
    _restore_generator(run.sampler.generator, tensors["rng.sampler"], seed + step)
    return step


def _restore_generator(generator: torch.Generator, state: torch.Tensor | None, fallback_seed: int) -> None:
    """`generator` <- a saved state, or seeded with `fallback_seed` where none fits (missing, or
    saved by another kind of generator: its state has another size)."""
    if state is not None and state.numel() == generator.get_state().numel():
        generator.set_state(state.to(torch.uint8).cpu())
    else:
        generator.manual_seed(fallback_seed)


# How an optimizer runs, not what it learned: the resumed run's own, whatever the saved one used.
EXECUTION_OPTIONS = ("fused", "foreach", "capturable", "differentiable")
# The learning rates: the resumed run's settings (equal to the saved ones unless a resume changed
# them); a decaying schedule puts each rate where the step is (`TrainingJob.schedule_rates`).
RATE_KEYS = ("lr", "initial_lr")


def _check_param_groups(name: str, saved: Any, opt: torch.optim.Optimizer) -> list[dict[str, Any]]:
    """The saved param groups of optimizer `name`, checked against `opt`'s. Keys only one side has
    (another torch version's options, a schedule's `initial_lr`), `EXECUTION_OPTIONS` and `RATE_KEYS`
    take `opt`'s values; JSON lists turn back into the tuples the optimizer had (Adam's betas)."""
    current = opt.param_groups
    if (not isinstance(saved, list) or len(saved) != len(current)
            or any(not isinstance(a, dict) or not isinstance(a.get("params"), list)
                   or len(a["params"]) != len(b["params"]) for a, b in zip(saved, current, strict=True))):
        raise ValueError(f"optimizer {name!r} was saved for other parameters")

    def merged(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in b.items():
            if k == "params":
                out[k] = a["params"]
            elif k in EXECUTION_OPTIONS or k in RATE_KEYS or k not in a:
                out[k] = v
            else:
                out[k] = tuple(a[k]) if isinstance(v, tuple) and isinstance(a[k], list) else a[k]
        return out

    return [merged(a, b) for a, b in zip(saved, current, strict=True)]
