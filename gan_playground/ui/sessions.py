"""Who owns which training job: pages with server-made ids, their slots, and a fair queue of jobs.

A *page* is one visitor's view of the app. Its id is made here (`secrets.token_hex`), never taken
from a client: the browser keeps it in `gr.BrowserState` and hands it back after a reload, and
`attach` accepts it only if this server made it. Gradio's `session_hash` (chosen by the client,
new on every reload) is only a key to find the page bound to a connection; it never becomes a
path. A page holds one *slot* per tab: its training job (if any), the checkpoint it loaded for
exploring, and the checkpoints it saved. Handlers only ever reach their own page's slots, so
nobody can see, pause or stop another visitor's job.

Places, a queue and turns (a public Space: strangers at once, and nobody is told to retry):
- jobs train in two pools of *places*: image runs (`GAN_PLAYGROUND_MAX_JOBS`; default 1 on a CPU,
  4 on a GPU) and the tiny 2-D Lab runs and comparisons (`GAN_PLAYGROUND_MAX_LAB_JOBS`, default 2 on
  a CPU, 4 on a GPU; each at most `GAN_PLAYGROUND_LAB_MAX_STEPS` steps), so the Lab answers at once
  while an image run holds its place;
- a job started on a full pool waits in a first-come queue (state "queued", holding its model and
  data but no processor); a scheduler thread admits the first in line as soon as a place frees,
  and `place_of` tells its page the position and an estimated wait;
- while others wait, a job gets a turn of `GAN_PLAYGROUND_TURN_S` (default 120 s on a CPU, 300 s on
  a GPU), counted from when it got its place or when someone began to wait, whichever is later.
  Then it is autosaved and goes to the back of the queue, keeping everything it holds. With
  nobody waiting it trains on;
- a page whose connections have all closed is closed `grace_s` seconds later
  (`GAN_PLAYGROUND_SESSION_GRACE_S`, default 300): its jobs stop and its models are released.
  A reload within the grace finds its page, jobs and saves again. While others wait, its jobs end
  sooner, `GAN_PLAYGROUND_ABANDONED_S` (default 20 s) after the page closed, autosaved first: the
  save stays in the page's list for a reload within the grace;
- a job's model, optimizers and data are released as soon as the slot starts another job or
  the page closes (`give_back_memory`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import itertools
import math
import re
import secrets
import shutil
import sys
import threading
import time
import traceback
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gan_playground.engine import Job
from gan_playground.environment import env_number
from gan_playground.errors import UserError
from gan_playground.landscape import DEFAULT_LAYERS
from gan_playground.ui.queue import Entry, Place, estimated_wait

PAGE_ID = re.compile(r"[0-9a-f]{32}")  # what `new_page_id` makes: 128 random bits, in hex
CLOSED_KEPT = 10_000  # closed connections remembered (so that a late request revives nothing)


def default_max_jobs() -> int:
    return int(env_number("GAN_PLAYGROUND_MAX_JOBS", 4 if torch.cuda.is_available() else 1, low=1, whole=True))


def default_grace_s() -> float:
    return _seconds("GAN_PLAYGROUND_SESSION_GRACE_S", 300.0)


def _seconds(name: str, default: float) -> float:
    return env_number(name, default, raise_to_low=True, unit=" of seconds")


def _whole(name: str, default: int, low: int) -> int:
    return int(env_number(name, default, low=low, whole=True))


def default_max_lab_jobs() -> int:
    """`GAN_PLAYGROUND_MAX_LAB_JOBS`: 2-D Lab runs (and comparisons) at once, beside the image runs."""
    return _whole("GAN_PLAYGROUND_MAX_LAB_JOBS", 4 if torch.cuda.is_available() else 2, 1)


def default_lab_max_steps() -> int:
    """`GAN_PLAYGROUND_LAB_MAX_STEPS`: the most steps one Lab run may ask for (it keeps the Lab's places short)."""
    return _whole("GAN_PLAYGROUND_LAB_MAX_STEPS", 20_000, 1)


def default_turn_s() -> float:
    """`GAN_PLAYGROUND_TURN_S`: how long a job trains while others wait (0: no turns, first come keeps it)."""
    return _seconds("GAN_PLAYGROUND_TURN_S", 300.0 if torch.cuda.is_available() else 120.0)


def default_abandoned_s() -> float:
    """`GAN_PLAYGROUND_ABANDONED_S`: how soon a closed page's jobs end while others wait."""
    return _seconds("GAN_PLAYGROUND_ABANDONED_S", 20.0)


def new_page_id() -> str:
    return secrets.token_hex(16)


@dataclass
class Slot:
    """One page's state in one tab."""

    job: Job | None = None  # a TrainingJob in a model tab; the Lab's comparison slot holds a SideBySide
    variant: str = ""  # the model chosen in the tab: Explore and the Live record follow it
    speed: float | None = None  # the Lab's slow motion (steps a second) for the tab's runs; None: full
    layers: tuple[str, ...] = DEFAULT_LAYERS  # what the Lab's picture shows (landscape.LAYERS)
    form_settings: Any = None  # (model, {setting: value}) a link asked for, or the page's run trained with:
    #                            the variant's change keeps them in the form
    loaded: Any = None  # a checkpoints.Loaded chosen for exploring
    source: str = "default"  # "job" | "checkpoint" | "default": what Explore looks at
    saved: list[Path] = field(default_factory=list)  # checkpoints this page saved here
    uploads: dict[str, Any] = field(default_factory=dict)  # name -> checkpoints.Loaded, a copy in the app's temp
    drawn: Any = None  # the live view last sent to this page (live.View), and its picture
    drawn_picture: Any = None
    status_shown: str | None = None  # the run's status line last sent by a poll (None: not yet)
    scatter_cache: Any = None  # the last latent map and its extent (its projection is reused to decode)


@dataclass
class Page:
    id: str
    slots: dict[str, Slot] = field(default_factory=dict)  # tab key -> slot
    connections: set[str] = field(default_factory=set)  # Gradio session hashes bound to it now
    closing: threading.Timer | None = None
    left_at: float | None = None  # when its last connection closed (monotonic); None while it has one


class Sessions:
    def __init__(self, *, max_jobs: int | None = None, grace_s: float | None = None,
                 max_lab_jobs: int | None = None, turn_s: float | None = None, abandoned_s: float | None = None,
                 lab_max_steps: int | None = None):
        self.max_jobs = default_max_jobs() if max_jobs is None else max_jobs
        self.grace_s = default_grace_s() if grace_s is None else grace_s
        self.max_lab_jobs = default_max_lab_jobs() if max_lab_jobs is None else max_lab_jobs
        self.turn_s = default_turn_s() if turn_s is None else turn_s
        self.abandoned_s = default_abandoned_s() if abandoned_s is None else abandoned_s
        self.lab_max_steps = default_lab_max_steps() if lab_max_steps is None else lab_max_steps
        self._entries: dict[Any, Entry] = {}  # job -> its entry, for every job not yet let go
        self._order = itertools.count()
        self._waiting_since: dict[str, float] = {}  # pool -> since when someone waits there
        self._wake = threading.Event()  # the scheduler looks again at once (else every TICK_S)
        self._ticker: threading.Thread | None = None
        self._down = False
        self._lock = threading.Lock()
        self._pages: dict[str, Page] = {}
        self._page_of: dict[str, str] = {}  # session hash -> page id
        self._reserved: set[tuple[str, str]] = set()  # (page, tab): starts in progress (data loading)
        self._finishing: set[Job] = set()  # let go, but still in their last step: they count
        self._closed: OrderedDict[str, None] = OrderedDict()  # session hashes whose connection closed

    # -- pages ----------------------------------------------------------------------------------
    def page_of(self, session_hash: str | None) -> str:
        """The id of the page this connection belongs to; a new page for a connection not seen yet.

        A request that arrives after its connection closed (a poll in flight when the tab went
        away) gets an id of no page: its handler sees an empty slot, and the closing page is left
        to close."""
        key = session_hash or ""
        with self._lock:
            page = self._pages.get(self._page_of.get(key, ""))
            if page is None:
                if key in self._closed:
                    return new_page_id()
                page = self._new_page()
                self._bind(key, page)
            self._keep_open(page)
            return page.id

    def attach(self, session_hash: str | None, page_id: Any) -> str:
        """Bind a (re)loaded page's connection to the page id its browser kept, if this server made
        it and the page is still open; else to a new page. Returns the id for the browser to keep."""
        key = session_hash or ""
        with self._lock:
            page = self._pages.get(page_id) if isinstance(page_id, str) and PAGE_ID.fullmatch(page_id) else None
            current = self._pages.get(self._page_of.get(key, ""))
            if page is None:
                page = current or self._new_page()
            if current is not None and current is not page:
                current.connections.discard(key)
                if not current.connections and not current.slots:  # made by a handler before attach ran
                    self._pages.pop(current.id, None)
            self._bind(key, page)
            self._keep_open(page)
            return page.id

    def revive(self, page_id: str) -> bool:
        """Open a page again under an id an earlier run of this server made (the caller has checked
        that: its saves folder exists); False if it is open already. `attach` then binds to it."""
        if not PAGE_ID.fullmatch(page_id):
            raise ValueError(f"not a page id: {page_id!r}")
        with self._lock:
            if page_id in self._pages:
                return False
            self._pages[page_id] = Page(page_id)
            return True

    def _new_page(self) -> Page:
        page = Page(new_page_id())
        self._pages[page.id] = page
        return page

    def _bind(self, key: str, page: Page) -> None:
        self._page_of[key] = page.id
        page.connections.add(key)

    def _keep_open(self, page: Page) -> None:
        page.left_at = None
        if page.closing is not None:  # a page that is talking again is alive
            page.closing.cancel()
            page.closing = None

    def is_open(self, page_id: str) -> bool:
        with self._lock:
            return page_id in self._pages

    # -- slots ----------------------------------------------------------------------------------
    def slot(self, page_id: str, tab: str) -> Slot:
        with self._lock:
            page = self._pages.get(page_id)
            if page is None:  # closed meanwhile: a slot that belongs to nobody, dropped after use
                return Slot()
            return page.slots.setdefault(tab, Slot())  # (only a connection keeps a page open)

    def runs(self, page_id: str) -> list[tuple[str, Job]]:
        """(tab, job) for every job of this page, running or not, in tab order of creation."""
        with self._lock:
            page = self._pages.get(page_id)
            return [] if page is None else [(t, s.job) for t, s in page.slots.items() if s.job is not None]

    def active_jobs(self) -> list[tuple[str, str, Job]]:
        """(page, tab, job) of jobs that are running or paused (they hold memory and a processor)."""
        with self._lock:
            return [(p.id, t, slot.job) for p in self._pages.values() for t, slot in p.slots.items()
                    if slot.job is not None and not slot.job.done]

    # -- starting: a place, or the queue -----------------------------------------------------------
    def capacity(self, pool: str) -> int:
        return self.max_lab_jobs if pool == "lab" else self.max_jobs

    def reserve(self, page_id: str, tab: str) -> None:
        """Mark a start in progress in this tab (before the slow data loading); raises UserError if the
        tab has a run already. A full server is no refusal: `start_in` queues the job."""
        with self._lock:
            page = self._pages.get(page_id)
            own = page.slots.get(tab) if page is not None else None
            if (page_id, tab) in self._reserved or (own is not None and own.job is not None and not own.job.done):
                raise UserError("A run is already going (or waiting for its turn) in this tab. Stop it first "
                                "(or wait until it finishes).")
            self._reserved.add((page_id, tab))

    def release(self, page_id: str, tab: str) -> None:
        with self._lock:
            self._reserved.discard((page_id, tab))

    def start_in(self, page_id: str, tab: str, job: Job, *, step_s: float | None = None) -> Slot:
        """Put a built, not yet started job into the slot `reserve` marked: it gets a free place, or
        waits at the back of its pool's queue (`job.hold()`); the job it replaces, and its model, are
        let go. Raises UserError (the reservation given back) when a Lab run asks for too many steps."""
        pool = job.pool
        with self._lock:
            self._reserved.discard((page_id, tab))
            if pool == "lab" and job.steps > self.lab_max_steps:
                raise UserError(f"The 2-D Lab trains at most {self.lab_max_steps:,} steps a run on this server "
                                f"(GAN_PLAYGROUND_LAB_MAX_STEPS), and this run asks for {job.steps:,}: lower the "
                                f"step budget.")
            page = self._pages.get(page_id)
            slot = page.slots.setdefault(tab, Slot()) if page is not None else Slot()
            old = slot.job
            slot.job, slot.source, slot.scatter_cache = job, "job", None
            slot.drawn = slot.drawn_picture = slot.status_shown = None
            if job.variant is not None:  # (a side-by-side run of the Lab holds several)
                slot.variant = job.variant
            entry = Entry(page_id, tab, job, pool, next(self._order), time.monotonic(), step_s=step_s)
            if old is not None:
                self._entries.pop(old, None)
            if self._queue(pool) or self._free(pool) <= 0:
                job.hold()
            self._entries[job] = entry
            self._start_ticker()
        if old is not None:
            self._let_go([old])
        return slot

    def _holders(self, pool: str) -> list[Entry]:
        return [e for e in self._entries.values() if e.pool == pool and e.job.admitted and not e.job.done]

    def _queue(self, pool: str) -> list[Entry]:
        """The pool's waiting jobs, first in line first."""
        return sorted((e for e in self._entries.values() if e.pool == pool and not e.job.admitted
                       and not e.job.done), key=lambda e: e.order)

    def _free(self, pool: str) -> int:
        finishing = sum(1 for job in self._finishing if job.pool == pool)
        return self.capacity(pool) - len(self._holders(pool)) - finishing

    # -- the scheduler --------------------------------------------------------------------------------
    def _start_ticker(self) -> None:
        if self._ticker is None and not self._down:
            self._ticker = threading.Thread(target=_tick, args=(weakref.ref(self), self._wake), name="scheduler",
                                            daemon=True)
            self._ticker.start()
        self._wake.set()

    def wake(self) -> None:
        """Look at the queue now (a job was stopped: its place may be free)."""
        self._wake.set()

    def schedule(self) -> None:
        """One look at every pool: end abandoned pages' jobs and finished turns while others wait, then
        admit the first in line into each free place."""
        now = time.monotonic()
        ended: list[Entry] = []
        turned: list[Entry] = []
        with self._lock:
            finished = [job for job in self._entries if job.done]
            for job in finished:
                del self._entries[job]
            for pool in ("image", "lab"):
                queue = self._queue(pool)
                if not queue:
                    self._waiting_since.pop(pool, None)
                    continue
                waiting_since = self._waiting_since.setdefault(pool, now)
                for e in [e for e in self._entries.values() if e.pool == pool and self._abandoned(e.page, now)]:
                    del self._entries[e.job]  # its thread ends in a moment; until then its place counts
                    if e.job.admitted:
                        self._finishing.add(e.job)
                    ended.append(e)
                queue = [e for e in queue if e not in ended]
                if not queue:
                    continue
                if self.turn_s > 0:
                    for e in self._holders(pool):
                        if now - max(e.since, waiting_since) >= self.turn_s:
                            e.job.hold()  # it parks after the step in flight, keeping everything
                            e.order, e.since, e.turn_ended = next(self._order), now, e.job.step
                            turned.append(e)
                            queue.append(e)
                for e in queue[:max(0, self._free(pool))]:
                    e.since, e.turn_ended = now, None
                    e.job.admit()
        for e in turned:
            threading.Thread(target=_save, args=(e.job,), name="turn-autosave", daemon=True).start()
        if ended:
            self._end(ended)
        if finished:  # their steps' batches and activations are freed: hand the pages back
            give_back_memory()

    def _abandoned(self, page_id: str, now: float) -> bool:
        page = self._pages.get(page_id)
        return page is not None and page.left_at is not None and now - page.left_at >= self.abandoned_s

    def _end(self, entries: list[Entry]) -> None:
        """Stop abandoned pages' jobs (the slots keep them, stopped, for a reload within the grace); a job
        that trained is autosaved, so that its page can resume it."""
        jobs = [e.job for e in entries]
        for job in jobs:
            job.stop(at_once=False)

        def reap() -> None:
            for job in jobs:
                job.join()
                if job.state == "stopped" and job.step > 0:
                    _save(job)
            with self._lock:
                self._finishing.difference_update(jobs)
            self._wake.set()

        threading.Thread(target=reap, name="end-abandoned-jobs", daemon=True).start()

    def place_of(self, job: Job) -> Place | None:
        """Where `job` stands: its position and estimated wait, or the rest of its turn while others
        wait. None for a job the scheduler does not hold (done, or let go), or with a place and no
        one waiting."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(job)
            if entry is None or job.done:
                return None
            queue = self._queue(entry.pool)
            if not queue:
                return None
            since = self._waiting_since.get(entry.pool, now)
            if job.admitted:
                turn, run = self._turn_left(entry, now, since), _run_left(entry)
                if run is not None and run < turn:  # it ends before its turn does
                    return Place(None, len(queue), None, None, run, finishes_first=True)
                return Place(None, len(queue), None, None, turn if math.isfinite(turn) else None)
            ahead = queue[:queue.index(entry)] if entry in queue else queue
            free_at = [self._frees_in(e, now, since) for e in self._holders(entry.pool)]
            free_at += [0.0] * max(0, self._free(entry.pool))
            wait = estimated_wait(free_at, [self._needs(e) for e in ahead])
            return Place(len(ahead) + 1, len(queue), wait, entry.turn_ended, None)

    def _turn_left(self, entry: Entry, now: float, waiting_since: float) -> float:
        """Seconds left of a job's turn, counted from when it got its place or others began to wait,
        whichever is later (inf: no turns)."""
        return max(0.0, self.turn_s - (now - max(entry.since, waiting_since))) if self.turn_s > 0 else math.inf

    def _frees_in(self, entry: Entry, now: float, waiting_since: float) -> float:
        """Seconds until a job with a place gives it up: the end of its run at its measured speed, or
        of its turn (others wait), whichever comes first (inf: not known)."""
        run = _run_left(entry)
        return min(self._turn_left(entry, now, waiting_since), math.inf if run is None else max(0.0, run))

    def _needs(self, entry: Entry) -> float:
        """Seconds a waiting job will hold a place once admitted: its remaining steps, or one turn."""
        eta = _seconds_left(entry)
        return min(self.turn_s if self.turn_s > 0 else math.inf, math.inf if eta is None else eta)

    def _let_go(self, jobs: list[Job]) -> None:
        """Stop `jobs` and drop them; once their threads have ended (a step in flight finishes first),
        their models are freed and the memory handed back. Until then they count under the cap."""
        for job in jobs:
            job.stop()
        with self._lock:
            for job in jobs:
                if self._entries.pop(job, None) is not None and job.admitted:
                    self._finishing.add(job)

        def reap() -> None:
            for job in jobs:
                job.join()
            with self._lock:
                self._finishing.difference_update(jobs)
            self._wake.set()
            jobs.clear()  # the last references: the models go here
            give_back_memory()

        threading.Thread(target=reap, name="let-go-of-jobs", daemon=True).start()

    # -- closing ----------------------------------------------------------------------------------
    def close_later(self, session_hash: str | None) -> None:
        """A connection closed: when its page has no other, close the page after the grace period."""
        key = session_hash or ""
        with self._lock:
            self._closed[key] = None
            while len(self._closed) > CLOSED_KEPT:
                self._closed.popitem(last=False)
            page = self._pages.get(self._page_of.pop(key, ""))
            if page is None:
                return
            page.connections.discard(key)
            if page.connections:
                return
            self._keep_open(page)
            page.left_at = time.monotonic()
            self._wake.set()
            page.closing = threading.Timer(self.grace_s, self._close_if_idle, args=(page.id,))
            page.closing.daemon = True
            page.closing.start()

    def _close_if_idle(self, page_id: str) -> None:
        with self._lock:
            page = self._pages.get(page_id)
            if page is None or page.connections:
                return
        self.close_now(page_id)

    def close_now(self, page_id: str) -> None:
        """Stop a page's jobs, delete its uploads and forget it (its saves stay on disk)."""
        with self._lock:
            page = self._pages.pop(page_id, None)
            if page is None:
                return
            for key in page.connections:
                self._page_of.pop(key, None)
            if page.closing is not None:
                page.closing.cancel()
            jobs = [slot.job for slot in page.slots.values() if slot.job is not None]
            uploads = [ld.path for slot in page.slots.values() for ld in slot.uploads.values()]
            page.slots.clear()
        self._let_go(jobs)
        for folder in uploads:  # copies the app made in its temp folder; the saves stay
            shutil.rmtree(folder, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop every job (the server is going down)."""
        self._down = True
        self._wake.set()
        with self._lock:
            pages = list(self._pages.values())
            for page in pages:
                if page.closing is not None:
                    page.closing.cancel()
            jobs = [slot.job for page in pages for slot in page.slots.values() if slot.job is not None]
            jobs += list(self._finishing)
        for job in jobs:
            job.stop()
        deadline = time.monotonic() + 5
        for job in jobs:
            job.join(max(0.0, deadline - time.monotonic()))


TICK_S = 0.5  # the scheduler looks at the queue at least this often


def _tick(ref: "weakref.ref[Sessions]", wake: threading.Event) -> None:
    """The scheduler's thread: it holds its Sessions only while it looks, and ends with it."""
    while True:
        sessions = ref()
        if sessions is None or sessions._down:
            return
        try:
            sessions.schedule()
        except Exception:  # a bug here must not stop the queue for everybody
            traceback.print_exc(file=sys.stderr)
        del sessions
        wake.wait(TICK_S)
        wake.clear()


def _run_left(entry: Entry) -> float | None:
    """Seconds until a job with a place ends its run (`_seconds_left`); None while it is paused (a
    paused run keeps its place for its turn) or before its speed is known."""
    return None if getattr(entry.job, "state", "") == "paused" else _seconds_left(entry)


def _seconds_left(entry: Entry) -> float | None:
    """A job's remaining steps at its measured speed, or, before that is measured, at the speed
    estimated before it started (a guide: six visitors queued together were told waits of 2 to 10
    minutes where 18 to 84 s came, by one turn per run ahead)."""
    eta = entry.job.eta_s
    if eta is None and entry.step_s is not None and not entry.job.done:
        eta = (entry.job.steps - entry.job.step) * entry.step_s
    return eta


def _save(job: Job) -> None:
    """Autosave `job` (at a turn's end, or before an abandoned page's job ends) as the job's own
    autosaves go: a full disk is said in the job's message; anything else is printed."""
    try:
        job.save_progress()
    except Exception:
        traceback.print_exc(file=sys.stderr)


def session_of(request: Any) -> str:
    """The Gradio session hash of a request: a lookup key, never a name on disk."""
    return str(getattr(request, "session_hash", None) or "")


_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None


def give_back_memory() -> None:
    """Collect the let-go models now and hand freed heap pages back to the system.

    glibc keeps freed memory in its arenas (one per thread that allocated), so without
    `malloc_trim` the process's RSS stays at its peak after a large job's tensors are freed:
    three large Lab runs in turn grew it by 1.2 GB each (bench/load.py).
    """
    gc.collect()
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)
