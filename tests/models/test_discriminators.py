"""Discriminator tests, generated from the registry."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from huafeng.models import DISCRIMINATORS, build_discriminator

SMALL: dict[str, dict[str, object]] = {
    "patch": dict(base_channels=8, n_layers=2),
    "multiscale": dict(base_channels=8, n_layers=2, n_scales=2),
    "resnet": dict(base_channels=8, n_down=2),
    "dcgan": dict(base_channels=8, n_layers=3),
    "projected": dict(width=8, pretrained=False),
}
#: Logit maps per D (the others give one): multiscale per scale, projected per backbone tap.
N_OUT = {"multiscale": 2, "projected": 3}
#: Ds that only read RGB (a frozen ImageNet backbone cannot take a 6-channel conditional input).
RGB_ONLY = {"projected"}


def trainable_layers(d: nn.Module) -> list[nn.Module]:
    """Conv/linear layers that train (a projected D's frozen backbone is not the D's to normalise)."""
    return [
        m
        for m in d.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear)) and any(p.requires_grad for p in m.parameters())
    ]


def as_list(y: torch.Tensor | list[torch.Tensor]) -> list[torch.Tensor]:
    return y if isinstance(y, list) else [y]


def test_every_discriminator_has_small_kwargs() -> None:
    assert set(SMALL) == set(DISCRIMINATORS.names())


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_builds_with_defaults(name: str) -> None:
    d = build_discriminator(name).eval()
    with torch.no_grad():
        outs = as_list(d(torch.rand(1, 3, 96, 96)))  # multiscale needs ≥ 96 px at defaults
    assert all(o.shape[:2] == (1, 1) and torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize("in_channels", [3, 6])
@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_output_shapes_at_two_sizes(name: str, in_channels: int) -> None:
    torch.manual_seed(0)
    if in_channels != 3 and name in RGB_ONLY:
        with pytest.raises(ValueError, match="RGB"):
            build_discriminator(name, in_channels=in_channels, **SMALL[name])
        return
    d = build_discriminator(name, in_channels=in_channels, **SMALL[name])
    small = as_list(d(torch.rand(2, in_channels, 32, 32)))
    big = as_list(d(torch.rand(2, in_channels, 64, 96)))
    assert len(small) == len(big) == N_OUT.get(name, 1)
    for s, b in zip(small, big, strict=True):
        assert torch.isfinite(s).all() and torch.isfinite(b).all()
        if name == "dcgan":  # one logit per image at any size
            assert s.shape == b.shape == (2, 1)
        else:  # a logit map that grows with the input
            assert s.ndim == 4 and s.shape[:2] == (2, 1)
            assert b.shape[2] > s.shape[2] and b.shape[3] > b.shape[2]
    if name == "multiscale":  # finest first
        assert small[0].shape[-1] > small[1].shape[-1]


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_gradients_flow(name: str) -> None:
    torch.manual_seed(0)
    d = build_discriminator(name, **SMALL[name])
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    sum(o.mean() for o in as_list(d(x))).backward()  # type: ignore[union-attr]
    for pname, p in d.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and torch.isfinite(p.grad).all(), pname
        else:  # only a projected D's frozen backbone
            assert name == "projected" and pname.startswith("backbone.") and p.grad is None, pname
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


@pytest.mark.parametrize("name", DISCRIMINATORS.names())
def test_spectral_norm_wraps_every_layer(name: str) -> None:
    kw = {k: v for k, v in SMALL[name].items()}
    d = build_discriminator(name, spectral_norm=True, **kw)
    layers = trainable_layers(d)
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    trained = d.heads if name == "projected" else d  # type: ignore[union-attr]
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) for m in trained.modules())
    d.train()
    for _ in range(5):  # power iteration converges: σ_max(W) ≈ 1
        d(torch.rand(1, 3, 32, 32))
    w = layers[1].weight.detach().flatten(1)
    assert float(torch.linalg.matrix_norm(w, ord=2)) == pytest.approx(1.0, abs=0.1)


def test_a_projected_critic_never_trains_its_backbone() -> None:
    """The training loop freezes and unfreezes critics with ``requires_grad_``; a projected D's
    backbone stays frozen through both and its BatchNorms stay in eval mode under ``train()``."""
    d = build_discriminator("projected", **SMALL["projected"])
    d.requires_grad_(True).train()
    backbone = d.backbone  # type: ignore[union-attr]
    assert not any(p.requires_grad for p in backbone.parameters())
    assert all(p.requires_grad for p in d.heads.parameters())  # type: ignore[union-attr]
    assert not any(m.training for m in backbone.modules() if isinstance(m, nn.BatchNorm2d))
    d.requires_grad_(False)
    assert not any(p.requires_grad for p in d.parameters())
    with torch.no_grad():
        before = [p.clone() for p in backbone.parameters()]
    opt = torch.optim.Adam([p for p in d.parameters()], lr=0.1)
    d.requires_grad_(True)
    sum(o.mean() for o in d(torch.rand(2, 3, 64, 64))).backward()  # type: ignore[union-attr]
    opt.step()
    assert all(torch.equal(a, b) for a, b in zip(before, backbone.parameters(), strict=True))
