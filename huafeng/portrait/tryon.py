"""Try on a look: hair colour, lip tint, a clothing pattern — on one region, nothing else.

Masks come from the face mesh and person segmentation (mediapipe, the ``faces`` extra):

* **lips**: the outer lip polygon minus the inner one (the open mouth keeps its teeth);
* **hair**: no hair model ships with mediapipe 0.10.14, so hair is *person* ∩ a head-shaped
  region around the face, minus the face outline, weighted by how close each pixel's colour
  is to the hair sampled just above the hairline (a Gaussian in Lab: Mahalanobis distance);
* **clothes**: *person* below the chin, minus skin (a Lab model sampled on the cheeks) and hair.

Recolouring works in CIE Lab: chroma (a, b) moves to the target's, lightness shifts by part of
the gap to the target's, and each pixel keeps its deviation from the region's mean — strands,
lip lines and shading survive, only the colour changes. A clothing *image* becomes a seamless
mirrored tiling that is shaded by the garment's own luminance (folds stay folds); a clothing
*style* name runs the style model on the garment only (the engine's mask).

Every edit is ``photo + amount * mask * (edit - photo)``: where the mask is 0 the photo comes
back bit for bit (tested).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import READ_EXTENSIONS, Image, from_float, read_image, to_float
from huafeng.portrait.faces import (
    LIPS_INNER,
    LIPS_OUTER,
    DetectOptions,
    Face,
    detect_faces,
    require_landmarks,
)
from huafeng.portrait.regions import face_shape, person_mask

_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def parse_color(text: str) -> tuple[int, int, int]:
    """``"#7a3b2e"``, ``"7a3b2e"`` or ``"#c33"`` → ``(r, g, b)``."""
    m = _HEX.match(text.strip())
    if not m:
        raise InputError(f"{text!r} is not a colour; use hex like '#7a3b2e'")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@dataclass(frozen=True)
class TryOnOptions:
    hair: str | None = None
    """Hex colour for the hair."""
    lips: str | None = None
    """Hex colour for the lips."""
    clothes: str | None = None
    """An image file (its pattern is tiled onto the garment) or a style name / ``.onnx`` path."""
    amount: float = 0.85
    """How far to go: 1 = the target colour's full chroma; lower keeps more of the photo."""
    face_index: int | None = None

    def __post_init__(self) -> None:
        if not (self.hair or self.lips or self.clothes):
            raise InputError("nothing to try on: give --hair, --lips and/or --clothes")
        if not 0.0 < self.amount <= 1.0:
            raise InputError(f"amount must be in (0, 1], got {self.amount}")
        for c in (self.hair, self.lips):
            if c is not None:
                parse_color(c)


@dataclass(frozen=True)
class _Geometry:
    """Face measurements every mask below needs."""

    lm: np.ndarray
    centre_x: float
    top_y: float  # hairline (landmark 10)
    chin_y: float  # landmark 152
    face_w: float
    face_h: float


def _geometry(face: Face) -> _Geometry:
    lm = require_landmarks(face, "try-on")
    fw = float(np.linalg.norm(lm[234] - lm[454]))
    fh = float(np.linalg.norm(lm[10] - lm[152]))
    return _Geometry(lm, float((lm[234, 0] + lm[454, 0]) / 2), float(lm[10, 1]), float(lm[152, 1]), fw, fh)


def _lab(rgb_f: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(rgb_f, np.float32), cv2.COLOR_RGB2Lab))


def _colour_likelihood(lab: np.ndarray, sample: np.ndarray, k: float = 3.0) -> np.ndarray:
    """exp(-d²/2k²) with d the Mahalanobis distance to the sampled colours (Lab)."""
    mean = sample.mean(0)
    cov = np.cov(sample.T) + np.eye(3) * 4.0  # floor: a flat sample must not give a zero-width model
    inv = np.linalg.inv(cov).astype(np.float32)
    d = lab.reshape(-1, 3) - mean.astype(np.float32)
    d2 = np.einsum("ij,jk,ik->i", d, inv, d).reshape(lab.shape[:2])
    return np.exp(-0.5 * d2 / k**2).astype(np.float32)


def _disc_samples(lab: np.ndarray, centres: list[np.ndarray], r: float) -> np.ndarray:
    h, w = lab.shape[:2]
    m = np.zeros((h, w), np.uint8)
    for c in centres:
        cv2.circle(m, (round(float(c[0])), round(float(c[1]))), max(1, round(r)), 1, -1)
    return lab[m > 0]


def lips_mask(face: Face, size: tuple[int, int]) -> np.ndarray:
    """Outer lip polygon minus the mouth opening, lightly feathered."""
    g = _geometry(face)
    w, h = size
    m = np.zeros((h, w), np.float32)
    cv2.fillPoly(m, [np.round(g.lm[list(LIPS_OUTER)]).astype(np.int32)], 1.0, lineType=cv2.LINE_AA)
    cv2.fillPoly(m, [np.round(g.lm[list(LIPS_INNER)]).astype(np.int32)], 0.0, lineType=cv2.LINE_AA)
    return np.asarray(cv2.GaussianBlur(m, (0, 0), max(0.5, 0.012 * g.face_h)))


def _skin_likelihood(lab: np.ndarray, g: _Geometry) -> np.ndarray:
    cheeks = [g.lm[50], g.lm[280], g.lm[9]]  # both cheeks and the glabella
    return _colour_likelihood(lab, _disc_samples(lab, cheeks, 0.06 * g.face_w))


def hair_mask(rgb: np.ndarray, face: Face, person: np.ndarray) -> np.ndarray:
    """Soft hair mask: person ∩ head region − face, weighted by likeness to the sampled hair."""
    g = _geometry(face)
    h, w = rgb.shape[:2]
    lab = _lab(to_float(rgb))
    # Sample the hair in a band above the hairline (landmark 10), dropping skin-like pixels:
    # the mesh's "hairline" is often low on the forehead, and a fringe may cover part of it.
    skin = _disc_samples(lab, [g.lm[50], g.lm[280], g.lm[151], g.lm[9]], 0.06 * g.face_w)
    skin_like = _colour_likelihood(lab, skin, k=2.0)
    band_top = max(0, round(g.top_y - 0.35 * g.face_h))
    band_bottom = max(0, round(g.top_y - 0.05 * g.face_h))
    x0, x1 = max(0, round(g.centre_x - 0.3 * g.face_w)), min(w, round(g.centre_x + 0.3 * g.face_w))
    keep = (person[band_top:band_bottom, x0:x1] > 0.5) & (skin_like[band_top:band_bottom, x0:x1] < 0.2)
    band = lab[band_top:band_bottom, x0:x1][keep]
    if band.shape[0] < 20 or np.linalg.norm(band.mean(0) - skin.mean(0)) < 8.0:
        raise InputError("no hair found above the face (is the top of the head in the photo?)")
    # Head region: a soft ellipse over the skull that reaches down to the shoulders (long hair);
    # the colour model and the person mask do the fine work inside it.
    head = np.zeros((h, w), np.float32)
    cy = g.top_y + 0.55 * g.face_h
    axes = (round(1.05 * g.face_w), round(1.25 * g.face_h))
    cv2.ellipse(head, (round(g.centre_x), round(cy)), axes, 0, 0, 360, 1.0, -1)
    head = np.asarray(cv2.GaussianBlur(head, (0, 0), 0.12 * g.face_h), np.float32)
    head *= 1.0 - face_shape(face, (w, h))
    like = _colour_likelihood(lab, band, k=2.0) * (1.0 - skin_like)
    m = head * person * like
    return np.asarray(cv2.GaussianBlur(m, (0, 0), max(0.5, 0.01 * g.face_h)))


def clothes_mask(
    rgb: np.ndarray, face: Face, person: np.ndarray, hair: np.ndarray | None = None
) -> np.ndarray:
    """Person below the chin, minus skin (neck, hands) and hair."""
    g = _geometry(face)
    h = rgb.shape[0]
    lab = _lab(to_float(rgb))
    rows = np.arange(h, dtype=np.float32)[:, None]
    start = g.chin_y + 0.15 * g.face_h
    below = np.clip((rows - start) / max(1.0, 0.1 * g.face_h), 0.0, 1.0)  # a soft start, not a cut
    m = person * below * (1.0 - _skin_likelihood(lab, g))
    if hair is not None:
        m *= 1.0 - hair
    if float(m.max(initial=0.0)) < 0.5:
        raise InputError("no clothing found below the face (is the upper body in the photo?)")
    return m.astype(np.float32)


def recolor(rgb_f: np.ndarray, mask: np.ndarray, target: tuple[int, int, int], amount: float) -> np.ndarray:
    """Move the masked region's colour to ``target`` in Lab, keeping its texture; float RGB."""
    lab = _lab(rgb_f)
    t = _lab(np.array([[target]], np.float32) / 255.0)[0, 0]
    wsum = float(mask.sum())
    if wsum < 1.0:
        return rgb_f
    mean = (lab * mask[..., None]).reshape(-1, 3).sum(0) / wsum
    out = lab.copy()
    out[..., 0] += 0.7 * (t[0] - mean[0])  # dye lightens/darkens, but strands keep their contrast
    out[..., 1:] = t[1:] + 0.5 * (lab[..., 1:] - mean[1:])
    rgb2 = np.clip(cv2.cvtColor(out, cv2.COLOR_Lab2RGB), 0.0, 1.0)
    wgt = (mask * np.float32(amount))[..., None]
    return rgb_f + wgt * (rgb2 - rgb_f)


def texture_fill(rgb_f: np.ndarray, mask: np.ndarray, texture: np.ndarray, amount: float) -> np.ndarray:
    """Tile ``texture`` (mirrored, so seamless) over the mask, shaded by the photo's luminance."""
    h, w = rgb_f.shape[:2]
    xs = np.nonzero(mask > 0.5)[1]
    span = int(xs.max() - xs.min()) if xs.size else w
    tex = to_float(texture)
    f = max(32, span // 3) / max(tex.shape[:2])
    tex = cv2.resize(tex, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
    block = np.concatenate(
        [np.concatenate([tex, tex[:, ::-1]], 1), np.concatenate([tex[::-1], tex[::-1, ::-1]], 1)], 0
    )
    reps = (h // block.shape[0] + 1, w // block.shape[1] + 1, 1)
    tiled = np.tile(block, reps)[:h, :w]
    luma = cv2.cvtColor(np.ascontiguousarray(rgb_f, np.float32), cv2.COLOR_RGB2GRAY)
    ref = float((luma * mask).sum() / max(1.0, float(mask.sum())))
    shading = np.clip(luma / max(ref, 1e-3), 0.25, 2.0)[..., None]
    styled = np.clip(tiled * shading, 0.0, 1.0)
    wgt = (mask * np.float32(amount))[..., None]
    return rgb_f + wgt * (styled - rgb_f)


def _clothes_source(ref: str) -> np.ndarray | str:
    """An existing image file → its pixels; anything else is a style name or .onnx path."""
    p = Path(ref)
    if p.suffix.lower() in READ_EXTENSIONS:
        if not p.exists():
            raise InputError(f"{ref}: clothing pattern image not found")
        return read_image(p).rgb
    return ref


def try_on(img: Image, opts: TryOnOptions, *, detect: DetectOptions | None = None) -> Image:
    """Apply the requested hair / lips / clothes edits to the (largest or chosen) face's person."""
    rgb = img.rgb
    det = detect_faces(rgb, detect or DetectOptions())
    face = det.select(opts.face_index)
    require_landmarks(face, "try-on")
    size = (rgb.shape[1], rgb.shape[0])
    out = to_float(rgb)
    need_person = opts.hair is not None or opts.clothes is not None
    person = person_mask(rgb, [face]) if need_person else None
    hair = hair_mask(rgb, face, person) if (person is not None and opts.hair) else None
    if opts.clothes is not None:
        assert person is not None
        cm = clothes_mask(rgb, face, person, hair)
        src = _clothes_source(opts.clothes)
        if isinstance(src, np.ndarray):
            out = texture_fill(out, cm, src, opts.amount)
        else:
            from huafeng.infer import StylizeOptions, Stylizer

            styled = Stylizer(src).stylize_array(rgb, StylizeOptions(mask=cm * np.float32(opts.amount)))
            out = to_float(styled)
    if hair is not None and opts.hair:
        out = recolor(out, hair, parse_color(opts.hair), opts.amount)
    if opts.lips:
        out = recolor(out, lips_mask(face, size), parse_color(opts.lips), min(1.0, opts.amount))
    return img.with_rgb(from_float(out))
