"""Story snippets: page formats, crops that keep faces, boxes and balloons in the story's palette,
colour emoji through the caption renderer, the reveal animation, output files."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng import imageio
from huafeng.caption.fonts import color_emoji_file
from huafeng.caption.palette import contrast
from huafeng.caption.place import Scene
from huafeng.errors import InputError
from huafeng.imageio import Image
from huafeng.story import StoryOptions, balloons, make_story, pages, write_story
from huafeng.story.make import normalize_tones
from tests.conftest import SAMPLES


def _photo(w: int, h: int, level: int, seed: int = 0) -> Image:
    rng = np.random.default_rng(seed)
    rgb = np.clip(level + rng.integers(-30, 30, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image(rgb=rgb)


def _chroma(rgb: np.ndarray) -> np.ndarray:
    return rgb.max(axis=-1).astype(int) - rgb.min(axis=-1).astype(int)


@pytest.mark.parametrize(
    ("n", "fmt", "rows"),
    [
        (1, "9:16", [1]),
        (3, "9:16", [1, 1, 1]),
        (4, "9:16", [2, 2]),
        (5, "9:16", [1, 2, 2]),
        (4, "1:1", [2, 2]),
        (5, "1:1", [2, 3]),
        (7, "1:1", [2, 2, 3]),
        (12, "1:1", [4, 4, 4]),
    ],
)
def test_row_counts(n: int, fmt: str, rows: list[int]) -> None:
    assert pages.row_counts(n, fmt) == rows


@pytest.mark.parametrize(("fmt", "size"), [("9:16", (540, 960)), ("1:1", (540, 540))])
def test_pages_have_their_format_gutters_and_no_overlap(fmt: str, size: tuple[int, int]) -> None:
    photos = [_photo(120, 90, 100)] * 5
    page = pages.plan_page(photos, fmt, width=540, panel_side=96, columns=0, title=True)
    assert page.size == size and page.title is not None
    w, h = size
    covered = np.zeros((h, w), int)
    for x, y, cw, ch in page.cells:
        assert x >= page.gutter and y > page.title[1] + page.title[3] and x + cw <= w and y + ch <= h
        covered[y : y + ch, x : x + cw] += 1
    assert covered.max() == 1  # gutters, no overlaps
    assert 0.6 < covered.mean() < 0.9  # the panels fill the page, the margins and gutters show


def test_strip_keeps_equal_panels_in_rows() -> None:
    page = pages.plan_page(
        [_photo(120, 90, 1)] * 5, "strip", width=1080, panel_side=96, columns=0, title=False
    )
    assert {(c[2], c[3]) for c in page.cells} == {(96, 72)}
    assert len({c[1] for c in page.cells}) == 2  # rows of 3
    assert pages.panel_size([_photo(100, 1000, 1)], 200) == (150, 200)  # clamped to 3:4


def test_crop_keeps_the_face_in_a_tall_cell() -> None:
    astronaut = imageio.read_image(SAMPLES / "astronaut.jpg")  # face at about x 177..272 of 512
    fx, fy = pages.focus(astronaut.rgb)
    assert 0.3 < fx < 0.55 and fy < 0.35
    tall = pages.crop_cover(astronaut.rgb, (100, 300), (fx, fy))
    assert tall.shape == (300, 100, 3)
    found = Scene.analyse(tall).faces
    assert found, "the face was cropped away"


def test_inks_are_the_story_palette_and_readable() -> None:
    blue = np.zeros((64, 64, 3), np.uint8)
    blue[..., 2] = 180
    blue[:32, :, :] = (235, 225, 160)  # pale yellow half
    ink = balloons.inks([blue])
    assert contrast(ink.ink, ink.paper) >= balloons.INK_CONTRAST
    assert ink.paper[2] < ink.paper[0]  # a warm paper from the yellow, not plain white
    grey = balloons.inks([np.full((32, 32, 3), 128, np.uint8)])
    assert contrast(grey.ink, grey.paper) >= balloons.INK_CONTRAST


def test_caption_box_without_face_balloon_with_face() -> None:
    ink = balloons.Inks((240, 235, 220), (20, 30, 60))
    plain = np.full((240, 320, 3), 90, np.uint8)
    scene = Scene.analyse(plain)
    boxed, kind = balloons.caption_panel(plain, "周末出去走走吧", ink, scene)
    assert kind == "box"
    paper = np.all(boxed == ink.paper, axis=-1)
    assert paper.mean() > 0.05  # the box is there, in the story's paper colour
    astronaut = imageio.read_image(SAMPLES / "astronaut.jpg").rgb
    face_scene = Scene.analyse(astronaut)
    talk, kind = balloons.caption_panel(astronaut, "你看这是谁？", ink, face_scene)
    assert kind == "bubble"
    (fx, fy, fw, fh) = face_scene.faces[0]
    assert np.array_equal(
        talk[fy + fh // 3 : fy + 2 * fh // 3, fx + fw // 3 : fx + 2 * fw // 3],
        astronaut[fy + fh // 3 : fy + 2 * fh // 3, fx + fw // 3 : fx + 2 * fw // 3],
    )
    with pytest.raises(InputError, match="balloon"):
        balloons.caption_panel(plain, "x", ink, scene, kind="cloud")


@pytest.mark.skipif(color_emoji_file() is None, reason="no colour emoji font (make test installs one)")
def test_story_captions_draw_emoji_in_colour() -> None:
    ink = balloons.Inks((235, 235, 235), (20, 20, 20))
    grey = np.full((200, 300, 3), 128, np.uint8)
    out, _ = balloons.caption_panel(grey, "好开心 🌊🐱", ink, Scene.analyse(grey), kind="box")
    assert (_chroma(out) > 80).sum() > 100  # blue wave and orange cat, not grey outlines or boxes


def test_normalize_tones_pulls_panels_together() -> None:
    dark, bright = _photo(64, 48, 40).rgb, _photo(64, 48, 210, 1).rgb
    gap = abs(float(dark.mean()) - float(bright.mean()))
    same = normalize_tones([dark, bright], 1.0)
    assert abs(float(same[0].mean()) - float(same[1].mean())) < 0.1 * gap
    assert np.array_equal(normalize_tones([dark, bright], 0.0)[0], dark)


def test_make_story_page_title_and_reveal_animation() -> None:
    photos = [_photo(120, 90, 60), _photo(90, 120, 200, 1), _photo(100, 100, 128, 2)]
    seen: list[float] = []
    opts = StoryOptions(format="1:1", width=480, title="My weekend 周末", fade_frames=1, frame_ms=300)
    story = make_story(photos, ["a caption", None], "sepia", opts, progress=lambda f, m: seen.append(f))
    assert story.strip.size == (480, 480) and len(story.panels) == 3
    assert seen == sorted(seen) and seen[-1] == 1.0
    page = story.strip.rgb
    title_band = page[15:60, 40:440]
    assert (title_band.mean(axis=-1) < 100).sum() > 200  # title letters in ink
    # title alone, then per panel one fade frame and one held frame; the full page held longest
    assert len(story.frames) == 1 + 3 * 2
    assert story.frames[-1].duration_ms == 600 and story.frames[0].rgb.shape == (480, 480, 3)
    assert np.abs(story.frames[-1].rgb.astype(int) - page.astype(int)).mean() < 1.0
    assert story.frames[0].rgb.std() < page.std()  # the first frame shows no panel yet


def test_story_bad_input() -> None:
    with pytest.raises(InputError, match="at least one"):
        make_story([], None, "sepia")
    with pytest.raises(InputError, match="captions"):
        make_story([_photo(32, 32, 100)], ["a", "b"], "sepia")
    with pytest.raises(InputError, match="unknown style"):
        make_story([_photo(32, 32, 100)], None, "nope")
    with pytest.raises(InputError, match="format"):
        StoryOptions(format="4:3")
    with pytest.raises(InputError, match="title"):
        StoryOptions(title="x" * 61)
    with pytest.raises(InputError, match="panel_side"):
        StoryOptions(panel_side=10)


def test_write_story_png_gif_and_mp4(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("av", reason="MP4 needs the video extra")
    from huafeng.videoio import probe_video

    story = make_story(
        [_photo(64, 48, 80), _photo(64, 48, 160, 1)],
        None,
        "bw",
        StoryOptions(format="strip", panel_side=64, frame_ms=200),
    )
    paths = write_story(story, tmp_path / "s.png", video=True)
    assert [p.suffix for p in paths] == [".png", ".gif", ".mp4"]
    info = probe_video(paths[2])
    assert (info.width, info.height) == story.frames[0].rgb.shape[1::-1] and info.frame_count >= 4
    with pytest.raises(InputError, match="exists"):
        write_story(story, tmp_path / "s", video=False)


def test_cli_story_page_format_and_title(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli import run

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    imageio.write_image(a, _photo(160, 120, 90))
    imageio.write_image(b, _photo(120, 160, 170, 1))
    caps = tmp_path / "caps.txt"
    caps.write_text("出去走走吧 🌊\n\n", encoding="utf-8")
    out = tmp_path / "s"
    args = ["story", str(a), str(b), "-s", "sepia", "--format", "1:1", "--width", "320", "--title", "周末"]
    code, stdout, _ = run([*args, "--captions", str(caps), "-o", str(out)], capsys)
    assert code == 0 and "s.png" in stdout
    assert imageio.read_image(out.with_suffix(".png")).size == (320, 320)
    code, _, stderr = run([*args[:5], "--format", "4:3", "-o", str(tmp_path / "t")], capsys)
    assert code == 2 and "format" in stderr and len(stderr.strip().splitlines()) == 1
