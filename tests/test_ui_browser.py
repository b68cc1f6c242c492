"""The app in a real browser (Playwright + Chromium), as a new visitor meets it.

The app runs as `python app.py` in its own process, with the shipped checkpoints, and its log is
read after every test: any traceback there fails the test, and so does any error toast on the page.
Screenshots of every tab at 1400x1000 and 420x900 go to tests/screenshots/ (git-ignored) for a
person to look at. Skips only where Playwright or Chromium is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

pytestmark = pytest.mark.slow  # a real browser on the app: minutes; CI runs it, `-m "not slow"` skips it

CHROMIUM = os.environ.get("GAN_PLAYGROUND_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
SHOTS = Path(__file__).resolve().parent / "screenshots"

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (set GAN_PLAYGROUND_CHROMIUM)", allow_module_level=True)

TIMEOUT_MS = 180_000  # a loaded two-core machine can be slow to train the first steps
GRACE_S = 10
TABS = (("ACGAN", "acgan"), ("AAE", "aae"), ("WGAN", "wgan"), ("2-D Lab", "lab"))
VARIANTS = {"aae": ("aae", "aae-supervised", "aae-semisupervised", "aae-cluster"),
            "wgan": ("wgan", "wgan-gp", "wgan-div", "wgan-lp"), "lab": ("wgan", "wgan-gp", "wgan-div", "wgan-lp")}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`python app.py` on a free port, with one job at a time and a grace of GRACE_S for closed pages
    (long enough for a reload to find its page again, short enough for the closing test)."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GAN_PLAYGROUND_MAX_JOBS": "1",
           "GAN_PLAYGROUND_MAX_LAB_JOBS": "1",
           "GAN_PLAYGROUND_SESSION_GRACE_S": str(GRACE_S),
           "GAN_PLAYGROUND_UI_SAVES": str(tmp_path_factory.mktemp("saves")),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, proc, log)
        yield {"url": url, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"app.py exited:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"app.py did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(autouse=True)
def no_traceback_in_the_server_log(app):
    before = app["log"].read_text()
    yield
    new = app["log"].read_text()[len(before):]
    assert "Traceback" not in new, new[-4000:]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def open_page(browser, app, width: int = 1400, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app["url"])
    page.get_by_text("GAN Playground").first.wait_for()
    page.locator("#acgan-source").get_by_text("Exploring").wait_for(timeout=60_000)  # the page has filled in
    return page


@pytest.fixture(scope="module")
def page(app, browser):
    SHOTS.mkdir(exist_ok=True)
    pg = open_page(browser, app)
    yield pg
    pg.context.close()


def error_toasts(page) -> list[str]:
    return page.locator("[data-testid='toast-body'].error").all_inner_texts()


def shot(page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title, exact=True).click()
    page.wait_for_timeout(400)


def fill(page, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id}").locator("input, textarea").first
    box.fill(value)
    box.press("Tab")  # blur: Gradio takes the value


def choose_variant(page, key: str, model: str) -> None:
    """Choose a variant; Explore's line and the live record follow it."""
    page.locator(f"#{key}-variant").get_by_text(f"({model})", exact=False).click()
    name = re.escape(model)
    page.locator(f"#{key}-source").get_by_text(re.compile(rf": {name} on |for {name} yet")).wait_for(timeout=30_000)
    page.locator(f"#{key}-live-caption").get_by_text(re.compile(rf"(trained: |Live: |of ){name} (on|to) ")).wait_for(
        timeout=30_000)


def test_first_view_every_tab_and_variant_without_an_error(page):
    """Start and the status line are in view without scrolling; the live panels show the explored checkpoint's record;
    choosing a variant turns Explore to it; and nothing anywhere shows an error."""
    page.wait_for_timeout(2000)  # anything a page load would trigger has run
    assert error_toasts(page) == []
    for title, key in TABS:
        open_tab(page, title)
        start = page.locator(f"#{key}-start-btn")
        start.wait_for(state="visible")
        page.evaluate("() => window.scrollTo(0, 0)")
        box, status = start.bounding_box(), page.locator(f"#{key}-status").bounding_box()
        assert box and box["y"] + box["height"] <= 1000, f"{key}: Start at y={box}"
        # and the status line under it, where a queued run shows its place and its wait
        assert status and status["y"] + status["height"] <= 1000, f"{key}: the status line at y={status}"
        assert start.is_enabled() and "Device:" in page.locator(f"#{key}-status").locator(
            "xpath=ancestor::div[contains(@class,'column')][1]").inner_text()
        page.locator(f"#{key}-live-caption").get_by_text("Recorded while").wait_for(timeout=30_000)
        shot(page, f"tab-{key}-1400x1000", full_page=False)
        shot(page, f"tab-{key}-full")
        for model in VARIANTS.get(key, ()):
            choose_variant(page, key, model)
        assert error_toasts(page) == [], key
    open_tab(page, "About")
    page.get_by_text("Papers", exact=True).wait_for()
    assert page.locator(".katex").count() > 5  # the loss formulas are typeset
    shot(page, "tab-about")
    assert error_toasts(page) == []


def test_phone_layout_shows_every_tab(browser, app):
    phone = open_page(browser, app, 420, 900)
    try:
        phone.wait_for_timeout(1500)
        for title, _ in (*TABS, ("About", "about")):
            tab = phone.get_by_role("tab", name=title, exact=True)
            assert tab.is_visible(), f"{title} hides behind a menu at 420 px"
            box = tab.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 420
        for title, key in TABS:
            open_tab(phone, title)
            start = phone.locator(f"#{key}-start-btn")
            start.wait_for(state="visible")
            shot(phone, f"tab-{key}-420x900")
            # the columns stack: the tab's live picture comes right after Start (it was 2,000 px below)
            picture = phone.locator(f"#{key}-samples")
            below = picture.bounding_box()["y"] - (start.bounding_box()["y"] + start.bounding_box()["height"])
            assert 0 < below < 500, f"{key}: the picture is {below:.0f} px below Start"
        assert error_toasts(phone) == []
    finally:
        phone.context.close()


def test_every_tab_explains_its_curves_beside_them(page):
    """Under each loss plot: the objective as typeset formulas, a value for each term, what healthy
    curves do; and the score plots say what their scores and the FID floor mean."""
    for title, key in TABS:
        open_tab(page, title)
        caption = page.locator(f"#{key}-live-caption")
        caption.get_by_text("What is optimized").wait_for(timeout=30_000)
        assert caption.locator(".katex").count() >= 3, key
        assert "Healthy curves" in caption.inner_text() and " = " in caption.inner_text(), key
        plot, text = page.locator(f"#{key}-loss-plot").bounding_box(), caption.bounding_box()
        assert 0 <= text["y"] - (plot["y"] + plot["height"]) < 60, f"{key}: the formulas are not beside the curves"
        assert ("floor" if key != "lab" else "Modes covered") in page.locator(f"#{key}-scores-help").inner_text()
    open_tab(page, "WGAN")
    page.get_by_text("it rises at first, while the critic learns").wait_for()  # no longer "falls as ... improve"
    open_tab(page, "2-D Lab")
    legend = page.locator("#lab-legend")
    assert legend.locator(".katex").count() >= 2 and "the bar under it gives the values" in legend.inner_text()
    shot(page, "lab-legend", full_page=False)
    assert error_toasts(page) == []


def test_the_lab_narrates_a_step_by_hand(page):
    """One generator step: the Lab names each sub-step with that step's numbers, and its picture
    shows grey trails from where the points were."""
    open_tab(page, "2-D Lab")
    fill(page, "lab-steps", "200")
    page.locator("#lab-critic-step-btn").click()
    message = page.locator("#lab-message")
    message.get_by_text("One critic step").wait_for(timeout=60_000)
    assert "stepped by hand" in page.locator("#lab-status").inner_text()
    page.locator("#lab-generator-step-btn").click()
    message.get_by_text("One generator step").wait_for(timeout=60_000)
    assert message.locator(".katex").count() >= 3 and "points/s" not in page.locator("#lab-status").inner_text()
    shot(page, "lab-narrated-generator-step", full_page=False)
    page.locator("#lab-stop-btn").click()
    page.locator("#lab-status").get_by_text("Stopped").wait_for(timeout=60_000)
    assert error_toasts(page) == []


def test_a_form_message_wraps_in_its_field_and_goes_once_fixed(page):
    open_tab(page, "WGAN")
    fill(page, "wgan-seed", "-4")
    page.locator("#wgan-start-btn").click()
    error = page.locator("#wgan-seed div.validation-error")
    error.wait_for(state="visible", timeout=15_000)
    width = error.evaluate("e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
    field = page.locator("#wgan-seed").bounding_box()
    assert width[0] <= width[1] and width[2] <= field["x"] + field["width"] + 1, width  # not cut off
    fill(page, "wgan-seed", "0")
    error.wait_for(state="detached", timeout=15_000)


def test_variant_switch_changes_the_settings(page):
    open_tab(page, "WGAN")
    page.locator("#wgan-settings").get_by_text("Model settings").click()  # closed at first: Start stays in view
    choose_variant(page, "wgan", "wgan")
    page.locator("#wgan-set-clip").wait_for(state="visible")
    assert not page.locator("#wgan-set-lambda-gp").is_visible()
    choose_variant(page, "wgan", "wgan-gp")
    page.locator("#wgan-set-lambda-gp").wait_for(state="visible")
    assert not page.locator("#wgan-set-clip").is_visible()


def test_bad_value_shows_a_message_beside_the_control(page):
    open_tab(page, "WGAN")
    if not page.locator("#wgan-set-lr").is_visible():
        page.locator("#wgan-settings").get_by_text("Model settings").click()
    fill(page, "wgan-set-lr", "fast")
    page.locator("#wgan-start-btn").click()
    message = page.locator("#wgan-set-lr").get_by_text("is not valid")
    message.wait_for(state="visible", timeout=15_000)
    shot(page, "wgan-invalid-lr")
    assert "Starting" not in page.locator("#wgan-status").inner_text()
    fill(page, "wgan-set-lr", "1e-4")
    fill(page, "wgan-steps", "1.5")
    page.locator("#wgan-start-btn").click()
    page.locator("#wgan-steps").get_by_text("whole number").wait_for(state="visible", timeout=15_000)
    fill(page, "wgan-steps", "1000")


def test_train_watch_and_interpolate(page):
    open_tab(page, "WGAN")
    fill(page, "wgan-steps", "20000")  # still running at the pause and the stop below, however fast the machine
    fill(page, "wgan-batch", "32")
    page.locator("#wgan-start-btn").click()
    status = page.locator("#wgan-status")
    status.get_by_text(re.compile("Training wgan")).wait_for(timeout=TIMEOUT_MS)
    page.locator("#wgan-live-caption").get_by_text("this tab's run").wait_for(timeout=30_000)

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
        "([sel, before]) => { const i = document.querySelector(sel); "
        "return i && i.getAttribute('src') !== before; }",
        arg=["#wgan-samples img", first_src], timeout=TIMEOUT_MS)
    shot(page, "wgan-live")

    # pause and resume with the buttons
    page.locator("#wgan-pause-btn").click()
    status.get_by_text("Paused").wait_for(timeout=30_000)
    assert page.locator("#wgan-resume-btn").is_enabled()
    page.locator("#wgan-resume-btn").click()
    status.get_by_text(re.compile("Training wgan")).wait_for(timeout=30_000)

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
    assert error_toasts(page) == []


def test_a_reload_keeps_the_run(browser, app):
    """Start, reload: the page finds its run again (status, plots, Pause and Stop work), and the form
    shows that run's step budget, batch, seed and settings, not the preset's."""
    first = open_page(browser, app)
    try:
        open_tab(first, "ACGAN")
        fill(first, "acgan-steps", "100000")
        fill(first, "acgan-batch", "16")
        fill(first, "acgan-seed", "7")
        first.locator("#acgan-settings").get_by_text("Model settings").first.click()
        fill(first, "acgan-set-lr", "0.0003")
        first.locator("#acgan-start-btn").click()
        first.locator("#acgan-status").get_by_text(re.compile("Training acgan")).wait_for(timeout=TIMEOUT_MS)
        first.wait_for_timeout(3000)
        first.reload()
        first.get_by_text("GAN Playground").first.wait_for()
        open_tab(first, "ACGAN")
        status = first.locator("#acgan-status")
        status.get_by_text(re.compile("Training acgan")).wait_for(timeout=60_000)
        first.locator("#acgan-live-caption").get_by_text("this tab's run").wait_for(timeout=60_000)
        first.locator("#acgan-loss-plot path[aria-roledescription='line mark']").first.wait_for(
            state="attached", timeout=60_000)
        assert first.locator("#acgan-pause-btn").is_enabled() and first.locator("#acgan-stop-btn").is_enabled()
        first.locator("#acgan-settings").get_by_text("Model settings").first.click()
        form = {"acgan-steps": "100000", "acgan-batch": "16", "acgan-seed": "7", "acgan-set-lr": "0.0003"}
        assert {k: first.locator(f"#{k}").locator("input, textarea").first.input_value() for k in form} == form
        first.locator("#acgan-runs-box").get_by_text("Your runs on this page").click()
        first.locator("#acgan-runs").get_by_text(re.compile(r"ACGAN · acgan on mnist · Training")).wait_for(
            timeout=30_000)
        shot(first, "acgan-after-reload", full_page=False)
        first.locator("#acgan-pause-btn").click()
        status.get_by_text("Paused").wait_for(timeout=30_000)
        first.locator("#acgan-stop-btn").click()
        status.get_by_text("Stopped").wait_for(timeout=60_000)
        assert error_toasts(first) == []
    finally:
        first.context.close()


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
    assert error_toasts(page) == []


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
    assert error_toasts(page) == []


def test_aae_latent_space_decodes_the_clicked_point(page):
    open_tab(page, "AAE")
    choose_variant(page, "aae", "aae-supervised")
    train_briefly(page, "aae", 60, 64)
    page.get_by_role("tab", name="Latent space").click()
    page.locator("#aae-scatter-btn").click()
    page.locator("#aae-scatter-info").get_by_text("test images encoded").wait_for(timeout=60_000)
    page.locator("#aae-plane-img img").first.wait_for(state="attached", timeout=60_000)
    picture = page.locator("#aae-latent-map img").first
    picture.wait_for(state="attached", timeout=60_000)
    box = picture.bounding_box()

    def click(fx: float, fy: float) -> tuple[float, float]:
        before = page.locator("#aae-px input[type='number']").input_value()
        picture.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
        page.wait_for_function("(b) => document.querySelector('#aae-px input[type=number]').value !== b", arg=before)
        page.locator("#aae-point-img img").first.wait_for(state="attached", timeout=60_000)
        return (float(page.locator("#aae-px input[type='number']").input_value()),
                float(page.locator("#aae-py input[type='number']").input_value()))

    left_top, right_bottom = click(0.35, 0.3), click(0.65, 0.7)
    # both sliders follow the click: right is larger x, lower on the map is smaller y
    assert right_bottom[0] > left_top[0] and right_bottom[1] < left_top[1], (left_top, right_bottom)
    shot(page, "aae-latent")
    assert error_toasts(page) == []


def test_closing_the_page_stops_its_run(browser, app):
    """The page's unload event stops its jobs after the grace period (GRACE_S here): the one place
    under the cap is free again for the next visitor."""
    other = open_page(browser, app)
    open_tab(other, "2-D Lab")
    fill(other, "lab-steps", "20000")
    other.locator("#lab-start-btn").click()
    other.locator("#lab-status").get_by_text(re.compile("Training wgan")).wait_for(timeout=TIMEOUT_MS)
    other.context.close()
    time.sleep(GRACE_S + 4)
    late = open_page(browser, app)
    try:
        open_tab(late, "2-D Lab")
        fill(late, "lab-steps", "20")
        late.locator("#lab-start-btn").click()
        late.locator("#lab-status").get_by_text(re.compile("Finished|Training wgan")).wait_for(timeout=TIMEOUT_MS)
        assert "queue" not in late.locator("#lab-status").inner_text()
    finally:
        late.context.close()


def test_a_queued_run_starts_by_itself_and_its_buttons_follow(browser, app):
    """One Lab place (GAN_PLAYGROUND_MAX_LAB_JOBS=1 here): the second visitor's Start waits in the queue,
    its page says where and offers only Stop; when the first stops, it trains with no press."""
    first, second = open_page(browser, app), open_page(browser, app)
    try:
        for page in (first, second):
            open_tab(page, "2-D Lab")
            fill(page, "lab-steps", "20000")
        first.locator("#lab-start-btn").click()
        first.locator("#lab-status").get_by_text(re.compile("Training wgan")).wait_for(timeout=TIMEOUT_MS)
        second.locator("#lab-start-btn").click()
        status = second.locator("#lab-status")
        status.get_by_text(re.compile(r"place 1 of 1 in the queue")).wait_for(timeout=60_000)
        assert "Queued" in status.inner_text() and "press Start again" not in status.inner_text()
        second.locator("#lab-live-caption").get_by_text("this tab's run").wait_for(timeout=30_000)
        second.wait_for_function("() => document.querySelector('#lab-stop-btn').disabled === false")
        assert second.locator("#lab-start-btn").is_disabled() and second.locator("#lab-pause-btn").is_disabled()
        shot(second, "lab-queued", full_page=False)
        first.locator("#lab-stop-btn").click()
        status.get_by_text(re.compile("Training wgan")).wait_for(timeout=60_000)
        second.wait_for_function("() => document.querySelector('#lab-pause-btn').disabled === false")
        assert second.locator("#lab-start-btn").is_disabled() and "queue" not in status.inner_text()
        second.locator("#lab-stop-btn").click()
        status.get_by_text("Stopped").wait_for(timeout=60_000)
        assert error_toasts(first) == [] and error_toasts(second) == []
    finally:
        first.context.close()
        second.context.close()
def test_a_page_finds_its_saves_after_the_server_is_killed(browser, tmp_path):
    """SIGKILL the server, start it again: the reloaded page lists its save under Resume training
    (pages live in memory, but the page's id is in the browser and its saves are on disk), and a
    save's half-written folder left by the kill is gone."""
    import signal

    port, saves = free_port(), tmp_path / "saves"
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GAN_PLAYGROUND_UI_SAVES": str(saves),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    url, log = f"http://127.0.0.1:{port}/", tmp_path / "server.log"

    def serve() -> subprocess.Popen:
        with open(log, "a") as out:
            proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(url, proc, log)
        return proc

    proc = serve()
    page = open_page(browser, {"url": url})
    try:
        open_tab(page, "2-D Lab")
        train_briefly(page, "lab", 20, 64)
        page.locator("#lab-checkpoints-box").get_by_text("Checkpoints: save").click()
        page.locator("#lab-save-btn").click()
        page.locator("#lab-save-msg").get_by_text("Saved step 20").wait_for(timeout=60_000)
        (folder,) = [p for p in saves.iterdir() if p.is_dir()]  # the page's own folder, named by its id
        half = folder / ".tmp-wgan-gp-toy-8gaussians-autosave-999999999-0badf00d"
        half.mkdir()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

        proc = serve()
        assert not half.exists()
        page.reload()
        page.get_by_text("GAN Playground").first.wait_for()
        open_tab(page, "2-D Lab")
        page.locator("#lab-checkpoints-box").get_by_text("Checkpoints: save").click()
        resume = page.locator("#lab-resume-choice input").first
        page.wait_for_function("el => el.value.includes('wgan-gp-toy-8gaussians-step20')", arg=resume.element_handle(),
                               timeout=60_000)
        resume.scroll_into_view_if_needed()
        shot(page, "lab-saves-after-a-restart", full_page=False)
        assert error_toasts(page) == []
        assert "Traceback" not in log.read_text()
    finally:
        page.context.close()
        proc.kill()
        proc.wait(10)


def test_the_train_panel_shows_its_run_as_a_command_that_trains_it(page, tmp_path):
    """The command under Start follows the form, and run as it is shown (its --out moved to a
    temporary folder) it trains that run headless."""
    open_tab(page, "2-D Lab")
    page.locator("#lab-variant").get_by_text("(wgan-gp)").click()  # (the page is shared: another may be chosen)
    page.locator("#lab-command-box").get_by_text("This run as a command").click()
    fill(page, "lab-steps", "7")
    fill(page, "lab-seed", "3")
    command = page.locator("#lab-command")
    command.get_by_text(re.compile("train wgan-gp .*--steps 7 .*--seed 3")).wait_for(timeout=30_000)
    shown = command.locator(".cm-content").inner_text().strip()  # the code, without the line numbers
    assert shown.startswith("python -m gan_playground train wgan-gp --dataset toy-8gaussians") and "--seed 3" in shown
    assert "gp.train('wgan-gp'" in page.locator("#lab-notebook .cm-content").inner_text()
    out = tmp_path / "run"
    argv = shown.replace("python -m gan_playground", "", 1).split()
    argv[argv.index("--out") + 1] = str(out)
    proc = subprocess.run([sys.executable, "-m", "gan_playground", *argv], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    config = json.loads((out / "config.json").read_text())
    assert config["step"] == 7 and config["seed"] == 3 and config["config"]["ema"] == 0.0  # the Lab's own preset
    fill(page, "lab-steps", "1.5")
    command.get_by_text("Fix the form first").wait_for(timeout=30_000)
    fill(page, "lab-steps", "1000")


def test_a_link_carries_its_settings_into_the_form(browser, app):
    """`?tab=lab&variant=wgan-lp&...` opens the Lab with those values; a bad one is left out with a
    note, never an error; the panel offers the link of its own settings."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app["url"] + "?tab=lab&variant=wgan-lp&dataset=toy-25gaussians&steps=777&seed=42"
                  "&lambda_lp=0.5&lr=fast")
        status = page.locator("#lab-status")
        status.get_by_text("Settings from the link").wait_for(timeout=60_000)
        assert "lr='fast'" in status.inner_text()
        assert page.locator("#lab-steps input").input_value() == "777"
        assert page.locator("#lab-seed input").input_value() == "42"
        assert page.locator("#lab-variant input[value='wgan-lp']").is_checked()
        page.locator("#lab-settings").get_by_text("Model settings").click()
        assert page.locator("#lab-set-lambda-lp").locator("input, textarea").first.input_value() == "0.5"
        assert "toy-25gaussians" in page.locator("#lab-dataset").inner_text() or \
            page.locator("#lab-dataset input").input_value() == "toy-25gaussians"
        page.locator("#lab-command-box").get_by_text("This run as a command").click()
        link = page.locator("#lab-link a")
        link.wait_for(timeout=30_000)
        href = link.get_attribute("href")
        assert "tab=lab" in href and "steps=777" in href and "lambda_lp=0.5" in href, href
        assert error_toasts(page) == []
    finally:
        context.close()
