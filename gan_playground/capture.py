"""A capturable training step: one that a CUDA graph can record once and replay (issue 19.1).

`prepare_run(..., capturable=True)` turns on what capture needs, on any device:

- optimizers that keep their step counts on the device and never read them on the host:
  torch's Adam with `capturable=True` (in its fused form, the one that also runs on the CPU)
  and the project's RMSprop (`optim.py`) likewise (`make_capturable`);
- fixed buffers for the batch (`StaticBatch`): the engine copies each batch into them, so the
  step reads its inputs from the same addresses every time.

The models' steps are capturable as they are: every random draw comes from the run's own
generator on the device (`GANModel.rng`), nothing reads a tensor on the host, and no Python
branch looks at a tensor's value. tests/test_capturable.py checks, for all nine models, that no
host read happens, that the global generator is never drawn from, and that five steps through
this path give bit for bit the weights of five eager steps.

On CUDA the engine then records the whole step as one CUDA graph (`CUDAGraphStep`), unless
GAN_PLAYGROUND_CUDA_GRAPHS=0, the learning rates decay (a graph keeps the rates it was captured
with), or the run is data-parallel (its gradient averaging runs between the kernels). On the CPU
nothing here touches CUDA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import torch
import torch.distributed as dist

from gan_playground.environment import ON_OFF, env_choice
from gan_playground.optim import RMSprop

if TYPE_CHECKING:
    from gan_playground.run import Run

Losses = dict[str, torch.Tensor]
Step = Callable[[torch.Tensor, "torch.Tensor | None"], Losses]


def make_capturable(run: "Run") -> None:
    """Build the run's optimizers for capture: Adam and AdamW fused with capturable=True (their
    step counts on the device, read there); RMSprop with its counts on the device too."""
    for opt in run.model.optimizers.values():
        if isinstance(opt, (torch.optim.Adam, torch.optim.AdamW)):
            options = {"capturable": True, "fused": True, "foreach": False}
        elif isinstance(opt, RMSprop):
            options = {"capturable": True}
        else:
            raise TypeError(f"{type(opt).__name__} has no capturable form here; add one to capture.make_capturable.")
        for group in opt.param_groups:
            group.update(options)
        opt.defaults.update(options)


def training_step(run: "Run") -> Step:
    """How the engine runs one training step of `run`: the model's `train_step` as it is, through
    fixed batch buffers (capturable), or by replaying a CUDA graph of it (capturable, on CUDA)."""
    model = run.model

    def eager(x: torch.Tensor, y: torch.Tensor | None) -> Losses:
        return model.train_step(x, y)  # looked up at each call: a caller may wrap the method

    if not run.capturable:
        return eager
    if cuda_graphs_wanted(run):
        return CUDAGraphStep(eager, model.rng)
    batch = StaticBatch()
    return lambda x, y: eager(*batch.fill(x, y))


def cuda_graphs_wanted(run: "Run") -> bool:
    """CUDA graphs for a capturable run on CUDA, unless turned off (GAN_PLAYGROUND_CUDA_GRAPHS=0)
    or unable to hold what the run changes between steps (decaying rates, a data-parallel step)."""
    if run.device.type != "cuda":
        return False
    if env_choice("GAN_PLAYGROUND_CUDA_GRAPHS", ON_OFF, "1") == "0":
        return False
    return run.config.lr_decay == "none" and not (dist.is_available() and dist.is_initialized())


class StaticBatch:
    """Fixed buffers for the batch: `fill` copies a batch in and returns the buffers themselves.

    Made at the first batch; made again only if a batch of another shape, type or device comes
    (a run moved between devices), which a captured graph must never see (`CUDAGraphStep`).
    """

    def __init__(self):
        self.x: torch.Tensor | None = None
        self.y: torch.Tensor | None = None

    def fill(self, x: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not self.fits(x, y):
            # The batch's own strides, too: kernels choose by layout (a one-channel image batch
            # can look channels-last to a convolution), and the numbers follow the choice.
            self.x = torch.empty_like(x)
            self.y = None if y is None else torch.empty_like(y)
        self.x.copy_(x)
        if y is not None:
            self.y.copy_(y)
        return self.x, self.y

    def fits(self, x: torch.Tensor, y: torch.Tensor | None) -> bool:
        def same(buffer, t):
            return buffer is not None and ((buffer.shape, buffer.stride(), buffer.dtype, buffer.device)
                                           == (t.shape, t.stride(), t.dtype, t.device))
        return same(self.x, x) and (self.y is None if y is None else same(self.y, y))


class CUDAGraphStep:
    """The whole training step as one CUDA graph: a few eager steps, one capture, then replays.

    The recipe of torch.cuda.graphs ("whole network capture"): warm-up steps on a side stream
    (optimizer state and library workspaces get made there, outside any capture), then the step
    is recorded once into `torch.cuda.CUDAGraph`, with the run's generator registered so that
    every replay draws new random numbers, and each later call copies its batch into the fixed
    buffers and replays. The losses it returns are the graph's output tensors, overwritten by the
    next replay: the engine stacks them at once and reads them every `log_every` steps, outside
    the graph, as it does the snapshots, the preview and the divergence checks.

    Written for GPUs that this project's test machine does not have: only the CPU path around it
    (fixed buffers, capturable optimizers, a step without host reads) is tested here; the skipped
    test in tests/test_capturable.py compares it with eager steps where CUDA exists.
    """

    def __init__(self, step: Step, generator: torch.Generator, *, warmup_steps: int = 3):
        self.step, self.generator = step, generator
        self.warmup_left = warmup_steps
        self.batch = StaticBatch()
        self.graph: torch.cuda.CUDAGraph | None = None
        self.outputs: Losses = {}

    def __call__(self, x: torch.Tensor, y: torch.Tensor | None) -> Losses:
        if self.graph is not None and not self.batch.fits(x, y):
            raise RuntimeError("a captured training step got a batch of another shape or device")
        x, y = self.batch.fill(x, y)
        if self.warmup_left > 0:
            self.warmup_left -= 1
            return self._on_side_stream(x, y)
        if self.graph is None:
            self._capture(x, y)
        self.graph.replay()
        return self.outputs

    def _on_side_stream(self, x: torch.Tensor, y: torch.Tensor | None) -> Losses:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            losses = self.step(x, y)
        torch.cuda.current_stream().wait_stream(side)
        return losses

    def _capture(self, x: torch.Tensor, y: torch.Tensor | None) -> None:
        """Record one step. Recording runs no kernel, so the replay that follows is this call's step."""
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.generator)
        with torch.cuda.graph(graph):
            self.outputs = self.step(x, y)
        self.graph = graph
