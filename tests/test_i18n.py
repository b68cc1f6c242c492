"""The page in Chinese for a Chinese browser, in English for everyone else (gan_playground/ui/i18n/).

Unit tests of the language modules and the server-made texts, then the real app: through a client
that sends Accept-Language, and in Chromium with a zh-CN and an en-US locale (the screenshot of the
Chinese page goes to tests/screenshots/chinese-page.png).
"""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from gan_playground import landscape
from gan_playground.engine import Snapshot
from gan_playground.ui import controls, i18n, text
from gan_playground.ui.i18n import en

REPO = Path(__file__).resolve().parents[1]
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def missing_keys(translated: dict[str, str]) -> list[str]:
    """The keys of en.py that a language lacks: each would show in English on its page."""
    return sorted(set(en.TEXT) - set(translated))


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


OTHER_LANGUAGES = sorted(set(i18n.LANGUAGES) - {"en"})


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_english_key_has_a_translation(lang):
    translated = i18n.LANGUAGES[lang]
    assert missing_keys(translated) == [], f"{lang} lacks these keys of en.py"
    assert sorted(set(translated) - set(en.TEXT)) == [], f"{lang} has keys en.py does not (renamed?)"
    assert all(translated[key].strip() for key in translated), "an empty translation"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_a_translation_fills_in_the_same_values(lang):
    """A server-made text (`tr`) fills in its {fields}: a translation that lost or renamed one fails."""
    for key, english in en.TEXT.items():
        if key.split(".")[0] in ("status", "queue"):
            assert fields_of(i18n.LANGUAGES[lang][key]) == fields_of(english), key


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_model_settings_help_has_a_translation(lang):
    """The Train panel's info line of each model setting is its Config's help: each language's HELP
    table has words for every one (a new setting without them fails here)."""
    from gan_playground.config import field_specs
    from gan_playground.models import MODELS

    helps = {s.help for cls in MODELS.values() for s in field_specs(cls.Config)}
    table = getattr(i18n.MODULES[lang], "HELP", {})
    assert sorted(helps - set(table)) == [], f"{lang}.HELP lacks these settings' help"
    assert sorted(set(table) - helps) == [], f"{lang}.HELP has help no setting has (changed?)"


def test_a_removed_key_is_caught():
    chinese = dict(i18n.LANGUAGES["zh"])
    del chinese["train.start"]
    assert missing_keys(chinese) == ["train.start"]


def test_english_stays_the_source_of_the_texts_the_code_reads():
    assert controls.IDLE == en.TEXT["status.idle"]
    assert tuple(en.TEXT[f"live.layer.{i}"] for i in range(len(landscape.LAYERS))) == landscape.LAYERS
    assert text.STATE_WORDS["running"] == "Training"
    with pytest.raises(KeyError, match="no English text"):
        i18n.t("train.no-such-key")


def request_with(accept_language: str | None):
    return SimpleNamespace(headers={} if accept_language is None else {"accept-language": accept_language})


@pytest.mark.parametrize("header, lang", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("zh-TW", "zh"), ("ZH-cn", "zh"),
    ("en-US,en;q=0.9", "en"), ("de-DE,zh-CN;q=0.9", "en"), (None, "en"), ("", "en"),
    # Gradio's frontend has no "zh" or "zh-HK" locale and shows those browsers English: so do we
    ("zh", "en"), ("zh-HK", "en"),
])
def test_the_language_of_a_request_is_the_pages(header, lang):
    assert i18n.lang_of(request_with(header)) == lang
    assert i18n.lang_of(None) == "en"


def snapshot(**kw) -> Snapshot:
    base = dict(state="running", step=1234, steps=5000, images_per_s=812.4, elapsed_s=75.0, eta_s=340.0,
                history_steps=[], history={})
    return Snapshot(**{**base, **kw})


def test_the_status_line_in_chinese():
    english = text.status_text(snapshot(), "wgan-gp", "mnist")
    assert english.startswith("**Training** wgan-gp on mnist · step **1,234 / 5,000** · 812 images/s")
    chinese = text.status_text(snapshot(), "wgan-gp", "mnist", lang="zh")
    assert chinese == ("**训练中** wgan-gp，数据集 mnist · 第 **1,234 / 5,000** 步 · 812 张图像/秒 · "
                       "已用时 1:15 · 预计剩余 **5:40**")
    assert "在第 90 步发散" in text.status_text(snapshot(state="diverged", diverged_at=90), "wgan", "mnist", lang="zh")
    assert "尚未开始" in text.status_text(snapshot(state="queued", images_per_s=0.0), "wgan", "mnist", lang="zh")


def test_the_queue_text_in_chinese():
    assert text.queue_text(1, 2, 95.0, None, None, "zh") == (
        "服务器繁忙：在队列中排第 **1** 位（共 2 个），约 **1:35** 后开始。它会自动开始，请保持此页面打开。")
    assert "第 1,234 步结束" in text.queue_text(1, 1, 30.0, 1234, None, "zh")
    assert text.queue_text(None, 3, None, None, None, "zh") == "另有 3 个训练在等待空位。"
    assert text.queue_text(None, 3, None, None, None) == "3 other runs wait for a place."  # English as it was


# -- the real app --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python app.py` on a free port, as a visitor meets it (its theme, the shipped checkpoints).
    Yields (None, url), as conftest.serving_app yields (demo, url)."""
    from conftest import free_port

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GAN_PLAYGROUND_MAX_JOBS": "1",
           "GAN_PLAYGROUND_UI_SAVES": str(tmp_path_factory.mktemp("saves")), "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"app.py did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.5)
        yield None, url
    finally:
        proc.terminate()
        proc.wait(15)


def test_a_chinese_client_hears_the_status_in_chinese_and_the_api_stays_english(server):
    pytest.importorskip("gradio_client")
    from conftest import connect

    chinese = connect(server[1], headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    out = chinese.predict(api_name="/lab_stop")
    assert out[0] == "本标签页中没有可以停止的训练。", out[0]
    status = chinese.predict(variant="wgan-gp", dataset="toy-8gaussians", steps=20, batch_size=64, seed=0,
                             api_name="/lab_start")[0]
    assert "**正在启动** wgan-gp" in status or "训练中" in status or "已完成" in status, status
    deadline = time.monotonic() + 60
    while not re.search("训练中|已完成", status) and time.monotonic() < deadline:
        status = chinese.predict(api_name="/lab_poll")[0]
        status = status if isinstance(status, str) else ""
        time.sleep(0.2)
    assert re.search(r"(训练中|已完成)\*\* wgan-gp，数据集 toy-8gaussians · 第 \*\*", status), status
    chinese.predict(api_name="/lab_stop")
    english = connect(server[1])
    assert english.predict(api_name="/lab_pause")[0] == "No run in this tab to pause."
    start = english.view_api(return_format="dict", print_info=False)["named_endpoints"]["/lab_start"]
    labels = [p["label"] for p in start["parameters"]]
    assert "Step budget" in labels and all(isinstance(label, str) for label in labels), labels


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium (Debian's chromium package)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def open_page(browser, url: str, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.locator("#acgan-start-btn").wait_for()
    page.locator("#acgan-source").get_by_text("Exploring").wait_for()  # the page has filled in (server-made: English)
    return context, page


@pytest.mark.slow
def test_a_chinese_browser_gets_the_page_in_chinese(browser, server):
    context, page = open_page(browser, server[1], "zh-CN")
    try:
        for name in ("ACGAN", "AAE", "WGAN", "二维实验室", "关于"):
            page.get_by_role("tab", name=name, exact=True).wait_for()
        assert page.locator("#acgan-start-btn").inner_text().strip() == "开始"
        assert page.locator("#acgan-stop-btn").inner_text().strip() == "停止"
        page.locator("#acgan-status").get_by_text("未在训练").wait_for()
        page.get_by_text("设备：").first.wait_for()
        page.get_by_text("训练步数").first.wait_for()
        page.get_by_text("生成器更新次数").first.wait_for()  # a field's help (info)
        page.locator("#acgan-settings").click()  # the model settings: each one's help, from its Config
        page.locator("#acgan-settings").get_by_text("噪声向量 z 的维度").wait_for()
        page.get_by_role("tab", name="WGAN", exact=True).click()
        page.locator("#wgan-settings").click()
        page.locator("#wgan-variant").get_by_text("权重裁剪（wgan）").click()  # its own help follows
        page.locator("#wgan-settings").get_by_text("评论家的权重被裁剪到 [-clip, clip]").wait_for()
        page.get_by_role("tab", name="ACGAN", exact=True).click()
        body = page.inner_text("body")
        shown_keys = sorted(key for key in en.TEXT if re.search(rf"(?<![\w.]){re.escape(key)}(?![\w.])", body))
        assert shown_keys == [], f"untranslated keys on the page: {shown_keys}"
        assert "__i18n__" not in body and "translation_metadata" not in body
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "chinese-page.png"), full_page=False)
        page.get_by_role("tab", name="二维实验室", exact=True).click()
        page.locator("#lab-critic-step-btn").get_by_text("一步评论家").wait_for()
        page.get_by_role("tab", name="关于", exact=True).click()
        page.get_by_text("对抗自编码器（AAE）").wait_for()  # the About text
        assert page.locator("[data-testid='toast-body'].error").all_inner_texts() == []
    finally:
        context.close()


@pytest.mark.slow
def test_an_english_browser_gets_the_page_in_english(browser, server):
    context, page = open_page(browser, server[1], "en-US")
    try:
        page.get_by_role("tab", name="2-D Lab", exact=True).wait_for()
        page.get_by_role("tab", name="About", exact=True).wait_for()
        assert page.locator("#acgan-start-btn").inner_text().strip() == "Start"
        page.locator("#acgan-status").get_by_text("Not training").wait_for()
        page.get_by_text("Device:").first.wait_for()
        assert not re.search(r"[\u4e00-\u9fff]", page.inner_text("body")), "Chinese on the English page"
    finally:
        context.close()
