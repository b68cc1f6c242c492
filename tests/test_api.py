"""The Python API (gan_playground/api.py), and the README's example run as it is written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import gan_playground as gp
from gan_playground.errors import UserError

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_readme_example_runs_as_written(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Use it from Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "checkpoints").symlink_to(REPO / "checkpoints")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["threes"].shape == (16, 28, 28) and scope["threes"].dtype == np.uint8
    assert scope["grid"].ndim == 3 and scope["grid"].shape[2] == 3
    assert scope["frames"].shape == (8, 28, 28)
    assert scope["codes"].shape == (16, 8) and scope["sevens"].shape == (16, 28, 28)
    assert scope["points"].shape == (512, 2) and np.isfinite(scope["points"]).all()
    assert gp.load("runs/my-wgan-gp").step == 300  # what it saved loads again


def test_classes_choose_the_digit(tmp_path):
    """The shipped ACGAN draws the asked-for class: the evaluation classifier agrees."""
    from gan_playground.metrics import classifier_outputs, load_classifier

    m = gp.load(REPO / "checkpoints" / "acgan-mnist")
    sevens = m.sample(50, classes=7, seed=3)
    import torch

    x = torch.as_tensor(sevens).unsqueeze(1).float().div(127.5).sub(1)
    _, predicted, _ = classifier_outputs(load_classifier("mnist"), x)
    assert (predicted == 7).float().mean() > 0.9


def test_bad_input_says_what_is_wrong():
    m = gp.load(REPO / "checkpoints" / "wgan-gp-mnist")
    with pytest.raises(UserError, match="not conditional"):
        m.sample(4, classes=3)
    with pytest.raises(UserError, match="no encoder"):
        m.encode(np.zeros((2, 28, 28), dtype=np.uint8))
    acgan = gp.load(REPO / "checkpoints" / "acgan-mnist")
    with pytest.raises(UserError, match="from 0 to 9"):
        acgan.sample(4, classes=12)
    with pytest.raises(UserError, match="Only a model trained here"):
        acgan.save("anywhere")
    with pytest.raises(UserError, match="does not exist"):
        gp.load("no/such-folder-here-either/x")


@pytest.mark.parametrize("call, fragment", [
    (lambda m: gp.load(None), "got NoneType"),
    (lambda m: gp.load(123), "got int"),
    (lambda m: gp.load("x" * 10_000), "Cannot read 'xxxx"),
    (lambda m: m.sample(1.5), "n must be a whole number"),
    (lambda m: m.sample(4, classes=3.5), "classes must be a whole number"),
    (lambda m: m.sample(4, classes=2**70), "classes must be from 0 to 9"),
    (lambda m: m.sample(2, classes=[1.5, 2]), "one whole number or 2 of them"),
    (lambda m: m.sample(4, seed=2**70), "seed must be from 0"),
    (lambda m: m.sample(100_001), "n must be from 1 to 100,000"),
    (lambda m: m.sample(5000, grid=True), "n must be from 1 to 1,024"),
    (lambda m: m.interpolate(1, 2, steps=10**7), "steps must be from 2 to 1,000"),
    (lambda m: m.interpolate(1, 2, classes=(3, 2**70)), "a class must be from 0 to 9"),
])
def test_values_that_would_overflow_or_be_truncated_are_refused(call, fragment):
    """Each once gave a traceback, an allocation of hundreds of GB, or a silently truncated value."""
    acgan = gp.load(REPO / "checkpoints" / "acgan-mnist")
    with pytest.raises(UserError, match=re.escape(fragment)):
        call(acgan)


def test_many_samples_are_drawn_in_chunks():
    """100,000 samples at once once reached 20.5 GB; in chunks of 1,000 the peak is small."""
    m = gp.load(REPO / "checkpoints" / "wgan-gp-mnist")
    calls = []
    real = m.net.sample
    m.net.sample = lambda z, y=None: calls.append(len(z)) or real(z, y)
    images = m.sample(2_500, seed=1)
    assert images.shape == (2_500, 28, 28) and images.dtype == np.uint8
    assert calls == [1_000, 1_000, 500]
    z = m.latents(2_500, seed=1)  # the chunks draw what one call would draw from the same latents
    at_once = ((real(z[-20:]) + 1) * 127.5).round().clamp(0, 255).squeeze(1).numpy().astype(int)
    assert np.abs(images[-20:].astype(int) - at_once).max() <= 1
