"""What the queue keeps of each job (`Entry`), what it tells a page (`Place`), and how long a wait is."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gan_playground.engine import Job


@dataclass
class Entry:
    """A job the scheduler knows: whose it is, its pool, and its place in line."""

    page: str
    tab: str
    job: Job
    pool: str
    order: int  # first come, first served: the smallest waiting order is admitted first
    since: float  # when it got its place, or joined the queue (monotonic)
    turn_ended: int | None = None  # the step its last turn ended at, while it waits for the next
    step_s: float | None = None  # seconds a step, as estimated before it started (cost.py): its wait's guide
                                 # until its speed is measured


@dataclass
class Place:
    """Where a job stands, for its page's status line."""

    position: int | None  # 1 = next in line; None: it has a place
    waiting: int  # jobs waiting in its pool
    wait_s: float | None  # estimated seconds until it trains (None: not known yet)
    turn_ended: int | None  # the step its last turn ended at
    turn_left_s: float | None  # with a place while others wait: seconds left of its turn, or of its run
    finishes_first: bool = False  # turn_left_s is its run's: it ends before its turn does


def estimated_wait(free_at: list[float], needs: list[float]) -> float | None:
    """Seconds until the job after those `needs` gets a place, with places freeing at `free_at`: each
    job ahead takes the first place to free, for as long as it needs. None where it is not known."""
    if not free_at:
        return None
    heap = list(free_at)
    heapq.heapify(heap)
    for need in needs:
        heapq.heappush(heap, heapq.heappop(heap) + need)
    wait = heap[0]
    return wait if math.isfinite(wait) else None
