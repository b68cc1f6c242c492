import gzip
import os

import numpy as np
import pytest
import torch
from PIL import Image

from gan_playground import data
from gan_playground.data import Sampler, load_dataset
from gan_playground.errors import DataError


def test_mnist_through_the_mirror_unpacks_into_the_data_root(tmp_path, monkeypatch):
    mirror = os.environ.get("GAN_PLAYGROUND_DATA_MIRROR")
    if not mirror:
        pytest.skip("no offline mirror on this machine")
    monkeypatch.setenv("GAN_PLAYGROUND_DATA", str(tmp_path))
    ds = load_dataset("mnist")
    assert (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()  # gunzipped
    assert ds.train.shape == (60000, 1, 28, 28) and ds.train.dtype == torch.uint8
    assert ds.test.shape == (10000, 1, 28, 28) and ds.train_labels.shape == (60000,)
    assert set(ds.train_labels.unique().tolist()) == set(range(10)) and len(ds.classes) == 10
    assert not list((tmp_path / "MNIST" / "raw").glob(".unpack-*"))  # no half-written files left


def test_resizing_happens_once_at_load():
    ds = load_dataset("mnist", image_size=32)
    assert ds.train.shape[1:] == (1, 32, 32) and ds.train.dtype == torch.uint8


def test_no_network_and_no_mirror_gives_one_clear_paragraph(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_PLAYGROUND_DATA", str(tmp_path / "root"))
    monkeypatch.setenv("GAN_PLAYGROUND_DATA_MIRROR", str(tmp_path / "empty-mirror"))
    with pytest.raises(DataError) as err:
        load_dataset("fashion-mnist")
    text = str(err.value)
    assert "GAN_PLAYGROUND_DATA_MIRROR" in text and "GAN_PLAYGROUND_DATA " in text and "\n" not in text


def test_sampler_batches_are_normalized_and_labelled():
    ds = load_dataset("mnist")
    sampler = Sampler(ds, batch_size=32, device="cpu", seed=1)
    assert sampler.data.dtype == torch.uint8  # the whole set stays uint8 on the device
    x, y = sampler.next()
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1 and x.min() == -1  # MNIST has black pixels
    assert y.shape == (32,) and y.dtype == torch.long
    x3, _ = sampler.next(3)
    assert x3.shape[0] == 96
    again = Sampler(ds, batch_size=32, device="cpu", seed=1).next()[1]
    assert torch.equal(again, y)  # the seed fixes the batches


def black_and_white() -> data.Dataset:
    """Images of only 0 and 255: what a uint8 pixel's two ends become, on each path that reads them."""
    x = torch.zeros(8, 1, 28, 28, dtype=torch.uint8)
    x[:, :, :, 14:] = 255
    y = torch.arange(8) % 2
    return data.Dataset("black-and-white", x, y, x, y, ("0", "1"))


class _SpyEncoder:
    """Stands in for an autoencoder in `latent_scatter_data`: keeps what it was asked to encode."""

    is_autoencoder, device, seen = True, torch.device("cpu"), []

    def encode(self, x):
        self.seen.append(x)
        return x.flatten(1)[:, [0, 20]] + torch.randn(len(x), 2) * 0.01

    def random_latents(self, n, generator=None):
        return torch.randn(n, 2, generator=generator)


def test_uint8_255_is_exactly_1_and_0_exactly_minus_1_on_every_path():
    """A tanh generator draws in [-1, 1]: real images must span exactly that, or D tells them apart
    by their range alone. Every path that turns uint8 images into inputs goes through `normalize`."""
    from gan_playground.api import Model
    from gan_playground.classifier import as_input
    from gan_playground.explore import latent_scatter_data

    ramp = torch.arange(256, dtype=torch.uint8)
    ends = data.normalize(ramp)
    assert ends[0].item() == -1.0 and ends[255].item() == 1.0 and ends.dtype == torch.float32
    assert torch.allclose(ends, ramp.double().div(127.5).sub(1).float(), atol=1e-6) and bool((ends.diff() > 0).all())
    assert torch.equal(data.to_uint8(ends), ramp)  # and back, exactly

    ds = black_and_white()
    paths = {
        "sampler": data.Sampler(ds, batch_size=8, device="cpu", seed=0).next()[0],
        "fixed_real_batch": data.fixed_real_batch(ds, 8, "cpu")[0],
        "classifier input": as_input(ds.test),
        "gp.Model input": Model._tensor(type("M", (), {"net": type("N", (), {"data": data.DataSpec(
            (1, 28, 28), 2, "image")})(), "name": "spy"})(), ds.test.permute(0, 2, 3, 1).numpy()),
    }
    latent_scatter_data(_SpyEncoder(), ds.test, n=8, prior_n=4)
    paths["latent scatter"] = _SpyEncoder.seen[-1]
    for name, x in paths.items():
        assert set(x.unique().tolist()) == {-1.0, 1.0}, name


@pytest.mark.parametrize("name,n_modes,std", [("toy-8gaussians", 8, 0.02 / 1.414),
                                              ("toy-25gaussians", 25, 0.05 / 2.828)])
def test_toy_gaussians_match_the_wgan_gp_definitions(name, n_modes, std):
    ds = load_dataset(name)
    assert ds.kind == "points" and ds.spec.shape == (2,) and ds.modes.shape == (n_modes, 2)
    dist = torch.cdist(ds.train, ds.modes).min(dim=1).values
    assert dist.mean() == pytest.approx(std * np.sqrt(np.pi / 2), rel=0.1)  # mean of a 2-D gaussian's radius
    if name == "toy-8gaussians":
        assert ds.modes.norm(dim=1).allclose(torch.full((8,), 2 / 1.414))


def test_swissroll_points():
    ds = load_dataset("toy-swissroll")
    assert ds.train.shape == (data.TOY_TRAIN_POINTS, 2) and ds.train.abs().max() < 3
    x, y = Sampler(ds, batch_size=16, device="cpu").next()
    assert x.shape == (16, 2) and y is None


def _write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_folder_with_class_subfolders(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        for i in range(3):
            _write(tmp_path / cls / f"{i}.png", rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
    (tmp_path / "cats" / "notes.txt").write_text("not an image")  # ignored: not an image extension
    ds = load_dataset(f"folder:{tmp_path}", image_size=28)
    assert ds.train.shape == (6, 3, 28, 28) and ds.classes == ("cats", "dogs")
    assert ds.train_labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_folder_odd_modes_become_grey_or_rgb(tmp_path):
    Image.fromarray(np.full((20, 20), 7, np.uint8)).convert("P").save(tmp_path / "p.png")
    Image.fromarray(np.full((20, 20, 4), 9, np.uint8), "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((20, 20), 60000, np.uint16)).save(tmp_path / "deep.png")
    ds = load_dataset(f"folder:{tmp_path}")
    assert ds.train.shape == (3, 3, 32, 32) and ds.train_labels is None and ds.classes == ()


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'missing'}")
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(DataError, match="holds no images"):
        load_dataset(f"folder:{tmp_path}")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="Cannot read image .*broken.png"):
        load_dataset(f"folder:{tmp_path}")


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(DataError, match="Valid data sets: mnist, fashion-mnist, cifar10"):
        load_dataset("imagenet")


def test_mirror_unpack_is_idempotent(tmp_path):
    mirror = tmp_path / "mirror" / "MNIST" / "raw"
    mirror.mkdir(parents=True)
    with gzip.open(mirror / "a-ubyte.gz", "wb") as fh:
        fh.write(b"abc")
    root = tmp_path / "root"
    data._unpack_mirror(tmp_path / "mirror", root, "MNIST", "MNIST")
    data._unpack_mirror(tmp_path / "mirror", root, "MNIST", "MNIST")
    assert (root / "MNIST" / "raw" / "a-ubyte").read_bytes() == b"abc"


def test_one_copy_of_a_data_set_per_device():
    """Runs on one device share the data set's copy there; it goes when the data set goes."""
    import gc

    from gan_playground.data import _DEVICE_COPIES, on_device

    cpu = torch.arange(10, dtype=torch.uint8)
    assert on_device(cpu, torch.device("cpu")) is cpu
    first = on_device(cpu, torch.device("meta"))  # the meta device stands in for a GPU here
    assert first.device.type == "meta" and on_device(cpu, torch.device("meta")) is first
    key = (id(cpu), "meta")
    assert key in _DEVICE_COPIES
    del cpu, first
    gc.collect()
    assert key not in _DEVICE_COPIES
