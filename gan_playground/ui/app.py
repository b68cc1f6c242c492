"""Putting the tabs together: `build_app()` and `launch()`."""

from __future__ import annotations

import os
from typing import Any

import gradio as gr

from gan_playground.ui import about, aae, acgan, wgan
from gan_playground.ui.context import AppContext
from gan_playground.ui.panels import ModelTab
from gan_playground.ui.sessions import session_of

TABS = ("acgan", "aae", "wgan", "lab")
_COMMON = ("start", "poll", "pause", "resume", "stop", "save", "resume_checkpoint", "explore_info",
           "load_checkpoint", "push_hub", "pull_hub", "init", "checkpoints")
API_NAMES: tuple[str, ...] = (
    *(f"{t}_{a}" for t in TABS for a in _COMMON),
    *(f"{t}_{a}" for t in ("acgan", "aae", "wgan") for a in ("interpolate", "random_seeds")),
    *(f"{t}_{a}" for t in ("acgan", "aae") for a in ("class_grid", "class_by_z")),
    "aae_latent_scatter", "aae_decode_point", "aae_latent_plane", "lab_heatmap",
)
CACHE_CHECK_S, CACHE_MAX_AGE_S = 1800, 3600  # delete cached files older than an hour, checked twice an hour


def build_app(ctx: AppContext | None = None, **ctx_kwargs: Any) -> gr.Blocks:
    """The whole UI. `ctx_kwargs` (max_jobs, grace_s, load_shipped) go to AppContext.create."""
    ctx = ctx or AppContext.create(**ctx_kwargs)
    with gr.Blocks(title="GAN Playground", delete_cache=(CACHE_CHECK_S, CACHE_MAX_AGE_S)) as demo:
        gr.Markdown("# GAN Playground\nTrain ACGANs, adversarial autoencoders and Wasserstein GANs live, "
                    "watch them learn, then explore what they learned. New here? Pick a tab, press **Start**, "
                    "and see the **About** tab for what each model does.")
        tabs: list[ModelTab] = []
        with gr.Tabs():
            tabs.append(acgan.build(ctx))
            tabs.append(aae.build(ctx))
            tabs.append(wgan.build(ctx))
            tabs.append(wgan.build_lab(ctx))
            about.build()
        # The page's identity: an id this server made, kept in the browser so that a reload finds
        # the page's runs again (sessions.py). The tabs fill in once the page is known.
        page_id = gr.BrowserState(None, storage_key="gan-playground-page")

        def attach_page(kept: Any, request: gr.Request):
            return ctx.sessions.attach(session_of(request), kept)

        attached = demo.load(attach_page, page_id, page_id, api_visibility="private", show_progress="hidden")
        for tab in tabs:
            attached.then(tab.init, None, tab.init_outputs(), api_name=tab.api("init"), show_progress="hidden")

        def on_unload(request: gr.Request):
            ctx.sessions.close_later(session_of(request))

        demo.unload(on_unload)
    demo.ctx = ctx  # for tests and for stopping jobs at shutdown
    return demo


def launch(demo: gr.Blocks | None = None, **kwargs: Any):
    """Serve on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (default 127.0.0.1:7860)."""
    demo = demo or build_app()
    options: dict[str, Any] = dict(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size="200mb",  # uploads: a checkpoint's weights, nothing bigger
        theme=gr.themes.Soft(),
    )
    options.update(kwargs)
    return demo.queue(default_concurrency_limit=2).launch(**options)
