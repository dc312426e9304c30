"""Lay text out in a box (horizontal or vertical 竖排) and rasterise it into masks.

A :class:`Block` is the laid-out text: where each font run goes, relative to the block's top-left.
Rasterising gives two float masks in [0, 1], the glyph fill and the outline (stroke), which the
compositor colours and the animations scale, shift, fade or cut (typewriter) without laying the
text out again, so letters never jump between frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from huafeng.caption.fonts import Face, FontChain
from huafeng.caption.text import break_lines
from huafeng.errors import InputError

# Vertical presentation forms (Unicode FE10–FE4F): in 竖排 the stops sit top-right and brackets turn.
VERTICAL_FORMS = str.maketrans(
    {
        "，": "︐",
        "、": "︑",
        "。": "︒",
        "：": "︓",
        "；": "︔",
        "！": "︕",
        "？": "︖",
        "「": "﹁",
        "」": "﹂",
        "『": "﹃",
        "』": "﹄",
        "（": "︵",
        "）": "︶",
        "【": "︻",
        "】": "︼",
        "《": "︽",
        "》": "︾",
        "〈": "︿",
        "〉": "﹀",
        "…": "︙",
        "—": "︱",
        "～": "≀",
        "(": "︵",
        ")": "︶",
    }
)

MIN_SIZE = 10
"""Smallest font size (px) auto-fit will use; below it even OCR stops reading CJK."""


@dataclass(frozen=True)
class TextSpec:
    """How to set the text; sizes are relative to the font size so they scale with auto-fit."""

    weight: int = 900  # Noto's variable weight axis: 900 = Black, the classic meme weight
    line_spacing: float = 1.2
    stroke: float = 0.09  # outline width / font size
    align: str = "center"  # "left", "center", "right" (horizontal); columns are always centred
    vertical: bool = False

    def __post_init__(self) -> None:
        if self.align not in ("left", "center", "right"):
            raise InputError(f"align must be left, center or right, not {self.align!r}")
        if not 0.0 <= self.stroke <= 0.5:
            raise InputError(f"stroke must be within [0, 0.5] of the font size, not {self.stroke}")


@dataclass
class Block:
    """Laid-out text. ``items``: (x, y, text, face, first char index); anchors: see ``vertical``."""

    size: int
    width: int
    height: int
    lines: list[str]
    spec: TextSpec
    items: list[tuple[float, float, str, Face, int]] = field(default_factory=list)
    overflow: bool = False  # some line is wider than asked (no legal break point)

    @property
    def n_chars(self) -> int:
        return sum(len(it[2]) for it in self.items)

    @property
    def pad(self) -> int:
        """Margin around the block that the outline and shadow may paint into."""
        return self.stroke_px + max(2, self.size // 8)

    @property
    def stroke_px(self) -> int:
        return round(self.spec.stroke * self.size)


def _measure(chain: FontChain, size: int, weight: int) -> Callable[[str], float]:
    cache: dict[str, float] = {}

    def measure(s: str) -> float:
        if s not in cache:
            cache[s] = sum(face.advance(run, size, weight) for run, face in chain.runs(s))
        return cache[s]

    return measure


def _clusters(line: str) -> list[str]:
    """Characters with their joiners (emoji sequences, variation selectors) kept together."""
    out: list[str] = []
    for ch in line:
        cp = ord(ch)
        if out and (cp in (0x200D, 0xFE0E, 0xFE0F) or 0x1F3FB <= cp <= 0x1F3FF or out[-1].endswith("\u200d")):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def layout(text: str, chain: FontChain, size: int, max_extent: float, spec: TextSpec) -> Block:
    """Break and position ``text`` at ``size``; ``max_extent`` is the line length (width or height)."""
    if spec.vertical:
        return _layout_vertical(text, chain, size, max_extent, spec)
    measure = _measure(chain, size, spec.weight)
    lines = break_lines(text, measure, max_extent)
    widths = [measure(ln) for ln in lines]
    lh = size * spec.line_spacing
    width = int(np.ceil(max(widths, default=0.0)))
    block = Block(size, max(width, 1), int(np.ceil(lh * len(lines))), lines, spec)
    block.overflow = width > max_extent + 0.5
    baseline0 = (lh - size) / 2 + 0.88 * size  # Noto CJK ascender is 0.88 em; Latin sits on it
    idx = 0
    for i, (ln, w) in enumerate(zip(lines, widths, strict=True)):
        x = {"left": 0.0, "center": (width - w) / 2, "right": width - w}[spec.align]
        y = baseline0 + i * lh
        for run, face in chain.runs(ln):
            block.items.append((x, y, run, face, idx))
            x += face.advance(run, size, spec.weight)
            idx += len(run)
    return block


def _layout_vertical(text: str, chain: FontChain, size: int, max_extent: float, spec: TextSpec) -> Block:
    """Columns right to left, characters top to bottom, each centred in a square em cell."""
    text = text.translate(VERTICAL_FORMS)

    def measure(s: str) -> float:
        return float(len(_clusters(s)) * size)

    columns = break_lines(text, measure, max_extent)
    col_w = size * spec.line_spacing
    width = int(np.ceil(col_w * len(columns)))
    height = int(max((measure(c) for c in columns), default=0.0))
    block = Block(size, max(width, 1), max(height, 1), columns, spec)
    block.overflow = height > max_extent + 0.5
    idx = 0
    for j, col in enumerate(columns):
        cx = width - (j + 0.5) * col_w
        for k, cl in enumerate(_clusters(col)):
            face = chain.face_for(cl[0])
            if face is not None:
                block.items.append((cx, (k + 0.5) * size, cl, face, idx))
            idx += len(cl)
    return block


def fit(
    text: str,
    chain: FontChain,
    box: tuple[int, int],
    spec: TextSpec,
    *,
    max_size: int | None = None,
    min_size: int = MIN_SIZE,
) -> Block:
    """The largest size whose layout fits ``box`` (w, h), by bisection; InputError if none does."""
    bw, bh = box
    extent = bh if spec.vertical else bw
    hi = max(min_size, min(max_size or 10_000, int(bh if not spec.vertical else bw)))
    lo = min_size

    def ok(b: Block) -> bool:
        return not b.overflow and b.width + 2 * b.pad <= bw and b.height + 2 * b.pad <= bh

    best = layout(text, chain, lo, extent - 2 * _pad_for(lo, spec), spec)
    if not ok(best):
        raise InputError(
            f"the caption does not fit legibly in a {bw}x{bh} px area even at {min_size} px; "
            "shorten it or use a larger picture"
        )
    while lo < hi:
        mid = (lo + hi + 1) // 2
        b = layout(text, chain, mid, extent - 2 * _pad_for(mid, spec), spec)
        if ok(b):
            lo, best = mid, b
        else:
            hi = mid - 1
    return best


def _pad_for(size: int, spec: TextSpec) -> int:
    return round(spec.stroke * size) + max(2, size // 8)


class Raster(NamedTuple):
    """A rasterised block: glyph fill and outline masks in [0, 1], and the colour glyphs (emoji).

    ``color`` is None when no colour face drew anything, else float32 ``(h, w, 4)``: RGB in 0..255
    and alpha in [0, 1]. Colour glyphs are also in both masks (as their silhouette), so they get the
    outline and shadow that keep them legible, and the compositor paints them over the fill.
    """

    fill: np.ndarray
    outline: np.ndarray
    color: np.ndarray | None


def rasterise(block: Block, *, upto: int | None = None) -> Raster:
    """The block's :class:`Raster`, of shape ``(height + 2 pad, width + 2 pad)``.

    ``upto`` draws only the first ``upto`` characters (typewriter), at their final positions.
    The outline mask includes the fill area (it is the glyph dilated by the stroke width).
    """
    p = block.pad
    w, h = block.width + 2 * p, block.height + 2 * p
    fill = PILImage.new("L", (w, h), 0)
    outline = PILImage.new("L", (w, h), 0)
    df, do = ImageDraw.Draw(fill), ImageDraw.Draw(outline)
    anchor = "mm" if block.spec.vertical else "ls"
    sw = block.stroke_px
    color: np.ndarray | None = None
    for x, y, run, face, start in block.items:
        if upto is not None:
            if start >= upto:
                continue
            run = run[: upto - start]
        if face.color:
            color = _paste_color(color, (h, w), face, run, block.size, (x + p, y + p), anchor)
            continue
        font = face.font(block.size, block.spec.weight)
        xy = (x + p, y + p)
        df.text(xy, run, font=font, fill=255, anchor=anchor)
        do.text(xy, run, font=font, fill=255, anchor=anchor, stroke_width=sw, stroke_fill=255)
    scale = np.float32(1.0 / 255.0)
    fill_m = np.asarray(fill, np.float32) * scale
    outline_m = np.asarray(outline, np.float32) * scale
    if color is not None:
        a = color[..., 3]
        fill_m = np.maximum(fill_m, a)
        k = 2 * sw + 1
        rim = cv2.dilate(a, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) if sw > 0 else a
        outline_m = np.maximum(outline_m, rim)
    return Raster(fill_m, outline_m, color)


def _paste_color(
    layer: np.ndarray | None,
    shape: tuple[int, int],
    face: Face,
    run: str,
    size: int,
    xy: tuple[float, float],
    anchor: str,
) -> np.ndarray:
    """Draw a colour run into the ``(h, w, 4)`` layer (made on first use) at the text anchor."""
    if layer is None:
        layer = np.zeros((*shape, 4), np.float32)
    rgba, (dx, dy) = face.render_color(run, size)
    gh, gw = rgba.shape[:2]
    if anchor == "mm":  # vertical: the glyph is centred on the cell's centre
        x0, y0 = round(xy[0] - gw / 2), round(xy[1] - gh / 2)
    else:
        x0, y0 = round(xy[0] + dx), round(xy[1] + dy)
    ys, xs = max(0, y0), max(0, x0)
    ye, xe = min(shape[0], y0 + gh), min(shape[1], x0 + gw)
    if ye <= ys or xe <= xs:
        return layer
    src = rgba[ys - y0 : ye - y0, xs - x0 : xe - x0].astype(np.float32)
    a = src[..., 3:4] / 255.0
    dst = layer[ys:ye, xs:xe]
    # "over" in straight alpha: later glyphs cover earlier ones where they overlap
    out_a = a + dst[..., 3:4] * (1 - a)
    rgb = (src[..., :3] * a + dst[..., :3] * dst[..., 3:4] * (1 - a)) / np.maximum(out_a, 1e-6)
    layer[ys:ye, xs:xe] = np.concatenate([rgb, out_a], axis=-1)
    return layer
