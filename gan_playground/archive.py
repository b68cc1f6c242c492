"""A checkpoint folder as one .zip, both ways; an archive is checked before anything is unpacked.

Only the folder's known files travel (`checkpoints.CHECKPOINT_FILES`). Unpacking reads the zip's
directory first and refuses, before writing a byte: too many members, absolute or `..` paths,
links, names that are no checkpoint file (a pickle among them is named as such), more than one
folder, and sizes over each file's cap; then it copies each member with the cap counted on the
bytes actually read (a zip's directory can lie about sizes).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from gan_playground.checkpoints import CHECKPOINT_FILES, PICKLE_SUFFIXES
from gan_playground.errors import CheckpointError

MAX_MEMBERS = 32  # a checkpoint has six files; a folder entry or two besides them is fine
MAX_ARCHIVE_BYTES = 3 << 30
MAX_UNPACKED_BYTES = 4 << 30  # all files together; the app passes its smaller cap for uploads


def pack(folder: str | Path, path: str | Path) -> Path:
    """Write the checkpoint files of `folder` into the zip `path` under one folder of its name."""
    folder, path = Path(folder), Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in CHECKPOINT_FILES:
            if (folder / name).is_file():
                zf.write(folder / name, f"{folder.name}/{name}")
    return path


def unpack(path: str | Path, dest: str | Path, *, max_total: int = MAX_UNPACKED_BYTES) -> Path:
    """Check the zip `path`, then unpack its checkpoint files into the new folder `dest`.

    `max_total` caps the unpacked files together (each also has its own cap): checked on the sizes
    the zip declares before anything is written, and again on the bytes actually written, since a
    4 MB zip can declare, or hold, gigabytes of zeros."""
    path, dest = Path(path), Path(dest)
    if path.stat().st_size > MAX_ARCHIVE_BYTES:
        raise CheckpointError(f"{path.name} is larger than {MAX_ARCHIVE_BYTES >> 30} GiB; refusing it.")
    try:
        with zipfile.ZipFile(path) as zf:
            members = _checked_members(zf, path.name)
            declared = sum(info.file_size for info, _ in members)
            if declared > max_total:
                raise CheckpointError(f"{path.name} unpacks to {_mib(declared)}; at most {_mib(max_total)} are "
                                      f"accepted. Refused before unpacking anything.")
            dest.mkdir(parents=True, exist_ok=False)
            try:
                left = max_total
                for info, name in members:
                    left -= _copy_capped(zf, info, dest / name, CHECKPOINT_FILES[name], left, path.name)
            except BaseException:
                shutil.rmtree(dest, ignore_errors=True)
                raise
    except zipfile.BadZipFile as err:
        raise CheckpointError(f"{path.name} is not a valid .zip archive ({err}).") from None
    return dest


def _checked_members(zf: zipfile.ZipFile, label: str) -> list[tuple[zipfile.ZipInfo, str]]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CheckpointError(f"{label} holds {len(infos)} entries; a checkpoint has at most "
                              f"{len(CHECKPOINT_FILES)} files. Refused before unpacking anything.")
    members, folders = [], set()
    for info in infos:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or any(":" in p for p in parts):
            raise CheckpointError(f"{label} holds the path {info.filename!r}, which points outside the "
                                  f"archive. Refused before unpacking anything.")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise CheckpointError(f"{label} holds a link ({info.filename!r}). Refused before unpacking anything.")
        if info.is_dir():
            continue
        name = parts[-1] if parts else ""
        if PurePosixPath(name).suffix.lower() in PICKLE_SUFFIXES:
            raise CheckpointError(f"{label} holds {name}, a pickle file: loading a pickle can run any code "
                                  f"its author put in it, so GAN Playground reads weights from safetensors only.")
        if name not in CHECKPOINT_FILES:
            continue  # not a checkpoint file (a stray note, a thumbnail): left in the archive
        if len(parts) > 2:
            raise CheckpointError(f"{label}: {info.filename} is nested too deep; expected the files of one "
                                  f"checkpoint folder, at the top or in one folder.")
        folders.add(parts[0] if len(parts) == 2 else "")
        if info.file_size > CHECKPOINT_FILES[name]:
            raise CheckpointError(f"{label}: {name} is larger than {CHECKPOINT_FILES[name] >> 20} MiB; refusing it.")
        members.append((info, name))
    if len(folders) > 1 or len({n for _, n in members}) != len(members):
        raise CheckpointError(f"{label} holds more than one checkpoint; upload one folder per archive.")
    found = {n for _, n in members}
    missing = [n for n in ("config.json", "model.safetensors") if n not in found]
    if missing:
        raise CheckpointError(f"{label} is not a checkpoint: it lacks {' and '.join(missing)}.")
    return members


def _copy_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, cap: int, left: int, label: str) -> int:
    """Copy one member, stopping as soon as it passes its own `cap` or the archive's `left` bytes;
    returns the bytes written."""
    written = 0
    with zf.open(info) as src, open(target, "wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > cap:
                raise CheckpointError(f"{label}: {target.name} unpacks to more than {cap >> 20} MiB; refusing it.")
            if written > left:
                raise CheckpointError(f"{label} unpacks to more than its directory declares, past the cap on "
                                      f"all its files; refusing it.")
            out.write(chunk)
    return written


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB" if n >= 1 << 20 else f"{n:,} bytes"
