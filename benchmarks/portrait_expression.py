"""Expression transfer accuracy: landmark error to the driven goal, before and after the warp.

For every (target, driver) pair among single-face portraits of ``../shared/data/faces``, the
target is warped to full expression strength; the face mesh is re-detected on the result and
compared with the goal landmarks (target + aligned driver displacement). Errors are mean point
distances in inter-ocular distances (IOD). "before" is the error of the untouched target.

Usage: ``python benchmarks/portrait_expression.py --faces ../shared/data/faces --n 6``
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
from huafeng.portrait import detect_faces
from huafeng.portrait.expression import ExpressionOptions, landmark_error, transfer_expression


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=Path("../shared/data/faces"))
    ap.add_argument("--n", type=int, default=6, help="portraits; every ordered pair is measured")
    ap.add_argument("--side", type=int, default=384)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/portrait_expression.json"))
    args = ap.parse_args()
    tmp = args.out.parent / "_expression_inputs"
    tmp.mkdir(parents=True, exist_ok=True)
    picked: list[Path] = []
    for p in sorted(args.faces.glob("*.jpg")):
        img = read_image(p)
        f = args.side / max(img.size)
        rgb = cv2.resize(img.rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else img.rgb
        det = detect_faces(rgb)
        if len(det) == 1 and det.faces[0].landmarks is not None and det.faces[0].size >= 80:
            picked.append(write_image(tmp / f"{p.stem}.png", img.with_rgb(rgb), overwrite=True))
    step = max(1, len(picked) // args.n)
    picked = picked[::step][: args.n]
    rows = []
    t0 = time.time()
    for t in picked:
        target = read_image(t)
        for d in picked:
            if d == t:
                continue
            res = transfer_expression(target, d, ExpressionOptions(frames=4))
            eye = float(np.linalg.norm(res.target_landmarks[33] - res.target_landmarks[263]))
            before = float(np.linalg.norm(res.target_landmarks - res.goal, axis=1).mean() / eye)
            after = landmark_error(res.frames[res.peak].rgb, res.goal, eye)
            rows.append({"target": t.stem, "driver": d.stem, "before": before, "after": after})
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    b = np.array([r["before"] for r in rows])
    a = np.array([r["after"] for r in rows])
    summary = {
        "pairs": len(rows),
        "before_mean": float(b.mean()),
        "after_mean": float(a.mean()),
        "after_over_before_median": float(np.median(a / b)),
        "improved_pairs": int((a < b).sum()),
        "seconds": time.time() - t0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "pairs": rows}, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
