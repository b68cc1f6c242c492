import pytest
import torch
from torch import nn

from gan_playground.config import RunConfig
from gan_playground.data import DataSpec
from gan_playground.engine import TrainingJob
from gan_playground.models import create_model
from gan_playground.models.wgan import divergence_scores_and_penalty, gradient_penalty, lipschitz_penalty
from gan_playground.optim import RMSprop
from gan_playground.run import prepare_run

MNIST_LIKE = DataSpec((1, 28, 28), 10, "image")
VARIANTS = ("wgan", "wgan-gp", "wgan-div", "wgan-lp")


def linear_critic(norm: float) -> nn.Module:
    """D(x) = w . flatten(x) + b with |w| = norm: the gradient norm is `norm` everywhere."""
    critic = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    with torch.no_grad():
        w = torch.randn(1, 16)
        critic[1].weight.copy_(w / w.norm() * norm)
    return critic


@pytest.mark.parametrize("norm", [0.5, 1.0, 3.0])
def test_penalties_of_a_linear_critic(norm):
    critic = linear_critic(norm)
    real, fake = torch.randn(8, 1, 4, 4), torch.randn(8, 1, 4, 4)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx((norm - 1) ** 2, abs=1e-5)
    assert lipschitz_penalty(critic, real, fake).item() == pytest.approx(max(0.0, norm - 1) ** 2, abs=1e-5)
    assert divergence_scores_and_penalty(critic, real, fake, p=6)[1].item() == pytest.approx(norm ** 6, rel=1e-4)


def test_gradient_norm_is_per_sample_over_the_whole_image():
    # D(x) = sum of squares: grad = 2x, so the penalty depends on every pixel of each sample.
    critic = lambda x: x.pow(2).flatten(1).sum(1, keepdim=True)  # noqa: E731
    real = torch.zeros(2, 1, 2, 2)
    real[0, 0, 0, 0] = 0.3
    real[1, 0, 1, 1] = 0.4
    # interpolates of x with itself are x: |grad| = 2 |x| per sample = 0.6 and 0.8
    expected = ((0.6 - 1) ** 2 + (0.8 - 1) ** 2) / 2
    assert gradient_penalty(critic, real, real).item() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("penalty", [gradient_penalty, lipschitz_penalty])
def test_the_interpolation_weight_is_one_number_per_sample(penalty):
    """x_hat = eps x + (1 - eps) G(z) with one eps ~ U[0, 1] per sample, shared by all its pixels: a
    point on the line from a fake to a real sample (Gulrajani et al. 2017, algorithm 1), not a
    pixel-wise mix of the two. With real = 1 and fake = 0, x_hat of each sample is its eps everywhere."""
    seen = []

    def critic(x):
        seen.append(x.detach())
        return x.flatten(1).sum(1, keepdim=True)

    real, fake = torch.ones(64, 3, 4, 4), torch.zeros(64, 3, 4, 4)
    penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))
    eps = seen[0].flatten(1)  # (B, pixels)
    assert torch.equal(eps, eps[:, :1].expand_as(eps))  # one number per sample...
    assert eps.min() >= 0 and eps.max() <= 1 and eps[:, 0].unique().numel() == 64  # ...its own, in [0, 1]
    assert 0.35 < eps.mean() < 0.65


def test_divergence_penalty_of_one_pass_equals_per_sample_gradients():
    # One backward over cat(real, fake) must give each sample its own gradient, as separate
    # passes would: checked against one autograd call per sample on a nonlinear critic.
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    real, fake = torch.randn(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    scores, penalty = divergence_scores_and_penalty(critic, real, fake, p=6)

    def own_norm(x):
        x = x.unsqueeze(0).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x)
        return grad.norm()

    expected = 0.5 * (torch.stack([own_norm(x) ** 6 for x in real]).mean()
                      + torch.stack([own_norm(x) ** 6 for x in fake]).mean())
    assert torch.allclose(scores, critic(torch.cat([real, fake])))
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    penalty.backward()  # differentiable for the critic's weights (the double backward)
    assert critic[1].weight.grad.abs().sum() > 0


def test_penalty_is_differentiable_for_the_critic():
    critic = linear_critic(2.0)
    gradient_penalty(critic, torch.randn(4, 1, 4, 4), torch.randn(4, 1, 4, 4)).backward()
    assert critic[1].weight.grad is not None and critic[1].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
def test_train_step_and_sample_shapes(name, arch):
    model = create_model(name, MNIST_LIKE, {"n_critic": "2", "arch": arch, "width": "8"})
    assert model.batches_per_step == 2
    losses = model.train_step(torch.rand(2 * 16, 1, 28, 28) * 2 - 1, None)
    assert set(losses) == {"loss_d", "loss_g", "wasserstein", "penalty"}
    assert all(v.dim() == 0 and torch.isfinite(v) and not v.requires_grad for v in losses.values())
    images = model.sample(model.random_latents(5))
    assert images.shape == (5, 1, 28, 28) and images.min() >= -1 and images.max() <= 1


def flat(module: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


@pytest.mark.parametrize("name", VARIANTS)
def test_each_phase_updates_only_its_own_network(name):
    """The 2-D Lab's "one critic step" and "one generator step" buttons call these."""
    model = create_model(name, MNIST_LIKE, {"n_critic": "3", "clip": "0.02"} if name == "wgan" else {"n_critic": "3"})
    critic, generator = flat(model.critic), flat(model.generator)
    losses = model.critic_update(torch.rand(16, 1, 28, 28) * 2 - 1)
    assert set(losses) == {"loss_d", "wasserstein", "penalty"} and all(v.dim() == 0 for v in losses.values())
    assert not torch.equal(flat(model.critic), critic) and torch.equal(flat(model.generator), generator)
    if name == "wgan":
        assert flat(model.critic).abs().max() <= 0.02  # the critic's update includes the clipping
    critic = flat(model.critic)
    assert set(model.generator_update(batch_size=16)) == {"loss_g"}
    assert torch.equal(flat(model.critic), critic) and not torch.equal(flat(model.generator), generator)
    assert all(p.requires_grad for p in model.critic.parameters())  # ready for the next critic update


@pytest.mark.parametrize("name", VARIANTS)
def test_train_step_is_n_critic_critic_updates_then_one_generator_update(name):
    """Algorithm 1 from the two public phases; the generator's update reuses the last critic
    update's fakes (their z, their graph), as the loop always did."""
    overrides = {"n_critic": "2", "ema": "0.9"}
    stepped, by_phases = (create_model(name, MNIST_LIKE, overrides) for _ in range(2))
    x = torch.rand(2 * 16, 1, 28, 28) * 2 - 1
    losses = stepped.train_step(x)
    first, last = x.chunk(2)
    by_phases.critic_update(first)
    fake = by_phases.generator(by_phases.random_latents(16, by_phases.rng))
    expected = {**by_phases.critic_update(last, fake), **by_phases.generator_update(fake=fake)}
    assert tuple(losses) == stepped.loss_names and all(torch.equal(losses[k], expected[k]) for k in losses)
    for (key, a), b in zip(stepped.state_dict().items(), by_phases.state_dict().values(), strict=True):
        assert torch.equal(a, b), key


def test_cifar_shape_and_toy_shape():
    conv = create_model("wgan-gp", DataSpec((3, 32, 32), 10, "image"), {"arch": "dcgan", "width": "8"})
    assert conv.sample(conv.random_latents(2)).shape == (2, 3, 32, 32)
    toy = create_model("wgan-lp", DataSpec((2,), 0, "points"))
    assert toy.sample(toy.random_latents(7)).shape == (7, 2)


def test_clipping_keeps_critic_weights_in_range():
    model = create_model("wgan", MNIST_LIKE, {"clip": "0.02", "n_critic": "1", "lr": "0.5"})
    model.train_step(torch.rand(16, 1, 28, 28), None)
    assert max(p.abs().max().item() for p in model.critic.parameters()) <= 0.02 + 1e-7
    assert isinstance(model.optimizers["d"], RMSprop)


@pytest.mark.parametrize("name", VARIANTS)
def test_the_critic_has_its_own_rate_where_lr_critic_is_set(name):
    """A two time-scale update (Heusel et al. 2017): lr_critic for the critic, lr for the generator;
    0 (the default, every paper's setting) keeps one rate for both, and a resume scales both."""
    same = create_model(name, MNIST_LIKE, {"lr": "1e-4"})
    assert [g["lr"] for g in same.optimizers["d"].param_groups] == [1e-4]
    own = create_model(name, MNIST_LIKE, {"lr": "1e-4", "lr_critic": "4e-4"})
    assert [g["lr"] for g in own.optimizers["d"].param_groups] == [4e-4]
    assert [g["lr"] for g in own.optimizers["g"].param_groups] == [1e-4]
    assert own.scaled_rates(0.5) == {"lr": 5e-5, "lr_critic": 2e-4}


def test_generator_average_follows_the_weights_and_draws_the_samples():
    model = create_model("wgan-gp", MNIST_LIKE, {"n_critic": "1", "ema": "0.9"})
    before = [p.clone() for p in model.generator_ema.parameters()]
    model.train_step(torch.rand(16, 1, 28, 28) * 2 - 1, None)
    # the first update uses decay min(0.9, (1 + 0) / (10 + 0)) = 0.1
    for old, avg, new in zip(before, model.generator_ema.parameters(), model.generator.parameters(), strict=True):
        torch.testing.assert_close(avg, 0.1 * old + 0.9 * new)
    for avg, new in zip(model.generator_ema.buffers(), model.generator.buffers(), strict=True):
        assert torch.equal(avg, new)  # batch-norm statistics are copied, not averaged
    assert int(model.ema_updates) == 1
    z = model.random_latents(4)
    drawn = model.sample(z)
    assert torch.equal(drawn, model.generator_ema.eval()(z))
    assert not torch.allclose(drawn, model.generator.eval()(z))

    plain = create_model("wgan-gp", MNIST_LIKE, {"ema": "0"})
    assert not hasattr(plain, "generator_ema") and "ema_updates" not in plain.state_dict()


def modes_covered(points: torch.Tensor, modes: torch.Tensor, radius: float = 0.1, min_share: float = 0.02) -> int:
    """Modes that hold at least `min_share` of the samples within `radius` (modes lie ~1.08 apart)."""
    dist = torch.cdist(points, modes)
    near = dist.min(dim=1).values < radius
    counts = torch.bincount(dist.argmin(dim=1)[near], minlength=len(modes))
    return int((counts >= min_share * len(points)).sum())


@pytest.mark.slow
def test_wgan_gp_covers_the_8_gaussians():
    """The learning test: a short CPU run finds at least 7 of the 8 modes.

    gan_toy.py's toy settings (2-D noise, lambda 0.1, Adam betas 0.5, 0.9) with a narrower MLP
    (128 instead of 512 units) and a higher rate, so that 600 steps take seconds. Measured here
    (2-core CPU, seed 0): 8 modes from step 400 on, through step 900.
    """
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=600, batch_size=256, seed=0),
                      {"lr": "3e-4", "betas": "0.5,0.9", "latent_dim": "2", "lambda_gp": "0.1", "toy_width": "128"})
    z = run.model.random_latents(2000, torch.Generator().manual_seed(1))  # leaves the run's RNG alone
    before = modes_covered(run.model.sample(z), run.dataset.modes)
    job = TrainingJob(run).start()
    assert job.join(timeout=600) and job.state == "finished", job.snapshot().message
    after = modes_covered(run.model.sample(z), run.dataset.modes)
    assert before <= 1 and after >= 7
