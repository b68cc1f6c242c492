"""Teachers of the clustering AAE: earlier runs whose consensus clustering it learns.

A cluster ensemble (`consensus_clusters`) of finished `aae-cluster` runs on the same data
becomes the labels of the semi-supervised AAE's phase (3) in a new run (see
`models/categorical_aae.py`). This module reads the teachers' checkpoints, so it sits above
`checkpoints.py`, which the models sit below; `prepare_run` calls `attach_teachers`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gan_playground.checkpoints import load_checkpoint
from gan_playground.data import Dataset
from gan_playground.errors import CheckpointError, ConfigError
from gan_playground.models import GANModel
from gan_playground.models.categorical_aae import ClusterAAE, predict


def attach_teachers(model: GANModel, dataset: Dataset, seed: int) -> None:
    """Give a clustering AAE with `teachers` their consensus clustering of `dataset`'s training
    set; a no-op for every other model. Reads each teacher once (seconds); a resume reads again."""
    if not isinstance(model, ClusterAAE) or not model.teacher_folders:
        return
    assignments, runs = [], []
    for folder in model.teacher_folders:
        try:
            loaded = load_checkpoint(folder, device=model.device)
        except CheckpointError as err:
            raise CheckpointError(f"teachers: {err}") from None
        teacher = loaded.model
        if teacher.name != model.name:
            raise ConfigError(f"teachers: {folder} is not an {model.name} run (it holds {teacher.name}); "
                              f"teachers are runs of this model, which learned without labels.")
        if loaded.run.dataset != dataset.name:
            raise ConfigError(f"teachers: {folder} learned {loaded.run.dataset}; this run trains on "
                              f"{dataset.name}.")
        assignments.append(predict(teacher, dataset.train))  # (N,)
        runs.append({"folder": folder, "command": f"{loaded.config.get('command', '')} --out {folder}"})
    model.learn_from(consensus_clusters(torch.stack(assignments, 1), model.num_conditions, seed=seed), runs)


def consensus_clusters(assignments: torch.Tensor, k: int, *, seed: int, restarts: int = 100,
                       iters: int = 100) -> torch.Tensor:
    """One clustering (N,) into k clusters that agrees best with M clusterings (N, M) of one set.

    A cluster ensemble (Strehl and Ghosh 2002, "Cluster ensembles"): k-means on each example's
    M one-hot assignments side by side, so two examples share a cluster when most members put
    them together. Runs of the clustering AAE differ a lot from seed to seed (69-82% on MNIST)
    and err in different places; their consensus errs less. Lloyd's algorithm from `restarts`
    k-means++ starts (seeded), keeping the lowest within-cluster sum of squares. It runs on the
    distinct rows of `assignments`, weighted by their counts: a few thousand rather than N.
    """
    rows, inverse, counts = torch.unique(assignments.cpu().long(), dim=0, return_inverse=True,
                                         return_counts=True)
    if len(rows) <= k:  # as many distinct rows as clusters, or fewer: each its own
        return inverse
    sizes = (rows.max(0).values + 1).tolist()  # each member's number of clusters
    x = torch.cat([F.one_hot(rows[:, m], sizes[m]) for m in range(rows.shape[1])], 1).float()  # (U, sum)
    w = counts.float()
    gen = torch.Generator().manual_seed(seed)
    best, best_cost = None, math.inf
    for _ in range(restarts):
        centers = x[torch.multinomial(w, 1, generator=gen)]
        for _ in range(k - 1):  # k-means++: the next center far from those already picked
            d2 = torch.cdist(x, centers).min(1).values.square()
            centers = torch.cat([centers, x[torch.multinomial(w * d2 + 1e-12, 1, generator=gen)]])
        for _ in range(iters):
            nearest = torch.cdist(x, centers).argmin(1)
            mass = torch.zeros(k).index_add_(0, nearest, w)
            sums = torch.zeros_like(centers).index_add_(0, nearest, x * w[:, None])
            moved = torch.where(mass[:, None] > 0, sums / mass.clamp_min(1e-12)[:, None], centers)
            if torch.equal(moved, centers):
                break
            centers = moved
        nearest = torch.cdist(x, centers).argmin(1)
        cost = (w * (x - centers[nearest]).square().sum(1)).sum().item()
        if cost < best_cost:
            best, best_cost = nearest, cost
    return best[inverse]

