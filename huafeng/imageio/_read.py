"""Reading: every photo normalised once (EXIF rotation, colour profile, bit depth, alpha, bombs)."""

from __future__ import annotations

import io
import os
import struct
import threading
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from huafeng.errors import ImageTooLargeError, InputError
from huafeng.imageio._types import _SRGB, _SRGB_BYTES, Image, Source, _open_formats, heif_loaded

# --------------------------------------------------------------------------------------- reading

# Pillow's bomb limit is a module global: batch stylization opens photos on several threads, and
# one thread restoring it while another opens a huge header made Pillow raise its own error.
_PIL_LIMIT_LOCK = threading.Lock()


def _open(src: Source, max_pixels: int | None) -> PILImage.Image:
    name = _describe(src)
    max_pixels = _limit(max_pixels, "HUAFENG_MAX_PIXELS")
    if isinstance(src, (bytes, bytearray)):
        if len(src) == 0:
            raise InputError(f"{name}: empty file (0 bytes)")
        fp: BinaryIO | str | os.PathLike[str] = io.BytesIO(src)
    elif isinstance(src, (str, os.PathLike)):
        p = Path(src)
        if not p.exists():
            raise InputError(f"{name}: no such file")
        if p.is_dir():
            raise InputError(f"{name}: is a folder, not an image")
        if p.stat().st_size == 0:
            raise InputError(f"{name}: empty file (0 bytes)")
        fp = p
    else:
        fp = src
    # Pillow's own bomb check warns at MAX_IMAGE_PIXELS and raises at 2x; we check the header size
    # ourselves against our limit before any pixel is decoded, and silence Pillow's warning.
    with _PIL_LIMIT_LOCK:
        saved = PILImage.MAX_IMAGE_PIXELS
        PILImage.MAX_IMAGE_PIXELS = None
        try:
            im = _open_pil(fp)
        except UnidentifiedImageError:
            raise InputError(f"{name}: not an image file, or a format huafeng cannot read") from None
        except PILImage.DecompressionBombError as e:
            raise ImageTooLargeError(f"{name}: {_short(e)}") from None
        except (OSError, ValueError, SyntaxError, EOFError, struct.error) as e:
            raise InputError(f"{name}: cannot read image ({_short(e)})") from None
        finally:
            PILImage.MAX_IMAGE_PIXELS = saved
    w, h = im.size
    if w <= 0 or h <= 0:
        raise InputError(f"{name}: image has no pixels ({w}x{h})")
    if w * h > max_pixels:
        raise ImageTooLargeError(
            f"{name}: {w}x{h} = {w * h / 1e6:.0f} MP exceeds the limit of {max_pixels / 1e6:.0f} MP "
            "(raise it with HUAFENG_MAX_PIXELS if you trust this file)"
        )
    return im


def _open_pil(fp: BinaryIO | str | os.PathLike[str]) -> PILImage.Image:
    """``PIL.Image.open`` with only our decoders; HEIC's plugin is registered on the first file
    nothing else identifies (it costs start-up time every other command would pay)."""
    start = fp.tell() if hasattr(fp, "tell") else 0
    with warnings.catch_warnings():
        # also Pillow's UserWarnings about corrupt tags it skips while parsing the header
        warnings.simplefilter("ignore")
        try:
            return PILImage.open(fp, formats=_open_formats())
        except UnidentifiedImageError:
            if heif_loaded():
                raise
        if hasattr(fp, "seek"):
            fp.seek(start)
        return PILImage.open(fp, formats=_open_formats(heif=True))


def _short(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg[:200]


def _describe(src: Source) -> str:
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    if isinstance(src, (bytes, bytearray)):
        return "<uploaded image>"
    return str(getattr(src, "name", "<stream>"))


def _to_rgb_alpha(im: PILImage.Image) -> tuple[np.ndarray, np.ndarray | None, bytes | None]:
    """Normalise any Pillow mode to sRGB uint8 + optional alpha; returns the ICC to embed."""
    icc = im.info.get("icc_profile")
    mode = im.mode
    alpha: np.ndarray | None = None

    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16/32-bit greyscale: Pillow's convert("L") clips instead of scaling, so scale by hand.
        a = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        a = np.clip(a / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        im = PILImage.fromarray(a, "L")
        mode = "L"
    elif mode == "F":
        a = np.nan_to_num(np.asarray(im, dtype=np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        hi = 1.0 if a.max(initial=0) <= 1.0 else 255.0
        im = PILImage.fromarray(np.clip(a / hi * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
        mode = "L"
    elif mode == "1":
        im = im.convert("L")
        mode = "L"

    if mode == "P" or mode == "PA":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("LA", "La", "RGBA", "RGBa"):
        if mode in ("La", "RGBa"):  # premultiplied: un-premultiply via Pillow
            im = im.convert("RGBA")
        alpha = np.asarray(im.getchannel("A"), dtype=np.uint8).copy()
        im = im.convert("LA").convert("L") if mode.startswith("L") else im.convert("RGB")
        mode = im.mode

    if icc and mode in ("RGB", "CMYK", "L"):
        try:
            src_prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            # grey profiles go to RGB too, so the grey tone curve is honoured
            converted = ImageCms.profileToProfile(im, src_prof, _SRGB, outputMode="RGB")
            if converted is not None:
                im = converted
                icc = _SRGB_BYTES
        except (ImageCms.PyCMSError, OSError, ValueError):
            icc = None  # broken profile: fall back to treating the pixels as sRGB
    if im.mode != "RGB":
        im = im.convert("RGB")
    rgb = np.asarray(im, dtype=np.uint8)
    if alpha is not None and alpha.min() == 255:
        alpha = None  # fully opaque: drop so outputs stay simple
    return np.ascontiguousarray(rgb), alpha, icc


def _exif_bytes(im: PILImage.Image) -> bytes | None:
    try:
        exif = im.getexif()
    except Exception:
        return None
    if not exif:
        return None
    exif[0x0112] = 1  # orientation already applied to the pixels
    try:
        return exif.tobytes()
    except Exception:
        return None


def _limit(value: int | None, name: str) -> int:
    """An explicit limit, else the environment's (``HUAFENG_MAX_PIXELS``/``_FRAMES``), read now."""
    from huafeng.envsettings import env_int

    return value if value is not None else env_int(name)


def read_image(src: Source, *, max_pixels: int | None = None) -> Image:
    """Decode one still image (the first frame of an animation), upright, in sRGB."""
    im = _open(src, max_pixels)
    name = _describe(src)
    try:
        # Pillow warns (UserWarning) about corrupt EXIF/TIFF tags it skips: the result is still
        # right, and a warning on stderr would break the CLI's one-line promise.
        with im, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = im.format
            im.load()
            # Transpose first: Pillow drops the orientation tag on the transposed copy, and
            # _exif_bytes must not touch the source's cached EXIF before exif_transpose reads it.
            upright = ImageOps.exif_transpose(im)
            exif = _exif_bytes(upright)
            rgb, alpha, icc = _to_rgb_alpha(upright)
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as e:
        raise InputError(f"{name}: corrupt or truncated image ({_short(e)})") from None
    except MemoryError:
        raise ImageTooLargeError(f"{name}: not enough memory to decode this image") from None
    return Image(rgb=rgb, alpha=alpha, exif=exif, icc=icc, format=fmt)


def probe_image(src: Source, *, max_pixels: int | None = None) -> tuple[str, tuple[int, int]]:
    """(format, (width, height)) from the header alone: the accepted decoders and the size limit are
    checked, no pixel is decoded (a 116 KB PNG of 40 MP costs ~0.5 GB to decode; this costs KBs)."""
    im = _open(src, max_pixels)
    try:
        return str(im.format or ""), (int(im.size[0]), int(im.size[1]))
    finally:
        im.close()


def read_frames(src: Source, *, max_pixels: int | None = None, max_frames: int | None = None) -> list[Image]:
    """Decode every frame of an animated GIF/WebP/PNG (a still image gives one frame)."""
    max_pixels = _limit(max_pixels, "HUAFENG_MAX_PIXELS")
    max_frames = _limit(max_frames, "HUAFENG_MAX_FRAMES")
    im = _open(src, max_pixels)
    name = _describe(src)
    try:  # counting frames walks the file: a truncated GIF fails here (struct.error), not later
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = int(getattr(im, "n_frames", 1))
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as e:
        im.close()
        raise InputError(f"{name}: corrupt or truncated animation ({_short(e)})") from None
    if n > max_frames:
        raise InputError(f"{name}: {n} frames exceeds the limit of {max_frames}")
    w, h = im.size
    if w * h * n > max_pixels * 4:
        raise ImageTooLargeError(f"{name}: {n} frames of {w}x{h} is too much to decode at once")
    frames: list[Image] = []
    try:
        with im, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = im.format
            for frame in ImageSequence.Iterator(im):
                dur = frame.info.get("duration", im.info.get("duration"))
                rgb, alpha, icc = _to_rgb_alpha(frame.copy())
                frames.append(
                    Image(rgb=rgb, alpha=alpha, icc=icc, format=fmt, duration_ms=int(dur) if dur else None)
                )
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as e:
        if frames:  # truncated animation: keep what decoded
            return frames
        raise InputError(f"{name}: corrupt or truncated image ({_short(e)})") from None
    return frames
