"""The per-tradition pixel checklist: each measure responds to what it claims to measure."""

from __future__ import annotations

import numpy as np

from huafeng.eval.classifier import CLASSES
from huafeng.eval.defects import CHECKLIST, measures, run_checklist


def paper_with_ink(rng: np.random.Generator) -> np.ndarray:
    img = np.full((256, 256, 3), 235, np.uint8)  # blank paper
    img[100:140, 30:220] = rng.integers(0, 90, (40, 190, 1))  # one grey ink band
    return img


def test_blank_space_and_saturation(rng: np.random.Generator) -> None:
    ink = measures(paper_with_ink(rng))
    assert ink["blank_space"] > 0.7 and ink["saturation"] < 0.05
    red = np.zeros((256, 256, 3), np.uint8)
    red[..., 0] = 220
    m = measures(red)
    assert m["blank_space"] == 0.0 and m["saturation"] > 0.9 and m["flat_color"] == 1.0
    assert m["colourfulness"] > ink["colourfulness"]


def test_texture_and_outlines(rng: np.random.Generator) -> None:
    flat = measures(np.full((256, 256, 3), 128, np.uint8))
    noisy = measures(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8))
    assert flat["stroke_energy"] == 0.0 and noisy["stroke_energy"] > 0.1
    assert flat["outline_density"] == 0.0 and noisy["outline_density"] > 0.05
    assert flat["dark_fraction"] == 0.0


def test_checklist_covers_every_class_and_flags_a_colour_photo(
    rng: np.random.Generator, coffee: np.ndarray
) -> None:
    assert set(CHECKLIST) == set(CLASSES)
    ink = run_checklist("shanshui_ink", [paper_with_ink(rng)])
    assert all(rate == 1.0 for _, rate, _ in ink.items)
    photo = run_checklist("shanshui_ink", [coffee])  # a saturated red cup is no ink painting
    sat = next(rate for c, rate, _ in photo.items if c.measure == "saturation")
    assert sat == 0.0
    d = photo.to_dict()
    assert d["tradition"] == "shanshui_ink" and d["checks"][0]["check"].startswith("blank_space >=")
