"""Discriminators: NCHW in [0, 1] (``in_channels`` of them; 6 for a pix2pix-style conditional D that
sees input and output side by side) → raw logits, no sigmoid (the losses in
:mod:`huafeng.losses.adversarial` expect logits).

Output shapes, by design:

* ``patch``, ``resnet``: a logit map ``(N, 1, h, w)``, one logit per overlapping patch.
* ``multiscale``: a ``list`` of such maps, finest scale first.
* ``dcgan``: one logit per image, ``(N, 1)``.

Inputs are mapped to [-1, 1] inside, the range the original architectures were tuned for.
``spectral_norm=True`` wraps every conv/linear with spectral normalisation (Miyato et al., ICLR
2018), which bounds the D's Lipschitz constant and is the usual companion of the hinge loss; with
it the default is no other normalisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from huafeng.models.blocks import make_norm
from huafeng.models.registries import DISCRIMINATORS


def _maybe_sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Spectral-normalise every Conv2d/Linear inside ``module`` (in place) when ``enabled``."""
    if enabled:
        for m in list(module.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                _spectral_norm(m)
    return module


def _default_norm(norm: str | None, spectral_norm: bool, fallback: str) -> str:
    return norm if norm is not None else ("none" if spectral_norm else fallback)


@DISCRIMINATORS.register("patch")
class PatchDiscriminator(nn.Module):
    """PatchGAN (Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks",
    CVPR 2017): a fully convolutional D that classifies overlapping patches.

    With ``n_layers=3`` each logit sees a 70×70 patch — texture and local stroke layout, the part of
    "style" that Gram losses miss — and the net runs on any input size ≥ 2^(n_layers+2) px.
    """

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str | None = None,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        norm_kind = _default_norm(norm, spectral_norm, "instance")
        c = base_channels
        layers: list[nn.Module] = [nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        for i in range(1, n_layers + 1):
            c_out = base_channels * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [
                nn.Conv2d(c, c_out, 4, stride, 1, bias=norm_kind == "none"),
                make_norm(norm_kind, c_out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            c = c_out
        layers.append(nn.Conv2d(c, 1, 4, 1, 1))
        self.net = _maybe_sn(nn.Sequential(*layers), spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x * 2 - 1)
        return out


@DISCRIMINATORS.register("multiscale")
class MultiScaleDiscriminator(nn.Module):
    """Several PatchGANs on an image pyramid (Wang et al., pix2pixHD, CVPR 2018).

    The coarse Ds see large structures (motifs, blank space) with the same small receptive field,
    the fine D sees strokes. Returns a list of logit maps, finest first; the adversarial losses
    average over the list.
    """

    def __init__(
        self,
        in_channels: int = 3,
        n_scales: int = 3,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str | None = None,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.ds = nn.ModuleList(
            PatchDiscriminator(in_channels, base_channels, n_layers, norm, spectral_norm)
            for _ in range(n_scales)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = []
        for i, d in enumerate(self.ds):
            if i:  # anti-aliased ×½ (avg pool), borders not darkened by zero padding
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outs.append(d(x))
        return outs


class _DBlock(nn.Module):
    """Pre-activation residual down-block of the SNGAN/BigGAN discriminators (Miyato et al. 2018)."""

    def __init__(self, cin: int, cout: int, *, first: bool, down: bool) -> None:
        super().__init__()
        self.first = first  # no activation on raw pixels in the first block ("optimised block")
        self.down = down
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout or down else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.leaky_relu(x, 0.2)
        h = self.conv2(F.leaky_relu(self.conv1(h), 0.2))
        s = self.skip(x)
        if self.down:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s


@DISCRIMINATORS.register("resnet")
class ResnetDiscriminator(nn.Module):
    """Residual PatchGAN: SNGAN-style residual down-blocks (Miyato et al. 2018), ending in a 1×1 conv
    to a logit map instead of a global sum, so it judges patches like ``patch`` but with a deeper,
    better-conditioned stack. Spectral norm is on by default, as in the paper."""

    def __init__(
        self, in_channels: int = 3, base_channels: int = 64, n_down: int = 4, spectral_norm: bool = True
    ) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        c = in_channels
        for i in range(n_down):
            c_out = base_channels * min(2**i, 8)
            blocks.append(_DBlock(c, c_out, first=i == 0, down=True))
            c = c_out
        blocks += [nn.LeakyReLU(0.2), nn.Conv2d(c, 1, 1)]
        self.net = _maybe_sn(nn.Sequential(*blocks), spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x * 2 - 1)
        return out


@DISCRIMINATORS.register("dcgan")
class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator (Radford, Metz & Chintala, ICLR 2016): 4×4 stride-2 convs with BatchNorm
    and LeakyReLU (none on the first layer), then global average pooling and a linear layer, so it
    gives one logit per image at any input size ≥ 2^n_layers px: a global-composition critic that
    complements the patch Ds."""

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 64,
        n_layers: int = 4,
        norm: str | None = None,
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        norm_kind = _default_norm(norm, spectral_norm, "batch")
        layers: list[nn.Module] = []
        c = in_channels
        for i in range(n_layers):
            c_out = base_channels * min(2**i, 8)
            k = "none" if i == 0 else norm_kind
            layers += [
                nn.Conv2d(c, c_out, 4, 2, 1, bias=k == "none"),
                make_norm(k, c_out),
                nn.LeakyReLU(0.2, True),
            ]
            c = c_out
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1)]
        self.net = _maybe_sn(nn.Sequential(*layers), spectral_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x * 2 - 1)
        return out
