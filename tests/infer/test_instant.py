"""Instant "look like this picture" (``stylize --style-image``): nearest style by descriptor + palette."""

from __future__ import annotations

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.infer import instant
from huafeng.infer.styles import StyleInfo


def _img(colour: tuple[int, int, int], noise: float = 10.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.full((120, 160, 3), colour, np.float32) + rng.normal(0, noise, (120, 160, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def _style(name: str, rgb: np.ndarray) -> StyleInfo:
    return StyleInfo(name, "t", "d", "x", "filter", "builtin", filters=("bw",),
                     card={instant.DESCRIPTOR_KEY: instant.mean_descriptor([rgb])})  # fmt: skip


def test_descriptor_separates_ink_from_colour() -> None:
    ink, red = instant.descriptor(_img((235, 232, 225))), instant.descriptor(_img((200, 40, 30)))
    assert ink.shape == (8,) and np.isfinite(ink).all()
    assert red[6] > ink[6]  # saturation
    assert red[1] > ink[1] + 20  # Lab a* (red)


def test_nearest_style_picks_the_similar_palette() -> None:
    styles = [
        _style("ink", _img((235, 232, 225))),
        _style("red", _img((200, 40, 30))),
        _style("blue", _img((30, 60, 200))),
    ]
    assert instant.nearest_style(_img((190, 50, 40), seed=3), styles).name == "red"
    assert instant.nearest_style(_img((40, 70, 180), seed=4), styles).name == "blue"
    with pytest.raises(InputError, match="learn-style"):
        instant.nearest_style(
            _img((1, 2, 3)), [StyleInfo("x", "t", "d", "l", "filter", "builtin", filters=("bw",))]
        )


def test_palette_transfer_moves_colours_towards_the_painting() -> None:
    photo, painting = _img((60, 140, 60)), _img((200, 40, 30))
    moved = instant.palette_transfer(photo, painting, 1.0)
    assert moved.dtype == np.uint8 and moved.shape == photo.shape
    assert abs(moved.mean((0, 1)) - painting.mean((0, 1))).max() < 20
    assert np.array_equal(instant.palette_transfer(photo, painting, 0.0), photo) or (
        np.abs(instant.palette_transfer(photo, painting, 0.0).astype(int) - photo).max() <= 2
    )
