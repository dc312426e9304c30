"""Pixel-space regularisers: total variation, cycle consistency, identity. Pure; the caller weights.

R1 lives in :mod:`huafeng.losses.adversarial` (it needs the D's logits) and is re-exported here.
"""

from __future__ import annotations

import torch

from huafeng.losses.adversarial import r1_penalty

__all__ = ["cycle_loss", "identity_loss", "r1_penalty", "tv_loss"]


def tv_loss(x: torch.Tensor, p: int = 1) -> torch.Tensor:
    """Total variation ``mean|∂x|ᵖ + mean|∂y|ᵖ`` over an NCHW batch (Mahendran & Vedaldi 2015;
    Johnson et al. 2016 used it against the pixel speckle that Gram losses reward).

    Means, not sums, so the weight does not depend on image size: a horizontal ramp with step
    ``a`` per pixel has ``tv_loss == a`` (p=1). ``p=1`` keeps edges (anisotropic TV); ``p=2``
    smooths them too.
    """
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs()
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs()
    if p != 1:
        dx, dy = dx.pow(p), dy.pow(p)
    return dx.mean() + dy.mean()


def cycle_loss(reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """L1 cycle consistency ``‖F(G(x)) − x‖₁`` (Zhu et al., CycleGAN, ICCV 2017)."""
    return (reconstructed - original).abs().mean()


def identity_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 identity ``‖G(y) − y‖₁`` for an image already in the target domain (Zhu et al. 2017, §5.2;
    Taigman et al. 2017): it stops the generator from shifting the palette of in-domain images."""
    return (output - target).abs().mean()
