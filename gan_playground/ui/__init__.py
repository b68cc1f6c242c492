"""The Gradio app: `build_app()` returns the Blocks; `launch()` serves it (see app.py).

How it is split (each panel and explorer is one unit: its layout, its events, its handlers):

    app.py               the tabs, the page's identity (gr.BrowserState), launch()
    spec.py              the four model tabs as data: models, data sets, defaults, explorers
    model_tab.py         a tab put together, and the events that cross its panels
    tab.py               what a tab's panels share: the page's slot, starting a run
    train.py             Train: the form, Start / Pause / Resume / Stop, the page's runs
    settings.py          the model settings' controls and the one check of what Start sends
    live.py              Live: the plots, the samples, the timelapse; views built once per snapshot
    explorers.py         interpolation, class conditioning, the latent map, the critic's landscape
    lab.py               the 2-D Lab: step by step, slow motion, the variants side by side
    checkpoint_panel.py  save, download (.zip), resume, load and upload
    hub_panel.py         push and pull on the Hugging Face Hub
    tools.py             what an MCP client sees: the tools' names and docstrings; the rest undocumented
    context.py           shipped checkpoints, which model Explore looks at, temp files
    sessions.py          pages (server-made ids), their slots, the job cap, memory given back
    text.py              pure helpers: numbers, status lines, the plots' data frames
    i18n/                the page's languages: en.py (the source of every key), zh.py; t() and tr()

Every event has an api_name of the form `<tab>_<action>`; README.md lists them and the MCP tools.
"""

from gan_playground.ui.app import API_NAMES, build_app, launch

__all__ = ["API_NAMES", "build_app", "launch"]
