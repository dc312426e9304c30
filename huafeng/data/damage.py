"""Simulated photo damage with a known mask: the training and test data of image repair.

Real damaged/restored photo pairs with pixel masks do not exist in any quantity, so (like
Wan et al., "Bringing Old Photos Back to Life", CVPR 2020, and the LaMa / DeepFill training
recipes) we damage clean photos synthetically and record exactly which pixels were destroyed.
Each kind below imitates one thing that happens to prints, and writes into two arrays in place:
the float RGB canvas and the uint8 mask (1 = destroyed, to be regenerated).

* ``scratch`` — thin bright (emulsion scraped off) or dark random-walk lines, 1-3 px.
* ``crease`` — long, gently curved folds across the print, lighter and wider (2-6 px), with grain.
* ``hole`` — torn-off corners and punched holes: irregular blobs of paper or background colour.
* ``stain`` — water/coffee stains: smooth irregular blobs tinted brown-yellow, the picture under
  them partly visible (the mask is the whole stain: its pixels are no longer trustworthy).
* ``text`` — handwritten-looking dates and notes (OpenCV Hershey fonts), in ink colours.
* ``jpeg`` — block-aligned patches re-encoded at JPEG quality 2-8: visible 8×8 blocking.

Everything is seeded: the same ``(image, seed, cfg)`` always gives the same damage and mask,
so a held-out set is reproducible without storing it. numpy + OpenCV only (no torch), so the
benchmark and tests can use it without the training stack.
"""

from __future__ import annotations

import hashlib
import os
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from huafeng.errors import InputError

DamageFn = Callable[[np.ndarray, np.ndarray, np.random.Generator], None]

#: kind name → function(canvas float32 HWC [0, 1], mask uint8 HW, rng), both modified in place.
DAMAGES: dict[str, DamageFn] = {}


def _register(name: str) -> Callable[[DamageFn], DamageFn]:
    def deco(fn: DamageFn) -> DamageFn:
        DAMAGES[name] = fn
        return fn

    return deco


@dataclass(frozen=True)
class DamageCfg:
    """How much damage one call applies. Defaults give 2-12 % of the pixels destroyed, the range
    of real worn prints (and of the "medium" masks of the LaMa / DeepFill evaluations)."""

    kinds: tuple[str, ...] = ("scratch", "crease", "hole", "stain", "text", "jpeg")
    #: How many damage events per image (kinds drawn with repetition).
    min_events: int = 2
    max_events: int = 5
    #: Stop adding events once this fraction is masked: beyond it no method can recover content.
    max_coverage: float = 0.3

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in DAMAGES]
        if unknown or not self.kinds:
            raise InputError(f"unknown damage kinds {unknown}; valid: {', '.join(DAMAGES)}")
        if not 1 <= self.min_events <= self.max_events:
            raise InputError("need 1 <= min_events <= max_events")
        if not 0 < self.max_coverage <= 1:
            raise InputError("max_coverage must be in (0, 1]")


@dataclass(frozen=True)
class Damage:
    """A damaged image (uint8 HWC), its mask (uint8 HW, 1 = damaged) and what was applied."""

    image: np.ndarray
    mask: np.ndarray
    kinds: tuple[str, ...]

    @property
    def coverage(self) -> float:
        return float(self.mask.mean())


def simulate(rgb: np.ndarray, seed: int | np.random.Generator, cfg: DamageCfg | None = None) -> Damage:
    """Damage ``rgb`` (uint8 HWC RGB) reproducibly. The mask is never empty: at least one event
    always lands (events that happen to mask nothing are retried a few times)."""
    cfg = cfg or DamageCfg()
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InputError(f"simulate expects uint8 HxWx3 RGB, got {rgb.dtype} {rgb.shape}")
    if min(rgb.shape[:2]) < 16:
        raise InputError(f"image {rgb.shape[1]}x{rgb.shape[0]} is too small to damage (min 16 px)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    canvas = rgb.astype(np.float32) / 255.0
    mask = np.zeros(rgb.shape[:2], np.uint8)
    n = int(rng.integers(cfg.min_events, cfg.max_events + 1))
    applied: list[str] = []
    for attempt in range(n + 8):
        if len(applied) >= n and mask.any():
            break
        if mask.mean() >= cfg.max_coverage:
            break
        kind = cfg.kinds[int(rng.integers(len(cfg.kinds)))]
        before = int(mask.sum())
        DAMAGES[kind](canvas, mask, rng)
        if int(mask.sum()) > before or attempt >= n + 7:
            applied.append(kind)
    out = np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
    # Outside the mask the image is exactly the input: metrics and the composite rely on it.
    keep = mask == 0
    out[keep] = rgb[keep]
    return Damage(out, mask, tuple(applied))


# ---------------------------------------------------------------------------- helpers


def _size(canvas: np.ndarray) -> int:
    return min(canvas.shape[:2])


def _paint(
    canvas: np.ndarray, mask: np.ndarray, region: np.ndarray, colour: np.ndarray, alpha: float
) -> None:
    """Blend ``colour`` (HWC or 3-vector) into ``canvas`` where ``region`` (HW bool) is set."""
    sel = region.astype(bool)
    if not sel.any():
        return
    c = colour[sel] if colour.ndim == 3 else colour
    canvas[sel] = (1 - alpha) * canvas[sel] + alpha * c
    mask[sel] = 1


def _random_walk(rng: np.random.Generator, h: int, w: int, length: float, wiggle: float) -> np.ndarray:
    """A smooth random polyline starting anywhere, ``length`` px long, turning by ``wiggle`` rad/step."""
    steps = max(4, int(length / 4))
    pos = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    angle = rng.uniform(0, 2 * np.pi)
    pts = [pos.copy()]
    turn = 0.0
    for _ in range(steps):
        turn = 0.8 * turn + rng.normal(0, wiggle)
        angle += turn
        pos = pos + 4 * np.array([np.cos(angle), np.sin(angle)])
        pts.append(pos.copy())
    return np.round(np.array(pts)).astype(np.int32)


def _paper(rng: np.random.Generator) -> np.ndarray:
    """Aged photo paper: off-white to cream, occasionally black (a hole over a dark background)."""
    if rng.random() < 0.2:
        return np.array([0.05, 0.05, 0.05], np.float32) + rng.uniform(0, 0.08)
    base = rng.uniform(0.82, 0.97)
    return np.array([base, base * rng.uniform(0.93, 1.0), base * rng.uniform(0.8, 0.95)], np.float32)


# ---------------------------------------------------------------------------- damage kinds


@_register("scratch")
def scratch(canvas: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = canvas.shape[:2]
    region = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 5))):
        pts = _random_walk(rng, h, w, rng.uniform(0.2, 0.9) * max(h, w), 0.05)
        thick = int(rng.integers(1, 3 + _size(canvas) // 256))
        cv2.polylines(region, [pts], False, 1, thickness=thick, lineType=cv2.LINE_8)
    bright = rng.random() < 0.75  # scraped emulsion shows the white base; some scratches are dirt
    colour = np.full(3, rng.uniform(0.85, 1.0) if bright else rng.uniform(0.0, 0.15), np.float32)
    _paint(canvas, mask, region, colour, float(rng.uniform(0.85, 1.0)))


@_register("crease")
def crease(canvas: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = canvas.shape[:2]
    region = np.zeros((h, w), np.uint8)
    # A fold runs edge to edge: start on one border, aim across with a little bend.
    horizontal = rng.random() < 0.5
    n = 24
    t = np.linspace(0, 1, n)
    bend = rng.uniform(-0.08, 0.08) * np.sin(np.pi * t) * (h if horizontal else w)
    if horizontal:
        y0, y1 = rng.uniform(0.1, 0.9, 2) * h
        pts = np.stack([t * w, y0 + (y1 - y0) * t + bend], 1)
    else:
        x0, x1 = rng.uniform(0.1, 0.9, 2) * w
        pts = np.stack([x0 + (x1 - x0) * t + bend, t * h], 1)
    thick = int(rng.integers(2, 4 + _size(canvas) // 128))
    cv2.polylines(region, [np.round(pts).astype(np.int32)], False, 1, thickness=thick, lineType=cv2.LINE_8)
    grain = rng.uniform(-0.08, 0.08, canvas.shape).astype(np.float32)
    colour = np.clip(0.55 * canvas + 0.45 * rng.uniform(0.8, 0.95) + grain, 0, 1)
    _paint(canvas, mask, region, colour, 1.0)


@_register("hole")
def hole(canvas: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = canvas.shape[:2]
    s = _size(canvas)
    region = np.zeros((h, w), np.uint8)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    if rng.random() < 0.3:  # torn corner: anchor the blob on a corner
        cx, cy = (0.0 if rng.random() < 0.5 else float(w)), (0.0 if rng.random() < 0.5 else float(h))
    r = rng.uniform(0.04, 0.14) * s
    k = int(rng.integers(6, 12))
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = r * rng.uniform(0.5, 1.3, k)
    pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
    cv2.fillPoly(region, [np.round(pts).astype(np.int32)], 1)
    _paint(canvas, mask, region, _paper(rng), 1.0)


@_register("stain")
def stain(canvas: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = canvas.shape[:2]
    s = _size(canvas)
    # Smooth noise thresholded inside a soft disc: an irregular, organic blob.
    small = rng.random((max(4, h // 8), max(4, w // 8))).astype(np.float32)
    noise = cv2.GaussianBlur(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), s / 40 + 1)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.15) * s
    disc = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    field = disc * (0.6 + noise)
    region = field > 0.5
    tint = np.array([0.62, 0.45, 0.2], np.float32) * rng.uniform(0.7, 1.2)
    colour = np.clip(canvas * tint * 1.3, 0, 1)
    colour = 0.5 * colour + 0.5 * tint[None, None, :]
    _paint(canvas, mask, region, np.broadcast_to(colour, canvas.shape).copy(), float(rng.uniform(0.6, 0.9)))


_WORDS = ["Summer", "Mom", "1967", "Xmas", "Paris", "Grandpa", "Beach", "Love", "Home", "1952"]


@_register("text")
def text(canvas: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = canvas.shape[:2]
    region = np.zeros((h, w), np.uint8)
    if rng.random() < 0.5:
        label = f"{rng.integers(1940, 2000)}.{rng.integers(1, 13):02d}.{rng.integers(1, 29):02d}"
    else:
        label = " ".join(rng.choice(_WORDS, int(rng.integers(1, 3)))) + rng.choice(list(string.digits))
    font = [cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX][
        int(rng.integers(3))
    ]
    scale = rng.uniform(0.25, 0.6) * _size(canvas) / 128
    thick = max(1, round(scale * rng.uniform(1.0, 2.2)))
    (tw, th), _ = cv2.getTextSize(label, font, scale, thick)
    x = int(rng.uniform(0, max(1, w - tw)))
    y = int(rng.uniform(th, max(th + 1, h)))
    cv2.putText(region, label, (x, y), font, scale, 1, thick, cv2.LINE_8)
    inks = [(0.05, 0.1, 0.45), (0.05, 0.05, 0.05), (0.95, 0.95, 0.9), (0.8, 0.55, 0.1)]
    ink = np.array(inks[int(rng.integers(len(inks)))], np.float32)
    _paint(canvas, mask, region, ink, 1.0)


@_register("jpeg")
def jpeg(canvas: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    h, w = canvas.shape[:2]
    bw = int(rng.integers(2, max(3, w // 24))) * 8
    bh = int(rng.integers(2, max(3, h // 24))) * 8
    x0 = int(rng.integers(0, max(1, (w - bw) // 8 + 1))) * 8
    y0 = int(rng.integers(0, max(1, (h - bh) // 8 + 1))) * 8
    patch = np.clip(canvas[y0 : y0 + bh, x0 : x0 + bw] * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", patch[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(2, 9))])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:  # pragma: no cover - OpenCV always round-trips a uint8 patch
        return
    blocky = decoded[..., ::-1].astype(np.float32) / 255.0
    region = np.zeros((h, w), bool)
    region[y0 : y0 + bh, x0 : x0 + bw] = True
    full = canvas.copy()
    full[y0 : y0 + bh, x0 : x0 + bw] = blocky
    _paint(canvas, mask, region, full, 1.0)


def is_held_out(path: str | os.PathLike[str], every: int = 10) -> bool:
    """The deterministic train/test split: 1 photo in ``every`` by a hash of its file name.

    A hash (not a random draw, not the listing order) keeps the split fixed when photos are added
    or removed, so the benchmark never grades on a photo some model trained on.
    """
    digest = hashlib.sha1(Path(path).name.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % every == 0
