"""Temporal warping error (Lai et al. 2018): zero for a consistent video, larger with flicker."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.eval.temporal import pan_frames, warping_error


def test_pan_frames_shift_by_the_given_step(chelsea: np.ndarray) -> None:
    frames = pan_frames(chelsea, 3, 4, 96)
    assert [f.shape for f in frames] == [(96, 96, 3)] * 3
    assert np.array_equal(frames[0][:, 4:], frames[1][:, :-4])


def test_consistent_video_scores_near_zero_flicker_scores_high(chelsea: np.ndarray) -> None:
    frames = pan_frames(chelsea, 4, 3, 128)
    still, _ = warping_error(frames, frames, side=128)
    assert still < 1e-3
    rng = np.random.default_rng(0)
    # independent noise per frame = texture that does not follow the motion
    flicker = [np.clip(f + rng.normal(0, 20, f.shape), 0, 255).astype(np.uint8) for f in frames]
    noisy, pairs = warping_error(flicker, frames, side=128)
    assert len(pairs) == 3 and noisy > 10 * still
    # a global colour change that follows the motion is not flicker
    tinted = [np.clip(f.astype(int) // 2 + 60, 0, 255).astype(np.uint8) for f in frames]
    assert warping_error(tinted, frames, side=128)[0] < noisy / 5


def test_needs_matching_sequences(chelsea: np.ndarray) -> None:
    with pytest.raises(ValueError, match=">= 2"):
        warping_error([chelsea], [chelsea])
