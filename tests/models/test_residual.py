"""The residual refiner starts as the identity and stays within max_delta of its input."""

from __future__ import annotations

import torch

from huafeng.models import build_generator


def test_identity_at_init_and_bounded_after_a_step() -> None:
    torch.manual_seed(0)
    g = build_generator("residual_mobile", width=8, n_blocks=1, expansion=2, max_delta=0.1)
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(g(x), x)
    opt = torch.optim.SGD(g.parameters(), lr=10.0)
    (g(x) - 1.0).square().mean().backward()  # pull everything to white, hard
    opt.step()
    y = g(x)
    assert not torch.equal(y, x)
    assert float((y - x).abs().max()) <= 0.1 + 1e-6
