"""SSIM on luminance: how much of the photo's structure a stylization keeps.

Reference: Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from
error visibility to structural similarity", IEEE TIP 13(4), 2004 — and its reference MATLAB code
(``ssim.m``), whose choices are copied here exactly:

* Gaussian window 11x11, sigma 1.5, normalised to sum 1; statistics are computed only where the
  whole window fits (MATLAB ``filter2(..., 'valid')``), so no padding convention leaks into the
  score; the score is the mean of the SSIM map.
* K1 = 0.01, K2 = 0.03, dynamic range L = 1 (pixels in [0, 1], same as 0..255 with L = 255).
* Greyscale input. We use luma Y' = 0.299 R' + 0.587 G' + 0.114 B' (ITU-R BT.601 on the
  gamma-encoded sRGB values, what MATLAB's ``rgb2gray`` computes): style transfer is *meant* to
  change colour, so content preservation is judged on light and structure only.

Protocol (name ``ssim_y256``): output and input photo are resized identically to shorter side
256 px (see :mod:`huafeng.eval.prep`), the resolution at which Wang's code also scores (it
downsamples by ``round(min(H, W) / 256)``). Range [-1, 1], 1 = identical; higher is better.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from huafeng.eval.prep import EVAL_SIDE, pair_to_eval
from huafeng.eval.registry import Metric, register_metric

if TYPE_CHECKING:
    from huafeng.eval.gram import StyleReference

WINDOW = 11
SIGMA = 1.5
K1 = 0.01
K2 = 0.03
BT601 = np.array([0.299, 0.587, 0.114])


def gaussian_window(size: int = WINDOW, sigma: float = SIGMA) -> np.ndarray:
    """1-D Gaussian taps summing to 1; the 2-D window is its outer product (MATLAB ``fspecial``)."""
    r = (size - 1) / 2.0
    t = np.arange(size, dtype=np.float64) - r
    g = np.exp(-(t * t) / (2.0 * sigma * sigma))
    return g / g.sum()


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma in [0, 1] (float64) of a uint8 or [0, 1] float RGB image."""
    x = rgb.astype(np.float64)
    if rgb.dtype == np.uint8:
        x /= 255.0
    return np.asarray(x @ BT601)


def ssim_map(
    x: np.ndarray,
    y: np.ndarray,
    *,
    data_range: float = 1.0,
    window: int = WINDOW,
    sigma: float = SIGMA,
    k1: float = K1,
    k2: float = K2,
) -> np.ndarray:
    """The SSIM map of two same-size greyscale images over the 'valid' region (float64)."""
    import cv2

    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"ssim needs two greyscale images of one size, got {x.shape} and {y.shape}")
    if min(x.shape) < window:
        raise ValueError(f"image {x.shape} is smaller than the {window}x{window} SSIM window")
    g = gaussian_window(window, sigma)
    r = window // 2

    def filt(a: np.ndarray) -> np.ndarray:
        # Separable correlation; any border rule works because the border is cropped ('valid').
        out = cv2.sepFilter2D(a, cv2.CV_64F, g, g, borderType=cv2.BORDER_REFLECT)
        return np.asarray(out)[r : a.shape[0] - r, r : a.shape[1] - r]

    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    mx, my = filt(x), filt(y)
    sxx = filt(x * x) - mx * mx
    syy = filt(y * y) - my * my
    sxy = filt(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))


def ssim(x: np.ndarray, y: np.ndarray, **kwargs: float) -> float:
    """Mean SSIM of two same-size greyscale float images (Wang et al.'s ``mssim``)."""
    return float(ssim_map(x, y, **kwargs).mean())  # type: ignore[arg-type]


def ssim_luma(output: np.ndarray, content: np.ndarray, side: int = EVAL_SIDE) -> float:
    """SSIM of two uint8 RGB images on luma, both brought to shorter side ``side`` identically."""
    out, ref = pair_to_eval(output, content, side)
    return ssim(luma(out), luma(ref))


@register_metric("ssim_y256")
class SSIMLuma(Metric):
    """Structure kept from the input photo (higher = more content preserved)."""

    reference = (
        "Wang, Bovik, Sheikh, Simoncelli, Image quality assessment: from error visibility to SSIM, TIP 2004"
    )
    protocol = "BT.601 luma, shorter side 256, Gaussian 11x11 sigma 1.5, K1=0.01 K2=0.03, valid region, mean"
    higher_is_better = True
    needs = frozenset({"content"})

    def score(
        self,
        output: np.ndarray,
        *,
        content: np.ndarray | None = None,
        style: StyleReference | Sequence[np.ndarray] | None = None,
    ) -> float:
        if content is None:
            raise ValueError("ssim_y256 compares the output to its input photo: pass content=")
        return ssim_luma(output, content, self.side)
