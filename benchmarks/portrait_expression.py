"""Expression transfer: landmark error to the driven goal, change outside the face, open mouths.

Single-face portraits of ``../shared/data/faces`` are split by how open their mouths are (inner-lip
area over IOD²): the ``--n`` most closed become targets, the ``--n`` most open drivers, and every
(target, driver) pair is warped to full expression. Figures per pair:

- landmark error: the face mesh re-detected on the result against the goal landmarks (target +
  the expressive part of the aligned driver displacement), mean point distance in inter-ocular
  distances (IOD); "before" is the untouched target's;
- change outside the face region: mean absolute change (0..255) of the pixels outside the warped
  region (hair, ears, background must not move);
- mouth: how open the result's mouth is, and whether an interior was pasted.

``--sheet`` writes a contact sheet (target · driver · half way · full expression) of the first
pairs. Usage: ``python benchmarks/portrait_expression.py --n 5 --sheet docs/img/portrait_expression.jpg``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

from huafeng.imageio import read_image, write_image
from huafeng.portrait import detect_faces, mouth
from huafeng.portrait.expression import (
    ExpressionOptions,
    change_outside_face,
    landmark_error,
    transfer_expression,
)
from huafeng.portrait.faces import eye_distance


def _portraits(faces: Path, side: int, tmp: Path) -> list[tuple[Path, float]]:
    """(scaled copy, mouth opening) of every single-face portrait with a mesh."""
    out = []
    for p in sorted(faces.glob("*.jpg")):
        img = read_image(p)
        f = side / max(img.size)
        rgb = cv2.resize(img.rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else img.rgb
        det = detect_faces(rgb)
        if len(det) == 1 and det.faces[0].landmarks is not None and det.faces[0].size >= 80:
            lm = det.faces[0].landmarks
            out.append(
                (write_image(tmp / f"{p.stem}.png", img.with_rgb(rgb), overwrite=True), mouth.opening(lm))
            )
    return out


def _sheet(path: Path, cells: list[list[np.ndarray]], side: int) -> None:
    rows = []
    for row in cells:
        rows.append(np.concatenate([cv2.resize(c, (side * c.shape[1] // c.shape[0], side)) for c in row], 1))
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    from huafeng.imageio import Image

    write_image(path, Image(rgb=np.concatenate(rows, 0)), overwrite=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=Path("../shared/data/faces"))
    ap.add_argument("--n", type=int, default=5, help="targets and drivers each; n*n pairs")
    ap.add_argument("--side", type=int, default=384)
    ap.add_argument("--sheet", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/portrait_expression.json"))
    args = ap.parse_args()
    tmp = args.out.parent / "_expression_inputs"
    tmp.mkdir(parents=True, exist_ok=True)
    found = sorted(_portraits(args.faces, args.side, tmp), key=lambda x: x[1])
    targets = [p for p, _ in found[: args.n]]
    drivers = [p for p, _ in found[::-1][: args.n]]
    rows, cells = [], []
    t0 = time.time()
    for ti, t in enumerate(targets):
        target = read_image(t)
        for di, d in enumerate(drivers):
            res = transfer_expression(target, d, ExpressionOptions(frames=4))
            eye = eye_distance(res.target_landmarks)
            peak = res.frames[res.peak].rgb
            rows.append({
                "target": t.stem, "driver": d.stem,
                "before": float(np.linalg.norm(res.target_landmarks - res.goal, axis=1).mean() / eye),
                "after": landmark_error(peak, res.goal, eye),
                "outside_change": change_outside_face(peak, target.rgb, res.target_landmarks, res.goal),
                "target_opening": mouth.opening(res.target_landmarks),
                "goal_opening": mouth.opening(res.goal),
            })  # fmt: skip
            if di == ti % len(drivers):  # one row per target, each with another driver
                cells.append((t.stem, [target.rgb, read_image(d).rgb, res.frames[1].rgb, peak]))
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    if args.sheet is not None:
        _sheet(args.sheet, [c for _, c in cells], 256)
    b = np.array([r["before"] for r in rows])
    a = np.array([r["after"] for r in rows])
    o = np.array([r["outside_change"] for r in rows])
    summary = {
        "pairs": len(rows),
        "before_mean": float(b.mean()),
        "after_mean": float(a.mean()),
        "after_over_before_median": float(np.median(a / b)),
        "improved_pairs": int((a < b).sum()),
        "outside_change_mean": float(o.mean()),
        "outside_change_max": float(o.max()),
        "pairs_opening_the_mouth": int(
            sum(r["goal_opening"] > r["target_opening"] + mouth.MIN_OPENING for r in rows)
        ),
        "seconds": time.time() - t0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "pairs": rows}, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
