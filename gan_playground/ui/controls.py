"""What the Train panel's status line and buttons show when nothing else says more: shared by the
panel that starts runs (train.py), the live view that polls them (live.py) and the loader that
resumes them (checkpoint_panel.py)."""

from __future__ import annotations

from typing import Any

import gradio as gr

IDLE = "Not training. Choose settings and press **Start**."


def button_updates(state: str | None) -> list[Any]:
    """Start, Pause, Resume, Stop: only what makes sense now can be pressed (a queued run can only be
    stopped, which takes it out of the queue)."""
    running, paused, queued = state in ("ready", "running"), state == "paused", state == "queued"
    return [gr.update(interactive=not (running or paused or queued)), gr.update(interactive=running),
            gr.update(interactive=paused), gr.update(interactive=running or paused or queued)]
