"""The evaluation classifiers' network, and how one is made: trained, batch norm folded, saved.

`metrics.py` loads the shipped ones (checked against their sha256) and scores with them; its
command line, `python -m gan_playground.metrics train-classifier`, makes them with this module.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from gan_playground.data import load_dataset, normalize

CLASSIFIER_SIZE = 28  # the classifiers see 28x28 grey images; other sizes are resized to it


# ----------------------------------------------------------------------------------------------
# The classifier: three strided convs and a 128-d hidden layer (the FID features).

class Classifier(nn.Module):
    """(1, 28, 28) in [-1, 1] -> conv s2 (w, 14) -> conv s2 (2w, 7) -> conv s2 (4w, 4) -> 128 -> K.

    Trained with batch norm after each conv; the shipped weights have it folded into the convs
    (`batchnorm=False`), which is the same function at inference and cheaper on a CPU.
    """

    def __init__(self, *, in_channels: int = 1, num_classes: int = 10, width: int = 16, hidden: int = 128,
                 batchnorm: bool = True):
        super().__init__()
        w = width

        def conv(n_in: int, n_out: int, k: int) -> list[nn.Module]:
            if batchnorm:
                return [nn.Conv2d(n_in, n_out, k, 2, 1, bias=False), nn.BatchNorm2d(n_out), nn.ReLU()]
            return [nn.Conv2d(n_in, n_out, k, 2, 1), nn.ReLU()]

        self.trunk = nn.Sequential(
            *conv(in_channels, w, 4),  # (w, 14, 14)
            *conv(w, 2 * w, 4),  # (2w, 7, 7)
            *conv(2 * w, 4 * w, 3),  # (4w, 4, 4)
            nn.Flatten(),
            nn.Linear(4 * w * 16, hidden), nn.ReLU(),  # (B, hidden): the penultimate features
        )
        self.head = nn.Linear(hidden, num_classes)
        self.arch = {"in_channels": in_channels, "num_classes": num_classes, "width": width, "hidden": hidden}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.trunk(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


def fold_batchnorm(net: Classifier) -> Classifier:
    """The same function without batch norm: w' = w * g / sqrt(v + eps), b' = b0 - m * g / sqrt(v + eps)."""
    folded = Classifier(**net.arch, batchnorm=False)
    src, dst = list(net.trunk), list(folded.trunk)
    convs_src = [(m, src[i + 1]) for i, m in enumerate(src) if isinstance(m, nn.Conv2d)]
    convs_dst = [m for m in dst if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for (conv, bn), out in zip(convs_src, convs_dst, strict=True):
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            out.weight.copy_(conv.weight * scale[:, None, None, None])
            out.bias.copy_(bn.bias - bn.running_mean * scale)
        lin_src = [m for m in src if isinstance(m, nn.Linear)]
        lin_dst = [m for m in dst if isinstance(m, nn.Linear)]
        for a, b in zip(lin_src, lin_dst, strict=True):
            b.load_state_dict(a.state_dict())
        folded.head.load_state_dict(net.head.state_dict())
    return folded.eval()


# ----------------------------------------------------------------------------------------------
# Training (the command line's `train-classifier`)

def train_classifier(dataset_name: str, *, epochs: int = 4, batch_size: int = 128, lr: float = 2e-3,
                     width: int = 16, hidden: int = 128, seed: int = 0, log: Callable[[str], None] = print
                     ) -> Classifier:
    """Adam with a cosine-decayed rate on the whole training split, held on the CPU as uint8.

    No DataLoader: each batch is an index into one tensor. Returns the folded, eval-mode net.
    """
    ds = load_dataset(dataset_name)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = Classifier(in_channels=ds.train.shape[1], num_classes=len(ds.classes), width=width, hidden=hidden)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps_per_epoch = ds.train.shape[0] // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.15)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(ds.train.shape[0], generator=gen)
        t0, total = time.monotonic(), torch.zeros(())
        for i in range(steps_per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            x, y = normalize(ds.train[idx]), ds.train_labels[idx]
            loss = F.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.detach()
        acc = accuracy(net.eval(), ds.test, ds.test_labels)
        log(f"epoch {epoch + 1}/{epochs}: loss {total.item() / steps_per_epoch:.4f}, "
            f"test accuracy {acc:.4f} ({time.monotonic() - t0:.0f} s)")
    return fold_batchnorm(net.eval())


@torch.no_grad()
def accuracy(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000) -> float:
    preds = torch.cat([net(as_input(x)).argmax(1) for x in images.split(batch_size)])
    return (preds.cpu() == labels.cpu()).double().mean().item()


def save_classifier(net: Classifier, out: str | Path, info: dict[str, Any]) -> Path:
    """model.safetensors (fp16) and config.json with the weights' sha256."""
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()}
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = {"kind": "classifier", "architecture": {"class": "gan_playground.metrics.Classifier",
                                                     **net.arch, "batchnorm": False},
              "dtype": "float16", "sha256": file_sha256(out / "model.safetensors"), **info}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] or float [-1, 1] images -> float [-1, 1], 28x28, as the classifiers expect."""
    x = normalize(images) if images.dtype == torch.uint8 else images.float().clamp(-1, 1)
    if x.shape[-1] != CLASSIFIER_SIZE or x.shape[-2] != CLASSIFIER_SIZE:
        x = F.interpolate(x, size=(CLASSIFIER_SIZE, CLASSIFIER_SIZE), mode="bilinear", antialias=True,
                          align_corners=False)
    return x
