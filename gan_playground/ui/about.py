"""The About tab: what each model does, its losses, and the papers (the text: i18n/en.py, "about.text")."""

from __future__ import annotations

import gradio as gr

from gan_playground.ui.i18n import t

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def build() -> None:
    with gr.Tab(t("tab.about"), id="about"):
        gr.Markdown(t("about.text"), latex_delimiters=LATEX)
