"""Instant "make it look like this picture": the nearest learned style plus the picture's palette.

``huafeng stylize photo.jpg --style-image painting.jpg`` answers at once, torch-free: each shipped
style's card carries a small descriptor of its paintings (CIE Lab mean and spread, saturation, edge
density — what separates an ink wash from a Fauve canvas at a glance), the given picture gets the
same descriptor, the nearest style paints the photo, and the result's colours are moved towards the
picture's (Reinhard et al. 2001, "Color Transfer between Images": per-channel mean/std in Lab). It
is an approximation — the strokes are the nearest style's, not the picture's — and the command says
that ``huafeng learn-style`` makes it closer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import from_float, resize, to_float, trim_mount

DESCRIPTOR_KEY = "descriptor"
#: Rough spread of each descriptor entry over paintings, so no one entry dominates the distance.
_SCALE = np.array([20.0, 10.0, 15.0, 8.0, 5.0, 6.0, 0.15, 4.0], np.float32)
_SIDE = 256


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(to_float(rgb), cv2.COLOR_RGB2LAB)


def _small(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = _SIDE / max(h, w)
    return resize(rgb, (max(1, round(w * s)), max(1, round(h * s)))) if s < 1 else rgb


def descriptor(rgb: np.ndarray) -> np.ndarray:
    """8 numbers: Lab mean (3) and std (3), mean saturation, mean |∇L| (an HWC uint8 image)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError(f"expected an RGB image, got shape {rgb.shape}")
    small = _small(rgb)
    lab = _lab(small).reshape(-1, 3)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    grey = lab[:, 0].reshape(small.shape[:2])
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    edges = float(np.sqrt(gx**2 + gy**2).mean())
    return np.array([*lab.mean(0), *lab.std(0), float(hsv[..., 1].mean()) / 255.0, edges], np.float32)


def mean_descriptor(images: Sequence[np.ndarray]) -> list[float]:
    """The descriptor of a style's paintings (for its model card), rounded for a small card."""
    return [round(float(v), 4) for v in np.mean([descriptor(im) for im in images], axis=0)]


def code_style(pictures: Sequence[np.ndarray], name: str = "instant", threads: int = 0) -> Any:
    """A style that paints like ``pictures`` at once: their code
    (:func:`~huafeng.infer.style_code.predict_code`) on the shipped code-conditioned transformer, run
    by the engine like any style."""
    from huafeng.infer.style_code import predict_code

    return style_for_code(predict_code(pictures, threads=threads), name)


def style_for_code(code: Sequence[float] | np.ndarray, name: str = "instant") -> Any:
    """The shipped code-conditioned transformer as a style that paints ``code`` (100 numbers); a
    queued job keeps the code, not the picture (serve/jobs_api.py)."""
    import dataclasses

    from huafeng.infer.style_code import code_model_path
    from huafeng.infer.styles import style_from_model

    base = style_from_model(code_model_path(), "builtin")
    return dataclasses.replace(base, name=name, code=tuple(float(c) for c in code))


def look_like(picture: np.ndarray, threads: int = 0) -> tuple[Any, np.ndarray | None, str]:
    """``--style-image``: (style, palette picture or None, how it was made). The picture's code when
    the predictor is installed; otherwise the nearest shipped style, whose results then get the
    picture's palette (:func:`palette_transfer`) — the measured comparison is docs/learn_style.md."""
    from huafeng.infer.style_code import predictor_available
    from huafeng.infer.styles import list_styles

    if predictor_available():
        return code_style([picture], threads=threads), None, "its style code"
    picture = trim_mount(picture)  # the painting, not its pad (as predict_code reads it)
    info = nearest_style(picture, [s for s in list_styles() if s.kind == "onnx"])
    return info, picture, f"nearest style {info.name} + the picture's palette"


def nearest_style(painting: np.ndarray, styles: Sequence[Any]) -> Any:
    """The style (a StyleInfo with a card descriptor) whose paintings look most like ``painting``."""
    cands = [s for s in styles if isinstance(s.card.get(DESCRIPTOR_KEY), list) and not s.style_names]
    if not cands:
        raise InputError("no installed style carries a descriptor for --style-image; use learn-style")
    d = descriptor(painting)
    dist = [
        float(np.linalg.norm((np.asarray(s.card[DESCRIPTOR_KEY], np.float32) - d) / _SCALE)) for s in cands
    ]
    return cands[int(np.argmin(dist))]


#: How far the fallback look moves a result's colours to the picture's, at full strength.
FALLBACK_PALETTE = 0.7


def fallback_palette(rgb: np.ndarray, painting: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """The fallback look's colours on one stylized result (``stylize`` and ``story --style-image``
    without the predictor): :data:`FALLBACK_PALETTE` of the way to ``painting``'s, times ``strength``."""
    return palette_transfer(rgb, painting, FALLBACK_PALETTE * strength)


def palette_transfer(rgb: np.ndarray, painting: np.ndarray, amount: float = FALLBACK_PALETTE) -> np.ndarray:
    """Move ``rgb``'s Lab mean/std towards ``painting``'s by ``amount`` (0 = unchanged)."""
    src = _lab(rgb)
    ref = _lab(_small(painting)).reshape(-1, 3)
    mu_s, sd_s = src.reshape(-1, 3).mean(0), src.reshape(-1, 3).std(0) + 1e-3
    mu_r, sd_r = ref.mean(0), ref.std(0) + 1e-3
    moved = (src - mu_s) * (sd_r / sd_s) + mu_r
    lab = (1 - amount) * src + amount * moved
    lab[..., 0] = np.clip(lab[..., 0], 0, 100)
    return from_float(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB))
