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
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)  # model -> UI defaults
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


ACGAN = TabSpec(
    key="acgan", title="ACGAN", family="acgan",
    variants={"ACGAN": "acgan"},
    datasets=("mnist", "fashion-mnist", "cifar10"),
    steps=1500, batch_size=64,
    explorers=("interpolate", "classes", "samples"),
)

AAE = TabSpec(
    key="aae", title="AAE", family="aae",
    variants={"reconstruction (aae)": "aae", "supervised (aae-supervised)": "aae-supervised",
              "semi-supervised (aae-semisupervised)": "aae-semisupervised",
              "clustering (aae-cluster)": "aae-cluster"},
    datasets=("mnist", "fashion-mnist"),
    steps=1500, batch_size=100,
    explorers=("interpolate", "classes", "latent", "samples"),
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
