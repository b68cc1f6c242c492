"""A faithful re-creation of PyTorch-GAN's training loops, timed: the baseline of bench/throughput.py.

    python bench/reference.py wgan-gp --seconds 20 [--device cuda]

Follows eriklindernoren/PyTorch-GAN `implementations/{wgan,wgan_gp,wgan_div,acgan,aae}/*.py`
(master): torchvision MNIST through a DataLoader with PIL transforms (Resize for the 32x32
scripts, ToTensor, Normalize([0.5], [0.5])), batch 64, shuffle, num_workers 0 (the scripts'
default); the same networks, losses, optimizers and per-batch structure (one critic update per
batch and a generator update every n_critic batches; ACGAN and AAE: one G and one D update per
batch); z from numpy on the host, as in the scripts. With `--device cuda`, as the scripts run
when CUDA is there: networks on the GPU, each batch and each numpy draw copied to it.

Changed, and only where the project's models make the same fix (the scripts' known mistakes,
listed in gan_playground/models/acgan.py's docstring):
BatchNorm gets its default eps instead of the scripts' `BatchNorm(n, 0.8)` (same work), and
ACGAN's class head gives logits to CrossEntropyLoss (no Softmax before it). Left out: printing
each iteration (the `.item()` reads that it needs stay) and saving sample grids.

Prints one JSON line: real images consumed per second, over `--seconds` after `--warmup` batches.
Sets OMP_WAIT_POLICY=PASSIVE before torch loads, as `gan_playground` does, so that both sides
run under the same OpenMP settings on a shared machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as gan_playground/__init__.py: same env for both

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.autograd as autograd  # noqa: E402
import torchvision.transforms as transforms  # noqa: E402
from torch import nn  # noqa: E402
from torchvision import datasets  # noqa: E402

MODELS = ("wgan", "wgan-gp", "wgan-div", "acgan", "aae")
IMG_SIZE = {"wgan": 28, "wgan-gp": 28, "wgan-div": 28, "acgan": 32, "aae": 32}
RESIZE = {"wgan": False, "wgan-gp": True, "wgan-div": False, "acgan": True, "aae": True}


def data_root() -> str:
    """The project's data root (its offline mirror is unpacked there by `load_dataset("mnist")`)."""
    root = Path(os.environ.get("GAN_PLAYGROUND_DATA", Path.home() / ".cache" / "gan_playground" / "data"))
    if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        from gan_playground.data import load_dataset  # unpacks the mirror, or downloads
        load_dataset("mnist")
    return str(root)


def loader(model: str, batch_size: int) -> torch.utils.data.DataLoader:
    size = IMG_SIZE[model]
    tf = ([transforms.Resize(size)] if RESIZE[model] else []) + [transforms.ToTensor(),
                                                                 transforms.Normalize([0.5], [0.5])]
    ds = datasets.MNIST(data_root(), train=True, download=False, transform=transforms.Compose(tf))
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True)


def forever(dl):
    while True:
        yield from dl


# ----------------------------------------------------------------------------------------------
# The scripts' networks

class MLPGenerator(nn.Module):  # wgan.py, wgan_gp.py, wgan_div.py
    def __init__(self, latent_dim: int, img_shape):
        super().__init__()
        self.img_shape = img_shape

        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat))  # script: BatchNorm1d(out_feat, 0.8), eps=0.8
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(*block(latent_dim, 128, normalize=False), *block(128, 256), *block(256, 512),
                                   *block(512, 1024), nn.Linear(1024, int(np.prod(img_shape))), nn.Tanh())

    def forward(self, z):
        img = self.model(z)
        return img.view(img.shape[0], *self.img_shape)


class MLPCritic(nn.Module):
    def __init__(self, img_shape):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(int(np.prod(img_shape)), 512), nn.LeakyReLU(0.2, inplace=True),
                                   nn.Linear(512, 256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 1))

    def forward(self, img):
        return self.model(img.view(img.shape[0], -1))


def weights_init_normal(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm2d") != -1:
        torch.nn.init.normal_(m.weight.data, 1.0, 0.02)
        torch.nn.init.constant_(m.bias.data, 0.0)


class ACGenerator(nn.Module):  # acgan.py
    def __init__(self, latent_dim=100, n_classes=10, img_size=32, channels=1):
        super().__init__()
        self.label_emb = nn.Embedding(n_classes, latent_dim)
        self.init_size = img_size // 4
        self.l1 = nn.Sequential(nn.Linear(latent_dim, 128 * self.init_size ** 2))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(128), nn.Upsample(scale_factor=2), nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128), nn.LeakyReLU(0.2, inplace=True),  # script: eps 0.8
            nn.Upsample(scale_factor=2), nn.Conv2d(128, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, channels, 3, stride=1, padding=1), nn.Tanh())

    def forward(self, noise, labels):
        out = self.l1(torch.mul(self.label_emb(labels), noise))
        return self.conv_blocks(out.view(out.shape[0], 128, self.init_size, self.init_size))


class ACDiscriminator(nn.Module):
    def __init__(self, n_classes=10, img_size=32, channels=1):
        super().__init__()

        def block(in_filters, out_filters, bn=True):
            b = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
            return b + [nn.BatchNorm2d(out_filters)] if bn else b  # script: eps 0.8

        self.conv_blocks = nn.Sequential(*block(channels, 16, bn=False), *block(16, 32), *block(32, 64),
                                         *block(64, 128))
        ds_size = img_size // 2 ** 4
        self.adv_layer = nn.Sequential(nn.Linear(128 * ds_size ** 2, 1), nn.Sigmoid())
        self.aux_layer = nn.Linear(128 * ds_size ** 2, n_classes)  # script: + nn.Softmax() (double softmax)

    def forward(self, img):
        out = self.conv_blocks(img).view(img.shape[0], -1)
        return self.adv_layer(out), self.aux_layer(out)


class AAEEncoder(nn.Module):  # aae.py (master: a reparameterized encoder)
    def __init__(self, img_shape, latent_dim=10):
        super().__init__()
        self.latent_dim = latent_dim
        self.model = nn.Sequential(nn.Linear(int(np.prod(img_shape)), 512), nn.LeakyReLU(0.2, inplace=True),
                                   nn.Linear(512, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2, inplace=True))
        self.mu = nn.Linear(512, latent_dim)
        self.logvar = nn.Linear(512, latent_dim)

    def forward(self, img):
        x = self.model(img.view(img.shape[0], -1))
        mu, logvar = self.mu(x), self.logvar(x)
        sampled_z = torch.tensor(np.random.normal(0, 1, (mu.size(0), self.latent_dim)), dtype=torch.float32)
        return sampled_z * torch.exp(logvar / 2) + mu


class AAEDecoder(nn.Module):
    def __init__(self, img_shape, latent_dim=10):
        super().__init__()
        self.img_shape = img_shape
        self.model = nn.Sequential(nn.Linear(latent_dim, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 512),
                                   nn.BatchNorm1d(512), nn.LeakyReLU(0.2, inplace=True),
                                   nn.Linear(512, int(np.prod(img_shape))), nn.Tanh())

    def forward(self, z):
        img_flat = self.model(z)
        return img_flat.view(img_flat.shape[0], *self.img_shape)


class AAEDiscriminator(nn.Module):
    def __init__(self, latent_dim=10):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(latent_dim, 512), nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 256),
                                   nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, z):
        return self.model(z)


def normal(*shape, device: torch.device) -> torch.Tensor:
    """`Variable(Tensor(np.random.normal(0, 1, shape)))`: noise drawn by numpy on the host, then copied."""
    return torch.tensor(np.random.normal(0, 1, shape), dtype=torch.float32, device=device)


# ----------------------------------------------------------------------------------------------
# The scripts' loops, one batch per call: `step(imgs, labels, i)`

def make_wgan(kind: str, device: torch.device):
    latent_dim, n_critic, img_shape = 100, 5, (1, 28, 28)
    generator, discriminator = MLPGenerator(latent_dim, img_shape).to(device), MLPCritic(img_shape).to(device)
    if kind == "wgan":
        lr, clip_value = 0.00005, 0.01
        optimizer_G = torch.optim.RMSprop(generator.parameters(), lr=lr)
        optimizer_D = torch.optim.RMSprop(discriminator.parameters(), lr=lr)
    else:
        optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
        optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    lambda_gp, k, p = 10, 2, 6

    def compute_gradient_penalty(D, real_samples, fake_samples):
        alpha = torch.tensor(np.random.random((real_samples.size(0), 1, 1, 1)), dtype=torch.float32, device=device)
        interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
        d_interpolates = D(interpolates)
        fake = torch.ones(real_samples.shape[0], 1, device=device)
        gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                                  create_graph=True, retain_graph=True, only_inputs=True)[0]
        gradients = gradients.view(gradients.size(0), -1)
        return ((gradients.norm(2, dim=1) - 1) ** 2).mean()

    def step(imgs, labels, i):
        if kind == "wgan":
            real_imgs = imgs.to(device, torch.float32)
            optimizer_D.zero_grad()
            z = normal(imgs.shape[0], latent_dim, device=device)
            fake_imgs = generator(z).detach()
            loss_D = -torch.mean(discriminator(real_imgs)) + torch.mean(discriminator(fake_imgs))
            loss_D.backward()
            optimizer_D.step()
            for par in discriminator.parameters():
                par.data.clamp_(-clip_value, clip_value)
            if i % n_critic == 0:
                optimizer_G.zero_grad()
                gen_imgs = generator(z)
                loss_G = -torch.mean(discriminator(gen_imgs))
                loss_G.backward()
                optimizer_G.step()
                loss_D.item(), loss_G.item()  # the script prints both
            return
        if kind == "wgan-gp":
            real_imgs = imgs.to(device, torch.float32)
            optimizer_D.zero_grad()
            z = normal(imgs.shape[0], latent_dim, device=device)
            fake_imgs = generator(z)
            real_validity = discriminator(real_imgs)
            fake_validity = discriminator(fake_imgs)
            gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data, fake_imgs.data)
            d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gradient_penalty
        else:  # wgan-div
            real_imgs = imgs.to(device, torch.float32).requires_grad_(True)
            optimizer_D.zero_grad()
            z = normal(imgs.shape[0], latent_dim, device=device)
            fake_imgs = generator(z)
            real_validity = discriminator(real_imgs)
            fake_validity = discriminator(fake_imgs)
            real_grad_out = torch.ones(real_imgs.size(0), 1, device=device)
            real_grad = autograd.grad(real_validity, real_imgs, real_grad_out, create_graph=True,
                                      retain_graph=True, only_inputs=True)[0]
            real_grad_norm = real_grad.view(real_grad.size(0), -1).pow(2).sum(1) ** (p / 2)
            fake_grad_out = torch.ones(fake_imgs.size(0), 1, device=device)
            fake_grad = autograd.grad(fake_validity, fake_imgs, fake_grad_out, create_graph=True,
                                      retain_graph=True, only_inputs=True)[0]
            fake_grad_norm = fake_grad.view(fake_grad.size(0), -1).pow(2).sum(1) ** (p / 2)
            div_gp = torch.mean(real_grad_norm + fake_grad_norm) * k / 2
            d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + div_gp
        d_loss.backward()
        optimizer_D.step()
        optimizer_G.zero_grad()
        if i % n_critic == 0:
            fake_imgs = generator(z)
            fake_validity = discriminator(fake_imgs)
            g_loss = -torch.mean(fake_validity)
            g_loss.backward()
            optimizer_G.step()
            d_loss.item(), g_loss.item()

    return step


def make_acgan(device: torch.device):
    latent_dim, n_classes = 100, 10
    generator, discriminator = ACGenerator(latent_dim, n_classes).to(device), ACDiscriminator(n_classes).to(device)
    generator.apply(weights_init_normal)
    discriminator.apply(weights_init_normal)
    adversarial_loss, auxiliary_loss = torch.nn.BCELoss(), torch.nn.CrossEntropyLoss()
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))

    def step(imgs, labels, i):
        batch_size = imgs.shape[0]
        valid, fake = torch.ones(batch_size, 1, device=device), torch.zeros(batch_size, 1, device=device)
        real_imgs, labels = imgs.to(device, torch.float32), labels.to(device, torch.long)
        # Train Generator
        optimizer_G.zero_grad()
        z = normal(batch_size, latent_dim, device=device)
        gen_labels = torch.tensor(np.random.randint(0, n_classes, batch_size), dtype=torch.long, device=device)
        gen_imgs = generator(z, gen_labels)
        validity, pred_label = discriminator(gen_imgs)
        g_loss = 0.5 * (adversarial_loss(validity, valid) + auxiliary_loss(pred_label, gen_labels))
        g_loss.backward()
        optimizer_G.step()
        # Train Discriminator
        optimizer_D.zero_grad()
        real_pred, real_aux = discriminator(real_imgs)
        d_real_loss = (adversarial_loss(real_pred, valid) + auxiliary_loss(real_aux, labels)) / 2
        fake_pred, fake_aux = discriminator(gen_imgs.detach())
        d_fake_loss = (adversarial_loss(fake_pred, fake) + auxiliary_loss(fake_aux, gen_labels)) / 2
        d_loss = (d_real_loss + d_fake_loss) / 2
        pred = np.concatenate([real_aux.data.cpu().numpy(), fake_aux.data.cpu().numpy()], axis=0)
        gt = np.concatenate([labels.data.cpu().numpy(), gen_labels.data.cpu().numpy()], axis=0)
        np.mean(np.argmax(pred, axis=1) == gt)  # d_acc, printed by the script
        d_loss.backward()
        optimizer_D.step()
        d_loss.item(), g_loss.item()

    return step


def make_aae(device: torch.device):
    latent_dim, img_shape = 10, (1, 32, 32)
    encoder, decoder, discriminator = (AAEEncoder(img_shape, latent_dim).to(device),
                                       AAEDecoder(img_shape, latent_dim).to(device),
                                       AAEDiscriminator(latent_dim).to(device))
    adversarial_loss, pixelwise_loss = torch.nn.BCELoss(), torch.nn.L1Loss()
    optimizer_G = torch.optim.Adam(itertools.chain(encoder.parameters(), decoder.parameters()), lr=0.0002,
                                   betas=(0.5, 0.999))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))

    def step(imgs, labels, i):
        valid, fake = torch.ones(imgs.shape[0], 1, device=device), torch.zeros(imgs.shape[0], 1, device=device)
        real_imgs = imgs.to(device, torch.float32)
        # Train Generator (encoder + decoder)
        optimizer_G.zero_grad()
        encoded_imgs = encoder(real_imgs)
        decoded_imgs = decoder(encoded_imgs)
        g_loss = 0.001 * adversarial_loss(discriminator(encoded_imgs), valid) + 0.999 * pixelwise_loss(
            decoded_imgs, real_imgs)
        g_loss.backward()
        optimizer_G.step()
        # Train Discriminator
        optimizer_D.zero_grad()
        z = normal(imgs.shape[0], latent_dim, device=device)
        real_loss = adversarial_loss(discriminator(z), valid)
        fake_loss = adversarial_loss(discriminator(encoded_imgs.detach()), fake)
        d_loss = 0.5 * (real_loss + fake_loss)
        d_loss.backward()
        optimizer_D.step()
        d_loss.item(), g_loss.item()

    return step


def make_step(model: str, device: torch.device):
    if model in ("wgan", "wgan-gp", "wgan-div"):
        return make_wgan(model, device)
    return make_acgan(device) if model == "acgan" else make_aae(device)


def benchmark(model: str, *, seconds: float, batch_size: int = 64, warmup: int = 20, seed: int = 0,
              device: str = "cpu") -> dict:
    torch.manual_seed(seed)
    np.random.seed(seed)
    step = make_step(model, torch.device(device))
    batches = forever(loader(model, batch_size))
    for i in range(warmup):
        imgs, labels = next(batches)
        step(imgs, labels, i)
    images, i, start, cpu0 = 0, warmup, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        imgs, labels = next(batches)  # the DataLoader's time counts: it is part of the script's loop
        step(imgs, labels, i)
        images += imgs.shape[0]
        i += 1
    if device == "cuda":
        torch.cuda.synchronize()  # (each step's .item() reads already wait for the GPU)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    return {"model": model, "images_per_s": images / elapsed, "images": images, "seconds": elapsed,
            "cpu_seconds": cpu, "images_per_cpu_s": images / cpu,
            "batch_size": batch_size, "threads": torch.get_num_threads(), "device": device}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=MODELS)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--warmup", type=int, default=20, help="batches before the clock starts")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="cuda: networks, losses and each batch on the GPU, as the scripts do when CUDA is there")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this torch sees no CUDA GPU.")
    print(json.dumps(benchmark(args.model, seconds=args.seconds, batch_size=args.batch_size, warmup=args.warmup,
                               device=args.device)))


if __name__ == "__main__":
    main()
