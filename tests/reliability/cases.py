"""The list of hostile image cases (see :mod:`tests.reliability.corpus` for how each is made)."""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage

from tests.reliability.corpus import (
    Case,
    adobe_rgb_png,
    base,
    bmp_claim,
    broken_icc_jpeg,
    encode,
    flip_bytes,
    gif_bytes,
    gradient,
    jpeg_sof_claim,
    png_bomb,
    png_bytes,
    png_chunk,
    tiff_claim,
    tiff_ifd_loop,
    with_exif,
    zip_bytes,
)

FORMATS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tif"}
W, H = 24, 16  # the clean gradient's size


def _empty() -> list[Case]:
    exts = [*FORMATS.values(), ".heic", ".avif", ".jpeg", ".txt", ""]
    return [Case(f"empty{e or '-noext'}", f"empty{e}", lambda: b"", "error", group="0-byte") for e in exts]


def _truncated() -> list[Case]:
    out = []
    for fmt, ext in FORMATS.items():
        for label, cut in (("1B", 1), ("8B", 8), ("header", 30), ("half", -2), ("minus1", -1)):

            def make(fmt: str = fmt, cut: int = cut) -> bytes:
                b = base(fmt)
                n = len(b) // 2 if cut == -2 else len(b) - 1 if cut == -1 else cut
                return b[:n]

            # one missing end byte is something readers legitimately tolerate (GIF trailer, JPEG EOI)
            out.append(
                Case(
                    f"trunc-{fmt}-{label}",
                    f"t{ext}",
                    make,
                    "either" if cut == -1 else "error",
                    (W, H),
                    "truncated",
                )
            )
    return out


def _wrong_extension() -> list[Case]:
    """Content sniffing: the bytes decide, not the name."""
    out = []
    for fmt in FORMATS:
        for ext in (".jpg", ".png", ".webp"):
            if FORMATS[fmt] != ext:
                out.append(
                    Case(f"ext-{fmt}-as{ext}", f"x{ext}", lambda f=fmt: base(f), "ok", (W, H), "wrong-ext")
                )
    return out


def _not_images() -> list[Case]:
    items: dict[str, tuple[str, bytes]] = {
        "text": ("x.jpg", b"hello, this is not a picture\n" * 10),
        "html": ("x.png", b"<html><script>alert(1)</script></html>"),
        "svg-script": ("x.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        "pdf": ("x.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"),
        "elf": ("x.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 100),
        "zip": ("x.jpg", zip_bytes()),
        "nulls": ("x.png", b"\x00" * 4096),
        "random": ("x.jpg", np.random.default_rng(1).bytes(4096)),
        "png-magic-only": ("x.png", b"\x89PNG\r\n\x1a\n"),
        "jpeg-soi-only": ("x.jpg", b"\xff\xd8\xff"),
        "gif-magic-only": ("x.gif", b"GIF89a"),
        "riff-empty-webp": ("x.webp", b"RIFF\x04\x00\x00\x00WEBP"),
        "bom-text": ("x.jpg", "\ufeff画风".encode()),
        "python-pickle": ("x.png", b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94."),
    }
    return [
        Case(f"notimg-{k}", n, lambda b=b: b, "error", group="not-an-image") for k, (n, b) in items.items()
    ]


def _polyglots() -> list[Case]:
    """Valid images with something else glued on: they decode as the image, nothing else runs."""
    out = [
        Case("poly-jpeg+zip", "p.jpg", lambda: base("JPEG") + zip_bytes(), "ok", (W, H), "polyglot"),
        Case("poly-gif+zip", "p.gif", lambda: base("GIF") + zip_bytes(), "ok", (W, H), "polyglot"),
        Case(
            "poly-png+html",
            "p.png",
            lambda: base("PNG") + b"<script>alert(1)</script>",
            "ok",
            (W, H),
            "polyglot",
        ),
        Case("poly-zip+png", "p.png", lambda: zip_bytes() + base("PNG"), "error", group="polyglot"),
        Case(
            "poly-png-text-chunk-script",
            "p.png",
            lambda: (
                base("PNG")[:33]
                + png_chunk(b"tEXt", b"Comment\x00<?php system($_GET[c]); ?>")
                + base("PNG")[33:]
            ),
            "ok",
            (W, H),
            "polyglot",
        ),
        Case(
            "poly-jpeg-comment-html",
            "p.jpg",
            lambda: base("JPEG")[:2] + b"\xff\xfe\x00\x20<script>alert(1)</script>      " + base("JPEG")[2:],
            "ok",
            (W, H),
            "polyglot",
        ),
    ]
    return out


def _huge_headers() -> list[Case]:
    g = "huge-header"
    return [
        Case("png-60000x60000", "h.png", lambda: png_bytes(60000, 60000), "error", group=g),
        Case("png-2^31-1-wide", "h.png", lambda: png_bytes(2**31 - 1, 1), "error", group=g),
        Case("png-zero-width", "h.png", lambda: png_bytes(0, 10), "error", group=g),
        Case("png-1x2^31-1", "h.png", lambda: png_bytes(1, 2**31 - 1), "error", group=g),
        Case(
            "png-16bit-rgba-30000^2",
            "h.png",
            lambda: png_bytes(30000, 30000, depth=16, colour=6),
            "error",
            group=g,
        ),
        Case("jpeg-65535x65535", "h.jpg", lambda: jpeg_sof_claim(65535, 65535), "error", group=g),
        Case("jpeg-zero-height", "h.jpg", lambda: jpeg_sof_claim(8, 0), "error", group=g),
        Case(
            "gif-65535x65535",
            "h.gif",
            lambda: gif_bytes(65535, 65535, 1, frame_w=65535, frame_h=65535),
            "error",
            group=g,
        ),
        Case("tiff-60000x60000", "h.tif", lambda: tiff_claim(60000, 60000), "error", group=g),
        Case("tiff-ifd-loop", "h.tif", tiff_ifd_loop, "either", (4, 4), g),
        Case("bmp-60000x60000", "h.bmp", lambda: bmp_claim(60000, 60000), "error", group=g),
        Case("bmp-negative-height", "h.bmp", lambda: bmp_claim(4, -(2**31) + 1), "error", group=g),
        Case("bomb-png-12000^2-zeros", "b.png", lambda: png_bomb(12000, 12000), "error", group="bomb"),
    ]


def _tiny_and_thin() -> list[Case]:
    out = []
    for fmt, ext in FORMATS.items():
        for w, h in ((1, 1), (1, 10000), (10000, 1)):
            if fmt == "WEBP" and max(w, h) > 16383:
                continue

            def make(fmt: str = fmt, w: int = w, h: int = h) -> bytes:
                pil = PILImage.new("RGB", (w, h), (10, 200, 30))
                return encode(pil.convert("P") if fmt == "GIF" else pil, fmt)

            out.append(Case(f"size-{fmt}-{w}x{h}", f"s{ext}", make, "ok", (w, h), "tiny/thin"))
    return out


def _modes() -> list[Case]:
    g = gradient()
    grey16 = np.asarray(g.convert("L"), dtype=np.uint16) * 257
    rgba = g.copy()
    rgba.putalpha(PILImage.linear_gradient("L").resize((W, H)))
    pal_t = g.convert("P")
    pal_t.info["transparency"] = 0
    items: dict[str, tuple[str, object]] = {
        "cmyk-jpeg": ("m.jpg", lambda: encode(g.convert("CMYK"), "JPEG")),
        "cmyk-tiff": ("m.tif", lambda: encode(g.convert("CMYK"), "TIFF")),
        "grey16-png": ("m.png", lambda: encode(PILImage.fromarray(grey16), "PNG")),
        "grey16-tiff": ("m.tif", lambda: encode(PILImage.fromarray(grey16), "TIFF")),
        "int32-tiff": ("m.tif", lambda: encode(PILImage.fromarray(grey16.astype(np.int32)), "TIFF")),
        "float-tiff": (
            "m.tif",
            lambda: encode(PILImage.fromarray(grey16.astype(np.float32) / 65535), "TIFF"),
        ),
        "float-tiff-nan-inf": (
            "m.tif",
            lambda: encode(PILImage.fromarray(np.full((H, W), np.nan, np.float32)), "TIFF"),
        ),
        "rgb48-png": (
            "m.png",
            lambda: png_bytes(
                W, H, depth=16, colour=2, rows=b"".join(b"\x00" + b"\x12\x34" * 3 * W for _ in range(H))
            ),
        ),
        "palette-png": ("m.png", lambda: encode(g.convert("P"), "PNG")),
        "palette-transp-png": ("m.png", lambda: encode(pal_t, "PNG", transparency=0)),
        "palette-transp-gif": ("m.gif", lambda: encode(pal_t, "GIF", transparency=0)),
        "rgba-png": ("m.png", lambda: encode(rgba, "PNG")),
        "rgba-webp": ("m.webp", lambda: encode(rgba, "WEBP", lossless=True)),
        "rgba-tiff": ("m.tif", lambda: encode(rgba, "TIFF")),
        "la-png": ("m.png", lambda: encode(rgba.convert("LA"), "PNG")),
        "l-png": ("m.png", lambda: encode(g.convert("L"), "PNG")),
        "l-jpeg": ("m.jpg", lambda: encode(g.convert("L"), "JPEG")),
        "1bit-png": ("m.png", lambda: encode(g.convert("1"), "PNG")),
        "1bit-tiff-g4": ("m.tif", lambda: encode(g.convert("1"), "TIFF", compression="group4")),
        "ycbcr-tiff": ("m.tif", lambda: encode(g.convert("YCbCr"), "TIFF")),
        "lab-tiff": ("m.tif", lambda: encode(g.convert("LAB"), "TIFF")),
        "hsv-as-rgb-png": ("m.png", lambda: encode(PILImage.fromarray(np.asarray(g.convert("HSV"))), "PNG")),
        "rgba-bmp": ("m.bmp", lambda: encode(rgba, "BMP")),
        "broken-icc-jpeg": ("m.jpg", broken_icc_jpeg),
        "lab-icc-png": ("m.png", adobe_rgb_png),
        "progressive-jpeg": ("m.jpg", lambda: encode(g, "JPEG", progressive=True)),
        "jpeg-restart-markers": ("m.jpg", lambda: encode(g, "JPEG", restart_marker_blocks=1)),
        "tiff-lzw": ("m.tif", lambda: encode(g, "TIFF", compression="tiff_lzw")),
        "tiff-deflate": ("m.tif", lambda: encode(g, "TIFF", compression="tiff_adobe_deflate")),
        "png-interlaced": ("m.png", lambda: encode(g, "PNG", interlace=1)),
    }
    return [Case(f"mode-{k}", n, mk, "ok", (W, H), "modes") for k, (n, mk) in items.items()]  # type: ignore[arg-type]


def _exif() -> list[Case]:
    out = []
    for o in range(0, 12):
        size = (H, W) if o in (5, 6, 7, 8) else (W, H)
        out.append(Case(f"exif-orientation-{o}", f"o{o}.jpg", lambda o=o: with_exif(o), "ok", size, "exif"))
    out.append(Case("exif-orientation-65535", "o.jpg", lambda: with_exif(65535), "ok", (W, H), "exif"))

    def garbage_app1() -> bytes:
        b = base("JPEG")
        seg = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + b"\xff" * 40
        return b[:2] + b"\xff\xe1" + len(seg).to_bytes(2, "big") + seg + b[2:]

    def exif_len_lies() -> bytes:
        b = base("JPEG")
        return b[:2] + b"\xff\xe1\xff\xffExif\x00\x00" + b[2:]

    out.append(Case("exif-garbage-ifd", "e.jpg", garbage_app1, "ok", (W, H), "exif"))
    out.append(Case("exif-length-lies", "e.jpg", exif_len_lies, "either", (W, H), "exif"))
    return out


def _animations() -> list[Case]:
    g = "animated"
    return [
        Case("gif-10000-frames", "a.gif", lambda: gif_bytes(1, 1, 10000), "ok", (1, 1), g),
        Case("gif-3-frames", "a.gif", lambda: gif_bytes(1, 1, 3), "ok", (1, 1), g),
        Case(
            "gif-frame-outside-screen",
            "a.gif",
            lambda: gif_bytes(1, 1, 2, frame_w=500, frame_h=500),
            "either",
            None,
            g,
        ),
        Case("gif-10000-frames-truncated", "a.gif", lambda: gif_bytes(1, 1, 10000)[:-5000], "ok", (1, 1), g),
        Case(
            "webp-anim-40-frames",
            "a.webp",
            lambda: encode(
                gradient(), "WEBP", save_all=True, append_images=[gradient().rotate(i) for i in range(39)]
            ),
            "ok",
            (W, H),
            g,
        ),
        Case(
            "apng-30-frames",
            "a.png",
            lambda: encode(
                gradient(), "PNG", save_all=True, append_images=[gradient().rotate(i + 1) for i in range(29)]
            ),
            "ok",
            (W, H),
            g,
        ),
    ]


def _corrupt_inside() -> list[Case]:
    out = []
    for fmt, ext in FORMATS.items():
        for seed in range(3):
            out.append(
                Case(
                    f"bitflip-{fmt}-{seed}",
                    f"c{ext}",
                    lambda fmt=fmt, seed=seed: flip_bytes(base(fmt), 20, 24, seed),
                    "either",
                    None,
                    "corrupt",
                )
            )

    def bad_crc() -> bytes:
        b = bytearray(base("PNG"))
        b[29] ^= 0xFF  # IHDR CRC
        return bytes(b)

    def bad_zlib() -> bytes:
        return png_bytes(W, H, idat=b"\x78\x9c\xff\xff\xff\x00\x13")

    out.append(Case("png-bad-ihdr-crc", "c.png", bad_crc, "error", group="corrupt"))
    out.append(Case("png-bad-zlib", "c.png", bad_zlib, "error", group="corrupt"))
    out.append(
        Case(
            "png-idat-too-short",
            "c.png",
            lambda: png_bytes(W, H, rows=b"\x00" * 10),
            "error",
            group="corrupt",
        )
    )
    out.append(
        Case("png-bad-colour-type", "c.png", lambda: png_bytes(W, H, colour=7), "error", group="corrupt")
    )
    out.append(Case("png-bad-bit-depth", "c.png", lambda: png_bytes(W, H, depth=3), "error", group="corrupt"))
    return out


def image_cases() -> list[Case]:
    """Every hostile image case, in a stable order (test ids)."""
    return [
        *_empty(),
        *_truncated(),
        *_wrong_extension(),
        *_not_images(),
        *_polyglots(),
        *_huge_headers(),
        *_tiny_and_thin(),
        *_modes(),
        *_exif(),
        *_animations(),
        *_corrupt_inside(),
    ]
