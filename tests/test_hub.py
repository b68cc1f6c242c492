"""push / pull against a fake Hugging Face Hub, with no network.

The fake answers at the HTTP layer: an `httpx2.MockTransport` (huggingface_hub 2.x speaks
httpx2) installed with `huggingface_hub.set_client_factory`, so every request huggingface_hub
makes goes through the real library code (create_repo, preupload, commit, model_info, tree,
resolve) and reaches `FakeHub.handle` instead of the Internet. The project's own functions are
never mocked. Offline mode is toggled at runtime through `huggingface_hub.constants.HF_HUB_OFFLINE`
(read at import from the environment, then consulted by `constants.is_offline_mode()`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx2
import huggingface_hub
import pytest
import yaml
from huggingface_hub import constants
from huggingface_hub.utils import _http as hf_http

from gan_playground import cli
from gan_playground.checkpoints import load_checkpoint, save_checkpoint
from gan_playground.config import RunConfig
from gan_playground.errors import CheckpointError, UserError
from gan_playground.hub import pull_checkpoint, push_checkpoint, validate_repo_id
from gan_playground.run import prepare_run

SHA = "0123456789abcdef0123456789abcdef01234567"
TOKEN = "hf_test_token"


# ----------------------------------------------------------------------------------------------
# A fake Hub

class FakeHub:
    """Model repos in memory, served the way huggingface.co serves them, as far as push and pull need."""

    def __init__(self):
        self.repos: dict[str, dict[str, bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.created: list[dict] = []
        self.cards: list[str] = []  # README.md contents sent to /api/validate-yaml
        self.status: int | None = None  # answer every repo request with this status (401, 403, 500...)
        self.raise_error: Exception | None = None  # or fail at the transport (no network)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path == "/api/agent-harnesses":  # huggingface_hub's own housekeeping
            return httpx2.Response(404)
        self.requests.append((request.method, path))
        if self.raise_error is not None:
            raise self.raise_error
        if self.status is not None:
            return httpx2.Response(self.status, json={"error": "Forbidden by the fake hub"})
        if path == "/api/repos/create":
            body = json.loads(request.content)
            repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
            self.created.append(body)
            self.repos.setdefault(repo_id, {})
            return httpx2.Response(200, json={"url": f"https://huggingface.co/{repo_id}", "name": repo_id})
        if path == "/api/validate-yaml":  # the Hub checks a model card's metadata before a commit
            return self._validate_yaml(json.loads(request.content)["content"])
        if path.startswith("/api/models/"):
            return self._api(request, path[len("/api/models/"):])
        if "/resolve/" in path:
            repo_id, rest = path.lstrip("/").split("/resolve/", 1)
            name = rest.split("/", 1)[1]
            files = self.repos.get(repo_id)
            if files is None:
                return _not_found()
            if name not in files:
                return httpx2.Response(404, headers={"X-Error-Code": "EntryNotFound"})
            data = files[name]
            headers = {"X-Repo-Commit": SHA, "ETag": f'"{_oid(data)}"', "Content-Length": str(len(data))}
            return httpx2.Response(200, headers=headers, content=b"" if request.method == "HEAD" else data)
        return httpx2.Response(404, json={"error": f"fake hub has no {path}"})

    def _api(self, request: httpx2.Request, rest: str) -> httpx2.Response:
        parts = rest.split("/")
        repo_id, action = "/".join(parts[:2]), parts[2:]
        files = self.repos.get(repo_id)
        if files is None:
            return _not_found()
        if not action or action[0] == "revision":  # model_info
            siblings = [{"rfilename": n, "size": len(b), "blobId": _oid(b)} for n, b in files.items()]
            return httpx2.Response(200, json={"id": repo_id, "modelId": repo_id, "sha": SHA, "private": False,
                                              "siblings": siblings})
        if action[0] == "tree":
            return httpx2.Response(200, json=[{"type": "file", "path": n, "size": len(b), "oid": _oid(b)}
                                              for n, b in files.items()])
        if action[0] == "preupload":  # small files go inline in the commit: no LFS, no Xet
            body = json.loads(request.content)
            return httpx2.Response(200, json={"files": [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in body["files"]]})
        if action[0] == "commit":
            for line in request.content.decode().splitlines():
                op = json.loads(line) if line.strip() else {}
                if op.get("key") == "file":
                    files[op["value"]["path"]] = base64.b64decode(op["value"]["content"])
            return httpx2.Response(200, json={"commitUrl": f"https://huggingface.co/{repo_id}/commit/{SHA}",
                                              "commitOid": SHA, "pullRequestUrl": None})
        return httpx2.Response(404)

    def _validate_yaml(self, content: str) -> httpx2.Response:
        self.cards.append(content)
        problems = []
        if not content.startswith("---\n"):
            problems.append("no YAML front matter")
        else:
            meta = yaml.safe_load(content.split("---\n", 2)[1])
            if not isinstance(meta, dict):
                problems.append("metadata is not a mapping")
            else:
                problems += [f"{key} is missing" for key in ("library_name", "license", "tags") if key not in meta]
        if problems:
            return httpx2.Response(400, json={"errors": [{"message": m} for m in problems]})
        return httpx2.Response(200, json={"warnings": []})

    def paths_requested(self) -> list[str]:
        return [p for _, p in self.requests]


def _oid(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _not_found() -> httpx2.Response:
    return httpx2.Response(404, headers={"X-Error-Code": "RepoNotFound"}, json={"error": "Repository not found"})


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fake = FakeHub()
    huggingface_hub.set_client_factory(lambda: httpx2.Client(
        transport=httpx2.MockTransport(fake.handle), follow_redirects=True,
        event_hooks={"request": [hf_http.hf_request_event_hook]}))  # the hook enforces offline mode
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-stored-token"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    try:
        yield fake
    finally:
        huggingface_hub.set_client_factory(hf_http.default_client_factory)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A small whole checkpoint (WGAN-GP on a toy set), plus files that must never travel."""
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=16, device="cpu"),
                      {"latent_dim": "8"})
    folder = save_checkpoint(tmp_path_factory.mktemp("ck") / "wgan", run, step=3)
    (folder / "notes.txt").write_text("private notes")
    (folder / "old.pt").write_bytes(b"not really a pickle")
    (folder / ".secret").write_text("token")
    (folder / "sub").mkdir()
    (folder / "sub" / "extra.json").write_text("{}")
    return folder


def _serve(hub: FakeHub, repo_id: str, folder: Path, names=("config.json", "model.safetensors", "README.md")):
    hub.repos[repo_id] = {n: (folder / n).read_bytes() for n in names}


# ----------------------------------------------------------------------------------------------
# Push

def test_push_sends_only_the_checkpoints_own_files(hub, checkpoint):
    url = push_checkpoint(checkpoint, "alice/wgan-toy", token=TOKEN, private=True)
    assert url.rstrip("/").endswith("alice/wgan-toy")
    sent = hub.repos["alice/wgan-toy"]
    assert {"config.json", "model.safetensors", "training_state.safetensors", "README.md"} <= set(sent)
    assert set(sent) <= {"config.json", "model.safetensors", "training_state.safetensors", "README.md",
                         "samples.png", "history.csv"}
    assert sent["model.safetensors"] == (checkpoint / "model.safetensors").read_bytes()
    created = hub.created[0]
    assert created["name"] == "wgan-toy" and created["organization"] == "alice"
    assert created.get("private") is True or created.get("visibility") == "private"
    assert ("POST", "/api/models/alice/wgan-toy/commit/main") in hub.requests
    assert hub.cards == [sent["README.md"].decode()]  # the model card's metadata was accepted


def test_push_token_from_environment(hub, checkpoint, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    push_checkpoint(checkpoint, "alice/env-token")
    assert "model.safetensors" in hub.repos["alice/env-token"]


def test_push_without_token_says_how_to_log_in(hub, checkpoint):
    with pytest.raises(UserError, match="hf auth login.*HF_TOKEN"):
        push_checkpoint(checkpoint, "alice/x")
    assert hub.requests == []


@pytest.mark.parametrize("status", [401, 403])
def test_push_refused(hub, checkpoint, status):
    hub.status = status
    with pytest.raises(UserError, match="refused the upload to alice/x.*write") as err:
        push_checkpoint(checkpoint, "alice/x", token=TOKEN)
    assert "\n" not in str(err.value)


def test_push_refused_at_commit(hub, checkpoint):
    """The repo exists but the token may not write: the 403 comes at preupload or commit."""
    hub.repos["bob/theirs"] = {}
    real = hub.handle

    def handle(request):
        if "/preupload/" in request.url.path or "/commit/" in request.url.path:
            return httpx2.Response(403, json={"error": "You don't have the rights"})
        return real(request)

    hub.handle = handle
    with pytest.raises(UserError, match="refused the upload to bob/theirs"):
        push_checkpoint(checkpoint, "bob/theirs", token=TOKEN)


def test_push_refuses_pickles_and_bad_ids_before_any_request(hub, tmp_path, checkpoint):
    (tmp_path / "model.pt").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(CheckpointError, match="pickle"):
        push_checkpoint(tmp_path / "model.pt", "alice/x", token=TOKEN)
    only_pickles = tmp_path / "only"
    only_pickles.mkdir()
    (only_pickles / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(CheckpointError, match="pickle"):
        push_checkpoint(only_pickles, "alice/x", token=TOKEN)
    for bad in ("bad..id", "alice", "a/b/c", "alice/-x", "alice/x-", "al ice/x", "alice/x--y", "../x", "alice/"):
        with pytest.raises(UserError, match="USER/NAME"):
            push_checkpoint(checkpoint, bad, token=TOKEN)
    assert hub.requests == []


def test_valid_repo_ids():
    assert validate_repo_id("alice/wgan-gp_mnist.v2") == ("alice", "wgan-gp_mnist.v2")
    assert validate_repo_id("Org123/A") == ("Org123", "A")
    with pytest.raises(UserError):
        validate_repo_id("alice/" + "x" * 97)


# ----------------------------------------------------------------------------------------------
# Pull

def test_pull_gives_a_loadable_checkpoint(hub, checkpoint, tmp_path, monkeypatch):
    _serve(hub, "alice/wgan-toy", checkpoint, names=("config.json", "model.safetensors", "README.md",
                                                      "training_state.safetensors"))
    hub.repos["alice/wgan-toy"]["evil.bin"] = b"\x80\x04pickle"
    hub.repos["alice/wgan-toy"]["run.sh"] = b"rm -rf ~"
    monkeypatch.chdir(tmp_path)
    out = pull_checkpoint("alice/wgan-toy")
    assert out == (tmp_path / "checkpoints" / "hub" / "alice--wgan-toy").resolve()
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                     "training_state.safetensors"]
    loaded = load_checkpoint(out)
    assert loaded.model.name == "wgan-gp" and loaded.step == 3
    assert not any("evil.bin" in p or "run.sh" in p for p in hub.paths_requested())
    # nothing left beside it: no staging folder, no cache
    assert sorted(p.name for p in out.parent.iterdir()) == ["alice--wgan-toy"]


def test_pull_replaces_an_earlier_pull_and_keeps_it_when_the_new_one_is_broken(hub, checkpoint, tmp_path):
    _serve(hub, "alice/wgan-toy", checkpoint)
    out = pull_checkpoint("alice/wgan-toy", out_dir=tmp_path / "mine")
    hub.repos["alice/wgan-toy"]["model.safetensors"] = b"\x10\x00\x00\x00\x00\x00\x00\x00{}"  # broken
    with pytest.raises(CheckpointError, match="not a loadable"):
        pull_checkpoint("alice/wgan-toy", out_dir=out)
    assert load_checkpoint(out).step == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_pull_of_a_broken_repo_leaves_nothing(hub, checkpoint, tmp_path):
    _serve(hub, "alice/broken", checkpoint, names=("config.json",))
    hub.repos["alice/broken"]["model.safetensors"] = (checkpoint / "model.safetensors").read_bytes()[:100]
    with pytest.raises(CheckpointError, match="alice/broken is not a loadable"):
        pull_checkpoint("alice/broken", out_dir=tmp_path / "fresh")
    assert list(tmp_path.iterdir()) == []


def test_pull_refuses_a_folder_of_other_files(hub, checkpoint, tmp_path):
    _serve(hub, "alice/wgan-toy", checkpoint)
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(UserError, match="not a checkpoint folder"):
        pull_checkpoint("alice/wgan-toy", out_dir=tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize("files", [{"pytorch_model.bin": b"\x80\x04."},
                                   {"model.pt": b"\x80\x04.", "config.json": b"{}"},
                                   {"generator.ckpt": b"x", "README.md": b"# hi"}])
def test_pull_of_a_pickle_only_repo(hub, tmp_path, files):
    hub.repos["alice/pickles"] = dict(files)
    with pytest.raises(CheckpointError, match=r"only as pickle files .*never downloads or loads"):
        pull_checkpoint("alice/pickles", out_dir=tmp_path / "p")
    assert not any("/resolve/" in p for p in hub.paths_requested())
    assert list(tmp_path.iterdir()) == []


def test_pull_of_a_repo_that_is_no_checkpoint(hub, tmp_path):
    hub.repos["alice/text"] = {"README.md": b"# just text"}
    with pytest.raises(CheckpointError, match="not a GAN Playground checkpoint"):
        pull_checkpoint("alice/text", out_dir=tmp_path / "t")


def test_pull_not_found(hub, tmp_path):
    with pytest.raises(UserError, match="alice/nothing was not found.*private") as err:
        pull_checkpoint("alice/nothing", out_dir=tmp_path / "n")
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("status", [401, 403])
def test_pull_refused(hub, tmp_path, status):
    hub.status = status
    with pytest.raises(UserError, match="not found|refused access"):
        pull_checkpoint("alice/private", out_dir=tmp_path / "n")


def test_pull_gated(hub, tmp_path):
    hub.handle = lambda request: httpx2.Response(403, headers={"X-Error-Code": "GatedRepo"},
                                                 json={"error": "Access to this model is restricted"})
    with pytest.raises(UserError, match="alice/gated is a gated repo: accept its conditions") as err:
        pull_checkpoint("alice/gated", out_dir=tmp_path / "g")
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_pull_server_error_is_one_line(hub, tmp_path, monkeypatch):
    hub.status = 400
    with pytest.raises(UserError, match="HTTP 400") as err:
        pull_checkpoint("alice/x", out_dir=tmp_path / "n")
    assert "\n" not in str(err.value)


def test_offline_mode(hub, checkpoint, tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UserError, match="HF_HUB_OFFLINE"):
        pull_checkpoint("alice/wgan-toy", out_dir=tmp_path / "o")
    with pytest.raises(UserError, match="HF_HUB_OFFLINE"):
        push_checkpoint(checkpoint, "alice/wgan-toy", token=TOKEN)
    assert hub.requests == []


def test_offline_mode_seen_by_the_library(hub, checkpoint, tmp_path, monkeypatch):
    """Offline switched on between our check and the request: huggingface_hub's own error is mapped."""
    import gan_playground.hub as hub_module

    monkeypatch.setattr(hub_module, "_refuse_if_offline", lambda: None)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UserError, match="HF_HUB_OFFLINE"):
        pull_checkpoint("alice/wgan-toy", out_dir=tmp_path / "o")
    with pytest.raises(UserError, match="HF_HUB_OFFLINE"):
        push_checkpoint(checkpoint, "alice/wgan-toy", token=TOKEN)


def test_no_network(hub, checkpoint, tmp_path):
    hub.raise_error = httpx2.ConnectError("[Errno -3] Temporary failure in name resolution")
    with pytest.raises(UserError, match="Cannot reach the Hugging Face Hub") as err:
        pull_checkpoint("alice/wgan-toy", out_dir=tmp_path / "o")
    assert "\n" not in str(err.value)
    with pytest.raises(UserError, match="Cannot reach the Hugging Face Hub"):
        push_checkpoint(checkpoint, "alice/wgan-toy", token=TOKEN)
    assert list(tmp_path.iterdir()) == []


def test_network_lost_during_download(hub, checkpoint, tmp_path, monkeypatch):
    _serve(hub, "alice/wgan-toy", checkpoint)
    monkeypatch.setattr(hf_http.time, "sleep", lambda seconds: None)  # huggingface_hub's retry back-off
    real = hub.handle

    def handle(request):
        if "/resolve/" in request.url.path:
            raise httpx2.ConnectError("connection reset")
        return real(request)

    hub.handle = handle
    with pytest.raises(UserError, match="Cannot reach the Hugging Face Hub"):
        pull_checkpoint("alice/wgan-toy", out_dir=tmp_path / "o")
    assert list(tmp_path.iterdir()) == []


def test_pull_default_folder_stays_inside(hub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for bad in ("../etc", "alice/../../x", "/abs/x", "alice/..", "alice/.x"):
        with pytest.raises(UserError, match="USER/NAME"):
            pull_checkpoint(bad)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------
# Pull from a fake Hub on 127.0.0.1: a real socket, so that slow, silent and oversized answers
# are what they would be from a real server (the mock transport above answers all at once).

REPO = "alice/wgan-toy"


class HubServer(ThreadingHTTPServer):
    """One model repo served the way huggingface.co serves it to `pull_checkpoint`: its model-info
    JSON at /api/models/REPO and its files at /REPO/resolve/SHA/NAME. `answers` replaces the
    whole answer for "info" or a file name by a misbehaving one."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _HubHandler)
        self.files: dict[str, bytes] = {}
        self.listed: dict[str, int] = {}  # sizes the listing claims, when they are not the real ones
        self.answers: dict[str, object] = {}
        self.requests: list[str] = []
        self.auth: list[str | None] = []
        self.sent = 0  # bytes of file bodies written
        self.release = threading.Event()  # set at teardown: stalled answers end

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def info(self) -> bytes:
        siblings = [{"rfilename": n, "size": self.listed.get(n, len(b))} for n, b in self.files.items()]
        return json.dumps({"id": REPO, "modelId": REPO, "sha": SHA, "private": False, "siblings": siblings}).encode()

    def resolves(self) -> list[str]:
        return [p.rsplit("/", 1)[1] for p in self.requests if "/resolve/" in p]


class _HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        hub: HubServer = self.server
        path = urlsplit(self.path).path
        hub.requests.append(path)
        hub.auth.append(self.headers.get("Authorization"))
        key, body = None, None
        if path == f"/api/models/{REPO}":
            key, body = "info", hub.info()
        elif path.startswith(f"/{REPO}/resolve/{SHA}/"):
            key = path.rsplit("/", 1)[1]
            body = hub.files.get(key)
        try:
            if body is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "RepoNotFound" if key is None else "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                hub.answers.get(key, _whole)(self, body)
        except OSError:  # the client hung up, as it should on a misbehaving answer
            self.close_connection = True

    def start(self, length: int | None):
        self.send_response(200)
        if length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def send(self, data: bytes):
        self.wfile.write(data)
        self.wfile.flush()
        self.server.sent += len(data)

    def log_message(self, *args):
        pass


def _whole(h: _HubHandler, body: bytes):
    h.start(len(body))
    h.send(body)


def _pause_then_stop(h: _HubHandler, body: bytes):
    """Half the file, 2 s of silence, a few bytes more, then no answer at all."""
    h.start(len(body))
    h.send(body[:len(body) // 2])
    h.server.release.wait(2.0)
    h.send(body[len(body) // 2:len(body) // 2 + 10])
    h.server.release.wait(60)


def _silent(h: _HubHandler, body: bytes):
    """The request is taken, and never answered: not even headers."""
    h.server.release.wait(60)


def _trickle(h: _HubHandler, body: bytes):
    """One byte every 0.2 s, never silent long enough for a read timeout; after 5 s the rest at
    once, so that a pull with no deadline ends (late) instead of hanging the test."""
    h.start(len(body))
    for i in range(25):
        h.send(body[i:i + 1])
        if h.server.release.wait(0.2):
            return
    h.send(body[25:])


def _endless(h: _HubHandler, body: bytes):
    """Bytes until the client hangs up, with no Content-Length to warn it."""
    h.start(None)
    block = b"9," * (1 << 19)
    while not h.server.release.is_set():
        h.send(block)


@pytest.fixture
def server(monkeypatch, tmp_path, checkpoint):
    """A HubServer holding `checkpoint`, with HF_ENDPOINT pointed at it and huggingface_hub's real HTTP client."""
    with serving(checkpoint, monkeypatch, tmp_path) as srv:
        yield srv


@contextlib.contextmanager
def serving(checkpoint: Path, monkeypatch, tmp_path) -> Iterator[HubServer]:
    """A HubServer on 127.0.0.1 holding `checkpoint` as REPO, the Hub's address pointed at it, no
    token anywhere (no HF_TOKEN, no stored login), and huggingface_hub's real HTTP client."""
    srv = HubServer()
    srv.files = {n: (checkpoint / n).read_bytes()
                 for n in ("config.json", "model.safetensors", "training_state.safetensors", "README.md")}
    srv.files["history.csv"] = b"step,loss_g,loss_d\n1,0.5,0.5\n"
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setattr(constants, "ENDPOINT", srv.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", srv.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-stored-token"))
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GAN_PLAYGROUND_PULL_TIMEOUT_S", "HTTP_PROXY", "HTTPS_PROXY",
                "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    huggingface_hub.set_client_factory(hf_http.default_client_factory)  # a fresh client, real sockets
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        huggingface_hub.set_client_factory(hf_http.default_client_factory)  # closes its connections


def _timed_pull(out: Path, timeout_s: float, **kwargs) -> tuple[str, float]:
    start = time.monotonic()
    with pytest.raises(UserError) as err:
        pull_checkpoint(REPO, out_dir=out, timeout_s=timeout_s, **kwargs)
    return str(err.value), time.monotonic() - start


def test_server_pull_gives_a_loadable_checkpoint_and_fetches_only_known_files(server, tmp_path):
    server.files.update({f"extra-{i:04d}.json": b"{}" for i in range(3000)})  # strays: none may be fetched
    server.files.update({"notes.txt": b"x", "old.pt": b"\x80\x04.", "sub/config.json": b"{}"})
    out = pull_checkpoint(REPO, out_dir=tmp_path / "got", token=TOKEN, timeout_s=10)
    assert load_checkpoint(out).step == 3
    known = ["config.json", "model.safetensors", "training_state.safetensors", "README.md", "history.csv"]
    assert sorted(server.resolves()) == sorted(known)
    assert len(server.requests) == 1 + len(known)  # the model info, then each known file once
    assert sorted(p.name for p in out.iterdir()) == sorted(known)
    assert (out / "history.csv").read_bytes() == server.files["history.csv"]
    assert server.auth == [f"Bearer {TOKEN}"] * len(server.requests)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got"]


def test_server_stops_answering_mid_file(server, tmp_path):
    """Silence after 2 s, with 1 s left: the error comes at the deadline (3 s), not after the
    read timeout (another ~3 s), and the earlier pull stays."""
    out = pull_checkpoint(REPO, out_dir=tmp_path / "mine", timeout_s=10)
    server.answers["model.safetensors"] = _pause_then_stop
    message, took = _timed_pull(out, 3)
    assert message == (f"Pulling {REPO} took longer than 3 s (the Hub stopped answering or is very slow); "
                       f"nothing was kept. Try again later, or allow more time with GAN_PLAYGROUND_PULL_TIMEOUT_S.")
    assert 2.9 < took < 4.0, took
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no .tmp-pull-*
    assert load_checkpoint(out).step == 3


@pytest.mark.parametrize("where", ["info", "model.safetensors"])
def test_server_never_answers(server, tmp_path, where):
    server.answers[where] = _silent
    message, took = _timed_pull(tmp_path / "s", 1.5)
    assert "took longer than 1.5 s" in message and "nothing was kept" in message
    assert 1.4 < took < 2.5, took
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["info", "model.safetensors"])
def test_server_trickling_one_byte_at_a_time(server, tmp_path, where):
    server.answers[where] = _trickle
    message, took = _timed_pull(tmp_path / "t", 1.5)
    assert "took longer than 1.5 s" in message and "nothing was kept" in message
    assert 1.4 < took < 2.5, took
    assert list(tmp_path.iterdir()) == []


def test_server_timeout_from_the_environment(server, tmp_path, monkeypatch):
    server.answers["config.json"] = _trickle
    monkeypatch.setenv("GAN_PLAYGROUND_PULL_TIMEOUT_S", "1")
    start = time.monotonic()
    with pytest.raises(UserError, match=f"Pulling {REPO} took longer than 1 s"):
        pull_checkpoint(REPO, out_dir=tmp_path / "t")
    assert time.monotonic() - start < 2.0
    asked = len(server.requests)
    for bad in ("soon", "0", "-5", "nan", "inf"):
        monkeypatch.setenv("GAN_PLAYGROUND_PULL_TIMEOUT_S", bad)
        with pytest.raises(UserError, match="GAN_PLAYGROUND_PULL_TIMEOUT_S.* (not a number of|must be above 0)"):
            pull_checkpoint(REPO, out_dir=tmp_path / "t")
    assert len(server.requests) == asked
    assert list(tmp_path.iterdir()) == []


def test_server_file_over_its_cap_is_refused_on_the_bytes_received(server, tmp_path):
    """history.csv listed as 10 bytes, sent without end: refused after 16 MiB, long before the deadline."""
    out = pull_checkpoint(REPO, out_dir=tmp_path / "mine", timeout_s=10)
    server.listed["history.csv"] = 10
    server.answers["history.csv"] = _endless
    sent = server.sent
    with pytest.raises(CheckpointError, match=rf"^{REPO}: history.csv is larger than 16 MiB; refusing it") as err:
        pull_checkpoint(REPO, out_dir=out, timeout_s=10)
    assert "\n" not in str(err.value)
    assert server.sent - sent < 48 << 20  # it stopped reading (what is left sat in socket buffers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no .tmp-pull-*
    assert load_checkpoint(out).step == 3
    assert (out / "history.csv").read_bytes() == server.files["history.csv"]  # the earlier pull's


def test_server_file_listed_over_its_cap_is_not_downloaded(server, tmp_path):
    server.files["samples.png"] = b"\x89PNG"
    server.listed["samples.png"] = 200 << 20
    with pytest.raises(CheckpointError, match=rf"{REPO}: samples.png is larger than 16 MiB"):
        pull_checkpoint(REPO, out_dir=tmp_path / "p", timeout_s=10)
    assert server.resolves() == []
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------
# The command line

def test_cli_push_bad_repo_id(checkpoint, capsys):
    assert cli.main(["push", str(checkpoint), "--repo-id", "bad..id"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: Invalid repo id 'bad..id'") and "USER/NAME" in err


def test_cli_push_and_pull(hub, checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert cli.main(["push", str(checkpoint), "--repo-id", "alice/cli"]) == 0
    assert "alice/cli" in capsys.readouterr().out
    assert cli.main(["pull", "alice/cli", "--out", str(tmp_path / "got")]) == 0
    assert load_checkpoint(tmp_path / "got").step == 3
    capsys.readouterr()  # the download's progress bars
    assert cli.main(["pull", "alice/missing", "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found" in err


def test_cli_pull_offline(hub, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert cli.main(["pull", "alice/x", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HF_HUB_OFFLINE" in err


def test_sample_and_eval_take_a_hub_repo_id(checkpoint, tmp_path, monkeypatch, capsys):
    """As gp.load does: an id that names no local folder is pulled into the user's cache first
    (with the pull's deadline and caps), then used like a folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    with serving(checkpoint, monkeypatch, tmp_path) as hub:
        assert cli.main(["sample", REPO, "--n", "16", "--out", str(tmp_path / "points.npz")]) == 0
        assert cli.main(["eval", REPO, "--samples", "500"]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "modes" in json.dumps(scores)
    assert (tmp_path / "home" / ".cache" / "gan_playground" / "hub" / REPO.replace("/", "--") / "config.json").is_file()
    assert "config.json" in hub.resolves()
    import numpy as np

    assert np.load(tmp_path / "points.npz")["points"].shape == (16, 2)
