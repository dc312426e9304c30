"""Animated stickers: a caption that types, pops, shakes, bounces or fades in, or a photo→painting morph.

Every animation is a pure function of normalised time ``t`` in [0, 1) giving the caption's motion
(scale, angle, offset, opacity, visible characters) and the style strength; the caption is laid out
once, so glyphs never jitter from re-layout. Stickers are kept small (longest side 512 px by
default, like chat apps' sticker limits) so a GIF stays a few hundred KB.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.caption.compose import Caption, draw_caption, plan_caption
from huafeng.caption.place import Scene
from huafeng.errors import InputError
from huafeng.imageio import Image, resize

ANIMS = ("typewriter", "pop", "shake", "bounce", "fade", "morph")
MAX_FRAMES = 240
STICKER_SIZE = 512


@dataclass
class Animation:
    """Frames and how long each is shown (ms); ``write_sticker`` encodes it."""

    frames: list[Image]
    durations_ms: list[int]

    @property
    def duration_ms(self) -> int:
        return sum(self.durations_ms)


@dataclass(frozen=True)
class Motion:
    upto: int | None = None
    scale: float = 1.0
    angle: float = 0.0
    offset: tuple[float, float] = (0.0, 0.0)
    alpha: float = 1.0
    strength: float = 1.0  # style strength of the picture (morph)


def ease_out_back(u: float) -> float:
    """Overshoots a little then settles: the "pop" of chat stickers (Penner's easing)."""
    c1 = 1.70158
    return 1 + (c1 + 1) * (u - 1) ** 3 + c1 * (u - 1) ** 2


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def motion(anim: str, t: float, *, n_chars: int, size: int, seed: int = 0) -> Motion:
    """The caption's state at time ``t`` ∈ [0, 1) for ``anim`` (font ``size`` sets amplitudes)."""
    if anim == "typewriter":  # type over 70 % of the loop, hold the whole text for the rest
        return Motion(upto=min(n_chars, math.floor(n_chars * t / 0.7) + 1))
    if anim == "pop":
        u = min(t / 0.3, 1.0)
        return Motion(scale=max(0.05, ease_out_back(u)), alpha=min(1.0, 3 * u))
    if anim == "shake":  # deterministic jitter that returns to rest at the loop point
        rng = np.random.default_rng(seed + round(t * 1000))
        amp = size * 0.08 * math.sin(math.pi * t)
        dx, dy = (rng.uniform(-1, 1, 2) * amp).tolist()
        return Motion(offset=(dx, dy), angle=float(rng.uniform(-4, 4)) * math.sin(math.pi * t))
    if anim == "bounce":  # two hops per loop
        return Motion(offset=(0.0, -size * 0.6 * abs(math.sin(2 * math.pi * t))))
    if anim == "fade":  # in over 30 %, hold, out over the last 20 %
        return Motion(alpha=_smooth(t / 0.3) * _smooth((1.0 - t) / 0.2))
    if anim == "morph":  # photo → painting over 75 %, then hold the painting
        return Motion(strength=_smooth(t / 0.75))
    raise InputError(f"unknown animation {anim!r}; choose one of: {', '.join(ANIMS)}")


def _check(anim: str, fps: int, seconds: float) -> int:
    if anim not in ANIMS:
        raise InputError(f"unknown animation {anim!r}; choose one of: {', '.join(ANIMS)}")
    if not 1 <= fps <= 50:
        raise InputError(f"fps must be between 1 and 50, not {fps}")
    n = round(fps * seconds)
    if not 2 <= n <= MAX_FRAMES:
        raise InputError(f"{seconds} s at {fps} fps is {n} frames; a sticker has 2 to {MAX_FRAMES}")
    return n


def render_sticker(
    img: Image,
    text: str,
    *,
    anim: str = "pop",
    style: Any = None,
    fps: int = 12,
    seconds: float = 2.0,
    size: int = STICKER_SIZE,
    options: Any = None,
) -> Animation:
    """Render the animated sticker; ``morph`` uses the default style when ``style`` is None.

    Pictures larger than ``size`` (longest side, px) are scaled down first. ``options``: the
    :class:`~huafeng.infer.engine.StylizeOptions` of the style (strength, colours, filters), so a
    sticker made from the page looks like its preview.
    """
    n = _check(anim, fps, seconds)
    if not 64 <= size <= 2048:
        raise InputError(f"sticker size must be between 64 and 2048 px, not {size}")
    photo = img.rgb
    if max(img.size) > size:
        f = size / max(img.size)
        photo = resize(photo, (max(1, round(img.size[0] * f)), max(1, round(img.size[1] * f))))
    painting = photo
    if style is not None or anim == "morph":
        from huafeng.infer.engine import StylizeOptions, Stylizer

        painting = Stylizer(style or "default").stylize_array(photo, options or StylizeOptions())
    cap = plan_caption(painting, text, region="bottom", scene=Scene.analyse(painting, photo=photo))
    frames = _frames(anim, n, photo, painting, cap)
    # integer ms that add up to the requested length (GIF rounds to 10 ms; WebP/MP4 keep them)
    edges = [round(i * 1000 / fps) for i in range(n + 1)]
    durations = [b - a for a, b in itertools.pairwise(edges)]
    return Animation([Image(rgb=f, duration_ms=d) for f, d in zip(frames, durations, strict=True)], durations)


def _frames(anim: str, n: int, photo: np.ndarray, painting: np.ndarray, cap: Caption) -> list[np.ndarray]:
    out = []
    pf = photo.astype(np.float32)
    diff = painting.astype(np.float32) - pf
    for i in range(n):
        m = motion(anim, i / n, n_chars=cap.block.n_chars, size=cap.block.size)
        base = painting
        if m.strength < 1.0:  # the engine's strength is this same linear blend
            base = np.clip(pf + diff * m.strength + 0.5, 0, 255).astype(np.uint8)
        out.append(
            draw_caption(base, cap, alpha=m.alpha, upto=m.upto, scale=m.scale, angle=m.angle, offset=m.offset)
        )
    return out


def write_sticker(
    path: str | os.PathLike[str], anim: Animation, *, overwrite: bool = False, protect: tuple[str, ...] = ()
) -> Path:
    """Write ``.gif``/``.webp`` (looping) or ``.mp4`` (H.264)."""
    p = Path(path)
    if p.suffix.lower() == ".mp4":
        from fractions import Fraction

        from huafeng import videoio

        fps = Fraction(1000 * len(anim.frames), max(1, anim.duration_ms))
        videoio.write_video(p, anim.frames, fps, overwrite=overwrite, protect=protect)
        return p
    if p.suffix.lower() not in (".gif", ".webp"):
        raise InputError(f"{p}: a sticker is written as .gif, .webp or .mp4")
    from huafeng.imageio import write_animation

    return write_animation(p, anim.frames, overwrite=overwrite, protect=protect)
