"""A caption in a band under the picture: the service's ``caption`` field on a stylize request.

The band is white with near-black text, set by the same renderer as memes and stories (font
fallback, colour emoji, word-aware Chinese line breaks), at about a twentieth of the picture's
width and at most four lines, so the same caption looks the same wherever huafeng draws it.
"""

from __future__ import annotations

import numpy as np

from huafeng.caption import layout as L
from huafeng.caption.compose import fit_text, stamp
from huafeng.caption.palette import TextColors

PAPER = (255, 255, 255)
INK = (20, 20, 20)


def caption_band(rgb: np.ndarray, text: str | None) -> np.ndarray:
    """``rgb`` with ``text`` in a white band under it (unchanged when the text is empty)."""
    if not text or not text.strip():
        return rgb
    w = rgb.shape[1]
    size = max(L.MIN_SIZE, round(w / 22))
    spec = L.TextSpec(weight=500, stroke=0.0, line_spacing=1.3)
    block = fit_text(text, (w - size, round(size * 1.3 * 4 + 2 * size)), spec, max_size=size)
    bh, bw = block.height + 2 * block.pad, block.width + 2 * block.pad
    band = np.empty((bh + size // 2, w, 3), np.uint8)
    band[:] = PAPER
    band = stamp(band, block, (max(0, (w - bw) // 2), size // 4), TextColors(INK, PAPER, PAPER))
    return np.concatenate([rgb, band], axis=0)
