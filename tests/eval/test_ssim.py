"""SSIM: the properties Wang et al. (2004) guarantee, and agreement with a direct implementation."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from huafeng.eval.ssim import K1, K2, SIGMA, WINDOW, gaussian_window, luma, ssim, ssim_luma


def ssim_direct(x: np.ndarray, y: np.ndarray) -> float:
    """The paper's definition written out window by window (no filtering tricks, no shortcuts)."""
    g = gaussian_window(WINDOW, SIGMA)
    w = np.outer(g, g)
    c1, c2 = K1**2, K2**2
    vals = []
    for px, py in zip(
        sliding_window_view(x, (WINDOW, WINDOW)).reshape(-1, WINDOW, WINDOW),
        sliding_window_view(y, (WINDOW, WINDOW)).reshape(-1, WINDOW, WINDOW),
        strict=True,
    ):
        mx, my = (w * px).sum(), (w * py).sum()
        vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
        cov = (w * (px - mx) * (py - my)).sum()
        vals.append(((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(vals))


def test_window_is_matlab_fspecial() -> None:
    g = gaussian_window()
    assert g.shape == (11,) and g.sum() == pytest.approx(1.0)
    assert g[5] == g.max() and np.allclose(g, g[::-1])
    assert g[4] / g[5] == pytest.approx(np.exp(-1 / (2 * 1.5**2)))


def test_agrees_with_direct_definition(rng: np.random.Generator) -> None:
    x = rng.random((23, 29))
    y = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1)
    assert ssim(x, y) == pytest.approx(ssim_direct(x, y), abs=1e-10)


def test_identical_is_one_and_noise_lowers_it(chelsea: np.ndarray, rng: np.random.Generator) -> None:
    assert ssim_luma(chelsea, chelsea) == pytest.approx(1.0, abs=1e-12)
    scores = []
    for sigma in (4, 16, 48):
        noisy = np.clip(chelsea + rng.normal(0, sigma, chelsea.shape), 0, 255).astype(np.uint8)
        scores.append(ssim_luma(noisy, chelsea))
    assert 1.0 > scores[0] > scores[1] > scores[2] > 0.0


def test_symmetric_for_same_size_and_ignores_colour(chelsea: np.ndarray, coffee: np.ndarray) -> None:
    a = chelsea[:200, :300]
    b = coffee[:200, :300]
    assert ssim_luma(a, b) == pytest.approx(ssim_luma(b, a), abs=1e-12)
    # Swapping R and B changes colour; luma changes little, so SSIM-Y stays high but not 1.
    assert 0.6 < ssim_luma(a[..., ::-1].copy(), a) < 1.0


def test_luma_weights() -> None:
    px = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    assert np.allclose(luma(px)[0], [0.299, 0.587, 0.114])


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="smaller than"):
        ssim(np.zeros((5, 5)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="one size"):
        ssim(np.zeros((20, 20)), np.zeros((20, 21)))
    with pytest.raises(ValueError, match="uint8"):
        ssim_luma(np.zeros((20, 20, 3), np.float32), np.zeros((20, 20, 3), np.uint8))


def test_equals_scikit_image_within_1e6(chelsea: np.ndarray, coffee: np.ndarray) -> None:
    """Same settings as Wang et al.: Gaussian sigma 1.5, population covariance, data range 1."""
    skm = pytest.importorskip("skimage.metrics", reason="scikit-image is in the [eval] extra")
    from huafeng.eval.prep import pair_to_eval

    a, b = pair_to_eval(coffee, chelsea)  # two real photos at the evaluation size, one geometry
    x, y = luma(a), luma(b)
    ref = skm.structural_similarity(
        x, y, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim_luma(coffee, chelsea) == pytest.approx(ref, abs=1e-6)
    assert ssim_luma(chelsea, chelsea) == pytest.approx(1.0, abs=1e-12)
    noisy = np.clip(x + np.random.default_rng(1).normal(0, 0.05, x.shape), 0, 1)
    ref_noisy = skm.structural_similarity(
        x, noisy, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim(x, noisy) == pytest.approx(ref_noisy, abs=1e-6)
