"""Example huafeng plugin: two filters and one style built from them (see README.md)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SHADOW = np.array([0.10, 0.05, 0.35], np.float32)  # deep indigo
HIGHLIGHT = np.array([1.00, 0.80, 0.30], np.float32)  # warm yellow


def duotone(x: np.ndarray) -> np.ndarray:
    """Map luma onto a two-colour ramp (the classic pop-art print)."""
    y = (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    return np.clip(SHADOW + (HIGHLIGHT - SHADOW) * y, 0.0, 1.0).astype(np.float32)


def posterize(x: np.ndarray, levels: int = 5) -> np.ndarray:
    """Quantise each channel to a few levels (screen-print look)."""
    return (np.round(np.clip(x, 0.0, 1.0) * (levels - 1)) / (levels - 1)).astype(np.float32)


def filters() -> list[tuple[str, str, Callable[[np.ndarray], np.ndarray]]]:
    return [
        ("duotone", "Two-colour indigo/yellow print (example plugin)", duotone),
        ("posterize", "Five flat tone levels per channel (example plugin)", posterize),
    ]


def styles() -> list[object]:
    from huafeng.infer.styles import StyleInfo  # the host's type; imported when huafeng asks

    return [
        StyleInfo(
            "duotone_pop",
            "pop art",
            "Duotone screen print: indigo shadows, yellow lights, flat tones (example plugin)",
            "Apache-2.0",
            "filter",
            "plugin",
            filters=("duotone", "posterize"),
        )
    ]
