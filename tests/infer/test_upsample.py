"""Reduced-resolution rendering: the guided lift and when the engine uses it."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.imageio import resize, to_float
from huafeng.infer import upsample
from huafeng.infer.engine import StylizeOptions, Stylizer

from .conftest import Models


def _photo(h: int = 512, w: int = 640) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 255) // w, (yy * 255) // h, ((xx // 32 + yy // 32) % 2) * 200], -1)
    return rgb.astype(np.uint8)


def test_a_flat_style_stays_flat_and_edges_come_back() -> None:
    photo = to_float(_photo())
    small = to_float(resize(_photo(), (320, 256)))
    flat = np.full_like(small, 0.3)
    assert np.abs(upsample.guided_upsample(photo, small, flat) - 0.3).max() < 1e-3
    # the identity "style": the lift returns the full-resolution photo, sharper than a resize
    lifted = upsample.guided_upsample(photo, small, small)
    resized = to_float(resize((small * 255).astype(np.uint8), (640, 512)))
    assert np.abs(lifted - photo).mean() < 0.5 * np.abs(resized - photo).mean()


def test_small_size_rules() -> None:
    assert upsample.small_size(1024, 1024, 1.0) is None
    assert upsample.small_size(1024, 768, 0.5, multiple=4) == (384, 512)  # (width, height)
    assert upsample.small_size(300, 400, 0.5) == (341, 256)  # never below 256 px on the short side
    assert upsample.small_size(260, 400, 0.5) is None  # nearly that already: run whole
    assert upsample.small_size(512, 2048, 0.25) == (1024, 256)


def test_engine_runs_the_model_small_and_returns_full_size(
    models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    st = Stylizer(str(models.conv))
    seen: list[tuple[int, ...]] = []
    sess = st._session(None)
    real = sess.run
    monkeypatch.setattr(sess, "run", lambda x, s=None: seen.append(x.shape) or real(x, s))
    out = st.stylize_array(_photo(), StylizeOptions(render_scale=0.5))
    assert out.shape == (512, 640, 3) and len(seen) == 1
    st.stylize_array(_photo(), StylizeOptions())  # the model's metadata says nothing: full size
    (small, full) = seen  # the engine adds the same edge margin to both
    assert full[2] - small[2] == 256 and full[3] - small[3] == 320
    with pytest.raises(InputError, match="render_scale"):
        StylizeOptions(render_scale=0.05)
