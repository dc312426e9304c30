"""The stylize pipeline: options, strength, colour preservation, masks, metadata, padding, files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from huafeng.errors import InputError, OutputExistsError, UnknownNameError
from huafeng.imageio import Image, read_image, to_float, write_image
from huafeng.infer import StylizeOptions, Stylizer, stylize_file, stylize_image

from .conftest import Models


@pytest.fixture
def conv(models: Models) -> Stylizer:
    return Stylizer(str(models.conv))


def _crcb(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32)


def _y(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"strength": 1.5}, "strength"),
        ({"strength": -0.1}, "strength"),
        ({"mask_feather": -1.0}, "mask_feather"),
        ({"max_size": 0}, "max_size"),
        ({"tile": 16}, "tile"),
        ({"tile": 100, "tile_overlap": 50}, "less than half"),
        ({"tile_overlap": -1}, "tile_overlap"),
        ({"filters": ("bw", "nope")}, "unknown filter 'nope'"),
        ({"style_weights": {"a": -1.0}}, "style_weights"),
        ({"style_weights": {"a": 0.0}}, "style_weights"),
        ({"threads": -2}, "threads"),
        ({"mask": 3}, "mask"),
    ],
)
def test_bad_options_are_input_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        StylizeOptions(**kwargs)  # type: ignore[arg-type]


def test_options_normalise_inputs() -> None:
    o = StylizeOptions(filters="bw", strength=1)  # type: ignore[arg-type]
    assert o.filters == ("bw",) and isinstance(o.strength, float)
    assert StylizeOptions(tile=0).tile == 0 and StylizeOptions(tile=128, tile_overlap=32).tile == 128


def test_run_array_matches_ort_directly(conv: Stylizer, photo_rgb: np.ndarray) -> None:
    import onnxruntime as ort

    assert conv.info.path is not None
    ref = ort.InferenceSession(str(conv.info.path), providers=["CPUExecutionProvider"])
    x = to_float(photo_rgb)
    (expected,) = ref.run(None, {"input": x.transpose(2, 0, 1)[None]})
    got, want = conv.run_array(x), expected[0].transpose(1, 2, 0)
    # Inside, identical; on the 2-px frame the engine's mirrored margin replaces the model's zero
    # padding (tiling.EDGE_MARGIN), which is the point of the margin.
    np.testing.assert_allclose(got[2:-2, 2:-2], want[2:-2, 2:-2], atol=1e-5)  # two 3×3 convs
    assert np.abs(got[0] - want[0]).max() > 1e-3


def test_strength_zero_is_identity_and_half_is_between(conv: Stylizer, photo: Image) -> None:
    assert np.array_equal(conv.stylize(photo, StylizeOptions(strength=0.0)).rgb, photo.rgb)
    full = conv.stylize(photo).rgb.astype(np.float32)
    half = conv.stylize(photo, StylizeOptions(strength=0.5)).rgb.astype(np.float32)
    orig = photo.rgb.astype(np.float32)
    assert np.abs(full - orig).mean() > 10  # the model really changes the photo
    np.testing.assert_allclose(half, (full + orig) / 2, atol=1.01)


def test_preserve_color_keeps_chroma_takes_luma(conv: Stylizer, photo: Image) -> None:
    styled = conv.stylize(photo).rgb
    kept = conv.stylize(photo, StylizeOptions(preserve_color=True)).rgb
    assert np.abs(_crcb(styled) - _crcb(photo.rgb)).mean() > 5  # the style moved the colours...
    assert np.abs(_crcb(kept) - _crcb(photo.rgb)).mean() < 1.5  # ...preservation puts them back
    assert np.abs(_y(kept) - _y(styled)).mean() < 1.5  # with the stylized brightness
    assert np.abs(_y(kept) - _y(photo.rgb)).mean() > 3


def test_mask_black_keeps_white_stylizes_feather_blends(conv: Stylizer, photo: Image) -> None:
    h, w = photo.rgb.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    mask[:, w // 2 :] = 255
    styled = conv.stylize(photo).rgb
    out = conv.stylize(photo, StylizeOptions(mask=mask)).rgb
    assert np.array_equal(out[:, : w // 2], photo.rgb[:, : w // 2])
    assert np.array_equal(out[:, w // 2 :], styled[:, w // 2 :])
    inverted = conv.stylize(photo, StylizeOptions(mask=mask, invert_mask=True)).rgb
    assert np.array_equal(inverted[:, w // 2 :], photo.rgb[:, w // 2 :])
    soft = conv.stylize(photo, StylizeOptions(mask=mask, mask_feather=4.0)).rgb.astype(np.float32)
    edge = w // 2
    d_orig = np.abs(soft[:, edge - 1] - photo.rgb[:, edge - 1]).mean()
    d_styl = np.abs(soft[:, edge - 1] - styled[:, edge - 1]).mean()
    assert d_orig > 2 and d_styl > 2  # the seam column is a mix of both
    assert np.array_equal(soft[:, :5], photo.rgb[:, :5].astype(np.float32))  # far side untouched


def test_mask_from_file_with_other_resolution(conv: Stylizer, photo: Image, tmp_path: Path) -> None:
    h, w = photo.rgb.shape[:2]
    big = np.zeros((h * 4, w * 4, 3), np.uint8)
    big[: h * 2] = 255  # top half white
    path = write_image(tmp_path / "mask.png", Image(rgb=big))
    out = conv.stylize(photo, StylizeOptions(mask=path)).rgb
    styled = conv.stylize(photo).rgb
    assert np.array_equal(out[-5:], photo.rgb[-5:]) and np.array_equal(out[:5], styled[:5])
    with pytest.raises(InputError, match="shapes differ"):
        conv.stylize(photo, StylizeOptions(mask=np.zeros((h, h), np.uint8)))
    with pytest.raises(InputError, match="no such file"):
        conv.stylize(photo, StylizeOptions(mask=str(tmp_path / "missing.png")))


def test_alpha_exif_icc_survive(conv: Stylizer, photo_rgb: np.ndarray) -> None:
    alpha = np.tile(np.linspace(0, 255, photo_rgb.shape[1]).astype(np.uint8), (photo_rgb.shape[0], 1))
    img = Image(rgb=photo_rgb, alpha=alpha, exif=b"Exif\x00\x00fake", icc=b"icc-bytes", format="PNG")
    out = conv.stylize(img)
    assert (
        out.alpha is not None
        and np.array_equal(out.alpha, alpha)
        and out.exif == img.exif
        and out.icc == img.icc
    )
    assert out.rgb.shape == photo_rgb.shape and not np.array_equal(out.rgb, photo_rgb)


def test_max_size_downscales_rgb_and_alpha(conv: Stylizer, photo_rgb: np.ndarray) -> None:
    img = Image(rgb=photo_rgb, alpha=np.full(photo_rgb.shape[:2], 128, np.uint8))
    out = conv.stylize(img, StylizeOptions(max_size=48))
    assert out.size == (48, 32) and out.alpha is not None and out.alpha.shape == (32, 48)
    assert conv.stylize(img, StylizeOptions(max_size=4000)).size == img.size  # never upscales


def test_padding_to_model_multiple(models: Models, photo: Image) -> None:
    with pytest.raises(InputError, match="model failed"):
        Stylizer(str(models.strict8)).stylize(photo)  # 97x65 is not a multiple of 8
    blocks = Stylizer(str(models.multiple8))
    out = blocks.stylize(photo)
    assert out.rgb.shape == photo.rgb.shape
    expected = np.clip(photo.rgb.astype(np.float32) * 0.5 + 0.25 * 255, 0, 255)
    np.testing.assert_allclose(out.rgb, expected, atol=1.0)  # crop took the right pixels back


def test_multi_style_weights_interpolate(models: Models, photo: Image) -> None:
    multi = Stylizer(str(models.multi))
    assert multi.info.style_names == ("photo", "negative")
    first = multi.stylize(photo).rgb.astype(int)  # default: the first style
    assert np.abs(first - photo.rgb).max() <= 1
    neg = multi.stylize(photo, StylizeOptions(style_weights={"negative": 2.0})).rgb.astype(int)
    assert np.abs(neg - (255 - photo.rgb.astype(int))).max() <= 1
    mix = multi.stylize(photo, StylizeOptions(style_weights={"photo": 1, "negative": 1})).rgb.astype(int)
    assert np.abs(mix - 128).max() <= 1  # 0.5 x + 0.5 (1 - x)
    with pytest.raises(UnknownNameError, match="Did you mean 'negative'"):
        multi.stylize(photo, StylizeOptions(style_weights={"negativ": 1.0}))
    with pytest.raises(InputError, match="is a single style"):
        Stylizer(str(models.conv)).stylize(photo, StylizeOptions(style_weights={"a": 1.0}))


def test_filter_looks_and_extra_filters(photo: Image) -> None:
    oil = stylize_image(photo, "oil_painting")
    assert oil.rgb.shape == photo.rgb.shape and not np.array_equal(oil.rgb, photo.rgb)
    grey = stylize_image(photo, "cartoon", StylizeOptions(filters=("bw",)))
    assert np.array_equal(grey.rgb[..., 0], grey.rgb[..., 2])
    # preserve_color runs before the extra filters, so bw still ends black and white
    kept = stylize_image(photo, "retro", StylizeOptions(preserve_color=True, filters=("bw",)))
    assert np.array_equal(kept.rgb[..., 0], kept.rgb[..., 1])


def test_stylize_file_round_trip_and_protection(models: Models, photo: Image, tmp_path: Path) -> None:
    src = write_image(tmp_path / "in.png", photo)
    out = stylize_file(src, tmp_path / "out.jpg", str(models.conv), StylizeOptions(strength=0.7))
    assert read_image(out).size == photo.size
    with pytest.raises(OutputExistsError):
        stylize_file(src, out, "bw")
    assert stylize_file(src, out, "bw", overwrite=True) == out
    with pytest.raises(InputError, match="refusing to overwrite the input"):
        stylize_file(src, src, "bw", overwrite=True)
    with pytest.raises(UnknownNameError):
        stylize_file(src, tmp_path / "other.png", "no_such_style")
    assert not (tmp_path / "other.png").exists()


def test_bad_inputs_fail_before_the_model_runs(
    models: Models, photo: Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    stylizer = Stylizer(str(models.conv))
    ran: list[int] = []
    monkeypatch.setattr(Stylizer, "_styled", lambda *a, **k: ran.append(1))
    with pytest.raises(InputError, match="no such file"):
        stylizer.stylize(photo, StylizeOptions(mask="missing-mask.png"))
    with pytest.raises(InputError, match="is a single style"):
        Stylizer("cartoon").stylize(photo, StylizeOptions(style_weights={"a": 1.0}))
    black = np.zeros(photo.rgb.shape[:2], np.uint8)
    assert np.array_equal(stylizer.stylize(photo, StylizeOptions(mask=black)).rgb, photo.rgb)
    assert ran == []  # an all-black mask short-circuits too
    with pytest.raises(InputError, match="uint8"):
        stylizer.stylize_array(photo.rgb.astype(np.float32))


def test_stylizer_accepts_style_info_and_default(models: Models, photo: Image) -> None:
    from huafeng.infer import resolve_style

    info = resolve_style(str(models.conv))
    assert np.array_equal(Stylizer(info).stylize(photo).rgb, Stylizer(str(models.conv)).stylize(photo).rgb)
    assert Stylizer("default").info.name == "oil_painting"
    assert Stylizer("bw").multiple == 1 and Stylizer(info).multiple == 1
