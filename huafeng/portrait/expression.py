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

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, read_image
from huafeng.portrait import mouth
from huafeng.portrait.face_warp import (
    delaunay,
    displacement,
    expressive,
    face_region,
    region_mask,
    warp_points,
)
from huafeng.portrait.faces import (
    LIPS_INNER,
    DetectOptions,
    Face,
    detect_faces,
    require_landmarks,
)

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
