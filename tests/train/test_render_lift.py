"""Training through the reduced render (``train.render_lift``): the loss sees what the engine makes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from huafeng.config import TrainCfg
from huafeng.errors import InputError
from huafeng.imageio import resize
from huafeng.infer import upsample
from huafeng.train.render_lift import MAX_DETAIL, detail_gain
from huafeng.train.render_lift import lifted as _lifted


class _Tint(nn.Module):
    """A stand-in generator: a smooth per-channel tint, with one trainable number."""

    multiple = 4

    def __init__(self) -> None:
        super().__init__()
        self.k = nn.Parameter(torch.tensor(0.6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.k + x.new_tensor([0.3, 0.1, 0.0]).view(1, 3, 1, 1)


def _photo() -> np.ndarray:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:96] / 96
    img = 0.5 + 0.3 * np.sin(9 * xx)[..., None] * np.cos(7 * yy)[..., None] * rng.random(3)
    img += 0.15 * ((xx * 24).astype(int) % 2)[..., None]  # fine stripes: detail above the small size
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def test_off_is_the_plain_generator() -> None:
    g, x = _Tint(), torch.rand(2, 3, 32, 32)
    assert torch.equal(_lifted(g, x, None, 0.0), g(x))


def test_matches_the_engine_lift() -> None:
    """Same picture as infer/upsample.detail_upsample on the same small render (to resampling)."""
    photo = _photo()
    g = _Tint().eval()
    x = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        ours = _lifted(g, x, None, 2 / 3)[0].permute(1, 2, 0).numpy()
    small = resize(photo, (64, 64)).astype(np.float32) / 255
    with torch.no_grad():
        y_small = g(torch.from_numpy(small).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    ref = np.clip(upsample.detail_upsample(photo.astype(np.float32) / 255, small, y_small), 0, 1)
    assert np.abs(ours - ref).mean() < 0.02
    # and the detail is really there: without it, the stripes are gone
    plain = np.asarray(
        torch.nn.functional.interpolate(torch.from_numpy(y_small).permute(2, 0, 1)[None], size=(96, 96),
                                        mode="bilinear")[0].permute(1, 2, 0))  # fmt: skip
    assert np.abs(plain - ref).mean() > 2 * np.abs(ours - ref).mean()


def test_gradients_reach_the_generator() -> None:
    g = _Tint()
    _lifted(g, torch.rand(2, 3, 48, 48), None, 0.5).mean().backward()
    assert g.k.grad is not None and float(g.k.grad.abs()) > 0


class _TintWithDetail(_Tint):
    def __init__(self, logit: float) -> None:
        super().__init__()
        self.detail_logit = nn.Parameter(torch.tensor(logit))


def test_a_learnt_detail_gain_scales_the_lifted_band() -> None:
    """Gain 1 (logit 0) is the engine's default lift; a very negative logit leaves no photo detail."""
    x = torch.from_numpy(_photo()).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        plain = _lifted(_Tint(), x, None, 2 / 3)
        assert torch.allclose(_lifted(_TintWithDetail(0.0), x, None, 2 / 3), plain)
        none = _lifted(_TintWithDetail(-30.0), x, None, 2 / 3)
        half = _lifted(_TintWithDetail(float(np.log(1 / 3))), x, None, 2 / 3)  # 2·sigmoid = 0.5
    assert float(detail_gain(_TintWithDetail(-30.0))) < 1e-6  # type: ignore[arg-type]
    assert float(detail_gain(_TintWithDetail(30.0))) == pytest.approx(MAX_DETAIL)  # type: ignore[arg-type]
    assert detail_gain(_Tint()) is None
    # what the gain adds is the band, linearly (to clipping at 0 and 1)
    band, half_band = plain - none, half - none
    assert float(band.abs().mean()) > 0.02
    assert float((half_band - 0.5 * band).abs().mean()) < 0.05 * float(band.abs().mean())


def test_the_detail_gain_learns_from_the_loss() -> None:
    """A loss that wants a flat picture (a pale, empty painting) drives the gain down."""
    g = _TintWithDetail(0.0)
    opt = torch.optim.Adam([g.detail_logit], lr=0.1)
    x = torch.from_numpy(_photo()).permute(2, 0, 1)[None].float() / 255
    for _ in range(20):
        y = _lifted(g, x, None, 2 / 3)
        loss = (y[..., 1:] - y[..., :-1]).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(detail_gain(g)) < 0.5  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, 0.05, 1.0, 2.0])
def test_bad_values_are_config_errors(bad: float) -> None:
    with pytest.raises(InputError, match="render_lift"):
        TrainCfg(render_lift=bad)
