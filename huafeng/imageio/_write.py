"""Writing: atomic, never over an existing file or the input unless asked; stills and animations."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from huafeng.errors import InputError, OutputExistsError
from huafeng.imageio._read import _short
from huafeng.imageio._types import _ALPHA_FORMATS, _WRITE_FORMATS, Image, load_plugins

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
    load_plugins(heif=fmt == "HEIF")
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
    load_plugins()
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
