"""The geometry of expression transfer: similarity alignment (2D and 3D, Umeyama), landmark
displacements, the feathered face region, Delaunay meshes and the piecewise-affine warp. Used by
:mod:`huafeng.portrait.expression`; torch-free."""

from __future__ import annotations

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.portrait.faces import (
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE,
    LIPS_INNER,
    LIPS_OUTER,
    RIGHT_BROW,
    RIGHT_EYE,
    STABLE,
    eye_distance,
)

REGION_MARGIN = 0.12
"""How far (of the face's larger extent) the warped region reaches beyond the face oval: room for
the jaw to drop and the cheeks to widen, little enough that hair and background stay still."""


def similarity(src: np.ndarray, dst: np.ndarray, idx: tuple[int, ...] = STABLE) -> np.ndarray:
    """``(2, 3)`` similarity transform taking ``src[idx]`` onto ``dst[idx]`` (least squares)."""
    m, _ = cv2.estimateAffinePartial2D(
        src[list(idx)].astype(np.float32), dst[list(idx)].astype(np.float32), method=cv2.LMEDS
    )
    if m is None:
        raise InputError("could not align the driver's face to the target's (degenerate landmarks)")
    return np.asarray(m, np.float64)


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return (pts @ m[:, :2].T + m[:, 2]).astype(np.float32)


def similarity3d(src: np.ndarray, dst: np.ndarray, idx: tuple[int, ...] = STABLE) -> np.ndarray:
    """``(3, 4)`` similarity (rotation, uniform scale, translation) taking ``src[idx]`` onto
    ``dst[idx]`` in 3D (Umeyama 1991): removes head turns, which a 2D fit reads as expression."""
    a, b = src[list(idx)].astype(np.float64), dst[list(idx)].astype(np.float64)
    ma, mb = a.mean(0), b.mean(0)
    a0, b0 = a - ma, b - mb
    u, sv, vt = np.linalg.svd(b0.T @ a0 / len(a))
    d = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[2, 2] = -1.0
    r = u @ d @ vt
    scale = float(np.trace(np.diag(sv) @ d) / max((a0**2).sum() / len(a), 1e-12))
    return np.concatenate([scale * r, (mb - scale * r @ ma)[:, None]], axis=1)


def _align(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``src`` points aligned onto ``dst``: in 3D when both carry depth, else in the image plane."""
    if src.shape[1] == 3 and dst.shape[1] == 3:
        m = similarity3d(src, dst)
        return (src @ m[:, :3].T + m[:, 3]).astype(np.float32)
    return apply(similarity(src[:, :2], dst[:, :2]), src[:, :2])


def displacement(target: np.ndarray, driver: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Per-landmark motion (x, y) to apply to ``target``: the driver's expression, pose removed.
    ``(N, 3)`` points (with Face Mesh depth) are aligned in 3D, ``(N, 2)`` ones in the plane."""
    d = _align(driver, target)
    ref = target if reference is None else _align(reference, target)
    if d.shape[1] != ref.shape[1]:
        d, ref = d[:, :2], ref[:, :2]
    return (d - ref)[:, :2].astype(np.float32)


def face_region(rest: np.ndarray, goals: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """The boundary of the region the warp may touch: the hull of the face oval at rest and at
    every goal, each hull point pushed out by :data:`REGION_MARGIN` of the face size; ``(N, 2)``."""
    pick = list(FACE_OVAL) if len(rest) > max(FACE_OVAL) else list(range(len(rest)))  # a mesh, or any points
    oval = [rest[pick]] + [g[pick] for g in goals]
    hull = cv2.convexHull(np.concatenate(oval).astype(np.float32)).reshape(-1, 2)
    c = rest[pick].mean(axis=0)
    extent = float(np.ptp(rest[pick], axis=0).max())
    v = hull - c
    hull = c + v * (1.0 + REGION_MARGIN * extent / np.maximum(np.linalg.norm(v, axis=1), 1e-6))[:, None]
    # evenly spaced anchors along the boundary, so no long triangle edge cuts into the face
    closed = np.concatenate([hull, hull[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    at = np.linspace(0.0, float(seg.sum()), 48, endpoint=False)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    k = np.clip(np.searchsorted(cum, at, side="right") - 1, 0, len(seg) - 1)
    t = ((at - cum[k]) / np.maximum(seg[k], 1e-6))[:, None]
    pts = closed[k] + t * (closed[k + 1] - closed[k])
    w, h = size
    return np.clip(pts, 0, [w - 1, h - 1]).astype(np.float32)


def region_mask(boundary: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(h, w)`` bool: inside the face region."""
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(boundary).astype(np.int32)], 1)
    return m.astype(bool)


#: The points an expression moves: lips, eyes, brows. The jaw follows the lower lip (:func:`expressive`).
EXPRESSIVE = tuple(sorted({*LIPS_OUTER, *LIPS_INNER, *LEFT_EYE, *RIGHT_EYE, *LEFT_BROW, *RIGHT_BROW}))
_LOWER_LIP = (17, 84, 314, 181, 405, 14, 87, 317)
_JAW = (288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58)


def expressive(disp: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Keep only what an expression moves from a displacement that also carries face *shape*.

    A single driver image with no neutral frame is compared with the target itself, so its
    displacement is the driver's expression plus the difference between two people's faces (a
    wider jaw, a longer nose); applied whole, it morphs the target into the driver and tears the
    cheeks. Here lips, eyes and brows keep their motion, the jaw drops with the lower lip (most at
    the chin, none at the ears) and every other point stays.
    """
    out = np.zeros_like(disp)
    idx = list(EXPRESSIVE)
    out[idx] = disp[idx]
    eye = eye_distance(target)
    drop = disp[list(_LOWER_LIP)].mean(axis=0)
    drop[0] = 0.0  # the jaw opens downwards; sideways motion of the lip is the smile, not the jaw
    drop[1] = min(drop[1], 0.3 * eye)  # a jaw dropping further folds the skin under it
    chin, half = target[152, 0], max(1.0, float(np.ptp(target[list(_JAW), 0])) / 2.0)
    for j in _JAW:
        out[j] = drop * float(np.clip(1.0 - abs(target[j, 0] - chin) / half, 0.0, 1.0)) ** 0.5
    # the skin next to a moving lip, eyelid or jaw moves with it, fading with distance (Gaussian
    # weights, sigma a quarter of the eye distance): a moving point beside a still one folds the
    # triangles between them, and folded triangles leave dots of unwarped pixels
    src = np.array([*idx, *_JAW])
    rest = np.setdiff1d(np.arange(len(target)), src)
    sigma = 0.25 * eye
    d2 = ((target[rest][:, None, :] - target[src][None, :, :]) ** 2).sum(-1)
    w = np.exp(-d2 / (2.0 * sigma**2))
    out[rest] = (w @ out[src]) / (w.sum(axis=1, keepdims=True) + 0.5)
    return out


def _anchors(pts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The face region's boundary for ``pts`` at rest (see :func:`face_region`)."""
    return face_region(pts, [], size)


def delaunay(pts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(T, 3)`` vertex indices of a Delaunay triangulation of ``pts`` (OpenCV Subdiv2D)."""
    w, h = size
    q = np.clip(pts, 0, [w - 1, h - 1]).astype(np.float32)
    sub = cv2.Subdiv2D((0, 0, w, h))
    index: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(q):
        key = (round(float(x), 2), round(float(y), 2))
        if key not in index:  # duplicate points (a closed mouth's lip lines) would break Subdiv2D
            index[key] = i
            sub.insert((float(x), float(y)))
    tris = []
    for t in sub.getTriangleList():
        ids = [index.get((round(float(t[k]), 2), round(float(t[k + 1]), 2))) for k in (0, 2, 4)]
        if all(i is not None for i in ids):  # drop triangles on Subdiv2D's virtual outer vertices
            tris.append(ids)
    return np.array(tris, np.int32).reshape(-1, 3)


def warp_points(
    rgb: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    tris: np.ndarray | None = None,
    anchors: np.ndarray | None = None,
) -> np.ndarray:
    """Warp ``rgb`` so that the content at ``src`` points lands on ``dst`` (piecewise affine).

    Backward mapping: each pixel of an output triangle samples the source image through that
    triangle's affine map, so there are no holes. ``anchors`` (fixed points; default: the face
    region of ``src``) bound the triangulation; pixels outside every triangle stay put.
    """
    h, w = rgb.shape[:2]
    anchors = _anchors(src, (w, h)) if anchors is None else anchors
    s = np.concatenate([src, anchors]).astype(np.float32)
    d = np.concatenate([dst, anchors]).astype(np.float32)
    if tris is None:
        tris = delaunay(s, (w, h))
    owner = np.full((h, w), -1, np.int32)
    affines = np.zeros((len(tris), 2, 3), np.float32)
    for t, (a, b, c) in enumerate(tris):
        dt, st = d[[a, b, c]], s[[a, b, c]]
        area = (dt[1, 0] - dt[0, 0]) * (dt[2, 1] - dt[0, 1]) - (dt[2, 0] - dt[0, 0]) * (dt[1, 1] - dt[0, 1])
        if abs(area) < 1e-3:  # collapsed in the output: covers no pixel
            continue
        affines[t] = cv2.getAffineTransform(dt, st)
        cv2.fillConvexPoly(owner, np.round(dt).astype(np.int32), int(t))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    inside = owner >= 0
    a = affines[np.maximum(owner, 0)]
    map_x = np.where(inside, a[..., 0, 0] * xs + a[..., 0, 1] * ys + a[..., 0, 2], xs)
    map_y = np.where(inside, a[..., 1, 0] * xs + a[..., 1, 1] * ys + a[..., 1, 2], ys)
    return np.asarray(
        cv2.remap(
            rgb,
            map_x.astype(np.float32),
            map_y.astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
    )
