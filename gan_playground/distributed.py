"""Data-parallel training over processes started by torchrun: gloo on the CPU, NCCL on CUDA.

    torchrun --nproc_per_node=2 -m gan_playground train wgan-gp --dataset mnist --batch-size 128

`--batch-size` is the global batch: each of the N ranks draws its own `batch_size / N` examples
and its own noise (its sampler and its run generator are seeded by the seed and the rank).
Every optimizer averages the gradients
of its parameters over the ranks just before it steps (one all-reduce of one flat buffer per
step), so every rank takes the same step from the same weights and the ranks stay identical.
This keeps the model files as they are: a model's `train_step` may run several optimizers, a
gradient penalty or weight clipping, and all of it stays correct, since each step averages only
what it is about to use. (DistributedDataParallel would need one wrapped forward per backward,
which a GAN step with several networks and a double backward does not have.)

Batch norm: batch statistics are per rank (as with DistributedDataParallel without SyncBatchNorm);
the running statistics, used for sampling, are averaged over the ranks after every training
step (a `Run.after_step` hook, which the engine calls), so they stay identical too. Only rank 0
writes checkpoints and prints progress.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from gan_playground.errors import ConfigError


@dataclass(frozen=True)
class Context:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init(device: str = "auto") -> Context:
    """Join the process group that torchrun describes (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_*).

    Without torchrun (WORLD_SIZE unset or 1) this is a no-op returning a one-rank context.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Context()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device in ("auto", "cuda") and torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(local_rank)  # `cuda` below then means this rank's own GPU
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return Context(rank, world, local_rank)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def make_data_parallel(run, ctx: Context) -> None:
    """Turn a prepared Run (`run.prepare_run`) into this rank's share of a data-parallel run.

    The same weights everywhere (rank 0's, broadcast), this rank's own batches and noise,
    gradients averaged before every optimizer step (torch's step pre-hook) and batch-norm
    statistics after every training step (`Run.after_step`).
    """
    if not ctx.enabled:
        return
    from gan_playground.data import Sampler

    global_batch = run.sampler.batch_size
    if global_batch % ctx.world_size:
        raise ConfigError(f"--batch-size {global_batch} must be divisible by the {ctx.world_size} processes.")
    model = run.model
    with torch.no_grad():
        for t in [*model.parameters(), *model.buffers()]:
            dist.broadcast(t, src=0)
    run.sampler = Sampler(run.dataset, batch_size=global_batch // ctx.world_size, device=run.device,
                          seed=run.config.seed + ctx.rank)
    run.rng.manual_seed(run.config.seed + 1000 * (ctx.rank + 1))  # this rank's own z, eps, dropout masks
    for opt in model.optimizers.values():
        opt.register_step_pre_hook(lambda opt, args, kwargs: average_gradients(opt, ctx.world_size))
    run.after_step.append(lambda: average_buffers(model, ctx.world_size))


def average_gradients(opt: torch.optim.Optimizer, world_size: int) -> None:
    """grad <- mean over ranks of grad, for the parameters `opt` is about to step: one all-reduce."""
    _mean_over_ranks([p.grad for group in opt.param_groups for p in group["params"] if p.grad is not None],
                     world_size)


def average_buffers(module: torch.nn.Module, world_size: int) -> None:
    """Floating buffers (batch-norm running mean and variance) <- their mean over the ranks."""
    _mean_over_ranks([b for b in module.buffers() if b.dtype.is_floating_point], world_size)


def _mean_over_ranks(tensors: list[torch.Tensor], world_size: int) -> None:
    """Each tensor <- its mean over the ranks, in place, with one all-reduce of one flat buffer."""
    if not tensors:
        return
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for t in tensors:
        t.copy_(flat[offset:offset + t.numel()].view_as(t))
        offset += t.numel()
