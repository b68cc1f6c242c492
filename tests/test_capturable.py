"""The capturable step (gan_playground/capture.py): what a CUDA graph needs, checked on the CPU.

For every model: the step reads nothing back to the host and draws nothing from the global
generator (the two things a captured graph cannot replay), and five steps through the capturable
path (fixed batch buffers, capturable optimizers) give the eager steps' weights bit for bit: the
same kernels run on the same numbers, only where the batch lives and where the optimizers keep
their step counts differ, so no tolerance is needed. The CUDA graph itself needs a GPU: its test
is skipped here.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from gan_playground import capture
from gan_playground.checkpoints import save_checkpoint
from gan_playground.config import RunConfig
from gan_playground.engine import TrainingJob
from gan_playground.models import MODELS
from gan_playground.run import prepare_run, resume_run

# Tiny settings, batch 8: every model, the conv and the MLP nets, batch norm, shifts, dropout.
TINY = {
    "acgan": ("mnist", {"width": "4", "embed_dim": "2", "latent_dim": "8"}),
    "acgan-reference": ("folder", {"arch": "reference", "latent_dim": "8"}),  # its dropout draws too
    "aae": ("mnist", {"hidden": "16", "prior": "mixture-10"}),
    "aae-supervised": ("mnist", {"hidden": "16"}),
    "aae-semisupervised": ("mnist", {"hidden": "16", "shift": "1", "info_weight": "0.3"}),
    "aae-cluster": ("mnist", {"hidden": "16", "clusters": "4", "shift": "1"}),
    "wgan": ("toy-8gaussians", {"toy_width": "16", "n_critic": "2"}),
    "wgan-gp": ("mnist", {"arch": "dcgan", "width": "4", "latent_dim": "8", "n_critic": "2"}),
    "wgan-div": ("toy-8gaussians", {"toy_width": "16", "n_critic": "2"}),
    "wgan-lp": ("mnist", {"arch": "mlp", "latent_dim": "8", "n_critic": "2"}),  # an MLP G with batch norm
}
# What reads a tensor's value back to the host: .item(), bool(), int(), float(), and the ops whose
# output shape depends on the values. A CUDA graph cannot capture any of them.
HOST_READS = {"_local_scalar_dense", "nonzero", "masked_select", "_unique2", "unique_dim",
              "unique_consecutive", "equal", "is_nonzero"}


def tiny_run(case: str, image_folder, *, capturable: bool, **settings):
    dataset, overrides = TINY[case]
    dataset = f"folder:{image_folder}" if dataset == "folder" else dataset
    model = case.removesuffix("-reference")
    return prepare_run(RunConfig(model=model, dataset=dataset, batch_size=8, device="cpu", seed=5, **settings),
                       overrides, capturable=capturable)


def train(run, steps: int) -> None:
    step = capture.training_step(run)
    for _ in range(steps):
        step(*run.sampler.next(run.model.batches_per_step))


class HostReads(TorchDispatchMode):
    """Records every op that reads a tensor's value back to the host."""

    def __init__(self):
        super().__init__()
        self.seen: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.__name__.split(".")[0] in HOST_READS:
            self.seen.append(str(func))
        return func(*args, **(kwargs or {}))


def test_every_model_is_listed():
    assert {case.removesuffix("-reference") for case in TINY} == set(MODELS)


@pytest.mark.parametrize("case", list(TINY))
def test_a_step_reads_nothing_on_the_host_and_draws_only_from_the_runs_generator(case, image_folder):
    run = tiny_run(case, image_folder, capturable=True)
    train(run, 1)  # the first step makes the optimizers' state, as a graph's warm-up does
    x, y = run.sampler.next(run.model.batches_per_step)  # outside: the batch is not the step
    step, global_stream, run_stream = capture.training_step(run), torch.get_rng_state(), run.rng.get_state()
    reads = HostReads()
    with reads:
        step(x, y)
    assert reads.seen == [], reads.seen
    assert torch.equal(torch.get_rng_state(), global_stream)  # nothing from the global generator...
    assert not torch.equal(run.rng.get_state(), run_stream)  # ...all from the run's own


@pytest.mark.parametrize("case", list(TINY))
def test_five_capturable_steps_give_the_eager_weights_bit_for_bit(case, image_folder):
    eager, captured = (tiny_run(case, image_folder, capturable=c) for c in (False, True))
    train(eager, 5)
    train(captured, 5)
    for key, value in eager.model.state_dict().items():
        assert torch.equal(captured.model.state_dict()[key], value), key
    for name, opt in eager.model.optimizers.items():
        assert captured.model.optimizers[name].param_groups[0]["capturable"]
        theirs = captured.model.optimizers[name].state_dict()["state"]
        for idx, fields in opt.state_dict()["state"].items():
            for field, value in fields.items():
                assert torch.equal(torch.as_tensor(value).float(), torch.as_tensor(theirs[idx][field]).float()), \
                    (name, idx, field)


def test_the_engine_copies_each_batch_into_fixed_buffers(image_folder):
    run = tiny_run("wgan-gp", image_folder, capturable=True)
    seen = []
    step = run.model.train_step
    run.model.train_step = lambda x, y: seen.append(x.data_ptr()) or step(x, y)
    job = TrainingJob(run, steps=4, log_every=2)
    job.start()
    assert job.join(60) and job.state == "finished", job.snapshot().message
    assert len(seen) == 4 and len(set(seen)) == 1  # the same address every step


def test_a_capturable_run_on_the_cpu_never_touches_cuda(image_folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("CUDA-only code ran on the CPU")

    for name in ("CUDAGraph", "graph", "Stream", "stream", "current_stream", "synchronize"):
        monkeypatch.setattr(torch.cuda, name, refuse)
    run = tiny_run("aae-cluster", image_folder, capturable=True)
    assert not isinstance(capture.training_step(run), capture.CUDAGraphStep)
    job = TrainingJob(run, steps=3, log_every=1).start()
    assert job.join(60) and job.state == "finished", job.snapshot().message


def test_a_capturable_checkpoint_resumes_as_the_resuming_run_chooses(image_folder, tmp_path):
    run = tiny_run("wgan", image_folder, capturable=True)
    train(run, 2)
    folder = save_checkpoint(tmp_path / "ck", run, step=2)
    plain, step = resume_run(folder, device="cpu")
    assert step == 2 and not any(g.get("capturable") for o in plain.model.optimizers.values()
                                 for g in o.param_groups)
    again, _ = resume_run(folder, device="cpu", capturable=True)
    train(plain, 2)
    train(again, 2)
    for key, value in plain.model.state_dict().items():
        assert torch.equal(again.model.state_dict()[key], value), key


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA GPU")
@pytest.mark.parametrize("case", ["wgan-gp", "acgan", "aae-cluster"])
def test_the_cuda_graph_trains_as_the_eager_step(case, image_folder):
    """Replays of the captured step against eager steps on the GPU. Not bit for bit: cuDNN and
    cuBLAS may pick other kernels inside a capture; 1e-4 relative after ten steps is float32 noise."""
    def cuda_run(capturable):
        dataset, overrides = TINY[case]
        return prepare_run(RunConfig(model=case, dataset=dataset, batch_size=8, device="cuda", seed=5), overrides,
                           capturable=capturable)

    eager, graphed = cuda_run(False), cuda_run(True)
    step = capture.training_step(graphed)
    assert isinstance(step, capture.CUDAGraphStep)
    train(eager, 10)
    for _ in range(10):
        step(*graphed.sampler.next(graphed.model.batches_per_step))
    torch.cuda.synchronize()
    for key, value in eager.model.state_dict().items():
        torch.testing.assert_close(graphed.model.state_dict()[key], value, rtol=1e-4, atol=1e-5, msg=key)
