"""Story snippets: shared panel size, shared tone, captions, layout, animation."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import Image
from huafeng.infer.story import (
    StoryOptions,
    add_caption,
    animation_frames,
    crop_to,
    layout_strip,
    make_story,
    normalize_tones,
    panel_size,
)


def _photo(w: int, h: int, level: int, seed: int = 0) -> Image:
    rng = np.random.default_rng(seed)
    rgb = np.clip(level + rng.integers(-30, 30, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image(rgb=rgb)


def test_panel_size_is_the_clamped_median_aspect() -> None:
    photos = [_photo(400, 300, 100), _photo(300, 400, 100), _photo(1000, 100, 100)]
    assert panel_size(photos, 200) == (200, 150)
    assert panel_size([_photo(100, 1000, 100)], 200) == (150, 200)  # clamped to 3:4
    assert crop_to(np.zeros((100, 400, 3), np.uint8), (80, 60)).shape == (60, 80, 3)


def test_normalize_tones_pulls_panels_together() -> None:
    dark, bright = _photo(64, 48, 40).rgb, _photo(64, 48, 210, 1).rgb
    gap = abs(float(dark.mean()) - float(bright.mean()))
    same = normalize_tones([dark, bright], 1.0)
    assert abs(float(same[0].mean()) - float(same[1].mean())) < 0.1 * gap
    half = normalize_tones([dark, bright], 0.5)
    assert 0.3 * gap < abs(float(half[0].mean()) - float(half[1].mean())) < 0.7 * gap
    assert np.array_equal(normalize_tones([dark, bright], 0.0)[0], dark)


def test_caption_band_and_layout_and_frames() -> None:
    p = np.zeros((60, 80, 3), np.uint8)
    assert add_caption(p, None) is p
    cap = add_caption(p, "一个很长的中文标题 with English words that wrap")
    assert cap.shape[0] > 60 and cap.shape[1] == 80 and (cap[60:] < 128).any()  # text drawn
    strip = layout_strip([p, cap, p], columns=0, gutter=4)
    assert strip.shape == (cap.shape[0] + 8, 3 * 80 + 16, 3)
    assert layout_strip([p] * 5, 0, 0).shape == (120, 240, 3)  # rows of 3
    frames = animation_frames([p, cap], 1000, 2)
    assert len(frames) == 6 and frames[0].duration_ms == 1000 and frames[1].duration_ms == 60
    assert {f.rgb.shape for f in frames} == {cap.shape}


def test_make_story_end_to_end_with_a_filter_look() -> None:
    photos = [_photo(120, 90, 60), _photo(90, 120, 200, 1), _photo(100, 100, 128, 2)]
    seen: list[float] = []
    story = make_story(
        photos,
        ["a", None],
        "sepia",
        StoryOptions(panel_side=96, fade_frames=1),
        progress=lambda f, m: seen.append(f),
    )
    assert len(story.panels) == 3 and story.panels[0].rgb.shape[0] > story.panels[1].rgb.shape[0]
    assert {p.rgb.shape[1] for p in story.panels} == {96}
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert len(story.frames) == 6


def test_story_bad_input() -> None:
    with pytest.raises(InputError, match="at least one"):
        make_story([], None, "sepia")
    with pytest.raises(InputError, match="captions"):
        make_story([_photo(32, 32, 100)], ["a", "b"], "sepia")
    with pytest.raises(InputError, match="unknown style"):
        make_story([_photo(32, 32, 100)], None, "nope")
    with pytest.raises(InputError, match="panel_side"):
        StoryOptions(panel_side=10)


def test_write_story_png_gif_and_mp4(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("av", reason="MP4 needs the video extra")
    from huafeng.infer.story import write_story
    from huafeng.videoio import probe_video

    story = make_story(
        [_photo(64, 48, 80), _photo(64, 48, 160, 1)], None, "bw", StoryOptions(panel_side=64, frame_ms=200)
    )
    paths = write_story(story, tmp_path / "s.png", video=True)
    assert [p.suffix for p in paths] == [".png", ".gif", ".mp4"]
    info = probe_video(paths[2])
    assert (info.width, info.height) == (64, 48) and info.frame_count >= 4
    with pytest.raises(InputError, match="exists"):
        write_story(story, tmp_path / "s", video=False)
