"""Adversarial losses on raw logits, and the R1 gradient penalty. Pure functions; the caller weights.

``kind`` is one of:

* ``"lsgan"`` — least squares, targets 1/0 (Mao et al., ICCV 2017); CycleGAN's choice (Zhu 2017).
* ``"hinge"`` — Lim & Ye 2017, used with spectral norm by Miyato et al. 2018 and BigGAN.
* ``"nonsat"`` — the non-saturating logistic loss (Goodfellow et al. 2014), written with
  ``softplus`` so it is stable for large logits (``-log σ(x) = softplus(-x)``).

Logits may be one tensor or a list (the ``multiscale`` D); a list is averaged over its entries so
the loss scale does not depend on the number of scales. D losses are the *sum* of the real and
fake terms (no ½).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from huafeng.errors import InputError

Logits = torch.Tensor | Sequence[torch.Tensor]

KINDS: tuple[str, ...] = ("lsgan", "hinge", "nonsat")

_D: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "lsgan": lambda r, f: (r - 1).pow(2).mean() + f.pow(2).mean(),
    "hinge": lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean(),
    "nonsat": lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean(),
}
_G: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "lsgan": lambda f: (f - 1).pow(2).mean(),
    "hinge": lambda f: -f.mean(),
    "nonsat": lambda f: F.softplus(-f).mean(),
}


def _as_list(x: Logits) -> list[torch.Tensor]:
    return [x] if isinstance(x, torch.Tensor) else list(x)


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise InputError(f"unknown adversarial loss {kind!r}; valid: {', '.join(KINDS)}")


def d_loss(kind: str, real_logits: Logits, fake_logits: Logits) -> torch.Tensor:
    """Discriminator loss: push real logits up and fake logits down (fake must be detached by the caller)."""
    _check(kind)
    reals, fakes = _as_list(real_logits), _as_list(fake_logits)
    if len(reals) != len(fakes):
        raise ValueError(f"{len(reals)} real vs {len(fakes)} fake logit tensors")
    return torch.stack([_D[kind](r, f) for r, f in zip(reals, fakes, strict=True)]).mean()


def g_loss(kind: str, fake_logits: Logits) -> torch.Tensor:
    """Generator loss: make the D call the fakes real."""
    _check(kind)
    return torch.stack([_G[kind](f) for f in _as_list(fake_logits)]).mean()


def r1_penalty(real_logits: Logits, real_images: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do actually Converge?", ICML 2018):
    ``E‖∇ₓ D(x)‖²`` on real data only, summed over pixels, averaged over the batch.

    It penalises the D for a non-flat response around the data, which is what makes GAN training
    locally convergent; the paper's loss term is ``γ/2 · r1_penalty``. ``real_images`` must have
    had ``requires_grad_(True)`` before the D forward. Lazily applied every 16 steps (StyleGAN2)
    it is cheap.
    """
    if not real_images.requires_grad:
        raise ValueError("r1_penalty: call real_images.requires_grad_(True) before running the discriminator")
    total = torch.stack([r.sum() for r in _as_list(real_logits)]).sum()
    (grad,) = torch.autograd.grad(total, real_images, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()
