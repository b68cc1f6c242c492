"""Training on Hugging Face ZeroGPU, where a GPU exists only inside `@spaces.GPU` calls.

ZeroGPU runs a decorated function in a forked worker process: its arguments are pickled in and
its result pickled out (spaces/zero/wrappers.py). A `TrainingJob` (threads, locks) cannot travel
that way, and a copy trained in the worker would bring nothing back. So a job travels *by value*:

    parent (the page's job, on the CPU)            worker (forked, holds the GPU)
    pack_job(job)  -- config, weights, optimizer   train_slice(packed, seconds):
                      state, generators, step -->    rebuild the run on slice_device(), load the
                                                     state, train until `seconds` pass, and send
    absorb_slice(job, result) <-- new state,          back the new state with the slice's history
                      history rows, pictures --      rows, scores and pictures

`train_slice` is decorated at import time, as ZeroGPU requires; the GPU it asks for lasts what the
slice's settings need (`slice_seconds` plus the time to build the run), so shorter slices get a GPU
sooner. The device comes from one place, `GAN_PLAYGROUND_ZEROGPU_DEVICE` (default cuda), so tests
can run the same slices on the CPU. Elsewhere nothing changes: jobs train in one go on the device
they were built for.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import json
import math
import os
import time
from typing import TYPE_CHECKING, Any

import torch

from gan_playground.data import generator_on
from gan_playground.errors import UserError
from gan_playground.training_state import pack_training_state, unpack_training_state

if TYPE_CHECKING:
    from gan_playground.engine import Run, TrainingJob

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
    return torch.device(os.environ.get("GAN_PLAYGROUND_ZEROGPU_DEVICE", "").strip() or "cuda")


def slice_seconds() -> float:
    """`GAN_PLAYGROUND_ZEROGPU_SLICE_S`: seconds of training per GPU call (default 45)."""
    value = os.environ.get("GAN_PLAYGROUND_ZEROGPU_SLICE_S", "").strip()
    try:
        return max(5.0, float(value)) if value else 45.0
    except ValueError:
        raise UserError(f"GAN_PLAYGROUND_ZEROGPU_SLICE_S={value!r} is not a number of seconds.") from None


def job_options() -> dict[str, Any]:
    """Extra `TrainingJob` arguments for this machine: slices by value on ZeroGPU, nothing elsewhere.

    Build the run on the CPU there (`RunConfig(device="cpu")`): the GPU comes with each slice.
    """
    if not active():
        return {}
    return {"slice_runner": run_slice, "slice_seconds": slice_seconds()}


# -- the parent's side --------------------------------------------------------------------------------
def pack_job(job: "TrainingJob") -> dict[str, Any]:
    """The job's run as plain, picklable data: its config and settings, its state as CPU tensors
    (weights, optimizer moments and step counts, generators, step) and how its job records."""
    run = job.run
    with job.exclusive():
        weights = {k: v.detach().to("cpu", copy=True) for k, v in run.model.state_dict().items()}
        tensors, meta = pack_training_state(run, job.step)
    if job.slice_rng is not None:  # the slice device's own streams (a GPU's), carried from the last slice
        tensors["rng.run"], tensors["rng.sampler"] = job.slice_rng
    return {"config": dataclasses.asdict(run.config), "settings": dataclasses.asdict(run.model.config),
            "fast": run.fast, "weights": weights, "state": tensors, "param_groups": meta["param_groups"],
            "step": job.step, "steps": job.steps, "base_lrs": job._base_lrs, "guard": dict(job.guard.start),
            "log_every": job.log_every, "preview_every": job.preview_every, "max_history": job.max_history,
            "eval_every": job.eval_every, "evaluate": job.evaluate is not None}


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


def absorb_slice(job: "TrainingJob", result: dict[str, Any]) -> None:
    """Apply a slice's result: the new state into the job's run (on its own device), then its record."""
    run = job.run
    with job.exclusive():
        run.model.load_state_dict(result["weights"])
        state = dict(result["state"])
        rng = state["rng.run"], state["rng.sampler"]
        fits = rng[0].numel() == run.rng.get_state().numel() and rng[1].numel() == run.sampler.generator \
            .get_state().numel()
        unpack_training_state(run, state, json.loads(result["param_groups"]))
        job.slice_rng = None if fits else rng  # a GPU's streams wait for the next slice; a CPU's are the run's
        job._base_lrs = result["base_lrs"]
        job.guard.start.update(result["guard"])
    job.absorb(result["record"])


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


# -- the worker's side --------------------------------------------------------------------------------
def train_slice(packed: dict[str, Any], seconds: float, stop_at: int | None = None) -> dict[str, Any]:
    """Rebuild the run on `slice_device()` from `packed`, train for `seconds` (or to step `stop_at`),
    and return its new state (CPU tensors) with what the slice recorded. Plain data in and out."""
    from gan_playground.config import RunConfig
    from gan_playground.engine import TrainingJob, prepare_run
    from gan_playground.metrics import live_evaluator
    from gan_playground.models import model_class

    device = slice_device()
    config = RunConfig(**{**packed["config"], "device": device.type})
    settings = model_class(config.model).Config(**{k: tuple(v) if isinstance(v, list) else v
                                                   for k, v in packed["settings"].items()})
    run = prepare_run(config, model_config=settings, fast=packed["fast"])
    run.model.load_state_dict(packed["weights"])
    state = dict(packed["state"])
    unpack_training_state(run, state, json.loads(packed["param_groups"]))
    _carry(run.rng, state["rng.run"])
    _carry(run.sampler.generator, state["rng.sampler"])
    run.model.set_generator(run.rng)
    evaluate = live_evaluator(config.dataset, model=run.model) if packed["evaluate"] else None
    job = TrainingJob(run, steps=packed["steps"], start_step=packed["step"], log_every=packed["log_every"],
                      preview_every=packed["preview_every"], max_history=packed["max_history"], evaluate=evaluate,
                      eval_every=packed["eval_every"])
    job._base_lrs = packed["base_lrs"]
    job.guard.start.update(packed["guard"])
    run.model.train()
    job.train_until(time.monotonic() + seconds, stop_at=stop_at)
    if job.state != "diverged":
        job._render_preview()  # the slice's last picture, for the page
    tensors, meta = pack_training_state(run, job.step)
    return {"weights": {k: v.detach().to("cpu", copy=True) for k, v in run.model.state_dict().items()},
            "state": tensors, "param_groups": meta["param_groups"], "base_lrs": job._base_lrs,
            "guard": dict(job.guard.start), "record": job.slice_record()}


def _carry(generator: torch.Generator, state: torch.Tensor) -> None:
    """`generator` <- `state`; a state of another kind of generator (the run's CPU stream, on a GPU)
    seeds it with a draw from that stream instead, as `data.generator_on` does."""
    if state.numel() == generator.get_state().numel():
        generator.set_state(state.to(torch.uint8).cpu())
        return
    source = torch.Generator()
    source.set_state(state.to(torch.uint8).cpu())
    generator.manual_seed(int(torch.randint(0, 2**62, (1,), generator=source)))


def slice_duration(packed: dict[str, Any], seconds: float, stop_at: int | None = None) -> int:
    """The GPU time a slice asks ZeroGPU for: its training time and what it needs besides."""
    return int(math.ceil(seconds + SLICE_OVERHEAD_S))


def _on_zerogpu(task):
    """`task` as a ZeroGPU function (decorated here, at import time, as the Space requires), or as it is."""
    if not active():
        return task
    import spaces

    return spaces.GPU(duration=slice_duration)(task)


gpu_train_slice = _on_zerogpu(train_slice)


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
