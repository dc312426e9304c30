"""The fixed style targets of a run (``loss.style_target: fixed``): Grams, colour statistics and
palette quantiles of each whole reference painting, computed once, and one drawn per sample.

Why framings (``data.style_views``): the deepest style tap sees a 320 px painting as about 20×20
positions, so its Gram moved by 10-80% (relative) between framings a few pixels apart on 4 of 7
benchmark paintings, and a learnt style followed the framing (docs/learn_style.md, session 12). The
mean over a few framings is what the painting's statistics are, not what its border crop happened
to be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from huafeng import losses

#: (Grams by tap, Lab mean/spread, palette quantiles) of the fixed reference paintings.
Targets = tuple[dict[str, torch.Tensor], tuple[torch.Tensor, torch.Tensor], torch.Tensor]

Refs = list[list[Targets]]


@dataclass(frozen=True)
class StyleTaps:
    """Where the Gram loss reads the images: MobileNetV2 taps, their weights, and the scales.

    Why scales (``loss.style_scales``): the deepest default tap sees a 256 px crop as a 16 × 16 grid,
    so nothing in the loss sees layout at the grid the judge's coarsest stage does (8 × 8); the same
    taps on a half-size copy do (docs/learn_style.md, session 13)."""

    taps: tuple[str, ...] = losses.STYLE_TAPS
    weights: dict[str, float] | None = None
    scales: tuple[float, ...] = (1.0,)

    def entries(self) -> list[tuple[str, str, float]]:
        """(Gram key, tap, scale) of every Gram the loss compares."""
        return [(losses.scale_key(t, s), t, s) for s in self.scales for t in self.taps]

    def key_weights(self) -> dict[str, float] | None:
        if self.weights is None:
            return None
        return {k: self.weights.get(t, 1.0) for k, t, _ in self.entries()}


def feats_at_scales(
    net: nn.Module, img: torch.Tensor, st: StyleTaps, full: dict[str, torch.Tensor] | None = None
) -> dict[str, torch.Tensor]:
    """The features of ``img`` at every tap and scale of ``st``, by :func:`losses.scale_key`
    (``full``: its features at scale 1 when the caller already has them)."""
    out: dict[str, torch.Tensor] = {}
    for s in st.scales:
        feats = full if s == 1 and full is not None else net(losses.rescaled(img, s))
        out |= {losses.scale_key(t, s): feats[t] for t in st.taps}
    return out


def grams_at_scales(net: nn.Module, img: torch.Tensor, st: StyleTaps) -> dict[str, torch.Tensor]:
    """The Grams of ``img`` at every tap and scale of ``st``, by :func:`losses.scale_key`."""
    return {k: losses.gram(f) for k, f in feats_at_scales(net, img, st).items()}


def framings(img: torch.Tensor, n: int) -> list[torch.Tensor]:
    """``n`` framings of a 1×3×H×W painting: as is, mirrored, 2% then 4% more cut per side, mirrored."""
    out = []
    h, w = img.shape[-2:]
    for cut in (0.0, 0.02, 0.04):
        dy, dx = round(h * cut), round(w * cut)
        v = img[..., dy : h - dy, dx : w - dx]
        out += [v, v.flip(-1)]
    return out[:n]


@torch.no_grad()
def reference_targets(
    net: nn.Module | None,
    refs: list[list[torch.Tensor]],
    st: StyleTaps,
    device: torch.device,
    views: int = 1,
) -> Refs:
    """Grams (at every tap and scale of ``st``), colour statistics and palette quantiles of each
    whole reference painting, computed once: each the mean over ``views`` framings
    (:func:`framings`; ``data.style_views``)."""
    out: Refs = []
    for group in refs:
        items = []
        for img in group:
            per_view = []
            for v in framings(img.to(device), views):
                grams = grams_at_scales(net, v, st) if net is not None else {}
                per_view.append((grams, losses.color_stats(v), losses.palette_quantiles(v)))
            items.append(mean_targets(per_view))
        out.append(items)
    return out


def mean_targets(per_view: list[Targets]) -> Targets:
    """The mean of several framings' targets (one framing: itself)."""
    if len(per_view) == 1:
        return per_view[0]

    def mean(ts: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(ts).mean(0)

    grams = {t: mean([p[0][t] for p in per_view]) for t in per_view[0][0]}
    stats = (mean([p[1][0] for p in per_view]), mean([p[1][1] for p in per_view]))
    return grams, stats, mean([p[2] for p in per_view])


def pick_targets(refs: Refs, labels: torch.Tensor, seed: int, step: int, rank: int) -> Targets:
    """One reference per sample (of that sample's style), drawn from ``(seed, step, rank)``."""
    rng = np.random.default_rng([seed, step, rank, 7])
    chosen = [refs[int(k)][int(rng.integers(len(refs[int(k)])))] for k in labels.tolist()]
    grams = {t: torch.cat([c[0][t] for c in chosen]) for t in chosen[0][0]}
    stats = (torch.cat([c[1][0] for c in chosen]), torch.cat([c[1][1] for c in chosen]))
    return grams, stats, torch.cat([c[2] for c in chosen])
