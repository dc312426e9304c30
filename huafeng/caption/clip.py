"""MP4 output for stickers: frames → H.264 with PyAV (the ``video`` extra)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import atomic_write_bytes, check_writable


def _even(rgb: np.ndarray) -> np.ndarray:
    """H.264 with 4:2:0 chroma needs even sides: crop the odd last row/column."""
    h, w = rgb.shape[:2]
    return rgb[: h - h % 2, : w - w % 2]


def encode_mp4(frames: Sequence[np.ndarray], fps: float) -> bytes:
    try:
        import av
    except ImportError:
        raise InputError("writing .mp4 needs PyAV: pip install 'huafeng[video]'") from None
    import io
    from fractions import Fraction

    if not frames:
        raise InputError("no frames to write")
    buf = io.BytesIO()
    with av.open(buf, mode="w", format="mp4") as container:
        first = _even(frames[0])
        stream = container.add_stream("libx264", rate=Fraction(round(fps * 1000), 1000))
        stream.width, stream.height = first.shape[1], first.shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}
        for f in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(_even(f)), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def write_mp4(
    path: str | os.PathLike[str],
    frames: Sequence[np.ndarray],
    fps: float,
    *,
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    p = check_writable(path, overwrite=overwrite, protect=protect)
    atomic_write_bytes(p, encode_mp4(frames, fps))
    return p
