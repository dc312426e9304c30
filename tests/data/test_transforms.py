"""Transforms: shapes, ranges, determinism under a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from huafeng.data.transforms import (
    TrainTransform,
    center_crop,
    crop_border,
    random_hflip,
    random_resized_crop,
    resize_short,
    sample_rng,
    to_tensor,
)


@pytest.fixture
def img(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, (50, 80, 3), dtype=np.uint8)


def test_crop_border_and_resize_short(img: np.ndarray) -> None:
    assert crop_border(img, 0.1).shape == (40, 64, 3)
    assert crop_border(img, 0).shape == img.shape
    assert resize_short(img, 25).shape == (25, 40, 3)
    assert resize_short(img.transpose(1, 0, 2), 25).shape == (40, 25, 3)
    assert center_crop(img, 32).shape == (32, 32, 3)
    assert center_crop(img, 64).shape == (64, 64, 3)  # upsizes first when too small


@pytest.mark.parametrize("size", [16, 33, 64])
def test_random_resized_crop_shape_and_determinism(img: np.ndarray, size: int) -> None:
    a = random_resized_crop(img, size, sample_rng(0, 1, 5))
    b = random_resized_crop(img, size, sample_rng(0, 1, 5))
    c = random_resized_crop(img, size, sample_rng(0, 1, 6))
    assert a.shape == (size, size, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_tiny_image_falls_back_to_center_square() -> None:
    tiny = np.zeros((3, 200, 3), np.uint8)
    out = random_resized_crop(tiny, 8, np.random.default_rng(0), scale=(0.9, 1.0), ratio=(1.0, 1.0))
    assert out.shape == (8, 8, 3)


def test_flip_and_tensor(img: np.ndarray) -> None:
    flips = {bool(np.array_equal(random_hflip(img, sample_rng(0, 0, i)), img[:, ::-1])) for i in range(20)}
    assert flips == {True, False}
    t = to_tensor(img[:, ::-1])
    assert t.shape == (3, 50, 80) and t.dtype == torch.float32 and t.is_contiguous()
    assert float(t.min()) >= 0.0 and float(t.max()) <= 1.0
    assert float(t[0, 0, 0]) == pytest.approx(img[0, -1, 0] / 255.0)


def test_train_transform(img: np.ndarray) -> None:
    tf = TrainTransform(size=24, resize=30, border=0.05)
    prepared = tf.prepare(img)
    assert min(prepared.shape[:2]) == 30
    x = tf(prepared, sample_rng(1, 2, 3))
    assert x.shape == (3, 24, 24)
    assert torch.equal(x, tf(prepared, sample_rng(1, 2, 3)))


def test_train_transform_trims_a_painting_s_pad_first(img: np.ndarray) -> None:
    padded = np.full((img.shape[0] * 3, img.shape[1], 3), 242, np.uint8)
    padded[img.shape[0] : 2 * img.shape[0]] = img  # letterboxed: two thirds pad
    kept = TrainTransform(size=24, resize=30, trim=False).prepare(padded)
    trimmed = TrainTransform(size=24, resize=30, trim=True).prepare(padded)
    assert np.array_equal(trimmed, TrainTransform(size=24, resize=30).prepare(img))
    assert kept.shape[0] > kept.shape[1] and trimmed.shape[0] < trimmed.shape[1]  # the pad was kept


def test_film_grain_is_zero_mean_noise_reproducible_per_rng() -> None:
    from huafeng.data.transforms import film_grain

    flat = np.full((64, 80, 3), 128, np.uint8)
    a = film_grain(flat, np.random.default_rng(3))
    assert a.shape == flat.shape and a.dtype == np.uint8
    assert np.array_equal(a, film_grain(flat, np.random.default_rng(3)))
    d = a.astype(np.float32) - 128
    assert abs(float(d.mean())) < 1.0 and 1.0 < float(d.std()) < 10.0  # grain, not a shift or a stain
