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


def test_plot_updates_never_move_an_axis_limit_with_the_data():
    """Gradio 6.31's plot, sent new data with a new x_lim or y_lim in one update, draws the new axis
    around the old data (seen in Chromium: after a variant switch, the other variant's curves). So the
    page sends no x_lim, and the Lab's modes plot a height that is its data set's, not its data's:
    the same for a run that covers 6 modes as for one that covers 8."""
    from gan_playground.checkpoints import load_checkpoint
    from gan_playground.ui.live import record_view

    ctx = AppContext.create(max_jobs=1, load_shipped=False, checkpoints=CHECKPOINTS)
    with gr.Blocks():
        live = LivePanel(LAB, Tab(ctx, LAB))
        live.build()
    limits = []
    for name in ("wgan-toy-8gaussians", "wgan-gp-toy-8gaussians"):
        view = record_view(load_checkpoint(CHECKPOINTS / name), points=True, label=name)
        updates = [u for u in live.updates(view) if isinstance(u, dict)]
        assert updates and not any("x_lim" in u for u in updates)
        modes = live.updates(view)[live.outputs.index(live.score_plots["modes"])]
        limits.append((float(modes["value"].value.max()), modes["y_lim"]))
    assert limits[0][0] != limits[1][0] and limits[0][1] == limits[1][1] == [0, 9], limits
