"""Image, the formats we read and write, and the limits (see the package docstring)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms

try:  # HEIC/HEIF (and AVIF on older Pillow) when the wheel is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
except Exception:  # pragma: no cover - optional
    pass

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


def _open_formats() -> list[str]:
    """The accepted decoders this Pillow has (HEIF/AVIF only when their plugins are installed)."""
    PILImage.init()
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
