"""Story snippets: a few photos (+ captions) → one consistently styled comic strip and an animation.

"Consistent" means two things here, and both are needed:

1. **One style, one set of options** for every panel (same model, strength, colour mode).
2. **One tone.** A style model answers each photo's own exposure and white balance, so a sunny
   street and a dim café still look like two different comics. After stylizing, each panel's
   Lab mean and spread are pulled towards the average over all panels (Reinhard et al. 2001,
   "Color transfer between images", applied towards the group instead of one reference), with
   ``normalize`` saying how far (1 = identical statistics).

Panels are centre-cropped to one shared aspect (the photos' median, clamped between 3:4 and 4:3)
and one size, then captioned in a band under the picture. Captions use the CJK-capable Noto Sans
from ``manimgx-fonts-cjk`` when installed (the ``caption`` extra), else Pillow's built-in font.
The animation shows each panel in turn with a short cross-fade; the strip is one PNG.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ImageDraw, ImageFont

from huafeng.errors import InputError
from huafeng.imageio import Image, check_writable, from_pil, resize, to_pil, write_animation, write_image
from huafeng.infer.engine import StyleRef, StylizeOptions, Stylizer

Progress = Callable[[float, str], None]
MAX_PANELS = 12
MAX_CAPTION_CHARS = 200


@dataclass(frozen=True)
class StoryOptions:
    """How a story is laid out; the style itself is passed separately."""

    strength: float = 1.0
    preserve_color: bool = False
    panel_side: int = 480
    """Longest side of each panel in px: big enough for a phone screen, small enough for a GIF."""
    columns: int = 0
    """Panels per row of the strip; 0 = one row up to 4 panels, else rows of 3."""
    gutter: int = 16
    normalize: float = 0.8
    """0 = leave each panel's tone alone, 1 = every panel gets the group's Lab mean and spread."""
    frame_ms: int = 1500
    """How long each panel stays on screen in the animation."""
    fade_frames: int = 4
    """Cross-fade frames between panels (0 = hard cuts)."""
    threads: int | None = None

    def __post_init__(self) -> None:
        if not 64 <= self.panel_side <= 2048:
            raise InputError(f"panel_side must be 64..2048 px, got {self.panel_side}")
        if self.columns < 0 or self.gutter < 0 or self.fade_frames < 0 or self.fade_frames > 30:
            raise InputError("columns and gutter must be 0 or more; fade_frames 0..30")
        if not 0.0 <= self.normalize <= 1.0:
            raise InputError(f"normalize must be between 0 and 1, got {self.normalize}")
        if not 100 <= self.frame_ms <= 20_000:
            raise InputError(f"frame_ms must be 100..20000, got {self.frame_ms}")


@dataclass(frozen=True)
class Story:
    panels: list[Image]
    """Styled, tone-matched, captioned panels, all the same size."""
    strip: Image
    frames: list[Image]
    """Animation frames; each carries its own ``duration_ms``."""


def panel_size(photos: Sequence[Image], side: int) -> tuple[int, int]:
    """Shared ``(width, height)``: the median aspect, clamped to 3:4..4:3, long side ``side``."""
    aspect = float(np.clip(np.median([w / h for w, h in (p.size for p in photos)]), 0.75, 4 / 3))
    if aspect >= 1:
        return side, max(8, round(side / aspect))
    return max(8, round(side * aspect)), side


def crop_to(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop to the target aspect, then resize to ``size`` (``(w, h)``)."""
    h, w = rgb.shape[:2]
    tw, th = size
    if w * th > h * tw:  # too wide
        cw = max(1, round(h * tw / th))
        x0 = (w - cw) // 2
        rgb = rgb[:, x0 : x0 + cw]
    else:
        ch = max(1, round(w * th / tw))
        y0 = (h - ch) // 2
        rgb = rgb[y0 : y0 + ch]
    return resize(np.ascontiguousarray(rgb), size)


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


@functools.cache
def _font_file() -> str | None:
    try:
        import importlib.resources

        res = importlib.resources.files("manimgx_fonts_cjk").joinpath("NotoSansCJK-VF.otf.ttc")
        return str(res) if res.is_file() else None
    except (ModuleNotFoundError, OSError):
        return None


@functools.cache
def caption_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file()
    if path is not None:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    """Wrap to ``width`` px: by words for spaced scripts, by characters for CJK (no spaces)."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        words = para.split(" ") if " " in para else list(para)
        sep = " " if " " in para else ""
        line = ""
        for word in words:
            trial = f"{line}{sep}{word}" if line else word
            if font.getlength(trial) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines[:4]  # a comic caption, not an essay


def add_caption(rgb: np.ndarray, caption: str | None) -> np.ndarray:
    """The panel with a white caption band under it (no band when the caption is empty)."""
    if not caption or not caption.strip():
        return rgb
    h, w = rgb.shape[:2]
    size = max(12, round(w / 22))
    font = caption_font(size)
    lines = _wrap(caption.strip(), font, w - 2 * size)
    line_h = round(size * 1.35)
    band = line_h * len(lines) + size
    canvas = Image(rgb=np.full((h + band, w, 3), 255, np.uint8))
    pil = to_pil(canvas)
    pil.paste(to_pil(Image(rgb=rgb)), (0, 0))
    draw = ImageDraw.Draw(pil)
    y = h + size // 2
    for line in lines:
        draw.text((w / 2, y), line, fill=(20, 20, 20), font=font, anchor="ma")
        y += line_h
    return from_pil(pil).rgb


def layout_strip(panels: Sequence[np.ndarray], columns: int, gutter: int) -> np.ndarray:
    """Panels on a white page in rows; panels of different heights are top-aligned."""
    n = len(panels)
    cols = columns or (n if n <= 4 else 3)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    pw = max(p.shape[1] for p in panels)
    ph = max(p.shape[0] for p in panels)
    page = np.full((rows * ph + (rows + 1) * gutter, cols * pw + (cols + 1) * gutter, 3), 255, np.uint8)
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        y, x = gutter + r * (ph + gutter), gutter + c * (pw + gutter)
        page[y : y + p.shape[0], x : x + p.shape[1]] = p
    return page


def _pad_to(p: np.ndarray, h: int) -> np.ndarray:
    if p.shape[0] == h:
        return p
    return np.concatenate([p, np.full((h - p.shape[0], p.shape[1], 3), 255, np.uint8)])


def animation_frames(panels: Sequence[np.ndarray], frame_ms: int, fade_frames: int) -> list[Image]:
    """Each panel held ``frame_ms``, with ``fade_frames`` cross-fade frames between them (looping)."""
    h = max(p.shape[0] for p in panels)
    padded = [_pad_to(p, h) for p in panels]
    fade_ms = 60
    frames: list[Image] = []
    for i, p in enumerate(padded):
        frames.append(Image(rgb=p, duration_ms=frame_ms))
        nxt = padded[(i + 1) % len(padded)]
        if len(padded) > 1:
            for k in range(1, fade_frames + 1):
                t = k / (fade_frames + 1)
                mix = (p.astype(np.float32) * (1 - t) + nxt.astype(np.float32) * t + 0.5).astype(np.uint8)
                frames.append(Image(rgb=mix, duration_ms=fade_ms))
    return frames


def make_story(
    photos: Sequence[Image],
    captions: Sequence[str | None] | None = None,
    style: StyleRef = "default",
    opts: StoryOptions | None = None,
    *,
    progress: Progress | None = None,
) -> Story:
    """Stylize every photo with one style, match their tones, caption them, lay them out."""
    opts = opts or StoryOptions()
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
    stylizer = Stylizer(style, threads=opts.threads)
    sopts = StylizeOptions(strength=opts.strength, preserve_color=opts.preserve_color, threads=opts.threads)
    size = panel_size(photos, opts.panel_side)
    styled = []
    for i, photo in enumerate(photos):
        if progress:
            progress(i / (len(photos) + 1), f"stylizing photo {i + 1} of {len(photos)}")
        styled.append(stylizer.stylize_array(crop_to(photo.rgb, size), sopts))
    if progress:
        progress(len(photos) / (len(photos) + 1), "matching tones and laying out")
    toned = normalize_tones(styled, opts.normalize)
    panels = [add_caption(p, c) for p, c in zip(toned, caps, strict=True)]
    strip = layout_strip(panels, opts.columns, opts.gutter)
    frames = animation_frames(panels, opts.frame_ms, opts.fade_frames)
    if progress:
        progress(1.0, "done")
    return Story(panels=[Image(rgb=p) for p in panels], strip=Image(rgb=strip), frames=frames)


def write_story(
    story: Story,
    output: str | os.PathLike[str],
    *,
    video: bool = False,
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write ``OUT.png`` (the strip), ``OUT.gif`` (the animation) and, with ``video``, ``OUT.mp4``.

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
