"""The page in the visitor's language: English (en.py, the source of every key) and Chinese (zh.py).

Two kinds of text, two mechanisms:

- What the layout says (tabs, labels, buttons, help, the About text) is built once for every visitor,
  so it is a key, `t("train.start")`, that Gradio's `gr.I18n` translates in the browser by the
  browser's language.
- What a handler writes (the status line, the queue's place and wait) is made on the server for one
  request, so `tr(key, lang, **values)` fills in the text of the language `lang_of(request)` reads
  from the request's Accept-Language header, choosing as the page's frontend chooses.

A language is a module with a `TEXT` dict holding the keys of en.TEXT; a key it lacks shows in
English (tests/test_i18n.py fails on it). To add one, see README.md, "Languages".
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from gan_playground.ui.i18n import en, zh

if TYPE_CHECKING:  # Gradio is imported where the page is built: text.py's helpers stay free of it
    import gradio as gr

MODULES = {"en": en, "zh": zh}
LANGUAGES: dict[str, dict[str, str]] = {lang: module.TEXT for lang, module in MODULES.items()}

# The locales of Gradio 6.31's own frontend (its templates' lang/*.json). The page takes the browser's
# first language if Gradio has it, else its primary subtag if Gradio has that, else English; our texts
# then follow the chosen locale's primary subtag ("zh-CN" -> zh). So "zh-CN" and "zh-TW" get Chinese,
# while a bare "zh" or "zh-HK" gets English: lang_of() chooses the same, so that a page is never half
# in one language and half in another.
GRADIO_LOCALES = frozenset((
    "ar", "ca", "ckb", "de", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "id", "ja", "ko", "lt", "nb",
    "nl", "pl", "pt", "pt-br", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz", "zh-cn", "zh-tw"))


def t(key: str) -> "gr.i18n.I18nData":
    """A text of the layout, translated in the browser. An unknown key fails here, at build time,
    rather than showing as "train.start" on the page."""
    from gradio.i18n import I18nData

    if key not in en.TEXT:
        raise KeyError(f"no English text for {key!r} in gan_playground/ui/i18n/en.py")
    return I18nData(key)


def help_line(text: str, note: str = "") -> "gr.i18n.I18nData":
    """A model setting's help (its Config's English `text`) and range `note`, translated in the browser:
    each language gives its words for `text` in its `HELP` table (zh.HELP). The key is made from the
    text, so the same help shares one key wherever it shows."""
    from gradio.i18n import I18nData

    key = "help." + hashlib.sha1(f"{text}{note}".encode()).hexdigest()[:12]
    for lang, module in MODULES.items():
        words = text if module is en else getattr(module, "HELP", {}).get(text, text)
        LANGUAGES[lang].setdefault(key, words + note)
    return I18nData(key)


def tr(key: str, lang: str = "en", **values: Any) -> str:
    """A text made on the server, in `lang` (English where that language lacks the key)."""
    text = LANGUAGES.get(lang, en.TEXT).get(key) or en.TEXT[key]
    return text.format(**values) if values else text


def page_language(tag: str) -> str:
    """Which of LANGUAGES the page speaks for a browser whose first language is `tag` (see GRADIO_LOCALES)."""
    tag = tag.strip().lower()
    primary = tag.split("-")[0]
    locale = tag if tag in GRADIO_LOCALES else primary if primary in GRADIO_LOCALES else "en"
    lang = locale.split("-")[0]
    return lang if lang in LANGUAGES else "en"


def lang_of(request: "gr.Request | None") -> str:
    """The page's language for a request: its browser's first language (Accept-Language); English for
    an API client that sends none."""
    headers = getattr(request, "headers", None) or {}
    accepted = headers.get("accept-language", "") if hasattr(headers, "get") else ""
    first = accepted.split(",")[0].split(";")[0]
    return page_language(first) if first else "en"


def i18n_for(device: str) -> "gr.I18n":
    """The translations a page is served with. The detected device is known when the app is built,
    not when en.py is written, so its line is filled in here (the frontend formats no values)."""
    import gradio as gr

    texts = {lang: dict(text) for lang, text in LANGUAGES.items()}
    for lang, text in texts.items():
        text["train.device"] = tr("train.device", lang, device=device)
    return gr.I18n(**texts)
