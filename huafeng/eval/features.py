"""Pooled EfficientNet-Lite0 features of image sets, cached on disk by content hash.

The set-level metrics (Fréchet distance, the tradition classifier, the deception rate) all need
the 1280-d pooled features of many images at the evaluation resolution. The reference paintings
are the same in every run, so their features are cached as one small ``.npz`` per image under a
cache folder, keyed by a SHA-1 of the **file's bytes** (or of the pixels, for arrays) plus the
protocol (evaluation side, backbone id): a changed file or protocol can never hit a stale entry,
and a renamed file still hits. Files are written atomically and read with ``allow_pickle=False``.

Like stylegan3's cached real-image statistics, this keeps "the paintings" a fixed, cheap-to-reuse
quantity, so a report's cost is dominated by the systems being graded.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from huafeng.eval.prep import EVAL_SIDE, to_eval

#: Bumped whenever the features would change (backbone, preprocessing): part of every cache key.
BACKBONE_ID = "effl0-tfnorm-v1"
DIM = 1280


def _key(digest: str, side: int) -> str:
    return hashlib.sha1(f"{digest}|{side}|{BACKBONE_ID}".encode()).hexdigest()


def pixel_digest(rgb: np.ndarray) -> str:
    """SHA-1 of an image's shape and pixels (what the cache keys arrays by)."""
    h = hashlib.sha1(str(rgb.shape).encode())
    h.update(np.ascontiguousarray(rgb).data)
    return h.hexdigest()


class FeatureCache:
    """Pooled features on disk, one ``<key>.npz`` per image; ``folder=None`` disables the disk."""

    def __init__(self, folder: str | os.PathLike[str] | None, side: int = EVAL_SIDE) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.side = side
        self.hits = 0
        self.misses = 0

    def _load(self, key: str) -> np.ndarray | None:
        if self.folder is None:
            return None
        p = self.folder / f"{key}.npz"
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                v = np.asarray(z["pooled"], np.float64)
        except (OSError, ValueError, KeyError):  # a truncated or foreign file: recompute
            return None
        return v if v.shape == (DIM,) else None

    def _store(self, key: str, v: np.ndarray) -> None:
        if self.folder is None:
            return
        from huafeng.imageio import atomic_write_bytes

        self.folder.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, pooled=v.astype(np.float64))
        atomic_write_bytes(self.folder / f"{key}.npz", buf.getvalue())

    def _get(self, key: str, load_rgb: Callable[[], np.ndarray] | np.ndarray) -> np.ndarray:
        v = self._load(key)
        if v is not None:
            self.hits += 1
            return v
        from huafeng.eval.backbone import get_backbone

        self.misses += 1
        rgb = load_rgb if isinstance(load_rgb, np.ndarray) else load_rgb()
        v = get_backbone().pooled(to_eval(np.asarray(rgb), self.side))
        self._store(key, v)
        return v

    def of_array(self, rgb: np.ndarray) -> np.ndarray:
        """(1280,) pooled features of one uint8 image at the evaluation side."""
        return self._get(_key(pixel_digest(rgb), self.side), rgb)

    def of_file(self, path: str | os.PathLike[str]) -> np.ndarray:
        """(1280,) pooled features of an image file; a cache hit does not even decode it."""
        from huafeng.imageio import read_image

        p = Path(path)
        digest = hashlib.sha1(p.read_bytes()).hexdigest()
        return self._get(_key(digest, self.side), lambda: read_image(p).rgb)

    def of_arrays(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 1280) for a list of arrays."""
        return np.stack([self.of_array(im) for im in images]) if images else np.zeros((0, DIM))

    def of_files(self, paths: Sequence[str | os.PathLike[str]]) -> np.ndarray:
        """(N, 1280) for a list of files."""
        return np.stack([self.of_file(p) for p in paths]) if paths else np.zeros((0, DIM))
