"""Feathered region masks (face, person, background) and face-aware stylization weights.

The engine already blends ``photo + weight * (styled - photo)`` with a per-pixel weight
(:class:`~huafeng.infer.StylizeOptions` ``mask``), so face-aware stylization is only a matter of
computing that weight; the engine is not changed:

* ``face``: the Face Mesh outline polygon (forehead to chin) when mediapipe is there, else an
  ellipse grown from the Haar box (which spans brows to mouth, so it is stretched upwards);
* ``person``: mediapipe selfie segmentation (MobileNetV3-based, Apache-2.0), united with the
  face masks so a face the segmenter half-misses is still "person";
* ``background``: ``1 - person``.

**Identity keeping** multiplies the weight by ``1 - (1 - face_strength) * face_mask``: the face
gets ``face_strength`` of the style, the rest full style. Measured in docs/portraits.md.

Feathering is a Gaussian whose sigma scales with the face (or image) so a 100 px face and a
2000 px face get the same relative softness; the hard mask is dilated by one sigma first, so
the face itself keeps (almost) full weight and the soft ramp falls outside it. The indicator
of a convex region convolved with a Gaussian is log-concave, so the ramp is monotone along any
ray out from the face centre (tested).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, resize
from huafeng.infer import StylizeOptions, Stylizer
from huafeng.infer.color import prepare_mask
from huafeng.portrait import _mediapipe
from huafeng.portrait.faces import FACE_OVAL, Detection, DetectOptions, Face, detect_faces

Region = Literal["all", "person", "background", "face"]
REGIONS: tuple[str, ...] = ("all", "person", "background", "face")
#: Feather sigma as a fraction of the face's size (box side), or of the image's longer side.
FACE_FEATHER = 0.06
IMAGE_FEATHER = 0.01
MASK_SIDE = 1024


def _feather(hard: np.ndarray, sigma: float) -> np.ndarray:
    """Dilate by ``sigma`` then blur by ``sigma``: the region keeps ~full weight, the ramp is outside."""
    if sigma <= 0:
        return hard
    # A caller's feather can be anything; past a quarter of the image the ramp covers it all anyway,
    # and an uncapped sigma makes the dilation and blur cost grow without bound.
    sigma = min(float(sigma), max(hard.shape[:2]) / 4)
    r = max(1, round(sigma))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    grown = cv2.dilate(hard, kernel)
    return np.asarray(cv2.GaussianBlur(grown, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE))


def face_shape(face: Face, size: tuple[int, int]) -> np.ndarray:
    """Hard ``(H, W)`` float32 mask of one face: mesh outline hull, or an ellipse around the box."""
    w, h = size
    m = np.zeros((h, w), np.float32)
    x, y, bw, bh = face.box
    if face.landmarks is not None:
        hull = cv2.convexHull(np.round(face.landmarks[list(FACE_OVAL)]).astype(np.int32))
        cv2.fillConvexPoly(m, hull, 1.0, lineType=cv2.LINE_AA)
        # united with the box's inscribed ellipse: on a turned head the mesh outline can sit
        # off the detector's box, and protection must cover what the detector called the face
        centre, axes = (round(x + bw / 2), round(y + bh / 2)), (max(1, bw // 2), max(1, bh // 2))
        cv2.ellipse(m, centre, axes, 0, 0, 360, 1.0, thickness=-1, lineType=cv2.LINE_AA)
    else:
        # Haar/BlazeFace boxes run from the brows to below the mouth: reach up for the forehead
        centre = (round(x + bw / 2), round(y + bh * 0.47))
        axes = (max(1, round(bw * 0.5)), max(1, round(bh * 0.6)))
        cv2.ellipse(m, centre, axes, 0, 0, 360, 1.0, thickness=-1, lineType=cv2.LINE_AA)
    return m


def face_mask(size: tuple[int, int], faces: Sequence[Face], *, feather: float | None = None) -> np.ndarray:
    """Union of the faces' feathered masks, ``(H, W)`` float32 in [0, 1] (zeros without faces).

    Above :data:`MASK_SIDE` px the mask is drawn at that size and upsampled: it is smooth by
    construction, and dilating a 24 MP image with a 100 px kernel would take seconds.
    """
    w, h = size
    f = min(1.0, MASK_SIDE / max(w, h))
    if f < 1.0 and faces:
        sw, sh = max(1, round(w * f)), max(1, round(h * f))
        small = [_scaled(face, f) for face in faces]
        sig = None if feather is None else feather * f
        m = face_mask((sw, sh), small, feather=sig)
        return np.clip(cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0).astype(np.float32)
    out = np.zeros((h, w), np.float32)
    for face in faces:
        sigma = FACE_FEATHER * face.size if feather is None else feather
        np.maximum(out, _feather(face_shape(face, size), sigma), out=out)
    return np.clip(out, 0.0, 1.0)


def _scaled(face: Face, f: float) -> Face:
    x, y, w, h = face.box
    box = (round(x * f), round(y * f), max(1, round(w * f)), max(1, round(h * f)))
    lm = None if face.landmarks is None else (face.landmarks * np.float32(f)).astype(np.float32)
    return Face(box, face.score, lm)


def person_mask(rgb: np.ndarray, faces: Sequence[Face] = (), *, feather: float | None = None) -> np.ndarray:
    """Soft person mask from mediapipe selfie segmentation, united with the face masks.

    The segmenter sees 256x256 whatever the input, so it runs (and the mask is softened) on a
    copy at most :data:`MASK_SIDE` px long; only the final mask is upsampled.
    """
    h, w = rgb.shape[:2]
    f = min(1.0, MASK_SIDE / max(h, w))
    small = rgb if f == 1.0 else cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    with _mediapipe.graph("selfie", model_selection=0) as g:  # 0: the 256x256 general model
        seg = g.process(np.ascontiguousarray(small)).segmentation_mask
    m = np.clip(np.asarray(seg, np.float32), 0.0, 1.0)
    sigma = (IMAGE_FEATHER * max(h, w) if feather is None else feather) * f
    if sigma > 0:
        m = np.asarray(cv2.GaussianBlur(m, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE), np.float32)
    if m.shape != (h, w):
        m = np.asarray(cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
    if faces:
        np.maximum(m, face_mask((w, h), faces, feather=feather), out=m)
    return np.clip(m, 0.0, 1.0).astype(np.float32, copy=False)


def region_mask(
    rgb: np.ndarray,
    region: str,
    detection: Detection | None = None,
    *,
    feather: float | None = None,
    face_index: int | None = None,
) -> np.ndarray:
    """Weight 1 inside ``region``, 0 outside, feathered; ``(H, W)`` float32.

    ``face`` with ``face_index=None`` covers every face found (a group photo); with an index,
    only that face. ``person``/``background`` need mediapipe (one-line error without it).
    """
    if region not in REGIONS:
        raise InputError(f"unknown region {region!r}; use one of {', '.join(REGIONS)}")
    h, w = rgb.shape[:2]
    if region == "all":
        return np.ones((h, w), np.float32)
    if region in ("person", "background"):
        _mediapipe.require(f"--region {region} (person segmentation)")
    det = detection if detection is not None else detect_faces(rgb, DetectOptions(landmarks=True))
    if region == "face":
        faces: Sequence[Face] = det.faces if face_index is None else [det.select(face_index)]
        if not faces:
            det.select()  # raises the right "no face" / "tiny faces" message
        return face_mask((w, h), faces, feather=feather)
    person = person_mask(rgb, det.faces, feather=feather)
    return person if region == "person" else 1.0 - person


@dataclass(frozen=True)
class PortraitMask:
    """The stylization weight for one photo, and what it was built from."""

    mask: np.ndarray | None
    """``(H, W)`` float32 weight, or None when the whole photo gets full style."""
    faces: int
    """Faces found (and protected, when ``face_strength < 1``)."""
    detection: Detection | None = None


def portrait_mask(
    rgb: np.ndarray,
    region: str = "all",
    face_strength: float = 1.0,
    *,
    feather: float | None = None,
    detect: DetectOptions | None = None,
) -> PortraitMask:
    """Where and how strongly to stylize a portrait: region mask x face protection."""
    if not 0.0 <= face_strength <= 1.0:
        raise InputError(f"face strength must be between 0 and 1, got {face_strength}")
    if region not in REGIONS:
        raise InputError(f"unknown region {region!r}; use one of {', '.join(REGIONS)}")
    if region == "all" and face_strength == 1.0 and detect is None:
        return PortraitMask(None, 0)
    det = detect_faces(rgb, detect or DetectOptions())
    if region == "all" and face_strength == 1.0:
        return PortraitMask(None, len(det.faces), det)
    mask = None if region == "all" else region_mask(rgb, region, det, feather=feather)
    if face_strength < 1.0 and det.faces:
        keep = 1.0 - np.float32(1.0 - face_strength) * face_mask(det.size, det.faces, feather=feather)
        mask = keep if mask is None else mask * keep
    return PortraitMask(mask, len(det.faces), det)


def with_portrait_mask(
    opts: StylizeOptions,
    rgb: np.ndarray,
    region: str = "all",
    face_strength: float = 1.0,
    *,
    detect: DetectOptions | None = None,
) -> tuple[StylizeOptions, PortraitMask]:
    """``opts`` with its mask replaced by the portrait weight (times the user's own mask, if any).

    The user's mask is resolved (loaded, inverted) here so the product is exact; the engine
    then applies ``mask_feather`` to the combined weight as usual.
    """
    pm = portrait_mask(rgb, region, face_strength, detect=detect)
    if pm.mask is None:
        return opts, pm
    mask = pm.mask
    if opts.mask is not None:
        size = (rgb.shape[1], rgb.shape[0])
        mask = mask * prepare_mask(opts.mask, size, invert=opts.invert_mask)
    return dataclasses.replace(opts, mask=mask.astype(np.float32), invert_mask=False), pm


#: --face-color moves the face's colour cast at most this far (YCrCb chroma units, 0-255 scale)
#: and only this share of the way: the palette tints the skin, it does not repaint it.
FACE_SHIFT_MAX = 18.0
FACE_SHIFT_SHARE = 0.7


def face_color_only(photo: np.ndarray, styled: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Where ``weight`` is 1: the photo's luma *and* its fine chroma (skin texture, lips, eyes),
    with only the low-frequency colour cast moved towards the styled result's; a linear blend
    elsewhere. uint8 in and out.

    Taking the style's chroma whole (the first version) painted faces flat blue for blue styles —
    "plastic": the style's chroma has none of the skin's variation. So the shift is the difference
    of the two images' *blurred* chroma (σ = 3 % of the short side), scaled by FACE_SHIFT_SHARE and
    clipped to ±FACE_SHIFT_MAX, added to the photo's own chroma.
    """
    yo = cv2.cvtColor(photo, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    ys = cv2.cvtColor(styled, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    sigma = max(1.0, 0.03 * min(photo.shape[:2]))
    shift = cv2.GaussianBlur(ys[..., 1:], (0, 0), sigma) - cv2.GaussianBlur(yo[..., 1:], (0, 0), sigma)
    mix = yo.copy()
    mix[..., 1:] += np.clip(FACE_SHIFT_SHARE * shift, -FACE_SHIFT_MAX, FACE_SHIFT_MAX)
    out = ys + weight[..., None].astype(np.float32) * (mix - ys)
    rgb = cv2.cvtColor(np.clip(out + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2RGB)
    return np.where(weight[..., None] > 0, rgb, styled)  # the YCrCb round trip is off by 1 elsewhere


def stylize_portrait(
    stylizer: Stylizer,
    img: Image,
    opts: StylizeOptions,
    region: str = "all",
    face_strength: float = 1.0,
    *,
    face_color: bool = False,
    detect: DetectOptions | None = None,
) -> Image:
    """Stylize one photo with a region and face protection: what ``huafeng stylize`` runs.

    ``face_color`` keeps the faces' luma (light and detail) from the photo and takes only the
    style's colours there, after the engine's blend (so it combines with ``face_strength``).
    """
    if region == "all" and face_strength == 1.0 and not face_color:
        return stylizer.stylize(img, opts)
    run_opts, pm = with_portrait_mask(opts, img.rgb, region, face_strength, detect=detect)
    if face_color and pm.detection is None:
        pm = portrait_mask(img.rgb, "all", 1.0, detect=detect or DetectOptions())
    out = stylizer.stylize(img, run_opts)
    if not face_color or pm.detection is None or not pm.detection.faces:
        return out
    weight = face_mask(img.size, pm.detection.faces)
    photo = img.rgb
    if out.rgb.shape != photo.shape:  # max_size shrank the result
        size = (out.rgb.shape[1], out.rgb.shape[0])
        photo = resize(photo, size)
        weight = np.asarray(cv2.resize(weight, size, interpolation=cv2.INTER_AREA), np.float32)
    return out.with_rgb(face_color_only(photo, out.rgb, weight))
