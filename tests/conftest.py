"""Test settings: data from the offline mirror when there is one, and a private data root."""

import contextlib
import functools
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


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> Path:
    """Two classes of four 32x32 grey images: a `folder:` data set (the 32x32 reference ACGAN reads it too)."""
    import numpy as np
    from PIL import Image

    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (root / cls).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8)).save(root / cls / f"{i}.png")
    return root


@functools.cache
def _tls_context():
    import httpx

    return httpx.create_ssl_context()


def connect(url: str, **kwargs):
    """A gradio_client.Client as the README makes one: one TLS context for all its calls (gradio_client
    otherwise builds one per call, about 34 ms of CPU each; bench/RESULTS.md)."""
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=_tls_context(), **kwargs)


@contextlib.contextmanager
def serving_app(tmp_path_factory, **build_kwargs):
    """The app on a free port of 127.0.0.1, in this process (tests can reach its context and
    monkeypatch what it calls): saves in a temp folder, no shipped checkpoints. Yields (demo, url)."""
    from gan_playground.ui import build_app

    mp = pytest.MonkeyPatch()
    mp.setenv("GAN_PLAYGROUND_UI_SAVES", str(tmp_path_factory.mktemp("ui-saves")))
    mp.setenv("GAN_PLAYGROUND_CHECKPOINTS", str(tmp_path_factory.mktemp("no-shipped")))
    demo = build_app(**build_kwargs)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield demo, f"http://127.0.0.1:{port}/"
    finally:
        demo.ctx.close()
        demo.close()
        mp.undo()
