"""Adversarial autoencoders (Makhzani et al. 2015, "Adversarial Autoencoders", arXiv:1511.05644).

An autoencoder whose code is held to a prior by a GAN played in latent space: the encoder
q(z|x) is the GAN's generator, and a discriminator D tells codes z ~ q(z) from samples of the
prior p(z). Each mini-batch runs the paper's phases (section 2):

    reconstruction:  update encoder and decoder to minimize |x - dec(enc(x))|^2
    regularization:  update D to tell p(z) (real) from q(z) (fake), then the encoder to fool D
    (semi-supervised only) supervised: update q(y|x) by cross entropy on a labelled mini-batch

| name               | what the code holds                           | paper          | file             |
|--------------------|-----------------------------------------------|----------------|------------------|
| aae                | z ~ gaussian, mixture of 10 gaussians, roll   | sections 2, 2.1| here             |
| aae-supervised     | z = style; the one-hot label goes to the decoder | section 4   | here             |
| aae-semisupervised | y ~ Cat(K) (softmax), z ~ N(0, I); N labels   | section 5      | categorical_aae  |
| aae-cluster        | y ~ Cat(K clusters), z ~ N(0, I); no labels   | section 6      | categorical_aae  |

Networks follow the paper's MNIST nets (appendix): MLPs with two hidden ReLU layers for the
encoder, the decoder and every discriminator; the encoder is deterministic (section 2.1, the
option the paper uses for its MNIST results; `posterior=gaussian` is its Gaussian posterior, the
encoder giving a mean and a spread that training draws from). Two departures, both for a 2-core CPU: the hidden
layers have 512 units, not 1000 (`hidden=1000` restores them; 512 runs about 2.8x faster and
reached a lower error in the same minute of training), and we train with Adam at one rate for
all phases instead of the paper's SGD with momentum and decaying rates, which needs hundreds of
epochs. Images are in [-1, 1], so the decoder ends in tanh rather than a sigmoid.

Settings of the decoder (issue 28, defaults as above): `recon_loss=bce` makes it the paper's
Bernoulli decoder (logits, binary cross entropy against (x + 1) / 2, images 2 sigmoid - 1),
`decoder=conv` swaps the MLP for the DCGAN-style conv generator of nets.py, `decoder_hidden` gives
the MLP decoder a width of its own, and `decoder_ema` draws from a moving average of it. For the
samples, width is what paid: 1,000 units in the decoder (or in every net) cut the FID by a quarter
at the same step, where the cross entropy, the conv decoder and the average made it worse
(checkpoints/README.md, "Issue 28").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from gan_playground import nets
from gan_playground.config import param
from gan_playground.data import DataSpec
from gan_playground.errors import ConfigError
from gan_playground.models.base import GANModel, _gen_device, eval_mode

PRIORS = ("gaussian", "mixture-10", "swiss-roll")


# ----------------------------------------------------------------------------------------------
# Priors p(z): the paper's 2-D figures (Figures 2 and 4). Beyond 2 dimensions the extra
# coordinates of the mixture and the roll are N(0, 1).

def sample_prior(prior: str, n: int, dim: int, *, generator: torch.Generator | None = None,
                 device: torch.device | str = "cpu") -> torch.Tensor:
    """n samples (n, dim) of `prior`: "gaussian" N(0, I), "mixture-10" or "swiss-roll"."""
    if generator is not None:
        device = generator.device
    z = torch.randn(n, dim, generator=generator, device=device)
    if prior == "gaussian" or dim < 2:
        return z
    if prior == "mixture-10":
        # 10 elongated gaussians on a circle of radius 4: std 1 along the radius, 0.25 across it.
        k = torch.randint(0, 10, (n,), generator=generator, device=device)
        angle = k.float() * (2 * math.pi / 10)
        radial, tangent = 4.0 + z[:, 0], 0.25 * z[:, 1]
        xy = torch.stack([radial * angle.cos() - tangent * angle.sin(),
                          radial * angle.sin() + tangent * angle.cos()], dim=1)
    elif prior == "swiss-roll":
        # A spiral of 1.5 turns, uniform along its length, radius 0..4, a little noise.
        u = torch.rand(n, generator=generator, device=device)
        t = 3 * math.pi * u.sqrt()
        r = 4.0 * t / (3 * math.pi)
        xy = torch.stack([r * t.cos(), r * t.sin()], dim=1) + 0.05 * z[:, :2]
    else:
        raise ConfigError(f"Unknown prior {prior!r}. Valid priors: {', '.join(PRIORS)}.")
    return torch.cat([xy, z[:, 2:]], dim=1)



# ----------------------------------------------------------------------------------------------
# Losses: small pure functions.

def reconstruction_loss(out: torch.Tensor, x: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """The reconstruction phase (section 2), per pixel, of the decoder's output `out` for images x.

    "mse": `out` is an image in [-1, 1], the loss |out - x|^2. "bce": `out` holds logits of a
    Bernoulli per pixel (the paper's MNIST decoders end in a sigmoid), the loss the binary cross
    entropy against the pixel's intensity (x + 1) / 2 in [0, 1]. Squared error is minimized by the
    mean of the digits an ambiguous code could be, a grey blur; the cross entropy's gradient on a
    logit, sigmoid(out) - target, does not vanish as a pixel nears black or white, which pushes
    the decoder to commit to a stroke.
    """
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(out, (x + 1) / 2)
    return F.mse_loss(out, x)


def decoder_image(out: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """The image in [-1, 1] that the decoder's output `out` stands for (see reconstruction_loss):
    itself for "mse", 2 sigmoid(logits) - 1 = tanh(logits / 2) for "bce"."""
    return torch.tanh(out / 2) if kind == "bce" else out


def discriminator_loss(disc: nn.Module, prior: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """Regularization phase, D's half (section 2, eq. 1): -log D(z_prior) - log(1 - D(q(z|x))).

    `code` is detached here: this loss trains D only. One D pass over both batches together:
    D scores each sample on its own, so this equals two passes, in fewer, larger ops.
    """
    d_prior, d_code = disc(torch.cat([prior, code.detach()])).chunk(2)
    return (F.binary_cross_entropy_with_logits(d_prior, torch.ones_like(d_prior))
            + F.binary_cross_entropy_with_logits(d_code, torch.zeros_like(d_code)))


def encoder_adversarial_loss(d_code: torch.Tensor) -> torch.Tensor:
    """Regularization phase, the encoder's half: -log D(q(z|x)) (the non-saturating form)."""
    return F.binary_cross_entropy_with_logits(d_code, torch.ones_like(d_code))


# ----------------------------------------------------------------------------------------------
# Settings. The decoder's settings (issue 28) are shared by all four AAEs: made by functions, so
# that each config class gets fields of its own. Their defaults are what every AAE did before.

def decoder_setting() -> str:
    return param("mlp", "the decoder: the paper's MLP, or a DCGAN-style conv generator (nets.conv_generator: "
                        "two 4x4 transposed convolutions with batch norm)", ui=False, before="mlp")


def decoder_width_setting() -> int:
    return param(64, "channels of the conv decoder (decoder=conv): 2w at 7x7, w at 14x14", low=4, high=1024,
                 ui=False)


def decoder_hidden_setting() -> int:
    return param(0, "units of each of the MLP decoder's two hidden layers (0: `hidden`, as every other net)",
                 low=0, high=8192, ui=False, before=0)


def recon_loss_setting() -> str:
    return param("mse", "the reconstruction loss: squared error of a tanh image, or binary cross entropy of "
                        "a sigmoid (Bernoulli) output, the paper's MNIST decoders", ui=False, before="mse")


def make_decoder(config, in_dim: int, shape: tuple[int, ...]) -> nn.Module:
    """The decoder (B, in_dim) -> (B, C, H, W): its last layer gives images in [-1, 1] (tanh) for
    recon_loss=mse, logits for recon_loss=bce (`decoder_image` turns them into images)."""
    out_act = "tanh" if config.recon_loss == "mse" else None
    if config.decoder == "conv":
        return nets.conv_generator(in_dim, shape, width=config.decoder_width, out_act=out_act)
    hidden = config.decoder_hidden or config.hidden
    return nn.Sequential(_mlp(in_dim, hidden, math.prod(shape), out_act), nets.Reshape(*shape))


@dataclass(frozen=True)
class AAEConfig:
    latent_dim: int = param(2, "size of the code z (2 lets the explorer draw it)", low=1, high=256)
    prior: Literal["gaussian", "mixture-10", "swiss-roll"] = param(
        "gaussian", "the prior p(z) the code is held to (the paper's figures 2 and 4)")
    hidden: int = param(512, "units of each of the two hidden layers of every net (paper: 1000)",
                        low=8, high=8192, ui=False)
    lr_recon: float = param(6e-4, "learning rate of the reconstruction phase (Adam)", low=1e-7, high=1.0)
    lr_reg: float = param(6e-4, "learning rate of the regularization phase, D and encoder (Adam)",
                          low=1e-7, high=1.0)
    betas: tuple[float, float] = param((0.5, 0.999), "Adam's beta1, beta2", low=0.0, high=0.9999)
    recon_weight: float = param(1.0, "weight of the reconstruction loss", low=0.0, high=1e4)
    reg_weight: float = param(1.0, "weight of the encoder's adversarial loss", low=0.0, high=1e4)
    decoder: Literal["mlp", "conv"] = decoder_setting()
    decoder_hidden: int = decoder_hidden_setting()
    decoder_width: int = decoder_width_setting()
    recon_loss: Literal["mse", "bce"] = recon_loss_setting()
    decoder_ema: float = param(0.0, "decay of a moving average of the decoder's weights that draws samples and "
                                    "reconstructs outside training (0: the decoder itself)", low=0.0, high=0.99999,
                               ui=False, before=0.0)
    posterior: Literal["deterministic", "gaussian"] = param(
        "deterministic", "q(z|x): a code per image, or a Gaussian whose mean and spread the encoder gives "
                         "(section 2.1); training draws from it, exploring reads its mean", ui=False,
        before="deterministic")


@dataclass(frozen=True)
class SupervisedAAEConfig(AAEConfig):
    latent_dim: int = param(8, "size of the style code z", low=1, high=256)
    label_to_disc: bool = param(True, "D_z also sees the one-hot label, D(z, y): the code of every class must "
                                      "match the prior, so z keeps the style and the label chooses the digit "
                                      "(off: the paper's D(z), Figure 6)", before=False)


# ----------------------------------------------------------------------------------------------
# The algorithms

def _mlp(n_in: int, hidden: int, n_out: int, out_act: str | None = None) -> nn.Sequential:
    """The paper's nets: n_in -> hidden -> hidden -> n_out, ReLU."""
    return nets.mlp([n_in, hidden, hidden, n_out], act="relu", out_act=out_act)


class AAE(GANModel):
    """Adversarial autoencoder (Makhzani et al. 2015): a GAN on the code holds q(z) to a prior."""

    name = "aae"
    family = "aae"
    Config = AAEConfig
    is_autoencoder = True
    adversaries = ("disc_z",)
    rate_settings = ("lr_recon", "lr_reg")
    loss_names = ("loss_recon", "loss_d_z", "loss_g_z")

    def __init__(self, *, config: AAEConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        self.build_networks()
        self.optimizers = self.make_optimizers()

    def build_networks(self) -> None:
        c, pixels = self.config, math.prod(self.data.shape)
        outputs = c.latent_dim * (2 if c.posterior == "gaussian" else 1)  # the code, or its mean and log spread
        self.encoder = nn.Sequential(nn.Flatten(), _mlp(pixels, c.hidden, outputs))  # (B, latent) or (B, 2 latent)
        self.decoder = make_decoder(c, c.latent_dim + self.condition_dim, self.data.shape)  # (B, C, H, W)
        self.disc_z = _mlp(c.latent_dim + self.disc_condition_dim, c.hidden, 1)  # a logit: z came from the prior
        self.track_average(c.decoder_ema)  # `decoder_ema`: the decoder's average draws outside training

    @property
    def generator(self) -> nn.Module:
        """The decoder: what draws the samples (and whose average `decoder_ema` keeps)."""
        return self.decoder

    @property
    def drawing_decoder(self) -> nn.Module:
        """The decoder that draws and reconstructs outside training: its average where one is kept."""
        return self.sampling_net

    @property
    def condition_dim(self) -> int:
        """Size of what the decoder gets beside z (the one-hot label of the supervised AAE)."""
        return 0

    @property
    def disc_condition_dim(self) -> int:
        """Size of what D_z gets beside z (the supervised AAE's label, with `label_to_disc`)."""
        return 0

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        return {"ae": torch.optim.Adam([*self.encoder.parameters(), *self.decoder.parameters()],
                                       lr=c.lr_recon, betas=c.betas),
                "d": torch.optim.Adam(self.disc_z.parameters(), lr=c.lr_reg, betas=c.betas),
                "g": torch.optim.Adam(self.encoder.parameters(), lr=c.lr_reg, betas=c.betas)}

    def random_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return sample_prior(self.config.prior, n, self.latent_dim, generator=generator,
                            device=_gen_device(generator, self.device))

    def decoder_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """What the decoder gets beside z, from class indices (B,) or class weights (B, K)."""
        return None

    def _decoder_out(self, z: torch.Tensor, cond: torch.Tensor | None, net: nn.Module | None = None) -> torch.Tensor:
        """The raw output of `net` (default: the decoder): images (recon_loss=mse) or logits (bce), (B, C, H, W)."""
        return (self.decoder if net is None else net)(z if cond is None else torch.cat([z, cond], dim=1))

    def _decode(self, z: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """Images in [-1, 1] (B, C, H, W), drawn outside training (by the decoder's average if kept)."""
        return decoder_image(self._decoder_out(z, cond, self.drawing_decoder), self.config.recon_loss)

    def code(self, x: torch.Tensor, *, draw: bool) -> torch.Tensor:
        """z (B, latent) of images x: the encoder's code, or with `posterior=gaussian` a draw of
        N(mean, spread^2) by the reparametrization trick (draw=True, training) or its mean."""
        out = self.encoder(x)
        if self.config.posterior != "gaussian":
            return out
        mean, log_spread = out.chunk(2, dim=1)
        if not draw:
            return mean
        noise = torch.randn(mean.shape, generator=self.rng, device=mean.device, dtype=mean.dtype)
        return mean + log_spread.clamp(-10.0, 2.0).exp() * noise

    def disc_input(self, y: torch.Tensor | None):
        """z -> what D_z judges: z itself, or [z, one-hot y] when D_z is told the label."""
        if not self.disc_condition_dim:
            return lambda z: z
        label = as_condition(y, self.disc_condition_dim)  # (B, K): a prior sample and a code get the same y
        return lambda z: torch.cat([z, label], dim=1)

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        c, opts = self.config, self.optimizers
        cond = self.decoder_condition(y, x.shape[0])
        seen = self.disc_input(y)  # what D_z sees: z, or [z, y] for the supervised AAE with label_to_disc

        # (1) Reconstruction phase: update encoder and decoder to minimize |x - dec(enc(x))|^2
        #     (or, with recon_loss=bce, the cross entropy of dec(enc(x))'s pixels).
        loss_recon = reconstruction_loss(self._decoder_out(self.code(x, draw=True), cond), x, c.recon_loss)
        opts["ae"].zero_grad(set_to_none=True)
        (c.recon_weight * loss_recon).backward()
        opts["ae"].step()
        self.update_average()  # the decoder's average (decoder_ema; nothing when off)

        # (2a) Regularization phase, D: maximize log D(z_prior) + log(1 - D(enc(x))).
        z_fake = self.code(x, draw=True)  # (B, latent)
        z_real = sample_prior(c.prior, x.shape[0], self.latent_dim, generator=self.rng)
        loss_d_z = discriminator_loss(self.disc_z, seen(z_real), seen(z_fake))
        opts["d"].zero_grad(set_to_none=True)
        loss_d_z.backward()
        opts["d"].step()

        # (2b) Regularization phase, encoder as generator: maximize log D(enc(x)).
        self.disc_z.requires_grad_(False)
        loss_g_z = encoder_adversarial_loss(self.disc_z(seen(z_fake)))
        opts["g"].zero_grad(set_to_none=True)
        (c.reg_weight * loss_g_z).backward()
        opts["g"].step()
        self.disc_z.requires_grad_(True)

        return {"loss_recon": loss_recon.detach(), "loss_d_z": loss_d_z.detach(), "loss_g_z": loss_g_z.detach()}

    # -- what the explorer uses ---------------------------------------------------------------
    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Codes z (N, latent) of images in [-1, 1]."""
        with eval_mode(self):
            return self.code(images.to(self.device), draw=False)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] from codes (and, for conditional models, classes or class weights)."""
        with eval_mode(self):
            latents = latents.to(self.device)
            y = None if y is None else y.to(self.device)
            return self._decode(latents, self.decoder_condition(y, latents.shape[0]))

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self._decode(z, self.decoder_condition(y, z.shape[0]))

    @torch.no_grad()
    def reconstruct(self, images: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """dec(enc(x)) for images in [-1, 1] (the supervised AAE also needs their labels)."""
        return self.decode(self.encode(images), y)

    # -- the live grid: inputs beside their reconstructions -------------------------------------
    def preview_inputs(self, real_x: torch.Tensor, real_y: torch.Tensor | None,
                       generator: torch.Generator) -> dict[str, torch.Tensor]:
        """The fixed real test batch (the first 64 test images), kept for every grid of the run."""
        inputs = {"x": real_x[:64], "nrow": torch.tensor(16)}
        if real_y is not None:
            inputs["y"] = real_y[:64]
        return inputs

    @torch.no_grad()
    def preview(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
        """Input, reconstruction, input, reconstruction...: 8 pairs per row of 16 images."""
        x = inputs["x"].to(self.device)
        rec = self.reconstruct(x, inputs.get("y"))
        return torch.stack([x, rec], dim=1).flatten(0, 1), int(inputs["nrow"])


class SupervisedAAE(AAE):
    """Supervised AAE (Makhzani et al. 2015, section 4): labels go to the decoder, z learns style."""

    name = "aae-supervised"
    Config = SupervisedAAEConfig
    needs_labels = True

    @property
    def condition_dim(self) -> int:
        return self.data.num_classes

    @property
    def num_conditions(self) -> int:
        return self.data.num_classes

    @property
    def disc_condition_dim(self) -> int:
        """With `label_to_disc`, D(z, y): q(z | y) must match p(z) for each class y, not only q(z) pooled
        over the classes. Not in the paper (its Figure 6 D sees z alone), whose D lets z carry the class:
        then the decoder learns to read the digit from z and ignores the label (bench/DEPARTURES.md)."""
        return self.data.num_classes if self.config.label_to_disc else 0

    def decoder_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        if y is None:
            raise ValueError(f"{self.name} decodes a code for a chosen class: pass y "
                             f"(class indices (N,) or class weights (N, {self.condition_dim})).")
        return as_condition(y, self.condition_dim)


def as_condition(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class indices (N,) -> one-hot (N, k); class weights (N, k) pass as they are."""
    if y.dim() == 2 and y.dtype.is_floating_point:
        return y
    return nets.one_hot(y, k)
