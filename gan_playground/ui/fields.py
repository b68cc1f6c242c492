"""Fields whose refusals are the handlers' or quiet.

Gradio's own gr.Number and gr.Slider fail on None or on text sent by a client before any handler
runs, and the client only hears "the upstream Gradio app has raised an exception". These pass
such a value on unchanged (Gradio's checks still apply to good values), so that the handler's
`text.read_number` refuses it naming the field and its range. They draw as Gradio's own
(`is_template`: the browser uses the parent's component).
"""

from __future__ import annotations

from typing import Any, Callable

import gradio as gr


# Two copies of one `preprocess`, not a mixin: Gradio finds a template's frontend by its first
# base class (`Block.get_block_name`), so that base must be Gradio's own component.
class Number(gr.Number):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        try:
            return super().preprocess(payload)
        except Exception:
            return payload


class Slider(gr.Slider):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        try:
            return super().preprocess(payload)
        except Exception:
            return payload


# Choices: Gradio refuses a value outside them itself (a client can send any), with a gr.Error that
# prints its traceback in the server log. These refuse the same, quietly: nothing failed on the server.
class Dropdown(gr.Dropdown):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return _quietly(super().preprocess, payload)


class Radio(gr.Radio):
    is_template = True

    def preprocess(self, payload: Any) -> Any:
        return _quietly(super().preprocess, payload)


def _quietly(preprocess: Callable[[Any], Any], payload: Any) -> Any:
    try:
        return preprocess(payload)
    except gr.Error as err:
        raise gr.Error(err.message, print_exception=False) from None
