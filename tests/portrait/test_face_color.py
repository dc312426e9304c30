"""--face-color tints the face with the style's palette; it must not repaint it (the "blue plastic face")."""

from __future__ import annotations

import cv2
import numpy as np

from huafeng.portrait.regions import FACE_SHIFT_MAX, face_color_only


def _ycc(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32)


def test_face_keeps_its_light_and_skin_texture_and_only_a_bounded_tint() -> None:
    rng = np.random.default_rng(0)
    skin = np.full((96, 96, 3), (205, 160, 135), np.float32) + rng.normal(0, 9, (96, 96, 3))
    photo = np.clip(skin, 0, 255).astype(np.uint8)
    styled = np.zeros_like(photo)
    styled[:] = (40, 70, 200)  # a flat blue style result
    weight = np.ones(photo.shape[:2], np.float32)
    out = face_color_only(photo, styled, weight)
    po, oo = _ycc(photo), _ycc(out)
    assert np.abs(oo[..., 0] - po[..., 0]).mean() < 3.0  # the light is the photo's
    assert oo[..., 1:].std((0, 1)).min() > 0.8 * po[..., 1:].std((0, 1)).min()  # chroma texture stays
    shift = np.abs(oo[..., 1:].mean((0, 1)) - po[..., 1:].mean((0, 1)))
    assert (shift > 3).all() and (shift <= FACE_SHIFT_MAX + 2).all()  # tinted towards blue, bounded
    assert out[..., 2].mean() > photo[..., 2].mean()  # towards the style's blue, not away


def test_outside_the_face_is_the_styled_result() -> None:
    photo = np.full((32, 32, 3), 180, np.uint8)
    styled = np.full((32, 32, 3), 60, np.uint8)
    weight = np.zeros((32, 32), np.float32)
    weight[8:24, 8:24] = 1
    out = face_color_only(photo, styled, weight)
    np.testing.assert_array_equal(out[weight == 0], styled[weight == 0])
