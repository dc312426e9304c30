"""Try-on region masks against hand-drawn ones: precision and recall per region.

``tests/portrait/regions_gt/*.json`` hold polygons for hair, lips, face skin and clothes drawn by
hand (by a helper session, over a coordinate grid) on photos of ``../shared/data/faces``, and say
which regions a photo does not show. For each photo the masks of :mod:`huafeng.portrait.masks` are
computed (at most 512 px long), thresholded at 0.5 and compared with the drawn ones:

- precision = |predicted ∩ drawn| / |predicted|, recall = |predicted ∩ drawn| / |drawn|, IoU;
- for a region the photo does not show, a ``None`` from the mask function is right and any mask
  is a false alarm; for a region it shows, ``None`` is a miss.

``--sheet`` writes a contact sheet (photo · drawn · predicted) of the first photos.

    python benchmarks/tryon_masks.py --data ../shared/data --sheet docs/img/tryon_masks.jpg
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

from huafeng.imageio import Image, read_image, write_image
from huafeng.portrait import masks as M
from huafeng.portrait.faces import detect_faces
from huafeng.portrait.regions import person_mask

ROOT = Path(__file__).resolve().parents[1]
GT = ROOT / "tests" / "portrait" / "regions_gt"
REGIONS = ("hair", "lips", "skin", "clothes")
COLOURS = {"hair": (230, 30, 30), "lips": (240, 0, 240), "skin": (250, 220, 0), "clothes": (0, 90, 255)}
SIDE = 512


def drawn(gt: dict[str, Any], scale: float, shape: tuple[int, int]) -> dict[str, np.ndarray | None]:
    out: dict[str, np.ndarray | None] = {}
    for r in REGIONS:
        polys = gt.get("regions", {}).get(r)
        if not polys:
            out[r] = None
            continue
        m = np.zeros(shape, np.uint8)
        for p in polys:
            cv2.fillPoly(m, [np.round(np.asarray(p, np.float64) * scale).astype(np.int32)], 1)
        out[r] = m.astype(bool)
    return out


def predicted(rgb: np.ndarray) -> dict[str, np.ndarray | None]:
    face = detect_faces(rgb).faces[0]
    person = person_mask(rgb, [face])
    lab = M.lab_of(rgb)
    skin_like = M.skin_model(lab, M.geometry(face))
    hair, _ = M.hair_mask(rgb, face, person, skin_like, lab)
    clothes, _ = M.clothes_mask(rgb, face, person, hair, skin_like, lab)
    return {
        "hair": hair,
        "lips": M.lips_mask(face, (rgb.shape[1], rgb.shape[0])),
        "skin": M.skin_mask(rgb, face, skin_like),
        "clothes": clothes,
    }


def compare(pred: np.ndarray | None, truth: np.ndarray | None) -> dict[str, Any]:
    if truth is None:
        return {"absent": True, "right": pred is None or float((pred > 0.5).mean()) < 1e-4}
    if pred is None:
        return {"absent": False, "precision": None, "recall": 0.0, "iou": 0.0, "missed": True}
    p = pred > 0.5
    inter = float((p & truth).sum())
    return {
        "absent": False,
        "precision": inter / max(1.0, float(p.sum())),
        "recall": inter / max(1.0, float(truth.sum())),
        "iou": inter / max(1.0, float((p | truth).sum())),
        "missed": False,
    }


def overlay(rgb: np.ndarray, masks: dict[str, np.ndarray | None]) -> np.ndarray:
    o = rgb.astype(np.float32)
    for r in REGIONS:
        m = masks[r]
        if m is None:
            continue
        a = (np.asarray(m, np.float32) * 0.55)[..., None]
        o = o * (1 - a) + a * np.array(COLOURS[r], np.float32)
    return o.astype(np.uint8)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in REGIONS:
        present = [x[r] for x in rows if not x[r]["absent"]]
        absent = [x[r] for x in rows if x[r]["absent"]]
        precs = [x["precision"] for x in present if x["precision"] is not None]
        out[r] = {
            "photos_with_region": len(present),
            "precision_mean": float(np.mean(precs)) if precs else None,
            "recall_mean": float(np.mean([x["recall"] for x in present])) if present else None,
            "iou_mean": float(np.mean([x["iou"] for x in present])) if present else None,
            "missed": sum(bool(x["missed"]) for x in present),
            "photos_without_region": len(absent),
            "absent_said_absent": sum(bool(x["right"]) for x in absent),
        }
    return out


def run(data: Path, files: list[Path], sheet: Path | None = None) -> dict[str, Any]:
    rows, cells = [], []
    t0 = time.time()
    for f in files:
        gt = json.loads(f.read_text(encoding="utf-8"))
        img = read_image(data / gt["image"]).rgb
        scale = min(1.0, SIDE / max(img.shape[:2]))
        rgb = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else img
        truth, pred = drawn(gt, scale, rgb.shape[:2]), predicted(rgb)
        rows.append({"photo": f.stem, **{r: compare(pred[r], truth[r]) for r in REGIONS}})
        if sheet is not None and len(cells) < 12:
            cells.append([rgb, overlay(rgb, dict(truth)), overlay(rgb, pred)])  # type: ignore[arg-type]
    if sheet is not None:
        write_sheet(sheet, cells)
    return {"photos": len(rows), "seconds": time.time() - t0, "regions": summarise(rows), "rows": rows}


def write_sheet(path: Path, cells: list[list[np.ndarray]]) -> None:
    tiles = []
    for triple in cells:
        tiles.append(
            np.concatenate([cv2.resize(c, (192, round(192 * c.shape[0] / c.shape[1]))) for c in triple], 0)
        )
    h = max(t.shape[0] for t in tiles)
    tiles = [np.pad(t, ((0, h - t.shape[0]), (0, 4), (0, 0)), constant_values=255) for t in tiles]
    rows = [np.concatenate(tiles[i : i + 6], 1) for i in range(0, len(tiles), 6)]
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    write_image(path, Image(rgb=np.concatenate(rows, 0)), overwrite=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--sheet", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/tryon_masks.json"))
    ap.add_argument("--half", type=int, choices=(0, 1, 2), default=0, help="1 or 2: only that half (by name)")
    args = ap.parse_args()
    files = sorted(GT.glob("*.json"))
    if args.half:
        files = files[: len(files) // 2] if args.half == 1 else files[len(files) // 2 :]
    res = run(args.data, files, args.sheet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
