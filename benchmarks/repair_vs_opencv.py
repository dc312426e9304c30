"""Photo repair: the shipped GAN vs OpenCV inpainting (Telea, Navier-Stokes), and the two damage
detectors, on held-out photos with simulated damage. Feeds ``docs/repair.md``.

Protocol (all in one run, same damaged images for every method):

* Photos: ``content/`` files held out from training (:func:`huafeng.data.damage.is_held_out`,
  1 in 10 by SHA-1 of the name) and ``faces/`` (never trained on). Each is resized to shorter
  side 256 px, the long side centre-cropped to at most 384, then damaged by
  :func:`huafeng.data.damage.simulate` with a seed derived from its file name.
* Inpainting gets the true mask. Metrics are computed **inside the holes** only:
  PSNR over the masked RGB pixels; SSIM (Gaussian 11×11, luma) averaged over masked pixels of the
  SSIM map; perceptual distance = the LPIPS-like EfficientNet-Lite0 distance of
  :mod:`huafeng.eval.perceptual` (not the MobileNetV2 the GAN was trained with), computed per
  feature cell and averaged with each cell weighted by the fraction of hole pixels in it.
* Detection: pixel IoU and F1 of each detector's mask vs the true mask, pooled over all images.

Usage::

    .venv/bin/python benchmarks/repair_vs_opencv.py --data ../shared/data --out benchmarks/results/repair
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from huafeng import imageio
from huafeng.data.damage import is_held_out, simulate
from huafeng.data.transforms import resize_short
from huafeng.eval.backbone import get_backbone
from huafeng.eval.perceptual import unit_normalize
from huafeng.eval.report import markdown_table
from huafeng.eval.ssim import luma, ssim_map
from huafeng.infer.repair import detect_classical, detect_learned, inpaint

METHODS = ("telea", "navier_stokes", "gan")


def load_eval_photo(path: Path, side: int = 256, max_long: int = 384) -> np.ndarray:
    rgb = resize_short(imageio.read_image(path).rgb, side)
    h, w = rgb.shape[:2]
    ch, cw = min(h, max_long), min(w, max_long)
    y, x = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(rgb[y : y + ch, x : x + cw])


def seed_for(path: Path) -> int:
    return int(hashlib.sha1(path.name.encode()).hexdigest()[:8], 16)


def psnr_in(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    sel = m.astype(bool)
    mse = float(np.mean((a[sel].astype(np.float64) - b[sel].astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-10))


def ssim_in(a: np.ndarray, b: np.ndarray, m: np.ndarray, window: int = 11) -> float:
    r = window // 2
    smap = ssim_map(luma(a), luma(b), window=window)
    sel = m[r : m.shape[0] - r, r : m.shape[1] - r].astype(bool)
    return float(smap[sel].mean()) if sel.any() else float("nan")


def perceptual_in(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    bb = get_backbone()
    fa, fb = bb.features(a), bb.features(b)
    mt = torch.from_numpy(m.astype(np.float32))[None, None]
    num, den = 0.0, 0.0
    vals = []
    for name in fa:
        d = (unit_normalize(fa[name]) - unit_normalize(fb[name])).pow(2).sum(1, keepdim=True)
        w = F.adaptive_avg_pool2d(mt, d.shape[-2:])  # fraction of each cell that is hole
        num, den = float((d * w).sum()), float(w.sum())
        vals.append(num / max(den, 1e-8))
    return float(np.mean(vals))


def repair(method: str, damaged: np.ndarray, mask: np.ndarray, model: str | None) -> np.ndarray:
    if method == "gan":
        return inpaint(damaged, mask, model=model, threads=1)
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    out = cv2.inpaint(np.ascontiguousarray(damaged[..., ::-1]), mask * 255, 3, flag)[..., ::-1]
    res = damaged.copy()
    res[mask.astype(bool)] = out[mask.astype(bool)]
    return res


def detection_counts(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    p, t = pred.astype(bool), true.astype(bool)
    return np.array([(p & t).sum(), (p & ~t).sum(), (~p & t).sum()], np.int64)  # tp, fp, fn


def photos(data: Path, faces_every: int, holdout_every: int, content_every: int = 1) -> list[Path]:
    content = [p for p in imageio.list_images([data / "content"]) if is_held_out(p, holdout_every)]
    content = content[::content_every]
    faces = imageio.list_images([data / "faces"])[::faces_every]
    return content + faces


def sheet(rows: list[list[np.ndarray]], path: Path) -> None:
    """Columns: damaged | mask | Telea | Navier-Stokes | GAN | original."""
    h = 200
    lines = []
    for row in rows:
        th, tw = row[0].shape[:2]
        s = min(th, tw)  # the same centre square of every tile, so the columns line up
        y, x = (th - s) // 2, (tw - s) // 2
        lines.append(np.concatenate([imageio.resize(t[y : y + s, x : x + s], (h, h)) for t in row], 1))
    img = np.concatenate(lines, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.atomic_write_bytes(path, imageio.encode_image(imageio.Image(img), "JPEG", quality=85))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--model", default=None, help="inpainting .onnx (default: the shipped one)")
    ap.add_argument("--detector", default=None, help="detector .onnx (default: the shipped one)")
    ap.add_argument("--out", default="benchmarks/results/repair")
    ap.add_argument("--faces-every", type=int, default=4, help="use every Nth face photo")
    ap.add_argument("--holdout-every", type=int, default=10)
    ap.add_argument("--content-every", type=int, default=1, help="use every Nth held-out content photo")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--sheet", default=None, help="write before/after pictures to this folder")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = photos(Path(a.data), a.faces_every, a.holdout_every, a.content_every)
    if a.limit:
        paths = paths[: a.limit]
    scores: dict[str, dict[str, list[float]]] = {m: {"psnr": [], "ssim": [], "percep": []} for m in METHODS}
    det = {"classical": np.zeros(3, np.int64), "learned": np.zeros(3, np.int64)}
    per_image = []
    examples: list[list[np.ndarray]] = []
    t0 = time.time()
    for i, p in enumerate(paths):
        clean = load_eval_photo(p)
        d = simulate(clean, seed_for(p))
        row = {"file": p.name, "folder": p.parent.name, "coverage": d.coverage, "kinds": list(d.kinds)}
        results = {}
        for m in METHODS:
            r = repair(m, d.image, d.mask, a.model)
            results[m] = r
            s = {"psnr": psnr_in(r, clean, d.mask), "ssim": ssim_in(r, clean, d.mask),
                 "percep": perceptual_in(r, clean, d.mask)}  # fmt: skip
            for k, v in s.items():
                scores[m][k].append(v)
            row[m] = s
        det["classical"] += detection_counts(detect_classical(d.image), d.mask)
        det["learned"] += detection_counts(detect_learned(d.image, threads=1, model=a.detector), d.mask)
        per_image.append(row)
        if i in {0, len(paths) // 3, 2 * len(paths) // 3, len(paths) - 1}:  # content and faces
            mask_rgb = np.repeat(d.mask[..., None] * 255, 3, 2).astype(np.uint8)
            examples.append(
                [d.image, mask_rgb, results["telea"], results["navier_stokes"], results["gan"], clean]
            )
        print(f"{i + 1}/{len(paths)} {p.name} {time.time() - t0:.0f}s", file=sys.stderr)

    summary = {
        m: {k: float(np.nanmean(v)) for k, v in s.items()} | {"n": len(s["psnr"])} for m, s in scores.items()
    }
    wins = {
        k: float(np.mean([r["gan"][k] > max(r["telea"][k], r["navier_stokes"][k]) for r in per_image]))
        if k != "percep"
        else float(np.mean([r["gan"][k] < min(r["telea"][k], r["navier_stokes"][k]) for r in per_image]))
        for k in ("psnr", "ssim", "percep")
    }
    detection = {}
    for name, (tp, fp, fn) in det.items():
        detection[name] = {
            "iou": float(tp / max(tp + fp + fn, 1)),
            "f1": float(2 * tp / max(2 * tp + fp + fn, 1)),
            "precision": float(tp / max(tp + fp, 1)),
            "recall": float(tp / max(tp + fn, 1)),
        }
    result = {
        "summary": summary,
        "gan_wins_fraction": wins,
        "detection": detection,
        "photos": len(paths),
        "mean_coverage": float(np.mean([r["coverage"] for r in per_image])),
        "seconds": time.time() - t0,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load": os.getloadavg()},
        "command": " ".join(sys.argv),
    }
    imageio.atomic_write_bytes(out / "results.json", json.dumps(result, indent=1).encode())
    imageio.atomic_write_bytes(
        out / "per_image.jsonl", "".join(json.dumps(r) + "\n" for r in per_image).encode()
    )
    table = markdown_table(
        ["method", "PSNR in holes (dB) ↑", "SSIM in holes ↑", "perceptual in holes ↓"],
        [[m, summary[m]["psnr"], summary[m]["ssim"], summary[m]["percep"]] for m in METHODS],
    )
    dtable = markdown_table(
        ["detector", "IoU ↑", "F1 ↑", "precision", "recall"],
        [[k, v["iou"], v["f1"], v["precision"], v["recall"]] for k, v in detection.items()],
    )
    imageio.atomic_write_bytes(out / "table.md", (table + "\n\n" + dtable + "\n").encode())
    print(table + "\n\n" + dtable)
    if a.sheet and examples:
        sheet(examples, Path(a.sheet) / "repair_examples.jpg")


if __name__ == "__main__":
    main()
