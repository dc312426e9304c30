"""LPIPS-like perceptual distance on EfficientNet-Lite0: how far a stylization moved from the photo.

Reference: R. Zhang, P. Isola, A. A. Efros, E. Shechtman, O. Wang, "The unreasonable effectiveness
of deep features as a perceptual metric", CVPR 2018 (LPIPS). We follow its recipe — deep features
at several scales, each channel vector **unit-normalised** per pixel, squared differences summed
over channels and averaged over space — **but this is not LPIPS**:

* the network is EfficientNet-Lite0 (:mod:`huafeng.eval.backbone`), not AlexNet/VGG, which we
  cannot load offline and which would not be independent of our training losses anyway;
* there are **no learned linear weights** (LPIPS's ``lin`` layers, fitted to human 2AFC
  judgements); every channel counts equally, as in the paper's "baseline" variant;
* layers are **averaged**, not summed, so the value does not depend on how many taps there are.

So values are comparable with each other (same protocol, same name) but not with published
LPIPS numbers. Each layer's term lies in [0, 4] (two unit vectors are at most 2 apart); 0 means
identical features.

Protocol (name ``percep_effl0_256``): output and input photo are resized identically to shorter
side 256 px (:mod:`huafeng.eval.prep`), the five stage outputs at strides 2-32 are compared, the
mean over layers is reported. Lower is better (closer to the photo's content).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from huafeng.eval.prep import EVAL_SIDE, pair_to_eval
from huafeng.eval.registry import Metric, register_metric

if TYPE_CHECKING:
    import torch

    from huafeng.eval.backbone import EffNetLite0
    from huafeng.eval.gram import StyleReference

EPS = 1e-10  # LPIPS's normalize_tensor epsilon: keeps all-zero feature vectors finite


def unit_normalize(f: torch.Tensor) -> torch.Tensor:
    """Divide each pixel's channel vector by its L2 norm (LPIPS ``normalize_tensor``)."""
    return f / (f.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)


def perceptual_layers(
    output: np.ndarray, content: np.ndarray, *, side: int = EVAL_SIDE, backbone: EffNetLite0 | None = None
) -> dict[str, float]:
    """Per-layer distance (tap name → value in [0, 4]) after bringing both images to ``side``."""
    from huafeng.eval.backbone import get_backbone

    bb = backbone or get_backbone()
    out, ref = pair_to_eval(output, content, side)
    fa, fb = bb.features(out), bb.features(ref)
    return {
        name: float((unit_normalize(fa[name]) - unit_normalize(fb[name])).pow(2).sum(dim=1).mean())
        for name in fa
    }


def perceptual_distance(
    output: np.ndarray, content: np.ndarray, *, side: int = EVAL_SIDE, backbone: EffNetLite0 | None = None
) -> float:
    """Mean over the five layers of :func:`perceptual_layers` (0 = identical, lower = closer)."""
    layers = perceptual_layers(output, content, side=side, backbone=backbone)
    return float(np.mean(list(layers.values())))


@register_metric("percep_effl0_256")
class PerceptualDistance(Metric):
    """LPIPS-like distance to the input photo (lower = more content preserved)."""

    reference = (
        "Zhang et al., The unreasonable effectiveness of deep features as a perceptual metric, CVPR 2018"
    )
    protocol = (
        "LPIPS-like without learned weights: EfficientNet-Lite0 stage outputs s2..s32, unit-normalised "
        "channels, squared L2 over channels, spatial mean, mean over 5 layers; shorter side 256"
    )
    higher_is_better = False
    needs = frozenset({"content"})

    def score(
        self,
        output: np.ndarray,
        *,
        content: np.ndarray | None = None,
        style: StyleReference | Sequence[np.ndarray] | None = None,
    ) -> float:
        if content is None:
            raise ValueError("percep_effl0_256 compares the output to its input photo: pass content=")
        return perceptual_distance(output, content, side=self.side)
