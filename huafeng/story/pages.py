"""Where the panels of a story go: the page grid for each format, and how a photo fills its cell.

A story is read like a comic or a social-media story, not as a row of thumbnails:

- **``9:16``** (a phone story, 1080×1920 by default): one or two panels per row; an odd count opens
  with a wide panel across the page, so the first picture sets the scene;
- **``1:1``** (a feed post): about √n rows, fuller rows at the bottom, so the first panels are the
  largest;
- **``strip``**: the classic comic strip, panels of one size in rows (up to 4 in one row, else rows
  of 3), the page as large as the panels need.

Every page has a margin, gutters between panels (both in the page's paper colour) and an optional
title band at the top. Each photo is cropped to its cell's shape around what matters in it: the
faces when there are any, else the saliency centre (:func:`focus`), so a tall cell does not cut a
head off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from huafeng.caption.place import detect_faces, saliency
from huafeng.errors import InputError
from huafeng.imageio import Image, resize

FORMATS = ("9:16", "1:1", "strip")
Cell = tuple[int, int, int, int]
"""x, y, w, h in page pixels."""


@dataclass(frozen=True)
class Page:
    size: tuple[int, int]
    """(w, h) of the whole page."""
    cells: list[Cell]
    """One per panel, in reading order."""
    title: Cell | None
    gutter: int


def row_counts(n: int, fmt: str) -> list[int]:
    """Panels per row, top to bottom, for ``n`` panels on a ``9:16`` or ``1:1`` page."""
    if n < 1:
        raise InputError("a story needs at least one photo")
    if fmt == "9:16":
        if n <= 3:
            return [1] * n
        pairs = [2] * (n // 2)
        return [1, *pairs] if n % 2 else pairs
    rows = max(1, round(math.sqrt(n)))
    base, extra = divmod(n, rows)
    return [base] * (rows - extra) + [base + 1] * extra


def panel_size(photos: Sequence[Image], side: int) -> tuple[int, int]:
    """The strip's shared ``(w, h)``: the photos' median aspect, clamped to 3:4..4:3, long side ``side``."""
    aspect = float(np.clip(np.median([w / h for w, h in (p.size for p in photos)]), 0.75, 4 / 3))
    if aspect >= 1:
        return side, max(8, round(side / aspect))
    return max(8, round(side * aspect)), side


def plan_page(
    photos: Sequence[Image], fmt: str, *, width: int, panel_side: int, columns: int, title: bool
) -> Page:
    """The page for ``photos`` in format ``fmt`` (see the module docstring)."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    n = len(photos)
    if fmt == "strip":
        return _plan_strip(photos, panel_side, columns, title)
    w = width
    h = round(w * 16 / 9) if fmt == "9:16" else w
    margin, gutter = max(4, round(0.035 * w)), max(3, round(0.022 * w))
    top, title_cell = margin, None
    if title:
        th = round(h * (0.08 if fmt == "9:16" else 0.11))
        title_cell = (margin, margin, w - 2 * margin, th)
        top = margin + th + gutter
    rows = row_counts(n, fmt)
    rh = (h - top - margin - gutter * (len(rows) - 1)) / len(rows)
    cells: list[Cell] = []
    for i, k in enumerate(rows):
        y0, y1 = round(top + i * (rh + gutter)), round(top + i * (rh + gutter) + rh)
        cw = (w - 2 * margin - gutter * (k - 1)) / k
        for j in range(k):
            x0, x1 = round(margin + j * (cw + gutter)), round(margin + j * (cw + gutter) + cw)
            cells.append((x0, y0, x1 - x0, y1 - y0))
    return Page((w, h), cells, title_cell, gutter)


def _plan_strip(photos: Sequence[Image], side: int, columns: int, title: bool) -> Page:
    n = len(photos)
    cols = min(columns or (n if n <= 4 else 3), n)
    rows = math.ceil(n / cols)
    pw, ph = panel_size(photos, side)
    gutter = max(4, round(0.04 * max(pw, ph)))
    title_h = round(0.22 * ph) if title else 0
    top = gutter + (title_h + gutter if title else 0)
    w = cols * pw + (cols + 1) * gutter
    h = top + rows * ph + rows * gutter
    cells = [
        (gutter + (i % cols) * (pw + gutter), top + (i // cols) * (ph + gutter), pw, ph) for i in range(n)
    ]
    title_cell = (gutter, gutter, w - 2 * gutter, title_h) if title else None
    return Page((w, h), cells, title_cell, gutter)


def focus(rgb: np.ndarray) -> tuple[float, float]:
    """The point (as fractions of width and height) a crop should keep: the faces' centre, else
    the centre of the most salient tenth of the picture."""
    faces = detect_faces(rgb)
    if faces:
        xs = [x + fw / 2 for x, _, fw, _ in faces]
        ys = [y + 0.4 * fh for _, y, _, fh in faces]  # a little above the middle: keep the top of the head
        return float(np.mean(xs)) / rgb.shape[1], float(np.mean(ys)) / rgb.shape[0]
    sal = saliency(rgb)
    top = sal >= np.quantile(sal, 0.9)
    sy, sx = np.nonzero(top)
    if len(sx) == 0:
        return 0.5, 0.5
    # half-way to the middle: saliency is a hint, and a crop pulled to an edge looks accidental
    return 0.5 * (0.5 + float(sx.mean()) / sal.shape[1]), 0.5 * (0.5 + float(sy.mean()) / sal.shape[0])


def crop_cover(
    rgb: np.ndarray, size: tuple[int, int], centre: tuple[float, float] = (0.5, 0.5)
) -> np.ndarray:
    """Crop ``rgb`` to the aspect of ``size`` (``(w, h)``) around ``centre``, then resize to it."""
    h, w = rgb.shape[:2]
    tw, th = size
    if w * th > h * tw:  # too wide: keep the full height
        cw = max(1, round(h * tw / th))
        x0 = int(np.clip(round(centre[0] * w - cw / 2), 0, w - cw))
        rgb = rgb[:, x0 : x0 + cw]
    else:
        ch = max(1, round(w * th / tw))
        y0 = int(np.clip(round(centre[1] * h - ch / 2), 0, h - ch))
        rgb = rgb[y0 : y0 + ch]
    return resize(np.ascontiguousarray(rgb), size)
