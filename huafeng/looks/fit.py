"""Learn a look's colour, tone, grain and vignette from a handful of photos.

The colour part is *distribution matching*, not regression: the photos of a look and the
neutral reference photos show different scenes, so there are no pixel pairs, only two clouds of
colours. We move the reference cloud onto the look's cloud in Oklab and read the motion off at
the nodes of a 3D LUT:

1. **Tone curve** — quantile mapping of Oklab lightness (the 1D optimal transport of L), made
   monotone and smoothed: the contrast/fade/crushed-blacks part of a look, kept as its own curve
   so it can be shown and reasoned about.
2. **Sliced optimal transport** (iterative distribution transfer, Pitié, Kokaram & Dahyot 2007,
   "Automated colour grading using colour distribution transfer", CVIU 107): repeat — pick a
   random rotation of (L, a, b), match each rotated axis by 1D quantile mapping. The 1D maps are
   piecewise-linear functions of the projection, so the same maps move the LUT grid nodes as the
   samples. Few quantiles (regularisation) and slope-1 extrapolation beyond the data keep
   colours the photos never showed sane.
3. **Smoothing** the LUT's displacement field with a small Gaussian over the grid, then making
   each output channel non-decreasing along its own input axis (monotone-ish: no inversions,
   which show up as posterised bands).

Grain and vignette cannot live in a LUT (they depend on position and neighbours); they are
estimated by comparing the look photos with the *reference photos after the fitted LUT*, so
contrast the LUT adds is not mistaken for grain or vignetting.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, to_float
from huafeng.looks.color import matmul3, oklab_to_srgb, srgb_to_linear, srgb_to_oklab
from huafeng.looks.confidence import content_gap, content_spread, is_paired, shrink_factor, sliced_w2
from huafeng.looks.lut import Lut3D, apply_lut, grid_points
from huafeng.looks.reference import ReferenceStats

#: Side photos are reduced to for statistics: colour distributions do not need more pixels.
STAT_SIDE = 256
#: Grain is measured and synthesised at this long side, so a look's grain has the same
#: apparent size on a 12 MP photo as on the web-size photos it was learnt from.
GRAIN_SIDE = 1024
#: Radial bins for the vignette profile (radius normalised to the half-diagonal).
_RADII = np.linspace(0.0, 1.0, 9)


@dataclass(frozen=True)
class FitCfg:
    """Knobs of :func:`fit_look`; defaults chosen on the synthetic-LUT recovery test."""

    lut_size: int = 33  # 33³ is the Resolve/Lightroom default; 17³ is enough for gentle looks
    iterations: int = 32  # sliced-OT rotations; the error stops falling after ~25
    quantiles: int = 64  # knots per 1D map: fewer = smoother, more = follows the data closer
    samples: int = 60_000  # pooled colour samples per side, split evenly: every photo weighs the same
    smooth_sigma: float = 0.6  # Gaussian over the LUT grid, in grid cells
    tone_points: int = 33
    seed: int = 0
    #: E² is multiplied by this before the shrink (confidence.py): a feed of one kind of subject
    #: differs from ordinary photos more than random photos do, which E (random subsets) misses.
    #: 1, 2 and 3 were measured on benchmarks/look_safety.py: 2 has the least mean error.
    content_inflation: float = 2.0

    def __post_init__(self) -> None:
        if not 2 <= self.lut_size <= 65:
            raise InputError(f"lut_size {self.lut_size} outside 2..65")
        if self.iterations < 0 or self.quantiles < 4 or self.samples < 1000:
            raise InputError("iterations >= 0, quantiles >= 4 and samples >= 1000 are needed")


@dataclass(frozen=True)
class LookFit:
    """What :func:`fit_look` learns; :class:`huafeng.looks.look.Look` wraps it with a name."""

    lut: Lut3D
    tone_curve: tuple[float, ...]  # output Oklab L at evenly spaced input L in [0, 1]
    grain: float  # std of added luma noise (sRGB units) at GRAIN_SIDE
    vignette: float  # a in gain(r) = 1 - a·r² on linear light, r = radius / half-diagonal
    stats: dict[str, float]


def _small(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = side / max(h, w)
    if s >= 1:
        return rgb
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def sample_colors(images: Sequence[np.ndarray], per_image: int, rng: np.random.Generator) -> np.ndarray:
    """Pool float sRGB pixels, the same number from each image (``(M, 3)`` float32)."""
    out = []
    for rgb in images:
        flat = rgb.reshape(-1, 3)
        idx = rng.choice(len(flat), size=min(per_image, len(flat)), replace=len(flat) < per_image)
        out.append(flat[idx])
    return np.concatenate(out).astype(np.float32)


def _quantile_map(src: np.ndarray, dst: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the monotone 1D transport from ``src`` to ``dst`` (strictly increasing x)."""
    q = np.linspace(0.0, 1.0, k)
    xs = np.quantile(src, q)
    ys = np.quantile(dst, q)
    xs = xs + np.arange(k) * 1e-7  # ties (flat histograms, clipped highlights) break np.interp
    return xs, ys


def _apply_map(v: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """np.interp inside the data, slope-1 translation outside it (no clamping of unseen colours)."""
    out = np.interp(v, xs, ys)
    lo, hi = v < xs[0], v > xs[-1]
    out[lo] = v[lo] - xs[0] + ys[0]
    out[hi] = v[hi] - xs[-1] + ys[-1]
    return out


def fit_tone_curve(ref_l: np.ndarray, look_l: np.ndarray, points: int = 33) -> np.ndarray:
    """Oklab-L quantile mapping sampled at ``points`` inputs, monotone and lightly smoothed."""
    xs, ys = _quantile_map(ref_l, look_l, 65)
    grid = np.linspace(0.0, 1.0, points)
    curve = _apply_map(grid, xs, ys)
    curve = np.convolve(np.pad(curve, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    return np.clip(np.maximum.accumulate(curve), 0.0, 1.0)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def sliced_transport(
    src: np.ndarray, dst: np.ndarray, carry: np.ndarray, cfg: FitCfg, rng: np.random.Generator
) -> np.ndarray:
    """Move ``src`` towards ``dst`` (both ``(M, 3)`` Oklab) and move ``carry`` by the same maps."""
    src, carry = src.astype(np.float64), carry.astype(np.float64)
    for _ in range(cfg.iterations):
        rot = _random_rotation(rng)
        ps, pd, pc = matmul3(src, rot), matmul3(dst, rot), matmul3(carry, rot)
        for axis in range(3):
            xs, ys = _quantile_map(ps[:, axis], pd[:, axis], cfg.quantiles)
            ps[:, axis] = _apply_map(ps[:, axis], xs, ys)
            pc[:, axis] = _apply_map(pc[:, axis], xs, ys)
        src, carry = matmul3(ps, rot.T), matmul3(pc, rot.T)
    return carry


def _smooth_grid(disp: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian over the three grid axes, edges replicated."""
    if sigma <= 0:
        return disp
    radius = max(1, int(np.ceil(2.5 * sigma)))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    for axis in range(3):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = np.pad(disp, pad, mode="edge")
        disp = sum(
            k[i] * np.take(padded, np.arange(i, i + disp.shape[axis]), axis=axis) for i in range(len(k))
        )
    return disp


def _apply_tone(lab: np.ndarray, curve: np.ndarray) -> np.ndarray:
    out = lab.copy()
    out[..., 0] = _apply_map(lab[..., 0], np.linspace(0.0, 1.0, len(curve)), curve)
    return out


def _same_count(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Subsample the larger of two colour samples (without replacement) to the smaller's size."""
    m = min(len(a), len(b))
    pick = lambda x: x if len(x) == m else x[np.sort(rng.choice(len(x), m, replace=False))]  # noqa: E731
    return pick(a), pick(b)


def fit_lut(src: np.ndarray, dst: np.ndarray, cfg: FitCfg) -> tuple[Lut3D, np.ndarray]:
    """The colour part from pooled sRGB samples: tone curve + sliced OT at the LUT nodes, smoothed."""
    rng = np.random.default_rng(cfg.seed + 1)
    # Sliced transport pairs sorted projections one to one, so both sides need the same count;
    # per-photo sampling gives (samples // n) · n, which differs from the reference's for most n.
    src, dst = _same_count(src, dst, rng)
    src_lab = srgb_to_oklab(src).astype(np.float64)
    dst_lab = srgb_to_oklab(dst).astype(np.float64)
    curve = fit_tone_curve(src_lab[:, 0], dst_lab[:, 0], cfg.tone_points)
    grid = grid_points(cfg.lut_size)
    nodes = _apply_tone(srgb_to_oklab(grid.reshape(-1, 3)).astype(np.float64), curve)
    moved = sliced_transport(_apply_tone(src_lab, curve), dst_lab, nodes, cfg, rng)
    out = oklab_to_srgb(moved.astype(np.float32)).reshape(grid.shape)
    out = grid + _smooth_grid((out - grid).astype(np.float64), cfg.smooth_sigma)
    for c in range(3):  # each output channel non-decreasing along its own input axis
        out[..., c] = np.maximum.accumulate(out[..., c], axis=c)
    return Lut3D(np.clip(out, 0.0, 1.0).astype(np.float32), title="huafeng look"), curve


# ------------------------------------------------------------------------------ grain, vignette


def _luma(rgb: np.ndarray) -> np.ndarray:
    return (0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]).astype(np.float32)


def _noise_sigma(rgb: np.ndarray) -> float:
    """Robust (MAD) std of the fine residual in the flatter half of the image."""
    y = _luma(_small(rgb, GRAIN_SIDE))
    blur = cv2.GaussianBlur(y, (0, 0), 1.0)
    res = y - blur
    gx, gy = cv2.Sobel(blur, cv2.CV_32F, 1, 0), cv2.Sobel(blur, cv2.CV_32F, 0, 1)
    grad = np.hypot(gx, gy)
    flat = res[grad <= np.quantile(grad, 0.5)]
    return float(1.4826 * np.median(np.abs(flat - np.median(flat))))


@functools.cache
def _white_noise_gain() -> float:
    """Residual sigma that unit white noise produces under :func:`_noise_sigma` (calibration)."""
    n = np.random.default_rng(0).normal(0.5, 1 / 32, (GRAIN_SIDE, GRAIN_SIDE)).astype(np.float32)
    return _noise_sigma(np.repeat(n[..., None], 3, -1)) * 32


def estimate_grain(s_ref: float, s_look: float) -> float:
    """Extra luma noise in the look photos (median residual sigmas), as white-noise std to add."""
    extra = np.sqrt(max(0.0, s_look**2 - s_ref**2)) / _white_noise_gain()
    return round(float(extra), 4) if extra > 0.004 else 0.0  # below ~1/255: compression noise


def _radius(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    dy, dx = (y + 0.5) / h - 0.5, (x + 0.5) / w - 0.5
    return np.sqrt((dx**2 + dy**2) / 0.5).astype(np.float32)


def _radial_levels(y: np.ndarray) -> np.ndarray:
    """Mean of a single-channel image in each radial bin."""
    r = _radius(*y.shape)
    idx = np.clip(np.digitize(r, _RADII[1:-1]), 0, len(_RADII) - 2)
    return np.asarray(
        np.bincount(idx.ravel(), y.ravel(), len(_RADII) - 1)
        / np.maximum(np.bincount(idx.ravel(), minlength=len(_RADII) - 1), 1)
    )


def _normalise_profile(prof: np.ndarray) -> np.ndarray:
    return np.asarray(prof / max(float(prof[:3].mean()), 1e-4))


def _radial_profile(rgb: np.ndarray) -> np.ndarray:
    """Linear-light brightness per radial bin, relative to the centre."""
    return _normalise_profile(_radial_levels(_luma(srgb_to_linear(rgb))))


def vignette_fits(ref_profile: np.ndarray, look_profiles: Sequence[np.ndarray]) -> np.ndarray:
    """Per photo, ``a`` of ``ratio = k·(1 - a·r²)`` (a line in r²: a = -slope / intercept)."""
    r2 = ((_RADII[:-1] + _RADII[1:]) / 2) ** 2
    fits: list[float] = []
    for p in look_profiles:
        slope, k = np.polyfit(r2, p / np.maximum(ref_profile, 1e-4), 1)
        fits.append(float(-slope / k) if k > 0 else 0.0)
    return np.asarray(fits)


def estimate_vignette(
    ref_profile: np.ndarray, look_profiles: Sequence[np.ndarray], min_median: float = 0.0
) -> float:
    """``a`` of a ``1 - a·r²`` edge fall-off, fitted per look photo against the reference profile.

    Scenes alone make edges darker or brighter (sky at the top, a dark floor), so one photo
    proves nothing: a vignette is reported only when at least 80 % of the photos show a fall-off
    above 0.05 and their median exceeds ``min_median`` (what content alone reaches), and then
    it is that median.
    """
    a = vignette_fits(ref_profile, look_profiles)
    if len(a) == 0 or np.mean(a > 0.05) < 0.8 or np.median(a) <= min_median:
        return 0.0
    return round(float(np.clip(np.median(a), 0.0, 0.8)), 3)


def apply_vignette(rgb: np.ndarray, a: float) -> np.ndarray:
    if a == 0:
        return rgb
    from huafeng.looks.color import linear_to_srgb

    gain = np.clip(1 - a * _radius(*rgb.shape[:2]) ** 2, 0.0, 1.0)
    return np.clip(linear_to_srgb(srgb_to_linear(rgb) * gain[..., None]), 0.0, 1.0)


def apply_grain(rgb: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add luma grain, synthesised at GRAIN_SIDE and resized, so its size follows the picture."""
    if sigma == 0:
        return rgb
    h, w = rgb.shape[:2]
    s = min(1.0, GRAIN_SIDE / max(h, w))
    gh, gw = max(1, round(h * s)), max(1, round(w * s))
    noise = np.random.default_rng(seed).normal(0.0, sigma, (gh, gw)).astype(np.float32)
    if (gh, gw) != (h, w):
        noise = np.asarray(cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
    return np.clip(rgb + noise[..., None], 0.0, 1.0)


def _grey_gain(lut: Lut3D) -> float:
    """Median slope of the LUT along the grey axis: how much it amplifies existing noise."""
    ramp = np.repeat(np.linspace(0.1, 0.9, 33, dtype=np.float32)[:, None], 3, 1)
    return float(np.median(np.gradient(_luma(apply_lut(ramp, lut)), ramp[:, 0])))


def _confidence(
    reference: Sequence[Image] | ReferenceStats,
    ref_small: list[np.ndarray],
    look_small: list[np.ndarray],
    src: np.ndarray,
    dst: np.ndarray,
    inflation: float = 1.0,
) -> dict[str, float]:
    """How much of the colour gap to trust as the look (:mod:`huafeng.looks.confidence`)."""
    gap = sliced_w2(src, dst)
    if isinstance(reference, ReferenceStats):
        paired, spread, n_ref = False, reference.content_spread or 0.0, reference.photos
    else:
        rng = np.random.default_rng(7)
        paired = is_paired(look_small, ref_small)
        spread = 0.0 if paired else content_spread([sample_colors([x], 2000, rng) for x in ref_small], rng)
        n_ref = len(ref_small)
    e = content_gap(spread, len(look_small), n_ref) * float(np.sqrt(inflation))
    return {
        "confidence": round(shrink_factor(gap, e), 3),
        "colour_gap": round(gap, 3),
        "content_gap": round(e, 3),
        "paired_reference": float(paired),
    }


def shrink_towards_identity(lut: Lut3D, curve: np.ndarray, alpha: float) -> tuple[Lut3D, np.ndarray]:
    """``identity + α·(learnt − identity)`` for the LUT and the tone curve (α = 1: unchanged)."""
    if alpha >= 1.0:
        return lut, curve
    grid = grid_points(lut.table.shape[0])
    table = (grid + alpha * (lut.table - grid)).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, len(curve))
    return Lut3D(table, lut.title, lut.domain_min, lut.domain_max), ramp + alpha * (curve - ramp)


def fit_look(
    reference: Sequence[Image] | ReferenceStats, look: Sequence[Image], cfg: FitCfg | None = None
) -> LookFit:
    """Fit colour (LUT + tone curve), grain and vignette of ``look`` against the reference.

    ``reference`` is ordinary photos (best: similar subjects, ungraded) or the shipped
    :class:`ReferenceStats` summary.
    """
    cfg = cfg or FitCfg()
    if not look:
        raise InputError("learning a look needs at least one photo of it")
    rng = np.random.default_rng(cfg.seed)
    look_f = [_small(to_float(im.rgb), GRAIN_SIDE) for im in look]
    look_small = [_small(x, STAT_SIDE) for x in look_f]
    dst = sample_colors(look_small, max(1, cfg.samples // len(look)), rng)
    if isinstance(reference, ReferenceStats):
        src = reference.sample(cfg.samples, rng)
        ref_small: list[np.ndarray] = []
    else:
        if not reference:
            raise InputError("the reference folder has no photos")
        ref_small = [_small(to_float(im.rgb), STAT_SIDE) for im in reference]
        src = sample_colors(ref_small, max(1, cfg.samples // len(reference)), rng)
    conf = _confidence(reference, ref_small, look_small, src, dst, cfg.content_inflation)
    lut, curve = shrink_towards_identity(*fit_lut(src, dst, cfg), conf["confidence"])
    # Grain and vignette against the reference *after* the LUT: contrast is not grain.
    ordinary_noise = 0.0
    ref_profile: np.ndarray | None
    if isinstance(reference, ReferenceStats):
        # Statistics, not photos: content alone spreads ordinary photos' noise and edge fall-off
        # widely, so only a median beyond what that spread gives a median of len(look) photos
        # (90th percentile of one photo, shrunk by √n) is attributed to the look.
        side = float(np.median([max(x.shape[:2]) for x in look_f]))
        gain, root_n = _grey_gain(lut), float(np.sqrt(len(look)))
        s_ref = reference.noise_for_side(side) * gain
        spread = (reference.noise_for_side(side, p90=True) - reference.noise_for_side(side)) * gain
        ordinary_noise = s_ref + spread / root_n
        # One photo's edge brightness varies with its content far more than a vignette changes
        # it (ordinary photos' own fitted "a" spans about ±1), so a vignette is only measured
        # against reference photos (--reference), graded like the look photos.
        ref_profile = None
    else:
        graded = [apply_lut(_small(to_float(im.rgb), GRAIN_SIDE), lut) for im in reference]
        s_ref = float(np.median([_noise_sigma(x) for x in graded]))
        ref_profile = np.median([_radial_profile(_small(x, STAT_SIDE)) for x in graded], 0)
    s_look = float(np.median([_noise_sigma(x) for x in look_f]))
    grain = estimate_grain(s_ref, s_look) if s_look > ordinary_noise else 0.0
    vignette = (
        estimate_vignette(ref_profile, [_radial_profile(x) for x in look_small])
        if ref_profile is not None
        else 0.0
    )
    src, dst = _same_count(src, dst, rng)  # the quantile gap below pairs them one to one too
    moved = srgb_to_oklab(apply_lut(src[:: max(1, len(src) // 20000)], lut))
    target = srgb_to_oklab(dst[:: max(1, len(dst) // 20000)])
    stats = {
        "photos": float(len(look)),
        "reference_photos": float(
            reference.photos if isinstance(reference, ReferenceStats) else len(reference)
        ),
        # Mean gap between matched per-channel Oklab quantiles after the fit (x100 ≈ ΔE-ish units).
        "residual_quantile_gap": float(100 * np.mean(np.abs(np.sort(moved, 0) - np.sort(target, 0)))),
        **conf,
    }
    return LookFit(lut, tuple(float(v) for v in curve), grain, vignette, stats)
