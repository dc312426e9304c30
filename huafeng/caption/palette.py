"""Text colours taken from the picture's own palette, then pushed until they pass a contrast check.

The palette is k-means in CIE Lab (distances there track perceived colour differences, unlike
RGB). A caption takes the palette's most colourful swatch for its fill and its darkest (or
lightest) for the outline, keeps their hue and chroma, and moves only their lightness until the
WCAG 2 contrast ratio between fill and outline reaches 4.5:1 (the "AA" level for body text), the
outline stands 3:1 off the background behind it, and so does the fill (without that last check a
grey video got light-grey letters with a grey outline: 1.4-1.6:1 against the frame). So the words
look like they belong to a Starry Night or an ink painting, yet still read.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

RGB = tuple[int, int, int]

FILL_CONTRAST = 4.5  # fill vs outline (WCAG AA, normal text)
EDGE_CONTRAST = 3.0  # outline vs background (WCAG AA, large text / graphics)
BODY_CONTRAST = 3.0  # fill vs background: the letters themselves, not only their rim


def palette(rgb: np.ndarray, k: int = 6, *, seed: int = 0) -> list[RGB]:
    """``k`` dominant colours (most common first), k-means in Lab on a 64-px thumbnail."""
    h, w = rgb.shape[:2]
    f = 64.0 / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    k = max(1, min(k, len(np.unique(lab, axis=0))))
    cv2.setRNGSeed(seed)  # k-means++ seeding is random: same picture, same colours
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, labels, centers = cv2.kmeans(lab, k, None, crit, 3, cv2.KMEANS_PP_CENTERS)  # type: ignore[call-overload]
    counts = np.bincount(labels.ravel(), minlength=k)
    order = np.argsort(-counts)
    lab_c = np.clip(centers[order], 0, 255).astype(np.uint8)[None]
    return [tuple(int(v) for v in c) for c in cv2.cvtColor(lab_c, cv2.COLOR_LAB2RGB)[0]]  # type: ignore[misc]


def luminance(c: RGB | np.ndarray) -> float:
    """WCAG relative luminance of an sRGB colour."""
    v = np.asarray(c, np.float64) / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a: RGB | np.ndarray, b: RGB | np.ndarray) -> float:
    """WCAG contrast ratio in [1, 21]."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _lab(c: RGB) -> np.ndarray:
    return cv2.cvtColor(np.array([[c]], np.uint8), cv2.COLOR_RGB2LAB)[0, 0].astype(np.float32)


def _rgb(lab: np.ndarray) -> RGB:
    px = np.clip(lab, 0, 255).astype(np.uint8)[None, None]
    r, g, b = cv2.cvtColor(px, cv2.COLOR_LAB2RGB)[0, 0]
    return int(r), int(g), int(b)


def _chroma(c: RGB) -> float:
    lab = _lab(c)
    return float(np.hypot(lab[1] - 128.0, lab[2] - 128.0))


def push(c: RGB, *, lighter: bool, against: RGB, ratio: float) -> RGB:
    """Move ``c``'s Lab lightness (hue kept) until it contrasts ``ratio``:1 with ``against``."""
    lab = _lab(c)
    step = 8.0 if lighter else -8.0
    for _ in range(40):
        out = _rgb(lab)
        if contrast(out, against) >= ratio:
            return out
        lab[0] = np.clip(lab[0] + step, 0, 255)
        if lab[0] in (0.0, 255.0):  # at the end of the range also bleach the chroma
            lab[1:] = 128.0 + (lab[1:] - 128.0) * 0.6
    return (255, 255, 255) if lighter else (0, 0, 0)


@dataclass(frozen=True)
class TextColors:
    fill: RGB
    outline: RGB
    shadow: RGB

    @property
    def fill_contrast(self) -> float:
        return contrast(self.fill, self.outline)


def pick_colors(colors: list[RGB], background: RGB) -> TextColors:
    """Fill and outline from the palette for text over ``background`` (the mean under the box).

    Light fill with a dark outline is the readable default (it survives busy backgrounds); over a
    mid-grey or lighter background the roles swap, so neither the letters nor their outline
    vanish into it.
    """
    # Light letters are the meme look, kept while white can still stand BODY_CONTRAST off the
    # background; over mid-greys and brighter (luminance above ~0.3) dark letters read better.
    light_fill = contrast((255, 255, 255), background) >= BODY_CONTRAST + 0.5
    vivid = max(colors, key=lambda c: _chroma(c) + 0.2 * _lab(c)[0] * (1 if light_fill else -1))
    dark = min(colors, key=luminance) if light_fill else max(colors, key=luminance)
    outline = push(dark, lighter=not light_fill, against=background, ratio=EDGE_CONTRAST)
    fill = push(vivid, lighter=light_fill, against=background, ratio=BODY_CONTRAST)
    fill = push(fill, lighter=light_fill, against=outline, ratio=FILL_CONTRAST)
    shadow = (0, 0, 0) if light_fill else (255, 255, 255)
    return TextColors(fill, outline, shadow)
