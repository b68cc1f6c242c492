"""What only the 2-D Lab has: training one update at a time, slow motion, and the WGAN variants
trained side by side on the same data and seed."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
import torch

from gan_playground.config import RunConfig, build_config
from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.metrics import TOY_STD, toy_scores
from gan_playground.run import prepare_run
from gan_playground.side_by_side import Lane, SideBySide
from gan_playground.ui import fields
from gan_playground.ui.context import app_dataset
from gan_playground.ui.i18n import t
from gan_playground.ui.live import lab_picture
from gan_playground.ui.settings import run_field
from gan_playground.ui.tab import Tab, check_cost, named_handler, refusal, training_device
from gan_playground.ui.text import STATE_WORDS, read_number
from gan_playground.ui.tools import INTERNAL, step_doc, tool

SPEEDS = ("2", "10", "50", "full")  # steps a second; their words: i18n/en.py's "lab.speed.<speed>"
COMPARE_KEY = "lab-compare"  # the page's slot of a side-by-side run: one job under the cap


class StepByStep:
    """One critic update, one generator update, or one full step, each drawn at once; and a speed."""

    def __init__(self, tab: Tab):
        self.tab = tab

    def build(self) -> None:
        key = self.tab.spec.key
        gr.Markdown(t("lab.steps_intro"))
        with gr.Row():
            self.critic_btn = gr.Button(t("lab.critic_step"), size="sm", elem_id=f"{key}-critic-step-btn")
            self.generator_btn = gr.Button(t("lab.generator_step"), size="sm", elem_id=f"{key}-generator-step-btn")
            self.both_btn = gr.Button(t("lab.full_step"), size="sm", elem_id=f"{key}-full-step-btn")
        self.which = gr.Textbox("both", visible=False)  # set by each button (its js) before the call
        self.speed = fields.Radio([(t(f"lab.speed.{s}"), s) for s in SPEEDS], value="full", label=t("lab.speed"),
                                  elem_id=f"{key}-speed")

    def step(self, which, variant, dataset, steps, batch, seed, *values, request: gr.Request = None):
        """`which`: critic, generator or both. Outputs as a poll's: the change is drawn at once."""
        tab = self.tab
        slot = tab.slot(request)
        job = slot.job
        try:
            if job is None or job.done:
                job = tab.train.new_job(request, variant, dataset, steps, batch, seed, values, paused=True)
            elif job.state == "running":
                job.pause()
            job.single_step(str(which))
        except UserError as err:
            slot.status_shown = None
            outputs = tab.live.poll(request)
            outputs[0] = f"⚠ {err}"
            slot.status_shown = None  # the next tick puts the run's status back
            return outputs
        slot.status_shown = None  # a press always hears where the run stands
        return tab.live.poll(request)

    def set_speed(self, speed, request: gr.Request = None):
        slot = self.tab.slot(request)
        try:
            slot.speed = None if speed in (None, "full") else float(read_number(speed, "The speed", low=1, high=1000))
        except UserError as err:
            raise refusal(str(err)) from None
        if slot.job is not None and not slot.job.done:
            slot.job.set_speed(slot.speed)
        return "full" if slot.speed is None else speed

    def wire(self) -> None:
        tab, train, live = self.tab, self.tab.train, self.tab.live
        inputs = [self.which, *train.start_inputs]
        names = ["which", *train.start_names]
        outputs = [train.status, *live.outputs, live.timer, *train.buttons]
        for btn, which, api in ((self.both_btn, "both", "step"), (self.critic_btn, "critic", None),
                                (self.generator_btn, "generator", None)):
            fn = named_handler(self.step, names)
            if api:  # the buttons' one endpoint, an MCP tool; it takes `which`
                fn = tool(fn, tab.api(api), step_doc(tab.spec, train.settings, tab.ctx.sessions.lab_max_steps))
            btn.click(fn, inputs, outputs, js=f"(w, ...rest) => ['{which}', ...rest]",
                      api_name=tab.api(api) if api else None, api_visibility="public" if api else "private",
                      show_progress="hidden", concurrency_limit=None)
        self.speed.change(self.set_speed, self.speed, self.speed, api_name=tab.api("speed"),
                          api_visibility=INTERNAL, show_progress="hidden")


class SideBySidePanel:
    """Two to four variants on the same data and seed at once, their landscapes and scores in a row."""

    def __init__(self, tab: Tab):
        self.tab = tab

    def build(self) -> None:
        key = self.tab.spec.key
        variants = [(t(f"variant.{name}"), name) for name in self.tab.spec.variants.values()]
        with gr.Accordion(t("compare.box"), open=False, elem_id=f"{key}-compare-box"):
            gr.Markdown(t("compare.intro"))
            with gr.Row():
                self.variants = gr.CheckboxGroup(variants, value=[m for _, m in variants], label=t("compare.variants"),
                                                 elem_id=f"{key}-compare-variants")
                self.steps = fields.Number(value=500, precision=None, label=t("compare.steps"),
                                       info=t("compare.steps.info"), elem_id=f"{key}-compare-steps")
            with gr.Row():
                self.start_btn = gr.Button(t("compare.start"), variant="primary",
                                           elem_id=f"{key}-compare-start-btn")
                self.stop_btn = gr.Button(t("compare.stop"), variant="stop", elem_id=f"{key}-compare-stop-btn")
            self.status = gr.Markdown(elem_id=f"{key}-compare-status")
            self.pictures, self.captions = [], []
            with gr.Row():
                for i in range(4):
                    with gr.Column(min_width=200):
                        self.captions.append(gr.Markdown(elem_id=f"{key}-compare-caption-{i}"))
                        self.pictures.append(gr.Image(format="png", interactive=False, show_label=False, height=260,
                                                      elem_id=f"{key}-compare-picture-{i}"))
            self.timer = gr.Timer(1.0, active=False)

    # -- handlers -----------------------------------------------------------------------------------
    def start(self, variants, dataset, steps, batch_size, seed, request: gr.Request = None):
        tab = self.tab
        chosen = [tab.spec.model_of(v) for v in (variants or [])]
        try:
            if not 2 <= len(chosen) <= 4:
                raise UserError("Choose two to four variants to compare.")
            if dataset not in tab.spec.datasets:
                raise UserError(f"Choose one of: {', '.join(tab.spec.datasets)}.")
            n = read_number(steps, "Steps", low=1, high=100_000)
            spec = run_field("batch_size", tab.spec)
            batch = read_number(batch_size, "Batch size", low=spec.low, high=spec.high)
            seed = read_number(seed, "Seed", low=0, high=2**63 - 1)
            page = tab.page(request)
            tab.ctx.sessions.reserve(page, COMPARE_KEY)
        except UserError as err:
            return [f"⚠ Not started: {err}", gr.Timer(active=False)]
        try:
            lanes = []
            for model in chosen:
                config = build_config(RunConfig, {"model": model, "dataset": dataset, "steps": n, "batch_size": batch,
                                                  "seed": seed, "device": training_device()})
                run = prepare_run(config, tab.spec.presets.get(model, {}))
                lanes.append(Lane(model, TrainingJob(run, steps=n, log_every=1, preview_every=1)))
            comparison = SideBySide(lanes, steps=n)
            check_cost([lane.job.run for lane in lanes])
            tab.ctx.sessions.start_in(page, COMPARE_KEY, comparison)  # a place, or the Lab's queue
        except UserError as err:
            tab.ctx.sessions.release(page, COMPARE_KEY)
            return [f"⚠ Not started: {err}", gr.Timer(active=False)]
        except BaseException:
            tab.ctx.sessions.release(page, COMPARE_KEY)
            raise
        comparison.start()
        if comparison.state == "queued":
            return [tab.status_line(comparison, f"**Queued** {comparison.label} on {dataset}"), gr.Timer(active=True)]
        return [f"**Comparing** {comparison.label} on {dataset}…", gr.Timer(active=True)]

    def poll(self, request: gr.Request = None):
        """[status, timer, *4 captions, *4 pictures] of the page's side-by-side run."""
        slot = self.tab.ctx.sessions.slot(self.tab.page(request), COMPARE_KEY)
        comparison = slot.job
        if comparison is None:
            return ["No comparison yet: choose variants and press Start the comparison.", gr.Timer(active=False),
                    *([gr.skip()] * 8)]
        ds = app_dataset(comparison.dataset)
        real = ds.test[:600].numpy()
        captions, pictures = [], []
        for lane in comparison.lanes:
            snap = lane.job.snapshot()
            fake = snap.preview
            with lane.job.exclusive() as model:
                pictures.append(lab_picture(model, real, fake, resolution=48))
            captions.append(self._caption(lane, snap, ds, fake))
        for _ in range(4 - len(comparison.lanes)):
            captions.append(gr.update(value="", visible=False))
            pictures.append(gr.update(value=None, visible=False))
        state = STATE_WORDS.get(comparison.state, comparison.state)
        status = (f"**{state}** {comparison.label} on {comparison.dataset} · step **{comparison.step:,} / "
                  f"{comparison.steps:,}**" + (f" · ⚠ {comparison.message}" if comparison.message else ""))
        status = self.tab.status_line(comparison, status)
        return [status, gr.Timer(active=not comparison.done), *captions, *pictures]

    def _caption(self, lane: Lane, snap, ds, fake) -> Any:
        parts = [f"**{lane.name}**"]
        if snap.state == "diverged":
            parts.append(f"⚠ diverged at step {snap.diverged_at}")
        if fake is not None and ds.modes is not None and ds.name in TOY_STD:
            scores = toy_scores(torch.as_tensor(np.asarray(fake)), ds.modes, TOY_STD[ds.name])
            parts.append(f"modes {scores['modes']:.0f}/{len(ds.modes)} · {scores['in_3std']:.0%} within 3 std")
        w = snap.history.get("wasserstein")
        if w:
            parts.append(f"W ≈ {w[-1]:.3g}")
        return gr.update(value=" · ".join(parts), visible=True)

    def stop(self, request: gr.Request = None):
        slot = self.tab.ctx.sessions.slot(self.tab.page(request), COMPARE_KEY)
        if slot.job is not None and not slot.job.done:
            slot.job.stop()
            slot.job.join(timeout=10)
            self.tab.ctx.sessions.wake()
        return self.poll(request)

    def wire(self) -> None:
        tab, train = self.tab, self.tab.train
        inputs = [self.variants, train.dataset, self.steps, train.batch, train.seed]
        polled = [self.status, self.timer, *self.captions, *self.pictures]
        self.start_btn.click(self.start, inputs, [self.status, self.timer], api_name=tab.api("compare_start"),
                             api_visibility=INTERNAL, show_progress="minimal", concurrency_limit=None)
        self.timer.tick(self.poll, None, polled, api_name=tab.api("compare_poll"),
                        api_visibility=INTERNAL, show_progress="hidden",
                        concurrency_limit=None)
        self.stop_btn.click(self.stop, None, polled, api_name=tab.api("compare_stop"),
                           api_visibility=INTERNAL, show_progress="hidden")
