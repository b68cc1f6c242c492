"""The Python API (gan_playground/api.py), and the README's example run as it is written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import gan_playground as gp
from gan_playground.errors import UserError

REPO = Path(__file__).resolve().parents[1]


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
    _, predicted = classifier_outputs(load_classifier("mnist"), x)
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
