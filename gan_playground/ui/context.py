"""What every tab shares: the pages, the shipped checkpoints, the device, a temp folder; and which
model Explore looks at."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from gan_playground.checkpoints import (
    Loaded,
    is_checkpoint_folder,
    load_checkpoint,
    process_alive,
    read_json,
    remove_dead_temporaries,
    safe_child,
)
from gan_playground.data import DATASETS, NATIVE_SHAPES, Dataset, load_dataset
from gan_playground.device import describe_device, resolve_device
from gan_playground.engine import TrainingJob
from gan_playground.environment import ON_OFF, env_choice, env_path
from gan_playground.errors import CheckpointError, UserError
from gan_playground.models import MODELS
from gan_playground.ui.sessions import PAGE_ID, Sessions, Slot
from gan_playground.ui.spec import TABS, TabSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
TMP_PREFIX = "gan_playground_ui_"  # the app's temp folder: gan_playground_ui_PID-XXXX


def default_checkpoints_dir() -> Path | None:
    """Where the shipped checkpoints are: `GAN_PLAYGROUND_CHECKPOINTS`, else checkpoints/ of a source
    checkout (beside app.py), else none (an installed package ships no models; app.py passes its own)."""
    chosen = env_path("GAN_PLAYGROUND_CHECKPOINTS")
    if chosen is not None:
        return chosen
    beside = REPO_ROOT / "checkpoints"
    return beside if (REPO_ROOT / "app.py").is_file() and beside.is_dir() else None


def saves_dir() -> Path:
    return env_path("GAN_PLAYGROUND_UI_SAVES", Path.cwd() / "runs" / "ui")


def browser_secret() -> str:
    """The key the browser's copy of the page id is encrypted with (`gr.BrowserState`), kept in the
    saves folder so that a restarted server can still read what the browser kept (by default
    Gradio makes a new key each start, and every page would lose its saves). Made once, readable
    by this user only."""
    path = saves_dir() / ".browser-secret"
    try:
        text = path.read_text().strip()
        if len(text) >= 32:
            return text
    except OSError:
        pass
    secret = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
    except OSError:  # a read-only saves folder: pages work, but a restart forgets them
        pass
    return secret


def looks_like_checkpoint(folder: Path) -> bool:
    """A folder named after a model (e.g. `acgan-mnist`) holding config.json and model.safetensors."""
    return (folder.is_dir() and (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
            and any(folder.name == m or folder.name.startswith(m + "-") for m in MODELS))


@dataclass
class Source:
    """A model to explore, with the data it was trained on; `job` or `loaded` says where it is from."""

    model: Any
    label: str
    dataset_name: str
    classes: tuple[str, ...]
    image_size: int | None
    is_points: bool
    job: TrainingJob | None = None
    loaded: Loaded | None = None
    slot: Slot | None = None  # the page's slot it was found for (its latent map, its uploads)

    def dataset(self) -> Dataset:
        return app_dataset(self.dataset_name, image_size=None if self.is_points else self.image_size)


def app_dataset(name: str, *, image_size: int | None = None) -> Dataset:
    """One of the app's own data sets, the only ones the page ever reads: a name from a checkpoint
    (a visitor's upload among them) must not make the server read a folder of its choosing
    (`folder:PATH` is for the command line and the Python API)."""
    if name not in DATASETS:
        raise UserError("This model was trained on data this app does not have; explore it with the command "
                        "line or the Python API instead.")
    native = NATIVE_SHAPES.get(name, (0, 0, 0))[-1]
    if image_size is not None and not native // 2 <= image_size <= 2 * native:
        raise UserError(f"This model says it trains on {name} at {image_size} x {image_size} pixels, which the "
                        f"app does not do.")
    return load_dataset(name, image_size=image_size)


def warm_up(datasets: tuple[str, ...] | None = None) -> threading.Thread:
    """Load the tabs' image data sets (the default, MNIST, first) and MNIST's live-score reference
    statistics in a background thread, so that a first Start trains at once: on a first start the
    data set is unpacked from the mirror or downloaded (about 8 s for MNIST on two cores), and the
    statistics take a few seconds more. A Start meanwhile waits for the load under way instead of
    doing it twice (data.load_dataset); a data set that cannot be had here is left for Start to say."""
    from gan_playground.metrics import live_evaluator

    names = datasets if datasets is not None else tuple(dict.fromkeys(
        d for spec in TABS if not spec.points for d in spec.datasets))

    def load() -> None:
        for i, name in enumerate(names):
            try:
                load_dataset(name)
                if i == 0:
                    live_evaluator(name)
            except Exception as err:  # noqa: BLE001 - no network, no mirror: Start says it in the page
                print(f"[gan-playground] {name} not loaded ahead: {str(err).splitlines()[0][:120]}")

    thread = threading.Thread(target=load, name="gan-playground-warm-up", daemon=True)
    thread.start()
    return thread


@dataclass
class AppContext:
    sessions: Sessions
    checkpoints_root: Path | None = None
    shipped: dict[str, Loaded] = field(default_factory=dict)  # folder name -> loaded checkpoint
    device_text: str = ""
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-")))
    _model_locks: dict[int, threading.Lock] = field(default_factory=dict)

    warming: threading.Thread | None = None  # `warm_up`'s thread, while the app's start loads the data sets

    @classmethod
    def create(cls, *, max_jobs: int | None = None, grace_s: float | None = None, load_shipped: bool = True,
               checkpoints: str | Path | None = None, warm: bool | None = None) -> "AppContext":
        """`warm`: load the tabs' data sets in the background now (`warm_up`); default: unless
        GAN_PLAYGROUND_WARM=0."""
        root = Path(checkpoints) if checkpoints is not None else default_checkpoints_dir()
        ctx = cls(Sessions(max_jobs=max_jobs, grace_s=grace_s), checkpoints_root=root,
                  device_text=describe_device(resolve_device("auto")))
        if warm if warm is not None else env_choice("GAN_PLAYGROUND_WARM", ON_OFF, "1") == "1":
            ctx.warming = warm_up()
        if load_shipped:
            ctx.load_shipped()
        ctx.remove_stale_files()
        return ctx

    def remove_stale_files(self) -> None:
        """What a killed server left: its temp folder (uploads, pulls, GIFs) and half-written saves
        (`.tmp-*` folders) in every page's saves. Done at start; `close` does the same at a stop."""
        for old in Path(tempfile.gettempdir()).glob(f"{TMP_PREFIX}*-*"):
            pid = old.name[len(TMP_PREFIX):].split("-")[0]
            if old != self.tmp and pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        root = saves_dir()
        if root.is_dir():
            for page in root.iterdir():
                if page.is_dir() and PAGE_ID.fullmatch(page.name):
                    remove_dead_temporaries(page)

    def close(self) -> None:
        """The server stops: stop every job and remove the temp folder (uploads, pulls, GIFs)."""
        self.sessions.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- pages --------------------------------------------------------------------------------------
    def attach_page(self, session_hash: str, kept: Any) -> str:
        """Bind a (re)loaded page to the id its browser kept (see `Sessions.attach`). After a restart
        the server has forgotten its pages, but a page that saved anything has a folder named by its
        id, which only this server can have made: that page is opened again with its saves listed
        in their tabs, so a reload finds its checkpoints and autosaves."""
        if (isinstance(kept, str) and PAGE_ID.fullmatch(kept) and (saves_dir() / kept).is_dir()
                and self.sessions.revive(kept)):
            self.restore_saves(kept)
        return self.sessions.attach(session_hash, kept)

    def restore_saves(self, page_id: str) -> None:
        """List the checkpoint folders on disk of a page in the slots of their tabs, oldest first."""
        folders = [f for f in self.saves_of(page_id).iterdir() if is_checkpoint_folder(f)]
        for folder in sorted(folders, key=lambda f: f.stat().st_mtime):
            try:
                config = read_json(folder / "config.json")
                family, points = config.get("family"), config.get("data", {}).get("kind") == "points"
            except (CheckpointError, OSError, AttributeError):
                continue
            for spec in TABS:
                if spec.family == family and spec.points == points:
                    slot = self.sessions.slot(page_id, spec.key)
                    if folder not in slot.saved:
                        slot.saved.append(folder)

    def load_shipped(self) -> None:
        """Load every checkpoint under the checkpoints folder now; skip (and say) what cannot be read."""
        root = self.checkpoints_root
        if root is None or not root.is_dir():
            return
        for folder in sorted(root.iterdir()):
            if not looks_like_checkpoint(folder):
                continue
            try:
                self.shipped[folder.name] = load_checkpoint(folder)
            except UserError as err:
                print(f"[gan-playground] skipped checkpoint {folder.name}: {err}")

    def saves_of(self, page_id: str) -> Path:
        """The folder of a page's saves and autosaves: named by the page's server-made id, and
        checked to stay inside the saves root whatever that id holds."""
        if not PAGE_ID.fullmatch(page_id):
            raise UserError("This page has no valid id; reload it.")
        return safe_child(saves_dir(), page_id)

    # -- checkpoints a tab can offer ----------------------------------------------------------------
    def shipped_for(self, tab: TabSpec, model: str | None = None) -> list[str]:
        return [name for name, ld in self.shipped.items()
                if ld.model.family == tab.family and (ld.model.data.kind == "points") == tab.points
                and (model is None or ld.model.name == model)]

    def checkpoint_choices(self, slot: Slot, tab: TabSpec, *, resumable: bool) -> list[tuple[str, str]]:
        """(label, value) pairs: the page's saves first, then its uploads, then the shipped folders.
        Values are names, never server paths; `resumable` leaves out folders saved for sampling only."""
        saved = [(f"saved: {p.name}", f"saved:{p.name}") for p in reversed(slot.saved) if p.is_dir()]
        uploads = [(f"uploaded: {name}", f"uploaded:{name}") for name, ld in reversed(slot.uploads.items())
                   if not (resumable and ld.model.sampling_only)]
        shipped = [(f"shipped: {name}", f"shipped:{name}") for name in self.shipped_for(tab)
                   if not (resumable and self.shipped[name].model.sampling_only)]
        return saved + ([] if resumable else uploads) + shipped

    def resolve_choice(self, slot: Slot, value: Any) -> Path | Loaded:
        """The folder (a save) or the loaded checkpoint (an upload, a shipped one) behind a choice."""
        kind, _, name = str(value or "").strip().partition(":")
        if kind == "saved":
            for p in slot.saved:
                if p.name == name and p.is_dir():
                    return p
        elif kind == "uploaded" and name in slot.uploads:
            return slot.uploads[name]
        elif kind == "shipped" and name in self.shipped:
            return self.shipped[name]
        raise UserError("Choose a checkpoint from the list first." if not name else
                        f"No checkpoint {name!r} here: choose one from the list.")

    # -- the model Explore looks at ----------------------------------------------------------------
    def candidates(self, slot: Slot, tab: TabSpec, model: str) -> list[Any]:
        """What could be explored for `model`, best first: the page's latest action (its run, or the
        checkpoint it loaded), then the other, then the shipped checkpoint of that model."""
        run = slot.job if slot.job is not None and slot.job.model.name == model else None
        loaded = slot.loaded if slot.loaded is not None and slot.loaded.model.name == model else None
        mine = [run, loaded] if slot.source != "checkpoint" else [loaded, run]
        shipped = [self.shipped[n] for n in self.shipped_for(tab, model)]
        return [c for c in mine if c is not None] + shipped

    @contextlib.contextmanager
    def explored(self, slot: Slot, tab: TabSpec, model: str) -> Iterator[Source]:
        """The model to explore for the chosen variant, held still while the caller uses it."""
        found = self.candidates(slot, tab, model)
        if not found:
            raise UserError(f"Nothing to explore for {model} yet: press Start above to train one, or load a "
                            f"checkpoint of it (Checkpoints, below).")
        if isinstance(found[0], TrainingJob):
            job = found[0]
            ds = job.run.dataset
            label = f"this tab's run: {job.model.name} on {job.run.config.dataset}, its latest weights"
            with job.exclusive() as model_now:
                yield Source(model_now, label, job.run.config.dataset, tuple(ds.classes),
                             None if ds.kind == "points" else int(ds.train.shape[-1]), ds.kind == "points", job=job)
            return
        loaded = found[0]
        lock = self._model_locks.setdefault(id(loaded.model), threading.Lock())
        data = loaded.config.get("data", {})
        where = "shipped" if any(loaded is ld for ld in self.shipped.values()) else \
            "uploaded" if any(loaded is ld for ld in slot.uploads.values()) else "loaded"
        label = (f"checkpoint {loaded.path.name if where != 'uploaded' else upload_name(loaded)} ({where}): "
                 f"{loaded.model.name} on {loaded.run.dataset}, step {loaded.step:,}")
        with lock:
            yield Source(loaded.model, label, loaded.run.dataset, loaded.classes,
                         int(data.get("shape", [0])[-1]) or None, loaded.model.data.kind == "points",
                         loaded=loaded)

    def source_text(self, slot: Slot, tab: TabSpec, model: str) -> str:
        try:
            with self.explored(slot, tab, model) as src:
                return f"Exploring **{src.label}**."
        except UserError as err:
            return str(err)

    # -- temporary files (GIFs, uploads, archives) ----------------------------------------------------
    def tmp_path(self, suffix: str, *, max_age_s: float = 3600.0) -> Path:
        """A fresh name in the app's temp folder; entries older than `max_age_s` are removed."""
        now = time.time()
        for old in self.tmp.iterdir():
            try:
                if now - old.stat().st_mtime > max_age_s:
                    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
            except OSError:
                pass
        return self.tmp / f"{uuid.uuid4().hex[:12]}{suffix}"


def upload_name(loaded: Loaded) -> str:
    """An uploaded checkpoint's name from what it says it is: model, data and step."""
    data = str(loaded.run.dataset).replace("folder:", "folder-").replace("/", "_")
    return f"{loaded.model.name}-{data}-step{loaded.step}"
