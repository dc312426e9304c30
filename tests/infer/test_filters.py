"""Every registered filter: contract (shape, dtype, range, determinism) and what its name promises."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.errors import UnknownNameError
from huafeng.imageio import to_float
from huafeng.infer.filters import FILTERS, apply_filters, list_filters


@pytest.fixture(scope="module")
def x(photo_rgb: np.ndarray) -> np.ndarray:
    return to_float(photo_rgb)


@pytest.mark.parametrize("name", FILTERS.names())
def test_filter_contract(name: str, x: np.ndarray) -> None:
    y = FILTERS.get(name)(x.copy())
    assert y.shape == x.shape
    assert y.dtype == np.float32
    assert np.isfinite(y).all()
    assert y.min() >= 0.0 and y.max() <= 1.0
    assert np.abs(y - x).mean() > 0.01, "a filter should visibly change a photo"
    np.testing.assert_array_equal(y, FILTERS.get(name)(x.copy()))  # same photo, same output


@pytest.mark.parametrize("name", FILTERS.names())
def test_filter_handles_tiny_and_flat_images(name: str) -> None:
    for img in (
        np.full((1, 1, 3), 0.5, np.float32),
        np.zeros((7, 5, 3), np.float32),
        np.ones((9, 16, 3), np.float32),
    ):
        y = FILTERS.get(name)(img)
        assert y.shape == img.shape and np.isfinite(y).all() and 0.0 <= y.min() <= y.max() <= 1.0


def test_filter_does_not_modify_its_input(x: np.ndarray) -> None:
    for name in FILTERS.names():
        before = x.copy()
        FILTERS.get(name)(x)
        np.testing.assert_array_equal(x, before, err_msg=name)


def test_bw_is_grey_with_luma_order_kept(x: np.ndarray) -> None:
    y = FILTERS.get("bw")(x)
    np.testing.assert_array_equal(y[..., 0], y[..., 1])
    np.testing.assert_array_equal(y[..., 1], y[..., 2])
    luma = x @ np.array([0.299, 0.587, 0.114], np.float32)
    assert np.corrcoef(luma.ravel(), y[..., 0].ravel())[0, 1] > 0.98


def test_sepia_is_warm_and_monotone(x: np.ndarray) -> None:
    y = FILTERS.get("sepia")(x)
    r, g, b = (y[..., c].mean() for c in range(3))
    assert r > g > b
    grey = np.full((4, 4, 3), 0.5, np.float32)
    out = FILTERS.get("sepia")(grey)[0, 0]
    assert out[0] > out[1] > out[2]  # a neutral grey turns brown
    white = FILTERS.get("sepia")(np.ones((2, 2, 3), np.float32))[0, 0]
    assert white[0] == pytest.approx(1.0, abs=1e-5)  # highlights not clipped to flat white


def test_fade_lifts_blacks_and_lowers_whites() -> None:
    ramp = np.repeat(np.linspace(0, 1, 32, dtype=np.float32)[None, :, None], 3, axis=2)
    y = FILTERS.get("fade")(ramp)
    assert y[0, 0].min() > 0.05 and y[0, -1].max() < 0.97


def test_grain_depends_on_content_not_on_call(x: np.ndarray) -> None:
    a = FILTERS.get("grain")(x)
    other = np.ascontiguousarray(x[::-1])
    b = FILTERS.get("grain")(other)
    noise_a, noise_b = a - x, b - other
    assert 0.01 < noise_a.std() < 0.1
    assert abs(np.corrcoef(noise_a.ravel(), noise_b[::-1].ravel())[0, 1]) < 0.5  # different photo, new grain


def test_vignette_darkens_corners_not_centre() -> None:
    flat = np.full((60, 90, 3), 0.8, np.float32)
    y = FILTERS.get("vignette")(flat)
    assert y[30, 45].mean() == pytest.approx(0.8, abs=1e-3)
    assert y[0, 0].mean() < 0.6


def test_pencil_sketch_is_grey_mostly_paper(x: np.ndarray) -> None:
    y = FILTERS.get("pencil_sketch")(x)
    np.testing.assert_array_equal(y[..., 0], y[..., 2])
    assert np.median(y) > 0.7  # white paper with dark strokes, not a darkened photo


def test_cartoon_flattens_colours(x: np.ndarray) -> None:
    y = FILTERS.get("cartoon")(x)
    colours = lambda a: len(np.unique((a * 255).astype(np.uint8).reshape(-1, 3), axis=0))  # noqa: E731
    assert colours(y) < 0.7 * colours(x)


def test_painterly_filters_smooth_texture_but_keep_layout(x: np.ndarray) -> None:
    for name in ("oil_painting", "watercolor"):
        y = FILTERS.get(name)(x)
        assert np.corrcoef(y.mean(2).ravel(), x.mean(2).ravel())[0, 1] > 0.6, name


def test_apply_filters_chains_in_order_and_rejects_unknown(x: np.ndarray) -> None:
    chained = apply_filters(x, ["sepia", "bw"])
    assert np.allclose(chained[..., 0], chained[..., 2])  # bw last wins
    with pytest.raises(UnknownNameError, match=r"Did you mean 'sepia'.*Valid:.*watercolor"):
        apply_filters(x, ["sepai"])


def test_list_filters_has_descriptions() -> None:
    infos = list_filters()
    assert [i.name for i in infos] == sorted(FILTERS.names())
    expected = {
        "bw",
        "sepia",
        "fade",
        "grain",
        "vignette",
        "retro",
        "oil_painting",
        "pencil_sketch",
        "cartoon",
        "watercolor",
    }
    assert expected <= {i.name for i in infos}
    assert all(i.description and "\n" not in i.description for i in infos)


def test_filter_infos_unpack_like_pairs() -> None:
    for name, description in list_filters():
        assert name in FILTERS and description
