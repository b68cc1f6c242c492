"""The training loop, run as a background job that the CLI and the UI drive alike.

    run = prepare_run(RunConfig(model="wgan-gp", dataset="mnist"), {"lr": "1e-4"})
    job = TrainingJob(run, steps=2000)
    job.start(); ...; job.snapshot()  # a consistent copy, any time, from any thread

(`prepare_run` and `Run` are in run.py: what a job trains, built from settings or a checkpoint.)

The loop is `x, y = sampler.next(); losses = model.train_step(x, y)`. Loss tensors stay on the
device and are read once every `log_every` steps (one sync), which is also where a divergence
stops the job, naming the first bad step (see `DivergenceGuard`). Readers never touch the model
while it trains: they take `job.exclusive()` (held by the loop for one step at a time) or read
snapshots. While a job is paused (or not yet started), `job.single_step("critic" | "generator" |
"both")` steps it by hand, for the 2-D Lab.

Each run owns its random generator (`Run.rng`, on the training device): every random draw of
training comes from it, never from torch's global one, so concurrent jobs cannot move each
other's streams, and a checkpoint saves and restores it.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

import numpy as np
import torch
from torch.optim.lr_scheduler import LambdaLR

from gan_playground import capture
from gan_playground.data import fixed_real_batch
from gan_playground.device import autocast
from gan_playground.divergence import DivergenceGuard
from gan_playground.errors import UserError
from gan_playground.explore import preview_picture
from gan_playground.models import MODELS, GANModel
from gan_playground.records import ROWS_KEPT, LossHistory, read_history_until
from gan_playground.run import Run

MAX_FRAMES = 120  # previews a job keeps for its timelapse
FINAL_STATES = ("stopped", "finished", "diverged", "failed")
# "queued": the job waits for a place on a busy server (`hold` / `admit`, driven by ui/sessions.py).


@runtime_checkable
class Job(Protocol):
    """What the server's scheduler (ui/sessions.py) and the pages use of a run in training: a
    `TrainingJob`, or the Lab's side-by-side run (`side_by_side.SideBySide`, several TrainingJobs
    stepped in turn in one thread). Both are started, queued, admitted and stopped the same way."""

    step: int  # steps taken
    steps: int  # the step budget

    @property
    def state(self) -> str:
        """"ready", "queued", "running", "paused", or one of FINAL_STATES."""

    @property
    def done(self) -> bool:
        """In one of FINAL_STATES: it will not train again."""

    @property
    def admitted(self) -> bool:
        """Holds a place on the server (`hold` gives it back, `admit` gives it one)."""

    @property
    def eta_s(self) -> float | None:
        """Seconds of training left at the measured speed; None before it is measured or once done."""

    @property
    def summary(self) -> str:
        """What it trains, for lists: "wgan-gp on mnist"."""

    @property
    def pool(self) -> str:
        """Whose places it takes: "lab" (2-D runs, tiny) or "image"."""

    @property
    def variant(self) -> str | None:
        """The model it trains (the tab's variant follows it); None for a comparison of several."""

    def start(self) -> "Job": ...

    def hold(self) -> None:
        """Give the place back after the step in flight, keeping everything, until `admit`."""

    def admit(self) -> None: ...

    def stop(self, *, at_once: bool = True) -> None:
        """End it; `at_once=False` lets a step in another process finish and keeps it."""

    def join(self, timeout: float | None = None) -> bool: ...

    def save_progress(self) -> None:
        """Autosave now if it has an autosave (a turn's end, a closed page); a failure is said in its message."""


@dataclass
class Snapshot:
    """A consistent copy of a job's progress, for readers on other threads."""

    state: str
    step: int
    steps: int
    images_per_s: float
    elapsed_s: float
    eta_s: float | None
    history_steps: list[int]
    history: dict[str, list[float]]
    score_steps: list[int] = field(default_factory=list)
    scores: dict[str, list[float]] = field(default_factory=dict)
    preview: np.ndarray | None = None  # (H, W, C) uint8 grid, or (N, 2) float points
    preview_step: int = 0
    message: str = ""
    version: int = 0  # grows on every change: lets a reader skip an unchanged redraw
    diverged_at: int | None = None  # the first bad step of a diverged run
    phase: str = ""  # the last step's kind when it was watched: "critic" | "generator" | "both"; "" at full speed


class TrainingJob:
    """Trains `run.model` for `steps` steps in a daemon thread: start, pause, resume, stop."""

    def __init__(self, run: Run, *, steps: int | None = None, start_step: int = 0, log_every: int = 10,
                 preview_every: int = 100, max_history: int = ROWS_KEPT,
                 evaluate: Callable[[GANModel], dict[str, float]] | None = None, eval_every: int = 500,
                 autosave: Callable[["TrainingJob"], None] | None = None, autosave_every_s: float = 300.0,
                 slice_runner: Callable[..., None] | None = None, slice_seconds: float = 60.0):
        """`slice_runner(job, deadline)`, if given, runs training in time slices that each call
        `job.train_until(deadline)`, e.g. one ZeroGPU call each (`gan_playground.zerogpu`)."""
        self.run = run
        self.model = run.model
        self.steps = steps or run.config.steps
        self.step = start_step
        self.log_every = log_every
        self.preview_every = preview_every
        self.evaluate, self.eval_every = evaluate, eval_every
        self.autosave, self.autosave_every_s = autosave, autosave_every_s
        self.slice_runner, self.slice_seconds = slice_runner, slice_seconds
        self.slice_rng: tuple[torch.Tensor, torch.Tensor] | None = None  # a GPU slice's streams, between slices
        self.started_in: contextvars.Context | None = None  # the context of `start`'s caller (a page's request)
        self.interrupt: Callable[[], None] | None = None  # ends a slice in flight at once (worker.py kills its process)
        self._last_preview_t = self._last_save_t = time.monotonic()
        self.images_per_step = run.sampler.batch_size * self.model.batches_per_step

        self._lock = threading.Lock()  # guards the fields a snapshot copies
        self._model_lock = threading.RLock()  # held by the loop for one step; by readers of the model
        self._resume = threading.Event()
        self._resume.set()
        self._parked = threading.Event()  # set while the paused loop waits: `single_step` may run
        self._stop = threading.Event()
        # Cleared while the job has no place on a busy server (state "queued"): the loop parks at
        # the next step boundary, keeping everything it holds, until `admit`. Set by default, so a
        # job outside the app (the CLI) never waits.
        self._admitted = threading.Event()
        self._admitted.set()
        self._nudge = threading.Event()  # wakes a parked loop: resume, admit or stop happened
        self._thread: threading.Thread | None = None
        self._state = "ready"
        self._message = ""
        self._version = 0
        self._elapsed = 0.0
        self._rate = 0.0
        self._losses = LossHistory(max_history)
        self._score_steps: list[int] = []
        self._scores: dict[str, list[float]] = {}
        self._preview: np.ndarray | None = None
        self._preview_step = 0
        self._frames: list[tuple[int, np.ndarray]] = []  # the timelapse: (step, preview), thinned out
        self._frame_every = 0  # steps between two timelapse frames: doubles whenever they are thinned
        self._diverged_at: int | None = None
        self._phase = ""  # see Snapshot.phase: the Lab narrates a step taken by hand or in slow motion
        self.steps_per_s: float | None = None  # slow motion: at most this many steps a second
        points = run.dataset.kind == "points"
        self.guard = DivergenceGuard(data_extent=float(run.dataset.train.abs().max()) if points else None)
        gen = torch.Generator(device=run.device).manual_seed(run.config.seed + 1)  # the grid's own, not the run's
        real_x, real_y = fixed_real_batch(run.dataset, 64, run.device)
        self.preview_inputs = self.model.preview_inputs(real_x, real_y, gen)
        self._train_step = capture.training_step(run)
        self.schedule_rates()

    # -- control --------------------------------------------------------------------------------
    def train_in_slices(self, slice_runner: Callable[..., None] | None = None, slice_seconds: float = 60.0) -> None:
        """Before `start`: train in slices by `slice_runner` (see __init__); without one, nothing changes."""
        if self._thread is not None:
            raise RuntimeError("a job's slices are chosen before it starts")
        if slice_runner is not None:
            self.slice_runner, self.slice_seconds = slice_runner, slice_seconds

    @property
    def max_history(self) -> int:
        """The most loss rows the job keeps (`records.LossHistory` thins them beyond)."""
        return self._losses.max_rows

    def carry_history(self, folder: str | Path) -> None:
        """Before `start`: begin with the history of the checkpoint this job resumes, up to its step,
        so the curves and the next save show the whole run (`records.LossHistory.carry`)."""
        steps, losses, self._score_steps, self._scores = read_history_until(Path(folder) / "history.csv", self.step)
        self._losses.carry(steps, losses, self.log_every)

    def start(self, *, paused: bool = False) -> "TrainingJob":
        """Train in a background thread; `paused`: wait for `resume` first (`single_step` meanwhile)."""
        if self._thread is not None:
            raise RuntimeError("a job starts once")
        if paused:
            self._resume.clear()
        self.started_in = contextvars.copy_context()  # ZeroGPU bills each slice to the visitor who started it
        self._set(state="queued" if not self._admitted.is_set() else "paused" if paused else "running")
        self._thread = threading.Thread(target=self._loop, name=f"train-{self.model.name}", daemon=True)
        self._thread.start()
        return self

    @property
    def summary(self) -> str:
        return f"{self.model.name} on {self.run.config.dataset}"

    @property
    def pool(self) -> str:
        return "lab" if self.run.dataset.kind == "points" else "image"

    @property
    def variant(self) -> str:
        return self.model.name

    def save_progress(self) -> None:
        if self.autosave is not None:
            self._autosave()

    def pause(self) -> None:
        if self.state == "running":
            self._resume.clear()
            self._set(state="paused")

    def resume(self) -> None:
        if self.state == "paused":
            self._set(state="running")
            self._resume.set()
            self._nudge.set()

    def hold(self) -> None:
        """Give the server's place back: the loop parks after the step in flight (state "queued") and
        keeps its weights, optimizer state, generators and history until `admit`."""
        self._admitted.clear()
        if not self.done:
            self._set(state="queued")

    def admit(self) -> None:
        """A place is free: train on (or, for a job paused by hand, stay paused holding the place)."""
        if self._admitted.is_set():
            return
        self._admitted.set()
        if self.state == "queued":
            self._set(state="running" if self._resume.is_set() else "paused")
        self._nudge.set()

    @property
    def admitted(self) -> bool:
        return self._admitted.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self, *, at_once: bool = True) -> None:
        """Ask the loop to stop; it does within one training step (at once while it waits). A slice in
        a worker process is ended at once, its steps dropped; `at_once=False` lets it finish and keeps
        them (a page that nobody watches, stopped for the next in line: its autosave has them)."""
        self._stop.set()
        self._resume.set()
        self._nudge.set()
        interrupt = self.interrupt
        if interrupt is not None and at_once:
            interrupt()
        if self._thread is None and self.state in ("ready", "queued"):
            self._set(state="stopped")

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def state(self) -> str:
        return self._state

    @property
    def done(self) -> bool:
        return self._state in FINAL_STATES

    @contextlib.contextmanager
    def exclusive(self):
        """Hold the model between two training steps (for sampling, saving, exploring)."""
        with self._model_lock:
            yield self.model

    def set_speed(self, steps_per_s: float | None) -> None:
        """Slow motion: at most `steps_per_s` steps a second, each logged and drawn (None: full speed)."""
        if steps_per_s is not None and not steps_per_s > 0:
            raise UserError(f"The speed must be above 0 steps a second, got {steps_per_s}.")
        self.steps_per_s = steps_per_s

    # -- reading --------------------------------------------------------------------------------
    @property
    def eta_s(self) -> float | None:
        """Seconds left at the measured speed (None before it is measured, or once done): what the
        queue tells a waiting visitor."""
        with self._lock:
            return self._eta_locked()

    def _eta_locked(self) -> float | None:
        """`eta_s`, for a caller that holds `_lock` already (`snapshot`)."""
        rate = self._rate
        return (self.steps - self.step) * self.images_per_step / rate if rate > 0 and not self.done else None

    @property
    def snapshot_version(self) -> int:
        """Grows on every change: a reader compares it before taking a (copying) snapshot."""
        return self._version

    def frames(self) -> list[tuple[int, np.ndarray]]:
        """The previews of the run so far, (step, picture) first to last, for a timelapse: at most
        MAX_FRAMES, spread over the whole run (every other one goes when there are too many)."""
        with self._lock:
            return list(self._frames)

    def snapshot(self) -> Snapshot:
        with self._lock:
            eta = self._eta_locked()
            return Snapshot(
                state=self._state, step=self.step, steps=self.steps, images_per_s=self._rate,
                elapsed_s=self._elapsed, eta_s=eta, history_steps=list(self._losses.steps),
                history={k: list(v) for k, v in self._losses.columns.items()},
                score_steps=list(self._score_steps), scores={k: list(v) for k, v in self._scores.items()},
                preview=self._preview, preview_step=self._preview_step, message=self._message,
                version=self._version, diverged_at=self._diverged_at, phase=self._phase)

    # -- stepping by hand ------------------------------------------------------------------------
    def single_step(self, which: str) -> dict[str, float]:
        """One step by hand, for the 2-D Lab's buttons: "critic" (one critic update on one batch),
        "generator" (one generator update) or "both" (one whole training step, n_critic critic
        updates and a generator update, which counts as one step of the budget).

        Only while the job is paused or not yet started; under the model lock, with batches from
        the run's sampler. Its losses go into the history at once (NaN for those a phase does not
        compute) and the preview is redrawn, so that a reader sees the change. Returns the losses.
        """
        if which not in ("critic", "generator", "both"):
            raise UserError(f"Unknown step {which!r}. Valid steps: critic, generator, both.")
        if which != "both" and not self.model.phases:
            having = ", ".join(name for name, cls in MODELS.items() if cls.phases)
            raise UserError(f"{self.model.name} has no separate critic and generator steps; {having} have them. "
                            f"Step {self.model.name} with 'both'.")
        if self.state == "queued":
            raise UserError("This run waits for a place on the server; it can be stepped once it has one (the "
                            "status line says when).")
        if self.state not in ("ready", "paused"):
            raise UserError(f"Pause the training first: single steps run only while a job is paused or not yet "
                            f"started (this one is {self.state}).")
        if self.state == "paused" and self._thread is not None and not self._parked.wait(timeout=60):
            raise UserError("The job is still finishing the step it was taking when paused; try again.")
        if which == "both" and self.step >= self.steps:
            raise UserError(f"The run has taken all its {self.steps} steps.")
        model, sampler = self.model, self.run.sampler
        model.train()
        with self._model_lock:
            with autocast(self.run):
                if which == "critic":
                    losses = model.critic_update(sampler.next(1)[0])
                elif which == "generator":
                    losses = model.generator_update(sampler.batch_size)
                else:
                    x, y = sampler.next(model.batches_per_step)
                    losses = self._train_step(x, y)  # as the loop steps (fixed buffers, a CUDA graph)
            self._after_step()
        if which == "both":
            self.step += 1
            self._step_schedulers()
        self._phase = which
        names, row = list(losses), [float(v) for v in losses.values()]  # one read: this step is by hand
        bad = self.guard.check_losses(names, [row])
        if bad is not None:
            self._diverge(self.step, bad[1])
        else:
            self._record(names, [row], 0.0, 0)
            self._render_preview()
        return dict(zip(names, row, strict=True))

    # -- the loop -------------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            self.model.train()
            self._render_preview()
            if self.slice_runner is None:
                self.train_until(None)
            else:  # ZeroGPU: each slice is one GPU call; pauses wait outside, holding no GPU
                while not self._ended():
                    if self._may_train():
                        self.slice_runner(self, time.monotonic() + self.slice_seconds)
                    if not self._may_train() and not self._stop.is_set():
                        self._wait_for_resume()
            if self.state == "diverged":
                return
            if self._stop.is_set() and not self._admitted.is_set():  # stopped while queued: no place, no work
                self._set(state="stopped" if self.step < self.steps else "finished")
                return
            self._render_preview()
            if self.state == "diverged":  # the last picture can show it too (points far off)
                return
            if self.evaluate is not None and (not self._score_steps or self._score_steps[-1] != self.step):
                self._score()
            self._set(state="stopped" if self._stop.is_set() and self.step < self.steps else "finished")
        except UserError as err:
            self._set(state="failed", message=str(err))
        except Exception as err:  # a bug or a device error: keep the app alive, tell the user
            traceback.print_exc(file=sys.stderr)
            self._set(state="failed", message=f"Training failed at step {self.step}: {type(err).__name__}: {err}")

    def schedule_rates(self) -> None:
        """`lr_decay=linear`: each optimizer's rate is its setting times (1 - step / steps) for the step
        about to be taken, by a `LambdaLR` per optimizer stepped after each training step. The setting
        is the param group's `initial_lr` (saved with the optimizer); the schedule's place is the job's
        step. Called again when the step moved elsewhere (a slice in another process)."""
        self._schedulers: list[LambdaLR] = []
        if self.run.config.lr_decay != "linear":
            return
        for opt in self.model.optimizers.values():
            for group in opt.param_groups:
                group.setdefault("initial_lr", group["lr"])
            self._schedulers.append(LambdaLR(opt, self._linear_decay, last_epoch=self.step - 1))

    def _linear_decay(self, step: int) -> float:
        return max(0.0, 1.0 - step / self.steps)

    def _ended(self) -> bool:
        return self.step >= self.steps or self._stop.is_set() or self.state == "diverged"

    def train_until(self, deadline: float | None, *, stop_at: int | None = None) -> None:
        """Train until the budget, a stop, a divergence or (for a slice) the monotonic `deadline`, or
        step `stop_at` (a slice of a given length: the tests compare slices with steps in one go)."""
        model, sampler = self.model, self.run.sampler
        pending: list[torch.Tensor] = []  # one stacked loss vector per step since the last read
        names: list[str] = []
        t_last, images_since = time.perf_counter(), 0
        while not self._ended() and (stop_at is None or self.step < stop_at):
            if deadline is not None and time.monotonic() > deadline:
                break
            if not self._may_train():
                if deadline is not None:
                    break  # a slice hands the GPU back rather than wait on it
                self._flush(names, pending, t_last, images_since)
                self._wait_for_resume()
                t_last, images_since = time.perf_counter(), 0
                continue
            t_step = time.perf_counter()
            x, y = sampler.next(model.batches_per_step)
            with self._model_lock:
                with autocast(self.run):
                    losses = self._train_step(x, y)
                self._after_step()
            names = list(losses)
            pending.append(torch.stack([losses[k].float() for k in names]))
            self.step += 1
            self._step_schedulers()
            images_since += self.images_per_step
            paced = self.steps_per_s is not None  # slow motion: every step is read and drawn
            self._phase = "both" if paced else ""
            if paced:
                self._stop.wait(max(0.0, 1.0 / self.steps_per_s - (time.perf_counter() - t_step)))

            if paced or self.step % self.log_every == 0 or self.step == self.steps:
                if not self._flush(names, pending, t_last, images_since):
                    return
                t_last, images_since = time.perf_counter(), 0
                # Saved only here, right after the losses were read and found finite: an
                # autosave never keeps weights that a NaN has already reached.
                if self.autosave is not None and time.monotonic() - self._last_save_t > self.autosave_every_s:
                    self._autosave()
            if paced or self.step % self.preview_every == 0 or time.monotonic() - self._last_preview_t > 5.0:
                self._render_preview()
            if self.evaluate is not None and self.step % self.eval_every == 0:
                self._score()
        self._flush(names, pending, t_last, images_since)

    def _step_schedulers(self) -> None:
        for scheduler in self._schedulers:
            scheduler.step()

    def _may_train(self) -> bool:
        return self._resume.is_set() and self._admitted.is_set()

    def _autosave(self) -> None:
        """Save by the callback; a save that fails (a full disk) is said and training goes on: the
        weights are still in memory, and the next autosave or the final save may succeed."""
        try:
            self.autosave(self)
        except UserError as err:
            self._set(message=f"⚠ The autosave at step {self.step:,} failed; training goes on. {err}")
        self._last_save_t = time.monotonic()

    def _wait_for_resume(self) -> None:
        """Park until the job may train again (resumed and admitted) or is stopped."""
        self._parked.set()
        while True:
            self._nudge.clear()  # cleared before the check: a nudge after it is not lost
            if self._stop.is_set() or self._may_train():
                break
            self._nudge.wait()
        self._parked.clear()

    def _after_step(self) -> None:
        for hook in self.run.after_step:
            hook()

    def _flush(self, names: list[str], pending: list[torch.Tensor], t_last: float, images: int) -> bool:
        """Read the pending losses (the one sync every log_every steps) into the history.

        Returns False, with the job marked diverged at the first bad step, when `guard` finds one.
        """
        seconds = time.perf_counter() - t_last
        if not pending:
            self._add_seconds(seconds)
            return True
        rows = torch.stack(pending).tolist()
        first_step = self.step - len(rows) + 1
        pending.clear()
        bad = self.guard.check_losses(names, rows)
        if bad is not None:
            self._add_seconds(seconds)
            self._diverge(first_step + bad[0], bad[1])
            return False
        self._record(names, rows, seconds, images)
        return True

    def _diverge(self, step: int, why: str) -> None:
        """Mark the run diverged at `step`. What to do next (resume an earlier checkpoint, or start
        again with a lower rate) is for the caller to say: only it knows which checkpoints exist."""
        with self._lock:
            self._diverged_at = step
        self._set(state="diverged", message=f"Diverged at step {step}: {why}.")

    def _record(self, names: list[str], rows: list[list[float]], seconds: float, images: int) -> None:
        """One history row: the mean of `rows` for each of `names`. A loss that a row lacks (a
        single phase computes only its own) is NaN there, so every column keeps one value per step."""
        means = dict(zip(names, np.mean(np.asarray(rows), axis=0).tolist(), strict=True))
        with self._lock:
            self._elapsed += seconds
            if seconds > 0:  # a single step by hand says nothing about the speed
                rate = images / seconds
                self._rate = rate if self._rate == 0 else 0.7 * self._rate + 0.3 * rate
            self._losses.append(self.step, means)
            self._version += 1

    def _add_seconds(self, seconds: float) -> None:
        with self._lock:
            self._elapsed += max(0.0, seconds)

    def _render_preview(self) -> None:
        self._last_preview_t = time.monotonic()
        with self._model_lock:
            picture = preview_picture(self.model, self.preview_inputs)
        why = self.guard.check_points(picture) if picture.ndim == 2 else self.guard.check_images(picture)
        if why is not None and self.state != "diverged":
            self._diverge(self.step, why)
            return
        with self._lock:
            self._add_picture(self.step, picture)
            self._version += 1

    def _add_picture(self, step: int, picture: np.ndarray) -> None:
        """The newest preview, and a timelapse frame if it is far enough from the last (under `_lock`)."""
        self._preview, self._preview_step = picture, step
        if not self._frames or step - self._frames[-1][0] >= self._frame_every:
            self._frames.append((step, picture))
            if len(self._frames) > MAX_FRAMES:  # keep the whole run, at half the detail
                self._frames = self._frames[::2]
                self._frame_every = self._frames[1][0] - self._frames[0][0]

    def _score(self) -> None:
        with self._model_lock:
            scores = self.evaluate(self.model)
        with self._lock:
            self._score_steps.append(self.step)
            for k, v in scores.items():
                self._scores.setdefault(k, []).append(float(v))
            self._version += 1

    def _set(self, *, state: str | None = None, message: str | None = None) -> None:
        with self._lock:
            if state is not None:
                self._state = state
            if message is not None:
                self._message = message
            self._version += 1
