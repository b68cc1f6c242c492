"""Two to four WGAN variants trained side by side on the same 2-D data and seed, in one thread.

Step for step: each variant takes one training step in turn (`TrainingJob.single_step("both")`), so
they advance together, on one core, and count as one job. What each learned is read from its own
job: losses, preview points, and the toy scores (modes covered, share within 3 std) of its preview.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass

from gan_playground.engine import FINAL_STATES, TrainingJob
from gan_playground.errors import UserError


@dataclass
class Lane:
    """One variant of a side-by-side run."""

    name: str
    job: TrainingJob


class SideBySide:
    """A `Job` (engine.py) of two to four Lab runs: one place, one queue entry, stepped together."""

    def __init__(self, lanes: list[Lane], *, steps: int):
        if not 2 <= len(lanes) <= 4:
            raise UserError(f"Compare two to four variants, got {len(lanes)}.")
        self.lanes, self.steps = lanes, steps
        self.step = 0
        self._stop = threading.Event()
        self._admitted = threading.Event()  # cleared while it waits for a place (as TrainingJob.hold)
        self._admitted.set()
        self._nudge = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = "ready"
        self._trained_s = 0.0  # seconds spent training: the speed the queue's estimates use
        self.message = ""

    @property
    def label(self) -> str:
        return " vs ".join(lane.name for lane in self.lanes)

    @property
    def dataset(self) -> str:
        return self.lanes[0].job.run.config.dataset

    @property
    def summary(self) -> str:
        return f"{self.label} on {self.dataset}"

    @property
    def pool(self) -> str:
        return "lab"

    @property
    def variant(self) -> None:
        return None

    def save_progress(self) -> None:
        """Nothing to save: a comparison is short and has no autosave."""

    @property
    def state(self) -> str:
        return self._state

    @property
    def done(self) -> bool:
        return self._state in FINAL_STATES

    @property
    def admitted(self) -> bool:
        return self._admitted.is_set()

    @property
    def eta_s(self) -> float | None:
        if self.done or not self.step or not self._trained_s:
            return None
        return (self.steps - self.step) * self._trained_s / self.step

    def start(self) -> "SideBySide":
        self._state = "running" if self._admitted.is_set() else "queued"
        self._thread = threading.Thread(target=self._loop, name="side-by-side", daemon=True)
        self._thread.start()
        return self

    def hold(self) -> None:
        """Wait for a place after the step in flight (see TrainingJob.hold)."""
        self._admitted.clear()
        if not self.done:
            self._state = "queued"

    def admit(self) -> None:
        if self._admitted.is_set():
            return
        self._admitted.set()
        if self._state == "queued":
            self._state = "running"
        self._nudge.set()

    def stop(self, *, at_once: bool = True) -> None:
        """Stop after the step in flight (each lane's step is short and in this process)."""
        self._stop.set()
        self._nudge.set()
        if self._thread is None and self._state in ("ready", "queued"):
            self._state = "stopped"

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        try:
            while self.step < self.steps and not self._stop.is_set():
                if not self._admitted.is_set():
                    self._nudge.clear()
                    if not self._admitted.is_set() and not self._stop.is_set():
                        self._nudge.wait()
                    continue
                t = time.perf_counter()
                for lane in self.lanes:
                    if lane.job.state != "diverged":  # a diverged variant stays where it broke
                        lane.job.single_step("both")
                self.step += 1
                self._trained_s += time.perf_counter() - t
                if all(lane.job.state == "diverged" for lane in self.lanes):
                    break
            self._state = "stopped" if self._stop.is_set() and self.step < self.steps else "finished"
        except UserError as err:
            self.message, self._state = str(err), "failed"
        except Exception as err:  # a bug: keep the app alive, say what happened
            traceback.print_exc(file=sys.stderr)
            self.message, self._state = f"The comparison failed: {type(err).__name__}: {err}", "failed"
