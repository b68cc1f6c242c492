"""One model tab: what its panels share (`Tab`), and `build_tab`, which lays the panels out and
wires the events that cross from one panel to another."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Iterator

import gradio as gr

from gan_playground import cost, worker, zerogpu
from gan_playground.checkpoints import save_checkpoint
from gan_playground.device import resolve_device
from gan_playground.engine import TrainingJob
from gan_playground.environment import env_choice, env_number
from gan_playground.errors import UserError
from gan_playground.metrics import live_evaluator
from gan_playground.run import Run
from gan_playground.ui.context import AppContext, Source
from gan_playground.ui.sessions import Slot, session_of
from gan_playground.ui.spec import PRESETS, TabSpec
from gan_playground.ui.text import queue_text


def autosave_seconds() -> float:
    """`GAN_PLAYGROUND_AUTOSAVE_S`: how often a running job saves itself (default 120 s, at least 5)."""
    return env_number("GAN_PLAYGROUND_AUTOSAVE_S", 120.0, low=5.0, raise_to_low=True, unit=" of seconds")


def training_device() -> str:
    """Where jobs are built: on ZeroGPU the CPU (each training slice borrows the GPU), else the best."""
    return "cpu" if zerogpu.active() else "auto"


def default_preset() -> str:
    """The preset a tab's form starts with: GAN_PLAYGROUND_PRESET (quick or paper) where it is set, else
    "paper" where runs train on a GPU (ZeroGPU slices among them) and "quick" on a CPU."""
    chosen = env_choice("GAN_PLAYGROUND_PRESET", {name: () for name in PRESETS}, "")
    if chosen:
        return chosen
    return "paper" if zerogpu.active() or resolve_device(training_device()).type != "cpu" else "quick"


def slice_options(run: Run, seconds_per_step: float | None = None) -> dict:
    """Where a run's steps happen: ZeroGPU calls on a ZeroGPU Space; worker processes for image runs on
    a CPU whose steps are slow (`seconds_per_step`, estimated) or with GAN_PLAYGROUND_WORKERS=1
    (worker.py: Stop is immediate); else the job's own thread."""
    if zerogpu.active():
        return zerogpu.job_options()
    return {} if run.dataset.kind == "points" else worker.job_options(run.device, seconds_per_step)


def check_cost(runs: list[Run]) -> list[cost.Cost]:
    """Refuse, before it starts, a run that would hold the server (cost.py): its memory and seconds a
    step, estimated where it trains; on ZeroGPU the slice's GPU, so only the memory is checked here.
    Returns the estimates."""
    on_zerogpu = zerogpu.active()
    estimates = []
    for run in runs:
        device = zerogpu.slice_device() if on_zerogpu else run.device
        estimates.append(cost.check(run, cost.Limits.from_env(device, timed=not on_zerogpu)))
    return estimates
def refusal(message: Any) -> gr.Error:
    """The error toast for an expected refusal (bad input, nothing to show yet): the visitor reads
    it; the server log stays clean, since nothing went wrong there. Real failures still log."""
    return gr.Error(str(message), print_exception=False)


def named_handler(fn: Callable, names: list[str], *, with_request: bool = True) -> Callable:
    """`fn(*values, request=...)` seen by Gradio as `f(name1, name2, ..., request: gr.Request)`.

    Gradio names API parameters after the function's signature and injects `gr.Request` only
    into positional parameters, so a `*values` handler gets explicit, readable names here.
    """
    def wrapper(*args):
        if with_request and args and isinstance(args[-1], gr.Request):
            return fn(*args[:-1], request=args[-1])
        return fn(*args)

    params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    if with_request:
        params.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=None, annotation=gr.Request))
        wrapper.__annotations__ = {"request": gr.Request}
    wrapper.__signature__ = inspect.Signature(params)
    wrapper.__name__ = getattr(fn, "__name__", "handler")
    wrapper.__doc__ = fn.__doc__
    return wrapper


class Tab:
    """What a tab's panels share: its spec, the app's context, and the page's slot and jobs."""

    def __init__(self, ctx: AppContext, spec: TabSpec):
        self.ctx, self.spec = ctx, spec

    def page(self, request: gr.Request | None) -> str:
        """The server-made id of the request's page (see sessions.py)."""
        return self.ctx.sessions.page_of(session_of(request))

    def slot(self, request: gr.Request | None) -> Slot:
        return self.ctx.sessions.slot(self.page(request), self.spec.key)

    def api(self, action: str) -> str:
        return self.spec.api(action)

    def variant(self, slot: Slot) -> str:
        return slot.variant or self.spec.default_model

    @contextlib.contextmanager
    def explored(self, request: gr.Request | None) -> Iterator[Source]:
        """The model Explore looks at for the page's chosen variant, held still (see AppContext.explored)."""
        slot = self.slot(request)
        with self.ctx.explored(slot, self.spec, self.variant(slot)) as src:
            src.slot = slot
            yield src

    # -- a run's life -------------------------------------------------------------------------------
    def launch(self, page: str, build: Callable[[], TrainingJob], *, paused: bool = False) -> TrainingJob:
        """Mark the tab busy, build the job and start it (`paused`: to step it by hand): it trains at once
        if its pool has a free place, else it waits in the queue (state "queued") and starts by itself.
        A UserError (a run in the tab already, bad data, too costly, too many Lab steps) reaches the caller."""
        self.ctx.sessions.reserve(page, self.spec.key)
        try:
            job = build()
            (estimate,) = check_cost([job.run])
            if job.slice_runner is None:  # a run of slow steps trains in a worker: Stop ends it at once
                job.train_in_slices(**slice_options(job.run, estimate.seconds_per_step))
            self.ctx.sessions.start_in(page, self.spec.key, job, step_s=estimate.seconds_per_step)
        except BaseException:
            self.ctx.sessions.release(page, self.spec.key)
            raise
        return job.start(paused=paused)

    def status_line(self, job, text: str, lang: str = "en") -> str:
        """A run's status line, with what the queue says about it (position and wait, or its turn), in
        the page's language `lang`."""
        place = self.ctx.sessions.place_of(job)
        if place is None:
            return text
        note = queue_text(place.position, place.waiting, place.wait_s, place.turn_ended, place.turn_left_s, lang,
                          finishes_first=place.finishes_first)
        return f"{text}\n\n{note}"

    def make_job(self, run: Run, steps: int, page: str, start_step: int = 0) -> TrainingJob:
        """A job with live scores where they apply, autosaves to the page's folder (the last good
        checkpoint after a divergence), and ZeroGPU slices where the Space has them."""
        points = run.dataset.kind == "points"  # the Lab: its scores (modes covered) cost ~0.1 s, so 5x as often
        autosave_dir = self.ctx.saves_of(page) / f"{run.model.name}-{run.config.dataset}-autosave"
        slot = self.ctx.sessions.slot(page, self.spec.key)

        def autosave(job: TrainingJob) -> None:
            with job.exclusive():
                try:
                    save_checkpoint(autosave_dir, job.run, step=job.step, snapshot=job.snapshot())
                except UserError as err:  # the job says it and trains on; no server path is shown
                    raise UserError(str(err).replace(str(autosave_dir.parent), "your saves")) from None
            if autosave_dir not in slot.saved:
                slot.saved.append(autosave_dir)  # offered under "Resume training"

        job = TrainingJob(run, steps=steps, start_step=start_step, log_every=10 if not points else 5,
                          preview_every=25, evaluate=live_evaluator(run.config.dataset, model=run.model),
                          eval_every=50 if points else 250, autosave=autosave, autosave_every_s=autosave_seconds(),
                          **slice_options(run))
        job.set_speed(slot.speed)
        return job

    def refuse(self, err: UserError) -> str:
        return f"⚠ {err}"
