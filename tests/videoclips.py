"""Tiny synthetic video clips for tests, written with PyAV directly (not with huafeng.videoio,
so the reader is tested against an independent writer)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def moving_frames(n: int, w: int, h: int) -> list[np.ndarray]:
    """A gradient with a bright square sliding right: every frame differs and is recognisable."""
    y, x = np.mgrid[0:h, 0:w]
    frames = []
    for i in range(n):
        rgb = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), np.full_like(x, 60)], -1)
        x0 = (2 * i) % max(w - 8, 1)
        rgb[h // 4 : h // 4 + 8, x0 : x0 + 8] = 255
        frames.append(rgb.astype(np.uint8))
    return frames


def make_clip(
    path: Path,
    frames: list[np.ndarray] | None = None,
    *,
    n: int = 12,
    size: tuple[int, int] = (64, 48),
    fps: int | Fraction = 12,
    audio: str | None = "aac",
    sample_rate: int = 16000,
    tone_hz: float = 440.0,
) -> Path:
    """Write ``frames`` (or a moving gradient) as H.264 plus an optional sine tone.

    ``audio`` is an FFmpeg encoder name ("aac", "pcm_s16le" for .mkv/.mov) or None.
    """
    import av

    frames = frames if frames is not None else moving_frames(n, *size)
    rate = Fraction(fps)
    with av.open(str(path), mode="w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height = frames[0].shape[1], frames[0].shape[0]
        vs.pix_fmt = "yuv420p"
        vs.options = {"crf": "12", "preset": "ultrafast"}
        a = out.add_stream(audio, rate=sample_rate) if audio else None
        if a is not None:
            a.layout = "mono"
        for i, rgb in enumerate(frames):
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            f.pts = i
            f.time_base = 1 / rate
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
        if a is not None:
            seconds = len(frames) / float(rate)
            t = np.arange(int(seconds * sample_rate)) / sample_rate
            pcm = (0.3 * np.sin(2 * np.pi * tone_hz * t) * 32767).astype(np.int16)
            chunk = 1024
            for s in range(0, len(pcm), chunk):
                af = av.AudioFrame.from_ndarray(pcm[None, s : s + chunk], format="s16", layout="mono")
                af.sample_rate = sample_rate
                af.pts = s
                af.time_base = Fraction(1, sample_rate)
                out.mux(a.encode(af))
            out.mux(a.encode(None))
    return path
