"""Padding to a model's multiple, and tiled inference with feathered, seamless blending.

A style generator's activations are ~64-256 channels at full resolution: a 16 MP photo through
a whole-image run needs many GiB, so large images go through in overlapping tiles, each
blended into a float32 accumulator. Memory is then bounded by one tile's activations plus the
accumulator (12 bytes per pixel), whatever the image size.

Seams are what make tiling hard. Three things keep them invisible:

* **Context.** Tiles sit wholly inside the image (starts are spread evenly over ``[0, L - tile]``),
  so every tile sees real pixels around its content; only a dimension shorter than one tile is
  reflect-padded, exactly like a whole-image run, and the image's own border gets the same
  treatment as in a whole-image run.
* **Discarded margins.** The outer quarter of each overlap is given weight 0 on the side that
  has a neighbour: those pixels were computed with the tile's artificial border inside the
  model's receptive field, and the neighbour has them with real context.
* **Raised-cosine ramps** across the rest of the overlap, normalised by the summed weights, so
  neighbours cross-fade smoothly. The tile grid is a product of a row and a column split, so the
  summed weight is separable (``Wy(y) * Wx(x)``) and needs no full-size weight image.

Tiling is exact only for models whose output depends on a bounded neighbourhood. Instance/layer
norm or global pooling (the usual GAN generators) see per-tile statistics, so each tile comes out
in a slightly different tone: soft-edged patches a tile wide. For those models the engine also
runs the whole image at ~1 MP and :func:`match_low_frequency` moves the tiles' local mean colour
onto that reference, keeping the tiles' full-resolution detail. Auto-tiling only starts above
``AUTO_TILE_PIXELS`` with large tiles, so most photos never tile at all.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import cv2
import numpy as np

#: Images above this many pixels are tiled when ``tile=None`` (auto). 1.5 MP covers phone
#: previews and web uploads whole; 12-50 MP camera files tile.
AUTO_TILE_PIXELS = 1_500_000  # HUAFENG_AUTO_TILE_PIXELS overrides it, read at use
#: Tile side for auto mode: ~1 MP keeps activation memory near a whole-image 1 MP run.
DEFAULT_TILE = 1024
DEFAULT_OVERLAP = 64
#: Resolution of the whole-image tone reference for non-local models (one tile's worth of memory).
REF_PIXELS = 1_000_000

ArrayFn = Callable[[np.ndarray], np.ndarray]
Progress = Callable[[int, int], None]


def reflect_pad(x: np.ndarray, bottom: int, right: int) -> np.ndarray:
    """Mirror-pad the bottom and right of an HWC array (edge-pad a 1-pixel dimension)."""
    if bottom <= 0 and right <= 0:
        return x
    pads = [(0, max(bottom, 0)), (0, max(right, 0))] + [(0, 0)] * (x.ndim - 2)
    if x.shape[0] > 1 and x.shape[1] > 1:
        return np.pad(x, pads, mode="reflect")
    return np.pad(x, pads, mode="edge")  # reflection of a single row/column is undefined


def pad_to_multiple(x: np.ndarray, multiple: int) -> np.ndarray:
    """Reflect-pad H and W up to multiples of ``multiple`` (crop back with ``[:h, :w]``).

    Reflection rather than zeros: a zero border is a hard edge that convolutional models answer
    with a halo, which would then be cropped away but bleeds a few pixels into the image.
    """
    h, w = x.shape[:2]
    return reflect_pad(x, (-h) % multiple, (-w) % multiple)


#: Mirrored pixels added on every side before a model runs, cropped off after. Generators trained
#: with zero padding see the frame edge and paint a 1–2 px line along it (measured on the first
#: library); pushing the frame edge 16 px outside the crop took the worst side from 79 to 17 levels
#: (8 px: 46). It costs 6% more pixels at 1024², 27% at 256².
#: Zero-padded training is kept on purpose: reflect-padded training measured far worse (style.md).
EDGE_MARGIN = 16


#: Smallest side a model is run at: the pretrained base's 9×9 reflect-padded convolutions need more
#: than 4 px, and its 1/4-resolution layers more than 1 (a 2×3 photo must still stylize).
MIN_MODEL_SIDE = 32


def pad_for_model(x: np.ndarray, multiple: int, margin: int = EDGE_MARGIN) -> tuple[np.ndarray, int, int]:
    """Mirror ``margin`` px on all sides, edge-pad up to :data:`MIN_MODEL_SIDE`, then up to
    ``multiple``; returns (padded, top, left): crop ``[top : top + h, left : left + w]``."""
    h, w = x.shape[:2]
    m = max(0, min(margin, h - 1, w - 1))  # reflection needs at least m + 1 pixels
    if m:
        x = np.pad(x, [(m, m), (m, m)] + [(0, 0)] * (x.ndim - 2), mode="reflect")
    dh, dw = max(0, MIN_MODEL_SIDE - x.shape[0]), max(0, MIN_MODEL_SIDE - x.shape[1])
    if dh or dw:
        x = np.pad(
            x, [(dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)] + [(0, 0)] * (x.ndim - 2), mode="edge"
        )
    return pad_to_multiple(x, multiple), m + dh // 2, m + dw // 2


def _auto_tile_pixels() -> int:
    from huafeng.envsettings import env_int

    # the module constant when the variable is unset (tests patch the constant)
    return (
        env_int("HUAFENG_AUTO_TILE_PIXELS")
        if os.environ.get("HUAFENG_AUTO_TILE_PIXELS")
        else AUTO_TILE_PIXELS
    )


def choose_tile(height: int, width: int, tile: int | None, *, auto_pixels: int | None = None) -> int | None:
    """The tile side to use, or ``None`` for a whole-image run (``tile``: None auto, 0 never)."""
    if tile == 0:
        return None
    if tile is None:
        limit = _auto_tile_pixels() if auto_pixels is None else auto_pixels
        return DEFAULT_TILE if height * width > limit else None
    return tile if max(height, width) > tile else None


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Evenly spread tile starts covering ``[0, length)`` with at least ``overlap`` px shared."""
    if length <= tile:
        return [0]
    n = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def _ramp(overlap: int) -> np.ndarray:
    """Rising edge of a tile window over an overlap zone: zero margin, raised cosine, ones."""
    margin = overlap // 4
    body = overlap - 2 * margin
    j = np.arange(body, dtype=np.float64)
    rise = 0.5 - 0.5 * np.cos(np.pi * (j + 0.5) / max(body, 1))
    return np.concatenate([np.zeros(margin), rise, np.ones(margin)]).astype(np.float32)


def _windows(length: int, size: int, starts: list[int], overlap: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-tile 1-D weights along one axis, and their sum over the axis (for normalising)."""
    ramp = _ramp(min(overlap, size // 2))
    total = np.zeros(length, np.float32)
    wins = []
    for i, s in enumerate(starts):
        win = np.ones(size, np.float32)
        if i > 0 and len(ramp):  # ramps only towards a neighbour: the image border keeps weight 1
            win[: len(ramp)] = ramp
        if i < len(starts) - 1 and len(ramp):
            win[-len(ramp) :] = np.minimum(win[-len(ramp) :], ramp[::-1])
        wins.append(win)
        total[s : s + size] += win
    return wins, total


def _as_float(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.uint8:
        return x.astype(np.float32) * np.float32(1.0 / 255.0)
    return np.asarray(x, dtype=np.float32)


def run_tiled(
    fn: ArrayFn,
    x: np.ndarray,
    tile: int,
    overlap: int = DEFAULT_OVERLAP,
    *,
    multiple: int = 1,
    progress: Progress | None = None,
) -> np.ndarray:
    """Apply ``fn`` (float32 HWC → same-size float32 HWC) to ``x`` in blended tiles.

    ``x`` may be uint8 or float: tiles are converted one at a time, so a 16 MP uint8 input never
    exists as a full float copy here. ``fn`` receives tiles of ``tile`` px (rounded up to
    ``multiple``) or the full extent of a shorter dimension, and must handle any padding itself.
    """
    h, w = x.shape[:2]
    size = math.ceil(tile / multiple) * multiple
    overlap = max(0, min(overlap, size // 2 - 1))
    ys, xs = tile_starts(h, size, overlap), tile_starts(w, size, overlap)
    th, tw = min(size, h), min(size, w)
    wys, sum_y = _windows(h, th, ys, overlap)
    wxs, sum_x = _windows(w, tw, xs, overlap)
    out_ch = x.shape[2] if x.ndim == 3 else 1
    acc = np.zeros((h, w, out_ch), np.float32)
    total, done = len(ys) * len(xs), 0
    for y0, wy in zip(ys, wys, strict=True):
        for x0, wx in zip(xs, wxs, strict=True):
            y = fn(_as_float(x[y0 : y0 + th, x0 : x0 + tw]))
            acc[y0 : y0 + th, x0 : x0 + tw] += y * (wy[:, None] * wx[None, :])[..., None]
            done += 1
            if progress is not None:
                progress(done, total)
    acc /= sum_y[:, None, None]  # in place, by broadcasting: no full-size weight image
    acc /= sum_x[None, :, None]
    return acc


def match_low_frequency(out: np.ndarray, ref: np.ndarray, sigma: float) -> np.ndarray:
    """Shift ``out``'s local mean colour onto ``ref`` (a low-res whole-image run), in place.

    The difference ``ref - downscale(out)`` holds the per-tile tone offsets plus the model's
    scale-dependent detail; a Gaussian of ``sigma`` px (at ``ref``'s resolution, about half the
    tile overlap) keeps the first and drops the second, so only broad tone moves. Cost: one
    resize each way and a blur at reference size.
    """
    h, w = out.shape[:2]
    rh, rw = ref.shape[:2]
    small = cv2.resize(out, (rw, rh), interpolation=cv2.INTER_AREA)
    diff = cv2.GaussianBlur(ref - small, (0, 0), max(sigma, 0.5), borderType=cv2.BORDER_REFLECT)
    out += cv2.resize(diff, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def reference_size(height: int, width: int, pixels: int | None = None) -> tuple[int, int]:
    """``(width, height)`` of the tone reference: the image scaled to about ``REF_PIXELS``."""
    f = min(1.0, math.sqrt((REF_PIXELS if pixels is None else pixels) / (height * width)))
    return max(1, round(width * f)), max(1, round(height * f))
