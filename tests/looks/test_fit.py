"""Look learning recovers a known grade, grain and vignette; quality figures are asserted bounds."""

from __future__ import annotations

import numpy as np

from huafeng.imageio import Image, from_float, to_float
from huafeng.looks.color import delta_e76
from huafeng.looks.fit import FitCfg, apply_grain, apply_vignette, fit_look
from huafeng.looks.lut import Lut3D, apply_lut


def _graded(photos: list[Image], lut: Lut3D) -> list[Image]:
    return [Image(rgb=from_float(apply_lut(to_float(p.rgb), lut))) for p in photos]


def _errors(fitted: Lut3D | None, truth: Lut3D, held_out: list[Image]) -> tuple[float, float]:
    de, rgb = [], []
    for p in held_out:
        x = to_float(p.rgb)
        want = apply_lut(x, truth)
        got = apply_lut(x, fitted) if fitted is not None else x
        de.append(float(delta_e76(want, got).mean()))
        rgb.append(float(np.abs(want - got).mean() * 255))
    return float(np.mean(de)), float(np.mean(rgb))


def test_recovers_a_known_lut(content_photos: list[Image], known_lut: Lut3D) -> None:
    train, held_out = content_photos[:12], content_photos[20:28]
    fit = fit_look(train, _graded(train, known_lut), FitCfg(lut_size=17, iterations=24))
    de, rgb = _errors(fit.lut, known_lut, held_out)
    de0, rgb0 = _errors(None, known_lut, held_out)
    # Measured: ΔE*ab 1.5-1.7 and 2.0/255 (the un-graded photo is at ΔE 8.5, 11.5/255).
    assert de < 2.5 and rgb < 3.0, (de, rgb)
    assert de < 0.3 * de0 and rgb < 0.3 * rgb0
    assert fit.grain == 0.0 and fit.vignette == 0.0  # nothing of the sort was added
    curve = np.asarray(fit.tone_curve)
    assert np.all(np.diff(curve) >= 0) and curve[0] > 0.01  # lifted blacks, monotone


def test_lut_is_smooth_and_monotone(content_photos: list[Image], known_lut: Lut3D) -> None:
    train = content_photos[:8]
    lut = fit_look(train, _graded(train, known_lut), FitCfg(lut_size=17, iterations=16)).lut
    for c in range(3):
        assert np.all(np.diff(lut.table[..., c], axis=c) >= 0)
    # second differences stay small: no posterising kinks
    assert np.abs(np.diff(lut.table, n=2, axis=0)).max() < 0.1


def test_recovers_grain_and_vignette(content_photos: list[Image]) -> None:
    train = content_photos[:10]
    look = []
    for i, p in enumerate(train):
        y = apply_vignette(to_float(p.rgb), 0.5)
        look.append(Image(rgb=from_float(apply_grain(y, 0.03, seed=i))))
    fit = fit_look(train, look, FitCfg(lut_size=9, iterations=8))
    assert 0.3 <= fit.vignette <= 0.7, fit.vignette
    assert 0.02 <= fit.grain <= 0.04, fit.grain
