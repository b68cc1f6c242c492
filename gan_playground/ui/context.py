"""What every tab shares: the session registry, the shipped checkpoints, the device, a temp folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from gan_playground.checkpoints import Loaded, load_checkpoint, safe_child
from gan_playground.data import Dataset, load_dataset
from gan_playground.engine import describe_device, resolve_device
from gan_playground.errors import UserError
from gan_playground.models import MODELS
from gan_playground.ui.sessions import PAGE_ID, Sessions, Slot

REPO_ROOT = Path(__file__).resolve().parents[2]


def checkpoints_dir() -> Path:
    return Path(os.environ.get("GAN_PLAYGROUND_CHECKPOINTS") or REPO_ROOT / "checkpoints")


def saves_dir() -> Path:
    return Path(os.environ.get("GAN_PLAYGROUND_UI_SAVES") or REPO_ROOT / "runs" / "ui")


def looks_like_checkpoint(folder: Path) -> bool:
    """A folder named after a model (e.g. `acgan-mnist`) holding config.json and model.safetensors."""
    return (folder.is_dir() and (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
            and any(folder.name == m or folder.name.startswith(m + "-") for m in MODELS))


@dataclass
class Source:
    """A model to explore, with the data it was trained on."""

    model: Any
    label: str
    dataset_name: str
    classes: tuple[str, ...]
    image_size: int | None
    is_points: bool

    def dataset(self) -> Dataset:
        return load_dataset(self.dataset_name, image_size=None if self.is_points else self.image_size)


@dataclass
class AppContext:
    sessions: Sessions
    shipped: dict[str, Loaded] = field(default_factory=dict)  # folder name -> loaded checkpoint
    device_text: str = ""
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gan_playground_ui_")))
    _model_locks: dict[int, threading.Lock] = field(default_factory=dict)

    @classmethod
    def create(cls, *, max_jobs: int | None = None, grace_s: float | None = None,
               load_shipped: bool = True) -> "AppContext":
        ctx = cls(Sessions(max_jobs=max_jobs, grace_s=grace_s), device_text=describe_device(resolve_device("auto")))
        if load_shipped:
            ctx.load_shipped()
        return ctx

    def load_shipped(self) -> None:
        """Load every checkpoint under checkpoints/ now; skip (and say) what cannot be read."""
        root = checkpoints_dir()
        if not root.is_dir():
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
    def shipped_for(self, family: str, points: bool) -> list[str]:
        return [name for name, ld in self.shipped.items()
                if ld.model.family == family and (ld.model.data.kind == "points") == points]

    def checkpoint_choices(self, slot: Slot, family: str, points: bool) -> list[tuple[str, str]]:
        """(label, value) pairs: the session's saves first, then the shipped checkpoints."""
        mine = [(f"saved: {p.name}", str(p)) for p in reversed(slot.saved) if p.is_dir()]
        root = checkpoints_dir()
        shipped = []
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if looks_like_checkpoint(folder):
                    ld = self.shipped.get(folder.name)
                    if ld is None or (ld.model.family == family and (ld.model.data.kind == "points") == points):
                        shipped.append((f"shipped: {folder.name}", folder.name))
        return mine + shipped

    def resolve_choice(self, slot: Slot, value: str) -> Path:
        """The folder behind a choice: one of this session's saves, or a name under checkpoints/."""
        value = (value or "").strip()
        if not value:
            raise UserError("Choose a checkpoint first.")
        for p in slot.saved:
            if str(p) == value:
                return p
        return safe_child(checkpoints_dir(), value)

    # -- the model Explore looks at ----------------------------------------------------------------
    def default_source(self, family: str, points: bool) -> Loaded | None:
        names = self.shipped_for(family, points)
        return self.shipped[names[0]] if names else None

    @contextlib.contextmanager
    def explored(self, slot: Slot, family: str, points: bool) -> Iterator[Source]:
        """The model to explore, held still: the session's job (between two steps), or a checkpoint."""
        if slot.source == "job" and slot.job is not None:
            job = slot.job
            label = f"the model of this tab's run: {job.model.name} on {job.run.run.dataset} (its latest weights)"
            ds = job.run.dataset
            with job.exclusive() as model:
                yield Source(model, label, job.run.run.dataset, tuple(ds.classes),
                             None if ds.kind == "points" else int(ds.train.shape[-1]), ds.kind == "points")
            return
        loaded = slot.loaded if slot.source == "checkpoint" else self.default_source(family, points)
        if loaded is None:
            raise UserError("Nothing to explore yet: press Start above to train a model, "
                            "or load a checkpoint (Load a checkpoint, below).")
        lock = self._model_locks.setdefault(id(loaded.model), threading.Lock())
        data = loaded.config.get("data", {})
        label = f"checkpoint {loaded.path.name}: {loaded.model.name} on {loaded.run.dataset}, step {loaded.step:,}"
        with lock:
            yield Source(loaded.model, label, loaded.run.dataset, loaded.classes,
                         int(data.get("shape", [0])[-1]) or None, loaded.model.data.kind == "points")

    def source_text(self, slot: Slot, family: str, points: bool) -> str:
        try:
            with self.explored(slot, family, points) as src:
                return f"Exploring **{src.label}**."
        except UserError as err:
            return str(err)

    # -- temporary files (GIFs, uploads) -----------------------------------------------------------------
    def tmp_path(self, suffix: str, *, max_age_s: float = 3600.0) -> Path:
        """A fresh file name in the app's temp folder; files older than `max_age_s` are removed."""
        now = time.time()
        for old in self.tmp.iterdir():
            try:
                if now - old.stat().st_mtime > max_age_s:
                    if old.is_dir():
                        import shutil
                        shutil.rmtree(old, ignore_errors=True)
                    else:
                        old.unlink()
            except OSError:
                pass
        return self.tmp / f"{uuid.uuid4().hex[:12]}{suffix}"
