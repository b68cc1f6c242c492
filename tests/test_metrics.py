"""Evaluation scores: the shipped classifiers, FID, conditional accuracy, autoencoder and toy scores."""

import json
import math
import shutil
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from gan_playground import metrics
from gan_playground.data import load_dataset, normalize, toy_points
from gan_playground.errors import CheckpointError, UserError
from gan_playground.models import create_model
from gan_playground.models.base import GANModel


def _has_data(name: str) -> bool:
    try:
        load_dataset(name)
    except UserError:
        return False
    return True


needs_mnist = pytest.mark.skipif(not _has_data("mnist"), reason="no MNIST: set GAN_PLAYGROUND_DATA_MIRROR or go online")


# ----------------------------------------------------------------------------------------------
# Frechet distance: pure function checks

def test_frechet_distance_of_gaussians_is_exact():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 16))
    mu, sigma = metrics.feature_statistics(a)
    assert metrics.frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
    # Same covariance, means 0.5 apart in every coordinate: FID = |d|^2 = 16 * 0.25.
    assert metrics.frechet_distance(mu, sigma, mu + 0.5, sigma) == pytest.approx(4.0, rel=1e-6)
    # Isotropic covariances s1^2 I and s2^2 I: FID = D (s1 - s2)^2.
    eye = np.eye(16)
    assert metrics.frechet_distance(mu, eye, mu, 4 * eye) == pytest.approx(16.0, rel=1e-9)


def test_frechet_distance_survives_singular_covariances():
    rng = np.random.default_rng(1)
    low_rank = rng.normal(size=(500, 3)) @ rng.normal(size=(3, 32))  # rank 3 in 32-d
    d = metrics.fid_from_features(low_rank, low_rank + 1e-3 * rng.normal(size=low_rank.shape))
    assert math.isfinite(d) and 0 <= d < 1e-2


def test_frechet_distance_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8)) + 0.3
    (m1, s1), (m2, s2) = metrics.feature_statistics(a), metrics.feature_statistics(b)
    covmean = linalg.sqrtm(s1 @ s2).real
    expected = ((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert metrics.frechet_distance(m1, s1, m2, s2) == pytest.approx(expected, rel=1e-6)


# ----------------------------------------------------------------------------------------------
# The shipped classifiers

@needs_mnist
@pytest.mark.parametrize("name, least", [("mnist", 0.99), ("fashion-mnist", 0.90)])
def test_shipped_classifier_is_frozen_small_and_as_accurate_as_recorded(name, least):
    folder = metrics.classifier_dir(name)
    config = json.loads((folder / "config.json").read_text())
    assert config["test_accuracy"] >= least
    assert (folder / "model.safetensors").stat().st_size < 1_000_000
    net = metrics.load_classifier(name)
    assert net is metrics.load_classifier(name)  # cached per process
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    ds = load_dataset(name)
    assert metrics.accuracy(net, ds.test, ds.test_labels) == pytest.approx(config["test_accuracy"], abs=1e-4)


def test_tampered_classifier_is_refused(tmp_path):
    src = metrics.classifier_dir("mnist")
    dst = tmp_path / "classifier-mnist"
    shutil.copytree(src, dst)
    metrics.load_classifier("mnist", root=tmp_path)  # an intact copy loads
    data = bytearray((dst / "model.safetensors").read_bytes())
    data[-10] ^= 0x01  # one bit of one weight
    (dst / "model.safetensors").write_bytes(bytes(data))
    metrics._load_classifier.cache_clear()
    with pytest.raises(CheckpointError, match="does not match its config.json: sha256"):
        metrics.load_classifier("mnist", root=tmp_path)
    metrics._load_classifier.cache_clear()


def test_missing_classifier_says_how_to_make_it(tmp_path):
    with pytest.raises(CheckpointError, match="train-classifier mnist"):
        metrics.load_classifier("mnist", root=tmp_path)
    with pytest.raises(UserError, match="no evaluation classifier for 'cifar10'"):
        metrics.load_classifier("cifar10")


# ----------------------------------------------------------------------------------------------
# Classifier FID on real images

@needs_mnist
def test_fid_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    ds = load_dataset("mnist")
    net = metrics.load_classifier("mnist")
    x = ds.test[:3000]
    base, _, _ = metrics.classifier_outputs(net, x)
    assert metrics.fid_from_features(base, base) == pytest.approx(0.0, abs=1e-6)
    fids = []
    for shift in (1, 2, 4):
        shifted, _, _ = metrics.classifier_outputs(net, torch.roll(x, shifts=shift, dims=-1))
        fids.append(metrics.fid_from_features(base, shifted))
    assert 0 < fids[0] < fids[1] < fids[2]


@needs_mnist
def test_fid_floor_is_small_and_cached():
    floor = metrics.fid_floor("mnist", 2000)
    assert 0 < floor < 10
    assert metrics.fid_floor("mnist", 2000) == floor
    assert metrics.fid_floor("mnist", 10_000) < floor  # FID's bias shrinks with more samples


# ----------------------------------------------------------------------------------------------
# Conditional accuracy, through a model that draws real test images of the asked class

@dataclass(frozen=True)
class _FakeConfig:
    latent_dim: int = 4


class RealImagesOfClass(GANModel):
    """A perfect conditional "generator": for class y it hands out the next test image of class y."""

    name = "real-images"
    family = "acgan"
    Config = _FakeConfig
    needs_labels = True

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, spec):
        super().__init__(config=_FakeConfig(), data=spec)
        self.anchor = nn.Parameter(torch.zeros(1))
        self.pools = [normalize(images[labels == c]) for c in range(spec.num_classes)]
        self.cursor = [0] * spec.num_classes

    @property
    def num_conditions(self) -> int:
        return self.data.num_classes

    def generate(self, z, y):
        out = []
        for c in y.tolist():
            out.append(self.pools[c][self.cursor[c]])
            self.cursor[c] += 1
        return torch.stack(out)


@needs_mnist
def test_conditional_accuracy_of_real_images_is_the_classifiers_test_accuracy():
    ds = load_dataset("mnist")
    net = metrics.load_classifier("mnist")
    model = RealImagesOfClass(ds.test, ds.test_labels, ds.spec)
    assert metrics.conditions_are_classes(model)
    images, y = metrics.generate_samples(model, 0, labels=ds.test_labels)
    _, preds, _ = metrics.classifier_outputs(net, images)
    overall, per_class = metrics.conditional_accuracy(preds, y, 10)
    assert overall == pytest.approx(metrics.accuracy(net, ds.test, ds.test_labels), abs=1e-12)
    assert overall == pytest.approx(net.config["test_accuracy"], abs=1e-4)
    assert per_class.shape == (10,) and (per_class > 0.97).all()


@needs_mnist
def test_evaluate_reports_conditional_accuracy_per_class():
    ds = load_dataset("mnist")
    model = RealImagesOfClass(ds.test, ds.test_labels, ds.spec)
    scores = metrics.evaluate(model, "mnist", n_samples=2000)
    assert scores["cond_acc"] > 0.98
    assert [f"cond_acc_{c}" in scores for c in range(10)] == [True] * 10
    assert scores["fid"] < 5  # real test images against the test split
    # real digits are named with confidence, about as often as the whole test set's
    assert 0.9 < scores["confident_real"] < 1 and scores["confident"] == pytest.approx(scores["confident_real"],
                                                                                        abs=0.03)


# ----------------------------------------------------------------------------------------------
# Toy data

@pytest.mark.parametrize("name, k", [("toy-8gaussians", 8), ("toy-25gaussians", 25)])
def test_toy_scores_of_a_perfect_and_a_collapsed_sampler(name, k):
    points, modes = toy_points(name, 5000, torch.Generator().manual_seed(3))
    std = metrics.TOY_STD[name]
    perfect = metrics.toy_scores(points, modes, std)
    assert perfect["modes"] == k and perfect["in_3std"] > 0.99
    collapsed = modes[2] + std * torch.randn(5000, 2, generator=torch.Generator().manual_seed(4))
    one = metrics.toy_scores(collapsed, modes, std)
    assert one["modes"] == 1 and one["in_3std"] > 0.99
    spread = metrics.toy_scores(torch.rand(5000, 2) * 4 - 2, modes, std)
    assert spread["in_3std"] < 0.2


def test_evaluate_on_toy_data_and_on_data_where_nothing_applies():
    torch.manual_seed(0)
    model = create_model("wgan-gp", load_dataset("toy-8gaussians").spec)
    scores = metrics.evaluate(model, "toy-8gaussians", n_samples=2000)
    assert set(scores) == {"modes", "in_3std"} and 0 <= scores["modes"] <= 8
    with pytest.raises(UserError, match="No evaluation score applies to wgan-gp on toy-swissroll"):
        metrics.evaluate(create_model("wgan-gp", load_dataset("toy-swissroll").spec), "toy-swissroll")
    assert metrics.live_evaluator("toy-swissroll") is None
    live = metrics.live_evaluator("toy-25gaussians", 500)
    assert set(live(create_model("wgan-gp", load_dataset("toy-25gaussians").spec))) == {"modes", "in_3std"}


# ----------------------------------------------------------------------------------------------
# Autoencoder scores

def test_cluster_accuracy_takes_each_clusters_majority():
    clusters = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])
    labels = torch.tensor([5, 5, 3, 1, 1, 4, 5, 4])
    assert metrics.cluster_accuracy(clusters, labels, 3, 6) == pytest.approx(6 / 8)
    assert metrics.classification_error(labels, labels) == 0.0


def test_mmd_is_about_zero_for_one_distribution_and_grows_with_a_shift():
    gen = torch.Generator().manual_seed(0)
    prior = torch.randn(800, 8, generator=gen)
    same = metrics.mmd_rbf(torch.randn(800, 8, generator=gen), prior)
    near = metrics.mmd_rbf(torch.randn(800, 8, generator=gen) + 0.5, prior)
    far = metrics.mmd_rbf(torch.randn(800, 8, generator=gen) + 2.0, prior)
    assert abs(same) < 0.01 < near < far


def test_reconstruction_mse_is_in_unit_pixels():
    x = torch.full((2, 1, 4, 4), -1.0)
    assert metrics.reconstruction_mse(x, x) == 0.0
    assert metrics.reconstruction_mse(x, -x) == pytest.approx(1.0)  # black vs white


@needs_mnist
@pytest.mark.parametrize("name, expected", [
    ("aae", {"fid", "fid_floor", "recon_mse", "prior_mmd"}),
    ("aae-supervised", {"fid", "fid_floor", "cond_acc", "recon_mse", "prior_mmd"}),
    ("aae-semisupervised", {"fid", "fid_floor", "cond_acc", "recon_mse", "prior_mmd", "test_error"}),
    ("aae-cluster", {"fid", "fid_floor", "recon_mse", "prior_mmd", "cluster_acc"}),
    ("acgan", {"fid", "fid_floor", "cond_acc"}),
])
def test_live_scores_of_each_family(name, expected):
    ds = load_dataset("mnist")
    torch.manual_seed(0)
    model = create_model(name, ds.spec)
    model.attach_data(ds, 0)
    assert set(metrics.applicable_scores(model, "mnist")) == expected
    scores = metrics.live_evaluator("mnist", 500, model=model)(model)
    shares = {f"share_{c}" for c in range(10)} if not model.num_conditions else set()  # unconditional: its classes
    assert set(scores) == expected | shares
    assert all(math.isfinite(v) for v in scores.values())
    if shares:
        assert sum(scores[k] for k in shares) == pytest.approx(1.0)


# ----------------------------------------------------------------------------------------------
# evaluate() on a fresh model

@needs_mnist
def test_evaluate_a_fresh_wgan_scores_worse_than_the_floor():
    torch.manual_seed(0)
    model = create_model("wgan-gp", load_dataset("mnist").spec)
    scores = metrics.evaluate(model, "mnist", n_samples=2000)
    assert set(scores) == {"fid", "fid_floor", "confident", "confident_real"}
    assert scores["fid"] > 10 * scores["fid_floor"] > 0
    # The CNN names even an untrained generator's blobs with confidence (all of them, here): it never
    # saw anything but digits. `confident` tells sharp from smeared digits, not digits from noise.
    assert 0 <= scores["confident"] <= 1
    with pytest.raises(UserError, match="classifier scores .* exist for mnist, fashion-mnist only"):
        metrics.evaluate(model, "cifar10")


def test_live_evaluator_leaves_out_classifier_scores_when_the_file_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(metrics, "CLASSIFIER_ROOT", tmp_path)
    metrics._scorer.cache_clear()
    try:
        model = create_model("wgan-gp", load_dataset("mnist").spec)
        assert metrics.live_evaluator("mnist", 500, model=model) is None  # nothing else applies to a WGAN
        with pytest.raises(CheckpointError, match="train-classifier mnist"):
            metrics.evaluate(model, "mnist", n_samples=500)
    finally:
        metrics._scorer.cache_clear()


def test_making_a_scorer_during_training_leaves_the_run_as_it_was():
    # The train command builds its live evaluator after seeding the run. Loading the classifier
    # used to draw its (discarded) initial weights from the global generator, which shifted
    # every later z and shift: the same command gave other weights with --eval-every than without.
    from gan_playground.config import RunConfig
    from gan_playground.engine import TrainingJob
    from gan_playground.run import prepare_run

    def final_weights(make_scorer: bool) -> torch.Tensor:
        metrics._load_classifier.cache_clear()  # as in a fresh process
        metrics.fid_floor.cache_clear()
        run = prepare_run(RunConfig(model="aae-cluster", dataset="mnist", batch_size=16, steps=30, device="cpu"),
                          {"hidden": "32"})
        evaluate = metrics.live_evaluator("mnist", 200) if make_scorer else None
        job = TrainingJob(run, evaluate=evaluate, eval_every=10).start()
        assert job.join(120) and job.snapshot().state == "finished"
        return torch.cat([p.detach().flatten() for p in run.model.parameters()])

    assert torch.equal(final_weights(False), final_weights(True))
