"""Round trips and refusals of the one image I/O module."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms

from huafeng import imageio
from huafeng.errors import ImageTooLargeError, InputError, OutputExistsError
from tests.conftest import sha256


def _gradient(w: int = 48, h: int = 32) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), (x + y) * 255 // (w + h - 2)], -1).astype(
        np.uint8
    )


def _save(pil: PILImage.Image, path: Path, **kw: object) -> Path:
    pil.save(path, **kw)
    return path


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA", "CMYK", "1", "I;16", "I", "F"])
def test_every_mode_normalised_to_rgb(tmp_path: Path, mode: str) -> None:
    base = PILImage.fromarray(_gradient())
    if mode in ("I;16", "I"):
        arr = (np.asarray(base.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
        pil = PILImage.fromarray(arr) if mode == "I;16" else PILImage.fromarray(arr.astype(np.int32))
        assert pil.mode == mode
        path = _save(pil, tmp_path / ("x.png" if mode == "I;16" else "x.tif"))
    elif mode == "F":
        pil = PILImage.fromarray(np.asarray(base.convert("L"), dtype=np.float32) / 255.0)
        path = _save(pil, tmp_path / "x.tif")
    elif mode == "CMYK":
        path = _save(base.convert("CMYK"), tmp_path / "x.jpg", quality=95)
    elif mode == "LA":
        path = _save(base.convert("LA"), tmp_path / "x.png")
    else:
        path = _save(base.convert(mode), tmp_path / "x.png")
    img = imageio.read_image(path)
    assert img.rgb.dtype == np.uint8 and img.rgb.shape == (32, 48, 3)
    if mode in ("L", "I;16", "I", "F", "LA"):
        # greyscale: equal channels, and 16-bit scaled (not clipped) into 8 bits
        assert np.array_equal(img.rgb[..., 0], img.rgb[..., 1])
        grey = np.asarray(base.convert("L"), dtype=np.int16)
        assert np.abs(img.rgb[..., 0].astype(np.int16) - grey).max() <= 2
    if mode in ("RGB", "CMYK"):
        assert np.abs(img.rgb.astype(int) - _gradient().astype(int)).mean() < 12


def test_sixteen_bit_rgb_png(tmp_path: Path) -> None:
    import cv2

    arr16 = _gradient().astype(np.uint16) * 257
    path = tmp_path / "x16.png"
    cv2.imwrite(str(path), arr16[..., ::-1])
    img = imageio.read_image(path)
    assert np.abs(img.rgb.astype(int) - _gradient().astype(int)).max() <= 1


def test_alpha_kept_and_reapplied(tmp_path: Path) -> None:
    rgba = np.dstack([_gradient(), np.tile(np.linspace(0, 255, 48, dtype=np.uint8), (32, 1))])
    src = _save(PILImage.fromarray(rgba, "RGBA"), tmp_path / "a.png")
    img = imageio.read_image(src)
    assert img.alpha is not None and np.array_equal(img.alpha, rgba[..., 3])
    out = imageio.write_image(tmp_path / "b.png", img.with_rgb(255 - img.rgb))
    back = np.asarray(PILImage.open(out))
    assert back.shape == (32, 48, 4) and np.array_equal(back[..., 3], rgba[..., 3])
    # JPEG has no alpha: flattened on white, never garbage under transparent pixels
    jpg = imageio.write_image(tmp_path / "b.jpg", img)
    assert np.asarray(PILImage.open(jpg))[:, 0].mean() > 240


def test_palette_with_transparency(tmp_path: Path) -> None:
    pil = PILImage.fromarray(_gradient()).convert("P", palette=PILImage.Palette.ADAPTIVE, colors=16)
    pil.info["transparency"] = 0
    path = _save(pil, tmp_path / "p.png", transparency=0)
    img = imageio.read_image(path)
    assert img.rgb.shape == (32, 48, 3) and img.alpha is not None and (img.alpha == 0).any()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(tmp_path: Path, orientation: int) -> None:
    arr = _gradient(40, 20)
    arr[:5, :5] = (255, 0, 0)  # a red marker in the stored top-left corner
    pil = PILImage.fromarray(arr)
    exif = pil.getexif()
    exif[0x0112] = orientation
    exif[0x010F] = "huafeng-test-camera"
    path = _save(pil, tmp_path / "o.jpg", exif=exif.tobytes(), quality=98)
    img = imageio.read_image(path)
    expected = np.asarray(PILImageOps_transpose(PILImage.open(path)))
    assert img.rgb.shape == expected.shape
    assert (img.rgb.shape[:2] == (20, 40)) == (orientation <= 4)
    # metadata preserved on output with orientation reset, so viewers don't rotate twice
    out = imageio.write_image(tmp_path / "out.jpg", img)
    ex = PILImage.open(out).getexif()
    assert ex.get(0x0112) == 1 and ex.get(0x010F) == "huafeng-test-camera"


def PILImageOps_transpose(im: PILImage.Image) -> PILImage.Image:
    from PIL import ImageOps

    return ImageOps.exif_transpose(im)


def _linear_srgb_icc() -> bytes:
    """A minimal ICC v2 matrix/TRC profile: sRGB primaries with gamma 1.0 (linear light)."""
    import struct

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    desc_text = b"linear sRGB\0"
    desc = (
        b"desc"
        + b"\0" * 4
        + struct.pack(">I", len(desc_text))
        + desc_text
        + b"\0" * 8
        + b"\0" * 3
        + b"\0" * 67
    )
    curv = b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", 256) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curv),
        (b"gTRC", curv),
        (b"bTRC", curv),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 4
        + b"\0" * 44
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def test_icc_profile_converted_to_srgb(tmp_path: Path) -> None:
    arr = np.full((16, 16, 3), 50, np.uint8)  # 50/255 linear light is about 124 in sRGB
    PILImage.fromarray(arr).save(tmp_path / "linear.png", icc_profile=_linear_srgb_icc())
    img = imageio.read_image(tmp_path / "linear.png")
    assert 118 <= int(img.rgb.mean()) <= 130, img.rgb.mean()
    assert img.icc is not None and ImageCms.getProfileDescription(
        ImageCms.ImageCmsProfile(io.BytesIO(img.icc))
    ).strip().lower().startswith("srgb")
    # a broken profile is ignored rather than fatal: the pixels are taken as sRGB
    PILImage.fromarray(arr).save(tmp_path / "broken.png", icc_profile=b"not a profile at all")
    assert int(imageio.read_image(tmp_path / "broken.png").rgb.mean()) == 50


def test_bomb_refused_before_decoding(tmp_path: Path) -> None:
    path = _save(PILImage.new("L", (4000, 3000)), tmp_path / "big.png")
    with pytest.raises(ImageTooLargeError, match=r"4000x3000 = 12 MP exceeds the limit of 5 MP"):
        imageio.read_image(path, max_pixels=5_000_000)
    assert imageio.read_image(path, max_pixels=20_000_000).size == (4000, 3000)


def test_huge_header_refused(tmp_path: Path) -> None:
    # A PNG whose IHDR claims 60000x60000; the refusal must come from the header alone.
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    path = tmp_path / "bomb.png"
    path.write_bytes(data)
    with pytest.raises(ImageTooLargeError, match="60000x60000"):
        imageio.read_image(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"hello, I am a text file\n", "not an image file"),
        (b"%PDF-1.4\n%...", "not an image file"),
    ],
)
def test_non_images_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "fake.jpg"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        imageio.read_image(path)


def test_truncated_jpeg_refused(tmp_path: Path, sample_photo: Path) -> None:
    data = sample_photo.read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="corrupt or truncated"):
        imageio.read_image(path)


def test_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        imageio.read_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="is a folder"):
        imageio.read_image(tmp_path)


def test_bytes_input(sample_photo: Path) -> None:
    img = imageio.read_image(sample_photo.read_bytes())
    assert img.format == "JPEG" and img.rgb.ndim == 3


def test_webp_and_animation_frames(tmp_path: Path) -> None:
    frames = [imageio.Image(rgb=np.full((24, 32, 3), v, np.uint8)) for v in (0, 120, 250)]
    gif = imageio.write_animation(tmp_path / "a.gif", frames, duration_ms=80)
    back = imageio.read_frames(gif)
    assert len(back) == 3 and [int(f.rgb.mean()) // 10 for f in back] == [0, 12, 25]
    assert back[0].duration_ms == 80
    webp = imageio.write_animation(tmp_path / "a.webp", frames)
    assert len(imageio.read_frames(webp)) == 3
    with pytest.raises(InputError, match="frames exceeds the limit of 2"):
        imageio.read_frames(gif, max_frames=2)


def test_never_overwrites_without_permission(tmp_path: Path, sample_photo: Path) -> None:
    img = imageio.read_image(sample_photo)
    out = imageio.write_image(tmp_path / "o.png", img)
    before = sha256(out)
    with pytest.raises(OutputExistsError, match="already exists"):
        imageio.write_image(out, img.with_rgb(255 - img.rgb))
    assert sha256(out) == before
    imageio.write_image(out, img.with_rgb(255 - img.rgb), overwrite=True)
    assert sha256(out) != before


def test_input_never_overwritten(tmp_path: Path, sample_photo: Path) -> None:
    src = tmp_path / "in.jpg"
    src.write_bytes(sample_photo.read_bytes())
    before = sha256(src)
    img = imageio.read_image(src)
    with pytest.raises(InputError, match="refusing to overwrite the input"):
        imageio.write_image(src, img, overwrite=True, protect=[src])
    assert sha256(src) == before


def test_atomic_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.png"
    target.write_bytes(b"old")

    def boom(*a: object, **k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InputError, match="disk full"):
        imageio.atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # temp file cleaned up


def test_read_only_folder_clear_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(InputError, match="permission denied"):
            imageio.atomic_write_bytes(ro / "x.png", b"data")
    finally:
        ro.chmod(0o700)


def test_unknown_output_extension(tmp_path: Path, sample_photo: Path) -> None:
    with pytest.raises(InputError, match=r"unknown output type '\.xyz'"):
        imageio.write_image(tmp_path / "o.xyz", imageio.read_image(sample_photo))


def test_list_images_folder_and_glob(tmp_path: Path, sample_photo: Path) -> None:
    for n in ("b.jpg", "a.png", "notes.txt"):
        (tmp_path / n).write_bytes(sample_photo.read_bytes())
    assert [p.name for p in imageio.list_images([tmp_path])] == ["a.png", "b.jpg"]
    assert [p.name for p in imageio.list_images([str(tmp_path / "*.jpg")])] == ["b.jpg"]
    with pytest.raises(InputError, match="no files match"):
        imageio.list_images([str(tmp_path / "*.gif")])


def test_float_round_trip() -> None:
    x = _gradient()
    assert np.array_equal(imageio.from_float(imageio.to_float(x)), x)


def test_heic_round_trip_when_supported(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    img = imageio.Image(rgb=_gradient(64, 48))
    out = imageio.write_image(tmp_path / "x.heic", img)
    back = imageio.read_image(out)
    assert back.size == (64, 48) and np.abs(back.rgb.astype(int) - img.rgb.astype(int)).mean() < 10


def test_heic_is_read_in_a_fresh_process_and_startup_skips_unused_plugins(tmp_path: Path) -> None:
    """HEIC's plugin is registered on demand (a file nothing else identifies), and reading a JPEG
    imports only the decoders we accept, not Pillow's ~40 (0.1 s of every command's start-up)."""
    pytest.importorskip("pillow_heif")
    import subprocess
    import sys

    heic = imageio.write_image(tmp_path / "x.heic", imageio.Image(rgb=_gradient(64, 48)))
    jpg = imageio.write_image(tmp_path / "x.jpg", imageio.Image(rgb=_gradient(64, 48)))
    code = (
        "import io, sys; from huafeng.imageio import read_image; from PIL import Image\n"
        f"a = read_image({str(jpg)!r})\n"
        "assert 'PCX' not in Image.OPEN and 'EPS' not in Image.OPEN, Image.OPEN\n"
        f"data = open({str(heic)!r}, 'rb').read(); f = io.BytesIO(data)\n"
        "b = read_image(f); print(a.format, b.format, b.size)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["JPEG", "HEIF", "(64,", "48)"]


def test_encode_to_bytes_roundtrip() -> None:
    img = imageio.Image(rgb=_gradient())
    data = imageio.encode_image(img, "PNG")
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(data))), img.rgb)


def test_written_files_get_normal_permissions(tmp_path: Path) -> None:
    out = imageio.write_image(tmp_path / "p.png", imageio.Image(rgb=_gradient()))
    assert out.stat().st_mode & 0o777 == 0o666 & ~imageio._UMASK
    out.chmod(0o640)  # replacing a file keeps its mode
    imageio.write_image(out, imageio.Image(rgb=_gradient()), overwrite=True)
    assert out.stat().st_mode & 0o777 == 0o640
