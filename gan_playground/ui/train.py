"""The Train panel: variant, data, budget and settings; Start, Pause, Resume, Stop; the status line;
and the page's runs, which a reloaded page finds again."""

from __future__ import annotations

from typing import Any

import gradio as gr

from gan_playground.checkpoints import train_call, train_command
from gan_playground.config import RunConfig, build_config
from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.models import model_class
from gan_playground.run import prepare_run
from gan_playground.ui import fields
from gan_playground.ui.controls import button_updates
from gan_playground.ui.i18n import lang_of, t, tr
from gan_playground.ui.links import link_query, read_link
from gan_playground.ui.settings import (
    SettingControls,
    range_note,
    run_field,
    validate_start,
)
from gan_playground.ui.spec import PRESETS, TABS
from gan_playground.ui.tab import Tab, default_preset, named_handler, training_device
from gan_playground.ui.text import STATE_WORDS, status_text
from gan_playground.ui.tools import INTERNAL, start_doc, stop_doc, tool


class TrainPanel:
    def __init__(self, tab: Tab):
        self.tab, self.spec = tab, tab.spec

    def build(self) -> None:
        spec, key = self.spec, self.spec.key
        gr.Markdown(t("train.heading"))
        self.variant = fields.Radio([(t(f"variant.{name}"), name) for name in spec.variants.values()],
                                    value=spec.default_model, label=t("train.variant"),
                                    visible=len(spec.variants) > 1, elem_id=f"{key}-variant")
        self.dataset = fields.Dropdown(list(spec.datasets), value=spec.datasets[0], label=t("train.dataset"),
                                       elem_id=f"{key}-dataset")
        # quick (a CPU's default) or paper (a GPU's): it fills the batch and the settings, which stay editable
        preset = default_preset() if spec.preset_names else "paper"
        self.preset = fields.Radio([(t(f"preset.{name}"), name) for name in PRESETS], value=preset,
                                   label=t("train.preset"), info=t("train.preset.info"),
                                   visible=bool(spec.preset_names), elem_id=f"{key}-preset")
        batch = spec.batch_for(preset)
        with gr.Row():
            self.steps = fields.Number(value=spec.steps, precision=None, label=t("train.steps"),
                                   info=t("train.steps.info") + range_note(run_field("steps", spec)),
                                   elem_id=f"{key}-steps")
            self.batch = fields.Number(value=batch, precision=None, label=t("train.batch"),
                                   info=t("train.batch.info") + range_note(run_field("batch_size", spec)),
                                   elem_id=f"{key}-batch")
            self.seed = fields.Number(value=0, precision=None, label=t("train.seed"), info=t("train.seed.info"),
                                  elem_id=f"{key}-seed")
        with gr.Accordion(t("train.settings"), open=False, elem_id=f"{key}-settings"):
            self.settings = SettingControls.build(spec, preset)
        with gr.Row():  # narrow enough for one row in a laptop's column: the status line stays in view
            self.start_btn = gr.Button(t("train.start"), variant="primary", min_width=90, elem_id=f"{key}-start-btn")
            self.pause_btn = gr.Button(t("train.pause"), interactive=False, min_width=90, elem_id=f"{key}-pause-btn")
            self.resume_btn = gr.Button(t("train.resume"), interactive=False, min_width=90,
                                        elem_id=f"{key}-resume-btn")
            self.stop_btn = gr.Button(t("train.stop"), variant="stop", interactive=False, min_width=90,
                                      elem_id=f"{key}-stop-btn")
        self.status = gr.Markdown(t("status.idle"), elem_id=f"{key}-status")
        # below the buttons, so that Start stays in a laptop's first screen; filled in by i18n.i18n_for
        gr.Markdown(t("train.device"))
        with gr.Accordion(t("train.runs_box"), open=False, elem_id=f"{key}-runs-box") as self.runs_box:
            self.runs = fields.Radio([], label=t("train.runs"), elem_id=f"{key}-runs")
            self.stop_run_btn = gr.Button(t("train.stop_run"), size="sm", elem_id=f"{key}-stop-run-btn")
        with gr.Accordion(t("train.command_box"), open=False, elem_id=f"{key}-command-box"):
            shell, python = self.command_texts(spec.default_model, spec.datasets[0], spec.steps, batch, 0,
                                               [c.value for c in self.settings.controls])
            self.command = gr.Code(shell, language="shell", interactive=False, show_label=False, wrap_lines=True,
                                   elem_id=f"{key}-command")
            self.notebook = gr.Code(python, language="python", interactive=False, show_label=False, wrap_lines=True,
                                    elem_id=f"{key}-notebook")
            self.link = gr.Markdown(self.link_text(spec.default_model, spec.datasets[0], spec.steps, batch,
                                                   0, [c.value for c in self.settings.controls], preset),
                                    elem_id=f"{key}-link")

    @property
    def buttons(self) -> list[Any]:
        return [self.start_btn, self.pause_btn, self.resume_btn, self.stop_btn]

    @property
    def start_inputs(self) -> list[Any]:
        return [self.variant, self.dataset, self.steps, self.batch, self.seed, *self.settings.controls]

    @property
    def start_names(self) -> list[str]:
        return ["variant", "dataset", "steps", "batch_size", "seed", *self.settings.names]

    # -- handlers -----------------------------------------------------------------------------------
    def validator(self, variant, dataset, steps, batch, seed, *values):
        msgs = validate_start(self.spec, self.settings, self.spec.model_of(variant), dataset, steps, batch, seed,
                              list(values))
        return [gr.validate(not m, m) for m in msgs]

    def command_texts(self, model: str, dataset: Any, steps: Any, batch: Any, seed: Any,
                      values: list[Any]) -> tuple[str, str]:
        """The form as the command line that trains the same run headless, and as a `gp.train` call."""
        msgs = validate_start(self.spec, self.settings, model, dataset, steps, batch, seed, list(values))
        if any(msgs):
            problem = "# Fix the form first: " + " ".join(m for m in msgs if m)
            return problem, problem
        run_cfg = build_config(RunConfig, {"model": model, "dataset": dataset, "steps": steps, "batch_size": batch,
                                           "seed": seed})
        model_cfg = build_config(model_class(model).Config, self.settings.overrides(model, list(values)))
        return (train_command(run_cfg, model_cfg, out=f"runs/{model}-{dataset}"), train_call(run_cfg, model_cfg))

    def link_text(self, model: str, dataset: Any, steps: Any, batch: Any, seed: Any, values: list[Any],
                  preset: Any = "paper") -> str:
        """A link that opens this tab with this form: its preset, and the settings that differ from the
        preset's values for the variant (a short link that means the same on a CPU and on a GPU)."""
        if any(validate_start(self.spec, self.settings, model, dataset, steps, batch, seed, list(values))):
            return ""
        preset = preset if preset in self.spec.preset_names else None
        settings = self.settings.overrides(model, list(values))
        defaults = {n: self.settings.display_default(model, n, preset or "paper") for n in settings}
        query = link_query(self.spec, model, dataset, {"steps": steps, "batch_size": batch, "seed": seed},
                           settings, defaults, preset=preset)
        return f"[A link to these settings]({query}) (copy it, or open it in a new tab)"

    def on_form(self, variant, dataset, steps, batch, seed, *values):
        """The command, the notebook call and the link of the form; `values`: the settings, then the preset."""
        model, (*values, preset) = self.spec.model_of(variant), values
        return [*self.command_texts(model, dataset, steps, batch, seed, list(values)),
                self.link_text(model, dataset, steps, batch, seed, list(values), preset)]

    def apply_link(self, request: gr.Request = None):
        """After the page loads: a link's settings for this tab fill its form (and open the tab); a
        value the form cannot take is left out, and the status line says which."""
        params = dict(getattr(request, "query_params", None) or {})
        form, notes = read_link(self.spec, params, self.settings.names)
        if not form and not notes:
            return [gr.skip()] * (len(self.start_inputs) + 3)
        model = form.get("variant", self.spec.default_model)
        slot = self.tab.slot(request)
        # a link without a preset keeps the form's; its settings go over the preset's values
        preset = form.get("preset", self.settings.preset)
        slot.form_settings = (model, {k: v for k, v in form.items() if k in self.settings.names})
        run = [form.get(k, gr.skip()) for k in ("variant", "dataset", "steps")]
        run += [form.get("batch_size", self.spec.batch_for(preset) if "preset" in form else gr.skip()),
                form.get("seed", gr.skip())]
        note = ("Settings from the link." + (f" Left out: {'; '.join(notes)}." if notes else "")
                if form else f"Nothing taken from the link: {'; '.join(notes)}.")
        return [gr.Tabs(selected=self.spec.key), *run, *self.settings_for(model, slot, preset),
                form.get("preset", gr.skip()), note]

    def on_variant(self, variant, preset, request: gr.Request = None):
        """The settings of the chosen variant under the form's preset, or what a link asked for."""
        return self.settings_for(self.spec.model_of(variant), self.tab.slot(request), preset)

    def on_preset(self, preset, variant, request: gr.Request = None):
        """A preset chosen by hand fills the form: the batch size and the variant's settings (a link's
        values give way to it)."""
        slot = self.tab.slot(request)
        slot.form_settings = None
        preset = preset if preset in PRESETS else self.settings.preset
        return [self.spec.batch_for(preset), *self.settings_for(self.spec.model_of(variant), slot, preset)]

    def settings_for(self, model: str, slot, preset: Any = None) -> list[Any]:
        updates = self.settings.on_model(model, preset if preset in PRESETS else None)
        kept_model, kept = slot.form_settings or ("", {})  # a link's, or the restored run's
        if kept_model == model:
            for i, name in enumerate(self.settings.names):
                if name in kept:
                    updates[i] = gr.update(visible=True, value=kept[name], info=updates[i].get("info"))
        return updates

    @property
    def form(self) -> list[Any]:
        """The form's fields that a restored run fills (the variant is set with Explore's choice)."""
        return [self.dataset, self.steps, self.batch, self.seed, *self.settings.controls]

    def restore_form(self, slot) -> list[Any]:
        """After a reload, the form as the page's run in this tab was started (its step budget, batch,
        seed and settings), not the preset's: Start again means that run again. Keeps the settings in
        `slot.form_settings` for the variant's change that follows. Nothing changes without a run."""
        job = slot.job
        if job is None:
            return [gr.skip()] * len(self.form)
        run, model = job.run.config, job.model.name
        shown = self.settings.shown_values(model, job.model.config)
        slot.form_settings = (model, shown)
        return [run.dataset, job.steps, run.batch_size, run.seed,
                *(gr.update(value=shown[n]) if n in shown else gr.skip() for n in self.settings.names)]

    def controls(self, job: TrainingJob | None, note: str = "", lang: str = "en") -> list[Any]:
        """[status, timer, *buttons] for the tab's job (the timer runs while there is one to draw), the
        status in the page's language `lang`."""
        if job is None:
            return [note or tr("status.idle", lang), gr.Timer(active=False), *button_updates(None)]
        text = self.tab.status_line(job, status_text(job.snapshot(), job.model.name, job.run.config.dataset,
                                                     lang=lang), lang)
        # the timer ticks once more at least: that poll draws the new state, then stops the timer
        return [f"{note}\n\n{text}" if note else text, gr.Timer(active=True), *button_updates(job.state)]

    def new_job(self, request, variant, dataset, steps, batch, seed, values, *, paused: bool = False) -> TrainingJob:
        """Check the form, load the data, build the model, start the job (`paused`: to step it by hand).
        Raises UserError with every problem found."""
        model = self.spec.model_of(variant)
        msgs = validate_start(self.spec, self.settings, model, dataset, steps, batch, seed, list(values))
        if any(msgs):
            raise UserError(" ".join(m for m in msgs if m))
        page = self.tab.page(request)

        def build() -> TrainingJob:
            run_cfg = build_config(RunConfig, {"model": model, "dataset": dataset, "steps": steps,
                                               "batch_size": batch, "seed": seed, "device": training_device()})
            run = prepare_run(run_cfg, self.settings.overrides(model, list(values)))
            return self.tab.make_job(run, run_cfg.steps, page)

        return self.tab.launch(page, build, paused=paused)

    def start(self, variant, dataset, steps, batch, seed, *values, request: gr.Request = None):
        """Validate, load data, build the model, start the job: returns at once, training goes on."""
        lang = lang_of(request)
        try:
            job = self.new_job(request, variant, dataset, steps, batch, seed, values)
        except UserError as err:
            slot = self.tab.slot(request)
            return self.controls(slot.job if slot.job is not None and not slot.job.done else None,
                                 tr("status.not_started_because", lang, error=err), lang)
        if job.state == "queued":
            return self.controls(job, lang=lang)
        return [tr("status.starting", lang, model=job.model.name, dataset=dataset), gr.Timer(active=True),
                *button_updates("running")]

    def _act(self, request, verb: str, act) -> list[Any]:
        slot, lang = self.tab.slot(request), lang_of(request)
        if slot.job is None or slot.job.done:
            return self.controls(slot.job, tr("status.no_run", lang, verb=tr(f"status.verb.{verb}", lang)), lang)
        act(slot.job)
        return self.controls(slot.job, lang=lang)

    def pause(self, request: gr.Request = None):
        return self._act(request, "pause", TrainingJob.pause)

    def resume(self, request: gr.Request = None):
        return self._act(request, "resume", TrainingJob.resume)

    def stop(self, request: gr.Request = None):
        def stop_and_wait(job: TrainingJob) -> None:
            job.stop()
            job.join(timeout=10)  # it stops within one training step (at once while it waits)
            self.tab.ctx.sessions.wake()  # its place goes to the first in line now

        return self._act(request, "stop", stop_and_wait)

    def runs_update(self, request: gr.Request = None):
        """The page's runs, one per tab: which model on which data, its state and step."""
        page = self.tab.page(request)
        titles = {t.key: t.title for t in TABS}
        titles["lab-compare"] = "2-D Lab, side by side"
        choices = []
        for key, job in self.tab.ctx.sessions.runs(page):
            choices.append((f"{titles.get(key, key)} · {job.summary} · {STATE_WORDS.get(job.state, job.state)} · "
                            f"step {job.step:,} / {job.steps:,}", key))
        if not choices:
            return gr.update(choices=[("No runs on this page yet", "")], value=None)
        return gr.update(choices=choices, value=None)

    def stop_run(self, chosen, request: gr.Request = None):
        """Stop one of the page's runs, in whichever tab it trains."""
        page = self.tab.page(request)
        for key, job in self.tab.ctx.sessions.runs(page):
            if key == chosen and not job.done:
                job.stop()
                job.join(timeout=10)
                self.tab.ctx.sessions.wake()
        return self.runs_update(request)

    # -- wiring -------------------------------------------------------------------------------------
    def wire(self, *, on_new_run: list, timer: gr.Timer) -> None:
        """`on_new_run`: (fn, outputs) pairs that run after a start (the live panels clear, Explore
        turns to the new run)."""
        outs = [self.status, timer, *self.buttons]
        doc = start_doc(self.spec, self.settings, self.tab.ctx.sessions.lab_max_steps)
        started = self.start_btn.click(
            tool(named_handler(self.start, self.start_names), self.tab.api("start"), doc), self.start_inputs, outs,
            api_name=self.tab.api("start"),
            validator=named_handler(self.validator, self.start_names, with_request=False),
            show_progress="minimal", concurrency_limit=None)
        for fn, outputs in on_new_run:
            started = started.then(fn, None, outputs, api_visibility="private", show_progress="hidden")
        started.then(self.runs_update, None, self.runs, api_visibility="private", show_progress="hidden")
        stop = tool(self.stop, self.tab.api("stop"), stop_doc(self.spec))
        for btn, fn, name, seen in ((self.pause_btn, self.pause, "pause", INTERNAL),
                                    (self.resume_btn, self.resume, "resume", INTERNAL),
                                    (self.stop_btn, stop, "stop", "public")):  # an assistant starts and stops
            btn.click(fn, None, outs, api_name=self.tab.api(name), api_visibility=seen, concurrency_limit=None,
                      show_progress="hidden").then(self.runs_update, None, self.runs, api_visibility="private",
                                                   show_progress="hidden")
        self.variant.change(self.on_variant, [self.variant, self.preset], self.settings.controls,
                            api_visibility="private", show_progress="hidden")
        # `input`, not `change`: only a visitor's choice fills the form, not a link's or a page load's value
        self.preset.input(self.on_preset, [self.preset, self.variant], [self.batch, *self.settings.controls],
                          api_name=self.tab.api("preset"), api_visibility=INTERNAL, show_progress="hidden")
        gr.on([c.change for c in (*self.start_inputs, self.preset)],
              named_handler(self.on_form, [*self.start_names, "preset"], with_request=False),
              [*self.start_inputs, self.preset], [self.command, self.notebook, self.link], api_visibility="private",
              queue=False, show_progress="hidden", trigger_mode="always_last")
        # Gradio clears a field's message when an event with the field as its input starts: leaving a
        # field (its fix) does that; Start checks it again.
        for field in self.start_inputs:
            if hasattr(field, "blur"):
                field.blur(_nothing, field, None, queue=False, show_progress="hidden", api_visibility="private")
        self.runs_box.expand(self.runs_update, None, self.runs, api_name=self.tab.api("runs"),
                             api_visibility=INTERNAL, show_progress="hidden")
        self.stop_run_btn.click(self.stop_run, self.runs, self.runs, api_name=self.tab.api("stop_run"),
                                api_visibility=INTERNAL, show_progress="hidden")


def _nothing(_value: Any) -> None:
    """A server call that does nothing: its start is what clears the field's message."""
