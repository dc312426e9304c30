"""Classic (non-neural) filters: film looks and painterly effects, in NumPy + OpenCV.

Every filter is a pure function ``float32 HWC [0, 1] -> float32 HWC [0, 1]`` of the same size, so
they chain freely after a GAN style (``StylizeOptions.filters``) or stand alone as the "filter
looks" listed next to the ONNX styles. Design choices that matter:

* **Resolution independence.** Spatial parameters (brush size, line width, grain size) scale with
  ``sqrt(pixels / 1 MP)``, so a 16 MP photo gets the same look as its 1 MP preview instead of
  strokes that shrink to noise. The heaviest steps (edge-aware smoothing) run at a capped working
  resolution and are upsampled: painterly looks are soft anyway, and it keeps 16 MP runs in
  seconds rather than minutes.
* **Determinism.** Grain and brush/paper textures come from an RNG seeded with a hash of the
  image content, so the same photo always gives the same output (tests, caches and ETags agree)
  while different photos do not share one visible noise pattern.
* **Only what ``opencv-python-headless`` ships.** ``cv2.xphoto.oilPainting`` is in the contrib
  build only; the oil look here is a soft (generalised) Kuwahara filter whose sectors are one
  shared Gaussian blur read at offsets, so it is O(1) per pixel whatever the brush size.

To add a filter: write ``def name(x: np.ndarray) -> np.ndarray`` and decorate it with
``@_filter("name", "one line for listings")``; ``tests/infer`` runs every registered filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeVar

import cv2
import numpy as np

from huafeng.infer.filter_kit import (
    WORK_PIXELS,
    FilterFn,
    _at_work_res,
    _grey3,
    _kuwahara,
    _low_freq,
    _lum,
    _noise,
    _orientation,
    _quantise,
    _rng,
    _saturate,
    _scale,
    _smoothstep,
    _strokes,
)
from huafeng.registry import Registry

F = TypeVar("F", bound=Callable[..., np.ndarray])

#: name -> filter function (a callable producing the filtered array, hence ``Registry[np.ndarray]``),
#: with its description and source. ``create_filter(name)(x)`` applies one; unknown names list the
#: valid ones. Plugin filters are loaded at the first lookup, never at import.
FILTERS: Registry[np.ndarray] = Registry("filter", loader=lambda: load_plugin_filters())


class FilterInfo(NamedTuple):
    """A filter's name and the one-line description shown by ``huafeng filters``.

    A named tuple so listings can unpack ``for name, description in list_filters()``.
    """

    name: str
    description: str


def _filter(name: str, description: str, source: str = "builtin") -> Callable[[F], F]:
    def deco(fn: F) -> F:
        FILTERS.add(name, fn, description=description, source=source)
        return fn

    return deco


def list_filters() -> list[FilterInfo]:
    """All registered filters, sorted by name (the listing half of the filters' front door)."""
    return [FilterInfo(n, e.description) for n, e in FILTERS.entries()]


def create_filter(name: str) -> FilterFn:
    """The filter function named ``name``; an unknown name raises
    :class:`~huafeng.errors.UnknownNameError` listing the valid ones."""
    return FILTERS.get(name)


def apply_filters(x: np.ndarray, names: Iterable[str]) -> np.ndarray:
    """Run filters in order; unknown names raise :class:`~huafeng.errors.UnknownNameError`."""
    fns = [create_filter(n) for n in names]  # resolve all first: fail before doing any work
    for fn in fns:
        x = fn(x)
    return x


# ---------------------------------------------------------------------------- film looks


@_filter("bw", "black and white: luma with a gentle S-curve for contrast")
def bw(x: np.ndarray) -> np.ndarray:
    y = _lum(x)
    return _grey3(y + 0.35 * (_smoothstep(0.0, 1.0, y) - y))


_SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)


@_filter("sepia", "warm brown monochrome, like an old toned print")
def sepia(x: np.ndarray) -> np.ndarray:
    # The classic matrix maps white to (1.35, 1.20, 0.94) and clips highlights; normalising by
    # the red row keeps highlight detail and leaves white a warm cream (1.00, 0.89, 0.69).
    m = _SEPIA / _SEPIA[0].sum()
    return np.clip(cv2.transform(np.ascontiguousarray(x, dtype=np.float32), m), 0.0, 1.0)


@_filter("fade", "faded film: lifted blacks, softer whites, muted colour")
def fade(x: np.ndarray) -> np.ndarray:
    x = _saturate(x, 0.75)
    lift = np.array([0.07, 0.075, 0.095], np.float32)  # shadows lift slightly cool, like aged stock
    return np.clip(lift + (0.93 - lift) * x, 0.0, 1.0)


@_filter("neon", "cyberpunk night: teal shadows, magenta-pink highlights, glowing lights")
def neon(x: np.ndarray) -> np.ndarray:
    """The cyberpunk grade people mean by 赛博朋克: a teal/magenta split tone, crushed blacks and
    a bloom around the brightest lights (after the usual "neon city" edits, not any one painting)."""
    y = _lum(x)[..., None]
    shadow = np.array([0.0, 0.55, 0.75], np.float32)  # teal-cyan
    light = np.array([1.0, 0.25, 0.85], np.float32)  # magenta-pink
    tint = shadow + (light - shadow) * _smoothstep(0.2, 0.85, y)
    graded = np.clip(0.55 * x + 0.75 * tint * y, 0.0, 1.0)  # the tint scaled by brightness: blacks stay black
    graded = _saturate(graded, 1.35)
    s = _scale(x)
    bright = np.clip((y - 0.7) / 0.3, 0.0, 1.0) * tint
    glow = cv2.GaussianBlur(bright.astype(np.float32), (0, 0), max(1.0, 6.0 * s))
    out = 1.0 - (1.0 - graded) * (1.0 - 0.8 * glow)  # screen: light adds, never darkens
    return (np.clip(out, 0.0, 1.0) ** 1.1).astype(np.float32)


@_filter("grain", "film grain, strongest in the midtones (same photo, same grain)")
def grain(x: np.ndarray, amount: float = 0.05) -> np.ndarray:
    s = _scale(x)
    n = _noise(x.shape[:2], _rng(x, 1), sigma=0.6 * s)
    y = _lum(x)
    weight = amount * (0.3 + 0.7 * 4.0 * y * (1.0 - y))  # grain hides in deep shadow and highlight
    return np.clip(x + (n * weight)[..., None], 0.0, 1.0)


@_filter("vignette", "darkened corners that draw the eye to the centre")
def vignette(x: np.ndarray, amount: float = 0.45) -> np.ndarray:
    h, w = x.shape[:2]
    yy = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None] ** 2
    xx = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :] ** 2
    r = np.sqrt((xx + yy) * 0.5)  # 0 at the centre, 1 in the corners, elliptical with the frame
    return x * (1.0 - amount * _smoothstep(0.35, 1.05, r))[..., None]


@_filter("retro", "1970s print: warm tint, faded blacks, grain and vignette")
def retro(x: np.ndarray) -> np.ndarray:
    warm = 0.55 * x + 0.45 * sepia(x)
    curve = warm + 0.25 * (_smoothstep(0.0, 1.0, warm) - warm)
    return vignette(grain(fade(curve), amount=0.045), amount=0.4)


# ------------------------------------------------------------------------- painterly looks


@_filter("oil_painting", "oil on canvas: flattened brush patches, strokes along edges, impasto relief")
def oil_painting(x: np.ndarray) -> np.ndarray:
    s = _scale(x)
    rng = _rng(x, 2)

    def paint(small: np.ndarray) -> np.ndarray:
        r = max(2, round(5 * _scale(small)))
        p = _kuwahara(_kuwahara(small, r), max(2, r // 2))
        return _saturate(p, 1.15)

    p = np.clip(_at_work_res(x, paint, 2 * WORK_PIXELS), 0.0, 1.0)
    y = _lum(p)
    # Brush strokes: noise smeared along the edges, used as a height field with the paint's own
    # luma so the relief follows the forms; lit from the top left like a gallery spotlight.
    angle = _orientation(y, sigma=2.0 * s)
    height = cv2.GaussianBlur(y, (0, 0), 1.0 * s) + 0.01 * _strokes(y.shape, rng, round(15 * s), angle, s)
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3)
    shade = np.clip(-(gx + gy) * (1.2 * s), -0.25, 0.25)  # x s: gradients per px shrink as 1/s
    canvas = 0.015 * _noise(y.shape, rng, sigma=0.7 * s)
    return np.clip(p * (1.0 + shade + canvas)[..., None], 0.0, 1.0)


@_filter("pencil_sketch", "graphite pencil on paper: dodge-blend outlines with hatched shading")
def pencil_sketch(x: np.ndarray) -> np.ndarray:
    s = _scale(x)
    rng = _rng(x, 3)
    y = _lum(x)
    # Colour dodge of the luma with its blurred negative = y / blur(y): flat areas go white,
    # edges keep a dark line whose width follows the blur radius. The offset stops the ratio
    # from amplifying sensor noise in deep shadows into scribbles.
    blur = cv2.GaussianBlur(y, (0, 0), 5.0 * s)
    lines = np.clip((y + 0.04) / (blur + 0.04), 0.0, 1.0) ** 3
    # Hatching: diagonal strokes laid where the photo is dark, denser in deeper shadows.
    hatch = _strokes(y.shape, rng, round(15 * s), np.pi / 4, s)
    dark = _smoothstep(0.75, 0.1, cv2.GaussianBlur(y, (0, 0), 2.0 * s))
    shading = 1.0 - 0.45 * dark * _smoothstep(-0.6, 0.8, hatch)
    paper = 0.97 + 0.02 * _noise(y.shape, rng, sigma=0.8 * s)
    return _grey3(lines * shading * paper)


@_filter("cartoon", "cartoon: flat colour regions with bold dark outlines")
def cartoon(x: np.ndarray) -> np.ndarray:
    s = _scale(x)

    def smooth(small: np.ndarray) -> np.ndarray:
        sp = 5.0 * _scale(small)
        for _ in range(5):  # repeated small bilaterals flatten texture better than one big one
            small = cv2.bilateralFilter(small, -1, 0.1, sp)
        return small

    flat = np.clip(_at_work_res(x, smooth, WORK_PIXELS // 2), 0.0, 1.0)
    # Mostly-quantised colour: flat cel regions, with 30% of the smooth image left so sky and
    # skin gradients step gently instead of banding into contour maps.
    flat = _saturate(0.7 * _quantise(flat, 12, _rng(x, 4)) + 0.3 * flat, 1.2)
    # Outlines: difference of Gaussians on the smoothed luma (texture already gone), thresholded
    # softly so lines have anti-aliased edges.
    y = _lum(cv2.GaussianBlur(flat, (0, 0), 0.5 * s))
    dog = cv2.GaussianBlur(y, (0, 0), 1.0 * s) - cv2.GaussianBlur(y, (0, 0), 2.0 * s)
    ink = _smoothstep(0.008, 0.025, -dog)
    return np.clip(flat * (1.0 - 0.9 * ink)[..., None], 0.0, 1.0)


@_filter("watercolor", "watercolour: flat washes, pigment pooled at their edges, granulation on paper")
def watercolor(x: np.ndarray) -> np.ndarray:
    s = _scale(x)
    rng = _rng(x, 5)

    def wash(small: np.ndarray) -> np.ndarray:
        u8 = np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)
        washed = cv2.edgePreservingFilter(u8, flags=cv2.RECURS_FILTER, sigma_s=20, sigma_r=0.22)
        return np.asarray(washed, np.float32) / 255.0

    w = np.clip(_saturate(_at_work_res(x, wash, WORK_PIXELS // 2), 1.1), 0.0, 1.0)
    # Half-quantised colours read as separate washes laid one over another; full quantisation
    # would look like a cartoon, none like a blurred photo.
    w = 1.0 - 0.85 * (1.0 - (0.5 * w + 0.5 * _quantise(w, 16, rng)))  # transparent pigment: lighter
    y = _lum(w)
    # Pigment density d per Bousseau et al. 2006 ("Interactive watercolor rendering"): the colour
    # becomes C - (C - C^2)(d - 1), which darkens (d > 1) or thins (d < 1) the wash but leaves
    # white paper and black untouched. d gathers turbulent flow (low-frequency blotches), paper
    # grain and edge darkening where the wash dried with pigment pooled at its border.
    edges = _smoothstep(0.0, 0.08, np.abs(y - cv2.GaussianBlur(y, (0, 0), 2.5 * s)))
    blotch = _low_freq(y.shape, rng, 30 * s)
    d = 1.0 + 0.12 * blotch + 0.06 * _noise(y.shape, rng, 1.2 * s) + 1.2 * edges
    c = w - (w - w * w) * (d - 1.0)[..., None]
    paper = np.array([1.0, 0.985, 0.95], np.float32)  # cold-press paper, slightly warm
    return np.clip(paper * c, 0.0, 1.0)


# ------------------------------------------------------------------------------------ plugins

PLUGIN_GROUP = "huafeng.filters"


def load_plugin_filters() -> list[str]:
    """Register filters from ``huafeng.filters`` entry points; returns the names added.

    Each entry point loads to a callable returning ``(name, description, fn)`` triples, ``fn``
    following the filter contract above. A faulty plugin, or one reusing a built-in name, is
    skipped with a warning: third-party code must not break ``huafeng`` for everyone.
    """
    import importlib.metadata
    import warnings

    added: list[str] = []
    for ep in importlib.metadata.entry_points(group=PLUGIN_GROUP):
        try:
            for name, description, fn in ep.load()():
                if name in FILTERS.names():
                    warnings.warn(
                        f"filter plugin {ep.name!r}: {name!r} already exists, skipped", stacklevel=2
                    )
                    continue
                if not callable(fn):
                    raise TypeError(f"{name!r} is not callable")
                _filter(str(name), str(description), source=f"plugin:{ep.name}")(fn)
                added.append(str(name))
        except Exception as e:  # third-party code: anything can go wrong, none of it is ours
            warnings.warn(f"filter plugin {ep.name!r} failed ({type(e).__name__}: {e})", stacklevel=2)
    return added
