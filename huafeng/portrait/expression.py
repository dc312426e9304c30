"""Expression transfer: move a driving face's expression onto a target portrait, as an animation.

Method (classic landmark-driven reenactment, no learned generator):

1. Face Mesh landmarks (478 points) on the target ``T`` and on each driver frame ``D_t``.
2. **Align** every driver frame to the target with a similarity transform (rotation, uniform
   scale, translation; Umeyama 1991 via ``cv2.estimateAffinePartial2D``) fitted on points that
   do not move with expression (:data:`~huafeng.portrait.faces.STABLE`): head pose and face size
   are removed, only the expression is left.
3. **Displacement**: ``align(D_t) - align(D_ref)`` where the reference is the driver's neutral
   frame (``neutral=``, or a video's first frame). A single driver *image* without a neutral
   uses the target itself as reference: the target's landmarks go to the driver's aligned ones.
4. **Warp** the target with a piecewise-affine map over a Delaunay triangulation of its
   landmarks plus a ring of fixed anchors around the face (so the warp is local and the
   background does not move): each output triangle samples from its source triangle.
5. **Animate**: an image driver gives a 0 → 1 → 0 strength ramp (eased), a video driver its
   own frames; GIF/WebP through :mod:`huafeng.imageio`, MP4 through :mod:`huafeng.videoio`.

The landmark error (mean distance to the driven landmark goal, in inter-ocular distances) is
measured before and after the warp by re-detecting the mesh on the result
(:func:`landmark_error`; figures in docs/portraits.md).

Limits: a warp moves pixels, it cannot invent them: an opening mouth shows stretched lips, not
teeth; large head turns in the driver are aligned away, not transferred.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, read_image
from huafeng.portrait.faces import STABLE, DetectOptions, Face, detect_faces, require_landmarks

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")


@dataclass(frozen=True)
class ExpressionOptions:
    frames: int = 24
    """Frames of the 0 → 1 → 0 animation for an image driver."""
    strength: float = 1.0
    """Scale on the driver's displacement (1 = the driver's expression, 0.5 = half of it)."""
    fps: float = 12.0
    """Frame rate for an image driver (a video driver keeps its own)."""
    max_frames: int = 150
    """Cap on driver video frames (a 5 s clip at 30 fps)."""
    smoothing: float = 0.5
    """Landmark smoothing between video frames (exponential, 0 = none): the mesh jitters ~1 px."""
    face_index: int | None = None

    def __post_init__(self) -> None:
        if not 3 <= self.frames <= 240:
            raise InputError(f"frames must be between 3 and 240, got {self.frames}")
        if not 0.0 < self.strength <= 2.0:
            raise InputError(f"strength must be in (0, 2], got {self.strength}")
        if not 1.0 <= self.fps <= 60.0:
            raise InputError(f"fps must be between 1 and 60, got {self.fps}")
        if not 0.0 <= self.smoothing < 1.0:
            raise InputError(f"smoothing must be in [0, 1), got {self.smoothing}")
        if self.max_frames < 1:
            raise InputError("max_frames must be at least 1")


# ---------------------------------------------------------------------------------- geometry


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


def displacement(target: np.ndarray, driver: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Per-landmark motion to apply to ``target``: the driver's expression, pose removed."""
    d = apply(similarity(driver, target), driver)
    ref = target if reference is None else apply(similarity(reference, target), reference)
    return (d - ref).astype(np.float32)


def _anchors(pts: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fixed points: a ring at 1.6x the face's extent, the image corners and edge midpoints."""
    w, h = size
    c = pts.mean(0)
    r = 1.6 * float(np.max(np.linalg.norm(pts - c, axis=1)))
    ring = [
        c + r * np.array([math.cos(a), math.sin(a)]) for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)
    ]
    border = [
        (0, 0),
        (w - 1, 0),
        (0, h - 1),
        (w - 1, h - 1),
        (w / 2, 0),
        (w / 2, h - 1),
        (0, h / 2),
        (w - 1, h / 2),
    ]
    ring_in = [p for p in ring if 1 <= p[0] <= w - 2 and 1 <= p[1] <= h - 2]
    return np.array(ring_in + [np.array(b, np.float64) for b in border], np.float32)


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
    rgb: np.ndarray, src: np.ndarray, dst: np.ndarray, tris: np.ndarray | None = None
) -> np.ndarray:
    """Warp ``rgb`` so that the content at ``src`` points lands on ``dst`` (piecewise affine).

    Backward mapping: each pixel of an output triangle samples the source image through that
    triangle's affine map, so there are no holes. Pixels outside every triangle stay put.
    """
    h, w = rgb.shape[:2]
    anchors = _anchors(src, (w, h))
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


# ------------------------------------------------------------------------------ driving


def _face(rgb: np.ndarray, what: str, index: int | None = None) -> Face:
    face = detect_faces(rgb, DetectOptions(landmarks=True)).select(index, what=what)
    require_landmarks(face, f"{what}: expression transfer")
    return face


def driver_landmarks(
    driver: str | Path, max_frames: int, smoothing: float
) -> tuple[list[np.ndarray], float | None]:
    """Landmarks per driver frame (image: one; video: up to ``max_frames``) and the video's fps."""
    p = Path(driver)
    if not p.exists():
        raise InputError(f"{p}: driver not found")
    if p.suffix.lower() not in VIDEO_SUFFIXES:
        return [require_landmarks(_face(read_image(p).rgb, str(p)), str(p))], None
    from huafeng import videoio  # PyAV: the video extra

    fps = videoio.probe_video(p).fps
    out: list[np.ndarray] = []
    prev: np.ndarray | None = None
    for i, frame in enumerate(videoio.read_video_frames(p, max_frames=max_frames)):
        det = detect_faces(frame.rgb, DetectOptions(landmarks=True))
        lm = det.faces[0].landmarks if det.faces else None
        if lm is None:
            if prev is None:
                raise InputError(f"{p}: no face found in frame {i} of the driver video")
            lm = prev  # a blink of a missed detection: hold the last expression
        prev = lm if prev is None else (smoothing * prev + (1.0 - smoothing) * lm).astype(np.float32)
        out.append(prev)
    return out, fps


def ramp(n: int) -> np.ndarray:
    """``n`` strengths 0 → 1 → 0, eased (raised cosine), so the loop has no visible seam."""
    t = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    return (0.5 - 0.5 * np.cos(t)).astype(np.float32)


@dataclass(frozen=True)
class ExpressionResult:
    frames: list[Image]
    fps: float
    target_landmarks: np.ndarray
    goal: np.ndarray
    """Target landmarks at full expression (the strongest frame's goal)."""
    peak: int
    """Index of the full-expression frame."""


def transfer_expression(
    target: Image,
    driver: str | Path,
    opts: ExpressionOptions | None = None,
    *,
    neutral: str | Path | None = None,
) -> ExpressionResult:
    """Animate ``target`` with the driver's expression (image or short video)."""
    opts = opts or ExpressionOptions()
    rgb = target.rgb
    d_lms, d_fps = driver_landmarks(driver, opts.max_frames, opts.smoothing)  # a bad driver fails first
    t_lm = require_landmarks(_face(rgb, "target", opts.face_index), "target")
    ref = None
    if neutral is not None:
        ref = require_landmarks(_face(read_image(neutral).rgb, str(neutral)), str(neutral))
    elif d_fps is not None:
        ref = d_lms[0]  # a video's first frame is its neutral
    disps = [displacement(t_lm, d, ref) * np.float32(opts.strength) for d in d_lms]
    size = (rgb.shape[1], rgb.shape[0])
    tris = delaunay(np.concatenate([t_lm, _anchors(t_lm, size)]), size)
    if d_fps is None:
        weights = ramp(opts.frames)
        steps = [(float(wt), disps[0]) for wt in weights]
        fps = opts.fps
    else:
        steps = [(1.0, dv) for dv in disps]
        fps = d_fps
    frames = [target.with_rgb(warp_points(rgb, t_lm, t_lm + wt * dv, tris)) for wt, dv in steps]
    mags = [wt * float(np.abs(dv).mean()) for wt, dv in steps]
    peak = int(np.argmax(mags))
    goal = t_lm + steps[peak][0] * steps[peak][1]
    for f in frames:
        f.duration_ms = round(1000 / fps)
    return ExpressionResult(frames, fps, t_lm, goal.astype(np.float32), peak)


def landmark_error(rgb: np.ndarray, goal: np.ndarray, eye_distance: float) -> float:
    """Mean distance from the mesh re-detected on ``rgb`` to ``goal``, in inter-ocular distances."""
    lm = require_landmarks(_face(rgb, "warped result"), "landmark error")
    return float(np.linalg.norm(lm - goal, axis=1).mean() / max(eye_distance, 1e-6))


def write_expression(
    result: ExpressionResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    protect: tuple[str | Path, ...] = (),
) -> Path:
    """GIF / WebP / APNG through :mod:`huafeng.imageio`, MP4 / MOV / WebM through :mod:`huafeng.videoio`."""
    p = Path(path)
    if p.suffix.lower() in VIDEO_SUFFIXES:
        from huafeng import videoio

        videoio.write_video(p, result.frames, result.fps, overwrite=overwrite, protect=protect)
        return p
    from huafeng.imageio import write_animation

    return write_animation(
        p, result.frames, overwrite=overwrite, duration_ms=round(1000 / result.fps), protect=protect
    )
