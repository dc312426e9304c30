"""The evaluation resolution, shared by every image metric.

Why a fixed resolution: SSIM and CNN features are scale dependent. A 2048 px output scored at
2048 px and a 512 px output scored at 512 px are not comparable, and Wang et al.'s reference SSIM
code itself downsamples to about 256 px before scoring for the same reason. So every metric here
first brings images to a **shorter side of 256 px** (area filter when shrinking, bicubic when
enlarging, :func:`huafeng.imageio.resize`) and centre-crops the longer side to at most twice that,
so a panorama does not dominate the cost.

For *pairwise* metrics (output vs input photo) the geometry is computed once, from the input
photo, and applied to both images, so they are resized and cropped identically even when the
stylizer returned a slightly different size (padding, odd sides).
"""

from __future__ import annotations

import numpy as np

from huafeng.imageio import resize

#: Shorter side (px) of every image a metric sees; part of each metric's registered name.
EVAL_SIDE = 256
#: Longer side is centre-cropped to at most this multiple of the shorter side.
MAX_ASPECT = 2.0


def eval_geometry(width: int, height: int, side: int = EVAL_SIDE) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((resized_w, resized_h), (crop_w, crop_h))`` for an image of ``width`` x ``height``."""
    if width < 1 or height < 1:
        raise ValueError(f"empty image {width}x{height}")
    scale = side / min(width, height)
    rw, rh = max(side, round(width * scale)), max(side, round(height * scale))
    limit = round(side * MAX_ASPECT)
    return (rw, rh), (min(rw, limit), min(rh, limit))


def _crop_centre(x: np.ndarray, cw: int, ch: int) -> np.ndarray:
    h, w = x.shape[:2]
    top, left = (h - ch) // 2, (w - cw) // 2
    return x[top : top + ch, left : left + cw]


def _check(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"metrics take (H, W, 3) uint8 RGB arrays, got {rgb.dtype} {rgb.shape}")
    return rgb


def to_eval(rgb: np.ndarray, side: int = EVAL_SIDE) -> np.ndarray:
    """One image at the evaluation resolution (uint8 HWC)."""
    _check(rgb)
    (rw, rh), (cw, ch) = eval_geometry(rgb.shape[1], rgb.shape[0], side)
    return np.ascontiguousarray(_crop_centre(resize(rgb, (rw, rh)), cw, ch))


def pair_to_eval(
    output: np.ndarray, content: np.ndarray, side: int = EVAL_SIDE
) -> tuple[np.ndarray, np.ndarray]:
    """``(output, content)`` at the evaluation resolution with the geometry taken from ``content``."""
    _check(output)
    _check(content)
    (rw, rh), (cw, ch) = eval_geometry(content.shape[1], content.shape[0], side)
    out = _crop_centre(resize(output, (rw, rh)), cw, ch)
    ref = _crop_centre(resize(content, (rw, rh)), cw, ch)
    return np.ascontiguousarray(out), np.ascontiguousarray(ref)
