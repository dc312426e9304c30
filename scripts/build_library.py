"""Train and export the shipped style library in one command (CPU here, or a lent GPU).

    python scripts/build_library.py --run runs/library [--out huafeng/assets/styles] [--set k=v ...]

1. **Pick** each style's starting row of the pretrained base's norm tables (closest base style by
   MobileNetV2 Gram, :mod:`huafeng.train.base_pick`) unless the recipe names them; the choice is
   written into the run's config, so a resumed run keeps it.
2. **Train** ``configs/library/painterly.yaml`` (one multi-style run, all rows at once); re-running
   the same command resumes from the newest checkpoint (a kill loses at most ``checkpoint_every``).
3. **Export** (``--out``): every row as a single-style ONNX with its own model card, plus the whole
   table as the mixable ``painterly`` model and the ``four_traditions`` slice
   (:mod:`huafeng.train.library`).

``--tiny`` shrinks everything (3 styles, 64 px, a few steps) so the same code path is tested on a
CPU in seconds before a GPU is spent on it (``make library-gpu-check``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "configs" / "library" / "painterly.yaml"
TINY = [
    "train.steps=6",
    "train.adv_start=2",
    "train.adv_ramp=2",
    "train.checkpoint_every=3",
    "train.sample_every=0",
    "train.log_every=2",
    "data.image_size=80",
    "data.style_size=80",
    "data.crop_size=64",
    "data.batch_size=2",
    "data.sample_size=64",
    "data.cache=false",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", type=Path, default=RECIPE)
    ap.add_argument("--run", type=Path, required=True, help="run folder (resumed when it holds a run)")
    ap.add_argument("--out", type=Path, help="write the ONNX styles here")
    ap.add_argument("--data", type=Path, help="data root (default: the recipe's ../shared/data)")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="recipe override k=v")
    ap.add_argument("--tiny", action="store_true", help="3 styles, 64 px, 6 steps: a pipeline check")
    ap.add_argument("--export-only", action="store_true", help="skip training; export the run's checkpoint")
    ap.add_argument("--overwrite", action="store_true", help="replace existing files in --out")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--minutes", type=float, help="stop training cleanly after this much training time")
    args = ap.parse_args(argv)

    from huafeng.errors import HuafengError
    from huafeng.train import library

    sets = [*(TINY if args.tiny else []), *args.sets]
    try:
        cfg = library.prepare(args.recipe, args.run, sets=sets, data=args.data, tiny=args.tiny)
        if not args.export_only:
            result = library.train_library(cfg, args.run, progress=not args.no_progress, minutes=args.minutes)
            print(f"trained {result.steps} steps, {result.images_per_s:.1f} img/s -> {result.checkpoint}")
        if args.out is not None:
            for path in library.export_library(args.run, args.out, overwrite=args.overwrite):
                print(f"wrote {path}")
    except HuafengError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
