"""GAN Playground: train the classic GANs live and explore what they learned."""

import os

# OpenMP threads that spin while waiting collapse when the cores are shared: with torch's two
# threads on a busy 2-core machine (a Space, a laptop running the browser, or the app's own
# explore handlers beside the training thread) a WGAN step went from 0.1 s to 4.6 s. Sleeping
# waiters cost little when the machine is idle. Must be set before torch loads its OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
