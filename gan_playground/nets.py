"""Building blocks shared by the model families: MLPs and DCGAN-style conv nets.

Only layers that more than one family uses live here; a family's own heads stay in its file.
Note on PyTorch-GAN's `BatchNorm1d(n, 0.8)`: the 0.8 is eps, not momentum; we use the defaults.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading

import torch
from torch import nn


def mlp(sizes: list[int], *, batchnorm: bool = False, act: str = "leaky_relu",
        out_act: str | None = None) -> nn.Sequential:
    """Linear layers `sizes[0] -> ... -> sizes[-1]`; hidden layers get (BatchNorm and) `act`.

    With `batchnorm`, every hidden layer but the first is normalized, as in PyTorch-GAN's
    generators (`block(latent_dim, 128, normalize=False)`).
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i == len(sizes) - 2:
            break
        if batchnorm and i > 0:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(activation(act))
    if out_act:
        layers.append(activation(out_act))
    return nn.Sequential(*layers)


def activation(name: str) -> nn.Module:
    return {"leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU, "tanh": nn.Tanh,
            "sigmoid": nn.Sigmoid}[name]()


class Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], *self.shape)


def mlp_generator(latent_dim: int, out_shape: tuple[int, ...]) -> nn.Sequential:
    """PyTorch-GAN's MLP generator: z -> 128 -> 256 -> 512 -> 1024 -> image, tanh."""
    return nn.Sequential(mlp([latent_dim, 128, 256, 512, 1024, math.prod(out_shape)], batchnorm=True,
                             out_act="tanh"), Reshape(*out_shape))


def mlp_critic(in_shape: tuple[int, ...], out_dim: int = 1) -> nn.Sequential:
    """PyTorch-GAN's MLP discriminator: image -> 512 -> 256 -> out (a score, no sigmoid)."""
    return nn.Sequential(nn.Flatten(), mlp([math.prod(in_shape), 512, 256, out_dim]))


def toy_generator(latent_dim: int = 2, dim: int = 512) -> nn.Sequential:
    """The WGAN-GP authors' toy generator: three ReLU layers of 512."""
    return mlp([latent_dim, dim, dim, dim, 2], act="relu")


def toy_critic(dim: int = 512, out_dim: int = 1) -> nn.Sequential:
    """The WGAN-GP authors' toy critic: three ReLU layers of 512."""
    return mlp([2, dim, dim, dim, out_dim], act="relu")


def conv_generator(in_dim: int, out_shape: tuple[int, int, int], *, width: int = 64,
                   out_act: str | None = "tanh") -> nn.Sequential:
    """DCGAN-style: z -> (2w, s/4, s/4) -> upsample x2 twice -> (C, s, s), tanh. s = 28 or 32.

    `out_act=None` leaves the last layer's output as it is (logits, for a Bernoulli decoder).
    """
    channels, size, _ = out_shape
    start = size // 4
    assert start * 4 == size, "conv nets need a size divisible by 4 (28 or 32)"
    net = nn.Sequential(
        nn.Linear(in_dim, 2 * width * start * start, bias=False),
        Reshape(2 * width, start, start),
        nn.BatchNorm2d(2 * width), nn.ReLU(True),
        nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),  # (w, s/2, s/2)
        nn.BatchNorm2d(width), nn.ReLU(True),
        nn.ConvTranspose2d(width, channels, 4, 2, 1),  # (C, s, s)
        *([activation(out_act)] if out_act else []),
    )
    dcgan_init(net)
    return net


class ConvTrunk(nn.Module):
    """DCGAN-style downsampling trunk: (C, s, s) -> (2w, s/4, s/4) -> flat features.

    `norm`: "none" for WGAN critics (a gradient penalty is per sample, which batch norm breaks),
    "batch" for classic discriminators, "layer" as a per-sample alternative.
    """

    def __init__(self, in_shape: tuple[int, int, int], *, width: int = 64, norm: str = "none",
                 dropout: float = 0.0):
        super().__init__()
        channels, size, _ = in_shape
        end = size // 4
        norm_layer = {"none": lambda: nn.Identity(), "batch": lambda: nn.BatchNorm2d(2 * width),
                      "layer": lambda: nn.GroupNorm(1, 2 * width)}[norm]
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True), nn.Dropout(dropout),  # (w, s/2, s/2)
            nn.Conv2d(width, 2 * width, 4, 2, 1), norm_layer(), nn.LeakyReLU(0.2, True),  # (2w, s/4, s/4)
            nn.Dropout(dropout), nn.Flatten(),
        )
        self.out_features = 2 * width * end * end
        dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def conv_critic(in_shape: tuple[int, int, int], *, width: int = 64, norm: str = "none",
                out_dim: int = 1) -> nn.Sequential:
    trunk = ConvTrunk(in_shape, width=width, norm=norm)
    return nn.Sequential(trunk, nn.Linear(trunk.out_features, out_dim))


def dcgan_init(module: nn.Module) -> None:
    """Radford et al. 2015: conv weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# ----------------------------------------------------------------------------------------------
# Randomness and modes

_INIT_LOCK = threading.Lock()


@contextlib.contextmanager
def seeded_init(seed: int):
    """Within: torch's module init (which only knows the global generator) draws from `seed` alone.

    Under a process-wide lock and inside `fork_rng`, so that two models built at once in two
    threads get the weights their seeds say, and the caller's global stream is left as it was.
    Race-free because nothing in training reads the global generator (each run has its own).
    """
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class Dropout2d(nn.Module):
    """nn.Dropout2d (whole channels zeroed with probability p) whose masks come from `rng`, the
    run's generator (`GANModel.set_generator` sets it), not from the global one."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.rng: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W)
        if not self.training or self.p == 0:
            return x
        keep = torch.empty(x.shape[0], x.shape[1], 1, 1, device=x.device, dtype=x.dtype)
        keep.bernoulli_(1 - self.p, generator=self.rng)  # (B, C, 1, 1)
        return x * keep / (1 - self.p)


def one_hot(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class indices (N,) -> float one-hot (N, k), as F.one_hot(y, k).float() gives it. F.one_hot
    checks the indices' range with two `.item()` reads off the GPU; a comparison reads nothing."""
    return (y.long()[:, None] == torch.arange(k, device=y.device)).float()


class eval_mode:
    """Context: put a module in eval mode, then restore the modes it had (batch-norm statistics)."""

    def __init__(self, module: nn.Module):
        self.module = module

    def __enter__(self):
        self.modes = [(m, m.training) for m in self.module.modules()]
        self.module.eval()
        return self.module

    def __exit__(self, *exc):
        for m, mode in self.modes:
            m.training = mode
        return False
