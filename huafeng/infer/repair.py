"""Photo repair without torch: find the damage (or take the user's mask), inpaint it with the
shipped gated-conv GAN on ONNX Runtime, and composite.

* **Composite.** The result is the input, bit for bit, outside the mask; only masked pixels come
  from the network. The model composites too, but the uint8 composite here is what guarantees it
  (resampling or padding can never leak into undamaged pixels).
* **Masks.** A user mask must match the photo's size and be black/white only (white = damaged):
  an anti-aliased or photographic "mask" would silently repair half-grey regions, so it is
  refused with a one-line error, as is a mask that marks nothing.
* **Detection** when no mask is given: ``"classical"`` (morphological top-hat/black-hat line
  detector + thresholds) or ``"learned"`` (the shipped segmentation U-Net); the default is the
  one that measured better on held-out simulated damage (``docs/repair.md``).
* **Tiling.** Large photos go through :func:`huafeng.infer.tiling.run_tiled` (overlap +
  raised-cosine feather). The inpainter has no normalisation layers, so tiles agree wherever the
  receptive field fits inside the overlap.

The models live in ``huafeng/assets/repair/`` with their model cards in the ONNX metadata.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from huafeng import imageio
from huafeng.errors import InputError
from huafeng.infer.session import check_model_file, resolve_threads
from huafeng.infer.tiling import DEFAULT_OVERLAP, pad_to_multiple, run_tiled

if TYPE_CHECKING:
    import onnxruntime as ort

DETECTORS: tuple[str, ...] = ("learned", "classical")
#: The detector used when none is named: the better one on the held-out benchmark.
DEFAULT_DETECTOR = "learned"
#: Photos above this many pixels are inpainted in tiles (activations ~ 200 bytes/pixel).
AUTO_TILE_PIXELS = 2_000_000
DEFAULT_TILE = 768
#: The learned detector looks at the photo with its short side at most this long, near the scale
#: it was trained at (192 px crops of photos at 288 px). At full resolution, fur and foliage read as
#: scratches: 10 % of a clean photo flagged on average, against 0.01 % at 160 px (docs/repair.md).
#: The cost is recall on hairline scratches of large photos: when unsure, do less.
DETECT_SHORT = 160
#: The shipped detectors whose (mirror-averaged) probabilities are averaged: the first trained with
#: 40 % clean photos at 192 px, the second with 50 % clean photos (30 % with film grain) at 160 px,
#: the detection scale. Alone, the second flags almost nothing on clean photos but finds only 28 %
#: of simulated damage on the tuning photos; the first finds 46 % but changes > 1 % of 11 of 813
#: clean ones. Their average: 3 of 813, 38 % recall. Where they disagree, the repair does less.
DETECTOR_MODELS: tuple[str, ...] = ("detector.onnx", "detector_grain.onnx")
#: P(damaged) above which a pixel counts (of the averaged probability).
THRESHOLD = 0.4
#: A detected region is repaired only if the detectors are this sure somewhere in it.
CONFIDENT = 0.9
#: ... and only if it covers at most this share of the photo. The damage the detector learnt from
#: comes in pieces of at most ~10 % of a photo (``huafeng/data/damage.py``); a larger "stain" was,
#: on the tuning photos, sand, grass or a white mantelpiece, and no inpainting could restore that
#: much picture anyway.
MAX_REGION = 0.15


def asset_path(name: str) -> Path:
    """A shipped repair model: ``inpaint.onnx`` or one of :data:`DETECTOR_MODELS`."""
    p = Path(str(resources.files("huafeng") / "assets" / "repair" / name))
    if not p.is_file():
        raise InputError(f"repair model {name} is not installed (expected at {p})")
    return p


@functools.lru_cache(maxsize=4)
def _session(path: str, mtime_ns: int, threads: int | None) -> ort.InferenceSession:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        so.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT's pybind errors share no base class
        raise InputError(f"{path}: not a loadable ONNX model ({str(e).splitlines()[0][:200]})") from None


def load_model(path: str | os.PathLike[str], threads: int | None = None) -> ort.InferenceSession:
    """A cached session for a repair model (reloaded when the file changes)."""
    p = check_model_file(path)
    return _session(str(p.resolve()), p.stat().st_mtime_ns, resolve_threads(threads))


def model_card(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``huafeng.*`` metadata of a repair model, with ``huafeng.card`` parsed."""
    meta = dict(load_model(path, 1).get_modelmeta().custom_metadata_map)
    card = json.loads(meta.get("huafeng.card", "{}"))
    return {**meta, "huafeng.card": card}


def _multiple(sess: ort.InferenceSession) -> int:
    return int(sess.get_modelmeta().custom_metadata_map.get("huafeng.multiple", "1"))


# ---------------------------------------------------------------------------- masks


def check_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A user mask (HW or HWC, {0,1} or {0,255}) → uint8 HW in {0, 1}; InputError when unusable."""
    m = np.asarray(mask)
    if m.ndim == 3:
        if not (m == m[..., :1]).all():
            raise InputError("mask must be black and white (it has colours)")
        m = m[..., 0]
    if m.ndim != 2:
        raise InputError(f"mask must be a 2-D image, got shape {list(m.shape)}")
    if m.shape != tuple(shape):
        raise InputError(f"mask is {m.shape[1]}x{m.shape[0]} but the photo is {shape[1]}x{shape[0]}")
    values = np.unique(m)
    top = 1 if values.max(initial=0) <= 1 else 255
    if not np.isin(values, (0, top)).all():
        raise InputError(
            f"mask must be pure black/white (0 and {top}); it has {len(values)} grey levels: "
            "threshold it first"
        )
    out = (m == top).astype(np.uint8)
    if not out.any():
        raise InputError("mask marks no pixels as damaged (white = damaged): nothing to repair")
    return out


def read_mask(path: str | os.PathLike[str], shape: tuple[int, int]) -> np.ndarray:
    img = imageio.read_image(path)
    rgb = img.rgb if img.alpha is None else np.where(img.alpha[..., None] > 0, img.rgb, 0).astype(np.uint8)
    return check_mask(rgb, shape)


# ---------------------------------------------------------------------------- detection


def detect_classical(rgb: np.ndarray) -> np.ndarray:
    """Thin bright/dark lines and flat blobs, by morphology (no learning).

    White top-hat (image − opening) keeps bright structures narrower than the structuring element
    — scratches, creases, light text — and black-hat keeps dark ones; both are thresholded at a
    robust multiple of their own spread (median + 16·MAD), so smooth photo content stays out.
    Near-white flat blobs (holes down to the paper) are added by a brightness + low-texture test.
    The constants were tuned on simulated damage of *training* photos (F1 0.16 there, element
    1/24 of the short side); stains and JPEG blocks are not line-like and it misses them.
    """
    luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    k = max(5, (min(rgb.shape[:2]) // 24) | 1)
    se = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    out = np.zeros(luma.shape, np.uint8)
    for op in (cv2.MORPH_TOPHAT, cv2.MORPH_BLACKHAT):
        r = cv2.morphologyEx(luma, op, se)
        med = float(np.median(r))
        mad = float(np.median(np.abs(r - med))) + 1e-3
        out |= (r > max(med + 16 * mad, 25.0)).astype(np.uint8)
    local_std = np.sqrt(np.maximum(cv2.blur(luma * luma, (k, k)) - cv2.blur(luma, (k, k)) ** 2, 0))
    out |= ((luma > 225) & (local_std < 4)).astype(np.uint8)
    return cv2.dilate(out, np.ones((3, 3), np.uint8))


def detect_learned(
    rgb: np.ndarray,
    *,
    threads: int | None = None,
    threshold: float = THRESHOLD,
    model: str | os.PathLike[str] | None = None,
    short: int = DETECT_SHORT,
    confident: float = CONFIDENT,
    max_region: float = MAX_REGION,
) -> np.ndarray:
    """The segmentation U-Nets (default: the shipped pair, :data:`DETECTOR_MODELS`; ``model`` = that
    one alone) at a short side of at most ``short`` px: P(damaged) > ``threshold`` in confident,
    not too large regions (:func:`_confident`), resized back to the photo, dilated 1 px."""
    models = [model] if model is not None else [asset_path(m) for m in DETECTOR_MODELS]
    h, w = rgb.shape[:2]
    s = short / min(h, w)
    x = imageio.resize(rgb, (max(8, round(w * s)), max(8, round(h * s)))) if s < 1 else rgb
    xf = imageio.to_float(x)  # once for every detector and both mirror halves
    prob = np.mean([_probability(xf, load_model(m, threads)) for m in models], axis=0)
    if prob.shape != (h, w):
        prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
    out = _confident(prob, threshold, confident, max_region)
    return cv2.dilate(out, np.ones((3, 3), np.uint8))


def _probability(x: np.ndarray, sess: ort.InferenceSession) -> np.ndarray:
    """One detector's P(damaged) for ``x`` (float HWC), averaged with its answer on the mirrored
    photo: damage is damage either way round, while its mistakes on texture mostly do not survive
    the mirror (on the tuning photos it halved the clean photos with > 1 % flagged)."""
    xh, xw = x.shape[:2]

    def run(img: np.ndarray) -> np.ndarray:  # the exported graph has batch 1
        xp = pad_to_multiple(np.ascontiguousarray(img), _multiple(sess))
        (p,) = sess.run(None, {"image": xp.transpose(2, 0, 1)[None]})
        return np.asarray(p[0, 0, :xh, :xw], np.float32)

    return np.ascontiguousarray(0.5 * (run(x) + run(x[:, ::-1])[:, ::-1]))


def _confident(prob: np.ndarray, threshold: float, confident: float, max_region: float = 1.0) -> np.ndarray:
    """Pixels above ``threshold`` in connected regions whose *peak* P reaches ``confident`` and that
    cover at most ``max_region`` of the picture: a region the detector is only lukewarm about
    everywhere (texture, a pattern), or one too large to be a repairable defect, is left alone."""
    hard = (prob > threshold).astype(np.uint8)
    if (confident <= threshold and max_region >= 1) or not hard.any():
        return hard
    n, labels, stats, _ = cv2.connectedComponentsWithStats(hard, connectivity=8)
    peak = np.zeros(n, np.float32)
    np.maximum.at(peak, np.asarray(labels, np.int64).ravel(), prob.ravel())
    keep = (peak >= confident) & (stats[:, cv2.CC_STAT_AREA] <= max_region * hard.size)
    keep[0] = False
    return keep[labels].astype(np.uint8)


def detect_damage(
    rgb: np.ndarray, method: str = DEFAULT_DETECTOR, *, threads: int | None = None
) -> np.ndarray:
    """uint8 HW mask in {0, 1} of the pixels that look damaged."""
    if method == "classical":
        return detect_classical(rgb)
    if method == "learned":
        return detect_learned(rgb, threads=threads)
    raise InputError(f"unknown detector {method!r}; valid: {', '.join(DETECTORS)}")


# ---------------------------------------------------------------------------- inpainting


@dataclass(frozen=True)
class RepairOptions:
    """``mask``: a user mask (array or file; None = detect). ``tile``: None = auto, 0 = never."""

    mask: np.ndarray | str | os.PathLike[str] | None = None
    detector: str = DEFAULT_DETECTOR
    model: str | os.PathLike[str] | None = None  # None = the shipped inpaint.onnx
    tile: int | None = None
    tile_overlap: int = DEFAULT_OVERLAP
    threads: int | None = None


@dataclass(frozen=True)
class RepairResult:
    image: imageio.Image
    mask: np.ndarray  # uint8 HW {0, 1}: what was repaired
    detected: bool  # True when the mask came from a detector


def inpaint(
    rgb: np.ndarray,
    mask: np.ndarray,
    *,
    model: str | os.PathLike[str] | None = None,
    tile: int | None = None,
    overlap: int = DEFAULT_OVERLAP,
    threads: int | None = None,
) -> np.ndarray:
    """Fill ``mask`` (uint8 HW {0,1}) in ``rgb`` (uint8 HWC); pixels outside the mask are kept exactly."""
    sess = load_model(model or asset_path("inpaint.onnx"), threads)
    mult = _multiple(sess)
    h, w = rgb.shape[:2]
    if mask.shape != (h, w):
        raise InputError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the photo is {w}x{h}")

    def run(x: np.ndarray) -> np.ndarray:  # HW4 float (rgb + mask) → HW4 (fill + mask)
        th, tw = x.shape[:2]
        xp = pad_to_multiple(x, mult)
        m = (xp[..., 3:] > 0.5).astype(np.float32)
        feeds = {
            "image": xp[..., :3].transpose(2, 0, 1)[None].copy(),
            "mask": m.transpose(2, 0, 1)[None].copy(),
        }
        (y,) = sess.run(None, feeds)
        return np.concatenate([y[0].transpose(1, 2, 0)[:th, :tw], x[..., 3:]], 2)

    x = np.concatenate([imageio.to_float(rgb), mask[..., None].astype(np.float32)], 2)
    if tile is None:
        tile = DEFAULT_TILE if h * w > AUTO_TILE_PIXELS else 0
    pred = run_tiled(run, x, tile, overlap, multiple=mult)[..., :3] if tile else run(x)[..., :3]
    out = rgb.copy()
    sel = mask.astype(bool)
    out[sel] = imageio.from_float(pred)[sel]
    return out


def repair_image(img: imageio.Image, opts: RepairOptions | None = None) -> RepairResult:
    """Detect (or check) the mask, inpaint, composite; alpha/EXIF/ICC are carried over."""
    opts = opts or RepairOptions()
    shape = img.rgb.shape[:2]
    if opts.mask is None:
        mask = detect_damage(img.rgb, opts.detector, threads=opts.threads)
        detected = True
        if not mask.any():
            return RepairResult(img, mask, True)  # nothing found: the photo unchanged
    elif isinstance(opts.mask, np.ndarray):
        mask, detected = check_mask(opts.mask, shape), False
    else:
        mask, detected = read_mask(opts.mask, shape), False
    rgb = inpaint(
        img.rgb, mask, model=opts.model, tile=opts.tile, overlap=opts.tile_overlap, threads=opts.threads
    )
    return RepairResult(img.with_rgb(rgb), mask, detected)


def repair_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    opts: RepairOptions | None = None,
    *,
    overwrite: bool = False,
    mask_out: str | os.PathLike[str] | None = None,
) -> RepairResult:
    """Read, repair and atomically write one photo (never over its input); optionally save the mask."""
    imageio.check_writable(out_path, overwrite=overwrite, protect=[in_path])
    if mask_out is not None:
        imageio.check_writable(mask_out, overwrite=overwrite, protect=[in_path])
    res = repair_image(imageio.read_image(in_path), opts)
    imageio.write_image(out_path, res.image, overwrite=overwrite, protect=[in_path])
    if mask_out is not None:
        grey = np.repeat(res.mask[..., None] * 255, 3, 2).astype(np.uint8)
        imageio.write_image(mask_out, imageio.Image(grey), overwrite=overwrite, protect=[in_path])
    return res
