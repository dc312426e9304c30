"""Face detection: both back ends, many faces, tiny faces, grey images, the mediapipe shims."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import Image
from huafeng.portrait import DetectOptions, _mediapipe, detect_faces, faces
from tests.portrait.conftest import needs_mediapipe


@needs_mediapipe
def test_mesh_polygons_follow_mediapipe_topology() -> None:
    conn = _mediapipe.require("test").solutions.face_mesh_connections
    for poly, edges in [
        (faces.FACE_OVAL, conn.FACEMESH_FACE_OVAL),
        (faces.LIPS_OUTER, conn.FACEMESH_LIPS),
        (faces.LIPS_INNER, conn.FACEMESH_LIPS),
        (faces.LEFT_EYE, conn.FACEMESH_LEFT_EYE),
        (faces.RIGHT_EYE, conn.FACEMESH_RIGHT_EYE),
    ]:
        es = {frozenset(e) for e in edges}
        assert all(frozenset((poly[i], poly[(i + 1) % len(poly)])) in es for i in range(len(poly)))


@needs_mediapipe
def test_mediapipe_finds_the_face_with_a_mesh_inside_its_box(astronaut: Image) -> None:
    det = detect_faces(astronaut.rgb)
    assert det.backend == "mediapipe" and len(det) == 1
    face = det.faces[0]
    assert face.score > 0.8 and face.landmarks is not None and face.landmarks.shape == (478, 2)
    x, y, w, h = face.box
    inside = (
        (face.landmarks[:, 0] >= x - 0.2 * w)
        & (face.landmarks[:, 0] <= x + 1.2 * w)
        & (face.landmarks[:, 1] >= y - 0.3 * h)
        & (face.landmarks[:, 1] <= y + 1.2 * h)
    )
    assert inside.mean() > 0.98


def test_opencv_fallback_finds_the_face(astronaut: Image) -> None:
    det = detect_faces(astronaut.rgb, DetectOptions(backend="opencv"))
    assert det.backend == "opencv" and len(det) == 1 and det.faces[0].landmarks is None
    w = det.faces[0].box[2]
    assert 0.1 * astronaut.size[0] < w < 0.5 * astronaut.size[0]


@pytest.mark.parametrize("backend", ["auto", "opencv"])
def test_many_faces_are_sorted_largest_first_and_selectable(group: Image, backend: str) -> None:
    if backend == "auto" and not _mediapipe.available():
        pytest.skip("mediapipe not installed")
    det = detect_faces(group.rgb, DetectOptions(backend=backend))  # type: ignore[arg-type]
    assert len(det) >= 3
    areas = [f.area for f in det.faces]
    assert areas == sorted(areas, reverse=True)
    assert det.select() is det.faces[0] and det.select(2) is det.faces[2]
    with pytest.raises(InputError, match=r"--face-index 99 is out of range; \d+ face\(s\) found"):
        det.select(99)


def test_tiny_faces_are_set_apart_with_a_message(astronaut: Image) -> None:
    det = detect_faces(astronaut.rgb, DetectOptions(min_size=400))
    assert len(det) == 0 and len(det.tiny) == 1
    with pytest.raises(InputError, match="all are tiny"):
        det.select()


def test_grey_image_has_no_face(grey: np.ndarray) -> None:
    det = detect_faces(grey)
    assert len(det) == 0
    with pytest.raises(InputError, match="no face found"):
        det.select(what="grey.png")


@pytest.mark.parametrize(
    "bad", [np.zeros((8, 8, 3), np.uint8), np.zeros((50, 50), np.uint8), np.zeros((50, 50, 3), np.float32)]
)
def test_bad_arrays_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(InputError):
        detect_faces(bad)


def test_without_mediapipe_landmarks_name_the_extra(
    monkeypatch: pytest.MonkeyPatch, astronaut: Image
) -> None:
    monkeypatch.setattr(_mediapipe, "load", lambda: None)
    det = detect_faces(astronaut.rgb)  # auto falls back to OpenCV
    assert det.backend == "opencv" and len(det) == 1
    with pytest.raises(InputError, match=r"needs mediapipe.*huafeng\[faces\]"):
        faces.require_landmarks(det.faces[0], "try-on")
    with pytest.raises(InputError, match="needs mediapipe"):
        detect_faces(astronaut.rgb, DetectOptions(backend="mediapipe"))


def test_options_are_checked() -> None:
    with pytest.raises(InputError):
        DetectOptions(min_score=2.0)
    with pytest.raises(InputError):
        DetectOptions(backend="dlib")  # type: ignore[arg-type]
