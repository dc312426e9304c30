"""Animated stickers: frame counts, durations, motion, files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng import imageio
from huafeng.caption.sticker import ANIMS, motion, render_sticker, write_sticker
from huafeng.errors import InputError, OutputExistsError


@pytest.fixture(scope="module")
def small(chelsea: imageio.Image) -> imageio.Image:
    return imageio.Image(rgb=imageio.resize(chelsea.rgb, (180, 120)))


@pytest.mark.parametrize("anim", ANIMS)
def test_frame_count_and_durations(small: imageio.Image, anim: str) -> None:
    a = render_sticker(small, "好耶 yay", anim=anim, fps=8, seconds=1.0)
    assert len(a.frames) == len(a.durations_ms) == 8
    assert a.duration_ms == 1000 and set(a.durations_ms) == {125}
    assert all(f.size == (180, 120) for f in a.frames)
    # every animation moves: consecutive frames are not all the same
    diffs = [np.abs(a.frames[i].rgb.astype(int) - a.frames[i + 1].rgb).sum() for i in range(7)]
    assert sum(d > 0 for d in diffs) >= 2


def test_durations_add_up_for_uneven_fps(small: imageio.Image) -> None:
    a = render_sticker(small, "hi", anim="fade", fps=12, seconds=1.5)
    assert len(a.frames) == 18 and a.duration_ms == 1500 and set(a.durations_ms) <= {83, 84}


def test_typewriter_reveals_then_holds() -> None:
    ups = [motion("typewriter", i / 10, n_chars=5, size=20).upto for i in range(10)]
    assert ups[0] == 1 and ups == sorted(ups) and ups[-1] == 5 and ups[-3:] == [5, 5, 5]


def test_pop_overshoots_then_settles() -> None:
    scales = [motion("pop", i / 20, n_chars=1, size=20).scale for i in range(20)]
    assert scales[0] < 0.2 and max(scales) > 1.0 and scales[-1] == pytest.approx(1.0)


def test_morph_goes_from_photo_to_painting(small: imageio.Image) -> None:
    a = render_sticker(small, "hi", anim="morph", fps=4, seconds=1.0)
    region = (slice(0, 40), slice(0, 180))  # above the caption
    d0 = np.abs(a.frames[0].rgb[region].astype(int) - small.rgb[region]).mean()
    d3 = np.abs(a.frames[3].rgb[region].astype(int) - small.rgb[region]).mean()
    assert d0 < 1.0 < d3


@pytest.mark.parametrize("ext", ["gif", "webp", "mp4"])
def test_write_formats(small: imageio.Image, tmp_path, ext: str) -> None:
    a = render_sticker(small, "yay", anim="bounce", fps=6, seconds=1.0)
    p = write_sticker(tmp_path / f"s.{ext}", a)
    assert p.stat().st_size > 0
    if ext == "mp4":
        av = pytest.importorskip("av")
        with av.open(str(p)) as c:
            assert sum(1 for _ in c.decode(video=0)) == 6
    else:
        with PILImage.open(p) as im:
            assert im.n_frames >= 2
    with pytest.raises(OutputExistsError):
        write_sticker(p, a)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"anim": "spin"}, "unknown animation"),
        ({"fps": 0}, "fps"),
        ({"fps": 50, "seconds": 60.0}, "frames"),
    ],
)
def test_bad_options(small: imageio.Image, kw: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        render_sticker(small, "hi", **kw)


def test_bad_extension(small: imageio.Image, tmp_path) -> None:
    a = render_sticker(small, "hi", anim="fade", fps=2, seconds=1.0)
    with pytest.raises(InputError, match=r"gif, \.webp or \.mp4"):
        write_sticker(tmp_path / "s.bmp", a)
