"""The 2-D Lab's picture: the critic's landscape, the data, and where the generator moves its points.

As GAN Lab draws it (Kahng et al. 2018, "GAN Lab: Understanding Complex Deep Generative Models
using Interactive Visual Experimentation"): the critic's value D(x) over the plane as a heat map,
real points, generated points, and for a sample of generated points an arrow along the direction
that the generator's update moves it, -dL_G/dx. With L_G = -E[D(G(z))] (every WGAN variant) that
is +grad_x D(x): uphill on the critic, towards where it says "real". Pure functions: tensors in,
uint8 pictures out.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

REAL = (15, 15, 15)
FAKE = (255, 140, 0)
ARROW = (40, 40, 40)


@torch.no_grad()
def critic_values(critic: Callable[[torch.Tensor], torch.Tensor], *, resolution: int = 64,
                  extent: float = 2.5, device: torch.device | str = "cpu") -> np.ndarray:
    """The critic on a resolution x resolution grid over [-extent, extent]^2, (R, R) float.

    Row 0 is the top (largest y), as in a picture.
    """
    coords = torch.linspace(-extent, extent, resolution, device=device)
    yy, xx = torch.meshgrid(coords.flip(0), coords, indexing="ij")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (R*R, 2)
    return critic(grid).reshape(resolution, resolution).float().cpu().numpy()


def generator_directions(critic: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> np.ndarray:
    """-dL_G/dx at each generated point x (N, 2), with L_G = -mean D(x): grad_x D(x) per point.

    Each point's own gradient (the critic scores points one by one), so the arrows show where the
    next generator update pushes each point, up to the step size and the generator's own geometry.
    """
    with torch.enable_grad():
        x = points.detach().float().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return grad.detach().cpu().numpy()


def _colormap(t: np.ndarray) -> np.ndarray:
    """t in [0, 1] -> RGB uint8 on a blue-white-red scale (low critic values blue, high red)."""
    stops = np.array([[49, 54, 149], [116, 173, 209], [247, 247, 247], [244, 109, 67], [165, 0, 38]],
                     dtype=np.float64)
    pos = np.clip(t, 0, 1) * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[..., None]
    return ((1 - f) * stops[i] + f * stops[i + 1]).round().astype(np.uint8)


def to_pixels(points: np.ndarray, size: int, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """Plane coordinates (N, 2) in [-extent, extent]^2 -> pixel columns and rows (y up, as on a plot)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    px = (pts[:, 0] + extent) / (2 * extent) * (size - 1)
    py = (extent - pts[:, 1]) / (2 * extent) * (size - 1)
    return px, py


def draw_points(picture: np.ndarray, points: np.ndarray | None, color: tuple[int, int, int], extent: float,
                *, radius: int = 1, outline: tuple[int, int, int] | None = None) -> None:
    """Square dots of 2 * radius + 1 pixels, optionally ringed by `outline` to stand out on any colour."""
    if points is None or len(points) == 0:
        return
    size = picture.shape[0]
    pts = np.asarray(points, dtype=np.float64)
    pts = pts[np.isfinite(pts).all(axis=1)]
    px, py = (a.round().astype(int) for a in to_pixels(pts, size, extent))
    rings = [(outline, radius + 1)] if outline is not None else []
    for colour, r in [*rings, (color, radius)]:
        for dx in range(-r, r + 1):
            for dy in range(-r, r + 1):
                x, y = px + dx, py + dy
                ok = (x >= 0) & (x < size) & (y >= 0) & (y < size)
                picture[y[ok], x[ok]] = colour


def draw_arrows(picture: np.ndarray, starts: np.ndarray, vectors: np.ndarray, extent: float, *,
                longest: float = 0.12, color: tuple[int, int, int] = ARROW) -> None:
    """An arrow from each start along its vector (plane units), scaled so that the longest is
    `longest` of the picture's width; lengths stay proportional, so weak pushes look weak."""
    size = picture.shape[0]
    norms = np.linalg.norm(vectors, axis=1)
    top = norms.max() if len(norms) else 0.0
    if not np.isfinite(top) or top <= 0:
        return
    scale = longest * 2 * extent / top
    ends = starts + vectors * scale
    x0, y0 = to_pixels(starts, size, extent)
    x1, y1 = to_pixels(ends, size, extent)
    for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
        _line(picture, ax, ay, bx, by, color)
        dx, dy = bx - ax, by - ay
        length = float(np.hypot(dx, dy))
        if length < 3:
            continue
        ux, uy = dx / length, dy / length  # the head: two short strokes back from the tip
        for side in (-1, 1):
            hx = bx - 4 * ux + side * 3 * -uy
            hy = by - 4 * uy + side * 3 * ux
            _line(picture, bx, by, hx, hy, color)


def _line(picture: np.ndarray, ax: float, ay: float, bx: float, by: float, color: tuple[int, int, int]) -> None:
    size = picture.shape[0]
    n = int(max(abs(bx - ax), abs(by - ay))) + 1
    xs = np.linspace(ax, bx, n).round().astype(int)
    ys = np.linspace(ay, by, n).round().astype(int)
    ok = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
    picture[ys[ok], xs[ok]] = color


def landscape_picture(values: np.ndarray | None, real: np.ndarray | None = None, fake: np.ndarray | None = None,
                      directions: np.ndarray | None = None, *, arrows: int = 48, size: int = 384,
                      extent: float = 2.5) -> np.ndarray:
    """The critic's values (R, R) as a heat map (white where there are none), generated points in
    orange with an arrow for the first `arrows` of them, and the real points on top in black with a
    white ring, so that the data stays visible under any number of generated points."""
    from PIL import Image

    if values is None:
        picture = np.full((size, size, 3), 255, dtype=np.uint8)
    else:
        v = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(v)
        lo, hi = (np.percentile(v[finite], 1), np.percentile(v[finite], 99)) if finite.any() else (0.0, 1.0)
        t = (v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
        colours = _colormap(np.where(finite, t, 0.5))
        picture = np.asarray(Image.fromarray(colours).resize((size, size), Image.BILINEAR)).copy()
    draw_points(picture, fake, FAKE, extent)
    if directions is not None and fake is not None and len(fake):
        n = min(arrows, len(fake))
        draw_arrows(picture, np.asarray(fake[:n], dtype=np.float64), np.asarray(directions[:n]), extent)
    draw_points(picture, real, REAL, extent, radius=1, outline=(255, 255, 255))
    return picture
