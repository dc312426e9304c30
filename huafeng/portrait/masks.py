"""Where hair, lips, face skin and clothing are in a portrait: the masks try-on edits through.

No face-parsing network ships in a package we can use (mediapipe 0.10.14 has the mesh and a
person segmenter; the face-parsing packages on PyPI ship code only), so each region is found from
the mesh, the person mask and colour, and its edge is settled by GrabCut (Rother et al. 2004:
colour mixture models for the region and its surroundings, plus a smoothness term, solved by
graph cut), seeded from what is certain:

* **lips**: the mesh's outer lip polygon minus the inner one (the mouth opening keeps its teeth);
* **skin** (the face): the face oval minus eyes, brows and lips, where the colour is skin-like
  (a fringe over the forehead is hair, not skin);
* **hair**: seeds in a band above the hairline that do not look like skin; GrabCut inside a
  head-shaped region of the person; then only the parts *connected* to those seeds are kept, so
  a dark collar, the neck's shadow or a dress of the same colour cannot join the hair;
* **clothes**: seeds on the torso below the chin that are neither skin nor hair; the skin model is
  sampled on the cheeks *and* on the neck (lighting on a shoulder is closer to the neck's), and
  bare skin is certain background; GrabCut below the chin; connected parts only.

A region that is not in the photo (hair covered, no clothing in a face close-up) is ``None`` with
a note saying why; the other regions still work. Masks are soft float32 ``(H, W)`` in [0, 1].
GrabCut runs at most :data:`WORK_SIDE` px long (it is the slow part) and the result is upsampled.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from huafeng.imageio import to_float
from huafeng.portrait.faces import (
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE,
    LIPS_INNER,
    LIPS_OUTER,
    RIGHT_BROW,
    RIGHT_EYE,
    Face,
    require_landmarks,
)

WORK_SIDE = 512


@dataclass(frozen=True)
class Geometry:
    """Face measurements every mask needs."""

    lm: np.ndarray
    centre_x: float
    top_y: float  # hairline (landmark 10)
    chin_y: float  # landmark 152
    face_w: float
    face_h: float


def geometry(face: Face) -> Geometry:
    lm = require_landmarks(face, "try-on")
    fw = float(np.linalg.norm(lm[234] - lm[454]))
    fh = float(np.linalg.norm(lm[10] - lm[152]))
    return Geometry(lm, float((lm[234, 0] + lm[454, 0]) / 2), float(lm[10, 1]), float(lm[152, 1]), fw, fh)


def lab_of(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(to_float(rgb), np.float32), cv2.COLOR_RGB2Lab))


def likelihood(lab: np.ndarray, sample: np.ndarray, k: float = 3.0) -> np.ndarray:
    """exp(-d²/2k²) with d the Mahalanobis distance to the sampled colours (Lab)."""
    mean = sample.mean(0)
    cov = np.cov(sample.T) + np.eye(3) * 4.0  # floor: a flat sample must not give a zero-width model
    inv = np.linalg.inv(cov).astype(np.float32)
    d = lab.reshape(-1, 3) - mean.astype(np.float32)
    d2 = np.einsum("ij,jk,ik->i", d, inv, d).reshape(lab.shape[:2])
    return np.exp(-0.5 * d2 / k**2).astype(np.float32)


def disc_samples(lab: np.ndarray, centres: list[np.ndarray], r: float) -> np.ndarray:
    h, w = lab.shape[:2]
    m = np.zeros((h, w), np.uint8)
    for c in centres:
        cv2.circle(m, (round(float(c[0])), round(float(c[1]))), max(1, round(r)), 1, -1)
    return lab[m > 0]


def _poly(m: np.ndarray, pts: np.ndarray, value: float) -> None:
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], value, lineType=cv2.LINE_AA)


def lips_mask(face: Face, size: tuple[int, int]) -> np.ndarray:
    """Outer lip polygon minus the mouth opening, lightly feathered."""
    g = geometry(face)
    w, h = size
    m = np.zeros((h, w), np.float32)
    _poly(m, g.lm[list(LIPS_OUTER)], 1.0)
    _poly(m, g.lm[list(LIPS_INNER)], 0.0)
    return np.asarray(cv2.GaussianBlur(m, (0, 0), max(0.5, 0.012 * g.face_h)))


def _cheeks(lab: np.ndarray, g: Geometry) -> np.ndarray:
    """Lab samples of the bare face: both cheeks and the glabella."""
    return disc_samples(lab, [g.lm[50], g.lm[280], g.lm[9]], 0.06 * g.face_w)


def _neck_column(g: Geometry, shape: tuple[int, int], top: float, bottom: float) -> np.ndarray:
    """The column between the jaw's corners, from ``top`` to ``bottom`` face heights below the chin."""
    m = np.zeros(shape, bool)
    x0, x1 = sorted((round(float(g.lm[172, 0])), round(float(g.lm[397, 0]))))
    y0, y1 = round(g.chin_y + top * g.face_h), round(g.chin_y + bottom * g.face_h)
    m[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = True
    return m


def skin_model(lab: np.ndarray, g: Geometry) -> np.ndarray:
    """Likelihood of face-and-body skin: cheeks and glabella, plus the neck when it matches them."""
    cheeks = _cheeks(lab, g)
    neck_at = np.array([g.lm[152, 0], g.chin_y + 0.22 * g.face_h])
    neck = disc_samples(lab, [neck_at], 0.07 * g.face_w)
    sample = cheeks
    if len(neck) > 10 and float(likelihood(neck[None], cheeks, k=3.0).mean()) > 0.2:
        sample = np.concatenate([cheeks, neck])  # a shaded neck widens the model towards shoulders
    return likelihood(lab, sample, k=2.5)


def skin_mask(rgb: np.ndarray, face: Face, skin_like: np.ndarray | None = None) -> np.ndarray:
    """Face skin: the oval without eyes, brows and lips, where the colour is skin."""
    g = geometry(face)
    h, w = rgb.shape[:2]
    m = np.zeros((h, w), np.float32)
    _poly(m, g.lm[list(FACE_OVAL)], 1.0)
    for part in (LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW, LIPS_OUTER):
        _poly(m, g.lm[list(part)], 0.0)
    like = skin_like if skin_like is not None else skin_model(lab_of(rgb), g)
    return (m * np.clip(like * 2.0, 0.0, 1.0)).astype(np.float32)


def grabcut(rgb: np.ndarray, labels: np.ndarray, seeds: np.ndarray, iters: int = 4) -> np.ndarray:
    """GrabCut from an initial OpenCV label map (GC_BGD/FGD/PR_BGD/PR_FGD), at most WORK_SIDE px;
    keeps only the foreground connected to ``seeds``; returns a soft mask at full size."""
    h, w = rgb.shape[:2]
    f = min(1.0, WORK_SIDE / max(h, w))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if f < 1 else rgb
    lab_s = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST) if f < 1 else labels.copy()
    seed_s = cv2.resize(seeds.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    rect = (0, 0, 1, 1)  # unused with GC_INIT_WITH_MASK
    cv2.setRNGSeed(0)  # GrabCut seeds its colour models with k-means: same photo, same mask
    cv2.grabCut(np.ascontiguousarray(small), lab_s, rect, bgd, fgd, iters, cv2.GC_INIT_WITH_MASK)
    fg = ((lab_s == cv2.GC_FGD) | (lab_s == cv2.GC_PR_FGD)).astype(np.uint8)
    _, comp = cv2.connectedComponents(fg, connectivity=8)
    keep = np.unique(comp[seed_s & (fg > 0)])
    fg = np.isin(comp, keep[keep > 0]).astype(np.float32)
    if f < 1:
        fg = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.GaussianBlur(fg, (0, 0), max(0.6, 0.6 / f)), np.float32)


def _labels(
    shape: tuple[int, int], prob_fg: np.ndarray, sure_fg: np.ndarray, sure_bg: np.ndarray
) -> np.ndarray:
    lab = np.full(shape, cv2.GC_PR_BGD, np.uint8)
    lab[prob_fg] = cv2.GC_PR_FGD
    lab[sure_bg] = cv2.GC_BGD
    lab[sure_fg & ~sure_bg] = cv2.GC_FGD
    return lab


def hair_mask(
    rgb: np.ndarray,
    face: Face,
    person: np.ndarray,
    skin_like: np.ndarray | None = None,
    lab: np.ndarray | None = None,
) -> tuple[np.ndarray | None, str | None]:
    """Soft hair mask, or ``(None, why)`` when no hair is visible above the face. ``skin_like`` and
    ``lab`` (:func:`skin_model`, :func:`lab_of`) may be passed in when the caller has them."""
    g = geometry(face)
    h, w = rgb.shape[:2]
    lab = lab_of(rgb) if lab is None else lab
    skin = skin_like if skin_like is not None else skin_model(lab, g)
    band_top = max(0, round(g.top_y - 0.35 * g.face_h))
    band_bottom = max(0, round(g.top_y - 0.04 * g.face_h))
    x0, x1 = max(0, round(g.centre_x - 0.35 * g.face_w)), min(w, round(g.centre_x + 0.35 * g.face_w))
    top = np.zeros((h, w), bool)
    top[band_top:band_bottom, x0:x1] = True
    top &= (person > 0.6) & (skin < 0.15)
    if top.sum() < max(20, 0.02 * (band_bottom - band_top) * (x1 - x0)):
        return None, "no hair found above the face (covered, cropped off or bald): hair left unchanged"
    like = likelihood(lab, lab[top], k=2.5)
    # more seeds at the temples, beside the face from the brows up, where they look like the crown:
    # long hair falls from there, and a crown or fringe can hide the band above the hairline
    seeds = top.copy()
    ty0, ty1 = max(0, round(g.top_y)), max(0, round(g.top_y + 0.35 * g.face_h))
    for xa, xb in ((g.centre_x - 0.85 * g.face_w, g.centre_x - 0.55 * g.face_w),
                   (g.centre_x + 0.55 * g.face_w, g.centre_x + 0.85 * g.face_w)):  # fmt: skip
        side = np.zeros((h, w), bool)
        side[ty0:ty1, max(0, round(xa)) : max(0, round(xb))] = True
        seeds |= side & (person > 0.8) & (skin < 0.1) & (like > 0.5)
    head = np.zeros((h, w), np.uint8)
    cy = g.top_y + 0.75 * g.face_h
    axes = (round(1.15 * g.face_w), round(1.6 * g.face_h))
    cv2.ellipse(head, (round(g.centre_x), round(cy)), axes, 0, 0, 360, 1, -1)
    # the face, and the column under the jaw: hair falls beside the neck, not on it
    face_area = (skin_mask(rgb, face, skin) > 0.5) | _neck_column(g, (h, w), -0.1, 0.9)
    # skin that the hair model does not also claim (blond hair can look like skin to a Lab model)
    sure_bg = (person < 0.3) | (head == 0) | face_area | ((skin > 0.5) & (like < 0.1))
    labels = _labels((h, w), (like > 0.2) & (head > 0), seeds, sure_bg)
    return grabcut(rgb, labels, seeds), None


def clothes_mask(
    rgb: np.ndarray,
    face: Face,
    person: np.ndarray,
    hair: np.ndarray | None = None,
    skin_like: np.ndarray | None = None,
    lab: np.ndarray | None = None,
) -> tuple[np.ndarray | None, str | None]:
    """Soft clothing mask below the face, or ``(None, why)`` when no clothing is visible."""
    g = geometry(face)
    h, w = rgb.shape[:2]
    lab = lab_of(rgb) if lab is None else lab
    skin = skin_like if skin_like is not None else skin_model(lab, g)
    # for clothes, skin is what looks like the cheeks themselves (k 2): the broader model, which
    # also takes in a shaded neck, would claim a beige shirt as skin
    strict = likelihood(lab, _cheeks(lab, g), k=2.0)
    rows = np.arange(h)[:, None]
    below = np.broadcast_to(rows > g.chin_y + 0.05 * g.face_h, (h, w))
    hair_m = hair > 0.4 if hair is not None else np.zeros((h, w), bool)
    neck = _neck_column(g, (h, w), 0.0, 0.45)  # skin even where its colour drifts
    sure_bg = (person < 0.3) | ~below | (strict > 0.5) | hair_m | neck
    # seeds: the person below the chin that is neither skin nor hair, down to the photo's edge (a
    # head-and-shoulders portrait shows only a strip of collar or shirt beside the neck)
    torso = np.zeros((h, w), bool)
    t0 = max(0, round(g.chin_y + 0.1 * g.face_h))
    c0, c1 = max(0, round(g.centre_x - 1.3 * g.face_w)), max(0, round(g.centre_x + 1.3 * g.face_w))
    torso[t0:, c0:c1] = True
    seeds = torso & (person > 0.6) & (strict < 0.05) & (skin < 0.3) & ~hair_m & ~neck
    if hair is not None and (hair > 0.5).sum() > 50:  # long hair below the chin is not a garment
        hair_like = likelihood(lab, lab[hair > 0.5], k=2.0)
        seeds &= hair_like < 0.2
        sure_bg = sure_bg | (hair_like > 0.6)
    if seeds.sum() < max(30, 0.08 * max(1, int((torso & (person > 0.6)).sum()))):
        return (
            None,
            "no clothing found below the face (a close-up, or bare shoulders): clothes left unchanged",
        )
    labels = _labels((h, w), below & (person > 0.5) & (strict < 0.2), seeds, sure_bg)
    return grabcut(rgb, labels, seeds), None
