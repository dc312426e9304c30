"""Finding a painting inside its digital pad or flat backdrop.

Painting files are often not the painting: a handscroll letterboxed onto a grey square (three
quarters of ``cn_shanshui_test29`` is a flat 242-grey pad), a fan or a hanging scroll photographed
on a plain wall, a museum scan with a wide paper margin. Whatever reads such a file as a *style* —
the style code of instant mode, the Gram and colour targets of ``learn-style`` and of the library's
training — would otherwise learn the pad: measured on that handscroll, every system given the whole
file turns photos into pale blank squares (docs/learn_style.md, session 12).

The rule is deliberately narrow, so that a painting's own empty space (blank silk is part of ink
painting's style) survives: only whole rows or columns, starting at the edge, whose pixels nearly
all match that edge's colour within a small tolerance; only a near-neutral edge colour (pads, walls
and paper; not a painted blue sky); only along an axis whose *both* ends have such a pad (a
painting's blank sky reaches one edge, a letterbox or backdrop surrounds it). Nothing is cut unless
it removes at least 3% of the area. Blank paper that reaches two opposite edges flat is still
taken for a pad: no rule on pixels alone tells those apart.
"""

from __future__ import annotations

import numpy as np

from huafeng.imageio._convert import resize

#: A pixel belongs to the pad when no channel is further than this from the edge's colour (0-255).
TOLERANCE = 12.0
#: A row belongs to the pad when this share of its pixels does.
FLAT_SHARE = 0.97
#: The edge colour must be about neutral (max - min channel): pads, walls, paper, not a painted sky.
MAX_CHROMA = 48.0
#: Cut nothing unless the pad is at least this share of the area (a thin margin is harmless).
MIN_CUT = 0.03
#: Along an axis, each end must have at least this share of the side as pad (:func:`_both_ends`).
ONE_END = 0.01
#: The box is found on a copy whose long side is at most this (speed on large uploads).
WORK_SIDE = 512


def _pad_rows(a: np.ndarray) -> int:
    """How many leading rows of ``a`` (H×W×3 float) are pad: flat in the colour of the first two."""
    edge = np.median(a[:2].reshape(-1, 3), axis=0)
    if float(edge.max() - edge.min()) > MAX_CHROMA:
        return 0
    share = (np.abs(a - edge).max(axis=2) < TOLERANCE).mean(axis=1)
    flat = share >= FLAT_SHARE
    return int(flat.argmin()) if not flat.all() else len(flat)


def _both_ends(a: int, b: int, n: int) -> tuple[int, int]:
    """Pad is cut along an axis only when *both* ends have some: a letterbox or a backdrop surrounds
    the painting, while a painting's own blank sky or paper reaches one edge."""
    least = max(2, round(ONE_END * n))
    return (a, b) if min(a, b) >= least else (0, 0)


def mount_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the painting inside its pad; the whole image if none is found."""
    h, w = rgb.shape[:2]
    s = min(1.0, WORK_SIDE / max(h, w))
    small = rgb if s == 1.0 else resize(rgb, (max(1, round(w * s)), max(1, round(h * s))))
    a = small.astype(np.float32)
    cols = a.transpose(1, 0, 2)
    sh, sw = a.shape[:2]
    t, b = _both_ends(_pad_rows(a), _pad_rows(a[::-1]), sh)
    left, r = _both_ends(_pad_rows(cols), _pad_rows(cols[::-1]), sw)
    if sh - t - b < 16 or sw - left - r < 16:  # all pad: a flat picture, not a mounted one
        return 0, h, 0, w
    # back to full resolution, rounding toward keeping the painting
    box = (int(t / s), h - int(b / s), int(left / s), w - int(r / s))
    if (box[1] - box[0]) * (box[3] - box[2]) > (1 - MIN_CUT) * h * w:
        return 0, h, 0, w
    return box


def trim_mount(rgb: np.ndarray) -> np.ndarray:
    """The painting without its flat pad or backdrop (:func:`mount_box`); unchanged if none is found."""
    t, b, left, r = mount_box(rgb)
    return rgb if (t, b, left, r) == (0, rgb.shape[0], 0, rgb.shape[1]) else rgb[t:b, left:r]
