"""Memes end to end: pixels where the caption was placed (not on the face), OCR read-back."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng import imageio
from huafeng.caption.compose import draw_caption, plan_caption
from huafeng.caption.fonts import color_emoji_file
from huafeng.caption.meme import render_meme
from huafeng.caption.palette import FILL_CONTRAST, contrast, palette, pick_colors
from huafeng.caption.place import detect_faces
from huafeng.errors import InputError

from .conftest import similar


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 8


def test_text_is_drawn_where_it_was_placed() -> None:
    rgb = np.full((240, 320, 3), 120, np.uint8)
    cap = plan_caption(rgb, "好耶 yay", region=(32, 120))
    out = draw_caption(rgb, cap)
    x, y, w, h = cap.box
    assert (x, y) == (32, 120)
    ch = _changed(rgb, out)
    inside = ch[y : y + h + cap.block.size // 10 + 2, x : x + w + cap.block.size // 10 + 2].sum()
    assert ch.sum() > 500 and inside == ch.sum()


def test_caption_avoids_the_face(astronaut: imageio.Image) -> None:
    faces = detect_faces(astronaut.rgb)
    assert len(faces) == 1
    fx, fy, fw, fh = faces[0]
    out = render_meme(astronaut, "打工人，冲鸭！", "me on Monday")
    ch = _changed(astronaut.rgb, out.rgb)
    assert ch[:256].sum() > 1000 and ch[256:].sum() > 1000  # top and bottom texts drawn
    assert ch[fy : fy + fh, fx : fx + fw].mean() < 0.05
    assert out.info["caption_notes"] == []


def test_ocr_reads_back_chinese_and_english(astronaut: imageio.Image, ocr) -> None:
    out = render_meme(astronaut, "打工人，冲鸭", "me on Monday")
    got = ocr(out.rgb)
    assert similar("打工人冲鸭", got[: len(got) // 2 + 4]) > 0.5 or "打工人" in got
    assert similar("打工人冲鸭meonmonday", got) >= 0.8, got


def test_ocr_reads_back_painted_text(chelsea: imageio.Image, ocr) -> None:
    out = render_meme(chelsea, None, "绝绝子 yyds", style="starry_night", painted=True)
    assert out.size == chelsea.size
    assert similar("绝绝子yyds", ocr(out.rgb)) >= 0.8


def test_text_colours_come_from_the_palette_and_pass_contrast(chelsea: imageio.Image) -> None:
    pal = palette(chelsea.rgb)
    assert len(pal) == 6
    for bg in [(10, 10, 10), (128, 128, 128), (250, 250, 250), pal[0]]:
        c = pick_colors(pal, bg)
        assert contrast(c.fill, c.outline) >= FILL_CONTRAST
        assert max(contrast(c.outline, bg), contrast(c.fill, bg)) >= 3.0


def test_vertical_meme_draws_a_tall_column(chelsea: imageio.Image) -> None:
    out = render_meme(chelsea, "好耶好耶", vertical=True)
    ys, xs = np.nonzero(_changed(chelsea.rgb, out.rgb))
    assert np.ptp(ys) > 2 * np.ptp(xs)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"top": "", "bottom": "  "}, "empty"),
        ({"top": "\u200b\u200e"}, "no drawable"),
        ({"top": "x" * 10_000}, "at most"),
        ({"top": "hi", "painted": True}, "needs a style"),
        ({"top": "hi", "style": "no_such_style"}, "no_such_style"),
    ],
)
def test_bad_input_is_an_input_error(chelsea: imageio.Image, kw: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        render_meme(chelsea, **kw)


def test_tiny_picture_is_an_input_error() -> None:
    with pytest.raises(InputError, match="at least 32"):
        render_meme(imageio.Image(rgb=np.zeros((20, 20, 3), np.uint8)), "hi")


def test_unrenderable_characters_are_dropped_not_drawn_as_tofu(chelsea: imageio.Image) -> None:
    plain = render_meme(chelsea, "ok go")
    odd = render_meme(chelsea, "ok \U0001d400go\u200b")  # math bold A: no bundled face has it
    assert np.array_equal(plain.rgb, odd.rgb)  # identical pixels: nothing drawn in its place
    assert "U+1D400" in odd.info["caption_notes"][0]


@pytest.mark.parametrize("text", ["😂🎉👍", "שלום עולם", "مرحبا", "\u202eevil\u202c text"])
def test_emoji_only_and_rtl_text_render(chelsea: imageio.Image, text: str) -> None:
    out = render_meme(chelsea, text)
    assert _changed(chelsea.rgb, out.rgb).sum() > 300
    assert out.info["caption_notes"] == []


def test_text_on_a_transparent_picture_is_opaque() -> None:
    img = imageio.Image(rgb=np.full((200, 300, 3), 90, np.uint8), alpha=np.zeros((200, 300), np.uint8))
    out = render_meme(img, "好耶 yay")
    assert out.alpha is not None and (out.alpha > 200).sum() > 500


def test_explicit_position_pins_the_top_text(chelsea: imageio.Image) -> None:
    out = render_meme(chelsea, "好耶", at=(40, 150))
    ys, xs = np.nonzero(_changed(chelsea.rgb, out.rgb))
    assert 40 <= xs.min() <= 60 and 150 <= ys.min() <= 170
    with pytest.raises(InputError, match="outside"):
        render_meme(chelsea, "好耶", at=(5000, 10))


@pytest.mark.skipif(
    color_emoji_file() is None,
    reason="no colour emoji font (make test installs fonts-noto-color-emoji)",
)
def test_emoji_are_drawn_in_their_own_colours() -> None:
    """Issue: emoji came out as one-colour outlines in the text colour."""
    grey = imageio.Image(rgb=np.full((320, 480, 3), 128, np.uint8))
    out = render_meme(grey, "🌊🐱😂", None).rgb
    chroma = out.max(axis=-1).astype(int) - out.min(axis=-1).astype(int)
    # a grey picture, grey-derived text colours: only colour glyphs can bring saturated pixels
    assert (chroma > 80).sum() > 500
    hues = {tuple(int(v) // 64 for v in px) for px in out[chroma > 80]}
    assert len(hues) >= 3  # blue, orange, yellow: not one tint


def test_caption_band_uses_the_caption_renderer() -> None:
    from huafeng.caption.band import caption_band

    rgb = np.full((100, 200, 3), 50, np.uint8)
    assert caption_band(rgb, "  ") is rgb
    out = caption_band(rgb, "出去走走吧 let's go")
    assert out.shape[0] > 100 and out.shape[1] == 200
    band = out[100:]
    assert (band.mean(axis=-1) < 100).sum() > 50 and (band == 255).all(axis=-1).mean() > 0.5
