"""A checkpoint's records of its run: the loss history (history.csv) and the sample grid
(samples.png), written by a save and read by the page before any run of its own. A job keeps its
history in a `LossHistory`, bounded, which a save writes out.

From elsewhere (an upload, a pull) they are a stranger's files, so their shapes are capped before
anything reads them (`check_records`), and reading a damaged history draws less, never fails.
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING

from gan_playground.data import open_image
from gan_playground.errors import CheckpointError, DataError

if TYPE_CHECKING:
    from gan_playground.engine import Snapshot

MAX_HISTORY_BYTES = 16 << 20  # a 30,000-step run writes about 50 kB
MAX_HISTORY_COLUMNS = 64  # step, the losses and the scores: the most any model writes is 13
ROWS_KEPT = 1000  # the loss rows a job keeps by default (`LossHistory` halves the detail beyond)
MAX_HISTORY_ROWS = 20_000  # a file's rows: ROWS_KEPT and the scores between them, with room to spare
MAX_PICTURE_PIXELS = 2048 * 2048  # samples.png: a grid of 64 images or the Lab's picture, under 500 x 500


class LossHistory:
    """A job's loss rows (`steps`, and one list per loss in `columns`), at most `max_rows` of them.

    Past `max_rows` it keeps every other row, and from then on every other new one too (the stride
    doubles), so a long run keeps its whole length at one spacing: thinning the old rows alone
    would halve them again at every thinning and lose the run's start. Between kept rows the newest
    one stands in, so the curves always end at the latest step.
    """

    def __init__(self, max_rows: int = ROWS_KEPT):
        self.max_rows = max_rows
        self.steps: list[int] = []
        self.columns: dict[str, list[float]] = {}
        self._stride = 1  # every _stride-th row logged is kept
        self._logged = 0  # rows logged so far: row n is kept when n % _stride == 0
        self._stand_in = False  # the newest row, until the stride's next one takes its place

    def append(self, step: int, row: dict[str, float]) -> None:
        """One row: a loss the row lacks is NaN there, and a new one is NaN before."""
        if self._stand_in:
            self.steps.pop()
            for values in self.columns.values():
                values.pop()
        earlier = len(self.steps)
        self.steps.append(step)
        for k in [*self.columns, *(n for n in row if n not in self.columns)]:
            self.columns.setdefault(k, [math.nan] * earlier).append(row.get(k, math.nan))
        newest, self._logged = self._logged, self._logged + 1
        if len(self.steps) > self.max_rows:
            self._halve()
        self._stand_in = newest % self._stride != 0

    def carry(self, steps: list[int], columns: dict[str, list[float]], log_every: int) -> None:
        """Begin with an earlier run's rows (a resumed checkpoint's history.csv), so the curves
        and the next save show the whole run. Before any `append`.

        New rows are then kept at about the carried rows' spacing (a stride of a power of two
        rows logged every `log_every` steps), as if this history had logged the earlier run
        itself; more than `max_rows` carried rows are thinned as a long run's would be.
        """
        if self.steps:
            raise RuntimeError("a history carries an earlier run's rows before its own")
        if not steps:
            return
        gaps = sorted(b - a for a, b in itertools.pairwise(steps))
        spacing = gaps[len(gaps) // 2] if gaps else log_every  # the median: a run's last row may stand in
        self._stride = 1
        while self._stride * log_every < spacing:
            self._stride *= 2
        self.steps = list(steps)
        self.columns = {k: list(v) for k, v in columns.items()}
        while len(self.steps) > self.max_rows:
            self._halve()
        # Carried row i stands for logged row i * stride (what `append`'s thinning assumes); the
        # next row logged, `log_every` steps after the last carried one, is the one after it.
        self._logged = (len(self.steps) - 1) * self._stride + 1
        self._stand_in = False

    def _halve(self) -> None:
        """The rows before the newest are rows 0, s, 2s, ... of the log (s the stride): keep 0, 2s,
        4s, ... and the newest, and from now on keep every 2s-th row logged."""
        self._stride *= 2
        last = len(self.steps) - 1
        self.steps = [*self.steps[:last:2], self.steps[last]]
        self.columns = {k: [*v[:last:2], v[last]] for k, v in self.columns.items()}


def write_history_csv(path: str | Path, snapshot: "Snapshot") -> None:
    """`step,<loss>,...` one row per logged step; scores get their own rows' columns where measured.

    A score measured at a step without a logged row (the history is kept at every `log_every`
    steps, at half the detail once long) gets a row of its own, its losses `nan`, placed in step
    order: no score is lost.
    """
    names = list(snapshot.history)
    score_names = list(snapshot.scores)
    scores_at = {s: i for i, s in enumerate(snapshot.score_steps)}
    logged = set(snapshot.history_steps)
    alone = sorted(s for s in scores_at if s not in logged)  # score steps without a loss row
    no_losses = ["nan"] * len(names)

    def score_cells(step: int) -> list[str]:
        j = scores_at.get(step)
        return ["" if j is None else f"{snapshot.scores[n][j]:.6g}" for n in score_names]

    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["step", *names, *score_names])
        k = 0
        for i, step in enumerate(snapshot.history_steps):
            while k < len(alone) and alone[k] < step:
                writer.writerow([alone[k], *no_losses, *score_cells(alone[k])])
                k += 1
            writer.writerow([step, *(f"{snapshot.history[n][i]:.6g}" for n in names), *score_cells(step)])
        for step in alone[k:]:
            writer.writerow([step, *no_losses, *score_cells(step)])


def read_history_csv(path: str | Path) -> tuple[list[int], dict[str, list[float]], list[int], dict[str, list[float]]]:
    """What `write_history_csv` wrote: (steps, losses, score steps, scores). A column with gaps is a
    score (measured at the score steps only); a row whose losses are all `nan` only carries scores.
    Bad rows are skipped: a damaged file draws less, never fails."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size > MAX_HISTORY_BYTES:
        return [], {}, [], {}
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        rows = list(itertools.islice(csv.reader(fh), MAX_HISTORY_ROWS + 1))
    if not rows or not rows[0] or rows[0][0] != "step" or len(rows[0]) > MAX_HISTORY_COLUMNS:
        return [], {}, [], {}
    names = rows[0][1:]
    cells: dict[str, list[tuple[int, float]]] = {n: [] for n in names}
    steps: list[int] = []
    for row in rows[1:]:
        try:
            step = int(row[0])
        except (ValueError, IndexError):
            continue
        steps.append(step)
        for name, cell in zip(names, row[1:], strict=False):  # a short row lacks its last scores
            try:
                cells[name].append((step, float(cell)))
            except ValueError:
                pass  # an empty cell: a score not measured at this step
    full = {n: [v for _, v in c] for n, c in cells.items() if len(c) == len(steps) and c}
    partial = {n: c for n, c in cells.items() if n not in full and c}
    logged = [i for i in range(len(steps)) if any(not math.isnan(v[i]) for v in full.values())]
    if full and len(logged) < len(steps):  # rows that only carry a score: not points of the loss curves
        steps = [steps[i] for i in logged]
        full = {n: [v[i] for i in logged] for n, v in full.items()}
    score_steps = sorted({s for c in partial.values() for s, _ in c})
    scores = {n: [dict(c).get(s, float("nan")) for s in score_steps] for n, c in partial.items()}
    return steps, full, score_steps, scores


def read_history_until(path: str | Path, step: int) -> tuple[list[int], dict[str, list[float]], list[int],
                                                             dict[str, list[float]]]:
    """`read_history_csv`'s rows and scores up to `step`, the step a run resumes from: any later
    ones (a file joined or edited by hand) are not that run's, which logs its own."""
    steps, losses, score_steps, scores = read_history_csv(path)
    rows = [i for i, s in enumerate(steps) if s <= step]
    scored = [i for i, s in enumerate(score_steps) if s <= step]
    return ([steps[i] for i in rows], {k: [v[i] for i in rows] for k, v in losses.items()},
            [score_steps[i] for i in scored], {k: [v[i] for i in scored] for k, v in scores.items()})


def check_records(folder: Path) -> None:
    """Refuse a history.csv or samples.png larger in shape than any run writes, before anything
    reads them: 200,001 columns of history once took 325 s and 4.4 GB to draw, and a 559 kB PNG
    can declare 12,000 x 12,000 pixels (430 MB decoded)."""
    history = folder / "history.csv"
    if history.is_file():
        if history.stat().st_size > MAX_HISTORY_BYTES:
            raise CheckpointError(f"history.csv in {folder} is larger than {MAX_HISTORY_BYTES >> 20} MiB.")
        with open(history, newline="", encoding="utf-8", errors="replace") as fh:
            header = next(csv.reader(fh), [])
            rows = sum(1 for _ in itertools.islice(fh, MAX_HISTORY_ROWS + 1))
        if len(header) > MAX_HISTORY_COLUMNS or rows > MAX_HISTORY_ROWS:
            raise CheckpointError(f"history.csv in {folder} has {len(header):,} columns and "
                                  f"{'over ' if rows > MAX_HISTORY_ROWS else ''}{min(rows, MAX_HISTORY_ROWS):,} rows;"
                                  f" a run writes at most {MAX_HISTORY_COLUMNS} and {MAX_HISTORY_ROWS:,}.")
    if (folder / "samples.png").is_file():
        try:
            with open_image(folder / "samples.png", max_pixels=MAX_PICTURE_PIXELS):
                pass
        except DataError as err:
            raise CheckpointError(f"samples.png in {folder}: {err}") from None
