"""Burn styled, animated subtitles into a (stylized) video, keeping its audio.

Every frame at presentation time ``t = i / fps`` gets the cues active at ``t`` (``start <= t <
end``), drawn by our own renderer, so CJK uses the bundled font and the colours come from the
video's palette. A cue is planned (fitted, placed off faces, coloured) once, on its first frame;
it then pops in (from 70 % size, overshooting, over 0.25 s) and fades out over its last 0.15 s.
Overlapping cues (two speakers) are stacked: a later cue is placed off the boxes of those still
on screen.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from huafeng.caption import layout as L
from huafeng.caption.compose import Caption, box_mean, draw_caption, plan_caption
from huafeng.caption.palette import contrast, palette, pick_colors
from huafeng.caption.place import Scene
from huafeng.caption.sticker import ease_out_back
from huafeng.caption.subs import Cue, parse_subtitles
from huafeng.errors import InputError
from huafeng.imageio import Image, check_writable

POP_S = 0.25
FADE_S = 0.15
MAX_ON_SCREEN = 3
RECOLOUR_BELOW = 2.0
"""A cue's colours are re-picked (once per drop) when the frame under it changes so much that its
letters stand less than this contrast ratio off it: a cut from a dark shot to a grey one."""


@dataclass
class SubtitleReport:
    frames: int
    cues: int
    fps: float
    notes: list[str] = field(default_factory=list)


def _plan(frame: Image, cue: Cue, on_screen: list[Caption], photo: Image) -> Caption:
    scene = Scene.analyse(frame.rgb, photo=photo.rgb)
    blocked = tuple(c.box for c in on_screen)
    scene = Scene(scene.faces + blocked, scene.saliency, scene.busy)
    h = frame.rgb.shape[0]
    return plan_caption(
        frame.rgb,
        cue.text,
        region="top" if cue.top else "bottom",
        scene=scene,
        spec=L.TextSpec(weight=800),
        max_size=max(L.MIN_SIZE, round(h / 13)),
        centre=1.0,  # viewers' eyes return to the bottom centre for each new line
    )


def _keep_legible(cap: Caption, rgb: np.ndarray) -> Caption:
    """The cue's colours measured against *this* frame under it; re-picked when they fall below
    :data:`RECOLOUR_BELOW` (planned on the cue's first frame, they can meet a different shot)."""
    bg = box_mean(rgb, cap.box)
    if contrast(cap.colors.fill, bg) >= RECOLOUR_BELOW:
        return cap
    colours = pick_colors(palette(rgb), bg)
    return dataclasses.replace(cap, colors=colours)


def subtitled_frames(
    frames: Iterator[Image], cues: list[Cue], fps: float, notes: list[str], stylizer: object | None = None
) -> Iterator[Image]:
    """Stylize (when given a stylizer) and caption each frame; planning happens lazily per cue."""
    plans: dict[int, Caption] = {}
    for i, frame in enumerate(frames):
        t = i / fps
        photo = frame
        if stylizer is not None:
            frame = stylizer.stylize(frame)  # type: ignore[attr-defined]
        rgb = frame.rgb
        active = [k for k, c in enumerate(cues) if c.active(t)]
        if len(active) > MAX_ON_SCREEN:
            notes.append(f"{len(active)} subtitles overlap at {t:.2f} s; showing the latest {MAX_ON_SCREEN}")
            active = active[-MAX_ON_SCREEN:]
        for k in active:
            cue = cues[k]
            if k not in plans:
                try:
                    plans[k] = _plan(frame, cue, [plans[j] for j in active if j in plans], photo)
                except InputError as e:
                    raise InputError(f"subtitle {k + 1} ({cue.start:.2f} s): {e}") from None
                notes.extend(f"subtitle {k + 1}: {n}" for n in plans[k].notes)
            plans[k] = _keep_legible(plans[k], rgb)
            age, left = t - cue.start, cue.end - t
            # starts at 70 % size and 80 % opacity: the first frame of a cue is already readable
            scale = 0.7 + 0.3 * ease_out_back(min(1.0, age / POP_S))
            alpha = min(1.0, 0.8 + 0.2 * age / POP_S, left / FADE_S)
            rgb = draw_caption(rgb, plans[k], scale=scale, alpha=max(0.0, alpha))
        for k in [k for k in plans if not cues[k].active(t) and t >= cues[k].end]:
            del plans[k]  # free the masks of finished cues
        yield frame.with_rgb(rgb)


def burn_subtitles(
    video: str | os.PathLike[str],
    subtitles: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    style: str | None = None,
    overwrite: bool = False,
    max_frames: int | None = None,
) -> SubtitleReport:
    """Read ``video``, stylize its frames (``style``), burn ``subtitles``, write ``output`` with audio."""
    from huafeng import videoio

    out = check_writable(output, overwrite=overwrite, protect=[video, subtitles])
    if out.suffix.lower() != ".mp4":
        raise InputError(f"{out}: subtitled videos are written as .mp4")
    cues = parse_subtitles(subtitles)  # bad subtitles fail before any frame is decoded
    info = videoio.probe_video(video)
    notes: list[str] = []
    late = [i + 1 for i, c in enumerate(cues) if c.start >= info.duration_s]
    if late:
        notes.append(f"{len(late)} subtitle(s) start after the video ends ({info.duration_s:.2f} s)")
    stylizer = None
    if style is not None:
        from huafeng.infer.engine import Stylizer

        stylizer = Stylizer(style)
    frames = videoio.read_video_frames(video, max_frames=max_frames)
    n = videoio.write_video(
        Path(output),
        subtitled_frames(frames, cues, info.fps, notes, stylizer),
        info.fps,
        audio_from=video if info.has_audio else None,
        overwrite=overwrite,
        protect=[video, subtitles],
    )
    return SubtitleReport(frames=n, cues=len(cues), fps=info.fps, notes=list(dict.fromkeys(notes)))
