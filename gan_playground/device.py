"""Where training runs, and how fast: the device's choice, the speed-ups each device offers without
changing the algorithm, the precision of the step, and a throughput benchmark of the step alone."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import torch

from gan_playground import capture
from gan_playground.environment import env_number
from gan_playground.errors import ConfigError

if TYPE_CHECKING:
    from gan_playground.run import Run


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then Apple's MPS, then the CPU; an explicit choice must exist."""
    has_mps = hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("Device 'cuda' was asked for, but no CUDA GPU is available here. Use --device auto or cpu.")
    if name == "mps" and not has_mps:
        raise ConfigError("Device 'mps' was asked for, but Apple's MPS is not available here. "
                          "Use --device auto or cpu.")
    if name not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"Unknown device {name!r}. Valid devices: auto, cpu, cuda, mps.")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":  # the threads a run trains on (set when it starts), not torch's count before it
        n = cpu_threads() or torch.get_num_threads()
        return f"cpu ({n} thread{'s' if n != 1 else ''})"
    return device.type


def cpu_threads() -> int | None:
    """Intra-op threads for CPU training: GAN_PLAYGROUND_THREADS, else 1 on <= 2 cores, else torch's choice."""
    chosen = env_number("GAN_PLAYGROUND_THREADS", 0, low=1, whole=True)  # 0: unset
    if chosen:
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if cores <= 2 else None


def use_fast_paths(run: Run) -> None:
    """Device-specific speed-ups that leave the algorithm as it is; a no-op when `run.fast` is off.

    Idempotent: the job calls it again before its loop, because restoring a checkpoint's
    optimizer state brings back the options the optimizers were saved with.

    - Every device: optimizers step all parameters in one kernel (fused Adam/AdamW on CPU and
      CUDA; multi-tensor "foreach" for the rest; the WGAN's RMSprop fuses by itself, optim.py)
      instead of a Python loop over tensors. On the CPU this took a WGAN-GP step from 308 to
      258 us of CPU time per image (bench/RESULTS.md).
    - CPU with 2 cores or fewer: one intra-op thread (`GAN_PLAYGROUND_THREADS=N` overrides). On
      the shared 2-core machine, batch-64 steps ran 30-45% faster on one thread than on two:
      two threads wait for each other whenever another process takes a core.
    - CUDA: TF32 matmuls and convolutions, cuDNN autotuning, and channels_last weights for
      conv nets (cuDNN's fast layout). Used on an H200 for the shipped acgan-mnist
      (checkpoints/README.md); the GPU throughput targets are not measured yet (bench/gpu_check.sh).
    bf16 is the run's choice (`RunConfig.precision`, see `autocast`), not a fast path: it changes
    the numerics. CUDA graphs come with `capturable` (`gan_playground.capture`).
    """
    if not run.fast:
        return
    device = run.device
    fused_ok = device.type in ("cpu", "cuda")
    for opt in run.model.optimizers.values():
        fused = fused_ok and isinstance(opt, (torch.optim.Adam, torch.optim.AdamW))
        if not fused and "foreach" not in opt.defaults:
            continue  # the project's own RMSprop (optim.py) fuses by itself
        for group in opt.param_groups:
            if group.get("differentiable") or group.get("capturable"):
                continue  # capture.make_capturable chose these
            group["fused"], group["foreach"] = (True, False) if fused else (None, True)
        if fused:
            opt.defaults.update(fused=True, foreach=False)
    if device.type == "cpu":
        threads = cpu_threads()
        if threads and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)  # process-wide; the UI's handlers share it
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True  # fixed shapes: the autotuned kernels are reused
        if any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in run.model.modules()):
            run.model.to(memory_format=torch.channels_last)  # 4-D weights only; Linear layers keep theirs


def autocast(run: Run) -> torch.autocast:
    """The training step's precision: bf16 matrix products under autocast when the run asks for it.

    Only the step runs under it; sampling, scores and checkpoints stay fp32. Opt-in: faster on a
    CPU with AMX, but not shown to learn as well as fp32 (bench/DEPARTURES.md).
    """
    # A capturable step keeps no cast weights between steps: a CUDA graph must not capture a cache.
    return torch.autocast(device_type=run.device.type, dtype=torch.bfloat16,
                          enabled=run.config.precision == "bf16", cache_enabled=not run.capturable)


def benchmark(run: Run, *, seconds: float = 20.0, warmup_steps: int = 5) -> dict[str, float]:
    """Training steps only, as fast as they go: images/s over `seconds` after a warm-up."""
    model, sampler = run.model, run.sampler
    model.train()
    use_fast_paths(run)
    images_per_step = sampler.batch_size * model.batches_per_step
    train_step = capture.training_step(run)

    def step():
        x, y = sampler.next(model.batches_per_step)
        with autocast(run):
            losses = train_step(x, y)
        for hook in run.after_step:
            hook()
        return losses

    for _ in range(warmup_steps):
        step()
    _synchronize(run.device)
    steps, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    _synchronize(run.device)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # CPU seconds as well: on a shared machine images per CPU-second vary less than per second.
    return {"images_per_s": steps * images_per_step / elapsed, "steps": steps, "seconds": elapsed,
            "cpu_seconds": cpu, "images_per_cpu_s": steps * images_per_step / cpu if cpu > 0 else 0.0}


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
