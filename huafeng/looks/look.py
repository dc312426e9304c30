"""A named look and how it is applied: LUT → optional ONNX refinement → vignette → grain.

Order matters: the LUT is a per-pixel colour map, so it goes first where it sees the photo's
own colours; the refinement network was trained on LUT-graded photos, so it comes next; the
vignette darkens the finished colours in linear light, and grain is the very last layer, as on
film, so no later step smooths it away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.errors import InputError
from huafeng.imageio import Image, from_float, to_float
from huafeng.looks.fit import LookFit, apply_grain, apply_vignette
from huafeng.looks.lut import Lut3D, apply_lut

#: Format version of ``look.json``; bumped when a field changes meaning.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Look:
    """Everything a look needs to be applied; stored as ``look.json`` + ``look.cube`` (+ ONNX)."""

    name: str
    lut: Lut3D
    tone_curve: tuple[float, ...] = ()
    grain: float = 0.0
    vignette: float = 0.0
    refine: Path | None = None  # ONNX generator trained on LUT-graded photos, or None
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_fit(cls, name: str, fit: LookFit, info: dict[str, Any] | None = None) -> Look:
        lut = Lut3D(fit.lut.table, title=name)
        return cls(name, lut, fit.tone_curve, fit.grain, fit.vignette, None, {**fit.stats, **(info or {})})

    def to_json(self) -> dict[str, Any]:
        """The JSON side of the store (the LUT goes to ``look.cube``, the network to ``refine.onnx``)."""
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "lut": "look.cube",
            "lut_size": self.lut.size,
            "tone_curve": [round(v, 5) for v in self.tone_curve],
            "grain": self.grain,
            "vignette": self.vignette,
            "refine": "refine.onnx" if self.refine is not None else None,
            "info": self.info,
        }


@dataclass(frozen=True)
class ApplyOptions:
    """How strongly to apply each part; 1 = as learnt."""

    strength: float = 1.0  # blend of the colour grade (LUT + refinement) with the photo
    grain: float = 1.0  # scales the learnt grain; 0 turns it off (e.g. for video, see below)
    vignette: float = 1.0
    refine: bool = True  # run the refinement network when the look has one
    seed: int = 0  # grain pattern; vary it per video frame so grain moves like film grain
    threads: int | None = None

    def __post_init__(self) -> None:
        for k in ("strength", "grain", "vignette"):
            v = getattr(self, k)
            if not 0.0 <= v <= 2.0 or (k == "strength" and v > 1.0):
                raise InputError(f"{k} must be between 0 and {1 if k == 'strength' else 2}, got {v}")


def _refine(rgb: np.ndarray, model: Path, threads: int | None) -> np.ndarray:
    from huafeng.infer.engine import StylizeOptions, Stylizer

    if not model.is_file():
        raise InputError(f"{model}: the look's refinement network is missing; re-learn with --refine")
    y = Stylizer(model, threads=threads).stylize_array(from_float(rgb), StylizeOptions(threads=threads))
    return to_float(y)


def apply_look_array(rgb: np.ndarray, look: Look, opts: ApplyOptions | None = None) -> np.ndarray:
    """uint8 ``(H, W, 3)`` → uint8, the full look."""
    opts = opts or ApplyOptions()
    x = to_float(rgb)
    y = apply_lut(x, look.lut)
    if look.refine is not None and opts.refine:
        y = _refine(y, look.refine, opts.threads)
    if opts.strength < 1.0:
        y = x + (y - x) * np.float32(opts.strength)
    y = apply_vignette(y, look.vignette * opts.vignette)
    y = apply_grain(y, look.grain * opts.grain, seed=opts.seed)
    return from_float(y)


def apply_look(img: Image, look: Look, opts: ApplyOptions | None = None) -> Image:
    """Apply ``look`` to a decoded image, keeping alpha and metadata."""
    return img.with_rgb(apply_look_array(img.rgb, look, opts))
