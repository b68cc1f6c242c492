"""The model registry: every model the playground can train, by name."""

from __future__ import annotations

from typing import Any

from gan_playground.config import build_config
from gan_playground.data import DataSpec
from gan_playground.errors import ConfigError
from gan_playground.models.base import GANModel
from gan_playground.models.aae import AAE, ClusterAAE, SemiSupervisedAAE, SupervisedAAE
from gan_playground.models.acgan import ACGAN
from gan_playground.models.wgan import WGAN, WGANDiv, WGANGP, WGANLP

MODELS: dict[str, type[GANModel]] = {cls.name: cls for cls in (
    ACGAN, AAE, SupervisedAAE, SemiSupervisedAAE, ClusterAAE, WGAN, WGANGP, WGANDiv, WGANLP)}


def model_class(name: str) -> type[GANModel]:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"Unknown model {name!r}. Valid models: {', '.join(MODELS)}.") from None


def create_model(name: str, data: DataSpec, overrides: dict[str, Any] | None = None, *,
                 config: Any = None) -> GANModel:
    """A fresh model with default settings, changed by `overrides` (checked), on the CPU."""
    cls = model_class(name)
    return cls(config=build_config(cls.Config, overrides, base=config), data=data)
