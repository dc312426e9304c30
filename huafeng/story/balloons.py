"""Caption boxes, speech balloons and the title, drawn in the story's own palette.

Comics put words in two kinds of container, and a story uses both:

- a **caption box** (narration): a rectangle in the panel's corner area, for a photo with nobody
  in it;
- a **speech balloon**: an ellipse with a tail pointing at the speaker, for a photo with a face
  (found on the unstylized photo: face detectors are trained on photographs).

Both are placed where they cover the least of the picture (faces, salient and busy areas:
:func:`huafeng.caption.place.best_box`), and the text is set by the caption package (one text
renderer for memes, stickers, subtitles, annotations and stories: font fallback, colour emoji,
word-aware Chinese line breaks). The colours come from all the stylized panels together
(:func:`inks`): the paper is the palette's lightest colour bleached towards white, the ink its
darkest pushed towards black, so an ink-wash story gets grey-black ink on rice-paper cream and a
Starry Night story deep blue on pale yellow; the ink always stands 7:1 off the paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from huafeng.caption import layout as L
from huafeng.caption.compose import fit_text, stamp
from huafeng.caption.palette import RGB, TextColors, contrast, luminance, palette, push
from huafeng.caption.place import Box, Scene, best_box
from huafeng.errors import InputError

INK_CONTRAST = 7.0  # WCAG AAA: the words in a box are body text, often small on a phone


@dataclass(frozen=True)
class Inks:
    paper: RGB
    """Page background, gutters, the inside of boxes and balloons."""
    ink: RGB
    """Panel borders, balloon outlines, all text."""


def _mix(c: RGB, to: RGB, t: float) -> RGB:
    return tuple(round(a + (b - a) * t) for a, b in zip(c, to, strict=True))  # type: ignore[return-value]


def inks(panels: Sequence[np.ndarray]) -> Inks:
    """The story's paper and ink, from the palette of all its stylized panels."""
    thumbs = [cv2.resize(p, (64, 64), interpolation=cv2.INTER_AREA) for p in panels]
    colors = palette(np.concatenate(thumbs, axis=1), k=6)
    paper = _mix(max(colors, key=luminance), (255, 255, 255), 0.7)
    ink = _mix(min(colors, key=luminance), (0, 0, 0), 0.45)
    ink = push(ink, lighter=False, against=paper, ratio=INK_CONTRAST)
    if contrast(ink, paper) < INK_CONTRAST:  # a very dark palette: fall back to black on white
        paper, ink = (250, 248, 242), (20, 20, 24)
    return Inks(paper, ink)


def border(rgb: np.ndarray, ink: RGB, width: int) -> np.ndarray:
    """The panel with an ink frame of ``width`` px drawn inside its edge."""
    out = rgb.copy()
    if width > 0:
        c = np.asarray(ink, np.uint8)
        out[:width], out[-width:], out[:, :width], out[:, -width:] = c, c, c, c
    return out


def _text_block(text: str, box: tuple[int, int], max_size: int, align: str, weight: int) -> L.Block:
    spec = L.TextSpec(weight=weight, stroke=0.0, line_spacing=1.18, align=align)
    return fit_text(text, box, spec, max_size=max_size, min_size=min(L.MIN_SIZE, max_size))


def _stamp_text(rgb: np.ndarray, block: L.Block, xy: tuple[int, int], inks: Inks) -> np.ndarray:
    return stamp(rgb, block, xy, TextColors(inks.ink, inks.paper, inks.paper))


def caption_panel(
    rgb: np.ndarray, text: str, inks: Inks, scene: Scene, *, kind: str = "auto"
) -> tuple[np.ndarray, str]:
    """The panel with ``text`` in a box or balloon; returns it and the kind drawn.

    ``kind``: ``"box"``, ``"bubble"``, or ``"auto"`` (a balloon when the panel has a face).
    """
    if kind not in ("auto", "box", "bubble"):
        raise InputError(f"balloon must be auto, box or bubble, not {kind!r}")
    if kind == "auto":
        kind = "bubble" if scene.faces else "box"
    h, w = rgb.shape[:2]
    max_size = max(10, round(min(w, h) / 8))
    if kind == "box":
        block = _text_block(text, (round(0.84 * w), round(0.3 * h)), max_size, "left", 700)
        return _draw_box(rgb, block, inks, scene), kind
    block = _text_block(text, (round(0.6 * w), round(0.3 * h)), max_size, "center", 700)
    return _draw_bubble(rgb, block, inks, scene), kind


def _line(size: int) -> int:
    return max(2, round(size * 0.12))


def _draw_box(rgb: np.ndarray, block: L.Block, inks: Inks, scene: Scene) -> np.ndarray:
    h, w = rgb.shape[:2]
    pad = round(block.size * 0.35)
    bw, bh = block.width + 2 * block.pad + 2 * pad, block.height + 2 * block.pad + 2 * pad
    bw, bh = min(bw, w - 4), min(bh, h - 4)
    (x, y, _, _), _ = best_box(scene, (w, h), (bw, bh), "auto", centre=0.0)
    out = rgb.copy()
    lw = _line(block.size)
    cv2.rectangle(out, (x, y), (x + bw - 1, y + bh - 1), inks.paper, -1)
    cv2.rectangle(out, (x, y), (x + bw - 1, y + bh - 1), inks.ink, lw, cv2.LINE_AA)
    return _stamp_text(out, block, (x + pad, y + pad), inks)


def _tail(ellipse: Box, target: tuple[float, float], stop: float) -> np.ndarray:
    """A triangle from the balloon's rim towards ``target``, ending ``stop`` px before it."""
    x, y, bw, bh = ellipse
    cx, cy = x + bw / 2, y + bh / 2
    dx, dy = target[0] - cx, target[1] - cy
    dist = float(np.hypot(dx, dy))
    if dist < 1.0:  # the balloon sits on its speaker (no room elsewhere): point down
        dx, dy, dist = 0.0, 1.0, 1.0
    ux, uy = dx / dist, dy / dist
    # the rim point towards the target, and how far to reach beyond it (never into the speaker)
    r = 1.0 / np.sqrt((ux / (bw / 2)) ** 2 + (uy / (bh / 2)) ** 2)
    reach = float(np.clip(dist - r - stop, 0.12 * min(bw, bh), 0.45 * max(bw, bh)))
    reach = min(reach, max(2.0, dist - r - 2.0))
    tip = (cx + ux * (r + reach), cy + uy * (r + reach))
    half = 0.16 * min(bw, bh)
    base_c = (cx + ux * r * 0.7, cy + uy * r * 0.7)
    px, py = -uy * half, ux * half
    pts = [(base_c[0] + px, base_c[1] + py), tip, (base_c[0] - px, base_c[1] - py)]
    return np.round(np.array(pts)).astype(np.int32)


def _draw_bubble(rgb: np.ndarray, block: L.Block, inks: Inks, scene: Scene) -> np.ndarray:
    h, w = rgb.shape[:2]
    tw, th = block.width + 2 * block.pad, block.height + 2 * block.pad
    # the smallest axis-aligned ellipse around the text rectangle with its aspect is √2 larger
    bw, bh = min(w - 4, round(tw * 1.42 + block.size * 0.4)), min(h - 4, round(th * 1.42 + block.size * 0.3))
    ell, _ = best_box(scene, (w, h), (bw, bh), "auto", centre=0.0)
    x, y = ell[0], ell[1]
    fx, fy, fw, fh = max(scene.faces, key=lambda f: f[2] * f[3]) if scene.faces else (w / 2, h, 0, 0)
    # towards the speaker's mouth, stopping at the edge of the face: a comic tail points, it does
    # not cover the face it points at
    cx, cy = x + bw / 2, y + bh / 2
    target = (float(np.clip(cx, fx, fx + fw)), float(np.clip(cy, fy + 0.5 * fh, fy + fh)))
    tail = _tail((x, y, bw, bh), target, stop=0.02 * max(w, h))
    centre, axes = (round(x + bw / 2), round(y + bh / 2)), (max(1, bw // 2), max(1, bh // 2))
    lw = _line(block.size)
    out = rgb.copy()
    cv2.ellipse(out, centre, axes, 0, 0, 360, inks.ink, lw * 2, cv2.LINE_AA)
    cv2.fillPoly(out, [tail], inks.ink, cv2.LINE_AA)
    # paper inside, drawn over the outline's inner half and the tail's base: one continuous shape
    cv2.ellipse(
        out, centre, (max(1, axes[0] - lw), max(1, axes[1] - lw)), 0, 0, 360, inks.paper, -1, cv2.LINE_AA
    )
    cv2.fillPoly(out, [_inset(tail, lw)], inks.paper, cv2.LINE_AA)
    return _stamp_text(out, block, (centre[0] - tw // 2, centre[1] - th // 2), inks)


def _inset(tri: np.ndarray, lw: int) -> np.ndarray:
    """The tail triangle shrunk by the line width, so its ink outline stays visible."""
    c = tri.astype(np.float64).mean(axis=0)
    out = []
    for p in tri.astype(np.float64):
        v = c - p
        d = max(1e-6, float(np.hypot(*v)))
        out.append(p + v / d * min(d * 0.6, lw * 1.8))
    return np.round(np.array(out)).astype(np.int32)


def draw_title(page: np.ndarray, text: str, cell: tuple[int, int, int, int], inks: Inks) -> np.ndarray:
    """The story's title, as large as fits its band, centred, in ink on the paper."""
    x, y, w, h = cell
    block = _text_block(text, (w, h), max(12, round(h * 0.8)), "center", 900)
    bw, bh = block.width + 2 * block.pad, block.height + 2 * block.pad
    return _stamp_text(page, block, (x + (w - bw) // 2, y + (h - bh) // 2), inks)
