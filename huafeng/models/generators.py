"""Full-resolution generators: ``unet``, ``resnet`` (Johnson / CycleGAN) and ``multistyle`` (conditional IN).

All map NCHW float32 RGB in [0, 1] to the same shape in (0, 1) through a sigmoid — not a clamp,
which would zero the gradient of every saturated pixel — and expose ``multiple``: H and W must be
multiples of it (the inference engine reflect-pads to it). The CPU-fast ``mobile`` lives in
:mod:`huafeng.models.fast`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from huafeng.errors import InputError
from huafeng.models.blocks import CondInstanceNorm, ConvNormAct, ResidualBlock, UpConv, check_multiple
from huafeng.models.registries import GENERATORS


@GENERATORS.register("unet")
class UNetGenerator(nn.Module):
    """Encoder–decoder with skip connections (Ronneberger et al. 2015; pix2pix's generator, Isola et al.
    2017).

    Skips carry full-resolution edges past the bottleneck, which suits paired, edge-aligned
    translation (photo → line drawing). Differences from pix2pix, on purpose: 3×3 strided convs
    instead of 4×4 (no uneven kernel overlap), resize-conv upsampling instead of transposed convs
    (no checkerboard), no dropout (its noise is ignored by the generator anyway, Isola §3.1).
    """

    def __init__(
        self, base_channels: int = 32, depth: int = 3, norm: str = "instance", max_channels: int = 256
    ) -> None:
        super().__init__()
        self.multiple = 2**depth
        chans = [min(base_channels * 2**i, max_channels) for i in range(depth + 1)]
        self.stem = ConvNormAct(3, chans[0], 3, norm=norm, act="relu", pad="reflect")
        self.downs = nn.ModuleList(
            nn.Sequential(
                ConvNormAct(chans[i], chans[i + 1], 3, 2, norm=norm, act="relu", pad="reflect"),
                ConvNormAct(chans[i + 1], chans[i + 1], 3, norm=norm, act="relu", pad="reflect"),
            )
            for i in range(depth)
        )
        self.ups = nn.ModuleList(
            UpConv(chans[i + 1], chans[i], norm=norm, act="relu", pad="reflect")
            for i in reversed(range(depth))
        )
        self.fuses = nn.ModuleList(
            ConvNormAct(2 * chans[i], chans[i], 3, norm=norm, act="relu", pad="reflect")
            for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(chans[0], 3, 3, padding=1, padding_mode="reflect")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_multiple(x, self.multiple, "unet")
        h = self.stem(x)
        skips = [h]
        for down in self.downs:
            h = down(h)
            skips.append(h)
        skips.pop()  # the bottleneck itself is not a skip
        for up, fuse in zip(self.ups, self.fuses, strict=True):
            h = fuse(torch.cat([up(h), skips.pop()], dim=1))
        return torch.sigmoid(self.head(h))


@GENERATORS.register("resnet")
class ResnetGenerator(nn.Module):
    """Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer" (ECCV 2016), as
    used by CycleGAN (Zhu et al., ICCV 2017): reflect-padded 9×9 stem, two stride-2 convs, residual
    blocks at 1/4 resolution, two resize-convs up, 9×9 head.

    Defaults are Johnson's (32 channels, 5 blocks); CycleGAN's is ``base_channels=64, n_blocks=9``.
    Reflection padding avoids the dark/bright frame that zero padding teaches the net to paint.
    ``norm="instance"`` is the quality choice (Ulyanov et al. 2016: contrast normalisation per
    image is most of what makes fast style transfer work); ``"batch"`` folds away at export.
    """

    def __init__(self, base_channels: int = 32, n_blocks: int = 5, norm: str = "instance") -> None:
        super().__init__()
        self.multiple = 4
        c = base_channels
        self.net = nn.Sequential(
            ConvNormAct(3, c, 9, norm=norm, act="relu", pad="reflect"),
            ConvNormAct(c, 2 * c, 3, 2, norm=norm, act="relu", pad="reflect"),
            ConvNormAct(2 * c, 4 * c, 3, 2, norm=norm, act="relu", pad="reflect"),
            *[ResidualBlock(4 * c, norm=norm) for _ in range(n_blocks)],
            UpConv(4 * c, 2 * c, norm=norm, act="relu", pad="reflect"),
            UpConv(2 * c, c, norm=norm, act="relu", pad="reflect"),
            nn.Conv2d(c, 3, 9, padding=4, padding_mode="reflect"),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_multiple(x, self.multiple, "resnet")
        return torch.sigmoid(self.net(x))


class _CondConv(nn.Module):
    """(Optional nearest ×2) → reflect-padded conv → conditional IN → optional ReLU."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        stride: int = 1,
        *,
        num_styles: int,
        act: bool,
        up: bool = False,
    ) -> None:
        super().__init__()
        self.up = up
        self.act = act
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, padding_mode="reflect", bias=False)
        self.norm = CondInstanceNorm(cout, num_styles)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        y = self.norm(self.conv(x), style)
        return F.relu(y) if self.act else y


class _CondResidual(nn.Module):
    """Johnson's residual block with conditional instance norms."""

    def __init__(self, channels: int, num_styles: int) -> None:
        super().__init__()
        self.a = _CondConv(channels, channels, 3, num_styles=num_styles, act=True)
        self.b = _CondConv(channels, channels, 3, num_styles=num_styles, act=False)

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x, style), style)


@GENERATORS.register("multistyle")
class MultiStyleGenerator(nn.Module):
    """K styles in one network: Johnson's architecture with every instance norm conditional on a
    style vector (Dumoulin, Shlens & Kudlur, ICLR 2017).

    ``forward(x, style)`` with ``style`` of shape (N, ``num_styles``): a one-hot selects a style,
    convex weights blend styles (the affine parameters are mixed, which Dumoulin et al. show gives a
    smooth, meaningful interpolation). The style parameters are 2·C floats per norm layer, so adding
    a style costs ~3 k parameters at the defaults — what makes a style *library* cheap to ship.
    """

    def __init__(self, num_styles: int = 4, base_channels: int = 32, n_blocks: int = 5) -> None:
        super().__init__()
        if num_styles < 1:
            raise InputError(f"multistyle needs num_styles ≥ 1, got {num_styles}")
        self.multiple = 4
        self.num_styles = num_styles
        c, k = base_channels, num_styles
        self.encoder = nn.ModuleList(
            [
                _CondConv(3, c, 9, num_styles=k, act=True),
                _CondConv(c, 2 * c, 3, 2, num_styles=k, act=True),
                _CondConv(2 * c, 4 * c, 3, 2, num_styles=k, act=True),
            ]
        )
        self.res = nn.ModuleList(_CondResidual(4 * c, k) for _ in range(n_blocks))
        self.decoder = nn.ModuleList(
            [
                _CondConv(4 * c, 2 * c, 3, num_styles=k, act=True, up=True),
                _CondConv(2 * c, c, 3, num_styles=k, act=True, up=True),
            ]
        )
        self.head = nn.Conv2d(c, 3, 9, padding=4, padding_mode="reflect")

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        check_multiple(x, self.multiple, "multistyle")
        if not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()) and (
            style.ndim != 2 or style.shape[1] != self.num_styles or style.shape[0] not in (1, x.shape[0])
        ):
            raise InputError(
                f"multistyle: style must be (N, {self.num_styles}) weights, got shape {tuple(style.shape)}"
            )
        style = style.to(x.dtype)
        h = x
        for layer in self.encoder:
            h = layer(h, style)
        for block in self.res:
            h = block(h, style)
        for layer in self.decoder:
            h = layer(h, style)
        return torch.sigmoid(self.head(h))
