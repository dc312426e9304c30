"""Story snippets: a few photos (+ captions) → one consistently styled comic page and an animation.

"Consistent" means two things here, and both are needed:

1. **One style, one set of options** for every panel (same model, strength, colour mode).
2. **One tone.** A style model answers each photo's own exposure and white balance, so a sunny
   street and a dim café still look like two different comics. After stylizing, each panel's
   Lab mean and spread are pulled towards the average over all panels (Reinhard et al. 2001,
   "Color transfer between images", applied towards the group instead of one reference), with
   ``normalize`` saying how far (1 = identical statistics).

The page (:mod:`huafeng.story.pages`) is a 9:16 phone story, a 1:1 post or a classic strip; each
photo is cropped to its cell around its faces or salient centre and stylized at the cell's size;
captions become caption boxes or speech balloons in the story's own paper and ink colours
(:mod:`huafeng.story.balloons`). The animation reveals the page panel by panel, as a reader's eye
goes through a comic, and holds the whole page at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from huafeng.caption.place import Scene
from huafeng.errors import InputError
from huafeng.imageio import Image, check_writable, resize, write_animation, write_image
from huafeng.infer.engine import StyleRef, StylizeOptions, Stylizer
from huafeng.story import balloons, pages

Progress = Callable[[float, str], None]
MAX_PANELS = 12
MAX_CAPTION_CHARS = 200
MAX_TITLE_CHARS = 60
ANIMATION_WIDTH = 540
"""Animations are scaled to this width: a GIF of a 1080×1920 page would be tens of MB."""


@dataclass(frozen=True)
class StoryOptions:
    """How a story is laid out; the style itself is passed separately."""

    strength: float = 1.0
    preserve_color: bool = False
    format: str = "9:16"
    """``9:16`` (phone story), ``1:1`` (feed post) or ``strip`` (rows of equal panels)."""
    width: int = 1080
    """Page width in px for ``9:16`` and ``1:1``."""
    panel_side: int = 480
    """Longest side of each panel in px, for ``strip``."""
    columns: int = 0
    """Panels per row of a ``strip``; 0 = one row up to 4 panels, else rows of 3."""
    title: str | None = None
    balloon: str = "auto"
    """Captions as ``box`` (narration), ``bubble`` (speech, tail to the face) or ``auto``."""
    normalize: float = 0.8
    """0 = leave each panel's tone alone, 1 = every panel gets the group's Lab mean and spread."""
    frame_ms: int = 1500
    """How long each panel stays on screen in the animation."""
    fade_frames: int = 4
    """Frames over which a panel fades in (0 = it appears at once)."""
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.format not in pages.FORMATS:
            raise InputError(f"format must be one of {', '.join(pages.FORMATS)}, not {self.format!r}")
        if not 64 <= self.panel_side <= 2048:
            raise InputError(f"panel_side must be 64..2048 px, got {self.panel_side}")
        if not 240 <= self.width <= 2160:
            raise InputError(f"width must be 240..2160 px, got {self.width}")
        if self.columns < 0 or self.fade_frames < 0 or self.fade_frames > 30:
            raise InputError("columns must be 0 or more; fade_frames 0..30")
        if not 0.0 <= self.normalize <= 1.0:
            raise InputError(f"normalize must be between 0 and 1, got {self.normalize}")
        if not 100 <= self.frame_ms <= 20_000:
            raise InputError(f"frame_ms must be 100..20000, got {self.frame_ms}")
        if self.balloon not in ("auto", "box", "bubble"):
            raise InputError(f"balloon must be auto, box or bubble, not {self.balloon!r}")
        if self.title is not None and len(self.title) > MAX_TITLE_CHARS:
            raise InputError(f"the title is at most {MAX_TITLE_CHARS} characters")


@dataclass(frozen=True)
class Story:
    panels: list[Image]
    """Styled, tone-matched, captioned panels, each the size of its cell."""
    strip: Image
    """The whole page (named for the format it first had)."""
    frames: list[Image]
    """Animation frames; each carries its own ``duration_ms``."""
    notes: list[str] = field(default_factory=list)


def normalize_tones(panels: Sequence[np.ndarray], amount: float) -> list[np.ndarray]:
    """Pull each uint8 RGB panel's Lab mean/std towards the group's (see the module docstring)."""
    if amount <= 0 or len(panels) < 2:
        return [p.copy() for p in panels]
    labs = [cv2.cvtColor(p, cv2.COLOR_RGB2LAB).astype(np.float32) for p in panels]
    means = np.array([lab.reshape(-1, 3).mean(0) for lab in labs])
    stds = np.array([lab.reshape(-1, 3).std(0) + 1e-3 for lab in labs])
    target_m, target_s = means.mean(0), stds.mean(0)
    out = []
    for lab, m, s in zip(labs, means, stds, strict=True):
        # interpolate the statistics, not the pixels: amount 0.5 is a half-way tone, not a double image
        m2 = (1 - amount) * m + amount * target_m
        s2 = (1 - amount) * s + amount * target_s
        matched = (lab - m) * (s2 / s) + m2
        out.append(cv2.cvtColor(np.clip(matched, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB))
    return out


def _check(photos: Sequence[Image], captions: Sequence[str | None] | None) -> list[str | None]:
    if not photos:
        raise InputError("a story needs at least one photo")
    if len(photos) > MAX_PANELS:
        raise InputError(f"a story takes at most {MAX_PANELS} photos, got {len(photos)}")
    caps = list(captions or [])
    if len(caps) > len(photos):
        raise InputError(f"{len(caps)} captions for {len(photos)} photos")
    caps += [None] * (len(photos) - len(caps))
    for c in caps:
        if c is not None and len(c) > MAX_CAPTION_CHARS:
            raise InputError(f"captions are at most {MAX_CAPTION_CHARS} characters")
    return [c if c and c.strip() else None for c in caps]


def make_story(
    photos: Sequence[Image],
    captions: Sequence[str | None] | None = None,
    style: StyleRef = "default",
    opts: StoryOptions | None = None,
    *,
    progress: Progress | None = None,
    palette: np.ndarray | None = None,
) -> Story:
    """Stylize every photo with one style, match their tones, caption them, lay out the page.
    ``palette``: a picture whose colours each panel takes after stylizing (the instant look's
    fallback without the style-code predictor, as ``huafeng stylize --style-image`` does)."""
    opts = opts or StoryOptions()
    caps = _check(photos, captions)
    title = opts.title.strip() if opts.title and opts.title.strip() else None
    stylizer = Stylizer(style, threads=opts.threads)
    sopts = StylizeOptions(strength=opts.strength, preserve_color=opts.preserve_color, threads=opts.threads)
    page = pages.plan_page(
        photos,
        opts.format,
        width=opts.width,
        panel_side=opts.panel_side,
        columns=opts.columns,
        title=bool(title),
    )
    crops, styled = [], []
    for i, (photo, cell) in enumerate(zip(photos, page.cells, strict=True)):
        if progress:
            progress(i / (len(photos) + 1), f"stylizing photo {i + 1} of {len(photos)}")
        crop = pages.crop_cover(photo.rgb, (cell[2], cell[3]), pages.focus(photo.rgb))
        crops.append(crop)
        out = stylizer.stylize_array(crop, sopts)
        if palette is not None:
            from huafeng.infer.instant import fallback_palette

            out = fallback_palette(out, palette, opts.strength)
        styled.append(out)
    if progress:
        progress(len(photos) / (len(photos) + 1), "matching tones and laying out")
    toned = normalize_tones(styled, opts.normalize)
    ink = balloons.inks(toned)
    frame_w = max(2, round(min(page.size) * 0.004))
    panels, notes = [], []
    for i, (rgb, crop, cap) in enumerate(zip(toned, crops, caps, strict=True)):
        if cap is not None:
            scene = Scene.analyse(rgb, photo=crop)
            rgb, _ = balloons.caption_panel(rgb, cap, ink, scene, kind=opts.balloon)
        panels.append(balloons.border(rgb, ink.ink, frame_w))
        if cap is not None and len(cap) > 80:
            notes.append(f"caption {i + 1} is long for a panel; it was set small")
    sheet = _compose(page, panels, ink, title)
    frames = reveal_frames(page, panels, ink, title, opts.frame_ms, opts.fade_frames)
    if progress:
        progress(1.0, "done")
    return Story([Image(rgb=p) for p in panels], Image(rgb=sheet), frames, notes)


def _compose(
    page: pages.Page, panels: Sequence[np.ndarray | None], ink: balloons.Inks, title: str | None
) -> np.ndarray:
    """The page with the given panels placed (None leaves a cell empty paper)."""
    w, h = page.size
    sheet = np.empty((h, w, 3), np.uint8)
    sheet[:] = ink.paper
    if title and page.title is not None:
        sheet = balloons.draw_title(sheet, title, page.title, ink)
    for (x, y, cw, ch), p in zip(page.cells, panels, strict=True):
        if p is not None:
            sheet[y : y + ch, x : x + cw] = p
    return sheet


def reveal_frames(
    page: pages.Page,
    panels: Sequence[np.ndarray],
    ink: balloons.Inks,
    title: str | None,
    frame_ms: int,
    fade_frames: int,
) -> list[Image]:
    """The page filling panel by panel, each fading in over ``fade_frames`` frames and held for
    ``frame_ms``; the full page is held twice as long. Frames are :data:`ANIMATION_WIDTH` wide."""
    w, h = page.size
    scale = min(1.0, ANIMATION_WIDTH / w)
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    frames: list[Image] = []
    shown: list[np.ndarray | None] = [None] * len(panels)
    prev = resize(_compose(page, shown, ink, title), size)
    if title:
        frames.append(Image(rgb=prev, duration_ms=max(100, frame_ms // 2)))
    for i, p in enumerate(panels):
        shown[i] = p
        cur = resize(_compose(page, shown, ink, title), size)
        for k in range(1, fade_frames + 1):
            t = k / (fade_frames + 1)
            mix = (prev.astype(np.float32) * (1 - t) + cur.astype(np.float32) * t + 0.5).astype(np.uint8)
            frames.append(Image(rgb=mix, duration_ms=60))
        last = i == len(panels) - 1
        frames.append(Image(rgb=cur, duration_ms=frame_ms * (2 if last else 1)))
        prev = cur
    return frames


def write_story(
    story: Story,
    output: str | os.PathLike[str],
    *,
    video: bool = False,
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write ``OUT.png`` (the page), ``OUT.gif`` (the animation) and, with ``video``, ``OUT.mp4``.

    ``output`` may name any of them or none (``story`` → ``story.png``, ``story.gif``). Every
    target is checked before anything is written, so a refused overwrite leaves nothing half done.
    """
    base = Path(output)
    if base.suffix.lower() in (".png", ".gif", ".mp4"):
        base = base.with_suffix("")
    targets = [base.with_suffix(".png"), base.with_suffix(".gif")] + (
        [base.with_suffix(".mp4")] if video else []
    )
    for t in targets:
        check_writable(t, overwrite=overwrite, protect=protect)
    write_image(targets[0], story.strip, overwrite=overwrite, protect=protect)
    write_animation(targets[1], story.frames, overwrite=overwrite, protect=protect)
    if video:
        write_story_video(targets[2], story, overwrite=overwrite, protect=protect)
    return targets


def write_story_video(
    path: str | os.PathLike[str],
    story: Story,
    *,
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """The animation as H.264 MP4 at 10 fps (needs the ``video`` extra)."""
    try:
        from huafeng import videoio
    except ImportError:  # pragma: no cover - depends on the install
        raise InputError("MP4 output needs huafeng's video support (pip install 'huafeng[video]')") from None
    fps = 10

    def expand() -> list[Image]:
        out: list[Image] = []
        for f in story.frames:
            out.extend([f] * max(1, round((f.duration_ms or 100) * fps / 1000)))
        return out

    videoio.write_video(path, expand(), fps, overwrite=overwrite, protect=protect)
    return Path(path)
