"""Telling a diverged run from a healthy one, from its losses and (2-D sets) its points."""

from __future__ import annotations

import math

import numpy as np

SATURATED_SHARE = 0.995  # of the preview's pixels at 0 or 255: degenerate samples (`check_images`)


class DivergenceGuard:
    """Tells a diverged run from a healthy one, even while every number is still finite.

    A GAN's losses stay within a small multiple of their size at the start: in the shipped runs
    the largest |loss| over 30,000 steps was at most 1.3 times its largest value in the first
    100 steps (checkpoints/*/history.csv). An unstable run grows geometrically instead: WGAN-div
    at lr=0.6 went from about 10 to 1e34 before anything overflowed. So a loss counts as exploded
    once |loss| exceeds `factor` (1000) times its size at the run's first step, or `factor` itself
    where it started near 0 (a Wasserstein estimate starts at about 0). Points (the 2-D sets) are
    also checked where they land: a generator whose outputs lie `factor` / 10 times beyond the data's
    own extent has left the data behind whatever its losses say.

    A run can also explode before its first logged step: WGAN-div on MNIST at lr=0.6 had a penalty
    of 1.6e26 at step 1, so a limit relative to that start would never fire. Hence a ceiling for
    every loss, `ceiling` (1e6): the largest |loss| in the shipped runs' histories is 16, and the
    largest penalty the settings allow at the start (a weight of 1e4) is about 1e4.
    Images are also checked for degenerate output (`check_images`).
    """

    def __init__(self, *, factor: float = 1000.0, ceiling: float = 1e6, data_extent: float | None = None):
        self.factor = factor
        self.ceiling = ceiling
        self.data_extent = data_extent
        self.start: dict[str, float] = {}  # |loss| at the first step it was seen, per loss

    def check_losses(self, names: list[str], rows: list[list[float]]) -> tuple[int, str] | None:
        """(index of the first bad row, why) or None when every row is healthy."""
        for i, row in enumerate(rows):
            for name, value in zip(names, row, strict=True):
                self.start.setdefault(name, abs(value))  # a loss first seen here (a single phase's) starts here
                if not math.isfinite(value):
                    return i, f"{name} became {'NaN' if math.isnan(value) else 'infinite'}"
                limit = min(self.factor * max(self.start.get(name, 0.0), 1.0), self.ceiling)
                if abs(value) > limit:
                    if limit == self.ceiling:
                        return i, (f"{name} reached {value:.3g}, beyond {self.ceiling:.0e}, which no healthy run "
                                   f"comes near: the training exploded")
                    return i, (f"{name} reached {value:.3g}, beyond {self.factor:g} times its size at the "
                               f"start ({self.start.get(name, 0.0):.3g}): the training exploded")
        return None

    def check_points(self, points: np.ndarray) -> str | None:
        if self.data_extent is None or points.ndim != 2:
            return None
        if not np.isfinite(points).all():
            return "the generated points became NaN or infinite"
        reach = float(np.abs(points).max()) if points.size else 0.0
        limit = self.factor / 10 * self.data_extent
        if reach > limit:
            return (f"the generated points reach {reach:.3g}, over {limit:.3g} ({self.factor / 10:g} times the "
                    f"data's extent): the generator left the data behind")
        return None

    def check_images(self, grid: np.ndarray) -> str | None:
        """Samples that are nothing but pure black and white: the generator's tanh is saturated
        everywhere, as in a diverged run (WGAN-div at lr=0.6 drew two values only). Healthy samples
        never are: in the preview grid, 73-81% of the shipped MNIST models' pixels are pure, an untrained
        model's none, real MNIST's 86%. `grid` is the uint8 preview, its black padding included."""
        if grid.ndim != 3 or grid.dtype != np.uint8 or not grid.size:
            return None
        pure = float(np.mean((grid == 0) | (grid == 255)))
        if pure >= SATURATED_SHARE:
            return (f"the samples are degenerate: {pure:.1%} of their pixels are pure black or white (the "
                    f"generator's output saturated)")
        return None
