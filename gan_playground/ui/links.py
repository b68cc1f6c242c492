"""Links that carry settings, as TensorFlow Playground's do: `?tab=lab&variant=wgan-lp&steps=777&seed=42`
opens the Lab with those values in its form. Pure functions (no Gradio): the query of a form, and
the form of a query, where a bad value is left out with a note (never an error).
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlencode

from gan_playground.config import RunConfig, build_config, field_specs
from gan_playground.errors import UserError, brief
from gan_playground.models import model_class
from gan_playground.ui.spec import TabSpec

RUN_KEYS = ("steps", "batch_size", "seed")


def link_query(tab: TabSpec, model: str, dataset: str, run: Mapping[str, Any], settings: Mapping[str, Any],
               defaults: Mapping[str, Any], *, preset: str | None = None) -> str:
    """`?tab=...&variant=...&preset=...&dataset=...&steps=...&batch_size=...&seed=...` and the settings
    that differ from `defaults`, the variant's values under `preset` (a short link; with its preset it
    means the same form on a CPU, where the form starts quick, and on a GPU, where it starts paper)."""
    changed = {k: v for k, v in settings.items() if str(v) != str(defaults.get(k))}
    query = {"tab": tab.key, "variant": model, **({"preset": preset} if preset else {}), "dataset": dataset,
             **{k: run[k] for k in RUN_KEYS}, **changed}
    return "?" + urlencode({k: _text(v) for k, v in query.items()})


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def read_link(tab: TabSpec, params: Mapping[str, str], setting_names: list[str]) -> tuple[dict[str, Any], list[str]]:
    """What a link asks of `tab`'s form: {variant, preset, dataset, steps, batch_size, seed, <setting>: value},
    checked one by one (the tab's ranges, the variant's settings), and a note for each value left out.
    Empty when the link is for another tab."""
    if params.get("tab") != tab.key:
        return {}, []
    form: dict[str, Any] = {}
    notes: list[str] = []
    variant = params.get("variant")
    if variant is not None:
        if variant in tab.variants.values() or variant in tab.variants:
            form["variant"] = tab.model_of(variant)
        else:
            notes.append(f"variant={brief(variant)} (this tab has {', '.join(tab.variants.values())})")
    model = form.get("variant", tab.default_model)
    for key, allowed in (("preset", tab.preset_names), ("dataset", tab.datasets)):
        value = params.get(key)
        if value is None:
            continue
        if value in allowed:
            form[key] = value
        else:
            notes.append(f"{key}={brief(value)} (this tab has {', '.join(allowed) or 'none'})")
    from gan_playground.ui.settings import run_field  # (settings imports this tab's specs)

    for key in RUN_KEYS:
        if key in params:
            spec = run_field(key, tab)
            try:
                value = build_config(RunConfig, {key: params[key]}).__getattribute__(key)
                if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
                    raise UserError(f"{key}={brief(params[key])} is out of its range [{spec.low:g}, {spec.high:g}]")
                form[key] = value
            except UserError as err:
                notes.append(str(err).rstrip("."))
    specs = {s.name: s for s in field_specs(model_class(model).Config)}
    for key, text in params.items():
        if key in ("tab", "variant", "preset", "dataset", *RUN_KEYS):
            continue
        if key not in specs or key not in setting_names:
            notes.append(f"{brief(key)} (not a setting of {model} on this tab)")
            continue
        try:
            build_config(model_class(model).Config, {key: text})
            form[key] = text
        except UserError as err:
            notes.append(str(err).rstrip("."))
    return form, notes
