"""Loss functions: pure ``(pred, target) -> Tensor``; the caller applies the weights.

The only module with state is :class:`MobileNetV2Features`, because it holds a frozen network.
"""

from __future__ import annotations

from huafeng.losses.adversarial import d_loss, g_loss, r1_penalty
from huafeng.losses.color import color_loss, color_stats, palette_loss, palette_quantiles, rgb_to_lab
from huafeng.losses.perceptual import (
    CONTENT_TAPS,
    STYLE_TAPS,
    MobileNetV2Features,
    content_loss,
    gram,
    rescaled,
    scale_key,
    style_loss,
)
from huafeng.losses.regularizers import cycle_loss, identity_loss, tv_loss
from huafeng.losses.structure import ssim_luma

__all__ = [
    "CONTENT_TAPS",
    "STYLE_TAPS",
    "MobileNetV2Features",
    "color_loss",
    "color_stats",
    "content_loss",
    "cycle_loss",
    "d_loss",
    "g_loss",
    "gram",
    "identity_loss",
    "palette_loss",
    "palette_quantiles",
    "r1_penalty",
    "rescaled",
    "rgb_to_lab",
    "scale_key",
    "ssim_luma",
    "style_loss",
    "tv_loss",
]
