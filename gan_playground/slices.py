"""A run that travels by value: what a training slice in another process takes and gives back.

A `TrainingJob` (threads, locks) cannot be pickled, and a copy trained elsewhere would bring
nothing back. So a slice of training elsewhere (a ZeroGPU call, zerogpu.py; a worker process,
worker.py) goes like this:

    the page's job                                  elsewhere (a forked process)
    pack_job(job)  -- config, weights, optimizer    train_slice(packed, seconds, device=...):
                      state, generators, step -->     rebuild the run on `device`, load the state,
                                                      train until `seconds` pass, and send back
    absorb_slice(job, result) <-- new state,           the new state with the slice's history rows,
                      history rows, pictures --       scores and pictures

Both ends are plain data (dicts, lists, numbers, CPU tensors, numpy pictures), so they pickle.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import torch

from gan_playground.training_state import pack_training_state, unpack_training_state

if TYPE_CHECKING:
    from gan_playground.engine import TrainingJob

# Module locks a slice takes while it builds its run (weights made aside, data copied to a device).
FORK_LOCKS = (("gan_playground.nets", "_INIT_LOCK"), ("gan_playground.data", "_DEVICE_COPIES_LOCK"))


def _fresh_locks_in_child() -> None:
    """A forked child (a worker, a ZeroGPU call) has one thread: a lock that another thread of the
    server held at the fork would stay held in it forever, so the locks training takes are made anew."""
    for module, name in FORK_LOCKS:
        if module in sys.modules:
            setattr(sys.modules[module], name, threading.Lock())


os.register_at_fork(after_in_child=_fresh_locks_in_child)


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
            "step": job.step, "steps": job.steps, "guard": dict(job.guard.start),
            "log_every": job.log_every, "preview_every": job.preview_every, "max_history": job.max_history,
            "eval_every": job.eval_every, "evaluate": job.evaluate is not None}


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
        job.guard.start.update(result["guard"])
    absorb_record(job, result["record"])


def slice_record(job: "TrainingJob") -> dict[str, Any]:
    """What a job recorded, as plain data: the rows, scores and pictures a slice trained elsewhere sends
    back for the page's job to absorb. (The engine's side of the protocol: it reads the job's record
    under the job's own lock.)"""
    with job._lock:
        return {"step": job.step, "history_steps": list(job._losses.steps),
                "history": {k: list(v) for k, v in job._losses.columns.items()},
                "score_steps": list(job._score_steps), "scores": {k: list(v) for k, v in job._scores.items()},
                "frames": list(job._frames), "seconds": job._elapsed, "images_per_s": job._rate,
                "diverged": (job._diverged_at, job._message) if job.state == "diverged" else None}


def absorb_record(job: "TrainingJob", record: dict[str, Any]) -> None:
    """Carry on from a slice trained elsewhere: its history rows, scores and pictures follow the job's
    own, its step and speed become the job's, and the job autosaves when one is due (the slice's
    losses were read and found finite, as `train_until` saves)."""
    with job._lock:
        job.step = record["step"]
        names = list(record["history"])
        for i, step in enumerate(record["history_steps"]):
            job._losses.append(step, {k: record["history"][k][i] for k in names})
        for i, step in enumerate(record["score_steps"]):
            job._score_steps.append(step)
            for k, values in record["scores"].items():
                job._scores.setdefault(k, []).append(values[i])
        for step, picture in record["frames"]:
            job._add_picture(step, picture)
        job._elapsed += record["seconds"]
        if record["images_per_s"] > 0:
            job._rate = record["images_per_s"]
        job._version += 1
    job.schedule_rates()  # the decay's place follows the step
    if record["diverged"] is not None:
        step, message = record["diverged"]
        with job._lock:
            job._diverged_at = step
        job._set(state="diverged", message=message)
    elif job.autosave is not None and time.monotonic() - job._last_save_t > job.autosave_every_s:
        job._autosave()


def train_slice(packed: dict[str, Any], seconds: float, stop_at: int | None = None, *,
                device: torch.device) -> dict[str, Any]:
    """Rebuild the run on `device` from `packed`, train for `seconds` (or to step `stop_at`), and
    return its new state (CPU tensors) with what the slice recorded. Plain data in and out."""
    from gan_playground.config import RunConfig
    from gan_playground.engine import TrainingJob
    from gan_playground.metrics import live_evaluator
    from gan_playground.models import model_class
    from gan_playground.run import prepare_run

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
    job.guard.start.update(packed["guard"])
    run.model.train()
    job.train_until(time.monotonic() + seconds, stop_at=stop_at)
    if job.state != "diverged":
        job._render_preview()  # the slice's last picture, for the page
    tensors, meta = pack_training_state(run, job.step)
    return {"weights": {k: v.detach().to("cpu", copy=True) for k, v in run.model.state_dict().items()},
            "state": tensors, "param_groups": meta["param_groups"],
            "guard": dict(job.guard.start), "record": slice_record(job)}


def _carry(generator: torch.Generator, state: torch.Tensor) -> None:
    """`generator` <- `state`; a state of another kind of generator (the run's CPU stream, on a GPU)
    seeds it with a draw from that stream instead, as `data.generator_on` does."""
    if state.numel() == generator.get_state().numel():
        generator.set_state(state.to(torch.uint8).cpu())
        return
    source = torch.Generator()
    source.set_state(state.to(torch.uint8).cpu())
    generator.manual_seed(int(torch.randint(0, 2**62, (1,), generator=source)))
