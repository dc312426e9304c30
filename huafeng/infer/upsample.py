"""Run a style at reduced resolution and bring it back to full size with the photo's own detail.

Why: the painterly network's cost grows with the pixel count, and its norm tables were learnt on
256 px crops, so at 1024² and above a full-resolution run draws strokes too small to read as
painting (measured: docs/benchmarks.md, "reduced resolution"). The engine therefore runs a
model at ``huafeng.render_scale`` of the side and lifts the result back:

* :func:`detail_upsample` (the default): the upsampled result plus the photo's band above the
  small image's resolution, in luma. Strokes and colours come from the network, sharp edges from
  the photo. Measured on held-out photos: Gram distance as good or better, SSIM near full res.
* :func:`guided_upsample` (``huafeng.render_lift = guided``): a fast guided filter (He & Sun
  2015). Measured and not used by default: it smooths away every stroke that is not a linear
  function of the photo, so results looked blurred although SSIM rose.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Window radius (low-resolution pixels) and regulariser of the guided fit.
RADIUS = 2
EPS = 4e-3


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided_upsample(
    photo: np.ndarray,
    photo_small: np.ndarray,
    styled_small: np.ndarray,
    *,
    radius: int = RADIUS,
    eps: float = EPS,
) -> np.ndarray:
    """Full-resolution float32 HWC [0, 1] result from a low-resolution one and the photo.

    ``photo``: full-size float32 HWC in [0, 1]; ``photo_small`` the same photo at the size of
    ``styled_small`` (what the network saw); ``styled_small`` the network's output.
    """
    h, w = photo.shape[:2]
    i, p = photo_small.astype(np.float32), styled_small.astype(np.float32)
    mean_i, mean_p = _box(i, radius), _box(p, radius)
    cov = _box(i * p, radius) - mean_i * mean_p
    var = _box(i * i, radius) - mean_i * mean_i
    a = cov / (var + np.float32(eps))
    b = mean_p - a * mean_i
    a, b = _box(a, radius), _box(b, radius)
    a_up: np.ndarray = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
    b_up: np.ndarray = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    a_up *= photo.astype(np.float32, copy=False)
    a_up += b_up
    return a_up


_LUMA = np.array([[0.299, 0.587, 0.114]], np.float32)


def detail_upsample(
    photo: np.ndarray, photo_small: np.ndarray, styled_small: np.ndarray, *, detail: float = 1.0
) -> np.ndarray:
    """Full-resolution result as the upsampled style plus the photo's own fine detail.

    What a resize of the low-resolution result lacks is exactly the photo's band above the small
    image's Nyquist limit: ``photo - up(photo_small)``. Adding it back (in luma, so the style's
    colours stay) gives sharp edges and keeps the style's strokes, which a guided fit smooths
    away where they are not a linear function of the photo. Luma and resizing are both linear, so
    the band is computed on one channel, ``luma(photo) - up(luma(photo_small))``: the same values
    (to float rounding) at a third of the cost (16 → 5 ms at 1024²). ``detail`` scales the band: a
    style trained through the lift learns how much of it suits the painting
    (``huafeng.render_detail``, :mod:`huafeng.train.render_lift`).
    """
    h, w = photo.shape[:2]
    up: np.ndarray = cv2.resize(
        styled_small.astype(np.float32, copy=False), (w, h), interpolation=cv2.INTER_LINEAR
    )
    hi: np.ndarray = np.asarray(cv2.transform(photo.astype(np.float32, copy=False), _LUMA), np.float32)
    small_luma = cv2.transform(photo_small.astype(np.float32, copy=False), _LUMA)
    hi -= cv2.resize(small_luma, (w, h), interpolation=cv2.INTER_LINEAR)
    if detail != 1.0:
        hi *= np.float32(detail)
    up += hi[..., None]
    return up


def detail_upsample_u8(
    photo: np.ndarray, photo_small: np.ndarray, styled_small: np.ndarray, *, detail: float = 1.0
) -> np.ndarray:
    """:func:`detail_upsample` straight to ``uint8``, for the plain path (no colour or strength step after).

    ``photo`` and ``photo_small`` are the uint8 photo and the uint8 image the network saw;
    ``styled_small`` is the network's float output. The same sum in 0..255 units with the
    full-size work in OpenCV's fused kernels (luma of the uint8 photo, one saturating add that
    rounds): within one grey level of ``detail_upsample`` followed by a float→uint8 conversion,
    in ~6 ms instead of ~16 ms at 1024², which is a tenth of a photo's whole cost.
    """
    h, w = photo.shape[:2]
    up = cv2.resize(styled_small * np.float32(255.0), (w, h), interpolation=cv2.INTER_LINEAR)
    hi = np.asarray(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY), np.float32)
    small_luma = np.asarray(cv2.cvtColor(photo_small, cv2.COLOR_RGB2GRAY), np.float32)
    hi -= cv2.resize(small_luma, (w, h), interpolation=cv2.INTER_LINEAR)
    if detail != 1.0:
        hi *= np.float32(detail)
    return np.asarray(cv2.add(up, cv2.merge((hi, hi, hi)), dtype=cv2.CV_8U))


def small_size(
    h: int, w: int, scale: float, multiple: int = 1, min_side: int = 256
) -> tuple[int, int] | None:
    """(width, height) to run at, or None when the image is already small enough to run whole.

    Never below ``min_side`` on the short side: under ~256 px the network's strokes are as large
    as the objects and the guided lift cannot bring back what was never drawn.
    """
    if scale >= 1.0:
        return None
    s = max(scale, min_side / max(1, min(h, w)))
    if s >= 0.95:
        return None
    m = max(1, multiple)
    sw = max(m, round(w * s / m) * m)
    sh = max(m, round(h * s / m) * m)
    return sw, sh
