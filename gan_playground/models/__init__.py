"""The model registry: every model the playground can train, by name."""

from __future__ import annotations

from typing import Any

from gan_playground import nets
from gan_playground.config import build_config
from gan_playground.data import DataSpec
from gan_playground.errors import ConfigError
from gan_playground.models.aae import AAE, SupervisedAAE
from gan_playground.models.acgan import ACGAN
from gan_playground.models.base import GANModel
from gan_playground.models.categorical_aae import ClusterAAE, SemiSupervisedAAE
from gan_playground.models.wgan import WGAN, WGANGP, WGANLP, WGANDiv

MODELS: dict[str, type[GANModel]] = {cls.name: cls for cls in (
    ACGAN, AAE, SupervisedAAE, SemiSupervisedAAE, ClusterAAE, WGAN, WGANGP, WGANDiv, WGANLP)}


def model_class(name: str) -> type[GANModel]:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"Unknown model {name!r}. Valid models: {', '.join(MODELS)}.") from None


def create_model(name: str, data: DataSpec, overrides: dict[str, Any] | None = None, *,
                 config: Any = None, seed: int = 0) -> GANModel:
    """A fresh model with default settings, changed by `overrides` (checked), on the CPU.

    Its initial weights depend on `seed` alone, whatever other threads do (`nets.seeded_init`).
    """
    cls = model_class(name)
    config = build_config(cls.Config, overrides, base=config)
    with nets.seeded_init(seed):
        return cls(config=config, data=data)
