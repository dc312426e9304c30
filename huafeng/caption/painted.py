"""Painted text: run the style model over the captioned picture, then re-blend with the text mask.

Drawn text is too crisp for a painting: it looks pasted on. Stylizing the composite makes the
letters take the brush texture, but the model also smears them (thin CJK strokes vanish). So the
painted pixels are used only inside the text mask dilated by a few pixels, mixed with the crisp
text there: strokes carry the style's texture and still read (the OCR tests check it).
"""

from __future__ import annotations

import cv2
import numpy as np

from huafeng.infer.engine import StylizeOptions, Stylizer

PAINT_MIX = 0.55
"""Share of the stylized pixels inside the text: more looks painted, less reads sharper."""


def paint_text(
    base: np.ndarray,
    captioned: np.ndarray,
    outline: np.ndarray,
    stylizer: Stylizer,
    *,
    mix: float = PAINT_MIX,
    threads: int | None = None,
) -> np.ndarray:
    """``base`` (the stylized picture without text) with the text of ``captioned`` painted in.

    ``outline`` is the full-size outline mask (fill included) in [0, 1].
    """
    painted = stylizer.stylize_array(captioned, StylizeOptions(threads=threads))
    k = max(3, (round(min(base.shape[:2]) / 160) * 2 + 1))
    grown = cv2.dilate(outline, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    grown = cv2.GaussianBlur(grown, (0, 0), k / 3)[..., None]
    text = mix * painted.astype(np.float32) + (1.0 - mix) * captioned.astype(np.float32)
    out = grown * text + (1.0 - grown) * base.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
