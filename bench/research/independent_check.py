"""A second judge of the shipped MNIST models, sharing nothing with the project's own scores.

The project's `eval` judges samples with its own CNN (gan_playground/classifiers/classifier-mnist). This script
trains a plain-numpy MLP instead (784-300-10, ReLU, softmax, SGD with a cosine decay, 10
epochs, seed 1) on MNIST read straight from the idx files, and scores what
`python -m gan_playground sample DIR --n N --out x.npz` writes (the only project code it runs,
in a subprocess):

- conditional accuracy: how often the MLP names the class a conditional model was asked for;
- FID in the MLP's 300-unit hidden layer, N samples against the MNIST test set, beside its
  floor (the first N training images against the test set).

    python bench/research/independent_check.py checkpoints/acgan-mnist checkpoints/wgan-gp-mnist

MNIST comes from GAN_PLAYGROUND_DATA_MIRROR (MNIST/raw/*.gz) or GAN_PLAYGROUND_DATA (the
unpacked files torchvision left there).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def read_idx(name: str) -> np.ndarray:
    """An MNIST idx file as uint8, from the mirror (gzip'd) or the data root (plain)."""
    roots = [os.environ.get("GAN_PLAYGROUND_DATA_MIRROR"), os.environ.get("GAN_PLAYGROUND_DATA"),
             str(Path.home() / ".cache/gan_playground/data")]
    for root in filter(None, roots):
        raw = Path(root) / "MNIST/raw"
        for path, opener in ((raw / f"{name}.gz", gzip.open), (raw / name, open)):
            if path.is_file():
                with opener(path, "rb") as fh:
                    data = fh.read()
                dims = data[3]
                shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
                return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
    sys.exit(f"error: MNIST's {name} not found; set GAN_PLAYGROUND_DATA_MIRROR (see the README).")


class MLP:
    """784-300-10 with ReLU; `hidden` gives the features that the FID compares."""

    def __init__(self, rng: np.random.Generator):
        self.w1 = rng.normal(0, np.sqrt(2 / 784), (784, 300)).astype(np.float32)
        self.b1 = np.zeros(300, np.float32)
        self.w2 = rng.normal(0, np.sqrt(1 / 300), (300, 10)).astype(np.float32)
        self.b2 = np.zeros(10, np.float32)

    def hidden(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w1 + self.b1, 0)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.hidden(x) @ self.w2 + self.b2

    def fit(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, epochs: int = 10,
            batch: int = 100, lr: float = 0.1) -> None:
        steps = epochs * (len(x) // batch)
        for step in range(steps):
            if step % (len(x) // batch) == 0:
                order = rng.permutation(len(x))
            idx = order[(step % (len(x) // batch)) * batch:][:batch]
            xb, yb = x[idx], y[idx]
            h = self.hidden(xb)
            z = h @ self.w2 + self.b2
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(batch), yb] -= 1  # d(cross entropy)/dz, summed over the batch below
            dh = (p @ self.w2.T) * (h > 0)
            rate = lr * 0.5 * (1 + np.cos(np.pi * step / steps)) / batch
            self.w2 -= rate * h.T @ p
            self.b2 -= rate * p.sum(0)
            self.w1 -= rate * xb.T @ dh
            self.b1 -= rate * dh.sum(0)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)), the square root by eigendecompositions.

    gan_playground.metrics.frechet_distance computes the same; this copy is on purpose, so that a
    mistake there cannot hide behind agreeing judges."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    vals, vecs = np.linalg.eigh(s_a)
    root_a = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    cross = np.linalg.eigvalsh(root_a @ s_b @ root_a)  # same spectrum as S_a S_b
    trace_sqrt = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * trace_sqrt)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--n", type=int, default=10000, help="samples per model (and real images for the floor)")
    args = p.parse_args()

    def flat(images: np.ndarray) -> np.ndarray:
        return images.reshape(len(images), -1).astype(np.float32) / 255

    x_train, y_train = flat(read_idx("train-images-idx3-ubyte")), read_idx("train-labels-idx1-ubyte").astype(np.int64)
    x_test, y_test = flat(read_idx("t10k-images-idx3-ubyte")), read_idx("t10k-labels-idx1-ubyte")
    rng = np.random.default_rng(1)
    judge = MLP(rng)
    judge.fit(x_train, y_train, rng)
    test_features = judge.hidden(x_test)
    report = {"judge_test_accuracy": float((judge.logits(x_test).argmax(1) == y_test).mean()),
              "fid_floor": frechet_distance(judge.hidden(x_train[:args.n]), test_features), "n": args.n}
    print(json.dumps(report), flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.folders:
            out = Path(tmp) / f"{folder.name}.npz"
            subprocess.run([sys.executable, "-m", "gan_playground", "sample", str(folder), "--n", str(args.n),
                            "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
            arrays = np.load(out)
            images = flat(arrays["images"])
            row = {"checkpoint": str(folder), "fid": frechet_distance(judge.hidden(images), test_features)}
            row["fid_over_floor"] = row["fid"] / report["fid_floor"]
            if "labels" in arrays:
                right = judge.logits(images).argmax(1) == arrays["labels"]
                per_class = [float(right[arrays["labels"] == c].mean()) for c in range(10)]
                row.update(cond_acc=float(right.mean()), lowest_class_acc=min(per_class))
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
