"""Find faces: boxes, scores and (with mediapipe) the 478-point face mesh.

Two back ends, chosen by what is installed:

* **mediapipe** 0.10.14 (the ``faces`` extra): BlazeFace full-range detection (Bazarevsky et al.
  2019) for boxes and scores, plus the Face Mesh (Kartynnik et al. 2019, 468 points + 10 iris
  points with ``refine_landmarks``) for shapes. Masks that follow the face outline, lips, eyes
  and expression transfer need the mesh.
* **OpenCV Haar cascade** (Viola-Jones, shipped in ``cv2.data``): boxes only, frontal faces,
  no scores worth the name. Enough for face-box ellipses (identity protection), always there.

Detection runs on a copy at most :data:`DETECT_SIDE` px long: both detectors work on ~200 px
crops internally, so a 24 MP photo gains nothing but latency. Coordinates come back in the
input's pixels. Faces are sorted largest first, which is what "the face" means for a portrait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.portrait import _mediapipe

DETECT_SIDE = 1024
Backend = Literal["auto", "mediapipe", "opencv"]

# Face Mesh topology (mediapipe ``face_mesh_connections``), as ordered polygons. Checked against
# the connection sets in tests/portrait/test_faces.py.
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)  # fmt: skip
LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_BROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
RIGHT_BROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
#: Points that do not move with expression (eye corners, nose bridge, upper face outline):
#: similarity alignment between two faces is fitted on these alone.
STABLE = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 338, 109, 67, 297, 234, 454, 127, 356)


def eye_distance(lm: np.ndarray) -> float:
    """Distance between the outer eye corners of a Face Mesh (never 0): the face's own scale."""
    return max(1e-6, float(np.linalg.norm(lm[33] - lm[263])))


@dataclass(frozen=True)
class Face:
    """One detected face, in the input image's pixel coordinates."""

    box: tuple[int, int, int, int]
    """``(x, y, w, h)``."""
    score: float
    """Detector confidence in [0, 1] (Haar gives no probability: 1.0)."""
    landmarks: np.ndarray | None = field(default=None, compare=False, repr=False)
    """``(478, 2)`` float32 ``(x, y)`` Face Mesh points, or None without mediapipe."""
    depth: np.ndarray | None = field(default=None, compare=False, repr=False)
    """``(478,)`` float32 Face Mesh depth in the same pixel scale (smaller = nearer the camera):
    with it two faces can be aligned in 3D, so a turned head does not read as an expression."""

    @property
    def points3d(self) -> np.ndarray | None:
        """``(478, 3)`` landmarks with depth, or None."""
        if self.landmarks is None or self.depth is None:
            return None
        return np.concatenate([self.landmarks, self.depth[:, None]], axis=1).astype(np.float32)

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]

    @property
    def size(self) -> int:
        """The shorter side of the box: what "tiny" is measured by."""
        return min(self.box[2], self.box[3])

    def eye_distance(self) -> float:
        """Inter-ocular distance (outer eye corners), the scale for landmark errors."""
        if self.landmarks is None:
            return 0.4 * self.box[2]
        return eye_distance(self.landmarks)


@dataclass(frozen=True)
class DetectOptions:
    min_score: float = 0.5
    """BlazeFace confidence below which a detection is dropped (0.5 is mediapipe's default)."""
    min_size: int = 24
    """Faces whose box is shorter than this (px) are "tiny": too few pixels to protect or warp."""
    max_faces: int = 8
    landmarks: bool = True
    """Run the face mesh too (mediapipe only; silently skipped with the OpenCV back end)."""
    backend: Backend = "auto"

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise InputError(f"min_score must be between 0 and 1, got {self.min_score}")
        if self.min_size < 1 or self.max_faces < 1:
            raise InputError("min_size and max_faces must be at least 1")
        if self.backend not in ("auto", "mediapipe", "opencv"):
            raise InputError(f"unknown face detector {self.backend!r}; use auto, mediapipe or opencv")


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_faces` found: usable faces (largest first) and the tiny ones it dropped."""

    faces: tuple[Face, ...]
    tiny: tuple[Face, ...]
    size: tuple[int, int]
    backend: str
    min_size: int = DetectOptions.min_size

    def __len__(self) -> int:
        return len(self.faces)

    def select(self, index: int | None = None, *, what: str = "image") -> Face:
        """The face to work on: ``index`` into the largest-first list, default the largest.

        Every way this can fail gets its own one-line message, because "no face" has several
        causes a user can act on (a tiny face, a wrong index, a photo without a face).
        """
        if not self.faces:
            if self.tiny:
                biggest = max(f.size for f in self.tiny)
                raise InputError(
                    f"{what}: found {len(self.tiny)} face(s) but all are tiny (largest {biggest} px; "
                    f"at least {self.min_size} px needed): use a closer or larger photo"
                )
            raise InputError(f"{what}: no face found (a frontal, well-lit face works best)")
        if index is None:
            return self.faces[0]
        if not 0 <= index < len(self.faces):
            raise InputError(
                f"{what}: --face-index {index} is out of range; {len(self.faces)} face(s) found "
                f"(0 = largest ... {len(self.faces) - 1} = smallest)"
            )
        return self.faces[index]


def _check_rgb(rgb: np.ndarray) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        shape = getattr(rgb, "shape", None)
        raise InputError(f"expected an (H, W, 3) uint8 RGB image, got {getattr(rgb, 'dtype', '?')} {shape}")
    if min(rgb.shape[:2]) < 16:
        raise InputError(f"image is {rgb.shape[1]}x{rgb.shape[0]} px: too small to find a face in")


def _downscaled(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    f = min(1.0, DETECT_SIDE / max(h, w))
    if f == 1.0:
        return np.ascontiguousarray(rgb), 1.0
    small = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    return small, f


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def _box(
    x: float, y: float, w: float, h: float, f: float, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    x0, y0 = max(0, round(x / f)), max(0, round(y / f))
    x1, y1 = min(size[0], round((x + w) / f)), min(size[1], round((y + h) / f))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _detect_mediapipe(small: np.ndarray, f: float, size: tuple[int, int], opts: DetectOptions) -> list[Face]:
    sh, sw = small.shape[:2]
    boxes: list[tuple[tuple[int, int, int, int], float]] = []
    with _mediapipe.graph("face_detection", model_selection=1, min_detection_confidence=opts.min_score) as g:
        res = g.process(small)
    for d in res.detections or []:
        rb = d.location_data.relative_bounding_box
        boxes.append(
            (_box(rb.xmin * sw, rb.ymin * sh, rb.width * sw, rb.height * sh, f, size), float(d.score[0]))
        )
    meshes: list[np.ndarray] = []
    if opts.landmarks:
        with _mediapipe.graph(
            "face_mesh", max_num_faces=opts.max_faces, refine_landmarks=True, min_detection_confidence=0.3
        ) as g:
            mres = g.process(small)
        for lm in mres.multi_face_landmarks or []:
            pts = np.array([(p.x * sw, p.y * sh, p.z * sw) for p in lm.landmark], np.float32) / np.float32(f)
            meshes.append(pts)
    faces: list[Face] = []
    used: set[int] = set()
    for box, score in boxes:
        best, best_iou = None, 0.3  # a mesh belongs to a box when they overlap this much
        for i, pts in enumerate(meshes):
            if i in used:
                continue
            x0, y0 = pts[:, :2].min(0)
            x1, y1 = pts[:, :2].max(0)
            iou = _iou(box, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
            if iou > best_iou:
                best, best_iou = i, iou
        if best is not None:
            used.add(best)
        mesh = meshes[best] if best is not None else None
        if mesh is None and opts.landmarks:
            mesh = _mesh_in_crop(small, tuple(round(v * f) for v in box))  # type: ignore[arg-type]
            mesh = None if mesh is None else mesh / np.float32(f)
        faces.append(_with_mesh(box, score, mesh))
    for i, pts in enumerate(meshes):  # the mesh's own detector found a face BlazeFace missed
        if i not in used:
            x0, y0 = pts[:, :2].min(0)
            x1, y1 = pts[:, :2].max(0)
            box = _box(x0 * f, y0 * f, (x1 - x0) * f, (y1 - y0) * f, f, size)
            faces.append(_with_mesh(box, opts.min_score, pts))
    return faces


def _with_mesh(box: tuple[int, int, int, int], score: float, mesh: np.ndarray | None) -> Face:
    if mesh is None:
        return Face(box, score)
    return Face(box, score, np.ascontiguousarray(mesh[:, :2]), np.ascontiguousarray(mesh[:, 2]))


def _mesh_in_crop(small: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """Face mesh on a 2x crop around ``box``: the mesh's own short-range detector misses faces
    that are small in the frame (group photos) which BlazeFace full-range did find."""
    x, y, w, h = box
    side = int(2.0 * max(w, h))
    cx, cy = x + w // 2, y + h // 2
    x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
    crop = small[y0 : y0 + side, x0 : x0 + side]
    if min(crop.shape[:2]) < 16:
        return None
    scale = 256.0 / max(crop.shape[:2])
    crop = cv2.resize(
        crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    )
    with _mediapipe.graph(
        "face_mesh", max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.3
    ) as g:
        res = g.process(np.ascontiguousarray(crop))
    if not res.multi_face_landmarks:
        return None
    ch, cw = crop.shape[:2]
    pts = np.array([(p.x * cw, p.y * ch, p.z * cw) for p in res.multi_face_landmarks[0].landmark], np.float32)
    return pts / np.float32(scale) + np.array([x0, y0, 0.0], np.float32)


_cascades: dict[str, cv2.CascadeClassifier] = {}


def _cascade(name: str) -> cv2.CascadeClassifier:
    if name not in _cascades:
        path = str(cv2.data.haarcascades) + name  # type: ignore[attr-defined]
        c = cv2.CascadeClassifier(path)
        if c.empty():
            raise InputError(f"OpenCV's cascade {name} is missing; reinstall opencv-python-headless<5")
        _cascades[name] = c
    return _cascades[name]


def _detect_opencv(small: np.ndarray, f: float, size: tuple[int, int], opts: DetectOptions) -> list[Face]:
    """Viola-Jones faces, each checked for an eye in its upper part.

    The frontal-face cascade alone fires on helmets and collars (measured: 2 boxes on the
    astronaut at 320 px, the larger one wrong). A face with an eye found gets score 1.0, one
    without 0.5; unverified boxes are dropped when any box is verified.
    """
    grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    min_side = max(12, int(opts.min_size * f * 0.8))
    found = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        grey, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side)
    )
    eyes = _cascade("haarcascade_eye.xml")
    faces: list[Face] = []
    for x, y, w, h in np.asarray(found).reshape(-1, 4):
        roi = grey[y : y + int(0.6 * h), x : x + w]
        eye_side = max(4, int(w) // 10)
        seen = len(eyes.detectMultiScale(roi, scaleFactor=1.1, minNeighbors=3, minSize=(eye_side, eye_side)))
        faces.append(Face(_box(x, y, w, h, f, size), 1.0 if seen else 0.5))
    if any(fc.score == 1.0 for fc in faces):
        faces = [fc for fc in faces if fc.score == 1.0]
    return faces


def detect_faces(rgb: np.ndarray, opts: DetectOptions | None = None) -> Detection:
    """Detect faces in a uint8 RGB image; largest first, tiny ones set apart."""
    opts = opts or DetectOptions()
    _check_rgb(rgb)
    size = (rgb.shape[1], rgb.shape[0])
    small, f = _downscaled(rgb)
    backend = opts.backend
    if backend == "auto":
        backend = "mediapipe" if _mediapipe.available() else "opencv"
    if backend == "mediapipe":
        _mediapipe.require("face detection")
        found = _detect_mediapipe(small, f, size, opts)
    else:
        found = _detect_opencv(small, f, size, opts)
    found.sort(key=lambda face: face.area, reverse=True)
    faces = tuple(fc for fc in found if fc.size >= opts.min_size)[: opts.max_faces]
    tiny = tuple(fc for fc in found if fc.size < opts.min_size)
    return Detection(faces, tiny, size, backend, opts.min_size)


def require_landmarks(face: Face, what: str) -> np.ndarray:
    """The face's mesh, or the one-line error saying which extra provides it."""
    if face.landmarks is None:
        _mediapipe.require(what)  # raises when mediapipe is missing
        raise InputError(f"{what}: the face mesh found no landmarks on this face (try a more frontal photo)")
    return face.landmarks
