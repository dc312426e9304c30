"""``mobile``: the CPU-fast generator, designed from ``docs/notes/cpu-generator-latency.md``.

What the latency study measured, and what this design takes from it:

* **PixelUnshuffle(4) in**: a lossless space-to-depth, so every convolution after it runs at 1/16
  of the pixels; designs C1/C2 were 2.7–4.3× faster than the peer at 1024².
* **Inverted-residual depthwise-separable blocks** (Sandler et al., CVPR 2018) at 1/4 resolution,
  or at 1/8 with ``trunk_width`` (C7/C8: a larger receptive field for the same cost).
* **No instance norm on the hot path**: IN cost 1.6–1.8× there. ``norm="batch"`` trains with
  BatchNorm and folds into the convolutions at export; ``"none"`` is the measured fastest.
* **Resize-convolution out** (nearest ×2 + conv, twice), not PixelShuffle: the failed CPU run
  (``docs/notes/cpu-training-attempt.md``) drew a grid with PixelShuffle(4) at the output. The input
  RGB is concatenated before the last conv (``full_res_skip``) so full-resolution edges are
  available without an additive residual that pins the output to the photo.
* **Optional ½-resolution run + fast guided filter** (``half_res=True``, D2/D3): the network sees
  a 2×2 average-pooled image, and a guided filter (He & Sun 2015) transfers its result back to full
  resolution along the photo's edges. The only designs that cleared 4× the peer with margin.
  The filter works on pre-sigmoid logits, so the output stays in (0, 1) with gradients everywhere.

* **Several styles in one model** (``num_styles=K``): each trunk block's output gets a per-channel
  scale and shift from a linear map of the style vector (FiLM, Perez et al. 2018 — the conditional
  instance norm of Dumoulin et al. 2017 without the normalisation, which the CPU path avoids).
  Being linear in the style vector, a convex mix of one-hots interpolates between styles.

``PRESETS`` names the studied designs so benchmarks and configs can refer to them.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from huafeng.models.blocks import ConvNormAct, InvertedResidual, Pad, UpConv, check_multiple
from huafeng.models.guided_filter import FastGuidedFilter
from huafeng.models.registries import GENERATORS

#: Designs from the latency study (``docs/notes/cpu-generator-latency.md``) as constructor kwargs.
PRESETS: dict[str, dict[str, Any]] = {
    "c1": dict(width=32, expansion=4, n_blocks=6),
    "c2": dict(width=48, expansion=3, n_blocks=8),
    "c7": dict(width=32, trunk_width=96, expansion=2, n_blocks=6),
    "c8": dict(width=48, trunk_width=96, expansion=4, n_blocks=8),
    "c11": dict(width=32, expansion=3, n_blocks=10, kernel=5),
    "d2": dict(width=48, expansion=3, n_blocks=8, half_res=True),
    "d3": dict(width=48, trunk_width=96, expansion=4, n_blocks=8, half_res=True),
}


@GENERATORS.register("mobile")
class MobileGenerator(nn.Module):
    """PixelUnshuffle(4) → inverted residuals → 2× resize-conv → sigmoid (optionally ½-res + guided filter).

    Defaults are design C2 (width 48, expansion 3, 8 blocks, full resolution).

    Args:
        width: channels at 1/4 resolution (the stem, the trunk when ``trunk_width`` is 0, the decoder input).
        n_blocks: inverted-residual blocks in the trunk.
        expansion: hidden-width multiplier inside each block.
        kernel: depthwise kernel size (5 buys receptive field cheaply, design C11).
        trunk_width: if > 0, the trunk runs at 1/8 resolution with this many channels.
        up_width: channels of the ½-resolution decoder stage.
        norm: ``"none"`` or ``"batch"`` (folds at export); ``"instance"`` works but is slow on CPU.
        half_res: run everything at ½ resolution and upsample with a fast guided filter.
        gf_radius, gf_eps: guided-filter window radius (at ½ resolution) and regulariser.
        full_res_skip: feed the input RGB to the last convolution.
        pad: ``"zeros"`` (the first library's models) or ``"reflect"``. Zero padding at every
            spatial conv lets the network see the frame edge as a dark border, and trained
            generators paint a 1–2 px coloured line along it; reflection removes that cue.
    """

    def __init__(
        self,
        width: int = 48,
        n_blocks: int = 8,
        expansion: int = 3,
        kernel: int = 3,
        trunk_width: int = 0,
        up_width: int = 16,
        norm: str = "none",
        act: str = "relu6",
        half_res: bool = False,
        gf_radius: int = 2,
        gf_eps: float = 1e-2,
        full_res_skip: bool = True,
        pad: Pad = "zeros",
        num_styles: int = 0,
    ) -> None:
        super().__init__()
        self.half_res = half_res
        self.num_styles = num_styles
        self.full_res_skip = full_res_skip
        self.deep_trunk = bool(trunk_width)
        self.multiple = 4 * (2 if trunk_width else 1) * (2 if half_res else 1)
        self.stem = nn.Sequential(
            nn.PixelUnshuffle(4), ConvNormAct(48, width, 3, norm=norm, act=act, pad=pad)
        )
        self.down: nn.Module = nn.Identity()
        self.up: nn.Module = nn.Identity()
        c = width
        if trunk_width:
            self.down = ConvNormAct(width, trunk_width, 3, 2, norm=norm, act=act, pad=pad)
            self.up = UpConv(trunk_width, width, norm=norm, act=act, pad=pad)
            c = trunk_width
        self.trunk = nn.Sequential(
            *[
                InvertedResidual(c, c, expansion=expansion, kernel=kernel, norm=norm, act=act, pad=pad)
                for _ in range(n_blocks)
            ]
        )
        self.film: nn.Linear | None = None
        if num_styles:
            # Zero init: every style starts as the identity modulation, so early training is shared.
            self.film = nn.Linear(num_styles, 2 * c * n_blocks, bias=False)
            nn.init.zeros_(self.film.weight)
        # 1/4 → 1/2: depthwise-separable resize-conv (a dense 3×3 here would cost as much as the trunk).
        self.up1 = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            ConvNormAct(width, width, 3, norm=norm, act="none", groups=width, pad=pad),
            ConvNormAct(width, up_width, 1, norm=norm, act=act),
        )
        # 1/2 → 1: resize-conv straight to RGB logits (3 output channels keep the full-res cost small).
        self.up2 = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Conv2d(up_width + (3 if full_res_skip else 0), 3, 3, padding=1, padding_mode=pad)
        self.guided = FastGuidedFilter(gf_radius, gf_eps) if half_res else None

    def _run_trunk(self, x: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        if self.film is None:
            return self.trunk(x)  # type: ignore[no-any-return]
        if style is None:
            raise ValueError(f"this generator has {self.num_styles} styles: pass a (N, K) style vector")
        mod = self.film(style).view(style.shape[0], -1, 2, x.shape[1], 1, 1)
        for i, block in enumerate(self.trunk):
            x = block(x) * (1 + mod[:, i, 0]) + mod[:, i, 1]
        return x

    def logits(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        """Pre-sigmoid RGB at the resolution of ``x``."""
        s = self.stem(x)
        t = self._run_trunk(self.down(s), style)
        f = s + self.up(t) if self.deep_trunk else t  # the 1/8 trunk is a residual branch at 1/4
        y = self.up2(self.up1(f))
        if self.full_res_skip:
            y = torch.cat([y, x], dim=1)
        out: torch.Tensor = self.head(y)
        return out

    def forward(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        check_multiple(x, self.multiple, "mobile")
        if self.guided is None:
            return torch.sigmoid(self.logits(x, style))
        x_lo = F.avg_pool2d(x, 2)
        return torch.sigmoid(self.guided(x_lo, self.logits(x_lo, style), x))
