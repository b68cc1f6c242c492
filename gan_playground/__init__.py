"""GAN Playground: train the classic GANs live and explore what they learned."""

import os

# OpenMP threads that spin while waiting collapse when the cores are shared: with torch's two
# threads on a busy 2-core machine (a Space, a laptop running the browser, or the app's own
# explore handlers beside the training thread) a WGAN step went from 0.1 s to 4.6 s. Sleeping
# waiters cost little when the machine is idle. Must be set before torch loads its OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["Model", "load", "train"]


def __getattr__(name: str):
    """`gp.load`, `gp.train`, `gp.Model` (gan_playground/api.py), imported when first used: the
    command line's `--help` does not wait for torch."""
    if name in __all__:
        from gan_playground import api

        return getattr(api, name)
    raise AttributeError(f"module 'gan_playground' has no attribute {name!r}")
