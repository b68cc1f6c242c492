"""Share checkpoint folders on the Hugging Face Hub: `push_checkpoint` and `pull_checkpoint`.

Only a checkpoint's own files travel, both ways: JSON, safetensors, the model card, the sample
grid and the loss history (`SAFE_PATTERNS`). A pickle is never uploaded, never downloaded and
never read. A pulled repo is downloaded into a fresh folder beside its destination, loaded once
to prove it is a whole checkpoint, and only then moved into place; anything else is removed.

Every failure a user can fix (no token, a bad repo id, a missing or private repo, a refused
upload, no network or `HF_HUB_OFFLINE=1`, a repo of pickles) is a `UserError` with one line
that says what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from gan_playground.checkpoints import (MAX_WEIGHTS_BYTES, PICKLE_SUFFIXES, _swap_in, load_checkpoint,
                                        resolve_checkpoint_dir, safe_child)
from gan_playground.errors import CheckpointError, UserError

SAFE_PATTERNS = ["*.json", "*.safetensors", "*.md", "*.png", "*.csv"]
IGNORE_PATTERNS = [".*", "*/*"]  # hidden files and anything in a subfolder stay home
HUB_DIR = Path("checkpoints") / "hub"  # default home of pulled checkpoints, relative to the cwd

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
    return token


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


def pull_checkpoint(repo_id: str, *, out_dir: str | Path | None = None, token: str | None = None) -> Path:
    """Download a checkpoint repo's safe files into `out_dir` (default `checkpoints/hub/USER--NAME`)
    and check that it loads. An existing checkpoint there is replaced only by one that loads."""
    validate_repo_id(repo_id)
    dest = Path(out_dir) if out_dir is not None else default_pull_dir(repo_id)
    _check_destination(dest)
    _refuse_if_offline()

    from huggingface_hub import HfApi, snapshot_download

    api = HfApi(token=token, library_name="gan-playground")
    with _hub_errors("pull", repo_id):
        info = api.model_info(repo_id, files_metadata=True)
    _check_repo_files(repo_id, info.siblings or [])

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".tmp-pull-{dest.name}-{uuid.uuid4().hex[:8]}"
    try:
        with _hub_errors("pull", repo_id):
            snapshot_download(repo_id, repo_type="model", revision=info.sha, token=token,
                              local_dir=staging, cache_dir=staging / ".cache" / "hub",
                              allow_patterns=SAFE_PATTERNS, ignore_patterns=IGNORE_PATTERNS)
        shutil.rmtree(staging / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
        try:
            load_checkpoint(staging)
        except UserError as err:
            raise CheckpointError(f"{repo_id} is not a loadable GAN Playground checkpoint: "
                                  + str(err).replace(str(staging), dest.name)) from None
        _move_into_place(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _check_destination(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise UserError(f"{dest} is a file; pull into a folder (--out DIR).")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / "config.json").is_file():
        raise UserError(f"{dest} exists and is not a checkpoint folder; pull into a new or empty folder "
                        f"(--out DIR) so that nothing of yours is replaced.")


def _check_repo_files(repo_id: str, siblings: list) -> None:
    names = [s.rfilename for s in siblings]
    top = {n for n in names if "/" not in n}
    if "model.safetensors" not in top or "config.json" not in top:
        pickles = sorted(n for n in names if Path(n).suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            raise CheckpointError(
                f"{repo_id} holds weights only as pickle files ({', '.join(pickles[:3])}), which GAN Playground "
                f"never downloads or loads: unpickling can run any code its author put in it. "
                f"Ask the author for a GAN Playground checkpoint (model.safetensors + config.json).")
        raise CheckpointError(f"{repo_id} is not a GAN Playground checkpoint: it lacks "
                              + " and ".join(n for n in ("model.safetensors", "config.json") if n not in top) + ".")
    too_big = [s.rfilename for s in siblings if "/" not in s.rfilename
               and s.rfilename.endswith(".safetensors") and (s.size or 0) > MAX_WEIGHTS_BYTES]
    if too_big:
        raise CheckpointError(f"{repo_id}: {too_big[0]} is larger than {MAX_WEIGHTS_BYTES >> 30} GiB; refusing it.")


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
def _hub_errors(action: str, repo_id: str) -> Iterator[None]:
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        yield
    except _network_errors() as err:
        if type(err).__name__ == "OfflineModeIsEnabled" or "HF_HUB_OFFLINE" in str(err):
            raise UserError(OFFLINE_MESSAGE) from None
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
