"""Make the pictures in docs/portraits.md (and print the expression-transfer landmark errors).

Only public-domain / CC0 photos are drawn: the scikit-image astronaut (CC0, NASA) as the
portrait, and the official Obama portrait (US government work) as the expression driver.

Usage: ``python benchmarks/portrait_figures.py --faces ../shared/data/faces --out docs/img``
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

from huafeng.imageio import Image, read_image, write_animation, write_image
from huafeng.infer import StylizeOptions, Stylizer
from huafeng.portrait import detect_faces, with_portrait_mask
from huafeng.portrait.expression import ExpressionOptions, landmark_error, transfer_expression
from huafeng.portrait.tryon import TryOnOptions, try_on

TILE = 256


def tile(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.resize(rgb, (TILE, TILE), interpolation=cv2.INTER_AREA))


def strip(images: list[np.ndarray]) -> Image:
    return Image(np.concatenate([tile(x) for x in images], axis=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=Path("../shared/data/faces"))
    ap.add_argument("--out", type=Path, default=Path("docs/img"))
    ap.add_argument("--style", default="starry_night")
    ap.add_argument("--pattern", type=Path, help="an image for the clothes pattern (default: none)")
    ap.add_argument("--strength", type=float, default=1.5, help="expression strength for the GIF")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    me = read_image(args.faces / "skimage_astronaut.jpg")
    rgb = me.rgb

    # face-aware stylization: full, face 0.3, background only, face only
    st = Stylizer(args.style, threads=1)
    shots = [rgb]
    for region, fs in [("all", 1.0), ("all", 0.3), ("background", 1.0), ("person", 1.0)]:
        opts, _ = with_portrait_mask(StylizeOptions(threads=1), rgb, region, fs)
        shots.append(st.stylize_array(rgb, opts))
    write_image(args.out / "portrait_regions.jpg", strip(shots), overwrite=True)

    # try-on: hair, lips (zoomed), clothes from a style
    hair = try_on(me, TryOnOptions(hair="#7a3b2e")).rgb
    lips = try_on(me, TryOnOptions(lips="#c0392b")).rgb
    clothes = try_on(me, TryOnOptions(clothes=str(args.pattern) if args.pattern else "kandinsky")).rgb
    zoom = np.s_[90:230, 150:290]
    write_image(
        args.out / "portrait_tryon.jpg",
        strip([rgb, hair, rgb[zoom], lips[zoom], clothes]),
        overwrite=True,
    )

    # expression transfer: the astronaut driven by the official Obama portrait, 0 -> 1 -> 0
    driver = args.faces / "face_recognition_obama.jpg"
    res = transfer_expression(me, driver, ExpressionOptions(frames=10, fps=8, strength=args.strength))
    eye = float(np.linalg.norm(res.target_landmarks[33] - res.target_landmarks[263]))
    before = float(np.linalg.norm(res.target_landmarks - res.goal, axis=1).mean() / eye)
    after = landmark_error(res.frames[res.peak].rgb, res.goal, eye)
    print(f"expression landmark error (IOD): before {before:.4f}, after {after:.4f}")
    small = [
        f.with_rgb(cv2.resize(f.rgb[20:360, 90:430], (192, 192), interpolation=cv2.INTER_AREA))
        for f in res.frames
    ]
    write_animation(args.out / "portrait_expression.gif", small, overwrite=True, duration_ms=100)
    d = read_image(driver).rgb
    x, y, w, h = detect_faces(d).faces[0].box
    d = d[max(0, y - h) : y + 2 * h, max(0, x - w) : x + 2 * w]
    write_image(
        args.out / "portrait_expression.jpg",
        strip([rgb[20:360, 90:430], d, res.frames[res.peak].rgb[20:360, 90:430]]),
        overwrite=True,
    )
    for p in sorted(args.out.glob("portrait_*")):
        print(f"{p}  {p.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
