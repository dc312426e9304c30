"""A saved look on every frame of a video: the same streaming, flicker-reduced, resumable pipeline
as styles (:func:`huafeng.infer.video.stylize_video`), with the look's LUT, refinement and grain."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import numpy as np

from huafeng.imageio import from_float, to_float
from huafeng.infer.video import FrameFn, Progress, VideoOptions, stamp, stylize_video
from huafeng.looks import ApplyOptions, apply_look_array, resolve_look
from huafeng.looks.fit import apply_grain


def look_video_file(
    src: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    look: str,
    strength: float = 1.0,
    opts: VideoOptions | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The front door behind ``huafeng video --look NAME``. Grain is drawn after the temporal
    blending, seeded by the frame number, so it moves like film grain instead of being smeared."""
    lk = resolve_look(look)
    aopts = ApplyOptions(strength=strength, grain=0.0, threads=threads)

    def frame_fn(rgb: np.ndarray, i: int) -> np.ndarray:
        return apply_look_array(rgb, lk, aopts)

    post_fn: FrameFn | None = None
    if lk.grain > 0:

        def post_fn(rgb: np.ndarray, i: int) -> np.ndarray:
            return from_float(apply_grain(to_float(rgb), lk.grain, seed=i))

    job = {
        "look": lk.name,
        "lut": hashlib.sha256(lk.lut.table.tobytes()).hexdigest()[:16],
        "refine": stamp(lk.refine),
        "grain": lk.grain,
        "vignette": lk.vignette,
        "strength": strength,
    }
    return stylize_video(
        src, output, frame_fn, job=job, opts=opts, post_fn=post_fn, overwrite=overwrite, progress=progress
    )
