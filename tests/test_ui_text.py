"""The UI's pure helpers (gan_playground/ui/text.py, settings.py) and pictures (landscape.py), without a server."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gan_playground import landscape
from gan_playground.errors import UserError
from gan_playground.ui import text
from gan_playground.ui.settings import SettingControls, range_note, run_field, validate_start
from gan_playground.ui.spec import LAB, WGAN


def test_numbers_read_as_people_write_them():
    assert text.fmt_number(1e7) == "10,000,000" and text.fmt_number(1e-4) == "0.0001"
    assert "1e+07" not in range_note(run_field("steps", WGAN)) and "10,000,000" in range_note(run_field("steps", WGAN))
    assert text.read_number(" 7 ", "Steps", low=1) == 7
    for bad in (None, "", "abc", "1.5", 1.5, float("nan"), "inf", True, 0, 11):
        with pytest.raises(UserError, match=r"Steps must be a whole number from 1 to 10, got"):
            text.read_number(bad, "Steps", low=1, high=10)
    assert text.read_number("0.5", "x", whole=False) == 0.5


def test_a_class_is_read_strictly():
    assert text.parse_class("3", 10) == 3 and text.parse_class("3 · Dress", 10) == 3
    assert text.parse_class("cluster 12", 16) == 12
    for bad in ("-3", "10", "three", None, "3.5", "class -1"):
        with pytest.raises(UserError, match="Choose a class from 0 to 9"):
            text.parse_class(bad, 10)


def test_start_refuses_a_fractional_step_budget_instead_of_rounding_it():
    settings = SettingControls(WGAN, [], [])
    msgs = validate_start(WGAN, settings, "wgan-gp", "mnist", "1.5", 64, 0, [])
    assert "Step budget must be a whole number" in msgs[2]
    msgs = validate_start(WGAN, settings, "wgan-gp", "mnist", None, "abc", -1, [])
    assert all(msgs[2:5]) and "Seed" in msgs[4]


def test_the_lab_caps_what_would_take_minutes_per_step():
    settings = SettingControls(LAB, ["toy_width"], [None])
    msgs = validate_start(LAB, settings, "wgan-gp", "toy-8gaussians", 100, 4096, 0, [4096])
    assert "1,024" in msgs[3] and "1,024" in msgs[5]


def test_scores_are_drawn_by_kind_on_the_loss_plots_steps():
    hist_steps = [10, 20, 30, 40, 50]
    history = {"loss_d": [1, 2, 3, 4, 5], "acc_real": [0.5, 0.6, 0.7, 0.8, 0.9]}
    frames = text.score_frames(hist_steps, history, [25], {"fid": [170.0], "fid_floor": [1.8], "cond_acc": [0.4]})
    assert set(frames) == {"fid", "fraction"}
    fid = frames["fid"]
    # one measurement is still a visible line: it holds to the newest step; the floor spans the run
    assert fid[fid.score == "fid"].step.tolist() == [25, 50]
    assert fid[fid.score == "floor (real images)"].step.tolist() == [10, 50]
    fraction = frames["fraction"]
    assert set(fraction.score) == {"acc_real", "cond_acc"} and fraction.value.between(0, 1).all()
    assert "acc_real" not in text.loss_series(history)  # accuracies are scores, not losses
    assert text.PLOTS["fraction"][2] == (0.0, 1.0)


def test_lab_scores_and_autoencoder_fits_get_their_own_plots():
    frames = text.score_frames([5, 10], {"loss_d": [0, 0]}, [10], {"modes": [7.0], "in_3std": [0.8]})
    assert set(frames) == {"modes", "fraction"}
    frames = text.score_frames([5, 10], {"loss_recon": [0, 0]}, [10], {"recon_mse": [0.02], "prior_mmd": [0.1],
                                                                         "fid": [300.0], "fid_floor": [0.8]})
    assert set(frames) == {"fit", "fid"}


def test_tooltips_show_a_few_digits():
    frame = text.long_frame([1, 2], {"loss": [0.123456789, 12345.6789]}, "loss")
    assert frame.value.tolist() == [0.1235, 12350.0]
    assert text.long_frame([1], {"loss": [math.nan]}, "loss").empty


def test_real_points_stay_visible_over_generated_ones():
    real = np.array([[0.0, 0.0]])
    fake = np.zeros((500, 2))  # every generated point on top of the real one
    picture = landscape.landscape_picture(np.zeros((8, 8)), real, fake, size=101, extent=1.0)
    assert tuple(picture[50, 50]) == landscape.REAL
    assert tuple(picture[50, 52]) == (255, 255, 255)  # its ring keeps it apart from the orange


def test_arrows_point_uphill_on_the_critic():
    import torch

    critic = lambda x: x[:, :1] * 3.0  # D(x) = 3 x: uphill is +x  # noqa: E731
    directions = landscape.generator_directions(critic, torch.zeros(4, 2))
    assert np.allclose(directions, [[3.0, 0.0]] * 4)

    def reach(push: float) -> int:
        """How far right of the point (the picture's centre) an arrow of `push` along +x ends, in pixels."""
        picture = np.full((201, 201, 3), 255, dtype=np.uint8)
        landscape.draw_arrows(picture, np.zeros((1, 2)), np.array([[push, 0.0]]), 1.0)
        dark = np.argwhere(picture.sum(axis=2) < 300)
        assert dark[:, 1].min() >= 100  # drawn from the point towards +x
        return int(dark[:, 1].max()) - 100

    # Proportional (a slope of 1 is ARROW_UNIT of the view), so a weak push looks weak; capped.
    assert reach(1.0) == round(200 * landscape.ARROW_UNIT)
    assert reach(2.0) == 2 * reach(1.0)
    assert reach(100.0) == round(200 * landscape.ARROW_CAP)


def test_the_lenient_fields_draw_as_gradios_own_and_pass_bad_values_on():
    """The browser draws a template component by its first base class's name: it must stay Gradio's."""
    import gradio as gr

    from gan_playground.ui.fields import Dropdown, Number, Radio, Slider

    assert Number(1).get_block_name() == "number" and Slider(0, 10).get_block_name() == "slider"
    assert Number(1).preprocess("ten") == "ten" and Slider(0, 10).preprocess(None) is None
    assert Dropdown(["a"]).get_block_name() == "dropdown" and Radio(["a"]).get_block_name() == "radio"
    for field in (Dropdown(["a", "b"]), Radio(["a", "b"])):
        assert field.preprocess("b") == "b"
        try:
            field.preprocess("z")
        except gr.Error as err:  # refused as Gradio refuses, but with no traceback in the server log
            assert "not in the list of choices" in err.message and not err.print_exception
        else:
            raise AssertionError("a value outside the choices passed")


def test_the_device_line_names_the_threads_a_run_trains_on(monkeypatch):
    from gan_playground.device import cpu_threads, describe_device

    monkeypatch.setenv("GAN_PLAYGROUND_THREADS", "1")
    assert describe_device(torch.device("cpu")) == "cpu (1 thread)"
    monkeypatch.setenv("GAN_PLAYGROUND_THREADS", "3")
    assert describe_device(torch.device("cpu")) == f"cpu ({cpu_threads()} threads)" == "cpu (3 threads)"


def test_the_queue_says_where_a_run_stands_and_never_asks_for_another_press():
    first = text.queue_text(1, 2, 95.0, None, None)
    assert first.startswith("The server is busy: place **1** of 2") and "starts in about **1:35**" in first
    assert "starts by itself" in first and "Start again" not in first
    assert "starts when a place frees" in text.queue_text(2, 2, None, None, None)
    again = text.queue_text(1, 1, 30.0, 1234, None)
    assert again.startswith("Its turn ended at step 1,234 while others waited")
    assert "trains again in about **0:30**" in again
    holding = text.queue_text(None, 1, None, None, 61.0)
    assert holding.startswith("1 other run waits for a place") and "turn ends in about **1:01**" in holding
    ending = text.queue_text(None, 1, None, None, 45.0, finishes_first=True)  # the run ends before its turn
    assert "this run ends in about **0:45**, before its turn does" in ending and "turn ends" not in ending
    assert text.queue_text(None, 3, None, None, None) == "3 other runs wait for a place."


def test_the_class_histogram_warns_when_a_class_falls_below_half_its_share():
    from gan_playground.ui.text import class_histogram_text

    digits = [str(i) for i in range(10)]
    even = {f"share_{c}": [0.3, 0.1] for c in range(10)}
    assert "█" in class_histogram_text(even, digits) and "Mode collapse" not in class_histogram_text(even, digits)
    collapsed = {**even, "share_3": [0.1, 0.04], "share_1": [0.1, 0.16]}
    text = class_histogram_text(collapsed, digits)
    assert "Mode collapse" in text and "3 (4.0%)" in text and "1 (" not in text.split("Mode collapse")[1]
    assert class_histogram_text({}, digits) == ""  # nothing measured yet: nothing said


def test_every_models_objective_names_its_logged_losses_with_their_values():
    from gan_playground.models import MODELS
    from gan_playground.ui.objectives import objective_text, terms_of

    for name, cls in MODELS.items():
        logged = [n for n in cls.loss_names if not n.startswith("acc_")] if hasattr(cls, "loss_names") else []
        assert {t.name for t in terms_of(name)} >= set(logged), name
        text = objective_text(name, {n: 0.25 for n in logged})
        assert text.count("$") >= 2 * len(logged) and all(f"`{n}` = **0.25**" in text for n in logged), name
    assert "moving average" in objective_text("wgan-gp", ema=0.999) and "moving average" not in objective_text(
        "wgan-gp", ema=0.0)


def test_a_link_round_trips_the_form_and_leaves_out_what_it_cannot_take():
    from urllib.parse import parse_qsl

    from gan_playground.ui.links import link_query, read_link
    from gan_playground.ui.spec import LAB, WGAN

    query = link_query(LAB, "wgan-lp", "toy-25gaussians", {"steps": 777, "batch_size": 128, "seed": 42},
                       {"lambda_lp": "0.5", "lr": "0.001"}, {"lambda_lp": "0.1", "lr": "0.001"})
    params = dict(parse_qsl(query[1:]))
    assert params == {"tab": "lab", "variant": "wgan-lp", "dataset": "toy-25gaussians", "steps": "777",
                      "batch_size": "128", "seed": "42", "lambda_lp": "0.5"}  # only the changed setting
    form, notes = read_link(LAB, params, ["lambda_lp", "lr"])
    assert form == {"variant": "wgan-lp", "dataset": "toy-25gaussians", "steps": 777, "batch_size": 128, "seed": 42,
                    "lambda_lp": "0.5"} and notes == []
    form, notes = read_link(LAB, {**params, "batch_size": "4000", "lr": "fast", "clip": "1", "dataset": "cifar"},
                            ["lambda_lp", "lr", "clip"])
    assert "batch_size" not in form and "lr" not in form and "clip" not in form and "dataset" not in form
    assert len(notes) == 4 and any("out of its range" in n for n in notes)
    assert read_link(WGAN, params, []) == ({}, [])  # a link for another tab leaves this one alone
