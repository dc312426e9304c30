"""Expression transfer: the warp's geometry, and landmarks moving toward the driver's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import Image, write_image
from huafeng.portrait.expression import ExpressionOptions, landmark_error, ramp, transfer_expression
from huafeng.portrait.face_warp import delaunay, displacement, similarity, warp_points
from tests.portrait.conftest import needs_mediapipe


def _grid_points(n: int = 6, size: int = 120) -> np.ndarray:
    g = np.linspace(30, size - 30, n)
    return np.array([(x, y) for y in g for x in g], np.float32)


def test_identity_warp_is_identity(rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (120, 120, 3), dtype=np.uint8)
    pts = _grid_points()
    out = warp_points(img, pts, pts)
    assert np.abs(out.astype(int) - img).max() <= 1


def test_warp_moves_content_from_source_to_destination() -> None:
    img = np.zeros((120, 120, 3), np.uint8)
    img[58:63, 58:63] = 255  # a dot at (60, 60)
    src = _grid_points(5)
    dst = src.copy()
    centre = int(np.argmin(np.linalg.norm(src - 60, axis=1)))
    dst[centre] += (8, -6)
    out = warp_points(img, src, dst)
    ys, xs = np.nonzero(out[..., 0] > 128)
    assert abs(xs.mean() - 68) < 1.5 and abs(ys.mean() - 54) < 1.5


def test_delaunay_covers_points_without_duplicates() -> None:
    pts = np.concatenate([_grid_points(), _grid_points()[:3]])  # duplicates (closed lips) are fine
    tris = delaunay(pts, (120, 120))
    assert len(tris) >= 2 * 25 and tris.max() < len(pts)


def test_similarity_removes_pose() -> None:
    pts = np.random.default_rng(1).uniform(0, 100, (478, 2)).astype(np.float32)
    a = np.deg2rad(20)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * 1.7
    moved = (pts @ rot.T + (30, -12)).astype(np.float32)
    assert np.abs(displacement(pts, moved)).max() < 1e-2  # same shape, other pose: no expression
    np.testing.assert_allclose(similarity(moved, pts)[:, :2] @ rot, np.eye(2), atol=1e-3)


def test_ramp_goes_zero_one_zero() -> None:
    r = ramp(24)
    assert r[0] == 0.0 and r.max() == pytest.approx(1.0) and int(np.argmax(r)) == 12
    np.testing.assert_allclose(r[1:12], r[13:][::-1], atol=1e-6)


@needs_mediapipe
def test_warp_moves_target_landmarks_toward_the_driver(
    astronaut: Image, smiling: Image, tmp_path: Path
) -> None:
    driver = write_image(tmp_path / "driver.png", smiling)
    res = transfer_expression(astronaut, driver, ExpressionOptions(frames=4))
    assert len(res.frames) == 4 and res.peak == 2
    eye = float(np.linalg.norm(res.target_landmarks[33] - res.target_landmarks[263]))
    before = float(np.linalg.norm(res.target_landmarks - res.goal, axis=1).mean() / eye)
    after = landmark_error(res.frames[res.peak].rgb, res.goal, eye)
    assert before > 0.02  # the driver's expression differs from the target's
    assert after < 0.6 * before
    assert (
        np.array_equal(res.frames[0].rgb, astronaut.rgb)
        or np.abs(res.frames[0].rgb.astype(int) - astronaut.rgb).max() <= 1
    )


@needs_mediapipe
def test_video_driver_keeps_frame_count_and_fps(astronaut: Image, smiling: Image, tmp_path: Path) -> None:
    videoio = pytest.importorskip("huafeng.videoio")
    pytest.importorskip("av")
    clip = tmp_path / "driver.mp4"
    videoio.write_video(clip, [smiling] * 3, 10)
    res = transfer_expression(astronaut, clip, ExpressionOptions())
    assert len(res.frames) == 3 and res.fps == pytest.approx(10)
    # a constant driver has no expression change against its own first frame
    assert max(np.abs(f.rgb.astype(int) - astronaut.rgb).mean() for f in res.frames) < 1.0


@needs_mediapipe
def test_driver_without_a_face(astronaut: Image, grey: np.ndarray, tmp_path: Path) -> None:
    p = write_image(tmp_path / "grey.png", Image(grey))
    with pytest.raises(InputError, match="no face found"):
        transfer_expression(astronaut, p)
    with pytest.raises(InputError, match="driver not found"):
        transfer_expression(astronaut, tmp_path / "missing.png")


def test_options_are_checked() -> None:
    with pytest.raises(InputError):
        ExpressionOptions(frames=1)
    with pytest.raises(InputError):
        ExpressionOptions(strength=0)


def test_similarity3d_removes_a_head_turn() -> None:
    from huafeng.portrait.face_warp import similarity3d

    pts = np.random.default_rng(2).uniform(-50, 50, (478, 3)).astype(np.float32)
    a = np.deg2rad(35)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    turned = (pts @ rot.T) * 1.3 + np.array([10, -4, 2])
    m = similarity3d(turned.astype(np.float32), pts)
    back = turned @ m[:, :3].T + m[:, 3]
    assert np.abs(back - pts).max() < 1e-3


def test_expressive_keeps_face_shape_still() -> None:
    from huafeng.portrait.face_warp import EXPRESSIVE, expressive

    rng = np.random.default_rng(3)
    target = rng.uniform(0, 200, (478, 2)).astype(np.float32)
    skin = [
        i for i in range(478) if i not in EXPRESSIVE and i not in (152, 148, 176, 149, 150, 377, 400, 378)
    ]
    target[skin[:60]] += 400  # some skin far from everything expressive
    target[33], target[263] = (60, 80), (140, 80)
    disp = np.full((478, 2), 5.0, np.float32)
    out = expressive(disp, target)
    np.testing.assert_allclose(out[list(EXPRESSIVE)], 5.0)
    assert np.abs(out).max() <= 5.0 + 1e-5
    far = np.linalg.norm(target[:, None] - target[list(EXPRESSIVE)][None], axis=-1).min(axis=1) > 60
    assert np.abs(out[far]).max() < 0.5  # skin far from lips, eyes and jaw does not follow


def test_unfold_halves_motion_until_nothing_folds() -> None:
    from huafeng.portrait.expression import _signed_areas, unfold

    rest = np.array([[10, 10], [50, 10], [30, 40]], np.float32)
    anchors = np.array([[0, 0], [60, 0], [30, 60]], np.float32)
    tris = np.array([[0, 1, 2], [0, 1, 3], [1, 2, 4]], np.int32)
    goal = rest.copy()
    goal[2] = (30, -20)  # the top point passes through the opposite edge: a fold
    out = unfold(rest, goal, tris, anchors)
    pts = np.concatenate([out, anchors])
    before = _signed_areas(np.concatenate([rest, anchors]), tris)
    assert (np.sign(_signed_areas(pts, tris)) == np.sign(before)).all()
    assert out[2, 1] < 40  # still moved towards the goal


@needs_mediapipe
def test_open_mouth_gets_an_interior_and_nothing_outside_the_face_moves(
    astronaut: Image, smiling: Image, tmp_path: Path
) -> None:
    """Issue: an opening mouth was filled with stretched lip ("teeth" of skin), and the
    background was smeared into the cheek."""
    import cv2

    from huafeng.portrait import mouth
    from huafeng.portrait.expression import change_outside_face
    from huafeng.portrait.faces import LIPS_INNER

    driver = write_image(tmp_path / "driver.png", smiling)
    res = transfer_expression(astronaut, driver, ExpressionOptions(frames=4))
    peak = res.frames[res.peak].rgb
    assert change_outside_face(peak, astronaut.rgb, res.target_landmarks, res.goal) == 0.0
    assert mouth.opening(res.goal) > mouth.opening(res.target_landmarks) + mouth.MIN_OPENING
    inner = np.zeros(peak.shape[:2], np.uint8)
    cv2.fillPoly(inner, [np.round(res.goal[list(LIPS_INNER)]).astype(np.int32)], 1)
    inner = cv2.erode(inner, np.ones((3, 3), np.uint8)).astype(bool)
    hsv = cv2.cvtColor(peak, cv2.COLOR_RGB2HSV)[inner]
    teeth = (hsv[:, 2] > 150) & (hsv[:, 1] < 90)  # the driver's teeth: bright, unsaturated
    lip = cv2.cvtColor(astronaut.rgb, cv2.COLOR_RGB2HSV)
    assert teeth.mean() > 0.2, teeth.mean()
    assert hsv[:, 1].mean() < np.median(lip[..., 1]) + 60  # not the stretched red of the lips
