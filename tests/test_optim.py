"""The fused RMSprop (gan_playground/optim.py) against torch.optim.RMSprop."""

import copy

import pytest
import torch

from gan_playground import optim
from gan_playground.optim import RMSprop


def weights(seed: int = 0) -> list[torch.nn.Parameter]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(*shape, generator=gen)) for shape in [(7, 5), (5,), (3, 7)]]


def run(opt: torch.optim.Optimizer, params: list[torch.nn.Parameter], steps: int, seed: int = 1) -> None:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=gen)
        opt.step()


@pytest.mark.parametrize("fused", [True, False])
def test_same_updates_and_state_as_torch_rmsprop(fused, monkeypatch):
    if not fused:
        monkeypatch.setattr(optim, "_FUSED_DEVICES", ())  # the five-pass path other devices take
    ours, theirs = weights(), weights()
    run(RMSprop(ours, lr=0.01, alpha=0.9), ours, 30)
    reference = torch.optim.RMSprop(theirs, lr=0.01, alpha=0.9)
    run(reference, theirs, 30)
    assert all(torch.allclose(a, b, rtol=1e-6, atol=1e-7) for a, b in zip(ours, theirs, strict=True))
    assert not torch.allclose(ours[0], weights()[0])  # and they moved


def test_gradients_come_out_unchanged():
    params = weights()
    grads = [torch.randn_like(p) for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    RMSprop(params, lr=0.1).step()
    assert all(torch.equal(p.grad, g) for p, g in zip(params, grads, strict=True))


def test_a_torch_rmsprop_state_resumes_here():
    # Training states saved before this optimizer existed (torch's RMSprop) resume with it:
    # the same state keys, and the updates carry on as torch's would.
    ours, theirs = weights(), weights()
    reference = torch.optim.RMSprop(theirs, lr=0.01)
    run(reference, theirs, 5)
    opt = RMSprop(ours, lr=0.01)
    with torch.no_grad():
        for a, b in zip(ours, theirs, strict=True):
            a.copy_(b)
    opt.load_state_dict(copy.deepcopy(reference.state_dict()))  # as from a file: no shared tensors
    assert opt.state_dict()["state"][0].keys() == reference.state_dict()["state"][0].keys()
    run(opt, ours, 5, seed=2)
    run(reference, theirs, 5, seed=2)
    assert all(torch.allclose(a, b, rtol=1e-6, atol=1e-7) for a, b in zip(ours, theirs, strict=True))
    assert opt.state[ours[0]]["step"].item() == reference.state[theirs[0]]["step"].item() == 10


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="alpha"):
        RMSprop(weights(), alpha=1.0)


def test_a_copy_steps_like_the_original():
    """deepcopy (cost.py's probe copies a model with its optimizers) keeps only what torch keeps."""
    params = weights()
    opt = RMSprop(params, lr=0.01, alpha=0.9)
    run(opt, params, 3)
    twin_params = copy.deepcopy(params)
    twin = RMSprop(twin_params, lr=0.01, alpha=0.9)
    twin.load_state_dict(copy.deepcopy(opt).state_dict())
    clone = copy.deepcopy(opt)  # a copy of the optimizer itself steps too
    run(clone, [p for g in clone.param_groups for p in g["params"]], 1, seed=2)
    run(opt, params, 2, seed=2)
    run(twin, twin_params, 2, seed=2)
    assert all(torch.equal(a, b) for a, b in zip(params, twin_params, strict=True))
