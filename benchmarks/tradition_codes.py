"""Tradition styles without training: the arbitrary network painting a tradition's code (issue 16 probe).

    python benchmarks/tradition_codes.py [--data ../shared/data] [--out /tmp/tradition_codes]
    huafeng eval --content ../shared/data/content --protocol heldout --peer -o REPORT \\
        --styles "$(ls /tmp/tradition_codes/*.onnx | tr '\\n' ,)ink_shanshui,huaniao,impressionism,ukiyoe"

For each of the four traditions the styles issue names, the training paintings' codes (the
``huafeng.splits`` hold-out excluded) are read with the arbitrary network's predictor; their mean,
and the medoid painting's code, are baked into single-style ONNX files at two amounts of lifted
photo detail (0.25, the instant look's, and the engine's 1). ``huafeng eval`` then grades them
beside the shipped tradition models and the peer on held-out photos and paintings. Results:
docs/styles.md, "Session 11".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {
    "shanshui": "chinese_shanshui_landscape",
    "ukiyoe": "japanese_ukiyoe_and_edo",
    "impressionism": "european_impressionism_postimpressionism",
    "huaniao": "chinese_huaniao_flower_bird",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=Path("/tmp/tradition_codes"))
    args = ap.parse_args()
    from huafeng.imageio import read_image
    from huafeng.models.arbitrary import PretrainedArbitrary, predict_code
    from huafeng.splits import is_heldout
    from huafeng.train.export import export_onnx

    args.out.mkdir(parents=True, exist_ok=True)
    for short, folder in FOLDERS.items():
        files = [
            f
            for f in sorted((args.data / "styles" / folder).iterdir())
            if not is_heldout(f"styles/{folder}/{f.name}")
        ]
        codes = np.array([predict_code([read_image(f).rgb]) for f in files], np.float32)
        mean = codes.mean(0)
        medoid = int(np.argmin(((codes - mean) ** 2).sum(1)))
        print(f"{folder}: {len(files)} training paintings, medoid {files[medoid].name}")
        for kind, code in (("mean", mean), ("medoid", codes[medoid])):
            for detail in (0.25, 1.0):
                g = PretrainedArbitrary(code=code.tolist(), detail=None if detail == 1.0 else detail).eval()
                name = f"{short}_{kind}_d{detail:g}"
                meta = {
                    "huafeng.name": name,
                    "huafeng.tradition": folder,
                    "huafeng.description": f"{kind} code of {len(files)} training paintings, no training",
                    "huafeng.license": "probe only, not shipped",
                    "huafeng.card": "{}",
                }
                export_onnx(g, args.out / f"{name}.onnx", metadata=meta, example_size=(256, 256))


if __name__ == "__main__":
    main()
