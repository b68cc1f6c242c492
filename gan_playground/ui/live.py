"""The Live panel: losses, scores by kind, the sample grid (or the Lab's points and landscape), a
message, and the timelapse. It draws a job's snapshot, or, before any run, what the explored
checkpoint recorded while it trained (its history.csv and samples).

Pictures and data frames are built once per new snapshot (`views`), not once per reader, and a
poll with nothing new answers at once with `gr.skip()`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import gradio as gr
import numpy as np
import pandas as pd
import torch

from gan_playground import explore, landscape
from gan_playground.checkpoints import Loaded
from gan_playground.data import open_image
from gan_playground.engine import MAX_FRAMES, Snapshot, TrainingJob
from gan_playground.errors import DataError, UserError
from gan_playground.models import MODELS
from gan_playground.records import MAX_PICTURE_PIXELS, read_history_csv
from gan_playground.ui.about import LATEX
from gan_playground.ui.context import app_dataset
from gan_playground.ui.controls import IDLE, button_updates
from gan_playground.ui.i18n import LANGUAGES, lang_of, t
from gan_playground.ui.objectives import objective_text, scores_help
from gan_playground.ui.text import (
    PLOTS,
    SCORE_KINDS,
    class_histogram_text,
    long_frame,
    loss_series,
    message_text,
    narration,
    score_frames,
    status_text,
)

SCORES_OF = {"acgan": ("fid", "fraction"), "aae": ("fid", "fraction", "fit"), "wgan": ("fid",)}  # plots by family
EXTENT = 2.2  # the Lab's view: [-2.2, 2.2]^2 holds every toy set
LANDSCAPE_EVERY_S = 2.0  # the critic's heat map costs a grid of critic calls: redrawn at most this often


@dataclass
class View:
    """What the Live panels show for one state of a run (or of a checkpoint's record)."""

    status: str  # the Train panel's status line, in English
    caption: str  # the line above the plots: whose curves these are
    losses: pd.DataFrame
    scores: dict[str, pd.DataFrame]
    modes: int | None = None  # the Lab's data set's gaussians: the modes plot's fixed height
    picture: np.ndarray | None = None  # a sample grid, or the Lab's landscape
    points: pd.DataFrame | None = None  # the Lab's real and generated points
    message: str = ""
    fake: np.ndarray | None = None  # the Lab's generated points as drawn (the next picture's trails start there)
    values: np.ndarray | None = None  # the Lab's critic grid as drawn (a critic step's change is shown against it)
    statuses: dict[str, str] = field(default_factory=dict)  # the status line in the other languages

    def status_in(self, lang: str) -> str:
        """The status line in the page's language (built with the view: once per snapshot, not per reader)."""
        return self.statuses.get(lang, self.status)


@dataclass
class _Cached:
    version: int = -1
    layers: tuple[str, ...] = ()
    view: View | None = None
    lab_frames: list[tuple[int, np.ndarray]] = field(default_factory=list)  # the Lab's timelapse, as drawn
    landscape_t: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_VIEWS: "weakref.WeakKeyDictionary[Any, _Cached]" = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def enlarge(picture: np.ndarray, target: int) -> np.ndarray:
    """Repeat pixels so that a small grid (e.g. 8 x 28 px) fills about `target` px, still crisp."""
    scale = max(1, round(target / max(picture.shape[:2])))
    return picture.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else picture


def points_frame(real: np.ndarray, fake: np.ndarray | None) -> pd.DataFrame:
    """Generated points first, real ones after: drawn in that order, the data stays on top."""
    parts = []
    for pts, name in ((fake, "generated"), (real, "real data")):
        if pts is not None and len(pts):
            pts = np.asarray(pts, dtype=np.float64).round(3)  # a tooltip shows 0.427, not 0.4269999862
            parts.append(pd.DataFrame({"x": pts[:, 0], "y": pts[:, 1], "points": name}))
    return pd.concat(parts, ignore_index=True)


def critic_of(model):
    """The critic a Lab picture draws, or None (no critic, or a sampling folder saved without it)."""
    critic = getattr(model, "critic", None)
    if critic is None or (model.sampling_only and "critic" not in model.explored_adversaries):
        return None
    return critic


def critic_grid(model, resolution: int = 64) -> np.ndarray | None:
    critic = critic_of(model)
    return None if critic is None else landscape.critic_values(critic, resolution=resolution, extent=EXTENT,
                                                               device=model.device)


def lab_picture(model, real: np.ndarray, fake: np.ndarray | None, *, resolution: int = 64,
                layers: tuple[str, ...] = landscape.DEFAULT_LAYERS, values: np.ndarray | None = None,
                trail_from: np.ndarray | None = None, changed_from: np.ndarray | None = None) -> np.ndarray | None:
    """The Lab's picture with the chosen `layers` (landscape.LAYERS), or None without a critic.

    The generated points are what the caller passes (the run's preview: the generator it trains,
    unless a moving average was asked for); the manifold is drawn through the same network.
    `values`: the critic's grid if the caller has it; `trail_from` and `changed_from` (the points
    and the grid before the step just taken) highlight what that step changed."""
    critic = critic_of(model)
    if critic is None:
        return None
    if "critic landscape" not in layers:
        values = None
    elif values is None:
        values = critic_grid(model, resolution)
    directions = None
    if "arrows" in layers and fake is not None and len(fake):
        points = torch.as_tensor(np.asarray(fake[:48]), dtype=torch.float32, device=model.device)
        directions = landscape.generator_directions(critic, points)
    manifold = (landscape.generator_manifold(model.sampling_net, model.latent_dim, device=model.device)
                if "generator's manifold" in layers else None)
    return landscape.landscape_picture(values, real if "real points" in layers else None, fake, directions,
                                       manifold=manifold, show_fake="generated points" in layers, size=360,
                                       trail_from=trail_from if "generated points" in layers else None,
                                       changed_from=changed_from, extent=EXTENT)


def job_view(job: TrainingJob, *, points: bool, saved: list[str],
             layers: tuple[str, ...] = landscape.DEFAULT_LAYERS) -> View:
    """The job's view at its current snapshot, built once per snapshot version and shared by every
    reader. The Lab's landscape (a grid of critic calls under the model lock) is redrawn at most
    every LANDSCAPE_EVERY_S; in between a new view keeps the previous picture (the same object, so
    a reader can tell that it need not send it again)."""
    with _VIEWS_LOCK:
        cached = _VIEWS.setdefault(job, _Cached())
    with cached.lock:
        if cached.view is not None and cached.version == job.snapshot_version and cached.layers == layers:
            return cached.view
        now = time.monotonic()
        # stepped by hand (paused) or in slow motion, every new state is worth its picture
        redraw = (cached.view is None or job.done or job.state == "paused" or job.steps_per_s is not None
                  or now - cached.landscape_t >= LANDSCAPE_EVERY_S or cached.layers != layers)
        snap = job.snapshot()
        view = _build_view(job, snap, points=points, saved=saved, previous=cached.view, landscape_due=redraw,
                           layers=layers)
        if points and redraw:
            cached.landscape_t = now
            if view.picture is not None and view.picture is not getattr(cached.view, "picture", None):
                _keep_frame(cached.lab_frames, snap.step, view.picture)
        cached.version, cached.layers, cached.view = snap.version, layers, view
        return view


def _keep_frame(frames: list[tuple[int, np.ndarray]], step: int, picture: np.ndarray) -> None:
    """The Lab's timelapse keeps the pictures as the page drew them (landscape, arrows, points), at
    most MAX_FRAMES: past that, every other one goes, so the whole run stays, at half the detail.
    Kept at half their size (the GIF enlarges them again): 120 full pictures held 51 MB a run."""
    small = np.ascontiguousarray(picture[::2, ::2])
    if frames and frames[-1][0] == step:
        frames[-1] = (step, small)
        return
    frames.append((step, small))
    if len(frames) > MAX_FRAMES:
        frames[:] = frames[::2]


def lab_frames(job: TrainingJob) -> list[tuple[int, np.ndarray]]:
    """The Lab pictures drawn of `job` so far, first to last."""
    with _VIEWS_LOCK:
        cached = _VIEWS.get(job)
    return list(cached.lab_frames) if cached is not None else []



def _build_view(job: TrainingJob, snap: Snapshot, *, points: bool, saved: list[str], previous: View | None,
                landscape_due: bool, layers: tuple[str, ...]) -> View:
    model, data = job.model.name, job.run.config.dataset
    latest = {k: v[-1] for k, v in snap.history.items() if v and math.isfinite(v[-1])}
    caption = f"Live: **{model}** on {data}, this tab's run.\n\n" + objective_text(model, latest, ema=_ema(job.model))
    unit = "points" if points else "images"
    view = View(status_text(snap, model, data, unit=unit), caption,
                long_frame(snap.history_steps, loss_series(snap.history), "loss"),
                score_frames(snap.history_steps, snap.history, snap.score_steps, snap.scores),
                modes=_modes_of(job.run.dataset), message=message_text(snap, saved),
                statuses={lang: status_text(snap, model, data, unit=unit, lang=lang) for lang in LANGUAGES
                          if lang != "en"})
    histogram = class_histogram_text(snap.scores, job.run.dataset.classes)
    if histogram:
        view.message = f"{view.message}\n\n{histogram}" if view.message else histogram
    if snap.preview is None:
        return view
    if points:
        real = job.run.dataset.test[:600].numpy()
        view.points, view.fake = points_frame(real, snap.preview), snap.preview
        if landscape_due or previous is None or previous.picture is None:
            moved = snap.phase in ("generator", "both") and previous is not None and previous.fake is not None
            taught = snap.phase in ("critic", "both") and previous is not None and previous.values is not None
            with job.exclusive() as m:  # between two steps: a few milliseconds
                view.values = critic_grid(m) if "critic landscape" in layers else None
                view.picture = lab_picture(m, real, snap.preview, layers=layers, values=view.values,
                                           trail_from=previous.fake if moved else None,
                                           changed_from=previous.values if taught else None)
        else:
            view.picture, view.values = previous.picture, previous.values
        if snap.phase:  # a step taken by hand or in slow motion: what it did, sub-step by sub-step
            latest = {k: v[-1] for k, v in snap.history.items() if v}
            told = narration(snap.phase, latest, getattr(job.model.config, "n_critic", 1))
            view.message = f"{told}\n\n{view.message}" if view.message else told
    else:
        view.picture = enlarge(snap.preview, 420)
    return view


def record_view(loaded: Loaded, *, points: bool, label: str,
                layers: tuple[str, ...] = landscape.DEFAULT_LAYERS) -> View:
    """Before any run: the curves and samples a checkpoint recorded while it trained."""
    steps, losses, score_steps, scores = read_history_csv(loaded.path / "history.csv")
    latest = {k: v[-1] for k, v in losses.items() if v and math.isfinite(v[-1])}
    caption = (f"Recorded while **{label}** trained: {loaded.model.name} on {loaded.run.dataset}, "
               f"{loaded.step:,} steps: these are its curves and samples.\n\n"
               + objective_text(loaded.model.name, latest, ema=_ema(loaded.model)))
    view = View("Not training. Below: a shipped or loaded checkpoint's record. Choose settings and press **Start** "
                "to train your own.", caption, long_frame(steps, loss_series(losses), "loss"),
                score_frames(steps, losses, score_steps, scores))
    model = loaded.model
    if points:
        data = app_dataset(loaded.run.dataset)
        view.modes = _modes_of(data)
        real = data.test[:600].numpy()
        gen = torch.Generator(device=model.device).manual_seed(loaded.run.seed + 1)
        fake = model.sample(model.random_latents(512, gen)).cpu().numpy()
        view.points = points_frame(real, fake)
        view.picture = lab_picture(model, real, fake, layers=layers)
    elif (loaded.path / "samples.png").is_file():
        with contextlib.suppress(DataError), open_image(loaded.path / "samples.png",
                                                         max_pixels=MAX_PICTURE_PIXELS) as im:
            view.picture = enlarge(np.asarray(im.convert("RGB")), 420)
    return view


def _ema(model) -> float:
    """The decay of the moving average that draws the samples (0: the generator itself). The AAEs'
    averages are of their encoders: their samples come from the decoder."""
    return 0.0 if model.family == "aae" else float(getattr(model, "ema_decay", 0.0) or 0.0)


def _modes_of(dataset) -> int | None:
    return None if getattr(dataset, "modes", None) is None else len(dataset.modes)


def empty_view(status: str, caption: str = "") -> View:
    return View(status, caption, long_frame([], {}, "loss"), {})



LOSS_PALETTE = ("#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def loss_colours(spec) -> dict[str, str]:
    """One colour per loss of the tab's models, fixed: a loss keeps its colour whatever order its
    first values arrive in (a critic step logs loss_d before loss_g exists)."""
    names: list[str] = []
    for model in spec.variants.values():
        names += [n for n in MODELS[model].loss_names if n not in SCORE_KINDS and n not in names]
    return {name: LOSS_PALETTE[i % len(LOSS_PALETTE)] for i, name in enumerate(names)}


class LivePanel:
    """Layout, and the updates that draw a `View` into it."""

    def __init__(self, spec, tab):
        self.spec, self.tab = spec, tab

    def build(self, after_picture: Callable[[], None] | None = None) -> None:
        """`after_picture` lays out what belongs right under the picture (the Lab's step buttons)."""
        spec = self.spec
        gr.Markdown(t("live.heading"))
        # The picture first: on a phone the columns stack, and it comes right after Start.
        if spec.points:
            with gr.Row(equal_height=True):
                self.samples = gr.ScatterPlot(
                    x="x", y="y", color="points", title=t("live.points_title"), x_lim=[-EXTENT, EXTENT],
                    y_lim=[-EXTENT, EXTENT], show_label=False, height=360, min_width=300,
                    color_map={"real data": "#111111", "generated": "#ff8c00"}, elem_id=f"{spec.key}-samples")
                self.heatmap = gr.Image(format="png", height=394, interactive=False, show_label=False,
                                        buttons=["download"], min_width=300, elem_id=f"{spec.key}-heatmap")
            if after_picture is not None:
                after_picture()
            self.message = gr.Markdown(latex_delimiters=LATEX, elem_id=f"{spec.key}-message")  # (narrates steps)
            self.layers = gr.CheckboxGroup([(t(f"live.layer.{i}"), name) for i, name in enumerate(landscape.LAYERS)],
                                           value=list(landscape.DEFAULT_LAYERS),
                                           label=t("live.layers"), elem_id=f"{spec.key}-layers")
            gr.Markdown(t("live.legend"), latex_delimiters=LATEX, elem_id=f"{spec.key}-legend")
        else:
            self.samples = gr.Image(format="png", interactive=False, height=440, show_label=False,
                                    elem_id=f"{spec.key}-samples")
            gr.Markdown("*" + t(f"samples.{spec.key}") + "*")
            self.message = gr.Markdown(latex_delimiters=LATEX, elem_id=f"{spec.key}-message")
        self.loss_plot = gr.LinePlot(x="step", y="value", color="loss", title=t("live.losses"), x_title="step",
                                     y_title="loss", label=t("live.losses_label"), show_label=False,
                                     color_map=loss_colours(spec), elem_id=f"{spec.key}-loss-plot")
        # right under the curves: whose they are, and what they optimize (the objective, its values now)
        self.caption = gr.Markdown(latex_delimiters=LATEX, elem_id=f"{spec.key}-live-caption")
        self.score_plots: dict[str, gr.LinePlot] = {}
        with gr.Row():
            for kind, (_title, y_title, y_range) in PLOTS.items():
                self.score_plots[kind] = gr.LinePlot(
                    x="step", y="value", color="score", title=t(f"live.plot.{kind}"), x_title="step", y_title=y_title,
                    y_lim=list(y_range) if y_range else None, show_label=False, visible=False, min_width=260,
                    elem_id=f"{spec.key}-{kind}-plot")
        gr.Markdown(scores_help(SCORES_OF[spec.family] if not spec.points else ("modes", "fraction")),
                    elem_id=f"{spec.key}-scores-help")
        with gr.Accordion(t("live.timelapse_box"), open=False):
            with gr.Row():
                self.timelapse_btn = gr.Button(t("live.timelapse_btn"), elem_id=f"{spec.key}-timelapse-btn")
                self.timelapse = gr.File(label=t("live.timelapse_file"), interactive=False,
                                         elem_id=f"{spec.key}-timelapse")
            self.timelapse_view = gr.Image(type="filepath", interactive=False, show_label=False, height=360,
                                           elem_id=f"{spec.key}-timelapse-view")
        self.timer = gr.Timer(1.0, active=False)

    @property
    def outputs(self) -> list[Any]:
        """Every component a view is drawn into, in `updates` order."""
        return [self.loss_plot, *self.score_plots.values(), self.samples,
                *([self.heatmap] if self.spec.points else []), self.message, self.caption]

    def updates(self, view: View) -> list[Any]:
        # No x_lim: Gradio's plot (6.31), given new data and a new x_lim in one update, draws the new
        # axis around the old data (another variant's curves after a switch; a live run's a tick
        # late). Each plot spans its own data: all end at the newest step (`score_curves` holds a
        # score to it), a score plot starts at its first measurement (the FID's floor at the first step).
        out: list[Any] = [gr.update(value=view.losses)]
        for kind in self.score_plots:
            frame = view.scores.get(kind)
            if frame is None:
                out.append(gr.update(value=None, visible=False))
            elif kind == "modes":  # counts from 0 to all of them: a flat 8 is an axis of 0..9, not "8.000000";
                # one height per data set (a y_lim that moves with the data is drawn as x_lim is, above)
                top = view.modes if view.modes is not None else float(frame.value.max())
                out.append(gr.update(value=frame, y_lim=[0, top + 1], visible=True))
            else:
                out.append(gr.update(value=frame, visible=True))
        if self.spec.points:
            out.append(view.points if view.points is not None else None)
            out.append(view.picture)
        else:
            out.append(view.picture)
        out += [view.message, view.caption]
        return out

    def skips(self) -> list[Any]:
        return [gr.skip()] * len(self.outputs)

    # -- handlers -------------------------------------------------------------------------------------
    def view_of(self, slot) -> View:
        """The page's run in this tab; before any, what the explored checkpoint recorded."""
        if slot.job is not None:
            return job_view(slot.job, points=self.spec.points, saved=[p.name for p in slot.saved if p.is_dir()],
                            layers=slot.layers)
        found = self.tab.ctx.candidates(slot, self.spec, self.tab.variant(slot))
        if found and isinstance(found[0], Loaded):
            with self.tab.ctx.explored(slot, self.spec, self.tab.variant(slot)) as src:
                return record_view(found[0], points=self.spec.points, label=src.label.split(":")[0],
                                   layers=slot.layers)
        model = self.tab.variant(slot)
        return empty_view(IDLE, f"No checkpoint of {model} to show yet: train one with **Start**.\n\n"
                                + objective_text(model))

    def show(self, request: gr.Request = None):
        """Draw the live panels from scratch: after a page (re)load, a new run, another variant."""
        slot = self.tab.slot(request)
        view = self.view_of(slot)
        slot.drawn, slot.drawn_picture = view, view.picture
        return self.updates(view)

    def set_layers(self, layers, request: gr.Request = None):
        """The Lab picture's layers: what it shows of landscape.LAYERS; redrawn at once."""
        slot = self.tab.slot(request)
        slot.layers = tuple(name for name in landscape.LAYERS if name in (layers or []))
        view = self.view_of(slot)
        slot.drawn, slot.drawn_picture = view, view.picture
        return view.picture

    def poll(self, request: gr.Request = None):
        """One timer tick: [status, *live, timer, *buttons]; only what changed is sent."""
        slot = self.tab.slot(request)
        job = slot.job
        if job is None:
            return [gr.skip(), *self.skips(), gr.Timer(active=False), *button_updates(None)]
        view = job_view(job, points=self.spec.points, saved=[p.name for p in slot.saved if p.is_dir()],
                        layers=slot.layers)
        state = job.state
        # (a run paused by hand polls on while others wait: its turn may end, and its page says so)
        timer = gr.Timer(active=state in ("ready", "running", "queued")
                         or (state == "paused" and self.tab.ctx.sessions.place_of(job) is not None))
        # The status line and buttons follow the job's state and its place in the queue; `show` (after
        # a start) may already have drawn the panels of a run that finished at once, but never the
        # status: it is sent here.
        lang = lang_of(request)
        line = self.tab.status_line(job, view.status_in(lang), lang)
        if line != slot.status_shown:
            status, buttons = line, button_updates(state)
        else:
            status, buttons = gr.skip(), [gr.skip()] * 4
        slot.status_shown = line
        if view is slot.drawn:  # no new panels since this page's last poll
            return [status, *self.skips(), timer, *buttons]
        same_picture = view.picture is slot.drawn_picture
        slot.drawn, slot.drawn_picture = view, view.picture
        out = self.updates(view)
        if same_picture:  # the Lab's landscape is redrawn every few seconds, not at every new step
            out[self.outputs.index(self.heatmap if self.spec.points else self.samples)] = gr.skip()
        return [status, *out, timer, *buttons]


def timelapse_gif(frames: list[tuple[int, np.ndarray]], path, *, points_real: np.ndarray | None = None) -> None:
    """A GIF of a run's pictures (sample grids, the Lab's pictures, or its bare points over the
    data), each labelled with its step."""
    if not frames:
        raise UserError("No pictures recorded yet: start a run, and make the timelapse once it has trained a little.")
    pictures = []
    for step, picture in frames:
        if picture.ndim == 2:  # the Lab's points
            picture = landscape.landscape_picture(None, points_real, picture, size=256, extent=EXTENT)
        pictures.append(labelled(enlarge(picture, 320), f"step {step:,}"))
    explore.frames_to_gif(pictures, path, duration_ms=150, bounce=False)


def labelled(picture: np.ndarray, text: str) -> np.ndarray:
    """`picture` under a white strip that says `text`."""
    from PIL import Image, ImageDraw

    strip = Image.new("RGB", (picture.shape[1], 16), (255, 255, 255))
    ImageDraw.Draw(strip).text((4, 2), text, fill=(20, 20, 20))
    return np.concatenate([np.asarray(strip), picture[..., :3]])
