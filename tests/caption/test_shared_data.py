"""End to end on real photos from ../shared/data: captions stay off faces, subtitles on a real clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng import imageio
from huafeng.caption.meme import render_meme
from huafeng.caption.place import detect_faces

PORTRAITS = ["AdaIN-style_avril.jpg", "AdaIN-style_blonde_girl.jpg", "AdaIN-style_lenna.jpg"]


@pytest.mark.parametrize("name", PORTRAITS)
def test_meme_on_portraits_keeps_faces_clear(shared_data: Path, name: str) -> None:
    img = imageio.read_image(shared_data / "faces" / name)
    faces = detect_faces(img.rgb)
    assert faces, "the Haar cascade should find this face"
    out = render_meme(img, "打工人，冲鸭！", "me on Monday")
    changed = np.abs(out.rgb.astype(int) - img.rgb).max(axis=2) > 8
    assert changed.sum() > 0.01 * changed.size
    for x, y, w, h in faces:
        assert changed[y : y + h, x : x + w].mean() < 0.05
    assert out.info["caption_notes"] == []


def test_subtitles_on_a_clip_made_from_real_stills(shared_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("av", reason="video tests need PyAV")
    from huafeng import videoio
    from huafeng.caption.subtitle import burn_subtitles
    from tests.videoclips import make_clip

    stills = sorted((shared_data / "content").glob("*.jpg"))[:2]
    a, b = (imageio.resize(imageio.read_image(p).rgb, (192, 128)).astype(np.float32) for p in stills)
    frames = [(a + (b - a) * i / 11).astype(np.uint8) for i in range(12)]  # a 1 s cross-fade
    clip = make_clip(tmp_path / "in.mp4", frames, fps=12, audio="aac")
    subs = tmp_path / "s.srt"
    subs.write_text("1\n00:00:00,250 --> 00:00:00,750\n今天也要加油 go\n", encoding="utf-8")
    burn_subtitles(clip, subs, tmp_path / "o.mp4", style="starry_night")
    info = videoio.probe_video(tmp_path / "o.mp4")
    assert info.has_audio and info.frame_count == 12 and (info.width, info.height) == (192, 128)
