"""A learnt look is shrunk by how much of its colour gap content alone explains (looks/confidence.py)."""

from __future__ import annotations

import numpy as np

from huafeng.imageio import Image, from_float, to_float
from huafeng.looks.color import delta_e76
from huafeng.looks.confidence import advice, content_gap, is_paired, shrink_factor, sliced_w2
from huafeng.looks.fit import FitCfg, fit_look
from huafeng.looks.lut import Lut3D, apply_lut
from huafeng.looks.reference import ReferenceStats, default_reference


def test_shrink_factor_is_the_wiener_blend() -> None:
    assert shrink_factor(10.0, 0.0) == 1.0
    assert shrink_factor(10.0, 5.0) == 0.75
    assert shrink_factor(4.0, 5.0) == 0.0 and shrink_factor(0.0, 1.0) == 0.0
    assert content_gap(200.0, 20, 300) < content_gap(200.0, 5, 300)  # fewer photos: more content noise


def test_sliced_w2_is_zero_for_equal_samples_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((4000, 3)).astype(np.float32)
    assert sliced_w2(a, a) < 1e-6
    assert sliced_w2(a, np.clip(a + 0.05, 0, 1)) > sliced_w2(a, np.clip(a + 0.02, 0, 1)) > 0.5


def test_paired_reference_is_recognised(content_photos: list[Image], known_lut: Lut3D) -> None:
    before = [to_float(p.rgb) for p in content_photos[:8]]
    after = [apply_lut(x, known_lut) for x in before]
    assert is_paired(after, before)
    assert not is_paired(after, [to_float(p.rgb) for p in content_photos[8:16]])


def test_builtin_reference_is_never_worse_than_no_grade(
    content_photos: list[Image], known_lut: Lut3D
) -> None:
    """The regression of the issue: without --reference the look made photos worse than no grade."""
    graded = [Image(rgb=from_float(apply_lut(to_float(p.rgb), known_lut))) for p in content_photos[:20]]
    fit = fit_look(default_reference(), graded, FitCfg(lut_size=17))
    held = [to_float(p.rgb) for p in content_photos[20:28]]
    truth = [apply_lut(x, known_lut) for x in held]
    learnt = np.mean([delta_e76(t, apply_lut(x, fit.lut)).mean() for t, x in zip(truth, held, strict=True)])
    untouched = np.mean([delta_e76(t, x).mean() for t, x in zip(truth, held, strict=True)])
    assert learnt <= untouched + 0.05, (learnt, untouched)
    assert 0.0 <= fit.stats["confidence"] < 1.0 and fit.stats["content_gap"] > 0


def test_paired_fit_keeps_full_confidence(content_photos: list[Image], known_lut: Lut3D) -> None:
    graded = [Image(rgb=from_float(apply_lut(to_float(p.rgb), known_lut))) for p in content_photos[:12]]
    fit = fit_look(content_photos[:12], graded, FitCfg(lut_size=17))
    assert fit.stats["confidence"] == 1.0 and fit.stats["paired_reference"] == 1.0


def test_advice_only_when_confidence_is_low() -> None:
    assert advice({"confidence": 0.9}) is None and advice({}) is None
    line = advice({"confidence": 0.2})
    assert line is not None and "20%" in line and "--reference" in line


def test_reference_round_trips_its_content_spread() -> None:
    ref = default_reference()
    assert ref.content_spread is not None and ref.content_spread > 0
    again = ReferenceStats.from_json(ref.to_json())
    assert again.content_spread == ref.content_spread
