"""Instant "look like this picture" (``stylize --style-image``): the picture's style code on the shipped
arbitrary-style network, and the fallback (nearest style by descriptor + palette)."""

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


def _painting(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:200, 0:260] / 260
    img = 0.5 + 0.4 * np.sin(8 * xx[..., None] * rng.random(3) * 3 + yy[..., None] * rng.random(3) * 9)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def test_code_style_paints_a_picture_s_code_through_the_engine() -> None:
    """The shipped code model: style input = the code, reduced render with its own detail amount."""
    from huafeng.infer import StylizeOptions, Stylizer
    from huafeng.infer.session import get_session
    from huafeng.infer.style_code import CODE_INPUT, CODE_SIZE

    a, b = instant.code_style([_painting(1)]), instant.code_style([_painting(2)])
    assert len(a.code) == CODE_SIZE and a.path is not None and a.path.stat().st_size < 2 * 2**20
    info = get_session(a.path, 1).info
    assert info.meta("style_input") == CODE_INPUT and info.style_dim == CODE_SIZE
    assert float(info.meta("render_detail")) == 0.25 and float(info.meta("render_scale")) == 0.3
    photo = _painting(3)
    ya = Stylizer(a).stylize_array(photo, StylizeOptions()).astype(float)
    yb = Stylizer(b).stylize_array(photo, StylizeOptions()).astype(float)
    assert ya.shape == photo.shape and np.abs(ya - yb).mean() > 5  # another picture, another look
    with pytest.raises(InputError, match="cannot be mixed"):
        Stylizer(a).stylize_array(photo, StylizeOptions(style_weights={"0": 1.0}))


def test_the_code_model_without_a_code_says_how_to_use_it() -> None:
    from huafeng.infer import StylizeOptions, Stylizer, load_style_file
    from huafeng.infer.style_code import code_model_path

    with pytest.raises(InputError, match="--style-image"):
        Stylizer(load_style_file(code_model_path())).stylize_array(_painting(3), StylizeOptions())


def test_predict_code_refuses_non_pictures() -> None:
    from huafeng.infer.style_code import predict_code

    with pytest.raises(InputError, match="at least one"):
        predict_code([])
    with pytest.raises(InputError, match="RGB"):
        predict_code([np.zeros((40, 40), np.uint8)])


def test_a_letterboxed_painting_reads_as_the_painting_not_its_pad() -> None:
    """The code is read from the painting inside a flat pad (imageio.trim_mount): the pad of a
    letterboxed scroll is not its style."""
    from huafeng.infer.style_code import predict_code

    scroll = _painting(5)[:80]  # a wide band
    padded = np.full((260, 260, 3), 242, np.uint8)
    padded[90:170] = scroll
    same = np.linalg.norm(predict_code([padded]) - predict_code([scroll]))
    other = np.linalg.norm(predict_code([_painting(6)[:80]]) - predict_code([scroll]))
    assert same < 1e-4 < other
