"""Is a learnt look ever worse than not grading? Several grades × photo sets × references.

``benchmarks/look_recovery.py`` tests one grade on one random set. A user's feed is usually of one
kind of subject (their dog, their city), and the reference they give may show other subjects, so
this grid learns each of 5 known grades from 20 graded photos of one photo set, against

* ``builtin``: the shipped summary of ordinary photos (no ``--reference``);
* ``other``: a folder of 20 *other*, ungraded photos (a reference of other subjects);
* ``paired``: the same 20 photos before grading,

and reports the mean ΔE76 against the true grade on 10 held-out random photos, next to the
identity's (not grading). Sets: ``random`` (any content photo), ``dogs`` (ImageNet dog synsets),
``animals`` (stargan-v2 cat/dog/wild faces), ``birds`` (ImageNet bird synsets). The photos,
grades and held-out split are fixed by seeds; no parameter of the fit was tuned on this grid.

    .venv/bin/python benchmarks/look_safety.py --data ../shared/data --out benchmarks/results/look_safety.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huafeng.imageio import Image, from_float, list_images, read_image, to_float
from huafeng.looks import FitCfg, fit_look
from huafeng.looks.color import delta_e76, oklab_to_srgb, srgb_to_oklab
from huafeng.looks.fit import _small
from huafeng.looks.lut import Lut3D, apply_lut, grid_points
from huafeng.looks.reference import default_reference
from tests.looks.conftest import known_grade


def _lab_grade(fn: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, ...]]) -> Callable:
    def grade(rgb: np.ndarray) -> np.ndarray:
        lab = srgb_to_oklab(rgb)
        return oklab_to_srgb(np.stack(fn(lab[..., 0], lab[..., 1], lab[..., 2]), -1))

    return grade


GRADES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "film_teal_warm": known_grade,
    "warm_fade": _lab_grade(lambda L, a, b: (0.08 + 0.86 * L, a * 0.9 + 0.01, b * 0.9 + 0.035)),
    "cool_muted": _lab_grade(lambda L, a, b: (L, a * 0.6 - 0.005, b * 0.6 - 0.03)),
    "punchy": _lab_grade(lambda L, a, b: (L + 0.06 * np.sin(2 * np.pi * (L - 0.5)), a * 1.35, b * 1.35)),
    "gentle_warm": _lab_grade(lambda L, a, b: (L, a + 0.006, b + 0.015)),
}


def _sets(paths: list[Path]) -> dict[str, list[Path]]:
    def syn(p: Path) -> int:
        return int(p.name.split("_")[1][1:]) if p.name.startswith("imagenet_n") else -1

    return {
        "random": paths,
        "dogs": [p for p in paths if 2085620 <= syn(p) <= 2113978],
        "animals": [p for p in paths if p.name.startswith("stargan-v2")],
        "birds": [p for p in paths if 1514000 <= syn(p) <= 1860000],
    }


def _load(ps: list[Path]) -> list[np.ndarray]:
    return [_small(to_float(read_image(p).rgb), 256) for p in ps]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument(
        "--inflation", type=float, default=None, help="FitCfg.content_inflation (default: its default)"
    )
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/look_safety.json"))
    args = ap.parse_args()
    paths = list_images([args.data / "content"])
    rng = np.random.default_rng(1)
    held_paths = [paths[i] for i in rng.permutation(len(paths))[:10]]
    held = _load(held_paths)
    other_pool = [p for p in paths if p not in held_paths]
    cfg = (
        FitCfg(lut_size=17)
        if args.inflation is None
        else FitCfg(lut_size=17, content_inflation=args.inflation)
    )
    rows, t0 = [], time.perf_counter()
    for set_name, pool in _sets(other_pool).items():
        pick = [pool[i] for i in np.random.default_rng(2).permutation(len(pool))[:20]]
        look_src = _load(pick)
        rest = [p for p in other_pool if p not in pick]
        other = _load([rest[i] for i in np.random.default_rng(3).permutation(len(rest))[:20]])
        for grade_name, grade in GRADES.items():
            lut = Lut3D(grade(grid_points(33)))
            graded = [Image(rgb=from_float(apply_lut(x, lut))) for x in look_src]
            truth = [apply_lut(x, lut) for x in held]
            refs = {
                "builtin": default_reference(),
                "other": [Image(rgb=from_float(x)) for x in other],
                "paired": [Image(rgb=from_float(x)) for x in look_src],
            }
            row: dict[str, object] = {"set": set_name, "grade": grade_name}
            row["identity"] = round(
                float(np.mean([delta_e76(t, x).mean() for t, x in zip(truth, held, strict=True)])), 2
            )
            for ref_name, ref in refs.items():
                fit = fit_look(ref, graded, cfg)
                de = np.mean(
                    [delta_e76(t, apply_lut(x, fit.lut)).mean() for t, x in zip(truth, held, strict=True)]
                )
                row[ref_name] = round(float(de), 2)
                row[f"{ref_name}_confidence"] = fit.stats["confidence"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    worse = [r for r in rows for k in ("builtin", "other", "paired") if r[k] > r["identity"]]  # type: ignore[operator]
    res = {"rows": rows, "worse_than_identity": len(worse), "cases": 3 * len(rows),
           "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
    print(json.dumps({k: v for k, v in res.items() if k != "rows"}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
