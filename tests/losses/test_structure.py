"""The training batch's SSIM-Y (torch) is the benchmarks' SSIM-Y (numpy, OpenCV) on the same images."""

from __future__ import annotations

import numpy as np
import torch

from huafeng.eval.ssim import luma, ssim
from huafeng.losses import ssim_luma


def _pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64]
    a = np.stack([np.sin(xx / 5.0), np.cos(yy / 7.0), np.sin((xx + yy) / 9.0)], -1) * 0.4 + 0.5
    b = np.clip(a + rng.normal(0, 0.08, a.shape), 0, 1)
    return a.astype(np.float32), b.astype(np.float32)


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x.transpose(2, 0, 1))[None]


def test_torch_ssim_matches_the_graders() -> None:
    a, b = _pair()
    want = ssim(luma(a), luma(b))
    got = float(ssim_luma(_t(a), _t(b))[0])
    assert 0.2 < want < 0.95
    assert abs(got - want) < 1e-4


def test_identical_images_score_one_and_noise_scores_less() -> None:
    a, b = _pair()
    same = ssim_luma(torch.cat([_t(a), _t(a)]), torch.cat([_t(a), _t(b)]))
    assert same.shape == (2,)
    assert abs(float(same[0]) - 1) < 1e-5 and float(same[1]) < 0.95
