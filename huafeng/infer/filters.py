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

import zlib
from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeVar

import cv2
import numpy as np

from huafeng.registry import Registry

FilterFn = Callable[[np.ndarray], np.ndarray]
F = TypeVar("F", bound=Callable[..., np.ndarray])

#: name -> filter function. ``FILTERS.get(name)(x)`` applies one; unknown names list valid ones.
FILTERS: Registry[np.ndarray] = Registry("filter", loader=lambda: load_plugin_filters())
_DESCRIPTIONS: dict[str, str] = {}
#: Working-resolution cap for the edge-aware smoothing steps of painterly filters.
WORK_PIXELS = 1_000_000


class FilterInfo(NamedTuple):
    """A filter's name and the one-line description shown by ``huafeng filters``.

    A named tuple so listings can unpack ``for name, description in list_filters()``.
    """

    name: str
    description: str


def _filter(name: str, description: str) -> Callable[[F], F]:
    def deco(fn: F) -> F:
        FILTERS.add(name, fn)
        _DESCRIPTIONS[name] = description
        return fn

    return deco


def list_filters() -> list[FilterInfo]:
    """All registered filters, sorted by name."""
    return [FilterInfo(n, _DESCRIPTIONS.get(n, "")) for n in FILTERS.names()]


def apply_filters(x: np.ndarray, names: Iterable[str]) -> np.ndarray:
    """Run filters in order; unknown names raise :class:`~huafeng.errors.UnknownNameError`."""
    fns = [FILTERS.get(n) for n in names]  # resolve all first: fail before doing any work
    for fn in fns:
        x = fn(x)
    return x


# ----------------------------------------------------------------------------------- helpers


def _lum(x: np.ndarray) -> np.ndarray:
    """Rec.601 luma of sRGB values (what JPEG and OpenCV use): (H, W) float32."""
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(x, dtype=np.float32), cv2.COLOR_RGB2GRAY))


def _scale(x: np.ndarray) -> float:
    """Linear size relative to a 1 MP image, clamped so thumbnails and 50 MP files stay sane."""
    return float(np.clip(np.sqrt(x.shape[0] * x.shape[1] / 1e6), 0.3, 8.0))


def _rng(x: np.ndarray, salt: int) -> np.random.Generator:
    """RNG seeded from a sparse sample of the pixels: same image → same texture, cheaply."""
    sample = np.ascontiguousarray(x[:: max(1, x.shape[0] // 64), :: max(1, x.shape[1] // 64)])
    seed = zlib.crc32(sample.tobytes(), zlib.crc32(repr(x.shape).encode()))
    return np.random.default_rng([seed, salt])


def _smoothstep(lo: float, hi: float, t: np.ndarray) -> np.ndarray:
    u = np.clip((t - lo) / (hi - lo), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _grey3(y: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(y, 0.0, 1.0)[..., None], 3, axis=2)


def _saturate(x: np.ndarray, amount: float) -> np.ndarray:
    """Scale chroma around luma: <1 desaturates, >1 boosts."""
    y = _lum(x)[..., None]
    out = x - y
    out *= np.float32(amount)
    out += y
    return out


def _noise(shape: tuple[int, int], rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Unit-variance Gaussian noise blurred to a feature size of ``sigma`` px."""
    n = rng.standard_normal(shape, dtype=np.float32)
    if sigma <= 0.3:
        return n
    blurred = np.asarray(cv2.GaussianBlur(n, (0, 0), sigma), np.float32)
    return blurred / np.float32(max(float(blurred.std()), 1e-6))


def _low_freq(shape: tuple[int, int], rng: np.random.Generator, cell: float) -> np.ndarray:
    """Smooth blotches ``cell`` px across, made small and upsampled (cheap at any size)."""
    h, w = shape
    small = rng.standard_normal((max(2, int(h / cell) + 2), max(2, int(w / cell) + 2))).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return big / max(float(big.std()), 1e-6)


def _line_kernel(length: int, theta: float) -> np.ndarray:
    kern = np.zeros((length, length), np.float32)
    c = length // 2
    for t in range(-c, c + 1):
        kern[round(c + t * np.sin(theta)), round(c + t * np.cos(theta))] = 1.0
    return kern / kern.sum()


def _strokes(
    shape: tuple[int, int], rng: np.random.Generator, length: int, angle: np.ndarray | float, width: float
) -> np.ndarray:
    """Unit-variance noise smeared along a direction (one angle, or one per pixel).

    Per-pixel directions use a 4-direction line-integral convolution: real LIC follows
    streamlines pixel by pixel (far too slow in NumPy), while blurring the noise with line kernels
    at 0/45/90/135 degrees and mixing them by ``cos^8`` of the angle difference reads as brush
    strokes at a tiny fraction of the cost. ``width`` (px) blurs the noise first so strokes get
    thicker with the image, not just longer.
    """
    n = _noise(shape, rng, sigma=0.5 * width)
    length = max(3, length | 1)
    if not isinstance(angle, np.ndarray):
        out = np.asarray(cv2.filter2D(n, -1, _line_kernel(length, angle)), np.float32)
    else:
        out = np.zeros(shape, np.float32)
        total = np.zeros(shape, np.float32)
        for k in range(4):
            theta = k * np.pi / 4
            wgt = np.cos(angle - np.float32(theta))  # even power below: angle wraps at pi
            wgt *= wgt
            wgt *= wgt
            wgt *= wgt
            smeared = cv2.filter2D(n, -1, _line_kernel(length, theta))
            smeared *= wgt
            out += smeared
            total += wgt
        np.maximum(total, 1e-6, out=total)
        out /= total
    return out / np.float32(max(float(out.std()), 1e-6))


def _orientation(y: np.ndarray, sigma: float) -> np.ndarray:
    """Edge-tangent angle in [0, pi) from the smoothed structure tensor (strokes follow edges).

    The tensor is smooth by construction, so it is computed at <= 1 MP and its components (not
    the angle, which wraps) are upsampled: identical to the eye, 3x cheaper at 16 MP.
    """
    h, w = y.shape
    ws = _work_size(y)
    small = cv2.resize(y, ws, interpolation=cv2.INTER_AREA) if ws != (w, h) else y
    f = ws[0] / w
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    comps = [cv2.GaussianBlur(a, (0, 0), max(sigma * f, 0.5)) for a in (gx * gx, gy * gy, gx * gy)]
    if ws != (w, h):
        comps = [cv2.resize(c, (w, h), interpolation=cv2.INTER_LINEAR) for c in comps]
    jxx, jyy, jxy = comps
    grad_angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    return np.mod(grad_angle + np.pi / 2, np.pi).astype(np.float32)


def _work_size(x: np.ndarray, pixels: int = WORK_PIXELS) -> tuple[int, int]:
    h, w = x.shape[:2]
    f = min(1.0, float(np.sqrt(pixels / (h * w))))
    return max(1, round(w * f)), max(1, round(h * f))


def _at_work_res(x: np.ndarray, fn: FilterFn, pixels: int = WORK_PIXELS) -> np.ndarray:
    """Run ``fn`` at a capped resolution and bring the result back to full size."""
    h, w = x.shape[:2]
    ws = _work_size(x, pixels)
    if ws == (w, h):
        return fn(x)
    small = cv2.resize(x, ws, interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.resize(fn(small), (w, h), interpolation=cv2.INTER_CUBIC))


def _kmeans_palette(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 8) -> np.ndarray:
    """Deterministic k-means on a pixel sample (cv2.kmeans draws from OpenCV's global RNG)."""
    flat = x.reshape(-1, 3)
    sample = flat[rng.choice(len(flat), size=min(len(flat), 20_000), replace=False)]
    order = np.argsort(_lum(sample[None])[0])
    centres = sample[order[np.linspace(0, len(sample) - 1, k).astype(int)]].copy()  # spread by luma
    for _ in range(iters):
        label = _nearest(sample, centres)
        for j in range(k):
            members = sample[label == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    return centres


def _nearest(flat: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d = (centres * centres).sum(1)[None, :] - 2.0 * flat @ centres.T
    return np.asarray(np.argmin(d, axis=1))


def _quantise(x: np.ndarray, k: int, rng: np.random.Generator, chunk: int = 1 << 20) -> np.ndarray:
    """Map every pixel to its nearest palette colour through a 64^3 lookup table.

    Direct nearest-centre search costs a (pixels, k) distance matrix: ~1 GiB and seconds at
    16 MP. Solving it once per cell of a 6-bit-per-channel RGB grid (262k cells) and then
    indexing is ~10x faster; the 1/128 grid error only moves pixels that sit on a boundary
    between two palette colours, where either answer is right.
    """
    centres = _kmeans_palette(x, k, rng).astype(np.float32)
    grid = (np.arange(64, dtype=np.float32) + 0.5) / 64.0
    cells = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    lut = centres[_nearest(cells, centres)]
    flat = x.reshape(-1, 3)
    out = np.empty(flat.shape, np.float32)
    for i in range(0, len(flat), chunk):
        q = np.clip(flat[i : i + chunk] * 64.0, 0, 63).astype(np.int32)
        out[i : i + chunk] = lut[(q[:, 0] << 12) | (q[:, 1] << 6) | q[:, 2]]
    return out.reshape(x.shape)


def _kuwahara(x: np.ndarray, radius: int, sharpness: float = 8.0, sectors: int = 8) -> np.ndarray:
    """Soft Kuwahara with Gaussian sectors: mix local means, weighted towards the flattest one.

    The classic filter picks the lowest-variance of 4 box quadrants outright, which flattens
    detail into painterly patches but leaves square, blocky artefacts. Here each "sector" is a
    Gaussian window shifted ``radius/2`` px in one of 8 directions, and sectors are mixed with
    weights ``var**(-sharpness/2)`` (Papari et al. 2007's generalisation, minus the anisotropy).
    A shifted window is one blur of (rgb, y, y^2) read at an offset, so 8 sectors cost one blur
    plus slicing, whatever the brush size.
    """
    h, w = x.shape[:2]
    y = _lum(x)
    stack = np.concatenate([x, y[..., None], (y * y)[..., None]], axis=2)
    blurred = cv2.GaussianBlur(stack, (0, 0), max(radius / 2.0, 0.8))
    pad = radius
    padded = cv2.copyMakeBorder(blurred, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    num = np.zeros_like(x)
    den = np.zeros((h, w), np.float32)
    for k in range(sectors):
        theta = 2 * np.pi * k / sectors
        dx, dy = round(0.5 * radius * np.cos(theta)), round(0.5 * radius * np.sin(theta))
        win = padded[pad + dy : pad + dy + h, pad + dx : pad + dx + w]
        var = np.maximum(win[..., 4] - win[..., 3] ** 2, 0.0)
        wgt = (1e-4 + var) ** (-sharpness / 2)
        num += wgt[..., None] * win[..., :3]
        den += wgt
    return num / den[..., None]


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
                _filter(str(name), str(description))(fn)
                added.append(str(name))
        except Exception as e:  # third-party code: anything can go wrong, none of it is ours
            warnings.warn(f"filter plugin {ep.name!r} failed ({type(e).__name__}: {e})", stacklevel=2)
    return added
