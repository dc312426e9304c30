"""The painting inside its pad: what a style reader keeps of a letterboxed or backdropped file."""

from __future__ import annotations

import numpy as np

from huafeng.imageio import mount_box, trim_mount


def _painting(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _letterbox(painting: np.ndarray, side: int, grey: int = 242) -> tuple[np.ndarray, int, int]:
    h, w = painting.shape[:2]
    out = np.full((side, side, 3), grey, np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = painting
    return out, top, left


def test_a_letterboxed_handscroll_comes_out_without_its_pad() -> None:
    scroll = _painting(120, 458)
    padded, top, _ = _letterbox(scroll, 458)
    t, b, left, r = mount_box(padded)
    assert (left, r) == (0, 458)
    assert abs(t - top) <= 1 and abs(b - (top + 120)) <= 1
    assert trim_mount(padded).shape[0] in range(118, 123)


def test_a_large_upload_is_boxed_at_full_resolution() -> None:
    scroll = _painting(300, 1200)
    padded, top, left = _letterbox(scroll, 1600, grey=255)
    t, b, lft, r = mount_box(padded)  # found on a 512 px copy, mapped back
    assert abs(t - top) <= 4 and abs(b - (top + 300)) <= 4
    assert abs(lft - left) <= 4 and abs(r - (left + 1200)) <= 4
    assert t <= top and b >= top + 300  # rounding keeps the painting, not the pad


def test_a_backdrop_with_some_noise_and_shading_is_cut() -> None:
    rng = np.random.default_rng(1)
    fan = _painting(200, 300)
    wall = np.full((320, 400, 3), 198, np.float32) + rng.normal(0, 2, (320, 400, 3))
    wall += np.linspace(0, 6, 400)[None, :, None]  # a photographed wall is not one value
    wall[60:260, 50:350] = fan
    t, b, left, r = mount_box(np.clip(wall, 0, 255).astype(np.uint8))
    assert abs(t - 60) <= 2 and abs(b - 260) <= 2 and abs(left - 50) <= 2 and abs(r - 350) <= 2


def test_blank_paper_reaching_one_edge_and_ordinary_pictures_are_kept() -> None:
    art = _painting(200, 200)
    assert trim_mount(art) is art  # no pad at all
    ink = np.full((300, 300, 3), 235, np.uint8)
    ink[:200] = _painting(200, 300)  # the painted part; flat blank paper below it...
    assert trim_mount(ink) is ink  # ...reaches only the bottom edge: a painting's empty space, kept
    ink[:40] = 235  # blank above as well: paper on two opposite sides reads as a pad (known limit)
    assert mount_box(ink)[:2] == (40, 200)
    sky = _painting(300, 300)
    sky[:60] = sky[-60:] = (90, 150, 230)  # a flat painted blue is not a pad: it is not neutral
    assert trim_mount(sky) is sky
    margin = _painting(300, 300)
    margin[:4] = margin[-4:] = 255  # a thin margin (under 3% of the area) is left alone
    assert trim_mount(margin) is margin
    blank = np.full((100, 100, 3), 240, np.uint8)
    assert trim_mount(blank) is blank  # all pad: nothing to find
