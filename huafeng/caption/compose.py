"""Plan a caption (text → size, place, colours) and draw it, optionally moved for an animation.

``plan_caption`` does the thinking once: clean the text, fit it, choose the box (faces, saliency,
legibility), pick colours from the picture's palette. ``draw_caption`` is cheap and pure, so an
animation calls it per frame with a different scale, angle, offset, opacity or character count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from huafeng.caption import layout as L
from huafeng.caption.fonts import FontChain, default_chain
from huafeng.caption.palette import TextColors, palette, pick_colors
from huafeng.caption.place import Box, Scene, best_box
from huafeng.caption.text import sanitize
from huafeng.errors import InputError

Region = str | tuple[float, float]
"""``"top"``, ``"bottom"``, ``"auto"``, or the block's top-left ``(x, y)`` in pixels."""

SHADOW_OPACITY = 0.45


@dataclass
class Caption:
    text: str
    block: L.Block
    box: Box  # where the rasterised block (with its padding) sits: x, y, w, h
    colors: TextColors
    notes: list[str] = field(default_factory=list)
    masks: L.Raster | None = None  # cached rasterisation of the whole text

    def raster(self, upto: int | None = None) -> L.Raster:
        if upto is not None and upto < self.block.n_chars:
            return L.rasterise(self.block, upto=upto)
        if self.masks is None:
            self.masks = L.rasterise(self.block)
        return self.masks


def _fit_options(region: Region, size: tuple[int, int], spec: L.TextSpec) -> list[tuple[int, int]]:
    """Boxes (w, h) to try fitting the text into, widest first."""
    w, h = size
    if spec.vertical:
        return [(round(w * f), round(h * 0.9)) for f in (0.35, 0.25)]
    # several band heights, so a caption can shrink into the strip above a face
    bands = (0.3, 0.18, 0.11) if region in ("top", "bottom") else (0.4, 0.22, 0.12)
    return [(round(w * f), round(h * b)) for b in bands for f in (0.96, 0.66, 0.48)]


def plan_caption(
    rgb: np.ndarray,
    text: str,
    *,
    region: Region = "auto",
    spec: L.TextSpec | None = None,
    scene: Scene | None = None,
    chain: FontChain | None = None,
    max_size: int | None = None,
    colors: TextColors | None = None,
    centre: float = 0.02,
) -> Caption:
    """Fit, place and colour ``text`` for the picture ``rgb`` (uint8 HWC).

    ``centre`` is how strongly placement prefers the horizontal middle (see ``place.best_box``).
    """
    spec = spec or L.TextSpec()
    chain = chain or default_chain()
    clean = sanitize(text, chain.covers)
    h, w = rgb.shape[:2]
    if min(w, h) < 32:
        raise InputError(f"the picture is {w}x{h} px; captions need at least 32 px on each side")
    cap = max_size or max(L.MIN_SIZE, round(min(w, h) / (5 if spec.vertical else 6)))
    notes = list(clean.notes)
    if isinstance(region, tuple):
        block, box = _at_xy(clean.text, chain, (w, h), region, spec, cap)
    else:
        if region not in ("top", "bottom", "auto"):
            raise InputError(f"region must be top, bottom, auto or (x, y), not {region!r}")
        scene = scene or Scene.analyse(rgb)
        best: tuple[float, L.Block, Box] | None = None
        for fw, fh in _fit_options(region, (w, h), spec):
            try:
                b = L.fit(clean.text, chain, (fw, fh), spec, max_size=cap)
            except InputError:
                continue
            bw, bh = b.width + 2 * b.pad, b.height + 2 * b.pad
            pos, score = best_box(scene, (w, h), (bw, bh), region, centre=centre)
            score += 0.8 * b.size / cap  # bigger text reads better: worth a little busyness
            if best is None or score > best[0]:
                best = (score, b, pos)
        if best is None:
            raise InputError(f"the caption does not fit legibly on a {w}x{h} px picture; shorten it")
        score, block, box = best
        if scene.face_overlap(box) > 0.05:
            notes.append("could not keep the caption off every face")
    if colors is None:
        colors = pick_colors(palette(rgb), box_mean(rgb, box))
    return Caption(clean.text, block, box, colors, notes)


def box_mean(rgb: np.ndarray, box: Box) -> tuple[int, int, int]:
    """The mean colour under ``box``: what a caption's colours are checked against."""
    x, y, bw, bh = box
    m = rgb[y : y + bh, x : x + bw].reshape(-1, 3).mean(axis=0)
    return int(m[0]), int(m[1]), int(m[2])


def _at_xy(
    text: str, chain: FontChain, size: tuple[int, int], xy: tuple[float, float], spec: L.TextSpec, cap: int
) -> tuple[L.Block, Box]:
    w, h = size
    x, y = round(xy[0]), round(xy[1])
    if not (0 <= x < w - 16 and 0 <= y < h - 16):
        raise InputError(f"caption position ({x}, {y}) is outside the {w}x{h} px picture")
    b = L.fit(text, chain, (w - x, h - y), spec, max_size=cap)
    return b, (x, y, b.width + 2 * b.pad, b.height + 2 * b.pad)


def caption_masks(
    cap: Caption,
    size: tuple[int, int],
    *,
    upto: int | None = None,
    scale: float = 1.0,
    angle: float = 0.0,
    offset: tuple[float, float] = (0.0, 0.0),
    window: Box | None = None,
) -> L.Raster:
    """The caption's :class:`~huafeng.caption.layout.Raster` over the picture (or its ``window``),
    the block scaled/rotated about its centre and moved."""
    raster = cap.raster(upto)
    x, y, bw, bh = cap.box
    wx, wy, ww, wh = window or (0, 0, *size)
    m = cv2.getRotationMatrix2D((bw / 2.0, bh / 2.0), angle, scale)
    m[0, 2] += x + offset[0] - wx
    m[1, 2] += y + offset[1] - wy

    def warp(a: np.ndarray) -> np.ndarray:
        return cv2.warpAffine(a, m, (ww, wh), flags=cv2.INTER_LINEAR, borderValue=0.0)

    color = None if raster.color is None else warp(raster.color)
    return L.Raster(warp(raster.fill), warp(raster.outline), color)


def _window(cap: Caption, size: tuple[int, int], scale: float, offset: tuple[float, float]) -> Box:
    """The part of the picture the moved caption (and its shadow) can touch."""
    x, y, bw, bh = cap.box
    r = 0.5 * np.hypot(bw, bh) * max(1.0, scale) + cap.block.size * 0.2  # any rotation, plus shadow
    cx, cy = x + bw / 2 + offset[0], y + bh / 2 + offset[1]
    x0, y0 = max(0, int(cx - r)), max(0, int(cy - r))
    x1, y1 = min(size[0], int(np.ceil(cx + r))), min(size[1], int(np.ceil(cy + r)))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def composite(
    rgb: np.ndarray,
    fill: np.ndarray,
    outline: np.ndarray,
    colors: TextColors,
    *,
    alpha: float = 1.0,
    shadow_px: float = 0.0,
    color: np.ndarray | None = None,
) -> np.ndarray:
    """Paint shadow, outline, fill, then the colour glyphs (``Raster.color``) over ``rgb``;
    masks are full-size float [0, 1]."""
    out = rgb.astype(np.float32)
    if shadow_px > 0:
        d = max(1, round(shadow_px))
        sh = np.roll(np.roll(outline, d, axis=0), d, axis=1)
        sh = cv2.GaussianBlur(sh, (0, 0), max(0.8, d / 2))
        _over(out, sh * (SHADOW_OPACITY * alpha), colors.shadow)
    _over(out, outline * alpha, colors.outline)
    _over(out, fill * alpha, colors.fill)
    if color is not None:
        a3 = color[..., 3:4] * alpha
        out *= 1.0 - a3
        out += a3 * color[..., :3]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _over(out: np.ndarray, a: np.ndarray, color: tuple[int, int, int]) -> None:
    a3 = a[..., None]
    out *= 1.0 - a3
    out += a3 * np.asarray(color, np.float32)


def draw_caption(
    rgb: np.ndarray,
    cap: Caption,
    *,
    alpha: float = 1.0,
    upto: int | None = None,
    scale: float = 1.0,
    angle: float = 0.0,
    offset: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """A copy of ``rgb`` with the caption drawn (moved for animations); only its window is touched."""
    size = (rgb.shape[1], rgb.shape[0])
    win = _window(cap, size, scale, offset)
    fill, outline, color = caption_masks(
        cap, size, upto=upto, scale=scale, angle=angle, offset=offset, window=win
    )
    x, y, w, h = win
    out = rgb.copy()
    out[y : y + h, x : x + w] = composite(
        rgb[y : y + h, x : x + w],
        fill,
        outline,
        cap.colors,
        alpha=alpha,
        shadow_px=cap.block.size * 0.05,
        color=color,
    )
    return out


def fit_text(
    text: str, box: tuple[int, int], spec: L.TextSpec, *, max_size: int, min_size: int = L.MIN_SIZE
) -> L.Block:
    """Clean ``text`` for the shipped fonts and lay it out at the largest size that fits ``box``:
    for text set in a container of its own (a caption band, a story's box or balloon)."""
    chain = default_chain()
    return L.fit(sanitize(text, chain.covers).text, chain, box, spec, max_size=max_size, min_size=min_size)


def stamp(rgb: np.ndarray, block: L.Block, xy: tuple[int, int], colors: TextColors) -> np.ndarray:
    """A copy of ``rgb`` with ``block`` drawn unmoved, its top-left padding corner at ``xy``
    (clipped to the picture); colour glyphs keep their own colours."""
    fill, outline, color = L.rasterise(block)
    h, w = fill.shape
    x, y = xy
    x0, y0, x1, y1 = max(0, x), max(0, y), min(rgb.shape[1], x + w), min(rgb.shape[0], y + h)
    if x1 <= x0 or y1 <= y0:
        return rgb
    sl = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
    out = rgb.copy()
    out[y0:y1, x0:x1] = composite(
        rgb[y0:y1, x0:x1], fill[sl], outline[sl], colors, color=None if color is None else color[sl]
    )
    return out
