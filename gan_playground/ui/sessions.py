"""Who owns which training job: pages with server-made ids, their slots, and a cap on jobs.

A *page* is one visitor's view of the app. Its id is made here (`secrets.token_hex`), never taken
from a client: the browser keeps it in `gr.BrowserState` and hands it back after a reload, and
`attach` accepts it only if this server made it. Gradio's `session_hash` (chosen by the client,
new on every reload) is only a key to find the page bound to a connection; it never becomes a
path. A page holds one *slot* per tab: its training job (if any), the checkpoint it loaded for
exploring, and the checkpoints it saved. Handlers only ever reach their own page's slots, so
nobody can see, pause or stop another visitor's job.

Resources:
- at most `max_jobs` jobs train at once on the whole server (`GAN_PLAYGROUND_MAX_JOBS`; default
  1 on a CPU, 4 on a GPU); a finished, stopped or failed job does not count;
- a page whose connections have all closed is closed `grace_s` seconds later
  (`GAN_PLAYGROUND_SESSION_GRACE_S`, default 300): its jobs stop and its models are released.
  A reload within the grace finds its page, jobs and saves again;
- a job's model, optimizers and data are released as soon as the slot starts another job or
  the page closes (`give_back_memory`), so the cap on jobs also bounds memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.landscape import DEFAULT_LAYERS

PAGE_ID = re.compile(r"[0-9a-f]{32}")  # what `new_page_id` makes: 128 random bits, in hex
CLOSED_KEPT = 10_000  # closed connections remembered (so that a late request revives nothing)


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


def new_page_id() -> str:
    return secrets.token_hex(16)


@dataclass
class Slot:
    """One page's state in one tab."""

    job: TrainingJob | None = None
    variant: str = ""  # the model chosen in the tab: Explore and the Live record follow it
    speed: float | None = None  # the Lab's slow motion (steps a second) for the tab's runs; None: full
    layers: tuple[str, ...] = DEFAULT_LAYERS  # what the Lab's picture shows (landscape.LAYERS)
    link_settings: Any = None  # (model, {setting: value}) a link asked for: the variant's change keeps them
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


class Sessions:
    def __init__(self, *, max_jobs: int | None = None, grace_s: float | None = None):
        self.max_jobs = default_max_jobs() if max_jobs is None else max_jobs
        self.grace_s = default_grace_s() if grace_s is None else grace_s
        self._lock = threading.Lock()
        self._pages: dict[str, Page] = {}
        self._page_of: dict[str, str] = {}  # session hash -> page id
        self._reserved: set[tuple[str, str]] = set()  # (page, tab): starts in progress (data loading)
        self._finishing: set[TrainingJob] = set()  # let go, but still in their last step: they count
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

    def runs(self, page_id: str) -> list[tuple[str, TrainingJob]]:
        """(tab, job) for every job of this page, running or not, in tab order of creation."""
        with self._lock:
            page = self._pages.get(page_id)
            return [] if page is None else [(t, s.job) for t, s in page.slots.items() if s.job is not None]

    def active_jobs(self) -> list[tuple[str, str, TrainingJob]]:
        """(page, tab, job) of jobs that are running or paused (they hold memory and a processor)."""
        with self._lock:
            return [(p.id, t, slot.job) for p in self._pages.values() for t, slot in p.slots.items()
                    if slot.job is not None and not slot.job.done]

    # -- starting under the cap -------------------------------------------------------------------
    def reserve(self, page_id: str, tab: str) -> None:
        """Claim one of the `max_jobs` places before the (slow) data loading; raises UserError."""
        with self._lock:
            page = self._pages.get(page_id)
            own = page.slots.get(tab) if page is not None else None
            if (page_id, tab) in self._reserved or (own is not None and own.job is not None and not own.job.done):
                raise UserError("A run is already going in this tab. Stop it first (or wait until it finishes).")
            active = [(p.id, t) for p in self._pages.values() for t, slot in p.slots.items()
                      if slot.job is not None and not slot.job.done]
            if len(active) + len(self._reserved) + len(self._finishing) >= self.max_jobs:
                mine = sorted({t for p, t in active if p == page_id} | {t for p, t in self._reserved if p == page_id})
                where = (f" One of them is yours, in the {', '.join(mine)} tab: stop it there first."
                         if mine else " Please wait until one finishes, then press Start again.")
                raise UserError(f"The server is busy: it trains at most {self.max_jobs} model"
                                f"{'s' if self.max_jobs != 1 else ''} at a time, and that many are training "
                                f"now.{where}")
            self._reserved.add((page_id, tab))

    def release(self, page_id: str, tab: str) -> None:
        with self._lock:
            self._reserved.discard((page_id, tab))

    def start_in(self, page_id: str, tab: str, job: TrainingJob) -> Slot:
        """Put a started job into the slot whose place `reserve` claimed; the job it replaces, and its
        model, are let go."""
        with self._lock:
            self._reserved.discard((page_id, tab))
            page = self._pages.get(page_id)
            slot = page.slots.setdefault(tab, Slot()) if page is not None else Slot()
            old = slot.job
            slot.job, slot.source, slot.scatter_cache = job, "job", None
            slot.drawn = slot.drawn_picture = slot.status_shown = None
            if isinstance(job, TrainingJob):  # (a side-by-side run of the Lab holds several)
                slot.variant = job.model.name
        if old is not None:
            self._let_go([old])
        return slot

    def _let_go(self, jobs: list[TrainingJob]) -> None:
        """Stop `jobs` and drop them; once their threads have ended (a step in flight finishes first),
        their models are freed and the memory handed back. Until then they count under the cap."""
        for job in jobs:
            job.stop()
        with self._lock:
            self._finishing.update(jobs)

        def reap() -> None:
            for job in jobs:
                job.join()
            with self._lock:
                self._finishing.difference_update(jobs)
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
