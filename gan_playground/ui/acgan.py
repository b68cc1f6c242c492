"""The ACGAN tab: a class-conditional GAN whose discriminator also names the class."""

from __future__ import annotations

from gan_playground.ui.context import AppContext
from gan_playground.ui.panels import ModelTab, TabSpec, build_model_tab

SPEC = TabSpec(
    key="acgan", title="ACGAN", family="acgan",
    variants={"ACGAN": "acgan"},
    datasets=("mnist", "fashion-mnist", "cifar10"),
    intro=("**ACGAN** (Odena et al. 2017) draws an image of the class you ask for. Its discriminator "
           "judges real or fake *and* names the class, which pushes the generator to make each class "
           "recognisable. Try the class grid in Explore once it has trained a few hundred steps."),
    steps=1500, batch_size=64,
    explorers=("interpolate", "classes"),
    samples_label="Samples from a fixed z: one row per class, each column one z",
)


def build(ctx: AppContext) -> ModelTab:
    return build_model_tab(ctx, SPEC)
