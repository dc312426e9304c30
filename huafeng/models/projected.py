"""``projected``: a critic that judges paintings in a frozen ImageNet network's feature space.

Why: a PatchGAN learnt from scratch on a CPU budget (a few hundred steps, a few dozen paintings)
sees pixels and small patches; what makes a picture read as *shanshui* or *ukiyo-e* rather than a
toned photo is mostly at the scale of objects and layout (blank space, flat colour areas, outline
drawing), which a from-scratch critic has no time to learn. Projected GANs (Sauer, Chitta, Müller &
Geiger, "Projected GANs converge faster", NeurIPS 2021) put small trainable heads on a frozen
pretrained network instead, and converge in a fraction of the steps.

Here the frozen network is the **training** backbone, ImageNet MobileNetV2 (the one the Gram and
content losses already use, :class:`huafeng.losses.MobileNetV2Features`), never the grading
backbone (EfficientNet-Lite0) or the tradition classifier built on it. The heads are spectrally
normalised 1×1 → 3×3 → 1×1 convolutions, one per tap, each giving a logit map (the loss averages
a list of maps, as for ``multiscale``); the deepest tap (block 17, stride 32) sees the layout of a
256 px crop as 8×8 positions.

The backbone never trains: :meth:`ProjectedDiscriminator.requires_grad_` (which the training loop
calls to freeze and unfreeze critics) only reaches the heads, and the backbone's BatchNorms stay in
eval mode. In the generator's step the gradient flows through the frozen backbone to the image.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from huafeng.losses.perceptual import MobileNetV2Features
from huafeng.models.discriminators import _maybe_sn
from huafeng.models.registries import DISCRIMINATORS

#: Object-part, object and layout scales (strides 8, 16, 32); channels 32, 96, 320.
DEFAULT_TAPS = ("features.6", "features.13", "features.17")


def _head(cin: int, width: int, spectral_norm: bool) -> nn.Module:
    head = nn.Sequential(
        nn.Conv2d(cin, width, 1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(width, width, 3, padding=1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(width, 1, 1),
    )
    return _maybe_sn(head, spectral_norm)


@DISCRIMINATORS.register("projected")
class ProjectedDiscriminator(nn.Module):
    """Frozen MobileNetV2 taps → one small trainable head each → a list of logit maps.

    ``pretrained=False`` (tests) builds the backbone with random weights; it is frozen either way.
    """

    def __init__(
        self,
        taps: Sequence[str] = DEFAULT_TAPS,
        width: int = 64,
        spectral_norm: bool = True,
        pretrained: bool = True,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if in_channels != 3:
            raise ValueError("the projected critic reads RGB images (in_channels=3)")
        self.taps = tuple(taps)
        self.backbone = MobileNetV2Features(self.taps, pretrained=pretrained)
        with torch.no_grad():
            probe = self.backbone(torch.zeros(1, 3, 64, 64))
        self.heads = nn.ModuleList(_head(probe[t].shape[1], width, spectral_norm) for t in self.taps)

    def requires_grad_(self, requires_grad: bool = True) -> ProjectedDiscriminator:
        """Toggle the heads only: the backbone is a fixed feature space, never trained."""
        self.heads.requires_grad_(requires_grad)
        return self

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = self.backbone(x)
        return [head(feats[t]) for t, head in zip(self.taps, self.heads, strict=True)]
