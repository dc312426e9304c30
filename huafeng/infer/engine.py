"""Stylize images: resize → (tiled) model → filters → colour → strength/mask blend.

The pipeline, and why it is in this order:

1. **Downscale** to ``max_size`` first (area filter): everything after is cheaper, and a user
   asking for a 1600 px result should not pay for 50 MP of inference.
2. **Run the style**: an ONNX model (reflect-padded to its multiple, cropped back; tiled above
   ~1.5 MP, see :mod:`huafeng.infer.tiling`) or a filter look's chain.
3. **Colour preservation**, then **extra filters** (so ``--filter bw`` still ends black and white).
4. **One blend with the original**, weight ``strength * mask``: the photo is the anchor, so
   strength 0 or a black mask gives back the input bit for bit.

Alpha, EXIF and ICC ride along on the :class:`~huafeng.imageio.Image` (``Image.with_rgb``); the
model only ever sees RGB. Nothing here imports torch: ONNX Runtime does the work.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from huafeng.errors import InputError, UnknownNameError
from huafeng.imageio import Image, check_writable, read_image, resize, to_float, write_image
from huafeng.infer import color, tiling, upsample
from huafeng.infer.filters import FILTERS, apply_filters
from huafeng.infer.session import Session, get_session
from huafeng.infer.style_code import CODE_INPUT
from huafeng.infer.styles import StyleInfo, resolve_style
from huafeng.registry import did_you_mean

StyleRef = StyleInfo | str | os.PathLike[str]


#: Largest image (pixels) the reduced-resolution path takes; larger ones run tiled at full size.
#: 4096² covers 16 MP phone photos: measured 2.3 s and 1082 MiB peak for one at 4896×3264 (the
#: tiled path took 18 s and 1301 MiB and drew strokes a third the size); a 50 MP camera file
#: would put a 4.5 MP image through the network untiled, which is what tiling is for.
REDUCED_MAX_PIXELS = 4096 * 4096
#: Above this, sessions run without ORT's memory arena (see :func:`~huafeng.infer.session.get_session`):
#: it would keep a big photo's buffers and grow them from photo to photo.
ARENA_MAX_PIXELS = 2048 * 2048


@dataclass(frozen=True, eq=False)  # eq=False: holds arrays/dicts, so options compare by identity
class StylizeOptions:
    """How to stylize; every field is checked here so bad values fail before any work is done."""

    strength: float = 1.0
    """0 = the photo untouched, 1 = full style; in between is a linear blend."""
    preserve_color: bool = False
    """Keep the photo's colours, take only the style's light and texture (luma)."""
    mask: np.ndarray | str | Path | None = None
    """Where to stylize: white = stylize, black = keep; array or image file, resized to fit."""
    mask_feather: float = 0.0
    """Gaussian sigma in px softening the mask edge (in output pixels, after max_size)."""
    invert_mask: bool = False
    max_size: int | None = None
    """Longest side of the result; larger inputs are downscaled first (never upscaled)."""
    tile: int | None = None
    """Tile side in px: None = auto (tile above ~1.5 MP), 0 = never tile."""
    tile_overlap: int = tiling.DEFAULT_OVERLAP
    """Pixels shared by neighbouring tiles; 64 covers the receptive-field edge of typical generators."""
    filters: tuple[str, ...] = ()
    """Classic filters applied after the style, in order (see ``huafeng filters``)."""
    style_weights: dict[str, float] | None = None
    """Multi-style models only: sub-style name → weight, normalised to sum 1 (interpolation)."""
    threads: int | None = None
    """ORT intra-op threads; None = ``HUAFENG_THREADS`` or ORT's default."""
    render_scale: float | None = None
    """Run the model at this fraction of the side and lift the result back along the photo's
    edges (:mod:`huafeng.infer.upsample`); None = the model's ``huafeng.render_scale`` (or 1)."""

    def __post_init__(self) -> None:
        if not isinstance(self.strength, (int, float)) or not 0.0 <= self.strength <= 1.0:
            raise InputError(f"strength must be between 0 and 1, got {self.strength!r}")
        if not math.isfinite(self.mask_feather) or self.mask_feather < 0:
            raise InputError(f"mask_feather must be 0 or more pixels, got {self.mask_feather!r}")
        if self.mask is not None and not isinstance(self.mask, (np.ndarray, str, os.PathLike)):
            raise InputError(f"mask must be an image path or an array, got {type(self.mask).__name__}")
        if self.max_size is not None and (not isinstance(self.max_size, int) or self.max_size < 8):
            raise InputError(f"max_size must be at least 8 pixels, got {self.max_size!r}")
        if self.tile_overlap < 0:
            raise InputError(f"tile_overlap must be 0 or more, got {self.tile_overlap}")
        if self.tile is not None and self.tile != 0:
            if self.tile < 32:
                raise InputError(f"tile must be 0 (off), or at least 32 pixels, got {self.tile}")
            if 2 * self.tile_overlap >= self.tile:
                raise InputError(
                    f"tile_overlap ({self.tile_overlap}) must be less than half the tile size ({self.tile})"
                )
        if self.render_scale is not None and not (
            isinstance(self.render_scale, (int, float)) and 0.1 <= self.render_scale <= 1.0
        ):
            raise InputError(f"render_scale must be between 0.1 and 1, got {self.render_scale!r}")
        if self.threads is not None and self.threads < 0:
            raise InputError(f"threads must be 0 (automatic) or more, got {self.threads}")
        filters = (self.filters,) if isinstance(self.filters, str) else tuple(self.filters)
        for f in filters:
            FILTERS.get(f)  # UnknownNameError listing the valid filters
        object.__setattr__(self, "filters", filters)
        object.__setattr__(self, "strength", float(self.strength))
        if self.style_weights is not None:
            weights = {str(k): float(v) for k, v in self.style_weights.items()}
            if any(not math.isfinite(v) or v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
                raise InputError("style_weights must be non-negative numbers with a positive sum")
            object.__setattr__(self, "style_weights", weights)


#: Video's step at the resolution the network paints at: given the uint8 image the network
#: would see and a function that runs it, return the float output to lift (flicker reduction
#: blends there, and in-between frames may move the previous output instead of running it).
SmallHook = Callable[[np.ndarray, Callable[[], np.ndarray]], np.ndarray]


class Stylizer:
    """A style ready to apply. Cheap to construct: ONNX sessions are cached and shared.

    Thread-safe: it holds no per-call state, and ORT sessions allow concurrent ``run`` calls.
    """

    def __init__(self, style: StyleRef, *, threads: int | None = None, spin: bool = True) -> None:
        self.info = style if isinstance(style, StyleInfo) else resolve_style(style)
        self.threads = threads
        self.spin = spin  # ORT threads spin while idle (photos); video turns it off (session.get_session)
        if self.info.kind == "onnx":
            self._session()  # load now: a broken model fails at construction, not mid-batch

    def __repr__(self) -> str:
        return f"Stylizer({self.info.name!r}, kind={self.info.kind!r})"

    def _session(self, threads: int | None = None, *, arena: bool = True) -> Session:
        assert self.info.path is not None  # StyleInfo guarantees it for kind "onnx"
        t = self.threads if threads is None else threads
        return get_session(self.info.path, t, spin=self.spin, arena=arena)

    @property
    def multiple(self) -> int:
        """H and W the model needs to be a multiple of (1 for filter looks)."""
        return self._session().info.multiple if self.info.kind == "onnx" else 1

    def style_vector(
        self, weights: dict[str, float] | None, *, threads: int | None = None
    ) -> np.ndarray | None:
        """The ``(1, K)`` style input for a multi-style model (None for single-style ones)."""
        info = self._session(threads).info if self.info.kind == "onnx" else None
        if info is not None and info.style_input is not None and info.meta("style_input") == CODE_INPUT:
            return self._code_vector(info.style_dim, weights)
        if info is None or info.style_input is None:
            if weights:
                raise InputError(
                    f"style {self.info.name!r} is a single style: mixing (--mix, style_weights) needs a"
                    " multi-style model such as painterly or four_traditions"
                )
            return None
        names = info.style_names
        vec = np.zeros((1, len(names)), np.float32)
        if not weights:
            vec[0, 0] = 1.0  # the model's first (primary) style
            return vec
        for key, w in weights.items():
            if key not in names:
                hint = did_you_mean(key, names)
                raise UnknownNameError(
                    f"style {self.info.name!r} has no sub-style {key!r}.{hint} Valid: {', '.join(names)}"
                )
            vec[0, names.index(key)] = w
        return vec / vec.sum()

    def _code_vector(self, dim: int, weights: dict[str, float] | None) -> np.ndarray:
        """The ``(1, dim)`` code input of a code-conditioned model: the style's own picture code."""
        if weights:
            raise InputError(f"style {self.info.name!r} paints one picture's style; it cannot be mixed")
        if len(self.info.code) != dim:
            raise InputError(
                f"style {self.info.name!r} paints a picture's style code; use stylize --style-image PICTURE"
            )
        return np.asarray(self.info.code, np.float32).reshape(1, dim)

    def run_array(
        self, x: np.ndarray, *, style_weights: dict[str, float] | None = None, threads: int | None = None
    ) -> np.ndarray:
        """The raw style on a whole float32 HWC [0, 1] image: pad → run → crop (no tiling, no blend)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[2] != 3:
            raise InputError(f"expected an (H, W, 3) RGB array, got shape {x.shape}")
        if self.info.kind == "filter":
            return apply_filters(x, self.info.filters)
        style = self.style_vector(style_weights, threads=threads)
        return self._run_padded(x, style, self._session(threads))

    @staticmethod
    def _run_padded(x: np.ndarray, style: np.ndarray | None, sess: Session) -> np.ndarray:
        h, w = x.shape[:2]
        padded, top, left = tiling.pad_for_model(x, sess.info.multiple)
        y = sess.run(padded.transpose(2, 0, 1)[None], style)
        out = y[0, :, top : top + h, left : left + w].transpose(1, 2, 0)
        return np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=0.0)

    def _styled(
        self,
        rgb: np.ndarray,
        opts: StylizeOptions,
        style: np.ndarray | None,
        progress: tiling.Progress | None,
        *,
        as_uint8: bool = False,
        on_small: SmallHook | None = None,
    ) -> np.ndarray:
        """Step 2 of the pipeline on a uint8 image: whole-image or tiled. ``as_uint8`` lets the
        reduced-resolution path return the final uint8 result (float32 [0, 1] otherwise)."""
        h, w = rgb.shape[:2]
        if self.info.kind == "filter":  # filters are whole-image by design (vignette, palettes)
            return apply_filters(to_float(rgb), self.info.filters)
        sess = self._session(opts.threads, arena=h * w <= ARENA_MAX_PIXELS)
        lifted = self._reduced(rgb, opts, style, sess, as_uint8=as_uint8, on_small=on_small)
        if lifted is not None:
            return lifted
        tile = tiling.choose_tile(h, w, opts.tile)
        if tile is None:
            return self._run_padded(to_float(rgb), style, sess)
        out = tiling.run_tiled(
            lambda t: self._run_padded(t, style, sess),
            rgb,
            tile,
            opts.tile_overlap,
            multiple=sess.info.multiple,
            progress=progress,
        )
        if not sess.info.local:  # instance norm & co: tiles disagree in tone, see tiling.py
            ref_size = tiling.reference_size(h, w)
            ref = self._run_padded(to_float(resize(rgb, ref_size)), style, sess)
            sigma = 0.5 * opts.tile_overlap * ref_size[0] / w
            out = tiling.match_low_frequency(out, ref, sigma)
        return out

    def _reduced(
        self,
        rgb: np.ndarray,
        opts: StylizeOptions,
        style: np.ndarray | None,
        sess: Session,
        *,
        as_uint8: bool = False,
        on_small: SmallHook | None = None,
    ) -> np.ndarray | None:
        """The reduced-resolution path, or None when it does not apply (scale 1, small or huge images).

        Huge images (over :data:`REDUCED_MAX_PIXELS`) keep the tiled full-resolution path, so the
        full-size float maps of the lift never bound memory.
        """
        h, w = rgb.shape[:2]
        scale = opts.render_scale if opts.render_scale is not None else _meta_float(sess, "render_scale", 1.0)
        size = upsample.small_size(h, w, scale, sess.info.multiple)
        if size is None or h * w > REDUCED_MAX_PIXELS:
            return None
        small_u8 = resize(rgb, size)
        small = to_float(small_u8)

        def render() -> np.ndarray:
            return self._run_padded(small, style, sess)

        y_small = on_small(small_u8, render) if on_small is not None else render()
        if sess.info.meta("render_lift") == "guided":
            return upsample.guided_upsample(to_float(rgb), small, y_small)
        detail = _meta_float(sess, "render_detail", 1.0)  # the instant model sets 0.25 (infer/style_code.py)
        if as_uint8:
            return upsample.detail_upsample_u8(rgb, small_u8, y_small, detail=detail)
        return upsample.detail_upsample(to_float(rgb), small, y_small, detail=detail)

    def stylize_array(
        self,
        rgb: np.ndarray,
        opts: StylizeOptions | None = None,
        *,
        progress: tiling.Progress | None = None,
        on_small: SmallHook | None = None,
    ) -> np.ndarray:
        """The full pipeline (minus resizing) on a uint8 ``(H, W, 3)`` array; returns uint8.

        ``on_small`` (:data:`SmallHook`) is called when the image is rendered at reduced
        resolution, and not at all otherwise: callers check whether it was."""
        opts = opts or StylizeOptions()
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InputError(f"expected an (H, W, 3) uint8 array, got {rgb.dtype} {rgb.shape}")
        # Everything that can fail on bad input (sub-style names, the mask file) happens before
        # the model runs, so a typo costs milliseconds, not a 16 MP inference.
        style = self.style_vector(opts.style_weights, threads=opts.threads)
        weight: float | np.ndarray = opts.strength
        if opts.mask is not None:
            m = color.prepare_mask(
                opts.mask, (rgb.shape[1], rgb.shape[0]), feather_px=opts.mask_feather, invert=opts.invert_mask
            )
            weight = m * np.float32(opts.strength)
        if not np.any(weight):  # strength 0 or an all-black mask: the photo, bit for bit
            return rgb.copy()
        plain = not opts.preserve_color and not opts.filters and _is_one(weight)
        y = self._styled(rgb, opts, style, progress, as_uint8=plain, on_small=on_small)
        if y.dtype == np.uint8:  # the plain reduced path, finished in uint8 (upsample.detail_upsample_u8)
            return y
        x = to_float(rgb) if opts.preserve_color or not _is_one(weight) else None
        if x is not None and opts.preserve_color:
            y = color.preserve_color(y, x)
        if opts.filters:
            y = apply_filters(np.clip(y, 0.0, 1.0), opts.filters)
        if x is not None and not _is_one(weight):
            y = color.blend(x, y, weight, inplace=True)
        return _to_uint8(y)

    def stylize(
        self,
        img: Image,
        opts: StylizeOptions | None = None,
        *,
        progress: tiling.Progress | None = None,
        on_small: SmallHook | None = None,
    ) -> Image:
        """Stylize a decoded image, keeping its alpha, EXIF and ICC profile."""
        opts = opts or StylizeOptions()
        rgb = img.rgb
        if opts.max_size is not None and max(img.size) > opts.max_size:
            f = opts.max_size / max(img.size)
            size = (max(1, round(img.size[0] * f)), max(1, round(img.size[1] * f)))
            rgb = resize(rgb, size)
        return img.with_rgb(self.stylize_array(rgb, opts, progress=progress, on_small=on_small))


def _to_uint8(y: np.ndarray) -> np.ndarray:
    """``from_float`` without its two full-size float temporaries (y is ours to overwrite)."""
    y *= 255.0
    y += 0.5
    np.clip(y, 0.0, 255.0, out=y)
    return y.astype(np.uint8)


def _is_one(weight: float | np.ndarray) -> bool:
    return not isinstance(weight, np.ndarray) and weight == 1.0


def stylize_image(img: Image, style: StyleRef = "default", opts: StylizeOptions | None = None) -> Image:
    """One-call stylization of a decoded image."""
    opts = opts or StylizeOptions()
    return Stylizer(style, threads=opts.threads).stylize(img, opts)


def stylize_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    style: StyleRef = "default",
    opts: StylizeOptions | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Read, stylize and atomically write one file; never overwrites the input."""
    check_writable(out_path, overwrite=overwrite, protect=[in_path])  # fail before the slow part
    stylizer = Stylizer(style, threads=opts.threads if opts else None)
    result = stylizer.stylize(read_image(in_path), opts)
    return write_image(out_path, result, overwrite=overwrite, protect=[in_path])


def _meta_float(sess: Session, key: str, default: float) -> float:
    """A number from the model's metadata; a missing or unreadable one is ``default`` (metadata
    steers rendering but is never worth failing a picture over)."""
    try:
        return float(sess.info.meta(key) or default)
    except ValueError:
        return default
