"""The only place that reads and writes images.

Convention at every boundary of the package: an :class:`Image` holds ``rgb`` as an ``(H, W, 3)``
``uint8`` array in sRGB, plus an optional ``(H, W)`` ``uint8`` alpha that is carried through
stylization untouched and re-applied on output. Float work elsewhere uses ``float32`` in
``[0, 1]``, HWC (:func:`to_float` / :func:`from_float`); models see NCHW and convert themselves.

Why this much care: photos from phones arrive rotated by EXIF, in Display-P3 or Adobe RGB, as
CMYK JPEGs from print workflows, 16-bit PNGs from scanners, palette GIFs with transparency, or as
decompression bombs from strangers. Each is normalised here once, so no other module has to know.
Writes are atomic (temp file + ``os.replace``) so a crash never leaves half a file, and never
overwrite an existing file or the input unless asked. A painting read as a style is also found inside
its digital pad or flat backdrop here (:func:`trim_mount`), once for every reader.
"""

from __future__ import annotations

# ``os`` and ``tempfile`` are the modules the writers use (tests make them fail on purpose).
import os  # noqa: F401
import tempfile  # noqa: F401

from huafeng.imageio._convert import fit_side, from_float, from_pil, list_images, resize, to_float, to_pil
from huafeng.imageio._mount import mount_box, trim_mount
from huafeng.imageio._read import probe_image, read_frames, read_image
from huafeng.imageio._types import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    KEEP_EXTENSIONS,
    READ_EXTENSIONS,
    READ_FORMATS,
    Image,
    Source,
)
from huafeng.imageio._write import (
    _UMASK,
    atomic_write_bytes,
    check_writable,
    encode_animation,
    encode_image,
    format_for_path,
    write_animation,
    write_image,
)

__all__ = [
    "DEFAULT_MAX_FRAMES",
    "DEFAULT_MAX_PIXELS",
    "KEEP_EXTENSIONS",
    "READ_EXTENSIONS",
    "READ_FORMATS",
    "_UMASK",
    "Image",
    "Source",
    "atomic_write_bytes",
    "check_writable",
    "encode_animation",
    "encode_image",
    "fit_side",
    "format_for_path",
    "from_float",
    "from_pil",
    "list_images",
    "mount_box",
    "probe_image",
    "read_frames",
    "read_image",
    "resize",
    "to_float",
    "to_pil",
    "trim_mount",
    "write_animation",
    "write_image",
]
