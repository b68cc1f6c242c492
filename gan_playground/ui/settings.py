"""A tab's settings: a control per setting of its models (from their config dataclasses), and the one
check of everything Start sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from gan_playground.config import (
    FieldSpec,
    RunConfig,
    build_config,
    coerce,
    field_specs,
)
from gan_playground.errors import UserError
from gan_playground.models import model_class
from gan_playground.ui import fields
from gan_playground.ui.i18n import en, help_line, t
from gan_playground.ui.spec import TabSpec
from gan_playground.ui.text import fmt_number, read_number

# Short, readable names for the settings (i18n/en.py's "setting.<name>"); the help text says the rest.
LABELS = {key.removeprefix("setting."): label for key, label in en.TEXT.items() if key.startswith("setting.")}
RUN_LABELS = {"steps": "Step budget", "batch_size": "Batch size", "seed": "Seed"}


def run_field(name: str, tab: TabSpec) -> FieldSpec:
    """RunConfig's field `name`, with the tab's narrower range where it has one."""
    spec = next(s for s in field_specs(RunConfig) if s.name == name)
    return _limited(spec, tab)


def _limited(spec: FieldSpec, tab: TabSpec) -> FieldSpec:
    if spec.name not in tab.limits:
        return spec
    low, high = tab.limits[spec.name]
    return FieldSpec(spec.name, spec.kind, spec.default, spec.help, low, high, spec.choices, spec.ui)


def range_note(spec: FieldSpec) -> str:
    if spec.kind in ("int", "float", "pair") and (spec.low is not None or spec.high is not None):
        lo = "-∞" if spec.low is None else fmt_number(spec.low)
        hi = "∞" if spec.high is None else fmt_number(spec.high)
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
    """The union of the settings of a tab's models; each shows only for the models that have it.
    `preset`: the preset the form starts with (spec.PRESETS; the Lab has none and keeps its own)."""

    tab: TabSpec
    names: list[str]
    controls: list[gr.components.Component]
    preset: str = "paper"

    @staticmethod
    def specs_of(model: str, tab: TabSpec) -> dict[str, FieldSpec]:
        return {s.name: _limited(s, tab) for s in field_specs(model_class(model).Config)
                if (s.ui or s.name in tab.shown_fields) and s.name not in tab.hidden_fields}

    def default(self, model: str, name: str, preset: str | None = None) -> Any:
        """The value a field holds untouched: the preset's (the form's own by default), else the model's default."""
        chosen = self.tab.preset_settings(preset or self.preset, model)
        return chosen.get(name, self.specs_of(model, self.tab)[name].default)

    def display_default(self, model: str, name: str, preset: str | None = None) -> Any:
        """The default as the form shows it ("0.5, 0.9", "1e-4"): what a field holds untouched."""
        return _display(self.specs_of(model, self.tab)[name], self.default(model, name, preset))

    @classmethod
    def union_of(cls, tab: TabSpec) -> dict[str, tuple[FieldSpec, str]]:
        """name -> (its spec, the first model that has it), in the order of the tab's controls."""
        union: dict[str, tuple[FieldSpec, str]] = {}
        for model in (tab.default_model, *tab.variants.values()):
            for name, s in cls.specs_of(model, tab).items():
                union.setdefault(name, (s, model))
        return union

    @classmethod
    def names_of(cls, tab: TabSpec) -> list[str]:
        """The names of the tab's settings, in the order of its controls (and of `<tab>_start`'s arguments)."""
        return list(cls.union_of(tab))

    @classmethod
    def build(cls, tab: TabSpec, preset: str = "paper") -> "SettingControls":
        union = cls.union_of(tab)
        first = cls.specs_of(tab.default_model, tab)
        self = cls(tab, list(union), [], preset)
        for name, (s, owner) in union.items():
            s_now = first.get(name, s)
            label = t(f"setting.{name}") if name in LABELS else name.replace("_", " ").capitalize()
            common = dict(label=label + f" ({name})",
                          info=help_line(s_now.help, range_note(s_now)), visible=name in first,
                          elem_id=f"{tab.key}-set-{name.replace('_', '-')}")
            value = _display(s_now, self.default(owner, name))
            if s.kind == "choice":
                comp = fields.Dropdown(list(s.choices), value=value, **common)
            elif s.kind == "bool":
                comp = gr.Checkbox(value=value, **common)
            elif s.kind == "int":
                comp = fields.Number(value=value, precision=None, **common)  # 1.5 is refused, not rounded
            else:  # floats and pairs as text: "1e-4" and "0.5, 0.9" read as people write them
                comp = gr.Textbox(value=value, max_lines=1, **common)
            self.controls.append(comp)
        return self

    def on_model(self, model: str, preset: str | None = None) -> list[Any]:
        """Updates for every control when the model (variant) or the preset changes: show, hide, reset
        to the preset's values."""
        specs = self.specs_of(model, self.tab)
        return [gr.update(visible=True, value=_display(specs[n], self.default(model, n, preset)),
                          info=help_line(specs[n].help, range_note(specs[n])))
                if n in specs else gr.update(visible=False) for n in self.names]

    def shown_values(self, model: str, config: Any) -> dict[str, Any]:
        """The form's values of a model's `config` (its dataclass), as the fields show them."""
        return {n: _display(s, getattr(config, n)) for n, s in self.specs_of(model, self.tab).items()}

    def overrides(self, model: str, values: list[Any]) -> dict[str, Any]:
        specs = self.specs_of(model, self.tab)
        return {n: v for n, v in zip(self.names, values, strict=True) if n in specs}


def validate_start(tab: TabSpec, settings: SettingControls, model: str, dataset: Any, steps: Any,
                   batch: Any, seed: Any, values: list[Any]) -> list[str]:
    """A message per input (empty when fine): [variant, dataset, steps, batch, seed, *settings]."""
    msgs = ["", "", "", "", ""]
    if model not in tab.variants.values():
        msgs[0] = f"Choose one of: {', '.join(tab.variants)}."
    if dataset not in tab.datasets:
        msgs[1] = f"Choose one of: {', '.join(tab.datasets)}."
    for i, (name, value) in enumerate((("steps", steps), ("batch_size", batch), ("seed", seed)), start=2):
        spec = run_field(name, tab)
        try:
            read_number(value, RUN_LABELS[name], low=spec.low, high=spec.high)
        except UserError as err:
            msgs[i] = str(err)
    specs = settings.specs_of(model, tab) if not msgs[0] else {}
    field_msgs = []
    for name, value in zip(settings.names, values, strict=True):
        msg = ""
        if name in specs:
            try:
                if specs[name].kind == "int":  # a whole number, never rounded
                    read_number(value, LABELS.get(name, name), low=specs[name].low, high=specs[name].high)
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
