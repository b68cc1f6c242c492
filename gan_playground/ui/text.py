"""Pure helpers of the UI: what a job's snapshot says in words, numbers read from a form, the plots'
data frames. No Gradio here, so each is unit-tested (tests/test_ui_text.py)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from gan_playground.engine import Snapshot
from gan_playground.errors import UserError
from gan_playground.ui.i18n import en, tr

FINAL = ("stopped", "finished", "diverged", "failed")
# A job's state in words, in English (i18n/en.py); state_word() says it in the page's language.
STATE_WORDS = {key.removeprefix("state."): word for key, word in en.TEXT.items() if key.startswith("state.")}
MAX_POINTS_PER_LINE = 400  # a plot's line needs no more; keeps each poll small

# How each curve is drawn: on which plot, and on what scale. Losses have a plot of their own;
# a score or logged value not listed here joins "other".
SCORE_KINDS = {
    "fid": "fid", "fid_floor": "fid",
    "cond_acc": "fraction", "acc_real": "fraction", "acc_fake": "fraction", "test_error": "fraction",
    "cluster_acc": "fraction", "in_3std": "fraction",
    "recon_mse": "fit", "prior_mmd": "fit",
    "modes": "modes",
    **{f"share_{c}": "classes" for c in range(100)},  # the class histogram, drawn apart (class_histogram_text)
}
PLOTS = {  # kind -> (title, y axis title, fixed y range or None); the page shows the title translated
    "fid": (en.TEXT["live.plot.fid"], "FID", None),
    "fraction": (en.TEXT["live.plot.fraction"], "fraction (0–1)", (0.0, 1.0)),
    "fit": (en.TEXT["live.plot.fit"], "lower is better", None),
    "modes": (en.TEXT["live.plot.modes"], "modes", None),
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

def status_text(snap: Snapshot, model: str, dataset: str, *, unit: str = "images", lang: str = "en") -> str:
    """The run's state in one line; `unit`: what a step's batch holds ("images", or the Lab's "points");
    `lang`: the page's language (i18n.lang_of)."""
    eta = ("" if snap.state in FINAL or snap.state in ("paused", "queued")
           else tr("status.eta", lang, eta=fmt_time(snap.eta_s)))
    if snap.images_per_s > 0:
        rate = tr(f"status.rate.{unit}", lang, rate=snap.images_per_s)
    elif snap.state == "queued":
        rate = tr("status.not_started", lang)
    else:
        rate = tr("status.by_hand" if snap.phase and snap.state == "paused" else "status.measuring", lang)
    state = state_word(snap.state, lang)
    if snap.state == "diverged" and snap.diverged_at is not None:
        state = tr("status.diverged_at", lang, step=snap.diverged_at)
    return tr("status.line", lang, state=state, model=model, dataset=dataset, step=snap.step, steps=snap.steps,
              rate=rate, elapsed=fmt_time(snap.elapsed_s), eta=eta)


def state_word(state: str, lang: str = "en") -> str:
    """A job's state as its status line says it ("Training", "训练中")."""
    return tr(f"state.{state}", lang) if state in STATE_WORDS else state


def queue_text(position: int | None, waiting: int, wait_s: float | None, turn_ended: int | None,
               turn_left_s: float | None, lang: str = "en", *, finishes_first: bool = False) -> str:
    """What a run's page hears from the queue (sessions.Place): its position and estimated wait, why
    it waits again after a turn, or, with a place while others wait, how long its turn lasts (or its
    run, where that `finishes_first`)."""
    if position is None:
        others = tr("queue.others" if waiting == 1 else "queue.others_many", lang, n=waiting)
        if turn_left_s is None:
            return tr("queue.for_place", lang, others=others)
        key = "queue.run_left" if finishes_first else "queue.turn_left"
        return tr(key, lang, others=others, left=fmt_time(turn_left_s))
    head = tr("queue.turn_ended", lang, step=turn_ended) if turn_ended is not None else tr("queue.busy", lang)
    when = (tr("queue.trains_again" if turn_ended is not None else "queue.starts_in", lang, wait=fmt_time(wait_s))
            if wait_s is not None else tr("queue.when_free", lang))
    return tr("queue.place", lang, head=head, position=position, waiting=waiting, when=when)


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


def class_histogram_text(scores: dict[str, list[float]], classes: tuple[str, ...] | list[str]) -> str:
    """The classes the evaluation classifier sees in an unconditional model's samples (`share_<c>`,
    the last measurement), as a bar per class, and a plain warning for every class below half its
    fair share: the samples are leaving it out (mode collapse). "" before any measurement."""
    shares = [scores[f"share_{c}"][-1] for c in range(len(classes)) if scores.get(f"share_{c}")]
    if len(shares) != len(classes) or not shares:
        return ""
    fair = 1 / len(classes)
    width = max(len(str(c)) for c in classes)
    scale = 30 / max(max(shares), 1e-9)  # the largest bar is 30 characters
    rows = [f"{str(name):>{width}} {'█' * round(share * scale):<30} {share:5.1%}"
            for name, share in zip(classes, shares, strict=True)]
    text = ("**Classes in the samples** (what the evaluation classifier names them, at the last score): "
            "a model that covers the data shows each near its share of " + f"{fair:.0%}.\n```\n"
            + "\n".join(rows) + "\n```")
    rare = [f"{name} ({share:.1%})" for name, share in zip(classes, shares, strict=True) if share < fair / 2]
    if rare:
        text += (f"\n⚠ **Mode collapse?** Under half their share: {', '.join(rare)}. The generator is leaving "
                 f"{'this class' if len(rare) == 1 else 'these classes'} out; more steps, a smaller learning rate "
                 f"or more critic steps usually bring {'it' if len(rare) == 1 else 'them'} back. (Early in a run, "
                 f"unformed blobs are mostly named 8 or 9: judge it once the samples look like digits.)")
    return text


def narration(phase: str, latest: dict[str, float], n_critic: int = 1) -> str:
    """What the step just taken by hand (or in slow motion) did, sub-step by sub-step, with its
    numbers, as GAN Lab's slow mode tells it; "" at full speed. `latest`: that step's losses."""
    def value(name: str) -> str:
        v = latest.get(name)
        return f" = **{v:.4g}**" if v is not None and math.isfinite(v) else ""

    critic = ("1. *Sample*: a batch of real points $x$, and noise $z \\sim \\mathcal{N}(0, I)$.\n"
              "2. *Generate*: $G(z)$, the orange points ($G$ does not change in this step).\n"
              "3. *Score*: the critic scores both; the gap is its estimate of the distance, "
              "$\\hat W = \\mathbb{E}[D(x)] - \\mathbb{E}[D(G(z))]$" + value("wasserstein") + ".\n"
              "4. *Loss and gradient*: $L_D = -\\hat W + \\text{penalty}$" + value("loss_d")
              + " (penalty" + value("penalty") + "), differentiated with respect to the critic's weights.\n"
              "5. *Update*: the critic's weights step down that gradient: **the heat map changes** (outlined in "
              "yellow: where it changed most); the points stay where they are.")
    generator = ("1. *Sample*: noise $z \\sim \\mathcal{N}(0, I)$.\n"
                 "2. *Generate*: $G(z)$, the orange points.\n"
                 "3. *Score*: the critic scores them, $D(G(z))$.\n"
                 "4. *Loss and gradient*: $L_G = -\\mathbb{E}[D(G(z))]$" + value("loss_g") + "; its gradient flows "
                 "back through $D$ into $G$: the arrows, uphill on the critic.\n"
                 "5. *Update*: $G$'s weights step down that gradient: **the orange points move along their "
                 "arrows** (the grey trails show from where); the heat map stays.")
    if phase == "critic":
        return "**One critic step**, as it just happened:\n\n" + critic
    if phase == "generator":
        return "**One generator step**, as it just happened:\n\n" + generator
    if phase == "both":
        return (f"**One training step**: {n_critic} critic step{'s' if n_critic != 1 else ''}, then one generator "
                f"step.\n\n*The critic* ({n_critic}x):\n\n{critic}\n\n*Then the generator*:\n\n{generator}")
    return ""


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
