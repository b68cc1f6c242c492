"""What the page teaches must be true (issue 25), through a real client: the Lab draws the generator
it trains, its picture shows the layers asked for and a colour scale, and every tab explains its
curves with the objective being optimized and the current values of its terms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

gradio_client = pytest.importorskip("gradio_client")
from conftest import connect, serving_app  # noqa: E402

LAB = dict(variant="wgan-gp", dataset="toy-8gaussians", steps=100, batch_size=64, seed=0)
SAMPLES = 6  # the position of the samples (the Lab's points) in a poll's outputs


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_app(tmp_path_factory, max_jobs=2, grace_s=0.5) as app:
        yield app


def drawn_points(outputs) -> np.ndarray:
    """The generated points of the Lab's scatter plot, as the page received them."""
    plot = outputs[SAMPLES]
    plot = plot.get("value", plot) if isinstance(plot, dict) else plot
    columns = plot["columns"]
    rows = [dict(zip(columns, row, strict=True)) for row in plot["data"]]
    return np.array([[r["x"], r["y"]] for r in rows if r["points"] == "generated"])


def lab_job(server):
    (job,) = [j for _, tab, j in server[0].ctx.sessions.active_jobs() if tab == "lab"]
    return job


def test_a_generator_step_moves_the_drawn_points_as_the_generator_moves(server):
    """The Lab once drew a moving average: five generator steps moved the drawn points 0.004 while
    the generator's own moved 0.057. Now the drawn points are the generator's own, step by step."""
    client = connect(server[1])
    before = drawn_points(client.predict("critic", *LAB.values(), api_name="/lab_step"))
    job = lab_job(server)
    z = job.preview_inputs["z"]
    for _ in range(5):
        after = drawn_points(client.predict("generator", *LAB.values(), api_name="/lab_step"))
    with torch.no_grad():
        own = job.model.generator(z).numpy()
    moved = np.linalg.norm(after - before, axis=1).mean()
    assert moved > 1e-3  # the generator did move its points ...
    assert np.abs(after - own).max() < 2e-3  # ... and what is drawn is where the generator puts them
    client.predict(api_name="/lab_stop")


def test_the_lab_picture_shows_the_layers_asked_for_and_a_colour_scale(server):
    from PIL import Image

    from gan_playground import landscape

    client = connect(server[1])
    client.predict("both", *LAB.values(), api_name="/lab_step")

    def picture(layers):
        path = client.predict(layers, api_name="/lab_layers")
        return np.asarray(Image.open(path).convert("RGB"))

    every = picture(list(landscape.LAYERS))
    bare = picture([])
    assert every.shape[0] == bare.shape[0] + landscape.BAR  # the colour scale goes with the heat map
    assert (bare == 255).all()  # nothing asked for, nothing drawn
    only_manifold = picture(["generator's manifold"])
    purple = np.all(only_manifold == landscape.MANIFOLD, axis=-1)
    assert purple.sum() > 20 and not (every == 255).all()
    client.predict(api_name="/lab_stop")


@pytest.mark.slow
def test_a_wgan_run_explains_its_curves_and_shows_which_digits_it_draws(server):
    """Beside the curves: each loss's formula with its value now; under the samples: the classes
    the evaluation classifier sees in them, so a missing digit (mode collapse) shows."""
    from test_ui_client import is_final, message_of, poll_until

    client = connect(server[1])
    client.predict(variant="wgan-gp", dataset="mnist", steps=260, batch_size=16, seed=0, api_name="/wgan_start")
    out = poll_until(client, "wgan", is_final, timeout=240)
    assert "Finished" in out[0], out[0]
    caption = out[SAMPLES + 2]
    for name in ("loss_d", "loss_g", "wasserstein", "penalty"):
        assert f"`{name}` = **" in caption, caption  # its value now
    assert r"\mathbb{E}[D(G(z))]" in caption and "moving average" in caption
    message = message_of(out, "wgan")
    assert "Classes in the samples" in message and message.count("%") >= 10, message


def test_a_step_by_hand_is_narrated_and_the_points_leave_trails(server):
    """GAN Lab's slow mode: the Lab names each sub-step of the step just taken, with its numbers, and
    shows what changed: after a generator step, grey trails from where the points were."""
    from PIL import Image

    from gan_playground import landscape

    client = connect(server[1])
    client.predict("critic", *LAB.values(), api_name="/lab_step")
    out = client.predict("critic", *LAB.values(), api_name="/lab_step")
    told = out[SAMPLES + 2]
    assert "One critic step" in told and "*Score*" in told and "the heat map changes" in told
    picture = np.asarray(Image.open(out[SAMPLES + 1]).convert("RGB"))
    assert np.all(picture == landscape.CHANGED, axis=-1).sum() > 20  # where the critic's update changed it most
    assert "wasserstein" not in told or "= **" in told  # the numbers of that very step
    out = client.predict("generator", *LAB.values(), api_name="/lab_step")
    told = out[SAMPLES + 2]
    assert "One generator step" in told and "L_G" in told and "= **" in told
    picture = np.asarray(Image.open(out[SAMPLES + 1]).convert("RGB"))
    assert np.all(picture == landscape.TRAIL, axis=-1).sum() > 20  # the trails of the moved points
    client.predict(api_name="/lab_stop")


def test_the_labs_timelapse_is_made_of_its_pictures_each_labelled_with_its_step(server):
    """Frames of the landscape, arrows and points as the page drew them (not bare points), each with
    its step written on it."""
    from PIL import Image, ImageSequence
    from test_ui_client import is_final, poll_until

    client = connect(server[1])
    client.predict(*{**LAB, "steps": 150}.values(), api_name="/lab_start")
    poll_until(client, "lab", is_final)
    gif = Image.open(client.predict(api_name="/lab_timelapse"))
    frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    assert len(frames) >= 2
    for frame in frames:
        label, body = frame[:16], frame[16:]
        assert (label < 100).any() and (label > 200).mean() > 0.8  # dark text on a white strip
        assert (body[..., 0].astype(int) - body[..., 2] > 60).mean() > 0.05  # red of the critic's landscape
