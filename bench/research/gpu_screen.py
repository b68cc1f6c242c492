"""Screen training recipes side by side on one CUDA GPU: several `train` runs at once, then `eval`.

A GPU lent for a few minutes trains far more recipes than the 2-core CPU can in hours, but only
if they run together: each of these small models leaves the GPU mostly idle, waiting for kernel
launches. This starts every run at once (start `nvidia-cuda-mps-control -d` first where it
exists, so their kernels can overlap), stops any still running at the deadline with Ctrl-C (the
CLI then saves what it trained), scores every folder with `eval`, and writes OUT/screen.md and
OUT/screen.json. Each run's folder, log and history stay in WORK.

    python bench/research/gpu_screen.py OUT --work /tmp/screen --train-seconds 400

The recipes are the candidates for issue 6's shipped acgan-mnist and aae-cluster-mnist, run in
two screens on an H200 (2026-11-28; checkpoints/README.md has the scores and what came of them):

    python bench/research/gpu_screen.py OUT --train-seconds 380 --only acgan-w64-ema acgan-w64-ema-decay \
        acgan-w96-ema acgan-w128-ema cluster-h512-s0 cluster-h512-s1 cluster-h1000-s0 \
        cluster-h1000-s1 cluster-h1000-s2 cluster-h1000-info1-s0
    python bench/research/gpu_screen.py OUT --train-seconds 250 --bring 4 --only acgan-w128-30k-s0 \
        acgan-w128-30k-s1 acgan-w128-30k-s2 acgan-w160-30k-s0

The machine needs MNIST: carry a copy of the mirror's MNIST/raw in the repository and point
GAN_PLAYGROUND_DATA_MIRROR at it (bench/gpu_check.sh's header says how).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

CLUSTER = "aae-cluster --steps 36000 --set info_weight=0.3 --set latent_dim=5 --eval-every 6000"
ACGAN = "acgan --steps 20000 --set fake_class_loss=false --eval-every 5000"
RUNS = {
    "acgan-w64-ema": f"{ACGAN} --seed 0 --set width=64",
    "acgan-w64-ema-decay": f"{ACGAN} --seed 0 --set width=64 --lr-decay linear",
    "acgan-w96-ema": f"{ACGAN} --seed 0 --set width=96",
    "acgan-w128-ema": f"{ACGAN} --seed 0 --set width=128",
    # the second screen: wider and longer ACGANs, three seeds
    "acgan-w128-30k-s0": f"{ACGAN} --seed 0 --set width=128 --steps 30000",
    "acgan-w128-30k-s1": f"{ACGAN} --seed 1 --set width=128 --steps 30000",
    "acgan-w128-30k-s2": f"{ACGAN} --seed 2 --set width=128 --steps 30000",
    "acgan-w160-30k-s0": f"{ACGAN} --seed 0 --set width=160 --steps 30000",
    "cluster-h512-s0": f"{CLUSTER} --seed 0",
    "cluster-h512-s1": f"{CLUSTER} --seed 1",
    "cluster-h1000-s0": f"{CLUSTER} --seed 0 --set hidden=1000",
    "cluster-h1000-s1": f"{CLUSTER} --seed 1 --set hidden=1000",
    "cluster-h1000-s2": f"{CLUSTER} --seed 2 --set hidden=1000",
    "cluster-h1000-info1-s0": f"{CLUSTER} --seed 0 --set hidden=1000 --set info_weight=1.0",
}
COLUMNS = ("fid", "cond_acc", "cluster_acc", "recon_mse")
# What the screens were after: the clustering accuracy (higher is better), else the FID (lower).
# Not metrics.primary_score, which ranks an ACGAN by its conditional accuracy (99.8% in every run).
RANK_BY = (("cluster_acc", True), ("fid", False))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--work", type=Path, default=Path("/tmp/gpu_screen"))
    p.add_argument("--train-seconds", type=float, default=400.0, help="deadline of the training runs")
    p.add_argument("--device", default="cuda")
    p.add_argument("--only", nargs="*", help="names of RUNS to start (default: all)")
    p.add_argument("--bring", type=int, default=2,
                   help="pack the best N folders of each model (by RANK_BY) as OUT/NAME.tar")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    names = args.only or list(RUNS)
    cli = [sys.executable, "-m", "gan_playground"]

    # (1) Train every recipe at once; Ctrl-C (SIGINT) at the deadline makes the CLI save and exit.
    started = time.time()
    procs = {}
    for name in names:
        cmd = cli + ["train", *shlex.split(RUNS[name]), "--dataset", "mnist", "--device", args.device,
                     "--out", str(args.work / name), "--half", "--no-training-state", "--autosave-minutes", "0"]
        log = open(args.work / f"{name}.log", "w")
        procs[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log, cmd)
        print(f"started {name}: {shlex.join(cmd[1:])}", flush=True)
    while any(proc.poll() is None for proc, _, _ in procs.values()):
        if time.time() - started > args.train_seconds:
            for name, (proc, _, _) in procs.items():
                if proc.poll() is None:
                    print(f"deadline: interrupting {name}", flush=True)
                    proc.send_signal(signal.SIGINT)
            for proc, _, _ in procs.values():
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
            break
        time.sleep(2)
    train_s = time.time() - started
    for _, log, _ in procs.values():
        log.close()

    # (2) Score every folder that was written, all at once (eval is short beside training).
    rows = []
    evals = {}
    for name in names:
        folder = args.work / name
        if (folder / "model.safetensors").exists():
            evals[name] = subprocess.Popen(cli + ["eval", str(folder)], stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True)
    for name in names:
        proc, _, cmd = procs[name]
        row = {"name": name, "command": shlex.join(["python", *cmd[1:]]), "returncode": proc.returncode}
        last = (args.work / f"{name}.log").read_text(errors="replace").replace("\r", "\n").strip().splitlines()
        row["last_line"] = last[-1] if last else ""
        if name in evals:
            text = evals[name].communicate()[0].strip().splitlines()
            try:
                row["eval"] = json.loads(text[-1])
            except (IndexError, json.JSONDecodeError):
                row["eval_error"] = "\n".join(text[-5:])
        rows.append(row)
        print(json.dumps(row), flush=True)

    (args.out / "screen.json").write_text(json.dumps({"train_seconds": train_s, "runs": rows}, indent=1))
    lines = [f"# GPU screen ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, training {train_s:.0f} s)", "",
             "| run | step | " + " | ".join(COLUMNS) + " | last log line |",
             "|---|---|" + "---|" * len(COLUMNS) + "---|"]
    for row in rows:
        ev = row.get("eval", {})
        cells = [f"{ev[k]:.4g}" if k in ev else "" for k in COLUMNS]
        lines.append(f"| {row['name']} | {ev.get('step', '')} | " + " | ".join(cells) + f" | {row['last_line'][:90]} |")
    (args.out / "screen.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    # (3) Pack every log and small file in one archive, and the weights of the best few per model.
    with tarfile.open(args.out / "screen.tar.gz", "w:gz") as tar:
        for path in sorted(args.work.rglob("*")):
            if path.is_file() and path.suffix != ".safetensors":
                tar.add(path, arcname=str(path.relative_to(args.work)))
    for name in best_runs(rows, args.bring):
        with tarfile.open(args.out / f"{name}.tar", "w") as tar:
            tar.add(args.work / name, arcname=name)
        print(f"packed {name}", flush=True)
    return 0


def best_runs(rows: list[dict], n: int) -> list[str]:
    """The names of the best n scored runs of each model, by the first score of RANK_BY they have."""
    ranked: dict[str, list[tuple[float, str]]] = {}
    for row in rows:
        ev = row.get("eval", {})
        for key, higher in RANK_BY:
            if key in ev:
                ranked.setdefault(ev["model"], []).append((-ev[key] if higher else ev[key], row["name"]))
                break
    return [name for scored in ranked.values() for _, name in sorted(scored)[:n]]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
