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
   landmarks plus fixed anchors on the **face region**: the face oval's hull (at rest and at full
   expression) pushed out by :data:`REGION_MARGIN` of the face's size. The warp is the identity
   on that boundary and the result outside it is the target's own pixels, so hair, ears and
   background never move (a ring at 1.6x the face used to drag background into the cheek).
5. **Mouth interior** (:mod:`huafeng.portrait.mouth`): where the goal opens the mouth more than
   the target's own, the driver's teeth and mouth cavity are mapped into the goal's inner lips and
   relit to the target's skin, instead of stretched lip.
6. **Animate**: an image driver gives a 0 → 1 → 0 strength ramp (eased), a video driver its
   own frames; GIF/WebP through :mod:`huafeng.imageio`, MP4 through :mod:`huafeng.videoio`.

The landmark error (mean distance to the driven landmark goal, in inter-ocular distances) is
measured before and after the warp by re-detecting the mesh on the result
(:func:`landmark_error`; figures in docs/portraits.md).

Limits: the interior is the driver's (its teeth, not the target's); large head turns in the
driver are aligned away, not transferred; a jaw that drops further than the region margin is
held at the margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, read_image
from huafeng.portrait import mouth
from huafeng.portrait.faces import (
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE,
    LIPS_INNER,
    LIPS_OUTER,
    RIGHT_BROW,
    RIGHT_EYE,
    STABLE,
    DetectOptions,
    Face,
    detect_faces,
    eye_distance,
    require_landmarks,
)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
REGION_MARGIN = 0.12
"""How far (of the face's larger extent) the warped region reaches beyond the face oval: room for
the jaw to drop and the cheeks to widen, little enough that hair and background stay still."""


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


# ------------------------------------------------------------------------------ driving


def _face(rgb: np.ndarray, what: str, index: int | None = None) -> Face:
    face = detect_faces(rgb, DetectOptions(landmarks=True)).select(index, what=what)
    require_landmarks(face, f"{what}: expression transfer")
    return face


def _points(face: Face, what: str) -> np.ndarray:
    """The face's mesh with depth when there is one (``(478, 3)``), else ``(478, 2)``."""
    p3 = face.points3d
    return p3 if p3 is not None else require_landmarks(face, what)


def driver_landmarks(
    driver: str | Path, max_frames: int, smoothing: float
) -> tuple[list[np.ndarray], float | None, list[mouth.MouthSource]]:
    """Landmarks per driver frame (image: one; video: up to ``max_frames``), the video's fps, and
    each frame's mouth interior (cropped at once: the frames themselves are not kept)."""
    p = Path(driver)
    if not p.exists():
        raise InputError(f"{p}: driver not found")
    if p.suffix.lower() not in VIDEO_SUFFIXES:
        rgb = read_image(p).rgb
        pts = _points(_face(rgb, str(p)), str(p))
        return [pts], None, [mouth.mouth_source(rgb, pts[:, :2])]
    from huafeng import videoio  # PyAV: the video extra

    fps = videoio.probe_video(p).fps
    out: list[np.ndarray] = []
    mouths: list[mouth.MouthSource] = []
    prev: np.ndarray | None = None
    for i, frame in enumerate(videoio.read_video_frames(p, max_frames=max_frames)):
        det = detect_faces(frame.rgb, DetectOptions(landmarks=True))
        found = None
        if det.faces and det.faces[0].landmarks is not None:
            found = _points(det.faces[0], str(p))
        if found is None:
            if prev is None:
                raise InputError(f"{p}: no face found in frame {i} of the driver video")
            lm = prev  # a blink of a missed detection: hold the last expression
            mouths.append(mouths[-1])
        else:
            lm = found
            mouths.append(mouth.mouth_source(frame.rgb, lm[:, :2]))
        prev = lm if prev is None else (smoothing * prev + (1.0 - smoothing) * lm).astype(np.float32)
        out.append(prev)
    return out, fps, mouths


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
    d_lms, d_fps, mouths = driver_landmarks(
        driver, opts.max_frames, opts.smoothing
    )  # a bad driver fails first
    t_pts = _points(_face(rgb, "target", opts.face_index), "target")
    t_lm = np.ascontiguousarray(t_pts[:, :2])
    ref = None
    if neutral is not None:
        ref = _points(_face(read_image(neutral).rgb, str(neutral)), str(neutral))
    elif d_fps is not None:
        ref = d_lms[0]  # a video's first frame is its neutral
    disps = [displacement(t_pts, d, ref) * np.float32(opts.strength) for d in d_lms]
    if ref is None:  # driver compared with the target: drop the face-shape part (see `expressive`)
        disps = [expressive(dv, t_lm) for dv in disps]
    if d_fps is None:
        steps = [(float(wt), disps[0], mouths[0]) for wt in ramp(opts.frames)]
        fps = opts.fps
    else:
        steps = [(1.0, dv, m) for dv, m in zip(disps, mouths, strict=True)]
        fps = d_fps
    goals = [t_lm + wt * dv for wt, dv, _ in steps]
    frames = _render(rgb, t_lm, goals, [m for _, _, m in steps])
    result_frames = [target.with_rgb(f) for f in frames]
    mags = [wt * float(np.abs(dv).mean()) for wt, dv, _ in steps]
    peak = int(np.argmax(mags))
    for f in result_frames:
        f.duration_ms = round(1000 / fps)
    return ExpressionResult(result_frames, fps, t_lm, goals[peak].astype(np.float32), peak)


def _render(
    rgb: np.ndarray, t_lm: np.ndarray, goals: list[np.ndarray], mouths: list[mouth.MouthSource]
) -> list[np.ndarray]:
    """Warp the target to each goal inside the face region, then give each opening its interior."""
    size = (rgb.shape[1], rgb.shape[0])
    boundary = face_region(t_lm, goals, size)
    inside = region_mask(boundary, rgb.shape[:2])
    tris = delaunay(np.concatenate([_part_lips(t_lm), boundary]), size)
    skin, lips, t_open = mouth.skin_lab(rgb, t_lm), mouth.lip_lab(rgb, t_lm), mouth.opening(t_lm)
    frames = []
    for goal, src in zip(goals, mouths, strict=True):
        goal = unfold(t_lm, goal, tris, boundary)
        warped = warp_points(rgb, t_lm, goal, tris, anchors=boundary)
        frame = np.where(inside[..., None], warped, rgb)  # outside the region: the target's own pixels
        weight = mouth.interior_weight(mouth.opening(goal), t_open)
        frames.append(mouth.paste_mouth(frame, goal, src, skin, lips, weight))
    return frames


def _signed_areas(pts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    return np.asarray((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))


def unfold(
    rest: np.ndarray, goal: np.ndarray, tris: np.ndarray, anchors: np.ndarray, rounds: int = 12
) -> np.ndarray:
    """``goal`` with the motion of the points around any folded triangle halved until none folds.

    A triangle whose corners swap sides in the goal (a lip corner passing the skin beside it)
    maps its pixels mirrored: torn-looking shards at the mouth and jaw. Only mesh points move;
    the region's anchors (indices past the mesh) are fixed anyway.
    """
    n = len(rest)
    mesh = tris
    # the slivers between a closed mouth's upper and lower lip lines flip when it opens: that is
    # the opening (the interior is pasted there), not a fold
    inner = (
        np.isin(mesh, np.array(LIPS_INNER)).sum(axis=1) >= 2
        if n > max(LIPS_INNER)
        else np.zeros(len(mesh), bool)
    )
    src = np.concatenate([rest, anchors]).astype(np.float32)
    before = _signed_areas(src, mesh)
    tiny = np.abs(before) < 0.002 * float(np.ptp(rest, axis=0).max()) ** 2
    check = ~inner & ~tiny
    out = np.concatenate([goal, anchors]).astype(np.float32)
    for _ in range(rounds):
        after = _signed_areas(out, mesh)
        bad = check & (np.sign(after) != np.sign(before))
        if not bad.any():
            break
        v = np.unique(mesh[bad])
        v = v[v < n]  # anchors stay where they are
        out[v] = src[v] + 0.5 * (out[v] - src[v])
    return out[:n]


_UPPER_INNER = (191, 80, 81, 82, 13, 312, 311, 310, 415)
_LOWER_INNER = (95, 88, 178, 87, 14, 317, 402, 318, 324)


def _part_lips(lm: np.ndarray) -> np.ndarray:
    """Landmarks with a closed mouth's inner lip lines half a pixel apart, for triangulating only.

    On a closed mouth the upper and lower inner lip points coincide; Delaunay keeps one of each
    pair, so the lower lip moved with the upper one and tore the chin when the mouth opened.
    """
    out = lm.astype(np.float32).copy()
    if len(out) > max(LIPS_INNER):
        out[list(_UPPER_INNER), 1] -= 0.5
        out[list(_LOWER_INNER), 1] += 0.5
    return out


def change_outside_face(frame: np.ndarray, target: np.ndarray, t_lm: np.ndarray, goal: np.ndarray) -> float:
    """Mean absolute change (0..255) of the pixels outside the face region: 0 means hair, ears and
    background did not move."""
    boundary = face_region(t_lm, [goal], (target.shape[1], target.shape[0]))
    outside = ~region_mask(boundary, target.shape[:2])
    if not outside.any():
        return 0.0
    return float(np.abs(frame.astype(np.int16) - target.astype(np.int16))[outside].mean())


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
