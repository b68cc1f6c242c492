"""The Checkpoints panel: save the run, download a save as one .zip, resume training from a save, and
load a checkpoint to explore (one of the list, or uploaded: a folder's files, or its .zip).

No message shows a server path: saves are named by their folder, uploads by what their config
says they are (model, data, step).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from gan_playground import archive
from gan_playground.checkpoints import (
    CHECKPOINT_FILES,
    Loaded,
    load_checkpoint,
    save_checkpoint,
)
from gan_playground.config import RunConfig, field_specs
from gan_playground.data import NATIVE_SHAPES
from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.run import resume_run
from gan_playground.ui import fields
from gan_playground.ui.context import upload_name
from gan_playground.ui.controls import button_updates
from gan_playground.ui.i18n import t
from gan_playground.ui.tab import Tab, refusal, training_device
from gan_playground.ui.text import read_number

MAX_STEPS = next(s.high for s in field_specs(RunConfig) if s.name == "steps")
MAX_UPLOAD_BYTES = 256 << 20  # all files of one uploaded checkpoint, unpacked (the shipped ones are 1-5 MB)
MAX_UPLOADS_KEPT = 3  # a tab keeps a page's last few uploads (each holds a model in memory)
UPLOAD_TYPES = [".json", ".safetensors", ".md", ".csv", ".png", ".zip"]  # a pickle never gets past the upload


def expected_image_shape(loaded: Loaded, dataset: str) -> list[int]:
    """[C, S, S]: the shape `dataset` has when this model trains on it (some models resize)."""
    channels, native, _ = NATIVE_SHAPES[dataset]
    size = type(loaded.model).image_size_for(loaded.model.config, dataset) or native
    return [channels, size, size]


def _short(text: str, limit: int = 40) -> str:
    """A visitor's string, shortened for a message."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "…")


class CheckpointPanel:
    def __init__(self, tab: Tab):
        self.tab, self.spec = tab, tab.spec

    def build(self) -> None:
        key = self.spec.key
        with gr.Accordion(t("ckpt.box"), open=False, elem_id=f"{key}-checkpoints-box"):
            with gr.Row():
                self.save_btn = gr.Button(t("ckpt.save"), elem_id=f"{key}-save-btn")
                self.download_btn = gr.Button(t("ckpt.download"), elem_id=f"{key}-download-btn")
            self.save_msg = gr.Markdown(elem_id=f"{key}-save-msg")
            self.download_file = gr.File(label=t("ckpt.download_file"),
                                         interactive=False, visible=False, elem_id=f"{key}-download-file")
            gr.Markdown(t("ckpt.resume_intro"))
            with gr.Row():
                self.resume_choice = fields.Dropdown([], label=t("ckpt.resume_choice"),
                                                     info=t("ckpt.resume_choice.info"), elem_id=f"{key}-resume-choice")
                self.lr_factor = fields.Slider(0.01, 1.0, value=1.0, step=0.01, label=t("ckpt.lr_factor"),
                                           info=t("ckpt.lr_factor.info"),
                                           elem_id=f"{key}-lr-factor")
            self.resume_btn = gr.Button(t("ckpt.resume"), elem_id=f"{key}-resume-ckpt-btn")
            gr.Markdown(t("ckpt.load_intro"))
            with gr.Row():
                self.load_choice = fields.Dropdown([], label=t("ckpt.load_choice"),
                                               info=t("ckpt.load_choice.info"),
                                               scale=2, elem_id=f"{key}-load-choice")
                self.load_files = gr.File(file_count="multiple", file_types=UPLOAD_TYPES, scale=2,
                                          label=t("ckpt.load_files"),
                                          elem_id=f"{key}-load-files")
            self.load_btn = gr.Button(t("ckpt.load"), elem_id=f"{key}-load-btn")
            self.load_msg = gr.Markdown(elem_id=f"{key}-load-msg")

    # -- choices --------------------------------------------------------------------------------------
    def choices_updates(self, slot, *, select: bool = True) -> list[Any]:
        """Updates of the two lists: resume offers only what can resume; each preselects its first entry."""
        resumable = self.tab.ctx.checkpoint_choices(slot, self.spec, resumable=True)
        loadable = self.tab.ctx.checkpoint_choices(slot, self.spec, resumable=False)
        if not select:
            return [gr.update(choices=resumable), gr.update(choices=loadable)]
        return [gr.update(choices=resumable, value=resumable[0][1] if resumable else None),
                gr.update(choices=loadable, value=loadable[0][1] if loadable else None)]

    def refresh(self, request: gr.Request = None):
        """The lists again (a new autosave appears without a reload), keeping what is chosen."""
        return self.choices_updates(self.tab.slot(request), select=False)

    # -- save and download ------------------------------------------------------------------------------
    def save(self, request: gr.Request = None):
        slot = self.tab.slot(request)
        job = slot.job
        if job is None:
            return ["Nothing to save: start a training run first.", *self.choices_updates(slot)]
        if job.state == "diverged":
            return ["⚠ The run diverged; its weights are not worth saving. Resume from an earlier save, or start "
                    "again with a lower learning rate.", *self.choices_updates(slot)]
        page = self.tab.page(request)
        with job.exclusive():
            step = job.step
            folder = self.tab.ctx.saves_of(page) / f"{job.model.name}-{job.run.config.dataset}-step{step}".replace(
                "folder:", "folder-").replace("/", "_")
            try:
                save_checkpoint(folder, job.run, step=step, snapshot=job.snapshot(), command=None)
            except UserError as err:
                return [f"⚠ Not saved: {err}".replace(str(folder.parent), "your saves"), *self.choices_updates(slot)]
        if folder not in slot.saved:
            slot.saved.append(folder)
        return [f"Saved step {step:,} as `{folder.name}`: resume it below, download it, or push it to the Hub.",
                *self.choices_updates(slot)]

    def download(self, request: gr.Request = None):
        """The page's last save in this tab, as one .zip."""
        slot = self.tab.slot(request)
        saves = [p for p in slot.saved if p.is_dir()]
        if not saves:
            raise refusal("Nothing saved yet in this tab: press Save checkpoint first.")
        folder = saves[-1]
        out = self.tab.ctx.tmp_path("")
        out.mkdir()
        path = archive.pack(folder, out / f"{folder.name}.zip")
        return gr.update(value=str(path), visible=True)

    # -- resume ---------------------------------------------------------------------------------------
    def resume(self, checkpoint, lr_factor, steps, request: gr.Request = None):
        train = self.tab.train
        slot = self.tab.slot(request)
        try:
            source = self.tab.ctx.resolve_choice(slot, checkpoint)
            factor = read_number(lr_factor, "The learning-rate factor", low=0.01, high=1.0, whole=False)
            loaded = source if isinstance(source, Loaded) else load_checkpoint(source)
            extra = read_number(steps, "The step budget", low=1, high=MAX_STEPS - loaded.step)
        except UserError as err:
            return train.controls(slot.job if slot.job is not None and not slot.job.done else None,
                                  f"⚠ Not resumed: {err}")
        page = self.tab.page(request)
        name = str(checkpoint).partition(":")[2]

        def build() -> TrainingJob:
            if loaded.model.family != self.spec.family or (loaded.model.data.kind == "points") != self.spec.points:
                raise UserError(f"{name} holds a {loaded.model.name} model on {loaded.run.dataset}; this tab trains "
                                f"{', '.join(self.spec.variants.values())} on {', '.join(self.spec.datasets)}.")
            overrides = loaded.model.scaled_rates(factor) if factor != 1.0 else None
            run, step = resume_run(loaded, device=training_device(), overrides=overrides, steps=loaded.step + extra)
            job = self.tab.make_job(run, run.config.steps, page, start_step=step)
            job.carry_history(loaded.path)
            return job

        try:
            self.tab.launch(page, build)
        except UserError as err:
            return train.controls(slot.job if slot.job is not None and not slot.job.done else None,
                                  f"⚠ Not resumed: {err}")
        note = f" with learning rates × {factor:g}" if factor != 1.0 else ""
        return [f"**Resuming** {name} from step {loaded.step:,}{note}…", gr.Timer(active=True),
                *button_updates("running")]

    # -- load -----------------------------------------------------------------------------------------
    def load(self, checkpoint, files, request: gr.Request = None):
        """Explore a checkpoint from the list, or one uploaded here; the variant follows it."""
        slot = self.tab.slot(request)
        try:
            if files:
                loaded = self._from_upload(files)
                name = upload_name(loaded)
                keep_upload(slot, name, loaded)
            else:
                source = self.tab.ctx.resolve_choice(slot, checkpoint)
                loaded = source if isinstance(source, Loaded) else load_checkpoint(source)
                name = str(checkpoint).partition(":")[2]
                self.check_tab(loaded, name)
        except UserError as err:
            return [f"⚠ {err}", gr.skip(), *self.choices_updates(slot, select=False)]
        slot.loaded, slot.source, slot.scatter_cache = loaded, "checkpoint", None
        return [f"Loaded **{name}**: {loaded.model.name} on {loaded.run.dataset}, step {loaded.step:,}, for exploring.",
                gr.update(value=loaded.model.name), *self.choices_updates(slot, select=False)]

    def check_tab(self, loaded: Loaded, name: str) -> None:
        """Refuse a checkpoint this tab cannot explore: another family, or data of its own.

        A checkpoint's config names the data set that Explore reads (the latent map encodes its test
        images, the Lab draws its points). From a visitor that name is an instruction, so it must be
        one of this tab's data sets, with the shape that set has for this model: `folder:/ANY/PATH`
        once made the server read and reveal any folder, and an image size of 1,024 would resize
        MNIST to 60 GB.
        """
        if loaded.model.family != self.spec.family or (loaded.model.data.kind == "points") != self.spec.points:
            where = "the 2-D Lab" if loaded.model.data.kind == "points" else f"the {loaded.model.family.upper()} tab"
            raise UserError(f"{name} holds a {loaded.model.name} model trained on {loaded.run.dataset}: open it in "
                            f"{where}.")
        dataset = loaded.run.dataset
        if dataset not in self.spec.datasets:
            raise UserError(f"{name} was trained on data this app does not have ({_short(dataset)}); this tab "
                            f"explores models of {', '.join(self.spec.datasets)}. Explore it with the command "
                            f"line or the Python API instead.")
        expected = [2] if self.spec.points else expected_image_shape(loaded, dataset)
        if list(loaded.model.data.shape) != expected:
            raise UserError(f"{name} says its {dataset} data have the shape {list(loaded.model.data.shape)}; "
                            f"a {loaded.model.name} with its settings trains on {expected}. The checkpoint is "
                            f"damaged or was edited.")

    def _from_upload(self, files: list[Any]) -> Loaded:
        """A checkpoint from uploaded files: its known files, or one .zip; nothing else is read.

        The copy is removed again when anything refuses it: an upload that is not kept leaves no
        file behind (nor does any at the server's stop: the app's temp folder goes then)."""
        paths = [Path(f if isinstance(f, str) else getattr(f, "name", f)) for f in files]
        folder = self.tab.ctx.tmp_path("-upload")
        try:
            self._copy_upload(paths, folder)
            loaded = load_checkpoint(folder)
            self.check_tab(loaded, "The uploaded checkpoint")
            return loaded
        except UserError as err:
            shutil.rmtree(folder, ignore_errors=True)
            text = str(err).replace(f"{folder}/", "").replace(f" in {folder}", "")  # no server path shown
            raise UserError(text.replace(str(folder), "the upload")) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            forget_uploaded(paths)

    @staticmethod
    def _copy_upload(paths: list[Path], folder: Path) -> None:
        if not all(p.is_file() for p in paths):  # `forget_uploaded` took them: this upload was read before
            raise UserError("These files were read once already, and the server keeps no copy of them: choose the "
                            "upload in the Checkpoint list (uploaded: …), or upload the files again.")
        zips = [p for p in paths if p.suffix.lower() == ".zip"]
        if zips:
            if len(paths) != 1:
                raise UserError("Upload one .zip on its own, or the files of one checkpoint folder.")
            archive.unpack(zips[0], folder, max_total=MAX_UPLOAD_BYTES)
            return
        known = {p.name: p for p in paths if p.name in CHECKPOINT_FILES}
        missing = [n for n in ("config.json", "model.safetensors") if n not in known]
        if missing:
            raise UserError(f"Upload the files of one checkpoint folder: {' and '.join(missing)} "
                            f"{'is' if len(missing) == 1 else 'are'} missing (weights are read from "
                            f"safetensors only, never from pickles).")
        sizes = {name: src.stat().st_size for name, src in known.items()}
        for name, size in sizes.items():
            if size > CHECKPOINT_FILES[name]:
                raise UserError(f"{name} is larger than {CHECKPOINT_FILES[name] >> 20} MiB; refusing it.")
        if sum(sizes.values()) > MAX_UPLOAD_BYTES:
            raise UserError(f"These files hold {sum(sizes.values()) >> 20} MiB; an uploaded checkpoint may hold at "
                            f"most {MAX_UPLOAD_BYTES >> 20} MiB.")
        folder.mkdir()
        for name, src in known.items():  # anything else the folder held is left out
            shutil.copyfile(src, folder / name)


def forget_uploaded(paths: list[Path]) -> None:
    """Delete what Gradio received for this upload once it is read: the copy that is kept (if any)
    is ours, and Gradio's would otherwise hold up to 256 MiB more on disk for an hour. Only files
    inside Gradio's upload folder are touched."""
    uploads = Path(get_upload_folder()).resolve()
    for path in paths:
        try:
            if path.resolve().is_relative_to(uploads) and path.is_file():
                path.unlink()
        except OSError:
            pass


def keep_upload(slot, name: str, loaded: Loaded) -> None:
    """Keep a visitor's checkpoint in the tab's list; past `MAX_UPLOADS_KEPT`, the oldest goes, its
    model and its files with it (uploads live in the app's temp folder)."""
    old = slot.uploads.pop(name, None)
    slot.uploads[name] = loaded
    dropped = [old] if old is not None and old is not loaded else []
    while len(slot.uploads) > MAX_UPLOADS_KEPT:
        dropped.append(slot.uploads.pop(next(iter(slot.uploads))))
    for gone in dropped:
        if slot.loaded is gone:
            slot.loaded, slot.source, slot.scatter_cache = None, "default", None
        shutil.rmtree(gone.path, ignore_errors=True)
