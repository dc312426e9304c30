"""Automatic damage detection (``huafeng repair`` without ``--mask``): what it changes on clean
photos and what it finds on damaged ones. Feeds ``docs/repair.md``.

* Clean: 60 held-out content photos and 30 faces, none of which chose the detector's working
  scale (the first 30 held-out content photos and the first 10 faces did; they are skipped here),
  at their own size up to a 512 px long side. Figure: the share of pixels ``repair_image``
  changes, per photo.
* Damaged: the same photos at short side 256 (long side ≤ 384), damaged by
  :func:`huafeng.data.damage.simulate` seeded by the file name; pixel precision/recall of the
  detected mask against the true one, pooled, and per damage kind (recall only).
* A contact sheet: clean photo → what was changed (red), damaged photo → detected mask →
  repaired.

    .venv/bin/python benchmarks/repair_detection.py --out benchmarks/results/repair_detection
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from repair_vs_opencv import load_eval_photo, seed_for

from huafeng import imageio
from huafeng.data.damage import is_held_out, simulate
from huafeng.infer.repair import RepairOptions, repair_image


def _fit(rgb: np.ndarray, long_side: int = 512) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = min(1.0, long_side / max(h, w))
    return rgb if s == 1 else cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def _tile(rgb: np.ndarray, side: int = 200) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = side / h
    return cv2.resize(rgb, (max(1, round(w * s)), side), interpolation=cv2.INTER_AREA)


def _overlay(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    out[mask > 0] = (0.4 * out[mask > 0] + 0.6 * np.array([255, 0, 0])).astype(np.uint8)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/repair_detection"))
    args = ap.parse_args()
    held = sorted(p for p in (args.data / "content").iterdir() if is_held_out(p))[30:90]
    photos = held + sorted((args.data / "faces").iterdir())[10:40]
    changed, rows = [], []
    tp = fp = fn = 0
    kind_hits: dict[str, list[float]] = {}
    for i, p in enumerate(photos):
        rgb = _fit(imageio.read_image(p).rgb)
        res = repair_image(imageio.Image(rgb), RepairOptions(threads=2))
        changed.append(float((res.image.rgb != rgb).any(-1).mean()))
        d = simulate(load_eval_photo(p), seed_for(p))
        got = repair_image(imageio.Image(d.image), RepairOptions(threads=2))
        m, t = got.mask > 0, d.mask > 0
        tp, fp, fn = tp + int((m & t).sum()), fp + int((m & ~t).sum()), fn + int((~m & t).sum())
        rec = float((m & t).sum() / max(t.sum(), 1))
        for k in set(d.kinds):
            kind_hits.setdefault(k, []).append(rec)
        if i % 15 == 0 and len(rows) < 6:
            rows.append(
                np.concatenate(
                    [
                        _tile(x)
                        for x in (
                            rgb,
                            _overlay(rgb, res.mask),
                            d.image,
                            _overlay(d.image, got.mask),
                            got.image.rgb,
                        )
                    ],
                    1,
                )
            )
    c = np.array(changed)
    res_json = {
        "clean_photos": len(c),
        "clean_changed_mean_pct": round(100 * float(c.mean()), 3),
        "clean_changed_max_pct": round(100 * float(c.max()), 3),
        "clean_photos_over_1pct": int((c > 0.01).sum()),
        "clean_photos_untouched": int((c == 0).sum()),
        "damaged_precision": round(tp / max(tp + fp, 1), 3),
        "damaged_recall": round(tp / max(tp + fn, 1), 3),
        "recall_by_kind_mean_over_photos_with_it": {
            k: round(float(np.mean(v)), 3) for k, v in kind_hits.items()
        },
    }
    print(json.dumps(res_json, indent=1))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(res_json, indent=1) + "\n")
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate(
        [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    )
    imageio.write_image(args.out / "contact_sheet.png", imageio.Image(sheet), overwrite=True)


if __name__ == "__main__":
    main()
