"""The hostile image corpus, generated in memory: nothing binary is committed.

Each :class:`Case` is a file name plus bytes and what a correct reader must do with it: decode it
to a known size (``expect="ok"``), refuse it with an :class:`~huafeng.errors.InputError`
(``"error"``), or either (``"either"`` — e.g. a JPEG missing only its end marker, which decoders
legitimately differ on). Headers are crafted by hand (PNG chunks with real CRCs, GIF blocks, TIFF
IFDs, JPEG SOF segments) so the claims in them — 60000×60000, 10 000 frames — cost nothing to
generate; only what a test actually decodes is ever materialised.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms


@dataclass(frozen=True)
class Case:
    """One hostile input: ``make()`` returns its bytes; ``size`` is the upright (w, h) when ok."""

    id: str
    filename: str
    make: Callable[[], bytes]
    expect: str  # "ok" | "error" | "either"
    size: tuple[int, int] | None = None
    group: str = ""


# ------------------------------------------------------------------------------ crafting helpers


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(
    w: int, h: int, *, depth: int = 8, colour: int = 0, rows: bytes | None = None, idat: bytes | None = None
) -> bytes:
    """A PNG whose IHDR claims ``w``×``h``; ``rows`` is the raw (filtered) scanline data."""
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(rows if rows is not None else b"\x00" * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def png_bomb(w: int, h: int) -> bytes:
    """A real bomb: every scanline present, all zeros — a few KiB that inflate to ``w*h`` bytes."""
    comp = zlib.compressobj(9)
    row = b"\x00" * (w + 1)
    body = b"".join(comp.compress(row) for _ in range(h)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")
    )


def gif_bytes(w: int, h: int, frames: int, *, frame_w: int = 1, frame_h: int = 1) -> bytes:
    """An animated GIF of ``frames`` 1×1 frames alternating two colours (hand-assembled blocks)."""
    head = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    parts = [head, loop]
    for i in range(frames):
        gce = b"\x21\xf9\x04\x00" + struct.pack("<H", 1) + b"\x00\x00"
        desc = b"\x2c" + struct.pack("<HHHHB", 0, 0, frame_w, frame_h, 0)
        # LZW, min code size 2: clear(4), pixel index, end(5) -> packed into one byte block
        data = b"\x02\x02" + (b"\x44\x01" if i % 2 == 0 else b"\x4c\x01") + b"\x00"
        parts += [gce, desc, data]
    parts.append(b"\x3b")
    return b"".join(parts)


def jpeg_sof_claim(w: int, h: int) -> bytes:
    """A real small JPEG whose SOF0 is rewritten to claim ``w``×``h`` (up to 65535)."""
    data = bytearray(encode(PILImage.new("RGB", (8, 8), (200, 30, 30)), "JPEG"))
    i = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, i + 5, h, w)
    return bytes(data)


def tiff_claim(w: int, h: int) -> bytes:
    """A little-endian TIFF IFD claiming ``w``×``h`` 8-bit grey with one tiny strip."""
    entries = [
        (256, 4, 1, w),  # ImageWidth LONG
        (257, 4, 1, h),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression none
        (262, 3, 1, 1),  # Photometric min-is-black
        (273, 4, 1, 8),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, h),  # RowsPerStrip
        (279, 4, 1, 16),  # StripByteCounts
    ]
    ifd_at = 8 + 16
    head = b"II*\x00" + struct.pack("<I", ifd_at) + b"\x00" * 16
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        packed = struct.pack("<H", value) + b"\x00\x00" if typ == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, typ, count) + packed
    return head + ifd + struct.pack("<I", 0)


def tiff_ifd_loop() -> bytes:
    """A TIFF whose next-IFD pointer points back at itself (a classic infinite loop)."""
    body = bytearray(tiff_claim(4, 4))
    body[-4:] = struct.pack("<I", 24)
    return bytes(body)


def bmp_claim(w: int, h: int) -> bytes:
    header = struct.pack("<2sIHHI", b"BM", 54 + 16, 0, 0, 54)
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, 16, 2835, 2835, 0, 0)
    return header + dib + b"\x00" * 16


def encode(pil: PILImage.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kw)
    return buf.getvalue()


@cache
def gradient(w: int = 24, h: int = 16) -> PILImage.Image:
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) % 256], -1)
    return PILImage.fromarray(a.astype(np.uint8), "RGB")


@cache
def base(fmt: str) -> bytes:
    """The clean 24×16 gradient in ``fmt``: the seed of the truncation/extension cases."""
    pil = gradient()
    if fmt == "GIF":
        return encode(pil.convert("P"), fmt)
    return encode(pil, fmt)


def with_exif(orientation: int) -> bytes:
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    return encode(gradient(24, 16), "JPEG", exif=exif.tobytes(), quality=95)


def broken_icc_jpeg() -> bytes:
    return encode(gradient(), "JPEG", icc_profile=b"\x00" * 200 + b"acsp" + b"\xff" * 50)


def adobe_rgb_png() -> bytes:
    prof = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    return encode(gradient(), "PNG", icc_profile=prof.tobytes())


def flip_bytes(data: bytes, start: int, n: int = 32, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    b = bytearray(data)
    for i in rng.integers(start, len(b), n):
        b[int(i)] ^= 0xA5
    return bytes(b)


def zip_bytes() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../etc/passwd", "root:x:0:0")
        z.writestr("payload.sh", "#!/bin/sh\nrm -rf /\n")
    return buf.getvalue()
