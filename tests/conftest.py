"""Test settings: data from the offline mirror when there is one, and a private data root."""

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "data"


def pytest_configure(config):
    # Before any test module imports the package: where data come from in this test run.
    if MIRROR.is_dir() and "GAN_PLAYGROUND_DATA_MIRROR" not in os.environ:
        os.environ["GAN_PLAYGROUND_DATA_MIRROR"] = str(MIRROR)
    if "GAN_PLAYGROUND_DATA" not in os.environ:
        os.environ["GAN_PLAYGROUND_DATA"] = str(Path(config.cache.mkdir("gan_playground_data")))


def mnist_available() -> bool:
    root = Path(os.environ.get("GAN_PLAYGROUND_DATA", ""))
    return (root / "MNIST" / "raw").is_dir() or MIRROR.joinpath("MNIST", "raw").is_dir()


needs_mnist = pytest.mark.skipif(not mnist_available(), reason="no MNIST: set GAN_PLAYGROUND_DATA_MIRROR or go online")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
