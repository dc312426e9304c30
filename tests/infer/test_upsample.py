"""The detail lift of reduced-resolution rendering (infer/upsample.py)."""

from __future__ import annotations

import cv2
import numpy as np

from huafeng.infer.upsample import detail_upsample, detail_upsample_u8, small_size


def _reference(photo: np.ndarray, small: np.ndarray, styled: np.ndarray, detail: float) -> np.ndarray:
    """The definition: upsampled style + detail × luma(photo − up(photo_small)), on all three channels."""
    h, w = photo.shape[:2]
    up = cv2.resize(styled, (w, h), interpolation=cv2.INTER_LINEAR)
    hi = photo - cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return up + detail * (hi @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]


def test_one_channel_lift_equals_the_three_channel_definition() -> None:
    rng = np.random.default_rng(0)
    photo = rng.random((203, 311, 3), dtype=np.float32)
    sw, sh = small_size(203, 311, 0.35, multiple=4, min_side=64) or (311, 203)
    small = cv2.resize(photo, (sw, sh), interpolation=cv2.INTER_AREA)
    styled = rng.random((sh, sw, 3), dtype=np.float32)
    for detail in (1.0, 0.5):
        got = detail_upsample(photo, small, styled, detail=detail)
        assert got.shape == photo.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, _reference(photo, small, styled, detail), atol=1e-5)


def test_the_lift_brings_back_the_photos_fine_luma_detail() -> None:
    """A grey photo with a one-pixel line: the small render cannot hold it, the lift restores it."""
    photo = np.full((256, 256, 3), 0.5, np.float32)
    photo[:, 128] = 0.9
    small = cv2.resize(photo, (64, 64), interpolation=cv2.INTER_AREA)
    lifted = detail_upsample(photo, small, small)
    plain = cv2.resize(small, (256, 256), interpolation=cv2.INTER_LINEAR)
    assert lifted[100, 128, 0] - lifted[100, 100, 0] > 0.3 > plain[100, 128, 0] - plain[100, 100, 0]


def test_the_uint8_lift_is_the_float_lift_to_within_one_grey_level() -> None:
    """The plain path finishes in uint8 (fused OpenCV kernels); it must not change the picture."""
    rng = np.random.default_rng(1)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (301, 407, 3), dtype=np.uint8), (0, 0), 1.5)
    sw, sh = small_size(301, 407, 0.3, multiple=4, min_side=64) or (407, 301)
    small = cv2.resize(photo, (sw, sh), interpolation=cv2.INTER_AREA)
    styled = rng.random((sh, sw, 3), dtype=np.float32) * 1.2 - 0.1  # the network overshoots [0, 1]
    for detail in (1.0, 0.4):  # a style's learnt amount of detail (huafeng.render_detail)
        got = detail_upsample_u8(photo, small, styled, detail=detail)
        ref = detail_upsample(
            photo.astype(np.float32) / 255, small.astype(np.float32) / 255, styled, detail=detail
        )
        ref8 = np.clip(ref * 255 + 0.5, 0, 255).astype(np.uint8)
        assert got.dtype == np.uint8 and got.shape == photo.shape
        assert int(np.abs(got.astype(int) - ref8.astype(int)).max()) <= 1
