"""Which photos are the same picture: a copy resized or re-encoded is not a new photo.

learn-style trains on the bundled samples *and* scikit-image's data, which hold the same cat, cup,
astronaut and rocket (the samples were made from them); and a benchmark that grades on "photos not
used in training" must not grade on a re-encoded training photo (session 14 found the held-out
protocol's ``skimage_chelsea.jpg`` among learn-style's training photos).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

#: Thumbnail side and mean absolute difference (0-255) under which two pictures are one.
THUMB = 32
SAME_TOLERANCE = 8.0


def thumbnail(path: Path) -> np.ndarray:
    """The picture's centre square at THUMB² in grey, as floats: a resize- and codec-proof key."""
    from huafeng import imageio
    from huafeng.data.transforms import center_crop, resize_short

    small = center_crop(resize_short(imageio.read_image(path).rgb, THUMB), THUMB)
    return small.astype(np.float32).mean(axis=2)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two thumbnails are one picture (a copy at another size or quality)."""
    return float(np.abs(a - b).mean()) < SAME_TOLERANCE


def distinct(paths: Iterable[Path], exclude: Sequence[Path] = ()) -> list[Path]:
    """``paths`` in order without near-duplicates of an earlier one or of any of ``exclude``."""
    kept: list[Path] = []
    seen = [thumbnail(p) for p in exclude]
    for p in paths:
        t = thumbnail(p)
        if not any(same_picture(t, s) for s in seen):
            kept.append(p)
            seen.append(t)
    return kept
