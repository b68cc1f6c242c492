"""What an MCP client sees (`python app.py --mcp`): a few endpoints an assistant drives, as tools.

Gradio turns every *public* endpoint into an MCP tool named after its function's `__name__` and
described by its docstring (Google style: the lines before `Args:`, then one `name: text` line per
argument). Our handlers are bound methods shared by four tabs (`start`, `stop`, ...), which Gradio
would call `start`, `start_1`, ... with no word about their tab or ranges; `tool()` gives each the
name of its api_name (`acgan_start`) and a docstring written for its tab. Everything else the page
wires (page load, timer ticks, list refreshes, UI toggles) is `INTERNAL`: callable by gradio_client,
with positional arguments, but absent from the API page and from the MCP tools.
"""

from __future__ import annotations

import inspect
import typing
from typing import Callable

from gan_playground.ui.settings import SettingControls, range_note, run_field
from gan_playground.ui.spec import TabSpec

INTERNAL = "undocumented"  # Gradio 6's api_visibility: callable by clients, no API page, no MCP tool

SEED_RANGE = "0 to 9,223,372,036,854,775,807"


def tool(fn: Callable, name: str, doc: str) -> Callable:
    """`fn` as Gradio sees it under `name` and described by `doc`, with the parameters of `fn`
    (a `*values` handler: wrap it in `named_handler` first) and its resolved type hints, by which
    Gradio passes a `gr.Request`."""
    hints = typing.get_type_hints(fn)
    own = inspect.signature(fn)
    signature = own.replace(
        parameters=[p.replace(annotation=hints.get(p.name, inspect.Parameter.empty)) for p in own.parameters.values()],
        return_annotation=hints.get("return", inspect.Signature.empty))

    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    wrapper.__signature__ = signature
    wrapper.__annotations__ = hints
    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = doc
    return wrapper


# -- the docstrings ----------------------------------------------------------------------------------
def _variants(spec: TabSpec) -> str:
    return ", ".join(f"'{m}'" for m in spec.variants.values())


def _datasets(spec: TabSpec) -> str:
    return ", ".join(f"'{d}'" for d in spec.datasets)


def _range(spec: TabSpec, name: str) -> str:
    return range_note(run_field(name, spec)).strip(" []").replace(" – ", " to ")


def start_doc(spec: TabSpec, settings: SettingControls, lab_max_steps: int) -> str:
    """`<tab>_start`: every argument with its choices or range; each model setting with its help,
    range, default and which variants have it (the others ignore it). `lab_max_steps`: the server's
    cap on a Lab run (GAN_PLAYGROUND_LAB_MAX_STEPS)."""
    steps = f"1 to {lab_max_steps:,}" if spec.points else _range(spec, "steps")
    lines = [
        f"Start training a {spec.title} run on this server and return at once; training goes on in the "
        f"background. Poll it with {spec.api('status')} and end it with {spec.api('stop')}. One run per tab and "
        f"page: a second start while one trains is refused with a message. A bad value is refused with a "
        f"message naming it and its range, and nothing starts.",
        "",
        "Args:",
        f"    variant: the model, one of {_variants(spec)} (default '{spec.default_model}').",
        f"    dataset: one of {_datasets(spec)}.",
        f"    steps: the step budget (generator updates), a whole number from {steps} (default {spec.steps}).",
        f"    batch_size: examples per batch, from {_range(spec, 'batch_size')} "
        f"(default {spec.batch_for(settings.preset)}).",
        f"    seed: fixes the weights, batches and noise, from {SEED_RANGE}.",
    ]
    for name in settings.names:
        owners = [m for m in spec.variants.values() if name in settings.specs_of(m, spec)]
        field = settings.specs_of(owners[0], spec)[name]
        defaults = sorted({str(settings.display_default(m, name)) for m in owners})
        verb = "uses" if len(owners) == 1 else "use"
        which = "" if len(owners) == len(spec.variants) else f" Only {', '.join(owners)} {verb} it."
        choices = f" One of {', '.join(map(str, field.choices))}." if field.choices else ""
        note = range_note(field).strip(" []").replace(" – ", " to ")
        rng = f" Range {note}." if note else ""
        lines.append(f"    {name}: {field.help.rstrip('.')}.{choices}{rng} Default {' or '.join(defaults)}.{which}")
    lines += ["", "Returns:", "    the run's status line first (the other values are the page's button states)."]
    return "\n".join(lines)


def step_doc(spec: TabSpec, settings: SettingControls, lab_max_steps: int) -> str:
    """`lab_step`: the start's arguments (used when no run is there yet), after `which`."""
    args = start_doc(spec, settings, lab_max_steps).split("Args:\n")[1].split("\n\nReturns:")[0]
    return "\n".join([
        "Train this page's 2-D Lab run by hand: one critic update, one generator update, or one whole step "
        "(n_critic critic updates and a generator update; the only one that counts toward the budget). A "
        "running run pauses first; with no run, one starts from these settings at step 0, paused. Resume it "
        "with the page's Resume, or poll it with lab_status.",
        "",
        "Args:",
        "    which: 'critic', 'generator' or 'both'.",
        args,
        "",
        "Returns:",
        "    the run's status line first, then the page's plots and pictures (the Lab's landscape among them).",
    ])


def status_doc(spec: TabSpec) -> str:
    return (f"The state of this page's {spec.title} run as text: state, step and budget, speed, elapsed time "
            f"and ETA (or its place in the queue), the latest losses and scores, and any message (a divergence, "
            f"a failure). Call it every few seconds after {spec.api('start')} until the state is Finished, "
            f"Stopped, Failed or Diverged.")


def stop_doc(spec: TabSpec) -> str:
    return (f"Stop this page's {spec.title} run (a queued run leaves the queue). Its samples stay explorable "
            f"until the next start.\n\nReturns:\n    the run's status line first.")


def load_doc(spec: TabSpec, shipped: list[str]) -> str:
    names = ", ".join(f"'shipped:{n}'" for n in shipped) or "none on this server"
    return "\n".join([
        f"Load a checkpoint for the {spec.title} tab's explorers: from then on they draw from it (until a new "
        f"run starts). Refused with a message if it is not a {spec.family.upper()} model of this tab's data "
        f"({_datasets(spec)}).",
        "",
        "Args:",
        f"    checkpoint: a name: 'shipped:NAME' for a pretrained model (here: {names}), or "
        f"'saved:NAME' / 'uploaded:NAME' for this page's own saves and uploads.",
        "    files: leave empty (null); the page uses it to upload a checkpoint folder's files or its .zip.",
        "",
        "Returns:",
        "    a message saying what was loaded (model, data, step), then the page's list updates.",
    ])


def resume_doc(spec: TabSpec) -> str:
    return "\n".join([
        f"Train on from one of this page's {spec.title} saves or autosaves (shipped checkpoints hold no optimizer "
        f"state and cannot be resumed). Poll it with {spec.api('status')}.",
        "",
        "Args:",
        "    checkpoint: 'saved:NAME', a save of this page (a running job autosaves every 2 minutes).",
        "    lr_factor: multiplies every learning rate, from 0.01 to 1 (e.g. 0.3 after a divergence).",
        "    steps: how many more steps to train, a whole number from 1 to the budget's maximum less the steps done.",
        "",
        "Returns:",
        "    the run's status line first (the other values are the page's button states).",
    ])


def pull_doc(spec: TabSpec) -> str:
    return "\n".join([
        f"Load a checkpoint from the Hugging Face Hub by its repo id into the {spec.title} tab's explorers "
        f"(as a loaded checkpoint). Anonymous unless a token is given; the download is bounded in time and "
        f"size (256 MiB) and only a checkpoint's own files (JSON, safetensors) are read.",
        "",
        "Args:",
        "    repo_id: the model repo, 'USER/NAME' (letters, digits, '-', '_', '.'), e.g. 'alice/wgan-gp-mnist'.",
        "    token: optional, your own Hugging Face token for a private or gated repo; empty for public ones.",
        "",
        "Returns:",
        "    a message saying what was loaded, or why not (starting with ⚠).",
    ])


CLASS_ARG = "    {name}: the class, '0' to '9' (MNIST digits; Fashion-MNIST and CIFAR-10 classes by index too)."


def interpolate_doc(spec: TabSpec, with_classes: bool) -> str:
    lines = [
        f"Walk the latent space of the {spec.title} model Explore looks at (this page's run, else a loaded "
        f"checkpoint, else the shipped one) from one seed's code to another's, as frames and a GIF.",
        "",
        "Args:",
        f"    seed0: the seed of the first end's latent code, from {SEED_RANGE}.",
        f"    seed1: the seed of the second end's latent code, from {SEED_RANGE}.",
        "    mode: the path, 'linear' or 'slerp' (spherical, keeps the codes' norm; the default).",
        "    n_frames: the number of frames, from 2 to 32 (default 10).",
    ]
    if with_classes:
        lines += [CLASS_ARG.format(name="class0").replace("the class", "the class of the first end"),
                  CLASS_ARG.format(name="class1").replace("the class", "the class of the second end")]
    else:
        lines += ["    class0: ignored (this model has no classes).", "    class1: ignored."]
    lines += ["", "Returns:", "    the frames (a gallery), the GIF, and the GIF as a file."]
    return "\n".join(lines)


def samples_doc(spec: TabSpec) -> str:
    return "\n".join([
        f"Draw images from the {spec.title} model Explore looks at (this page's run, else a loaded checkpoint, "
        f"else the shipped one), each from its own random latent code; a class-conditioned model draws the "
        f"classes in turn, 0 to 9 along each row.",
        "",
        "Args:",
        "    n: how many images, from 1 to 100 (default 20).",
        f"    seed: the seed of the latent codes, from {SEED_RANGE}; the same seed draws the same images.",
        "",
        "Returns:",
        "    one picture: the images in a grid.",
    ])


def class_grid_doc(spec: TabSpec) -> str:
    return "\n".join([
        f"Sample 64 images of one class from the {spec.title} model Explore looks at (a class-conditioned "
        f"model: ACGAN, or the supervised, semi-supervised or clustering AAE).",
        "",
        "Args:",
        CLASS_ARG.format(name="cls") + " For the clustering AAE, a cluster: 'cluster 0' to 'cluster 15'.",
        f"    seed: the seed of the 64 latent codes, from {SEED_RANGE}.",
        "",
        "Returns:",
        "    one picture: an 8 x 8 grid.",
    ])


def class_by_z_doc(spec: TabSpec) -> str:
    return "\n".join([
        f"A class x style grid from the {spec.title} model Explore looks at: one row per class, each column "
        f"one latent code (the style apart from the class), held across the rows.",
        "",
        "Args:",
        "    n_z: the number of columns (latent codes), from 2 to 12 (default 8).",
        f"    seed: the seed of the latent codes, from {SEED_RANGE}.",
        "",
        "Returns:",
        "    one picture.",
    ])


DECODE_POINT_DOC = """Decode one point of the AAE's latent map into an image (the map's axes are the two
principal axes of the test images' codes).

Args:
    x: the first coordinate on the map, from -3 to 3.
    y: the second coordinate on the map, from -3 to 3.
    cls: the class the supervised AAE draws it as, '0' to '9'; ignored by the other AAEs.

Returns:
    one picture."""

LATENT_PLANE_DOC = """Decode a grid over the AAE's latent plane (its two principal axes, -3 to 3): how the
images change across it.

Args:
    cls: the class the supervised AAE draws them as, '0' to '9'; ignored by the other AAEs.

Returns:
    one picture."""

HEATMAP_DOC = """Draw the 2-D Lab model's critic landscape: the critic's value over the plane (red: 'real'),
with 600 real points (black) and 512 generated ones (orange), for this page's Lab run, else a loaded or
shipped one.

Returns:
    one picture."""

