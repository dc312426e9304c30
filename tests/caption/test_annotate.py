"""Hand-drawn annotations: pixels near the shapes, labels that read, spec validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng import imageio
from huafeng.caption.annotate import MAX_ITEMS, annotate, load_spec
from huafeng.errors import InputError

from .conftest import similar

SPEC = {
    "seed": 3,
    "items": [
        {"type": "circle", "center": [100, 80], "radius": 40},
        {"type": "box", "xy": [250, 30, 420, 140]},
        {"type": "arrow", "from": [60, 250], "to": [200, 200]},
    ],
}


def _changed(a: imageio.Image, b: imageio.Image) -> np.ndarray:
    return np.abs(a.rgb.astype(int) - b.rgb.astype(int)).max(axis=2) > 20


def test_strokes_follow_the_shapes(chelsea: imageio.Image) -> None:
    out = annotate(chelsea, SPEC)
    ch = _changed(chelsea, out)
    yy, xx = np.mgrid[: ch.shape[0], : ch.shape[1]]
    ring = np.abs(np.hypot(xx - 100, yy - 80) - 40) < 12
    assert ch[ring].mean() > 0.3  # the circle is drawn round its centre…
    assert ch[np.hypot(xx - 100, yy - 80) < 20].mean() < 0.02  # …and not over what it circles
    assert ch[30:140, 250:256].mean() > 0.3 and ch[60:110, 300:370].mean() < 0.02  # box edge, inside
    assert ch[200:260, 60:200].any()
    assert ch[240:, 300:].mean() < 0.01  # far from every shape: untouched


def test_same_seed_same_picture_and_hand_drawn_wobble(chelsea: imageio.Image) -> None:
    a, b = annotate(chelsea, SPEC), annotate(chelsea, SPEC)
    assert np.array_equal(a.rgb, b.rgb)
    c = annotate(chelsea, {**SPEC, "seed": 4})
    assert not np.array_equal(a.rgb, c.rgb)


def test_labels_are_legible(chelsea: imageio.Image, ocr) -> None:
    spec = {"items": [{"type": "label", "at": [20, 20], "text": "猫猫 cat"}]}
    out = annotate(chelsea, spec)
    assert similar("猫猫cat", ocr(out.rgb)) >= 0.8


def test_fraction_units(chelsea: imageio.Image) -> None:
    out = annotate(chelsea, {"units": "fraction", "items": [{"type": "box", "xy": [0.1, 0.1, 0.5, 0.5]}]})
    assert _changed(chelsea, out)[30:150, 40:50].mean() > 0.3


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"items": []}, "non-empty 'items'"),
        ({"items": [{"type": "star"}]}, "unknown type 'star'"),
        ({"items": [{"type": "circle", "center": [1, 2]}]}, "missing 'radius'"),
        ({"items": [{"type": "circle", "center": [1, "x"], "radius": 5}]}, r"center\[1\]: expected a number"),
        ({"items": [{"type": "circle", "center": [9000, 2], "radius": 5}]}, "outside"),
        ({"items": [{"type": "box", "xy": [50, 50, 10, 10]}]}, "x1 > x0"),
        ({"items": [{"type": "box", "xy": [1, 2, 3]}]}, "list of 4 numbers"),
        ({"items": [{"type": "label", "at": [5, 5], "text": ""}]}, "empty"),
        ({"items": [{"type": "label", "at": [5, 5], "text": 7}]}, "must be a string"),
        ({"items": [{"type": "circle", "center": [9, 9], "radius": 1e9}]}, "radius"),
        ({"units": "cm", "items": [{"type": "box", "xy": [1, 2, 30, 40]}]}, "units"),
        ({"items": [{"type": "box", "xy": [1, 2, 30, 40]}] * (MAX_ITEMS + 1)}, "at most"),
    ],
)
def test_bad_specs_are_input_errors(chelsea: imageio.Image, spec: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        annotate(chelsea, spec)


def test_bad_spec_files(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text('{"items": [\n  {"type": "box",}\n]}')
    with pytest.raises(InputError, match="line 2"):
        load_spec(p)
    p.write_text("[1, 2]")
    with pytest.raises(InputError, match="JSON object"):
        load_spec(p)
    with pytest.raises(InputError, match="not found"):
        load_spec(tmp_path / "none.json")
    p.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(InputError, match="UTF-8"):
        load_spec(p)
    p.write_text(json.dumps(SPEC))
    assert load_spec(p)["seed"] == 3
