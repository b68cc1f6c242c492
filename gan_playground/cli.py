"""`python -m gan_playground <command>` (also installed as `gan-playground`).

    models                          the models, one per line
    train MODEL --dataset D ...     train with a progress bar, write a checkpoint folder
    sample DIR --out x.png|x.npz    samples from a checkpoint
    eval DIR                        every score that applies, as one JSON line
    bench MODEL                     training throughput, as one JSON line
    push DIR --repo-id USER/NAME    share a checkpoint on the Hugging Face Hub
    pull REPO_ID [--out DIR]        fetch one

Thin by design: parse, validate, call the library. Any user error prints one line on stderr
and exits with code 2; there are no tracebacks for things a user can fix.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
from pathlib import Path

import numpy as np

from gan_playground import __version__
from gan_playground.errors import UserError

EXIT_USAGE = 2
EXIT_DIVERGED = 1
CAPTURABLE_HELP = ("a step a CUDA graph can record (fixed batch buffers, capturable optimizers; the same numbers); "
                   "on CUDA the whole step then runs as one CUDA graph (GAN_PLAYGROUND_CUDA_GRAPHS=0: off)")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, like our own errors
        raise UserError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gan-playground", description="Train the classic GANs and explore what they learned.")
    p.add_argument("--version", action="version", version=f"gan-playground {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("models", help="list the models")

    t = sub.add_parser("train", help="train a model and write a checkpoint folder")
    t.add_argument("model")
    t.add_argument("--dataset", required=True, help="mnist, fashion-mnist, cifar10, toy-8gaussians, "
                                                    "toy-25gaussians, toy-swissroll or folder:PATH")
    t.add_argument("--steps", type=int, default=2000, help="generator updates (default 2000)")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--precision", choices=("fp32", "bf16"), default=None,
                   help="bf16: the step's matrix products in bfloat16 (autocast), weights fp32 (default fp32; "
                        "on --resume, the checkpoint's)")
    t.add_argument("--lr-decay", choices=("none", "linear"), default=None,
                   help="linear: every learning rate falls to 0 at the last step (default none; on --resume, "
                        "the checkpoint's)")
    t.add_argument("--out", help="checkpoint folder (default runs/MODEL-DATASET)")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="a model setting, e.g. lr=1e-4; repeatable")
    t.add_argument("--resume", metavar="DIR", help="continue a checkpoint from its step and optimizer state")
    t.add_argument("--half", action="store_true", help="store weights as float16")
    t.add_argument("--no-training-state", action="store_true",
                   help="a folder for sharing, which cannot be resumed: no training_state.safetensors "
                        "(optimizers, RNG), and no discriminator or critic (nor the raw generator where its "
                        "moving average samples)")
    t.add_argument("--autosave-minutes", type=float, default=5.0, help="save the checkpoint this often (0: off)")
    t.add_argument("--eval-every", type=int, default=0,
                   help="score the model every N steps and keep the best by score in OUT-best "
                        "(0: no scores while training; `eval` scores a checkpoint afterwards)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--capturable", action="store_true",
                   help=CAPTURABLE_HELP)

    s = sub.add_parser("sample", help="draw samples from a checkpoint")
    s.add_argument("dir", help="a checkpoint folder, or a Hub repo id (user/name), pulled into the cache")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--class", dest="klass", type=int, help="class (or cluster) to draw, for conditional models")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="PATH.png for a grid, PATH.npz for arrays")

    e = sub.add_parser("eval", help="score a checkpoint; prints one JSON line")
    e.add_argument("dir", help="a checkpoint folder, or a Hub repo id (user/name), pulled into the cache")
    e.add_argument("--samples", type=int, default=10000)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--write", action="store_true",
                   help="also store the scores in the folder's config.json and its README.md model card")

    b = sub.add_parser("bench", help="training throughput; prints one JSON line")
    b.add_argument("model")
    b.add_argument("--batch-size", type=int, default=64)
    b.add_argument("--seconds", type=float, default=20.0)
    b.add_argument("--device", default="auto")
    b.add_argument("--dataset", default="mnist")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--precision", choices=("fp32", "bf16"), default=None,
                   help="bf16: the step's matrix products in bfloat16 (autocast), weights fp32 (default fp32)")
    b.add_argument("--set", action="append", metavar="KEY=VALUE")
    b.add_argument("--capturable", action="store_true",
                   help=CAPTURABLE_HELP)

    x = sub.add_parser("export", help="write a sampling-only copy of a checkpoint to share or ship "
                                      "(about a third of the size; it cannot be resumed)")
    x.add_argument("dir")
    x.add_argument("--out", required=True, help="the new folder (DIR itself replaces DIR)")
    x.add_argument("--fp32", action="store_true", help="keep 32-bit weights (default: 16-bit)")

    pu = sub.add_parser("push", help="upload a checkpoint folder to the Hugging Face Hub")
    pu.add_argument("dir")
    pu.add_argument("--repo-id", required=True, help="USER/NAME")
    pu.add_argument("--private", action="store_true")

    pl = sub.add_parser("pull", help="download a checkpoint from the Hugging Face Hub")
    pl.add_argument("repo_id")
    pl.add_argument("--out", help="folder (default checkpoints/hub/USER--NAME)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "seed", None) is not None:
            _check_seed(args.seed)
        return COMMANDS[args.command](args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# ----------------------------------------------------------------------------------------------

def _check_seed(seed: int) -> None:
    """torch's generators take seeds in RunConfig.seed's range; outside it they overflow."""
    from gan_playground.config import RunConfig, field_specs

    spec = next(s for s in field_specs(RunConfig) if s.name == "seed")
    if not spec.low <= seed <= spec.high:
        raise UserError(f"--seed {seed} is not valid: expected an integer in [{spec.low}, {spec.high}].")


def _given(**options) -> dict:
    """The options the user set (None: not given, so RunConfig's default or the checkpoint's applies)."""
    return {k: v for k, v in options.items() if v is not None}


def cmd_models(args) -> int:
    from gan_playground.models import MODELS

    width = max(map(len, MODELS))
    for name, cls in MODELS.items():
        print(f"{name:<{width}}  {cls.description()}")
    return 0


def cmd_train(args) -> int:
    from gan_playground import distributed

    ctx = distributed.init(args.device)  # under torchrun: this process's rank; else one rank
    try:
        return _train(args, ctx)
    finally:
        distributed.shutdown()


def _train(args, ctx) -> int:
    from gan_playground import distributed
    from gan_playground.checkpoints import check_output_folder, load_checkpoint
    from gan_playground.config import RunConfig, build_config, parse_set_options
    from gan_playground.device import describe_device
    from gan_playground.engine import TrainingJob
    from gan_playground.metrics import live_evaluator
    from gan_playground.run import prepare_run, resume_run

    overrides = parse_set_options(args.set)
    run_settings = {"model": args.model, "dataset": args.dataset, "steps": args.steps,
                    "batch_size": args.batch_size, "device": args.device, "seed": args.seed,
                    **_given(precision=args.precision, lr_decay=args.lr_decay)}
    if args.eval_every < 0 or args.autosave_minutes < 0 or not math.isfinite(args.autosave_minutes):
        raise UserError("--eval-every and --autosave-minutes must be >= 0.")
    # Before any data loads or any step runs: a save must neither fail after the training nor destroy files.
    data = args.dataset.replace("folder:", "folder-").replace("/", "_")
    out = check_output_folder(args.out or f"runs/{args.model}-{data}")
    best_dir = check_output_folder(out.with_name(out.name + "-best")) if args.eval_every else None
    resumed = load_checkpoint(args.resume) if args.resume else None
    if resumed is not None:
        run, start_step = resume_run(resumed, device=args.device, overrides=overrides, steps=args.steps,
                                     precision=args.precision, lr_decay=args.lr_decay, capturable=args.capturable)
        if run.model.name != args.model:
            raise UserError(f"--resume {args.resume} holds a {run.model.name}, not a {args.model}.")
        if args.steps <= start_step:
            raise UserError(f"--steps {args.steps} must be above the checkpoint's step {start_step}.")
    else:
        run = prepare_run(build_config(RunConfig, run_settings), overrides, capturable=args.capturable)
        start_step = 0
    distributed.make_data_parallel(run, ctx)  # no-op without torchrun
    args.quiet = args.quiet or not ctx.is_main  # only rank 0 prints and writes

    keep_state = not args.no_training_state
    evaluate = live_evaluator(args.dataset, model=run.model) if args.eval_every and ctx.is_main else None
    if evaluate is not None:
        evaluate = _keeping_best(evaluate, lambda: job, best_dir, args.half, keep_state)
    saved_steps: list[int] = []  # what this run's autosaves wrote to `out`: a good checkpoint to point to

    def autosave(job) -> None:
        try:
            _save(job, out, args.half, training_state=keep_state)
        except UserError as err:  # said here; the job trains on (engine.TrainingJob._autosave)
            print(f"\nwarning: the autosave at step {job.step:,} failed, training goes on: {err}", file=sys.stderr)
            raise
        saved_steps.append(job.step)

    if args.autosave_minutes <= 0 or not ctx.is_main:
        autosave = None
    job = TrainingJob(run, steps=args.steps, start_step=start_step, evaluate=evaluate,
                      eval_every=args.eval_every or 10**12, autosave=autosave,
                      autosave_every_s=60 * args.autosave_minutes)
    if resumed is not None:
        job.carry_history(resumed.path)
    job.images_per_step *= ctx.world_size  # progress counts the images of all ranks
    if not args.quiet:
        print(f"Training {args.model} on {args.dataset} ({describe_device(run.device)}), "
              f"steps {start_step}->{args.steps}, writing {out}", file=sys.stderr)
    job.start()
    with _first_ctrl_c_stops(job):
        while not job.join(timeout=0.5):
            if not args.quiet:
                _progress(job)
    snap = job.snapshot()
    if snap.state == "stopped":  # only Ctrl-C stops a job here
        print("\nstopped; saving what was trained", file=sys.stderr)
    if not args.quiet:
        _progress(job)
        print(file=sys.stderr)
    if snap.state == "diverged":  # nothing is saved now: the last good checkpoint stays as it was
        print(f"error: {snap.message}", file=sys.stderr)
        print(_after_divergence(out, saved_steps, args.resume, start_step, keep_state), file=sys.stderr)
        return EXIT_DIVERGED
    if snap.state == "failed":
        print(f"error: {snap.message}", file=sys.stderr)
        return EXIT_DIVERGED
    if not ctx.is_main:
        return 0
    scores = {k: v[-1] for k, v in snap.scores.items()}
    _save(job, out, args.half, scores=scores, training_state=keep_state)
    print(f"wrote {out}: {snap.step} steps in {snap.elapsed_s:.1f} s, {snap.images_per_s:,.0f} images/s")
    return 0


def _after_divergence(out: Path, saved_steps: list[int], resumed: str | None, start_step: int,
                      keep_state: bool) -> str:
    """What to do after a divergence, pointing only to a checkpoint that exists and can be resumed."""
    if saved_steps and keep_state:
        return (f"The last good checkpoint is {out} (step {saved_steps[-1]}): resume it with a lower "
                f"learning rate, --resume {out} --set lr=<lower>.")
    if resumed:
        return (f"{resumed} (step {start_step}) is unchanged: resume it with a lower learning rate, "
                f"--resume {resumed} --set lr=<lower>.")
    if saved_steps:
        return (f"{out} holds step {saved_steps[-1]}, saved for sampling only (--no-training-state); "
                f"train again with a lower learning rate (--set lr=<lower>).")
    return "No checkpoint was saved before it diverged: train again with a lower learning rate (--set lr=<lower>)."


@contextlib.contextmanager
def _first_ctrl_c_stops(job):
    """Within: the first Ctrl-C asks `job` to stop after its step (the caller then saves); a second
    one quits at once. Handled by a signal handler rather than KeyboardInterrupt, after which
    torch's thread pool sometimes aborted the process at exit ("terminate called without an active
    exception", exit status 134) although the checkpoint was saved."""
    def stop(signum, frame):
        job.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the second Ctrl-C: KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGINT, stop)
    except ValueError:  # not the main thread (the CLI called from a thread): leave Ctrl-C as it is
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _save(job, out: Path, half: bool, scores: dict | None = None, training_state: bool = True) -> None:
    from gan_playground.checkpoints import save_checkpoint

    with job.exclusive():
        save_checkpoint(out, job.run, step=job.step, snapshot=job.snapshot(), scores=scores, half=half,
                        training_state=training_state)


def _keeping_best(evaluate, get_job, best_dir: Path, half: bool, training_state: bool):
    """Wrap a live evaluator: whenever the model's primary score improves, save it to `best_dir`."""
    from gan_playground.metrics import primary_score

    best: list[float] = []

    def evaluate_and_keep(model):
        scores = evaluate(model)
        primary = primary_score(scores)
        if primary is not None:
            _, value, higher = primary
            if not best or (value > best[0] if higher else value < best[0]):
                job = get_job()  # called from the job's own thread, between two steps
                try:
                    _save(job, best_dir, half, scores=scores, training_state=training_state)
                    best[:] = [value]
                except UserError as err:  # a full disk: say it, train on, try again at the next best
                    print(f"\nwarning: keeping the best checkpoint at step {job.step:,} failed, training goes "
                          f"on: {err}", file=sys.stderr)
        return scores

    return evaluate_and_keep


def _progress(job) -> None:
    """One line, redrawn: the step, the speed, the time left, the latest live score (with its step:
    `--eval-every` measures it now and then) and the latest losses."""
    from gan_playground.metrics import primary_score

    s = job.snapshot()
    width = 24
    done = int(width * s.step / max(s.steps, 1))
    eta = "" if s.eta_s is None else f" eta {_duration(s.eta_s)}"
    primary = primary_score({k: v[-1] for k, v in s.scores.items() if v})
    score = f"  {primary[0]} {primary[1]:.3g} at {s.score_steps[-1]}" if primary else ""
    losses = " ".join(f"{k} {v[-1]:.3g}" for k, v in s.history.items() if v)
    line = (f"\r[{'#' * done}{'.' * (width - done)}] {s.step}/{s.steps} "
            f"{s.images_per_s:,.0f} img/s {_duration(s.elapsed_s)}{eta}{score}  {losses}")
    print(line[:160].ljust(100), end="", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def cmd_sample(args) -> int:
    import torch

    from gan_playground.checkpoints import check_writable, load_checkpoint
    from gan_playground.data import to_uint8
    from gan_playground.explore import image_grid, points_picture
    from gan_playground.hub import local_or_pulled

    if not 1 <= args.n <= 100_000:
        raise UserError(f"--n {args.n} is not valid: expected an integer in [1, 100000].")
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".npz"):
        raise UserError(f"--out must end in .png (a grid) or .npz (arrays), got {out.name!r}.")
    if out.is_dir():
        raise UserError(f"--out {out} is a folder; give a file name ending in .png or .npz.")
    check_writable(out)
    loaded = load_checkpoint(local_or_pulled(args.dir))
    model = loaded.model
    k = model.num_conditions
    if args.klass is not None and not k:
        raise UserError(f"{model.name} is not conditional: --class does not apply.")
    if args.klass is not None and not 0 <= args.klass < k:
        raise UserError(f"--class {args.klass} is not valid: expected an integer in [0, {k - 1}].")
    gen = torch.Generator().manual_seed(args.seed)
    labels = None
    if k:  # the model's own mix of classes or clusters (random_conditions) unless one is asked for
        labels = torch.full((args.n,), args.klass) if args.klass is not None else model.random_conditions(args.n, gen)
    chunks = []
    for start in range(0, args.n, 1000):
        z = model.random_latents(min(1000, args.n - start), gen)
        chunks.append(model.sample(z, None if labels is None else labels[start:start + len(z)]))
    samples = torch.cat(chunks)
    out.parent.mkdir(parents=True, exist_ok=True)
    if model.data.kind == "points":
        points = samples.numpy()
        if out.suffix.lower() == ".npz":
            np.savez_compressed(out, points=points)
        else:
            from PIL import Image

            from gan_playground.data import load_dataset
            real = load_dataset(loaded.config["dataset"]).test[:2000].numpy()
            Image.fromarray(points_picture(real, points)).save(out)
    elif out.suffix.lower() == ".npz":
        images = to_uint8(samples).permute(0, 2, 3, 1).numpy()  # (N, H, W, C)
        images = images[..., 0] if images.shape[-1] == 1 else images
        arrays = {"images": images}
        if labels is not None:
            arrays["labels"] = labels.numpy()
        np.savez_compressed(out, **arrays)
    else:
        from PIL import Image
        nrow = 10 if k and args.klass is None and args.n % 10 == 0 else int(math.ceil(math.sqrt(args.n)))
        Image.fromarray(image_grid(samples, nrow)).save(out)
    print(f"wrote {out}: {args.n} samples" + (f" of class {args.klass}" if args.klass is not None else ""))
    return 0


def cmd_eval(args) -> int:
    from gan_playground.checkpoints import load_checkpoint
    from gan_playground.hub import local_or_pulled

    if not 100 <= args.samples <= 100_000:
        raise UserError(f"--samples {args.samples} is not valid: expected an integer in [100, 100000].")
    loaded = load_checkpoint(local_or_pulled(args.dir))
    from gan_playground.metrics import evaluate

    scores = evaluate(loaded.model, loaded.config["dataset"], n_samples=args.samples, seed=args.seed)
    print(json.dumps({"model": loaded.model.name, "dataset": loaded.config["dataset"], "step": loaded.step,
                      **{k: round(float(v), 6) for k, v in scores.items()}}))
    if args.write:
        _write_scores(loaded.path, scores, samples=args.samples, seed=args.seed)
    return 0


def _write_scores(folder: Path, scores: dict, *, samples: int, seed: int) -> None:
    """Put `eval` scores into config.json ("scores", replacing the live ones; "eval" says how they
    were measured) and rebuild README.md from it; each file is replaced atomically."""
    import os

    from gan_playground.checkpoints import read_json
    from gan_playground.model_card import model_card

    config = read_json(folder / "config.json")
    config["scores"] = {k: float(v) for k, v in scores.items()}
    config["eval"] = {"samples": samples, "seed": seed,
                      "command": f"python -m gan_playground eval {folder} --samples {samples} --seed {seed}"}
    card = model_card(config, has_samples=(folder / "samples.png").is_file())
    for name, text in (("config.json", json.dumps(config, indent=2)), ("README.md", card)):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)


def cmd_bench(args) -> int:
    from gan_playground.config import RunConfig, build_config, parse_set_options
    from gan_playground.device import benchmark
    from gan_playground.run import prepare_run

    if not 0.5 <= args.seconds <= 3600:
        raise UserError(f"--seconds {args.seconds} is not valid: expected a number in [0.5, 3600].")
    run = prepare_run(build_config(RunConfig, {"model": args.model, "dataset": args.dataset,
                                               "batch_size": args.batch_size, "device": args.device,
                                               "seed": args.seed, **_given(precision=args.precision)}),
                       parse_set_options(args.set), capturable=args.capturable)
    result = benchmark(run, seconds=args.seconds)
    print(json.dumps({"model": args.model, "dataset": args.dataset, "device": str(run.device),
                      "batch_size": args.batch_size, "precision": run.config.precision,
                      "capturable": run.capturable, **result}))
    return 0


def cmd_export(args) -> int:
    from gan_playground.checkpoints import check_output_folder, resolve_checkpoint_dir, save_sampling_only

    def megabytes(folder: Path) -> float:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6

    source = resolve_checkpoint_dir(args.dir)
    out = save_sampling_only(source, check_output_folder(args.out), half=not args.fp32)
    print(f"wrote {out}: sampling-only, {megabytes(out):.1f} MB (the folder it copies: {megabytes(source):.1f} MB)")
    return 0


def cmd_push(args) -> int:
    from gan_playground.checkpoints import resolve_checkpoint_dir
    from gan_playground.hub import push_checkpoint

    url = push_checkpoint(resolve_checkpoint_dir(args.dir), args.repo_id, private=args.private)
    print(f"pushed {args.dir} to {url}")
    return 0


def cmd_pull(args) -> int:
    from gan_playground.hub import pull_checkpoint

    path = pull_checkpoint(args.repo_id, out_dir=args.out)
    print(f"pulled {args.repo_id} into {path}")
    return 0


COMMANDS = {"models": cmd_models, "train": cmd_train, "sample": cmd_sample, "eval": cmd_eval,
            "bench": cmd_bench, "export": cmd_export, "push": cmd_push, "pull": cmd_pull}
