"""Putting the tabs together: `build_app()` and `launch()`."""

from __future__ import annotations

import os
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from gan_playground.ui import about
from gan_playground.ui.context import AppContext, browser_secret
from gan_playground.ui.i18n import i18n_for, t, tr
from gan_playground.ui.model_tab import ModelTab, build_tab
from gan_playground.ui.sessions import session_of
from gan_playground.ui.spec import TABS
from gan_playground.ui.tools import INTERNAL

_COMMON = ("start", "poll", "pause", "resume", "stop", "save", "download", "resume_checkpoint", "explore_info",
           "load_checkpoint", "push_hub", "pull_hub", "init", "checkpoints", "runs", "stop_run", "timelapse",
           "choose_variant", "preset")
API_NAMES: tuple[str, ...] = (
    *(f"{t.key}_{a}" for t in TABS for a in _COMMON),
    *(f"{t}_{a}" for t in ("acgan", "aae", "wgan") for a in ("interpolate", "random_seeds", "sample")),
    *(f"{t}_{a}" for t in ("acgan", "aae") for a in ("class_grid", "class_by_z")),
    "aae_latent_scatter", "aae_decode_point", "aae_select_point", "aae_latent_plane", "lab_heatmap",
    "lab_step", "lab_speed", "lab_layers", "lab_compare_start", "lab_compare_poll", "lab_compare_stop",
)
# A field's message wraps inside its column: "from 0 to 9,223,372,036,854,775,807" overran a narrow one.
CSS = "div.validation-error { overflow-wrap: anywhere; white-space: normal; }"
CACHE_CHECK_S, CACHE_MAX_AGE_S = 1800, 3600  # delete cached files older than an hour, checked twice an hour


class App(gr.Blocks):
    """The page's Blocks, which always serve its translations (i18n/): Gradio 6.31 takes them only as
    `launch(i18n=...)`, and app.py, the tests and `gradio app.py` each launch it their own way."""

    i18n: gr.I18n | None = None

    def launch(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("i18n", self.i18n)
        return super().launch(*args, **kwargs)

    def get_api_info(self, all_endpoints: bool = False, page: str | None = None):
        """The API's description with each label in English: a translated label is a key for the
        browser, which a client or an MCP tool would read as {"key": ...}."""
        info = super().get_api_info(all_endpoints=all_endpoints, page=page)
        for kind in ("named_endpoints", "unnamed_endpoints"):
            for endpoint in info.get(kind, {}).values():
                for part in (*endpoint.get("parameters", []), *endpoint.get("returns", [])):
                    if isinstance(part.get("label"), I18nData):
                        part["label"] = tr(part["label"].key)
        return info


def build_app(ctx: AppContext | None = None, **ctx_kwargs: Any) -> gr.Blocks:
    """The whole UI. `ctx_kwargs` (max_jobs, grace_s, load_shipped, checkpoints) go to AppContext.create."""
    ctx = ctx or AppContext.create(**ctx_kwargs)
    with App(title="GAN Playground", delete_cache=(CACHE_CHECK_S, CACHE_MAX_AGE_S)) as demo:
        gr.Markdown(t("app.intro"))
        tabs: list[ModelTab] = []
        with gr.Tabs(overflow_behavior="wrap") as tab_row:  # on a phone every tab shows, none hides behind "..."
            for spec in TABS:
                tabs.append(build_tab(ctx, spec))
            about.build()
        # The page's identity: an id this server made, kept in the browser so that a reload finds
        # the page's runs again (sessions.py). The tabs fill in once the page is known.
        page_id = gr.BrowserState(None, storage_key="gan-playground-page", secret=browser_secret())

        def attach_page(kept: Any, request: gr.Request):
            return ctx.attach_page(session_of(request), kept)

        attached = demo.load(attach_page, page_id, page_id, api_visibility="private", show_progress="hidden")
        for tab in tabs:  # then a link's settings (`?tab=lab&steps=777`) fill the form of its tab
            train = tab.train
            attached.then(tab.init, None, tab.init_outputs(), api_name=tab.api("init"),
                          api_visibility=INTERNAL, show_progress="hidden").then(
                train.apply_link, None, [tab_row, *train.start_inputs, train.preset, train.status],
                api_visibility="private",
                show_progress="hidden")

        def on_unload(request: gr.Request):
            ctx.sessions.close_later(session_of(request))

        demo.unload(on_unload)
    demo.i18n = i18n_for(device=ctx.device_text)  # the page in the browser's language
    demo.ctx = ctx  # for tests and for stopping jobs at shutdown
    demo.model_tabs = tabs  # for tests: each tab's panels
    return demo


def launch(demo: gr.Blocks | None = None, **kwargs: Any):
    """Serve on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (default 127.0.0.1:7860). `mcp_server=True` (or
    GRADIO_MCP_SERVER=True, which Gradio reads when it is not given) serves the tools of tools.py to MCP
    clients at /gradio_api/mcp/ as well."""
    demo = demo or build_app()
    options: dict[str, Any] = dict(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size="200mb",  # uploads: a checkpoint's weights, nothing bigger
        theme=gr.themes.Soft(),
        css=CSS,
    )
    options.update(kwargs)
    return demo.queue(default_concurrency_limit=2).launch(**options)
