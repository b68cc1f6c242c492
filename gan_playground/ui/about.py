"""The About tab: what each model does, its losses, and the papers."""

from __future__ import annotations

import gradio as gr

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

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
  takes its majority label.

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
"""


def build() -> None:
    with gr.Tab("About", id="about"):
        gr.Markdown(ABOUT, latex_delimiters=LATEX)
