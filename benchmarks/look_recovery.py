"""How well does ``huafeng look learn`` recover a known colour grade? (LUT error, in ΔE*ab.)

A known grade (tests/looks/conftest.py ``known_grade``: S-curve, lifted blacks, teal shadows /
warm highlights, +20 % chroma) is baked into a 33³ LUT and applied to ``--photos`` content photos
(256 px); the look is learnt from those graded photos and compared, on 8 *held-out* photos, with
the true grade:

* ``paired_reference``: the reference is the same photos before grading (the brief's protocol:
  the distributions differ only by the grade);
* ``builtin_reference``: the shipped summary of ordinary photos (what a user gets without
  ``--reference``): the photos' own content differs from the reference, so this is much worse;
* ``identity``: not grading at all (the scale of the problem);
* ``refined`` (with ``--refine-steps``): paired LUT + the refinement network.

    .venv/bin/python benchmarks/look_recovery.py --data ../shared/data [--refine-steps 300]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huafeng.imageio import Image, from_float, list_images, read_image, to_float
from huafeng.looks import ApplyOptions, FitCfg, Look, apply_look_array, fit_look
from huafeng.looks.color import delta_e76
from huafeng.looks.fit import _small
from huafeng.looks.lut import Lut3D, apply_lut, grid_points
from huafeng.looks.reference import default_reference
from tests.looks.conftest import known_grade


def _errors(pred: list[np.ndarray], truth: list[np.ndarray]) -> dict[str, float]:
    de = [float(delta_e76(t, p).mean()) for p, t in zip(pred, truth, strict=True)]
    p95 = [float(np.percentile(delta_e76(t, p), 95)) for p, t in zip(pred, truth, strict=True)]
    rgb = [float(np.abs(t - p).mean() * 255) for p, t in zip(pred, truth, strict=True)]
    return {
        "mean_dE76": round(float(np.mean(de)), 2),
        "p95_dE76": round(float(np.mean(p95)), 2),
        "mean_abs_rgb_8bit": round(float(np.mean(rgb)), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--photos", type=int, default=20)
    ap.add_argument("--lut-size", type=int, default=33)
    ap.add_argument("--refine-steps", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/look_recovery.json"))
    args = ap.parse_args()

    truth_lut = Lut3D(known_grade(grid_points(33)))
    paths = list_images([args.data / "content"])
    order = np.random.default_rng(0).permutation(len(paths))
    photos = [Image(rgb=from_float(_small(to_float(read_image(paths[i]).rgb), 256))) for i in order[:30]]
    train, held = photos[: args.photos], photos[20:28] if args.photos <= 20 else photos[-8:]
    graded = [Image(rgb=from_float(apply_lut(to_float(p.rgb), truth_lut))) for p in train]
    x_held = [to_float(p.rgb) for p in held]
    truth = [apply_lut(x, truth_lut) for x in x_held]
    cfg = FitCfg(lut_size=args.lut_size)
    res: dict[str, object] = {"photos": args.photos, "held_out": len(held), "lut_size": args.lut_size}
    t0 = time.perf_counter()
    paired = fit_look(train, graded, cfg)
    res["fit_seconds"] = round(time.perf_counter() - t0, 1)
    res["paired_reference"] = _errors([apply_lut(x, paired.lut) for x in x_held], truth)
    builtin = fit_look(default_reference(), graded, cfg)
    res["builtin_reference"] = _errors([apply_lut(x, builtin.lut) for x in x_held], truth)
    res["identity"] = _errors(x_held, truth)
    if args.refine_steps:
        from huafeng.train.look_refine import RefineCfg, refine_look

        look = Look.from_fit("bench", paired)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            onnx = refine_look(
                look, graded, args.data / "content", Path(tmp) / "r.onnx", RefineCfg(steps=args.refine_steps)
            )
            res["refine_seconds"] = round(time.perf_counter() - t0, 1)
            from dataclasses import replace

            rl = replace(look, refine=onnx)
            opts = ApplyOptions(grain=0, vignette=0)
            res["refined"] = _errors([to_float(apply_look_array(p.rgb, rl, opts)) for p in held], truth)
    print(json.dumps(res, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
