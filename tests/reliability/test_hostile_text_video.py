"""Subtitles with bad timestamps, captions that are huge or full of control characters, corrupt
videos — and property tests (hypothesis) for image I/O round trips and caption layout."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from huafeng import imageio
from tests.reliability.conftest import Recorder, attempt, unchanged

SRT_OK = "1\n00:00:00,000 --> 00:00:01,000\nhello\n"
ASS_HEAD = (
    "[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)
SUBS: dict[str, tuple[str, bytes]] = {
    "srt-ok": ("s.srt", SRT_OK.encode()),
    "srt-empty": ("s.srt", b""),
    "srt-end-before-start": ("s.srt", b"1\n00:00:05,000 --> 00:00:01,000\nx\n"),
    "srt-99-minutes": ("s.srt", b"1\n00:99:00,000 --> 00:99:01,000\nx\n"),
    "srt-negative": ("s.srt", b"1\n-00:00:01,000 --> 00:00:02,000\nx\n"),
    "srt-huge-hours": ("s.srt", b"1\n99999999999:00:00,000 --> 99999999999:00:01,000\nx\n"),
    "srt-no-arrow": ("s.srt", b"1\n00:00:00,000 00:00:01,000\nx\n"),
    "srt-letters": ("s.srt", b"1\naa:bb:cc,ddd --> ee:ff:gg,hhh\nx\n"),
    "srt-nan": ("s.srt", b"1\nnan --> inf\nx\n"),
    "srt-control-chars": (
        "s.srt",
        ("1\n00:00:00,000 --> 00:00:01,000\n\x00\x1b[31m\x07\u202eevil\x08\n").encode(),
    ),
    "srt-huge-cue": ("s.srt", ("1\n00:00:00,000 --> 00:00:01,000\n" + "字" * 100_000 + "\n").encode()),
    "srt-5000-cues": (
        "s.srt",
        "".join(
            f"{i}\n00:00:{i % 60:02d},000 --> 00:00:{i % 60:02d},500\nx\n\n" for i in range(5000)
        ).encode(),
    ),
    "srt-binary": ("s.srt", bytes(range(256)) * 10),
    "srt-utf16": ("s.srt", SRT_OK.encode("utf-16")),
    "srt-gb18030": ("s.srt", "1\n00:00:00,000 --> 00:00:01,000\n你好\n".encode("gb18030")),
    "srt-3MB": ("s.srt", b"x" * 3_000_000),
    "srt-is-png": ("s.srt", imageio.encode_image(imageio.Image(np.zeros((4, 4, 3), np.uint8)), "PNG")),
    "ass-ok": ("s.ass", (ASS_HEAD + "Dialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,hi\n").encode()),
    "ass-no-events": ("s.ass", b"[Script Info]\nTitle: x\n"),
    "ass-bad-time": ("s.ass", (ASS_HEAD + "Dialogue: 0,0:00:xx.00,0:00:01.00,Default,,0,0,0,,hi\n").encode()),
    "ass-too-few-fields": ("s.ass", (ASS_HEAD + "Dialogue: 0,0:00:00.00\n").encode()),
    "ass-no-format": ("s.ass", b"[Events]\nDialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,hi\n"),
    "ass-override-soup": (
        "s.ass",
        (
            ASS_HEAD + "Dialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,," + "{\\b1\\i1}" * 2000 + "x\n"
        ).encode(),
    ),
    "ass-end-before-start": (
        "s.ass",
        (ASS_HEAD + "Dialogue: 0,0:00:09.00,0:00:01.00,Default,,0,0,0,,hi\n").encode(),
    ),
    "ass-traversal-name": ("../../etc/passwd.ass", b""),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", list(SUBS))
def test_hostile_subtitles(kind: str, tmp_path: Path, record: Recorder) -> None:
    from huafeng.caption.subs import parse_subtitles

    name, data = SUBS[kind]
    path = tmp_path / Path(name).name if "traversal" not in kind else tmp_path / name
    if "traversal" not in kind:
        path.write_bytes(data)
    with unchanged(path) if path.exists() else _null():
        res = attempt(lambda: parse_subtitles(path))
    assert res.seconds < 10
    if kind.endswith("-ok") or kind in ("srt-utf16", "srt-gb18030"):
        assert res.kind == "ok" and len(res.value) == 1
    if kind in (
        "srt-end-before-start",
        "srt-99-minutes",
        "srt-binary",
        "srt-3MB",
        "ass-bad-time",
        "ass-end-before-start",
    ):
        assert res.kind == "error"
    if res.kind == "ok":
        for cue in res.value:
            assert 0 <= cue.start < cue.end
    record("text", f"subtitles:{kind}", res.kind, res.seconds, group="subtitles", message=res.message)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


CAPTIONS = {
    "huge-10k": "画风" * 5000,
    "control-chars": "a\x00b\x1b[31mc\x07d\x08e\rf\tg",
    "rtl-override": "\u202eevil\u202c text",
    "zalgo": "Z" + "\u0336\u0334\u0335" * 300,
    "newlines-1000": "\n" * 1000 + "x",
    "only-spaces": "   \t  ",
    "emoji-only": "😀🎉🔥" * 50,
    "unpaired-surrogate-free": "\ufffd\ufeff\u200b\u200d",
    "mixed-scripts": "打工人 hello мир مرحبا こんにちは 🎉",
    "one-long-word": "x" * 3000,
}


@pytest.fixture(scope="module")
def small_photo() -> imageio.Image:
    rng = np.random.default_rng(0)
    return imageio.Image(rgb=rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", list(CAPTIONS))
def test_hostile_captions(kind: str, small_photo: imageio.Image, record: Recorder) -> None:
    from huafeng.caption.meme import render_meme

    res = attempt(lambda: render_meme(small_photo, CAPTIONS[kind], None))
    assert res.seconds < 20, f"{kind}: {res.seconds:.1f} s"
    if res.kind == "ok":
        assert res.value.size == small_photo.size
    if kind == "only-spaces":
        assert res.kind == "error"
    record("text", f"caption:{kind}", res.kind, res.seconds, group="captions", message=res.message)


def _video_bytes(tmp: Path) -> bytes:
    from huafeng.videoio import write_video

    frames = [imageio.Image(rgb=np.full((32, 48, 3), i * 20, np.uint8)) for i in range(8)]
    p = tmp / "ok.mp4"
    write_video(p, frames, 8)
    return p.read_bytes()


@pytest.mark.timeout(60)
def test_hostile_videos(tmp_path: Path, record: Recorder) -> None:
    from huafeng.videoio import probe_video, read_video_frames

    good = _video_bytes(tmp_path)
    cases = {
        "empty.mp4": b"",
        "random.mp4": np.random.default_rng(0).bytes(50_000),
        "png-named.mp4": imageio.encode_image(imageio.Image(np.zeros((4, 4, 3), np.uint8)), "PNG"),
        "truncated-half.mp4": good[: len(good) // 2],
        "truncated-header.mp4": good[:64],
        "bitflipped.mp4": bytes(b ^ 0x5A if i % 97 == 0 else b for i, b in enumerate(good)),
        "text.mov": b"not a video at all\n" * 20,
        "good.mp4": good,
    }
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with unchanged(p):
            t0 = time.perf_counter()
            res = attempt(lambda p=p: (probe_video(p), sum(1 for _ in read_video_frames(p))))
        assert res.seconds < 20
        if name == "good.mp4":
            assert res.kind == "ok" and res.value[1] == 8
        elif name in ("empty.mp4", "random.mp4", "text.mov", "truncated-header.mp4"):
            # (a PNG named .mp4 is read by FFmpeg as a one-frame video: a correct output)
            assert res.kind == "error", name
        record("video", name, res.kind, time.perf_counter() - t0, group="video", message=res.message)


# --------------------------------------------------------------------------------- properties

MODES = st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
LOSSLESS = st.sampled_from(["PNG", "TIFF", "BMP", "WEBP"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=st.integers(1, 64), h=st.integers(1, 64), mode=MODES, fmt=LOSSLESS, seed=st.integers(0, 2**16))
def test_property_any_small_image_round_trips(w: int, h: int, mode: str, fmt: str, seed: int) -> None:
    """Whatever the size and mode, reading gives (h, w, 3) uint8 that equals Pillow's own RGB."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    pil = PILImage.fromarray(rgb)
    if mode == "I;16":
        pil = PILImage.fromarray((rng.integers(0, 65535, (h, w))).astype(np.uint16))
        fmt = "PNG" if fmt in ("BMP", "WEBP") else fmt
    else:
        pil = pil.convert(mode)
    if fmt == "BMP" and mode in ("LA", "I;16"):
        fmt = "PNG"
    kw = {"lossless": True} if fmt == "WEBP" else {}
    import io

    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kw)
    img = imageio.read_image(buf.getvalue())
    assert img.rgb.shape == (h, w, 3) and img.rgb.dtype == np.uint8
    if mode in ("RGB", "L", "P", "1") and fmt != "WEBP":
        assert np.array_equal(img.rgb, np.asarray(pil.convert("RGB")))
    # and it survives our own encoder unchanged (lossless formats)
    again = imageio.read_image(imageio.encode_image(img, "PNG"))
    assert np.array_equal(again.rgb, img.rgb)
    assert (again.alpha is None) == (img.alpha is None)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.text(min_size=0, max_size=200))
def test_property_any_caption_renders_or_refuses(text: str, small_photo: imageio.Image) -> None:
    """Any unicode string: an image of the same size, or one clear line — never a traceback."""
    from huafeng.caption.meme import render_meme

    res = attempt(lambda: render_meme(small_photo, text, None))
    if res.kind == "ok":
        assert res.value.size == small_photo.size and res.value.rgb.dtype == np.uint8
    else:
        assert not text.strip() or res.message
