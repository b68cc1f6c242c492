"""Who owns which training job: a registry keyed by the browser session, with a cap on jobs.

Each browser page has a Gradio `session_hash` (so does each `gradio_client.Client`). A session
holds one *slot* per tab: its training job (if any), the checkpoint it loaded for exploring, and
the checkpoints it saved. Handlers only ever reach the slots of their own session, so nobody
can see, pause or stop another visitor's job.

Resources:
- at most `max_jobs` jobs train at once on the whole server (`GAN_PLAYGROUND_MAX_JOBS`; default
  1 on a CPU, 4 on a GPU); a finished, stopped or failed job does not count;
- when a page closes, its session's jobs are stopped and its slots dropped `grace_s` seconds
  later (`GAN_PLAYGROUND_SESSION_GRACE_S`, default 300), enough to survive a reload or a short
  network drop without leaving a job running for nobody.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError

ANONYMOUS = "anonymous"


def default_max_jobs() -> int:
    value = os.environ.get("GAN_PLAYGROUND_MAX_JOBS", "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise UserError(f"GAN_PLAYGROUND_MAX_JOBS={value!r} is not a whole number.") from None
        if n < 1:
            raise UserError(f"GAN_PLAYGROUND_MAX_JOBS must be at least 1, got {n}.")
        return n
    return 4 if torch.cuda.is_available() else 1


def default_grace_s() -> float:
    value = os.environ.get("GAN_PLAYGROUND_SESSION_GRACE_S", "").strip()
    try:
        return max(0.0, float(value)) if value else 300.0
    except ValueError:
        raise UserError(f"GAN_PLAYGROUND_SESSION_GRACE_S={value!r} is not a number of seconds.") from None


@dataclass
class Slot:
    """One session's state in one tab."""

    job: TrainingJob | None = None
    loaded: Any = None  # a checkpoints.Loaded chosen for exploring
    source: str = "default"  # "job" | "checkpoint" | "default": what Explore looks at
    saved: list[Path] = field(default_factory=list)  # checkpoints this session saved here
    drawn_version: int = -1  # the snapshot version last sent to this page
    drawn_preview: int = -1  # the step of the sample grid last sent
    heatmap_t: float = 0.0  # when the critic heat map was last drawn
    scatter_cache: Any = None  # the last latent scatter (its projection is reused to decode)


class Sessions:
    def __init__(self, *, max_jobs: int | None = None, grace_s: float | None = None):
        self.max_jobs = default_max_jobs() if max_jobs is None else max_jobs
        self.grace_s = default_grace_s() if grace_s is None else grace_s
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, str], Slot] = {}
        self._reserved: set[tuple[str, str]] = set()  # starts in progress (data loading)
        self._closing: dict[str, threading.Timer] = {}

    # -- slots ----------------------------------------------------------------------------------
    def slot(self, session: str, tab: str) -> Slot:
        with self._lock:
            timer = self._closing.pop(session, None)  # a session that is still talking is alive
            if timer is not None:
                timer.cancel()
            return self._slots.setdefault((session, tab), Slot())

    def peek(self, session: str, tab: str) -> Slot | None:
        with self._lock:
            return self._slots.get((session, tab))

    def active_jobs(self) -> list[tuple[str, str, TrainingJob]]:
        """Jobs that are running or paused (they hold memory and, when running, the processor)."""
        with self._lock:
            return [(s, t, slot.job) for (s, t), slot in self._slots.items()
                    if slot.job is not None and not slot.job.done]

    # -- starting under the cap -------------------------------------------------------------------
    def reserve(self, session: str, tab: str) -> None:
        """Claim one of the `max_jobs` places before the (slow) data loading; raises UserError."""
        with self._lock:
            own = self._slots.get((session, tab))
            if (session, tab) in self._reserved or (own is not None and own.job is not None and not own.job.done):
                raise UserError("A run is already going in this tab. Stop it first (or wait until it finishes).")
            active = [(s, t) for (s, t), slot in self._slots.items() if slot.job is not None and not slot.job.done]
            busy = len(active) + len(self._reserved)
            if busy >= self.max_jobs:
                mine = sorted({t for s, t in active if s == session} | {t for s, t in self._reserved if s == session})
                where = (f" One of them is yours, in the {', '.join(mine)} tab: stop it there first."
                         if mine else " Please wait until one finishes, then press Start again.")
                raise UserError(f"The server is busy: it trains at most {self.max_jobs} model(s) at a time "
                                f"(GAN_PLAYGROUND_MAX_JOBS), and that many are training now.{where}")
            self._reserved.add((session, tab))

    def release(self, session: str, tab: str) -> None:
        with self._lock:
            self._reserved.discard((session, tab))

    def attach(self, session: str, tab: str, job: TrainingJob) -> Slot:
        """Put a started job into the slot whose place `reserve` claimed."""
        with self._lock:
            self._reserved.discard((session, tab))
            slot = self._slots.setdefault((session, tab), Slot())
            slot.job, slot.source, slot.scatter_cache = job, "job", None
            slot.drawn_version = slot.drawn_preview = -1
            return slot

    # -- closing ----------------------------------------------------------------------------------
    def close_later(self, session: str) -> None:
        """The page closed: stop its jobs and forget its slots after the grace period."""
        with self._lock:
            old = self._closing.pop(session, None)
            if old is not None:
                old.cancel()
            timer = threading.Timer(self.grace_s, self.close_now, args=(session,))
            timer.daemon = True
            self._closing[session] = timer
        timer.start()

    def close_now(self, session: str) -> None:
        with self._lock:
            self._closing.pop(session, None)
            keys = [k for k in self._slots if k[0] == session]
            slots = [self._slots.pop(k) for k in keys]
        for slot in slots:
            if slot.job is not None:
                slot.job.stop()

    def shutdown(self) -> None:
        """Stop every job (the server is going down)."""
        with self._lock:
            timers, self._closing = list(self._closing.values()), {}
            jobs = [slot.job for slot in self._slots.values() if slot.job is not None]
        for t in timers:
            t.cancel()
        for job in jobs:
            job.stop()
        deadline = time.monotonic() + 5
        for job in jobs:
            job.join(max(0.0, deadline - time.monotonic()))


def session_of(request: Any) -> str:
    """The session key of a Gradio request (its session_hash)."""
    return getattr(request, "session_hash", None) or ANONYMOUS
