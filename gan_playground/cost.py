"""What a run will cost, known before it starts: memory and seconds per training step.

The largest settings the fields allow (WGAN-GP, dcgan, batch 4,096, n_critic 100, latent 1,024)
once took 4.5 GB and more than a minute for one step, holding a shared server. So before a run
starts on the app, a copy of its own model takes two probe steps at batches of 2 and 4: what
autograd keeps alive (the activations, at their peak) and the floating-point operations
(torch's formulas in `torch.utils.flop_counter`) grow linearly with the batch, so the two probes give each at the
run's batch size. Add what does not grow with the batch (weights, their average, gradients and
optimizer moments, read from the probe) and the batches themselves; the seconds are the operations
divided by the device's measured matrix-multiply speed (a guide, not a promise: small layers
and convolutions run slower than one large product, and the step's other work is not counted).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from gan_playground.data import Sampler
from gan_playground.environment import env_number
from gan_playground.errors import UserError

if TYPE_CHECKING:
    from gan_playground.run import Run

PROBE_BATCHES = (2, 4)


@dataclass
class Cost:
    bytes: float  # memory the run holds while it trains (model, optimizer state, data batches, activations)
    flops: float  # floating-point operations of one training step
    seconds_per_step: float  # at the device's measured matrix-multiply speed


@dataclass
class Limits:
    bytes: float
    seconds_per_step: float

    @classmethod
    def from_env(cls, device: torch.device, *, timed: bool = True) -> "Limits":
        """`GAN_PLAYGROUND_MAX_RUN_MB` (default 2,048 on a CPU, 8,192 on a GPU) and
        `GAN_PLAYGROUND_MAX_STEP_S` (default 5): what one visitor's run may ask of the server.
        `timed=False`: no limit on the seconds (a run built on one device to train on another, as on
        ZeroGPU, cannot measure them where it is built)."""
        gpu = device.type == "cuda"
        return cls(_env_number("GAN_PLAYGROUND_MAX_RUN_MB", 8192 if gpu else 2048) * 2**20,
                   _env_number("GAN_PLAYGROUND_MAX_STEP_S", 5.0) if timed else float("inf"))


def _env_number(name: str, default: float) -> float:
    return env_number(name, default, above=True)


class _Flops(TorchDispatchMode):
    """Counts the operations of matrix products and convolutions (torch's own formulas), forward and
    backward. FlopCounterMode itself tracks modules with hooks that autograd.grad (the gradient
    penalties) refuses."""

    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = flop_registry.get(func._overloadpacket)
        if count is not None:
            self.total += count(*args, **kwargs, out_val=out)
        return out


class _Live:
    """Bytes autograd holds for backward right now, and their peak (saved_tensors_hooks)."""

    def __init__(self):
        self.now = self.peak = 0

    def pack(self, tensor: torch.Tensor) -> Any:
        return _Held(self, tensor)

    @staticmethod
    def unpack(held: "_Held") -> torch.Tensor:
        return held.tensor


class _Held:
    def __init__(self, live: _Live, tensor: torch.Tensor):
        self.live, self.tensor = live, tensor
        self.size = tensor.numel() * tensor.element_size()
        live.now += self.size
        live.peak = max(live.peak, live.now)

    def __del__(self):
        self.live.now -= self.size


def estimate(run: "Run") -> Cost:
    """The run's memory and seconds per step at its batch size, from two probe steps of a copy of its
    model (the run's own model, generators and data are left as they are)."""
    data = run.dataset
    keep = {id(t): t for t in vars(data).values() if torch.is_tensor(t)}
    keep[id(data)] = data
    probes = []
    for batch in PROBE_BATCHES:
        model = copy.deepcopy(run.model, memo=dict(keep))  # shares the data set, copies the networks
        model.set_generator(torch.Generator(device=run.device).manual_seed(0))
        x, y = Sampler(data, batch_size=batch, device=run.device, seed=0).next(model.batches_per_step)
        live = _Live()
        with _Flops() as counter, torch.autograd.graph.saved_tensors_hooks(live.pack, live.unpack):
            model.train_step(x, y)
        fixed = sum(t.numel() * t.element_size() for t in model.state_dict().values())
        fixed += sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)  # gradients
        fixed += sum(v.numel() * v.element_size() for opt in model.optimizers.values() for s in opt.state.values()
                     for v in s.values() if torch.is_tensor(v))
        probes.append((counter.total, live.peak + x.numel() * x.element_size(), fixed))
        del model
    (f1, m1, fixed), (f2, m2, _) = probes
    b1, b2, b = *PROBE_BATCHES, run.config.batch_size
    flops = f1 + (f2 - f1) / (b2 - b1) * (b - b1)
    per_batch = m1 + (m2 - m1) / (b2 - b1) * (b - b1)
    return Cost(fixed + per_batch, flops, flops / device_flops(run.device))


@functools.lru_cache(maxsize=4)
def device_flops(device: torch.device) -> float:
    """The device's matrix-multiply speed (floating-point operations a second), measured once: the
    fastest of a few 1024 x 1024 products, so that a neighbour's load at that moment counts little."""
    n = 1024
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    best = float("inf")
    for _ in range(6):
        t0 = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def check(run: "Run", limits: Limits | None = None) -> Cost:
    """Refuse (UserError) a run that would cost more than `limits` (from the environment by default),
    naming the settings to lower; returns the estimate otherwise."""
    limits = limits or Limits.from_env(run.device)
    cost = estimate(run)
    over = []
    if cost.bytes > limits.bytes:
        over.append(f"about {fmt_bytes(cost.bytes)} of memory (this server allows {fmt_bytes(limits.bytes)} a run)")
    if cost.seconds_per_step > limits.seconds_per_step:
        over.append(f"about {cost.seconds_per_step:,.1f} s a step (this server allows "
                    f"{limits.seconds_per_step:g} s)")
    if not over:
        return cost
    raise UserError(f"This run would need {' and '.join(over)}. Lower {costly_settings(run)}.")


def costly_settings(run: "Run") -> str:
    """The whole-number settings above their defaults (the batch size, widths, n_critic, latent size), the
    furthest above first: "the batch size (4,096; default 64), n_critic (100; default 5) or ...". """
    found = []
    for holder in (run.config, run.model.config):
        for f in dataclasses.fields(holder):
            value, default = getattr(holder, f.name), f.default
            if isinstance(value, bool) or not isinstance(value, int) or not isinstance(default, int) or default <= 0:
                continue
            if holder is run.config and f.name != "batch_size":
                continue  # the steps and seed cost nothing per step
            if value > default:
                name = "the batch size" if f.name == "batch_size" else f.name
                found.append((value / default, f"{name} ({value:,}; default {default:,})"))
    found.sort(key=lambda item: -item[0])
    names = [text for _, text in found] or ["the batch size"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"



def fmt_bytes(n: float) -> str:
    return f"{n / 2**30:,.1f} GB" if n >= 2**30 else f"{n / 2**20:,.0f} MB"
