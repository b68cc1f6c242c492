"""ACGAN: a conditional GAN whose discriminator also names the class (Odena et al. 2017).

The generator draws an image of a chosen class, x_fake = G(z, c). The discriminator has one
shared trunk and two heads: a source head P(S = real | x) (a logit) and an auxiliary class head
P(C | x) (K logits). With the paper's two log-likelihoods (section 3, eqs. 2-3)

    L_S = E[log P(S = real | x_real)] + E[log P(S = fake | x_fake)]
    L_C = E[log P(C = c | x_real)]    + E[log P(C = c | x_fake)]

D maximizes L_S + L_C and G maximizes L_C - L_S. As usual (Goodfellow et al. 2014, section 3)
G uses the non-saturating form: it maximizes log P(S = real | x_fake) instead of minimizing
log P(S = fake | x_fake).

One departure from the paper, `fake_class_loss=False` by default: D's class head learns from real
images only (the term -log P(C = c | x_fake) is left out of D's loss; G still maximizes L_C). With
the paper's D, G and D agree on classes that real digits do not support: on MNIST (seed 0, the
dcgan arch) G drew 3s for label 2, 0s for 6 and 7s for 8, and the evaluation classifier found the
intended class in 52% of samples at step 1000 (FID 109); with D's class head on real images only,
85% (FID 71) at the same step. `fake_class_loss=True` restores the paper's loss.

Two fixes to the PyTorch-GAN script this follows: the class head gives logits straight to the
cross entropy (the script applies a softmax first, a double softmax that flattens gradients),
and its `BatchNorm2d(n, 0.8)` sets eps = 0.8, not momentum; we use the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from gan_playground import nets
from gan_playground.config import param
from gan_playground.data import DataSpec
from gan_playground.errors import ConfigError
from gan_playground.models.base import GANModel

# ----------------------------------------------------------------------------------------------
# Losses: small pure functions of logits.

def source_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """-log P(S = real | x) (real=True) or -log P(S = fake | x): one term of -L_S (eq. 2)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def class_loss(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-log P(C = c | x), from logits (no softmax before it): one term of -L_C (eq. 3)."""
    return F.cross_entropy(class_logits, labels)


def class_accuracy(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of the batch whose argmax class is right, as a 0-dim tensor (no sync)."""
    return (class_logits.argmax(1) == labels).float().mean()


# ----------------------------------------------------------------------------------------------
# Settings

@dataclass(frozen=True)
class ACGANConfig:
    arch: Literal["dcgan", "reference"] = param(
        "dcgan", "dcgan: a light DCGAN-style net at the data's own size (28 or 32), fast on a CPU; "
                 "reference: PyTorch-GAN's acgan.py conv net at 32x32 (about 4x slower)")
    latent_dim: int = param(100, "size of the noise vector z", low=1, high=1024)
    lr: float = param(2e-4, "learning rate of both networks (Adam)", low=1e-7, high=1.0)
    betas: tuple[float, float] = param((0.5, 0.999), "Adam's beta1, beta2 (Radford et al. 2015)",
                                       low=0.0, high=0.9999)
    aux_weight: float = param(1.0, "weight of the class terms L_C against the source terms L_S",
                              low=0.0, high=100.0)
    fake_class_loss: bool = param(False, "D also learns to name the class of fakes, -log P(c | G(z, c)), as in "
                                         "the paper's L_C (on); off: D's class head learns from real images only")
    ema: float = param(0.999, "decay of the moving average of the generator's weights that draws samples "
                              "and scores (0: sample from the generator itself)", low=0.0, high=0.99999,
                       before=0.0)
    width: int = param(32, "channels of the dcgan arch's first layer", low=4, high=512, ui=False)
    embed_dim: int = param(10, "size of the dcgan arch's label embedding, concatenated to z",
                           low=1, high=1024, ui=False)


# ----------------------------------------------------------------------------------------------
# Networks

class Discriminator(nn.Module):
    """A shared trunk with two heads: source logit (B,) and class logits (B, K)."""

    def __init__(self, trunk: nn.Module, features: int, num_classes: int):
        super().__init__()
        self.trunk = trunk
        self.to_source = nn.Linear(features, 1)
        self.to_class = nn.Linear(features, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)  # (B, F)
        return self.to_source(h).squeeze(1), self.to_class(h)


class ConcatGenerator(nn.Module):
    """G(z, c) = conv_generator([z, embed(c)]): the label embedding is appended to z."""

    def __init__(self, latent_dim: int, num_classes: int, out_shape: tuple[int, int, int], *,
                 width: int, embed_dim: int):
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = nets.conv_generator(latent_dim + embed_dim, out_shape, width=width)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([z, self.embed(y)], dim=1))  # (B, C, H, W)


class ReferenceGenerator(nn.Module):
    """PyTorch-GAN's ACGAN generator: z * embed(c) -> 128 x s/4 x s/4 -> upsample, conv, twice."""

    def __init__(self, latent_dim: int, num_classes: int, out_shape: tuple[int, int, int]):
        super().__init__()
        channels, size, _ = out_shape
        self.start = size // 4
        self.embed = nn.Embedding(num_classes, latent_dim)
        self.to_grid = nn.Linear(latent_dim, 128 * self.start ** 2)
        self.convs = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 128, 3, 1, 1),  # (128, s/2, s/2)
            nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 64, 3, 1, 1),  # (64, s, s)
            nn.BatchNorm2d(64), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, channels, 3, 1, 1), nn.Tanh(),  # (C, s, s)
        )
        nets.dcgan_init(self)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.to_grid(self.embed(y) * z)  # the script multiplies the embedding into z
        return self.convs(h.view(-1, 128, self.start, self.start))


def reference_trunk(channels: int) -> nn.Sequential:
    """PyTorch-GAN's ACGAN discriminator trunk: four stride-2 3x3 convs 16-32-64-128, dropout 0.25."""
    def block(n_in: int, n_out: int, bn: bool = True) -> list[nn.Module]:
        layers = [nn.Conv2d(n_in, n_out, 3, 2, 1), nn.LeakyReLU(0.2, True), nets.Dropout2d(0.25)]  # the run's masks
        return layers + [nn.BatchNorm2d(n_out)] if bn else layers  # eps default, not the script's 0.8

    trunk = nn.Sequential(*block(channels, 16, bn=False), *block(16, 32), *block(32, 64), *block(64, 128),
                          nn.Flatten())  # (128 * 2 * 2) at 32x32
    nets.dcgan_init(trunk)
    return trunk


# ----------------------------------------------------------------------------------------------
# The algorithm

class ACGAN(GANModel):
    """ACGAN (Odena et al. 2017): class-conditional G; D judges source and names the class."""

    name = "acgan"
    family = "acgan"
    Config = ACGANConfig
    needs_labels = True
    adversaries = ("discriminator",)
    rate_settings = ("lr",)
    loss_names = ("loss_d", "loss_g", "loss_aux", "acc_real", "acc_fake")

    def __init__(self, *, config: ACGANConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        c, k = config, data.num_classes
        channels, size = data.shape[0], data.shape[-1]
        if c.arch == "reference":
            if size != 32:
                raise ConfigError(f"arch=reference is a 32x32 net; got {size}x{size} images "
                                  f"(prepare_run resizes them once at load).")
            self.generator = ReferenceGenerator(c.latent_dim, k, data.shape)
            self.discriminator = Discriminator(reference_trunk(channels), 128 * 2 * 2, k)
        else:
            if size not in (28, 32):
                raise ConfigError(f"arch=dcgan needs 28x28 or 32x32 images, got {size}x{size}.")
            self.generator = ConcatGenerator(c.latent_dim, k, data.shape, width=c.width, embed_dim=c.embed_dim)
            trunk = nets.ConvTrunk(data.shape, width=c.width, norm="batch")
            self.discriminator = Discriminator(trunk, trunk.out_features, k)
        self.optimizers = {
            "g": torch.optim.Adam(self.generator.parameters(), lr=c.lr, betas=c.betas),
            "d": torch.optim.Adam(self.discriminator.parameters(), lr=c.lr, betas=c.betas),
        }
        self.track_average(c.ema)

    @classmethod
    def image_size_for(cls, config: ACGANConfig, dataset: str) -> int | None:
        return 32 if config.arch == "reference" else None

    @property
    def num_conditions(self) -> int:
        return self.data.num_classes

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if y is None:
            raise ValueError("ACGAN draws an image of a chosen class: pass y (class indices).")
        return self.sampling_net(z, y.long())

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        opt_g, opt_d = self.optimizers["g"], self.optimizers["d"]
        w = self.config.aux_weight
        batch = x.shape[0]
        z = self.random_latents(batch, self.rng)  # (B, latent)
        c = torch.randint(0, self.num_conditions, (batch,), generator=self.rng, device=self.rng.device)  # (B,) classes
        fake = self.generator(z, c)  # (B, C, H, W)

        # (1) Update D: maximize L_S + L_C, i.e. minimize
        #     loss_d = -log P(real | x) - log P(fake | G(z, c)) + w * (-log P(y | x) - log P(c | G(z, c))).
        self.discriminator.requires_grad_(True)
        src_real, cls_real = self.discriminator(x)
        src_fake, cls_fake = self.discriminator(fake.detach())
        loss_aux = class_loss(cls_real, y)
        loss_aux_fake = class_loss(cls_fake, c) if self.config.fake_class_loss else 0.0
        loss_d = (source_loss(src_real, True) + source_loss(src_fake, False) + w * (loss_aux + loss_aux_fake)) / 2
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # (2) Update G: maximize L_C - L_S (non-saturating), i.e. minimize
        #     loss_g = -log P(real | G(z, c)) - w * log P(c | G(z, c)).
        self.discriminator.requires_grad_(False)  # D's weight gradients would be thrown away
        src_g, cls_g = self.discriminator(fake)
        loss_g = source_loss(src_g, True) + w * class_loss(cls_g, c)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        self.update_average()
        self.discriminator.requires_grad_(True)

        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(), "loss_aux": loss_aux.detach(),
                "acc_real": class_accuracy(cls_real.detach(), y), "acc_fake": class_accuracy(cls_g.detach(), c)}
