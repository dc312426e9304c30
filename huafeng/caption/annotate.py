"""Hand-drawn annotations (arrows, circles, boxes, labels) from a JSON spec, in the picture's palette.

The hand-drawn look comes from three cheap tricks, all seeded so a spec always gives the same
picture: each shape's outline is sampled as a polyline and displaced by smooth low-frequency noise
(a wobbly hand, not pixel jitter), a circle overshoots its start like a pen that keeps going, and
the brush width swells and thins along the stroke. Strokes get a thin dark rim so they read on
any background, and their colour is the picture's most vivid palette colour, contrast-checked.

Spec (coordinates in pixels, or fractions of width/height with ``"units": "fraction"``)::

    {"units": "px", "seed": 0, "items": [
      {"type": "arrow",  "from": [x, y], "to": [x, y], "label": "看这里"},
      {"type": "circle", "center": [x, y], "radius": r, "label": "me"},
      {"type": "box",    "xy": [x0, y0, x1, y1], "label": "boss"},
      {"type": "label",  "at": [x, y], "text": "绝绝子"}]}
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from huafeng.caption.compose import composite, draw_caption, plan_caption
from huafeng.caption.palette import TextColors, palette, pick_colors
from huafeng.errors import InputError
from huafeng.imageio import Image

MAX_SPEC_BYTES = 256 * 1024
MAX_ITEMS = 64
KINDS = {
    "arrow": ("from", "to"),
    "circle": ("center", "radius"),
    "box": ("xy",),
    "label": ("at", "text"),
}


@dataclass(frozen=True)
class Item:
    kind: str
    points: tuple[float, ...]  # flattened coordinates in pixels (radius last for circles)
    label: str | None


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: annotation spec not found")
    if p.stat().st_size > MAX_SPEC_BYTES:
        raise InputError(f"{p}: the spec is larger than {MAX_SPEC_BYTES // 1024} KB")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{p}: the spec is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: the spec must be a JSON object with an 'items' list")
    return data


def _num(v: object, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InputError(f"{where}: expected a number, got {json.dumps(v, ensure_ascii=False)}")
    return float(v)


def parse_items(spec: dict[str, Any], size: tuple[int, int]) -> list[Item]:
    """Validate the spec against the picture; every problem names the item and the field."""
    units = spec.get("units", "px")
    if units not in ("px", "fraction"):
        raise InputError(f"units must be 'px' or 'fraction', not {units!r}")
    items = spec.get("items")
    if not isinstance(items, list) or not items:
        raise InputError("the spec needs a non-empty 'items' list")
    if len(items) > MAX_ITEMS:
        raise InputError(f"the spec has {len(items)} items; at most {MAX_ITEMS} are drawn")
    w, h = size
    out: list[Item] = []
    for i, it in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(it, dict):
            raise InputError(f"{where}: expected an object")
        kind = it.get("type")
        if kind not in KINDS:
            raise InputError(f"{where}: unknown type {kind!r}; valid: {', '.join(KINDS)}")
        for key in KINDS[kind]:
            if key not in it:
                raise InputError(f"{where} ({kind}): missing '{key}'")
        coords: list[float] = []
        for key in KINDS[kind]:
            if key in ("text", "radius"):
                continue
            v = it[key]
            n = 4 if key == "xy" else 2
            if not isinstance(v, list) or len(v) != n:
                raise InputError(f"{where}.{key}: expected a list of {n} numbers")
            for j, c in enumerate(v):
                c = _num(c, f"{where}.{key}[{j}]") * ((w if j % 2 == 0 else h) if units == "fraction" else 1)
                if not -0.05 * (w, h)[j % 2] <= c <= 1.05 * (w, h)[j % 2]:
                    raise InputError(f"{where}.{key}: {v} lies outside the {w}x{h} px picture")
                coords.append(c)
        if kind == "circle":
            r = _num(it["radius"], f"{where}.radius") * (min(w, h) if units == "fraction" else 1)
            if not 2 <= r <= max(w, h):
                raise InputError(f"{where}.radius: {it['radius']} is not a sensible radius here")
            coords.append(r)
        if kind == "box" and (coords[2] - coords[0] < 4 or coords[3] - coords[1] < 4):
            raise InputError(f"{where}.xy: expected [x0, y0, x1, y1] with x1 > x0 and y1 > y0")
        label = it.get("text") if kind == "label" else it.get("label")
        if label is not None and not isinstance(label, str):
            raise InputError(f"{where}: the label must be a string")
        if kind == "label" and not (label or "").strip():
            raise InputError(f"{where}.text: the label text is empty")
        out.append(Item(kind, tuple(coords), label))
    return out


# ------------------------------------------------------------------------------------ drawing


def _wobble(pts: np.ndarray, amp: float, rng: np.random.Generator) -> np.ndarray:
    """Displace a polyline by smooth noise: three random low-frequency sines per axis."""
    t = np.linspace(0.0, 1.0, len(pts))[:, None]
    noise = np.zeros_like(pts)
    for k in (1, 2, 3):
        phase = rng.uniform(0, 2 * np.pi, 2)
        noise += np.sin(2 * np.pi * k * t + phase) * rng.uniform(0.3, 1.0, 2) / k
    return pts + amp * noise


def _brush(mask: np.ndarray, pts: np.ndarray, width: float, rng: np.random.Generator) -> None:
    """Stamp a polyline whose width swells and thins like a brush (pressure along the stroke)."""
    n = len(pts)
    press = 0.65 + 0.35 * np.sin(np.linspace(0, np.pi, n)) + rng.normal(0, 0.04, n)
    for i in range(n - 1):
        th = max(1, round(width * press[i]))
        p0 = tuple(round(v) for v in pts[i])
        p1 = tuple(round(v) for v in pts[i + 1])
        cv2.line(mask, p0, p1, 255, th, cv2.LINE_AA)  # type: ignore[call-overload]


def _shape(item: Item, diag: float, rng: np.random.Generator) -> list[np.ndarray]:
    amp = 0.005 * diag
    c = item.points
    if item.kind == "arrow":
        a, b = np.array(c[:2]), np.array(c[2:4])
        line = np.linspace(a, b, 40)
        ang = math.atan2(*(b - a)[::-1])
        head = 0.035 * diag
        barbs = [
            np.linspace(b, b - head * np.array([math.cos(ang + s), math.sin(ang + s)]), 8)
            for s in (0.45, -0.45)
        ]
        return [_wobble(line, amp, rng), *(_wobble(x, amp * 0.3, rng) for x in barbs)]
    if item.kind == "circle":
        cx, cy, r = c
        start = rng.uniform(0, 2 * np.pi)
        t = np.linspace(start, start + 2 * np.pi * 1.08, 90)  # overshoot: the pen keeps going
        rr = r * (1 + 0.05 * np.sin(t * 2 + rng.uniform(0, 6)))
        return [_wobble(np.stack([cx + rr * np.cos(t), cy + rr * np.sin(t)], 1), amp, rng)]
    if item.kind == "box":
        x0, y0, x1, y1 = c
        sides = [((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))]
        return [_wobble(np.linspace(np.array(p), np.array(q), 24), amp * 0.6, rng) for p, q in sides]
    return []


def _label_at(item: Item, size: tuple[int, int], diag: float) -> tuple[float, float]:
    c = item.points
    off = 0.02 * diag
    if item.kind == "arrow":  # at the tail: the head points at the thing
        x, y = c[0] - off * 3, c[1] + off
    elif item.kind == "circle":
        x, y = c[0] - c[2], c[1] + c[2] + off
    elif item.kind == "box":
        x, y = c[0], c[3] + off
    else:
        x, y = c[0], c[1]
    return float(min(max(0, x), size[0] * 0.7)), float(min(max(0, y), size[1] * 0.85))


def annotate(img: Image, spec: dict[str, Any], *, style: str | None = None) -> Image:
    """Draw the spec's items on ``img`` (stylized first when ``style`` is given)."""
    from huafeng.caption.meme import stylized

    base, _ = stylized(img, style)
    rgb = base.rgb
    w, h = base.size
    items = parse_items(spec, (w, h))
    seed = spec.get("seed", 0)
    rng = np.random.default_rng(seed if isinstance(seed, int) and seed >= 0 else 0)
    diag = math.hypot(w, h)
    colors = pick_colors(palette(rgb), tuple(int(v) for v in rgb.reshape(-1, 3).mean(0)))  # type: ignore[arg-type]
    colors = TextColors(colors.fill, colors.outline, colors.shadow)
    mask = np.zeros((h, w), np.uint8)
    for item in items:
        for pts in _shape(item, diag, rng):
            _brush(mask, pts, max(2.0, 0.006 * diag), rng)
    fill = mask.astype(np.float32) / 255.0
    k = max(3, round(0.004 * diag) * 2 + 1)
    rim = cv2.dilate(fill, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    out = composite(rgb, fill, rim, colors, shadow_px=0.002 * diag)
    notes: list[str] = []
    for item in items:
        if item.label:
            cap = plan_caption(
                out,
                item.label,
                region=_label_at(item, (w, h), diag),
                max_size=max(12, round(min(w, h) / 14)),
                colors=colors,
            )
            out = draw_caption(out, cap)
            notes.extend(cap.notes)
    res = base.with_rgb(out)
    res.info = {**base.info, "caption_notes": notes}
    return res
