"""Quality benchmark: score every shipped model checkpoint with gan_playground.metrics.evaluate.

    python bench/quality.py                       # every checkpoints/<model>-<data set>/ folder
    python bench/quality.py --datasets mnist --samples 10000 --out bench/out/quality.json
    python bench/quality.py --markdown bench/QUALITY.md    # also a markdown table of the same rows

A model checkpoint is a folder under checkpoints/ that holds config.json
and model.safetensors; it is read with gan_playground.checkpoints.load_checkpoint. Prints one
JSON line per checkpoint (scores beside the FID floor) and, with --out, writes them all.
Skips, with a note, when there is no checkpoint yet.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_playground.errors import UserError  # noqa: E402
from gan_playground.metrics import evaluate  # noqa: E402


def checkpoint_folders(root: Path, datasets: list[str] | None) -> list[Path]:
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith(("classifier-", ".")):
            continue
        if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
            continue
        if datasets and not any(folder.name.endswith(f"-{d}") for d in datasets):
            continue
        found.append(folder)
    return found


def dataset_of(config: dict) -> str:
    """The data set a checkpoint was trained on, wherever its config.json keeps it."""
    return (config.get("dataset") or (config.get("run") or {}).get("dataset")
            or (config.get("data") or {}).get("name") or "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT / "checkpoints"), help="folder of checkpoint folders")
    parser.add_argument("--datasets", nargs="*", default=["mnist", "fashion-mnist"],
                        help="only folders named <model>-<data set> for these (default: mnist fashion-mnist)")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write all results to this JSON file")
    parser.add_argument("--markdown", default=None, help="write the results as a markdown table to this file")
    args = parser.parse_args(argv)

    from gan_playground.checkpoints import load_checkpoint

    root = Path(args.root)
    folders = checkpoint_folders(root, args.datasets) if root.is_dir() else []
    if not folders:
        print(f"skipped: no model checkpoints for {', '.join(args.datasets)} under {root}")
        return 0

    results = []
    for folder in folders:
        t0 = time.monotonic()
        try:
            loaded = load_checkpoint(folder, device="cpu")
            dataset = dataset_of(loaded.config)
            scores = evaluate(loaded.model, dataset, n_samples=args.samples, seed=args.seed)
        except UserError as err:
            row = {"checkpoint": folder.name, "skipped": str(err)}
        else:
            row = {"checkpoint": folder.name, "model": loaded.model.name, "dataset": dataset,
                   "step": loaded.config.get("step"), "samples": args.samples,
                   **{k: round(float(v), 5) for k, v in scores.items()},
                   "seconds": round(time.monotonic() - t0, 1)}
        print(json.dumps(row), flush=True)
        results.append(row)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        md = Path(args.markdown)
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(markdown_table(results, samples=args.samples, seed=args.seed), encoding="utf-8")
    return 0


SCORE_COLUMNS = ("fid", "fid_floor", "confident", "confident_real", "cond_acc", "recon_mse", "prior_mmd",
                 "test_error", "cluster_acc", "modes", "in_3std")


def markdown_table(results: list[dict], *, samples: int, seed: int) -> str:
    """One row per checkpoint, one column per score that any row has (per-class accuracies left out)."""
    columns = [c for c in SCORE_COLUMNS if any(c in r for r in results)]
    lines = ["# Quality of the shipped checkpoints", "",
             f"`python bench/quality.py --markdown bench/QUALITY.md` ({samples:,} samples, seed {seed}; "
             f"scores from gan_playground.metrics.evaluate: classifier FID and its floor, lower is better; "
             f"accuracies higher is better; confident: the share of samples the classifier names with >= 0.9 "
             f"probability, beside the test images' share (confident_real); errors, MSE and MMD lower is better).",
             "",
             "| checkpoint | step | " + " | ".join(columns) + " | seconds |",
             "|---|---|" + "---|" * len(columns) + "---|"]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['checkpoint']} | skipped: {r['skipped']} |" + " |" * (len(columns) + 1))
            continue
        cells = [f"{r[c]:.4g}" if c in r else "" for c in columns]
        lines.append(f"| {r['checkpoint']} | {r.get('step', '')} | " + " | ".join(cells) + f" | {r['seconds']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
