"""Training in worker processes (gan_playground/worker.py): the same run, and a Stop that is immediate."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import torch

from gan_playground import worker
from gan_playground.config import RunConfig
from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.run import prepare_run


def toy_job(steps: int = 60, batch_size: int = 32, **settings) -> TrainingJob:
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=steps, batch_size=batch_size, seed=5,
                                device="cpu"), {"n_critic": "2", "toy_width": "32", **settings})
    return TrainingJob(run, log_every=5, preview_every=10)


def test_slices_in_workers_end_where_steps_in_the_thread_end():
    reference = toy_job()
    reference.train_until(None)
    job = toy_job()
    for n in range(1, 5):
        worker.run_slice(job, time.monotonic() + 60, stop_at=15 * n)
        assert job.step == 15 * n
    for (name, a), b in zip(job.model.state_dict().items(), reference.model.state_dict().values(), strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), name
    assert torch.equal(job.run.rng.get_state(), reference.run.rng.get_state())
    assert job.snapshot().history_steps == reference.snapshot().history_steps
    assert not multiprocessing.active_children()  # each worker ended with its slice: its memory went back


@pytest.mark.slow
def test_a_job_trains_in_workers_and_stop_ends_a_long_step_at_once():
    job = toy_job(steps=100_000, batch_size=1024, toy_width="1024", n_critic="20")  # seconds a step on 2 cores
    saved = []
    job.autosave, job.autosave_every_s = (lambda j: saved.append(j.step)), 0.0
    job.slice_runner, job.slice_seconds = worker.run_slice, 1.0
    job.start()
    deadline = time.monotonic() + 120
    while job.step == 0 and time.monotonic() < deadline:  # the first slices come back
        time.sleep(0.05)
    assert job.step > 0 and job.state == "running" and saved  # absorbed, and autosaved as a thread would
    time.sleep(0.5)  # into a slice (and, likely, a step)
    assert multiprocessing.active_children()
    t0 = time.monotonic()
    job.stop()
    assert job.join(2.0), "Stop took more than 2 s"
    assert job.state == "stopped" and time.monotonic() - t0 < 2.0
    assert not multiprocessing.active_children()


def test_a_worker_that_dies_is_a_message_not_a_hang(monkeypatch):
    import os
    import signal

    job = toy_job()

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # the out-of-memory killer, say

    monkeypatch.setattr(worker, "train_slice", die)
    with pytest.raises(Exception, match="ended without a result.*step 0"):
        worker.run_slice(job, time.monotonic() + 10)
    monkeypatch.undo()


def test_workers_are_chosen_by_the_steps_cost_and_the_environment_and_only_on_a_cpu(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.delenv("GAN_PLAYGROUND_WORKERS", raising=False)  # auto: slow steps only
    assert worker.job_options(cpu) == {} and worker.job_options(cpu, seconds_per_step=0.01) == {}
    assert worker.job_options(cpu, seconds_per_step=worker.SLOW_STEP_S)["slice_runner"] is worker.run_slice
    monkeypatch.setenv("GAN_PLAYGROUND_WORKERS", "1")
    assert worker.job_options(cpu)["slice_runner"] is worker.run_slice
    assert worker.job_options(torch.device("meta"), seconds_per_step=60) == {}
    monkeypatch.setenv("GAN_PLAYGROUND_WORKERS", "0")
    assert worker.job_options(cpu, seconds_per_step=60) == {}
    monkeypatch.setenv("GAN_PLAYGROUND_WORKERS", "sometimes")
    with pytest.raises(UserError, match="GAN_PLAYGROUND_WORKERS='sometimes' is not one of auto, 1, 0"):
        worker.job_options(cpu)


def test_a_lock_held_by_another_thread_at_the_fork_does_not_hang_the_worker(monkeypatch):
    """Another visitor's Start may be building a model (nets._INIT_LOCK) when a slice forks: the
    worker gets a fresh lock, not the held one."""
    import threading

    from gan_playground import nets

    monkeypatch.setattr(worker, "ANSWER_S", 20.0)  # a hung worker fails the test in seconds, not minutes
    job = toy_job(steps=20)
    held, release = threading.Event(), threading.Event()

    def build_elsewhere():
        with nets._INIT_LOCK:
            held.set()
            release.wait(30)

    threading.Thread(target=build_elsewhere, daemon=True).start()
    assert held.wait(5)
    try:
        worker.run_slice(job, time.monotonic() + 30, stop_at=10)
    finally:
        release.set()
    assert job.step == 10
