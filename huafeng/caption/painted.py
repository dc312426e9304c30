"""Painted text: run the style model over the captioned picture, then re-blend with the text mask.

Drawn text is too crisp for a painting: it looks pasted on. Stylizing the composite makes the
letters take the brush texture, but the model also smears them (thin CJK strokes vanish). So the
painted pixels are used only inside the text mask dilated by a few pixels, where they give their
colour (Lab a, b) and part of their lightness while the crisp text keeps most of the lightness
contrast: strokes carry the style's texture and palette and still read (the OCR tests check it).
"""

from __future__ import annotations

import cv2
import numpy as np

from huafeng.infer.engine import StylizeOptions, Stylizer

PAINT_MIX = 0.35
"""Share of the stylized lightness inside the text: more looks painted, less reads sharper."""


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
    # Legibility lives in lightness, the painted look in colour and texture: take the painted
    # pixels' chroma, and mix lightness so the letters keep most of their crisp contrast.
    lab_p = cv2.cvtColor(painted, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_c = cv2.cvtColor(captioned, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab_p[..., 0] = mix * lab_p[..., 0] + (1.0 - mix) * lab_c[..., 0]
    text = cv2.cvtColor(np.clip(lab_p + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB).astype(np.float32)
    out = grown * text + (1.0 - grown) * base.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
