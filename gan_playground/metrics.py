"""Evaluation scores that suit 28x28 data, and the frozen classifiers they stand on.

Inception-based FID means little on 28x28 grey digits (the images are upsampled 10x into a
network that never saw anything like them). We score MNIST and Fashion-MNIST models with a
small CNN trained on the data set itself, as is common practice for these sets:

| score          | what it measures                                                   | better |
|----------------|--------------------------------------------------------------------|--------|
| fid            | Frechet distance of samples to the test split, in the classifier's | lower  |
|                | 128-d penultimate features ("classifier FID")                      |        |
| fid_floor      | the same for real training images: the best a model can hope for   |        |
| cond_acc       | the classifier's accuracy on G(z, y) against y (class-conditional) | higher |
| confident      | eval: the share of samples the classifier names with >= 0.9        | higher |
|                | probability, beside `confident_real`, the same for test images     |        |
| recon_mse      | autoencoders: test reconstruction error, MSE in [0, 1] pixels      | lower  |
| test_error     | semi-supervised autoencoders: error of `model.classify` on test    | lower  |
| cluster_acc    | clustering autoencoders: each cluster takes its majority label     | higher |
| prior_mmd      | autoencoders: MMD^2 (RBF) between encoded test set and the prior   | lower  |
| modes, in_3std | 2-D toys: modes covered, and the share of samples within 3 std     | higher |

FID is biased upward for small sample counts, so a score is only comparable with the floor
made from as many real images: :func:`evaluate` (10,000 samples) and :func:`live_evaluator`
(2,000) each report the floor for their own count.

The classifiers ship in `gan_playground/classifiers/classifier-<data set>/` (fp16 safetensors + config.json
with the architecture, test accuracy and the sha256 of the weights, checked at load). They are
made by this module's command line (the network and its training: `classifier.py`), reproducibly
(seeded; the same numbers on the same torch and thread count):

    python -m gan_playground.metrics train-classifier mnist --out gan_playground/classifiers/classifier-mnist
    python -m gan_playground.metrics train-classifier fashion-mnist \
        --out gan_playground/classifiers/classifier-fashion-mnist
    python -m gan_playground.metrics check-classifier mnist    # accuracy and FID floor of the shipped one

Options of `train-classifier`: --epochs, --batch-size, --lr, --width, --hidden, --seed, --threads.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch

from gan_playground.classifier import Classifier, accuracy, as_input, file_sha256, save_classifier, train_classifier  # noqa: F401
from gan_playground.data import TOY_SETS, Dataset, load_dataset, normalize
from gan_playground.errors import CheckpointError, UserError
from gan_playground.nets import eval_mode

if TYPE_CHECKING:  # the models import this module (their own scores), so it cannot import them
    from gan_playground.models.base import GANModel

CLASSIFIER_DATASETS = ("mnist", "fashion-mnist")
CLASSIFIER_ROOT = Path(__file__).resolve().parent / "classifiers"  # package data: an installed copy has them

# The toy sets' mode std in data units (see data.toy_points: noise std / the set's scale).
TOY_STD = {"toy-8gaussians": 0.02 / 1.414, "toy-25gaussians": 0.05 / 2.828}
TOY_MIN_SHARE = 0.2  # a mode is covered if it holds >= 0.2 of its fair share (1/K) of samples


# ----------------------------------------------------------------------------------------------
# Loading: safetensors + json only, the hash checked, frozen, one copy per process and device.

def classifier_dir(dataset_name: str, root: str | Path | None = None) -> Path:
    return Path(root or CLASSIFIER_ROOT) / f"classifier-{dataset_name}"


def has_classifier(dataset_name: str, root: str | Path | None = None) -> bool:
    return dataset_name in CLASSIFIER_DATASETS and (classifier_dir(dataset_name, root) / "config.json").is_file()


def load_classifier(dataset_name: str, *, root: str | Path | None = None,
                    device: str | torch.device = "cpu") -> Classifier:
    """The frozen evaluation classifier of a data set (eval mode, no gradients), cached."""
    if dataset_name not in CLASSIFIER_DATASETS:
        raise UserError(f"There is no evaluation classifier for {dataset_name!r}: classifier scores (FID, "
                        f"conditional accuracy) exist for {', '.join(CLASSIFIER_DATASETS)} only.")
    folder = classifier_dir(dataset_name, root).resolve()
    return _load_classifier(str(folder), str(torch.device(device)))


@functools.lru_cache(maxsize=8)
def _load_classifier(folder: str, device: str) -> Classifier:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(folder)
    weights_file, config_file = path / "model.safetensors", path / "config.json"
    if not weights_file.is_file() or not config_file.is_file():
        raise CheckpointError(f"The evaluation classifier in {path} is missing (it needs model.safetensors and "
                              f"config.json). Make it with: python -m gan_playground.metrics train-classifier "
                              f"{path.name.removeprefix('classifier-')} --out {path}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
        arch = dict(config["architecture"])
        expected = config["sha256"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise CheckpointError(f"{config_file} is not a valid classifier config "
                              f"({type(err).__name__}: {err}).") from None
    actual = file_sha256(weights_file)
    if actual != expected:
        raise CheckpointError(f"The evaluation classifier {weights_file} does not match its config.json: sha256 "
                              f"{actual[:16]}... where {expected[:16]}... was recorded. The file was changed or "
                              f"damaged; restore it (git checkout {path.name}) or retrain it.")
    try:
        state = load_file(str(weights_file))
        arch.pop("class", None)
        # Built without weights, then given the file's (all of them): no initial weights are drawn,
        # so making a scorer touches no random stream.
        with torch.device("meta"):
            net = Classifier(**{k: arch[k] for k in ("in_channels", "num_classes", "width", "hidden")},
                             batchnorm=bool(arch.get("batchnorm", False)))
        net.load_state_dict({k: v.float() for k, v in state.items()}, assign=True)
    except (SafetensorError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"The evaluation classifier in {path} cannot be loaded: {err}") from None
    net.config = config
    net.to(device).eval().requires_grad_(False)
    return net


# ----------------------------------------------------------------------------------------------
# Pure scores: arrays or tensors in, floats out.

@torch.no_grad()
def classifier_outputs(classifier: Classifier, images: torch.Tensor, batch_size: int = 2500
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Penultimate features (N, 128) as float64 on the CPU, predicted classes (N,), and the
    classifier's confidence in each, its largest softmax probability (N,)."""
    device = next(classifier.parameters()).device
    feats, preds, confidence = [], [], []
    for x in images.split(batch_size):
        f = classifier.features(as_input(x.to(device)))
        feats.append(f.double().cpu())
        top = classifier.head(f).float().softmax(1).max(1)
        preds.append(top.indices.cpu())
        confidence.append(top.values.cpu())
    return torch.cat(feats), torch.cat(preds), torch.cat(confidence)


def feature_statistics(features: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) in float64."""
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    vals, vecs = np.linalg.eigh((a + a.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))  (Dowson & Landau 1982; Heusel et al. 2017).

    tr((S1 S2)^(1/2)) = tr((S1^(1/2) S2 S1^(1/2))^(1/2)): the right side is a symmetric PSD
    matrix, so eigh gives it stably in float64, where sqrtm of the non-symmetric S1 S2 can go
    complex on near-singular covariances.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    r1 = _sqrt_psd(s1)
    cross = np.linalg.eigvalsh(r1 @ s2 @ r1)
    tr_covmean = np.sqrt(np.clip(cross, 0, None)).sum()
    d = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)
    return max(d, 0.0)


def fid_from_features(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    return frechet_distance(*feature_statistics(a), *feature_statistics(b))


def conditional_accuracy(predicted: torch.Tensor, labels: torch.Tensor, num_classes: int
                         ) -> tuple[float, np.ndarray]:
    """Overall accuracy and per-class accuracy (NaN for a class never asked for)."""
    predicted, labels = predicted.cpu().long(), labels.cpu().long()
    right = (predicted == labels).double()
    counts = torch.bincount(labels, minlength=num_classes).double()
    hits = torch.bincount(labels, weights=right, minlength=num_classes)
    per_class = torch.where(counts > 0, hits / counts.clamp(min=1), torch.tensor(float("nan")))
    return right.mean().item(), per_class.numpy()


def classification_error(predicted: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of wrong predictions (Table 2 of the AAE paper reports it in percent)."""
    return (predicted.cpu() != labels.cpu()).float().mean().item()


def majority_mapping(clusters: torch.Tensor, labels: torch.Tensor, k: int, num_classes: int) -> torch.Tensor:
    """Each cluster's majority label (k,); a cluster with no members gets label 0."""
    counts = torch.zeros(k, num_classes, dtype=torch.long)
    counts.index_put_((clusters.cpu().long(), labels.cpu().long()), torch.ones(len(labels), dtype=torch.long),
                      accumulate=True)
    return counts.argmax(1)


def cluster_accuracy(clusters: torch.Tensor, labels: torch.Tensor, k: int, num_classes: int, *,
                     mapping: torch.Tensor | None = None) -> float:
    """Accuracy when each cluster takes one label: `mapping` (k,), else its members' majority.

    The one definition of the clustering AAE's score (`cluster_acc` here, `ClusterAAE.scores`):
    clusters of held-out images (the test split), each named by the majority label of its own
    test members. The paper evaluates on held-out data too (section 6: it names each cluster by
    its most confident validation example, then scores the test set; the majority is the common,
    steadier variant). Naming clusters by the training set instead, as `ClusterAAE.scores` once
    did, gave a second number for the same model; the shipped 0.8758 of
    checkpoints/aae-cluster-mnist is this one. Labels only name clusters: the model never sees them.
    """
    if mapping is None:
        mapping = majority_mapping(clusters, labels, k, num_classes)
    return (mapping.cpu()[clusters.cpu().long()] == labels.cpu()).float().mean().item()


def reconstruction_mse(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """MSE in [0, 1] pixel units of two image batches in [-1, 1]."""
    return ((x_hat.float().clamp(-1, 1) - x.float()) / 2).pow(2).mean().item()


def mmd_rbf(x: torch.Tensor, y: torch.Tensor, *, scales: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)) -> float:
    """Unbiased MMD^2 (Gretton et al. 2012) with a sum of RBF kernels.

    The bandwidths are `scales` times the median squared distance within `y` (the reference,
    e.g. prior samples), so the score of one prior is comparable across checkpoints.
    About 0 when x and y come from one distribution; can dip slightly below 0.
    """
    x, y = x.float().flatten(1).cpu(), y.float().flatten(1).cpu()  # kernels in float32, sums in float64
    dyy = torch.cdist(y, y).pow_(2)
    n, m = x.shape[0], y.shape[0]
    median = dyy[~torch.eye(m, dtype=torch.bool)].median().clamp(min=1e-12)
    dxx, dxy = torch.cdist(x, x).pow_(2), torch.cdist(x, y).pow_(2)
    total = 0.0
    for s in scales:
        kxx, kyy, kxy = (torch.exp(-d / (s * median)) for d in (dxx, dyy, dxy))
        total += ((kxx.sum(dtype=torch.float64) - kxx.diagonal().sum(dtype=torch.float64)) / (n * (n - 1))
                  + (kyy.sum(dtype=torch.float64) - kyy.diagonal().sum(dtype=torch.float64)) / (m * (m - 1))
                  - 2 * kxy.sum(dtype=torch.float64) / (n * m)).item()
    return total


def toy_scores(points: torch.Tensor, modes: torch.Tensor, std: float, *,
               min_share: float = TOY_MIN_SHARE) -> dict[str, float]:
    """Modes covered and the share of samples within 3 std of a mode (VEEGAN / PacGAN style).

    A sample belongs to its nearest mode if it lies within 3 std of it; a mode is covered if at
    least `min_share / K` of all samples belong to it (K modes; 0.2 of the fair share is PacGAN's
    20 samples of 2,500 on 25 modes).
    """
    points, modes = points.float().cpu(), modes.float().cpu()
    dist = torch.cdist(points, modes)  # (N, K)
    nearest_d, nearest = dist.min(dim=1)
    close = nearest_d <= 3 * std
    counts = torch.bincount(nearest[close], minlength=modes.shape[0])
    covered = (counts >= min_share / modes.shape[0] * points.shape[0]).sum().item()
    return {"modes": float(covered), "in_3std": close.double().mean().item()}


# ----------------------------------------------------------------------------------------------
# Reference statistics, cached per process.

@functools.lru_cache(maxsize=8)
def reference_statistics(dataset_name: str, root: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the test split's classifier features."""
    ds = load_dataset(dataset_name)
    feats, _, _ = classifier_outputs(load_classifier(dataset_name, root=root), ds.test)
    return feature_statistics(feats)


CONFIDENT = 0.9  # a sample the classifier names with at least this probability is "confidently named"


@functools.lru_cache(maxsize=16)
def confident_reference(dataset_name: str, root: str | None = None) -> float:
    """The share of the real test images the classifier names with >= CONFIDENT: what `confident`
    compares with, as the FID has its floor."""
    ds = load_dataset(dataset_name)
    _, _, confidence = classifier_outputs(load_classifier(dataset_name, root=root), ds.test)
    return float((confidence >= CONFIDENT).float().mean())


@functools.lru_cache(maxsize=16)
def fid_floor(dataset_name: str, n: int = 10_000, root: str | None = None, seed: int = 0) -> float:
    """The FID of `n` real training images (a seeded draw) against the test split."""
    ds = load_dataset(dataset_name)
    idx = torch.randperm(ds.train.shape[0], generator=torch.Generator().manual_seed(seed))[:n]
    feats, _, _ = classifier_outputs(load_classifier(dataset_name, root=root), ds.train[idx])
    return frechet_distance(*feature_statistics(feats), *reference_statistics(dataset_name, root))


# ----------------------------------------------------------------------------------------------
# Scores of a model: which apply, and computing them.

def conditions_are_classes(model: GANModel) -> bool:
    """True when `sample(z, y)` takes the data's classes (acgan, aae-supervised, aae-semisupervised):
    conditioning on as many values as the data has classes, in a model that needs labels (the
    clustering AAE's conditions are clusters: it never sees a label).
    """
    return model.num_conditions > 0 and model.needs_labels and model.num_conditions == model.data.num_classes


def applicable_scores(model: GANModel, dataset_name: str) -> tuple[str, ...]:
    """The short names of the scores :func:`evaluate` computes for `model` on `dataset_name`."""
    names: list[str] = []
    if dataset_name in TOY_SETS:
        if dataset_name in TOY_STD and model.data.kind == "points":
            names += ["modes", "in_3std"]
        return tuple(names)
    if model.data.kind != "image":
        return ()
    if dataset_name in CLASSIFIER_DATASETS and model.data.shape[0] == 1:
        names += ["fid", "fid_floor"]
        if conditions_are_classes(model):
            names.append("cond_acc")
    if model.is_autoencoder:
        names += ["recon_mse", "prior_mmd"]
        if callable(getattr(model, "classify", None)):
            if conditions_are_classes(model):
                names.append("test_error")
            elif model.data.num_classes > 0:
                names.append("cluster_acc")
    return tuple(names)


def _nothing_applies(model: GANModel, dataset_name: str) -> UserError:
    if model.data.kind == "points":
        why = (f"the 2-D toy scores exist for {', '.join(TOY_STD)} only (they count the gaussians' modes); "
               f"{dataset_name} has no modes to count")
    else:
        why = (f"classifier scores (FID, conditional accuracy) exist for {', '.join(CLASSIFIER_DATASETS)} only, "
               f"and {model.name} is not an autoencoder, whose reconstruction scores work on any images")
    return UserError(f"No evaluation score applies to {model.name} on {dataset_name}: {why}.")


@torch.no_grad()
def generate_samples(model: GANModel, n: int, *, seed: int = 0, labels: torch.Tensor | None = None,
                     batch_size: int = 2500) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n samples on the model's device, and the conditions asked for, or None.

    Conditional models get `labels` if given (then n = len(labels)), else `model.random_conditions`:
    balanced classes (i % K), a clustering model's clusters in their shares of the data.
    The same seed gives the same latents, so live scores differ only by what the model learned.
    """
    if labels is not None:
        n = labels.shape[0]
    gen = torch.Generator(device=model.device).manual_seed(seed)
    z = model.random_latents(n, gen)  # (n, latent)
    y = labels.to(model.device) if labels is not None else model.random_conditions(n, gen)
    out = [model.sample(zb, None if y is None else y[i * batch_size:(i + 1) * batch_size])
           for i, zb in enumerate(z.split(batch_size))]
    return torch.cat(out), y


class _Scorer:
    """Everything fixed for one data set: reference statistics, floors, test images. Cached."""

    def __init__(self, dataset_name: str, *, root: str | None = None):
        self.name, self.root = dataset_name, root
        self.has_classifier = has_classifier(dataset_name, root)
        self.classifiers: dict[str, Classifier] = {}
        self._test: dict[int, Dataset] = {}

    def classifier(self, device: torch.device) -> Classifier:
        key = str(device)
        if key not in self.classifiers:
            self.classifiers[key] = load_classifier(self.name, root=self.root, device=device)
        return self.classifiers[key]

    def data(self, size: int | None) -> Dataset:
        """The data set at the model's image size (an autoencoder reconstructs at its own size)."""
        if size not in self._test:
            self._test[size] = load_dataset(self.name, image_size=size)
        return self._test[size]

    @torch.no_grad()
    def scores(self, model: GANModel, names: tuple[str, ...], *, n: int, seed: int, per_class: bool,
               test_images: int | None, mmd_points: int) -> dict[str, float]:
        out: dict[str, float] = {}
        if "modes" in names:
            ds = self.data(None)
            points, _ = generate_samples(model, n, seed=seed)
            out.update(toy_scores(points, ds.modes, TOY_STD[self.name]))
            return out
        if "fid" in names:
            images, y = generate_samples(model, n, seed=seed)
            feats, preds, confidence = classifier_outputs(self.classifier(model.device), images)
            out["fid"] = frechet_distance(*feature_statistics(feats), *reference_statistics(self.name, self.root))
            out["fid_floor"] = fid_floor(self.name, min(n, 60_000), self.root)
            if "confident" in names:  # how many samples read as some class beyond doubt, beside real images
                out["confident"] = float((confidence >= CONFIDENT).float().mean())
                out["confident_real"] = confident_reference(self.name, self.root)
            if "class_shares" in names:  # mode collapse shows as a class the samples leave out
                counts = torch.bincount(preds.cpu(), minlength=len(self.data(None).classes))
                out.update({f"share_{c}": float(v) for c, v in enumerate((counts / counts.sum()).tolist())})
            if "cond_acc" in names:
                overall, per = conditional_accuracy(preds, y, model.num_conditions)
                out["cond_acc"] = overall
                if per_class:
                    out.update({f"cond_acc_{c}": float(a) for c, a in enumerate(per)})
        if "recon_mse" in names:
            ds = self.data(model.data.shape[-1])
            x, labels = ds.test[:test_images], ds.test_labels
            labels = None if labels is None else labels[:test_images]
            with eval_mode(model):
                codes, recon, classes = [], [], []
                for i, chunk in enumerate(x.split(2500)):
                    xb = normalize(chunk.to(model.device))
                    yb = None if labels is None else labels[i * 2500:(i + 1) * 2500].to(model.device)
                    codes.append(model.encode(xb))
                    recon.append(reconstruction_mse(xb, model.reconstruct(xb, yb)) * xb.shape[0])
                    if "test_error" in names or "cluster_acc" in names:
                        classes.append(model.classify(xb).cpu())
            out["recon_mse"] = sum(recon) / x.shape[0]
            z = torch.cat(codes)[:mmd_points]
            prior = model.random_latents(z.shape[0], torch.Generator(device=model.device).manual_seed(seed + 1))
            out["prior_mmd"] = mmd_rbf(z, prior)
            if classes and "test_error" in names:
                out["test_error"] = classification_error(torch.cat(classes), labels)
            elif classes:
                out["cluster_acc"] = cluster_accuracy(torch.cat(classes), labels, model.num_conditions,
                                                      len(ds.classes))
        return out


@functools.lru_cache(maxsize=8)
def _scorer(dataset_name: str, root: str | None = None) -> _Scorer:
    return _Scorer(dataset_name, root=root)


def evaluate(model: GANModel, dataset_name: str, *, n_samples: int = 10_000, seed: int = 0) -> dict[str, float]:
    """Every score that applies to `model` on `dataset_name` (see the table at the top).

    FID comes with `fid_floor` (as many real training images, against the test split) and
    `confident` (the share of samples the classifier names with >= 0.9 probability) with
    `confident_real` (the same for the test images); class-conditional models also get
    `cond_acc_<class index>`. Autoencoder scores use the whole
    test split (the MMD 2,000 codes of it). Raises UserError when none applies.
    """
    names = applicable_scores(model, dataset_name)
    if not names:
        raise _nothing_applies(model, dataset_name)
    if "fid" in names:
        names += ("confident", "confident_real")
    return _scorer(dataset_name).scores(model, names, n=n_samples, seed=seed, per_class=True,
                                         test_images=None, mmd_points=2000)


# The score that ranks checkpoints of a model ("keep the best"): the first that applies.
PRIMARY_SCORES = (("test_error", False), ("cluster_acc", True), ("cond_acc", True), ("fid", False),
                  ("modes", True), ("recon_mse", False))


def primary_score(scores: dict[str, float]) -> tuple[str, float, bool] | None:
    """(name, value, higher_is_better) of the score that says which checkpoint is best, or None."""
    for name, higher in PRIMARY_SCORES:
        if name in scores and math.isfinite(scores[name]):
            return name, float(scores[name]), higher
    return None


def live_evaluator(dataset_name: str, n_samples: int = 2000, *, model: GANModel | None = None
                   ) -> Callable[[GANModel], dict[str, float]] | None:
    """A cheap `evaluate` for the training job's `evaluate=` hook; None when nothing can apply.

    Fixed latents (seed 0) at every call, and for autoencoders the first min(n_samples, 1000)
    test images (500 codes for the MMD), so a curve moves only with the model. With `model`, None
    also when no score applies to that model. The
    reference statistics and the floor are made here, once, not in the training loop.
    """
    if dataset_name in TOY_SETS and dataset_name not in TOY_STD:
        return None
    scorer = _scorer(dataset_name)

    def live_names(m: GANModel) -> tuple[str, ...]:
        names = applicable_scores(m, dataset_name)
        if not scorer.has_classifier:  # a missing classifier file must not stop a training run
            names = tuple(k for k in names if k not in ("fid", "fid_floor", "cond_acc"))
        if "fid" in names and not m.num_conditions:  # unconditional: which classes do its samples show?
            names += ("class_shares",)
        return names

    if model is not None and not live_names(model):
        return None
    if scorer.has_classifier:
        reference_statistics(dataset_name, None)
        fid_floor(dataset_name, n_samples, None)

    def evaluate_live(m: GANModel) -> dict[str, float]:
        names = live_names(m)
        if not names:
            return {}
        return scorer.scores(m, names, n=n_samples, seed=0, per_class=False,
                             test_images=min(n_samples, 1000), mmd_points=min(n_samples, 500))

    return evaluate_live


# ----------------------------------------------------------------------------------------------
# Command line: python -m gan_playground.metrics train-classifier | check-classifier

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m gan_playground.metrics",
                                     description="Make or check the frozen evaluation classifiers.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train-classifier", help="train a data set's evaluation classifier (seeded)")
    train.add_argument("dataset", choices=CLASSIFIER_DATASETS)
    train.add_argument("--out", required=True, help="folder to write model.safetensors and config.json to")
    train.add_argument("--epochs", type=int, default=4)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (one-cycle schedule)")
    train.add_argument("--width", type=int, default=16, help="channels of the first conv")
    train.add_argument("--hidden", type=int, default=128, help="size of the penultimate (FID) features")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, default=2, help="CPU threads (results depend on it slightly)")
    check = sub.add_parser("check-classifier", help="test accuracy and FID floor of a shipped classifier")
    check.add_argument("dataset", choices=CLASSIFIER_DATASETS)
    check.add_argument("--root", default=None,
                       help=f"folder holding classifier-<data set>/ (default {CLASSIFIER_ROOT})")
    args = parser.parse_args(argv)

    try:
        if args.command == "train-classifier":
            torch.set_num_threads(args.threads)
            t0 = time.monotonic()
            net = train_classifier(args.dataset, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                   width=args.width, hidden=args.hidden, seed=args.seed)
            seconds = time.monotonic() - t0
            info = {"dataset": args.dataset, "command": "python -m gan_playground.metrics " + shlex.join(argv),
                    "training": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                                 "optimizer": "Adam, one-cycle", "seed": args.seed, "threads": args.threads,
                                 "seconds": round(seconds, 1), "torch": torch.__version__}}
            out = save_classifier(net, args.out, info)
            # Measure what ships: the fp16 file read back through the loader, hash check included.
            shipped = _load_classifier(str(out.resolve()), "cpu")
            ds = load_dataset(args.dataset)
            info["test_accuracy"] = round(accuracy(shipped, ds.test, ds.test_labels), 4)
            if out.name == f"classifier-{args.dataset}":  # where load_classifier(root=...) finds it
                info["fid_floor_10k"] = round(fid_floor(args.dataset, 10_000, str(out.parent.resolve())), 4)
            config = json.loads((out / "config.json").read_text(encoding="utf-8"))
            config.update(info)
            (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {out}: test accuracy {info['test_accuracy']:.4f}, "
                  f"{(out / 'model.safetensors').stat().st_size / 1e3:.0f} kB, trained in {seconds:.0f} s")
        else:
            root = str(Path(args.root).resolve()) if args.root else None
            net = load_classifier(args.dataset, root=root)
            ds = load_dataset(args.dataset)
            print(f"{args.dataset}: test accuracy {accuracy(net, ds.test, ds.test_labels):.4f}, "
                  f"FID floor (10,000 training images) {fid_floor(args.dataset, 10_000, root):.3f}, "
                  f"(2,000) {fid_floor(args.dataset, 2_000, root):.3f}")
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
