"""Data sets, loaded once into tensors, and a sampler that hands out batches on the device.

Names: `mnist`, `fashion-mnist`, `cifar10` (torchvision), `toy-8gaussians`, `toy-25gaussians`,
`toy-swissroll` (the WGAN-GP authors' toy sets) and `folder:PATH` (a user's own images; class
subfolders give labels).

Where the files come from, in order: the data root (`GAN_PLAYGROUND_DATA`, default
`~/.cache/gan_playground/data`); an offline mirror (`GAN_PLAYGROUND_DATA_MIRROR=DIR` holding
`<Name>/raw/*.gz` in torchvision's layout), unpacked into the root without touching the
network; else torchvision downloads into the root.

The training loop never sees a DataLoader or PIL: :class:`Sampler` keeps the whole training
split on the training device as uint8 and returns a normalized batch by random indexing.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import math
import os
import shutil
import tarfile
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from gan_playground.environment import env_path
from gan_playground.errors import DataError

if TYPE_CHECKING:
    import PIL.Image

TORCHVISION_SETS = {  # our name -> (torchvision class name, folder, classes)
    "mnist": ("MNIST", "MNIST", tuple(str(i) for i in range(10))),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST", (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    "cifar10": ("CIFAR10", "CIFAR10", (
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck")),
}
NATIVE_SHAPES = {"mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10": (3, 32, 32)}  # (C, H, W)
TOY_SETS = ("toy-8gaussians", "toy-25gaussians", "toy-swissroll")
DATASETS = (*TORCHVISION_SETS, *TOY_SETS)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MAX_FOLDER_IMAGES = 100_000
MAX_IMAGE_PIXELS = 4096 * 4096  # per image read: 16.8 million pixels, 50 MB decoded as RGB
TOY_TRAIN_POINTS = 100_000
TOY_TEST_POINTS = 10_000


@dataclass(frozen=True)
class DataSpec:
    """What a model must know about its data to build its networks."""

    shape: tuple[int, ...]  # (C, H, W) for images, (2,) for points
    num_classes: int  # 0 when the data have no labels
    kind: str  # "image" | "points"


@dataclass
class Dataset:
    """A whole data set in memory: uint8 images (N, C, H, W) or float points (N, 2)."""

    name: str
    train: torch.Tensor
    train_labels: torch.Tensor | None
    test: torch.Tensor
    test_labels: torch.Tensor | None
    classes: tuple[str, ...] = ()
    modes: torch.Tensor | None = None  # toy sets: the centres of their gaussians

    @property
    def kind(self) -> str:
        return "points" if self.train.dtype.is_floating_point else "image"

    @property
    def spec(self) -> DataSpec:
        return DataSpec(tuple(self.train.shape[1:]), len(self.classes), self.kind)


def normalize(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of a tanh generator."""
    return images_uint8.float().div_(127.5).sub_(1.0)


def fixed_real_batch(dataset: Dataset, n: int, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The first `n` test examples, images normalized: the same inputs in every run, for the live
    grid's reconstructions and a checkpoint's samples."""
    x = dataset.test[:n].to(device)
    x = x if x.dtype.is_floating_point else normalize(x)
    y = None if dataset.test_labels is None else dataset.test_labels[:n].to(device)
    return x, y


def random_shift(images: torch.Tensor, max_shift: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image moved by its own random (dy, dx) in [-max_shift, max_shift]^2, background filled.

    The classic augmentation for digits: a small translation keeps the class. Images are
    (B, C, H, W) in [-1, 1]; the uncovered border gets -1, the background of MNIST. The shifts
    come from `generator` (training passes the run's own).
    """
    if max_shift <= 0:
        return images
    b, _, h, w = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=-1.0)  # (B, C, H + 2s, W + 2s)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, b, 1), generator=generator, device=images.device)
    rows = (dy + torch.arange(h, device=images.device))[:, None, :, None]  # (B, 1, H, 1)
    cols = (dx + torch.arange(w, device=images.device))[:, None, None, :]  # (B, 1, 1, W)
    batch = torch.arange(b, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] -> uint8 [0, 255] (the inverse of :func:`normalize`, clamped)."""
    return images.detach().add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


# ----------------------------------------------------------------------------------------------
# Loading

def data_root() -> Path:
    return env_path("GAN_PLAYGROUND_DATA", Path.home() / ".cache" / "gan_playground" / "data")


def mirror_root() -> Path | None:
    return env_path("GAN_PLAYGROUND_DATA_MIRROR")


def load_dataset(name: str, *, image_size: int | None = None) -> Dataset:
    """Load a data set by name; `image_size` resizes images once, here, never in the loop."""
    name = name.strip()
    if name.startswith("folder:"):
        return _load_folder(name[len("folder:"):], image_size or 32)
    if name in TOY_SETS:
        return _load_toy(name)
    if name not in TORCHVISION_SETS:
        raise DataError(f"Unknown data set {name!r}. Valid data sets: {', '.join(DATASETS)}, or folder:PATH.")
    with _LOADING[name]:  # a second caller (Start during the app's warm-up) waits for the first, not twice the work
        ds = _load_torchvision(name, str(data_root()), str(mirror_root() or ""))
    if image_size is not None and image_size != ds.train.shape[-1]:
        ds = Dataset(ds.name, _resize(ds.train, image_size), ds.train_labels,
                     _resize(ds.test, image_size), ds.test_labels, ds.classes)
    return ds


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    out = []
    for chunk in images.split(8192):  # bounded memory for 60k images
        x = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(x.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out)


_LOADING = {name: threading.Lock() for name in TORCHVISION_SETS}


@functools.lru_cache(maxsize=4)
def _load_torchvision(name: str, root: str, mirror: str) -> Dataset:
    import torchvision

    cls_name, folder, classes = TORCHVISION_SETS[name]
    cls = getattr(torchvision.datasets, cls_name)
    root_path = Path(root)
    if mirror:
        _unpack_mirror(Path(mirror), root_path, folder, cls_name)
    try:
        train, test = cls(root, train=True, download=False), cls(root, train=False, download=False)
    except Exception:
        if mirror:
            raise DataError(_missing_data_message(name, "the offline mirror (GAN_PLAYGROUND_DATA_MIRROR) does not "
                                                        "hold it")) from None
        try:
            root_path.mkdir(parents=True, exist_ok=True)
            train, test = cls(root, train=True, download=True), cls(root, train=False, download=True)
        except Exception as err:  # no network, a proxy, a full disk: all end the same for the user
            why = str(err).replace(root, "the data folder").splitlines()[0][:200] if str(err) else type(err).__name__
            raise DataError(_missing_data_message(name, f"the download failed ({why})")) from None

    def as_tensors(ds):
        data = torch.as_tensor(np.asarray(ds.data))
        data = data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)  # (N, C, H, W)
        return data.contiguous(), torch.as_tensor(np.asarray(ds.targets), dtype=torch.long)

    (x, y), (xt, yt) = as_tensors(train), as_tensors(test)
    return Dataset(name, x, y, xt, yt, classes)


def _missing_data_message(name: str, why: str) -> str:
    """What to do, without the server's folders: the page shows this to its visitors too."""
    return (f"The {name} data set is not here, and {why}. "
            f"Either connect to the internet, so that torchvision can download it into the data folder "
            f"(GAN_PLAYGROUND_DATA chooses it), or set GAN_PLAYGROUND_DATA_MIRROR to a folder that holds "
            f"the files in torchvision's layout: <Name>/raw/*.gz (e.g. MNIST/raw/train-images-idx3-ubyte.gz), "
            f"or cifar-10-python.tar.gz for CIFAR-10.")


def _unpack_mirror(mirror: Path, root: Path, folder: str, cls_name: str) -> None:
    """Copy a data set from the offline mirror into the data root, gunzipping `raw/*.gz`."""
    if cls_name == "CIFAR10":
        archive = next((p for p in (mirror / "cifar-10-python.tar.gz", mirror / folder / "cifar-10-python.tar.gz")
                        if p.is_file()), None)
        if archive is not None and not (root / "cifar-10-batches-py").is_dir():
            root.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive) as tar:
                tar.extractall(root, filter="data")  # "data" refuses ../ paths and links outside root
        return
    raw_in, raw_out = mirror / folder / "raw", root / folder / "raw"
    if not raw_in.is_dir():
        return
    raw_out.mkdir(parents=True, exist_ok=True)
    for gz in sorted(raw_in.glob("*.gz")):
        target = raw_out / gz.name[:-3]
        if target.exists():
            continue
        fd, tmp = tempfile.mkstemp(dir=raw_out, prefix=".unpack-")
        with os.fdopen(fd, "wb") as out, gzip.open(gz, "rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp, target)  # atomic: a killed unpack never leaves a half file under the real name


@functools.lru_cache(maxsize=4)
def _load_toy(name: str) -> Dataset:
    gen = torch.Generator().manual_seed(1234)  # the data set itself is fixed; the run's seed picks batches
    train, modes = toy_points(name, TOY_TRAIN_POINTS, gen)
    test, _ = toy_points(name, TOY_TEST_POINTS, gen)
    return Dataset(name, train, None, test, None, (), modes)


def toy_points(name: str, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Points of a toy set, as defined in Gulrajani et al.'s `gan_toy.py`; also the mode centres."""
    if name == "toy-8gaussians":
        s = 1 / math.sqrt(2)
        centers = 2.0 * torch.tensor([(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)])
        pick = torch.randint(0, 8, (n,), generator=gen)
        return (centers[pick] + 0.02 * torch.randn(n, 2, generator=gen)) / 1.414, centers / 1.414
    if name == "toy-25gaussians":
        grid = torch.arange(-2, 3, dtype=torch.float32) * 2
        centers = torch.cartesian_prod(grid, grid)
        pick = torch.randint(0, 25, (n,), generator=gen)
        return (centers[pick] + 0.05 * torch.randn(n, 2, generator=gen)) / 2.828, centers / 2.828
    if name == "toy-swissroll":  # sklearn.datasets.make_swiss_roll(noise=0.25)[:, [0, 2]] / 7.5
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=gen))
        pts = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
        return (pts + 0.25 * torch.randn(n, 2, generator=gen)) / 7.5, None
    raise DataError(f"Unknown toy data set {name!r}. Valid: {', '.join(TOY_SETS)}.")


def _load_folder(path: str, size: int) -> Dataset:
    """A user's images: `PATH/<class>/*.png` gives labels; images directly in PATH give none.

    Each image's size is read from its header and checked (`open_image`) before it is decoded, and
    it is resized as soon as it is read, so memory holds small images only, never the originals."""
    from PIL import Image

    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"Image folder {path!r} does not exist or is not a folder.")
    class_dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    groups = [(d.name, _image_files(d)) for d in class_dirs]
    groups = [(c, files) for c, files in groups if files]
    if not groups:
        groups = [("", _image_files(root))]
    files = [(f, i) for i, (_, fs) in enumerate(groups) for f in fs]
    if not files:
        raise DataError(f"Image folder {path!r} holds no images ({', '.join(IMAGE_EXTENSIONS)}), "
                        f"neither directly nor in class subfolders.")
    if len(files) > MAX_FOLDER_IMAGES:
        raise DataError(f"Image folder {path!r} holds {len(files)} images; at most {MAX_FOLDER_IMAGES} are supported.")
    modes = []
    for file, _ in files:  # headers only: the colour mode decides grey or RGB for all
        with open_image(file) as img:
            modes.append(img.mode)
    gray = all(m in ("1", "L", "LA", "I", "I;16", "F") for m in modes)
    mode, channels = ("L", 1) if gray else ("RGB", 3)
    arrays, labels = [], []
    for file, label in files:
        with open_image(file) as img:
            try:
                img.load()
                if img.mode in ("I", "I;16", "F"):  # 16/32-bit grey: scale to 8 bits before resizing
                    a = np.asarray(img, dtype=np.float64)
                    span = max(a.max() - a.min(), 1e-12)
                    img = Image.fromarray(((a - a.min()) / span * 255).astype(np.uint8))
                small = img.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
            except (OSError, ValueError) as err:
                raise DataError(f"Cannot read image {file}: {err}") from None
        arrays.append(np.asarray(small, dtype=np.uint8).reshape(size, size, channels))
        labels.append(label)
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    has_labels = len(groups) > 1 or groups[0][0] != ""
    y = torch.tensor(labels, dtype=torch.long) if has_labels else None
    classes = tuple(c for c, _ in groups) if has_labels else ()
    return Dataset(f"folder:{path}", x, y, x, y, classes)


@contextlib.contextmanager
def open_image(file: str | Path, *, max_pixels: int = MAX_IMAGE_PIXELS) -> Iterator["PIL.Image.Image"]:
    """A PIL image opened lazily, refused before anything is decoded when its header declares more
    than `max_pixels` pixels: a 559 kB PNG can declare 12,000 x 12,000 and decode to 430 MB.
    (PIL's own guard, `Image.MAX_IMAGE_PIXELS`, only warns below 179 million pixels.)"""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(file)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise DataError(f"Cannot read image {Path(file).name}: {err}") from None
    with img:
        width, height = img.size
        if width * height > max_pixels:
            raise DataError(f"Image {Path(file).name} is {width:,} x {height:,} pixels; at most "
                            f"{max_pixels:,} pixels are read (e.g. {int(max_pixels ** 0.5):,} x "
                            f"{int(max_pixels ** 0.5):,}). Shrink it first.")
        yield img


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


# ----------------------------------------------------------------------------------------------
# Sampling

_DEVICE_COPIES: dict[tuple[int, str], tuple[weakref.ref, torch.Tensor]] = {}
_DEVICE_COPIES_LOCK = threading.Lock()


def on_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`tensor` on `device`, one copy per device shared by every run there (the data sets are
    cached by name, so four jobs on MNIST on one GPU hold its 47 MB once, not four times). The copy
    lives as long as the tensor it was made from."""
    if tensor.device == torch.device(device):
        return tensor
    key = (id(tensor), str(device))
    with _DEVICE_COPIES_LOCK:
        hit = _DEVICE_COPIES.get(key)
        if hit is not None and hit[0]() is tensor:
            return hit[1]
        copy = tensor.to(device)
        _DEVICE_COPIES[key] = (weakref.ref(tensor, lambda _, key=key: _DEVICE_COPIES.pop(key, None)), copy)
        return copy


def generator_on(device: torch.device | str, generator: torch.Generator) -> torch.Generator:
    """A generator on `device` that carries `generator`'s stream on: seeded by a draw from it (a
    CPU and a CUDA generator are different algorithms, so a state cannot move between them)."""
    if torch.device(device) == generator.device:
        return generator
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
    return torch.Generator(device=device).manual_seed(seed)


class Sampler:
    """Random batches from a data set that lives on the training device.

    Images stay uint8 on the device (MNIST is 47 MB) and are normalized per batch, so a batch
    costs one gather and one fused multiply-add: no DataLoader, PIL or per-sample Python.
    """

    def __init__(self, dataset: Dataset, *, batch_size: int, device: torch.device | str, seed: int = 0):
        self.dataset = dataset
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.data = on_device(dataset.train, self.device)
        self.labels = None if dataset.train_labels is None else on_device(dataset.train_labels, self.device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)

    def to(self, device: torch.device | str) -> "Sampler":
        """Move the data to `device` (ZeroGPU slices); the batch order restarts from a seed drawn here."""
        self.device = torch.device(device)
        self.data = on_device(self.dataset.train, self.device)
        self.labels = None if self.labels is None else on_device(self.dataset.train_labels, self.device)
        self.generator = generator_on(self.device, self.generator)
        return self

    def next(self, n_batches: int = 1) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`n_batches * batch_size` examples: images in [-1, 1] or points, and labels (or None)."""
        n = n_batches * self.batch_size
        idx = torch.randint(0, self.data.shape[0], (n,), device=self.device, generator=self.generator)
        x = self.data[idx]
        x = x if x.dtype.is_floating_point else normalize(x)
        return x, (None if self.labels is None else self.labels[idx])
