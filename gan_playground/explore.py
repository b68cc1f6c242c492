"""Exploring a trained model: pure functions that return arrays and images, no UI code."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torchvision.utils as vutils

from gan_playground.data import normalize, to_uint8
from gan_playground.landscape import draw_points
from gan_playground.models import GANModel

if TYPE_CHECKING:
    import pandas as pd


def image_grid(images: torch.Tensor, nrow: int, padding: int = 2) -> np.ndarray:
    """Images in [-1, 1] (N, C, H, W) -> one uint8 picture (H', W', 3)."""
    grid = vutils.make_grid(to_uint8(images).cpu(), nrow=nrow, padding=padding, pad_value=0)
    return grid.permute(1, 2, 0).numpy()


def preview_picture(model: GANModel, inputs: dict[str, torch.Tensor]) -> np.ndarray:
    """The live grid as a uint8 picture (H, W, 3), or generated points (N, 2) on toy data."""
    out, nrow = model.preview(inputs)
    if nrow == 0:
        return out.detach().float().cpu().numpy()
    return image_grid(out, nrow)


def points_picture(real: np.ndarray, fake: np.ndarray, *, size: int = 384, extent: float = 2.5) -> np.ndarray:
    """Real points (grey) and generated points (orange) drawn on a white square, uint8 (size, size, 3).

    A plain raster, so that `samples.png` of a 2-D model needs no plotting library.
    """
    picture = np.full((size, size, 3), 255, dtype=np.uint8)
    draw_points(picture, real, (170, 170, 170), extent)
    draw_points(picture, fake, (230, 120, 20), extent)
    return picture


# ----------------------------------------------------------------------------------------------
# Latent interpolation

def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of two latents (D,) at times t (T,) -> (T, D).

    White, "Sampling Generative Networks" (2016): Gaussian latents live near a sphere, and a
    straight line between two of them passes through the unlikely region near the origin.
    Falls back to a straight line when z0 and z1 are (nearly) parallel.
    """
    t = t.to(z0.dtype).unsqueeze(1)  # (T, 1)
    n0, n1 = z0.norm(), z1.norm()
    cos = torch.dot(z0, z1) / (n0 * n1).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-4 or (torch.pi - omega).abs() < 1e-4:
        return (1 - t) * z0 + t * z1
    s = torch.sin(omega)
    return torch.sin((1 - t) * omega) / s * z0 + torch.sin(t * omega) / s * z1


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, mode: str = "linear") -> torch.Tensor:
    """`steps` latents (steps, D) from z0 to z1, both ends included; mode "linear" or "slerp"."""
    if steps < 2:
        raise ValueError(f"interpolation needs at least 2 steps, got {steps}")
    if z0.shape != z1.shape or z0.dim() != 1:
        raise ValueError(f"z0 and z1 must be two vectors of one size, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    t = torch.linspace(0.0, 1.0, steps, device=z0.device)
    if mode == "linear":
        return torch.lerp(z0.unsqueeze(0), z1.unsqueeze(0), t.unsqueeze(1).to(z0.dtype))
    if mode == "slerp":
        return slerp(z0, z1, t)
    raise ValueError(f"Unknown interpolation mode {mode!r}. Valid modes: linear, slerp.")


def latents_from_seed(model: GANModel, seed: int) -> torch.Tensor:
    """One latent (D,) from the model's prior, fixed by `seed`."""
    gen = torch.Generator(device=model.device).manual_seed(int(seed))
    return model.random_latents(1, gen)[0]


def _accepts_class_weights(model: GANModel) -> bool:
    """Autoencoders' decoders take class weights (N, K), so a class can blend into another."""
    return model.is_autoencoder and model.num_conditions > 0


def interpolation_frames(model: GANModel, z0: torch.Tensor, z1: torch.Tensor, steps: int,
                         mode: str = "linear", y0: int | None = None, y1: int | None = None) -> torch.Tensor:
    """Images (steps, C, H, W) in [-1, 1] along the path from z0 to z1.

    For conditional models each end has its class: autoencoders blend the one-hot class weights
    along with z; ACGAN (whose generator embeds a class index) switches class halfway.
    """
    z = interpolate(z0.to(model.device), z1.to(model.device), steps, mode)
    y = None
    if model.num_conditions:
        k = model.num_conditions
        a, b = int(y0 or 0), int(y1 if y1 is not None else (y0 or 0))
        if not (0 <= a < k and 0 <= b < k):
            raise ValueError(f"class must be in [0, {k - 1}], got {a} and {b}")
        if _accepts_class_weights(model):
            t = torch.linspace(0.0, 1.0, steps, device=model.device).unsqueeze(1)
            eye = torch.eye(k, device=model.device)
            y = (1 - t) * eye[a] + t * eye[b]  # (steps, K)
        else:
            y = torch.tensor([a if i < steps / 2 else b for i in range(steps)], device=model.device)
    return model.sample(z, y)


def frames_to_pictures(frames: torch.Tensor, *, scale: int = 1) -> list[np.ndarray]:
    """Images in [-1, 1] (N, C, H, W) -> a list of uint8 pictures (H*scale, W*scale, 3)."""
    pictures = to_uint8(frames).cpu()
    if pictures.shape[1] == 1:
        pictures = pictures.expand(-1, 3, -1, -1)
    out = pictures.permute(0, 2, 3, 1).numpy()
    if scale > 1:
        out = out.repeat(scale, axis=1).repeat(scale, axis=2)
    return [np.ascontiguousarray(p) for p in out]


def frames_to_gif(pictures: list[np.ndarray], path: str | Path | None = None, *, duration_ms: int = 120,
                  bounce: bool = True) -> bytes:
    """An animated GIF (looping; there and back when `bounce`) of uint8 pictures (H, W, 3).

    Returns the GIF's bytes, and also writes them to `path` when given.
    """
    from PIL import Image

    if not pictures:
        raise ValueError("a GIF needs at least one frame")
    seq = list(pictures) + (list(pictures[-2:0:-1]) if bounce else [])
    images = [Image.fromarray(np.asarray(p, dtype=np.uint8)) for p in seq]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms,
                   loop=0, disposal=2)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


# ----------------------------------------------------------------------------------------------
# Class conditioning

def _check_class(model: GANModel, cls: int) -> int:
    k = model.num_conditions
    if not k:
        raise ValueError(f"{model.name} is not conditioned on a class")
    if not 0 <= int(cls) < k:
        raise ValueError(f"class must be in [0, {k - 1}], got {cls}")
    return int(cls)


@torch.no_grad()
def class_grid(model: GANModel, cls: int, *, n: int = 64, nrow: int = 8, seed: int = 0) -> np.ndarray:
    """A grid of `n` samples of one class, each from its own z, uint8 (H, W, 3)."""
    cls = _check_class(model, cls)
    gen = torch.Generator(device=model.device).manual_seed(int(seed))
    z = model.random_latents(n, gen)  # (n, latent)
    y = torch.full((n,), cls, dtype=torch.long, device=model.device)
    return image_grid(model.sample(z, y), nrow)


@torch.no_grad()
def samples_grid(model: GANModel, n: int, *, seed: int = 0) -> np.ndarray:
    """`n` samples, each from its own z drawn with `seed`, in a square-ish grid, uint8 (H, W, 3). A
    class-conditioned model draws the classes in turn (0, 1, ..., k-1, 0, ...), so a row of k reads
    as one of each."""
    gen = torch.Generator(device=model.device).manual_seed(int(seed))
    z = model.random_latents(n, gen)  # (n, latent)
    k = model.num_conditions
    y = torch.arange(n, device=model.device) % k if k else None
    nrow = k if k and n >= k else max(1, math.ceil(math.sqrt(n)))
    return image_grid(model.sample(z, y), nrow)


@torch.no_grad()
def class_by_z_grid(model: GANModel, *, n_z: int = 8, seed: int = 0) -> np.ndarray:
    """One row per class, one column per z: a column keeps its z (style) while the class changes.

    uint8 (H, W, 3), K rows by n_z columns.
    """
    k = model.num_conditions
    if not k:
        raise ValueError(f"{model.name} is not conditioned on a class")
    gen = torch.Generator(device=model.device).manual_seed(int(seed))
    z = model.random_latents(n_z, gen).repeat(k, 1)  # (k * n_z, latent): column j keeps z_j
    y = torch.arange(k, device=model.device).repeat_interleave(n_z)  # row i is class i
    return image_grid(model.sample(z, y), n_z)


# ----------------------------------------------------------------------------------------------
# The latent space of an adversarial autoencoder

@dataclass(frozen=True)
class Projection:
    """A 2-D view of D-dim codes: p = (z - mean) @ axes, and back z = mean + p @ axes.T.

    For 2-D codes it is the identity; above, the two principal axes of the encoded data.
    """

    mean: np.ndarray  # (D,)
    axes: np.ndarray  # (D, 2), orthonormal columns (D >= 2); for D = 1: [[1, 0]]

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    @property
    def is_identity(self) -> bool:
        return self.dim == 2 and np.allclose(self.mean, 0) and np.allclose(self.axes, np.eye(2))

    def to_2d(self, z: np.ndarray) -> np.ndarray:
        """(N, D) -> (N, 2)."""
        return (np.asarray(z, dtype=np.float64) - self.mean) @ self.axes

    def from_2d(self, p: np.ndarray) -> np.ndarray:
        """(N, 2) -> (N, D): the point of the plane through the mean spanned by the axes."""
        return self.mean + np.asarray(p, dtype=np.float64) @ self.axes.T


def fit_projection(z: torch.Tensor) -> Projection:
    """The identity for 2-D codes; otherwise PCA (SVD of the centred codes) onto two axes."""
    z = z.detach().double().cpu()
    d = z.shape[1]
    if d == 2:
        return Projection(np.zeros(2), np.eye(2))
    if d == 1:
        return Projection(np.zeros(1), np.array([[1.0, 0.0]]))
    mean = z.mean(0)
    _, _, vh = torch.linalg.svd(z - mean, full_matrices=False)  # rows of vh: principal axes
    axes = vh[:2].T.numpy()  # (D, 2)
    return Projection(mean.numpy(), axes)


@dataclass
class LatentScatter:
    """Encoded test images and prior samples, projected to 2-D, with what the UI needs to draw them."""

    points: np.ndarray  # (N, 2) projected codes of the test images
    labels: np.ndarray  # (N,) int, the test labels (or -1 without labels)
    prior: np.ndarray  # (M, 2) projected samples of the prior
    projection: Projection
    explained: float  # fraction of the codes' variance the 2-D view shows (1.0 for 2-D codes)

    def frame(self, classes: tuple[str, ...] = ()) -> "pd.DataFrame":
        """A long pandas DataFrame (x, y, label) for a scatter plot; prior samples are labelled "prior"."""
        import pandas as pd

        def name(i: int) -> str:
            return classes[i] if 0 <= i < len(classes) else ("unlabelled" if i < 0 else str(i))

        order = np.argsort(self.labels, kind="stable")  # rows by label: the legend lists classes in order
        enc = pd.DataFrame({"x": self.points[order, 0], "y": self.points[order, 1],
                            "label": [name(int(i)) for i in self.labels[order]]})
        pri = pd.DataFrame({"x": self.prior[:, 0], "y": self.prior[:, 1], "label": "prior p(z)"})
        return pd.concat([pri, enc], ignore_index=True)


@torch.no_grad()
def latent_scatter_data(model: GANModel, images: torch.Tensor, labels: torch.Tensor | None = None, *,
                        n: int = 2000, prior_n: int = 500, seed: int = 0) -> LatentScatter:
    """Encode the first `n` images (uint8 or [-1, 1]) and draw `prior_n` prior samples, in 2-D."""
    if not model.is_autoencoder:
        raise ValueError(f"{model.name} has no encoder")
    x = images[:n]
    x = x if x.dtype.is_floating_point else normalize(x)
    codes = torch.cat([model.encode(chunk) for chunk in x.split(500)]).cpu()  # (N, D)
    projection = fit_projection(codes)
    gen = torch.Generator(device=model.device).manual_seed(int(seed))
    prior = model.random_latents(prior_n, gen).cpu()
    centred = codes.double() - torch.as_tensor(projection.mean)
    total = float(centred.pow(2).sum())
    shown = projection.to_2d(codes.numpy())
    explained = 1.0 if projection.dim <= 2 or total == 0 else float((shown ** 2).sum() / total)
    lab = labels[:n].cpu().numpy().astype(int) if labels is not None else np.full(len(codes), -1)
    return LatentScatter(shown, lab, projection.to_2d(prior.numpy()), projection, min(explained, 1.0))


def _decoder_class(model: GANModel, y: int | None, n: int) -> torch.Tensor | None:
    if not model.num_conditions:
        return None
    return torch.full((n,), _check_class(model, 0 if y is None else y), dtype=torch.long, device=model.device)


@torch.no_grad()
def decode_point(model: GANModel, projection: Projection, xy: tuple[float, float], *, y: int | None = None,
                 scale: int = 4) -> np.ndarray:
    """Decode the code at point (x, y) of the 2-D view (class `y` for conditional decoders).

    uint8 (H*scale, W*scale, 3): one image, enlarged.
    """
    z = torch.as_tensor(projection.from_2d(np.asarray([xy], dtype=np.float64))[:, :model.latent_dim],
                        dtype=torch.float32, device=model.device)
    image = model.decode(z, _decoder_class(model, y, 1))
    return frames_to_pictures(image, scale=scale)[0]


@torch.no_grad()
def latent_plane_grid(model: GANModel, projection: Projection, *, n: int = 12,
                      extent: tuple[float, float, float, float] = (-2.5, 2.5, -2.5, 2.5),
                      y: int | None = None) -> np.ndarray:
    """Decode an n x n grid of points over the 2-D view (x from left to right, y from bottom to top).

    `extent` is (x_min, x_max, y_min, y_max). uint8 picture (H, W, 3).
    """
    x0, x1, y0, y1 = extent
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y1, y0, n)  # top row: largest y, as on a plot
    pts = np.array([(x, yv) for yv in ys for x in xs])  # (n*n, 2), row-major
    z = torch.as_tensor(projection.from_2d(pts)[:, :model.latent_dim], dtype=torch.float32, device=model.device)
    images = model.decode(z, _decoder_class(model, y, len(pts)))
    return image_grid(images, n, padding=0)


def latent_map_picture(scatter: LatentScatter, colours: list[tuple[int, int, int]],
                       extent: tuple[float, float, float, float], *, size: int = 420,
                       marker: tuple[float, float] | None = None) -> np.ndarray:
    """The encoded test set as a square picture: prior samples in light grey, codes coloured by label
    (`colours[label]`), a faint cross at 0, and `marker` (the decoded point) as a black cross.

    `extent` is (x_min, x_max, y_min, y_max); a pixel (px, py) is the code
    (x_min + px / (size - 1) * (x_max - x_min), y_max - py / (size - 1) * (y_max - y_min)), so a
    click on the picture names an exact point of the plane.
    """
    x0, x1, y0, y1 = extent
    picture = np.full((size, size, 3), 255, dtype=np.uint8)

    def pixels(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        px = ((p[:, 0] - x0) / (x1 - x0) * (size - 1)).round().astype(int)
        py = ((y1 - p[:, 1]) / (y1 - y0) * (size - 1)).round().astype(int)
        return px, py

    def dots(p: np.ndarray, colour, r: int = 1) -> None:
        px, py = pixels(np.asarray(p, dtype=np.float64).reshape(-1, 2))
        for dx in range(-r, r + 1):
            for dy in range(-r, r + 1):
                x, y = px + dx, py + dy
                ok = (x >= 0) & (x < size) & (y >= 0) & (y < size)
                picture[y[ok], x[ok]] = colour

    zx, zy = pixels(np.zeros((1, 2)))
    if 0 <= zx[0] < size:
        picture[:, zx[0]] = (235, 235, 235)
    if 0 <= zy[0] < size:
        picture[zy[0], :] = (235, 235, 235)
    dots(scatter.prior, (200, 200, 200))
    for label in np.unique(scatter.labels):
        colour = colours[int(label) % len(colours)] if label >= 0 else (90, 90, 90)
        dots(scatter.points[scatter.labels == label], colour)
    if marker is not None:
        mx, my = pixels(np.asarray([marker], dtype=np.float64))
        for d in range(-7, 8):
            for x, y in ((mx[0] + d, my[0]), (mx[0], my[0] + d)):
                if 0 <= x < size and 0 <= y < size:
                    picture[max(0, y - 1):y + 1, max(0, x - 1):x + 1] = (0, 0, 0)
    return picture
