"""Perceptual (LPIPS-like) and Gram style distances on EfficientNet-Lite0."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from huafeng.eval.gram import StyleReference, as_reference, gram_distance, gram_matrix, grams_of
from huafeng.eval.perceptual import perceptual_distance, perceptual_layers


def blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    return np.asarray(cv2.GaussianBlur(rgb, (0, 0), sigma))


def test_perceptual_zero_symmetric_and_grows_with_blur(chelsea: np.ndarray, coffee: np.ndarray) -> None:
    a = chelsea[:256, :384]
    assert perceptual_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    b = coffee[:256, :384]
    assert perceptual_distance(a, b) == pytest.approx(perceptual_distance(b, a), rel=1e-5)
    d = [perceptual_distance(blur(a, s), a) for s in (1.0, 2.5, 6.0)]
    assert 0 < d[0] < d[1] < d[2] < perceptual_distance(b, a)
    layers = perceptual_layers(blur(a, 2.5), a)
    assert set(layers) == {"s2", "s4", "s8", "s16", "s32"}
    assert all(0 <= v <= 4 for v in layers.values())


def test_gram_matrix_matches_definition() -> None:
    f = torch.randn(1, 5, 7, 3, dtype=torch.float64)
    flat = f[0].reshape(5, -1).numpy()
    assert np.allclose(gram_matrix(f), flat @ flat.T / (5 * 7 * 3))


def test_gram_zero_to_itself_and_closer_to_own_crop(paintings: dict[str, np.ndarray]) -> None:
    wave, shanshui = paintings["wave"], paintings["shanshui"]
    ref = StyleReference.from_images([wave], ["wave"])
    assert ref.distance(wave) == pytest.approx(0.0, abs=1e-9)
    h, w = wave.shape[:2]
    crop = wave[h // 8 : h - h // 8, w // 8 : w - w // 8]
    assert 0 < ref.distance(crop) < ref.distance(shanshui)
    assert gram_distance(grams_of(crop), grams_of(wave)) == pytest.approx(ref.distance(crop))


def test_mean_and_nearest_references(paintings: dict[str, np.ndarray]) -> None:
    wave, shanshui = paintings["wave"], paintings["shanshui"]
    both = StyleReference.from_images([wave, shanshui])
    assert both.distance(wave, "nearest") == pytest.approx(0.0, abs=1e-9)  # it is one of the refs
    assert both.distance(wave, "mean") > 0.0  # but not the set's average style
    with pytest.raises(ValueError, match="reduce"):
        both.distance(wave, "median")
    assert as_reference([wave, shanshui]) is as_reference([wave.copy(), shanshui.copy()])  # cached
    with pytest.raises(ValueError, match="at least one"):
        StyleReference.from_images([])
