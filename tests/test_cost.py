"""What a run will cost, before it starts (gan_playground/cost.py)."""

from __future__ import annotations

import time

import pytest
import torch

from gan_playground import cost
from gan_playground.config import RunConfig
from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.run import prepare_run


def toy_run(batch_size: int = 256, **settings):
    return prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=20, batch_size=batch_size,
                                 device="cpu"), {"toy_width": "128", **settings})


def test_the_estimate_follows_the_settings_and_leaves_the_run_alone():
    run = toy_run()
    weights = {k: v.clone() for k, v in run.model.state_dict().items()}
    rng, batches = run.rng.get_state(), run.sampler.generator.get_state()
    small, large = cost.estimate(run), cost.estimate(toy_run(batch_size=1024))
    wide = cost.estimate(toy_run(toy_width="512"))
    assert 0 < small.bytes < large.bytes and 0 < small.flops < large.flops
    assert large.flops == pytest.approx(4 * small.flops, rel=0.1)  # the operations grow with the batch
    assert wide.flops > 4 * small.flops  # and with the square of the width
    critics = cost.estimate(toy_run(n_critic="20"))
    assert critics.flops > 2.5 * small.flops  # n_critic 20 instead of 5: the critic's share grows 4x
    assert all(torch.equal(v, weights[k]) for k, v in run.model.state_dict().items())  # a copy took the probe steps
    assert torch.equal(run.rng.get_state(), rng) and torch.equal(run.sampler.generator.get_state(), batches)


def test_the_seconds_are_near_what_a_step_takes():
    run = toy_run(batch_size=1024)
    estimate = cost.estimate(run).seconds_per_step
    job = TrainingJob(run, log_every=5)
    job.train_until(None, stop_at=3)  # warm up
    times = []
    for step in range(4, 14):  # the fastest step, as the estimate's speed is the device's fastest: a
        t0 = time.perf_counter()  # neighbour's load (a busy test machine) slows some steps, not all
        job.train_until(None, stop_at=step)
        times.append(time.perf_counter() - t0)
    measured = min(times)
    assert measured / 4 < estimate < measured * 4, (estimate, measured)  # a guide within a small factor


@pytest.mark.slow
def test_the_largest_settings_are_refused_naming_what_to_lower():
    """The issue's run: WGAN-GP, dcgan, batch 4,096, n_critic 100, latent 1,024 took 4.5 GB and over a
    minute a step. Refused before it starts, with the settings to lower, furthest above default first."""
    run = prepare_run(RunConfig(model="wgan-gp", dataset="mnist", steps=20, batch_size=4096, device="cpu"),
                      {"arch": "dcgan", "n_critic": "100", "latent_dim": "1024"})
    estimate = cost.estimate(run)
    assert 3 * 2**30 < estimate.bytes < 7 * 2**30  # measured: 4.5 GB
    with pytest.raises(UserError) as err:
        cost.check(run)
    message = str(err.value)
    assert "GB of memory (this server allows 2.0 GB a run)" in message and "s a step" in message
    assert message.endswith("Lower the batch size (4,096; default 64), n_critic (100; default 5) or latent_dim "
                            "(1,024; default 100).")
    cost.check(toy_run())  # the defaults pass


def test_the_limits_come_from_the_environment(monkeypatch):
    run = toy_run(batch_size=1024)
    monkeypatch.setenv("GAN_PLAYGROUND_MAX_RUN_MB", "1")
    with pytest.raises(UserError, match=r"memory \(this server allows 1 MB a run\)\. Lower the batch size \(1,024"):
        cost.check(run)
    monkeypatch.setenv("GAN_PLAYGROUND_MAX_RUN_MB", "lots")
    with pytest.raises(UserError, match="GAN_PLAYGROUND_MAX_RUN_MB='lots' is not a number"):
        cost.check(run)
    monkeypatch.delenv("GAN_PLAYGROUND_MAX_RUN_MB")
    monkeypatch.setenv("GAN_PLAYGROUND_MAX_STEP_S", "0.000001")
    with pytest.raises(UserError, match="s a step"):
        cost.check(run)
    assert cost.Limits.from_env(torch.device("cpu"), timed=False).seconds_per_step == float("inf")
