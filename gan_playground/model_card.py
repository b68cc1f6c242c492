"""The README.md of a checkpoint folder: Hub metadata, samples, scores and how to reproduce it."""

from __future__ import annotations

import json
from typing import Any

from gan_playground.models import model_class


def model_card(config: dict[str, Any], *, has_samples: bool) -> str:
    """The README.md of a checkpoint: Hub metadata, samples, scores and how to reproduce it."""
    name, dataset = config["model"], config["dataset"]
    dataset_tag = dataset if not dataset.startswith("folder:") else "custom"
    model_cls = model_class(name)
    scores = config.get("scores") or {}
    tags = dict.fromkeys(["gan", name, model_cls.family, dataset_tag, "pytorch", "safetensors"])  # acgan is both
    lines = [
        "---",
        "library_name: gan-playground",
        "license: mit",
        "tags:", *(f"- {tag}" for tag in tags),
        *(["datasets:", f"- {dataset_tag}"] if dataset_tag in ("mnist", "fashion-mnist", "cifar10") else []),
        "pipeline_tag: unconditional-image-generation",
        "---",
        "",
        f"# {name} on {dataset}",
        "",
        f"{model_cls.description()}",
        "",
        f"Trained with GAN Playground {config.get('version', '')} (the `gan_playground` package) "
        f"for {config['step']} steps (seed {config['seed']}).",
        "",
    ]
    if config.get("sampling_only"):
        points = (config.get("data") or {}).get("kind") == "points"  # a 2-D critic stays: the Lab draws it
        left_out = [f"`{n}`" for n in model_cls.adversaries if not points]
        if (config.get("config") or {}).get("ema", 0) > 0:
            left_out.append("the raw encoder, whose moving average encodes" if model_cls.is_autoencoder
                            else "the raw generator, whose moving average samples")
        lines += [f"A folder for sampling and exploring: it leaves out the optimizers and what only training "
                  f"reads ({'; '.join(left_out)}), so it cannot train on. To train further, run the command "
                  f"under Reproduce.", ""]
    if has_samples:
        lines += ["![samples from a fixed z](samples.png)", ""]
    if scores:
        lines += ["## Scores", "", "| score | value |", "|---|---|",
                  *(f"| {k} | {v:.4g} |" for k, v in scores.items()), ""]
    listed = config.get("teachers")  # the clustering AAE's earlier runs, when it learned from them
    teachers = [t["command"] for t in (listed if isinstance(listed, list) else [])
                if isinstance(t, dict) and isinstance(t.get("command"), str)]
    if teachers:
        lines += ["## Reproduce", "", f"This run learned from the consensus of {len(teachers)} earlier runs "
                  f"(`teachers`). Train them first:", "", "```bash", *teachers, "```", "", "Then:", ""]
    else:
        lines += ["## Reproduce", ""]
    lines += ["```bash", config["command"], "```", ""]
    run = config.get("run") or {}
    if run.get("lr_decay") == "linear" and isinstance(run.get("steps"), int) and config["step"] < run["steps"]:
        lines += [f"This folder holds step {config['step']} of that run, whose learning rates fall to 0 at its "
                  f"last step, {run['steps']}.", ""]
    lines += ["## Use", "", "```bash", "pip install -r requirements.txt",
              "python -m gan_playground sample THIS_FOLDER --n 64 --out samples.png", "```", "",
              "## Settings", "", "```json", json.dumps(config["config"], indent=2), "```", ""]
    return "\n".join(lines)
