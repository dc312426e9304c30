"""SSIM on luma in torch: how much of the photo's structure an output keeps, on the training batch.

The same measure as the benchmarks' grade (:func:`huafeng.eval.ssim.ssim_luma`: BT.601 luma,
Gaussian window σ 1.5, Wang et al. 2004's constants), written for tensors so a run can watch it
every step (``loss.ssim_target``) without leaving torch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from huafeng.eval.ssim import BT601, K1, K2, gaussian_window

_C1, _C2 = K1**2, K2**2  # data range 1


def _blur(img: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian over (N, 1, H, W), valid region only (no padding bias at the edges)."""
    k = g.numel()
    img = F.conv2d(img, g.view(1, 1, 1, k))
    return F.conv2d(img, g.view(1, 1, k, 1))


def ssim_luma(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean SSIM of the luma of (N, 3, H, W) images in [0, 1] → (N,)."""
    w = torch.tensor(BT601, dtype=a.dtype, device=a.device).view(1, 3, 1, 1)
    ya, yb = (a * w).sum(1, keepdim=True), (b.to(a.dtype) * w).sum(1, keepdim=True)
    g = torch.tensor(gaussian_window(), dtype=a.dtype, device=a.device)  # the grader's own window
    mu_a, mu_b = _blur(ya, g), _blur(yb, g)
    s_aa = _blur(ya * ya, g) - mu_a**2
    s_bb = _blur(yb * yb, g) - mu_b**2
    s_ab = _blur(ya * yb, g) - mu_a * mu_b
    num = (2 * mu_a * mu_b + _C1) * (2 * s_ab + _C2)
    den = (mu_a**2 + mu_b**2 + _C1) * (s_aa + s_bb + _C2)
    return (num / den).mean((1, 2, 3))
