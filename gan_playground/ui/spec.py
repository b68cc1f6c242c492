"""The four model tabs, described as data: which models, data sets, defaults and explorers each has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TabSpec:
    key: str  # api prefix (`/<key>_start`) and the page's slot key
    title: str  # in the runs list; the tab's own label is i18n/en.py's "tab.<key>"
    family: str  # the models' family: "acgan" | "aae" | "wgan"
    variants: dict[str, str]  # label -> model name
    datasets: tuple[str, ...]
    steps: int = 2000  # default step budget
    batch_size: int = 64
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)  # model -> UI defaults (the Lab's own)
    # model -> the "quick" preset: settings that learn within a minute on two CPU cores (bench/RESULTS.md,
    # "Learning within a minute"); "paper" is the models' own defaults, the published settings, as the CLI has
    quick: dict[str, dict[str, Any]] = field(default_factory=dict)
    quick_batch: int | None = None  # the quick preset's batch size (None: `batch_size`, the paper preset's)
    shown_fields: tuple[str, ...] = ()  # expert settings (`ui=False`) that this tab shows, as its presets set them
    hidden_fields: tuple[str, ...] = ()  # settings fixed on this tab
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # narrower ranges than the CLI's
    points: bool = False  # the 2-D Lab
    explorers: tuple[str, ...] = ("interpolate",)  # of "interpolate", "classes", "latent", "landscape"
    default: str = ""  # the variant chosen at first (default: the first)

    @property
    def default_model(self) -> str:
        return self.default or next(iter(self.variants.values()))

    def model_of(self, variant: Any) -> str:
        """The model name of a variant given by name or label; the default one for anything else."""
        if variant in self.variants.values():
            return variant
        return self.variants.get(str(variant or ""), self.default_model)

    def api(self, action: str) -> str:
        return f"{self.key}_{action}"

    @property
    def preset_names(self) -> tuple[str, ...]:
        """The presets the Train panel offers: quick and paper where the tab has a quick one, else none."""
        return PRESETS if self.quick else ()

    def batch_for(self, preset: str) -> int:
        """The batch size the form starts with under `preset`."""
        return (self.quick_batch or self.batch_size) if preset == "quick" and self.quick else self.batch_size

    def preset_settings(self, preset: str, model: str) -> dict[str, Any]:
        """What `preset` sets for `model` beyond its defaults (paper: nothing, the defaults are the paper's)."""
        return {**self.presets.get(model, {}), **(self.quick.get(model, {}) if preset == "quick" else {})}


# The Train panel's presets: "quick" learns recognisable digits within a minute on two CPU cores
# (the default on a CPU), "paper" is each model's published settings (the default on a GPU, and the CLI's).
PRESETS = ("quick", "paper")


# The quick presets, found with short single-seed probes on two CPU cores and measured over three seeds
# (bench/RESULTS.md, "Learning within a minute"). Common to all: higher rates with Adam's beta1 0.5 and
# beta2 0.9. ACGAN: 5x the paper's rate. AAEs: 3.3x the rates; the supervised and semi-supervised ones
# with 256 hidden units (2x faster steps; the reconstructing and clustering AAEs, scored by FID, drew
# worse samples with them); the semi-supervised AAE with the shipped folder's class_to_disc, a 4-D style
# and 1,000 labels; the clustering AAE with its shipped teachers' info_weight=1 and a 5-D style.
# WGANs: one critic step per generator step and a critic that learns faster than the generator (two
# time-scale rates) instead of five critic steps; WGAN-GP on the paper's MLP with a 32-D z (4x the
# critic's rate), WGAN-div and WGAN-LP on the small conv net (width 32, 3x): by the FID alike at 60 s,
# by eye the MLP's digits were the clearer (bench/grids/); the clipped WGAN keeps RMSprop and two
# critic steps on the conv net.
AAE_FAST = {"lr_recon": 2e-3, "lr_reg": 2e-3, "betas": (0.5, 0.9)}
AAE_QUICK = {"aae": {**AAE_FAST, "latent_dim": 8},
             "aae-supervised": {**AAE_FAST, "hidden": 256},
             "aae-semisupervised": {**AAE_FAST, "hidden": 256, "lr_sup": 2e-3, "labels": "1000",
                                    "class_to_disc": True, "latent_dim": 4},
             "aae-cluster": {**AAE_FAST, "latent_dim": 5, "info_weight": 1.0}}
WGAN_FAST = {"arch": "dcgan", "width": 32, "n_critic": 1, "lr": 1e-3, "lr_critic": 3e-3, "betas": (0.5, 0.9)}
WGAN_QUICK = {"wgan": {"arch": "dcgan", "width": 32, "n_critic": 2, "lr": 5e-4},
              "wgan-gp": {"n_critic": 1, "lr": 5e-4, "lr_critic": 2e-3, "betas": (0.5, 0.9), "latent_dim": 32},
              "wgan-div": {**WGAN_FAST}, "wgan-lp": {**WGAN_FAST}}

ACGAN = TabSpec(
    key="acgan", title="ACGAN", family="acgan",
    variants={"ACGAN": "acgan"},
    datasets=("mnist", "fashion-mnist", "cifar10"),
    steps=1500, batch_size=64,
    explorers=("interpolate", "classes", "samples"),
    quick={"acgan": {"lr": 1e-3, "betas": (0.5, 0.9)}},
)

AAE = TabSpec(
    key="aae", title="AAE", family="aae",
    variants={"reconstruction (aae)": "aae", "supervised (aae-supervised)": "aae-supervised",
              "semi-supervised (aae-semisupervised)": "aae-semisupervised",
              "clustering (aae-cluster)": "aae-cluster"},
    datasets=("mnist", "fashion-mnist"),
    steps=1500, batch_size=100,
    explorers=("interpolate", "classes", "latent", "samples"),
    quick=AAE_QUICK,
    shown_fields=("hidden",),
)

WGAN_VARIANTS = {"clipping (wgan)": "wgan", "gradient penalty (wgan-gp)": "wgan-gp",
                 "divergence (wgan-div)": "wgan-div", "Lipschitz (wgan-lp)": "wgan-lp"}

WGAN = TabSpec(
    key="wgan", title="WGAN", family="wgan",
    variants=WGAN_VARIANTS,
    datasets=("mnist", "fashion-mnist", "cifar10"),
    steps=1000, batch_size=64,
    explorers=("interpolate", "samples"),
    hidden_fields=("toy_width",),
    default="wgan-gp",
    quick=WGAN_QUICK,
    shown_fields=("width",),
)

# Settings that learn a toy set within a minute or two on two CPU cores. The gradient penalty
# weight 0.1 is gan_toy.py's (Gulrajani et al.'s toy script); the image default 10 is too strong here.
# A 128-unit MLP (gan_toy.py has 512) covers the 8 gaussians in a few hundred steps, 4x faster.
# ema=0: the Lab draws the generator it trains (a moving average lags behind each update by design,
# and its points would not move as the arrows say).
TOY = {"latent_dim": 2, "lr": 1e-3, "betas": (0.5, 0.9), "toy_width": 128, "ema": 0.0}
LAB_PRESETS = {"wgan": {**TOY, "clip": 0.1}, "wgan-gp": {**TOY, "lambda_gp": 0.1},
               "wgan-div": {**TOY}, "wgan-lp": {**TOY, "lambda_lp": 0.1}}

LAB = TabSpec(
    key="lab", title="2-D Lab", family="wgan",
    variants=WGAN_VARIANTS,
    datasets=("toy-8gaussians", "toy-25gaussians", "toy-swissroll"),
    steps=1000, batch_size=256,
    presets=LAB_PRESETS,
    hidden_fields=("arch",),
    # A 4096-unit MLP at batch 4096 takes minutes per step on two cores and gigabytes of memory,
    # for a 2-D toy problem; the command line keeps the full ranges.
    limits={"toy_width": (8, 1024), "batch_size": (1, 1024)},
    points=True,
    explorers=("landscape",),
    default="wgan-gp",
)

TABS = (ACGAN, AAE, WGAN, LAB)
