"""The Train panel's presets (issue 26): quick (recognisable within a minute on two CPU cores, the
default on a CPU) and paper (the published settings, the default on a GPU). A preset fills the form
through the real app; the form, its command, its link and a Start all carry the preset's values.

Endpoints used: /wgan_preset, /aae_preset, /wgan_start, /wgan_stop.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from gan_playground.config import build_config
from gan_playground.models import model_class
from gan_playground.ui.spec import AAE, ACGAN, LAB, PRESETS, TABS, WGAN

IMAGE_TABS = (ACGAN, AAE, WGAN)


def test_every_image_model_has_a_quick_preset_that_its_config_takes():
    for tab in IMAGE_TABS:
        assert tab.preset_names == PRESETS
        for model in tab.variants.values():
            quick = tab.preset_settings("quick", model)
            assert quick, f"{model} has no quick preset"
            build_config(model_class(model).Config, quick)  # every value in range, every name a setting
            assert tab.preset_settings("paper", model) == {}  # paper: the models' own defaults, the CLI's
        assert tab.batch_for("paper") == tab.batch_size
    assert LAB.preset_names == () and LAB.batch_for("quick") == LAB.batch_size  # the Lab keeps its one form


def test_a_quick_preset_sets_what_the_form_shows():
    """A preset can only fill what the tab shows: every setting it names has a control on the tab."""
    from gan_playground.ui.settings import SettingControls

    for tab in IMAGE_TABS:
        for model in tab.variants.values():
            shown = SettingControls.specs_of(model, tab)
            assert set(tab.preset_settings("quick", model)) <= set(shown), model


def test_the_default_preset_is_quick_on_a_cpu_and_paper_on_a_gpu(monkeypatch):
    import torch

    from gan_playground.errors import UserError
    from gan_playground.ui import tab

    monkeypatch.delenv("GAN_PLAYGROUND_PRESET", raising=False)
    monkeypatch.setattr(tab, "resolve_device", lambda name="auto": torch.device("cpu"))
    assert tab.default_preset() == "quick"
    monkeypatch.setattr(tab, "resolve_device", lambda name="auto": torch.device("cuda"))
    assert tab.default_preset() == "paper"
    monkeypatch.setattr(tab, "resolve_device", lambda name="auto": torch.device("cpu"))
    monkeypatch.setattr(tab.zerogpu, "active", lambda: True)  # ZeroGPU: jobs built on the CPU, trained on a GPU
    assert tab.default_preset() == "paper"
    monkeypatch.setenv("GAN_PLAYGROUND_PRESET", "quick")
    assert tab.default_preset() == "quick"
    monkeypatch.setenv("GAN_PLAYGROUND_PRESET", "fast")
    with pytest.raises(UserError, match="quick, paper"):
        tab.default_preset()


def test_a_link_carries_its_preset_and_only_what_differs_from_it():
    from gan_playground.ui.links import link_query, read_link

    quick = WGAN.preset_settings("quick", "wgan-gp")
    settings = {k: str(v) for k, v in quick.items()}
    query = link_query(WGAN, "wgan-gp", "mnist", {"steps": 500, "batch_size": 64, "seed": 1},
                       {**settings, "lambda_gp": "5"}, settings, preset="quick")
    assert "preset=quick" in query and "lambda_gp=5" in query
    assert not any(f"{k}=" in query for k in quick if k != "lambda_gp"), query  # the preset's own values: left out
    params = dict(p.split("=") for p in query[1:].split("&"))
    form, notes = read_link(WGAN, params, ["lambda_gp", "lr"])
    assert form["preset"] == "quick" and form["lambda_gp"] == "5" and notes == []
    form, notes = read_link(WGAN, {**params, "preset": "fast"}, ["lambda_gp"])
    assert "preset" not in form and "preset='fast'" in notes[0]


# -- through the real app ----------------------------------------------------------------------------
gradio_client = pytest.importorskip("gradio_client")
from conftest import connect, serving_app  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.delenv("GAN_PLAYGROUND_PRESET", raising=False)
    try:
        with serving_app(tmp_path_factory, max_jobs=1, grace_s=0.5) as app:
            yield app
    finally:
        mp.undo()


def component(demo, elem_id: str) -> dict:
    (found,) = [c for c in demo.config["components"] if c.get("props", {}).get("elem_id") == elem_id]
    return found["props"]


def settings_of(tab, model: str, preset: str) -> dict:
    """The values the form shows for `model` under `preset` (as the form writes them)."""
    from gan_playground.ui.settings import SettingControls

    defaults = dataclasses.asdict(build_config(model_class(model).Config, tab.preset_settings(preset, model)))
    shown = SettingControls.specs_of(model, tab)
    return {k: v for k, v in defaults.items() if k in shown}


def same(shown, value) -> bool:
    if isinstance(value, tuple):
        return [float(x) for x in str(shown).split(",")] == list(value)
    if isinstance(value, float):
        return float(shown) == value
    return shown == value


def test_on_a_cpu_each_tab_starts_with_the_quick_preset(server):
    demo = server[0]
    for tab in IMAGE_TABS:
        assert component(demo, f"{tab.key}-preset")["value"] == "quick"
        assert component(demo, f"{tab.key}-batch")["value"] == tab.batch_for("quick")
        for name, value in settings_of(tab, tab.default_model, "quick").items():
            shown = component(demo, f"{tab.key}-set-{name.replace('_', '-')}")["value"]
            assert same(shown, value), (tab.key, name, shown, value)
        command = component(demo, f"{tab.key}-command")["value"]
        assert f"--batch-size {tab.batch_for('quick')} " in command
        quick = tab.preset_settings("quick", tab.default_model)
        name = next(iter(quick))
        assert f"--set {name}=" in command  # the shown command trains what the form shows
    assert not component(demo, "lab-preset")["visible"]


@pytest.mark.parametrize("tab, model", [(WGAN, "wgan-gp"), (WGAN, "wgan"), (AAE, "aae-supervised")])
def test_choosing_a_preset_fills_the_form(server, tab, model):
    from gan_playground.ui.settings import SettingControls

    client = connect(server[1])
    order = SettingControls.names_of(tab)  # the settings' controls, in the page's order
    for preset in ("paper", "quick", "paper"):
        out = client.predict(preset, model, api_name=f"/{tab.key}_preset")
        batch, values = out[0], dict(zip(order, out[1:], strict=True))
        assert batch == tab.batch_for(preset)
        for name, value in settings_of(tab, model, preset).items():
            shown = values[name]["value"] if isinstance(values[name], dict) else values[name]
            assert same(shown, value), (preset, name, shown, value)


def test_a_link_fills_the_form_with_its_preset_and_then_its_own_values(server):
    """`?tab=wgan&preset=paper&lambda_gp=5` on a CPU, whose form opens quick: the paper preset's batch and
    settings, the link's lambda_gp over them, the radio on paper; a variant switch keeps them."""
    from types import SimpleNamespace

    panel = next(t for t in server[0].model_tabs if t.spec is WGAN).train
    request = SimpleNamespace(session_hash="link-test", query_params={
        "tab": "wgan", "variant": "wgan-gp", "preset": "paper", "steps": "300", "lambda_gp": "5"})
    out = panel.apply_link(request)
    names = panel.settings.names
    assert out[1:6] == ["wgan-gp", out[2], 300, WGAN.batch_for("paper"), out[5]]
    values = dict(zip(names, out[6:6 + len(names)], strict=True))
    assert values["lambda_gp"]["value"] == "5" and values["n_critic"]["value"] == 5  # the paper's n_critic
    assert values["arch"]["value"] == "mlp" and out[-2] == "paper"
    again = dict(zip(names, panel.on_variant("wgan-gp", "paper", request), strict=True))
    assert again["lambda_gp"]["value"] == "5" and again["n_critic"]["value"] == 5
    chosen = panel.on_preset("quick", "wgan-gp", request)  # a preset chosen by hand wins over the link
    quick = dict(zip(names, chosen[1:], strict=True))
    assert chosen[0] == WGAN.batch_for("quick")
    assert quick["lambda_gp"]["value"] == "10" and quick["n_critic"]["value"] == WGAN.quick["wgan-gp"]["n_critic"]


def test_a_start_with_the_form_as_it_opens_trains_the_quick_preset(server):
    """Start with no argument: the page's form as it opens (gradio_client sends the fields' values)."""
    client = connect(server[1])
    status = client.predict(steps=3, api_name="/wgan_start")[0]
    assert "Starting" in status or "Training" in status, status
    deadline = time.monotonic() + 60
    while not (jobs := [j for _, key, j in server[0].ctx.sessions.active_jobs() if key == "wgan"]):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    config = jobs[0].model.config
    quick = WGAN.preset_settings("quick", "wgan-gp")
    assert build_config(model_class("wgan-gp").Config, quick) == config
    assert jobs[0].run.config.batch_size == WGAN.batch_for("quick")
    client.predict(api_name="/wgan_stop")


def test_the_app_loads_the_data_sets_before_the_first_start(server):
    """Start trains at once: the app began loading MNIST (unpacking it on a first start) when it started."""
    from gan_playground import data

    warming = server[0].ctx.warming
    assert warming is not None and warming.name == "gan-playground-warm-up"
    warming.join(120)
    start = time.perf_counter()
    data.load_dataset("mnist")
    assert time.perf_counter() - start < 0.5  # already in memory


def test_every_tab_has_its_preset_radio(server):
    for tab in TABS:
        props = component(server[0], f"{tab.key}-preset")
        assert [c[1] for c in props["choices"]] == list(PRESETS)


class _Page:
    session_hash = "form-test"


def test_a_reloaded_page_shows_its_run_in_the_form_and_a_fresh_page_keeps_its_choice():
    """Page load (`init`) on a page with a run: the variant, data set, step budget, batch, seed and
    settings the run was started with, not the preset's. On a fresh page: nothing of the form is
    sent, so a variant the visitor clicked while the page loaded is not put back."""
    import gradio as gr

    from gan_playground.config import RunConfig
    from gan_playground.engine import TrainingJob
    from gan_playground.run import prepare_run
    from gan_playground.ui.context import AppContext
    from gan_playground.ui.model_tab import build_tab

    ctx = AppContext.create(max_jobs=1, load_shipped=False)
    with gr.Blocks():
        tab = build_tab(ctx, LAB)
    train, outputs = tab.train, tab.init_outputs()
    fresh = dict(zip(outputs, tab.init(request=_Page()), strict=True))
    assert all(fresh[c] == gr.skip() for c in (train.variant, *train.form))

    run = prepare_run(RunConfig(model="wgan", dataset="toy-8gaussians", steps=7, batch_size=24, seed=3,
                                device="cpu"), {"toy_width": "16", "clip": "0.02"})
    page = tab.page(_Page())
    ctx.sessions.reserve(page, LAB.key)
    ctx.sessions.start_in(page, LAB.key, TrainingJob(run, log_every=1)).job.start().join(60)
    sent = dict(zip(outputs, tab.init(request=_Page()), strict=True))
    assert sent[train.variant]["value"] == "wgan"
    assert [sent[c] for c in (train.dataset, train.steps, train.batch, train.seed)] == ["toy-8gaussians", 7, 24, 3]
    names = train.settings.names
    shown = {n: sent[c]["value"] for n, c in zip(names, train.settings.controls, strict=True) if sent[c] != gr.skip()}
    assert shown["clip"] == "0.02" and shown["toy_width"] == 16 and "lambda_gp" not in shown
    # the variant's change that follows the page load keeps them (it would reset them to the defaults)
    kept = dict(zip(names, train.on_variant("wgan", None, request=_Page()), strict=True))
    assert kept["clip"]["value"] == "0.02" and kept["toy_width"]["value"] == 16
