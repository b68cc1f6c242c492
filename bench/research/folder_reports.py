"""What the research scripts share: class shares as they print them, and one JSON line per folder."""

from __future__ import annotations

import argparse
import json
from typing import Callable

import torch


def rounded(values: torch.Tensor) -> list[float]:
    """A 1-D tensor as a list, to 3 decimals."""
    return [round(v, 3) for v in values.tolist()]


def shares(indices: torch.Tensor, k: int) -> list[float]:
    """The share of each of k classes (or clusters) among `indices` (N,), to 3 decimals."""
    return rounded(torch.bincount(indices.cpu(), minlength=k) / len(indices))


def report_each(report: Callable[[str], dict], description: str) -> None:
    """The command line of a script that reports on folders: `report(folder)` as a JSON line each."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    for folder in parser.parse_args().folders:
        print(json.dumps(report(folder)), flush=True)
