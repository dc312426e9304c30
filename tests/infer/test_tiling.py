"""Padding and tiled inference: coverage, seamless blending, equality with whole-image runs."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from huafeng.imageio import Image, to_float
from huafeng.infer import StylizeOptions, Stylizer, session, tiling
from huafeng.infer.session import inspect_model
from huafeng.infer.tiling import choose_tile, pad_to_multiple, run_tiled, tile_starts

from .conftest import Models, instance_norm_model


@pytest.mark.parametrize("length", [1, 63, 64, 65, 200, 1001])
@pytest.mark.parametrize(("tile", "overlap"), [(64, 0), (64, 16), (96, 31), (256, 64)])
def test_tile_starts_cover_with_overlap(length: int, tile: int, overlap: int) -> None:
    starts = tile_starts(length, tile, overlap)
    size = min(tile, length)
    assert starts[0] == 0 and starts[-1] + size == length  # inside the image, reaching both ends
    assert starts == sorted(set(starts))
    for a, b in itertools.pairwise(starts):
        assert a + size - b >= overlap  # neighbours share at least the overlap


def test_windows_ramp_only_towards_neighbours() -> None:
    starts = tile_starts(300, 128, 32)
    wins, total = tiling._windows(300, 128, starts, 32)
    assert (total > 0).all()
    assert wins[0][0] == 1.0 and wins[-1][-1] == 1.0  # image borders keep full weight
    assert wins[1][0] == 0.0 and wins[0][-1] == 0.0  # discarded margin towards a neighbour
    assert np.all(np.diff(wins[1][:32]) >= 0)  # monotone cross-fade


def test_pad_to_multiple_reflects() -> None:
    x = np.arange(5 * 3 * 3, dtype=np.float32).reshape(5, 3, 3)
    p = pad_to_multiple(x, 4)
    assert p.shape == (8, 4, 3)
    np.testing.assert_array_equal(p[:5, :3], x)
    np.testing.assert_array_equal(p[5, :3], x[3])  # mirror, not edge-repeat or zeros
    assert pad_to_multiple(np.ones((1, 1, 3), np.float32), 8).shape == (8, 8, 3)
    assert pad_to_multiple(x, 1) is x


@pytest.mark.parametrize(("h", "w", "tile", "overlap"), [(37, 53, 16, 4), (100, 81, 32, 8), (64, 64, 64, 16)])
def test_identity_through_tiles_is_exact(h: int, w: int, tile: int, overlap: int) -> None:
    x = np.random.default_rng(0).random((h, w, 3), dtype=np.float32)
    calls: list[tuple[int, int]] = []
    y = run_tiled(lambda t: t.copy(), x, tile, overlap, progress=lambda i, n: calls.append((i, n)))
    np.testing.assert_allclose(y, x, atol=1e-6)
    n = calls[-1][1]
    assert calls == [(i + 1, n) for i in range(n)]


@pytest.mark.parametrize(("h", "w"), [(203, 157), (65, 300), (129, 31)])
@pytest.mark.parametrize(("tile", "overlap"), [(32, 8), (48, 12), (100, 32)])
def test_tiled_model_equals_whole_image(models: Models, h: int, w: int, tile: int, overlap: int) -> None:
    stylizer = Stylizer(str(models.conv))
    x = np.random.default_rng(h * w).random((h, w, 3), dtype=np.float32)
    whole = stylizer.run_array(x)
    tiled = run_tiled(stylizer.run_array, x, tile, overlap)
    np.testing.assert_allclose(tiled, whole, atol=2e-5)


def test_tiled_with_model_multiple(models: Models) -> None:
    stylizer = Stylizer(str(models.multiple8))
    x = np.random.default_rng(3).random((90, 77, 3), dtype=np.float32)
    tiles: list[tuple[int, ...]] = []

    def spy(t: np.ndarray) -> np.ndarray:
        tiles.append(t.shape)
        return stylizer.run_array(t)

    out = run_tiled(spy, x, 30, 8, multiple=stylizer.multiple)  # 30 rounds up to 32
    assert {s[:2] for s in tiles} == {(32, 32)}
    np.testing.assert_allclose(out, x * 0.5 + 0.25, atol=1e-5)


def test_stylizer_tiles_uint8_images_seamlessly(models: Models, photo_rgb: np.ndarray) -> None:
    stylizer = Stylizer(str(models.conv))
    img = Image(rgb=photo_rgb)
    whole = stylizer.stylize(img, StylizeOptions(tile=0)).rgb.astype(int)
    tiled = stylizer.stylize(img, StylizeOptions(tile=40, tile_overlap=12)).rgb.astype(int)
    assert np.abs(tiled - whole).max() <= 1


def test_auto_tiling_kicks_in_above_threshold(
    models: Models, photo_rgb: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert choose_tile(4000, 4000, None) == tiling.DEFAULT_TILE
    assert choose_tile(1000, 1000, None) is None
    assert choose_tile(4000, 4000, 0) is None and choose_tile(100, 100, 256) is None
    monkeypatch.setattr(tiling, "AUTO_TILE_PIXELS", 1000)
    monkeypatch.setattr(tiling, "DEFAULT_TILE", 48)
    seen: list[int] = []
    real = tiling.run_tiled

    def spy(fn: tiling.ArrayFn, x: np.ndarray, tile: int, *a: Any, **k: Any) -> np.ndarray:
        seen.append(tile)
        return real(fn, x, tile, *a, **k)

    monkeypatch.setattr(tiling, "run_tiled", spy)
    out = Stylizer(str(models.conv)).stylize_array(photo_rgb)
    assert seen == [48]
    whole = Stylizer(str(models.conv)).run_array(to_float(photo_rgb))
    assert np.abs(out.astype(np.float32) / 255 - whole).max() <= 1 / 255 + 1e-6


def test_global_ops_are_detected(models: Models, tmp_path: Path) -> None:
    assert inspect_model(models.instance_norm).global_ops == ("InstanceNormalization",)
    assert not inspect_model(models.instance_norm).local
    assert inspect_model(models.conv).local and inspect_model(models.multiple8).local
    forced = instance_norm_model(tmp_path / "forced.onnx", tileable="1")
    assert inspect_model(forced).local  # the metadata flag overrides detection


def _low(a: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.GaussianBlur(a.astype(np.float32), (0, 0), 8.0))


def test_instance_norm_tiles_are_tone_matched(models: Models, monkeypatch: pytest.MonkeyPatch) -> None:
    # A strong left-to-right ramp: per-tile instance norm flattens it tile by tile.
    h, w = 160, 256
    ramp = np.linspace(0.05, 0.95, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
    texture = np.random.default_rng(0).random((h, w, 3), dtype=np.float32) * 0.1
    rgb = np.clip((ramp + texture) * 255, 0, 255).astype(np.uint8)
    stylizer = Stylizer(str(models.instance_norm))
    whole = stylizer.stylize_array(rgb, StylizeOptions(tile=0))
    monkeypatch.setattr(tiling, "REF_PIXELS", (h * w) // 4)  # reference at half the linear size
    opts = StylizeOptions(tile=64, tile_overlap=16)
    matched = stylizer.stylize_array(rgb, opts)
    monkeypatch.setattr(session.ModelInfo, "local", property(lambda self: True))
    naive = stylizer.stylize_array(rgb, opts)
    err_naive = np.abs(_low(naive) - _low(whole)).mean()
    err_matched = np.abs(_low(matched) - _low(whole)).mean()
    assert err_naive > 5  # the problem is real: tiles come out in their own tone
    assert err_matched < 0.4 * err_naive
