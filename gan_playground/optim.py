"""RMSprop in one pass over the weights: the clipped WGAN's optimizer.

torch.optim.RMSprop has no fused kernel. Its foreach form makes five passes over every weight
(scale the average, add g^2, a new sqrt tensor, add eps, divide) and was a third of a WGAN
step on one CPU core. Adam's fused kernel computes the same update when its first moment is
the gradient (beta1 = 0) and its bias corrections are 1:

    v <- alpha v + (1 - alpha) g^2,      w <- w - lr g / (sqrt(v) + eps)

so `RMSprop` keeps RMSprop's settings and saved state (`square_avg`, `step`, as torch's
RMSprop saves them: checkpoints of either load into the other) and steps with that kernel
where the device has it, one pass instead of five. Elsewhere it runs the five passes.

It never reads the step count on the host; with `capturable=True` (set by `capture.py`) the
count also lives on the weights' device, as in torch's capturable optimizers, so that a CUDA
graph's replays keep counting.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

# 1 - beta ** step rounds to 1 for a step this large: no bias correction, as RMSprop has none.
_NO_BIAS_CORRECTION = 2.0 ** 40
_FUSED_DEVICES = ("cpu", "cuda")
# The fused Adam kernel is torch's own (what Adam(fused=True) calls), not a public API: the one
# private call here, with the five-pass form as its fallback should a torch release drop or rename
# it. Public Adam(fused=True, betas=(0, alpha)) is not a substitute: its second-moment bias
# correction, 1 - alpha^t, changes RMSprop's first few hundred steps.
_FUSED_ADAM = getattr(torch, "_fused_adam_", None)


class RMSprop(torch.optim.Optimizer):
    """torch.optim.RMSprop without momentum, centering or weight decay (Arjovsky et al.'s), fused."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 capturable: bool = False):
        if not 0.0 <= alpha < 1.0 or lr < 0.0 or eps < 0.0:
            raise ValueError(f"RMSprop needs lr >= 0, 0 <= alpha < 1 and eps >= 0; got {lr}, {alpha}, {eps}")
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "capturable": capturable})
        self._no_bias_correction: dict[torch.device, torch.Tensor] = {}  # the kernel's step count, per device

    def __setstate__(self, state: dict) -> None:
        """A copy (deepcopy, pickle: torch keeps only defaults, state and groups) makes its count again."""
        super().__setstate__(state)
        self._no_bias_correction = {}

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            for p in params:
                state = self.state[p]
                if not state:  # the same state torch's RMSprop keeps
                    state["step"] = torch.zeros((), device=p.device if group.get("capturable") else "cpu")
                    state["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            torch._foreach_add_([self.state[p]["step"] for p in params], 1.0)  # the count torch's RMSprop keeps
            averages = [self.state[p]["square_avg"] for p in params]
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            device = params[0].device
            if _FUSED_ADAM is not None and device.type in _FUSED_DEVICES and all(
                    p.device == device and not p.is_sparse for p in params):
                # The gradients stand in for Adam's first moment: with beta1 = 0 it is set to
                # 0 * m + 1 * g = g, in place, so they come out unchanged.
                if device not in self._no_bias_correction:
                    self._no_bias_correction[device] = torch.tensor(_NO_BIAS_CORRECTION, device=device)
                steps = [self._no_bias_correction[device]] * len(params)
                _FUSED_ADAM(params, grads, grads, averages, [], steps, lr=lr, beta1=0.0, beta2=alpha,
                            weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)
            else:
                torch._foreach_mul_(averages, alpha)
                torch._foreach_addcmul_(averages, grads, grads, value=1 - alpha)
                denominators = torch._foreach_sqrt(averages)
                torch._foreach_add_(denominators, eps)
                torch._foreach_addcdiv_(params, grads, denominators, value=-lr)
        return loss
