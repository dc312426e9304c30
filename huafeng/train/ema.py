"""Exponential moving average of the generator's weights — the model that gets exported.

GAN generators oscillate around a good solution; the running average of their weights sits near
its centre and gives visibly steadier, less noisy outputs (Karras et al. 2018, Yazıcı et al. 2019).
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """A frozen copy of ``model`` pulled towards it after every optimiser step."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def decay_at(self, step: int) -> float:
        """Warm-up: early on the average would be dominated by the random init, so the decay
        starts near 0 and grows towards ``decay`` ((1+t)/(10+t), as in TensorFlow's EMA)."""
        return min(self.decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = self.decay_at(step)
        for e, p in zip(self.model.parameters(), model.parameters(), strict=True):
            e.lerp_(p.detach(), 1.0 - d)
        # Buffers (norm statistics, spectral-norm vectors) are copied, not averaged.
        for eb, b in zip(self.model.buffers(), model.buffers(), strict=True):
            eb.copy_(b)
