"""The explorers of a model tab: latent interpolation, class conditioning, the AAE's latent space,
and the critic's landscape. Each is one unit: its layout (`build`), its events (`wire`), its handlers.

Every handler reaches the model through `explorer`, the one place that finds what to explore (the
variant chosen in the tab: the page's run of it, the checkpoint it loaded, or the shipped one) and
turns "nothing to explore yet" or a bad value into one message the user sees.
"""

from __future__ import annotations

import functools
import inspect
import random
import typing
from typing import Any, Callable

import gradio as gr
import numpy as np
import torch

from gan_playground import explore
from gan_playground.errors import UserError
from gan_playground.ui import fields
from gan_playground.ui.i18n import t
from gan_playground.ui.live import enlarge, lab_picture
from gan_playground.ui.tab import Tab, refusal
from gan_playground.ui.text import class_choices, parse_class, read_number
from gan_playground.ui.tools import (
    DECODE_POINT_DOC,
    HEATMAP_DOC,
    INTERNAL,
    LATENT_PLANE_DOC,
    class_by_z_doc,
    class_grid_doc,
    interpolate_doc,
    samples_doc,
    tool,
)

DIGITS = tuple(str(i) for i in range(10))  # the class lists until a model fills them in
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (23, 190, 207), (188, 189, 34), (57, 59, 121), (99, 121, 57), (140, 109, 49),
           (132, 60, 57), (123, 65, 115), (49, 130, 189), (49, 163, 84))
EX = dict(concurrency_limit=2, show_progress="minimal")


def explorer(fn: Callable) -> Callable:
    """An explore handler `fn(self, src, *inputs)`: `src` is the model to explore, held still while
    `fn` runs. A UserError or ValueError (nothing to explore yet, a bad value) becomes a gr.Error:
    one message, never a traceback. Gradio sees `fn`'s inputs and a request, not `src`."""
    own = [p for name, p in inspect.signature(fn).parameters.items() if name not in ("self", "src")]
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
    seen = inspect.Signature([*own, request])  # what a caller passes (after self)

    @functools.wraps(fn)
    def handler(self, *args, **kwargs):
        given = seen.bind(*args, **kwargs).arguments
        try:
            with self.tab.explored(given.pop("request", None)) as src:
                return fn(self, src, **given)
        except (UserError, ValueError) as err:
            raise refusal(str(err)) from None

    handler.__signature__ = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                                               *own, request])
    # Gradio injects the request (and a click's gr.SelectData) by these resolved annotations
    handler.__annotations__ = {**{k: v for k, v in typing.get_type_hints(fn).items() if k != "src"},
                               "request": gr.Request}
    return handler


def need_images(src) -> None:
    if src.is_points:
        raise UserError("This model draws 2-D points; its explorer is the critic's landscape in the 2-D Lab.")


def need_classes(src) -> None:
    if not src.model.num_conditions:
        raise UserError(f"{src.model.name} is not conditioned on a class: train or load ACGAN, or the supervised, "
                        f"semi-supervised or clustering AAE.")


class Interpolation:
    """A walk through the latent space between two seeds' codes, as frames and a GIF."""

    def __init__(self, tab: Tab, *, with_classes: bool):
        self.tab, self.with_classes = tab, with_classes

    def build(self) -> None:
        key = self.tab.spec.key
        with gr.Tab(t("interp.tab")):
            with gr.Row():
                self.seed0 = fields.Number(value=1, precision=None, label=t("interp.seed0"),
                                           elem_id=f"{key}-seed0")
                self.seed1 = fields.Number(value=2, precision=None, label=t("interp.seed1"),
                                           elem_id=f"{key}-seed1")
                self.dice = gr.Button(t("interp.dice"), scale=0, min_width=140, elem_id=f"{key}-dice")
            with gr.Row():
                self.mode = fields.Radio([(t("interp.linear"), "linear"), (t("interp.slerp"), "slerp")], value="slerp",
                                     label=t("interp.path"), elem_id=f"{key}-mode")
                self.n_frames = fields.Slider(2, 32, value=10, step=1, label=t("interp.frames"),
                                              elem_id=f"{key}-n-frames")
            with gr.Row(visible=self.with_classes):
                self.class0 = fields.Dropdown(class_choices(DIGITS, 10), value="0", label=t("interp.class0"),
                                          elem_id=f"{key}-class0")
                self.class1 = fields.Dropdown(class_choices(DIGITS, 10), value="0", label=t("interp.class1"),
                                          elem_id=f"{key}-class1")
            self.interp_btn = gr.Button(t("interp.button"), variant="primary", elem_id=f"{key}-interp-btn")
            self.strip = gr.Gallery(label=t("interp.strip"), show_label=False, columns=10, height=260,
                                    object_fit="contain", format="png", allow_preview=True, elem_id=f"{key}-strip")
            with gr.Row():
                self.gif = gr.Image(label=t("interp.gif"), show_label=False, type="filepath", height=220,
                                    interactive=False, elem_id=f"{key}-gif")
                self.gif_file = gr.File(label=t("interp.gif_file"), interactive=False, elem_id=f"{key}-gif-file")

    @property
    def class_controls(self) -> list[Any]:
        return [self.class0, self.class1] if self.with_classes else []

    def random_seeds(self):
        return random.randrange(1_000_000), random.randrange(1_000_000)

    @explorer
    def interpolate(self, src, seed0, seed1, mode, n_frames, class0, class1):
        need_images(src)
        steps = read_number(n_frames, "Steps", low=2, high=64)
        model = src.model
        z0 = explore.latents_from_seed(model, read_number(seed0, "The first seed", low=0, high=2**63 - 1))
        z1 = explore.latents_from_seed(model, read_number(seed1, "The second seed", low=0, high=2**63 - 1))
        k = model.num_conditions
        y0, y1 = (parse_class(class0, k), parse_class(class1, k)) if k else (None, None)
        frames = explore.interpolation_frames(model, z0, z1, steps, mode, y0, y1)
        pictures = explore.frames_to_pictures(frames, scale=max(1, 112 // frames.shape[-1]))
        path = self.tab.ctx.tmp_path(".gif")
        explore.frames_to_gif(pictures, path)
        return pictures, str(path), str(path)  # frames without captions: nothing covers a picture

    def wire(self) -> None:
        inputs = [self.seed0, self.seed1, self.mode, self.n_frames, self.class0, self.class1]
        outputs = [self.strip, self.gif, self.gif_file]
        api, doc = self.tab.api("interpolate"), interpolate_doc(self.tab.spec, self.with_classes)
        self.interp_btn.click(tool(self.interpolate, api, doc), inputs, outputs, api_name=api, **EX)
        self.dice.click(self.random_seeds, None, [self.seed0, self.seed1], api_name=self.tab.api("random_seeds"),
                        api_visibility=INTERNAL, show_progress="hidden").then(
            self.interpolate, inputs, outputs, api_visibility="private", **EX)


class ClassConditioning:
    """Grids of one class, and class x style: rows are classes, each column keeps its z."""

    def __init__(self, tab: Tab):
        self.tab = tab

    def build(self) -> None:
        key = self.tab.spec.key
        with gr.Tab(t("classes.tab")):
            with gr.Row():
                self.grid_class = fields.Dropdown(class_choices(DIGITS, 10), value="0", label=t("classes.class"),
                                              elem_id=f"{key}-grid-class")
                self.grid_seed = fields.Number(value=0, precision=None, label=t("classes.seed"),
                                               elem_id=f"{key}-grid-seed")
                self.n_z = fields.Slider(2, 12, value=8, step=1, label=t("classes.columns"),
                                     elem_id=f"{key}-n-z")
            with gr.Row():
                self.class_btn = gr.Button(t("classes.grid_btn"), variant="primary", elem_id=f"{key}-class-btn")
                self.cxz_btn = gr.Button(t("classes.cxz_btn"), elem_id=f"{key}-cxz-btn")
            with gr.Row():
                with gr.Column():
                    gr.Markdown(t("classes.grid_caption"))
                    self.class_img = gr.Image(format="png", interactive=False, height=460, show_label=False,
                                              elem_id=f"{key}-class-img")
                with gr.Column():
                    gr.Markdown(t("classes.cxz_caption"))
                    self.cxz_img = gr.Image(format="png", interactive=False, height=460, show_label=False,
                                            elem_id=f"{key}-cxz-img")

    @property
    def class_controls(self) -> list[Any]:
        return [self.grid_class]

    @explorer
    def class_grid(self, src, cls, seed):
        need_images(src)
        need_classes(src)
        seed = read_number(seed, "The seed", low=0, high=2**63 - 1)
        return enlarge(explore.class_grid(src.model, parse_class(cls, src.model.num_conditions), seed=seed), 440)

    @explorer
    def class_by_z(self, src, n_z, seed):
        need_images(src)
        need_classes(src)
        columns = read_number(n_z, "Columns", low=2, high=12)
        seed = read_number(seed, "The seed", low=0, high=2**63 - 1)
        return enlarge(explore.class_by_z_grid(src.model, n_z=columns, seed=seed), 440)

    def wire(self) -> None:
        spec = self.tab.spec
        self.class_btn.click(tool(self.class_grid, spec.api("class_grid"), class_grid_doc(spec)),
                             [self.grid_class, self.grid_seed], self.class_img, api_name=spec.api("class_grid"), **EX)
        self.cxz_btn.click(tool(self.class_by_z, spec.api("class_by_z"), class_by_z_doc(spec)),
                           [self.n_z, self.grid_seed], self.cxz_img, api_name=spec.api("class_by_z"), **EX)


class LatentSpace:
    """The AAE's codes of the test set as a map; click a point (or set x and y) to decode it.

    The map is a picture rather than a plot: Gradio's plots report only a dragged x-range, while a
    click on a picture names an exact point of the plane.
    """

    def __init__(self, tab: Tab):
        self.tab = tab

    def build(self) -> None:
        key = self.tab.spec.key
        with gr.Tab(t("latent.tab")):
            gr.Markdown(t("latent.intro"))
            self.scatter_btn = gr.Button(t("latent.encode_btn"), variant="primary", elem_id=f"{key}-scatter-btn")
            self.scatter_info = gr.Markdown(elem_id=f"{key}-scatter-info")
            with gr.Row():
                with gr.Column(scale=3):
                    self.latent_map = gr.Image(format="png", interactive=False, show_label=False, height=440,
                                               elem_id=f"{key}-latent-map")
                    self.legend = gr.Markdown(elem_id=f"{key}-legend")
                with gr.Column(scale=2):
                    self.px = fields.Slider(-3, 3, value=0, step=0.01, label="x", elem_id=f"{key}-px")
                    self.py = fields.Slider(-3, 3, value=0, step=0.01, label="y", elem_id=f"{key}-py")
                    self.latent_class = fields.Dropdown(class_choices(DIGITS, 10), value="0",
                                                    label=t("latent.class"),
                                                    info=t("latent.class.info"),
                                                    elem_id=f"{key}-latent-class")
                    gr.Markdown(t("latent.point_caption"))
                    self.point_img = gr.Image(format="png", height=180, interactive=False, show_label=False,
                                              elem_id=f"{key}-point-img")
            self.plane_btn = gr.Button(t("latent.plane_btn"), elem_id=f"{key}-plane-btn")
            gr.Markdown(t("latent.plane_caption"))
            self.plane_img = gr.Image(format="png", interactive=False, height=560, show_label=False,
                                      elem_id=f"{key}-plane-img")
            self.refresh = gr.Timer(5.0, active=False)

    @property
    def class_controls(self) -> list[Any]:
        return [self.latent_class]

    def _extent(self, data) -> tuple[float, float, float, float]:
        pts = np.concatenate([data.points, data.prior])
        lo, hi = np.percentile(pts, 0.5, axis=0), np.percentile(pts, 99.5, axis=0)
        side = float(max(hi - lo)) * 1.1 + 1e-6  # a square view: the same scale on both axes
        cx, cy = (lo + hi) / 2
        return (float(cx - side / 2), float(cx + side / 2), float(cy - side / 2), float(cy + side / 2))

    def _draw(self, slot, src, marker=None):
        data, extent = slot.scatter_cache
        picture = explore.latent_map_picture(data, list(PALETTE), extent, size=440, marker=marker)
        names = src.classes if src.classes else [str(i) for i in range(int(data.labels.max()) + 1)]
        chips = " ".join(f"<span style='color:rgb{PALETTE[i % len(PALETTE)]}'>●</span> {name}"
                         for i, name in enumerate(names)) + " <span style='color:#c8c8c8'>●</span> prior p(z)"
        return picture, chips

    @explorer
    def encode(self, src):
        """Encode 2,000 test images; the map, its legend, and slider ranges that cover it."""
        if not src.model.is_autoencoder:
            raise UserError(f"{src.model.name} has no encoder.")
        ds = src.dataset()
        data = explore.latent_scatter_data(src.model, ds.test, ds.test_labels, n=2000, prior_n=500)
        slot = src.slot
        slot.scatter_cache = (data, self._extent(data))
        x0, x1, y0, y1 = slot.scatter_cache[1]
        dim = data.projection.dim
        info = (f"{len(data.points):,} test images encoded to {dim}-D codes"
                + ("; shown as they are." if dim <= 2 else
                   f"; the map shows {data.explained:.0%} of their variance (their two principal axes)."))
        picture, legend = self._draw(slot, src)
        return (picture, legend, info, gr.update(minimum=round(x0, 2), maximum=round(x1, 2), value=0.0),
                gr.update(minimum=round(y0, 2), maximum=round(y1, 2), value=0.0), gr.Timer(active=src.job is not None))

    def _projection(self, slot, src) -> explore.Projection | None:
        if slot.scatter_cache is not None and slot.scatter_cache[0].projection.dim == src.model.latent_dim:
            return slot.scatter_cache[0].projection
        if src.model.latent_dim <= 2:
            return explore.fit_projection(torch.zeros(1, src.model.latent_dim))
        return None  # codes of more dimensions: the plane comes from encoding the test set

    @explorer
    def decode_point(self, src, x, y, cls):
        """Decode (x, y); before the test set was encoded for a code of over 2 dimensions, say so quietly."""
        if not src.model.is_autoencoder:
            raise UserError(f"{src.model.name} has no decoder to decode a code with.")
        slot = src.slot
        proj = self._projection(slot, src)
        if proj is None:
            gr.Info("Press “Encode the test set” first: it finds the plane to decode from.")
            return gr.skip()
        x = read_number(x, "x", whole=False)
        y = read_number(y, "y", whole=False)
        k = src.model.num_conditions
        return explore.decode_point(src.model, proj, (x, y), y=parse_class(cls, k) if k else None, scale=5)

    def decode_quietly(self, x, y, cls, request: gr.Request = None):
        """The class changed: decode again if there is something to decode, else nothing (no message)."""
        try:
            with self.tab.explored(request) as src:
                if not src.model.is_autoencoder or self._projection(src.slot, src) is None:
                    return gr.skip()
        except UserError:
            return gr.skip()
        return self.decode_point(x, y, cls, request=request)

    @explorer
    def select_point(self, src, cls, evt: gr.SelectData):
        """A click on the map: decode exactly that point, and move both sliders there."""
        slot = src.slot
        if slot.scatter_cache is None:
            raise UserError("Press “Encode the test set” first.")
        _, (x0, x1, y0, y1) = slot.scatter_cache
        px, py = evt.index  # the clicked pixel of the 440 x 440 map
        x = x0 + float(px) / 439 * (x1 - x0)
        y = y1 - float(py) / 439 * (y1 - y0)
        k = src.model.num_conditions
        image = explore.decode_point(src.model, slot.scatter_cache[0].projection, (x, y),
                                     y=parse_class(cls, k) if k else None, scale=5)
        picture, _ = self._draw(slot, src, marker=(x, y))
        return round(x, 2), round(y, 2), image, picture

    @explorer
    def latent_plane(self, src, cls):
        if not src.model.is_autoencoder:
            raise UserError(f"{src.model.name} has no decoder.")
        slot = src.slot
        proj = self._projection(slot, src)
        if proj is None:
            raise UserError("Press “Encode the test set” first: it finds the plane to decode from.")
        extent = slot.scatter_cache[1] if slot.scatter_cache is not None else (-2.5, 2.5, -2.5, 2.5)
        k = src.model.num_conditions
        grid = explore.latent_plane_grid(src.model, proj, n=15, extent=extent, y=parse_class(cls, k) if k else None)
        return enlarge(grid, 840)

    def follow_run(self, request: gr.Request = None):
        """The refresh timer: while the tab's run trains, encode again (every few seconds)."""
        try:
            with self.tab.explored(request) as src:
                if src.job is None or src.slot.scatter_cache is None:
                    return [gr.skip()] * 5 + [gr.Timer(active=False)]
                running = not src.job.done
        except UserError:
            return [gr.skip()] * 5 + [gr.Timer(active=False)]
        out = list(self.encode(request=request))
        out[3], out[4] = gr.skip(), gr.skip()  # keep the sliders where the user put them
        out[5] = gr.Timer(active=running)
        return out

    def wire(self) -> None:
        api = self.tab.api
        encoded = [self.latent_map, self.legend, self.scatter_info, self.px, self.py, self.refresh]
        self.scatter_btn.click(self.encode, None, encoded, api_name=api("latent_scatter"), api_visibility=INTERNAL,
                               **EX).then(
            self.latent_plane, self.latent_class, self.plane_img, api_visibility="private", **EX)
        point = [self.px, self.py, self.latent_class]
        self.px.release(tool(self.decode_point, api("decode_point"), DECODE_POINT_DOC), point, self.point_img,
                        api_name=api("decode_point"), **EX)
        self.py.release(self.decode_point, point, self.point_img, api_visibility="private", **EX)
        # .input, not .change: filling the class list in (page load, a new model) is no user's request
        self.latent_class.input(self.decode_quietly, point, self.point_img, api_visibility="private", **EX)
        self.latent_map.select(self.select_point, self.latent_class,
                               [self.px, self.py, self.point_img, self.latent_map], api_name=api("select_point"),
                               api_visibility=INTERNAL, **EX)
        self.plane_btn.click(tool(self.latent_plane, api("latent_plane"), LATENT_PLANE_DOC), self.latent_class,
                             self.plane_img, api_name=api("latent_plane"), **EX)
        self.refresh.tick(self.follow_run, None, encoded, api_visibility="private", show_progress="hidden")


class Landscape:
    """The critic's landscape of the explored 2-D model, drawn finer than the live one."""

    def __init__(self, tab: Tab):
        self.tab = tab

    def build(self) -> None:
        key = self.tab.spec.key
        with gr.Row():
            with gr.Column(scale=1):
                gr.Markdown(t("landscape.intro"))
                self.heat_btn = gr.Button(t("landscape.button"), variant="primary", elem_id=f"{key}-heat-btn")
            self.heat_static = gr.Image(format="png", height=380, interactive=False, scale=1, show_label=False,
                                        elem_id=f"{key}-heat-static")

    @property
    def class_controls(self) -> list[Any]:
        return []

    @explorer
    def heatmap(self, src):
        if not src.is_points:
            raise UserError("The critic's landscape is drawn for 2-D models only.")
        model = src.model
        if model.sampling_only and "critic" not in model.explored_adversaries:
            raise UserError("This checkpoint is a folder for sampling: it was saved without its critic, so there "
                            "is no landscape to draw. Train a run here to see one.")
        real = src.dataset().test[:600].numpy()
        gen = torch.Generator(device=model.device).manual_seed(0)
        fake = model.sample(model.random_latents(512, gen)).cpu().numpy()
        return lab_picture(model, real, fake, resolution=128)

    def wire(self) -> None:
        self.heat_btn.click(tool(self.heatmap, self.tab.api("heatmap"), HEATMAP_DOC), None, self.heat_static,
                            api_name=self.tab.api("heatmap"), **EX)


class Samples:
    """Fresh samples from random codes: what the model draws, one seed at a time."""

    def __init__(self, tab: Tab):
        self.tab = tab

    def build(self) -> None:
        key = self.tab.spec.key
        with gr.Tab(t("samples.tab")):
            with gr.Row():
                self.n = fields.Slider(1, 100, value=20, step=1, label=t("samples.n"), elem_id=f"{key}-samples-n")
                self.seed = fields.Number(value=0, precision=None, label=t("samples.seed"),
                                          elem_id=f"{key}-samples-seed")
            self.button = gr.Button(t("samples.button"), variant="primary", elem_id=f"{key}-samples-btn")
            self.picture = gr.Image(label=t("samples.picture"), show_label=False, type="numpy", height=360,
                                    interactive=False, elem_id=f"{key}-samples")

    @property
    def class_controls(self) -> list[Any]:
        return []

    @explorer
    def sample(self, src, n, seed):
        need_images(src)
        count = read_number(n, "The number of images", low=1, high=100)
        return explore.samples_grid(src.model, count, seed=read_number(seed, "The seed", low=0, high=2**63 - 1))

    def wire(self) -> None:
        api = self.tab.api("sample")
        self.button.click(tool(self.sample, api, samples_doc(self.tab.spec)), [self.n, self.seed], self.picture,
                          api_name=api, **EX)


EXPLORERS: dict[str, Callable[[Tab], Any]] = {
    "samples": Samples,
    "interpolate": lambda tab: Interpolation(tab, with_classes="classes" in tab.spec.explorers),
    "classes": ClassConditioning,
    "latent": LatentSpace,
    "landscape": Landscape,
}
