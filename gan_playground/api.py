"""The Python API, for a notebook: load or train a model, then sample, interpolate, encode, decode.

    import gan_playground as gp
    m = gp.load("checkpoints/acgan-mnist")      # a checkpoint folder, or a Hub repo id "user/name"
    threes = m.sample(16, classes=3)            # (16, 28, 28) uint8
    picture = m.sample(64, grid=True)           # one (H, W, 3) uint8 grid, a class per row
    w = gp.train("wgan-gp", dataset="toy-8gaussians", steps=200, toy_width=64)

Every result is a numpy array: images as uint8 (N, H, W) for grey or (N, H, W, 3) for colour,
2-D points as float (N, 2). Bad input raises `gan_playground.errors.UserError` with a message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gan_playground import explore
from gan_playground.data import normalize, to_uint8
from gan_playground.errors import UserError, brief

MAX_SAMPLES = 100_000
MAX_GRID = 1_024  # one picture: 1,024 MNIST digits are 950 x 950 pixels
MAX_FRAMES = 1_000
MAX_SEED = 2**63 - 1  # what torch.Generator.manual_seed takes
CHUNK = 1_000  # samples drawn at a time


def whole(value: Any, name: str, low: int, high: int) -> int:
    """`value` as an int in [low, high], else a UserError naming it: 1.5 or 2**70 are refused, never
    truncated or passed on to overflow deep inside torch."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise UserError(f"{name} must be a whole number from {low:,} to {high:,}, got {brief(value)}.")
    if isinstance(value, (float, np.floating)) and not float(value).is_integer():
        raise UserError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}.")
    if not low <= value <= high:
        raise UserError(f"{name} must be from {low:,} to {high:,}, got {brief(value)}.")
    return int(value)


class Model:
    """A trained model: what it draws and, for autoencoders, how it encodes. Holds the library's
    `GANModel` as `.net` (a torch module) and, after `train`, its `Run` (to `save` it)."""

    def __init__(self, net, *, dataset: str, classes: tuple[str, ...] = (), step: int = 0, run=None):
        self.net, self.dataset, self.classes, self.step, self._run = net, dataset, tuple(classes), step, run

    def __repr__(self) -> str:
        return f"<gan_playground.Model {self.name} on {self.dataset}, step {self.step:,}>"

    @property
    def name(self) -> str:
        return self.net.name

    @property
    def num_classes(self) -> int:
        """Classes (or clusters) that `sample(classes=...)` takes; 0 for an unconditional model."""
        return self.net.num_conditions

    @property
    def latent_dim(self) -> int:
        return self.net.latent_dim

    # -- drawing --------------------------------------------------------------------------------
    def latents(self, n: int, *, seed: int = 0) -> torch.Tensor:
        """n latents from the model's prior, fixed by `seed`: (n, latent_dim)."""
        n = whole(n, "n", 1, MAX_SAMPLES)
        gen = torch.Generator(device=self.net.device).manual_seed(whole(seed, "seed", 0, MAX_SEED))
        return self.net.random_latents(n, gen)

    def sample(self, n: int = 16, *, classes: int | list[int] | None = None, seed: int = 0,
               grid: bool = False) -> np.ndarray:
        """n samples (at most 100,000; a grid at most 1,024). `classes`: one class for all, or one per
        sample (conditional models; default: 0, 1, 2, ... in turn). `grid`: one picture of them all
        instead of an array per sample."""
        n = whole(n, "n", 1, MAX_GRID if grid else MAX_SAMPLES)
        y = self._classes(n, classes)
        z = self.latents(n, seed=seed)
        if grid:
            nrow = 10 if y is not None and classes is None and n % 10 == 0 else None
            return self._pictures(self.net.sample(z, y), grid=True, nrow=nrow)
        # In chunks, each turned into uint8 at once: 100,000 samples at a time once took 20 GB.
        chunks = [self._pictures(self.net.sample(z[i:i + CHUNK], None if y is None else y[i:i + CHUNK]), grid=False)
                  for i in range(0, n, CHUNK)]
        return np.concatenate(chunks)

    def interpolate(self, seed0: int, seed1: int, steps: int = 8, *, mode: str = "slerp",
                    classes: tuple[int, int] | None = None) -> np.ndarray:
        """Frames along the path from seed0's latent to seed1's ("linear" or "slerp"); for conditional
        models `classes` gives each end its class."""
        steps = whole(steps, "steps", 2, MAX_FRAMES)
        z0, z1 = self.latents(1, seed=seed0)[0], self.latents(1, seed=seed1)[0]
        if self.num_classes and classes is None:
            classes = (0, 0)
        if classes is not None:
            if np.ndim(classes) != 1 or len(classes) != 2:
                raise UserError(f"classes must be two classes (one per end), got {classes!r}.")
            classes = tuple(whole(c, "a class", 0, max(self.num_classes - 1, 0)) for c in classes)
        y0, y1 = classes if classes is not None else (None, None)
        try:
            frames = explore.interpolation_frames(self.net, z0, z1, steps, mode, y0, y1)
        except ValueError as err:
            raise UserError(str(err)) from None
        return self._pictures(frames, grid=False)

    # -- autoencoders ---------------------------------------------------------------------------
    def encode(self, images: np.ndarray) -> np.ndarray:
        """Codes (N, latent_dim) of uint8 images (N, H, W) or (N, H, W, C), as `sample` returns them."""
        self._need_encoder()
        return self.net.encode(self._tensor(images)).cpu().numpy()

    def decode(self, codes: np.ndarray, *, classes: int | list[int] | None = None) -> np.ndarray:
        """uint8 images from codes (N, latent_dim); conditional decoders take `classes` too."""
        self._need_encoder()
        z = torch.as_tensor(np.asarray(codes), dtype=torch.float32).reshape(-1, self.latent_dim)
        return self._pictures(self.net.decode(z, self._classes(len(z), classes)), grid=False)

    def classify(self, images: np.ndarray) -> np.ndarray:
        """The class (or cluster) of each image (N,): the semi-supervised and clustering AAEs."""
        if not callable(getattr(self.net, "classify", None)):
            raise UserError(f"{self.name} does not classify; the semi-supervised and clustering AAEs do.")
        return self.net.classify(self._tensor(images)).cpu().numpy()

    def save(self, folder: str | Path, *, half: bool = False) -> Path:
        """Write a checkpoint folder (as `train --out` does); for a model that `train` made."""
        if self._run is None:
            raise UserError("Only a model trained here can be saved again; a loaded one is a folder already.")
        from gan_playground.checkpoints import save_checkpoint

        return save_checkpoint(folder, self._run, step=self.step, half=half)

    # -- helpers --------------------------------------------------------------------------------
    def _classes(self, n: int, classes) -> torch.Tensor | None:
        k = self.num_classes
        if not k:
            if classes is not None:
                raise UserError(f"{self.name} is not conditional: leave out `classes`.")
            return None
        if classes is None:
            return torch.arange(n) % k  # balanced: 0, 1, 2, ... in turn
        if np.ndim(classes) == 0:
            return torch.full((n,), whole(classes, "classes", 0, k - 1))
        values = np.asarray(classes)
        if values.ndim != 1 or len(values) != n or values.dtype.kind not in "iu":
            raise UserError(f"classes must be one whole number or {n} of them, from 0 to {k - 1}, "
                            f"got {brief(classes)}.")
        if values.size and not (0 <= values.min() and values.max() < k):
            raise UserError(f"classes must be from 0 to {k - 1}, got {values.min()} to {values.max()}.")
        return torch.as_tensor(values).long()

    def _pictures(self, out: torch.Tensor, *, grid: bool, nrow: int | None = None) -> np.ndarray:
        if self.net.data.kind == "points":
            return out.cpu().numpy()
        if grid:
            return explore.image_grid(out, nrow or int(np.ceil(np.sqrt(len(out)))))
        images = to_uint8(out).permute(0, 2, 3, 1).cpu().numpy()  # (N, H, W, C)
        return images[..., 0] if images.shape[-1] == 1 else images

    def _tensor(self, images: np.ndarray) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(images))
        if x.dim() == 3:
            x = x.unsqueeze(-1)
        x = x.permute(0, 3, 1, 2).contiguous()  # (N, C, H, W)
        if tuple(x.shape[1:]) != tuple(self.net.data.shape):
            raise UserError(f"{self.name} takes images of shape {tuple(self.net.data.shape)} (C, H, W), "
                            f"got {tuple(x.shape[1:])}.")
        return normalize(x) if x.dtype == torch.uint8 else x.float()

    def _need_encoder(self) -> None:
        if not self.net.is_autoencoder:
            raise UserError(f"{self.name} has no encoder: the adversarial autoencoders encode and decode.")


def load(source: str | Path, *, device: str = "cpu") -> Model:
    """A checkpoint folder, or a Hugging Face Hub repo id ("user/name", pulled into the cache)."""
    from gan_playground.checkpoints import load_checkpoint

    if not isinstance(source, (str, os.PathLike)):
        raise UserError(f"gp.load takes a checkpoint folder or a Hub repo id (a string or a path), "
                        f"got {type(source).__name__}.")
    from gan_playground.hub import local_or_pulled

    loaded = load_checkpoint(local_or_pulled(source), device=device)
    return Model(loaded.model, dataset=loaded.run.dataset, classes=loaded.classes, step=loaded.step)


def train(model: str, *, dataset: str, steps: int = 2000, batch_size: int = 64, seed: int = 0,
          device: str = "auto", **settings: Any) -> Model:
    """Train `model` (a name of `python -m gan_playground models`) in this process and return it.

    `settings` are the model's own (`lr=1e-4`, `latent_dim=8`, ...), checked as `--set` checks them.
    """
    from gan_playground.config import RunConfig, build_config
    from gan_playground.engine import TrainingJob
    from gan_playground.run import prepare_run

    config = build_config(RunConfig, {"model": model, "dataset": dataset, "steps": steps, "batch_size": batch_size,
                                      "seed": seed, "device": device})
    run = prepare_run(config, settings)
    job = TrainingJob(run, steps=config.steps).start()
    job.join()
    if job.state != "finished":
        raise UserError(job.snapshot().message or f"Training stopped: {job.state}.")
    run.model.eval()
    return Model(run.model, dataset=dataset, classes=tuple(run.dataset.classes), step=job.step, run=run)
