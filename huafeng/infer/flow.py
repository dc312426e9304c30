"""Optical flow, occlusion masks and the flicker metric for video (OpenCV DIS; torch-free).

Conventions: frames are ``(H, W, 3)`` ``uint8`` RGB; a flow ``F`` from frame ``a`` to frame ``b``
is ``(H, W, 2)`` float32 with ``a(p) ≈ b(p + F(p))``. To bring frame ``t-1`` into frame ``t``
we need the *backward* flow ``B = flow(t, t-1)`` and sample ``out_{t-1}`` at ``p + B(p)``.

DIS (Kroeger et al., "Fast optical flow using dense inverse search", ECCV 2016) because it is in
every OpenCV build, runs ~10 ms per 512 px frame on one core and is good enough for the
small motions between consecutive frames. Occlusions (pixels that were hidden in the previous
frame, or flow that is simply wrong) are found by forward-backward consistency (Sundaram, Brox
& Keutzer, ECCV 2010): following ``B`` then the forward flow must come back to the start.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

#: Flow is computed with the long side at most this; motion between frames is large-scale and
#: DIS cost grows with pixels, so 4K frames are not worth flowing at full size.
FLOW_SIDE = 512


def grey(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY))


#: OpenCV's DIS presets by name: ``fast`` is ~3x and ``ultrafast`` ~8x cheaper than ``medium``.
DIS_PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}


def dis_flow(a: np.ndarray, b: np.ndarray, side: int = FLOW_SIDE, preset: str = "medium") -> np.ndarray:
    """Dense flow from RGB/grey frame ``a`` to ``b`` at full size (computed at ≤ ``side``)."""
    ga, gb = (grey(x) if x.ndim == 3 else x for x in (a, b))
    h, w = ga.shape
    s = min(1.0, side / max(h, w))
    if s < 1.0:
        size = (max(8, round(w * s)), max(8, round(h * s)))
        ga = cv2.resize(ga, size, interpolation=cv2.INTER_AREA)
        gb = cv2.resize(gb, size, interpolation=cv2.INTER_AREA)
    dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])  # type: ignore[attr-defined]
    f = np.asarray(dis.calc(ga, gb, None), np.float32)
    if s < 1.0:
        f = np.asarray(cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
        f[..., 0] *= w / ga.shape[1]
        f[..., 1] *= h / ga.shape[0]
    return f


def warp(img: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``img`` sampled at ``p + flow(p)`` (bilinear) and the mask of points that fell inside."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx + flow[..., 0], gy + flow[..., 1]
    out = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return np.asarray(out), inside


def reliable_mask(back: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """Bool ``(H, W)``: pixels of frame ``t`` whose backward flow is confirmed by the forward flow.

    ``|B + F(p + B)|² ≤ 0.01 (|B|² + |F(p + B)|²) + 0.5`` px² (Sundaram et al.'s test), and the
    point must land inside frame ``t-1``.
    """
    fwd_at, inside = warp(fwd, back)
    err = np.sum((back + fwd_at) ** 2, axis=2)
    bound = 0.01 * (np.sum(back**2, axis=2) + np.sum(fwd_at**2, axis=2)) + 0.5
    return np.asarray(inside & (err <= bound))


def pair_flicker(out_prev: np.ndarray, out_cur: np.ndarray, in_prev: np.ndarray, in_cur: np.ndarray) -> float:
    """Mean |out_t − warp(out_{t−1})| over reliable pixels, in 8-bit grey levels (0..255)."""
    back, fwd = dis_flow(in_cur, in_prev), dis_flow(in_prev, in_cur)
    mask = reliable_mask(back, fwd)
    if not mask.any():
        return float("nan")
    warped, _ = warp(out_prev.astype(np.float32), back)
    diff = np.abs(out_cur.astype(np.float32) - warped).mean(axis=2)
    return float(diff[mask].mean())


def flicker(outputs: Sequence[np.ndarray], inputs: Sequence[np.ndarray]) -> float:
    """Warping error of a stylized clip: mean of :func:`pair_flicker` over consecutive frames.

    The flow comes from the *input* frames, so a stylizer is charged for texture that does not
    follow the scene's motion — what a viewer sees as flicker — and not for the motion itself
    (Lai et al., "Learning blind video temporal consistency", ECCV 2018, with L1 in grey levels).
    """
    if len(outputs) != len(inputs) or len(outputs) < 2:
        raise ValueError("flicker needs the same number (>= 2) of output and input frames")
    vals = [
        pair_flicker(outputs[t - 1], outputs[t], inputs[t - 1], inputs[t]) for t in range(1, len(outputs))
    ]
    finite = [v for v in vals if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")
