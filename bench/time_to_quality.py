"""Seconds from Start until a model reaches a quality target, with the job's live evaluator.

    python bench/time_to_quality.py acgan      # until cond_acc >= 0.95 (the CPU default arch)
    python bench/time_to_quality.py wgan-gp    # until FID <= 5 x the FID floor (defaults, arch=mlp)
    python bench/time_to_quality.py all --recognisable --max-seconds 120   # every model, the app's defaults
    python bench/time_to_quality.py all --recognisable --preset paper      # the tabs' paper preset instead

`--recognisable`: the playground's promise, samples recognisable by the project's own scores
(conditional accuracy >= 80% for the conditional models, FID <= 50 for the others), with the
batch size and settings of the tab's preset (`--preset`: quick, the tab's default on a CPU, or
paper, its default on a GPU and the CLI's defaults); `--set` goes over them. Prints a markdown table
of all the models run. `--grid-at S`: save the model's samples at S seconds from Start (fixed latents;
a row per class where the model takes one) as bench/grids/<model>-<preset>-seed<seed>-<S>s.png.

The project's defaults, MNIST, batch 64, on whatever this machine is. The evaluator
(`metrics.live_evaluator("mnist")`: 2,000 samples, fixed latents) is built before Start, so its
one-time reference statistics do not count; its calls every `--eval-every` steps do (the job
trains nothing while it scores), and the reported time is when the first passing score was
recorded. Also reported: the job's own training time at that point, the load average, threads.
Appends one JSON line to bench/time_to_quality.jsonl.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from gan_playground.config import RunConfig, parse_set_options  # noqa: E402
from gan_playground.device import describe_device  # noqa: E402
from gan_playground.engine import TrainingJob  # noqa: E402
from gan_playground.metrics import live_evaluator  # noqa: E402
from gan_playground.run import prepare_run

TARGETS = {  # model: (description, test on the latest scores)
    "acgan": ("cond_acc >= 0.95", lambda s: s.get("cond_acc", 0.0) >= 0.95),
    "wgan-gp": ("fid <= 5 x fid_floor", lambda s: "fid" in s and s["fid"] <= 5 * s["fid_floor"]),
}
CONDITIONAL = ("acgan", "aae-supervised", "aae-semisupervised")
RECOGNISABLE = {name: ("cond_acc >= 0.80", lambda s: s.get("cond_acc", 0.0) >= 0.80) if name in CONDITIONAL
                else ("fid <= 50", lambda s: "fid" in s and s["fid"] <= 50)
                for name in ("acgan", "aae", "aae-supervised", "aae-semisupervised", "aae-cluster",
                             "wgan", "wgan-gp", "wgan-div", "wgan-lp")}


def app_tab(model: str):
    """The app's tab that trains `model`."""
    from gan_playground.ui.spec import AAE, ACGAN, WGAN

    return next(tab for tab in (ACGAN, AAE, WGAN) if model in tab.variants.values())


def app_batch_size(model: str, preset: str = "paper") -> int:
    """The batch size the app's tab for `model` starts with under `preset`."""
    return app_tab(model).batch_for(preset)


def measure(model: str, args, what: str, reached, batch_size: int) -> dict:
    preset = app_tab(model).preset_settings(args.preset, model) if args.recognisable else {}
    settings = {**preset, **parse_set_options(args.set)}
    run = prepare_run(RunConfig(model=model, dataset="mnist", batch_size=batch_size, steps=10_000_000, seed=args.seed,
                                device=args.device), settings)
    evaluate = live_evaluator("mnist")
    job = TrainingJob(run, evaluate=evaluate, eval_every=args.eval_every)
    load_start = [round(x, 2) for x in os.getloadavg()]
    start = time.perf_counter()
    job.start()
    seen, hit, history, grid = 0, None, [], None
    while time.perf_counter() - start < args.max_seconds:
        time.sleep(0.25)
        snap = job.snapshot()
        if args.grid_at and grid is None and time.perf_counter() - start >= args.grid_at:
            grid = save_grid(job, model, args)
        for i in range(seen, len(snap.score_steps)):
            scores = {k: v[i] for k, v in snap.scores.items()}
            history.append({"step": snap.score_steps[i], "t": round(time.perf_counter() - start, 1),
                            **{k: round(v, 4) for k, v in scores.items()}})
            print(json.dumps(history[-1]), flush=True)
            if hit is None and reached(scores):
                hit = {**history[-1], "train_seconds": round(snap.elapsed_s, 1)}
        seen = len(snap.score_steps)
        if (hit is not None and (not args.grid_at or grid is not None)) or job.done:
            break
    job.stop()
    job.join(60)
    return {"model": model, "seed": args.seed, "target": what, "reached": hit is not None,
            "seconds": hit["t"] if hit else None, "at": hit, "max_seconds": args.max_seconds,
            "batch_size": batch_size, "eval_every": args.eval_every,
            "preset": args.preset if args.recognisable else None, "set": args.set or [],
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()} or "defaults",
            "grid": grid,
            "device": describe_device(run.device), "threads": torch.get_num_threads(),
            "load_average_start": load_start, "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "torch": torch.__version__, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(["python", *sys.argv]), "history": history}


def save_grid(job: TrainingJob, model: str, args) -> str:
    """The model's samples now as a PNG in bench/grids/ (the moving average where the model keeps one):
    for the class-conditional models a row per class (10 z each), else 100 samples from the prior (a
    random cluster each for the clustering AAE); the path and step."""
    from PIL import Image

    from gan_playground.explore import class_by_z_grid, image_grid

    with job.exclusive() as net:
        step = job.step
        if model in CONDITIONAL:
            picture = class_by_z_grid(net, n_z=10, seed=0)
        else:
            gen = torch.Generator(device=net.device).manual_seed(0)
            z = net.random_latents(100, gen)
            y = (torch.randint(net.num_conditions, (100,), generator=gen, device=net.device)
                 if net.num_conditions else None)
            picture = image_grid(net.sample(z, y), 10)
    folder = Path(__file__).resolve().parent / "grids"
    folder.mkdir(exist_ok=True)
    name = f"{model}-{args.preset if args.recognisable else 'defaults'}-seed{args.seed}-{args.grid_at:g}s.png"
    Image.fromarray(picture).save(folder / name)
    return f"bench/grids/{name} (step {step})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help=f"one of {', '.join(RECOGNISABLE)}, or all")
    p.add_argument("--recognisable", action="store_true",
                   help="the playground's target (cond_acc >= 0.8, else FID <= 50) with the app's batch size")
    p.add_argument("--max-seconds", type=float, default=600.0)
    p.add_argument("--eval-every", type=int, default=100, help="steps between live scores")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset", choices=("quick", "paper"), default="quick",
                   help="with --recognisable: the tab's preset whose batch and settings are used (default quick)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a model setting (over the preset's)")
    p.add_argument("--grid-at", type=float, default=0.0, metavar="S",
                   help="save the samples at S seconds from Start in bench/grids/ (then run on to S at least)")
    p.add_argument("--batch-size", type=int, help="instead of the preset's (or 64 without --recognisable)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    p.add_argument("--log", default=str(Path(__file__).resolve().parent / "time_to_quality.jsonl"),
                   help="the JSON-lines file that the result is appended to")
    args = p.parse_args()
    targets = RECOGNISABLE if args.recognisable else TARGETS
    models = list(targets) if args.model == "all" else [args.model]
    if any(m not in targets for m in models):
        raise SystemExit(f"model must be one of {', '.join(targets)} (or all)")
    results = []
    for model in models:
        what, reached = targets[model]
        batch = args.batch_size or (app_batch_size(model, args.preset) if args.recognisable else 64)
        result = measure(model, args, what, reached, batch)
        with open(args.log, "a") as fh:
            fh.write(json.dumps(result) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "history"}), flush=True)
        results.append(result)
    if len(results) > 1:
        print("\n| model | target | batch | seconds from Start | step | score then |\n|---|---|---|---|---|---|")
        for r in results:
            at = r["at"] or {}
            score = next((f"{k} {at[k]}" for k in ("cond_acc", "fid") if k in at), "")
            seconds = f"{r['seconds']:.0f}" if r["reached"] else f"not within {r['max_seconds']:.0f}"
            print(f"| {r['model']} | {r['target']} | {r['batch_size']} | {seconds} | {at.get('step', '')} | {score} |")


if __name__ == "__main__":
    main()
