"""Building blocks shared by the generators and discriminators.

Every block takes its choices as plain keyword arguments (``norm``, ``act``, ``pad``) so that a
model's constructor reads like its paper's table. Two rules hold throughout, both learnt the hard
way in fast style transfer:

* **Upsampling is resize-convolution** (nearest ×2, then a convolution; Odena, Dumoulin & Olah,
  "Deconvolution and Checkerboard Artifacts", Distill 2016). Transposed convolutions and
  PixelShuffle draw a periodic grid whenever the kernel size is not divisible by the stride, which
  Gram losses then lock in (see ``docs/notes/cpu-training-attempt.md``).
* **Normalisation is a choice, not a default.** Instance norm (Ulyanov et al. 2016) is what makes
  Johnson-style nets stylise well, but it cannot be folded into a convolution and costs 1.6–1.8× on
  CPU (``docs/notes/cpu-generator-latency.md``); BatchNorm folds into the preceding convolution at export.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Literal

import torch
from torch import nn

from huafeng.errors import InputError

Norm = Literal["instance", "batch", "none"]
Act = Literal["relu", "relu6", "lrelu", "none"]
Pad = Literal["reflect", "zeros"]

NORMS: tuple[str, ...] = ("instance", "batch", "none")
ACTS: tuple[str, ...] = ("relu", "relu6", "lrelu", "none")


def make_norm(kind: str, channels: int) -> nn.Module:
    """Instance norm is affine (a per-channel scale/shift is what a style "is", Dumoulin 2017)."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise InputError(f"unknown norm {kind!r}; valid: {', '.join(NORMS)}")


def make_act(kind: str) -> nn.Module:
    if kind == "relu":
        return nn.ReLU(inplace=True)
    if kind == "relu6":  # bounded: keeps int8 activation ranges tight (Sandler et al. 2018)
        return nn.ReLU6(inplace=True)
    if kind == "lrelu":  # discriminators: a dead ReLU gives the generator no gradient
        return nn.LeakyReLU(0.2, inplace=True)
    if kind == "none":
        return nn.Identity()
    raise InputError(f"unknown activation {kind!r}; valid: {', '.join(ACTS)}")


class ConvNormAct(nn.Sequential):
    """Conv → norm → activation, with "same" padding.

    A ``Sequential`` with children named ``conv``/``norm``/``act`` so that
    :func:`huafeng.train.export.fold_batchnorm` can find and fold Conv→BatchNorm pairs. The conv
    has no bias when a norm follows (the norm's shift makes it redundant).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int = 3,
        stride: int = 1,
        *,
        norm: str = "none",
        act: str = "relu",
        groups: int = 1,
        pad: Pad = "zeros",
    ) -> None:
        conv = nn.Conv2d(
            cin,
            cout,
            kernel,
            stride,
            padding=kernel // 2,
            padding_mode=pad,
            groups=groups,
            bias=norm == "none",
        )
        super().__init__(OrderedDict(conv=conv, norm=make_norm(norm, cout), act=make_act(act)))


class ResidualBlock(nn.Module):
    """Johnson et al. 2016 / CycleGAN residual block: two 3×3 convs, no activation after the sum."""

    def __init__(self, channels: int, *, norm: str = "instance", pad: Pad = "reflect") -> None:
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(channels, channels, 3, norm=norm, act="relu", pad=pad),
            ConvNormAct(channels, channels, 3, norm=norm, act="none", pad=pad),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpConv(nn.Sequential):
    """Resize-convolution ×``scale``: nearest-neighbour upsampling then a conv (Odena et al. 2016)."""

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int = 3,
        *,
        scale: int = 2,
        norm: str = "none",
        act: str = "relu",
        pad: Pad = "zeros",
        groups: int = 1,
    ) -> None:
        super().__init__(
            OrderedDict(
                up=nn.Upsample(scale_factor=scale, mode="nearest"),
                conv=ConvNormAct(cin, cout, kernel, norm=norm, act=act, pad=pad, groups=groups),
            )
        )


class InvertedResidual(nn.Module):
    """MobileNetV2 block (Sandler et al., CVPR 2018): 1×1 expand → k×k depthwise → 1×1 linear project.

    The projection is linear (no activation) because a ReLU on the narrow bottleneck destroys
    information; the skip is used whenever the shapes allow. Cheap on CPU: the expensive 1×1 convs
    are plain GEMMs and the depthwise conv is memory-bound but tiny.
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        *,
        expansion: int = 4,
        kernel: int = 3,
        stride: int = 1,
        norm: str = "batch",
        act: str = "relu6",
        pad: Pad = "zeros",
    ) -> None:
        super().__init__()
        hidden = cin * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(ConvNormAct(cin, hidden, 1, norm=norm, act=act))
        layers += [
            ConvNormAct(hidden, hidden, kernel, stride, norm=norm, act=act, groups=hidden, pad=pad),
            ConvNormAct(hidden, cout, 1, norm=norm, act="none"),
        ]
        self.body = nn.Sequential(*layers)
        self.use_skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.use_skip else y


class CondInstanceNorm(nn.Module):
    """Conditional instance norm (Dumoulin, Shlens & Kudlur, ICLR 2017, "A Learned Representation
    for Artistic Style"): one (γ, β) pair per style, selected — or mixed — by a style weight vector.

    ``style`` is (N, K); ``γ = style @ Γ`` and ``β = style @ Β``. A one-hot picks one style, and
    convex weights interpolate the affine parameters, which is what gives smooth style mixing.
    ``Γ`` starts at 1 and ``Β`` at 0 for every style, so an untrained net is style-agnostic.
    """

    def __init__(self, channels: int, num_styles: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.gamma = nn.Parameter(torch.ones(num_styles, channels))
        self.beta = nn.Parameter(torch.zeros(num_styles, channels))

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        g = (style @ self.gamma)[:, :, None, None]
        b = (style @ self.beta)[:, :, None, None]
        return self.norm(x) * g + b


def check_multiple(x: torch.Tensor, multiple: int, model: str) -> None:
    """Raise a readable error instead of a shape mismatch deep inside a skip connection.

    Skipped while tracing for ONNX export (a Python ``if`` on a shape would be frozen into the graph).
    """
    if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
        return
    if x.ndim != 4 or x.shape[1] != 3:
        raise InputError(f"{model}: expected an (N, 3, H, W) image batch, got shape {tuple(x.shape)}")
    h, w = int(x.shape[2]), int(x.shape[3])
    if h % multiple or w % multiple:
        raise InputError(
            f"{model}: height and width must be multiples of {multiple}, got {h}×{w} (pad first)"
        )
