"""Per-tradition defect checklist, computed from pixels: what a connoisseur would look at first.

A Gram distance or a classifier can be satisfied by the wrong things. Each tradition also has
plain visual conventions that a faithful rendering keeps, and that are measurable without a
network. Every measure is computed at the evaluation side (shorter side 256,
:mod:`huafeng.eval.prep`) on 8x8-pixel blocks or pixels:

* ``blank_space`` — fraction of blocks that are *unpainted paper*: flat (luma std < 0.03) and
  light (mean luma ≥ 0.55). Ink wash keeps large blank areas (留白, liubai); a stylizer that
  paints every pixel loses the genre's composition.
* ``saturation`` — mean HSV saturation in [0, 1]. Ink wash and drawings are near-monochrome;
  saturated colour in a shanshui is the classic failure.
* ``flat_color`` — fraction of blocks whose colour is flat (mean per-channel std < 0.04):
  woodblock prints are printed in flat areas of colour.
* ``outline_density`` — fraction of Canny edge pixels (thresholds 80/160 on 8-bit luma): ukiyo-e
  key-block outlines, pen strokes of a drawing.
* ``stroke_energy`` — mean absolute Laplacian of luma ([0, 1] scale): the visible brush texture of
  impressionist paint; a smooth, photographic rendering has little.
* ``colourfulness`` — Hasler & Süsstrunk (2003) M, divided by 100: expressionist palettes are
  loud.
* ``dark_fraction`` — fraction of pixels with luma < 0.25: the chiaroscuro of old masters.

Thresholds (:data:`CHECKLIST`) were set from the real paintings of each tradition in
``../shared/data`` (40 per tradition, measured 2026-11-23): each threshold sits near the 10th
(for ``>=``) or 90th (for ``<=``) percentile of the tradition's own paintings, so about 90% of real
paintings pass each check; modern/expressionist uses the 20th (its folder holds some black-and-white
works). The report shows the same checks on the tradition's held-out paintings next to the
outputs', so a reader can see how the tradition itself scores. Photos pass many checks too: a
check is necessary, not sufficient; a failed check is a flag to look at the image, not a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from huafeng.eval.prep import EVAL_SIDE, to_eval

BLOCK = 8


@dataclass(frozen=True)
class Check:
    """One item of a tradition's checklist: ``measure`` must be ``op`` ``threshold``."""

    measure: str
    op: str  # ">=" or "<="
    threshold: float
    why: str

    def passes(self, value: float) -> bool:
        return value >= self.threshold if self.op == ">=" else value <= self.threshold

    def describe(self) -> str:
        return f"{self.measure} {self.op} {self.threshold:g}"


def _blocks(a: np.ndarray) -> np.ndarray:
    """(H, W, ...) → (nh, nw, BLOCK*BLOCK, ...) non-overlapping blocks (the ragged edge dropped)."""
    h, w = (a.shape[0] // BLOCK) * BLOCK, (a.shape[1] // BLOCK) * BLOCK
    a = a[:h, :w]
    rest = a.shape[2:]
    b = a.reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK, *rest).swapaxes(1, 2)
    return b.reshape(h // BLOCK, w // BLOCK, BLOCK * BLOCK, *rest)


def measures(rgb: np.ndarray, side: int = EVAL_SIDE) -> dict[str, float]:
    """Every checklist measure of one uint8 RGB image, at the evaluation side."""
    import cv2

    img = to_eval(rgb, side)
    x = img.astype(np.float64) / 255.0
    y = x @ np.array([0.299, 0.587, 0.114])
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    yb = _blocks(y)
    flat_luma = yb.std(axis=2) < 0.03
    light = yb.mean(axis=2) >= 0.55
    cb = _blocks(x)
    flat_rgb = cb.std(axis=2).mean(axis=-1) < 0.04
    grey8 = np.clip(y * 255 + 0.5, 0, 255).astype(np.uint8)
    edges = cv2.Canny(grey8, 80, 160)
    lap = cv2.Laplacian(y, cv2.CV_64F, ksize=1)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg, yb_ = (r - g) * 255, (0.5 * (r + g) - b) * 255
    colourful = np.hypot(rg.std(), yb_.std()) + 0.3 * np.hypot(rg.mean(), yb_.mean())
    return {
        "blank_space": float((flat_luma & light).mean()),
        "saturation": float(hsv[..., 1].mean() / 255.0),
        "flat_color": float(flat_rgb.mean()),
        "outline_density": float((edges > 0).mean()),
        "stroke_energy": float(np.abs(lap).mean()),
        "colourfulness": float(colourful / 100.0),
        "dark_fraction": float((y < 0.25).mean()),
    }


#: Class (see :mod:`huafeng.eval.classifier`) → its checks. Thresholds: see the module docstring.
CHECKLIST: dict[str, tuple[Check, ...]] = {
    "shanshui_ink": (
        Check("blank_space", ">=", 0.10, "blank paper (liubai) kept"),
        Check("saturation", "<=", 0.20, "ink and light washes, no saturated colour"),
    ),
    "huaniao": (
        Check("blank_space", ">=", 0.15, "blank ground around the motif"),
        Check("saturation", "<=", 0.25, "mineral and ink colours, not neon"),
    ),
    "renwu": (
        Check("blank_space", ">=", 0.15, "blank ground around the figures"),
        Check("saturation", "<=", 0.20, "muted pigments"),
    ),
    "ukiyoe": (
        Check("flat_color", ">=", 0.10, "flat areas of printed colour"),
        Check("outline_density", ">=", 0.08, "key-block outlines"),
    ),
    "impressionism": (
        Check("stroke_energy", ">=", 0.045, "visible brush strokes"),
        Check("colourfulness", ">=", 0.20, "broken, vivid colour"),
    ),
    "modern_expressionist": (Check("colourfulness", ">=", 0.18, "bold, non-naturalistic colour"),),
    "vangogh_drawing": (
        Check("colourfulness", "<=", 0.38, "ink or chalk on paper: little colour"),
        Check("outline_density", ">=", 0.13, "dense pen strokes and hatching"),
        Check("stroke_energy", ">=", 0.09, "marks everywhere, not smooth tone"),
    ),
    "old_masters": (
        Check("dark_fraction", ">=", 0.05, "chiaroscuro: deep shadows"),
        Check("stroke_energy", "<=", 0.075, "smooth, glazed surface"),
    ),
    "photo": (),
}


@dataclass(frozen=True)
class CheckResult:
    """A tradition's checks over a set of images: pass rate and median value per check."""

    tradition: str
    items: tuple[tuple[Check, float, float], ...]  # (check, pass rate, median value)

    def to_dict(self) -> dict[str, object]:
        return {
            "tradition": self.tradition,
            "checks": [
                {"check": c.describe(), "why": c.why, "pass_rate": rate, "median": med}
                for c, rate, med in self.items
            ],
        }


def run_checklist(
    tradition: str,
    images: Sequence[np.ndarray] | None = None,
    *,
    values: Sequence[dict[str, float]] | None = None,
) -> CheckResult:
    """Apply ``tradition``'s checklist to images (or to precomputed :func:`measures`)."""
    checks = CHECKLIST.get(tradition, ())
    vals = list(values) if values is not None else [measures(im) for im in images or ()]
    items = []
    for c in checks:
        v = np.array([m[c.measure] for m in vals], np.float64)
        rate = float(np.mean([c.passes(float(a)) for a in v])) if v.size else float("nan")
        items.append((c, rate, float(np.median(v)) if v.size else float("nan")))
    return CheckResult(tradition, tuple(items))
