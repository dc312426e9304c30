"""How much of a colour gap is the look, and how much is just the photos' subjects?

A look is learnt by moving the reference photos' colour cloud onto the look photos' cloud. When
the two sets show different scenes, part of the gap is *content* (twenty photos of autumn woods
are orange before any grade), and a LUT that moves all of it makes ungraded-looking photos worse
than not grading them (measured: ΔE 6.6 vs 6.0 untouched, ``docs/looks_and_video.md``).

So the learnt displacement is shrunk towards the identity by a Wiener factor

    α = max(0, 1 − E² / D²)

where ``D`` is the observed gap (sliced Wasserstein-2 distance between the two colour samples,
Oklab × 100 ≈ ΔE units) and ``E`` the gap that content alone produces between sets of the same
sizes of *ungraded* photos, times ``FitCfg.content_inflation``. If the grade ``g`` and the content
bias ``b`` are uncorrelated and ``E`` is right, ``D² ≈ |g|² + |b|²`` and α is the blend of learnt
and identity with the least expected error, below the error of not grading. ``E`` comes from a
per-photo content variance (:func:`content_spread`): stored in the built-in reference (measured on
the photos it summarises) or measured on the halves of a reference folder. Sets of one kind of
subject break the assumption (``docs/looks_and_video.md``: 5 of 60 benchmark cases stay worse).
A reference that holds *the same scenes* before grading (before/after pairs) has no content gap,
which :func:`is_paired` recognises from the pictures' structure.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from huafeng.looks.color import srgb_to_oklab

#: Directions of the sliced Wasserstein distance: enough for a 3-D cloud to ±2 %.
DIRECTIONS = 64
#: Structure thumbnails for the paired test, and the correlation that counts as "the same scene".
THUMB = 48
PAIRED_NCC = 0.85
#: Below this confidence the look is mostly the photos' subjects: the CLI says so.
LOW_CONFIDENCE = 0.5


def sliced_w2(a: np.ndarray, b: np.ndarray, seed: int = 0) -> float:
    """Sliced Wasserstein-2 distance of two sRGB samples ``(M, 3)``, in Oklab × 100 (≈ ΔE)."""
    rng = np.random.default_rng(seed)
    la, lb = srgb_to_oklab(a).astype(np.float64), srgb_to_oklab(b).astype(np.float64)
    dirs = rng.normal(size=(DIRECTIONS, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    q = np.linspace(0.0, 1.0, 101)
    pa, pb = np.quantile(la @ dirs.T, q, axis=0), np.quantile(lb @ dirs.T, q, axis=0)
    # Σ over directions of the 1-D W2² (quantile functions), ×3 for the mean over a 3-D sphere.
    return float(100 * np.sqrt(3 * np.mean((pa - pb) ** 2)))


def shrink_factor(gap: float, content_gap: float) -> float:
    """The Wiener factor α = max(0, 1 − E²/D²) (1 when there is no content gap)."""
    if content_gap <= 0:
        return 1.0
    if gap <= 0:
        return 0.0
    return float(np.clip(1.0 - (content_gap / gap) ** 2, 0.0, 1.0))


def content_spread(samples: Sequence[np.ndarray], rng: np.random.Generator, draws: int = 6) -> float:
    """Per-photo content variance ``c`` (ΔE²) of ungraded photos, from their colour samples.

    Two disjoint sets of ``k`` photos differ by content only, by gap² ≈ 2c/k; so
    c = mean gap² · k/2 over random halves. The gap between ``n`` photos and ``m`` others is then
    √(c·(1/n + 1/m)) (:func:`content_gap`).
    """
    m = len(samples)
    if m < 4:
        return 0.0  # too few photos to measure their spread; the fit is taken as is
    k = m // 2
    gaps = []
    for i in range(draws):
        perm = rng.permutation(m)
        a = np.concatenate([samples[j] for j in perm[:k]])
        b = np.concatenate([samples[j] for j in perm[k : 2 * k]])
        gaps.append(sliced_w2(a, b, seed=i) ** 2)
    return float(np.mean(gaps)) * k / 2


def content_gap(spread: float, n_look: int, n_reference: int) -> float:
    """E: the colour gap content alone gives between ``n_look`` and ``n_reference`` ungraded photos."""
    return float(np.sqrt(max(spread, 0.0) * (1.0 / max(n_look, 1) + 1.0 / max(n_reference, 1))))


def _structure(rgb: np.ndarray) -> np.ndarray:
    """A colour-grade-invariant thumbnail: gradient magnitude of the luma, zero-mean unit-norm."""
    y = cv2.cvtColor((np.clip(rgb, 0, 1) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    y = cv2.resize(y, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32)
    g = np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1)).ravel()
    g -= g.mean()
    return g / max(float(np.linalg.norm(g)), 1e-6)


def is_paired(look: Sequence[np.ndarray], reference: Sequence[np.ndarray], share: float = 0.8) -> bool:
    """True when most look photos are reference photos regraded (same scene, same framing).

    Gradient structure survives any colour grade but not a change of scene, so a look photo is
    matched when some reference photo's structure thumbnail correlates above ``PAIRED_NCC``.
    """
    if not look or not reference:
        return False
    ref = np.stack([_structure(x) for x in reference])
    hits = [float((ref @ _structure(x)).max()) >= PAIRED_NCC for x in look]
    return float(np.mean(hits)) >= share


def advice(stats: dict[str, object]) -> str | None:
    """One line for the user when a learnt look was mostly shrunk away, else None."""
    conf = stats.get("confidence")
    if not isinstance(conf, (int, float)) or conf >= LOW_CONFIDENCE:
        return None
    return (
        f"these photos' colours differ from the reference little more than their subjects explain: "
        f"the look is applied at {conf:.0%} of what was measured. For the full look, pass --reference "
        "with ungraded photos of the same subjects (best: the same photos before editing)"
    )
