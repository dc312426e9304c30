"""How much of the face survives stylization, with and without face protection.

For single-face portraits from ``../shared/data/faces``, each shipped style is applied through the
real CLI path (``huafeng.portrait.regions.stylize_portrait``) under six settings:

* ``full``: the whole photo at strength 1 (no protection);
* ``face 0.3`` / ``face 0``: ``--face-strength 0.3`` / ``0``;
* ``face colour`` (+ ``0.5``): ``--face-color`` (faces keep the photo's luma), alone and with
  ``--face-strength 0.5``;
* ``background``: ``--region background`` (the person is kept).

Identity proxies, all on the detected face box (square, 224 px):

* **embedding cosine** of EfficientNet-Lite0 pooled features (the evaluation backbone, never a
  training loss), with the mean over *different* people's original crops as the "another
  person" reference, so the numbers have a scale;
* **SSIM** on luma of the face crop (structure);
* **landmark shift**: mean distance between the face mesh re-detected on the result and on the
  photo, in inter-ocular distances (geometry: does the face stay where it was?), and the rate
  at which the face is re-detected at all;
* and, so protection is not bought by not stylizing: the mean absolute change *outside* the
  face mask (0-255).

Usage: ``python benchmarks/portrait_identity.py --faces ../shared/data/faces --n 24``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

from huafeng.eval.ssim import luma, ssim
from huafeng.imageio import Image, read_image
from huafeng.infer import StylizeOptions, Stylizer
from huafeng.portrait import DetectOptions, detect_faces, face_mask
from huafeng.portrait.regions import stylize_portrait

SETTINGS = {
    "full": ("all", 1.0, False),
    "face 0.3": ("all", 0.3, False),
    "face 0": ("all", 0.0, False),
    "face colour": ("all", 1.0, True),
    "face colour + 0.5": ("all", 0.5, True),
    "background": ("background", 1.0, False),
}


def crop(rgb: np.ndarray, box: tuple[int, int, int, int], side: int = 224) -> np.ndarray:
    x, y, w, h = box
    cx, cy, r = x + w / 2, y + h / 2, 0.5 * max(w, h)
    x0, y0 = max(0, int(cx - r)), max(0, int(cy - r))
    x1, y1 = min(rgb.shape[1], int(cx + r)), min(rgb.shape[0], int(cy + r))
    return np.ascontiguousarray(cv2.resize(rgb[y0:y1, x0:x1], (side, side), interpolation=cv2.INTER_AREA))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=Path("../shared/data/faces"))
    ap.add_argument("--styles", nargs="+", default=["starry_night", "the_scream", "kandinsky"])
    ap.add_argument("--n", type=int, default=24, help="portraits (single-face, with a mesh)")
    ap.add_argument("--side", type=int, default=384, help="longest side the photos are brought to")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/portrait_identity.json"))
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from huafeng.eval.backbone import get_backbone

    net = get_backbone()
    photos = []
    for p in sorted(args.faces.glob("*.jpg")):
        rgb = read_image(p).rgb
        f = args.side / max(rgb.shape[:2])
        rgb = cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else rgb
        det = detect_faces(rgb)
        if len(det) == 1 and det.faces[0].landmarks is not None and det.faces[0].size >= 64:
            photos.append((p.name, rgb, det.faces[0]))
    step = max(1, len(photos) // args.n)
    photos = photos[::step][: args.n]
    emb0 = {name: net.pooled(crop(rgb, face.box)) for name, rgb, face in photos}
    names = list(emb0)
    others = [cosine(emb0[a], emb0[b]) for i, a in enumerate(names) for b in names[i + 1 :]]

    rows: dict[str, dict[str, list[float]]] = {}
    t0 = time.time()
    for style in args.styles:
        stylizer = Stylizer(style, threads=1)
        for name, rgb, face in photos:
            fmask = face_mask((rgb.shape[1], rgb.shape[0]), [face]) > 0.5
            c0 = crop(rgb, face.box)
            for setting, (region, fs, colour) in SETTINGS.items():
                opts = StylizeOptions(threads=1)
                out = stylize_portrait(stylizer, Image(rgb), opts, region, fs, face_color=colour).rgb
                c1 = crop(out, face.box)
                r = rows.setdefault(setting, {k: [] for k in ("cos", "ssim", "shift", "found", "outside")})
                r["cos"].append(cosine(emb0[name], net.pooled(c1)))
                r["ssim"].append(ssim(luma(c1), luma(c0)))
                det = detect_faces(out, DetectOptions())
                got = [f for f in det.faces if f.landmarks is not None]
                r["found"].append(1.0 if got else 0.0)
                if got and face.landmarks is not None:
                    best = min(got, key=lambda f: float(np.abs(np.array(f.box) - np.array(face.box)).sum()))
                    assert best.landmarks is not None
                    shift = (
                        np.linalg.norm(best.landmarks - face.landmarks, axis=1).mean() / face.eye_distance()
                    )
                    r["shift"].append(float(shift))
                diff = np.abs(out.astype(np.int16) - rgb).mean(axis=2)
                r["outside"].append(float(diff[~fmask].mean()))
        print(f"{style}: done ({time.time() - t0:.0f} s)", file=sys.stderr)

    summary = {
        s: {k: (float(np.mean(v)) if v else None) for k, v in r.items()} | {"n": len(r["cos"])}
        for s, r in rows.items()
    }
    result = {
        "summary": summary,
        "another_person_cos": float(np.mean(others)),
        "photos": [n for n, _, _ in photos],
        "styles": args.styles,
        "side": args.side,
        "machine": platform.platform(),
        "load_avg": os.getloadavg(),
        "command": " ".join(sys.argv),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        "| setting | face embedding cos | face SSIM | landmark shift (IOD) | face re-found | change outside |"
    )
    print("|---|---|---|---|---|---|")
    for s, v in summary.items():
        print(
            f"| {s} | {v['cos']:.3f} | {v['ssim']:.3f} | {v['shift']:.3f} "
            f"| {100 * v['found']:.0f} % | {v['outside']:.1f} |"
        )
    print(f"another person (original crops): cos {result['another_person_cos']:.3f}; {len(photos)} photos")


if __name__ == "__main__":
    main()
