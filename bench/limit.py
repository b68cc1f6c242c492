"""How close one training step comes to its limit on this CPU: the step's matrix products alone.

    python bench/limit.py                        # wgan, wgan-gp, wgan-div, wgan-lp, aae at batch 64
    python bench/limit.py --models wgan-gp --batch-size 256 --seconds 10 --json bench/out/limit.json

A ratio to PyTorch-GAN's loop says more about that loop than about ours. The limit says what is
left: one real step runs under torch.profiler, which records every matrix product it makes
(aten::mm, addmm, bmm: forward, backward and, for the penalties, the double backward) with its
shapes; those products are then timed on their own, back to back, on fresh tensors of the same
shapes (contiguous: the profiler does not record strides, so a transposed operand of the backward
is timed in the layout the kernel likes best, which flatters the limit a little). `limit_share`
is the time of the products over the time of the whole step (`gan_playground bench`'s loop): 1.0
would mean nothing but matrix products. What costs more than the limit (Python, elementwise
kernels, the optimizer, autograd's bookkeeping) is the work list. One thread, as training uses on
<= 2 cores; the machine's CPU model is in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from apps import cpu_model  # noqa: E402  (bench/apps.py)

from gan_playground.config import RunConfig  # noqa: E402
from gan_playground.device import autocast  # noqa: E402
from gan_playground.run import prepare_run  # noqa: E402

PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm")


def step_products(run) -> list[tuple[str, list[list[int]]]]:
    """(op, input shapes) of every matrix product of one training step, in order."""
    model, sampler = run.model, run.sampler
    x, y = sampler.next(model.batches_per_step)
    model.train_step(x, y)  # warm up: the first step allocates
    x, y = sampler.next(model.batches_per_step)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        with autocast(run):
            model.train_step(x, y)
    return [(e.name, [list(s) for s in e.input_shapes]) for e in prof.events() if e.name in PRODUCTS]


def time_products(products, rounds: int) -> float:
    """Seconds for the products of one step, run back to back (median over `rounds`)."""
    calls = []
    for op, shapes in products:
        if op == "aten::addmm":
            bias, a, b = (torch.randn(s) for s in shapes[:3])
            calls.append(lambda bias=bias, a=a, b=b: torch.addmm(bias, a, b))
        elif op == "aten::bmm":
            a, b = (torch.randn(s) for s in shapes[:2])
            calls.append(lambda a=a, b=b: torch.bmm(a, b))
        else:
            a, b = (torch.randn(s) for s in shapes[:2])
            calls.append(lambda a=a, b=b: torch.mm(a, b))
    for call in calls:  # warm up
        call()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for call in calls:
            call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def step_seconds(run, seconds: float) -> float:
    """Seconds per training step, as `python -m gan_playground bench` measures it (median of 3)."""
    from gan_playground.device import benchmark

    rates = [benchmark(run, seconds=seconds / 3)["images_per_s"] for _ in range(3)]
    return run.sampler.batch_size * run.model.batches_per_step / statistics.median(rates)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["wgan", "wgan-gp", "wgan-div", "wgan-lp", "aae"])
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=9.0, help="timing of the whole step, per model")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name in args.models:
        run = prepare_run(RunConfig(model=name, dataset="mnist", batch_size=args.batch_size, device="cpu"))
        products = step_products(run)
        limit = time_products(products, rounds=50)
        step = step_seconds(run, args.seconds)
        rows.append({"model": name, "batch_size": args.batch_size, "products_per_step": len(products),
                     "limit_ms": round(1000 * limit, 3), "step_ms": round(1000 * step, 3),
                     "limit_share": round(limit / step, 3)})
        print(json.dumps(rows[-1]), flush=True)
    report = {"machine": f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}, 1 thread",
              "command": "python bench/limit.py " + " ".join(f"--{k.replace('_', '-')} {v}" if not isinstance(v, list)
                                                              else f"--{k} {' '.join(v)}"
                                                              for k, v in vars(args).items() if k != "json"),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": rows}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
