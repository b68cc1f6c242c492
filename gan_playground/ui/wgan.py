"""The WGAN tab (images) and the 2-D Lab (the same family on toy point sets)."""

from __future__ import annotations

from gan_playground.ui.context import AppContext
from gan_playground.ui.panels import ModelTab, TabSpec, build_model_tab

VARIANTS = {"weight clipping (wgan)": "wgan", "gradient penalty (wgan-gp)": "wgan-gp",
            "divergence (wgan-div)": "wgan-div", "Lipschitz penalty (wgan-lp)": "wgan-lp"}

SPEC = TabSpec(
    key="wgan", title="WGAN", family="wgan",
    variants=VARIANTS,
    datasets=("mnist", "fashion-mnist", "cifar10"),
    intro=("A **Wasserstein GAN** trains a critic D to estimate the Wasserstein distance between real and "
           "generated images, and the generator to shrink it. The critic must be 1-Lipschitz; the variants "
           "differ in how: clipping its weights, or penalising its gradient. Watch `wasserstein`: the "
           "critic's estimate falls as the samples improve."),
    steps=1000, batch_size=64,
    explorers=("interpolate",),
    hidden_fields=("toy_width",),
    default="wgan-gp",
)

# Settings that learn a toy set within a minute or two on two CPU cores. The gradient penalty
# weight 0.1 is gan_toy.py's (Gulrajani et al.'s toy script); the image default 10 is too strong here.
# A 128-unit MLP (gan_toy.py has 512) covers the 8 gaussians in a few hundred steps, 4x faster.
TOY = {"latent_dim": 2, "lr": 1e-3, "betas": (0.5, 0.9), "toy_width": 128}
LAB = SPEC.__class__(
    key="lab", title="2-D Lab", family="wgan",
    variants=VARIANTS,
    datasets=("toy-8gaussians", "toy-25gaussians", "toy-swissroll"),
    intro=("**2-D Lab**: the WGAN variants on toy point sets, where everything can be seen at once. Grey: "
           "real points; orange: generated. The heat map is the critic D(x): the generator's points move "
           "uphill, towards red. Compare how the variants cover the 8 modes, and how clipping bends the "
           "critic's landscape."),
    steps=1000, batch_size=256,
    presets={"wgan": {**TOY, "lr": 1e-3, "clip": 0.1}, "wgan-gp": {**TOY, "lambda_gp": 0.1},
             "wgan-div": {**TOY}, "wgan-lp": {**TOY, "lambda_lp": 0.1}},
    hidden_fields=("arch",),
    points=True,
    explorers=("heatmap",),
    default="wgan-gp",
)


def build(ctx: AppContext) -> ModelTab:
    return build_model_tab(ctx, SPEC)


def build_lab(ctx: AppContext) -> ModelTab:
    return build_model_tab(ctx, LAB)
