"""What each model optimizes, said beside its curves: the objective as a formula (LaTeX, as the About
tab renders it), the current value of every logged term, and what a healthy curve does. Pure text,
no Gradio, so each is unit-tested (tests/test_ui_text.py); About keeps the long version.

A term's value is the mean of the last logged steps (the loss plot's last point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_WGAN_CRITIC = r"\mathbb{E}[D(G(z))] - \mathbb{E}[D(x)]"
_PENALTIES = {  # model -> (the penalty term of the critic's loss, in LaTeX, or "" for none; a note)
    "wgan": ("", r"weights, clipped to $[-c, c]$ after each update"),
    "wgan-gp": (r"\lambda\,\mathbb{E}\big[(\lVert\nabla_{\hat x} D(\hat x)\rVert_2 - 1)^2\big]",
                r"$\hat x$ on lines between real and fake points"),
    "wgan-div": (r"k\,\mathbb{E}\big[\lVert\nabla_{x} D(x)\rVert_2^{\,p}\big]", "at real and fake points"),
    "wgan-lp": (r"\lambda\,\mathbb{E}\big[\max(0, \lVert\nabla_{\hat x} D(\hat x)\rVert_2 - 1)^2\big]",
                r"one-sided: only slopes above 1 are penalized"),
}


@dataclass(frozen=True)
class Term:
    """A logged value, the formula it is, and what it is for."""

    name: str
    formula: str  # LaTeX, without delimiters
    meaning: str


def terms_of(model: str) -> list[Term]:
    """The logged terms of `model`'s objective, in the order the losses are logged."""
    if model in _PENALTIES:
        penalty, where = _PENALTIES[model]
        critic = f"{_WGAN_CRITIC} + \\text{{penalty}}" if penalty else _WGAN_CRITIC
        out = [Term("loss_d", f"L_D = {critic}", "the critic's loss (it minimizes it)"),
               Term("loss_g", r"L_G = -\mathbb{E}[D(G(z))]", "the generator's loss: it wants high critic scores"),
               Term("wasserstein", r"\hat W = \mathbb{E}[D(x)] - \mathbb{E}[D(G(z))]",
                    "the critic's estimate of the distance between real and generated data: a score, not "
                    "a probability")]
        out.append(Term("penalty", penalty, f"keeps the critic 1-Lipschitz ({where})") if penalty else
                   Term("penalty", "0", f"none: the critic is kept 1-Lipschitz by its {where}"))
        return out
    if model == "acgan":
        return [
            Term("loss_d", r"L_D = \tfrac12\big[-\log P(\text{real}\mid x) - \log P(\text{fake}\mid G(z,c)) "
                           r"+ w\,(-\log P(y\mid x) - \log P(c\mid G(z,c)))\big]",
                 "the discriminator's loss: real or fake, and which class"),
            Term("loss_g", r"L_G = -\log P(\text{real}\mid G(z,c)) - w\log P(c\mid G(z,c))",
                 "the generator's loss: pass as real, and as the asked class c"),
            Term("loss_aux", r"-\log P(y\mid x)", "the class loss of D on real images"),
            Term("acc_real", r"P(\arg\max_k P(k\mid x) = y)", "D's class accuracy on real images"),
            Term("acc_fake", r"P(\arg\max_k P(k\mid G(z,c)) = c)", "D's class accuracy on generated ones"),
        ]
    if model.startswith("aae"):
        categorical = model in ("aae-semisupervised", "aae-cluster")
        dec = r"\mathrm{dec}(z, y)" if categorical or model == "aae-supervised" else r"\mathrm{dec}(z)"
        out = [Term("loss_recon", rf"\mathbb{{E}}\,\lVert x - {dec}\rVert^2,\ z = \mathrm{{enc}}(x)",
                    "reconstruction, per pixel (mean squared error)"),
               Term("loss_d_z", r"-\log D_z(z') - \log(1 - D_z(\mathrm{enc}(x))),\ z' \sim p(z)",
                    "the code discriminator's loss: prior samples against codes"),
               Term("loss_g_z", r"-\log D_z(\mathrm{enc}(x))",
                    "the encoder's adversarial loss: codes that pass as prior samples")]
        if categorical:
            out += [Term("loss_d_y", r"-\log D_y(y') - \log(1 - D_y(q(y\mid x))),\ y' \sim \mathrm{Cat}(K)",
                         "the class discriminator's loss: one-hot samples against the encoder's softmax"),
                    Term("loss_g_y", r"-\log D_y(q(y\mid x))", "the encoder's loss against D_y: confident classes"),
                    Term("loss_info", r"H(y\mid x) - H(y)", "optional: confident and balanced classes")]
        if model in ("aae-semisupervised", "aae-cluster"):
            out.append(Term("loss_supervised", r"-\log q(y_n\mid x_n)",
                            "the class head's cross entropy on the labelled (or teachers') examples"))
        return out
    return []


HEALTHY = {
    "wgan": "Watch **wasserstein**: the critic's estimate of the distance. It *rises* early on, while the critic "
            "learns to tell real from generated (the estimate is only as good as the critic: in the shipped "
            "WGAN-GP it went from 0.1 to about 1), then falls slowly as the samples improve (to 0.7 after 30,000 "
            "steps: a critic that still finds a difference keeps it above 0). loss_g drifts with the critic's "
            "offset and means little alone. A penalty that keeps growing means the critic is leaving the "
            "1-Lipschitz functions its estimate needs.",
    "acgan": "At balance loss_d stays near 0.7 (D unsure of real or fake: log 2 per side) and loss_g between 1 and "
             "4; loss_aux falls towards 0 as D learns the classes, and acc_fake rises to 1 once the generator "
             "draws the class it is asked for. loss_d near 0 with loss_g climbing means D has won: G learns "
             "nothing.",
    "aae": "loss_recon falls and flattens. When the codes match the prior, D_z cannot tell them apart: loss_d_z "
           "near 1.39 (2 log 2) and loss_g_z near 0.69 (log 2). loss_d_z near 0 means the codes do not look like "
           "the prior: sampling from p(z) then draws blobs.",
}


def healthy(model: str) -> str:
    return HEALTHY["wgan" if model.startswith("wgan") else "aae" if model.startswith("aae") else model]


def fmt_value(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def objective_text(model: str, latest: dict[str, float] | None = None, *, ema: float = 0.0,
                   samples: bool = True) -> str:
    """Markdown: each logged term's formula with its current value (`latest`, where known), what a
    healthy curve does, and which network draws the samples (`ema` > 0: a moving average)."""
    latest = latest or {}
    lines = ["**What is optimized** (value now):"]
    for term in terms_of(model):
        now = f" = **{fmt_value(latest[term.name])}**" if term.name in latest else ""
        lines.append(f"- `{term.name}`{now}: ${term.formula}$, {term.meaning}.")
    lines += ["", f"**Healthy curves.** {healthy(model)}"]
    if samples and ema > 0:
        lines += ["", f"**The samples** are drawn by a moving average of the generator's weights (ema={ema:g}): "
                      f"smoother than the generator itself, which swings from step to step; `ema=0` shows it."]
    return "\n".join(lines)


SCORES_HELP = {
    "fid": "**Classifier FID** (lower is better): the Fréchet distance between features of generated and of real "
           "test images, in the project's own classifier of that data set. The **floor** line is real against real "
           "(training against test images): a perfect generator reaches it, not 0.",
    "fraction": "**Accuracies**: `cond_acc`, the share of samples the classifier names as the asked class; "
                "`test_error`, the class head's error on the test set; `cluster_acc`, its clusters matched to "
                "the labels; `in_3std`, the share of points within 3 standard deviations of a mode.",
    "fit": "**Fit**: `recon_mse`, the test set's reconstruction error; `prior_mmd`, how far the codes are from the "
           "prior p(z) (maximum mean discrepancy: 0 when they match).",
    "modes": "**Modes covered**: of the toy set's gaussians, how many get at least a fifth of their fair share of "
             "the generated points (within 3 standard deviations). A generator that covers few of them has "
             "*collapsed* onto those modes.",
}


def scores_help(kinds: tuple[str, ...]) -> str:
    return "\n\n".join(SCORES_HELP[k] for k in kinds if k in SCORES_HELP)
