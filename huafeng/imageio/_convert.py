"""Conversions between uint8, float and PIL images; resizing; listing image files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from huafeng.errors import InputError
from huafeng.imageio._read import _to_rgb_alpha
from huafeng.imageio._types import READ_EXTENSIONS, Image

# ------------------------------------------------------------------------------ conversions


def to_float(rgb: np.ndarray) -> np.ndarray:
    """uint8 HWC → float32 HWC in [0, 1]."""
    return rgb.astype(np.float32) * (1.0 / 255.0)


def from_float(x: np.ndarray) -> np.ndarray:
    """float HWC in [0, 1] → uint8 HWC, rounded and clipped."""
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def to_pil(img: Image | np.ndarray) -> PILImage.Image:
    """For layout/drawing code (captions) that works on Pillow images."""
    if isinstance(img, Image):
        pil = PILImage.fromarray(img.rgb, "RGB")
        if img.alpha is not None:
            pil.putalpha(PILImage.fromarray(img.alpha, "L"))
        return pil
    return PILImage.fromarray(img)


def from_pil(pil: PILImage.Image) -> Image:
    rgb, alpha, icc = _to_rgb_alpha(pil)
    return Image(rgb=rgb, alpha=alpha, icc=icc)


def resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 or float HWC to ``(width, height)`` with a good filter for either direction."""
    w, h = size
    if (rgb.shape[1], rgb.shape[0]) == (w, h):
        return rgb
    import cv2

    shrink = w < rgb.shape[1] or h < rgb.shape[0]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    out = cv2.resize(rgb, (w, h), interpolation=interp)
    if rgb.dtype == np.uint8:
        return np.asarray(out, dtype=np.uint8)
    return np.asarray(out)


def fit_side(rgb: np.ndarray, side: int) -> np.ndarray:
    """Downscale so the longest side is at most ``side`` (never upscales)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return rgb
    f = side / max(h, w)
    return resize(rgb, (max(1, round(w * f)), max(1, round(h * f))))


def list_images(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files, folders (non-recursive, sorted) and globs into image paths, in order."""
    import glob

    out: list[Path] = []
    for raw in paths:
        s = str(raw)
        p = Path(s)
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in READ_EXTENSIONS))
        elif any(c in s for c in "*?["):
            matches = sorted(glob.glob(s, recursive=True))
            if not matches:
                raise InputError(f"{s}: no files match this pattern")
            out.extend(Path(m) for m in matches if Path(m).is_file())
        else:
            out.append(p)
    return out
