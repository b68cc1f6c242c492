"""Where a reconstruction AAE's unconfident samples lie in its code (issue 28, seventh pass).

Decodes 10,000 prior samples z ~ p(z) of an unconditional AAE folder (the seed-0 latents `eval`
scores), names them with the project's evaluation classifier, and prints the share it names with
confidence (>= CONFIDENT, as `eval`) by fifths of two distances: from z to the nearest code of a
test digit (large: a "hole" of q(z)) and from z to the origin; then,
per class the classifier names, the share it names without confidence (blends of two digits), and
the class shares beside the test set's.

    python bench/research/aae_borders.py checkpoints/aae-mnist
"""

from __future__ import annotations

import torch
from folder_reports import report_each, shares

from gan_playground.checkpoints import load_checkpoint
from gan_playground.data import load_dataset, normalize
from gan_playground.metrics import CONFIDENT, classifier_outputs, load_classifier


def by_fifths(distance: torch.Tensor, confident: torch.Tensor) -> list[float]:
    """The share of confident samples in each fifth of `distance`, nearest first."""
    order = distance.argsort()
    return [round(chunk.float().mean().item(), 3) for chunk in confident[order].chunk(5)]


@torch.no_grad()
def borders(folder: str, n: int = 10_000, n_codes: int = 5_000) -> dict:
    model = load_checkpoint(folder).model
    ds = load_dataset("mnist")
    codes = torch.cat([model.encode(chunk) for chunk in normalize(ds.test[:n_codes]).split(2500)])
    z = model.random_latents(n, torch.Generator().manual_seed(0))
    images = torch.cat([model.decode(chunk) for chunk in z.split(2500)])
    classifier = load_classifier("mnist")
    _, named, confidence = classifier_outputs(classifier, images)
    _, named_real, _ = classifier_outputs(classifier, ds.test)  # it takes the stored bytes, as `eval`'s reference
    confident = confidence >= CONFIDENT
    k = len(ds.classes)
    return {
        "folder": folder,
        "confident": round(confident.float().mean().item(), 4),
        "confident_by_distance_to_nearest_code": by_fifths(torch.cdist(z, codes).min(1).values, confident),
        "confident_by_norm": by_fifths(z.norm(dim=1), confident),
        "median_norm": {"codes": round(codes.norm(dim=1).median().item(), 2),
                        "prior": round(z.norm(dim=1).median().item(), 2)},
        "unconfident_by_class": [round((~confident[named == c]).float().mean().item(), 3) for c in range(k)],
        "class_shares": shares(named, k),
        "class_shares_test": shares(named_real, k),
    }


if __name__ == "__main__":
    report_each(borders, __doc__)
