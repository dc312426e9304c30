"""The only place that reads and writes video (PyAV, i.e. FFmpeg's libraries, no subprocess).

Frames cross this boundary as :class:`huafeng.imageio.Image` (``rgb`` ``(H, W, 3)`` ``uint8``
sRGB), the same convention as still images, so stylization code never knows it is in a video.

Why a module of its own: video has failure modes photos do not — files from phones carry a
rotation flag instead of rotated pixels, variable frame rates, audio in codecs an MP4 cannot
hold, odd sizes that yuv420p refuses, and truncated uploads that decode for a while and then
fail. Each is handled once here. Writes follow :mod:`huafeng.imageio`: a temp file in the
destination folder, ``os.replace`` on success, never over an existing file unless asked and
never over an input.

``av`` is an optional dependency (the ``video`` extra); it is imported lazily so the rest of
the package imports without it and a missing install produces one clear line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import ImageTooLargeError, InputError
from huafeng.imageio import Image, check_writable

#: Longest video accepted by default (seconds). A 10-minute clip at 30 fps is 18 000 frames of
#: stylization, hours on a CPU; longer inputs are almost always a mistake. ``HUAFENG_MAX_VIDEO_SECONDS``.
DEFAULT_MAX_DURATION_S = 600.0
#: Hard cap on decoded frames per call, whatever the container claims (``HUAFENG_MAX_VIDEO_FRAMES``).
DEFAULT_MAX_VIDEO_FRAMES = 36_000

#: Containers we write, with the video codec used; H.264 in yuv420p plays everywhere.
_VIDEO_CODECS = {".mp4": "libx264", ".m4v": "libx264", ".mov": "libx264", ".mkv": "libx264"}
#: Audio codecs an MP4/MOV can carry as-is; anything else (PCM, Vorbis...) is re-encoded to AAC.
_MP4_AUDIO_COPY = {"aac", "mp3", "alac", "ac3", "eac3"}


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


# --------------------------------------------------------------------------------------- writing


def _even(rgb: np.ndarray) -> np.ndarray:
    """yuv420p needs even sides: pad one edge-replicated row/column rather than lose content."""
    h, w = rgb.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def _audio_source(av: Any, path: Path, out: Any, copy_ok: set[str] | None) -> tuple[Any, Any, Any] | None:
    """Open ``path``'s first audio stream and add a matching output stream (copy or AAC)."""
    try:
        src = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError) as e:
        raise InputError(f"{path}: cannot read audio ({_short(e)})") from None
    if not src.streams.audio:
        src.close()
        return None
    ain = src.streams.audio[0]
    if copy_ok is None or ain.codec_context.name in copy_ok:
        aout = out.add_stream_from_template(ain)
        return src, ain, aout
    aout = out.add_stream("aac", rate=ain.codec_context.sample_rate or 44100)
    return src, ain, aout


def _mux_audio(av: Any, audio: tuple[Any, Any, Any], out: Any, until_s: float) -> None:
    """Copy (or re-encode) audio up to the video's end, so a trimmed video gets trimmed audio."""
    src, ain, aout = audio
    copy = aout.codec_context.name == ain.codec_context.name and not aout.codec_context.is_open
    try:
        if copy:
            for pk in src.demux(ain):
                if pk.dts is None:
                    continue
                if pk.pts is not None and float(pk.pts * ain.time_base) >= until_s:
                    break
                pk.stream = aout
                out.mux(pk)
            return
        cc = aout.codec_context
        resampler = av.AudioResampler(format=cc.format or "fltp", layout=cc.layout or "stereo", rate=cc.rate)
        for frame in src.decode(ain):
            if frame.pts is not None and frame.time is not None and frame.time >= until_s:
                break
            frame.pts = None
            for rf in resampler.resample(frame):
                out.mux(aout.encode(rf))
        for rf in resampler.resample(None):
            out.mux(aout.encode(rf))
        out.mux(aout.encode(None))
    except av.FFmpegError as e:
        raise InputError(f"{src.name}: cannot copy its audio ({_short(e)})") from None


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[Image],
    fps: float | Fraction,
    *,
    audio_from: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    crf: int = 20,
    protect: Iterable[str | os.PathLike[str]] = (),
    max_frames: int | None = None,
) -> int:
    """Encode ``frames`` (H.264, yuv420p) to ``path`` atomically; returns the number written.

    The first frame fixes the size (odd sides padded to even); later frames of another size are
    an error, not silently resized. ``audio_from`` (usually the input video) lends its first
    audio stream, copied when the container can hold it and re-encoded to AAC otherwise, trimmed
    to the video's length. The destination is checked before any frame is pulled, so a refused
    overwrite costs nothing; ``audio_from`` and ``protect`` are never overwritten.
    """
    av = _av()
    if max_frames is None:
        from huafeng.envsettings import env_int

        max_frames = env_int("HUAFENG_MAX_VIDEO_FRAMES")
    p = Path(path)
    codec = _VIDEO_CODECS.get(p.suffix.lower())
    if codec is None:
        raise InputError(
            f"{p}: cannot write {p.suffix or 'files without an extension'}; use one of "
            f"{', '.join(sorted(_VIDEO_CODECS))}"
        )
    if not 0 <= crf <= 51:
        raise InputError(f"crf {crf} out of range (0 = lossless .. 51)")
    rate = as_rate(fps)
    protected = [*protect, *([audio_from] if audio_from is not None else [])]
    check_writable(p, overwrite=overwrite, protect=protected)
    parent = p.parent if str(p.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".tmp{p.suffix}", dir=parent)
        os.close(fd)
    except OSError as e:
        raise InputError(f"{p}: cannot write here ({_short(e)})") from None
    tmp = Path(tmp_name)
    audio = None
    n = 0
    try:
        with av.open(str(tmp), mode="w") as out:
            vout = out.add_stream(codec, rate=rate)
            vout.pix_fmt = "yuv420p"
            # crf 0 in yuv420p is not lossless for libx264 unless qp is 0 too; keep both in step.
            vout.options = {"crf": str(crf), "preset": "medium"} if crf else {"qp": "0", "preset": "medium"}
            vout.codec_context.time_base = 1 / rate
            if audio_from is not None:
                copy_ok = None if p.suffix.lower() == ".mkv" else _MP4_AUDIO_COPY
                audio = _audio_source(av, Path(audio_from), out, copy_ok)
            size: tuple[int, int] | None = None
            for img in frames:
                rgb = _even(np.ascontiguousarray(img.rgb[..., :3], dtype=np.uint8))
                if size is None:
                    size = (rgb.shape[1], rgb.shape[0])
                    vout.width, vout.height = size
                elif (rgb.shape[1], rgb.shape[0]) != size:
                    raise InputError(
                        f"{p}: frame {n} is {img.size[0]}x{img.size[1]}, the first was {size[0]}x{size[1]}"
                    )
                if n >= max_frames:
                    raise InputError(f"{p}: more than {max_frames} frames (HUAFENG_MAX_VIDEO_FRAMES)")
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = n
                frame.time_base = 1 / rate
                out.mux(vout.encode(frame))
                n += 1
            if n == 0:
                raise InputError(f"{p}: no frames to write")
            out.mux(vout.encode(None))
            if audio is not None:
                _mux_audio(av, audio, out, until_s=float(n / rate))
        mode = p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except av.FFmpegError as e:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{p}: video encoding failed ({_short(e)})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if audio is not None:
            audio[0].close()
    return n


def _umask() -> int:
    from huafeng import imageio

    return int(getattr(imageio, "_UMASK", 0o022))
