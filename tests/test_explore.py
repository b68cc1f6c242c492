"""The explorer's pure functions: interpolation, class grids, latent views, GIFs, heat maps."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from gan_playground import explore, landscape
from gan_playground.data import DataSpec
from gan_playground.models import create_model

MNIST_LIKE = DataSpec((1, 28, 28), 10, "image")


@pytest.fixture(scope="module")
def acgan():
    torch.manual_seed(0)
    return create_model("acgan", MNIST_LIKE, {"width": 8}).eval()


@pytest.fixture(scope="module", params=["aae", "aae-supervised", "aae-semisupervised", "aae-cluster"])
def aae(request):
    torch.manual_seed(0)
    return create_model(request.param, MNIST_LIKE, {"hidden": 32}).eval()


def test_linear_interpolation_hits_both_ends_evenly():
    z0, z1 = torch.zeros(4), torch.ones(4)
    path = explore.interpolate(z0, z1, 5, "linear")
    assert path.shape == (5, 4)
    torch.testing.assert_close(path[0], z0)
    torch.testing.assert_close(path[-1], z1)
    torch.testing.assert_close(path[2], torch.full((4,), 0.5))


def test_slerp_keeps_the_norm_between_equal_norm_ends():
    gen = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(2, 64, generator=gen)
    z1 = z1 / z1.norm() * z0.norm()
    path = explore.interpolate(z0, z1, 9, "slerp")
    torch.testing.assert_close(path[0], z0)
    torch.testing.assert_close(path[-1], z1, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(path.norm(dim=1), torch.full((9,), float(z0.norm())), rtol=1e-4, atol=1e-4)
    # a straight line between two such points dips towards the origin
    assert explore.interpolate(z0, z1, 9, "linear")[4].norm() < path[4].norm() - 1e-3


def test_slerp_of_parallel_vectors_falls_back_to_a_line():
    z0 = torch.tensor([1.0, 0.0])
    path = explore.slerp(z0, 2 * z0, torch.linspace(0, 1, 3))
    torch.testing.assert_close(path[1], torch.tensor([1.5, 0.0]))


def test_interpolate_refuses_bad_arguments():
    with pytest.raises(ValueError, match="at least 2"):
        explore.interpolate(torch.zeros(2), torch.ones(2), 1)
    with pytest.raises(ValueError, match="linear, slerp"):
        explore.interpolate(torch.zeros(2), torch.ones(2), 3, "cubic")


def test_interpolation_frames_and_gif(acgan):
    z0, z1 = explore.latents_from_seed(acgan, 1), explore.latents_from_seed(acgan, 2)
    torch.testing.assert_close(z0, explore.latents_from_seed(acgan, 1))  # a seed fixes its z
    frames = explore.interpolation_frames(acgan, z0, z1, 6, "slerp", y0=3, y1=7)
    assert frames.shape == (6, 1, 28, 28)
    pictures = explore.frames_to_pictures(frames, scale=2)
    assert len(pictures) == 6 and pictures[0].shape == (56, 56, 3) and pictures[0].dtype == np.uint8
    data = explore.frames_to_gif(pictures)
    from PIL import Image
    gif = Image.open(io.BytesIO(data))
    assert gif.format == "GIF" and gif.n_frames == 6 + 4  # there and back


def test_aae_interpolation_blends_classes(aae):
    """Along the path both z and the class weights move: frame i decodes z_i with (1 - t_i) e_0 + t_i e_1."""
    z0, z1 = explore.latents_from_seed(aae, 0), explore.latents_from_seed(aae, 1)
    frames = explore.interpolation_frames(aae, z0, z1, 4, "linear", y0=0, y1=1)
    assert frames.shape == (4, 1, 28, 28) and torch.isfinite(frames).all()
    t = torch.linspace(0, 1, 4)
    z = torch.lerp(z0[None], z1[None], t[:, None])
    if aae.num_conditions:
        eye = torch.eye(aae.num_conditions)
        blended = (1 - t[:, None]) * eye[0] + t[:, None] * eye[1]  # (4, K): 2/3 of class 0 in frame 1, ...
        assert torch.allclose(frames, aae.decode(z, blended), atol=1e-6)
        assert not torch.allclose(frames[1], aae.decode(z[1:2], eye[:1])[0], atol=1e-4)  # not a one-hot switch
    else:
        assert torch.allclose(frames, aae.decode(z), atol=1e-6)


def test_class_grids(acgan):
    one = explore.class_grid(acgan, 4, n=16, nrow=4)
    assert one.dtype == np.uint8 and one.shape == (4 * 30 + 2, 4 * 30 + 2, 3)
    grid = explore.class_by_z_grid(acgan, n_z=5)
    assert grid.shape == (10 * 30 + 2, 5 * 30 + 2, 3)
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        explore.class_grid(acgan, 10)


def test_class_by_z_columns_keep_their_z(acgan):
    """Same z, same class -> same image: column j of row c is class_grid's z_j for class c."""
    grid = explore.class_by_z_grid(acgan, n_z=3, seed=5)
    gen = torch.Generator().manual_seed(5)
    z = acgan.random_latents(3, gen)
    row2 = explore.image_grid(acgan.sample(z, torch.full((3,), 2)), 3)
    torch.testing.assert_close(torch.as_tensor(grid[2 * 30:3 * 30 + 2]), torch.as_tensor(row2))


def test_projection_identity_and_pca():
    two = explore.fit_projection(torch.randn(50, 2))
    assert two.is_identity
    gen = torch.Generator().manual_seed(0)
    codes = torch.randn(400, 2, generator=gen) @ torch.tensor([[3.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]]) + 1.0
    proj = explore.fit_projection(codes)
    assert proj.axes.shape == (5, 2)
    np.testing.assert_allclose(proj.axes.T @ proj.axes, np.eye(2), atol=1e-8)
    back = proj.from_2d(proj.to_2d(codes.numpy()))
    np.testing.assert_allclose(back, codes.numpy(), atol=1e-4)  # the codes lie in a plane


def test_latent_scatter_decode_and_plane(aae):
    images = torch.randint(0, 256, (120, 1, 28, 28), dtype=torch.uint8)
    labels = torch.arange(120) % 10
    data = explore.latent_scatter_data(aae, images, labels, n=100, prior_n=30)
    assert data.points.shape == (100, 2) and data.prior.shape == (30, 2) and data.labels.shape == (100,)
    assert 0 < data.explained <= 1.0
    frame = data.frame(tuple("abcdefghij"))
    assert list(frame.columns) == ["x", "y", "label"] and len(frame) == 130
    assert set(frame.label) >= {"prior p(z)", "a"}
    picture = explore.decode_point(aae, data.projection, (0.1, -0.2), y=3, scale=2)
    assert picture.shape == (56, 56, 3) and picture.dtype == np.uint8
    plane = explore.latent_plane_grid(aae, data.projection, n=4, y=1)
    assert plane.shape == (4 * 28, 4 * 28, 3)


def test_2d_codes_are_shown_as_they_are():
    torch.manual_seed(0)
    model = create_model("aae", MNIST_LIKE, {"hidden": 16, "latent_dim": 2}).eval()
    images = torch.randint(0, 256, (50, 1, 28, 28), dtype=torch.uint8)
    data = explore.latent_scatter_data(model, images, None, n=50, prior_n=10)
    codes = model.encode(images.float().div(127.5).sub(1)).numpy()
    np.testing.assert_allclose(data.points, codes, atol=1e-5)
    assert (data.labels == -1).all() and data.explained == 1.0


def test_critic_heatmap():
    values = landscape.critic_values(lambda p: p[:, 0] + 2 * p[:, 1], resolution=16, extent=2.0)
    assert values.shape == (16, 16)
    assert values[0, -1] == pytest.approx(6.0) and values[-1, 0] == pytest.approx(-6.0)  # row 0 is the top
    picture = landscape.landscape_picture(values, real=np.zeros((5, 2)), fake=np.ones((5, 2)), size=64, extent=2.0)
    assert picture.shape == (64 + landscape.BAR, 64, 3) and picture.dtype == np.uint8  # the plane, then its scale
    assert (picture[31:34, 31:34] == landscape.REAL).all(axis=-1).any()  # a real point at the centre
    flat = landscape.landscape_picture(np.zeros((4, 4)), size=8)
    assert flat.shape == (8 + landscape.BAR, 8, 3)
    assert landscape.landscape_picture(None, size=8).shape == (8, 8, 3)  # no landscape, no scale
