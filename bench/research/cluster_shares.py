"""How a clustering AAE's samples depend on how its clusters are drawn (issue 28, eighth pass).

For each folder: every cluster's share of the training images (by the folder's own encoder) and
its majority digit (`metrics.majority_mapping`), then the FID, the confident share and the digits'
shares of 10,000 samples (the seed-0 latents `eval` scores, `metrics.generate_samples`) with the
clusters drawn three ways: uniformly (the paper's Cat(K)), by the shares the folder kept while
training (`cluster_shares`, what `eval` draws by; a folder saved before they were kept has none,
and draws uniformly), and by the shares measured here (both stratified, as `eval`:
`categorical_aae.stratified_draw`).

    python bench/research/cluster_shares.py checkpoints/aae-cluster-mnist
"""

from __future__ import annotations

import torch
from folder_reports import report_each, rounded, shares

from gan_playground.checkpoints import load_checkpoint
from gan_playground.data import load_dataset
from gan_playground.metrics import (
    CONFIDENT,
    classifier_outputs,
    feature_statistics,
    frechet_distance,
    generate_samples,
    load_classifier,
    majority_mapping,
    reference_statistics,
)
from gan_playground.models.categorical_aae import predict, stratified_draw


def drawn_by(model, clusters: torch.Tensor, classifier, reference) -> dict:
    """Scores of samples decoding the seed-0 latents (`eval`'s) with `clusters` (n,)."""
    images, _ = generate_samples(model, len(clusters), labels=clusters)
    feats, named, confidence = classifier_outputs(classifier, images)
    return {"fid": round(frechet_distance(*feature_statistics(feats), *reference), 2),
            "confident": round((confidence >= CONFIDENT).float().mean().item(), 4),
            "digit_shares": shares(named, 10)}


def report(folder: str, n: int = 10_000) -> dict:
    model = load_checkpoint(folder).model
    ds = load_dataset("mnist")
    k = model.num_conditions
    clusters = predict(model, ds.train)
    measured = torch.bincount(clusters, minlength=k) / len(clusters)
    majority = majority_mapping(clusters, ds.train_labels, k, len(ds.classes)).tolist()
    classifier, reference = load_classifier("mnist"), reference_statistics("mnist")
    draw = torch.Generator().manual_seed(1)
    kept = model.cluster_shares
    out = {"folder": folder, "cluster_shares_measured": rounded(measured),
           "cluster_shares_kept": rounded(kept / kept.sum()) if kept.sum() > 0 else None,
           "majority_digit": majority,
           "uniform": drawn_by(model, torch.arange(n) % k, classifier, reference),
           "kept": drawn_by(model, model.random_conditions(n, draw), classifier, reference),
           "measured": drawn_by(model, stratified_draw(measured, n, generator=draw), classifier, reference)}
    _, named_real, _ = classifier_outputs(classifier, ds.test)  # the stored bytes, as `eval`'s reference
    out["test_digit_shares"] = shares(named_real, 10)
    return out


if __name__ == "__main__":
    report_each(report, __doc__)
