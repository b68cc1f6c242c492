"""The explorers' handlers called directly, with a shipped checkpoint (no server)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from gan_playground.checkpoints import load_checkpoint
from gan_playground.ui.context import AppContext
from gan_playground.ui.explorers import LatentSpace
from gan_playground.ui.spec import AAE
from gan_playground.ui.tab import Tab

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"


class Request:
    session_hash = "explorer-test"


@pytest.fixture()
def latent():
    ctx = AppContext.create(load_shipped=False, checkpoints=CHECKPOINTS)
    tab = Tab(ctx, AAE)
    slot = tab.slot(Request())
    slot.loaded, slot.source, slot.variant = load_checkpoint(CHECKPOINTS / "aae-mnist"), "checkpoint", "aae"
    return LatentSpace(tab), slot


def test_a_click_on_the_map_decodes_exactly_that_point(latent):
    explorer, slot = latent
    picture, legend, info, xs, ys, _ = explorer.encode(request=Request())
    assert picture.shape == (440, 440, 3) and "prior p(z)" in legend and "8-D codes" in info
    x0, x1, y0, y1 = slot.scatter_cache[1]
    assert x1 - x0 == pytest.approx(y1 - y0)  # a square view: one scale on both axes
    click = gr.SelectData(None, {"index": [330, 110], "value": None})
    x, y, image, marked = explorer.select_point("0", click, request=Request())
    assert x == round(x0 + 330 / 439 * (x1 - x0), 2) and y == round(y1 - 110 / 439 * (y1 - y0), 2)
    expected = explorer.decode_point(x0 + 330 / 439 * (x1 - x0), y1 - 110 / 439 * (y1 - y0), "0", request=Request())
    assert np.array_equal(image, expected)
    assert (marked != picture).any()  # the map marks the decoded point


def test_changing_the_class_before_encoding_is_no_error(latent):
    explorer, slot = latent
    slot.loaded = load_checkpoint(CHECKPOINTS / "aae-cluster-mnist")  # codes of 8-D: a plane must be found first
    slot.variant = "aae-cluster"
    assert explorer.decode_quietly(0.0, 0.0, "cluster 3", request=Request()) == gr.skip()
