"""A checkpoint folder as one .zip (gan_playground/archive.py): the round trip, and archives that are
refused before anything is unpacked."""

from __future__ import annotations

import stat
import zipfile

import pytest

from gan_playground import archive
from gan_playground.checkpoints import load_checkpoint, save_checkpoint
from gan_playground.config import RunConfig
from gan_playground.errors import CheckpointError
from gan_playground.run import prepare_run


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=5, batch_size=8, device="cpu"),
                      {"toy_width": "16"})
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "wgan-gp-toy", run, step=5)


def test_a_folder_packs_and_unpacks_to_a_checkpoint_that_loads(folder, tmp_path):
    path = archive.pack(folder, tmp_path / "c.zip")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == sorted(f"wgan-gp-toy/{p.name}" for p in folder.iterdir())
    out = archive.unpack(path, tmp_path / "back")
    assert load_checkpoint(out).step == 5


def _zip(path, members: dict[str, bytes], *, links: tuple[str, ...] = ()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize("members, links, why", [
    ({"../../escaped/config.json": b"{}", "model.safetensors": b"x"}, (), "outside the archive"),
    ({"/abs/config.json": b"{}", "model.safetensors": b"x"}, (), "outside the archive"),
    ({"C:/x/config.json": b"{}", "model.safetensors": b"x"}, (), "outside the archive"),
    ({"config.json": b"/etc/passwd", "model.safetensors": b"x"}, ("config.json",), "a link"),
    ({"config.json": b"{}", "model.pt": b"\x80\x04K\x01."}, (), "pickle"),
    ({**{f"f{i}.txt": b"" for i in range(40)}}, (), "entries"),
    ({"a/config.json": b"{}", "a/model.safetensors": b"x", "b/config.json": b"{}"}, (), "more than one"),
    ({"a/b/c/config.json": b"{}", "model.safetensors": b"x"}, (), "nested too deep"),
    ({"notes.txt": b"hi", "model.safetensors": b"x"}, (), "lacks config.json"),
])
def test_hostile_archives_are_refused_before_anything_is_unpacked(tmp_path, members, links, why):
    path = _zip(tmp_path / "evil.zip", members, links=links)
    with pytest.raises(CheckpointError, match=why):
        archive.unpack(path, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "escaped").exists()


def test_a_directory_that_lies_about_sizes_unpacks_nothing(tmp_path, monkeypatch):
    """A zip's directory can claim a small size: the copy counts the bytes it reads against the cap,
    and zipfile itself stops at the claimed size (its CRC check then fails); either way, nothing stays."""
    monkeypatch.setitem(archive.CHECKPOINT_FILES, "history.csv", 1000)
    path = _zip(tmp_path / "big.zip", {"config.json": b"{}", "model.safetensors": b"x",
                                       "history.csv": b"1" * 5000})
    original = zipfile.ZipFile.infolist

    def infolist(self):
        infos = original(self)
        for i in infos:
            if i.filename == "history.csv":
                i.file_size = 10
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", infolist)
    with pytest.raises(CheckpointError, match="unpacks to more than|not a valid .zip"):
        archive.unpack(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_stray_files_are_left_in_the_archive(folder, tmp_path):
    path = archive.pack(folder, tmp_path / "c.zip")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("wgan-gp-toy/notes.txt", "mine")
        zf.writestr("wgan-gp-toy/.DS_Store", "x")
    out = archive.unpack(path, tmp_path / "back")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in folder.iterdir())
