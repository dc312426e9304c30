"""Flicker of ``huafeng video``: temporal blending vs plain per-frame stylization.

The clip is built from one photo of the shared data: a slow pan (+10 % of the width) and zoom
(+15 %) over ``--frames`` frames at 24 fps, with Gaussian sensor-like noise (σ = ``--noise`` grey
levels) and H.264 at crf 12 — real motion plus the frame-to-frame noise that makes feed-forward
stylizers flicker. Each setting stylizes the same clip with a shipped style; reported:

* ``flicker``: :func:`huafeng.infer.flow.flicker` — mean |out_t − warp(out_{t−1})| over pixels
  the input's flow marks reliable, in 8-bit grey levels (lower = steadier);
* ``laplacian``: mean |Laplacian| of the output luma — texture contrast, to show what blending
  costs in sharpness (blending averages texture; ``keep_contrast`` scales the detail back up);
* ``seconds``: wall time on this machine for the whole clip.

    .venv/bin/python benchmarks/video_flicker.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huafeng.imageio import read_image
from huafeng.infer.flow import flicker
from huafeng.infer.video import VideoOptions, stylize_video_file
from huafeng.videoio import read_video_frames
from tests.videoclips import make_clip


def pan_zoom(rgb: np.ndarray, n: int, w: int, h: int, noise: float) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    big_h, big_w = rgb.shape[:2]
    frames = []
    for i in range(n):
        t = i / max(n - 1, 1)
        scale = 1.0 + 0.15 * t
        cw, ch = big_w / scale * 0.8, big_h / scale * 0.8
        cx, cy = big_w * (0.45 + 0.1 * t), big_h * 0.5
        m = np.float32([[w / cw, 0, -(cx - cw / 2) * w / cw], [0, h / ch, -(cy - ch / 2) * h / ch]])
        f = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_AREA)
        frames.append(np.clip(f + rng.normal(0, noise, f.shape), 0, 255).astype(np.uint8))
    return frames


def _laplacian(frames: list[np.ndarray]) -> float:
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    return float(np.mean([np.abs(cv2.Laplacian(g, cv2.CV_32F)).mean() for g in grey]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--photo", default="content/neural-style-tf_tubingen.jpg")
    ap.add_argument("--style", default="starry_night")
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--size", type=int, nargs=2, default=(480, 320))
    ap.add_argument("--noise", type=float, default=2.0)
    ap.add_argument("--blends", type=float, nargs="+", default=(0.0, 0.5, 0.7, 0.85))
    ap.add_argument("--plain-blends", type=float, nargs="*", default=(0.7,), help="without keep_contrast")
    ap.add_argument("--every", type=int, nargs="+", default=(2,), help="network on every Nth frame")
    ap.add_argument("--flow", nargs="+", default=("fast",), help="DIS presets to compare")
    ap.add_argument("--threads", type=int, default=None, help="ONNX Runtime threads (default: all cores)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/video_flicker.json"))
    args = ap.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        frames = pan_zoom(read_image(args.data / args.photo).rgb, args.frames, *args.size, args.noise)
        clip = make_clip(Path(tmp) / "clip.mp4", frames, fps=24, audio="aac")
        ins = [f.rgb for f in read_video_frames(clip)]
        settings = [(b, True, e, f) for b in args.blends for e in args.every for f in args.flow]
        settings += [(b, False, e, f) for b in args.plain_blends for e in args.every for f in args.flow]
        for blend, keep, every, flow in dict.fromkeys(  # per-frame once, whatever every/flow say
            (b, k, e if b else 1, f if b else "medium") for b, k, e, f in settings
        ):
            out = Path(tmp) / f"out_{blend}_{keep}_{every}_{flow}.mp4"
            t0 = time.perf_counter()
            opts = VideoOptions(
                temporal=blend > 0, blend=blend, keep_contrast=keep, network_every=every, flow=flow
            )
            stylize_video_file(clip, out, style=args.style, opts=opts, threads=args.threads)
            outs = [f.rgb for f in read_video_frames(out)]
            mode = (
                "per-frame"
                if blend == 0
                else f"temporal, blend {blend}, network every {every}, flow {flow}"
                + ("" if keep else ", no keep_contrast")
            )
            rows.append(
                {
                    "mode": mode,
                    "flicker": round(flicker(outs, ins), 2),
                    "laplacian": round(_laplacian(outs), 2),
                    "seconds": round(time.perf_counter() - t0, 1),
                }
            )
            print(rows[-1], flush=True)
        res = {
            "clip": {
                "photo": args.photo,
                "frames": args.frames,
                "size": list(args.size),
                "noise_sigma": args.noise,
                "fps": 24,
            },
            "style": args.style,
            "input_flicker": round(flicker(ins, ins), 2),
            "rows": rows,
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
