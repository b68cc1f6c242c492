"""Test settings: data from the offline mirror when there is one, and a private data root."""

import os
import tempfile
from pathlib import Path

import pytest
import torch  # noqa: E402

import gan_playground  # noqa: F401  (first: it sets the OpenMP wait policy before torch loads)

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO.parent / "shared" / "data"


def pytest_configure(config):
    # Before any test module imports the package: where data come from in this test run.
    if MIRROR.is_dir() and "GAN_PLAYGROUND_DATA_MIRROR" not in os.environ:
        os.environ["GAN_PLAYGROUND_DATA_MIRROR"] = str(MIRROR)
    if "GAN_PLAYGROUND_DATA" not in os.environ:
        cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
        root = cache.mkdir("gan_playground_data") if cache else tempfile.mkdtemp(prefix="gan_playground_data-")
        os.environ["GAN_PLAYGROUND_DATA"] = str(root)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
