"""TV / cycle / identity with known values, and the Lab colour losses."""

from __future__ import annotations

import pytest
import torch

from huafeng.losses import (
    color_loss,
    color_stats,
    cycle_loss,
    identity_loss,
    palette_loss,
    palette_quantiles,
    rgb_to_lab,
    tv_loss,
)


def test_tv_of_a_constant_image_is_zero() -> None:
    assert float(tv_loss(torch.full((2, 3, 16, 16), 0.7))) == 0.0


@pytest.mark.parametrize(("p", "expected"), [(1, 0.1), (2, 0.01)])
def test_tv_of_a_horizontal_ramp(p: int, expected: float) -> None:
    ramp = (torch.arange(10, dtype=torch.float32) * 0.1).expand(1, 3, 8, 10)
    assert float(tv_loss(ramp, p=p)) == pytest.approx(expected, rel=1e-5)
    assert float(tv_loss(ramp.transpose(2, 3), p=p)) == pytest.approx(expected, rel=1e-5)


def test_tv_penalises_a_checkerboard_most() -> None:
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None, :]).remainder(2).float().expand(1, 3, 8, 8)
    assert float(tv_loss(checker)) == pytest.approx(2.0)


def test_cycle_and_identity_are_l1() -> None:
    a, b = torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.25)
    assert float(cycle_loss(b, a)) == pytest.approx(0.25)
    assert float(identity_loss(a, b)) == pytest.approx(0.25)
    assert float(cycle_loss(a, a)) == 0.0


@pytest.mark.parametrize(
    ("rgb", "lab"),
    [
        ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
        ((1.0, 0.0, 0.0), (53.24, 80.09, 67.20)),  # sRGB red, D65 (standard reference value)
        ((0.0, 0.0, 1.0), (32.30, 79.19, -107.86)),
    ],
)
def test_rgb_to_lab_reference_values(
    rgb: tuple[float, float, float], lab: tuple[float, float, float]
) -> None:
    x = torch.tensor(rgb).view(1, 3, 1, 1)
    got = (rgb_to_lab(x).flatten() * 100).tolist()
    assert got == pytest.approx(list(lab), abs=0.1)


def test_lab_gradient_is_finite_at_black() -> None:
    x = torch.zeros(1, 3, 4, 4, requires_grad=True)
    rgb_to_lab(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def image(seed: int, size: int = 16) -> torch.Tensor:
    return torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_color_losses_ignore_pixel_layout_but_see_a_tint() -> None:
    x = image(0)
    shuffled = x.flatten(2)[:, :, torch.randperm(256, generator=torch.Generator().manual_seed(1))].view_as(x)
    tinted = (x * torch.tensor([1.0, 0.8, 0.5]).view(1, 3, 1, 1)).clamp(0, 1)
    for loss in (color_loss, palette_loss):
        assert float(loss(x, shuffled)) == pytest.approx(0.0, abs=1e-6)
        assert float(loss(x, tinted)) > 1e-3


def test_color_targets_may_differ_in_size_and_be_precomputed() -> None:
    pred, target = torch.full((2, 3, 8, 8), 0.4), torch.full((1, 3, 32, 32), 0.4)
    assert float(palette_loss(pred, target)) == pytest.approx(0.0, abs=1e-8)
    assert float(color_loss(pred, color_stats(target))) == pytest.approx(0.0, abs=1e-8)
    x, y = image(4), image(5, 24)
    assert float(palette_loss(x, palette_quantiles(y))) == pytest.approx(float(palette_loss(x, y)), rel=1e-6)


def test_palette_keeps_a_sparse_painting_s_ink_where_mean_and_spread_do_not() -> None:
    """Mostly paper, a few ink pixels: a flat grey with the same mean and spread is a perfect match
    for :func:`color_loss`, not for :func:`palette_loss` (which wants paper *and* ink)."""
    painting = torch.full((1, 3, 32, 32), 0.9)
    painting[..., :4, :] = 0.1  # 1/8 of the picture is ink
    stats_like = torch.full_like(painting, 0.0)
    stats_like[...] = painting.mean()
    stats_like += (painting - painting.mean()).std() * torch.sign(
        torch.randn(1, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    )
    assert float(palette_loss(stats_like, painting)) > 10 * float(color_loss(stats_like, painting))
    assert float(palette_loss(painting.flip(-1), painting)) == pytest.approx(0.0, abs=1e-8)


def test_color_losses_are_differentiable() -> None:
    x = image(2).requires_grad_(True)
    (color_loss(x, image(3, 24)) + palette_loss(x, image(3, 24))).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and float(x.grad.abs().sum()) > 0
