"""Reading video: probe, limits and upright sRGB frames (see the package docstring)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import ImageTooLargeError, InputError
from huafeng.imageio import Image

#: Longest video accepted by default (seconds). A 10-minute clip at 30 fps is 18 000 frames of
#: stylization, hours on a CPU; longer inputs are almost always a mistake. ``HUAFENG_MAX_VIDEO_SECONDS``.
DEFAULT_MAX_DURATION_S = 600.0
#: Hard cap on decoded frames per call, whatever the container claims (``HUAFENG_MAX_VIDEO_FRAMES``).
DEFAULT_MAX_VIDEO_FRAMES = 36_000


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe_video` learns without decoding pixels."""

    width: int  # displayed width (after the rotation flag)
    height: int
    fps: float  # average frame rate
    frame_count: int  # from the container index, or counted from packets when absent
    duration_s: float
    has_audio: bool
    rotation: int = 0  # degrees the player rotates the stored frames (0, 90, 180, 270)

    @property
    def rate(self) -> Fraction:
        """``fps`` as the exact fraction FFmpeg wants (29.97 -> 30000/1001)."""
        return as_rate(self.fps)


def as_rate(fps: float | Fraction) -> Fraction:
    """A frame rate as a small fraction; NTSC rates come back exact (30000/1001)."""
    if isinstance(fps, Fraction):
        return fps
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        raise InputError(f"frame rate {fps} is not a usable fps (0 < fps <= 1000)")
    return Fraction(fps).limit_denominator(1001)


def _av() -> Any:
    try:
        import av
    except ImportError:  # pragma: no cover - depends on the install
        raise InputError("video needs PyAV: pip install 'huafeng[video]' (or pip install av)") from None
    return av


def _short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg[:200]


def _open_input(path: str | os.PathLike[str]) -> Any:
    av = _av()
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not a video")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    try:
        return av.open(str(p), mode="r")
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{p}: not a video file, or one huafeng cannot read ({_short(e)})") from None


def _video_stream(container: Any, p: Path) -> Any:
    if not container.streams.video:
        container.close()
        raise InputError(f"{p}: has no video stream")
    return container.streams.video[0]


def _rotation(frame: Any) -> int:
    """Counter-clockwise display rotation of a decoded frame (phones store portrait video sideways)."""
    try:
        return round(float(frame.rotation) / 90) * 90 % 360
    except (TypeError, ValueError, AttributeError):
        return 0


def _upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    # np.rot90 turns counter-clockwise, the same sense as FFmpeg's display matrix angle.
    return np.ascontiguousarray(np.rot90(rgb, rotation // 90)) if rotation else rgb


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Size, rate, length and audio presence of a video; raises :class:`InputError` if unreadable."""
    av = _av()
    p = Path(path)
    with _open_input(p) as c:
        vs = _video_stream(c, p)
        rate = vs.average_rate or vs.guessed_rate or vs.base_rate
        if not rate or rate <= 0:
            raise InputError(f"{p}: video stream has no usable frame rate")
        fps = float(rate)
        frames = int(vs.frames or 0)
        if frames <= 0:  # containers without an index (raw streams, some MKVs): count packets
            try:
                frames = sum(1 for pk in c.demux(vs) if pk.size > 0)
            except av.FFmpegError as e:
                raise InputError(f"{p}: corrupt video ({_short(e)})") from None
        if vs.duration is not None and vs.time_base is not None:
            duration = float(vs.duration * vs.time_base)
        elif c.duration is not None:
            duration = c.duration / 1_000_000
        else:
            duration = frames / fps
        w, h = vs.codec_context.width, vs.codec_context.height
        if w <= 0 or h <= 0:
            raise InputError(f"{p}: video stream has no frame size")
        rot = _first_frame_rotation(av, c, vs, p)
        if rot in (90, 270):
            w, h = h, w
        return VideoInfo(w, h, fps, frames, duration, bool(c.streams.audio), rot)


def _first_frame_rotation(av: Any, c: Any, vs: Any, p: Path) -> int:
    """Decode one frame: proves the stream decodes at all and reads its rotation flag."""
    try:
        c.seek(0)
        for frame in c.decode(vs):
            return _rotation(frame)
    except av.FFmpegError as e:
        raise InputError(f"{p}: corrupt video ({_short(e)})") from None
    raise InputError(f"{p}: video stream has no decodable frames")


def check_video_limits(
    info: VideoInfo,
    name: str | os.PathLike[str],
    *,
    max_pixels: int | None = None,
    max_duration_s: float | None = None,
) -> None:
    """Refuse videos whose frames or length exceed the caps before any frame is decoded (None:
    ``HUAFENG_MAX_PIXELS`` / ``HUAFENG_MAX_VIDEO_SECONDS``, read now)."""
    from huafeng.envsettings import env_float, env_int

    max_pixels = env_int("HUAFENG_MAX_PIXELS") if max_pixels is None else max_pixels
    max_duration_s = env_float("HUAFENG_MAX_VIDEO_SECONDS") if max_duration_s is None else max_duration_s
    if info.width * info.height > max_pixels:
        raise ImageTooLargeError(
            f"{name}: {info.width}x{info.height} frames exceed the limit of {max_pixels / 1e6:.0f} MP"
        )
    if info.duration_s > max_duration_s:
        raise InputError(
            f"{name}: {info.duration_s:.0f} s is longer than the limit of {max_duration_s:.0f} s "
            "(raise it with HUAFENG_MAX_VIDEO_SECONDS, or cut the clip)"
        )


def read_video_frames(
    path: str | os.PathLike[str],
    max_frames: int | None = None,
    *,
    max_pixels: int | None = None,
    max_duration_s: float | None = None,
) -> Iterator[Image]:
    """Decode frames in display order as sRGB :class:`Image`, upright (rotation flag applied).

    ``max_frames`` stops early (a preview, or a resume that only needs a prefix); without it
    the file's length is checked against ``max_duration_s`` and decoding stops at
    :data:`DEFAULT_MAX_VIDEO_FRAMES` whatever the container claims. A file that decodes for a
    while and then breaks (a truncated upload) raises :class:`InputError` at that point.
    """
    av = _av()
    p = Path(path)
    info = probe_video(p)
    check_video_limits(
        info, p, max_pixels=max_pixels, max_duration_s=float("inf") if max_frames else max_duration_s
    )
    from huafeng.envsettings import env_int

    cap = env_int("HUAFENG_MAX_VIDEO_FRAMES")
    limit = min(max_frames, cap) if max_frames else cap
    n = 0
    with _open_input(p) as c:
        vs = _video_stream(c, p)
        vs.thread_type = "AUTO"
        try:
            for frame in c.decode(vs):
                rgb = _upright(frame.to_ndarray(format="rgb24"), _rotation(frame))
                yield Image(rgb=rgb, format="VIDEO", duration_ms=round(1000 / info.fps))
                n += 1
                if n >= limit:
                    return
        except av.FFmpegError as e:
            raise InputError(f"{p}: corrupt video at frame {n} ({_short(e)})") from None
    if n == 0:
        raise InputError(f"{p}: video stream has no decodable frames")
