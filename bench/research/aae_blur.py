"""Where an AAE's samples lose their quality: the decoder, or the codes it is given (issue 28).

For each AAE folder but aae-cluster's (its clusters are no labels), the project's classifier FID
(against the test split, as `eval`) of 10,000 images decoded from three kinds of codes:

- samples: z ~ p(z), the prior (what `eval`'s fid scores);
- recon: z = enc(x) of the first 10,000 training images (the codes the decoder was trained on),
  decoded with each image's own label for the conditional models (the semi-supervised AAE's own
  `reconstruct` gives its decoder the encoder's class belief instead);
- fitted: z ~ N(mean, covariance) of those codes, a Gaussian fitted to q(z).

recon near the floor and samples far above it: the prior fit (holes in q(z)) is what blurs;
recon far above the floor too: the decoder itself draws blurry digits.

    python bench/research/aae_blur.py checkpoints/aae-mnist runs/aae-new
"""

from __future__ import annotations

import torch
from folder_reports import report_each

from gan_playground.checkpoints import load_checkpoint
from gan_playground.data import load_dataset, normalize
from gan_playground.metrics import (
    classifier_outputs,
    feature_statistics,
    frechet_distance,
    load_classifier,
    reference_statistics,
)


@torch.no_grad()
def blur_scores(folder: str, n: int = 10_000) -> dict[str, float]:
    model = load_checkpoint(folder).model
    ds = load_dataset("mnist")
    x, y = normalize(ds.train[:n]), ds.train_labels[:n]
    k = model.num_conditions
    cond = y if k else None
    codes = torch.cat([model.encode(chunk) for chunk in x.split(2500)])
    gen = torch.Generator().manual_seed(0)
    prior = model.random_latents(n, gen)
    mean, cov = codes.mean(0), torch.cov(codes.T)
    # drawn from `gen` too (MultivariateNormal.sample reads the global generator: another score each run)
    spread = torch.linalg.cholesky(cov + 1e-5 * torch.eye(len(mean)))
    fitted = mean + torch.randn(n, len(mean), generator=gen) @ spread.T

    def decode(z: torch.Tensor) -> torch.Tensor:
        return torch.cat([model.decode(zc, None if cond is None else cc)
                          for zc, cc in zip(z.split(2500), (cond if k else z).split(2500), strict=True)])

    classifier = load_classifier("mnist")
    reference = reference_statistics("mnist")
    out = {}
    for name, z in (("samples", prior), ("recon", codes), ("fitted", fitted)):
        feats, _, confidence = classifier_outputs(classifier, decode(z))
        out[f"fid_{name}"] = round(frechet_distance(*feature_statistics(feats), *reference), 2)
        out[f"confident_{name}"] = round(float((confidence >= 0.9).float().mean()), 4)
    return out


if __name__ == "__main__":
    report_each(lambda folder: {"folder": folder, **blur_scores(folder)}, __doc__)
