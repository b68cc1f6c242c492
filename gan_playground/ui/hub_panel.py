"""The Hub panel: push the tab's last save to the Hugging Face Hub with the visitor's own token, and
load a checkpoint from the Hub to explore."""

from __future__ import annotations

import shutil

import gradio as gr

from gan_playground import hub
from gan_playground.checkpoints import load_checkpoint
from gan_playground.errors import UserError
from gan_playground.ui.checkpoint_panel import MAX_UPLOAD_BYTES, keep_upload
from gan_playground.ui.context import upload_name
from gan_playground.ui.i18n import t
from gan_playground.ui.tab import Tab

TOKENS_PAGE = "https://huggingface.co/settings/tokens"


class HubPanel:
    def __init__(self, tab: Tab):
        self.tab, self.spec = tab, tab.spec

    def build(self) -> None:
        key = self.spec.key
        with gr.Accordion(t("hub.box"), open=False, elem_id=f"{key}-hub-box"):
            with gr.Row():
                self.push_repo = gr.Textbox(label=t("hub.push_repo"), placeholder="your-name/gan-playground-model",
                                            elem_id=f"{key}-push-repo")
                self.push_token = gr.Textbox(label=t("hub.push_token"), type="password", info=t("hub.push_token.info"),
                                             elem_id=f"{key}-push-token")
                self.push_private = gr.Checkbox(label=t("hub.private"), value=False, elem_id=f"{key}-push-private")
            self.push_btn = gr.Button(t("hub.push"), elem_id=f"{key}-push-btn")
            self.push_msg = gr.Markdown(elem_id=f"{key}-push-msg")
            with gr.Row():
                self.pull_repo = gr.Textbox(label=t("hub.pull_repo"), placeholder="user/model", scale=3,
                                            elem_id=f"{key}-pull-repo")
                self.pull_token = gr.Textbox(label=t("hub.pull_token"), type="password", scale=2,
                                             info=t("hub.pull_token.info"),
                                             elem_id=f"{key}-pull-token")
                self.pull_btn = gr.Button(t("hub.pull"), scale=1, elem_id=f"{key}-pull-btn")
            self.pull_msg = gr.Markdown(elem_id=f"{key}-pull-msg")

    def push(self, repo_id, token, private, request: gr.Request = None):
        """Always the visitor's token: a server's own login or HF_TOKEN must never push for a visitor."""
        slot = self.tab.slot(request)
        repo_id, token = (repo_id or "").strip(), (token or "").strip()
        if not repo_id:
            return "⚠ Give a repository id, e.g. your-name/wgan-gp-mnist."
        try:
            hub.validate_repo_id(repo_id)
            saves = [p for p in slot.saved if p.is_dir()]
            if not saves:
                raise UserError("Nothing to push yet: train a model and press Save checkpoint (under Checkpoints) "
                                "first.")
            if not token:
                raise UserError(f"Fill in the access token field with a write token from {TOKENS_PAGE}; "
                                f"it is used for this push only.")
            url = hub.push_checkpoint(saves[-1], repo_id, token=token, private=bool(private))
        except UserError as err:
            return f"⚠ {err}"
        except Exception as err:  # a network or Hub error not foreseen by hub.py: say it, keep the app alive
            return f"⚠ Push failed: {type(err).__name__}: {err}"
        return f"Pushed `{saves[-1].name}` to [{url}]({url})."

    def pull(self, repo_id, token="", request: gr.Request = None):
        """Anonymous unless the visitor gives their own token: the server's HF_TOKEN or login must never
        reach the Hub for a visitor (it would open the owner's private and gated repos to them)."""
        slot = self.tab.slot(request)
        repo_id, token = (repo_id or "").strip(), (token or "").strip()
        if not repo_id:
            return ["⚠ Give a repository id, e.g. user/acgan-mnist.", gr.skip()]
        folder = self.tab.ctx.tmp_path("-pull")
        try:
            hub.pull_checkpoint(repo_id, out_dir=folder, token=token or False, max_total=MAX_UPLOAD_BYTES)
            loaded = load_checkpoint(folder)
            name = upload_name(loaded)
            self.tab.checkpoints.check_tab(loaded, repo_id)
        except UserError as err:
            shutil.rmtree(folder, ignore_errors=True)
            return [f"⚠ {err}", gr.skip()]
        except Exception as err:
            shutil.rmtree(folder, ignore_errors=True)
            return [f"⚠ Loading from the Hub failed: {type(err).__name__}: {err}", gr.skip()]
        keep_upload(slot, name, loaded)
        slot.loaded, slot.source, slot.scatter_cache = loaded, "checkpoint", None
        return [f"Loaded **{repo_id}**: {loaded.model.name} on {loaded.run.dataset}, step {loaded.step:,}, "
                f"for exploring.", gr.update(value=loaded.model.name)]
