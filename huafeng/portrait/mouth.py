"""The inside of an opening mouth, for expression transfer.

A warp moves pixels and cannot invent them: when the driver opens its mouth and the target's is
closed, warping the target's lips apart fills the opening with stretched lip and skin (jagged
triangular "teeth"). Landmark-driven reenactment systems paste the *driver's* mouth interior
instead (Thies et al., Face2Face 2016, retrieve it from the target's own frames; with one target
photo we take the driver's). Here:

1. From each driver frame, the crop around its inner lips (:class:`MouthSource`), with the Lab
   mean of its face skin (the face oval without eyes and lips) as the lighting reference.
2. The interior polygon (MediaPipe's 20 inner-lip points) is mapped onto the goal's inner-lip
   polygon by a fan of triangles around the centroids, each backward-mapped (no holes).
3. Colour: Lab lightness is scaled by the ratio of the two faces' skin lightness and a/b shifted
   by the difference of their skin chroma, so teeth lit by a warm lamp come out under the target's
   light, not the driver's.
4. It is pasted inside the goal polygon, eroded a pixel and feathered, so the target's own lips
   stay on top; how much (:func:`interior_weight`) grows with how much more the goal opens than
   the target's own mouth (a target that already shows its teeth keeps them).

A driver whose mouth is closed has no interior to give: the opening (if the displacement opens
one) becomes a dark cavity in the target's lip colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from huafeng.portrait.faces import FACE_OVAL, LEFT_EYE, LIPS_INNER, LIPS_OUTER, RIGHT_EYE, eye_distance

MIN_OPENING = 0.004
"""Inner-lip area / IOD² below which a mouth counts as closed (lip lines touching)."""


def _area(poly: np.ndarray) -> float:
    return float(abs(cv2.contourArea(poly.astype(np.float32))))


def opening(lm: np.ndarray) -> float:
    """How open the mouth is: inner-lip polygon area in inter-ocular distances squared."""
    return _area(lm[list(LIPS_INNER)]) / eye_distance(lm) ** 2


def skin_lab(rgb: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Mean Lab (OpenCV 8-bit scale) of the face oval without eyes and lips."""
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(lm[list(FACE_OVAL)]).astype(np.int32)], 1)
    for part in (LIPS_OUTER, LEFT_EYE, RIGHT_EYE):
        cv2.fillPoly(mask, [np.round(lm[list(part)]).astype(np.int32)], 0)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    sel = mask.reshape(-1) > 0
    return lab[sel].mean(axis=0) if sel.any() else lab.mean(axis=0)


@dataclass(frozen=True)
class MouthSource:
    """What one driver frame can give a target's mouth."""

    rgb: np.ndarray
    """Crop of the driver frame around the inner lips (uint8)."""
    inner: np.ndarray
    """The 20 inner-lip points in crop coordinates (LIPS_INNER order)."""
    skin: np.ndarray
    """The driver's skin Lab mean: the lighting the crop was taken under."""
    opening: float


def mouth_source(rgb: np.ndarray, lm: np.ndarray) -> MouthSource:
    inner = lm[list(LIPS_INNER)].astype(np.float32)
    x0, y0 = np.floor(inner.min(axis=0)).astype(int)
    x1, y1 = np.ceil(inner.max(axis=0)).astype(int)
    pad = max(4, round(0.25 * (x1 - x0)))
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad + 1), min(h, y1 + pad + 1)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    return MouthSource(crop, inner - np.array([x0, y0], np.float32), skin_lab(rgb, lm), opening(lm))


def interior_weight(goal_opening: float, target_opening: float) -> float:
    """How much of the pasted interior to show: 1 where the target's mouth was closed, falling to 0
    as the target's own opening approaches the goal's."""
    if goal_opening < MIN_OPENING:
        return 0.0
    return float(np.clip(2.0 * (goal_opening - target_opening) / goal_opening, 0.0, 1.0))


def _fan_map(
    goal: np.ndarray, src: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Backward maps (x, y in ``src`` space) for the pixels of ``box`` inside the goal polygon."""
    x0, y0, w, h = box
    g = goal - np.array([x0, y0], np.float32)
    cg, cs = g.mean(axis=0), src.mean(axis=0)
    owner = np.full((h, w), -1, np.int32)
    affines = np.zeros((len(g), 2, 3), np.float32)
    for i in range(len(g)):
        j = (i + 1) % len(g)
        dt = np.array([cg, g[i], g[j]], np.float32)
        st = np.array([cs, src[i], src[j]], np.float32)
        area = (dt[1, 0] - dt[0, 0]) * (dt[2, 1] - dt[0, 1]) - (dt[2, 0] - dt[0, 0]) * (dt[1, 1] - dt[0, 1])
        if abs(area) < 1e-3:
            continue
        affines[i] = cv2.getAffineTransform(dt, st)
        cv2.fillConvexPoly(owner, np.round(dt).astype(np.int32), i)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    a = affines[np.maximum(owner, 0)]
    map_x = a[..., 0, 0] * xs + a[..., 0, 1] * ys + a[..., 0, 2]
    map_y = a[..., 1, 0] * xs + a[..., 1, 1] * ys + a[..., 1, 2]
    return map_x.astype(np.float32), map_y.astype(np.float32)


def _relight(rgb: np.ndarray, from_skin: np.ndarray, to_skin: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= float(np.clip(to_skin[0] / max(from_skin[0], 1.0), 0.6, 1.6))
    lab[..., 1:] += (to_skin[1:] - from_skin[1:]) * 0.8
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def paste_mouth(
    out: np.ndarray,
    goal_lm: np.ndarray,
    source: MouthSource | None,
    target_skin: np.ndarray,
    lip_lab: np.ndarray,
    weight: float,
) -> np.ndarray:
    """``out`` (the warped target) with a mouth interior inside the goal's inner lips."""
    goal = goal_lm[list(LIPS_INNER)].astype(np.float32)
    if weight <= 0.0 or _area(goal) < 2.0:
        return out
    h, w = out.shape[:2]
    x0, y0 = np.maximum(np.floor(goal.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(goal.max(axis=0)).astype(int) + 3, [w, h])
    if x1 <= x0 or y1 <= y0:
        return out
    box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    if source is not None and source.opening >= MIN_OPENING:
        mx, my = _fan_map(goal, source.inner, box)
        inside = cv2.remap(source.rgb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        inside = _relight(inside, source.skin, target_skin)
    else:  # a closed driver mouth: a dark cavity in the target's lip colour
        cavity = np.array([[[lip_lab[0] * 0.22, lip_lab[1], lip_lab[2]]]], np.float32)
        rgb = cv2.cvtColor(np.clip(cavity, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)[0, 0]
        inside = np.broadcast_to(rgb, (box[3], box[2], 3)).copy()
    drawn = np.zeros((box[3], box[2]), np.float32)
    poly = np.round((goal - np.array([x0, y0], np.float32)) * 4).astype(np.int32)
    cv2.fillPoly(drawn, [poly], 1.0, cv2.LINE_AA, shift=2)  # sub-pixel edges
    drawn = np.asarray(cv2.erode(drawn, np.ones((2, 2), np.uint8)), np.float32)  # lip line stays on top
    mask = np.asarray(cv2.GaussianBlur(drawn, (0, 0), 0.7), np.float32) * np.float32(weight)
    region = out[y0:y1, x0:x1].astype(np.float32)
    blended = region * (1.0 - mask[..., None]) + inside.astype(np.float32) * mask[..., None]
    res = out.copy()
    res[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return res


def lip_lab(rgb: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Mean Lab of the lips (between the outer and inner lip lines)."""
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(lm[list(LIPS_OUTER)]).astype(np.int32)], 1)
    cv2.fillPoly(mask, [np.round(lm[list(LIPS_INNER)]).astype(np.int32)], 0)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    sel = mask.reshape(-1) > 0
    return lab[sel].mean(axis=0) if sel.any() else np.array([120.0, 150.0, 140.0], np.float32)
