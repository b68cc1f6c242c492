"""The adversarial-autoencoder tab: four variants, with a view of the latent space."""

from __future__ import annotations

from gan_playground.ui.context import AppContext
from gan_playground.ui.panels import ModelTab, TabSpec, build_model_tab

SPEC = TabSpec(
    key="aae", title="Adversarial Autoencoder", family="aae",
    variants={"reconstruction (aae)": "aae", "supervised (aae-supervised)": "aae-supervised",
              "semi-supervised (aae-semisupervised)": "aae-semisupervised",
              "clustering (aae-cluster)": "aae-cluster"},
    datasets=("mnist", "fashion-mnist"),
    intro=("An **adversarial autoencoder** (Makhzani et al. 2015) compresses each image to a code z and "
           "decodes it back, while a discriminator on the *codes* holds their distribution to a prior p(z). "
           "The live grid shows test images beside their reconstructions. *Supervised*: the label goes to the "
           "decoder, so z keeps only the style. *Semi-supervised*: a class head learns from 100 labels. "
           "*Clustering*: the same without any label."),
    steps=1500, batch_size=100,
    explorers=("interpolate", "classes", "latent"),
    samples_label="Test images (odd columns) and their reconstructions (even columns)",
)


def build(ctx: AppContext) -> ModelTab:
    return build_model_tab(ctx, SPEC)
