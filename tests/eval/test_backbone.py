"""EfficientNet-Lite0: the real ImageNet weights load and see what a photo shows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from huafeng.eval.backbone import TAP_CHANNELS, get_backbone
from huafeng.eval.prep import to_eval
from huafeng.imageio import resize

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


def centre_224(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = min(h, w)
    sq = rgb[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    return resize(sq, (224, 224))


def test_weights_load_and_classify_the_cat(chelsea: np.ndarray) -> None:
    bb = get_backbone()
    with torch.inference_mode():
        probs = bb.logits(bb.to_tensor(centre_224(chelsea))).softmax(1)[0]
    assert int(probs.argmax()) in CAT_CLASSES
    assert float(probs[list(CAT_CLASSES)].sum()) > 0.5  # confidently a cat, not a lucky argmax


def test_taps_have_the_documented_channels_and_strides(coffee: np.ndarray) -> None:
    img = to_eval(coffee)  # shorter side 256
    feats = get_backbone().features(img)
    assert list(feats) == ["s2", "s4", "s8", "s16", "s32"]
    for name, f in feats.items():
        stride = int(name[1:])
        assert f.shape[:2] == (1, TAP_CHANNELS[name])
        assert f.shape[2] == -(-img.shape[0] // stride)  # TF "SAME": ceil(H / stride)
        assert torch.isfinite(f).all()
    assert get_backbone().pooled(img).shape == (1280,)


def test_frozen_and_cached(coffee: np.ndarray) -> None:
    bb = get_backbone()
    bb.train()  # must not switch BatchNorm to batch statistics
    assert not bb.training and not bb.net.training
    assert not any(p.requires_grad for p in bb.parameters())
    img = to_eval(coffee)
    assert bb.features(img) is bb.features(img.copy())  # same pixels → the cached features
    assert bb.features(img) is not bb.features(255 - img)


def test_odd_sizes_work(rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (97, 131, 3), dtype=np.uint8)
    assert get_backbone().features(img)["s32"].shape[2:] == (4, 5)


def test_rejects_float_images() -> None:
    with pytest.raises(ValueError, match="uint8"):
        get_backbone().features(np.zeros((32, 32, 3), np.float32))
