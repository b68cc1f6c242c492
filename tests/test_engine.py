import dataclasses
import itertools
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from gan_playground import engine
from gan_playground.config import RunConfig, build_config, param
from gan_playground.data import DataSpec, Sampler, load_dataset
from gan_playground.device import resolve_device
from gan_playground.engine import DivergenceGuard, TrainingJob
from gan_playground.errors import ConfigError, UserError
from gan_playground.models import MODELS
from gan_playground.models.base import GANModel
from gan_playground.records import LossHistory
from gan_playground.run import Run, prepare_run


@dataclass(frozen=True)
class ProbeConfig:
    latent_dim: int = param(2, "size of z")
    nan_at: int = param(0, "step whose loss is NaN (0: never)")
    step_seconds: float = param(0.0, "sleep per step, to make a slow model")


class Probe(GANModel):
    """A tiny model whose losses are known: loss_a = step, loss_b = -step."""

    name = "probe"
    family = "wgan"
    Config = ProbeConfig
    supports_points = True

    def __init__(self, *, config, data):
        super().__init__(config=config, data=data)
        self.generator = nn.Linear(2, 2)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def generate(self, z, y=None):
        return self.generator(z)

    def train_step(self, x, y=None):
        self.calls += 1
        if self.config.step_seconds:
            time.sleep(self.config.step_seconds)
        value = self.calls.float()
        if self.config.nan_at:
            value = torch.where(self.calls == self.config.nan_at, torch.tensor(float("nan")), value)
        return {"loss_a": value, "loss_b": -value}


def probe_job(steps=100, job_options=None, **config) -> TrainingJob:
    ds = load_dataset("toy-8gaussians")
    model = Probe(config=ProbeConfig(**config), data=ds.spec)
    run = Run(RunConfig(model="wgan", dataset=ds.name, steps=steps, batch_size=8), model, ds,
              Sampler(ds, batch_size=8, device="cpu"), torch.device("cpu"))
    job = TrainingJob(run, **{"log_every": 5, "preview_every": 10, **(job_options or {})})
    job.guard = DivergenceGuard(factor=1e12)  # the probe's loss grows with the step on purpose
    return job


def wait_for(predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_history_is_the_mean_of_each_logging_interval():
    job = probe_job(steps=20).start()
    assert job.join(10) and job.state == "finished"
    snap = job.snapshot()
    assert snap.step == 20 and snap.history_steps == [5, 10, 15, 20]
    assert snap.history["loss_a"] == [3.0, 8.0, 13.0, 18.0]  # mean of steps 1..5, 6..10, ...
    assert snap.history["loss_b"] == [-3.0, -8.0, -13.0, -18.0]
    assert snap.preview.shape == (512, 2) and snap.images_per_s > 0 and snap.eta_s is None


def test_pause_resume_and_stop_within_a_second():
    job = probe_job(steps=100_000, step_seconds=0.002).start()
    assert wait_for(lambda: job.snapshot().step > 20)
    job.pause()
    assert job.state == "paused"
    time.sleep(0.1)
    paused_at = job.snapshot().step
    time.sleep(0.3)
    assert job.snapshot().step == paused_at  # nothing trains while paused
    job.resume()
    assert wait_for(lambda: job.snapshot().step > paused_at + 20)
    t = time.monotonic()
    job.stop()
    assert job.join(1.0) and time.monotonic() - t < 1.0
    snap = job.snapshot()
    assert snap.state == "stopped" and snap.step < 100_000


def test_snapshot_while_training_is_consistent():
    job = probe_job(steps=3000).start()
    for _ in range(50):
        snap = job.snapshot()
        assert all(len(v) == len(snap.history_steps) for v in snap.history.values())
        assert snap.history_steps == sorted(snap.history_steps)
    job.join(30)


def test_nan_stops_the_job_naming_the_step():
    job = probe_job(steps=100, nan_at=13).start()
    assert job.join(10)
    snap = job.snapshot()
    assert snap.state == "diverged" and "step 13" in snap.message
    assert snap.step == 15  # found at the next loss read, 2 steps later


def test_a_finite_explosion_is_a_divergence_too():
    """Losses far beyond their size at the start diverge the run, though every number is finite."""
    guard = DivergenceGuard()
    assert guard.check_losses(["loss_d", "penalty"], [[12.0, 0.01], [-9.0, 3.0], [900.0, 999.0]]) is None
    bad = guard.check_losses(["loss_d", "penalty"], [[11.0, 0.5], [1.3e4, 2.0]])
    assert bad is not None and bad[0] == 1 and "loss_d reached 1.3e+04" in bad[1]
    assert "NaN" in DivergenceGuard().check_losses(["a"], [[1.0], [float("nan")]])[1]
    points = DivergenceGuard(data_extent=1.5)
    assert points.check_points(np.full((4, 2), 2.0)) is None
    assert "left the data behind" in points.check_points(np.full((4, 2), 1e3))


def test_samples_of_pure_black_and_white_are_degenerate():
    """A diverged WGAN-div drew two values only; real digits and an untrained generator are far off."""
    from gan_playground.data import load_dataset, normalize
    from gan_playground.explore import image_grid

    guard = DivergenceGuard()
    real = image_grid(normalize(load_dataset("mnist").test[:64]), 8)
    assert guard.check_images(real) is None
    assert guard.check_images(image_grid(torch.rand(64, 1, 28, 28) * 0.1, 8)) is None  # untrained: grey
    saturated = image_grid(torch.randint(0, 2, (64, 1, 28, 28)).float() * 2 - 1, 8)
    assert "degenerate" in guard.check_images(saturated)
    loss_ceiling = guard.check_losses(["penalty"], [[1.6e26]])  # exploded before the first read
    assert loss_ceiling is not None and "no healthy run" in loss_ceiling[1]


def test_a_run_that_explodes_stops_naming_the_step(tmp_path):
    """The issue's command: WGAN-div at lr=0.6 on 8 gaussians once ended 'successfully' at 1e34."""
    run = prepare_run(RunConfig(model="wgan-div", dataset="toy-8gaussians", steps=3000, batch_size=64, seed=0,
                                device="cpu"), {"lr": "0.6"})
    job = TrainingJob(run, log_every=10).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == "diverged" and snap.diverged_at is not None and snap.step < 3000
    assert snap.message.startswith(f"Diverged at step {snap.diverged_at}:")


def test_history_stays_bounded():
    job = probe_job(steps=2000, job_options={"max_history": 50, "log_every": 1})
    job.start().join(30)
    snap = job.snapshot()
    assert len(snap.history_steps) <= 50 and snap.history_steps[-1] == 2000


def test_a_long_history_keeps_the_whole_run_at_one_spacing():
    """2,000 logged rows into 50: the rows kept are evenly spaced from the run's start to its last
    step (thinning only the old rows halved them again at every thinning: the start was lost)."""
    job = probe_job(steps=2000, job_options={"max_history": 50, "log_every": 1})
    job.start().join(30)
    steps = job.snapshot().history_steps
    # The newest row stands in for the next kept one: the gaps are those before it.
    gaps = {b - a for a, b in zip(steps[:-2], steps[1:-1], strict=True)}
    assert len(steps) > 25 and steps[0] <= 2000 // 25 and len(gaps) == 1 and steps[-1] == 2000, steps


def test_a_carried_history_goes_on_at_its_spacing_and_thins_with_the_new_rows():
    """A resumed run's history begins with its checkpoint's rows (here 101 rows 20 steps apart, as
    a run logging every 10 steps keeps them once thinned) and goes on at that spacing, not at the
    new run's `log_every`; past `max_rows` the old and the new rows thin together, evenly."""
    carried = list(range(0, 2001, 20))
    history = LossHistory(max_rows=120)
    history.carry(carried, {"loss": [float(s) for s in carried]}, log_every=10)
    assert history.steps == carried
    for step in range(2010, 6001, 10):
        history.append(step, {"loss": float(step), "new": 1.0})
    steps = history.steps
    gaps = {b - a for a, b in zip(steps[:-2], steps[1:-1], strict=True)}  # the newest stands in
    assert steps[0] == 0 and steps[-1] == 6000 and len(gaps) == 1 and len(steps) <= 120, steps
    assert history.columns["loss"] == [float(s) for s in steps]
    first_new = steps.index(next(s for s in steps if s > 2000))
    assert all(math.isnan(v) for v in history.columns["new"][:first_new])  # a loss the old run lacked


def test_a_carried_history_longer_than_the_cap_is_thinned_evenly():
    history = LossHistory(max_rows=50)
    history.carry(list(range(0, 1001, 10)), {"loss": [0.0] * 101}, log_every=10)
    for step in range(1010, 1201, 10):
        history.append(step, {"loss": 1.0})
    steps = history.steps
    gaps = {b - a for a, b in zip(steps[:-2], steps[1:-1], strict=True)}
    assert len(steps) <= 50 and steps[0] == 0 and steps[-1] == 1200 and len(gaps) == 1, steps


def test_seeded_cpu_runs_repeat():
    def run_once():
        run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=5, batch_size=16, seed=3))
        before = run.model.sample(torch.ones(4, 100))
        job = TrainingJob(run).start()
        assert job.join(60) and job.state == "finished" and job.step == 5, job.snapshot().message
        after = run.model.sample(torch.ones(4, 100))
        assert not torch.equal(before, after)  # it trained: the same samples would prove nothing
        return after
    assert torch.equal(run_once(), run_once())


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cuda", "mps", "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(ConfigError, match="Unknown device"):
        resolve_device("tpu")


def test_invalid_settings_fail_before_anything_is_built():
    with pytest.raises(ConfigError, match="n_critic"):
        prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians"), {"n_critic": "0"})
    with pytest.raises(ConfigError, match="2-D toy sets are for the WGAN family"):
        prepare_run(RunConfig(model="acgan", dataset="toy-8gaussians"))


def test_training_in_slices_carries_the_run_across_calls():
    """ZeroGPU's shape of training: many short calls, each moving the run to a device and back."""
    from gan_playground import zerogpu

    calls = []

    def runner(job, deadline):
        calls.append(job.step)
        zerogpu.train_slice_on(job, min(deadline, time.monotonic() + 0.05), torch.device("cpu"))

    job = probe_job(steps=300, step_seconds=0.001)
    job.slice_runner, job.slice_seconds = runner, 0.05
    job.start()
    assert job.join(30) and job.state == "finished"
    snap = job.snapshot()
    assert len(calls) > 2 and calls == sorted(calls) and snap.step == 300
    assert 296 <= snap.history["loss_a"][-1] <= 300  # the mean of the last steps: none lost or repeated
    assert snap.history_steps == sorted(set(snap.history_steps)) and snap.history_steps[-1] == 300
    assert not zerogpu.active() and zerogpu.job_options() == {}  # not on a ZeroGPU Space here


def test_autosave_never_keeps_weights_after_a_nan():
    saved_at = []
    job = probe_job(steps=100, nan_at=23)
    job.autosave, job.autosave_every_s = (lambda j: saved_at.append(j.step)), 0.0
    job.start().join(10)
    assert job.state == "diverged" and saved_at and max(saved_at) < 23
    assert all(s % 5 == 0 for s in saved_at)  # only right after a clean loss read


def test_bf16_precision_runs_the_step_in_bfloat16_and_keeps_fp32_weights():
    seen = []

    def spy(module, inputs, output):
        seen.append(output.dtype)

    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=3, batch_size=32,
                                device="cpu", precision="bf16"), {"n_critic": "1", "toy_width": "32"})
    handle = run.model.critic[0].register_forward_hook(spy)  # the critic's first Linear
    job = TrainingJob(run, log_every=1).start()
    assert job.join(60) and job.snapshot().state == "finished", job.snapshot().message
    handle.remove()
    assert seen and all(dtype == torch.bfloat16 for dtype in seen)
    assert all(p.dtype == torch.float32 for p in run.model.parameters())
    assert run.model.sample(run.model.random_latents(4)).dtype == torch.float32  # sampling stays fp32
    with pytest.raises(ConfigError, match="precision"):
        prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", precision="fp8"))


@pytest.mark.parametrize("name", list(MODELS))
def test_each_model_names_the_settings_that_set_every_optimizer_rate(name):
    """`rate_settings` is the one place a model says where its rates come from: scaling them (what a
    resume's learning-rate factor does) scales every optimizer's rate, and nothing else does."""
    cls = MODELS[name]
    spec = DataSpec((1, 28, 28), 10, "image")
    base = cls(config=build_config(cls.Config, {}), data=spec)
    assert base.rate_settings and set(base.rate_settings) <= {f.name for f in dataclasses.fields(cls.Config)}
    scaled = cls(config=build_config(cls.Config, base.scaled_rates(0.5)), data=spec)
    for opt_name, opt in base.optimizers.items():
        for group, halved in zip(opt.param_groups, scaled.optimizers[opt_name].param_groups, strict=True):
            assert halved["lr"] == pytest.approx(group["lr"] * 0.5), (name, opt_name)


def test_linear_lr_decay_falls_to_zero_at_the_last_step():
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=10, batch_size=16,
                                lr_decay="linear"), {"lr": "1e-3", "n_critic": "1", "toy_width": "16"})
    rates = []
    step = run.model.train_step

    def spy(x, y):
        rates.append([opt.param_groups[0]["lr"] for opt in run.model.optimizers.values()])
        return step(x, y)

    run.model.train_step = spy
    job = TrainingJob(run, log_every=1).start()
    assert job.join(60) and job.snapshot().state == "finished"
    assert [r[0] for r in rates] == pytest.approx([1e-3 * (1 - i / 10) for i in range(10)])
    assert all(r[0] == r[1] for r in rates)  # every optimizer follows the schedule


# ----------------------------------------------------------------------------------------------
# Stepping by hand (the 2-D Lab's buttons)

def small_wgan(steps: int = 5) -> Run:
    return prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=steps, batch_size=16, seed=0,
                                 device="cpu"), {"n_critic": "2", "toy_width": "16"})


def flat(module: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_single_steps_move_their_own_network_and_show_at_once():
    run = small_wgan()
    job = TrainingJob(run, log_every=1)  # not started: single steps are allowed
    critic, generator = flat(run.model.critic), flat(run.model.generator)

    losses = job.single_step("critic")
    assert set(losses) == {"loss_d", "wasserstein", "penalty"}
    assert not torch.equal(flat(run.model.critic), critic) and torch.equal(flat(run.model.generator), generator)
    snap = job.snapshot()
    assert snap.step == 0 and snap.history_steps == [0] and snap.preview is not None  # recorded and drawn
    assert snap.history["loss_d"] == [pytest.approx(losses["loss_d"])]

    critic = flat(run.model.critic)
    assert set(job.single_step("generator")) == {"loss_g"}
    assert torch.equal(flat(run.model.critic), critic) and not torch.equal(flat(run.model.generator), generator)

    assert set(job.single_step("both")) == set(run.model.loss_names)
    snap = job.snapshot()
    assert snap.step == 1 and snap.history_steps == [0, 0, 1]  # a full step counts; a phase does not
    assert all(len(v) == 3 for v in snap.history.values())  # one value per row: NaN where a phase has none
    assert math.isnan(snap.history["loss_g"][0]) and math.isnan(snap.history["loss_d"][1])
    assert not any(math.isnan(v[2]) for v in snap.history.values())

    job.start()  # and the loop carries on from there
    assert job.join(60) and job.state == "finished" and job.snapshot().step == 5
    with pytest.raises(UserError, match="Pause the training first"):
        job.single_step("both")


def test_single_steps_wait_for_a_pause():
    run = small_wgan(steps=100_000)
    job = TrainingJob(run, log_every=5, preview_every=10**9).start()
    try:
        assert wait_for(lambda: job.snapshot().step > 3)
        with pytest.raises(UserError, match="Pause the training first"):
            job.single_step("critic")
        job.pause()
        job.single_step("critic")  # waits until the loop has finished the step it was taking
        paused_at = job.snapshot().step
        job.single_step("both")
        assert job.snapshot().step == paused_at + 1
        job.resume()
        assert wait_for(lambda: job.snapshot().step > paused_at + 5)
    finally:
        job.stop()
        job.join(10)


def test_single_phases_are_for_models_that_have_them():
    job = probe_job(steps=1)
    with pytest.raises(UserError, match="wgan, wgan-gp, wgan-div, wgan-lp have them"):
        job.single_step("critic")
    with pytest.raises(UserError, match="Valid steps: critic, generator, both"):
        job.single_step("discriminator")
    assert job.single_step("both") == {"loss_a": 1.0, "loss_b": -1.0} and job.snapshot().step == 1
    with pytest.raises(UserError, match="all its 1 steps"):
        job.single_step("both")


# ----------------------------------------------------------------------------------------------
# Each run owns its random generator

def test_nothing_another_thread_draws_can_move_a_run():
    """Another job, the explorer or a script drawing from torch's global generator while a run
    trains leaves the run as it would have been (it once took every z and shift from there)."""
    def trained(busy_neighbour: bool) -> torch.Tensor:
        run = prepare_run(RunConfig(model="aae-cluster", dataset="mnist", steps=15, batch_size=16, seed=1,
                                    device="cpu"), {"hidden": "32", "shift": "1"})
        done = threading.Event()

        def draw_from_the_global_generator():
            while not done.is_set():
                torch.randn(64)

        neighbour = threading.Thread(target=draw_from_the_global_generator)
        if busy_neighbour:
            neighbour.start()
        try:
            assert TrainingJob(run).start().join(60)
        finally:
            done.set()
            if busy_neighbour:
                neighbour.join(10)  # or it draws on into the next test's model builds (seen on a busy machine)
        return flat(run.model)

    assert torch.equal(trained(False), trained(True))


def test_weights_depend_on_the_seed_alone_when_runs_are_built_at_once():
    def build(seed: int) -> torch.Tensor:
        run = prepare_run(RunConfig(model="wgan-gp", dataset="mnist", seed=seed, device="cpu"),
                          {"arch": "dcgan", "width": "8"})
        return flat(run.model)

    alone = [build(seed) for seed in (0, 1, 2)]
    together: dict[int, torch.Tensor] = {}
    threads = [threading.Thread(target=lambda s=seed: together.__setitem__(s, build(s))) for seed in (0, 1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(torch.equal(together[seed], alone[seed]) for seed in (0, 1, 2))


def test_the_run_hands_the_model_its_generator():
    run = small_wgan()
    assert run.model.rng is run.rng and run.rng.device == run.device
    assert not hasattr(run, "run")  # one name for the settings: run.config
    assert not hasattr(engine, "FAST")  # one switch for the fast paths: prepare_run(fast=...)


def test_slow_motion_paces_the_steps_and_draws_every_one():
    job = probe_job(steps=100_000)
    job.set_speed(20.0)
    job.start()
    time.sleep(1.0)
    job.stop()
    assert job.join(10)
    snap = job.snapshot()
    assert 8 <= snap.step <= 30, snap.step  # about 20 steps a second, not thousands
    assert snap.history_steps[-3:] == [snap.step - 2, snap.step - 1, snap.step]  # each step is logged
    assert snap.preview_step >= snap.step - 1  # and drawn
    with pytest.raises(UserError, match="above 0"):
        job.set_speed(0)


def test_the_timelapse_keeps_the_whole_run_at_a_bounded_size():
    from gan_playground.engine import MAX_FRAMES

    job = probe_job(steps=3000)  # a preview every 10 steps: 300 of them
    job.start()
    assert job.join(30)
    frames = job.frames()
    steps = [s for s, _ in frames]
    assert len(frames) <= MAX_FRAMES and steps[0] == 0 and steps[-1] >= 2900
    gaps = {b - a for a, b in itertools.pairwise(steps)}
    assert len(gaps) == 1 and gaps.pop() <= 3000 / (MAX_FRAMES / 4)  # evenly spread over the run


def test_a_job_can_start_paused_and_be_stepped_by_hand():
    run = prepare_run(RunConfig(model="wgan-gp", dataset="toy-8gaussians", steps=50, batch_size=16, device="cpu"),
                      {"toy_width": "16"})
    job = TrainingJob(run, log_every=5).start(paused=True)
    time.sleep(0.3)
    assert job.state == "paused" and job.step == 0  # it waits: nothing trained
    job.single_step("critic")
    job.single_step("both")
    assert job.step == 1 and job.state == "paused"
    job.resume()
    assert job.join(30) and job.state == "finished" and job.step == 50
