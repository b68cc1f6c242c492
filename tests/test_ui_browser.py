"""The app in a real browser (Playwright + Chromium): every tab, a short training, an interpolation.

Screenshots go to tests/screenshots/ (git-ignored) for a person to look at. Skips only where
Playwright or Chromium is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GAN_PLAYGROUND_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (set GAN_PLAYGROUND_CHROMIUM)", allow_module_level=True)

from gan_playground.ui import build_app  # noqa: E402

TIMEOUT_MS = 180_000  # a loaded two-core machine can be slow to train the first steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("GAN_PLAYGROUND_UI_SAVES", str(tmp_path_factory.mktemp("ui-saves")))
    demo = build_app(max_jobs=1, grace_s=1.0)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    demo.url = f"http://127.0.0.1:{port}/"
    try:
        yield demo
    finally:
        demo.ctx.sessions.shutdown()
        demo.close()
        mp.undo()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(app, browser):
    SHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app.url)
    pg.get_by_text("GAN Playground").first.wait_for()
    yield pg
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title, exact=True).click()
    page.wait_for_timeout(300)


def fill(page, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id}").locator("input, textarea").first
    box.fill(value)
    box.press("Tab")  # blur: Gradio takes the value


def test_every_tab_renders(page):
    for title, key in (("ACGAN", "acgan"), ("Adversarial Autoencoder", "aae"), ("WGAN", "wgan"),
                       ("2-D Lab", "lab")):
        open_tab(page, title)
        start = page.locator(f"#{key}-start-btn")
        start.wait_for(state="visible")
        assert start.is_enabled()
        assert "Device:" in page.locator(f"#{key}-start-btn").locator("xpath=ancestor::div[contains(@class,'column')][1]").inner_text()
        shot(page, f"tab-{key}")
    open_tab(page, "About")
    about = page.get_by_text("Papers", exact=True)
    about.wait_for()
    assert page.locator(".katex").count() > 5  # the loss formulas are typeset
    shot(page, "tab-about")


def test_variant_switch_changes_the_settings(page):
    open_tab(page, "WGAN")
    page.locator("#wgan-variant").get_by_text("weight clipping (wgan)").click()
    page.locator("#wgan-set-clip").wait_for(state="visible")
    assert not page.locator("#wgan-set-lambda-gp").is_visible()
    page.locator("#wgan-variant").get_by_text("gradient penalty (wgan-gp)").click()
    page.locator("#wgan-set-lambda-gp").wait_for(state="visible")
    assert not page.locator("#wgan-set-clip").is_visible()


def test_bad_value_shows_a_message_beside_the_control(page):
    open_tab(page, "WGAN")
    fill(page, "wgan-set-lr", "fast")
    page.locator("#wgan-start-btn").click()
    message = page.locator("#wgan-set-lr").get_by_text("is not valid")
    message.wait_for(state="visible", timeout=15_000)
    shot(page, "wgan-invalid-lr")
    assert "Starting" not in page.locator("#wgan-status").inner_text()
    fill(page, "wgan-set-lr", "1e-4")


def test_train_watch_and_interpolate(page):
    open_tab(page, "WGAN")
    fill(page, "wgan-steps", "20000")  # still running at the pause and the stop below, however fast the machine
    fill(page, "wgan-batch", "32")
    page.locator("#wgan-start-btn").click()
    status = page.locator("#wgan-status")
    status.get_by_text("step").wait_for(timeout=TIMEOUT_MS)

    # the loss plot draws lines, then redraws them as the history grows
    line = page.locator("#wgan-loss-plot path[aria-roledescription='line mark']").first
    line.wait_for(state="attached", timeout=TIMEOUT_MS)
    first_path = line.get_attribute("d")
    page.wait_for_function(
        """([sel, before]) => { const p = document.querySelector(sel); return p && p.getAttribute('d') !== before; }""",
        arg=["#wgan-loss-plot path[aria-roledescription='line mark']", first_path], timeout=TIMEOUT_MS)

    # the sample grid appears, then changes
    img = page.locator("#wgan-samples img").first
    img.wait_for(state="attached", timeout=TIMEOUT_MS)
    first_src = img.get_attribute("src")
    page.wait_for_function(
        """([sel, before]) => { const i = document.querySelector(sel); return i && i.getAttribute('src') !== before; }""",
        arg=["#wgan-samples img", first_src], timeout=TIMEOUT_MS)
    shot(page, "wgan-live")

    # pause and resume with the buttons
    page.locator("#wgan-pause-btn").click()
    status.get_by_text("Paused").wait_for(timeout=30_000)
    assert page.locator("#wgan-resume-btn").is_enabled()
    page.locator("#wgan-resume-btn").click()
    status.get_by_text(re.compile("Training")).wait_for(timeout=30_000)

    # interpolate on the model while it trains
    page.locator("#wgan-n-frames input[type='number']").fill("6")
    page.locator("#wgan-n-frames input[type='number']").press("Enter")
    page.locator("#wgan-interp-btn").scroll_into_view_if_needed()
    page.locator("#wgan-interp-btn").click()
    page.wait_for_function("() => document.querySelectorAll('#wgan-strip img').length >= 6", timeout=TIMEOUT_MS)
    page.locator("#wgan-gif img").first.wait_for(state="attached", timeout=60_000)
    shot(page, "wgan-interpolation")

    page.locator("#wgan-stop-btn").click()
    status.get_by_text("Stopped").wait_for(timeout=60_000)
    page.locator("#wgan-message").get_by_text("Stopped at step").wait_for(timeout=30_000)
    shot(page, "wgan-stopped")


def train_briefly(page, key: str, steps: int, batch: int) -> None:
    fill(page, f"{key}-steps", str(steps))
    fill(page, f"{key}-batch", str(batch))
    page.locator(f"#{key}-start-btn").click()
    page.locator(f"#{key}-status").get_by_text("Finished").wait_for(timeout=TIMEOUT_MS)


def test_lab_points_and_critic_landscape(page):
    open_tab(page, "2-D Lab")
    train_briefly(page, "lab", 60, 256)
    page.locator("#lab-samples path[aria-roledescription='point'], #lab-samples path.mark-symbol, "
                 "#lab-samples g.mark-symbol path").first.wait_for(state="attached", timeout=60_000)
    page.locator("#lab-heatmap img").first.wait_for(state="attached", timeout=60_000)
    shot(page, "lab-live")


def test_acgan_class_grids(page):
    open_tab(page, "ACGAN")
    train_briefly(page, "acgan", 60, 32)
    page.locator("#acgan-source").get_by_text("this tab's run").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Class conditioning").click()
    page.locator("#acgan-class-btn").click()
    page.locator("#acgan-class-img img").first.wait_for(state="attached", timeout=60_000)
    page.locator("#acgan-cxz-btn").click()
    page.locator("#acgan-cxz-img img").first.wait_for(state="attached", timeout=60_000)
    shot(page, "acgan-classes")


def test_aae_latent_space(page):
    open_tab(page, "Adversarial Autoencoder")
    page.locator("#aae-variant").get_by_text("supervised (aae-supervised)", exact=True).click()
    train_briefly(page, "aae", 60, 64)
    page.get_by_role("tab", name="Latent space").click()
    page.locator("#aae-scatter-btn").click()
    page.locator("#aae-scatter-info").get_by_text("test images encoded").wait_for(timeout=60_000)
    page.locator("#aae-plane-img img").first.wait_for(state="attached", timeout=60_000)
    slider = page.locator("#aae-px input[type='number']")
    slider.fill("0.5")
    slider.press("Enter")
    page.locator("#aae-px input[type='range']").dispatch_event("pointerup")
    page.locator("#aae-point-img img").first.wait_for(state="attached", timeout=60_000)
    shot(page, "aae-latent")


def test_closing_the_page_stops_its_run(app, browser, page):
    """The page's unload event stops the session's jobs after the grace period (1 s here)."""
    context = browser.new_context()
    other = context.new_page()
    other.goto(app.url)
    other.get_by_text("GAN Playground").first.wait_for()
    open_tab(other, "2-D Lab")
    fill(other, "lab-steps", "100000")
    other.locator("#lab-start-btn").click()
    other.locator("#lab-status").get_by_text(re.compile("Training")).wait_for(timeout=TIMEOUT_MS)
    assert len(app.ctx.sessions.active_jobs()) == 1
    other.close()
    context.close()
    deadline = time.monotonic() + 30
    while app.ctx.sessions.active_jobs() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert app.ctx.sessions.active_jobs() == []
