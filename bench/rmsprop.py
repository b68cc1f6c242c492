"""The clipped WGAN's optimizer step: the project's fused RMSprop (optim.py, torch's fused Adam kernel
with beta1 = 0 and no bias correction) against torch.optim.RMSprop, its foreach form (the best public
one; it has no fused kernel), on the parameters of the WGAN's critic and generator as the tab builds them.

    python bench/rmsprop.py [--arch mlp|dcgan] [--steps 300] [--rounds 5]

Rounds alternate the two, so that both see the same machine; prints one JSON line: microseconds per
optimizer step (median over rounds) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from gan_playground.config import build_config
from gan_playground.data import DataSpec
from gan_playground.models import MODELS
from gan_playground.optim import RMSprop


def with_grads(params: list[torch.Tensor]) -> list[torch.Tensor]:
    """Fresh copies of the weights, each with a copy of its gradient: every candidate starts alike."""
    copies = []
    for p in params:
        q = p.detach().clone().requires_grad_()
        q.grad = p.grad.clone()
        copies.append(q)
    return copies


def per_step_us(make, params: list[torch.Tensor], steps: int) -> float:
    opt = make(with_grads(params))
    for _ in range(10):  # state made, caches warm
        opt.step()
    t = time.perf_counter()
    for _ in range(steps):
        opt.step()
    return (time.perf_counter() - t) / steps * 1e6


def cpu_name() -> str:
    """The CPU's model name (as lscpu says it), for the figures."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="mlp", choices=["mlp", "dcgan"])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cls = MODELS["wgan"]
    model = cls(config=build_config(cls.Config, {"arch": args.arch}), data=DataSpec((1, 28, 28), 10, "image"))
    params = [p for p in model.parameters()]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    lr = model.config.lr
    candidates = {
        "fused (optim.RMSprop)": lambda ps: RMSprop(ps, lr=lr),
        "torch.optim.RMSprop foreach": lambda ps: torch.optim.RMSprop(ps, lr=lr, foreach=True),
    }
    times: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(args.rounds):
        for name, make in candidates.items():
            times[name].append(per_step_us(make, params, args.steps))
    median = {k: statistics.median(v) for k, v in times.items()}
    names = list(candidates)
    print(json.dumps({"arch": args.arch, "parameters": sum(p.numel() for p in params), "cpu": cpu_name(),
                      "threads": 1, "us_per_step": {k: round(v, 1) for k, v in median.items()},
                      "public_over_fused": round(median[names[1]] / median[names[0]], 2)}))


if __name__ == "__main__":
    main()
