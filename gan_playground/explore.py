"""Exploring a trained model: pure functions that return arrays and images, no UI code."""

from __future__ import annotations

import numpy as np
import torch
import torchvision.utils as vutils

from gan_playground.data import to_uint8
from gan_playground.models import GANModel


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

    def draw(points: np.ndarray, color: tuple[int, int, int], radius: int) -> None:
        pts = np.asarray(points, dtype=np.float64)
        pts = pts[np.isfinite(pts).all(axis=1)]
        px = ((pts[:, 0] + extent) / (2 * extent) * (size - 1)).round().astype(int)
        py = ((extent - pts[:, 1]) / (2 * extent) * (size - 1)).round().astype(int)
        for dx in range(-radius, radius + 1):
            for dy in range(-radius, radius + 1):
                x, y = px + dx, py + dy
                ok = (x >= 0) & (x < size) & (y >= 0) & (y < size)
                picture[y[ok], x[ok]] = color

    draw(real, (170, 170, 170), 1)
    draw(fake, (230, 120, 20), 1)
    return picture
