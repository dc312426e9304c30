"""Colour / palette losses in CIELAB — what the failed CPU run lacked (``docs/notes/cpu-training-attempt.md``:
"no palette shift"). Pure functions; the caller weights.

Why Lab: equal steps are roughly equally visible (CIE 1976), and lightness is separate from the
two opponent chroma axes, so matching statistics per channel does not couple brightness and hue
the way matching RGB channels does (Reinhard et al., "Color Transfer between Images", 2001, make
the same argument for their decorrelated lαβ space). Channels are scaled to ~[0, 1] (L/100) and
~[-1, 1] (a/100, b/100) so the three terms weigh alike.

* :func:`color_loss`: per-channel mean and standard deviation (Reinhard-style global transfer).
* :func:`palette_loss`: 1-D Wasserstein distances of the pixel colours projected on 13 fixed
  directions — a deterministic sliced-Wasserstein distance (Rabin et al. 2011; Heitz et al.,
  CVPR 2021) that matches the whole colour distribution, not just its first two moments.
"""

from __future__ import annotations

import torch

_RGB_TO_XYZ = torch.tensor(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE_D65 = torch.tensor([0.95047, 1.0, 1.08883])


def rgb_to_lab(x: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1] (N, 3, H, W) → scaled CIELAB (L/100, a/100, b/100), differentiable everywhere."""
    x = x.clamp(0.0, 1.0)
    lin = torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055).clamp_min(1e-8).pow(2.4))
    m = _RGB_TO_XYZ.to(x)
    xyz = torch.einsum("ij,njhw->nihw", m, lin) / _WHITE_D65.to(x).view(1, 3, 1, 1)
    d = 6.0 / 29.0  # the cube root's linear toe keeps the gradient finite at black
    f = torch.where(xyz > d**3, xyz.clamp_min(d**3).pow(1.0 / 3.0), xyz / (3 * d * d) + 4.0 / 29.0)
    L = 116.0 * f[:, 1] - 16.0
    a = 500.0 * (f[:, 0] - f[:, 1])
    b = 200.0 * (f[:, 1] - f[:, 2])
    return torch.stack([L, a, b], dim=1) / 100.0


def color_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image Lab channel mean and standard deviation, each (N, 3)."""
    lab = rgb_to_lab(x).flatten(2)
    return lab.mean(2), lab.std(2, unbiased=False)


def color_loss(pred: torch.Tensor, target: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """MSE between Lab means plus MSE between Lab standard deviations.

    ``target`` is an image batch of any size (N or 1 images) or precomputed :func:`color_stats`.
    """
    t_mean, t_std = color_stats(target) if isinstance(target, torch.Tensor) else target
    p_mean, p_std = color_stats(pred)
    return (p_mean - t_mean).pow(2).mean() + (p_std - t_std).pow(2).mean()


def _directions() -> torch.Tensor:
    """3 axes, 6 face diagonals, 4 body diagonals: 13 unit vectors covering the sphere evenly enough."""
    dirs = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 0],
        [1, -1, 0],
        [1, 0, 1],
        [1, 0, -1],
        [0, 1, 1],
        [0, 1, -1],
    ]
    dirs += [[1, 1, 1], [1, 1, -1], [1, -1, 1], [-1, 1, 1]]
    d = torch.tensor(dirs, dtype=torch.float32)
    return d / d.norm(dim=1, keepdim=True)


def palette_quantiles(x: torch.Tensor, n_quantiles: int = 64) -> torch.Tensor:
    """(N, 13, ``n_quantiles``): each image's Lab pixels projected on 13 fixed directions, at evenly
    spaced quantiles — what :func:`palette_loss` compares; precomputed once for a fixed painting."""
    dirs = _directions().to(x)
    proj = torch.einsum("kc,ncp->nkp", dirs, rgb_to_lab(x).flatten(2))
    s = proj.sort(dim=2).values
    idx = torch.linspace(0, s.shape[2] - 1, n_quantiles, device=x.device).round().long()
    return s[:, :, idx]


def palette_loss(pred: torch.Tensor, target: torch.Tensor, n_quantiles: int = 64) -> torch.Tensor:
    """Sliced 1-D Wasserstein-2 distance between the Lab colour distributions of ``pred`` and ``target``.

    Each image's pixels are projected on 13 fixed directions, sorted, and compared at
    ``n_quantiles`` evenly spaced quantiles — so the two images may differ in size. ``target`` is
    (1 or N, 3, H, W) — one painting can serve the whole batch — or its :func:`palette_quantiles`
    (a 3-D tensor). Why beside :func:`color_loss`: a painting that is mostly empty paper with a few
    ink strokes has a low spread, and matching mean and spread flattens a photo to grey; matching
    the distribution asks for mostly paper *and* some ink.
    """
    q = target if target.dim() == 3 else palette_quantiles(target, n_quantiles)
    return (palette_quantiles(pred, q.shape[2]) - q).pow(2).mean()
