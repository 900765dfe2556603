"""Exponential moving average of the generator(s): averaged = decay * averaged + (1 - decay) * live.

Buffers (BatchNorm running statistics) are copied, not averaged, as in StyleGAN2-ADA. Early on the
decay is capped at (1 + n) / (10 + n) after n updates (the warm-up of TensorFlow's
ExponentialMovingAverage), so the average is not dominated by the random initial weights for the
first thousands of steps.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, nets: dict[str, nn.Module], decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"--ema must be in (0, 1), got {decay}")
        self.decay = decay
        self.live = nets
        self.nets = {k: copy.deepcopy(v).eval().requires_grad_(False) for k, v in nets.items()}

    def decay_at(self, updates: int) -> float:
        return min(self.decay, (1.0 + updates) / (10.0 + updates))

    @torch.no_grad()
    def update(self, updates: int) -> None:
        """Fold in the live weights; `updates` = how many updates came before this one."""
        weight = 1.0 - self.decay_at(updates)
        for name, live in self.live.items():
            avg = self.nets[name]
            a, l = list(avg.parameters()), list(live.parameters())
            torch._foreach_lerp_(a, l, weight)
            for ba, bl in zip(avg.buffers(), live.buffers()):
                ba.copy_(bl)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        return {f"{name}.{k}": v for name, net in self.nets.items() for k, v in net.state_dict().items()}

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        for name, net in self.nets.items():
            p = f"{name}."
            net.load_state_dict({k[len(p):]: v for k, v in tensors.items() if k.startswith(p)})
