"""Adversarial losses and R1 on hand-picked logits with values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from huafeng.errors import InputError
from huafeng.losses import d_loss, g_loss, r1_penalty
from huafeng.losses.adversarial import KINDS
from huafeng.models import build_discriminator

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -2.0])


def sp(x: float) -> float:
    return math.log1p(math.exp(x))


@pytest.mark.parametrize(
    ("kind", "d_expected", "g_expected"),
    [
        # lsgan: mean((r-1)²) + mean(f²) = (1+4)/2 + (0.25+4)/2;  G: mean((f-1)²) = (0.25+9)/2
        ("lsgan", 2.5 + 2.125, 4.625),
        # hinge: mean(relu(1-r)) + mean(relu(1+f)) = (0+2)/2 + (1.5+0)/2;  G: -mean(f) = 0.75
        ("hinge", 1.0 + 0.75, 0.75),
        # non-saturating: mean(softplus(-r)) + mean(softplus(f));  G: mean(softplus(-f))
        ("nonsat", (sp(-2) + sp(1)) / 2 + (sp(0.5) + sp(-2)) / 2, (sp(-0.5) + sp(2)) / 2),
    ],
)
def test_known_values(kind: str, d_expected: float, g_expected: float) -> None:
    assert float(d_loss(kind, REAL, FAKE)) == pytest.approx(d_expected, rel=1e-6)
    assert float(g_loss(kind, FAKE)) == pytest.approx(g_expected, rel=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_signs(kind: str) -> None:
    """D pushes real logits up and fake logits down; G pushes fake logits up."""
    real = torch.tensor([0.3, -0.2], requires_grad=True)
    fake = torch.tensor([0.1, 0.4], requires_grad=True)  # > 0: LSGAN pulls fakes towards 0 from both sides
    d_loss(kind, real, fake).backward()
    assert real.grad is not None and fake.grad is not None
    assert (real.grad < 0).all() and (fake.grad > 0).all()
    fake.grad = None
    g_loss(kind, fake).backward()
    assert (fake.grad < 0).all()


@pytest.mark.parametrize("kind", KINDS)
def test_lists_are_averaged_over_scales(kind: str) -> None:
    r2, f2 = torch.tensor([[0.0, 3.0]]), torch.tensor([[1.0, 1.0]])
    want_d = (d_loss(kind, REAL, FAKE) + d_loss(kind, r2, f2)) / 2
    assert float(d_loss(kind, [REAL, r2], [FAKE, f2])) == pytest.approx(float(want_d))
    assert float(g_loss(kind, [FAKE, f2])) == pytest.approx(
        float((g_loss(kind, FAKE) + g_loss(kind, f2)) / 2)
    )


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="valid: lsgan, hinge, nonsat"):
        g_loss("wgan", FAKE)
    with pytest.raises(ValueError, match="2 real vs 1 fake"):
        d_loss("hinge", [REAL, REAL], [FAKE])


def test_r1_is_zero_for_a_constant_discriminator() -> None:
    x = torch.rand(2, 3, 8, 8, requires_grad=True)
    logits = x.sum((1, 2, 3)) * 0.0 + 3.0
    assert float(r1_penalty(logits, x)) == 0.0


def test_r1_of_a_linear_discriminator_is_the_squared_weight_norm() -> None:
    w = torch.randn(3, 8, 8, generator=torch.Generator().manual_seed(0))
    x = torch.rand(4, 3, 8, 8, requires_grad=True)
    logits = (x * w).sum((1, 2, 3))
    assert float(r1_penalty(logits, x)) == pytest.approx(float(w.pow(2).sum()), rel=1e-5)


def test_r1_on_a_real_multiscale_d_is_differentiable() -> None:
    torch.manual_seed(0)
    d = build_discriminator("multiscale", base_channels=8, n_layers=2, n_scales=2)
    x = torch.rand(2, 3, 32, 32).requires_grad_(True)
    penalty = r1_penalty(d(x), x)
    assert float(penalty.detach()) > 0
    penalty.backward()  # create_graph=True: the penalty trains the D (the last bias cannot matter)
    assert all(p.grad is not None for p in d.parameters() if p.ndim > 1)


def test_r1_needs_requires_grad() -> None:
    x = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match="requires_grad_"):
        r1_penalty(x.sum(), x)
