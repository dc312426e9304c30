"""Pick the pretrained base style each new style starts from: the closest by Gram distance.

On a CPU budget the starting row of the norm tables matters more than any loss weight: a new ink
style started from the base's grey-stroke style beats one started from its colourful mosaic in the
same minutes (``docs/notes/pretrained-base.md``). So each base style is run on a few photos, and the
one whose outputs' MobileNetV2 Gram matrices are closest (relative, averaged over the style taps)
to the target paintings' is chosen. This is the training loss's own measure, not the grading
backbone's (EfficientNet-Lite0 never steers training).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from huafeng import losses
from huafeng.models.pretrained import BASE_STYLES, PretrainedCIN


@torch.no_grad()
def _grams(
    net: torch.nn.Module, imgs: Sequence[torch.Tensor], taps: tuple[str, ...]
) -> dict[str, torch.Tensor]:
    """Mean Gram per tap over ``imgs`` (each 1×3×H×W in [0, 1])."""
    acc: dict[str, torch.Tensor] = {}
    for img in imgs:
        feats = net(img)
        for t in taps:
            g = losses.gram(feats[t])[0]
            acc[t] = acc.get(t, 0) + g / len(imgs)  # type: ignore[operator]
    return acc


def _distance(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    return float(sum(((a[t] - b[t]).pow(2).sum() / b[t].pow(2).sum()).item() for t in b) / len(b))


@torch.no_grad()
def rank_base_styles(
    photos: Sequence[torch.Tensor],
    targets: Sequence[Sequence[torch.Tensor]],
    *,
    feat_net: torch.nn.Module | None = None,
) -> list[list[tuple[float, int]]]:
    """For each target group (the paintings of one new style), the 26 base styles by distance.

    ``photos`` and paintings are 1×3×H×W tensors in [0, 1] (H, W multiples of 4 for the photos).
    Returns, per group, ``[(distance, base_index), …]`` sorted nearest first.
    """
    taps = losses.STYLE_TAPS
    net = feat_net if feat_net is not None else losses.MobileNetV2Features(taps).eval()
    base = PretrainedCIN(BASE_STYLES, init_styles=range(BASE_STYLES)).eval()
    eye = torch.eye(BASE_STYLES)
    outs = [_grams(net, [base(p, eye[k : k + 1]) for p in photos], taps) for k in range(BASE_STYLES)]
    ranked = []
    for group in targets:
        tg = _grams(net, list(group), taps)
        ranked.append(sorted((_distance(o, tg), k) for k, o in enumerate(outs)))
    return ranked


def pick_base_styles(
    photos: Sequence[torch.Tensor], targets: Sequence[Sequence[torch.Tensor]], **kw: object
) -> list[int]:
    """The nearest base style index for each target group (see :func:`rank_base_styles`)."""
    return [r[0][1] for r in rank_base_styles(photos, targets, **kw)]  # type: ignore[arg-type]


def pick_for_files(
    photos: Sequence[Path],
    groups: Sequence[Sequence[Path]],
    *,
    border: float = 0.04,
    side: int = 192,
    n_photos: int = 4,
    n_paintings: int = 8,
) -> list[int]:
    """:func:`pick_base_styles` from files: ``n_photos`` photos and up to ``n_paintings`` paintings
    per group, each spread over its list, at ``side`` px (the pick needs no more to be stable)."""
    from huafeng.data.folders import load_full, load_square

    def spread(paths: Sequence[Path], n: int) -> Sequence[Path]:
        return paths[:: max(1, len(paths) // n)][:n]

    ph = [t[None] for t in (load_square(p, side) for p in spread(photos, n_photos)) if t is not None]
    paintings = []
    for g in groups:
        loaded = (load_full(p, side, border, trim=True) for p in spread(g, n_paintings))
        paintings.append([t for t in loaded if t is not None])
    return pick_base_styles(ph, paintings)
