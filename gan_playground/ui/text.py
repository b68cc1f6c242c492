"""Pure helpers of the UI: what a job's snapshot says in words, numbers read from a form, the plots'
data frames. No Gradio here, so each is unit-tested (tests/test_ui_text.py)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from gan_playground.engine import Snapshot
from gan_playground.errors import UserError

FINAL = ("stopped", "finished", "diverged", "failed")
STATE_WORDS = {"ready": "Starting", "running": "Training", "paused": "Paused", "queued": "Queued", "stopped": "Stopped",
               "finished": "Finished", "diverged": "Diverged", "failed": "Failed"}
MAX_POINTS_PER_LINE = 400  # a plot's line needs no more; keeps each poll small

# How each curve is drawn: on which plot, and on what scale. Losses have a plot of their own;
# a score or logged value not listed here joins "other".
SCORE_KINDS = {
    "fid": "fid", "fid_floor": "fid",
    "cond_acc": "fraction", "acc_real": "fraction", "acc_fake": "fraction", "test_error": "fraction",
    "cluster_acc": "fraction", "in_3std": "fraction",
    "recon_mse": "fit", "prior_mmd": "fit",
    "modes": "modes",
}
PLOTS = {  # kind -> (title, y axis title, fixed y range or None)
    "fid": ("Classifier FID (lower is better)", "FID", None),
    "fraction": ("Accuracies and errors", "fraction (0–1)", (0.0, 1.0)),
    "fit": ("Reconstruction and prior fit", "lower is better", None),
    "modes": ("Modes covered", "modes", None),
}
CURVE_NAMES = {"fid_floor": "floor (real images)", "in_3std": "within 3 std of a mode"}


# ----------------------------------------------------------------------------------------------
# Numbers as people write them

def fmt_number(value: float) -> str:
    """1e7 -> "10,000,000", 0.0001 -> "0.0001", 2.5e-7 -> "2.5e-07": never "1e+07" for a whole number."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:g}"


def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def read_number(value: Any, label: str, *, low: float | None = None, high: float | None = None,
                whole: bool = True) -> int | float:
    """A number from a form field, or a UserError that names the field and its valid range.

    `whole`: a whole number is required, and 1.5 is refused rather than rounded to 2.
    """
    lo = "" if low is None else fmt_number(low)
    hi = "" if high is None else fmt_number(high)
    what = "a whole number" if whole else "a number"
    expected = f"{what} from {lo} to {hi}" if lo and hi else f"{what} of at least {lo}" if lo else \
        f"{what} of at most {hi}" if hi else what
    bad = UserError(f"{label} must be {expected}, got {value!r}.")
    if value is None or isinstance(value, bool):
        raise bad
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except (TypeError, ValueError):
        raise bad from None
    if not math.isfinite(number) or (whole and not number.is_integer()):
        raise bad
    if (low is not None and number < low) or (high is not None and number > high):
        raise bad
    return int(number) if whole else number


def class_choices(classes: tuple[str, ...], k: int, word: str = "class") -> list[str]:
    if classes and len(classes) == k:
        return [f"{i} · {name}" if name != str(i) else str(i) for i, name in enumerate(classes)]
    return [f"{word} {i}" for i in range(k)]


def parse_class(value: Any, k: int) -> int:
    """The class index of a choice ("3", "3 · Dress", "cluster 3"), in [0, k - 1]; "-3" is refused."""
    text = str(value if value is not None else "").strip()
    head = text.split("·")[0].strip()
    for word in ("class", "cluster"):
        if head.startswith(word + " "):
            head = head[len(word) + 1:].strip()
    if not head.isdigit() or not 0 <= int(head) < k:
        raise UserError(f"Choose a class from 0 to {k - 1} (got {value!r}).")
    return int(head)


# ----------------------------------------------------------------------------------------------
# A job's progress in words

def status_text(snap: Snapshot, model: str, dataset: str) -> str:
    eta = "" if snap.state in FINAL or snap.state in ("paused", "queued") else f" · ETA **{fmt_time(snap.eta_s)}**"
    rate = f"{snap.images_per_s:,.0f} images/s" if snap.images_per_s > 0 else "measuring speed…"
    state = STATE_WORDS.get(snap.state, snap.state)
    if snap.state == "diverged" and snap.diverged_at is not None:
        state = f"Diverged at step {snap.diverged_at:,}:"
    return (f"**{state}** {model} on {dataset} · step **{snap.step:,} / {snap.steps:,}** · {rate} · "
            f"elapsed {fmt_time(snap.elapsed_s)}{eta}")


def queue_text(position: int | None, waiting: int, wait_s: float | None, turn_ended: int | None,
                turn_left_s: float | None) -> str:
    """What a run's page hears from the queue (sessions.Place): its position and estimated wait, why
    it waits again after a turn, or, with a place while others wait, how long its turn lasts."""
    if position is None:
        others = f"{waiting} other run{'s' if waiting != 1 else ''} wait{'s' if waiting == 1 else ''}"
        if turn_left_s is None:
            return f"{others} for a place."
        return (f"{others} for a place: this run's turn ends in about **{fmt_time(turn_left_s)}**, then it is "
                f"saved and waits for its next turn.")
    head = (f"Its turn ended at step {turn_ended:,} while others waited: it was saved and waits for its next "
            f"turn, keeping everything it learned. " if turn_ended is not None else "The server is busy: ")
    when = (f"trains again in about **{fmt_time(wait_s)}**" if turn_ended is not None else
            f"starts in about **{fmt_time(wait_s)}**") if wait_s is not None else "starts when a place frees"
    return (f"{head}place **{position}** of {waiting} in the queue, {when}. It starts by itself; keep this "
            f"page open.")


def message_text(snap: Snapshot, saved: list[str] = ()) -> str:
    """The line under the live panels; after a divergence it points to a checkpoint only if one of
    `saved` (this tab's saves and autosaves, newest last) exists."""
    if snap.state == "diverged":
        if saved:
            return (f"⚠ **{snap.message}** The last good weights are in `{saved[-1]}`: open *Checkpoints*, "
                    f"pick it under *Resume training*, set the learning-rate factor below 1 (e.g. 0.3) and press "
                    f"*Resume training from checkpoint*.")
        return (f"⚠ **{snap.message}** Nothing was saved before that step. Lower the learning rate "
                f"(e.g. to a third) and press Start again.")
    if snap.state == "failed":
        return f"⚠ **{snap.message}**"
    if snap.state == "finished":
        return (f"✓ Finished {snap.step:,} steps. Explore the model below, save a checkpoint, "
                f"or press Start for a new run.")
    if snap.state == "stopped":
        return f"Stopped at step {snap.step:,}. The model stays here to explore or save."
    return snap.message


# ----------------------------------------------------------------------------------------------
# The plots' data

def long_frame(steps: list[int], series: dict[str, list[float]], column: str) -> pd.DataFrame:
    """(step, value, <column>) rows, one line per series, at most MAX_POINTS_PER_LINE points each.

    Values are rounded to 4 significant digits: a tooltip shows 0.0123, not 0.012345678.
    """
    frames = []
    for name, values in series.items():
        pts = [(s, v) for s, v in zip(steps, values, strict=True) if v is not None and math.isfinite(v)]
        if not pts:
            continue
        stride = max(1, math.ceil(len(pts) / MAX_POINTS_PER_LINE))
        keep = pts[::stride] if pts[::stride][-1] == pts[-1] else [*pts[::stride], pts[-1]]
        frames.append(pd.DataFrame({"step": [s for s, _ in keep],
                                    "value": [float(f"{v:.4g}") for _, v in keep],
                                    column: CURVE_NAMES.get(name, name)}))
    if not frames:
        return pd.DataFrame({"step": pd.Series(dtype=int), "value": pd.Series(dtype=float),
                             column: pd.Series(dtype=str)})
    return pd.concat(frames, ignore_index=True)


def score_curves(history_steps: list[int], history: dict[str, list[float]], score_steps: list[int],
                 scores: dict[str, list[float]]) -> dict[str, list[tuple[str, list[int], list[float]]]]:
    """The curves of each score plot (`PLOTS`): kind -> [(name, steps, values)].

    Accuracies logged with the losses (ACGAN's acc_real, acc_fake) join the scores. A score holds
    its last measured value up to the newest logged step, so that one measurement is a visible
    line and every plot spans the steps of the loss plot; the FID floor is a flat reference line.
    """
    curves: dict[str, list[tuple[str, list[int], list[float]]]] = {}
    last = max([*history_steps[-1:], *score_steps[-1:]], default=0)
    first = min([*history_steps[:1], *score_steps[:1]], default=0)
    for name, values in history.items():
        if name in SCORE_KINDS:
            curves.setdefault(SCORE_KINDS[name], []).append((name, list(history_steps), list(values)))
    for name, values in scores.items():
        steps, vals = list(score_steps), list(values)
        if not vals:
            continue
        if name == "fid_floor":  # one number: a reference line across the whole run
            steps, vals = [first, last], [vals[-1], vals[-1]]
        elif steps[-1] < last:
            steps, vals = [*steps, last], [*vals, vals[-1]]
        curves.setdefault(SCORE_KINDS.get(name, "fit"), []).append((name, steps, vals))
    return curves


def score_frames(history_steps: list[int], history: dict[str, list[float]], score_steps: list[int],
                 scores: dict[str, list[float]]) -> dict[str, pd.DataFrame]:
    """kind -> a long frame (step, value, score) for each score plot that has data."""
    out = {}
    for kind, curves in score_curves(history_steps, history, score_steps, scores).items():
        frame = pd.concat([long_frame(steps, {name: values}, "score") for name, steps, values in curves],
                          ignore_index=True)
        if len(frame):
            out[kind] = frame
    return out


def loss_series(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """The curves of the loss plot: every logged value that is not a score (acc_* go to the scores)."""
    return {k: v for k, v in history.items() if k not in SCORE_KINDS}
