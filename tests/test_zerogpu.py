"""ZeroGPU by value, tested the way ZeroGPU calls it.

`standin_spaces` is a `spaces` module whose GPU decorator does what spaces/zero/wrappers.py does
with a call: it forks a worker (the fork context of multiprocessing), pickles the arguments in and
the result out through queues, and raises in the caller what the worker raised. Slices train on the
CPU here (GAN_PLAYGROUND_ZEROGPU_DEVICE=cpu); on a Space the same code trains on the GPU.
"""

from __future__ import annotations

import importlib
import multiprocessing
import sys
import time
import types

import pytest
import torch

from gan_playground import zerogpu
from gan_playground.config import RunConfig
from gan_playground.engine import TrainingJob
from gan_playground.errors import UserError
from gan_playground.run import prepare_run


def _worker(task, args_queue, result_queue) -> None:
    args, kwargs = args_queue.get()
    try:
        result = (True, task(*args, **kwargs))
    except Exception as err:  # sent back and raised in the caller, as spaces does
        result = (False, err)
    result_queue.put(result)
    args_queue.get()  # alive until the caller has the result: torch shares tensors by handing over descriptors


def standin_spaces() -> types.ModuleType:
    module = types.ModuleType("spaces")
    module.requested = []  # the duration each call asked for
    module.visitors = []  # the Gradio request each call ran for (ZeroGPU bills that visitor)
    module.calls = 0
    module.quota_left_s = None  # set to a number: calls asking for more are refused, as ZeroGPU does

    def GPU(task=None, *, duration=60, size=None):  # noqa: N802 (the real name)
        def decorate(fn):
            def handler(*args, **kwargs):
                from gradio.context import LocalContext

                seconds = duration(*args, **kwargs) if callable(duration) else duration
                module.requested.append(seconds)
                module.visitors.append(LocalContext.request.get(None))
                if module.quota_left_s is not None and seconds > module.quota_left_s:
                    import gradio as gr

                    raise gr.Error(f"You have exceeded your GPU quota ({seconds}s requested vs. "
                                   f"{module.quota_left_s}s left).", title="ZeroGPU quota exceeded")
                ctx = multiprocessing.get_context("fork")
                args_queue, result_queue = ctx.SimpleQueue(), ctx.SimpleQueue()
                worker = ctx.Process(target=_worker, args=(fn, args_queue, result_queue), daemon=True)
                worker.start()
                args_queue.put((args, kwargs))  # pickled here: a job with locks would fail now
                ok, value = result_queue.get()
                args_queue.put(None)
                worker.join(30)
                module.calls += 1
                if not ok:
                    raise value
                return value
            return handler
        return decorate(task) if task is not None else decorate

    module.GPU = GPU
    return module


@pytest.fixture
def spaces(monkeypatch):
    """A ZeroGPU Space with the stand-in: zerogpu.py is imported again, so that its function is
    decorated at import time as on a Space; afterwards it is imported again without."""
    module = standin_spaces()
    monkeypatch.setitem(sys.modules, "spaces", module)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setenv("GAN_PLAYGROUND_ZEROGPU_DEVICE", "cpu")
    monkeypatch.setenv("GAN_PLAYGROUND_ZEROGPU_SLICE_S", "20")
    importlib.reload(zerogpu)
    try:
        yield module
    finally:
        monkeypatch.undo()
        importlib.reload(zerogpu)


def small_job(steps: int = 60, **kwargs) -> TrainingJob:
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=steps, batch_size=32, seed=3,
                                device="cpu", lr_decay="linear"), {"n_critic": "2", "toy_width": "32"})
    return TrainingJob(run, log_every=5, preview_every=10, **kwargs)


def test_slices_by_value_end_where_steps_in_process_end(spaces):
    assert zerogpu.active() and zerogpu.gpu_train_slice is not zerogpu.train_gpu_slice
    reference = small_job()
    reference.train_until(None)
    job = small_job(**zerogpu.job_options())
    for n in range(1, 7):  # six slices of 10 steps, each a forked worker with pickled state
        zerogpu.run_slice(job, time.monotonic() + 60, stop_at=10 * n)
        assert job.step == 10 * n  # the page's job advances slice by slice
    assert spaces.calls == 6 and spaces.requested == [zerogpu.slice_duration({}, 60)] * 6
    assert job.step == reference.step == 60
    for (name, a), b in zip(job.model.state_dict().items(), reference.model.state_dict().values(), strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5), name
    for opt, ref in zip(job.model.optimizers.values(), reference.model.optimizers.values(), strict=True):
        for state, ref_state in zip(opt.state.values(), ref.state.values(), strict=True):
            assert float(state["step"]) == float(ref_state["step"]) >= 60  # the step counts travel too
            assert torch.allclose(state["exp_avg_sq"], ref_state["exp_avg_sq"], rtol=1e-4, atol=1e-8)
    assert torch.equal(job.run.rng.get_state(), reference.run.rng.get_state())  # the streams carry on
    assert torch.equal(job.run.sampler.generator.get_state(), reference.run.sampler.generator.get_state())
    snap, ref = job.snapshot(), reference.snapshot()
    assert snap.history_steps == ref.history_steps == list(range(5, 61, 5))  # continuous: no gap, no repeat
    for k in ref.history:
        assert snap.history[k] == pytest.approx(ref.history[k], rel=1e-3, abs=1e-5), k
    assert snap.preview is not None and snap.preview_step == 60


def test_a_job_trains_in_slices_through_the_worker_and_the_page_sees_each(spaces):
    import contextvars

    from gradio.context import LocalContext

    job = small_job(steps=400, **zerogpu.job_options())
    job.slice_seconds = 1.0
    seen = []
    visitor = object()  # the request of the page that pressed Start (its handler's context)
    contextvars.Context().run(lambda: (LocalContext.request.set(visitor), job.start()))
    deadline = time.monotonic() + 120
    while not job.done and time.monotonic() < deadline:
        seen.append(job.step)
        time.sleep(0.2)
    assert job.state == "finished" and job.step == 400, job.snapshot().message
    assert spaces.calls >= 2 and len(set(seen)) >= 2  # it advanced slice by slice
    assert spaces.visitors == [visitor] * spaces.calls  # each slice on that visitor's quota, from the job's thread
    assert spaces.requested[0] == zerogpu.slice_duration({}, 1.0)  # the GPU time follows the slice's length
    steps = job.snapshot().history_steps
    assert steps == sorted(set(steps)) and steps[-1] == 400


def test_what_the_worker_raises_reaches_the_page_as_a_message(spaces):
    job = small_job(**zerogpu.job_options())
    packed = zerogpu.pack_job(job)
    packed["settings"]["n_critic"] = 0  # a state the worker cannot build: its error comes back as raised
    with pytest.raises(Exception, match="n_critic"):
        zerogpu.gpu_train_slice(packed, 5.0)
    spaces.quota_left_s = 3  # over the visitor's quota: the Space's message, not a traceback
    job.start()
    assert job.join(30) and job.state == "failed"
    message = job.snapshot().message
    assert message.startswith("ZeroGPU quota exceeded: You have exceeded your GPU quota"), message
    assert "Traceback" not in message and "Error" not in message
    with pytest.raises(UserError, match="quota"):
        zerogpu.run_slice(small_job(**zerogpu.job_options()), time.monotonic() + 5)


def test_a_job_with_locks_cannot_travel_but_its_packed_state_can(spaces):
    import pickle

    job = small_job()
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(job)  # what the old slice runner handed to spaces.GPU
    assert pickle.loads(pickle.dumps(zerogpu.pack_job(job)))["step"] == 0
