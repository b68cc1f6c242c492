"""Data-parallel training (gan_playground.distributed): two CPU processes with gloo stay in sync."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from conftest import free_port

from gan_playground import distributed
from gan_playground.config import RunConfig
from gan_playground.engine import TrainingJob
from gan_playground.run import prepare_run

REPO = Path(__file__).resolve().parents[1]


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    ctx = distributed.init("cpu")
    try:
        # A tiny toy model with Adam, a gradient penalty (a double backward) and n_critic=2.
        run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=4, batch_size=32, seed=0,
                                    device="cpu"), {"n_critic": "2", "latent_dim": "2"})
        distributed.make_data_parallel(run, ctx)
        assert "train_step" not in vars(run.model)  # hooked through Run.after_step, not replaced
        first_batch = run.sampler.next()[0].clone()
        job = TrainingJob(run, steps=4, log_every=2, preview_every=10**9).start()
        assert job.join(timeout=300) and job.state == "finished", job.snapshot().message
        flat = torch.cat([p.detach().reshape(-1) for p in run.model.parameters()])

        # Batch-norm running statistics: different batches per rank, then averaged.
        bn = torch.nn.BatchNorm1d(3)
        bn(torch.randn(8, 3) + rank)
        distributed.average_buffers(bn, world)

        gathered = [torch.empty_like(flat) for _ in range(world)]
        dist.all_gather(gathered, flat)
        batches = [torch.empty_like(first_batch) for _ in range(world)]
        dist.all_gather(batches, first_batch)
        means = [torch.empty_like(bn.running_mean) for _ in range(world)]
        dist.all_gather(means, bn.running_mean)
        if rank == 0:
            torch.save({"params": gathered, "batches": batches, "bn_means": means,
                        "local_batch": run.sampler.batch_size, "steps": job.step}, out)
    finally:
        distributed.shutdown()


@pytest.mark.slow
def test_two_ranks_stay_in_sync(tmp_path):
    out = str(tmp_path / "result.pt")
    mp.spawn(_worker, args=(2, free_port(), out), nprocs=2, join=True)
    res = torch.load(out)
    assert res["steps"] == 4 and res["local_batch"] == 16  # the global batch of 32, split over 2 ranks
    assert not torch.equal(res["batches"][0], res["batches"][1])  # each rank draws its own data...
    assert torch.equal(res["params"][0], res["params"][1])  # ...and yet the weights are identical
    assert torch.equal(res["bn_means"][0], res["bn_means"][1])


@pytest.mark.slow
def test_torchrun_train_writes_once(tmp_path):
    """`torchrun --nproc_per_node=2 -m gan_playground train ...`: both ranks train, rank 0 writes."""
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}",
           "-m", "gan_playground", "train", "wgan-gp", "--dataset", "toy-8gaussians", "--steps", "6",
           "--batch-size", "32", "--autosave-minutes", "0", "--quiet", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("wrote ") == 1  # rank 0 only
    assert (out / "model.safetensors").is_file()


def test_batch_must_split_evenly(monkeypatch):
    from gan_playground.errors import ConfigError

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", batch_size=33, device="cpu"))
    with pytest.raises(ConfigError, match="divisible"):
        distributed.make_data_parallel(run, distributed.Context(rank=0, world_size=2))
