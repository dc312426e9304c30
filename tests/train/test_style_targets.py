"""Fixed style targets: the mean over a painting's framings (``data.style_views``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from huafeng import losses
from huafeng.errors import InputError
from huafeng.train.style_targets import StyleTaps, framings, pick_targets, reference_targets


class _Net(nn.Module):
    """A stand-in feature net: one conv tap."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3, stride=2)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"t": torch.relu(self.conv(x))}


def test_framings_are_the_painting_mirrored_and_cut_further() -> None:
    img = torch.rand(1, 3, 100, 50)
    views = framings(img, 6)
    assert len(views) == 6 and torch.equal(views[0], img) and torch.equal(views[1], img.flip(-1))
    assert views[2].shape[-2:] == (96, 48) and views[4].shape[-2:] == (92, 46)
    assert len(framings(img, 1)) == 1


def test_the_target_is_the_mean_over_framings() -> None:
    img = torch.rand(1, 3, 64, 80)
    net = _Net()
    one = reference_targets(net, [[img]], StyleTaps(("t",)), torch.device("cpu"), views=1)[0][0]
    two = reference_targets(net, [[img]], StyleTaps(("t",)), torch.device("cpu"), views=2)[0][0]
    with torch.no_grad():
        g_flip = losses.gram(net(img.flip(-1))["t"])
    assert torch.allclose(one[0]["t"], losses.gram(net(img)["t"]).detach())
    assert torch.allclose(two[0]["t"], (one[0]["t"] + g_flip) / 2, atol=1e-7)
    assert two[2].shape == one[2].shape  # palette quantiles: averaged, same shape
    picked = pick_targets([[two]], torch.zeros(3, dtype=torch.long), seed=0, step=0, rank=0)
    assert picked[0]["t"].shape[0] == 3  # one per sample


def test_framings_steady_a_target_that_one_framing_would_swing() -> None:
    """A bright edge strip a few pixels wide (a margin the border crop half removes) moves one
    framing's Gram far more than the mean over six."""
    torch.manual_seed(1)
    paint = torch.rand(1, 3, 96, 96) * 0.3
    with_strip = paint.clone()
    with_strip[..., :, :3] = 1.0
    net, st, cpu = _Net(), StyleTaps(("t",)), torch.device("cpu")

    def dist(views: int) -> float:
        a = reference_targets(net, [[paint]], st, cpu, views)[0][0][0]["t"]
        b = reference_targets(net, [[with_strip]], st, cpu, views)[0][0][0]["t"]
        return float(((a - b) ** 2).sum() / (a**2).sum())

    assert dist(6) < dist(1)


def test_style_views_is_checked() -> None:
    from huafeng.config import DataCfg

    with pytest.raises(InputError, match="style_views"):
        DataCfg(style_views=7)


def test_targets_at_a_half_scale_are_the_half_size_painting_s_grams() -> None:
    """``loss.style_scales`` (1, 0.5): every tap twice, the second on a half-size copy."""
    img = torch.rand(1, 3, 64, 80)
    net = _Net()
    st = StyleTaps(("t",), None, (1.0, 0.5))
    grams = reference_targets(net, [[img]], st, torch.device("cpu"))[0][0][0]
    assert set(grams) == {"t", "t@0.5"} and [k for k, _, _ in st.entries()] == ["t", "t@0.5"]
    with torch.no_grad():
        half = losses.gram(net(losses.rescaled(img, 0.5))["t"])
    assert losses.rescaled(img, 0.5).shape[-2:] == (32, 40)
    assert torch.allclose(grams["t@0.5"], half) and not torch.allclose(grams["t"], grams["t@0.5"])
    assert StyleTaps(("t",), {"t": 3.0}, (1.0, 0.5)).key_weights() == {"t": 3.0, "t@0.5": 3.0}


def test_the_style_term_reads_every_scale() -> None:
    """With a half scale the loss changes when only the half-size Gram target changes."""
    from types import SimpleNamespace

    from huafeng.train.style_targets import StyleTaps
    from huafeng.train.terms import perceptual

    net, lc = _Net(), SimpleNamespace(content=0, style=1, color=0, palette=0, tv=0)
    fake, x = torch.rand(2, 3, 48, 48), torch.rand(2, 3, 48, 48)
    st = StyleTaps(("t",), None, (1.0, 0.5))
    with torch.no_grad():
        grams = {"t": losses.gram(net(x)["t"]), "t@0.5": losses.gram(net(losses.rescaled(x, 0.5))["t"])}
    tgt = (grams, (torch.zeros(3), torch.ones(3)), torch.zeros(1))
    a = perceptual(lc, net, (fake, x, x), tgt, st, ("t",))["style"]
    tgt2 = ({**grams, "t@0.5": grams["t@0.5"] * 2}, tgt[1], tgt[2])
    b = perceptual(lc, net, (fake, x, x), tgt2, st, ("t",))["style"]
    assert float(a) != pytest.approx(float(b))


def test_style_scales_are_checked() -> None:
    from huafeng.config import LossCfg

    with pytest.raises(InputError, match="style_scales"):
        LossCfg(style_scales=(1.0, 1.0))
    with pytest.raises(InputError, match="style_scales"):
        LossCfg(style_scales=(2.0,))
