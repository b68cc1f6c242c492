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
MANIFOLD = (120, 60, 170)
CHANGED = (255, 215, 0)  # outlines where the critic's last update changed its values most
TRAIL = (150, 150, 150)  # where generated points were before the generator's last update
# What the picture can show, as GAN Lab's layer toggles; the generator's manifold is off at first.
LAYERS = ("real points", "generated points", "critic landscape", "arrows", "generator's manifold")
DEFAULT_LAYERS = LAYERS[:4]
# Arrows are proportional to the push and capped, as GAN Lab draws them (its GRAD_ARROW_UNIT_LEN):
# a slope of 1 (what a 1-Lipschitz critic allows) is ARROW_UNIT of the view's width, so weak pushes
# near convergence look weak, and no arrow is longer than ARROW_CAP of the width.
ARROW_UNIT = 0.05
ARROW_CAP = 0.15
BAR = 34  # pixels of the colour scale under the heat map


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
                unit: float = ARROW_UNIT, cap: float = ARROW_CAP, color: tuple[int, int, int] = ARROW) -> None:
    """An arrow from each start along its vector (a gradient, plane units): `unit` of the view's width
    per unit of length, at most `cap` of it. Proportional, so the arrows of a run near convergence
    are short, and the same length means the same push in every picture."""
    size = picture.shape[0]
    vectors = np.asarray(vectors, dtype=np.float64)
    width = 2 * extent
    lengths = np.linalg.norm(vectors, axis=1) * unit * width  # plane units
    ok = np.isfinite(lengths) & (lengths > 0)
    if not ok.any():
        return
    starts, vectors, lengths = np.asarray(starts, dtype=np.float64)[ok], vectors[ok], lengths[ok]
    shown = np.minimum(lengths, cap * width)
    ends = starts + vectors / np.linalg.norm(vectors, axis=1, keepdims=True) * shown[:, None]
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


@torch.no_grad()
def generator_manifold(generator: Callable[[torch.Tensor], torch.Tensor], latent_dim: int, *, lines: int = 15,
                       span: float = 2.0, device: torch.device | str = "cpu") -> np.ndarray:
    """GAN Lab's manifold view: a lines x lines grid of the latent plane over [-span, span]^2 (two
    standard deviations of the prior), each node drawn through G: (lines, lines, 2) points. Its
    rows and columns show how G folds the plane onto the data. Beyond 2-D latents, the plane of
    the first two coordinates, the others 0."""
    coords = torch.linspace(-span, span, lines, device=device)
    zz = torch.zeros(lines * lines, latent_dim, device=device)
    a, b = torch.meshgrid(coords, coords, indexing="ij")
    zz[:, 0] = a.reshape(-1)
    if latent_dim > 1:
        zz[:, 1] = b.reshape(-1)
    return generator(zz).reshape(lines, lines, 2).float().cpu().numpy()


def draw_manifold(picture: np.ndarray, grid: np.ndarray, extent: float, color: tuple[int, int, int] = MANIFOLD) -> None:
    """The warped grid's rows and columns as polylines."""
    size = picture.shape[0]
    for line in [*grid, *grid.transpose(1, 0, 2)]:
        xs, ys = to_pixels(line, size, extent)
        for ax, ay, bx, by in zip(xs[:-1], ys[:-1], xs[1:], ys[1:], strict=True):
            if np.isfinite([ax, ay, bx, by]).all():
                _line(picture, ax, ay, bx, by, color)


def _line(picture: np.ndarray, ax: float, ay: float, bx: float, by: float, color: tuple[int, int, int]) -> None:
    size = picture.shape[0]
    n = int(max(abs(bx - ax), abs(by - ay))) + 1
    xs = np.linspace(ax, bx, n).round().astype(int)
    ys = np.linspace(ay, by, n).round().astype(int)
    ok = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
    picture[ys[ok], xs[ok]] = color


def landscape_picture(values: np.ndarray | None, real: np.ndarray | None = None, fake: np.ndarray | None = None,
                      directions: np.ndarray | None = None, *, manifold: np.ndarray | None = None, arrows: int = 48,
                      show_fake: bool = True, trail_from: np.ndarray | None = None,
                      changed_from: np.ndarray | None = None, size: int = 384, extent: float = 2.5) -> np.ndarray:
    """The critic's values (R, R) as a heat map with its colour scale underneath (white, and no
    scale, where there are none), the generator's manifold, generated points in orange with an
    arrow for the first `arrows` of them, and the real points on top in black with a white ring, so
    that the data stays visible under any number of generated points. A layer left out is None
    (`show_fake=False`: the arrows without their points). `trail_from`: where the generated points
    were before the last generator update, drawn as grey trails to where they are now;
    `changed_from`: the critic's values before its last update, the tenth of the plane where they
    changed most outlined in yellow."""
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
        if changed_from is not None and np.shape(changed_from) == v.shape:
            outline_change(picture, np.abs(v - np.asarray(changed_from, dtype=np.float64)))
    if manifold is not None:
        draw_manifold(picture, manifold, extent)
    if trail_from is not None and fake is not None and len(trail_from) == len(fake):
        n = min(arrows, len(fake))
        (x0, y0), (x1, y1) = to_pixels(trail_from[:n], size, extent), to_pixels(fake[:n], size, extent)
        for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
            if np.isfinite([ax, ay, bx, by]).all():
                _line(picture, ax, ay, bx, by, TRAIL)
        draw_points(picture, trail_from[:n], TRAIL, extent)
    if show_fake:
        draw_points(picture, fake, FAKE, extent)
    if directions is not None and fake is not None and len(fake):
        n = min(arrows, len(fake), len(directions))
        draw_arrows(picture, np.asarray(fake[:n], dtype=np.float64), np.asarray(directions[:n]), extent)
    draw_points(picture, real, REAL, extent, radius=1, outline=(255, 255, 255))
    if values is not None:
        picture = np.concatenate([picture, colour_bar(size, lo, hi)])
    return picture


def outline_change(picture: np.ndarray, change: np.ndarray, share: float = 0.1) -> None:
    """Outline (in CHANGED) the `share` of the plane where `change` (R, R) is largest: what the
    critic's last update moved most."""
    from PIL import Image

    finite = change[np.isfinite(change)]
    if not finite.size or finite.max() <= 0:
        return
    mask = np.isfinite(change) & (change >= np.quantile(finite, 1 - share))
    size = picture.shape[0]
    big = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((size, size), Image.NEAREST)) > 0
    edge = big & ~(np.roll(big, 1, 0) & np.roll(big, -1, 0) & np.roll(big, 1, 1) & np.roll(big, -1, 1))
    picture[edge] = CHANGED


def colour_bar(width: int, lo: float, hi: float) -> np.ndarray:
    """The heat map's scale, (BAR, width, 3): the colours from low to high critic values, with the
    values at its ends (the 1st and 99th percentiles of the view) and what they mean."""
    from PIL import Image, ImageDraw

    margin = min(8, width // 8)
    bar = np.full((BAR, width, 3), 255, dtype=np.uint8)
    bar[4:14, margin:width - margin] = _colormap(np.linspace(0, 1, width - 2 * margin))[None]
    img = Image.fromarray(bar)
    draw = ImageDraw.Draw(img)
    draw.text((margin, 17), f"D(x) = {lo:.3g}: fake", fill=(40, 40, 40))
    right = f"real: {hi:.3g}"
    draw.text((width - margin - draw.textlength(right), 17), right, fill=(40, 40, 40))
    return np.asarray(img)
