"""The Wasserstein GAN family: one critic loss, four ways to keep the critic Lipschitz.

The critic D estimates the Wasserstein-1 distance between data and generator,
    W(P_r, P_g) = sup_{|D|_L <= 1}  E_{x~P_r}[D(x)] - E_{x~P_g}[D(x)],
and the generator G descends it. The variants differ only in how |D|_L <= 1 is enforced:

| name      | constraint                                   | paper                         |
|-----------|----------------------------------------------|-------------------------------|
| wgan      | clip every weight to [-c, c]                 | Arjovsky et al. 2017          |
| wgan-gp   | lambda * E[(|grad D(x_hat)| - 1)^2]          | Gulrajani et al. 2017         |
| wgan-div  | k * E[|grad D(x)|^p] at real and fake points | Wu et al. 2018                |
| wgan-lp   | lambda * E[max(0, |grad D(x_hat)| - 1)^2]    | Petzka et al. 2018            |

Each variant's `critic_update` is its paper's critic objective, line by line; `train_step` is
Algorithm 1 (n_critic critic updates, then one generator update), and the 2-D Lab calls the two
phases one at a time. Gradient norms are taken per sample over the flattened input (a common
bug takes them over one image dimension only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from gan_playground import nets
from gan_playground.config import param
from gan_playground.data import DataSpec
from gan_playground.errors import ConfigError
from gan_playground.models.base import GANModel
from gan_playground.optim import RMSprop

# ----------------------------------------------------------------------------------------------
# Losses and penalties: small pure functions of a critic and two batches.

def wasserstein_estimate(scores: torch.Tensor) -> torch.Tensor:
    """E[D(x)] - E[D(G(z))] from the critic's scores of cat(real, fake) (2B, 1): the estimate of
    W(P_r, P_g) that the critic maximizes (Arjovsky et al. 2017, eq. 3). A 0-dim tensor."""
    real, fake = scores.chunk(2)
    return real.mean() - fake.mean()


def _scores_and_grad_norms(critic: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """D(x) (B, 1) and |grad_x D(x)|_2 per sample (B,), over the flattened input, both in the graph.

    One backward of sum(D(x)) gives every sample's own input gradient: the critic scores each
    sample on its own (no batch norm, see ConvTrunk).
    """
    x = x.detach().requires_grad_(True)
    scores = critic(x)
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    return scores, grad.flatten(1).norm(2, dim=1)


def _interpolates(real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """x_hat = eps * x + (1 - eps) * G(z), eps ~ U[0, 1] per sample, drawn from `generator`."""
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=generator, device=real.device,
                     dtype=real.dtype)  # (B, 1, ...)
    return eps * real + (1 - eps) * fake


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, *,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Gulrajani et al. 2017, eq. 3: E_{x_hat}[(|grad D(x_hat)|_2 - 1)^2] on random interpolates."""
    norms = _scores_and_grad_norms(critic, _interpolates(real, fake, generator))[1]
    return (norms - 1).pow(2).mean()


def lipschitz_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, *,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Petzka et al. 2018, eq. 8: E_{x_hat}[max(0, |grad D(x_hat)|_2 - 1)^2].

    One-sided: gradients below 1 are allowed, which is all a 1-Lipschitz critic needs.
    """
    norms = _scores_and_grad_norms(critic, _interpolates(real, fake, generator))[1]
    return torch.relu(norms - 1).pow(2).mean()


def divergence_scores_and_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, *,
                                  p: float) -> tuple[torch.Tensor, torch.Tensor]:
    """D(cat(real, fake)) (2B, 1) and Wu et al. 2018 (WGAN-div), eq. 13 without k:
    E[|grad D(x)|_2^p] at real and at fake points, averaged.

    The paper allows any distribution for the penalized points; its experiments found the mix
    of real and fake samples best (better FID than interpolates). Those are the very points the
    critic's loss scores, so one critic pass serves both, as in PyTorch-GAN's wgan_div.py.
    """
    scores, norms = _scores_and_grad_norms(critic, torch.cat([real, fake]))
    powered = norms.pow(p)
    return scores, 0.5 * (powered[:real.shape[0]].mean() + powered[real.shape[0]:].mean())


@torch.no_grad()
def clip_weights_(critic: nn.Module, c: float) -> None:
    """Arjovsky et al. 2017, Algorithm 1, line 7: w <- clip(w, -c, c), every weight of the critic."""
    weights = list(critic.parameters())
    torch._foreach_clamp_min_(weights, -c)
    torch._foreach_clamp_max_(weights, c)


# ----------------------------------------------------------------------------------------------
# Settings

@dataclass(frozen=True)
class WGANConfig:
    arch: Literal["mlp", "dcgan"] = param("mlp", "mlp: PyTorch-GAN's MLP (a 3x512 ReLU MLP on 2-D data); "
                                                 "dcgan: a small conv net (images only)")
    latent_dim: int = param(100, "size of the noise vector z", low=1, high=1024)
    lr: float = param(1e-4, "learning rate of both networks", low=1e-7, high=1.0)
    betas: tuple[float, float] = param((0.0, 0.9), "Adam's beta1, beta2", low=0.0, high=0.9999)
    n_critic: int = param(5, "critic updates per generator update", low=1, high=100)
    lr_critic: float = param(0.0, "the critic's own learning rate, a two time-scale update (Heusel et al. 2017) "
                                  "with fewer critic steps (0: lr, as the papers)", low=0.0, high=1.0)
    ema: float = param(0.999, "decay of the moving average of the generator's weights that draws samples "
                              "and scores (0: sample from the generator itself)", low=0.0, high=0.99999,
                       before=0.0)
    width: int = param(64, "channels of the dcgan arch's first layer", low=4, high=512, ui=False)
    toy_width: int = param(512, "hidden units of the 2-D toy MLP (512 in gan_toy.py; 128 learns faster on a CPU)",
                           low=8, high=4096)


@dataclass(frozen=True)
class WGANClipConfig(WGANConfig):
    lr: float = param(5e-5, "learning rate of both networks (RMSprop)", low=1e-7, high=1.0)
    clip: float = param(0.01, "weights of the critic are clipped to [-clip, clip]", low=1e-5, high=10.0)


@dataclass(frozen=True)
class WGANGPConfig(WGANConfig):
    lambda_gp: float = param(10.0, "weight of the gradient penalty", low=0.0, high=1e4)


@dataclass(frozen=True)
class WGANDivConfig(WGANConfig):
    lr: float = param(2e-4, "learning rate of both networks", low=1e-7, high=1.0)
    betas: tuple[float, float] = param((0.5, 0.999), "Adam's beta1, beta2", low=0.0, high=0.9999)
    k: float = param(2.0, "weight of the divergence penalty", low=0.0, high=1e4)
    p: float = param(6.0, "power of the gradient norm in the penalty", low=1.0, high=20.0)


@dataclass(frozen=True)
class WGANLPConfig(WGANConfig):
    lambda_lp: float = param(10.0, "weight of the one-sided Lipschitz penalty", low=0.0, high=1e4)


# ----------------------------------------------------------------------------------------------
# The algorithm

class WassersteinGAN(GANModel):
    """What the four variants share: the networks, the generator's update and Algorithm 1's loop.

    Each variant writes its own `critic_update`: its paper's critic objective, where it is used.
    """

    family = "wgan"
    supports_points = True
    adversaries = ("critic",)
    rate_settings = ("lr", "lr_critic")
    phases = ("critic", "generator")
    loss_names = ("loss_d", "loss_g", "wasserstein", "penalty")

    def __init__(self, *, config: WGANConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        c = config
        if data.kind == "points":
            if c.arch != "mlp":
                raise ConfigError("On 2-D toy data the WGAN family uses arch=mlp (the WGAN-GP authors' toy MLP).")
            self.generator = nets.toy_generator(c.latent_dim, c.toy_width)
            self.critic = nets.toy_critic(c.toy_width)
        elif c.arch == "mlp":
            self.generator = nets.mlp_generator(c.latent_dim, data.shape)
            self.critic = nets.mlp_critic(data.shape)
        else:
            if data.shape[-1] not in (28, 32):
                raise ConfigError(f"arch=dcgan needs 28x28 or 32x32 images, got {data.shape[-1]}x{data.shape[-1]}.")
            self.generator = nets.conv_generator(c.latent_dim, data.shape, width=c.width)
            self.critic = nets.conv_critic(data.shape, width=c.width, norm="none")
        # Adam, as Gulrajani et al. (and Wu et al., Petzka et al.) train; the clipped WGAN differs.
        self.optimizers = {"g": torch.optim.Adam(self.generator.parameters(), lr=c.lr, betas=c.betas),
                           "d": torch.optim.Adam(self.critic.parameters(), lr=c.lr_critic or c.lr, betas=c.betas)}
        self.track_average(c.ema)

    @property
    def batches_per_step(self) -> int:
        return self.config.n_critic

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.sampling_net(z)

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Algorithm 1 of each paper: n_critic critic updates, each on its own batch of x, then one
        generator update."""
        reals = x.chunk(self.config.n_critic)  # n_critic batches of (B, ...)

        # (1) Update the critic n_critic times: maximize E[D(x)] - E[D(G(z))] - penalty.
        for real in reals[:-1]:
            self.critic_update(real)
        # The last update's fakes also serve the generator's update below, as in PyTorch-GAN's loop
        # (G(z) of the last critic iteration's z): G has not changed since, so its graph is kept.
        fake = self.generator(self.random_latents(reals[-1].shape[0], self.rng))  # (B, ...)
        losses = self.critic_update(reals[-1], fake)

        # (2) Update the generator: minimize -E[D(G(z))], D as updated above.
        losses.update(self.generator_update(fake=fake))
        return {k: losses[k] for k in self.loss_names}

    def critic_update(self, real: torch.Tensor, fake: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One critic update on one batch of real data (B, ...); `fake`: its G(z), else new ones.

        Returns loss_d, wasserstein and penalty as detached 0-dim tensors.
        """
        raise NotImplementedError

    def generator_update(self, batch_size: int | None = None, *,
                         fake: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One generator update (Algorithm 1's last lines: 9-11 in WGAN, 11-12 in WGAN-GP): minimize
        loss_g = -E[D(G(z))] on `batch_size` new fakes, or on `fake` (G(z) with its graph:
        train_step passes the last critic update's)."""
        if fake is None:
            if batch_size is None:
                raise ValueError("generator_update needs a batch_size (or fake, G(z) with its graph).")
            fake = self.generator(self.random_latents(batch_size, self.rng))  # (B, ...)
        self.critic.requires_grad_(False)  # no weight gradients for D here: they would be thrown away
        loss_g = -self.critic(fake).mean()
        self.optimizers["g"].zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizers["g"].step()
        self.update_average()
        self.critic.requires_grad_(True)
        return {"loss_g": loss_g.detach()}

    # -- what every critic_update uses ----------------------------------------------------------
    def fakes_for(self, real: torch.Tensor, fake: torch.Tensor | None) -> torch.Tensor:
        """x_tilde = G(z), z ~ p(z), one per real sample (or `fake`), detached: the critic's
        update gives G no gradient."""
        if fake is None:
            with torch.no_grad():
                fake = self.generator(self.random_latents(real.shape[0], self.rng))
        return fake.detach()

    def descend_critic(self, loss_d: torch.Tensor, wasserstein: torch.Tensor,
                       penalty: torch.Tensor) -> dict[str, torch.Tensor]:
        """One optimizer step on the critic's weights for loss_d (no gradient for the penalty's
        points); the losses, detached."""
        self.optimizers["d"].zero_grad(set_to_none=True)
        loss_d.backward(inputs=list(self.critic.parameters()))
        self.optimizers["d"].step()
        return {"loss_d": loss_d.detach(), "wasserstein": wasserstein.detach(), "penalty": penalty.detach()}


class WGAN(WassersteinGAN):
    """WGAN with weight clipping (Arjovsky et al. 2017): RMSprop, critic weights in [-c, c]."""

    name = "wgan"
    Config = WGANClipConfig

    def __init__(self, *, config: WGANClipConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        # Arjovsky et al. use momentum-free RMSprop: with Adam, clipped critics trained unstably.
        # torch's RMSprop, computed in one fused pass (`gan_playground.optim`).
        self.optimizers = {"g": RMSprop(self.generator.parameters(), lr=config.lr),
                           "d": RMSprop(self.critic.parameters(), lr=config.lr_critic or config.lr)}

    def critic_update(self, real: torch.Tensor, fake: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Arjovsky et al. 2017, Algorithm 1, lines 3-7."""
        fake = self.fakes_for(real, fake)  # (B, ...)
        # (1) loss_d = E[D(G(z))] - E[D(x)], the negated estimate of W(P_r, P_g); no penalty.
        wasserstein = wasserstein_estimate(self.critic(torch.cat([real, fake])))
        loss_d = -wasserstein
        # (2) w <- w - lr * RMSProp(grad_w loss_d), then (3) w <- clip(w, -c, c).
        losses = self.descend_critic(loss_d, wasserstein, real.new_zeros(()))
        clip_weights_(self.critic, self.config.clip)
        return losses


class WGANGP(WassersteinGAN):
    """WGAN-GP (Gulrajani et al. 2017): a gradient penalty on random interpolates, Adam."""

    name = "wgan-gp"
    Config = WGANGPConfig

    def critic_update(self, real: torch.Tensor, fake: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Gulrajani et al. 2017, Algorithm 1, lines 3-9."""
        fake = self.fakes_for(real, fake)  # (B, ...)
        # (1) loss_d = E[D(G(z))] - E[D(x)] + lambda * E[(|grad D(x_hat)|_2 - 1)^2],
        #     x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1].
        wasserstein = wasserstein_estimate(self.critic(torch.cat([real, fake])))
        penalty = self.config.lambda_gp * gradient_penalty(self.critic, real, fake, generator=self.rng)
        loss_d = -wasserstein + penalty
        # (2) w <- Adam(grad_w loss_d).
        return self.descend_critic(loss_d, wasserstein, penalty)


class WGANDiv(WassersteinGAN):
    """WGAN-div (Wu et al. 2018): k * E[|grad D|^p] at real and fake points, k=2, p=6."""

    name = "wgan-div"
    Config = WGANDivConfig

    def critic_update(self, real: torch.Tensor, fake: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Wu et al. 2018, Algorithm 1 (the critic's half)."""
        fake = self.fakes_for(real, fake)  # (B, ...)
        # (1) loss_d = E[D(G(z))] - E[D(x)] + k * E[|grad D(x')|_2^p], x' the real and fake points
        #     themselves: one critic pass gives the scores and the gradients.
        scores, grad_power = divergence_scores_and_penalty(self.critic, real, fake, p=self.config.p)  # (2B, 1), ()
        wasserstein = wasserstein_estimate(scores)
        penalty = self.config.k * grad_power
        loss_d = -wasserstein + penalty
        # (2) w <- Adam(grad_w loss_d).
        return self.descend_critic(loss_d, wasserstein, penalty)


class WGANLP(WassersteinGAN):
    """WGAN-LP (Petzka et al. 2018): the one-sided penalty max(0, |grad D| - 1)^2, Adam."""

    name = "wgan-lp"
    Config = WGANLPConfig

    def critic_update(self, real: torch.Tensor, fake: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Petzka et al. 2018: WGAN-GP's critic update with the one-sided penalty (eq. 8)."""
        fake = self.fakes_for(real, fake)  # (B, ...)
        # (1) loss_d = E[D(G(z))] - E[D(x)] + lambda * E[max(0, |grad D(x_hat)|_2 - 1)^2],
        #     x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1].
        wasserstein = wasserstein_estimate(self.critic(torch.cat([real, fake])))
        penalty = self.config.lambda_lp * lipschitz_penalty(self.critic, real, fake, generator=self.rng)
        loss_d = -wasserstein + penalty
        # (2) w <- Adam(grad_w loss_d).
        return self.descend_critic(loss_d, wasserstein, penalty)
