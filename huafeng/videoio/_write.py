"""Writing video: H.264 encodes and stream-copy concatenation, atomic, audio carried over."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, check_writable
from huafeng.videoio._read import _av, _short, as_rate

#: Containers we write, with the video codec used; H.264 in yuv420p plays everywhere.
_VIDEO_CODECS = {".mp4": "libx264", ".m4v": "libx264", ".mov": "libx264", ".mkv": "libx264"}
#: Audio codecs an MP4/MOV can carry as-is; anything else (PCM, Vorbis...) is re-encoded to AAC.
_MP4_AUDIO_COPY = {"aac", "mp3", "alac", "ac3", "eac3"}


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


#: x264 presets accepted (speed vs compression at the same quality); "medium" is x264's default.
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")


def _target(
    path: str | os.PathLike[str], overwrite: bool, protect: Iterable[str | os.PathLike[str]]
) -> tuple[Path, str]:
    """The output path and its codec, checked before any work (a refused overwrite costs nothing)."""
    p = Path(path)
    codec = _VIDEO_CODECS.get(p.suffix.lower())
    if codec is None:
        raise InputError(
            f"{p}: cannot write {p.suffix or 'files without an extension'}; use one of "
            f"{', '.join(sorted(_VIDEO_CODECS))}"
        )
    check_writable(p, overwrite=overwrite, protect=list(protect))
    return p, codec


@contextmanager
def _atomic_container(p: Path) -> Iterator[Any]:
    """An output container on a temp file beside ``p``, moved over ``p`` only when the block succeeds."""
    av = _av()
    parent = p.parent if str(p.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".tmp{p.suffix}", dir=parent)
        os.close(fd)
    except OSError as e:
        raise InputError(f"{p}: cannot write here ({_short(e)})") from None
    tmp = Path(tmp_name)
    try:
        with av.open(str(tmp), mode="w") as out:
            yield out
        mode = p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except av.FFmpegError as e:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{p}: video encoding failed ({_short(e)})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[Image],
    fps: float | Fraction,
    *,
    audio_from: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    crf: int = 20,
    preset: str = "medium",
    protect: Iterable[str | os.PathLike[str]] = (),
    max_frames: int | None = None,
) -> int:
    """Encode ``frames`` (H.264, yuv420p) to ``path`` atomically; returns the number written.

    The first frame fixes the size (odd sides padded to even); later frames of another size are
    an error, not silently resized. ``audio_from`` (usually the input video) lends its first
    audio stream, copied when the container can hold it and re-encoded to AAC otherwise, trimmed
    to the video's length. The destination is checked before any frame is pulled, so a refused
    overwrite costs nothing; ``audio_from`` and ``protect`` are never overwritten. ``preset``
    trades encoding time for file size at the same ``crf`` quality.
    """
    av = _av()
    if max_frames is None:
        from huafeng.envsettings import env_int

        max_frames = env_int("HUAFENG_MAX_VIDEO_FRAMES")
    if not 0 <= crf <= 51:
        raise InputError(f"crf {crf} out of range (0 = lossless .. 51)")
    if preset not in PRESETS:
        raise InputError(f"preset {preset!r} is not one of {', '.join(PRESETS)}")
    rate = as_rate(fps)
    p, codec = _target(path, overwrite, [*protect, *([audio_from] if audio_from is not None else [])])
    with _atomic_container(p) as out:
        vout = out.add_stream(codec, rate=rate)
        vout.pix_fmt = "yuv420p"
        # crf 0 in yuv420p is not lossless for libx264 unless qp is 0 too; keep both in step.
        vout.options = {"crf": str(crf), "preset": preset} if crf else {"qp": "0", "preset": preset}
        vout.codec_context.time_base = 1 / rate
        with _audio_track(av, out, p, audio_from) as finish_audio:
            n = _encode_frames(av, out, vout, frames, p, rate, max_frames)
            finish_audio(float(n / rate))
    return n


def _encode_frames(
    av: Any, out: Any, vout: Any, frames: Iterable[Image], p: Path, rate: Fraction, max_frames: int
) -> int:
    """Encode and mux every frame (the first fixes the size), then flush; returns the count."""
    n = 0
    size: tuple[int, int] | None = None
    for img in frames:
        rgb = _even(np.ascontiguousarray(img.rgb[..., :3], dtype=np.uint8))
        if size is None:
            size = (rgb.shape[1], rgb.shape[0])
            vout.width, vout.height = size
        elif (rgb.shape[1], rgb.shape[0]) != size:
            w, h = img.size
            raise InputError(f"{p}: frame {n} is {w}x{h}, the first was {size[0]}x{size[1]}")
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
    return n


@contextmanager
def _audio_track(
    av: Any, out: Any, p: Path, audio_from: str | os.PathLike[str] | None
) -> Iterator[Callable[[float], None]]:
    """Add ``audio_from``'s first audio stream to ``out`` (copied when ``p``'s container can hold
    it, else AAC); the yielded function muxes it up to the video's length, in seconds."""
    if audio_from is None:
        yield lambda until_s: None
        return
    copy_ok = None if p.suffix.lower() == ".mkv" else _MP4_AUDIO_COPY
    audio = _audio_source(av, Path(audio_from), out, copy_ok)
    try:
        if audio is None:
            yield lambda until_s: None
        else:
            yield lambda until_s: _mux_audio(av, audio, out, until_s=until_s)
    finally:
        if audio is not None:
            audio[0].close()


def concat_videos(
    parts: Iterable[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    fps: float | Fraction,
    *,
    audio_from: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> int:
    """Join H.264 files written by :func:`write_video` with the same size, rate and settings into
    ``path`` without re-encoding (packets copied, timestamps shifted); returns the frame count.

    Why: a resumable job encodes its chunks once at the final quality; joining them is then a
    copy, where decoding lossless chunks and encoding again cost a third of a video job.
    ``audio_from`` lends its audio as in :func:`write_video`; the write is atomic.
    """
    av = _av()
    rate = as_rate(fps)
    files = [Path(x) for x in parts]
    if not files:
        raise InputError(f"{path}: no parts to join")
    p, _ = _target(path, overwrite, [*protect, *files, *([audio_from] if audio_from is not None else [])])
    n = 0
    with _atomic_container(p) as out, av.open(str(files[0])) as first:
        vout = out.add_stream_from_template(first.streams.video[0])
        with _audio_track(av, out, p, audio_from) as finish_audio:
            for f in files:
                n += _copy_packets(av, f, out, vout, n / rate)
            finish_audio(float(n / rate))
    return n


def _copy_packets(av: Any, part: Path, out: Any, vout: Any, start_s: Fraction) -> int:
    """Mux ``part``'s video packets into ``out`` shifted to start at ``start_s``; returns its frames."""
    count = 0
    with av.open(str(part)) as c:
        vs = c.streams.video[0]
        shift = round(start_s / vs.time_base)
        for pk in c.demux(vs):
            if pk.dts is None:  # the demuxer's empty flush packet
                continue
            pk.dts += shift
            if pk.pts is not None:
                pk.pts += shift
            pk.stream = vout
            out.mux(pk)
            count += 1
    return count


def _umask() -> int:
    from huafeng import imageio

    return int(getattr(imageio, "_UMASK", 0o022))
