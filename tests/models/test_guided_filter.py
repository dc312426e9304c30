"""The fast guided filter used by ``mobile(half_res=True)``: exact box means, and He et al.'s limits."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from huafeng.models.guided_filter import FastGuidedFilter, box_filter


def brute_box(x: torch.Tensor, r: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    out = torch.empty_like(x)
    for i in range(h):
        for j in range(w):
            out[..., i, j] = x[..., max(0, i - r) : i + r + 1, max(0, j - r) : j + r + 1].mean((-2, -1))
    return out


def test_box_filter_is_the_in_image_window_mean() -> None:
    x = torch.rand(1, 2, 7, 9, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(box_filter(x, 2), brute_box(x, 2))


def test_constant_target_stays_constant() -> None:
    g = torch.Generator().manual_seed(0)
    guide_hi = torch.rand(1, 3, 32, 32, generator=g)
    out = FastGuidedFilter(2, 1e-2)(F.avg_pool2d(guide_hi, 2), torch.full((1, 3, 16, 16), 0.3), guide_hi)
    torch.testing.assert_close(out, torch.full_like(out, 0.3))


def test_target_equal_to_guide_restores_full_resolution_detail() -> None:
    """With p = I at low resolution and a tiny ε, a ≈ 1 and b ≈ 0: the output is the *full-resolution*
    guide — detail that bilinear upsampling of the low-resolution target cannot recover."""
    g = torch.Generator().manual_seed(0)
    guide_hi = torch.rand(1, 3, 32, 32, generator=g)
    guide_lo = F.avg_pool2d(guide_hi, 2)
    out = FastGuidedFilter(2, 1e-6)(guide_lo, guide_lo, guide_hi)
    bilinear = F.interpolate(guide_lo, scale_factor=2, mode="bilinear", align_corners=False)
    err_gf = float((out - guide_hi).abs().mean())
    err_bilinear = float((bilinear - guide_hi).abs().mean())
    assert err_gf < 0.05 < err_bilinear


def test_large_eps_smooths() -> None:
    g = torch.Generator().manual_seed(0)
    guide_hi = torch.rand(1, 1, 32, 32, generator=g)
    guide_lo = F.avg_pool2d(guide_hi, 2)
    out = FastGuidedFilter(2, 1e3)(guide_lo, guide_lo, guide_hi)
    assert float(out.std()) < 0.2 * float(guide_hi.std())
