"""Stylize a video frame by frame with temporal consistency, resumable, keeping the audio.

Per-frame stylization flickers: a feed-forward generator paints slightly different texture on
every frame because the pixels differ slightly (noise, compression, sub-pixel motion). We carry
the previous *output* forward along the input's motion and blend it in where the motion is
trustworthy (the feed-forward blending of Ruder, Dosovitskiy & Brox, "Artistic style transfer
for videos", GCPR 2016, without their per-frame optimisation):

    warped_t = out_{t-1} sampled at p + B_t(p)        (B_t: DIS flow of input t → input t-1)
    m_t      = forward-backward consistent ∧ inside ∧ input colour agrees after warping
    out_t    = stylize(in_t) + blend · m_t · (warped_t − stylize(in_t))

``blend`` trades flicker against softness and ghosting (0 = per-frame, 1 = frozen texture).
Averaging renderings softens the brush texture, so the detail is then scaled back to the
current frame's local contrast (``keep_contrast``). Where the flow fails (occlusions, cuts,
fast motion) the mask is 0 and the frame is simply stylized on its own. Measured figures:
docs/looks_and_video.md.

Resume: stylized frames are written in lossless chunks to a work folder next to the output
(``.OUT.mp4.huafeng-work/``) together with ``progress.json`` and the last output frame (PNG,
needed to continue the blending exactly). Re-running the same command continues after the last
finished chunk; only the final mux (re-encode + the input's audio) writes the output, atomically.
A different input, style or option set starts over.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, atomic_write_bytes, check_writable, encode_image, read_image
from huafeng.infer.flow import dis_flow, reliable_mask, warp
from huafeng.videoio import (
    check_video_limits,
    probe_video,
    read_video_frames,
    write_video,
)

#: Lossless chunks of this many frames: a crash loses at most one chunk of work.
CHUNK_FRAMES = 24
STATE_VERSION = 1

FrameFn = Callable[[np.ndarray, int], np.ndarray]  # (uint8 RGB frame, index) -> uint8 RGB
Progress = Callable[[int, int], None]  # (frames done, total)


@dataclass(frozen=True)
class VideoOptions:
    temporal: bool = True  # carry the previous output along the flow (False = plain per-frame)
    blend: float = 0.7  # weight of the warped previous output where the flow is reliable
    color_tolerance: float = 0.08  # input mismatch after warping (0..1) above which a pixel is unreliable
    feather: float = 2.0  # Gaussian sigma (px) softening the reliability mask
    keep_contrast: bool = True  # restore the texture contrast blending averages away
    max_frames: int | None = None  # stylize only the first N frames (a preview)
    crf: int = 18  # final H.264 quality

    def __post_init__(self) -> None:
        if not 0.0 <= self.blend < 1.0:
            raise InputError(f"blend must be in [0, 1), got {self.blend}")
        if self.max_frames is not None and self.max_frames < 1:
            raise InputError("max_frames must be at least 1")
        if not 0.0 < self.color_tolerance <= 1.0 or self.feather < 0:
            raise InputError("color_tolerance must be in (0, 1] and feather >= 0")


def temporal_blend(
    styled: np.ndarray,
    prev_out: np.ndarray,
    cur_in: np.ndarray,
    prev_in: np.ndarray,
    opts: VideoOptions,
) -> np.ndarray:
    """Blend the previous output, warped along the input's flow, into this frame's stylization."""
    back, fwd = dis_flow(cur_in, prev_in), dis_flow(prev_in, cur_in)
    mask = reliable_mask(back, fwd).astype(np.float32)
    warped_in, _ = warp(prev_in, back)
    agree = np.abs(warped_in.astype(np.float32) - cur_in.astype(np.float32)).max(axis=2) / 255.0
    mask *= agree <= opts.color_tolerance
    if opts.feather > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), opts.feather) * mask  # soft edges, no leak into holes
    h, w = styled.shape[:2]
    prev = prev_out
    if prev.shape[:2] != (h, w):  # a stylizer that resizes (max_size) keeps one size for all frames
        prev = cv2.resize(prev, (w, h), interpolation=cv2.INTER_AREA)
    if back.shape[:2] != (h, w):
        sy, sx = h / back.shape[0], w / back.shape[1]
        back = np.asarray(cv2.resize(back, (w, h)), np.float32) * np.array([sx, sy], np.float32)
        mask = np.asarray(cv2.resize(mask, (w, h)), np.float32)
    warped, _ = warp(prev.astype(np.float32), back)
    s = styled.astype(np.float32)
    out = s + (opts.blend * mask)[..., None] * (warped - s)
    if opts.keep_contrast:
        out = _match_local_contrast(out, s)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _match_local_contrast(out: np.ndarray, ref: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """Give ``out`` the local texture contrast of ``ref`` (gain clipped to 1..1.6).

    Averaging two renderings whose brush texture is not identical lowers the texture's contrast
    (two independent textures averaged 50/50 keep 71 % of it), so blended video looks softer than
    any single frame. Scaling the detail (image minus its Gaussian mean) back up to the current
    frame's local standard deviation restores the look; the gain changes slowly, so it adds
    little flicker back.
    """

    def mean(x: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(x, (0, 0), sigma), np.float32)

    m_out, m_ref = mean(out), mean(ref)
    d_out, d_ref = out - m_out, ref - m_ref
    var_out = mean((d_out**2).mean(axis=2))
    var_ref = mean((d_ref**2).mean(axis=2))
    gain = np.clip(np.sqrt((var_ref + 1.0) / (var_out + 1.0)), 1.0, 1.6)
    return m_out + d_out * gain[..., None]


def _work_dir(output: Path) -> Path:
    return output.parent / f".{output.name}.huafeng-work"


def _job_key(src: Path, job: dict[str, Any], opts: VideoOptions) -> str:
    st = src.stat()
    ident = {
        "input": str(src.resolve()),
        "size": st.st_size,
        "mtime": st.st_mtime_ns,
        "job": job,
        "opts": asdict(opts),
        "version": STATE_VERSION,
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _load_state(work: Path, key: str) -> dict[str, Any]:
    """The resume record if it belongs to this job and its files exist; else a fresh one."""
    try:
        state = json.loads((work / "progress.json").read_text(encoding="utf-8"))
        if (
            state.get("key") == key
            and all((work / c).is_file() for c in state["chunks"])
            and (state["done"] == 0 or (work / state["last"]).is_file())
        ):
            return dict(state)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if work.exists():
        shutil.rmtree(work)
    return {"key": key, "done": 0, "chunks": [], "last": None}


def _save_state(work: Path, state: dict[str, Any]) -> None:
    atomic_write_bytes(work / "progress.json", json.dumps(state, indent=1).encode())


def _chunk_frames(work: Path, chunks: list[str]) -> Iterator[Image]:
    for c in chunks:
        yield from read_video_frames(work / c)


def stylize_video(
    src: str | os.PathLike[str],
    output: str | os.PathLike[str],
    frame_fn: FrameFn,
    *,
    job: dict[str, Any],
    opts: VideoOptions | None = None,
    post_fn: FrameFn | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Stylize ``src`` into ``output`` with ``frame_fn``; resumes a half-done run of the same job.

    ``job`` identifies what ``frame_fn`` does (style name, model file stamp, options): a resume
    only continues work made by the same job. ``post_fn`` runs after the temporal blend and is
    not carried to the next frame (film grain must move, not be dragged along the flow).
    Returns a summary (frames, fps, resumed_from, seconds of video).
    """
    opts = opts or VideoOptions()
    src_p, out_p = Path(src), Path(output)
    info = probe_video(src_p)
    check_video_limits(info, src_p)
    check_writable(out_p, overwrite=overwrite, protect=[src_p])
    if out_p.suffix.lower() not in (".mp4", ".m4v", ".mov", ".mkv"):
        raise InputError(f"{out_p}: write the video as .mp4, .mov or .mkv")
    total = min(info.frame_count, opts.max_frames or info.frame_count)
    work = _work_dir(out_p)
    state = _load_state(work, _job_key(src_p, job, opts))
    work.mkdir(parents=True, exist_ok=True)
    resumed_from = int(state["done"])
    prev_out = read_image(work / state["last"]).rgb if resumed_from else None
    prev_in: np.ndarray | None = None
    pending: list[Image] = []
    if progress:
        progress(resumed_from, total)

    def flush(upto: int, last: np.ndarray) -> None:
        name = f"chunk-{upto - len(pending):07d}.mkv"
        write_video(work / name, pending, info.rate, crf=0, overwrite=True)
        last_name = f"last-{upto:07d}.png"
        atomic_write_bytes(work / last_name, encode_image(Image(rgb=last), "PNG"))
        old = state["last"]
        state.update(done=upto, chunks=[*state["chunks"], name], last=last_name)
        _save_state(work, state)  # the commit point: chunk and frame exist before they are listed
        if old and old != last_name:
            (work / old).unlink(missing_ok=True)
        pending.clear()

    n = 0
    for n, frame in enumerate(read_video_frames(src_p, max_frames=total), start=1):
        i = n - 1
        if i < resumed_from:
            prev_in = frame.rgb if i == resumed_from - 1 else None
            continue
        styled = frame_fn(frame.rgb, i)
        if opts.temporal and prev_out is not None and prev_in is not None:
            styled = temporal_blend(styled, prev_out, frame.rgb, prev_in, opts)
        prev_out, prev_in = styled, frame.rgb
        pending.append(Image(rgb=post_fn(styled, i) if post_fn else styled))
        if len(pending) >= CHUNK_FRAMES:
            flush(n, styled)
        if progress:
            progress(n, total)
    if pending:
        assert prev_out is not None
        flush(n, prev_out)
    if state["done"] == 0:
        raise InputError(f"{src_p}: no frames decoded")
    written = write_video(
        out_p,
        _chunk_frames(work, state["chunks"]),
        info.rate,
        audio_from=src_p if info.has_audio else None,
        overwrite=overwrite,
        crf=opts.crf,
        protect=[src_p],
    )
    shutil.rmtree(work, ignore_errors=True)
    return {
        "output": str(out_p),
        "frames": written,
        "fps": info.fps,
        "resumed_from": resumed_from,
        "audio": info.has_audio,
        "temporal": opts.temporal,
    }


def stamp(path: Path | None) -> list[object]:
    """What identifies a model file in a resumable job (path, size, mtime): a changed file restarts it."""
    if path is None or not path.exists():
        return []
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns]


def stylize_video_file(
    src: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    style: str,
    strength: float = 1.0,
    max_size: int | None = None,
    opts: VideoOptions | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The front door behind ``huafeng video -s STYLE``: a style (name or ``.onnx``) on every frame.
    (A saved look instead: :func:`huafeng.looks.video.look_video_file`.)"""
    from huafeng.infer.engine import StylizeOptions, Stylizer

    stylizer = Stylizer(style, threads=threads)
    sopts = StylizeOptions(strength=strength, max_size=max_size, threads=threads)
    info = stylizer.info

    def frame_fn(rgb: np.ndarray, i: int) -> np.ndarray:
        return stylizer.stylize(Image(rgb=rgb), sopts).rgb

    job: dict[str, Any] = {
        "style": info.name,
        "model": stamp(info.path),
        "strength": strength,
        "max_size": max_size,
    }
    return stylize_video(src, output, frame_fn, job=job, opts=opts, overwrite=overwrite, progress=progress)
