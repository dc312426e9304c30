"""The only place that reads and writes images.

Convention at every boundary of the package: an :class:`Image` holds ``rgb`` as an ``(H, W, 3)``
``uint8`` array in sRGB, plus an optional ``(H, W)`` ``uint8`` alpha that is carried through
stylization untouched and re-applied on output. Float work elsewhere uses ``float32`` in
``[0, 1]``, HWC (:func:`to_float` / :func:`from_float`); models see NCHW and convert themselves.

Why this much care: photos from phones arrive rotated by EXIF, in Display-P3 or Adobe RGB, as
CMYK JPEGs from print workflows, 16-bit PNGs from scanners, palette GIFs with transparency, or as
decompression bombs from strangers. Each is normalised here once, so no other module has to know.
Writes are atomic (temp file + ``os.replace``) so a crash never leaves half a file, and never
overwrite an existing file or the input unless asked.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from huafeng.errors import ImageTooLargeError, InputError, OutputExistsError

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


# --------------------------------------------------------------------------------------- reading


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
    saved = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            # also Pillow's UserWarnings about corrupt tags it skips while parsing the header
            warnings.simplefilter("ignore")
            im = PILImage.open(fp, formats=_open_formats())
    except UnidentifiedImageError:
        raise InputError(f"{name}: not an image file, or a format huafeng cannot read") from None
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


# --------------------------------------------------------------------------------------- writing


def check_writable(
    path: str | os.PathLike[str], *, overwrite: bool = False, protect: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Raise a clear error if writing ``path`` would clobber something it must not."""
    p = Path(path)
    for q in protect:
        qp = Path(q)
        if qp.exists() and p.exists() and os.path.samefile(p, qp):
            raise InputError(f"{p}: refusing to overwrite the input file")
        if not p.exists() and p.resolve() == qp.resolve():
            raise InputError(f"{p}: refusing to overwrite the input file")
    if p.exists() and not overwrite:
        raise OutputExistsError(f"{p}: already exists (pass --overwrite to replace it)")
    if p.exists() and p.is_dir():
        raise InputError(f"{p}: is a folder; give a file name")
    return p


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write via a temp file in the same folder and ``os.replace``: readers never see half a file."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent)
    except PermissionError:
        raise InputError(f"{p}: cannot write here (permission denied)") from None
    except OSError as e:
        raise InputError(f"{p}: cannot write here ({_short(e)})") from None
    try:
        # mkstemp creates 0600 files; give the result the mode a plain open() would (or keep the
        # mode of the file being replaced), so outputs stay readable by the user's other tools.
        mode = p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~_UMASK
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{p}: write failed ({_short(e)})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# read once at import: os.umask can only be read by setting it, which races with other threads
_UMASK = _umask()


def _pil_for_output(img: Image, fmt: str) -> PILImage.Image:
    rgb = PILImage.fromarray(img.rgb, "RGB")
    if img.alpha is None:
        return rgb
    a = PILImage.fromarray(img.alpha, "L")
    if fmt in _ALPHA_FORMATS:
        rgb.putalpha(a)
        return rgb
    # JPEG/BMP have no alpha: flatten onto white, as a viewer would show it on a page.
    white = PILImage.new("RGB", rgb.size, (255, 255, 255))
    white.paste(rgb, mask=a)
    return white


def encode_image(img: Image, fmt: str, *, quality: int = 92) -> bytes:
    """Encode to bytes in a Pillow format name ("JPEG", "PNG", "WEBP", ...), metadata kept."""
    fmt = fmt.upper()
    pil = _pil_for_output(img, fmt)
    kw: dict[str, object] = {}
    if img.icc and fmt in ("JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"):
        kw["icc_profile"] = img.icc
    if img.exif and fmt in ("JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"):
        kw["exif"] = img.exif
    if fmt in ("JPEG", "WEBP", "AVIF", "HEIF"):
        kw["quality"] = quality
    if fmt == "JPEG":
        kw["subsampling"] = 0 if quality >= 90 else 2
    buf = io.BytesIO()
    try:
        pil.save(buf, format=fmt, **kw)
    except (KeyError, OSError, ValueError) as e:
        raise InputError(f"cannot encode as {fmt} ({_short(e)})") from None
    return buf.getvalue()


def format_for_path(path: str | os.PathLike[str]) -> str:
    ext = Path(path).suffix.lower()
    try:
        return _WRITE_FORMATS[ext]
    except KeyError:
        raise InputError(
            f"{path}: unknown output type {ext or '(none)'!r}; use one of {', '.join(sorted(_WRITE_FORMATS))}"
        ) from None


def write_image(
    path: str | os.PathLike[str],
    img: Image,
    *,
    overwrite: bool = False,
    protect: Iterable[str | os.PathLike[str]] = (),
    quality: int = 92,
) -> Path:
    """Atomically write ``img``; the format follows the extension; EXIF/ICC/alpha kept."""
    p = check_writable(path, overwrite=overwrite, protect=protect)
    atomic_write_bytes(p, encode_image(img, format_for_path(p), quality=quality))
    return p


def encode_animation(
    frames: Sequence[Image], fmt: str = "GIF", *, duration_ms: int = 100, loop: int = 0
) -> bytes:
    """Encode frames as an animated GIF or WebP (stickers, story snippets)."""
    if not frames:
        raise InputError("no frames to write")
    fmt = fmt.upper()
    pils = [_pil_for_output(f, fmt) for f in frames]
    durs = [f.duration_ms or duration_ms for f in frames]
    buf = io.BytesIO()
    kw: dict[str, object] = {"save_all": True, "append_images": pils[1:], "duration": durs, "loop": loop}
    if fmt == "GIF":
        pils, has_alpha = _gif_frames(pils)
        kw["append_images"] = pils[1:]
        # Opaque frames: keep the previous frame (disposal 1), so Pillow writes only the rectangle
        # that changed. Transparent ones must clear it (disposal 2) or old pixels would show through.
        kw["disposal"] = 2 if has_alpha else 1
        kw["optimize"] = False
        if has_alpha:
            kw["transparency"] = _GIF_CLEAR
    else:
        kw["quality"] = 90
    pils[0].save(buf, format=fmt, **kw)
    return buf.getvalue()


_GIF_CLEAR = 255  # the palette index kept for transparent pixels


def _gif_frames(pils: list[PILImage.Image]) -> tuple[list[PILImage.Image], bool]:
    """Every frame quantised to **one** palette, learnt once from a mosaic of the frames.

    Why: Pillow's default quantises each frame on its own (median cut per frame, 13-23 s for a
    sticker), and frames with different palettes cannot be written as differences. With one
    palette, an unchanged frame dithers to the same indices, so the GIF writer stores only the
    rectangle that changed. Floyd-Steinberg stays on: without it a palette learnt mostly from
    painted frames tinted a morph's photo frames green (looked at, session 6).
    """
    has_alpha = any(p.mode == "RGBA" for p in pils)
    rgb = [p.convert("RGB") for p in pils]
    picks = rgb[:: max(1, len(rgb) // 12)]
    w, h = picks[0].size
    s = min(1.0, 320 / max(w, h))
    size = (max(1, round(w * s)), max(1, round(h * s)))
    mosaic = PILImage.new("RGB", (size[0], size[1] * len(picks)))
    for i, im in enumerate(picks):
        mosaic.paste(im.resize(size, PILImage.Resampling.BOX), (0, i * size[1]))
    palette = mosaic.quantize(255 if has_alpha else 256, method=PILImage.Quantize.MEDIANCUT)
    out: list[PILImage.Image] = []
    prev_rgb: np.ndarray | None = None
    prev_idx: np.ndarray | None = None
    for src, im in zip(pils, rgb, strict=True):
        idx = np.asarray(im.quantize(palette=palette, dither=PILImage.Dither.FLOYDSTEINBERG)).copy()
        cur = np.asarray(im)
        if prev_rgb is not None and prev_idx is not None and prev_rgb.shape == cur.shape:
            # dither error spreads right and down from whatever changed: pixels whose colour did
            # not change keep last frame's indices, so the changed rectangle stays small
            same = (cur == prev_rgb).all(axis=-1)
            idx[same] = prev_idx[same]
        prev_rgb, prev_idx = cur, idx.copy()
        if has_alpha and src.mode == "RGBA":
            idx[np.asarray(src.getchannel("A")) < 128] = _GIF_CLEAR
        q = PILImage.fromarray(idx, "P")
        q.putpalette(palette.getpalette() or [])
        out.append(q)
    return out, has_alpha


def write_animation(
    path: str | os.PathLike[str],
    frames: Sequence[Image],
    *,
    overwrite: bool = False,
    duration_ms: int = 100,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    p = check_writable(path, overwrite=overwrite, protect=protect)
    fmt = format_for_path(p)
    if fmt not in ("GIF", "WEBP", "PNG"):
        raise InputError(f"{p}: animations can be written as .gif, .webp or .png")
    atomic_write_bytes(p, encode_animation(frames, fmt, duration_ms=duration_ms))
    return p


# ------------------------------------------------------------------------------ conversions


def to_float(rgb: np.ndarray) -> np.ndarray:
    """uint8 HWC → float32 HWC in [0, 1]."""
    return rgb.astype(np.float32) * (1.0 / 255.0)


def from_float(x: np.ndarray) -> np.ndarray:
    """float HWC in [0, 1] → uint8 HWC, rounded and clipped."""
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def to_pil(img: Image | np.ndarray) -> PILImage.Image:
    """For layout/drawing code (captions) that works on Pillow images."""
    if isinstance(img, Image):
        pil = PILImage.fromarray(img.rgb, "RGB")
        if img.alpha is not None:
            pil.putalpha(PILImage.fromarray(img.alpha, "L"))
        return pil
    return PILImage.fromarray(img)


def from_pil(pil: PILImage.Image) -> Image:
    rgb, alpha, icc = _to_rgb_alpha(pil)
    return Image(rgb=rgb, alpha=alpha, icc=icc)


def resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 or float HWC to ``(width, height)`` with a good filter for either direction."""
    w, h = size
    if (rgb.shape[1], rgb.shape[0]) == (w, h):
        return rgb
    import cv2

    shrink = w < rgb.shape[1] or h < rgb.shape[0]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    out = cv2.resize(rgb, (w, h), interpolation=interp)
    if rgb.dtype == np.uint8:
        return np.asarray(out, dtype=np.uint8)
    return np.asarray(out)


def fit_side(rgb: np.ndarray, side: int) -> np.ndarray:
    """Downscale so the longest side is at most ``side`` (never upscales)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= side:
        return rgb
    f = side / max(h, w)
    return resize(rgb, (max(1, round(w * f)), max(1, round(h * f))))


def list_images(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files, folders (non-recursive, sorted) and globs into image paths, in order."""
    import glob

    out: list[Path] = []
    for raw in paths:
        s = str(raw)
        p = Path(s)
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in READ_EXTENSIONS))
        elif any(c in s for c in "*?["):
            matches = sorted(glob.glob(s, recursive=True))
            if not matches:
                raise InputError(f"{s}: no files match this pattern")
            out.extend(Path(m) for m in matches if Path(m).is_file())
        else:
            out.append(p)
    return out
