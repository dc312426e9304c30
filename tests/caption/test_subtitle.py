"""Subtitles: parsing (SRT, ASS, bad files) and burning (timing on pixels, audio kept)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("manimgx_fonts_cjk", reason="caption fonts missing: pip install 'huafeng[caption]'")

from huafeng import imageio
from huafeng.caption.subs import MAX_SUB_BYTES, parse_ass, parse_subtitles
from huafeng.caption.subtitle import burn_subtitles
from huafeng.errors import InputError, OutputExistsError

SRT = """1
00:00:00,500 --> 00:00:01,200
好耶 <i>yay</i>

2
00:00:01,600 --> 00:00:01,800
{\\an8}top
"""

ASS = """[Script Info]
Title: t

[V4+ Styles]
Format: Name, Fontname, Fontsize
Style: Default,Arial,20

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:01.20,Default,,0,0,0,,{\\b1}好耶,\\Nyay
Dialogue: 0,0:00:01.00,0:00:01.50,Default,,0,0,0,,{\\an8}overlap, ok
"""


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_parse_srt_strips_tags_and_reads_top_hint(tmp_path: Path) -> None:
    cues = parse_subtitles(_write(tmp_path, "a.srt", SRT))
    assert [(c.start, c.end, c.text, c.top) for c in cues] == [
        (0.5, 1.2, "好耶 yay", False),
        (1.6, 1.8, "top", True),
    ]


def test_parse_ass_fields_commas_newlines_and_overlaps(tmp_path: Path) -> None:
    cues = parse_ass(_write(tmp_path, "a.ass", ASS))
    assert cues[0].text == "好耶,\nyay" and cues[0].start == 0.5 and cues[0].end == 1.2
    assert cues[1].text == "overlap, ok" and cues[1].top  # overlapping cues are kept (stacked)


def test_gb18030_and_bom(tmp_path: Path) -> None:
    assert parse_subtitles(_write(tmp_path, "g.srt", SRT.encode("gb18030")))[0].text == "好耶 yay"
    assert parse_subtitles(_write(tmp_path, "b.srt", b"\xef\xbb\xbf" + SRT.encode()))[0].start == 0.5


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("a.srt", "1\n00:00:01,000 --> 00:00:00,500\nhi\n", "ends .* before it starts"),
        ("a.srt", "1\n00:00:xx,000 --> 00:00:01,000\nhi\n", "bad timestamp"),
        ("a.srt", "1\n00:00:61,000 --> 00:01:01,000\nhi\n", "up to 59"),
        ("a.srt", "1\nno arrow here\nhi\n", "expected 'HH:MM:SS"),
        ("a.srt", "", "no subtitles"),
        ("a.srt", "1\n00:00:00,000 --> 00:00:01,000\n" + "长" * 300 + "\n", "too long"),
        ("a.ass", "[Events]\nDialogue: 0,0:00:00.00,0:00:01.00,x\n", "before the Events 'Format:'"),
        ("a.ass", "[Script Info]\nTitle: x\n", "no \\[Events\\]"),
        ("a.ass", "[Events]\nFormat: Start, End, Text\nDialogue: 0:00:00.00\n", "comma-separated"),
        ("a.vtt", "WEBVTT\n", "must be .srt"),
        ("a.srt", b"\xff\xfe\x00\xd8", "UTF"),
    ],
)
def test_bad_subtitles_are_input_errors(tmp_path: Path, name: str, content: str | bytes, match: str) -> None:
    with pytest.raises(InputError, match=match):
        parse_subtitles(_write(tmp_path, name, content))


def test_huge_subtitle_file_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "big.srt", b"x" * (MAX_SUB_BYTES + 1))
    with pytest.raises(InputError, match="too large"):
        parse_subtitles(p)


# --------------------------------------------------------------------------------- burning


def _clip(tmp_path: Path, chelsea: imageio.Image, *, audio: str | None, size=(240, 160)) -> Path:
    pytest.importorskip("av", reason="video tests need PyAV")
    from tests.videoclips import make_clip

    still = imageio.resize(chelsea.rgb, size)
    frames = [np.roll(still, i, axis=1) for i in range(20)]  # a slow pan, 2 s at 10 fps
    return make_clip(tmp_path / "in.mp4", frames, fps=10, audio=audio)


def _frames(path: Path) -> list[np.ndarray]:
    from huafeng import videoio

    return [f.rgb.astype(int) for f in videoio.read_video_frames(path)]


def test_text_appears_exactly_while_the_cue_is_on(tmp_path: Path, chelsea: imageio.Image) -> None:
    clip = _clip(tmp_path, chelsea, audio="aac")
    subs = _write(tmp_path, "s.srt", "1\n00:00:00,500 --> 00:00:01,200\n好耶 yay\n")
    rep = burn_subtitles(clip, subs, tmp_path / "out.mp4")
    assert rep.frames == 20 and rep.cues == 1 and rep.notes == []
    src, out = _frames(clip), _frames(tmp_path / "out.mp4")
    assert len(out) == 20
    for i, (a, b) in enumerate(zip(src, out, strict=True)):
        changed = (np.abs(a - b).max(axis=2) > 40).mean()
        if 5 <= i < 12:  # t = 0.5 … 1.1 s is inside [0.5, 1.2)
            assert changed > 0.0015, (i, changed)
        else:
            assert changed < 0.0003, (i, changed)


def test_audio_is_kept_and_no_audio_is_fine(tmp_path: Path, chelsea: imageio.Image) -> None:
    from huafeng import videoio

    subs = _write(tmp_path, "s.ass", ASS)
    clip = _clip(tmp_path, chelsea, audio="aac")
    burn_subtitles(clip, subs, tmp_path / "a.mp4")
    info = videoio.probe_video(tmp_path / "a.mp4")
    assert info.has_audio and info.frame_count == 20
    silent = _clip(tmp_path, chelsea, audio=None, size=(160, 120))  # no audio
    burn_subtitles(silent, subs, tmp_path / "b.mp4", overwrite=True)
    info = videoio.probe_video(tmp_path / "b.mp4")
    assert not info.has_audio and info.frame_count == 20


def test_stylized_subtitled_video_and_refusals(tmp_path: Path, chelsea: imageio.Image) -> None:
    clip = _clip(tmp_path, chelsea, audio=None, size=(96, 64))
    subs = _write(tmp_path, "s.srt", SRT)
    rep = burn_subtitles(clip, subs, tmp_path / "o.mp4", style="starry_night", max_frames=4)
    assert rep.frames == 4
    with pytest.raises(OutputExistsError):
        burn_subtitles(clip, subs, tmp_path / "o.mp4")
    with pytest.raises(InputError):
        burn_subtitles(clip, subs, clip, overwrite=True)  # never over the input
    with pytest.raises(InputError, match=r"\.mp4"):
        burn_subtitles(clip, subs, tmp_path / "o.gif")


def test_odd_sized_video_without_audio(tmp_path: Path) -> None:
    av = pytest.importorskip("av", reason="video tests need PyAV")
    from fractions import Fraction

    from huafeng import videoio

    clip = tmp_path / "odd.mkv"  # FFV1 4:4:4 can hold odd sizes, which H.264 4:2:0 cannot
    with av.open(str(clip), "w") as out:
        vs = out.add_stream("ffv1", rate=10)
        vs.width, vs.height, vs.pix_fmt = 161, 121, "yuv444p"
        for i in range(10):
            f = av.VideoFrame.from_ndarray(np.full((121, 161, 3), 40 + 10 * i, np.uint8), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, 10)
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
    subs = _write(tmp_path, "s.srt", "1\n00:00:00,000 --> 00:00:00,500\n奇数 odd\n")
    rep = burn_subtitles(clip, subs, tmp_path / "o.mp4")
    info = videoio.probe_video(tmp_path / "o.mp4")
    assert rep.frames == 10 and not info.has_audio and info.width % 2 == 0 and info.height % 2 == 0
