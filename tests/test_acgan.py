"""ACGAN: shapes, each loss term, a tiny learning test, and a run through the engine."""

from __future__ import annotations

import math

import pytest
import torch

from gan_playground.config import RunConfig, build_config
from gan_playground.data import Dataset, DataSpec, load_dataset, normalize
from gan_playground.engine import TrainingJob
from gan_playground.errors import ConfigError
from gan_playground.models import MODELS
from gan_playground.models.acgan import ACGAN, ACGANConfig, class_loss, source_loss
from gan_playground.run import prepare_run


def make(spec: DataSpec, **overrides) -> ACGAN:
    torch.manual_seed(0)
    return ACGAN(config=build_config(ACGANConfig, overrides), data=spec)


def check_losses(model: ACGAN, losses: dict[str, torch.Tensor]) -> None:
    assert tuple(losses) == model.loss_names
    for name, value in losses.items():
        assert value.dim() == 0 and not value.requires_grad, name
        assert math.isfinite(value.item()), name
    assert losses["loss_d"].item() > 0 and losses["loss_g"].item() > 0
    assert 0 < losses["loss_aux"].item() < 10
    assert 0 <= losses["acc_real"].item() <= 1 and 0 <= losses["acc_fake"].item() <= 1


@pytest.mark.parametrize("arch, shape", [("dcgan", (1, 28, 28)), ("dcgan", (3, 32, 32)),
                                         ("reference", (1, 32, 32)), ("reference", (3, 32, 32))])
def test_shapes_and_losses(arch, shape):
    model = make(DataSpec(shape, 10, "image"), arch=arch, width=8)
    x, y = torch.rand(8, *shape) * 2 - 1, torch.randint(0, 10, (8,))
    check_losses(model, model.train_step(x, y))
    # At initialization the class head knows nothing: its cross entropy is near log(10).
    assert abs(model.train_step(x, y)["loss_aux"].item() - math.log(10)) < 1.0
    z = model.random_latents(5)
    images = model.sample(z, torch.arange(5))
    assert images.shape == (5, *shape) and images.abs().max() <= 1
    assert model.num_conditions == 10
    with pytest.raises(ValueError, match="pass y"):
        model.sample(z)


def test_sample_depends_on_class_and_is_eval_mode():
    model = make(DataSpec((1, 28, 28), 10, "image"), width=8)
    z = model.random_latents(1).repeat(2, 1)
    a, b = model.sample(z, torch.tensor([0, 1]))
    assert not torch.allclose(a, b)  # same z, other class: another image
    assert model.training  # sample restores the training mode
    assert torch.equal(model.sample(z, torch.tensor([0, 1])), model.sample(z, torch.tensor([0, 1])))


def test_image_size_and_validation():
    assert ACGAN.image_size_for(build_config(ACGANConfig, {"arch": "reference"}), "mnist") == 32
    assert ACGAN.image_size_for(build_config(ACGANConfig), "mnist") is None
    with pytest.raises(ConfigError, match="32x32"):
        make(DataSpec((1, 28, 28), 10, "image"), arch="reference")
    with pytest.raises(ConfigError, match="labelled"):
        make(DataSpec((1, 28, 28), 0, "image"))
    with pytest.raises(ConfigError, match="dcgan, reference"):
        build_config(ACGANConfig, {"arch": "mlp"})
    assert list(MODELS)[:5] == ["acgan", "aae", "aae-supervised", "aae-semisupervised", "aae-cluster"]


def test_losses_are_on_logits():
    """A confident right logit gives ~0 loss; a double softmax (PyTorch-GAN's bug) could not."""
    logits = torch.tensor([[30.0, 0.0, 0.0, 0.0]])
    assert class_loss(logits, torch.tensor([0])).item() < 1e-6
    assert class_loss(logits, torch.tensor([1])).item() > 20
    assert source_loss(torch.tensor([30.0]), True).item() < 1e-6
    assert source_loss(torch.tensor([30.0]), False).item() > 20


@pytest.mark.parametrize("paper", [False, True])
def test_d_names_the_class_of_real_images_only_unless_the_paper_is_asked_for(monkeypatch, paper):
    """By default D's class head learns from real images alone (models/acgan.py says why); with
    `fake_class_loss=True`, the paper's D also names the class of fakes. G's class loss is there in both."""
    from gan_playground.models import acgan

    targets = []
    real_class_loss = acgan.class_loss

    def spy(logits, target):
        targets.append(target)
        return real_class_loss(logits, target)

    monkeypatch.setattr(acgan, "class_loss", spy)
    model = make(DataSpec((1, 28, 28), 10, "image"), **({"fake_class_loss": True} if paper else {}))
    y = torch.arange(8) % 10
    model.train_step(torch.rand(8, 1, 28, 28) * 2 - 1, y)
    assert torch.equal(targets[0], y)  # D: the real images' labels
    assert len(targets) == (3 if paper else 2)  # (+ the fakes' classes in D) + G's classes


def mnist_pair(n_train: int, n_test: int) -> Dataset:
    """The digits 0 and 1 of MNIST, relabelled 0 and 1, as a two-class data set."""
    mnist = load_dataset("mnist")

    def pick(x, y, n):
        keep = (y <= 1).nonzero().squeeze(1)[:n]
        return x[keep], y[keep]

    x, y = pick(mnist.train, mnist.train_labels, n_train)
    xt, yt = pick(mnist.test, mnist.test_labels, n_test)
    return Dataset("mnist-01", x, y, xt, yt, ("0", "1"))


@pytest.mark.slow
def test_class_head_learns_two_classes():
    data = mnist_pair(512, 400)
    model = make(data.spec, width=8)
    gen = torch.Generator().manual_seed(0)

    def accuracy() -> float:
        model.eval()
        with torch.no_grad():
            _, logits = model.discriminator(normalize(data.test))
        model.train()
        return (logits.argmax(1) == data.test_labels).float().mean().item()

    before = accuracy()
    for _ in range(60):
        idx = torch.randint(0, len(data.train), (32,), generator=gen)
        losses = model.train_step(normalize(data.train[idx]), data.train_labels[idx])
    check_losses(model, losses)
    after = accuracy()
    assert after > 0.9 and after > before + 0.2, (before, after)


def test_trains_through_the_engine():
    run = prepare_run(RunConfig(model="acgan", dataset="mnist", steps=3, batch_size=16, device="cpu"))
    job = TrainingJob(run, log_every=1).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == "finished" and snap.step == 3, snap.message
    assert set(snap.history) == set(ACGAN.loss_names)
    assert snap.preview is not None and snap.preview.ndim == 3
