"""A model tab put together: Train and Live side by side, Explore below, then Checkpoints and the Hub.

Each panel owns its layout and handlers; this module lays them out and wires the events that cross
panels: a new run clears the live panels and turns Explore to it, a new variant shows its record,
a loaded checkpoint becomes the variant, and the page's (re)load brings everything back.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from gan_playground.errors import UserError
from gan_playground.ui.checkpoint_panel import CheckpointPanel
from gan_playground.ui.context import AppContext
from gan_playground.ui.explorers import EXPLORERS
from gan_playground.ui.hub_panel import HubPanel
from gan_playground.ui.i18n import lang_of, t
from gan_playground.ui.lab import SideBySidePanel, StepByStep
from gan_playground.ui.live import LivePanel
from gan_playground.ui.spec import TabSpec
from gan_playground.ui.tab import Tab, refusal
from gan_playground.ui.text import class_choices, status_text
from gan_playground.ui.tools import INTERNAL, load_doc, pull_doc, resume_doc, status_doc, tool
from gan_playground.ui.train import TrainPanel


class ModelTab(Tab):
    def build(self) -> None:
        spec = self.spec
        gr.Markdown(t(f"intro.{spec.key}"))
        self.train, self.live = TrainPanel(self), LivePanel(spec, self)
        self.checkpoints, self.hub = CheckpointPanel(self), HubPanel(self)
        self.lab_steps = StepByStep(self) if spec.points else None
        self.side_by_side = SideBySidePanel(self) if spec.points else None
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=340):
                self.train.build()
            with gr.Column(scale=3, min_width=400):
                self.live.build(after_picture=self.lab_steps.build if self.lab_steps is not None else None)
        if self.side_by_side is not None:
            self.side_by_side.build()
        gr.Markdown(t("explore.heading"))
        self.source = gr.Markdown(elem_id=f"{spec.key}-source")
        self.explorers = [EXPLORERS[name](self) for name in spec.explorers]
        tabbed = [e for name, e in zip(spec.explorers, self.explorers, strict=True) if name != "landscape"]
        for name, e in zip(spec.explorers, self.explorers, strict=True):
            if name == "landscape":
                e.build()
        if tabbed:
            with gr.Tabs():
                for e in tabbed:
                    e.build()
        self.checkpoints.build()
        self.hub.build()
        self.wire()

    @property
    def class_controls(self) -> list[Any]:
        return [c for e in self.explorers for c in e.class_controls]

    # -- what Explore looks at ------------------------------------------------------------------------
    def explore_info(self, request: gr.Request = None):
        """Which model Explore looks at, and the class choices it has."""
        slot = self.slot(request)
        text = self.ctx.source_text(slot, self.spec, self.variant(slot))
        try:
            with self.explored(request) as src:
                k = src.model.num_conditions
                word = "cluster" if src.model.name == "aae-cluster" else "class"
                classes = src.classes if word == "class" else ()
        except UserError:
            k, classes, word = 0, (), "class"
        choices = class_choices(classes, k, word) if k else ["(no classes)"]
        updates = [gr.update(choices=choices, value=choices[0], interactive=bool(k)) for _ in self.class_controls]
        return [text, *updates] if updates else text  # one output takes its value as it is, not a list

    def choose_variant(self, variant, request: gr.Request = None):
        slot = self.slot(request)
        slot.variant = self.spec.model_of(variant)
        return self.explore_info(request)

    def init(self, request: gr.Request = None):
        """Page load or reload: the lists, what Explore looks at, and the page's run in this tab if any
        (its status, plots and samples carry on from here)."""
        slot = self.slot(request)
        info = self.explore_info(request)
        # a page that chose nothing yet keeps what it shows: a variant clicked while it loaded stays
        variant = gr.update(value=slot.variant) if slot.variant else gr.skip()
        return [variant, *self.checkpoints.choices_updates(slot),
                *(info if isinstance(info, list) else [info]), *self.train.controls(slot.job, lang=lang_of(request)),
                *self.live.show(request), self.train.runs_update(request), *self.train.restore_form(slot)]

    def init_outputs(self) -> list[Any]:
        c, t = self.checkpoints, self.train
        return [t.variant, c.resume_choice, c.load_choice, self.source, *self.class_controls, t.status,
                self.live.timer, *t.buttons, *self.live.outputs, t.runs, *t.form]

    # -- wiring ---------------------------------------------------------------------------------------
    def wire(self) -> None:
        t, live, c, h = self.train, self.live, self.checkpoints, self.hub
        explore_out = [self.source, *self.class_controls]
        new_run = [(self.explore_info, explore_out), (live.show, live.outputs)]
        t.wire(on_new_run=new_run, timer=live.timer)
        t.variant.change(self.choose_variant, t.variant, explore_out, api_name=self.api("choose_variant"),
                         api_visibility=INTERNAL, show_progress="hidden").then(
            live.show, None, live.outputs, api_visibility="private", show_progress="hidden")
        # outside the queue (one POST a tick): many pages polling beside a training job stay fast
        live.timer.tick(live.poll, None, [t.status, *live.outputs, live.timer, *t.buttons], api_name=self.api("poll"),
                        api_visibility=INTERNAL, queue=False, show_progress="hidden")
        # what an assistant polls instead (tools.py): the same run in words, through the queue like its start
        gr.api(tool(self.status, self.api("status"), status_doc(self.spec)), api_name=self.api("status"))
        if self.spec.points:
            live.layers.change(live.set_layers, live.layers, live.heatmap, api_name=self.api("layers"),
                               api_visibility=INTERNAL, show_progress="hidden")
        live.timelapse_btn.click(self.timelapse, None, live.timelapse, api_name=self.api("timelapse"),
                                 api_visibility=INTERNAL, show_progress="minimal").success(
            lambda gif: gif, live.timelapse, live.timelapse_view, api_visibility="private", show_progress="hidden")

        c.save_btn.click(c.save, None, [c.save_msg, c.resume_choice, c.load_choice], api_name=self.api("save"),
                         api_visibility=INTERNAL, show_progress="minimal")
        c.download_btn.click(c.download, None, c.download_file, api_name=self.api("download"),
                           api_visibility=INTERNAL, show_progress="minimal")
        c.resume_choice.focus(c.refresh, None, [c.resume_choice, c.load_choice], api_name=self.api("checkpoints"),
                              api_visibility=INTERNAL, show_progress="hidden")
        resumed = c.resume_btn.click(tool(c.resume, self.api("resume_checkpoint"), resume_doc(self.spec)),
                                     [c.resume_choice, c.lr_factor, t.steps],
                                     [t.status, live.timer, *t.buttons], api_name=self.api("resume_checkpoint"),
                                     show_progress="minimal", concurrency_limit=None)
        for fn, outputs in new_run:
            resumed = resumed.then(fn, None, outputs, api_visibility="private", show_progress="hidden")
        shipped = self.ctx.shipped_for(self.spec)
        c.load_btn.click(tool(c.load, self.api("load_checkpoint"), load_doc(self.spec, shipped)),
                         [c.load_choice, c.load_files], [c.load_msg, t.variant, c.resume_choice, c.load_choice],
                         api_name=self.api("load_checkpoint"), show_progress="minimal").then(
            self.explore_info, None, explore_out, api_name=self.api("explore_info"),
            api_visibility=INTERNAL, show_progress="hidden").then(
            live.show, None, live.outputs, api_visibility="private", show_progress="hidden")
        h.push_btn.click(h.push, [h.push_repo, h.push_token, h.push_private], h.push_msg, api_name=self.api("push_hub"),
                         api_visibility=INTERNAL, show_progress="minimal")  # a write token is no assistant's
        h.pull_btn.click(tool(h.pull, self.api("pull_hub"), pull_doc(self.spec)), [h.pull_repo, h.pull_token],
                         [h.pull_msg, t.variant], api_name=self.api("pull_hub"),
                         show_progress="minimal").then(
            self.explore_info, None, explore_out, api_visibility="private", show_progress="hidden").then(
            live.show, None, live.outputs, api_visibility="private", show_progress="hidden")
        for e in self.explorers:
            e.wire()
        for extra in (self.lab_steps, self.side_by_side):
            if extra is not None:
                extra.wire()

    def status(self, request: gr.Request = None) -> str:
        """The tab's run in words, for an assistant: what the status line says, then the last losses and
        scores (the page draws them as plots), then the run's message."""
        job = self.slot(request).job
        if job is None:
            return f"No run in this tab on this page yet: start one with {self.api('start')}."
        snap = job.snapshot()
        unit = "points" if self.spec.points else "images"
        lines = [self.status_line(job, status_text(snap, job.model.name, job.run.config.dataset, unit=unit))]
        if snap.history_steps:
            losses = ", ".join(f"{k} {v[-1]:.4g}" for k, v in snap.history.items() if v)
            lines.append(f"Losses at step {snap.history_steps[-1]:,}: {losses}.")
        if snap.score_steps:
            scores = ", ".join(f"{k} {v[-1]:.4g}" for k, v in snap.scores.items() if v)
            lines.append(f"Scores at step {snap.score_steps[-1]:,}: {scores}.")
        if snap.message:
            lines.append(snap.message)
        return "\n".join(lines).replace("**", "")

    def timelapse(self, request: gr.Request = None):
        """A GIF of the tab's run: the previews it recorded, first to last."""
        from gan_playground.ui.live import lab_frames, timelapse_gif

        slot = self.slot(request)
        if slot.job is None:
            raise refusal("No run in this tab yet: press Start, and make the timelapse once it has trained a little.")
        frames = slot.job.frames()
        if self.spec.points:  # the pictures as the Lab drew them (landscape and arrows); else its points
            frames = lab_frames(slot.job) or frames
        path = self.ctx.tmp_path(".gif")
        real = slot.job.run.dataset.test[:600].numpy() if self.spec.points else None
        try:
            timelapse_gif(frames, path, points_real=real)
        except UserError as err:
            raise refusal(str(err)) from None
        return str(path)


def build_tab(ctx: AppContext, spec: TabSpec) -> ModelTab:
    tab = ModelTab(ctx, spec)
    with gr.Tab(t(f"tab.{spec.key}"), id=spec.key):
        tab.build()
    return tab
