"""Round trips and refusals of the one video I/O module."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("av", reason="video tests need PyAV (the 'video' extra)")

from huafeng import videoio
from huafeng.errors import ImageTooLargeError, InputError, OutputExistsError
from huafeng.imageio import Image
from tests.conftest import sha256
from tests.videoclips import make_clip, moving_frames


def _audio_seconds(path: Path) -> tuple[str, float]:
    import av

    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        total = sum(f.samples for f in c.decode(a))
        return a.codec_context.name, total / a.codec_context.sample_rate


def test_probe_reports_size_rate_count_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=12, size=(64, 48), fps=12)
    info = videoio.probe_video(clip)
    assert (info.width, info.height, info.frame_count, info.has_audio) == (64, 48, 12, True)
    assert info.fps == pytest.approx(12.0)
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_probe_counts_frames_without_an_index(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mkv", n=9, audio="pcm_s16le")
    assert videoio.probe_video(clip).frame_count == 9


def test_read_frames_match_what_was_written(tmp_path: Path) -> None:
    src = moving_frames(6, 64, 48)
    clip = make_clip(tmp_path / "c.mp4", src, audio=None)
    frames = list(videoio.read_video_frames(clip))
    assert len(frames) == 6 and all(isinstance(f, Image) for f in frames)
    assert frames[0].rgb.shape == (48, 64, 3) and frames[0].rgb.dtype == np.uint8
    # H.264 at crf 12 is close, not exact; a shifted or swapped frame would be far off.
    errs = [np.abs(f.rgb.astype(int) - s).mean() for f, s in zip(frames, src, strict=True)]
    assert max(errs) < 4
    assert np.abs(frames[1].rgb.astype(int) - src[2]).mean() > max(errs)


def test_max_frames_stops_early(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=10)
    assert len(list(videoio.read_video_frames(clip, max_frames=3))) == 3


@pytest.mark.parametrize(("suffix", "audio"), [(".mp4", "aac"), (".mkv", "pcm_s16le")])
def test_write_round_trip_keeps_count_rate_and_audio(tmp_path: Path, suffix: str, audio: str) -> None:
    clip = make_clip(tmp_path / f"in{suffix}", n=12, fps=Fraction(30000, 1001), audio=audio)
    info = videoio.probe_video(clip)
    out = tmp_path / "out.mp4"
    n = videoio.write_video(out, videoio.read_video_frames(clip), info.fps, audio_from=clip)
    got = videoio.probe_video(out)
    assert n == got.frame_count == 12
    assert got.rate == Fraction(30000, 1001)
    codec, seconds = _audio_seconds(out)
    # PCM cannot live in MP4: it was re-encoded to AAC; AAC was copied. Either way ~ the clip's length.
    assert codec == "aac"
    assert seconds == pytest.approx(12 * 1001 / 30000, abs=0.15)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_concat_joins_parts_without_reencoding(tmp_path: Path, suffix: str) -> None:
    """Parts encoded apart are joined by copying packets: every frame in order, the rate exact
    (NTSC), the audio of the source trimmed to the joined length, and refusals as for writes."""
    rate = Fraction(30000, 1001)
    src = moving_frames(30, 64, 48)
    clip = make_clip(tmp_path / "in.mp4", src, fps=rate)
    parts = []
    for k, (a, b) in enumerate(((0, 12), (12, 24), (24, 30))):
        part = tmp_path / f"p{k}.mp4"
        videoio.write_video(part, [Image(rgb=f) for f in src[a:b]], rate, crf=10, preset="veryfast")
        parts.append(part)
    decoded = [f.rgb.astype(int) for p in parts for f in videoio.read_video_frames(p)]
    out = tmp_path / f"joined{suffix}"
    assert videoio.concat_videos(parts, out, rate, audio_from=clip) == 30
    info = videoio.probe_video(out)
    assert (info.frame_count, info.rate, info.has_audio) == (30, rate, True)
    got = [f.rgb.astype(int) for f in videoio.read_video_frames(out)]
    assert len(got) == 30 and all(np.array_equal(a, b) for a, b in zip(got, decoded, strict=True))
    assert _audio_seconds(out)[1] == pytest.approx(30 / float(rate), abs=0.15)
    with pytest.raises(OutputExistsError):
        videoio.concat_videos(parts, out, rate)
    with pytest.raises(InputError, match="input"):
        videoio.concat_videos(parts, parts[0], rate, overwrite=True)
    with pytest.raises(InputError, match="preset"):
        videoio.write_video(tmp_path / "x.mp4", [Image(rgb=src[0])], rate, preset="warp9")


def test_audio_trimmed_to_a_shorter_video(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mp4", n=24, fps=12)
    out = tmp_path / "out.mp4"
    videoio.write_video(out, videoio.read_video_frames(clip, max_frames=6), 12, audio_from=clip)
    assert videoio.probe_video(out).frame_count == 6
    assert _audio_seconds(out)[1] < 1.0


def test_odd_sizes_are_padded_to_even(tmp_path: Path) -> None:
    frames = [Image(rgb=f[:47, :63]) for f in moving_frames(3, 64, 48)]
    out = tmp_path / "odd.mp4"
    videoio.write_video(out, frames, 10)
    info = videoio.probe_video(out)
    assert (info.width, info.height, info.frame_count) == (64, 48, 3)


def test_refuses_overwrite_and_the_input(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mp4", n=3)
    before = sha256(clip)
    frames = list(videoio.read_video_frames(clip))
    with pytest.raises(InputError, match="input"):
        videoio.write_video(clip, frames, 12, audio_from=clip, overwrite=True)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep")
    with pytest.raises(OutputExistsError):
        videoio.write_video(out, frames, 12)
    assert out.read_bytes() == b"keep" and sha256(clip) == before
    videoio.write_video(out, frames, 12, overwrite=True)
    assert videoio.probe_video(out).frame_count == 3


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def frames():  # a producer that dies mid-way, like a crashed stylizer
        yield Image(rgb=moving_frames(1, 32, 32)[0])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        videoio.write_video(tmp_path / "o.mp4", frames(), 10)
    assert list(tmp_path.iterdir()) == []


def test_mismatched_frame_size_is_an_error(tmp_path: Path) -> None:
    frames = [Image(rgb=np.zeros((32, 32, 3), np.uint8)), Image(rgb=np.zeros((16, 32, 3), np.uint8))]
    with pytest.raises(InputError, match="frame 1"):
        videoio.write_video(tmp_path / "o.mp4", frames, 10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.mp4", b"", "empty"),
        ("noise.mp4", bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "video"),
        ("text.mp4", b"hello, not a video\n" * 20, "video"),
    ],
)
def test_corrupt_inputs_give_clear_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        videoio.probe_video(p)
    with pytest.raises(InputError):
        list(videoio.read_video_frames(p))


def test_truncated_video_is_an_input_error(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=12)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(InputError):
        list(videoio.read_video_frames(cut))


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    import av

    p = tmp_path / "tone.m4a"
    with av.open(str(p), "w") as out:
        a = out.add_stream("aac", rate=16000)
        a.layout = "mono"
        for s in range(0, 16000, 1024):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.int16), format="s16", layout="mono")
            f.sample_rate, f.pts, f.time_base = 16000, s, Fraction(1, 16000)
            out.mux(a.encode(f))
        out.mux(a.encode(None))
    with pytest.raises(InputError, match="no video stream"):
        videoio.probe_video(p)


def test_missing_folder_and_bad_extension(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        videoio.probe_video(tmp_path / "nope.mp4")
    with pytest.raises(InputError, match="folder"):
        videoio.probe_video(tmp_path)
    with pytest.raises(InputError, match=r"\.gifv"):
        videoio.write_video(tmp_path / "o.gifv", [Image(rgb=np.zeros((8, 8, 3), np.uint8))], 10)
    with pytest.raises(InputError, match="fps"):
        videoio.write_video(tmp_path / "o.mp4", [Image(rgb=np.zeros((8, 8, 3), np.uint8))], 0)


def test_caps_refuse_long_or_huge_videos(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=12, fps=12, size=(64, 48))
    with pytest.raises(InputError, match="longer than"):
        list(videoio.read_video_frames(clip, max_duration_s=0.5))
    with pytest.raises(ImageTooLargeError):
        list(videoio.read_video_frames(clip, max_pixels=1000))
    with pytest.raises(InputError, match="more than 2 frames"):
        videoio.write_video(tmp_path / "o.mp4", videoio.read_video_frames(clip), 12, max_frames=2)


def test_rotation_flag_is_applied(tmp_path: Path) -> None:
    import av

    src = moving_frames(2, 64, 48)
    p = tmp_path / "rot.mp4"
    with av.open(str(p), "w") as out:
        vs = out.add_stream("libx264", rate=10)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        vs.set_display_rotation(90)
        for i, rgb in enumerate(src):
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
    info = videoio.probe_video(p)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)
    first = next(videoio.read_video_frames(p)).rgb
    assert first.shape == (64, 48, 3)
    assert np.abs(first.astype(int) - np.rot90(src[0])).mean() < 4
