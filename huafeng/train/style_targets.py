"""The fixed style targets of a run (``loss.style_target: fixed``): Grams, colour statistics and
palette quantiles of each whole reference painting, computed once, and one drawn per sample.

Why framings (``data.style_views``): the deepest style tap sees a 320 px painting as about 20×20
positions, so its Gram moved by 10-80% (relative) between framings a few pixels apart on 4 of 7
benchmark paintings, and a learnt style followed the framing (docs/learn_style.md, session 12). The
mean over a few framings is what the painting's statistics are, not what its border crop happened
to be.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from huafeng import losses

#: (Grams by tap, Lab mean/spread, palette quantiles) of the fixed reference paintings.
Targets = tuple[dict[str, torch.Tensor], tuple[torch.Tensor, torch.Tensor], torch.Tensor]

Refs = list[list[Targets]]


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
    taps: tuple[str, ...],
    device: torch.device,
    views: int = 1,
) -> Refs:
    """Grams, colour statistics and palette quantiles of each whole reference painting, computed once:
    each the mean over ``views`` framings (:func:`framings`; ``data.style_views``)."""
    out: Refs = []
    for group in refs:
        items = []
        for img in group:
            per_view = []
            for v in framings(img.to(device), views):
                feats = net(v) if net is not None else {}
                grams = {t: losses.gram(feats[t]) for t in taps if t in feats}
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
