"""The panels every model tab shares: Train, Live, Explore, Load and Share.

A tab is described by a :class:`TabSpec` (its models, data sets, presets and which explorers it
offers); :func:`build_model_tab` lays it out and wires small handlers. Handlers validate, call
the library, and read job snapshots; none of them waits for training. Every event has an
`api_name` of the form `<tab>_<action>` (see `gan_playground.ui.API_NAMES`).
"""

from __future__ import annotations

import inspect
import math
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import numpy as np
import pandas as pd
import torch

from gan_playground import explore, hub, zerogpu
from gan_playground.checkpoints import load_checkpoint, resume_run, save_checkpoint
from gan_playground.config import FieldSpec, RunConfig, build_config, coerce, field_specs
from gan_playground.engine import Snapshot, TrainingJob, prepare_run
from gan_playground.errors import UserError
from gan_playground.metrics import live_evaluator
from gan_playground.models import model_class
from gan_playground.ui.context import AppContext
from gan_playground.ui.sessions import Slot, session_of

LABELS = {  # short, readable names for the settings; the help text says the rest
    "arch": "Architecture", "latent_dim": "Latent size (z)", "lr": "Learning rate", "betas": "Adam betas",
    "n_critic": "Critic steps per G step", "clip": "Clip value c", "lambda_gp": "Gradient penalty λ",
    "k": "Penalty weight k", "p": "Penalty power p", "lambda_lp": "Lipschitz penalty λ",
    "aux_weight": "Class loss weight", "prior": "Prior p(z)", "lr_recon": "Learning rate: reconstruction",
    "lr_reg": "Learning rate: regularization", "lr_sup": "Learning rate: supervised",
    "recon_weight": "Reconstruction weight", "reg_weight": "Adversarial weight",
    "sup_weight": "Supervised weight", "toy_width": "Hidden units", "labels": "Labelled examples", "clusters": "Clusters K",
}
FINAL = ("stopped", "finished", "diverged", "failed")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#31a354")


def _label_order(name: str) -> tuple[int, str]:
    head = name.split(" ")[0]
    return (int(head), name) if head.isdigit() else (10**6, name)
MAX_POINTS_PER_LINE = 400  # a plot's line needs no more; keeps each poll small


@dataclass
class TabSpec:
    key: str  # api prefix and Sessions tab key
    title: str
    family: str  # models' family: "acgan" | "aae" | "wgan"
    variants: dict[str, str]  # label -> model name
    datasets: tuple[str, ...]
    intro: str
    steps: int = 2000  # default step budget
    batch_size: int = 64
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)  # model -> UI defaults
    hidden_fields: tuple[str, ...] = ()  # settings fixed on this tab
    points: bool = False  # the 2-D lab
    explorers: tuple[str, ...] = ("interpolate",)  # of "interpolate", "classes", "latent", "heatmap"
    samples_label: str = "Samples from a fixed z"
    default: str = ""  # the variant chosen at first (default: the first)

    @property
    def default_model(self) -> str:
        return self.default or next(iter(self.variants.values()))


# ----------------------------------------------------------------------------------------------
# Settings: controls from field_specs, validation beside each control

def _range_note(spec: FieldSpec) -> str:
    if spec.kind in ("int", "float", "pair") and (spec.low is not None or spec.high is not None):
        lo = "-∞" if spec.low is None else f"{spec.low:g}"
        hi = "∞" if spec.high is None else f"{spec.high:g}"
        return f" [{lo} – {hi}]"
    return ""


def _display(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == "pair":
        return ", ".join(f"{v:g}" for v in value)
    if spec.kind == "float":
        return f"{value:g}"
    return value


@dataclass
class SettingControls:
    """The union of the settings of a tab's models; each shows only for the models that have it."""

    spec: TabSpec
    names: list[str]
    controls: list[gr.components.Component]

    @staticmethod
    def specs_of(model: str, tab: TabSpec) -> dict[str, FieldSpec]:
        return {s.name: s for s in field_specs(model_class(model).Config)
                if s.ui and s.name not in tab.hidden_fields}

    def default(self, model: str, name: str) -> Any:
        specs = self.specs_of(model, self.spec)
        preset = self.spec.presets.get(model, {})
        return preset.get(name, specs[name].default)

    @classmethod
    def build(cls, tab: TabSpec) -> "SettingControls":
        union: dict[str, tuple[FieldSpec, str]] = {}  # name -> (its spec, the first model that has it)
        for model in (tab.default_model, *tab.variants.values()):
            for name, s in cls.specs_of(model, tab).items():
                union.setdefault(name, (s, model))
        first = cls.specs_of(tab.default_model, tab)
        self = cls(tab, list(union), [])
        for name, (s, owner) in union.items():
            visible = name in first
            s_now = first.get(name, s)
            value = _display(s_now, self.default(owner, name))
            label = f"{LABELS.get(name, name.replace('_', ' ').capitalize())} ({name})"
            info = s_now.help + _range_note(s_now)
            if s.kind == "choice":
                comp = gr.Dropdown(list(s.choices), value=value, label=label, info=info, visible=visible)
            elif s.kind == "bool":
                comp = gr.Checkbox(value=value, label=label, info=info, visible=visible)
            elif s.kind == "int":
                comp = gr.Number(value=value, label=label, info=info, precision=0, visible=visible)
            else:  # floats and pairs as text: "1e-4" and "0.5, 0.9" read as people write them
                comp = gr.Textbox(value=value, label=label, info=info, visible=visible, max_lines=1)
            self.controls.append(comp)
        return self

    def on_model(self, model: str) -> list[Any]:
        """Updates for every control when the model (variant) changes: show, hide, reset."""
        specs = self.specs_of(model, self.spec)
        out = []
        for name in self.names:
            if name in specs:
                s = specs[name]
                out.append(gr.update(visible=True, value=_display(s, self.default(model, name)),
                                     info=s.help + _range_note(s)))
            else:
                out.append(gr.update(visible=False))
        return out

    def overrides(self, model: str, values: list[Any]) -> dict[str, Any]:
        specs = self.specs_of(model, self.spec)
        return {n: v for n, v in zip(self.names, values) if n in specs}


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


def _run_fields() -> dict[str, FieldSpec]:
    return {s.name: s for s in field_specs(RunConfig)}


def validate_start(tab: TabSpec, settings: SettingControls, model: str, dataset: str, steps: Any,
                   batch: Any, seed: Any, values: list[Any]) -> list[str]:
    """A message per input (empty when fine): [variant, dataset, steps, batch, seed, *settings]."""
    run_specs = _run_fields()
    msgs = ["", "", "", "", ""]
    if model not in tab.variants.values():
        msgs[0] = f"Choose one of: {', '.join(tab.variants)}."
    if dataset not in tab.datasets:
        msgs[1] = f"Choose one of: {', '.join(tab.datasets)}."
    for i, (name, value) in enumerate((("steps", steps), ("batch_size", batch), ("seed", seed)), start=2):
        try:
            coerce(run_specs[name], value)
        except UserError as err:
            msgs[i] = str(err)
    specs = settings.specs_of(model, tab) if not msgs[0] else {}
    field_msgs = []
    for name, value in zip(settings.names, values):
        msg = ""
        if name in specs:
            try:
                coerce(specs[name], value)
            except UserError as err:
                msg = str(err)
        field_msgs.append(msg)
    if not any(msgs) and not any(field_msgs):  # each value is fine: check them together
        try:
            build_config(model_class(model).Config, settings.overrides(model, values))
        except UserError as err:
            names = [n for n in settings.names if n in specs and n in str(err)]
            field_msgs[settings.names.index(names[0]) if names else 0] = str(err)
    return msgs + field_msgs


# ----------------------------------------------------------------------------------------------
# Reading a snapshot

def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


STATE_WORDS = {"ready": "Starting", "running": "Training", "paused": "Paused", "stopped": "Stopped",
               "finished": "Finished", "diverged": "Diverged", "failed": "Failed"}


def status_text(snap: Snapshot, model: str, dataset: str) -> str:
    eta = "" if snap.state in FINAL or snap.state == "paused" else f" · ETA **{fmt_time(snap.eta_s)}**"
    rate = f"{snap.images_per_s:,.0f} images/s" if snap.images_per_s > 0 else "measuring speed…"
    state = STATE_WORDS.get(snap.state, snap.state)
    if snap.state == "diverged" and snap.diverged_at is not None:
        state = f"Diverged at step {snap.diverged_at:,}:"
    return (f"**{state}** {model} on {dataset} · step **{snap.step:,} / "
            f"{snap.steps:,}** · {rate} · elapsed {fmt_time(snap.elapsed_s)}{eta}")


def long_frame(steps: list[int], series: dict[str, list[float]], column: str) -> pd.DataFrame:
    """(step, value, <column>) rows, one line per series, at most MAX_POINTS_PER_LINE points each."""
    if not steps:
        return pd.DataFrame({"step": pd.Series(dtype=int), "value": pd.Series(dtype=float),
                             column: pd.Series(dtype=str)})
    stride = max(1, math.ceil(len(steps) / MAX_POINTS_PER_LINE))
    idx = list(range(0, len(steps), stride))
    if idx[-1] != len(steps) - 1:
        idx.append(len(steps) - 1)
    frames = [pd.DataFrame({"step": [steps[i] for i in idx], "value": [float(values[i]) for i in idx],
                            column: name}) for name, values in series.items()]
    return pd.concat(frames, ignore_index=True)


def training_device() -> str:
    """Where jobs are built: on ZeroGPU the CPU (each training slice borrows the GPU), else the best."""
    return "cpu" if zerogpu.active() else "auto"


def autosave_seconds() -> float:
    """`GAN_PLAYGROUND_AUTOSAVE_S`: how often a running job saves itself (default 120 s)."""
    try:
        return max(5.0, float(os.environ.get("GAN_PLAYGROUND_AUTOSAVE_S", "120")))
    except ValueError:
        return 120.0


def message_text(snap: Snapshot, saved: list[str] = ()) -> str:
    """The line under the live panels; after a divergence it points to a checkpoint only if one of
    `saved` (this tab's saves and autosaves, newest last) exists."""
    if snap.state == "diverged":
        if saved:
            return (f"⚠ **{snap.message}** The last good weights are in `{saved[-1]}`: open *Save or resume a "
                    f"checkpoint*, pick it, set the learning-rate factor below 1 (e.g. 0.3) and press *Resume "
                    f"training from checkpoint*.")
        return (f"⚠ **{snap.message}** Nothing was saved before that step. Lower the learning rate "
                f"(e.g. to a third) and press Start again.")
    if snap.state == "failed":
        return f"⚠ **{snap.message}**"
    if snap.state == "finished":
        return (f"✓ Finished {snap.step:,} steps. Explore the model below, save a checkpoint, "
                f"or press Start for a new run.")
    if snap.state == "stopped":
        return f"Stopped at step {snap.step:,}. The model stays here to explore or save."
    return snap.message


def button_updates(state: str | None) -> list[Any]:
    """Start, Pause, Resume, Stop: only what makes sense now can be pressed."""
    running, paused = state in ("ready", "running"), state == "paused"
    return [gr.update(interactive=not (running or paused)), gr.update(interactive=running),
            gr.update(interactive=paused), gr.update(interactive=running or paused)]


def enlarge(picture: np.ndarray, target: int) -> np.ndarray:
    """Repeat pixels so that a small grid (e.g. 8 x 28 px) fills about `target` px, still crisp."""
    scale = max(1, round(target / max(picture.shape[:2])))
    return picture.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else picture


def points_frame(real: np.ndarray, fake: np.ndarray | None) -> pd.DataFrame:
    parts = [pd.DataFrame({"x": real[:, 0], "y": real[:, 1], "points": "real data"})]
    if fake is not None and len(fake):
        parts.append(pd.DataFrame({"x": fake[:, 0], "y": fake[:, 1], "points": "generated"}))
    return pd.concat(parts, ignore_index=True)


def class_choices(classes: tuple[str, ...], k: int, word: str = "class") -> list[str]:
    if classes and len(classes) == k:
        return [f"{i} · {name}" if name != str(i) else str(i) for i, name in enumerate(classes)]
    return [f"{word} {i}" for i in range(k)]


def parse_class(value: Any) -> int:
    text = str(value if value is not None else "0").strip()
    digits = "".join(ch for ch in text.split("·")[0] if ch.isdigit())
    if not digits:
        raise UserError(f"Choose a class (got {value!r}).")
    return int(digits)


# ----------------------------------------------------------------------------------------------
# The tab

class ModelTab:
    """Builds one model tab and owns its handlers (they close over the tab's spec and context)."""

    def __init__(self, ctx: AppContext, spec: TabSpec):
        self.ctx, self.spec = ctx, spec

    # -- helpers ---------------------------------------------------------------------------------------
    def page(self, request: gr.Request | None) -> str:
        """The server-made id of the request's page (see sessions.py)."""
        return self.ctx.sessions.page_of(session_of(request))

    def slot(self, request: gr.Request | None) -> Slot:
        return self.ctx.sessions.slot(self.page(request), self.spec.key)

    def api(self, action: str) -> str:
        return f"{self.spec.key}_{action}"

    def model_of(self, variant: str | None) -> str:
        if variant in self.spec.variants.values():
            return variant
        return self.spec.variants.get(variant or "", self.spec.default_model)

    # -- layout --------------------------------------------------------------------------------------
    def build(self) -> None:
        spec = self.spec
        gr.Markdown(spec.intro)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=340):
                gr.Markdown("### 1 · Train")
                self.variant = gr.Radio([(label, name) for label, name in spec.variants.items()],
                                        value=spec.default_model, label="Variant",
                                        visible=len(spec.variants) > 1)
                self.dataset = gr.Dropdown(list(spec.datasets), value=spec.datasets[0], label="Data set")
                run_specs = _run_fields()
                with gr.Row():
                    self.steps = gr.Number(value=spec.steps, precision=0, label="Step budget",
                                           info="generator updates to train for", minimum=None)
                    self.batch = gr.Number(value=spec.batch_size, precision=0, label="Batch size",
                                           info=f"examples per batch{_range_note(run_specs['batch_size'])}")
                    self.seed = gr.Number(value=0, precision=0, label="Seed", info="fixes weights, batches, noise")
                with gr.Accordion("Model settings", open=True):
                    self.settings = SettingControls.build(spec)
                gr.Markdown(f"Device: **{self.ctx.device_text}** (detected)")
                with gr.Row():
                    self.start_btn = gr.Button("Start", variant="primary")
                    self.pause_btn = gr.Button("Pause", interactive=False)
                    self.resume_btn = gr.Button("Resume", interactive=False)
                    self.stop_btn = gr.Button("Stop", variant="stop", interactive=False)
                self.status = gr.Markdown("Not training. Choose settings and press **Start**.")
                with gr.Accordion("Save or resume a checkpoint", open=False):
                    with gr.Row():
                        self.save_btn = gr.Button("Save checkpoint")
                    self.save_msg = gr.Markdown()
                    self.resume_choice = gr.Dropdown([], label="Checkpoint to resume from",
                                                     info="your saves in this tab, and the shipped ones")
                    self.lr_factor = gr.Slider(0.01, 1.0, value=1.0, step=0.01, label="Learning-rate factor",
                                               info="multiplies every learning rate; lower it (e.g. 0.3) after a divergence")
                    self.resume_ckpt_btn = gr.Button("Resume training from checkpoint")
            with gr.Column(scale=3, min_width=400):
                gr.Markdown("### 2 · Live")
                self.loss_plot = gr.LinePlot(x="step", y="value", color="loss", title="Losses",
                                             x_title="step", y_title="loss",
                                             label="Losses (one line per loss)")
                self.score_plot = gr.LinePlot(x="step", y="value", color="score", title="Scores",
                                              x_title="step", y_title="score",
                                              label="Scores", visible=False)
                if spec.points:
                    with gr.Row():
                        self.samples = gr.ScatterPlot(
                            x="x", y="y", color="points", title="Real and generated points",
                            x_lim=[-2.2, 2.2], y_lim=[-2.2, 2.2], label="Points",
                            color_map={"real data": "#9a9a9a", "generated": "#e66a00"})
                        self.heatmap = gr.Image(label="Critic D(x)", format="png", height=380,
                                                interactive=False)
                    gr.Markdown("Heat map: the critic's value D(x) over the plane, red where it says *real*, "
                                "blue where it says *fake*; black dots are real points, orange ones generated.")
                else:
                    self.samples = gr.Image(label=spec.samples_label, format="png", interactive=False, height=440)
                self.message = gr.Markdown()
        self.timer = gr.Timer(1.0, active=False)

        gr.Markdown("### 3 · Explore")
        self.source = gr.Markdown(self.ctx.source_text(Slot(), spec.family, spec.points))
        self.build_explore()
        with gr.Accordion("Load a checkpoint to explore", open=False):
            with gr.Row():
                self.load_choice = gr.Dropdown([], label="Checkpoint folder", info="under checkpoints/, or your saves",
                                               scale=2)
                self.load_files = gr.File(file_count="multiple", file_types=[".json", ".safetensors"],
                                          label="…or upload config.json + model.safetensors", scale=2)
            self.load_btn = gr.Button("Load checkpoint")
            self.load_msg = gr.Markdown()
        with gr.Accordion("Share (Hugging Face Hub)", open=False):
            with gr.Row():
                self.push_repo = gr.Textbox(label="Repository id", placeholder="your-name/gan-playground-model")
                self.push_token = gr.Textbox(label="Access token", type="password",
                                             info="a write token; used for this push only, never stored")
                self.push_private = gr.Checkbox(label="Private repository", value=False)
            self.push_btn = gr.Button("Push last saved checkpoint to the Hub")
            self.push_msg = gr.Markdown()
            with gr.Row():
                self.pull_repo = gr.Textbox(label="Load from Hub: repository id", placeholder="user/model", scale=3)
                self.pull_btn = gr.Button("Load from Hub", scale=1)
            self.pull_msg = gr.Markdown()
        self.name_elements()
        self.wire()

    def name_elements(self) -> None:
        """elem_id `<tab>-<attribute>` on every component (stable hooks for browser tests)."""
        for name, value in vars(self).items():
            if isinstance(value, gr.components.Component) and not isinstance(value, gr.Timer):
                value.elem_id = f"{self.spec.key}-{name.replace('_', '-')}"
        for name, comp in zip(self.settings.names, self.settings.controls):
            comp.elem_id = f"{self.spec.key}-set-{name.replace('_', '-')}"

    def build_explore(self) -> None:
        spec = self.spec
        self.explore_outputs: list[Any] = []  # controls refreshed when the explored model changes
        if "heatmap" in spec.explorers:
            with gr.Row():
                with gr.Column(scale=1):
                    gr.Markdown("The live heat map above follows the run in this tab. To look at a loaded "
                                "checkpoint's critic (or at this run's, drawn finer), press the button.")
                    self.heat_btn = gr.Button("Draw the critic's landscape", variant="primary")
                self.heat_static = gr.Image(label="Critic landscape of the explored model", format="png",
                                            height=380, interactive=False, scale=1)
        tabs = [e for e in spec.explorers if e != "heatmap"]
        if not tabs:
            return
        with gr.Tabs():
            if "interpolate" in tabs:
                with gr.Tab("Latent interpolation"):
                    with gr.Row():
                        self.seed0 = gr.Number(value=1, precision=0, label="Seed of the first end")
                        self.seed1 = gr.Number(value=2, precision=0, label="Seed of the second end")
                        self.dice = gr.Button("Random seeds", scale=0, min_width=140)
                    with gr.Row():
                        self.mode = gr.Radio([("linear", "linear"), ("spherical (slerp)", "slerp")], value="slerp",
                                             label="Path")
                        self.n_frames = gr.Slider(2, 32, value=10, step=1, label="Steps")
                    with gr.Row(visible="classes" in tabs) as self.end_classes:
                        self.class0 = gr.Dropdown(class_choices((), 10), value="0", label="Class of the first end",
                                                  allow_custom_value=True)
                        self.class1 = gr.Dropdown(class_choices((), 10), value="0", label="Class of the second end",
                                                  allow_custom_value=True)
                    self.interp_btn = gr.Button("Interpolate", variant="primary")
                    self.strip = gr.Gallery(label="Frames, first to last", columns=10, height=260,
                                            object_fit="contain", format="png", allow_preview=True)
                    with gr.Row():
                        self.gif = gr.Image(label="Animation (GIF)", type="filepath", height=220,
                                            interactive=False)
                        self.gif_file = gr.File(label="Download the GIF", interactive=False)
            if "classes" in tabs:
                with gr.Tab("Class conditioning"):
                    with gr.Row():
                        self.grid_class = gr.Dropdown(class_choices((), 10), value="0", label="Class",
                                                      allow_custom_value=True)
                        self.grid_seed = gr.Number(value=0, precision=0, label="Seed")
                        self.n_z = gr.Slider(2, 12, value=8, step=1, label="Columns (z) of the class × z grid")
                    with gr.Row():
                        self.class_btn = gr.Button("Grid of this class", variant="primary")
                        self.cxz_btn = gr.Button("Class × z grid")
                    with gr.Row():
                        self.class_img = gr.Image(label="64 samples of one class", format="png", interactive=False,
                                                  height=460)
                        self.cxz_img = gr.Image(label="Rows: classes; each column keeps its z (style apart from class)",
                                                format="png", interactive=False, height=460)
            if "latent" in tabs:
                with gr.Tab("Latent space"):
                    gr.Markdown("The encoded test set, coloured by label, with samples of the prior. "
                                "Codes of more than 2 dimensions are projected onto their two principal axes. "
                                "Pick a point with the sliders (or drag across the plot to set x) to decode it.")
                    self.scatter_btn = gr.Button("Encode the test set", variant="primary")
                    self.scatter_info = gr.Markdown()
                    with gr.Row():
                        self.latent_plot = gr.ScatterPlot(x="x", y="y", color="label",
                                                          title="Codes of test images", label="Latent space",
                                                          x_title="z₁ (or PC 1)", y_title="z₂ (or PC 2)")
                        with gr.Column():
                            self.px = gr.Slider(-3, 3, value=0, step=0.01, label="x")
                            self.py = gr.Slider(-3, 3, value=0, step=0.01, label="y")
                            self.latent_class = gr.Dropdown(class_choices((), 10), value="0", allow_custom_value=True,
                                                            label="Class given to the decoder",
                                                            info="for the supervised, semi-supervised and clustering AAEs")
                            self.point_img = gr.Image(label="Decoding of (x, y)", format="png", height=180,
                                                      interactive=False)
                    self.plane_btn = gr.Button("Decode a grid over the plane")
                    self.plane_img = gr.Image(label="Decoded over the latent plane (x: left→right, y: bottom→top)",
                                              format="png", interactive=False, height=560)

    # -- wiring ----------------------------------------------------------------------------------------
    def wire(self) -> None:
        spec, s = self.spec, self
        start_inputs = [s.variant, s.dataset, s.steps, s.batch, s.seed, *s.settings.controls]
        buttons = [s.start_btn, s.pause_btn, s.resume_btn, s.stop_btn]
        live = [s.status, s.loss_plot, s.score_plot, s.samples, *([s.heatmap] if spec.points else []), s.message]
        explore_refresh = [s.source, *self.class_controls()]

        s.variant.change(self.settings.on_model, s.variant, s.settings.controls, api_visibility="private",
                         show_progress="hidden")
        start_names = ["variant", "dataset", "steps", "batch_size", "seed", *self.settings.names]
        s.start_btn.click(named_handler(self.start, start_names), start_inputs, [s.status, s.message, s.timer, *buttons],
                          api_name=self.api("start"),
                          validator=named_handler(self.validator, start_names, with_request=False), show_progress="minimal",
                          concurrency_limit=None).then(
            self.explore_info, None, explore_refresh, api_name=self.api("explore_info"), show_progress="hidden")
        s.pause_btn.click(self.pause, None, [s.status, s.timer, *buttons], api_name=self.api("pause"),
                          concurrency_limit=None, show_progress="hidden")
        s.resume_btn.click(self.resume, None, [s.status, s.timer, *buttons], api_name=self.api("resume"),
                           concurrency_limit=None, show_progress="hidden")
        s.stop_btn.click(self.stop, None, [s.status, s.timer, *buttons], api_name=self.api("stop"),
                         concurrency_limit=None, show_progress="hidden")
        s.timer.tick(self.poll, None, [*live, s.timer, *buttons], api_name=self.api("poll"),
                     concurrency_limit=None, show_progress="hidden")
        s.save_btn.click(self.save, None, [s.save_msg, s.resume_choice, s.load_choice], api_name=self.api("save"),
                         show_progress="minimal")
        s.resume_choice.focus(self.checkpoint_list, None, [s.resume_choice, s.load_choice],
                              api_name=self.api("checkpoints"), show_progress="hidden")
        s.resume_ckpt_btn.click(self.resume_checkpoint, [s.resume_choice, s.lr_factor, s.steps],
                                [s.status, s.message, s.timer, *buttons], api_name=self.api("resume_checkpoint"),
                                show_progress="minimal", concurrency_limit=None).then(
            self.explore_info, None, explore_refresh, api_visibility="private", show_progress="hidden")
        s.load_btn.click(self.load, [s.load_choice, s.load_files], s.load_msg, api_name=self.api("load_checkpoint"),
                         show_progress="minimal").then(
            self.explore_info, None, explore_refresh, api_visibility="private", show_progress="hidden")
        s.push_btn.click(self.push, [s.push_repo, s.push_token, s.push_private], s.push_msg,
                         api_name=self.api("push_hub"), show_progress="minimal")
        s.pull_btn.click(self.pull, s.pull_repo, s.pull_msg, api_name=self.api("pull_hub"),
                         show_progress="minimal").then(
            self.explore_info, None, explore_refresh, api_visibility="private", show_progress="hidden")

        ex = dict(concurrency_limit=2, show_progress="minimal")
        if "heatmap" in spec.explorers:
            s.heat_btn.click(self.heatmap_now, None, s.heat_static, api_name=self.api("heatmap"), **ex)
        if "interpolate" in spec.explorers:
            interp_inputs = [s.seed0, s.seed1, s.mode, s.n_frames, s.class0, s.class1]
            s.interp_btn.click(self.interpolate, interp_inputs, [s.strip, s.gif, s.gif_file],
                               api_name=self.api("interpolate"), **ex)
            s.dice.click(self.random_seeds, None, [s.seed0, s.seed1], api_name=self.api("random_seeds"),
                         show_progress="hidden").then(
                self.interpolate, interp_inputs, [s.strip, s.gif, s.gif_file], api_visibility="private", **ex)
        if "classes" in spec.explorers:
            s.class_btn.click(self.class_grid, [s.grid_class, s.grid_seed], s.class_img,
                              api_name=self.api("class_grid"), **ex)
            s.cxz_btn.click(self.class_by_z, [s.n_z, s.grid_seed], s.cxz_img, api_name=self.api("class_by_z"), **ex)
        if "latent" in spec.explorers:
            s.scatter_btn.click(self.latent_scatter, None, [s.latent_plot, s.scatter_info, s.px, s.py],
                                api_name=self.api("latent_scatter"), **ex).then(
                self.latent_plane, s.latent_class, s.plane_img, api_visibility="private", **ex)
            s.px.release(self.decode_point, [s.px, s.py, s.latent_class], s.point_img,
                         api_name=self.api("decode_point"), **ex)
            s.py.release(self.decode_point, [s.px, s.py, s.latent_class], s.point_img,
                         api_visibility="private", **ex)
            s.latent_class.change(self.decode_point, [s.px, s.py, s.latent_class], s.point_img,
                                  api_visibility="private", **ex)
            s.latent_plot.select(self.select_point, [s.py, s.latent_class], [s.px, s.point_img],
                                 api_visibility="private", **ex)
            s.plane_btn.click(self.latent_plane, s.latent_class, s.plane_img, api_name=self.api("latent_plane"), **ex)

    def class_controls(self) -> list[Any]:
        out = []
        if "interpolate" in self.spec.explorers and "classes" in self.spec.explorers:
            out += [self.class0, self.class1]
        if "classes" in self.spec.explorers:
            out += [self.grid_class]
        if "latent" in self.spec.explorers:
            out += [self.latent_class]
        return out

    def init_outputs(self) -> list[Any]:
        return [self.resume_choice, self.load_choice, self.source, *self.class_controls(), self.status,
                self.timer, self.start_btn, self.pause_btn, self.resume_btn, self.stop_btn]

    def init(self, request: gr.Request = None):
        """Page load (or reload): the checkpoints this tab can resume from or load; what Explore looks
        at; and the page's run in this tab, if any, whose status and plots carry on from here."""
        slot = self.slot(request)
        slot.drawn_version = slot.drawn_preview = -1  # a reloaded page has drawn nothing yet
        info = self.explore_info(request)
        controls = self._controls_out(slot) if slot.job is not None else [
            "Not training. Choose settings and press **Start**.", gr.Timer(active=False), *button_updates(None)]
        return [*self._choices_updates(slot), *(info if isinstance(info, tuple) else (info,)), *controls]

    # -- training handlers --------------------------------------------------------------------------------
    def validator(self, variant, dataset, steps, batch, seed, *values):
        msgs = validate_start(self.spec, self.settings, self.model_of(variant), dataset, steps, batch, seed,
                              list(values))
        return [gr.validate(not m, m) for m in msgs]

    def _controls_out(self, slot: Slot, note: str = "") -> list[Any]:
        state = slot.job.state if slot.job is not None else None
        snap = slot.job.snapshot() if slot.job is not None else None
        text = status_text(snap, slot.job.model.name, slot.job.run.run.dataset) if snap else "Not training."
        if note:
            text = f"{note}\n\n{text}"
        # the timer ticks once more at least: that poll draws the new state, then stops the timer
        return [text, gr.Timer(active=state is not None), *button_updates(state)]

    def start(self, variant, dataset, steps, batch, seed, *values, request: gr.Request = None):
        """Validate, load data, build the model, start the job: returns at once, training goes on."""
        model = self.model_of(variant)
        msgs = validate_start(self.spec, self.settings, model, dataset, steps, batch, seed, list(values))
        bad = [m for m in msgs if m]
        slot = self.slot(request)
        idle = [gr.Timer(active=False), *button_updates(slot.job.state if slot.job else None)]
        if bad:
            return ["⚠ Not started: " + " ".join(bad), "", *idle]
        session = self.page(request)

        def build() -> TrainingJob:
            run_cfg = build_config(RunConfig, {"model": model, "dataset": dataset, "steps": steps,
                                               "batch_size": batch, "seed": seed, "device": training_device()})
            run = prepare_run(run_cfg, self.settings.overrides(model, list(values)))
            return self.make_job(run, int(steps), session)

        refused = self._launch(session, build, "started", idle)
        if refused:
            return refused
        return [f"**Starting** {model} on {dataset}…", "", gr.Timer(active=True), *button_updates("running")]

    def _launch(self, session: str, build: Callable[[], TrainingJob], verb: str, idle: list[Any]) -> list[Any] | None:
        """Claim a place under the job cap, build the job and start it. On a user error the place
        is given back and the outputs that say why are returned; None when the job runs."""
        try:
            self.ctx.sessions.reserve(session, self.spec.key)
        except UserError as err:
            return [f"⚠ {err}", "", *idle]
        try:
            job = build()
        except UserError as err:
            self.ctx.sessions.release(session, self.spec.key)
            return [f"⚠ Not {verb}: {err}", "", *idle]
        except BaseException:
            self.ctx.sessions.release(session, self.spec.key)
            raise
        self.ctx.sessions.start_in(session, self.spec.key, job)
        job.start()
        return None

    def make_job(self, run, steps: int, session: str, start_step: int = 0) -> TrainingJob:
        """A job with live scores where they apply, autosaves to the session's folder (the last
        good checkpoint after a divergence), and ZeroGPU slices where the Space has them."""
        points = run.dataset.kind == "points"
        autosave_dir = self.ctx.saves_of(session) / f"{run.model.name}-{run.run.dataset}-autosave"

        slot = self.ctx.sessions.slot(session, self.spec.key)

        def autosave(job: TrainingJob) -> None:
            with job.exclusive():
                save_checkpoint(autosave_dir, job.run, step=job.step, snapshot=job.snapshot())
            if autosave_dir not in slot.saved:
                slot.saved.append(autosave_dir)  # offered under "Checkpoint to resume from"

        return TrainingJob(run, steps=steps, start_step=start_step, log_every=10 if not points else 5,
                           preview_every=25, evaluate=live_evaluator(run.run.dataset, model=run.model),
                           eval_every=250, autosave=autosave, autosave_every_s=autosave_seconds(),
                           **zerogpu.job_options())

    def _on_job(self, request: gr.Request | None, verb: str, act: Callable[[TrainingJob], None]):
        slot = self.slot(request)
        if slot.job is None:
            return [f"No training run in this session to {verb}.", gr.Timer(active=False), *button_updates(None)]
        act(slot.job)
        return self._controls_out(slot)

    def pause(self, request: gr.Request = None):
        return self._on_job(request, "pause", TrainingJob.pause)

    def resume(self, request: gr.Request = None):
        return self._on_job(request, "resume", TrainingJob.resume)

    def stop(self, request: gr.Request = None):
        slot = self.slot(request)
        if slot.job is None or slot.job.done:
            return ["No training run in this session to stop.", gr.Timer(active=False),
                    *button_updates(slot.job.state if slot.job else None)]
        slot.job.stop()
        slot.job.join(timeout=10)  # it stops within one training step
        return self._controls_out(slot)

    def poll(self, request: gr.Request = None):
        """One timer tick: read the job's snapshot; redraw only what changed."""
        slot = self.slot(request)
        n_live = 6 if self.spec.points else 5
        job = slot.job
        if job is None:
            return [*([gr.skip()] * n_live), gr.Timer(active=False), *button_updates(None)]
        snap = job.snapshot()
        active = gr.Timer(active=snap.state in ("ready", "running"))
        if snap.version == slot.drawn_version and snap.state not in FINAL:
            return [*([gr.skip()] * n_live), active, *button_updates(snap.state)]
        slot.drawn_version = snap.version
        status = status_text(snap, job.model.name, job.run.run.dataset)
        # an empty frame would fix the plot's colour scale to no colours: send data or nothing
        losses = long_frame(snap.history_steps, snap.history, "loss") if snap.history_steps else gr.skip()
        scores = (gr.update(value=long_frame(snap.score_steps, snap.scores, "score"), visible=True)
                  if snap.score_steps else gr.skip())
        out: list[Any] = [status, losses, scores]
        if self.spec.points:
            real = job.run.dataset.test[:600].numpy()
            out.append(points_frame(real, snap.preview) if snap.preview is not None else gr.skip())
            out.append(self._live_heatmap(slot, job, snap))
        elif snap.preview is not None and (snap.preview_step != slot.drawn_preview or snap.state in FINAL):
            slot.drawn_preview = snap.preview_step
            out.append(enlarge(snap.preview, 420))
        else:
            out.append(gr.skip())
        out.append(message_text(snap, [p.name for p in slot.saved if p.is_dir()]))
        return [*out, active, *button_updates(snap.state)]

    def _live_heatmap(self, slot: Slot, job: TrainingJob, snap: Snapshot):
        import time
        now = time.monotonic()
        if now - slot.heatmap_t < 2.0 and snap.state not in FINAL:
            return gr.skip()
        slot.heatmap_t = now
        real = job.run.dataset.test[:600].numpy()
        with job.exclusive() as model:  # between two steps: a few milliseconds
            values = explore.critic_values(model.critic, resolution=64, extent=2.2, device=model.device)
        return explore.critic_heatmap(values, real, snap.preview, size=360, extent=2.2)

    # -- checkpoints -------------------------------------------------------------------------------------
    def _choices_updates(self, slot: Slot) -> list[Any]:
        choices = self.ctx.checkpoint_choices(slot, self.spec.family, self.spec.points)
        first = choices[0][1] if choices else None
        return [gr.update(choices=choices, value=first), gr.update(choices=choices, value=first)]

    def checkpoint_list(self, request: gr.Request = None):
        """Refresh the checkpoint choices (a new autosave appears without a reload)."""
        choices = self.ctx.checkpoint_choices(self.slot(request), self.spec.family, self.spec.points)
        return [gr.update(choices=choices), gr.update(choices=choices)]

    def save(self, request: gr.Request = None):
        slot = self.slot(request)
        job = slot.job
        if job is None:
            return ["Nothing to save: start a training run first.", *self._choices_updates(slot)]
        snap = job.snapshot()
        if snap.state == "diverged":
            return ["⚠ The run diverged; its weights are not worth saving. Resume from an earlier save.",
                    *self._choices_updates(slot)]
        session = self.page(request)
        folder = self.ctx.saves_of(session) / f"{job.model.name}-{job.run.run.dataset}-step{snap.step}"
        with job.exclusive():
            step = job.step
            folder = folder.with_name(f"{job.model.name}-{job.run.run.dataset}-step{step}")
            save_checkpoint(folder, job.run, step=step, snapshot=job.snapshot(), command=None)
        if folder not in slot.saved:
            slot.saved.append(folder)
        return [f"Saved step {step:,} as `{folder.name}`: resume it below, download it, or push it to the Hub.",
                *self._choices_updates(slot)]

    def resume_checkpoint(self, checkpoint, lr_factor, steps, request: gr.Request = None):
        slot = self.slot(request)
        idle = [gr.Timer(active=False), *button_updates(slot.job.state if slot.job else None)]
        try:
            folder = self.ctx.resolve_choice(slot, checkpoint)
            factor = float(lr_factor)
            if not 0 < factor <= 1:
                raise UserError(f"The learning-rate factor must be in (0, 1], got {lr_factor}.")
            extra = int(steps)
            if extra < 1:
                raise UserError("The step budget must be at least 1.")
        except (UserError, TypeError, ValueError) as err:
            return [f"⚠ Not resumed: {err}", "", *idle]
        session = self.page(request)
        resumed_at: list[int] = []

        def build() -> TrainingJob:
            loaded = load_checkpoint(folder)
            if loaded.model.family != self.spec.family:
                raise UserError(f"{folder.name} holds a {loaded.model.name} model; this tab trains "
                                f"{', '.join(self.spec.variants.values())}.")
            overrides = {}
            if factor != 1.0:
                specs = {s.name: s for s in field_specs(type(loaded.model.config))}
                overrides = {n: getattr(loaded.model.config, n) * factor for n in specs
                             if n == "lr" or n.startswith("lr_")}
            run, step = resume_run(loaded, device=training_device(), overrides=overrides or None)
            resumed_at.append(step)
            return self.make_job(run, step + extra, session, start_step=step)

        refused = self._launch(session, build, "resumed", idle)
        if refused:
            return refused
        step = resumed_at[0]
        note = f" with learning rates × {factor:g}" if factor != 1.0 else ""
        return [f"**Resuming** {folder.name} from step {step:,}{note}…", "", gr.Timer(active=True),
                *button_updates("running")]

    def _use_loaded(self, slot: Slot, loaded) -> str:
        if loaded.model.family != self.spec.family or (loaded.model.data.kind == "points") != self.spec.points:
            where = "the 2-D Lab" if loaded.model.data.kind == "points" else f"the {loaded.model.family} tab"
            raise UserError(f"{loaded.path.name} holds a {loaded.model.name} model trained on "
                            f"{loaded.run.dataset}: open it in {where}.")
        slot.loaded, slot.source, slot.scatter_cache = loaded, "checkpoint", None
        return f"Loaded **{loaded.model.name}** on {loaded.run.dataset}, step {loaded.step:,}, for exploring."

    def load(self, checkpoint, files, request: gr.Request = None):
        slot = self.slot(request)
        try:
            if files:
                folder = self.ctx.tmp_path("-upload")
                folder.mkdir()
                for f in files:
                    src = Path(f if isinstance(f, str) else getattr(f, "name", f))
                    if src.name not in ("config.json", "model.safetensors", "training_state.safetensors"):
                        raise UserError(f"Refused {src.name}: upload config.json and model.safetensors of one "
                                        f"checkpoint folder (weights are read from safetensors only, never "
                                        f"from pickles or archives).")
                    shutil.copyfile(src, folder / src.name)
                loaded = load_checkpoint(folder)
            else:
                loaded = self.ctx.shipped.get(checkpoint) if checkpoint else None
                loaded = loaded or load_checkpoint(self.ctx.resolve_choice(slot, checkpoint))
            return self._use_loaded(slot, loaded)
        except UserError as err:
            return f"⚠ {err}"

    def push(self, repo_id, token, private, request: gr.Request = None):
        slot = self.slot(request)
        repo_id = (repo_id or "").strip()
        if not repo_id:
            return "⚠ Give a repository id, e.g. your-name/wgan-gp-mnist."
        try:
            if not slot.saved:
                if slot.job is None:
                    raise UserError("Nothing to push: train a model and save a checkpoint first.")
                self.save(request)
            folder = slot.saved[-1]
            url = hub.push_checkpoint(folder, repo_id, token=(token or None), private=bool(private))
        except UserError as err:
            return f"⚠ {err}"
        except Exception as err:  # a network or Hub error not foreseen by hub.py: say it, keep the app alive
            return f"⚠ Push failed: {type(err).__name__}: {err}"
        return f"Pushed `{folder.name}` to [{url}]({url})."

    def pull(self, repo_id, request: gr.Request = None):
        slot = self.slot(request)
        repo_id = (repo_id or "").strip()
        if not repo_id:
            return "⚠ Give a repository id, e.g. user/acgan-mnist."
        try:
            folder = hub.pull_checkpoint(repo_id)
            return self._use_loaded(slot, load_checkpoint(folder))
        except UserError as err:
            return f"⚠ {err}"
        except Exception as err:
            return f"⚠ Loading from the Hub failed: {type(err).__name__}: {err}"

    def explore_info(self, request: gr.Request = None):
        """After the explored model changed: say which it is; refresh the class choices."""
        slot = self.slot(request)
        text = self.ctx.source_text(slot, self.spec.family, self.spec.points)
        updates = []
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                k = src.model.num_conditions
                word = "cluster" if src.model.name == "aae-cluster" else "class"
                classes = src.classes if word == "class" else ()
        except UserError:
            k, classes, word = 0, (), "class"
        for _ in self.class_controls():
            choices = class_choices(classes, k, word) if k else ["(no classes)"]
            updates.append(gr.update(choices=choices, value=choices[0], interactive=bool(k)))
        return (text, *updates) if updates else text

    # -- explore handlers --------------------------------------------------------------------------------
    def _need_images(self, src) -> None:
        if src.is_points:
            raise gr.Error("This model draws 2-D points; its explorer is the critic's landscape in the 2-D Lab.")

    def random_seeds(self):
        return random.randrange(1_000_000), random.randrange(1_000_000)

    def interpolate(self, seed0, seed1, mode, n_frames, class0, class1, request: gr.Request = None):
        slot = self.slot(request)
        try:
            steps = int(n_frames)
            if not 2 <= steps <= 64:
                raise UserError(f"Steps must be between 2 and 64, got {steps}.")
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                self._need_images(src)
                model = src.model
                z0 = explore.latents_from_seed(model, int(seed0 or 0))
                z1 = explore.latents_from_seed(model, int(seed1 or 0))
                y0 = parse_class(class0) if model.num_conditions else None
                y1 = parse_class(class1) if model.num_conditions else None
                frames = explore.interpolation_frames(model, z0, z1, steps, mode, y0, y1)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None
        scale = max(1, 112 // frames.shape[-1])
        pictures = explore.frames_to_pictures(frames, scale=scale)
        path = self.ctx.tmp_path(".gif")
        explore.frames_to_gif(pictures, path)
        gallery = [(p, f"{i + 1}/{steps}") for i, p in enumerate(pictures)]
        return gallery, str(path), str(path)

    def class_grid(self, cls, seed, request: gr.Request = None):
        slot = self.slot(request)
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                self._need_images(src)
                if not src.model.num_conditions:
                    raise UserError(f"{src.model.name} is not conditioned on a class: train or load ACGAN, "
                                    f"or the supervised, semi-supervised or clustering AAE.")
                return enlarge(explore.class_grid(src.model, parse_class(cls), seed=int(seed or 0)), 440)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None

    def class_by_z(self, n_z, seed, request: gr.Request = None):
        slot = self.slot(request)
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                self._need_images(src)
                if not src.model.num_conditions:
                    raise UserError(f"{src.model.name} is not conditioned on a class.")
                return enlarge(explore.class_by_z_grid(src.model, n_z=int(n_z), seed=int(seed or 0)), 440)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None

    def latent_scatter(self, request: gr.Request = None):
        slot = self.slot(request)
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                if not src.model.is_autoencoder:
                    raise UserError(f"{src.model.name} has no encoder.")
                ds = src.dataset()
                data = explore.latent_scatter_data(src.model, ds.test, ds.test_labels, n=2000, prior_n=500)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None
        slot.scatter_cache = data
        pts = np.concatenate([data.points, data.prior])
        lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
        pad = 0.1 * (hi - lo + 1e-6)
        lo, hi = lo - pad, hi + pad
        dim = data.projection.dim
        info = (f"{len(data.points):,} test images encoded to {dim}-D codes"
                + ("; shown as they are." if dim <= 2 else
                   f"; the 2-D view shows {data.explained:.0%} of their variance (PCA)."))
        frame = data.frame(src.classes)
        labels = [x for x in dict.fromkeys(frame["label"]) if x != "prior p(z)"]
        colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(labels, key=_label_order))}
        colours["prior p(z)"] = "#c8c8c8"
        plot = gr.update(value=frame, x_lim=[float(lo[0]), float(hi[0])], y_lim=[float(lo[1]), float(hi[1])],
                         color_map=colours)
        return (plot, info,
                gr.update(minimum=round(float(lo[0]), 2), maximum=round(float(hi[0]), 2), value=0.0),
                gr.update(minimum=round(float(lo[1]), 2), maximum=round(float(hi[1]), 2), value=0.0))

    def _projection(self, slot: Slot, src) -> explore.Projection:
        data = slot.scatter_cache
        if data is not None and data.projection.dim == src.model.latent_dim:
            return data.projection
        if src.model.latent_dim <= 2:
            return explore.fit_projection(torch.zeros(1, src.model.latent_dim))
        raise UserError("Press “Encode the test set” first: it finds the plane to decode from.")

    def decode_point(self, x, y, cls, request: gr.Request = None):
        slot = self.slot(request)
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                if not src.model.is_autoencoder:
                    raise UserError(f"{src.model.name} has no decoder to decode a code with.")
                proj = self._projection(slot, src)
                y_cls = parse_class(cls) if src.model.num_conditions else None
                return explore.decode_point(src.model, proj, (float(x), float(y)), y=y_cls, scale=5)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None

    def select_point(self, y, cls, evt: gr.SelectData, request: gr.Request = None):
        lo, hi = (evt.index if isinstance(evt.index, (list, tuple)) else (evt.index, evt.index))
        x = round((float(lo) + float(hi)) / 2, 2)
        return x, self.decode_point(x, y, cls, request)

    def latent_plane(self, cls, request: gr.Request = None):
        slot = self.slot(request)
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                if not src.model.is_autoencoder:
                    raise UserError(f"{src.model.name} has no decoder.")
                proj = self._projection(slot, src)
                data = slot.scatter_cache
                if data is not None:
                    lo, hi = np.percentile(data.points, 2, axis=0), np.percentile(data.points, 98, axis=0)
                    extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
                else:
                    extent = (-2.5, 2.5, -2.5, 2.5)
                y_cls = parse_class(cls) if src.model.num_conditions else None
                return enlarge(explore.latent_plane_grid(src.model, proj, n=15, extent=extent, y=y_cls), 840)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None

    def heatmap_now(self, request: gr.Request = None):
        slot = self.slot(request)
        try:
            with self.ctx.explored(slot, self.spec.family, self.spec.points) as src:
                if not src.is_points:
                    raise UserError("The critic's landscape is drawn for 2-D models only.")
                model = src.model
                if model.sampling_only:
                    raise UserError("This checkpoint is a folder for sampling: it was saved without its critic, "
                                    "so there is no landscape to draw. Train a run here to see one.")
                ds = src.dataset()
                real = ds.test[:600].numpy()
                fake = model.sample(model.random_latents(512, torch.Generator(device=model.device).manual_seed(0)))
                values = explore.critic_values(model.critic, resolution=96, extent=2.2, device=model.device)
        except (UserError, ValueError) as err:
            raise gr.Error(str(err)) from None
        return explore.critic_heatmap(values, real, fake.cpu().numpy(), size=360, extent=2.2)


def build_model_tab(ctx: AppContext, spec: TabSpec) -> ModelTab:
    tab = ModelTab(ctx, spec)
    with gr.Tab(spec.title, id=spec.key):
        tab.build()
    return tab
