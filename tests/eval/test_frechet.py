"""Fréchet distance (FID-like) and ArtFID-like: known values, self-distance, growth with noise."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.eval.frechet import (
    FeatureSet,
    FrechetDistance,
    artfid,
    fid_from_features,
    frechet_distance,
    gaussian_stats,
)


def test_matches_scipy_sqrtm_formula(rng: np.random.Generator) -> None:
    """The eigen-decomposition route equals pytorch-fid's scipy.linalg.sqrtm formula."""
    linalg = pytest.importorskip("scipy.linalg")
    a, b = rng.normal(size=(60, 24)), rng.normal(size=(50, 24)) * 1.3 + 0.2
    m1, s1 = gaussian_stats(a)
    m2, s2 = gaussian_stats(b)
    covmean = linalg.sqrtm(s1 @ s2).real
    ref = float(np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * covmean))
    assert frechet_distance(m1, s1, m2, s2) == pytest.approx(ref, rel=1e-6)


def test_closed_form_for_isotropic_gaussians() -> None:
    """N(0, I) vs N(mu, 4I) in d dims: |mu|^2 + d (1 + 4 - 2*2) = |mu|^2 + d."""
    d = 5
    mu = np.full(d, 0.5)
    assert frechet_distance(np.zeros(d), np.eye(d), mu, 4 * np.eye(d)) == pytest.approx(0.25 * d + d)


def test_low_rank_route_equals_the_full_formula(rng: np.random.Generator) -> None:
    a, b = rng.normal(size=(12, 40)), rng.normal(size=(7, 40)) * 0.8 + 0.1
    full = frechet_distance(*gaussian_stats(a), *gaussian_stats(b))
    assert fid_from_features(a, b) == pytest.approx(full, rel=1e-6)
    assert fid_from_features(b, a) == pytest.approx(full, rel=1e-6)  # symmetric


def test_self_is_zero_and_grows_with_noise(rng: np.random.Generator) -> None:
    # rank-deficient like real use: fewer vectors than dimensions
    x = rng.normal(size=(20, 128))
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-8)
    dists = [fid_from_features(x, x + rng.normal(0, s, x.shape)) for s in (0.1, 0.5, 1.0)]
    assert 0 < dists[0] < dists[1] < dists[2]


def test_on_real_features_and_needs_two(chelsea: np.ndarray, coffee: np.ndarray) -> None:
    imgs = [chelsea, coffee, chelsea[::-1].copy()]
    ref = FeatureSet.from_images(imgs)
    assert ref.pooled.shape == (3, 1280)
    assert FrechetDistance().evaluate(imgs, style=ref).value == pytest.approx(0.0, abs=1e-6)
    noisy = [
        np.clip(i + np.random.default_rng(0).normal(0, 40, i.shape), 0, 255).astype(np.uint8) for i in imgs
    ]
    assert FrechetDistance().evaluate(noisy, style=ref).value > 1.0
    with pytest.raises(ValueError, match="at least 2"):
        fid_from_features(ref.pooled[:1], ref.pooled)


def test_artfid_combination() -> None:
    assert artfid(0.0, 0.0) == 1.0
    assert artfid(0.5, 9.0) == pytest.approx(15.0)
    assert np.isnan(artfid(float("nan"), 1.0))
