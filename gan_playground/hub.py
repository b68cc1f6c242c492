"""Share checkpoint folders on the Hugging Face Hub: `push_checkpoint` and `pull_checkpoint`.

Only a checkpoint's own files travel: JSON, safetensors, the model card, the sample grid and the
loss history (`SAFE_PATTERNS` up, the six names of `PULL_FILES` down). A pickle is never uploaded,
never downloaded and never read. A pull is bounded, since a Hub (or a repo's author) may be slow
or hostile: the whole download must end within `pull_timeout_s()`, and each file within its cap,
counted on the bytes received. It is downloaded into a fresh folder beside its destination, loaded
once to prove it is a whole checkpoint, and only then moved into place; anything else is removed.

Every failure a user can fix (no token, a bad repo id, a missing or private repo, a refused
upload, no network or `HF_HUB_OFFLINE=1`, a Hub too slow, a repo of pickles) is a `UserError`
with one line that says what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import BinaryIO, Iterator

from gan_playground.checkpoints import (
    CHECKPOINT_FILES,
    PICKLE_SUFFIXES,
    _swap_in,
    load_checkpoint,
    resolve_checkpoint_dir,
    safe_child,
)
from gan_playground.environment import env_number
from gan_playground.errors import CheckpointError, UserError

SAFE_PATTERNS = ["*.json", "*.safetensors", "*.md", "*.png", "*.csv"]
IGNORE_PATTERNS = [".*", "*/*"]  # hidden files and anything in a subfolder stay home
HUB_DIR = Path("checkpoints") / "hub"  # default home of pulled checkpoints, relative to the cwd

PULL_FILES = CHECKPOINT_FILES  # the only files a pull fetches, each capped on the bytes received
MAX_PULL_BYTES = 4 << 30  # all files of one pull together (two weight files at their caps)
MAX_INFO_BYTES = 32 << 20  # the Hub's JSON description of a repo (its file list): ~100 bytes a file
PULL_TIMEOUT_S = 120.0  # for a whole pull; GAN_PLAYGROUND_PULL_TIMEOUT_S overrides it
_SLACK_S = 0.05  # a socket timeout set to end at the deadline may fire a hair before it

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
REPO_ID_FORM = ("USER/NAME (or ORG/NAME): letters, digits, '-', '_' and '.', not starting or ending "
                "with '-' or '.', no '--' or '..', at most 96 characters each; e.g. alice/wgan-gp-mnist")
LOGIN_HINT = "log in with `hf auth login` (or `huggingface-cli login`) or set HF_TOKEN"
OFFLINE_HINT = "Check your connection; if HF_HUB_OFFLINE=1 is set, unset it to reach the Hub."
OFFLINE_MESSAGE = ("Offline mode is on (HF_HUB_OFFLINE=1): the Hugging Face Hub cannot be reached. "
                   "Unset HF_HUB_OFFLINE to push or pull.")


def validate_repo_id(repo_id: str) -> tuple[str, str]:
    """`("user", "name")` for a well-formed Hub repo id, else a UserError naming the form."""
    parts = repo_id.split("/") if isinstance(repo_id, str) else []
    ok = len(parts) == 2 and all(
        _NAME.fullmatch(p) and len(p) <= 96 and "--" not in p and ".." not in p for p in parts)
    if not ok:
        raise UserError(f"Invalid repo id {repo_id!r}: expected {REPO_ID_FORM}.")
    return parts[0], parts[1]


def resolve_token(token: str | None = None) -> str:
    """The argument, else HF_TOKEN, else the token stored by `hf auth login`."""
    from huggingface_hub import get_token

    token = token or os.environ.get("HF_TOKEN") or get_token()
    if not token:
        raise UserError(f"Pushing to the Hugging Face Hub needs a token: {LOGIN_HINT}.")
    check_token(token)
    return token


def check_token(token: str) -> None:
    """A Hub token is printable ASCII (`hf_...`); anything else cannot travel in an HTTP header and
    is a paste gone wrong."""
    if not (token.isascii() and token.isprintable()) or " " in token:
        raise UserError("That access token holds characters no Hugging Face token has (tokens are letters and "
                        "digits, e.g. hf_...); copy it again from https://huggingface.co/settings/tokens.")


# ----------------------------------------------------------------------------------------------
# Push

def push_checkpoint(folder: str | Path, repo_id: str, *, token: str | None = None, private: bool = False) -> str:
    """Upload a checkpoint folder's safe files to the model repo `repo_id`; returns its URL.

    The repo is created if needed (`private` applies only then). The folder must load: a
    broken checkpoint is refused here rather than shared.
    """
    path = resolve_checkpoint_dir(folder)  # refuses pickles and half-made folders
    validate_repo_id(repo_id)
    loaded = load_checkpoint(path)
    token = resolve_token(token)
    _refuse_if_offline()

    from huggingface_hub import HfApi

    api = HfApi(token=token, library_name="gan-playground")
    with _hub_errors("push", repo_id):
        url = api.create_repo(repo_id, repo_type="model", exist_ok=True, private=private)
        try:
            api.upload_folder(folder_path=path, repo_id=repo_id, repo_type="model",
                              allow_patterns=SAFE_PATTERNS, ignore_patterns=IGNORE_PATTERNS,
                              commit_message=f"Upload {loaded.model.name} at step {loaded.step} (GAN Playground)")
        except ValueError as err:  # the Hub's check of README.md's YAML metadata
            if "README.md" not in str(err):
                raise
            raise UserError(f"The Hugging Face Hub rejected {path / 'README.md'}: {_one_line(str(err))}") from None
    return str(url)


# ----------------------------------------------------------------------------------------------
# Pull

def default_pull_dir(repo_id: str) -> Path:
    """`checkpoints/hub/USER--NAME`, kept inside `checkpoints/hub` whatever the id says."""
    user, name = validate_repo_id(repo_id)
    return safe_child(HUB_DIR, f"{user}--{name}")


def local_or_pulled(source: str | Path) -> Path:
    """A checkpoint folder as given, or, for a Hub repo id ("user/name") that names no local path,
    the repo pulled into the user's cache (`~/.cache/gan_playground/hub/USER--NAME`) with the local
    login and the pull's deadline and caps. What `gp.load`, `sample` and `eval` take."""
    path = Path(source)
    try:
        exists = path.exists()
    except (OSError, ValueError) as err:  # a name too long for the file system, an embedded NUL
        raise UserError(f"Cannot read {str(source)[:60]!r}: {getattr(err, 'strerror', None) or err}.") from None
    text = str(source)
    if exists or text.count("/") != 1 or text.startswith((".", "/")):
        return path
    user, name = validate_repo_id(text)
    return pull_checkpoint(text, out_dir=Path.home() / ".cache" / "gan_playground" / "hub" / f"{user}--{name}")


def pull_checkpoint(repo_id: str, *, out_dir: str | Path | None = None, token: str | bool | None = None,
                    timeout_s: float | None = None, max_total: int | None = None) -> Path:
    """Download a checkpoint repo's known files into `out_dir` (default `checkpoints/hub/USER--NAME`)
    and check that it loads. An existing checkpoint there is replaced only by one that loads.

    `token`: None uses the local login (HF_TOKEN, `hf auth login`), as the command line should;
    False sends none (the app pulls for its visitors anonymously); a string is that token.
    `max_total` caps all files together (the app's uploads limit), besides each file's own cap.

    The whole download must end within `timeout_s` (default `pull_timeout_s()`): a Hub that stops
    answering or trickles bytes gets a clear error, not a hang. Every file is capped on the bytes
    received, since the repo's listing is the repo author's word. Nothing half-pulled is kept.
    """
    validate_repo_id(repo_id)
    dest = Path(out_dir) if out_dir is not None else default_pull_dir(repo_id)
    _check_destination(dest)
    _refuse_if_offline()
    deadline = _Deadline(repo_id, pull_timeout_s() if timeout_s is None else timeout_s)

    from huggingface_hub import constants, hf_hub_url
    from huggingface_hub.utils import build_hf_headers

    if isinstance(token, str):
        check_token(token)
    headers = build_hf_headers(token=token, library_name="gan-playground")
    with _hub_errors("pull", repo_id, deadline):
        info = io.BytesIO()
        _fetch(f"{constants.ENDPOINT}/api/models/{repo_id}", info, headers, deadline,
               cap=MAX_INFO_BYTES, what=f"the Hub's description of {repo_id}", params={"blobs": True})
    sha, names = _files_to_pull(repo_id, info.getvalue())

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".tmp-pull-{dest.name}-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        with _hub_errors("pull", repo_id, deadline):
            left = MAX_PULL_BYTES if max_total is None else max_total
            for name in names:
                with open(staging / name, "wb") as sink:
                    cap = min(PULL_FILES[name], left)
                    what = f"{repo_id}: {name}" + ("" if cap == PULL_FILES[name] else " with the files before it")
                    _fetch(hf_hub_url(repo_id, name, revision=sha), sink, headers, deadline,
                           cap=cap, what=what, bar=name)
                    left -= sink.tell()
        try:
            load_checkpoint(staging)
        except UserError as err:
            raise CheckpointError(f"{repo_id} is not a loadable GAN Playground checkpoint: "
                                  + str(err).replace(str(staging), dest.name)) from None
        _move_into_place(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def pull_timeout_s() -> float:
    """GAN_PLAYGROUND_PULL_TIMEOUT_S if set (for a slow link or a big checkpoint), else PULL_TIMEOUT_S."""
    return env_number("GAN_PLAYGROUND_PULL_TIMEOUT_S", PULL_TIMEOUT_S, above=True, unit=" of seconds")


class _Deadline:
    """When a pull must have ended, shared by all its requests."""

    def __init__(self, repo_id: str, seconds: float):
        self.end = time.monotonic() + seconds
        self.message = (f"Pulling {repo_id} took longer than {seconds:g} s (the Hub stopped answering or is very "
                        f"slow); nothing was kept. Try again later, or allow more time with "
                        f"GAN_PLAYGROUND_PULL_TIMEOUT_S.")

    def left(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= _SLACK_S

    def check(self) -> None:
        if self.passed():
            raise UserError(self.message)

    def request_timeout(self) -> float:
        """huggingface_hub's per-read timeout (HF_HUB_DOWNLOAD_TIMEOUT), but never past the deadline.
        It bounds connecting and waiting for the answer's headers; `_cut_at` bounds the body."""
        from huggingface_hub import constants

        self.check()
        return min(float(constants.HF_HUB_DOWNLOAD_TIMEOUT), self.left())


def _fetch(url: str, sink: BinaryIO, headers: dict[str, str], deadline: _Deadline, *, cap: int, what: str,
           params: dict | None = None, bar: str | None = None) -> None:
    """GET `url` into `sink` through huggingface_hub's HTTP session (its proxies, offline mode and
    client factory), refusing more than `cap` bytes, whatever Content-Length or the listing said."""
    from huggingface_hub.utils import get_session, tqdm

    with get_session().stream("GET", url, headers=headers, params=params, follow_redirects=True,
                              timeout=deadline.request_timeout()) as response, _cut_at(deadline, response):
        if response.status_code >= 400:
            _raise_for_status(response, deadline)
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=bar,
                  disable=True if bar is None else None, leave=False) as progress:
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > cap:
                    raise CheckpointError(f"{what} is larger than {_size(cap)}; refusing it (nothing was kept).")
                deadline.check()
                sink.write(chunk)
                progress.update(len(chunk))


@contextlib.contextmanager
def _cut_at(deadline: _Deadline, response) -> Iterator[None]:
    """Shut the answer's socket down at the deadline, so that a read blocked on a silent Hub
    returns then instead of after its whole read timeout.

    The socket comes from the response's documented `network_stream` extension and its
    `get_extra_info("socket")` (https://www.encode.io/httpcore/extensions/), not from the
    connection's internals. huggingface_hub's download functions offer only a per-read timeout,
    which a Hub that trickles bytes never trips and which a silent one trips only after the read
    timeout; the deadline tests in test_hub.py measure both."""
    stream = response.extensions.get("network_stream")  # absent for a mock transport
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        yield
        return
    timer = threading.Timer(max(deadline.left(), 0.0), _shutdown, (sock,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()  # a shutdown under way ends before the connection goes back to the pool


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _raise_for_status(response, deadline: _Deadline) -> None:
    """huggingface_hub's own error for an HTTP error status, read from at most 64 kB of its body."""
    import httpx2
    from huggingface_hub.utils import hf_raise_for_status

    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        deadline.check()
        if len(body) >= 1 << 16:
            break
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]  # body is decoded
    hf_raise_for_status(httpx2.Response(response.status_code, headers=headers, content=bytes(body),
                                        request=response.request))
    raise UserError(f"The Hugging Face Hub answered HTTP {response.status_code} to {response.url}.")


def _files_to_pull(repo_id: str, info: bytes) -> tuple[str | None, list[str]]:
    """The commit to pull from and which of PULL_FILES the repo lists; refuses a repo that is no
    checkpoint, one of pickles, and files whose listed size is already over their cap."""
    try:
        data = json.loads(info)
        siblings = [s for s in data.get("siblings") or []
                    if isinstance(s, dict) and isinstance(s.get("rfilename"), str)]
    except (ValueError, AttributeError, TypeError):
        raise UserError(f"The Hugging Face Hub sent an unreadable description of {repo_id}; try again later.") from None
    sizes = {s["rfilename"]: s.get("size") for s in siblings}
    if "model.safetensors" not in sizes or "config.json" not in sizes:
        pickles = sorted(n for n in sizes if Path(n).suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise CheckpointError(
                f"{repo_id} holds weights only as pickle files ({', '.join(pickles[:3])}), which GAN Playground "
                f"never downloads or loads: unpickling can run any code its author put in it. "
                f"Ask the author for a GAN Playground checkpoint (model.safetensors + config.json).")
        raise CheckpointError(f"{repo_id} is not a GAN Playground checkpoint: it lacks "
                              + " and ".join(n for n in ("model.safetensors", "config.json") if n not in sizes) + ".")
    names = [n for n in PULL_FILES if n in sizes]
    for name in names:
        if isinstance(sizes[name], int) and sizes[name] > PULL_FILES[name]:
            raise CheckpointError(f"{repo_id}: {name} is larger than {_size(PULL_FILES[name])}; refusing it.")
    sha = data.get("sha")
    return (sha if isinstance(sha, str) and sha else None), names


def _size(n: int) -> str:
    return f"{n >> 30} GiB" if n >= 1 << 30 else f"{n >> 20} MiB"


def _check_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise UserError(f"{dest} is a file; pull into a folder (--out DIR).")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / "config.json").is_file():
        raise UserError(f"{dest} exists and is not a checkpoint folder; pull into a new or empty folder "
                        f"(--out DIR) so that nothing of yours is replaced.")


def _move_into_place(staging: Path, dest: Path) -> None:
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
    if dest.exists():  # an earlier pull (or another checkpoint): replaced with renames only
        _swap_in(staging, dest)
    else:
        os.rename(staging, dest)


# ----------------------------------------------------------------------------------------------
# Errors: the Hub's exceptions turned into one line a user can act on

def _refuse_if_offline() -> None:
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise UserError(OFFLINE_MESSAGE)


def _network_errors() -> tuple[type[BaseException], ...]:
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    errors: list[type[BaseException]] = [OfflineModeIsEnabled, LocalEntryNotFoundError, ConnectionError, TimeoutError]
    for module in ("httpx2", "httpx"):  # huggingface_hub 2.x speaks httpx2; older ones httpx
        with contextlib.suppress(ImportError):
            errors.append(__import__(module).TransportError)
    return tuple(errors)


@contextlib.contextmanager
def _hub_errors(action: str, repo_id: str, deadline: _Deadline | None = None) -> Iterator[None]:
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        yield
    except _network_errors() as err:
        if type(err).__name__ == "OfflineModeIsEnabled" or "HF_HUB_OFFLINE" in str(err):
            raise UserError(OFFLINE_MESSAGE) from None
        if deadline is not None and deadline.passed():  # a read timed out, or `_cut_at` cut it
            raise UserError(deadline.message) from None
        raise UserError(f"Cannot reach the Hugging Face Hub to {action} {repo_id} "
                        f"({type(err).__name__}). {OFFLINE_HINT}") from None
    except GatedRepoError:
        raise UserError(f"{repo_id} is a gated repo: accept its conditions on huggingface.co/{repo_id} "
                        f"and {LOGIN_HINT}.") from None
    except (RepositoryNotFoundError, RevisionNotFoundError) as err:
        if action == "push":  # it was just created: the token may not write there
            raise UserError(_refused(repo_id, err)) from None
        raise UserError(f"Repo {repo_id} was not found on the Hugging Face Hub (or it is private and your "
                        f"token has no access to it). Check the id; for a private repo, {LOGIN_HINT}.") from None
    except HfHubHTTPError as err:
        status = getattr(err.response, "status_code", None)
        if status in (401, 403):
            if action == "push":
                raise UserError(_refused(repo_id, err)) from None
            raise UserError(f"The Hugging Face Hub refused access to {repo_id} (HTTP {status}). "
                            f"For a private or gated repo, {LOGIN_HINT} with an account that may read it.") from None
        detail = _one_line(err.server_message or str(err))
        raise UserError(f"The Hugging Face Hub answered HTTP {status} to the {action} of {repo_id}: {detail}") from None


def _refused(repo_id: str, err: Exception) -> str:
    status = getattr(getattr(err, "response", None), "status_code", None)
    return (f"The Hugging Face Hub refused the upload to {repo_id}" + (f" (HTTP {status})" if status else "")
            + f": the token must have write access, and {repo_id.split('/')[0]} must be your user name or an "
              f"organization you may write to. Create a write token at https://huggingface.co/settings/tokens, "
              f"then {LOGIN_HINT}.")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 3] + "..."
