"""The categorical adversarial autoencoders (Makhzani et al. 2015, sections 5 and 6).

The encoder has two heads on one trunk: a class y = softmax(logits) held to a categorical prior
Cat(K) by a discriminator D_y, and a style z held to N(0, I) by D_z; the decoder sees [z, y].
Each mini-batch runs the phases of `aae.py` for both codes, and (semi-supervised AAE, or a
clustering AAE with teachers) phase (3): cross entropy of q(y|x) on a labelled mini-batch.

    aae-semisupervised  y ~ Cat(K classes), z ~ N(0, I); N labels       section 5
    aae-cluster         y ~ Cat(K clusters), z ~ N(0, I); no labels     section 6

Both offer one optional term beyond the paper (`info_weight`, off by default): -I(x; y) =
H(y|x) - H(y) (Krause et al. 2010) in the encoder's regularization loss. For the clustering AAE
the paper's losses alone let D_y win at once while q(y|x) stays soft, and H(y|x) alone sends every
image to one cluster; the full term (-H(y) keeps the clusters used evenly) makes sharp, balanced
clusters.

Such runs err in different places, so the clustering AAE can also learn from earlier runs
(`teachers`): their consensus clustering of the training set (`gan_playground.teachers`) becomes
the labels of the semi-supervised AAE's phase (3). No label is read anywhere. The runs that chose
both, and what each scored: bench/DEPARTURES.md.

They also keep a moving average of the encoder's weights (`ema`, as the GANs do for their
generator), which classifies and encodes outside training.

With `shift` the encoder sees each image moved by a few pixels (the classifier learns from it),
and the decoder redraws the original, centred image unless `redraw_shifted`: redrawing the moved
one made the style code hold the place, and the semi-supervised AAE's samples an average of
places (FID 89 against 66 at the same step; checkpoints/README.md, "Issue 28, second pass").
`shift_unlabelled=false` keeps the shift for the labelled examples of the supervised phase alone:
the autoencoder then redraws each digit from the digit itself, not from a moved copy, and draws
sharper (checkpoints/README.md, "Issue 28, third pass").
With one trunk, the supervised phase (which teaches it to see past the shift) and the class's own
losses move the features the style is read from, and the decoder redraws blurrier digits:
`style_trunk` gives the style a trunk of its own, which only the autoencoder's phases train
(the semi-supervised AAE's FID 25 -> about 10; checkpoints/README.md, "Issue 28, sixth pass").
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
from gan_playground.errors import ConfigError
from gan_playground.metrics import classification_error, cluster_accuracy
from gan_playground.models.aae import (
    AAE,
    _mlp,
    as_condition,
    decoder_hidden_setting,
    decoder_setting,
    decoder_width_setting,
    discriminator_loss,
    encoder_adversarial_loss,
    make_decoder,
    recon_loss_setting,
    reconstruction_loss,
    sample_prior,
)
from gan_playground.models.base import _gen_device, eval_mode


def sample_categorical(n: int, k: int, *, generator: torch.Generator | None = None,
                       device: torch.device | str = "cpu") -> torch.Tensor:
    """One-hot samples (n, k) of the uniform categorical prior Cat(k) (section 5)."""
    if generator is not None:
        device = generator.device
    return nets.one_hot(torch.randint(0, k, (n,), generator=generator, device=device), k)


# ----------------------------------------------------------------------------------------------
# Losses beyond aae.py's: small pure functions.

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
# Settings

@dataclass(frozen=True)
class CategoricalAAEConfig:
    """What both categorical AAEs share. Each model's own first settings sit in a small base of
    their own (`_SemiSupervisedFirst`, `_ClusterFirst`): a dataclass lists its bases' fields before
    its own, and so the settings keep the order they had (the UI's controls, the cards' commands)."""

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
    redraw_shifted: bool = param(False, "with shift: the decoder redraws the shifted image the encoder saw (off: "
                                        "the original, centred one, so the style code need not spend its room on "
                                        "where the digit sits)", ui=False, before=True)
    shift_unlabelled: bool = param(True, "with shift: the autoencoder's phases see shifted images too (off: only "
                                         "the labelled examples of the supervised phase are shifted)", ui=False,
                                   before=True)
    info_weight: float = param(0.0, "weight of -I(x; y) = H(y|x) - H(y) in the encoder's regularization "
                                    "loss: confident, balanced q(y|x) (0: the paper's AAE)", low=0.0, high=100.0)
    ema: float = param(0.999, "decay of the moving average of the encoder's weights that classifies and "
                              "encodes outside training (0: the encoder itself)", low=0.0, high=0.99999,
                       before=0.0)
    style_trunk: bool = param(False, "the style z comes from a trunk of its own, which only the autoencoder's phases "
                                     "train (off: the paper's one trunk, shared with the class head, whose supervised "
                                     "phase moves the features the style is read from)", ui=False)
    class_to_disc: bool = param(False, "D_z also sees the encoder's class belief y (detached), D(z, y): the style "
                                       "of each class must match the prior, so z cannot carry the class and the "
                                       "chosen class draws its digit (off: the paper's D(z))", before=False)
    decoder: Literal["mlp", "conv"] = decoder_setting()
    decoder_hidden: int = decoder_hidden_setting()
    decoder_width: int = decoder_width_setting()
    recon_loss: Literal["mse", "bce"] = recon_loss_setting()


@dataclass(frozen=True)
class _SemiSupervisedFirst:
    latent_dim: int = param(10, "size of the style code z (the class y is apart)", low=1, high=256)
    labels: Literal["100", "1000", "all"] = param(
        "100", "labelled training examples, balanced over the classes and fixed by the seed")


@dataclass(frozen=True)
class SemiSupervisedAAEConfig(CategoricalAAEConfig, _SemiSupervisedFirst):
    pass


@dataclass(frozen=True)
class _ClusterFirst:
    clusters: int = param(16, "number of clusters K (the categorical prior's size)", low=2, high=256)
    latent_dim: int = param(10, "size of the style code z (the cluster y is apart)", low=1, high=256)


@dataclass(frozen=True)
class ClusterAAEConfig(CategoricalAAEConfig, _ClusterFirst):
    lr_sup: float = param(1e-3, "learning rate of the phase that teaches the teachers' consensus (Adam)",
                          low=1e-7, high=1.0, ui=False)
    sup_weight: float = param(1.0, "weight of the cross entropy to the teachers' consensus", low=0.0, high=1e4,
                              ui=False)
    teachers: str = param("", "comma-separated folders of finished aae-cluster runs on the same data: q(y|x) "
                              "also learns their consensus clustering of the training set (empty: off)", ui=False)


# ----------------------------------------------------------------------------------------------
# The algorithms

class CategoricalAAE(AAE):
    """Base of the semi-supervised and clustering AAEs (sections 5 and 6).

    The encoder has two heads on one trunk (or, with `style_trunk`, the style on a trunk of its
    own): a class y = softmax(logits) held to a categorical prior by D_y, and a style z held to
    N(0, I) by D_z. The decoder sees [z, y].
    """

    adversaries = ("disc_z", "disc_y")
    rate_settings = ("lr_recon", "lr_reg", "lr_sup")
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
        def trunk() -> nn.Module:
            return nn.Sequential(nn.Flatten(), _mlp(pixels, c.hidden, c.hidden, "relu"))  # (B, hidden)

        self.encoder_trunk = trunk()
        # style_trunk: z from a trunk of its own, which only the autoencoder's phases train.
        self.style_trunk = trunk() if c.style_trunk else None
        self.to_style = nn.Linear(c.hidden, c.latent_dim)  # z: (B, latent)
        self.to_class = nn.Linear(c.hidden, k)  # logits of q(y|x): (B, K)
        self.decoder = make_decoder(c, c.latent_dim + k, self.data.shape)  # (B, C, H, W)
        self.disc_z = _mlp(c.latent_dim + (k if c.class_to_disc else 0), c.hidden, 1)  # a logit: z came from N(0, I)
        self.disc_y = _mlp(k, c.hidden, 1)  # a logit: y is a one-hot sample of Cat(K)
        # The encoder's parts as one module, kept outside the module tree (their weights are
        # saved once, under their own names): what `track_average` copies and averages.
        parts = {"encoder_trunk": self.encoder_trunk, "to_style": self.to_style, "to_class": self.to_class}
        if self.style_trunk is not None:
            parts["style_trunk"] = self.style_trunk
        object.__setattr__(self, "_encoder", nn.ModuleDict(parts))
        self.track_average(c.ema)

    @property
    def generator(self) -> nn.ModuleDict:
        """The encoder: in an AAE it is the adversarial game's generator (of codes and classes).

        Its moving average (`ema`) classifies, clusters and encodes outside training: the same
        smoothing of a generator that oscillates around the game's equilibrium as for the GANs
        (what it gains: bench/DEPARTURES.md).
        """
        return self._encoder

    @property
    def drawing_decoder(self) -> nn.Module:
        """The decoder itself: here the moving average (`ema`) is the encoder's."""
        return self.decoder

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.config
        encoder = list(self.generator.parameters())
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
        return enc.to_style(enc.style_trunk(x) if self.config.style_trunk else h), enc.to_class(h)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """Training images as the phases see them: randomly shifted by up to `shift` pixels."""
        return random_shift(x, self.config.shift, generator=self.rng)

    def decoder_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        if y is None:
            raise ValueError(f"{self.name} decodes a style for a chosen class or cluster: pass y "
                             f"(indices (N,) or weights (N, {self.num_conditions})).")
        return as_condition(y, self.num_conditions)

    def adversarial_phases(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Phases (1) and (2) of sections 5 and 6 on an unlabelled batch x."""
        c, opts, k = self.config, self.optimizers, self.num_conditions

        # (1) Reconstruction phase: update encoder and decoder to minimize |x - dec(z, y)|^2,
        #     with z, logits = enc(x) and y = softmax(logits); x shifted (`shift`, unless
        #     `shift_unlabelled` is off), and the target either that x or, without `redraw_shifted`,
        #     the original.
        original, x = x, (self.augment(x) if c.shift_unlabelled else x)
        target = x if c.redraw_shifted else original
        z, logits = self._encode(x)
        loss_recon = reconstruction_loss(self._decoder_out(z, logits.softmax(1)), target, c.recon_loss)
        opts["ae"].zero_grad(set_to_none=True)
        (c.recon_weight * loss_recon).backward()
        opts["ae"].step()

        # (2a) Regularization phase, the two discriminators: D_z tells N(0, I) from q(z|x),
        #      D_y tells one-hot samples of Cat(K) from the softmax q(y|x).
        z_fake, logits = self._encode(x)
        y_fake = logits.softmax(1)
        z_real = self.random_latents(x.shape[0], self.rng)  # (B, latent)
        y_real = sample_categorical(x.shape[0], k, generator=self.rng)  # (B, K)
        # class_to_disc: D_z judges (z, y) with each image's own class belief y beside the code and beside
        # the prior sample it is compared with: q(z | y) must match N(0, I) for every class, not only
        # pooled. Detached: D_z must not teach the class head.
        seen = (lambda code: torch.cat([code, y_fake.detach()], dim=1)) if c.class_to_disc else (lambda code: code)
        self.observe_classes(y_fake.detach())
        loss_d_z = discriminator_loss(self.disc_z, seen(z_real), seen(z_fake))
        loss_d_y = discriminator_loss(self.disc_y, y_real, y_fake)
        opts["d"].zero_grad(set_to_none=True)
        (loss_d_z + loss_d_y).backward()
        opts["d"].step()

        # (2b) Regularization phase, the encoder as generator of both: maximize log D_z(z) + log D_y(y).
        self.disc_z.requires_grad_(False)
        self.disc_y.requires_grad_(False)
        loss_g_z = encoder_adversarial_loss(self.disc_z(seen(z_fake)))
        loss_g_y = encoder_adversarial_loss(self.disc_y(y_fake))
        loss_info = information_loss(logits)  # optional, not the paper's: see information_loss
        opts["g"].zero_grad(set_to_none=True)
        (c.reg_weight * (loss_g_z + loss_g_y) + c.info_weight * loss_info).backward()
        opts["g"].step()
        self.disc_z.requires_grad_(True)
        self.disc_y.requires_grad_(True)

        return {"loss_recon": loss_recon.detach(), "loss_d_z": loss_d_z.detach(), "loss_d_y": loss_d_y.detach(),
                "loss_g_z": loss_g_z.detach(), "loss_g_y": loss_g_y.detach(), "loss_info": loss_info.detach()}

    def observe_classes(self, class_probs: torch.Tensor) -> None:
        """Each training batch's q(y|x) (B, K), after the reconstruction phase: nothing to do here
        (the clustering AAE counts its clusters)."""

    def teach(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Give the supervised phase its examples: images (N, C, H, W) and their classes (N,)."""
        self._taught_x = images.to(self.device)
        self._taught_y = labels.to(self.device).long()

    def labelled_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """n random taught examples (with replacement), normalized, on the device."""
        if self._taught_x is None:
            raise RuntimeError(f"{self.name} needs attach_data(dataset, seed) before training.")
        pick = torch.randint(0, self._taught_x.shape[0], (n,), generator=self.rng, device=self.rng.device)
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
    training set (`gan_playground.teachers`, which `prepare_run` asks before `attach_data`); its
    loss is logged as loss_supervised. Still no labels: the teachers never saw any either.
    """

    name = "aae-cluster"
    Config = ClusterAAEConfig
    added_buffers = ("cluster_shares",)
    shares_decay = 0.999  # of the running cluster shares: mostly the last few thousand batches

    def __init__(self, *, config: ClusterAAEConfig, data: DataSpec):
        super().__init__(config=config, data=data)
        self._teacher_runs: list[dict[str, str]] = []  # each teacher's folder and command, for the card
        self._consensus: torch.Tensor | None = None  # the teachers' clustering of the training set (N,)
        # The share of the training images in each cluster, a running average over training batches
        # (as batch norm keeps its statistics) that starts at 0, so only its proportions count (no
        # start-up bias): what sampling draws clusters by. All 0 before training, and in folders saved
        # before it was kept: then sampling draws the clusters uniformly, the paper's Cat(K).
        self.register_buffer("cluster_shares", torch.zeros(config.clusters))

    @property
    def num_conditions(self) -> int:
        return self.config.clusters

    @torch.no_grad()
    def observe_classes(self, class_probs: torch.Tensor) -> None:
        """Count each image of the batch in its most likely cluster, into the running `cluster_shares`
        (by comparison, not torch.bincount, which reads the indices' range off a GPU: no host read)."""
        batch_shares = nets.one_hot(class_probs.argmax(1), self.num_conditions).mean(0)  # (K,)
        self.cluster_shares.lerp_(batch_shares, 1 - self.shares_decay)

    def random_conditions(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Clusters drawn in their shares of the training images (`cluster_shares`), not uniformly.

        D_y holds each q(y|x) to a one-hot vector, but the teachers' consensus (and the data) make
        some clusters hold more digits than others: a cluster of 1s may take 9% of the images and a
        cluster of rare 2s 3%. Drawn uniformly, the samples' digits are off the data's mix (16.6% 2s
        against 10.4%), which the FID counts; drawn by the shares, the shipped folder scores
        33.4 -> 28.4 (checkpoints/README.md, "Issue 28, eighth pass").
        """
        device = _gen_device(generator, self.device)
        shares = self.cluster_shares.to(device)
        if not bool(shares.sum() > 0):  # never trained, or saved before the shares were kept
            shares = torch.ones_like(shares)
        return stratified_draw(shares, n, generator=generator)

    @property
    def teacher_folders(self) -> list[str]:
        return [f.strip() for f in self.config.teachers.split(",") if f.strip()]

    @property
    def has_supervised_phase(self) -> bool:
        return bool(self.teacher_folders)

    def learn_from(self, consensus: torch.Tensor, teacher_runs: list[dict[str, str]]) -> None:
        """The teachers' consensus clustering of the training set (N,), and their folders and
        commands (for the card): what `teachers.attach_teachers` worked out, once per model."""
        self._consensus, self._teacher_runs = consensus, teacher_runs

    def attach_data(self, dataset: Dataset, seed: int) -> None:
        """With teachers: teach their consensus. Each call places the taught data anew, on the
        model's device of the moment (`zerogpu.move_run` calls this after a move)."""
        if not self.has_supervised_phase:
            return
        if self._consensus is None:
            raise RuntimeError(f"{self.name} with teachers needs their consensus first "
                               f"(gan_playground.teachers.attach_teachers; prepare_run calls it).")
        self.teach(dataset.train, self._consensus)

    def provenance(self) -> dict[str, Any]:
        return {"teachers": self._teacher_runs} if self._teacher_runs else {}

    def scores(self, dataset: Dataset) -> dict[str, float]:
        """Test accuracy when each cluster takes the majority label of its test members
        (`metrics.cluster_accuracy`, which says why)."""
        if dataset.test_labels is None:
            return {}
        return {"cluster_accuracy": cluster_accuracy(predict(self, dataset.test), dataset.test_labels,
                                                     self.num_conditions, len(dataset.classes))}


def stratified_draw(weights: torch.Tensor, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """n indices (n,) in the proportions of `weights` (K,), in random order: each index appears
    floor(n * share) times, and the few left over are drawn by what the rounding cut off.

    Drawn independently (multinomial), 10,000 samples' cluster counts vary by about 1%, and the
    FID with them by about 1 (a clustering AAE: 32.2 and 33.4 for the same weights); stratified,
    only the rounding is left to chance.
    """
    expected = weights / weights.sum() * n  # (K,)
    counts = expected.floor().long()
    rest = n - int(counts.sum())
    if rest > 0:  # fewer than K: each is a cluster whose share was rounded down
        extra = torch.multinomial(expected - counts, rest, replacement=False, generator=generator)
        counts += torch.bincount(extra, minlength=len(weights))
    order = torch.randperm(n, generator=generator, device=weights.device)
    return torch.repeat_interleave(torch.arange(len(weights), device=weights.device), counts)[order]


@torch.no_grad()
def predict(model: CategoricalAAE, images: torch.Tensor, *, batch: int = 2000) -> torch.Tensor:
    """model.classify over a whole set (uint8 or [-1, 1] images), in chunks: (N,) on the CPU."""
    out = []
    for chunk in images.split(batch):
        chunk = chunk.to(model.device)
        out.append(model.classify(chunk if chunk.dtype.is_floating_point else normalize(chunk)).cpu())
    return torch.cat(out)


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
