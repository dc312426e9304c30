"""Expression transfer: the warp's geometry, and landmarks moving toward the driver's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import Image, write_image
from huafeng.portrait.expression import (
    ExpressionOptions,
    delaunay,
    displacement,
    landmark_error,
    ramp,
    similarity,
    transfer_expression,
    warp_points,
)
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
