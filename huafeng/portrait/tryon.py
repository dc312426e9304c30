"""Try on a look: hair colour, lip tint, a clothing pattern — on one region, nothing else.

Masks come from :mod:`huafeng.portrait.masks` (face mesh, person segmentation, colour models
and GrabCut). A region that is not in the photo (no clothing in a close-up, hair under a hat) is
skipped with a note in ``info["notes"]`` and the other edits still apply; only when nothing that
was asked for can be found is it an error.

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
from huafeng.portrait.faces import DetectOptions, detect_faces, require_landmarks
from huafeng.portrait.masks import clothes_mask, geometry, hair_mask, lab_of, lips_mask, skin_model
from huafeng.portrait.regions import person_mask

__all__ = ["TryOnOptions", "clothes_mask", "hair_mask", "lips_mask", "parse_color", "try_on"]

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


def _lab(rgb_f: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(rgb_f, np.float32), cv2.COLOR_RGB2Lab))


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
    """Tile ``texture`` (mirrored, so seamless) over the mask, bent along the garment's folds and
    shaded by the photo's luminance."""
    h, w = rgb_f.shape[:2]
    xs = np.nonzero(mask > 0.5)[1]
    span = int(xs.max() - xs.min()) if xs.size else w
    tex = to_float(texture)
    f = max(32, span // 3) / max(tex.shape[:2])
    tex = cv2.resize(tex, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
    block = np.concatenate(
        [np.concatenate([tex, tex[:, ::-1]], 1), np.concatenate([tex[::-1], tex[::-1, ::-1]], 1)], 0
    )
    reps = (h // block.shape[0] + 2, w // block.shape[1] + 2, 1)
    tiled = np.ascontiguousarray(np.tile(block, reps))
    luma = cv2.cvtColor(np.ascontiguousarray(rgb_f, np.float32), cv2.COLOR_RGB2GRAY)
    # folds: the pattern slides along the shading gradient (a fold's dark side pulls the print
    # into it), at most ~2 % of the garment's width, so stripes bend where the cloth bends
    smooth = cv2.GaussianBlur(luma, (0, 0), max(1.0, 0.02 * span))
    gx, gy = cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1)
    g = np.hypot(gx, gy)
    k = 0.02 * span / max(float(np.percentile(g[mask > 0.5], 95)) if xs.size else 1.0, 1e-6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    warped = cv2.remap(tiled, xx + k * gx, yy + k * gy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    ref = float((luma * mask).sum() / max(1.0, float(mask.sum())))
    shading = np.clip(luma / max(ref, 1e-3), 0.25, 2.0)[..., None]
    styled = np.clip(warped * shading, 0.0, 1.0)
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
    """Apply the requested hair / lips / clothes edits to the (largest or chosen) face's person.

    ``info["notes"]`` says which requested regions were not found (and so left unchanged)."""
    rgb = img.rgb
    det = detect_faces(rgb, detect or DetectOptions())
    face = det.select(opts.face_index)
    require_landmarks(face, "try-on")
    size = (rgb.shape[1], rgb.shape[0])
    out = to_float(rgb)
    notes: list[str] = []
    done: list[str] = []
    person = person_mask(rgb, [face]) if (opts.hair or opts.clothes) else None
    lab = lab_of(rgb) if person is not None else None  # once, for every mask below
    skin = skin_model(lab, geometry(face)) if lab is not None else None
    hair = None
    if person is not None:  # for clothes too: a garment mask must stay off the hair
        hair, why = hair_mask(rgb, face, person, skin, lab)
        notes += [why] if why and opts.hair else []
    if opts.clothes is not None and person is not None:
        cm, why = clothes_mask(rgb, face, person, hair, skin, lab)
        if cm is None:
            notes.append(why or "no clothing found")
        else:
            out = _dress(rgb, out, cm, opts)
            done.append("clothes")
    if hair is not None and opts.hair:
        out = recolor(out, hair, parse_color(opts.hair), opts.amount)
        done.append("hair")
    if opts.lips:
        out = recolor(out, lips_mask(face, size), parse_color(opts.lips), min(1.0, opts.amount))
        done.append("lips")
    if not done:
        raise InputError("; ".join(notes) or "nothing to try on was found in the photo")
    res = img.with_rgb(from_float(out))
    res.info = {**img.info, "notes": notes}
    return res


def _dress(rgb: np.ndarray, out: np.ndarray, cm: np.ndarray, opts: TryOnOptions) -> np.ndarray:
    assert opts.clothes is not None
    src = _clothes_source(opts.clothes)
    if isinstance(src, np.ndarray):
        return texture_fill(out, cm, src, opts.amount)
    from huafeng.infer import StylizeOptions, Stylizer

    styled = Stylizer(src).stylize_array(rgb, StylizeOptions(mask=cm * np.float32(opts.amount)))
    return to_float(styled)
