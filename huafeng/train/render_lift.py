"""Training through the engine's reduced render (``train.render_lift``).

Why: a style with ``huafeng.render_scale`` is rendered smaller and lifted back with the photo's own
fine detail (:mod:`huafeng.infer.upsample`). A loss on G's raw output never sees that detail, so the
style term cannot answer for it; on a pale painting the lifted photo texture was what kept the
learnt style far from the painting (docs/learn_style.md, session 10). Here the loss sees what the
user gets.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from huafeng.models.arbitrary import MAX_DETAIL


def detail_gain(g: nn.Module) -> torch.Tensor | None:
    """The generator's learnt amount of lifted photo detail (``detail_logit``), or None (the engine's
    default, 1). Bounded to (0, ``MAX_DETAIL``) by a sigmoid so it can neither flip nor explode."""
    logit = getattr(g, "detail_logit", None)
    return None if logit is None else MAX_DETAIL * torch.sigmoid(logit)


def set_detail_gain(g: nn.Module, amount: float) -> bool:
    """Set the generator's lifted-detail amount to ``amount`` in (0, ``MAX_DETAIL``) — the inverse of
    :func:`detail_gain` — for a run that steers it (``loss.ssim_detail``); False if G has none."""
    logit = getattr(g, "detail_logit", None)
    if logit is None:
        return False
    logit.data.fill_(math.log(amount / (MAX_DETAIL - amount)))
    return True


def lifted(g: nn.Module, x: torch.Tensor, style: torch.Tensor | None, scale: float) -> torch.Tensor:
    """G's picture of ``x`` as the engine renders it: run at ``scale`` (0 = full size), upsampled,
    plus the photo's luma detail above the small size (infer/upsample.detail_upsample), scaled by
    G's :func:`detail_gain` when it learns one."""
    run = (lambda t: g(t, style)) if style is not None else g
    if not scale:
        return run(x)  # type: ignore[no-any-return]
    m = int(getattr(g, "multiple", 1))
    size = tuple(max(m, round(s * scale) // m * m) for s in x.shape[-2:])
    xs = nn.functional.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    up = nn.functional.interpolate(run(xs), size=x.shape[-2:], mode="bilinear", align_corners=False)
    luma = x.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    small = nn.functional.interpolate(
        (xs * luma).sum(1, keepdim=True), size=x.shape[-2:], mode="bilinear", align_corners=False
    )
    band = (x * luma).sum(1, keepdim=True) - small
    gain = detail_gain(g)
    return (up + (band if gain is None else gain * band)).clamp(0, 1)
