"""Training on Hugging Face ZeroGPU, where a GPU exists only inside `@spaces.GPU` calls.

On a ZeroGPU Space (`SPACES_ZERO_GPU=true` and the `spaces` package present) a job trains in
slices: each slice is one decorated call that moves the run to the GPU, trains until a
deadline, and moves everything back to the CPU. Weights, optimizer moments, the step and the
history live on between calls, so the run carries on where the last slice stopped. Elsewhere
nothing changes: jobs train in one go on the device they were built for.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch

from gan_playground.data import generator_on

if TYPE_CHECKING:
    from gan_playground.engine import Run, TrainingJob


def active() -> bool:
    if os.environ.get("SPACES_ZERO_GPU", "").strip().lower() not in ("1", "t", "true"):
        return False
    try:
        import spaces  # noqa: F401
    except ImportError:
        return False
    return True


def job_options(duration_s: int = 60) -> dict[str, Any]:
    """Extra `TrainingJob` arguments for this machine: slices on ZeroGPU, nothing elsewhere.

    Build the run on the CPU there (`RunConfig(device="cpu")`): the GPU comes with each slice.
    """
    if not active():
        return {}
    return {"slice_runner": gpu_slice_runner(duration_s), "slice_seconds": max(5.0, duration_s - 15.0)}


def gpu_slice_runner(duration_s: int):
    """A slice runner whose every call holds a ZeroGPU GPU for at most `duration_s` seconds."""
    import spaces

    @spaces.GPU(duration=duration_s)
    def run_slice(job: "TrainingJob", deadline: float) -> None:
        train_slice_on(job, deadline, torch.device("cuda"))

    return run_slice


def train_slice_on(job: "TrainingJob", deadline: float, device: torch.device) -> None:
    """Move the job's run to `device`, train until `deadline`, and move it back where it was."""
    home = job.run.device
    with job.exclusive():
        move_run(job, device)
    try:
        job.train_until(deadline)
    finally:
        with job.exclusive():
            move_run(job, home)


def move_run(job: "TrainingJob", device: torch.device) -> None:
    """Move everything a run holds on its device: networks, optimizer state, data, fixed inputs."""
    run: Run = job.run
    if run.device == device:
        return
    run.model.to(device)
    for opt in run.model.optimizers.values():
        for state in opt.state.values():
            for key, value in state.items():
                if torch.is_tensor(value) and key != "step":
                    state[key] = value.to(device)
    run.sampler.to(device)
    run.rng = generator_on(device, run.rng)  # the run's stream carries on, on the new device
    run.model.set_generator(run.rng)
    run.model.attach_data(run.dataset, run.config.seed)  # models that keep data of their own re-fetch it
    job.preview_inputs = {k: v.to(device) for k, v in job.preview_inputs.items()}
    run.device = device
