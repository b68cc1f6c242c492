"""English: the source of every key. A key names where its text shows (`<panel>.<what>`); the other
languages translate these texts. Texts with `{name}` fields are filled on the server (`tr`)."""

REFERENCES = r"""
- Augustus Odena, Christopher Olah, Jonathon Shlens. *Conditional Image Synthesis with Auxiliary Classifier
  GANs.* ICML 2017. [arXiv:1610.09585](https://arxiv.org/abs/1610.09585)
- Alireza Makhzani, Jonathon Shlens, Navdeep Jaitly, Ian Goodfellow, Brendan Frey. *Adversarial
  Autoencoders.* 2015. [arXiv:1511.05644](https://arxiv.org/abs/1511.05644)
- Martin Arjovsky, Soumith Chintala, Léon Bottou. *Wasserstein Generative Adversarial Networks.* ICML 2017.
  [arXiv:1701.07875](https://arxiv.org/abs/1701.07875)
- Ishaan Gulrajani, Faruk Ahmed, Martin Arjovsky, Vincent Dumoulin, Aaron Courville. *Improved Training of
  Wasserstein GANs.* NeurIPS 2017. [arXiv:1704.00028](https://arxiv.org/abs/1704.00028)
- Jiqing Wu, Zhiwu Huang, Janine Thoma, Dinesh Acharya, Luc Van Gool. *Wasserstein Divergence for GANs.*
  ECCV 2018. [arXiv:1712.01026](https://arxiv.org/abs/1712.01026)
- Henning Petzka, Asja Fischer, Denis Lukovnicov. *On the Regularization of Wasserstein GANs.* ICLR 2018.
  [arXiv:1709.08894](https://arxiv.org/abs/1709.08894)
"""  # the papers, as cited: the same in every language

ABOUT = r"""
## What is here

Every tab trains one family of generative adversarial models on your machine, live: **Train** sets it
up, **Live** shows the losses and samples from a fixed noise vector as it learns, and **Explore** lets you
play with the model in training, or with a checkpoint. Notation: $x$ a real example, $z \sim p(z)$ noise
or a code, $G$ the generator, $D$ the discriminator or critic, $c$ or $y$ a class.

### ACGAN: auxiliary classifier GAN
$G(z, c)$ draws an image of class $c$. $D$ has two heads: the source $P(S \mid x)$ (real or fake) and
the class $P(C \mid x)$. With
$$L_S = \mathbb{E}[\log P(S=\text{real} \mid x)] + \mathbb{E}[\log P(S=\text{fake} \mid G(z,c))]$$
$$L_C = \mathbb{E}[\log P(C=c \mid x)] + \mathbb{E}[\log P(C=c \mid G(z,c))]$$
$D$ maximizes $L_S + L_C$ and $G$ maximizes $L_C - L_S$ (we use the usual non-saturating form,
$\max \log P(S=\text{real} \mid G(z,c))$). Plotted: `loss_d`, `loss_g`, `loss_aux` (the class loss on real
images) and the class accuracies `acc_real`, `acc_fake`.

### Adversarial autoencoder (AAE)
An encoder $q(z \mid x)$ and a decoder $p(x \mid z)$ are trained to reconstruct, while a GAN in code space
makes the aggregated posterior $q(z) = \mathbb{E}_x[q(z \mid x)]$ match a prior $p(z)$:
$$\min_{q,\,p}\ \mathbb{E}\,\lVert x - \mathrm{dec}(\mathrm{enc}(x)) \rVert^2 \qquad
\min_{q}\max_{D}\ \mathbb{E}_{z \sim p(z)}[\log D(z)] + \mathbb{E}_{x}[\log(1 - D(\mathrm{enc}(x)))]$$
- **reconstruction** (`aae`): the code is held to a Gaussian, a mixture of 10 Gaussians or a swiss roll;
  decode any point of the prior to generate.
- **supervised** (`aae-supervised`): the one-hot label goes to the decoder, so $z$ learns only the style.
- **semi-supervised** (`aae-semisupervised`): the encoder outputs a class $y \sim \mathrm{Cat}(K)$ (held to
  a categorical prior by a second discriminator) and a style $z$; a cross-entropy phase on a few labelled
  examples, $-\log q(y_n \mid x_n)$, ties the classes to the labels. Score: test error.
- **clustering** (`aae-cluster`): the same with $K$ clusters and no labels. Score: accuracy when each cluster
  takes its majority label. Samples draw each cluster as often as it holds training images.

### WGAN and its Lipschitz constraints
The critic estimates the Wasserstein-1 distance
$$W(P_r, P_g) = \sup_{\lVert D \rVert_L \le 1} \mathbb{E}_{x \sim P_r}[D(x)] - \mathbb{E}_{z}[D(G(z))]$$
The critic minimizes $L_D = \mathbb{E}[D(G(z))] - \mathbb{E}[D(x)] + \text{penalty}$, $n_\text{critic}$ times per
generator step; the generator minimizes $L_G = -\mathbb{E}[D(G(z))]$. The plot's `wasserstein` is
$\mathbb{E}[D(x)] - \mathbb{E}[D(G(z))]$. How $\lVert D \rVert_L \le 1$ is kept:

| variant | penalty added to $L_D$ |
|---|---|
| weight clipping (`wgan`) | none; every weight is clipped to $[-c, c]$ after each update (RMSprop) |
| gradient penalty (`wgan-gp`) | $\lambda\,\mathbb{E}_{\hat x}\big[(\lVert \nabla D(\hat x) \rVert_2 - 1)^2\big]$, $\hat x = \epsilon x + (1-\epsilon) G(z)$ |
| divergence (`wgan-div`) | $k\,\mathbb{E}\big[\lVert \nabla D(x) \rVert_2^{\,p}\big]$ at real and fake points ($k=2$, $p=6$) |
| Lipschitz penalty (`wgan-lp`) | $\lambda\,\mathbb{E}_{\hat x}\big[\max(0, \lVert \nabla D(\hat x) \rVert_2 - 1)^2\big]$ (one-sided) |

### 2-D Lab
The WGAN variants on the toy sets of Gulrajani et al.'s `gan_toy.py` (8 Gaussians, 25 Gaussians, a swiss
roll), with a 2-D latent and small MLPs. The heat map shows $D(x)$ over the plane: the generator's points
climb it.

### Tips
- A run diverged (a loss became NaN, or exploded far beyond its size at the start)? Resume from a saved checkpoint with a lower learning-rate factor.
- The live grid uses the same $z$ all run long, so you see one set of samples change as the model learns.
- Runs on this server are shared: at most a few train at once, and a run stops a few minutes after its
  page closes. Save a checkpoint to keep it.

## Papers
""" + REFERENCES

TEXT: dict[str, str] = {
    # -- the page ----------------------------------------------------------------------------------
    "app.intro": ("# GAN Playground\nTrain ACGANs, adversarial autoencoders and Wasserstein GANs live, "
                  "watch them learn, then explore what they learned. New here? Pick a tab, press **Start**, "
                  "and see the **About** tab for what each model does."),
    "tab.acgan": "ACGAN",
    "tab.aae": "AAE",
    "tab.wgan": "WGAN",
    "tab.lab": "2-D Lab",
    "tab.about": "About",
    "about.text": ABOUT,
    # -- each tab's introduction and its sample grid's caption ---------------------------------------
    "intro.acgan": ("**ACGAN** (Odena et al. 2017) draws an image of the class you ask for. Its discriminator "
                    "judges real or fake *and* names the class, which pushes the generator to make each class "
                    "recognisable. Try the class grid in Explore once it has trained a few hundred steps."),
    "intro.aae": ("An **adversarial autoencoder** (Makhzani et al. 2015) compresses each image to a code z and "
                  "decodes it back, while a discriminator on the *codes* holds their distribution to a prior p(z). "
                  "The live grid shows test images beside their reconstructions. *Supervised*: the label goes to "
                  "the decoder, so z keeps only the style. *Semi-supervised*: a class head learns from a few "
                  "labelled digits (1,000 in the quick preset and the shipped model, 100 in the paper's). "
                  "*Clustering*: the same without any label."),
    "intro.wgan": ("A **Wasserstein GAN** trains a critic D to estimate the Wasserstein distance between real and "
                   "generated images, and the generator to shrink it. The critic must be 1-Lipschitz; the variants "
                   "differ in how: clipping its weights, or penalising its gradient. Watch `wasserstein`, the "
                   "critic's estimate of the distance (a score, not a probability): it rises at first, while the "
                   "critic learns to tell real from generated, then falls slowly as the samples improve; the FID "
                   "says how good they are."),
    "intro.lab": ("**2-D Lab**: the WGAN variants on toy point sets, where everything can be seen at once. Black: "
                  "real points; orange: generated ones. The heat map is the critic D(x), red where it says *real*; "
                  "each arrow shows where the generator's update moves a generated point (uphill on D). Step "
                  "through training one update at a time, slow it down, or train the variants side by side."),
    "samples.acgan": "Samples from a fixed z: one row per class, each column one z",
    "samples.aae": "Test images (odd columns) and their reconstructions (even columns)",
    "samples.wgan": "Samples from a fixed z",
    "variant.acgan": "ACGAN",
    "variant.aae": "reconstruction (aae)",
    "variant.aae-supervised": "supervised (aae-supervised)",
    "variant.aae-semisupervised": "semi-supervised (aae-semisupervised)",
    "variant.aae-cluster": "clustering (aae-cluster)",
    "variant.wgan": "clipping (wgan)",
    "variant.wgan-gp": "gradient penalty (wgan-gp)",
    "variant.wgan-div": "divergence (wgan-div)",
    "variant.wgan-lp": "Lipschitz (wgan-lp)",
    # -- 1 · Train ---------------------------------------------------------------------------------
    "train.heading": "### 1 · Train",
    "train.variant": "Variant",
    "train.dataset": "Data set",
    "train.preset": "Preset",
    "train.preset.info": "quick: digits within a minute on a CPU; paper: the published settings. Each fills the batch and settings; edit after",
    "preset.quick": "quick",
    "preset.paper": "paper",
    "train.steps": "Step budget",
    "train.steps.info": "generator updates",
    "train.batch": "Batch size",
    "train.batch.info": "examples per batch",
    "train.seed": "Seed",
    "train.seed.info": "fixes weights, batches, noise",
    "train.settings": "Model settings",
    "train.device": "Device: **{device}** (detected)",
    "train.start": "Start",
    "train.pause": "Pause",
    "train.resume": "Resume",
    "train.stop": "Stop",
    "train.runs_box": "Your runs on this page",
    "train.runs": "Runs (one per tab); choose one to stop it",
    "train.stop_run": "Stop the chosen run",
    "train.command_box": "This run as a command, or in a notebook",
    # -- the settings of the models (their help is the config's, in English) --------------------------
    "setting.arch": "Architecture",
    "setting.latent_dim": "Latent size (z)",
    "setting.lr": "Learning rate",
    "setting.betas": "Adam betas",
    "setting.n_critic": "Critic steps per G step",
    "setting.clip": "Clip value c",
    "setting.lambda_gp": "Gradient penalty λ",
    "setting.k": "Penalty weight k",
    "setting.p": "Penalty power p",
    "setting.lambda_lp": "Lipschitz penalty λ",
    "setting.aux_weight": "Class loss weight",
    "setting.prior": "Prior p(z)",
    "setting.lr_recon": "Learning rate: reconstruction",
    "setting.lr_reg": "Learning rate: regularization",
    "setting.lr_sup": "Learning rate: supervised",
    "setting.recon_weight": "Reconstruction weight",
    "setting.reg_weight": "Adversarial weight",
    "setting.sup_weight": "Supervised weight",
    "setting.toy_width": "Hidden units",
    "setting.labels": "Labelled examples",
    "setting.clusters": "Clusters K",
    "setting.lr_critic": "Learning rate: critic",
    "setting.width": "Width (channels)",
    "setting.hidden": "Hidden units",
    # -- 2 · Live ----------------------------------------------------------------------------------
    "live.heading": "### 2 · Live",
    "live.points_title": "Real and generated points",
    "live.layers": "Show",
    "live.layer.0": "real points",  # landscape.LAYERS, in order
    "live.layer.1": "generated points",
    "live.layer.2": "critic landscape",
    "live.layer.3": "arrows",
    "live.layer.4": "generator's manifold",
    "live.legend": (
        "**How to read the picture.** The heat map is the critic $D(x)$ over the plane, red where it scores "
        "*real*, blue where it scores *fake* (the bar under it gives the values: a WGAN critic gives a score, "
        "not a probability). Black dots ringed in white are real points; orange ones are the generator's "
        "samples (by default the network being trained itself, not a moving average). Each arrow is the "
        "generator's push on a point, $-\\nabla_x L_G = \\nabla_x D(x)$ with $L_G = -\\mathbb{E}[D(G(z))]$: "
        "uphill on the critic. "
        "Arrows are proportional (a slope of 1 is 5% of the view, capped at 15%), so they shrink as the "
        "critic flattens near convergence. *Generator's manifold*: a grid of the latent plane drawn through "
        "$G$, showing how it folds the plane onto the modes."),
    "live.losses": "Losses",
    "live.losses_label": "Losses (one line per loss)",
    "live.plot.fid": "Classifier FID (lower is better)",
    "live.plot.fraction": "Accuracies and errors",
    "live.plot.fit": "Reconstruction and prior fit",
    "live.plot.modes": "Modes covered",
    "live.timelapse_box": "Timelapse",
    "live.timelapse_btn": "Make a timelapse GIF of this run",
    "live.timelapse_file": "Timelapse (GIF)",
    # -- 3 · Explore -------------------------------------------------------------------------------
    "explore.heading": "### 3 · Explore",
    "samples.tab": "Samples",
    "samples.n": "Images",
    "samples.seed": "Seed of the codes",
    "samples.button": "Draw samples",
    "samples.picture": "Samples, each from its own code",
    "interp.tab": "Latent interpolation",
    "interp.seed0": "Seed of the first end",
    "interp.seed1": "Seed of the second end",
    "interp.dice": "Random seeds",
    "interp.path": "Path",
    "interp.linear": "linear",
    "interp.slerp": "spherical (slerp)",
    "interp.frames": "Steps",
    "interp.class0": "Class of the first end",
    "interp.class1": "Class of the second end",
    "interp.button": "Interpolate",
    "interp.strip": "Frames, first to last",
    "interp.gif": "Animation (GIF)",
    "interp.gif_file": "Download the GIF",
    "classes.tab": "Class conditioning",
    "classes.class": "Class",
    "classes.seed": "Seed",
    "classes.columns": "Columns (z) of the class × z grid",
    "classes.grid_btn": "Grid of this class",
    "classes.cxz_btn": "Class × z grid",
    "classes.grid_caption": "64 samples of one class",
    "classes.cxz_caption": "Rows: classes; each column keeps its z (the style apart from the class)",
    "latent.tab": "Latent space",
    "latent.intro": ("The encoded test set, coloured by label, over samples of the prior (grey). Codes of more "
                     "than 2 dimensions are shown on their two principal axes. **Click the map** (or set x and "
                     "y) to decode that point. While a run trains, the map follows it every few seconds."),
    "latent.encode_btn": "Encode the test set",
    "latent.class": "Class given to the decoder",
    "latent.class.info": "for the supervised, semi-supervised and clustering AAEs",
    "latent.point_caption": "Decoding of (x, y)",
    "latent.plane_btn": "Decode a grid over the plane",
    "latent.plane_caption": "Decoded over the latent plane (x: left → right, y: bottom → top)",
    "landscape.intro": ("The live picture above follows the run in this tab. To look at a loaded or shipped "
                        "checkpoint's critic (or at this run's, drawn finer), press the button."),
    "landscape.button": "Draw the critic's landscape",
    # -- the 2-D Lab -------------------------------------------------------------------------------
    "lab.steps_intro": ("**Step by step**: each press trains once and redraws the picture (a running run pauses "
                        "first; with no run, one starts at step 0)."),
    "lab.critic_step": "One critic step",
    "lab.generator_step": "One generator step",
    "lab.full_step": "One full step",
    "lab.speed": "Speed",
    "lab.speed.2": "slow motion: 2 steps a second",
    "lab.speed.10": "10 steps a second",
    "lab.speed.50": "50 steps a second",
    "lab.speed.full": "full speed",
    "compare.box": "Compare the variants side by side",
    "compare.intro": ("The same data, batch size and seed for each; each variant with its Lab defaults. They "
                      "train step for step in one job, so you see what clipping, the gradient penalty, the "
                      "divergence and the Lipschitz penalty each do to the critic and to the points."),
    "compare.variants": "Variants (2 to 4)",
    "compare.steps": "Steps",
    "compare.steps.info": "for each variant",
    "compare.start": "Start the comparison",
    "compare.stop": "Stop",
    # -- Checkpoints and the Hub -------------------------------------------------------------------
    "ckpt.box": "Checkpoints: save, download, resume, load",
    "ckpt.save": "Save checkpoint",
    "ckpt.download": "Download the last save (.zip)",
    "ckpt.download_file": "Checkpoint (.zip): upload it below, or anywhere, to use it again",
    "ckpt.resume_intro": ("**Resume training** from one of your saves (shipped checkpoints hold no optimizer "
                          "state, so they cannot be resumed)."),
    "ckpt.resume_choice": "Checkpoint to resume from",
    "ckpt.resume_choice.info": "your saves and autosaves",
    "ckpt.lr_factor": "Learning-rate factor",
    "ckpt.lr_factor.info": "multiplies every learning rate; lower it (e.g. 0.3) after a divergence",
    "ckpt.resume": "Resume training from checkpoint",
    "ckpt.load_intro": ("**Load a checkpoint to explore**: one of the list, or upload a checkpoint folder's files "
                        "(select them all) or its .zip."),
    "ckpt.load_choice": "Checkpoint",
    "ckpt.load_choice.info": "your saves and uploads, and the shipped ones",
    "ckpt.load_files": "…or upload config.json + model.safetensors (+ the rest), or a .zip",
    "ckpt.load": "Load checkpoint",
    "hub.box": "Share on the Hugging Face Hub",
    "hub.push_repo": "Repository id",
    "hub.push_token": "Access token",
    "hub.push_token.info": "a write token (https://huggingface.co/settings/tokens); used for this push only, "
                           "never stored",
    "hub.private": "Private repository",
    "hub.push": "Push the last saved checkpoint to the Hub",
    "hub.pull_repo": "Load from the Hub: repository id",
    "hub.pull_token": "Access token (optional)",
    "hub.pull_token.info": "only for your private or gated repos; used for this load only, never stored",
    "hub.pull": "Load from Hub",
    # -- made on the server, per request (tr) ------------------------------------------------------
    "state.ready": "Starting",
    "state.running": "Training",
    "state.paused": "Paused",
    "state.queued": "Queued",
    "state.stopped": "Stopped",
    "state.finished": "Finished",
    "state.diverged": "Diverged",
    "state.failed": "Failed",
    "status.idle": "Not training. Choose settings and press **Start**.",
    "status.line": "**{state}** {model} on {dataset} · step **{step:,} / {steps:,}** · {rate} · elapsed {elapsed}{eta}",
    "status.eta": " · ETA **{eta}**",
    "status.rate.images": "{rate:,.0f} images/s",
    "status.rate.points": "{rate:,.0f} points/s",
    "status.not_started": "not started",
    "status.by_hand": "stepped by hand",
    "status.measuring": "measuring speed…",
    "status.diverged_at": "Diverged at step {step:,}:",
    "status.starting": "**Starting** {model} on {dataset}…",
    "status.not_started_because": "⚠ Not started: {error}",
    "status.no_run": "No run in this tab to {verb}.",
    "status.verb.pause": "pause",
    "status.verb.resume": "resume",
    "status.verb.stop": "stop",
    "queue.others": "{n} other run waits",
    "queue.others_many": "{n} other runs wait",
    "queue.for_place": "{others} for a place.",
    "queue.turn_left": ("{others} for a place: this run's turn ends in about **{left}**, then it is saved and "
                        "waits for its next turn."),
    "queue.run_left": ("{others} for a place: this run ends in about **{left}**, before its turn does, and "
                       "then gives its place up."),
    "queue.turn_ended": ("Its turn ended at step {step:,} while others waited: it was saved and waits for its "
                         "next turn, keeping everything it learned. "),
    "queue.busy": "The server is busy: ",
    "queue.trains_again": "trains again in about **{wait}**",
    "queue.starts_in": "starts in about **{wait}**",
    "queue.when_free": "starts when a place frees",
    "queue.place": "{head}place **{position}** of {waiting} in the queue, {when}. It starts by itself; keep this page open.",
}
