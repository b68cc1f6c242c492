"""Training throughput, ours against the PyTorch-GAN reference loop, run in alternation.

    python bench/throughput.py                       # all five models, 2 rounds of 20 s each
    python bench/throughput.py --models wgan aae --seconds 10 --rounds 3 --ref-threads 1 --bf16

For each model and round: `python bench/reference.py MODEL` (PyTorch-GAN's loop, DataLoader and
all), then `python -m gan_playground bench MODEL --batch-size 64 --set <reference settings>`;
optionally the reference again on one thread (`--ref-threads 1`, to show what the thread choice
alone is worth) and ours with bf16 matrix products (`--bf16`: `bench --precision bf16`). Each
process runs alone, one after the other, all under OMP_WAIT_POLICY=PASSIVE
(the package sets it at import; the reference script and this harness set it too).

Writes bench/results.json and bench/RESULTS.md: median images/s per side, the ratio ours/ref,
and images per CPU-second (on a shared machine the wall rate depends on the neighbours; CPU
time less so), with the machine, the load average before each run, and the commands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
from apps import cpu_model  # noqa: E402  (bench/apps.py)

MODELS = ("wgan", "wgan-gp", "wgan-div", "aae", "acgan")
TARGET = {"wgan": 2.5, "wgan-gp": 2.5, "wgan-div": 2.5, "aae": 2.5}  # CPU, 2 cores, batch 64
GPU_TARGET = 10.0  # every model, batch 64 (issue 7)

# The project's models set to the reference scripts' architecture and hyperparameters;
# ema=0: the reference keeps no moving average of the generator, so ours does not either.
OURS = {
    "wgan": ["arch=mlp", "ema=0"],  # RMSprop 5e-5, clip 0.01, n_critic 5: the defaults match wgan.py
    "wgan-gp": ["arch=mlp", "lr=2e-4", "betas=0.5,0.999", "ema=0"],  # wgan_gp.py's Adam, not the paper's
    "wgan-div": ["arch=mlp", "ema=0"],  # lr 2e-4, betas (0.5, 0.999), k 2, p 6: the defaults match wgan_div.py
    "acgan": ["arch=reference", "ema=0"],  # acgan.py's nets at 32x32; Adam 2e-4 (0.5, 0.999) are the defaults
    # aae.py cannot be expressed exactly (see NOTES["aae"]): the closest settings.
    "aae": ["latent_dim=10", "hidden=512", "lr_recon=2e-4", "lr_reg=2e-4", "recon_weight=0.999",
            "reg_weight=0.001"],
}
NOTES = {
    "aae": ("Closest config, not the same network. PyTorch-GAN's aae.py (master) has a reparameterized "
            "encoder (mu, logvar, noise), LeakyReLU and BatchNorm1d, a 10-512-256-1 sigmoid discriminator, "
            "32x32 inputs, and one combined loss 0.999 L1 + 0.001 BCE for encoder and decoder. Ours "
            "(models/aae.py) is the paper's deterministic AAE: ReLU MLPs without batch norm, a 10-512-512-1 "
            "discriminator, 28x28, MSE, and three optimizer steps per batch (reconstruction, D, encoder), "
            "which run the encoder twice. By multiply-adds per image ours does about 1.3x the reference's "
            "work, so the ratio understates the speed-up for equal work."),
}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_json(cmd: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


OTHER_BENCHMARKS = "<!-- other benchmarks: kept by throughput.py -->"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--seconds", type=float, default=20.0, help="timed seconds per run (after warm-up)")
    p.add_argument("--rounds", type=int, default=2, help="runs per side and model, alternating (>= 2)")
    p.add_argument("--ref-threads", type=int, default=0, help="also run the reference on this many threads")
    p.add_argument("--bf16", action="store_true", help="also run ours with --precision bf16")
    p.add_argument("--out", default=str(HERE), help="folder for results.json and RESULTS.md")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where both sides train (cuda: write to another --out than the CPU table's)")
    args = p.parse_args()

    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(REPO)}
    import torch  # after the env: for its version and the GPU's name

    sides = {"ref": lambda m: [sys.executable, "bench/reference.py", m, "--seconds", str(args.seconds),
                               "--device", args.device],
             "ours": lambda m: [sys.executable, "-m", "gan_playground", "bench", m, "--batch-size", "64",
                                "--seconds", str(args.seconds), "--device", args.device,
                                *[a for s in OURS[m] for a in ("--set", s)]]}
    if args.ref_threads:
        sides["ref_threads"] = lambda m: [*sides["ref"](m), "--threads", str(args.ref_threads)]
    if args.bf16:
        sides["ours_bf16"] = lambda m: [*sides["ours"](m), "--precision", "bf16"]
    results = {}
    for model in args.models:
        runs = {side: [] for side in sides}
        for r in range(args.rounds):
            for side, cmd in sides.items():
                load = load_average()
                res = run_json(cmd(model), env)
                runs[side].append({"images_per_s": res["images_per_s"], "images_per_cpu_s": res["images_per_cpu_s"],
                                   "seconds": res["seconds"], "load_before": load})
                print(f"{model:9} round {r + 1} {side:11} {res['images_per_s']:8.0f} img/s "
                      f"{res['images_per_cpu_s']:8.0f} img/CPU-s  load {load[0]}", flush=True)
        med = {side: {k: statistics.median(x[k] for x in v) for k in ("images_per_s", "images_per_cpu_s")}
               for side, v in runs.items()}
        results[model] = {
            "ours_settings": OURS[model], "runs": runs, "median": med,
            "ratio": med["ours"]["images_per_s"] / med["ref"]["images_per_s"],
            "ratio_cpu": med["ours"]["images_per_cpu_s"] / med["ref"]["images_per_cpu_s"],
            **({"ratio_bf16": med["ours_bf16"]["images_per_s"] / med["ref"]["images_per_s"]} if args.bf16 else {}),
            "target": GPU_TARGET if args.device == "cuda" else TARGET.get(model), "note": NOTES.get(model, ""),
            "commands": {side: " ".join(cmd(model)[1:]) for side, cmd in sides.items()},
        }
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "device": args.device,
               **({"gpu": torch.cuda.get_device_name()} if args.device == "cuda" else {}),
               "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
               "torch": torch.__version__, "python": platform.python_version(),
               "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
               "load_average_end": load_average()}
    report = {"machine": machine, "batch_size": 64, "seconds": args.seconds, "rounds": args.rounds,
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "results": results}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    results = out / "RESULTS.md"
    kept = ""  # the other benchmarks' sections, below the marker, survive a rerun of this one
    if results.exists() and OTHER_BENCHMARKS in results.read_text():
        kept = results.read_text()[results.read_text().index(OTHER_BENCHMARKS):]
    results.write_text(markdown(report) + ("\n" + kept if kept else ""))
    print(f"wrote {out / 'RESULTS.md'} and {out / 'results.json'}")


OPTIMIZATIONS = (Path(__file__).parent / "OPTIMIZATIONS.md").read_text()  # measured by hand, kept as written


def markdown(report: dict) -> str:
    m = report["machine"]
    extra = any("ref_threads" in r["median"] for r in report["results"].values())
    bf16 = any("ours_bf16" in r["median"] for r in report["results"].values())
    lines = [
        "# Training throughput: ours against the PyTorch-GAN reference loop", "",
        f"Machine: {m['cpu']}, {m['cores_usable'] or m['cores']} cores"
        f"{', GPU ' + m['gpu'] if m.get('gpu') else ''}, torch {m['torch']}, Python {m['python']}, "
        f"{m['date']}. Batch 64, MNIST, {report['seconds']:g} s timed per run after warm-up, "
        f"{report['rounds']} runs per side, alternating; medians. Load average at the end: "
        f"{' '.join(map(str, m['load_average_end']))} (the machine is shared: the load before each run is in "
        f"results.json).", "",
        f"Command: `{report['command']}`", "",
        "| model | ref images/s | ours images/s | ours/ref | target | ref images/CPU-s | ours images/CPU-s | "
        "ours/ref (CPU) |" + (" ref 1 thread images/s |" if extra else "")
        + (" ours bf16 images/s | bf16/ref | target (bf16) |" if bf16 else ""),
        "|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if extra else "") + ("---:|---:|---:|" if bf16 else ""),
    ]
    for model, r in report["results"].items():
        med, t = r["median"], r["target"]
        met = "" if t is None else (f"{t:g}x {'met' if r['ratio'] >= t else 'missed'}")
        row = (f"| {model} | {med['ref']['images_per_s']:,.0f} | {med['ours']['images_per_s']:,.0f} | "
               f"{r['ratio']:.2f}x | {met} | {med['ref']['images_per_cpu_s']:,.0f} | "
               f"{med['ours']['images_per_cpu_s']:,.0f} | {r['ratio_cpu']:.2f}x |")
        if extra:
            row += f" {med['ref_threads']['images_per_s']:,.0f} |" if "ref_threads" in med else " |"
        if bf16 and "ours_bf16" in med:
            met16 = "" if t is None else (f"{t:g}x {'met' if r['ratio_bf16'] >= t else 'missed'}")
            row += f" {med['ours_bf16']['images_per_s']:,.0f} | {r['ratio_bf16']:.2f}x | {met16} |"
        elif bf16:
            row += " | | |"
        lines.append(row)
    lines += ["", "Settings of ours (`--set`), chosen to match the reference scripts:", ""]
    for model, r in report["results"].items():
        lines.append(f"- {model}: `{' '.join(r['ours_settings'])}`" + (f". {r['note']}" if r["note"] else ""))
    lines += ["", "Commands, per model:", ""]
    for model, r in report["results"].items():
        for side, cmd in r["commands"].items():
            lines.append(f"- {model} {side}: `{cmd}`")
    return "\n".join(lines) + "\n\n" + OPTIMIZATIONS


if __name__ == "__main__":
    main()
