"""Near-duplicate photos: a resized, re-encoded copy is the same picture; different photos are not."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from huafeng.data.photos import distinct, same_picture, thumbnail

SAMPLES = Path(__file__).resolve().parents[2] / "huafeng" / "assets" / "samples"


def _copy(src: Path, dst: Path, side: int, quality: int) -> Path:
    im = Image.open(src).convert("RGB")
    im.thumbnail((side, side))
    im.save(dst, quality=quality)
    return dst


def test_a_resized_reencoded_copy_is_the_same_picture(tmp_path: Path) -> None:
    cat = SAMPLES / "chelsea.jpg"
    copy = _copy(cat, tmp_path / "cat_small.jpg", 200, 60)
    assert same_picture(thumbnail(cat), thumbnail(copy))
    assert not same_picture(thumbnail(cat), thumbnail(SAMPLES / "coffee.jpg"))


def test_distinct_keeps_order_and_drops_copies_and_excluded(tmp_path: Path) -> None:
    cat, cup, rocket = (SAMPLES / n for n in ("chelsea.jpg", "coffee.jpg", "rocket.jpg"))
    copy = _copy(cat, tmp_path / "cat.png", 300, 95)
    assert distinct([cat, cup, copy, rocket]) == [cat, cup, rocket]
    assert distinct([cup, copy, rocket], exclude=[cat]) == [cup, rocket]
