"""Training in a worker process, so that a run cannot hold the server: Stop ends it at once, and
the memory its steps need goes back to the system.

An image run on a CPU whose steps are slow (`SLOW_STEP_S`, as `cost.estimate` finds before it starts;
`GAN_PLAYGROUND_WORKERS=auto`, the default), or every image run on a CPU (`=1`), trains in slices of
`GAN_PLAYGROUND_WORKER_SLICE_S` seconds (default 2), each in a forked worker process that gets the
run's state by value and sends back the new one (slices.py: the protocol of the ZeroGPU calls). Stop
kills the worker: the run ends within a moment at the last slice's step, however long one of its
steps takes, and the worker's memory (activations, batches) is freed with it. The page's job keeps
the model between slices, so Explore, saves and previews read it as before.

Only for slow steps by default: each slice forks and rebuilds the run, which cost 14% of the steps of
an ACGAN at batch 64 on two cores (2 s slices), and the page sees the run advance once a slice. A run
of quick steps stays in its thread, where Stop waits for the step in flight: under SLOW_STEP_S as
estimated, well within 2 s even where the estimate is a few times off. `=0`: threads always (Stop
then waits for a step, which the cost cap (cost.py) keeps to a few seconds).

Only on a CPU: a process that has used CUDA cannot fork a child that uses it (ZeroGPU has its own
workers), and the 2-D Lab's tiny runs stay in their thread (slow motion draws every step).
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
from typing import TYPE_CHECKING, Any

import torch

from gan_playground.environment import ON_OFF, env_choice, env_number
from gan_playground.errors import UserError
from gan_playground.slices import absorb_slice, pack_job, train_slice

if TYPE_CHECKING:
    from gan_playground.engine import TrainingJob

# How long past its slice a worker may take to answer: a step started just before the deadline (at
# most GAN_PLAYGROUND_MAX_STEP_S as estimated, if much slower here), the slice's scores, the pickles.
ANSWER_S = 120.0


# A step estimated this slow or slower trains in a worker (mode "auto"): a thread's Stop would wait for it.
SLOW_STEP_S = 0.3


def mode() -> str:
    """`GAN_PLAYGROUND_WORKERS`: "auto" (default: runs of slow steps), "1" (every image run on a CPU)
    or "0" (none)."""
    return env_choice("GAN_PLAYGROUND_WORKERS", {"auto": (), **ON_OFF}, "auto")


def slice_seconds() -> float:
    """`GAN_PLAYGROUND_WORKER_SLICE_S`: seconds a worker trains before the page's job takes the state
    back (default 2: the page sees the run advance this often; each slice costs a fork)."""
    return env_number("GAN_PLAYGROUND_WORKER_SLICE_S", 2.0, low=0.5, raise_to_low=True, unit=" of seconds")


def job_options(device: torch.device, seconds_per_step: float | None = None) -> dict[str, Any]:
    """Extra `TrainingJob` arguments: slices in worker processes for a run on a CPU that the mode
    (`mode`) sends there, given its estimated `seconds_per_step` (None: not estimated); nothing else."""
    chosen = mode()
    slow = seconds_per_step is not None and seconds_per_step >= SLOW_STEP_S
    if device.type != "cpu" or chosen == "0" or (chosen == "auto" and not slow):
        return {}
    return {"slice_runner": run_slice, "slice_seconds": slice_seconds()}


def run_slice(job: "TrainingJob", deadline: float, *, stop_at: int | None = None) -> None:
    """Train the job until `deadline` (or step `stop_at`) in a forked worker, then take its state back.
    A Stop meanwhile kills the worker: the slice's steps are dropped and the run ends where it was."""
    packed = pack_job(job)
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    worker = context.Process(target=_serve, args=(theirs,), name=f"train-{job.model.name}", daemon=True)
    worker.start()
    theirs.close()
    job.interrupt = worker.kill
    try:
        if job.stopping:  # a Stop between the fork and now
            worker.kill()
        # plain pickles: tensors travel as bytes, not as shared memory the worker would have to keep alive
        seconds = max(0.1, deadline - time.monotonic())
        ours.send_bytes(pickle.dumps((packed, seconds, stop_at), protocol=pickle.HIGHEST_PROTOCOL))
        if not ours.poll(seconds + ANSWER_S):  # it hangs: end it, and say so (the run stays where it was)
            worker.kill()
            raise UserError(f"The training worker did not answer within {seconds + ANSWER_S:.0f} s and was "
                            f"ended; the run stopped at step {job.step:,}, where its last slice left it.")
        ok, value = pickle.loads(ours.recv_bytes())
    except (EOFError, OSError):
        if job.stopping:
            return
        worker.join(5)
        raise UserError(f"The training worker ended without a result (exit code {worker.exitcode}): the "
                        f"server may be short of memory. The run stays at step {job.step:,}; save it or lower "
                        f"the batch size.") from None
    finally:
        job.interrupt = None
        ours.close()
        worker.join(5)
        if worker.is_alive():
            worker.kill()
    if not ok:
        raise value
    absorb_slice(job, value)


def _serve(conn) -> None:
    """The worker: one slice on the CPU, its result (or its error) sent back, then it ends."""
    packed, seconds, stop_at = pickle.loads(conn.recv_bytes())
    try:
        result = (True, train_slice(packed, seconds, stop_at, device=torch.device("cpu")))
    except Exception as err:
        result = (False, err)
    try:
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an error that does not pickle: its words do
        data = pickle.dumps((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]}")))
    conn.send_bytes(data)
    conn.close()
