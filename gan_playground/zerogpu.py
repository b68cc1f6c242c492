"""Training on Hugging Face ZeroGPU, where a GPU exists only inside `@spaces.GPU` calls.

ZeroGPU runs a decorated function in a forked worker process: its arguments are pickled in and
its result pickled out (spaces/zero/wrappers.py). So a job trains in slices *by value*
(slices.py): each call gets the run's config and state as plain data, trains on the GPU until a
deadline and sends back the new state with the slice's history and pictures, which the page's job
absorbs. `train_gpu_slice` is decorated at import time, as ZeroGPU requires; the GPU it asks for
lasts what the slice's settings need (`slice_seconds` plus the time to build the run), so shorter
slices get a GPU sooner. The device comes from one place, `GAN_PLAYGROUND_ZEROGPU_DEVICE` (default
cuda), so tests can run the same slices on the CPU. Elsewhere nothing changes here.
"""

from __future__ import annotations

import contextvars
import functools
import math
import os
import time
from typing import TYPE_CHECKING, Any

import torch

from gan_playground.data import generator_on
from gan_playground.environment import env_number, env_text
from gan_playground.errors import UserError
from gan_playground.slices import absorb_slice, pack_job, train_slice

if TYPE_CHECKING:
    from gan_playground.engine import TrainingJob
    from gan_playground.run import Run

SLICE_OVERHEAD_S = 15.0  # what a slice needs besides training: fork, unpickle, build the run, move data


def active() -> bool:
    if os.environ.get("SPACES_ZERO_GPU", "").strip().lower() not in ("1", "t", "true"):
        return False
    try:
        import spaces  # noqa: F401
    except ImportError:
        return False
    return True


def slice_device() -> torch.device:
    """`GAN_PLAYGROUND_ZEROGPU_DEVICE`: where a slice trains (default cuda; the tests say cpu)."""
    return torch.device(env_text("GAN_PLAYGROUND_ZEROGPU_DEVICE", "cuda"))


def slice_seconds() -> float:
    """`GAN_PLAYGROUND_ZEROGPU_SLICE_S`: seconds of training per GPU call (default 45)."""
    return env_number("GAN_PLAYGROUND_ZEROGPU_SLICE_S", 45.0, low=5.0, raise_to_low=True, unit=" of seconds")


def job_options() -> dict[str, Any]:
    """Extra `TrainingJob` arguments for this machine: slices by value on ZeroGPU, nothing elsewhere.

    Build the run on the CPU there (`RunConfig(device="cpu")`): the GPU comes with each slice.
    """
    if not active():
        return {}
    return {"slice_runner": run_slice, "slice_seconds": slice_seconds()}


def run_slice(job: "TrainingJob", deadline: float, *, stop_at: int | None = None) -> None:
    """One GPU call: the job's state goes out by value, trains until `deadline` (or step `stop_at`),
    and what comes back is applied, so the page sees the run advance slice by slice. A refusal of
    ZeroGPU (over the visitor's quota, no GPU free) reaches the page as the Space's message."""
    packed = pack_job(job)
    try:
        result = _as_visitor(job, functools.partial(gpu_train_slice, packed, max(1.0, deadline - time.monotonic()),
                                                    stop_at))
    except UserError:
        raise
    except Exception as err:
        message = _gradio_message(err)
        if message is None:
            raise
        raise UserError(message) from None
    absorb_slice(job, result)


def _as_visitor(job: "TrainingJob", call):
    """`call()` with the Gradio request of the page that started the job: ZeroGPU reads the visitor
    (and so whose quota a slice uses) from the request, and slices run on the job's thread, outside it."""
    try:
        from gradio.context import LocalContext
    except ImportError:
        return call()
    request = job.started_in.get(LocalContext.request) if job.started_in is not None else None
    if request is None:
        return call()

    def with_request():
        LocalContext.request.set(request)
        return call()

    return contextvars.Context().run(with_request)


def _gradio_message(err: Exception) -> str | None:
    """The text of a gr.Error (what ZeroGPU raises for a quota or a queue timeout), else None."""
    try:
        import gradio as gr
    except ImportError:
        return None
    if not isinstance(err, gr.Error):
        return None
    title = getattr(err, "title", "") or ""
    message = str(getattr(err, "message", "") or err)
    return f"{title}: {message}" if title and title != "Error" else message


def train_gpu_slice(packed: dict[str, Any], seconds: float, stop_at: int | None = None) -> dict[str, Any]:
    """One slice on `slice_device()`: what ZeroGPU runs in its worker (plain data in and out)."""
    return train_slice(packed, seconds, stop_at, device=slice_device())


def slice_duration(packed: dict[str, Any], seconds: float, stop_at: int | None = None) -> int:
    """The GPU time a slice asks ZeroGPU for: its training time and what it needs besides."""
    return int(math.ceil(seconds + SLICE_OVERHEAD_S))


def _on_zerogpu(task):
    """`task` as a ZeroGPU function (decorated here, at import time, as the Space requires), or as it is."""
    if not active():
        return task
    import spaces

    return spaces.GPU(duration=slice_duration)(task)


gpu_train_slice = _on_zerogpu(train_gpu_slice)


# -- in-process moves (a run on one machine that changes device) ------------------------------------
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
    """Move everything a run holds on its device: networks, optimizer state (a step count too where
    the optimizer keeps it beside its parameters: capturable or fused), data, fixed inputs."""
    run: Run = job.run
    if run.device == device:
        return
    run.model.to(device)
    for opt in run.model.optimizers.values():
        for group in opt.param_groups:
            on_device = group.get("capturable") or group.get("fused")
            for param in group["params"]:
                state = opt.state.get(param, {})
                for key, value in state.items():
                    if torch.is_tensor(value) and (key != "step" or on_device):
                        state[key] = value.to(device)
    run.sampler.to(device)
    run.rng = generator_on(device, run.rng)  # the run's stream carries on, on the new device
    run.model.set_generator(run.rng)
    run.model.attach_data(run.dataset, run.config.seed)  # models that keep data of their own re-fetch it
    job.preview_inputs = {k: v.to(device) for k, v in job.preview_inputs.items()}
    run.device = device
