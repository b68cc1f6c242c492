"""What every model ("recipe") offers the engine, the checkpoints and the explorer.

A model is an `nn.Module` that owns its networks (as submodules, so `state_dict()` holds all
of them) and its optimizers (in `self.optimizers`). The engine only calls `train_step` (and, for
models with `phases`, `critic_update` and `generator_update` one at a time); the explorer only
calls `sample`, `random_latents`, `preview` and, for autoencoders, `encode`, `decode` and `classify`.

Every random draw of training comes from `self.rng`, the run's own generator on the training
device (`set_generator`): never from torch's global one, which every job in the process shares.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import torch
from torch import nn

from gan_playground import nets
from gan_playground.data import Dataset, DataSpec
from gan_playground.errors import ConfigError
from gan_playground.nets import eval_mode


class GANModel(nn.Module):
    name: ClassVar[str]  # registry name, e.g. "wgan-gp"
    family: ClassVar[str]  # "wgan" | "acgan" | "aae": the UI tab
    Config: ClassVar[type]  # the dataclass of this model's settings
    needs_labels: ClassVar[bool] = False  # refuses data without labels
    supports_points: ClassVar[bool] = False  # can train on the 2-D toy sets
    is_autoencoder: ClassVar[bool] = False  # offers encode / decode
    adversaries: ClassVar[tuple[str, ...]] = ()  # submodules only training reads: discriminators, critics
    phases: ClassVar[tuple[str, ...]] = ()  # ("critic", "generator"): critic_update, generator_update alone
    # The settings that set the optimizers' learning rates: the model builds each optimizer at one of
    # them, and nothing else sets a rate but the run's decay (`TrainingJob.schedule_rates`).
    rate_settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, config: Any, data: DataSpec):
        super().__init__()
        if data.kind == "points" and not self.supports_points:
            raise ConfigError(f"{self.name} trains on images; the 2-D toy sets are for the WGAN family.")
        if self.needs_labels and data.num_classes < 2:
            raise ConfigError(f"{self.name} needs labelled data (mnist, fashion-mnist, cifar10, "
                              f"or folder:PATH with one subfolder per class).")
        self.config = config
        self.data = data
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.ema_decay = 0.0  # `track_average` turns the generator's moving average on
        self._rng: torch.Generator | None = None  # see `rng`
        # True when loaded from a folder for sharing, which leaves out what only training reads
        # (see `training_only_keys`): such a model samples and explores, but has no adversary.
        self.sampling_only = False

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    def scaled_rates(self, factor: float) -> dict[str, float]:
        """Every learning-rate setting times `factor`, as overrides: how a resume lowers the rates."""
        return {name: getattr(self.config, name) * factor for name in self.rate_settings}

    @classmethod
    def image_size_for(cls, config: Any, dataset: str) -> int | None:
        """The image size this model needs for `dataset` (None: the data's own size)."""
        return None

    def attach_data(self, dataset: Dataset, seed: int) -> None:
        """Called once after the model is on its device, before training (also on resume).

        For models that need more of the data than random batches, e.g. the semi-supervised
        AAE's fixed labelled subset. Anything to keep across a resume goes in a buffer.
        """

    def provenance(self) -> dict[str, Any]:
        """What config.json records beside the settings to remake this run: what it learned from
        besides the data (the clustering AAE's teacher runs). Known after `attach_data`."""
        return {}

    # -- the run's random generator -------------------------------------------------------------
    def set_generator(self, generator: torch.Generator) -> None:
        """Draw every random number of training from `generator`: z, noise, priors, shifts, picks,
        dropout masks. `prepare_run` passes the run's own, on the training device, so that nothing
        another job or the explorer does can move this run's stream (and a CUDA graph can replay it)."""
        self._rng = generator
        for layer in self.modules():
            if isinstance(layer, nets.Dropout2d):
                layer.rng = generator

    @property
    def rng(self) -> torch.Generator:
        """The generator of training's random draws. A model trained outside a run (a test, a
        script) gets one of its own at first use, seeded 0, on its device of that moment."""
        if self._rng is None:
            self.set_generator(torch.Generator(device=self.device).manual_seed(0))
        return self._rng

    # -- training -------------------------------------------------------------------------------
    @property
    def batches_per_step(self) -> int:
        """How many batches one `train_step` consumes (a WGAN step holds n_critic critic updates)."""
        return 1

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One step of the algorithm on `batches_per_step` batches stacked along dim 0.

        Returns detached 0-dim tensors on the device; reading them is the caller's choice,
        so that training never waits for the GPU. Capturable (CUDA graphs): random draws come from
        `self.rng` only, nothing reads a tensor on the host, and no Python branch looks at a value.
        """
        raise NotImplementedError

    # -- sampling -------------------------------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def num_conditions(self) -> int:
        """Number of classes (or clusters) that `sample` can be conditioned on; 0 if none."""
        return 0

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def random_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Latents from the prior the generator (or decoder) was trained on: N(0, I) by default."""
        return torch.randn(n, self.latent_dim, generator=generator, device=_gen_device(generator, self.device))

    def random_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Conditions for n samples of the model's whole distribution, (n,) indices, or None when it
        has none: by default the classes in turn (0, 1, ..., K-1, 0, ...), as balanced as the data
        sets' classes. A model whose conditions are not equally common overrides it."""
        k = self.num_conditions
        return torch.arange(n, device=_gen_device(generator, self.device)) % k if k else None

    @torch.no_grad()
    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] (N, C, H, W), or points (N, 2), from latents `z` (and classes `y`)."""
        with eval_mode(self):
            return self.generate(z.to(self.device), None if y is None else y.to(self.device))

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    # -- the generator's moving average --------------------------------------------------------
    def track_average(self, decay: float) -> None:
        """Keep `generator_ema`, an exponential moving average of `self.generator`'s weights.

        Samples, scores and the explorer draw from the average (Yazici et al. 2019, "The Unusual
        Effectiveness of Averaging in GAN Training"): it smooths out the generator's oscillation
        around the equilibrium at no cost to training. Early on the decay is lowered, to
        (1 + n) / (10 + n) after n updates, so that the average is not stuck near the random
        initial weights. decay=0: no average; samples come from the generator itself.
        """
        self.ema_decay = decay
        if decay > 0:
            self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
            self.register_buffer("ema_updates", torch.zeros((), dtype=torch.long))  # kept by checkpoints

    @torch.no_grad()
    def update_average(self) -> None:
        """After each generator update: ema <- decay * ema + (1 - decay) * weights; buffers copied.

        The count and the decay stay on the device: no host read, nothing a CUDA graph would freeze.
        """
        if self.ema_decay <= 0:
            return
        n = self.ema_updates.float()
        decay = ((1 + n) / (10 + n)).clamp(max=self.ema_decay)  # () float32
        averaged = list(self.generator_ema.parameters())
        torch._foreach_lerp_(averaged, list(self.generator.parameters()), [1 - decay] * len(averaged))
        buffers = list(self.generator_ema.buffers())
        if buffers:
            torch._foreach_copy_(buffers, list(self.generator.buffers()))
        self.ema_updates.add_(1)

    @property
    def sampling_net(self) -> nn.Module:
        """The network that draws samples: the moving average if there is one, else `generator`."""
        return self.generator_ema if self.ema_decay > 0 else self.generator

    # Buffers added after folders were shipped: a folder without one loads with its initial value.
    added_buffers: tuple[str, ...] = ()

    @property
    def explored_adversaries(self) -> tuple[str, ...]:
        """Adversaries that exploring reads too, kept even in a folder for sharing: a 2-D critic is
        what the Lab draws as its landscape, and it weighs a few kB."""
        return self.adversaries if self.data.kind == "points" else ()

    def training_only_keys(self) -> list[str]:
        """The `state_dict` keys that only training reads: the adversaries (but `explored_adversaries`),
        and the generator itself where its moving average draws the samples. A folder for sharing
        (saved without training state, so it can never train on) leaves them out: a third to a half
        of its size."""
        networks = [self.get_submodule(name) for name in self.adversaries if name not in self.explored_adversaries]
        if self.ema_decay > 0:
            networks.append(self.generator)
        skip = {id(t) for net in networks for t in net.state_dict(keep_vars=True).values()}
        return [k for k, t in self.state_dict(keep_vars=True).items() if id(t) in skip]

    # -- the live grid ---------------------------------------------------------------------------
    def preview_inputs(self, real_x: torch.Tensor, real_y: torch.Tensor | None,
                       generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Fixed inputs for the live grid, made once per run so that grids are comparable.

        Default: 64 latents; conditional models: one row per class, each column one z.
        """
        k = self.num_conditions
        if k:
            cols = 10 if k <= 16 else 4
            z = self.random_latents(cols, generator).repeat(k, 1)  # (k*cols, latent): column j keeps z_j
            y = torch.arange(k, device=z.device).repeat_interleave(cols)
            return {"z": z, "y": y, "nrow": torch.tensor(cols)}
        if self.data.kind == "points":
            return {"z": self.random_latents(512, generator), "nrow": torch.tensor(0)}  # 0: points, no grid
        return {"z": self.random_latents(64, generator), "nrow": torch.tensor(8)}

    @torch.no_grad()
    def preview(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
        """The live grid's content: (images in [-1, 1], images per row) or (points, 0)."""
        out = self.sample(inputs["z"], inputs.get("y"))
        return out, int(inputs["nrow"])


def _gen_device(generator: torch.Generator | None, fallback: torch.device) -> torch.device:
    return generator.device if generator is not None else fallback
