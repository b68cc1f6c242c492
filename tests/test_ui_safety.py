"""What a visitor hands the app is data, never an instruction (issue 24), through a real client:
an uploaded checkpoint names no folder on the server, a small upload cannot unpack to gigabytes or
draw for minutes, a refused upload leaves no file, a visitor's Hub pull carries no server token,
and a page finds its saves again after the server restarts.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

gradio_client = pytest.importorskip("gradio_client")
from conftest import connect, serving_app  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

import gan_playground as gp  # noqa: E402
from gan_playground.ui.checkpoint_panel import MAX_UPLOAD_BYTES  # noqa: E402
from gan_playground.ui.context import TMP_PREFIX, AppContext  # noqa: E402
from gan_playground.ui.spec import TABS  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_app(tmp_path_factory, max_jobs=2, grace_s=0.5) as app:
        yield app


@pytest.fixture(scope="module")
def toy_checkpoint(tmp_path_factory) -> Path:
    """A small 2-D Lab checkpoint (WGAN-GP on 8 gaussians)."""
    folder = tmp_path_factory.mktemp("toy") / "wgan-gp-toy"
    gp.train("wgan-gp", dataset="toy-8gaussians", steps=3, batch_size=16, device="cpu", toy_width=16).save(folder)
    return folder


@pytest.fixture(scope="module")
def aae_checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("aae") / "aae-mnist"
    gp.train("aae", dataset="mnist", steps=2, batch_size=16, device="cpu").save(folder)
    return folder


def edited(source: Path, where: Path, **files: bytes) -> Path:
    """A copy of a checkpoint folder with some files replaced."""
    shutil.copytree(source, where)
    for name, data in files.items():
        (where / name).write_bytes(data)
    return where


def upload(client: Client, tab: str, folder: Path) -> str:
    files = [handle_file(str(f)) for f in sorted(folder.iterdir()) if f.is_file()]
    return client.predict(checkpoint=None, files=files, api_name=f"/{tab}_load_checkpoint")[0]


def uploads_left(server) -> list[str]:
    return sorted(p.name for p in server[0].ctx.tmp.iterdir() if p.name.endswith(("-upload", "-pull")))


def test_an_uploaded_checkpoint_makes_the_server_read_no_folder(server, aae_checkpoint, tmp_path):
    """`run.dataset = folder:/ANY/PATH` once made the latent map read that folder and say how many
    images it held; now such an upload is refused, and the map never reads the folder."""
    secret = tmp_path / "secret"
    (secret / "a").mkdir(parents=True)
    for i in range(3):
        from PIL import Image
        Image.fromarray(np.full((28, 28), 40 * i, np.uint8)).save(secret / "a" / f"{i}.png")
    config = json.loads((aae_checkpoint / "config.json").read_text())
    config["dataset"] = config["run"]["dataset"] = f"folder:{secret}"
    hostile = edited(aae_checkpoint, tmp_path / "hostile", **{"config.json": json.dumps(config).encode()})
    client = connect(server[1])
    before = uploads_left(server)

    message = upload(client, "aae", hostile)
    assert message.startswith("⚠") and "data this app does not have" in message
    assert str(secret) not in message
    try:
        info = client.predict(api_name="/aae_latent_scatter")[2]
    except Exception as err:  # nothing to explore: a message, as a visitor sees it
        info = str(err)
    assert "encoded" not in info and str(secret) not in info
    assert uploads_left(server) == before  # the refused upload's copy is gone

    fine = upload(client, "aae", aae_checkpoint)  # the same checkpoint on MNIST is welcome
    assert fine.startswith("Loaded"), fine


def test_a_zip_that_unpacks_to_more_than_the_cap_is_refused_before_unpacking(server, toy_checkpoint, tmp_path):
    """A zip of a few hundred kB holding hundreds of MB of zeros: refused on its declared sizes,
    with nothing written."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ("config.json", "model.safetensors"):
            zf.write(toy_checkpoint / name, f"ck/{name}")
        with zf.open("ck/training_state.safetensors", "w", force_zip64=True) as member:
            zeros = bytes(1 << 20)
            for _ in range((MAX_UPLOAD_BYTES >> 20) + 16):
                member.write(zeros)
    assert bomb.stat().st_size < 2 << 20
    client = connect(server[1])
    before = uploads_left(server)
    message = client.predict(checkpoint=None, files=[handle_file(str(bomb))], api_name="/lab_load_checkpoint")[0]
    assert message.startswith("⚠") and "Refused before unpacking anything" in message, message
    assert uploads_left(server) == before


@pytest.mark.parametrize("bomb", ["history", "picture"])
def test_records_larger_than_any_run_writes_are_refused(server, toy_checkpoint, tmp_path, bomb):
    """A 565 kB history.csv with 200,001 columns once kept /lab_init busy for 325 s at 4.4 GB; a small
    PNG can declare 12,000 x 12,000 pixels. Both are refused by their shape, read from headers."""
    if bomb == "history":
        data = {"history.csv": (",".join(["step"] + [f"c{i}" for i in range(200_000)]) + "\n1" + ",0" * 200_000)
                .encode()}
    else:
        from PIL import Image
        Image.new("L", (5000, 5000)).save(tmp_path / "big.png")
        data = {"samples.png": (tmp_path / "big.png").read_bytes()}
    hostile = edited(toy_checkpoint, tmp_path / "hostile", **data)
    client = connect(server[1])
    before = uploads_left(server)
    message = upload(client, "lab", hostile)
    assert message.startswith("⚠"), message
    assert ("columns" in message) if bomb == "history" else ("5,000 x 5,000 pixels" in message)
    assert uploads_left(server) == before


def test_uploads_beyond_the_last_few_are_let_go_with_their_files(server, toy_checkpoint, tmp_path):
    from gan_playground.ui.checkpoint_panel import MAX_UPLOADS_KEPT

    client = connect(server[1])
    before = len(uploads_left(server))
    for step in range(MAX_UPLOADS_KEPT + 2):
        config = json.loads((toy_checkpoint / "config.json").read_text())
        config["step"] = step
        copy = edited(toy_checkpoint, tmp_path / f"ck{step}", **{"config.json": json.dumps(config).encode()})
        assert upload(client, "lab", copy).startswith("Loaded")
    choices = [c[1] for c in client.predict(api_name="/lab_checkpoints")[1]["choices"]]
    assert [c for c in choices if c.startswith("uploaded:")] == [
        f"uploaded:wgan-gp-toy-8gaussians-step{s}" for s in reversed(range(2, MAX_UPLOADS_KEPT + 2))]
    assert len(uploads_left(server)) == before + MAX_UPLOADS_KEPT  # the files of those let go are gone


def test_a_visitors_hub_pull_is_anonymous_unless_they_give_a_token(server, toy_checkpoint, monkeypatch, tmp_path):
    """With HF_TOKEN set on the server, a visitor's pull once sent `Bearer <the owner's token>`."""
    from test_hub import REPO, serving

    with serving(toy_checkpoint, monkeypatch, tmp_path) as hub:
        monkeypatch.setenv("HF_TOKEN", "hf_the_owners_token")
        client = connect(server[1])
        message = client.predict(REPO, "", api_name="/lab_pull_hub")[0]
        assert message.startswith("Loaded"), message
        assert hub.auth and all(a is None for a in hub.auth), hub.auth
        hub.auth.clear()
        message = client.predict(REPO, "hf_visitors_own", api_name="/lab_pull_hub")[0]
        assert message.startswith("Loaded"), message
        assert set(hub.auth) == {"Bearer hf_visitors_own"}
        hub.auth.clear()
        message = client.predict(REPO, "hf_wrong token é", api_name="/lab_pull_hub")[0]
        assert message.startswith("⚠") and "characters" in message and hub.auth == []


def test_a_page_finds_its_saves_after_a_restart_and_stale_files_go(tmp_path, monkeypatch, toy_checkpoint):
    """The server forgets its pages when it is killed; the browser keeps the page's id, and the
    saves are on disk under it. Half-written saves and a dead server's temp folder are removed."""
    monkeypatch.setenv("GAN_PLAYGROUND_UI_SAVES", str(tmp_path / "saves"))
    first = AppContext.create(max_jobs=1, grace_s=0.5, load_shipped=False)
    page = first.sessions.page_of("session-before")
    shutil.copytree(toy_checkpoint, first.saves_of(page) / "wgan-gp-toy-8gaussians-autosave")
    half = first.saves_of(page) / ".tmp-wgan-gp-toy-8gaussians-autosave-999999999-0badf00d"
    half.mkdir()
    (half / "model.safetensors").write_bytes(bytes(1000))
    dead_tmp = first.tmp.with_name(f"{TMP_PREFIX}999999999-dead")  # a killed server's (its PID is gone)
    (dead_tmp / "x-upload").mkdir(parents=True)
    # The server is killed here: nothing of `first` is closed.

    second = AppContext.create(max_jobs=1, grace_s=0.5, load_shipped=False)
    try:
        assert not half.exists() and not dead_tmp.exists()
        assert second.attach_page("session-after", page) == page
        lab = next(s for s in TABS if s.key == "lab")
        slot = second.sessions.slot(page, "lab")
        assert ("saved: wgan-gp-toy-8gaussians-autosave", "saved:wgan-gp-toy-8gaussians-autosave") in \
            second.checkpoint_choices(slot, lab, resumable=True)
        forged = "0" * 32  # well formed, but no server made it: a new page
        assert second.attach_page("session-forged", forged) != forged
    finally:
        second.close()
    assert not second.tmp.exists()


def poll_until_final(client: Client, tab: str, timeout: float = 90.0) -> list:
    from test_ui_client import is_final, poll_until

    return poll_until(client, tab, is_final, timeout)


def test_a_run_that_explodes_on_mnist_is_diverged_in_the_app_and_not_saved(server):
    """WGAN-div at lr=0.6 on MNIST once said "Finished" with losses of 5e24, and Save took it."""
    client = connect(server[1])
    client.predict(variant="wgan-div", dataset="mnist", steps=60, batch_size=16, seed=0, lr=0.6,
                   api_name="/wgan_start")
    status = poll_until_final(client, "wgan")[0]
    assert "Diverged at step" in status, status
    assert "diverged" in client.predict(api_name="/wgan_save")[0]


def test_the_apps_save_on_a_full_disk_says_so_and_the_page_goes_on(server, monkeypatch):
    """A full disk once gave "The upstream Gradio app has raised an exception"."""
    import errno

    from gan_playground import checkpoints

    client = connect(server[1])
    client.predict(variant="wgan-gp", dataset="toy-8gaussians", steps=20, batch_size=16, seed=0,
                   api_name="/lab_start")
    poll_until_final(client, "lab")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints, "save_file", full)
    message = client.predict(api_name="/lab_save")[0]
    assert message.startswith("⚠ Not saved") and "No space left on device" in message and "MiB are free" in message
    assert str(Path(server[0].ctx.saves_of("0" * 32)).parent) not in message  # no server path
    monkeypatch.undo()
    assert client.predict(api_name="/lab_save")[0].startswith("Saved step 20")


def test_refused_inputs_leave_no_traceback_in_the_server_log(server, capfd):
    """Every expected refusal once printed a 27-line traceback; the visitor still gets the message."""
    client = connect(server[1])
    capfd.readouterr()
    refusals = [dict(api_name="/lab_download"), dict(api_name="/lab_timelapse"),
                dict(cls="99", seed=1, api_name="/acgan_class_grid"),
                dict(variant="wgan-gp", dataset="toy-8gaussians", steps=50, batch_size=64, seed=0, lr="-1",
                     api_name="/lab_start")]
    for call in refusals:
        with pytest.raises(Exception) as err:
            client.predict(**call)
        assert "upstream" not in str(err.value), (call, err.value)
    log = capfd.readouterr()
    assert "Traceback" not in log.err + log.out, log.err[-2000:]


def test_gradios_copy_of_an_upload_is_deleted_once_read(server, toy_checkpoint):
    """What is kept is the app's own copy: Gradio's would hold as much again on disk for an hour."""
    from gradio.utils import get_upload_folder

    def received() -> set[Path]:
        return {p for p in Path(get_upload_folder()).rglob("*") if p.is_file() and p.stat().st_size}  # (Gradio
        # also leaves an empty temp file per upload behind: 0 bytes, not ours to remove)

    client = connect(server[1])
    before = received()
    assert upload(client, "lab", toy_checkpoint).startswith("Loaded")
    assert received() - before == set()
