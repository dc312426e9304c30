"""Where a caption goes: away from faces and from what the eye is drawn to, onto calm background.

Candidate boxes are scored by
- faces: a box that covers a detected face (OpenCV's Haar cascade, shipped in ``cv2.data``) is
  ruled out while any face-free candidate exists;
- saliency: mean of the spectral-residual saliency map (Hou & Zhang, CVPR 2007) inside the box —
  text over the subject hides it;
- legibility: the background's busyness (std of luminance) and gradient energy inside the box —
  strokes read best over flat areas;
- size: a larger font is worth a little busyness.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h
FACE_PENALTY = 100.0


@functools.lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
    c = cv2.CascadeClassifier(path)
    if c.empty():  # pragma: no cover - a broken OpenCV wheel
        raise RuntimeError(f"could not load the face cascade {path}")
    return c


_MIN_FACE = 24  # px on the search copy: the cascade's own window


def detect_faces(rgb: np.ndarray) -> list[Box]:
    """Frontal faces as (x, y, w, h) in the picture's pixels (searched on a ≤ 640 px copy)."""
    h, w = rgb.shape[:2]
    f = min(1.0, 640.0 / max(h, w))
    if min(h, w) * f < _MIN_FACE:  # a strip (2048×1, a banner): no face fits, and cv2 would assert
        return []
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if f < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(grey)
    min_side = max(_MIN_FACE, round(min(grey.shape) * 0.08))
    found = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    return [tuple(round(v / f) for v in box) for box in found]  # type: ignore[misc]


def saliency(rgb: np.ndarray) -> np.ndarray:
    """Spectral-residual saliency in [0, 1] at the picture's size (computed at 64 px, as the paper)."""
    h, w = rgb.shape[:2]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    small = cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA)
    spec = np.fft.fft2(small)
    log_amp = np.log(np.abs(spec) + 1e-6)
    residual = log_amp - cv2.blur(log_amp, (3, 3))
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spec)))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), 2.5)
    sal = cv2.resize(sal, (w, h), interpolation=cv2.INTER_LINEAR)
    lo, hi = float(sal.min()), float(sal.max())
    return (sal - lo) / (hi - lo) if hi > lo else np.zeros_like(sal)


def overlap(a: Box, b: Box) -> float:
    """Area of ``a ∩ b`` over the area of ``b``."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / max(1, b[2] * b[3])


@dataclass(frozen=True)
class Scene:
    """What placement needs to know about a picture, computed once per picture (or video)."""

    faces: tuple[Box, ...]
    saliency: np.ndarray  # (H, W) float32 in [0, 1]
    busy: np.ndarray  # (H, W) local std of luminance in [0, 1]

    @classmethod
    def analyse(cls, rgb: np.ndarray, *, faces: bool = True, photo: np.ndarray | None = None) -> Scene:
        """``photo``: the unstylized picture (same size) to find faces in; cascades trained on
        photographs miss faces once they are painted."""
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        k = max(3, (min(grey.shape) // 40) | 1)
        mean = cv2.blur(grey, (k, k))
        busy = np.sqrt(np.maximum(cv2.blur(grey * grey, (k, k)) - mean * mean, 0.0))
        src = photo if photo is not None and photo.shape == rgb.shape else rgb
        return cls(tuple(detect_faces(src)) if faces else (), saliency(rgb), busy)

    def face_overlap(self, box: Box) -> float:
        """The largest share of any face that ``box`` covers."""
        return max((overlap(box, f) for f in self.faces), default=0.0)

    @functools.cached_property
    def _cost(self) -> np.ndarray:
        """Summed-area table of the per-pixel cost, so every candidate box costs O(1)."""
        return cv2.integral((self.saliency + 2.0 * self.busy).astype(np.float64))

    def score(self, box: Box) -> float:
        """Higher is better; covering over 5 % of a face costs more than any other term can win."""
        ii = self._cost
        x0, y0 = max(0, box[0]), max(0, box[1])
        x1, y1 = min(ii.shape[1] - 1, box[0] + box[2]), min(ii.shape[0] - 1, box[1] + box[3])
        area = max(1, (x1 - x0) * (y1 - y0))
        cost = (ii[y1, x1] - ii[y0, x1] - ii[y1, x0] + ii[y0, x0]) / area
        face = self.face_overlap(box)
        return -float(cost) - (FACE_PENALTY + 10.0 * face if face > 0.05 else 0.0)


def candidates(size: tuple[int, int], block: tuple[int, int], region: str, step: int) -> list[Box]:
    """Positions for a block of ``(bw, bh)`` inside ``region`` ("top", "bottom", "auto")."""
    w, h = size
    bw, bh = block
    if bw > w or bh > h:
        return []
    margin = max(2, round(0.02 * min(w, h)))
    y_lo, y_hi = margin, h - bh - margin
    if region == "top":
        y_hi = min(y_hi, max(margin, h // 2 - bh))
    elif region == "bottom":
        y_lo = max(y_lo, min(y_hi, h // 2))
    ys = sorted({*range(max(0, y_lo), max(0, y_hi) + 1, step), max(0, y_hi), max(0, y_lo)})
    xs = sorted({max(0, (w - bw) // 2), *range(margin, max(margin, w - bw - margin) + 1, step)})
    if region == "bottom":
        ys = ys[::-1]  # prefer the lowest of equal scores
    return [(x, y, bw, bh) for y in ys for x in xs if x + bw <= w and y + bh <= h]


def best_box(
    scene: Scene, size: tuple[int, int], block: tuple[int, int], region: str, *, centre: float = 0.02
) -> tuple[Box, float]:
    """The best-scoring position; ``centre`` weighs the pull towards the middle (by default it only
    breaks ties: captions look composed centred; subtitles want it strong)."""
    w, h = size
    step = max(4, min(w, h) // 24)
    best: tuple[Box, float] | None = None
    for box in candidates(size, block, region, step):
        s = scene.score(box) - centre * abs((box[0] + box[2] / 2) - w / 2) / w
        if region == "top":  # a meme's top text hugs the top edge, its bottom text the bottom
            s -= 0.3 * box[1] / h
        elif region == "bottom":
            s -= 0.3 * (h - box[1] - box[3]) / h
        if best is None or s > best[1]:
            best = (box, s)
    if best is None:
        raise ValueError("block larger than the picture")
    return best
