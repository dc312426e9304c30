"""A residual refiner: ``x + max_delta · tanh(f(x))``, starting as the exact identity.

For corrections on top of an already good image (a look's LUT-graded photo) rather than a
re-rendering: the last convolution is zero-initialised, so step 0 returns the input bit for
bit and a short CPU run can only move it as far as the losses ask, never into the grey mush
an untrained image generator produces. ``max_delta`` bounds any change per channel.
"""

from __future__ import annotations

import torch
from torch import nn

from huafeng.models.blocks import check_multiple
from huafeng.models.fast import MobileGenerator
from huafeng.models.registries import GENERATORS


@GENERATORS.register("residual_mobile")
class ResidualMobile(nn.Module):
    """The ``mobile`` generator's body predicting a bounded residual instead of the image."""

    def __init__(
        self, width: int = 16, n_blocks: int = 2, expansion: int = 2, max_delta: float = 0.25
    ) -> None:
        super().__init__()
        self.body = MobileGenerator(width=width, n_blocks=n_blocks, expansion=expansion, full_res_skip=True)
        nn.init.zeros_(self.body.head.weight)
        assert self.body.head.bias is not None
        nn.init.zeros_(self.body.head.bias)
        self.max_delta = max_delta
        self.multiple = self.body.multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_multiple(x, self.multiple, "residual_mobile")
        return torch.clamp(x + self.max_delta * torch.tanh(self.body.logits(x)), 0.0, 1.0)
