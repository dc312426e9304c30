"""The pieces the built-in filters are made of (luma, seeded noise, strokes along edge orientation,
k-means palettes, a Kuwahara filter, work-resolution helpers): numpy + OpenCV, no torch."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import cv2
import numpy as np

FilterFn = Callable[[np.ndarray], np.ndarray]
#: Working-resolution cap for the edge-aware smoothing steps of painterly filters.
WORK_PIXELS = 1_000_000


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
