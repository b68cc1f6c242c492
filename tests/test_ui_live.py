"""The live panel's poll called directly (no server): what a page is sent at each tick."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from gan_playground.config import RunConfig
from gan_playground.engine import TrainingJob
from gan_playground.run import prepare_run
from gan_playground.ui.context import AppContext
from gan_playground.ui.live import LivePanel
from gan_playground.ui.spec import LAB
from gan_playground.ui.tab import Tab

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
SKIP = gr.skip()


class Request:
    session_hash = "live-test"


def test_a_run_that_ends_before_the_first_poll_still_shows_that_it_ended():
    """After a start the page redraws its panels (`show`) before the timer's first tick; a run of a
    few steps may be over by then. The poll must still send its final status and buttons."""
    ctx = AppContext.create(max_jobs=1, load_shipped=False, checkpoints=CHECKPOINTS)
    with gr.Blocks():
        tab = Tab(ctx, LAB)
        live = LivePanel(LAB, tab)
        live.build()
    page = tab.page(Request())
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=5, batch_size=16, device="cpu"),
                      {"toy_width": "16"})
    ctx.sessions.reserve(page, "lab")
    job = ctx.sessions.start_in(page, "lab", TrainingJob(run, log_every=1)).job.start()
    assert job.join(60) and job.state == "finished"
    live.show(request=Request())  # the start's follow-up draws the finished run's panels ...
    status, *rest = live.poll(request=Request())  # ... and the first tick still says it finished
    timer, start_btn = rest[len(live.outputs)], rest[len(live.outputs) + 1]
    assert status.startswith("**Finished**") and "step **5 / 5**" in status
    assert timer.active is False and start_btn["interactive"] is True
    again = live.poll(request=Request())
    assert again[0] == SKIP and all(o == SKIP for o in again[1:1 + len(live.outputs)])  # nothing new: nothing sent
