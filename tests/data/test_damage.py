"""Simulated damage: reproducible per seed, never an empty mask, undamaged pixels untouched."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.data.damage import DAMAGES, DamageCfg, is_held_out, simulate
from huafeng.errors import InputError


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A smooth gradient with some texture: any change made by the simulator is detectable."""
    yy, xx = np.mgrid[0:96, 0:128]
    rgb = np.stack([xx * 2, yy * 2, (xx + yy) % 200], -1).astype(np.uint8)
    return rgb


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_deterministic_per_seed_and_mask_is_exact(photo: np.ndarray, seed: int) -> None:
    a, b = simulate(photo, seed), simulate(photo, seed)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert a.kinds == b.kinds
    assert a.mask.dtype == np.uint8 and set(np.unique(a.mask)) <= {0, 1}
    assert a.mask.any(), "the mask must never be empty"
    keep = a.mask == 0
    np.testing.assert_array_equal(a.image[keep], photo[keep])  # outside the mask: the input, exactly
    assert (a.image[a.mask == 1] != photo[a.mask == 1]).any()  # inside: actually damaged


def test_different_seeds_differ(photo: np.ndarray) -> None:
    masks = [simulate(photo, s).mask for s in range(4)]
    assert len({m.tobytes() for m in masks}) == 4


@pytest.mark.parametrize("kind", sorted(DAMAGES))
def test_every_kind_marks_pixels(photo: np.ndarray, kind: str) -> None:
    cfg = DamageCfg(kinds=(kind,), min_events=1, max_events=1)
    d = simulate(photo, 3, cfg)
    assert d.kinds == (kind,) and 0 < d.coverage < 0.6


def test_coverage_is_bounded(photo: np.ndarray) -> None:
    cfg = DamageCfg(min_events=8, max_events=8, max_coverage=0.1)
    covs = [simulate(photo, s, cfg).coverage for s in range(6)]
    assert max(covs) < 0.45  # stops adding events once the cap is passed (one event may overshoot)
    assert all(c > 0 for c in covs)


def test_bad_input() -> None:
    with pytest.raises(InputError, match="uint8"):
        simulate(np.zeros((32, 32, 3), np.float32), 0)
    with pytest.raises(InputError, match="too small"):
        simulate(np.zeros((8, 32, 3), np.uint8), 0)
    with pytest.raises(InputError, match="unknown damage"):
        DamageCfg(kinds=("fire",))


def test_holdout_split_is_stable_and_about_one_in_ten() -> None:
    names = [f"photo_{i}.jpg" for i in range(2000)]
    held = [n for n in names if is_held_out(n)]
    assert held == [n for n in names if is_held_out("/other/dir/" + n)]  # by name, not by folder
    assert 0.07 < len(held) / len(names) < 0.13
