"""Adversarial autoencoders (Makhzani et al. 2015, "Adversarial Autoencoders", arXiv:1511.05644).

An autoencoder whose code is held to a prior by a GAN played in latent space: the encoder
q(z|x) is the GAN's generator, and a discriminator D tells codes z ~ q(z) from samples of the
prior p(z). Each mini-batch runs the paper's phases (section 2):

    reconstruction:  update encoder and decoder to minimize |x - dec(enc(x))|^2
    regularization:  update D to tell p(z) (real) from q(z) (fake), then the encoder to fool D
    (semi-supervised only) supervised: update q(y|x) by cross entropy on a labelled mini-batch

| name               | what the code holds                           | paper          |
|--------------------|-----------------------------------------------|----------------|
| aae                | z ~ gaussian, mixture of 10 gaussians, roll   | sections 2, 2.1|
| aae-supervised     | z = style; the one-hot label goes to the decoder | section 4   |
| aae-semisupervised | y ~ Cat(K) (softmax), z ~ N(0, I); N labels   | section 5      |
| aae-cluster        | y ~ Cat(K clusters), z ~ N(0, I); no labels   | section 6      |

Networks follow the paper's MNIST nets (appendix): MLPs with two hidden ReLU layers for the
encoder, the decoder and every discriminator; the encoder is deterministic (section 2.1, the
option the paper uses for its MNIST results). Two departures, both for a 2-core CPU: the hidden
layers have 512 units, not 1000 (`hidden=1000` restores them; 512 runs about 2.8x faster and
reached a lower error in the same minute of training), and we train with Adam at one rate for
all phases instead of the paper's SGD with momentum and decaying rates, which needs hundreds of
epochs. Images are in [-1, 1], so the decoder ends in tanh rather than a sigmoid.

The categorical AAEs offer one optional term beyond the paper (`info_weight`, off by default):
-I(x; y) = H(y|x) - H(y) (Krause et al. 2010) in the encoder's regularization loss. For the
clustering AAE the paper's losses alone let D_y win at once while q(y|x) stays soft (19.7%
accuracy after 210 s on a CPU); H(y|x) alone sent every image to one cluster (12.6% at 750
steps); with `info_weight=0.3 latent_dim=5`, 36% at 1,000 steps and 54% at 2,500 (16 clusters,
seed 0), still rising, and 76.8% after 36,000. A stronger term, `info_weight=1`, reached 81.6%
(seed 0; seeds 1-4: 76.3%, 69.2%, 77.3%, 68.9%).

Such runs err in different places, so the clustering AAE can also learn from earlier runs
(`teachers`): their consensus clustering of the training set (a cluster ensemble, see
`consensus_clusters`) becomes the labels of the semi-supervised AAE's phase (3). No label is
read anywhere. Taught by seven runs of that recipe (seeds 0-6, 69-82% each), a new run scored
87.6% after 12,000 steps, with seed 0 and seed 1 alike: the shipped checkpoints/aae-cluster-mnist
(its card lists all eight commands).

They also keep a moving average of the encoder's weights (`ema`, as the GANs do for their
generator), which classifies and encodes outside training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from gan_playground import nets
from gan_playground.config import param
from gan_playground.data import Dataset, DataSpec, normalize, random_shift
from gan_playground.errors import CheckpointError, ConfigError
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


def sample_categorical(n: int, k: int, *, device: torch.device | str = "cpu") -> torch.Tensor:
    """One-hot samples (n, k) of the uniform categorical prior Cat(k) (section 5)."""
    return F.one_hot(torch.randint(0, k, (n,), device=device), k).float()


# ----------------------------------------------------------------------------------------------
# Losses: small pure functions.

def reconstruction_loss(x_rec: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The reconstruction phase (section 2): mean squared error per pixel."""
    return F.mse_loss(x_rec, x)


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


def information_loss(class_logits: torch.Tensor) -> torch.Tensor:
    """-I(x; y) on a batch: H(y|x) - H(y), the mean entropy of q(y|x) minus that of its batch mean.

    Not in the AAE paper: an optional push toward confident (one-hot) and balanced outputs, which
    the categorical adversary D_y asks for only slowly (its gradients vanish once it wins). The
    mutual-information criterion of Krause et al. 2010 ("Discriminative clustering by regularized
    information maximization"); the marginal term keeps every input from going to one class.
    """
    logp = class_logits.log_softmax(1)  # (B, K)
    p = logp.exp()
    conditional = -(p * logp).sum(1).mean()
    mean = p.mean(0)  # (K,)
    marginal = -(mean * mean.clamp_min(1e-12).log()).sum()
    return conditional - marginal


def supervised_loss(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The semi-supervised phase (section 5): cross entropy of q(y|x) on labelled examples."""
    return F.cross_entropy(class_logits, labels)


# ----------------------------------------------------------------------------------------------
# Scores, shared with metrics.py: plain functions of predictions and labels.

def classification_error(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of wrong predictions (Table 2 of the paper reports it in percent)."""
    return (predicted.cpu() != labels.cpu()).float().mean().item()


def majority_mapping(clusters: torch.Tensor, labels: torch.Tensor, k: int, num_classes: int) -> torch.Tensor:
    """Each cluster's majority label (k,); a cluster with no members gets label 0."""
    counts = torch.zeros(k, num_classes, dtype=torch.long)
    counts.index_put_((clusters.cpu().long(), labels.cpu().long()), torch.ones(len(labels), dtype=torch.long),
                      accumulate=True)
    return counts.argmax(1)


def cluster_accuracy(clusters: torch.Tensor, labels: torch.Tensor, k: int, num_classes: int, *,
                     mapping: torch.Tensor | None = None) -> float:
    """Accuracy when each cluster takes one label: `mapping` (k,), else its members' majority.

    Section 6 evaluates clusterings this way (it labels each cluster by its most confident
    validation example; the majority of the members is the common, steadier variant).
    """
    if mapping is None:
        mapping = majority_mapping(clusters, labels, k, num_classes)
    return (mapping.cpu()[clusters.cpu().long()] == labels.cpu()).float().mean().item()


def consensus_clusters(assignments: torch.Tensor, k: int, *, seed: int, restarts: int = 100,
                       iters: int = 100) -> torch.Tensor:
    """One clustering (N,) into k clusters that agrees best with M clusterings (N, M) of one set.

    A cluster ensemble (Strehl and Ghosh 2002, "Cluster ensembles"): k-means on each example's
    M one-hot assignments side by side, so two examples share a cluster when most members put
    them together. Runs of the clustering AAE differ a lot from seed to seed (69-82% on MNIST)
    and err in different places; their consensus errs less. Lloyd's algorithm from `restarts`
    k-means++ starts (seeded), keeping the lowest within-cluster sum of squares. It runs on the
    distinct rows of `assignments`, weighted by their counts: a few thousand rather than N.
    """
    rows, inverse, counts = torch.unique(assignments.cpu().long(), dim=0, return_inverse=True,
                                         return_counts=True)
    if len(rows) <= k:  # as many distinct rows as clusters, or fewer: each its own
        return inverse
    sizes = (rows.max(0).values + 1).tolist()  # each member's number of clusters
    x = torch.cat([F.one_hot(rows[:, m], sizes[m]) for m in range(rows.shape[1])], 1).float()  # (U, sum)
    w = counts.float()
    gen = torch.Generator().manual_seed(seed)
    best, best_cost = None, math.inf
    for _ in range(restarts):
        centers = x[torch.multinomial(w, 1, generator=gen)]
        for _ in range(k - 1):  # k-means++: the next center far from those already picked
            d2 = torch.cdist(x, centers).min(1).values.square()
            centers = torch.cat([centers, x[torch.multinomial(w * d2 + 1e-12, 1, generator=gen)]])
        for _ in range(iters):
            nearest = torch.cdist(x, centers).argmin(1)
            mass = torch.zeros(k).index_add_(0, nearest, w)
            sums = torch.zeros_like(centers).index_add_(0, nearest, x * w[:, None])
            moved = torch.where(mass[:, None] > 0, sums / mass.clamp_min(1e-12)[:, None], centers)
            if torch.equal(moved, centers):
                break
            centers = moved
        nearest = torch.cdist(x, centers).argmin(1)
        cost = (w * (x - centers[nearest]).square().sum(1)).sum().item()
        if cost < best_cost:
            best, best_cost = nearest, cost
    return best[inverse]


@torch.no_grad()
def predict(model: "CategoricalAAE", images: torch.Tensor, *, batch: int = 2000) -> torch.Tensor:
    """model.classify over a whole set (uint8 or [-1, 1] images), in chunks: (N,) on the CPU."""
    out = []
    for chunk in images.split(batch):
        chunk = chunk.to(model.device)
        out.append(model.classify(chunk if chunk.dtype.is_floating_point else normalize(chunk)).cpu())
    return torch.cat(out)


# ----------------------------------------------------------------------------------------------
# Settings

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


@dataclass(frozen=True)
class SupervisedAAEConfig(AAEConfig):
    latent_dim: int = param(8, "size of the style code z", low=1, high=256)


@dataclass(frozen=True)
class SemiSupervisedAAEConfig:
    latent_dim: int = param(10, "size of the style code z (the class y is apart)", low=1, high=256)
    labels: Literal["100", "1000", "all"] = param(
        "100", "labelled training examples, balanced over the classes and fixed by the seed")
    hidden: int = param(512, "units of each of the two hidden layers of every net (paper: 1000)",
                        low=8, high=8192, ui=False)
    lr_recon: float = param(6e-4, "learning rate of the reconstruction phase (Adam)", low=1e-7, high=1.0)
    lr_reg: float = param(6e-4, "learning rate of the regularization phase, Ds and encoder (Adam)",
                          low=1e-7, high=1.0)
    lr_sup: float = param(1e-3, "learning rate of the supervised phase (Adam)", low=1e-7, high=1.0)
    betas: tuple[float, float] = param((0.5, 0.999), "Adam's beta1, beta2", low=0.0, high=0.9999)
    recon_weight: float = param(1.0, "weight of the reconstruction loss", low=0.0, high=1e4)
    reg_weight: float = param(1.0, "weight of the encoder's adversarial losses", low=0.0, high=1e4)
    sup_weight: float = param(1.0, "weight of the supervised cross entropy", low=0.0, high=1e4)
    shift: int = param(0, "augmentation: training images move by up to this many pixels, each its own "
                          "random way (0: off)", low=0, high=8)
    info_weight: float = param(0.0, "weight of -I(x; y) = H(y|x) - H(y) in the encoder's regularization "
                                    "loss: confident, balanced q(y|x) (0: the paper's AAE)", low=0.0, high=100.0)
    ema: float = param(0.999, "decay of the moving average of the encoder's weights that classifies and "
                              "encodes outside training (0: the encoder itself)", low=0.0, high=0.99999,
                       before=0.0)


@dataclass(frozen=True)
class ClusterAAEConfig:
    clusters: int = param(16, "number of clusters K (the categorical prior's size)", low=2, high=256)
    latent_dim: int = param(10, "size of the style code z (the cluster y is apart)", low=1, high=256)
    hidden: int = param(512, "units of each of the two hidden layers of every net (paper: 1000)",
                        low=8, high=8192, ui=False)
    lr_recon: float = param(6e-4, "learning rate of the reconstruction phase (Adam)", low=1e-7, high=1.0)
    lr_reg: float = param(6e-4, "learning rate of the regularization phase, Ds and encoder (Adam)",
                          low=1e-7, high=1.0)
    betas: tuple[float, float] = param((0.5, 0.999), "Adam's beta1, beta2", low=0.0, high=0.9999)
    recon_weight: float = param(1.0, "weight of the reconstruction loss", low=0.0, high=1e4)
    reg_weight: float = param(1.0, "weight of the encoder's adversarial losses", low=0.0, high=1e4)
    shift: int = param(0, "augmentation: training images move by up to this many pixels, each its own "
                          "random way (0: off)", low=0, high=8)
    info_weight: float = param(0.0, "weight of -I(x; y) = H(y|x) - H(y) in the encoder's regularization "
                                    "loss: confident, balanced q(y|x) (0: the paper's AAE)", low=0.0, high=100.0)
    ema: float = param(0.999, "decay of the moving average of the encoder's weights that classifies and "
                              "encodes outside training (0: the encoder itself)", low=0.0, high=0.99999,
                       before=0.0)
    teachers: str = param("", "comma-separated folders of finished aae-cluster runs on the same data: q(y|x) "
                              "also learns their consensus clustering of the training set (empty: off)", ui=False)
    lr_sup: float = param(1e-3, "learning rate of the phase that teaches the teachers' consensus (Adam)",
                          low=1e-7, high=1.0, ui=False)
    sup_weight: float = param(1.0, "weight of the cross entropy to the teachers' consensus", low=0.0, high=1e4,
                              ui=False)


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
    loss_names = ("loss_recon", "loss_d_z", "loss_g_z")

    def __init__(self, *, config: AAEConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        self.build_networks()
        self.optimizers = self.make_optimizers()

    def build_networks(self) -> None:
        c, pixels = self.config, math.prod(self.data.shape)
        self.encoder = nn.Sequential(nn.Flatten(), _mlp(pixels, c.hidden, c.latent_dim))  # (B, latent)
        self.decoder = nn.Sequential(_mlp(c.latent_dim + self.condition_dim, c.hidden, pixels, "tanh"),
                                     nets.Reshape(*self.data.shape))  # (B, C, H, W)
        self.disc_z = _mlp(c.latent_dim, c.hidden, 1)  # a logit: z came from the prior

    @property
    def condition_dim(self) -> int:
        """Size of what the decoder gets beside z (the one-hot label of the supervised AAE)."""
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

    def _decode(self, z: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return self.decoder(z if cond is None else torch.cat([z, cond], dim=1))

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        c, opts = self.config, self.optimizers
        cond = self.decoder_condition(y, x.shape[0])

        # (1) Reconstruction phase: update encoder and decoder to minimize |x - dec(enc(x))|^2.
        loss_recon = reconstruction_loss(self._decode(self.encoder(x), cond), x)
        opts["ae"].zero_grad(set_to_none=True)
        (c.recon_weight * loss_recon).backward()
        opts["ae"].step()

        # (2a) Regularization phase, D: maximize log D(z_prior) + log(1 - D(enc(x))).
        z_fake = self.encoder(x)  # (B, latent)
        z_real = sample_prior(c.prior, x.shape[0], self.latent_dim, device=x.device)
        loss_d_z = discriminator_loss(self.disc_z, z_real, z_fake)
        opts["d"].zero_grad(set_to_none=True)
        loss_d_z.backward()
        opts["d"].step()

        # (2b) Regularization phase, encoder as generator: maximize log D(enc(x)).
        self.disc_z.requires_grad_(False)
        loss_g_z = encoder_adversarial_loss(self.disc_z(z_fake))
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
            return self.encoder(images.to(self.device))

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

    def decoder_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        if y is None:
            raise ValueError(f"{self.name} decodes a code for a chosen class: pass y "
                             f"(class indices (N,) or class weights (N, {self.condition_dim})).")
        return _one_hot(y, self.condition_dim)


def _one_hot(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class indices (N,) -> one-hot (N, k); class weights (N, k) pass as they are."""
    if y.dim() == 2 and y.dtype.is_floating_point:
        return y
    return F.one_hot(y.long(), k).float()


class CategoricalAAE(AAE):
    """Base of the semi-supervised and clustering AAEs (sections 5 and 6).

    The encoder has two heads on one trunk: a class y = softmax(logits) held to a categorical
    prior by D_y, and a style z held to N(0, I) by D_z. The decoder sees [z, y].
    """

    adversaries = ("disc_z", "disc_y")
    loss_names = ("loss_recon", "loss_d_z", "loss_d_y", "loss_g_z", "loss_g_y", "loss_info")

    def __init__(self, *, config, data: DataSpec):
        super().__init__(config=config, data=data)
        # What the supervised phase learns from, on the device (not saved): set by `teach`.
        self._taught_x: torch.Tensor | None = None
        self._taught_y: torch.Tensor | None = None

    @property
    def has_supervised_phase(self) -> bool:
        """Whether each step ends with phase (3), cross entropy on examples given to `teach`."""
        return False

    def build_networks(self) -> None:
        c, pixels, k = self.config, math.prod(self.data.shape), self.num_conditions
        self.encoder_trunk = nn.Sequential(nn.Flatten(), _mlp(pixels, c.hidden, c.hidden, "relu"))  # (B, hidden)
        self.to_style = nn.Linear(c.hidden, c.latent_dim)  # z: (B, latent)
        self.to_class = nn.Linear(c.hidden, k)  # logits of q(y|x): (B, K)
        self.decoder = nn.Sequential(_mlp(c.latent_dim + k, c.hidden, pixels, "tanh"),
                                     nets.Reshape(*self.data.shape))  # (B, C, H, W)
        self.disc_z = _mlp(c.latent_dim, c.hidden, 1)  # a logit: z came from N(0, I)
        self.disc_y = _mlp(k, c.hidden, 1)  # a logit: y is a one-hot sample of Cat(K)
        # The encoder's parts as one module, kept outside the module tree (their weights are
        # saved once, under their own names): what `track_average` copies and averages.
        object.__setattr__(self, "_encoder", nn.ModuleDict(
            {"encoder_trunk": self.encoder_trunk, "to_style": self.to_style, "to_class": self.to_class}))
        self.track_average(c.ema)

    @property
    def generator(self) -> nn.ModuleDict:
        """The encoder: in an AAE it is the adversarial game's generator (of codes and classes).

        Its moving average (`ema`) classifies, clusters and encodes outside training: the same
        smoothing of a generator that oscillates around the game's equilibrium as for the GANs,
        and it cut the semi-supervised test error from 4.70% to 3.17% after 10,000 steps.
        """
        return self._encoder

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        encoder = [*self.encoder_trunk.parameters(), *self.to_style.parameters(), *self.to_class.parameters()]
        opts = {"ae": torch.optim.Adam([*encoder, *self.decoder.parameters()], lr=c.lr_recon, betas=c.betas),
                "d": torch.optim.Adam([*self.disc_z.parameters(), *self.disc_y.parameters()],
                                      lr=c.lr_reg, betas=c.betas),
                "g": torch.optim.Adam(encoder, lr=c.lr_reg, betas=c.betas)}
        if self.has_supervised_phase:
            opts["sup"] = torch.optim.Adam([*self.encoder_trunk.parameters(), *self.to_class.parameters()],
                                           lr=c.lr_sup, betas=c.betas)
        return opts

    def random_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return sample_prior("gaussian", n, self.latent_dim, generator=generator,
                            device=_gen_device(generator, self.device))

    def _encode(self, x: torch.Tensor, enc: nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """z (B, latent) and class logits (B, K) by `enc`: the encoder (default) or its average."""
        enc = self.generator if enc is None else enc
        h = enc.encoder_trunk(x)
        return enc.to_style(h), enc.to_class(h)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """Training images as the phases see them: randomly shifted by up to `shift` pixels."""
        return random_shift(x, self.config.shift)

    def decoder_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        if y is None:
            raise ValueError(f"{self.name} decodes a style for a chosen class or cluster: pass y "
                             f"(indices (N,) or weights (N, {self.num_conditions})).")
        return _one_hot(y, self.num_conditions)

    def adversarial_phases(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Phases (1) and (2) of sections 5 and 6 on an unlabelled batch x."""
        c, opts, k = self.config, self.optimizers, self.num_conditions

        # (1) Reconstruction phase: update encoder and decoder to minimize |x - dec(z, y)|^2,
        #     with z, logits = enc(x) and y = softmax(logits).
        x = self.augment(x)
        z, logits = self._encode(x)
        loss_recon = reconstruction_loss(self._decode(z, logits.softmax(1)), x)
        opts["ae"].zero_grad(set_to_none=True)
        (c.recon_weight * loss_recon).backward()
        opts["ae"].step()

        # (2a) Regularization phase, the two discriminators: D_z tells N(0, I) from q(z|x),
        #      D_y tells one-hot samples of Cat(K) from the softmax q(y|x).
        z_fake, logits = self._encode(x)
        y_fake = logits.softmax(1)
        z_real = torch.randn_like(z_fake)
        y_real = sample_categorical(x.shape[0], k, device=x.device)
        loss_d_z = discriminator_loss(self.disc_z, z_real, z_fake)
        loss_d_y = discriminator_loss(self.disc_y, y_real, y_fake)
        opts["d"].zero_grad(set_to_none=True)
        (loss_d_z + loss_d_y).backward()
        opts["d"].step()

        # (2b) Regularization phase, the encoder as generator of both: maximize log D_z(z) + log D_y(y).
        self.disc_z.requires_grad_(False)
        self.disc_y.requires_grad_(False)
        loss_g_z = encoder_adversarial_loss(self.disc_z(z_fake))
        loss_g_y = encoder_adversarial_loss(self.disc_y(y_fake))
        loss_info = information_loss(logits)  # optional, not the paper's: see information_loss
        opts["g"].zero_grad(set_to_none=True)
        (c.reg_weight * (loss_g_z + loss_g_y) + c.info_weight * loss_info).backward()
        opts["g"].step()
        self.disc_z.requires_grad_(True)
        self.disc_y.requires_grad_(True)

        return {"loss_recon": loss_recon.detach(), "loss_d_z": loss_d_z.detach(), "loss_d_y": loss_d_y.detach(),
                "loss_g_z": loss_g_z.detach(), "loss_g_y": loss_g_y.detach(), "loss_info": loss_info.detach()}

    def teach(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Give the supervised phase its examples: images (N, C, H, W) and their classes (N,)."""
        self._taught_x = images.to(self.device)
        self._taught_y = labels.to(self.device).long()

    def labelled_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """n random taught examples (with replacement), normalized, on the device."""
        if self._taught_x is None:
            raise RuntimeError(f"{self.name} needs attach_data(dataset, seed) before training.")
        pick = torch.randint(0, self._taught_x.shape[0], (n,), device=self._taught_x.device)
        x = self._taught_x[pick]
        return (x if x.dtype.is_floating_point else normalize(x)), self._taught_y[pick]

    def supervised_phase(self, n: int) -> torch.Tensor:
        """Phase (3) of section 5: update q(y|x) to minimize -log q(y_n | x_n) on n taught examples."""
        x_l, y_l = self.labelled_batch(n)
        loss = supervised_loss(self._encode(self.augment(x_l))[1], y_l)
        self.optimizers["sup"].zero_grad(set_to_none=True)
        (self.config.sup_weight * loss).backward()
        self.optimizers["sup"].step()
        return loss.detach()

    def train_step(self, x: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        losses = self.adversarial_phases(x)  # phases (1) and (2); the batch's own labels are unused
        if self.has_supervised_phase:
            losses["loss_supervised"] = self.supervised_phase(x.shape[0])
        self.update_average()
        return losses

    # -- what the explorer uses ---------------------------------------------------------------
    @torch.no_grad()
    def _encode_outside_training(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z and class logits of images in [-1, 1], by the encoder's average where one is kept.

        The one way in for everything outside training, so that none of it reads the live encoder.
        """
        with eval_mode(self):
            return self._encode(images.to(self.device), self.sampling_net)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """The style z (N, latent) of images in [-1, 1]; `classify` gives their class."""
        return self._encode_outside_training(images)[0]

    def class_probs(self, images: torch.Tensor) -> torch.Tensor:
        """q(y|x) (N, K) for images in [-1, 1]."""
        return self._encode_outside_training(images)[1].softmax(1)

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted class (or cluster) indices (N,), a LongTensor."""
        return self.class_probs(images).argmax(1)

    def reconstruct(self, images: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """dec(z, q(y|x)): the encoder's own class weights, whatever `y` says."""
        z, logits = self._encode_outside_training(images)
        return self.decode(z, logits.softmax(1))

    @property
    def num_conditions(self) -> int:
        raise NotImplementedError


class SemiSupervisedAAE(CategoricalAAE):
    """Semi-supervised AAE (Makhzani et al. 2015, section 5): class y and style z; N labels."""

    name = "aae-semisupervised"
    Config = SemiSupervisedAAEConfig
    needs_labels = True
    loss_names = (*CategoricalAAE.loss_names, "loss_supervised")

    def __init__(self, *, config: SemiSupervisedAAEConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        n = 0 if config.labels == "all" else int(config.labels)
        # The labelled subset's indices into the training set, -1 until `attach_data` picks them.
        # A buffer, so a checkpoint keeps the subset; empty for labels=all.
        self.register_buffer("labelled_index", torch.full((n,), -1, dtype=torch.long))

    @property
    def has_supervised_phase(self) -> bool:
        return True

    @property
    def num_conditions(self) -> int:
        return self.data.num_classes

    def attach_data(self, dataset: Dataset, seed: int) -> None:
        """Teach the labelled subset (picked here unless a checkpoint did), or the whole set."""
        if dataset.train_labels is None:
            raise ConfigError(f"{self.name} needs labelled data.")
        n = self.labelled_index.numel()
        if n and bool((self.labelled_index < 0).all()):
            picked = balanced_subset(dataset.train_labels, n, self.num_conditions, seed)
            self.labelled_index.copy_(picked.to(self.labelled_index.device))
        if n:
            index = self.labelled_index.cpu()
            self.teach(dataset.train[index], dataset.train_labels[index])
        else:
            self.teach(dataset.train, dataset.train_labels)

    def scores(self, dataset: Dataset) -> dict[str, float]:
        """Test classification error (Table 2 of the paper), a fraction."""
        return {"test_error": classification_error(predict(self, dataset.test), dataset.test_labels)}


class ClusterAAE(CategoricalAAE):
    """Clustering AAE (Makhzani et al. 2015, section 6): K clusters and a style, no labels.

    With `teachers` (finished runs of this model on the same data), each step also has the
    semi-supervised AAE's phase (3), its labels the teachers' consensus clustering of the
    training set (`consensus_clusters`); its loss is logged as loss_supervised. Still no labels:
    the teachers never saw any either.
    """

    name = "aae-cluster"
    Config = ClusterAAEConfig

    def __init__(self, *, config: ClusterAAEConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        self._teacher_runs: list[dict[str, str]] = []  # each teacher's folder and command, for the card
        self._consensus: torch.Tensor | None = None  # the teachers' clustering of the training set (N,)

    @property
    def num_conditions(self) -> int:
        return self.config.clusters

    @property
    def teacher_folders(self) -> list[str]:
        return [f.strip() for f in self.config.teachers.split(",") if f.strip()]

    @property
    def has_supervised_phase(self) -> bool:
        return bool(self.teacher_folders)

    def attach_data(self, dataset: Dataset, seed: int) -> None:
        """With teachers: teach their consensus, worked out once per model (reading the teachers
        takes seconds; a resume works it out again). Each call places the taught data anew, on the
        model's device of the moment (`zerogpu.move_run` calls this after a move)."""
        if not self.has_supervised_phase:
            return
        if self._consensus is None:
            self._consensus = self.teachers_consensus(dataset, seed)
        self.teach(dataset.train, self._consensus)

    def teachers_consensus(self, dataset: Dataset, seed: int) -> torch.Tensor:
        """The teachers' consensus clustering of the training set into K clusters: (N,)."""
        from gan_playground.checkpoints import load_checkpoint  # checkpoints imports this module

        assignments, self._teacher_runs = [], []
        for folder in self.teacher_folders:
            try:
                loaded = load_checkpoint(folder, device=self.device)
            except CheckpointError as err:
                raise CheckpointError(f"teachers: {err}") from None
            teacher = loaded.model
            if teacher.name != self.name:
                raise ConfigError(f"teachers: {folder} is not an {self.name} run (it holds {teacher.name}); "
                                  f"teachers are runs of this model, which learned without labels.")
            if loaded.run.dataset != dataset.name:
                raise ConfigError(f"teachers: {folder} learned {loaded.run.dataset}; this run trains on "
                                  f"{dataset.name}.")
            assignments.append(predict(teacher, dataset.train))
            command = f"{loaded.config.get('command', '')} --out {folder}"
            self._teacher_runs.append({"folder": folder, "command": command})
        return consensus_clusters(torch.stack(assignments, 1), self.num_conditions, seed=seed)

    def provenance(self) -> dict[str, Any]:
        return {"teachers": self._teacher_runs} if self._teacher_runs else {}

    def scores(self, dataset: Dataset) -> dict[str, float]:
        """Test accuracy when each cluster takes the majority label of its training members."""
        if dataset.test_labels is None or dataset.train_labels is None:
            return {}
        mapping = majority_mapping(predict(self, dataset.train), dataset.train_labels,
                                   self.num_conditions, len(dataset.classes))
        return {"cluster_accuracy": cluster_accuracy(predict(self, dataset.test), dataset.test_labels,
                                                     self.num_conditions, len(dataset.classes), mapping=mapping)}


def balanced_subset(labels: torch.Tensor, n: int, num_classes: int, seed: int) -> torch.Tensor:
    """n indices with (about) n / K of each class, drawn at random with `seed`; sorted. (n,)"""
    gen = torch.Generator().manual_seed(seed)
    labels = labels.cpu()
    picked = []
    for c in range(num_classes):
        want = n // num_classes + (1 if c < n % num_classes else 0)
        members = (labels == c).nonzero().squeeze(1)
        if len(members) < want:
            raise ConfigError(f"labels={n} needs {want} examples of class {c}; the data set has {len(members)}.")
        picked.append(members[torch.randperm(len(members), generator=gen)[:want]])
    return torch.cat(picked).sort().values
