"""The perceptual terms of a G step (content, Gram style, colour, palette, TV), as one table.

Kept apart from :mod:`huafeng.train.style_task` (the step itself) so what a term sees and how a new
one is added read in one place: write the pure function in :mod:`huafeng.losses`, give it a weight
in :class:`huafeng.config.LossCfg` and add one entry to :data:`PERCEPTUAL_TERMS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from huafeng import losses
from huafeng.train.style_targets import StyleTaps, Targets, feats_at_scales, grams_at_scales


@dataclass
class TermInputs:
    """What a perceptual term may look at; features are computed once, on first use."""

    lc: Any  # the run's LossCfg
    net: nn.Module | None
    fake: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    tgt: Targets | None
    style: StyleTaps
    content_taps: tuple[str, ...]

    @functools.cached_property
    def fake_feats(self) -> dict[str, torch.Tensor]:
        assert self.net is not None  # built whenever content or style has a weight
        return self.net(self.fake)  # type: ignore[no-any-return]

    @functools.cached_property
    def photo_feats(self) -> dict[str, torch.Tensor]:
        assert self.net is not None
        with torch.no_grad():  # a target only
            return self.net(self.x)  # type: ignore[no-any-return]

    @functools.cached_property
    def grams(self) -> dict[str, torch.Tensor]:
        """Fixed reference Grams, else each photo's paired painting crop's."""
        if self.tgt is not None:
            return self.tgt[0]
        assert self.net is not None
        with torch.no_grad():
            return grams_at_scales(self.net, self.y, self.style)


def _content(t: TermInputs) -> torch.Tensor:
    taps = t.content_taps  # relative: α means the same whatever the tap's activation scale
    return losses.content_loss(
        {k: t.fake_feats[k] for k in taps}, {k: t.photo_feats[k] for k in taps}, relative=True
    )


def _style(t: TermInputs) -> torch.Tensor:
    assert t.net is not None
    feats = feats_at_scales(t.net, t.fake, t.style, full=t.fake_feats)
    return losses.style_loss(feats, t.grams, relative=True, layer_weights=t.style.key_weights())


#: The perceptual terms of the G step, by the name of their weight in ``LossCfg``. How to add a
#: loss: write the pure function in :mod:`huafeng.losses`, add its weight to ``LossCfg`` and one
#: entry here; the G step computes every term whose weight is > 0 and sums them weighted.
PERCEPTUAL_TERMS: dict[str, Callable[[TermInputs], torch.Tensor]] = {
    "content": _content,
    "style": _style,
    "color": lambda t: losses.color_loss(t.fake, t.y if t.tgt is None else t.tgt[1]),
    "palette": lambda t: losses.palette_loss(t.fake, t.y if t.tgt is None else t.tgt[2]),
    "tv": lambda t: losses.tv_loss(t.fake),
}


def perceptual(
    lc: Any,
    net: nn.Module | None,
    images: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    tgt: Targets | None,
    style: StyleTaps,
    content_taps: tuple[str, ...] = losses.CONTENT_TAPS,
) -> dict[str, torch.Tensor]:
    """Every :data:`PERCEPTUAL_TERMS` entry with a weight in ``lc`` (the run's LossCfg), for
    ``images`` = (G's output, the photo, the paired painting crop)."""
    fake, x, y = images
    inputs = TermInputs(lc, net, fake, x, y, tgt, style, content_taps)
    return {name: fn(inputs) for name, fn in PERCEPTUAL_TERMS.items() if getattr(lc, name) > 0}
