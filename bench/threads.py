"""One training thread or two: steps per second of each model's quick preset (issue 26, point 2).

    python bench/threads.py                    # every image model, 1 and 2 threads, 10 s each
    python bench/threads.py wgan-gp aae --seconds 20 --preset paper

Each (model, threads) pair runs in its own process with GAN_PLAYGROUND_THREADS set (the switch the
app reads), MNIST, the batch and settings of the model's tab under the preset, training steps only
(`device.benchmark`: no scores, no previews). The same steps learn the same whatever the threads, so
steps per second is what decides which learns faster per wall second. Appends one JSON line per
pair to bench/threads.jsonl and prints a markdown table.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MODELS = ("acgan", "aae", "aae-supervised", "aae-semisupervised", "aae-cluster", "wgan", "wgan-gp", "wgan-div",
          "wgan-lp")


def one(model: str, preset: str, seconds: float) -> dict:
    import torch

    from gan_playground.config import RunConfig
    from gan_playground.device import benchmark
    from gan_playground.run import prepare_run
    from gan_playground.ui.spec import AAE, ACGAN, WGAN

    tab = next(t for t in (ACGAN, AAE, WGAN) if model in t.variants.values())
    run = prepare_run(RunConfig(model=model, dataset="mnist", batch_size=tab.batch_for(preset), steps=10**7,
                                device="cpu"), tab.preset_settings(preset, model))
    result = benchmark(run, seconds=seconds)
    return {"model": model, "preset": preset, "batch_size": run.config.batch_size,
            "threads": torch.get_num_threads(), "steps_per_s": round(result["steps"] / result["seconds"], 2),
            "images_per_s": round(result["images_per_s"], 1), "cpu_per_wall": round(result["cpu_seconds"]
                                                                                    / result["seconds"], 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", default=list(MODELS))
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--preset", default="quick", choices=("quick", "paper"))
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a single pair, in this process
    p.add_argument("--log", default=str(Path(__file__).resolve().parent / "threads.jsonl"))
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.models[0], args.preset, args.seconds)))
        return
    rows = []
    for model in args.models:
        for threads in (1, 2):
            load = [round(x, 2) for x in os.getloadavg()]
            env = {**os.environ, "GAN_PLAYGROUND_THREADS": str(threads)}
            out = subprocess.run([sys.executable, __file__, model, "--one", "--preset", args.preset, "--seconds",
                                  str(args.seconds)], env=env, capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result.update(load_average=load, seconds=args.seconds,
                          date=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                          command=" ".join(["python", *sys.argv]))
            print(json.dumps(result), flush=True)
            with open(args.log, "a") as fh:
                fh.write(json.dumps(result) + "\n")
            rows.append(result)
    print("\n| model | batch | steps/s, 1 thread | steps/s, 2 threads | 2 threads / 1 |\n|---|---|---|---|---|")
    for model in args.models:
        one_t, two_t = (next(r for r in rows if r["model"] == model and r["threads"] == n) for n in (1, 2))
        print(f"| {model} | {one_t['batch_size']} | {one_t['steps_per_s']} | {two_t['steps_per_s']} | "
              f"{two_t['steps_per_s'] / one_t['steps_per_s']:.2f} |")


if __name__ == "__main__":
    main()
