"""Image, the formats we read and write, and the limits (see the package docstring)."""

from __future__ import annotations

import contextlib
import importlib
import os
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms

#: Default cap on decoded pixels. 16 MP photos and 50 MP camera files pass; a 60000×60000 header
#: (3.6 GP, 10 GiB of RGB) does not. Override per call or with ``HUAFENG_MAX_PIXELS``.
DEFAULT_MAX_PIXELS = 100_000_000
#: Animated inputs are decoded frame by frame; this caps memory for 10 000-frame GIFs.
DEFAULT_MAX_FRAMES = 1000

#: Pillow decoders an image from outside may reach (what cameras, phones and browsers produce). Files
#: are opened with only these, so a PostScript/EPS file named ``.jpg`` never reaches Ghostscript, nor
#: any other of Pillow's ~40 decoders (each one more parser facing strangers' bytes).
#: (MPO, the multi-picture JPEG of cameras, is opened by the JPEG decoder and reported as "MPO".)
READ_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF")


#: Pillow's plugin module for each format we read or write; HEIF comes from ``pillow_heif``.
_PLUGIN_MODULES = {
    "JPEG": "JpegImagePlugin",
    "PNG": "PngImagePlugin",
    "WEBP": "WebPImagePlugin",
    "GIF": "GifImagePlugin",
    "BMP": "BmpImagePlugin",
    "TIFF": "TiffImagePlugin",
    "AVIF": "AvifImagePlugin",
}
_HEIF_TRIED = False


def load_plugins(*, heif: bool = False) -> None:
    """Import the Pillow plugins of :data:`READ_FORMATS` (and register ``pillow_heif`` if asked).

    Why not ``PIL.Image.init()``: it imports all ~40 of Pillow's plugins, 0.1 s of every
    command's start-up for formats we refuse anyway; these take ~0.02 s. HEIC costs another
    0.02 s, so it is registered only when a file needs it (an unidentified file, or a write).
    """
    global _HEIF_TRIED
    for fmt, module in _PLUGIN_MODULES.items():
        if fmt not in PILImage.OPEN:
            # a Pillow built without it (AVIF before 11.3, WebP without libwebp) simply lacks it
            with contextlib.suppress(ImportError):
                importlib.import_module(f"PIL.{module}")
    if heif and not _HEIF_TRIED:
        _HEIF_TRIED = True
        try:  # HEIC/HEIF (and AVIF on older Pillow) when the wheel is installed
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except Exception:  # pragma: no cover - optional
            pass


def heif_loaded() -> bool:
    """Whether :func:`load_plugins` has already tried to register HEIF (a retry would change nothing)."""
    return _HEIF_TRIED


def _open_formats(*, heif: bool = False) -> list[str]:
    """The accepted decoders this Pillow has (HEIF/AVIF only when their plugins are installed)."""
    load_plugins(heif=heif)
    return [f for f in READ_FORMATS if f in PILImage.OPEN]


READ_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".heic",
    ".heif",
    ".avif",
)
_WRITE_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".gif": "GIF",
    ".avif": "AVIF",
    ".heic": "HEIF",
}
_ALPHA_FORMATS = {"PNG", "WEBP", "TIFF", "AVIF", "HEIF", "GIF"}
#: Still-image types whose extension a result keeps (``a.jpg`` → ``out/a.jpg``); any other input
#: (GIF, HEIC, AVIF) is written as PNG. One list for ``stylize`` and ``batch``.
KEEP_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_SRGB_BYTES: bytes = _SRGB.tobytes()

Source = str | os.PathLike[str] | bytes | BinaryIO


@dataclass
class Image:
    """A decoded picture: sRGB pixels plus what must survive the round trip."""

    rgb: np.ndarray  # (H, W, 3) uint8, sRGB
    alpha: np.ndarray | None = None  # (H, W) uint8, or None when fully opaque
    exif: bytes | None = None  # orientation already applied and reset to 1
    icc: bytes | None = None  # profile to embed on output (sRGB once converted)
    format: str | None = None  # source container, e.g. "JPEG"
    duration_ms: int | None = None  # per-frame duration for animations
    info: dict[str, object] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``, the PIL order, for messages and layout code."""
        return self.rgb.shape[1], self.rgb.shape[0]

    def with_rgb(self, rgb: np.ndarray) -> Image:
        """Same metadata and alpha, new pixels (same size: alpha is re-used as is)."""
        alpha: np.ndarray | None = self.alpha
        if rgb.shape[:2] != self.rgb.shape[:2] and self.alpha is not None:
            alpha = np.asarray(
                PILImage.fromarray(self.alpha).resize(
                    (rgb.shape[1], rgb.shape[0]), PILImage.Resampling.BILINEAR
                )
            )
        return replace(self, rgb=np.ascontiguousarray(rgb, dtype=np.uint8), alpha=alpha)
