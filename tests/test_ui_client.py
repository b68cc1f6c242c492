"""The app through a real client: launch it on a free port, drive it with gradio_client.

Endpoints used (see gan_playground/ui/__init__.py for all of them): /lab_start, /lab_poll,
/lab_pause, /lab_resume, /lab_stop, /lab_heatmap, /acgan_start, /acgan_poll, /acgan_interpolate,
/acgan_class_grid, /acgan_class_by_z, /acgan_save, /acgan_resume_checkpoint, /acgan_load_checkpoint,
/acgan_explore_info, /aae_start, /aae_poll, /aae_latent_scatter, /aae_decode_point, /aae_latent_plane,
/wgan_interpolate, /wgan_push_hub.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

gradio_client = pytest.importorskip("gradio_client")
from conftest import connect, serving_app  # noqa: E402
from gradio_client import Client  # noqa: E402

from gan_playground.ui import API_NAMES  # noqa: E402

TOY = dict(variant="wgan-gp", dataset="toy-8gaussians", batch_size=64, seed=0)



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_app(tmp_path_factory, max_jobs=1, grace_s=0.5) as app:
        yield app


@pytest.fixture(scope="module")
def client(server):
    return connect(server[1])


def poll_until(client: Client, tab: str, done, timeout: float = 60.0):
    """Poll until `done(out)`; `out` is what a page shows then: a poll sends only what changed
    (`{"__type__": "update"}` for the rest), so each output keeps the last value sent."""
    deadline = time.monotonic() + timeout
    shown: list = []
    while True:
        sent = client.predict(api_name=f"/{tab}_poll")
        shown = [new if new != {"__type__": "update"} or not shown else old
                 for new, old in zip(sent, shown or sent, strict=True)]
        out = shown
        if isinstance(out[0], str) and done(out):
            return out
        if time.monotonic() > deadline:
            raise AssertionError(f"/{tab}_poll never got there; last: {out[0]!r}")
        time.sleep(0.3)


SAMPLES = 6  # /<tab>_poll: status, losses, 4 score plots, samples, [the Lab's landscape], message, caption, ...


def message_of(out, tab: str) -> str:
    return out[SAMPLES + (2 if tab == "lab" else 1)]


def loss_rows(out) -> int:
    plot = out[1]
    plot = plot.get("value", plot) if isinstance(plot, dict) else plot
    return len(plot.get("data") or []) if isinstance(plot, dict) else 0


def plotted_steps(out) -> list[int]:
    plot = out[1]
    plot = plot.get("value", plot) if isinstance(plot, dict) else plot
    column = plot["columns"].index("step")
    return [row[column] for row in plot["data"]]


def is_final(out) -> bool:
    return any(w in out[0] for w in ("Finished", "Stopped", "Failed", "Diverged"))


def test_every_endpoint_has_its_api_name(server, client):
    """All of them callable; the page's internal ones (tools.INTERNAL) out of the API page (and MCP)."""
    import httpx

    every = set(httpx.get(server[1] + "gradio_api/info?all_endpoints=true").json()["named_endpoints"])
    assert {f"/{n}" for n in API_NAMES} <= every
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert "/lab_start" in names and "/lab_status" in names and "/lab_poll" not in names
    start = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/lab_start"]
    params = [p["parameter_name"] for p in start["parameters"]]
    assert params[:5] == ["variant", "dataset", "steps", "batch_size", "seed"] and "lambda_gp" in params


def test_bad_value_gives_a_message_and_no_job(server, client):
    demo = server[0]
    with pytest.raises(Exception, match="lr") as err:
        client.predict(**TOY, steps=50, lr="-1", api_name="/lab_start")
    assert "1e-07" in str(err.value)  # the message names the allowed range
    with pytest.raises(Exception, match="steps"):
        client.predict(**TOY, steps=0, api_name="/lab_start")
    assert demo.ctx.sessions.active_jobs() == []


def test_train_poll_pause_resume_stop_and_isolation(server, client):
    demo = server[0]
    status = client.predict(**TOY, steps=20_000, lambda_gp="0.1", api_name="/lab_start")[0]
    assert "Starting" in status, status
    out = poll_until(client, "lab", lambda o: loss_rows(o) >= 3)
    assert "Training" in out[0] and "/ 20,000" in out[0]
    samples = out[SAMPLES]
    assert isinstance(samples, dict) and {"real data", "generated"} <= {row[2] for row in samples["data"]}

    # another visitor can neither stop this job nor see it
    other = connect(server[1])
    assert "No run in this tab" in other.predict(api_name="/lab_stop")[0]
    assert other.predict(api_name="/lab_poll")[0] == {"__type__": "update"}  # sees nothing
    assert len(demo.ctx.sessions.active_jobs()) == 1

    assert "Paused" in client.predict(api_name="/lab_pause")[0]
    paused = poll_until(client, "lab", lambda o: "Paused" in o[0])
    job = demo.ctx.sessions.active_jobs()[0][2]
    time.sleep(1.5)  # the step in flight when Pause came finishes
    step = job.step
    time.sleep(1.0)
    assert job.step == step and job.state == "paused"  # paused: no progress
    assert "Training" in client.predict(api_name="/lab_resume")[0]
    grown = poll_until(client, "lab", lambda o: "Training" in o[0] and loss_rows(o) > loss_rows(paused))
    assert loss_rows(grown) > loss_rows(paused)
    heat = client.predict(api_name="/lab_heatmap")
    assert Path(heat).suffix in (".png", ".webp") and Path(heat).stat().st_size > 1000

    assert "Stopped" in client.predict(api_name="/lab_stop")[0]
    final = poll_until(client, "lab", is_final)
    assert "Stopped" in final[0] and "Stopped at step" in message_of(final, "lab")
    assert demo.ctx.sessions.active_jobs() == []


def test_acgan_train_explore_save_resume(server, client):
    client.predict(variant="acgan", dataset="mnist", steps=20, batch_size=16, seed=0, latent_dim=16,
                   api_name="/acgan_start")
    out = poll_until(client, "acgan", is_final, timeout=120)
    assert "Finished" in out[0] and loss_rows(out) >= 2
    assert Path(out[SAMPLES]).stat().st_size > 1000  # the sample grid
    info = client.predict(api_name="/acgan_explore_info")
    assert "this tab's run" in info[0] and len(info[1]["choices"]) == 10

    frames, gif, gif_file = client.predict(seed0=1, seed1=2, mode="slerp", n_frames=5, class0="3", class1="7",
                                           api_name="/acgan_interpolate")
    assert len(frames) == 5 and Path(gif).read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert Path(client.predict(cls="4", seed=0, api_name="/acgan_class_grid")).stat().st_size > 500
    assert Path(client.predict(n_z=3, seed=0, api_name="/acgan_class_by_z")).stat().st_size > 500

    msg, resume_choices, _ = client.predict(api_name="/acgan_save")
    assert "Saved step 20" in msg
    folder = resume_choices["value"]
    status = client.predict(checkpoint=folder, lr_factor=0.5, steps=10, api_name="/acgan_resume_checkpoint")[0]
    assert "Resuming" in status and "× 0.5" in status
    out = poll_until(client, "acgan", is_final, timeout=120)
    assert "step **30 / 30**" in out[0]
    assert min(plotted_steps(out)) == 10 and max(plotted_steps(out)) == 30  # the curves hold the whole run

    # only the offered checkpoints can be loaded: a path of the client's choosing is refused
    with pytest.raises(Exception, match="not in the list of choices"):
        client.predict(checkpoint="../../etc", files=[], api_name="/acgan_load_checkpoint")
    assert "Loaded" in client.predict(checkpoint=folder, files=[], api_name="/acgan_load_checkpoint")[0]


def test_aae_latent_space(server, client):
    client.predict(variant="aae-supervised", dataset="mnist", steps=15, batch_size=32, seed=0, latent_dim=4,
                   api_name="/aae_start")
    poll_until(client, "aae", is_final, timeout=120)
    picture, legend, info, xs, ys, _ = client.predict(api_name="/aae_latent_scatter")
    assert Path(picture).stat().st_size > 1000 and "prior p(z)" in legend and "3" in legend
    assert "2,000 test images encoded to 4-D codes" in info and "principal axes" in info
    assert xs["minimum"] < 0 < xs["maximum"]
    assert Path(client.predict(x=0.1, y=-0.2, cls="3", api_name="/aae_decode_point")).stat().st_size > 200
    assert Path(client.predict(cls="2", api_name="/aae_latent_plane")).stat().st_size > 1000


def test_explore_without_a_model_says_what_to_do(server):
    fresh = connect(server[1])
    with pytest.raises(Exception, match="Nothing to explore for wgan-gp yet"):
        fresh.predict(seed0=1, seed1=2, mode="linear", n_frames=3, class0="0", class1="0",
                      api_name="/wgan_interpolate")
    msg = fresh.predict("", "", False, api_name="/wgan_push_hub")  # undocumented: positional arguments
    assert msg.startswith("⚠")


def test_closed_session_stops_its_jobs(server):
    demo = server[0]
    sessions = demo.ctx.sessions
    other = connect(server[1])
    other.predict(**TOY, steps=20_000, api_name="/lab_start")
    assert len(sessions.active_jobs()) == 1
    sessions.close_later(other.session_hash)  # what the page's unload event does, with a 0.5 s grace here
    deadline = time.monotonic() + 10
    while sessions.active_jobs() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sessions.active_jobs() == []
    assert "No run in this tab" in other.predict(api_name="/lab_stop")[0]


@pytest.mark.parametrize("variant", ["wgan-div", "wgan-gp"])
def test_a_diverged_run_names_one_step_and_cannot_be_saved(server, variant):
    """lr=1 in the Lab: once "Finished" with a penalty of 8.3e28, and Save took it. Now the status and
    the message name the same step, nothing points to a checkpoint that does not exist, and Save refuses."""
    import re

    client = connect(server[1])
    client.predict(variant=variant, dataset="toy-8gaussians", steps=300, batch_size=256, seed=0,
                   lr=1.0, api_name="/lab_start")
    out = poll_until(client, "lab", is_final)
    status, message = out[0], message_of(out, "lab")
    steps = re.findall(r"Diverged at step ([\d,]+)", status) + re.findall(r"Diverged at step ([\d,]+)", message)
    assert len(steps) == 2 and steps[0] == steps[1], (status, message)
    assert "Nothing was saved" in message and "Resume training" not in message
    assert "diverged" in client.predict(api_name="/lab_save")[0]
    choices = client.predict(api_name="/lab_checkpoints")
    assert choices is not None  # the choices refresh without a reload (autosaves appear there)


def test_hostile_uploads_are_refused_and_run_nothing(server, tmp_path):
    """A pickle with a payload and a zip with ../ paths, uploaded as a checkpoint: a message, nothing else."""
    import pickle
    import zipfile

    from gradio_client import handle_file

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps(Payload()))
    archive = tmp_path / "checkpoint.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", "x")
    client = connect(server[1])
    with pytest.raises(Exception, match="Invalid file type.*safetensors"):  # refused before our handler runs
        client.predict(checkpoint=None, files=[handle_file(str(evil))], api_name="/acgan_load_checkpoint")
    message = client.predict(checkpoint=None, files=[handle_file(str(archive))], api_name="/acgan_load_checkpoint")[0]
    assert message.startswith("⚠") and "outside the archive" in message
    renamed = tmp_path / "config.json"  # a pickle in disguise gets past the file type: not past loading
    renamed.write_bytes(pickle.dumps(Payload()))
    message = client.predict(checkpoint=None, files=[handle_file(str(renamed))], api_name="/acgan_load_checkpoint")[0]
    assert message.startswith("⚠") and "model.safetensors" in message
    assert not marker.exists() and not (tmp_path.parent / "escaped.txt").exists()


@pytest.mark.parametrize("hostile", ["{victim}/x/vicXYZ-anything", "../../../../escape", "..", "a\x00b",
                                     "x" * 10_000, "{other}"])
def test_a_hostile_session_hash_never_becomes_a_path(server, monkeypatch, hostile):
    """Saves and autosaves go to a folder named by a page id the server made, whatever the client's
    session hash says: nothing is written or removed outside the saves root.

    The victim's folder has a short absolute name and holds the saves root four levels down, so
    that the first 12 characters of each hostile hash (what the app once used) land inside it."""
    import shutil

    from gan_playground.ui.sessions import PAGE_ID

    victim = Path("/tmp") / f"gp{os.urandom(2).hex()[:3]}"  # 10 characters: "/tmp/gpXYZ"
    victim.mkdir()
    try:
        saves = victim / "a" / "b" / "c" / "d" / "saves"
        saves.mkdir(parents=True)
        monkeypatch.setenv("GAN_PLAYGROUND_UI_SAVES", str(saves))
        precious = [victim / "x" / "wgan-gp-toy-8gaussians-step20" / "precious.txt",
                    victim / "escape" / "precious.txt", victim / "a" / "precious.txt"]
        for p in precious:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("mine")
        first = connect(server[1])
        first.predict(api_name="/lab_poll")  # a session whose hash the attacker reuses below
        outside_before = {p for p in victim.rglob("*") if saves not in p.parents and p != saves}

        client = connect(server[1])
        client.session_hash = hostile.format(victim=victim, other=first.session_hash)
        try:
            client.predict(**TOY, steps=20, api_name="/lab_start")
            poll_until(client, "lab", is_final)
            message = client.predict(api_name="/lab_save")[0]
        except Exception as err:  # a hash the server refuses outright is fine too: then nothing is written
            message = str(err)
        assert all(p.read_text() == "mine" for p in precious)
        assert {p for p in victim.rglob("*") if saves not in p.parents and p != saves} == outside_before
        for p in saves.rglob("*"):  # every new folder: <a page id made here>/<checkpoint>
            assert PAGE_ID.fullmatch(p.relative_to(saves).parts[0]), p
        assert str(victim) not in message and "\x00" not in message
        assert server[0].ctx.sessions.active_jobs() == []
    finally:
        shutil.rmtree(victim, ignore_errors=True)


def test_a_saved_checkpoint_goes_out_as_a_zip_and_comes_back_whole(server, tmp_path):
    """Download a save as one .zip; upload the .zip, or all of the folder's files, or the weights
    alone: named by what the config says, and no message shows a path of the server."""
    import tempfile
    import zipfile

    from gradio_client import handle_file

    client = connect(server[1])
    client.predict(**TOY, steps=20, api_name="/lab_start")
    poll_until(client, "lab", is_final)
    message = client.predict(api_name="/lab_save")[0]
    assert "wgan-gp-toy-8gaussians-step20" in message and "/" not in message.split("`")[1]
    download = client.predict(api_name="/lab_download")
    zip_path = Path(download["value"] if isinstance(download, dict) else download)
    assert zipfile.is_zipfile(zip_path)

    loaded = client.predict(checkpoint=None, files=[handle_file(str(zip_path))], api_name="/lab_load_checkpoint")[0]
    assert "Loaded **wgan-gp-toy-8gaussians-step20**" in loaded

    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(folder)
    files = sorted((folder / "wgan-gp-toy-8gaussians-step20").iterdir())
    assert {"config.json", "model.safetensors", "README.md", "history.csv", "samples.png"} <= {f.name for f in files}
    loaded = client.predict(checkpoint=None, files=[handle_file(str(f)) for f in files],
                            api_name="/lab_load_checkpoint")[0]
    assert "Loaded **wgan-gp-toy-8gaussians-step20**" in loaded

    weights = folder / "wgan-gp-toy-8gaussians-step20" / "model.safetensors"
    alone = client.predict(checkpoint=None, files=[handle_file(str(weights))], api_name="/lab_load_checkpoint")[0]
    assert alone.startswith("⚠") and "config.json is missing" in alone
    for text in (message, loaded, alone):
        assert tempfile.gettempdir() not in text and "upload" not in text.split("Loaded")[-1].split(":")[0]
    choices = client.predict(api_name="/lab_checkpoints")[1]["choices"]
    assert ["uploaded: wgan-gp-toy-8gaussians-step20", "uploaded:wgan-gp-toy-8gaussians-step20"] in choices


@pytest.mark.slow
def test_the_lab_steps_by_hand_slows_down_and_makes_a_timelapse(server):
    client = connect(server[1])
    form = dict(variant="wgan-gp", dataset="toy-8gaussians", steps=200, batch_size=64, seed=0)
    out = client.predict(which="critic", **form, api_name="/lab_step")  # no run yet: one starts, paused
    assert "Paused" in out[0] and "step **0 / 200**" in out[0]
    out = client.predict(which="generator", **form, api_name="/lab_step")
    assert "step **0 / 200**" in out[0]  # a phase alone is no step of the budget
    out = client.predict(which="both", **form, api_name="/lab_step")
    assert "step **1 / 200**" in out[0] and Path(out[SAMPLES + 1]).stat().st_size > 1000  # redrawn at once
    assert client.predict("10", api_name="/lab_speed") == "10"
    client.predict(api_name="/lab_resume")
    time.sleep(2.0)
    job = [j for _, t, j in server[0].ctx.sessions.active_jobs() if t == "lab"][0]
    assert job.steps_per_s == 10 and job.step <= 1 + 10 * 4  # slow motion, not thousands a second
    client.predict("full", api_name="/lab_speed")
    final = poll_until(client, "lab", is_final)
    assert "Finished" in final[0]
    gif = client.predict(api_name="/lab_timelapse")
    from PIL import Image
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames >= 3
    runs = client.predict(api_name="/lab_runs")
    assert any("2-D Lab · wgan-gp on toy-8gaussians · Finished · step 200 / 200" in c[0] for c in runs["choices"])


def test_variants_side_by_side_train_as_one_job(server):
    client = connect(server[1])
    status, _ = client.predict(["wgan", "wgan-gp", "wgan-lp"], "toy-8gaussians", 30, 64, 0,
                               api_name="/lab_compare_start")
    assert "Comparing wgan vs wgan-gp vs wgan-lp" in status.replace("*", "")
    other = connect(server[1])  # a comparison takes one of the Lab's places: a run starts beside
    assert "Starting" in other.predict(**TOY, steps=10, api_name="/lab_start")[0]
    deadline = time.monotonic() + 120
    while True:
        out = client.predict(api_name="/lab_compare_poll")
        if "Finished" in out[0] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "Finished" in out[0] and "step **30 / 30**" in out[0]
    captions, pictures = out[2:6], out[6:10]
    shown = [c["value"] if isinstance(c, dict) else c for c in captions[:3]]
    assert all("modes" in c and "within 3 std" in c for c in shown), shown
    assert all(Path(p).stat().st_size > 1000 for p in pictures[:3])
    assert captions[3]["visible"] is False  # the fourth place stays empty
    refused = client.predict(["wgan"], "toy-8gaussians", 30, 64, 0, api_name="/lab_compare_start")[0]
    assert "two to four" in refused


@pytest.mark.parametrize("bad", [None, "", "abc", "1.5", -3, 10**15])
def test_numbers_from_a_client_are_refused_with_their_range(server, bad):
    """None, strings and huge values in numeric fields: a message naming the field and its range,
    never Gradio's generic "the upstream app has raised an exception"."""
    client = connect(server[1])
    calls = [
        (dict(seed0=bad, seed1=2, mode="linear", n_frames=3, class0="0", class1="0"), "/acgan_interpolate"),
        (dict(seed0=1, seed1=2, mode="linear", n_frames=bad, class0="0", class1="0"), "/acgan_interpolate"),
        (dict(cls="0", seed=bad), "/acgan_class_grid"),
        (dict(n_z=bad, seed=0), "/acgan_class_by_z"),
        (dict(x=bad, y=0, cls="0"), "/aae_decode_point"),
        (dict(checkpoint="saved:none", lr_factor=bad, steps=10), "/lab_resume_checkpoint"),
        (dict(checkpoint="saved:none", lr_factor=0.5, steps=bad), "/lab_resume_checkpoint"),
        ((bad,), "/lab_speed"),  # undocumented: positional arguments
    ]
    for kwargs, api in calls:
        try:
            out = client.predict(*kwargs, api_name=api) if isinstance(kwargs, tuple) else \
                client.predict(**kwargs, api_name=api)
            text = " ".join(str(o) for o in (out if isinstance(out, (list, tuple)) else [out]))
        except Exception as err:  # a gr.Error: its message reaches the client
            text = str(err)
        assert "upstream Gradio app has raised an exception" not in text, (api, kwargs, text)
    assert not server[0].ctx.sessions.active_jobs()


def test_a_resume_keeps_the_step_cap_and_classes_are_read_strictly(server):
    client = connect(server[1])
    client.predict(**TOY, steps=20, api_name="/lab_start")
    poll_until(client, "lab", is_final)
    folder = client.predict(api_name="/lab_save")[1]["value"]
    status = client.predict(checkpoint=folder, lr_factor=1.0, steps=10**15, api_name="/lab_resume_checkpoint")[0]
    assert status.startswith("⚠ Not resumed") and "from 1 to 9,999,980" in status  # 10 million in all
    assert not server[0].ctx.sessions.active_jobs()
    with pytest.raises(Exception, match="-3 is not in the list of choices"):  # never read as class 3
        client.predict(cls="-3", seed=0, api_name="/acgan_class_grid")


def test_the_readme_client_example_runs_as_written(server):
    """The README's first `gradio_client` example, pointed at this server: it starts a Lab run and
    its poll sees the run (its client shares one TLS context across calls, as the text says)."""
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Drive the app from code"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1).replace("http://127.0.0.1:7860/", server[1])
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    try:
        assert scope["client"].ssl_verify is not True  # a context built once, not gradio_client's per-call default
        assert isinstance(scope["status"], str) and "wgan-gp on toy-8gaussians" in scope["status"], scope["status"]
    finally:
        scope["client"].predict(api_name="/lab_stop")


def test_a_script_polls_as_the_page_does_with_one_post(server):
    """The README's fast poll: one POST to /gradio_api/run/predict with the client's session, answered
    in its response, sees the run that client started."""
    import httpx

    url = server[1]
    mine = connect(url)
    mine.predict(variant="wgan-gp", dataset="toy-8gaussians", steps=300, batch_size=64, api_name="/lab_start")
    fn = next(d["id"] for d in httpx.get(url + "config").json()["dependencies"] if d.get("api_name") == "lab_poll")
    try:
        for _ in range(50):
            status, *_ = httpx.post(url + "gradio_api/run/predict",
                                    json={"fn_index": fn, "data": [], "session_hash": mine.session_hash}).json()["data"]
            if isinstance(status, str):
                break
            time.sleep(0.2)  # nothing new since the last poll: every output is an unchanged update
        assert isinstance(status, str) and "wgan-gp on toy-8gaussians" in status, status
    finally:
        mine.predict(api_name="/lab_stop")


def test_samples_from_the_explored_model_in_a_grid_fixed_by_the_seed(server):
    """`/<tab>_sample`: n images from the model Explore looks at (the page's run here), each from its
    own code; the seed fixes them; a class-conditioned model draws the classes in turn, a row each."""
    import numpy as np
    from PIL import Image

    mine = connect(server[1])

    def drawn(tab: str, n: int, seed: int) -> np.ndarray:
        return np.asarray(Image.open(mine.predict(n=n, seed=seed, api_name=f"/{tab}_sample")))

    for tab, variant in (("wgan", "wgan-gp"), ("acgan", "acgan")):
        mine.predict(variant=variant, dataset="mnist", steps=2, batch_size=16, seed=0, api_name=f"/{tab}_start")
        poll_until(mine, tab, is_final, timeout=120)
    wgan = drawn("wgan", 9, 3)
    assert wgan.shape[:2] == (3 * 30 + 2, 3 * 30 + 2)  # 3 x 3 digits of 28 pixels, 2 between and around
    assert np.array_equal(wgan, drawn("wgan", 9, 3)) and not np.array_equal(wgan, drawn("wgan", 9, 4))
    acgan = drawn("acgan", 20, 0)
    assert acgan.shape[:2] == (2 * 30 + 2, 10 * 30 + 2)  # two rows of the ten classes
    for bad in (0, 101, 2.5):
        with pytest.raises(Exception, match="number of images"):
            mine.predict(n=bad, seed=0, api_name="/wgan_sample")
