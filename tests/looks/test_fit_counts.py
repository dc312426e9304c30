"""``look learn`` works for any number of photos of any sizes (it crashed for 7, 9, 11, 13, 33, 43, 49 …):
the look's and the reference's colour samples used to differ in count, and sliced transport pairs
them one to one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huafeng.imageio import Image
from huafeng.looks.fit import FitCfg, fit_look
from huafeng.looks.reference import default_reference

FAST = FitCfg(iterations=2, samples=3000)


def _photos(n: int, seed: int) -> list[Image]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = int(rng.integers(24, 90)), int(rng.integers(24, 90))
        rgb = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        if i % 3 == 0:  # a greyscale photo among colour ones
            rgb[..., 1] = rgb[..., 2] = rgb[..., 0]
        out.append(Image(rgb=rgb))
    return out


@pytest.mark.parametrize("n", [3, 7, 9, 11, 13, 33, 43, 49])
def test_counts_that_crashed(n: int) -> None:
    fit = fit_look(default_reference(), _photos(n, n), FAST)
    assert np.isfinite(fit.lut.table).all()


@settings(max_examples=12, deadline=None)
@given(n_look=st.integers(3, 60), n_ref=st.integers(1, 25), seed=st.integers(0, 99))
def test_any_count_against_photos(n_look: int, n_ref: int, seed: int) -> None:
    fit = fit_look(_photos(n_ref, seed + 1), _photos(n_look, seed), FAST)
    assert np.isfinite(fit.lut.table).all()
